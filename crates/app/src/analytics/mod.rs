//! Analytics: what the account's messages did, from counters kept in the transaction of
//! each change ([`wagate_core::analytics`]), never by scanning messages. A query reads the
//! half-hour rows of its range and sums them by period (half-hours, or days and months in
//! the account's time zone) and by the dimensions asked for.
//!
//! # Layout
//! - this file: the query, for every surface (the management API, Meta's analytics on the
//!   Cloud plane, the dialects' statistics next), and the pure rules those surfaces share:
//!   [`periods`] (every period of a range, for answers that list empty ones) and
//!   [`Delivered`] (delivered business messages as per-message pricing splits them);
//!   and [`App::channel_waba_analytics`]: a cloud channel's figures are Meta's.

use std::collections::BTreeMap;

use wagate_core::Timestamp;
use wagate_core::analytics::{BUCKET_MS, Counts, Granularity};
use wagate_core::error::ValidationError;
use wagate_core::ids::ChannelId;

use wagate_store::{CounterFilter, CounterGroup, CounterQuery, Grain};

use crate::error::Result;
use crate::upstream::proxy::{ProxyAnswer, ProxyCall};
use crate::{App, Principal};

/// Longest range of one query, in days (half-hours: 31).
pub const RANGE_MAX_DAYS: i64 = 400;

/// What a data point is split by, besides its period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Dimension {
    Channel,
    Direction,
    Category,
    Country,
    Template,
}

impl Dimension {
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "channel" | "phone" => Self::Channel,
            "direction" => Self::Direction,
            "category" | "type" | "conversation_type" => Self::Category,
            "country" => Self::Country,
            "template" => Self::Template,
            other => {
                return Err(ValidationError::new(
                    "dimensions",
                    format!(
                        "`{other}` is not a dimension: channel, direction, category, country \
                         or template"
                    ),
                ));
            }
        })
    }
}

/// Command: which figures.
#[derive(Debug, Clone)]
pub struct AnalyticsQuery {
    pub start: Timestamp,
    pub end: Timestamp,
    pub granularity: Granularity,
    pub channel: Option<ChannelId>,
    pub dimensions: Vec<Dimension>,
    /// Only rows with these values (each `None` takes every value).
    pub filter: Filter,
}

/// A query's filters on the dimensions: the value each must have.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub direction: Option<String>,
    pub category: Option<String>,
    pub country: Option<String>,
    pub template: Option<String>,
    pub language: Option<String>,
}

/// One data point: a period, the dimensions asked for, and the figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataPoint {
    pub start: Timestamp,
    pub end: Timestamp,
    pub channel_id: Option<ChannelId>,
    pub direction: Option<String>,
    pub category: Option<String>,
    pub country: Option<String>,
    pub template: Option<String>,
    /// With `template`: the template's language.
    pub language: Option<String>,
    pub counts: Counts,
}

type PointKey = (
    Timestamp,
    Option<ChannelId>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<(String, String)>,
);

/// Every period of `granularity` (in `tz`) that a half-hour of `[start, end)` falls in, in
/// order: the periods [`App::message_analytics`] can answer for that range, empty ones
/// included, for surfaces that list every period (Meta's analytics answer zeros).
pub fn periods(
    start: Timestamp,
    end: Timestamp,
    granularity: Granularity,
    tz: &jiff::tz::TimeZone,
) -> Vec<(Timestamp, Timestamp)> {
    // The first half-hour counted is the first that starts at or after `start` (the
    // counters' rows are read with `start <= bucket < end`).
    let ceil = |ms: i64| {
        ms.div_euclid(BUCKET_MS) * BUCKET_MS + BUCKET_MS * i64::from(ms.rem_euclid(BUCKET_MS) != 0)
    };
    let mut out = Vec::new();
    let mut bucket = ceil(start.as_millisecond());
    while bucket < end.as_millisecond() {
        let (from, to) = granularity.period(bucket, tz);
        out.push((from, to));
        // The next period's first half-hour (a day of a `+05:45` zone starts mid-bucket: that
        // bucket belongs to the day its start falls in, as `period` decides).
        let next = ceil(to.as_millisecond());
        if next <= bucket {
            break;
        }
        bucket = next;
    }
    out
}

