//! Numbers and money (`/console/numbers`): per-channel dashboards with SVG charts, the
//! wallet, its ledger and the rate card. The figures come from the analytics counters (one
//! query for 30 days by channel, never a scan of messages); the ledger is keyset paged.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use wagate_app::analytics::{AnalyticsQuery, Dimension, Filter};
use wagate_core::Timestamp;
use wagate_core::analytics::{Counts, Granularity};
use wagate_core::billing::wallet::{LedgerKind, Wallet, WalletKind};
use wagate_core::error::ErrorCode;
use wagate_core::ids::{ChannelId, LedgerEntryId};
use wagate_store::{LedgerFilter, Page};

use super::charts::{Series, line_chart};
use super::home::{ChannelRow, money, visible_channels};
use super::{Chrome, Console, page};
use crate::error::ApiError;
use crate::extract::Query;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/numbers", get(dashboard))
        .route("/console/numbers/ledger", get(ledger))
}

/// Days the dashboard covers (today included).
const DAYS: i64 = 30;

/// A period's figures as the page shows them.
pub struct Figures {
    pub label: &'static str,
    pub sent: i64,
    pub delivered: i64,
    pub read: i64,
    pub failed: i64,
    pub cost: String,
}

impl Figures {
    fn of(label: &'static str, days: &[Counts], wallet: &Wallet) -> Self {
        let sum = |f: fn(&Counts) -> i64| days.iter().map(f).sum::<i64>();
        Self {
            label,
            sent: sum(|c| c.sent),
            delivered: sum(|c| c.delivered),
            read: sum(|c| c.read),
            failed: sum(|c| c.failed),
            cost: money(sum(|c| c.cost), wallet),
        }
    }
}

/// One channel's line in the channel table.
pub struct ChannelFigures {
    pub channel: ChannelRow,
    pub selected: bool,
    pub today: Figures,
    pub month: Figures,
}

#[derive(Template)]
#[template(path = "console/numbers/dashboard.html")]
struct Dashboard {
    chrome: Chrome,
    /// The channel the figures are limited to (`None`: every channel the key sees).
    selected: Option<ChannelRow>,
    periods: Vec<Figures>,
    channels: Vec<ChannelFigures>,
    messages_chart: String,
    cost_chart: String,
    wallet: WalletSummary,
    rates: RatesTable,
    timezone: String,
}

pub struct WalletSummary {
    pub kind: &'static str,
    pub mode: &'static str,
    pub balance: String,
    pub held: String,
    pub backup: Option<String>,
    pub threshold: Option<String>,
    pub low: bool,
    pub credit_limit: Option<String>,
    pub markup: String,
}

impl WalletSummary {
    fn of(w: &Wallet) -> Self {
        Self {
            kind: w.kind.as_str(),
            mode: w.mode.as_str(),
            balance: money(w.balance, w),
            held: money(w.held, w),
            backup: (w.kind == WalletKind::Quota).then(|| money(w.backup_balance, w)),
            threshold: w.low_balance_threshold.map(|t| money(t, w)),
            low: w.low_balance_threshold.is_some_and(|t| w.balance < t),
            credit_limit: w.credit_limit.map(|c| money(c, w)),
            markup: format!("{:.2} %", f64::from(w.markup_bps) / 100.0),
        }
    }
}

pub struct RatesTable {
    pub scope: &'static str,
    pub currency: String,
    pub source: String,
    pub effective: String,
    pub rows: Vec<RateRow>,
}

