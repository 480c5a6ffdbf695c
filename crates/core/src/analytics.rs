//! Message analytics, kept as counters: each status change of a message (sent, delivered,
//! read, failed), each message received, each reply and each charge adds to one row per
//! channel, half-hour and dimensions (direction, pricing category, country, template and
//! its language), in the transaction of the change. A reply (an inbound message quoting a
//! business message, a quick-reply tap included) counts on the row of the message it
//! quotes, so a template's replies stand beside its sends. A query sums rows, never messages; days and months are
//! summed from half-hours in the account's time zone.

use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::message::{Direction, Message, MessageStatus};

/// Milliseconds in a counter's bucket.
pub const BUCKET_MS: i64 = 30 * 60 * 1000;

/// The half-hour `t` falls in (its start, Unix milliseconds).
pub fn bucket(t: Timestamp) -> i64 {
    t.as_millisecond().div_euclid(BUCKET_MS) * BUCKET_MS
}

/// What a change counts as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    Sent,
    Delivered,
    Read,
    Failed,
    Received,
    /// A user quoted this (business) message in a message of theirs.
    Replied,
}

/// The dimensions a counter row is kept by.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Dims {
    /// `business_initiated` (our messages) or `user_initiated` (theirs).
    pub direction: String,
    /// Meta's pricing category (`marketing`, `utility`, `authentication`, `service`…).
    pub category: String,
    /// ISO 3166 country of the user's number, `*` when unknown.
    pub country: String,
    /// The template's name, empty for other messages.
    pub template: String,
    /// The template's language code, empty for other messages.
    pub language: String,
}

/// A message's dimensions.
pub fn dims(m: &Message) -> Dims {
    let category = m
        .pricing
        .as_ref()
        .map(|p| p.category)
        .or_else(|| m.content.template_category())
        .map_or("service", |c| c.as_str());
    let template = m.content.template_name();
    Dims {
        direction: match m.direction {
            Direction::Outbound => "business_initiated",
            Direction::Inbound => "user_initiated",
        }
        .to_owned(),
        category: category.to_owned(),
        country: m
            .wa_id
            .as_ref()
            .and_then(|w| crate::registration::country_of(w.digits()))
            .map_or_else(|| "*".to_owned(), |(_, c)| c.to_owned()),
        template: template
            .map(|(name, _)| name.to_owned())
            .unwrap_or_default(),
        language: template
            .map(|(_, lang)| lang.to_owned())
            .unwrap_or_default(),
    }
}

/// What a message that just changed counts as, and when: its status and that status's time.
pub fn change(m: &Message) -> Option<(Metric, Timestamp)> {
    match (m.direction, m.status) {
        (Direction::Inbound, _) => Some((Metric::Received, m.created_at)),
        (Direction::Outbound, MessageStatus::Sent) => Some((Metric::Sent, m.sent_at?)),
        (Direction::Outbound, MessageStatus::Delivered) => {
            Some((Metric::Delivered, m.delivered_at?))
        }
        (Direction::Outbound, MessageStatus::Read) => Some((Metric::Read, m.read_at?)),
        (Direction::Outbound, MessageStatus::Failed) => Some((Metric::Failed, m.failed_at?)),
        _ => None,
    }
}

/// A counter row's figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Counts {
    pub sent: i64,
    pub delivered: i64,
    pub read: i64,
    pub failed: i64,
    pub received: i64,
    /// Replies to these (business) messages: inbound messages quoting one.
    pub replied: i64,
    /// Messages charged.
    pub charged: i64,
    /// Charged, in micro-units of the wallet's currency (messages for a quota wallet).
    pub cost: i64,
}

impl Counts {
    pub fn of(metric: Metric) -> Self {
        let mut c = Self::default();
        match metric {
            Metric::Sent => c.sent = 1,
            Metric::Delivered => c.delivered = 1,
            Metric::Read => c.read = 1,
            Metric::Failed => c.failed = 1,
            Metric::Received => c.received = 1,
            Metric::Replied => c.replied = 1,
        }
        c
    }

    pub fn add(&mut self, o: &Counts) {
        self.sent += o.sent;
        self.delivered += o.delivered;
        self.read += o.read;
        self.failed += o.failed;
        self.received += o.received;
        self.replied += o.replied;
        self.charged += o.charged;
        self.cost += o.cost;
    }
}

/// How query results are grouped in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    HalfHour,
    Day,
    Month,
}

impl Granularity {
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "half_hour" => Some(Self::HalfHour),
            "day" | "daily" => Some(Self::Day),
            "month" | "monthly" => Some(Self::Month),
            _ => None,
        }
    }

    /// The period `bucket` (a half-hour start) belongs to, in `tz`: `[start, end)`.
    pub fn period(self, bucket_ms: i64, tz: &jiff::tz::TimeZone) -> (Timestamp, Timestamp) {
        let t = Timestamp::from_millisecond(bucket_ms).unwrap_or(Timestamp::UNIX_EPOCH);
        match self {
            Self::HalfHour => (t, t + jiff::SignedDuration::from_mins(30)),
            Self::Day | Self::Month => {
                let date = t.to_zoned(tz.clone()).date();
                let (first, next) = if self == Self::Day {
                    (date, date.tomorrow().unwrap_or(date))
                } else {
                    let first = date.first_of_month();
                    (first, first.last_of_month().tomorrow().unwrap_or(first))
                };
                let at = |d: jiff::civil::Date| d.to_zoned(tz.clone()).map_or(t, |z| z.timestamp());
                (at(first), at(next))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_half_hours_and_periods_follow_the_zone() {
        let t: Timestamp = "2026-12-07T03:44:10Z".parse().unwrap();
        let b = bucket(t);
        assert_eq!(
            Timestamp::from_millisecond(b).unwrap().to_string(),
            "2026-12-07T03:30:00Z"
        );
        let kolkata = jiff::tz::TimeZone::get("Asia/Kolkata").unwrap();
        let (start, end) = Granularity::Day.period(b, &kolkata);
        assert_eq!(start.to_string(), "2026-12-06T18:30:00Z");
        assert_eq!(end.to_string(), "2026-12-07T18:30:00Z");
        let (start, _) = Granularity::Month.period(b, &jiff::tz::TimeZone::UTC);
        assert_eq!(start.to_string(), "2026-12-01T00:00:00Z");
        let (s, e) = Granularity::HalfHour.period(b, &kolkata);
        assert_eq!(e.as_second() - s.as_second(), 1800);
        assert_eq!(Granularity::parse("DAILY"), Some(Granularity::Day));
    }
}