/// How a query reads its range: its periods, the whole days (in the account's zone) inside
/// them, read from the day sums, and the half-hours left where the range cuts a day. A year
/// by month reads about 365 day rows per dimension value and the half-hours of its first
/// and last day; half-hour periods read half-hours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The periods, in order.
    pub periods: Vec<(Timestamp, Timestamp)>,
    /// `[since, until)` of half-hour starts (Unix ms), merged where they touch.
    pub half_hours: Vec<(i64, i64)>,
    /// `[since, until)` of local midnights (Unix ms), merged where they touch.
    pub days: Vec<(i64, i64)>,
}

impl Plan {
    pub fn new(
        start: Timestamp,
        end: Timestamp,
        granularity: Granularity,
        tz: &jiff::tz::TimeZone,
    ) -> Self {
        let ceil = |t: Timestamp| {
            let ms = t.as_millisecond();
            ms.div_euclid(BUCKET_MS) * BUCKET_MS
                + BUCKET_MS * i64::from(ms.rem_euclid(BUCKET_MS) != 0)
        };
        // The half-hours counted: those starting in `[first, last)`.
        let (first, last) = (ceil(start), ceil(end));
        let periods = periods(start, end, granularity, tz);
        let (mut half_hours, mut days) = (Vec::new(), Vec::new());
        for (from, to) in &periods {
            if granularity == Granularity::HalfHour {
                push(
                    &mut half_hours,
                    (first.max(ceil(*from)), last.min(ceil(*to))),
                );
                continue;
            }
            // Each day of the period: whole (all its half-hours counted) from its sum,
            // else the half-hours of it that are counted.
            let mut day = *from;
            while day < *to {
                let (_, next) = Granularity::Day.period(day.as_millisecond(), tz);
                let next = if next <= day { *to } else { next.min(*to) };
                let (since, until) = (ceil(day), ceil(next));
                if since >= first && until <= last {
                    push(&mut days, (day.as_millisecond(), next.as_millisecond()));
                } else {
                    push(&mut half_hours, (since.max(first), until.min(last)));
                }
                day = next;
            }
        }
        Self {
            periods,
            half_hours,
            days,
        }
    }

    /// The period a row's time (a half-hour start or a local midnight) counts in.
    pub fn period_of(&self, at_ms: i64) -> Option<(Timestamp, Timestamp)> {
        let n = self
            .periods
            .partition_point(|(from, _)| from.as_millisecond() <= at_ms);
        let (from, to) = *self.periods.get(n.checked_sub(1)?)?;
        (at_ms < to.as_millisecond()).then_some((from, to))
    }
}

/// Appends `[since, until)` to `ranges` (in order), merging it with the last when they
/// touch; an empty range is left out.
fn push(ranges: &mut Vec<(i64, i64)>, (since, until): (i64, i64)) {
    if since >= until {
        return;
    }
    match ranges.last_mut() {
        Some(last) if last.1 >= since => last.1 = last.1.max(until),
        _ => ranges.push((since, until)),
    }
}

/// A data point's delivered business messages as Meta prices them per message (since July
/// 2025): `charged` ones (Meta's `REGULAR` pricing type), with their `cost`, and `free`
/// ones, delivered inside the user's customer-service window at no charge (free-form
/// messages, utility templates), the rest of `delivered`. wagate charges on delivery, so a
/// message's charge and its delivery count in the same period (a charge settled a moment
/// later may land in the next half-hour: `free` never goes below zero).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivered {
    pub charged: i64,
    /// Of the charged ones, in the wallet's unit (see [`Counts::cost`]).
    pub cost: i64,
    pub free: i64,
}

