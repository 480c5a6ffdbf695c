//! Reports: the bounds of a date range as a client writes them. A bound is an instant
//! (RFC 3339, `2026-12-07T10:00:00+05:30`) or a calendar date (`2026-12-07`), which means
//! that day in the account's time zone: a range `from=2026-12-01&to=2026-12-07` covers
//! seven whole days there, both ends included, as the seeds' reports do (002's inclusive
//! `dd-mm-yyyy` range).

use std::str::FromStr;

use jiff::civil::Date;

use crate::Timestamp;
use crate::contact::card::Timezone;
use crate::error::ValidationError;

/// One end of a date range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeBound {
    At(Timestamp),
    Day(Date),
}

impl TimeBound {
    pub fn parse(field: &str, s: &str) -> Result<Self, ValidationError> {
        if s.len() == 10 {
            return Date::from_str(s).map(Self::Day).map_err(|_| {
                ValidationError::new(field, "must be a date like 2026-12-07 or an RFC 3339 time")
            });
        }
        s.parse::<Timestamp>().map(Self::At).map_err(|_| {
            ValidationError::new(
                field,
                "must be an RFC 3339 time like 2026-12-07T10:00:00Z or a date like 2026-12-07",
            )
        })
    }

    /// As the start of a range (included): the instant, or the first instant of the day in
    /// `tz`. `None` when that lies before the earliest time there is (no bound).
    pub fn start(self, tz: &Timezone) -> Option<Timestamp> {
        match self {
            Self::At(t) => Some(t),
            Self::Day(d) => first_instant(d, tz),
        }
    }

    /// As the end of a range (excluded): the instant, or the first instant of the next day
    /// in `tz`, so the whole day is in. `None` when that lies past the last time there is
    /// (no bound).
    pub fn end(self, tz: &Timezone) -> Option<Timestamp> {
        match self {
            Self::At(t) => Some(t),
            Self::Day(d) => d.tomorrow().ok().and_then(|next| first_instant(next, tz)),
        }
    }
}

fn first_instant(d: Date, tz: &Timezone) -> Option<Timestamp> {
    d.to_zoned(tz.zone()).ok().map(|z| z.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tz(name: &str) -> Timezone {
        Timezone::parse(name).unwrap()
    }

    #[test]
    fn a_date_is_a_whole_day_in_the_zone() {
        let kolkata = tz("Asia/Kolkata");
        let day = TimeBound::parse("from", "2026-12-07").unwrap();
        assert_eq!(
            day.start(&kolkata).unwrap().to_string(),
            "2026-12-06T18:30:00Z"
        );
        assert_eq!(
            day.end(&kolkata).unwrap().to_string(),
            "2026-12-07T18:30:00Z"
        );
        assert_eq!(
            day.start(&Timezone::utc()).unwrap().to_string(),
            "2026-12-07T00:00:00Z"
        );
    }

    #[test]
    fn instants_are_kept_as_given() {
        let t = TimeBound::parse("to", "2026-12-07T10:00:00+05:30").unwrap();
        assert_eq!(
            t.end(&tz("Europe/London")).unwrap().to_string(),
            "2026-12-07T04:30:00Z"
        );
    }

    #[test]
    fn the_ends_of_time_are_no_bound() {
        let last = TimeBound::parse("to", "9999-12-31").unwrap();
        assert_eq!(last.end(&tz("Pacific/Kiritimati")), None);
        assert!(TimeBound::parse("from", "0001-01-01").is_ok());
    }

    #[test]
    fn nonsense_is_refused() {
        for bad in [
            "2026-02-30",
            "2026-13-01",
            "07-12-2026",
            "yesterday",
            "",
            "2026-12-07T25:00:00Z",
        ] {
            assert!(TimeBound::parse("from", bad).is_err(), "{bad}");
        }
    }
}