pub struct RateRow {
    pub market: String,
    pub marketing: String,
    pub utility: String,
    pub authentication: String,
    pub authentication_international: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct DashboardQuery {
    pub channel: Option<String>,
}

fn channel_param(raw: Option<&str>) -> Result<Option<ChannelId>, ApiError> {
    match raw {
        None | Some("") => Ok(None),
        Some(c) => c
            .parse()
            .map(Some)
            .map_err(|_| ApiError::not_found(ErrorCode::ChannelNotFound, "channel", c)),
    }
}

async fn dashboard(
    State(state): State<AppState>,
    console: Console,
    Query(q): Query<DashboardQuery>,
) -> Result<Response, ApiError> {
    let p = &console.principal;
    let channels = visible_channels(&state, &console).await?;
    let selected = match channel_param(q.channel.as_deref())? {
        None => None,
        Some(id) => Some(
            channels
                .iter()
                .find(|c| c.id == id)
                .ok_or_else(|| {
                    ApiError::not_found(ErrorCode::ChannelNotFound, "channel", id.to_string())
                })?
                .id,
        ),
    };
    let tz = state.app.account_timezone(p).await?;
    let today = state
        .app
        .now()
        .to_zoned(tz.clone())
        .start_of_day()
        .map_err(ApiError::internal)?;
    let start = today
        .checked_sub(jiff::Span::new().days(DAYS - 1))
        .map_err(ApiError::internal)?;
    let end = today
        .checked_add(jiff::Span::new().days(1))
        .map_err(ApiError::internal)?;
    let query = AnalyticsQuery {
        start: start.timestamp(),
        end: end.timestamp(),
        granularity: Granularity::Day,
        channel: None,
        dimensions: vec![Dimension::Channel],
        filter: Filter::default(),
    };
    let points = state.app.message_analytics(p, &query).await?;
    let periods = state.app.analytics_periods(p, &query).await?;
    let day_of = |t: Timestamp| periods.iter().position(|(from, _)| *from == t);
    // Per channel, per day.
    let mut by_channel: Vec<(ChannelId, Vec<Counts>)> = channels
        .iter()
        .map(|c| (c.id, vec![Counts::default(); periods.len()]))
        .collect();
    for point in &points {
        let (Some(ch), Some(day)) = (point.channel_id, day_of(point.start)) else {
            continue;
        };
        if let Some((_, days)) = by_channel.iter_mut().find(|(id, _)| *id == ch) {
            add(&mut days[day], &point.counts);
        }
    }
    let mut total = vec![Counts::default(); periods.len()];
    for (id, days) in &by_channel {
        if selected.is_none_or(|s| s == *id) {
            for (t, d) in total.iter_mut().zip(days) {
                add(t, d);
            }
        }
    }
    let wallet = state.app.get_wallet(p).await?;
    let n = total.len();
    let last = |k: usize| &total[n.saturating_sub(k)..];
    let labels: Vec<String> = periods
        .iter()
        .map(|(from, _)| from.to_zoned(tz.clone()).date().to_string())
        .collect();
    let series = |name, color, f: fn(&Counts) -> i64| Series {
        name,
        color,
        values: total.iter().map(f).collect(),
    };
    let messages_chart = line_chart(
        "Messages per day over 30 days: sent, delivered, read, failed",
        &labels,
        &[
            series("sent", (0x1f, 0x6f, 0xeb), |c| c.sent),
            series("delivered", (0x00, 0x80, 0x69), |c| c.delivered),
            series("read", (0x53, 0xbd, 0xeb), |c| c.read),
            series("failed", (0xd0, 0x3b, 0x3b), |c| c.failed),
        ],
        |v| v.to_string(),
    );
    let cost_chart = line_chart(
        "Cost per day over 30 days",
        &labels,
        &[series("cost", (0x8a, 0x5c, 0xf5), |c| c.cost)],
        |v| short_money(v, &wallet),
    );
    let rows = by_channel
        .iter()
        .filter_map(|(id, days)| {
            let c = channels.iter().find(|c| c.id == *id)?;
            Some(ChannelFigures {
                channel: ChannelRow::of(c),
                selected: selected == Some(*id),
                today: Figures::of("Today", &days[days.len().saturating_sub(1)..], &wallet),
                month: Figures::of("30 days", days, &wallet),
            })
        })
        .collect();
    let own = state.app.store().get_rate_card(Some(p.account_id)).await?;
    let card = state.app.rate_card(p.account_id).await?;
    let price = |v: Option<i64>| v.map(super::home::micros).unwrap_or_else(|| "—".into());
    let rates = RatesTable {
        scope: if own.is_some() {
            "this account's own"
        } else {
            "the default"
        },
        currency: card.currency.as_str().to_owned(),
        source: card.source.clone(),
        effective: card.effective.clone(),
        rows: card
            .markets
            .iter()
            .map(|(market, r)| RateRow {
                market: market.clone(),
                marketing: price(r.marketing),
                utility: price(r.utility),
                authentication: price(r.authentication),
                authentication_international: price(r.authentication_international),
            })
            .collect(),
    };
    page(&Dashboard {
        chrome: Chrome::new(&console, "numbers", "Numbers & money"),
        selected: selected.and_then(|s| channels.iter().find(|c| c.id == s).map(ChannelRow::of)),
        periods: vec![
            Figures::of("Today", last(1), &wallet),
            Figures::of("7 days", last(7), &wallet),
            Figures::of("30 days", &total, &wallet),
        ],
        channels: rows,
        messages_chart,
        cost_chart,
        wallet: WalletSummary::of(&wallet),
        rates,
        timezone: tz.iana_name().unwrap_or("UTC").to_owned(),
    })
}

fn add(to: &mut Counts, c: &Counts) {
    to.sent += c.sent;
    to.delivered += c.delivered;
    to.read += c.read;
    to.failed += c.failed;
    to.received += c.received;
    to.replied += c.replied;
    to.charged += c.charged;
    to.cost += c.cost;
}

/// An axis figure: money without trailing zeros, or a count of messages.
fn short_money(v: i64, w: &Wallet) -> String {
    match w.kind {
        WalletKind::Quota => v.to_string(),
        WalletKind::Credits => super::home::micros(v),
    }
}

// ---- the ledger --------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
pub struct LedgerQuery {
    pub kind: Option<String>,
    pub message_id: Option<String>,
    /// A day (`YYYY-MM-DD`, the account's time zone) or an RFC 3339 time.
    pub since: Option<String>,
    pub until: Option<String>,
    pub after: Option<String>,
}

pub struct LedgerRow {
    pub id: String,
    pub at: String,
    pub kind: &'static str,
    pub pool: &'static str,
    pub amount: String,
    pub credit: bool,
    pub message_id: Option<String>,
    pub note: String,
}

#[derive(Template)]
#[template(path = "console/numbers/ledger.html")]
struct LedgerPage {
    chrome: Chrome,
    balance: String,
    rows: Vec<LedgerRow>,
    kind: String,
    message_id: String,
    since: String,
    until: String,
    /// The query string of the next (older) page, when there is one.
    next: Option<String>,
}

const LEDGER_PAGE: u32 = 50;

/// A time filter: a day (its start in `tz`; with `end`, the next day's start) or RFC 3339.
pub fn day_or_time(
    field: &'static str,
    raw: Option<&str>,
    tz: &jiff::tz::TimeZone,
    end: bool,
) -> Result<Option<Timestamp>, ApiError> {
    let raw = match raw.map(str::trim) {
        None | Some("") => return Ok(None),
        Some(r) => r,
    };
    let bad = || {
        ApiError::new(
            ErrorCode::InvalidQuery,
            format!("{field} must be a date like 2026-12-01 or an RFC 3339 time"),
        )
        .field(field)
    };
    if let Ok(t) = raw.parse::<Timestamp>() {
        return Ok(Some(t));
    }
    let date: jiff::civil::Date = raw.parse().map_err(|_| bad())?;
    let date = if end {
        date.tomorrow().map_err(|_| bad())?
    } else {
        date
    };
    Ok(Some(
        date.to_zoned(tz.clone()).map_err(|_| bad())?.timestamp(),
    ))
}

async fn ledger(
    State(state): State<AppState>,
    console: Console,
    Query(q): Query<LedgerQuery>,
) -> Result<Response, ApiError> {
    let p = &console.principal;
    let bad = |field: &str, m: &str| ApiError::new(ErrorCode::InvalidQuery, m).field(field);
    let tz = state.app.account_timezone(p).await?;
    let filter = LedgerFilter {
        kind: match nonempty(&q.kind) {
            None => None,
            Some(k) => Some(LedgerKind::parse(k).ok_or_else(|| {
                bad(
                    "kind",
                    "kind must be top_up, adjustment, hold, release or charge",
                )
            })?),
        },
        message_id: match nonempty(&q.message_id) {
            None => None,
            Some(m) => Some(
                m.parse()
                    .map_err(|_| bad("message_id", "message_id is not a message id"))?,
            ),
        },
        since: day_or_time("since", nonempty(&q.since), &tz, false)?,
        until: day_or_time("until", nonempty(&q.until), &tz, true)?,
    };
    let after: Option<LedgerEntryId> = match nonempty(&q.after) {
        None => None,
        Some(a) => Some(
            a.parse()
                .map_err(|_| bad("after", "after is not a ledger entry id"))?,
        ),
    };
    let mut rows = state
        .app
        .ledger(p, &filter, &Page::after(after, LEDGER_PAGE + 1))
        .await?;
    let more = rows.len() > LEDGER_PAGE as usize;
    rows.truncate(LEDGER_PAGE as usize);
    let wallet = state.app.get_wallet(p).await?;
    let keep =
        |name: &str, v: &Option<String>| nonempty(v).map(|v| format!("&{name}={}", urlencoding(v)));
    let next = match rows.last() {
        Some(last) if more => Some(format!(
            "after={}{}{}{}{}",
            last.id,
            keep("kind", &q.kind).unwrap_or_default(),
            keep("message_id", &q.message_id).unwrap_or_default(),
            keep("since", &q.since).unwrap_or_default(),
            keep("until", &q.until).unwrap_or_default(),
        )),
        _ => None,
    };
    page(&LedgerPage {
        chrome: Chrome::new(&console, "numbers", "Ledger"),
        balance: money(wallet.balance, &wallet),
        rows: rows
            .into_iter()
            .map(|e| LedgerRow {
                id: e.id.to_string(),
                at: e
                    .created_at
                    .to_zoned(tz.clone())
                    .strftime("%Y-%m-%d %H:%M:%S")
                    .to_string(),
                kind: e.kind.as_str(),
                pool: e.pool.as_str(),
                amount: money(e.amount, &wallet),
                credit: e.amount > 0,
                message_id: e.message_id.map(|m| m.to_string()),
                note: e.reference.or(e.reason).unwrap_or_default(),
            })
            .collect(),
        kind: nonempty(&q.kind).unwrap_or_default().to_owned(),
        message_id: nonempty(&q.message_id).unwrap_or_default().to_owned(),
        since: nonempty(&q.since).unwrap_or_default().to_owned(),
        until: nonempty(&q.until).unwrap_or_default().to_owned(),
        next,
    })
}

/// A query value, unless absent or blank.
fn nonempty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Percent-encodes a query value.
pub fn urlencoding(v: &str) -> String {
    let mut out = String::new();
    for b in v.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char);
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_times_filter() {
        let tz = jiff::tz::TimeZone::get("Europe/Berlin").unwrap();
        let start = day_or_time("since", Some("2026-12-01"), &tz, false).unwrap();
        assert_eq!(start.unwrap().to_string(), "2026-11-30T23:00:00Z");
        let end = day_or_time("until", Some("2026-12-01"), &tz, true).unwrap();
        assert_eq!(end.unwrap().to_string(), "2026-12-01T23:00:00Z");
        let t = day_or_time("since", Some("2026-12-01T10:00:00Z"), &tz, false).unwrap();
        assert_eq!(t.unwrap().to_string(), "2026-12-01T10:00:00Z");
        assert_eq!(day_or_time("since", Some(" "), &tz, false).unwrap(), None);
        let err = day_or_time("since", Some("yesterday"), &tz, false).unwrap_err();
        assert!(err.message.contains("since must be a date"));
    }

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(urlencoding("a b&c=d"), "a%20b%26c%3Dd");
        assert_eq!(
            urlencoding("2026-12-01T10:00:00Z"),
            "2026-12-01T10%3A00%3A00Z"
        );
    }
}