impl Delivered {
    pub fn of(c: &Counts) -> Self {
        Self {
            charged: c.charged,
            cost: c.cost,
            free: (c.delivered - c.charged).max(0),
        }
    }
}

impl App {
    /// The periods of `q`'s range at its granularity, in the account's time zone (see
    /// [`periods`]).
    pub async fn analytics_periods(
        &self,
        p: &Principal,
        q: &AnalyticsQuery,
    ) -> Result<Vec<(Timestamp, Timestamp)>> {
        let tz = self.account_timezone(p).await?;
        Ok(periods(q.start, q.end, q.granularity, &tz))
    }

    /// The zone days and months of the account's figures follow (UTC when unknown).
    pub async fn account_timezone(&self, p: &Principal) -> Result<jiff::tz::TimeZone> {
        let account = self.store.get_account(p.account_id).await?;
        Ok(jiff::tz::TimeZone::get(account.timezone.as_str()).unwrap_or(jiff::tz::TimeZone::UTC))
    }

    /// The account's message figures for `q` (a scoped key sees its channels only).
    pub async fn message_analytics(
        &self,
        p: &Principal,
        q: &AnalyticsQuery,
    ) -> Result<Vec<DataPoint>> {
        if q.end <= q.start {
            return Err(ValidationError::new("end", "must be after start").into());
        }
        let days = (q.end.as_second() - q.start.as_second()) / 86_400;
        let max = if q.granularity == Granularity::HalfHour {
            31
        } else {
            RANGE_MAX_DAYS
        };
        if days > max {
            return Err(ValidationError::out_of_range(
                "end",
                format!("a range is at most {max} days at this granularity"),
            )
            .into());
        }
        if let Some(ch) = q.channel
            && !p.can_use(ch)
        {
            return Ok(Vec::new());
        }
        let account = self.store.get_account(p.account_id).await?;
        let zone = account.timezone.as_str();
        let tz = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
        let plan = Plan::new(q.start, q.end, q.granularity, &tz);
        if !plan.days.is_empty() {
            self.store.ensure_day_counters(p.account_id, zone).await?;
        }
        let has = |d: Dimension| q.dimensions.contains(&d);
        let f = &q.filter;
        let mut counters = CounterQuery {
            account: p.account_id,
            grain: Grain::HalfHour,
            ranges: plan.half_hours.clone(),
            channels: q.channel.map(|c| vec![c]).or_else(|| p.channel_scope()),
            filter: CounterFilter {
                direction: f.direction.clone(),
                category: f.category.clone(),
                country: f.country.clone(),
                template: f.template.clone(),
                language: f.language.clone(),
            },
            group: CounterGroup {
                channel: has(Dimension::Channel),
                direction: has(Dimension::Direction),
                category: has(Dimension::Category),
                country: has(Dimension::Country),
                template: has(Dimension::Template),
            },
            // Summed by period in SQL when the periods are few (a CASE per row).
            periods: (plan.periods.len() <= 64).then(|| {
                plan.periods
                    .iter()
                    .map(|(from, _)| from.as_millisecond())
                    .collect()
            }),
        };
        let mut rows = Vec::new();
        if !counters.ranges.is_empty() {
            rows = self.store.message_counters(&counters).await?;
        }
        if !plan.days.is_empty() {
            counters.grain = Grain::Day;
            counters.ranges = plan.days.clone();
            rows.extend(self.store.message_counters(&counters).await?);
        }
        let g = counters.group;
        let mut points: BTreeMap<PointKey, (Timestamp, Counts)> = BTreeMap::new();
        for r in rows {
            let Some((start, end)) = plan.period_of(r.at) else {
                continue;
            };
            let key = (
                start,
                r.channel_id.filter(|_| g.channel),
                g.direction.then(|| r.dims.direction.clone()),
                g.category.then(|| r.dims.category.clone()),
                g.country.then(|| r.dims.country.clone()),
                g.template
                    .then(|| (r.dims.template.clone(), r.dims.language.clone())),
            );
            points
                .entry(key)
                .or_insert_with(|| (end, Counts::default()))
                .1
                .add(&r.counts);
        }
        Ok(points
            .into_iter()
            .map(
                |((start, channel_id, direction, category, country, template), (end, counts))| {
                    DataPoint {
                        start,
                        end,
                        channel_id,
                        direction,
                        category,
                        country,
                        language: template.as_ref().map(|(_, l)| l.clone()),
                        template: template.map(|(t, _)| t),
                        counts,
                    }
                },
            )
            .collect())
    }
}

