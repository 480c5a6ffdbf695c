//! Analytics: what the account's messages did, from counters kept in the transaction of
//! each change ([`wagate_core::analytics`]), never by scanning messages. A query reads the
//! half-hour rows of its range and sums them by period (half-hours, or days and months in
//! the account's time zone) and by the dimensions asked for.
//!
//! # Layout
//! - this file: the query, for every surface (the management API, Meta's analytics on the
//!   Cloud plane, the dialects' statistics next), and the pure rules those surfaces share:
//!   [`periods`] (every period of a range, for answers that list empty ones) and
//!   [`Delivered`] (delivered business messages as per-message pricing splits them).

use std::collections::BTreeMap;

use wagate_core::Timestamp;
use wagate_core::analytics::{BUCKET_MS, Counts, Granularity};
use wagate_core::error::ValidationError;
use wagate_core::ids::ChannelId;

use crate::error::Result;
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

impl Filter {
    fn admits(&self, d: &wagate_core::analytics::Dims) -> bool {
        let ok = |want: &Option<String>, have: &str| want.as_deref().is_none_or(|w| w == have);
        ok(&self.direction, &d.direction)
            && ok(&self.category, &d.category)
            && ok(&self.country, &d.country)
            && ok(&self.template, &d.template)
            && ok(&self.language, &d.language)
    }
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
    async fn account_timezone(&self, p: &Principal) -> Result<jiff::tz::TimeZone> {
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
        let tz = self.account_timezone(p).await?;
        let rows = self
            .store
            .message_counters(p.account_id, q.start, q.end, q.channel)
            .await?;
        let has = |d: Dimension| q.dimensions.contains(&d);
        let mut points: BTreeMap<PointKey, (Timestamp, Counts)> = BTreeMap::new();
        for r in rows {
            if !p.can_use(r.channel_id) || !q.filter.admits(&r.dims) {
                continue;
            }
            let (start, end) = q.granularity.period(r.bucket, &tz);
            let key = (
                start,
                has(Dimension::Channel).then_some(r.channel_id),
                has(Dimension::Direction).then(|| r.dims.direction.clone()),
                has(Dimension::Category).then(|| r.dims.category.clone()),
                has(Dimension::Country).then(|| r.dims.country.clone()),
                has(Dimension::Template)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
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
