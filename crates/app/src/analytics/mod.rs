//! Analytics: what the account's messages did, from counters kept in the transaction of
//! each change ([`wagate_core::analytics`]), never by scanning messages. A query reads the
//! half-hour rows of its range and sums them by period (half-hours, or days and months in
//! the account's time zone) and by the dimensions asked for.
//!
//! # Layout
//! - this file: the query, for every surface (the management API now; Meta's analytics
//!   fields and the dialects' statistics next).

use std::collections::BTreeMap;

use wagate_core::Timestamp;
use wagate_core::analytics::{Counts, Granularity};
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

impl App {
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
        let tz =
            jiff::tz::TimeZone::get(account.timezone.as_str()).unwrap_or(jiff::tz::TimeZone::UTC);
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