impl App {
    /// Meta's answer to `GET /{waba_id}?fields=<field>` (conversation or pricing analytics)
    /// for a cloud channel, whose messages Meta counts and prices; `None` for a sandbox
    /// channel, whose figures are wagate's counters (the Cloud plane's analytics).
    pub async fn channel_waba_analytics(
        &self,
        channel: &wagate_core::channel::Channel,
        field: &str,
    ) -> Result<Option<ProxyAnswer>> {
        self.meta_answer(channel, || {
            ProxyCall::json(
                reqwest::Method::GET,
                channel.waba_id.as_str(),
                &[("fields", field)],
                None,
            )
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn plans_read_whole_local_days_from_day_sums_and_cut_days_from_half_hours() {
        let ms = |s: &str| t(s).as_millisecond();
        // UTC months: whole days but for the partial first and last day.
        let utc = jiff::tz::TimeZone::UTC;
        let plan = Plan::new(
            t("2026-10-15T10:00:00Z"),
            t("2026-12-07T05:10:00Z"),
            Granularity::Month,
            &utc,
        );
        assert_eq!(plan.periods.len(), 3);
        assert_eq!(
            plan.days,
            [(ms("2026-10-16T00:00:00Z"), ms("2026-12-07T00:00:00Z"))]
        );
        assert_eq!(
            plan.half_hours,
            [
                (ms("2026-10-15T10:00:00Z"), ms("2026-10-16T00:00:00Z")),
                (ms("2026-12-07T00:00:00Z"), ms("2026-12-07T05:30:00Z"))
            ]
        );
        // Kolkata months: whole local days (from 18:30 UTC) are day sums.
        let kolkata = jiff::tz::TimeZone::get("Asia/Kolkata").unwrap();
        let plan = Plan::new(
            t("2026-10-31T18:30:00Z"),
            t("2026-12-31T18:30:00Z"),
            Granularity::Month,
            &kolkata,
        );
        assert_eq!(
            plan.days,
            [(ms("2026-10-31T18:30:00Z"), ms("2026-12-31T18:30:00Z"))]
        );
        assert!(plan.half_hours.is_empty());
        // A row counts in the period its time falls in; outside the range in none.
        assert_eq!(
            plan.period_of(ms("2026-11-30T18:00:00Z")).unwrap().0,
            t("2026-10-31T18:30:00Z")
        );
        assert_eq!(
            plan.period_of(ms("2026-11-30T18:30:00Z")).unwrap().0,
            t("2026-11-30T18:30:00Z")
        );
        assert_eq!(plan.period_of(ms("2026-12-31T18:30:00Z")), None);
        // Kolkata days cut by a UTC range: the cut days are half-hours.
        let plan = Plan::new(
            t("2026-12-01T00:00:00Z"),
            t("2026-12-05T00:00:00Z"),
            Granularity::Day,
            &kolkata,
        );
        assert_eq!(
            plan.days,
            [(ms("2026-12-01T18:30:00Z"), ms("2026-12-04T18:30:00Z"))]
        );
        assert_eq!(
            plan.half_hours,
            [
                (ms("2026-12-01T00:00:00Z"), ms("2026-12-01T18:30:00Z")),
                (ms("2026-12-04T18:30:00Z"), ms("2026-12-05T00:00:00Z"))
            ]
        );
        // Half-hours read half-hours only, in one range.
        let plan = Plan::new(
            t("2026-12-01T00:00:00Z"),
            t("2026-12-05T00:00:00Z"),
            Granularity::HalfHour,
            &kolkata,
        );
        assert!(plan.days.is_empty());
        assert_eq!(
            plan.half_hours,
            [(ms("2026-12-01T00:00:00Z"), ms("2026-12-05T00:00:00Z"))]
        );
        // Kathmandu (+05:45): a day starts mid-half-hour; the half-hour counts in the day
        // its start falls in, and the sums of whole days agree.
        let kathmandu = jiff::tz::TimeZone::get("Asia/Kathmandu").unwrap();
        let plan = Plan::new(
            t("2026-12-01T00:00:00Z"),
            t("2026-12-04T00:00:00Z"),
            Granularity::Day,
            &kathmandu,
        );
        assert_eq!(
            plan.days,
            [(ms("2026-12-01T18:15:00Z"), ms("2026-12-03T18:15:00Z"))]
        );
        assert_eq!(
            plan.half_hours,
            [
                (ms("2026-12-01T00:00:00Z"), ms("2026-12-01T18:30:00Z")),
                (ms("2026-12-03T18:30:00Z"), ms("2026-12-04T00:00:00Z"))
            ]
        );
    }

    #[test]
    fn periods_cover_the_range_with_empty_ones() {
        let utc = jiff::tz::TimeZone::UTC;
        let days = periods(
            t("2026-12-01T10:00:00Z"),
            t("2026-12-04T00:00:00Z"),
            Granularity::Day,
            &utc,
        );
        let starts: Vec<String> = days.iter().map(|(s, _)| s.to_string()).collect();
        assert_eq!(
            starts,
            [
                "2026-12-01T00:00:00Z",
                "2026-12-02T00:00:00Z",
                "2026-12-03T00:00:00Z"
            ]
        );
        assert_eq!(days[2].1, t("2026-12-04T00:00:00Z"));
        // Half-hours: the first one starting at or after `start`, up to `end` excluded.
        let halves = periods(
            t("2026-12-01T10:10:00Z"),
            t("2026-12-01T11:30:00Z"),
            Granularity::HalfHour,
            &utc,
        );
        assert_eq!(halves.len(), 2);
        assert_eq!(halves[0].0, t("2026-12-01T10:30:00Z"));
        assert!(
            periods(
                t("2026-12-01T10:10:00Z"),
                t("2026-12-01T10:20:00Z"),
                Granularity::Day,
                &utc
            )
            .is_empty()
        );
        let months = periods(
            t("2026-11-15T00:00:00Z"),
            t("2027-01-02T00:00:00Z"),
            Granularity::Month,
            &utc,
        );
        assert_eq!(months.len(), 3);
        assert_eq!(
            months[1],
            (t("2026-12-01T00:00:00Z"), t("2027-01-01T00:00:00Z"))
        );
        // A zone whose days start mid-bucket: each day once, in order.
        let nepal = jiff::tz::TimeZone::get("Asia/Kathmandu").unwrap();
        let days = periods(
            t("2026-12-01T00:00:00Z"),
            t("2026-12-05T00:00:00Z"),
            Granularity::Day,
            &nepal,
        );
        assert!(days.windows(2).all(|w| w[0].1 == w[1].0), "{days:?}");
        assert_eq!(days.len(), 5);
    }

    #[test]
    fn delivered_messages_split_into_charged_and_free() {
        let c = Counts {
            sent: 5,
            delivered: 4,
            charged: 3,
            cost: 30_000,
            ..Counts::default()
        };
        assert_eq!(
            Delivered::of(&c),
            Delivered {
                charged: 3,
                cost: 30_000,
                free: 1
            }
        );
        let early = Counts {
            charged: 1,
            cost: 10,
            ..Counts::default()
        };
        assert_eq!(Delivered::of(&early).free, 0);
    }
}
