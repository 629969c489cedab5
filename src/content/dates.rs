//! Jekyll's date formats: `2024-01-15`, `2024-01-15 10:00`, `2024-01-15 10:00:00 +0100`,
//! RFC 3339 (`2024-01-15T10:00:00Z`)... A date without an offset is in the site's time zone.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveTime, TimeZone};
use chrono_tz::Tz;

/// The earliest year a post, an update or an event may carry.
///
/// Dates are range-checked where they are read (front matter, file names, `event:`), so
/// nothing downstream ever meets a date it cannot write: RSS (RFC 2822) and iCalendar need
/// four-digit, non-negative years, in local time and in UTC alike. Four-digit years are also
/// what Jekyll's `YYYY-MM-DD-slug.md` names allow.
pub const MIN_YEAR: i32 = 1000;

/// The latest year a date may carry. One below 9999 so that moving a date to UTC (at most a
/// day) or inferring "next year" for an event never produces a five-digit year.
pub const MAX_YEAR: i32 = 9998;

/// Why a date, time or offset could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// The date part is not `YYYY-MM-DD` or not a real day.
    #[error("`{0}` is not a calendar date in YYYY-MM-DD form")]
    NotADate(String),
    /// The time part is not `HH:MM` or `HH:MM:SS`.
    #[error("`{0}` is not a time of day in HH:MM or HH:MM:SS form")]
    NotATime(String),
    /// The offset is not `+0100`, `-05:00`, `Z`...
    #[error("`{0}` is not a UTC offset such as `+0100`, `-05:00` or `Z`")]
    NotAnOffset(String),
    /// The year is outside [`MIN_YEAR`]..=[`MAX_YEAR`].
    #[error("the year {year} is outside the supported range: years {MIN_YEAR} to {MAX_YEAR}")]
    OutOfRange {
        /// The year found.
        year: i32,
    },
}

/// Checks that `date` is within [`MIN_YEAR`]..=[`MAX_YEAR`].
pub fn check_range(date: NaiveDate) -> Result<NaiveDate, DateError> {
    if (MIN_YEAR..=MAX_YEAR).contains(&date.year()) {
        Ok(date)
    } else {
        Err(DateError::OutOfRange { year: date.year() })
    }
}

/// Parses a front-matter date. The error says which part is wrong; dates outside
/// [`MIN_YEAR`]..=[`MAX_YEAR`] are errors (in UTC such a date is at most a day away, so its
/// year still has four digits).
pub fn parse_date(raw: &str, tz: Tz) -> Result<DateTime<FixedOffset>, DateError> {
    let dt = parse_unchecked(raw, tz)?;
    check_range(dt.date_naive())?;
    Ok(dt)
}

fn parse_unchecked(raw: &str, tz: Tz) -> Result<DateTime<FixedOffset>, DateError> {
    let raw = raw.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(raw) {
        return Ok(dt);
    }
    let (date_part, rest) = match raw.find([' ', 'T', 't']) {
        Some(i) => (&raw[..i], raw[i + 1..].trim()),
        None => (raw, ""),
    };
    let date = NaiveDate::parse_from_str(date_part, "%Y-%m-%d")
        .map_err(|_| DateError::NotADate(date_part.to_owned()))?;
    check_range(date)?;
    let (time_part, offset_part) = match rest.find([' ', '+', '-', 'Z', 'z']) {
        Some(i) => (&rest[..i], rest[i..].trim()),
        None => (rest, ""),
    };
    let time = if time_part.is_empty() {
        NaiveTime::MIN
    } else {
        parse_time(time_part)?
    };
    let naive = date.and_time(time);
    if offset_part.is_empty() {
        Ok(in_zone(naive, tz))
    } else {
        let offset = parse_offset(offset_part)?;
        offset
            .from_local_datetime(&naive)
            .single()
            .ok_or(DateError::OutOfRange { year: date.year() })
    }
}

pub use crate::util::time::in_zone;

fn parse_time(raw: &str) -> Result<NaiveTime, DateError> {
    for format in ["%H:%M:%S%.f", "%H:%M:%S", "%H:%M"] {
        if let Ok(t) = NaiveTime::parse_from_str(raw, format) {
            return Ok(t);
        }
    }
    Err(DateError::NotATime(raw.to_owned()))
}

fn parse_offset(raw: &str) -> Result<FixedOffset, DateError> {
    let bad = || DateError::NotAnOffset(raw.to_owned());
    if matches!(raw, "Z" | "z" | "UTC" | "GMT") {
        return FixedOffset::east_opt(0).ok_or_else(bad);
    }
    let sign = match raw.as_bytes().first() {
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ => return Err(bad()),
    };
    let digits: String = raw[1..].chars().filter(|c| *c != ':').collect();
    if !digits.chars().all(|c| c.is_ascii_digit()) || !matches!(digits.len(), 2 | 4) {
        return Err(bad());
    }
    let hours: i32 = digits[..2].parse().map_err(|_| bad())?;
    let minutes: i32 = digits.get(2..).unwrap_or("0").parse().unwrap_or(0);
    if hours > 23 || minutes > 59 {
        return Err(bad());
    }
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60)).ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(raw: &str) -> Result<String, String> {
        parse_date(raw, chrono_tz::Europe::London)
            .map(|d| d.to_rfc3339())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn accepts_jekyll_forms() {
        assert_eq!(p("2024-01-15").unwrap(), "2024-01-15T00:00:00+00:00");
        assert_eq!(p("2024-07-15").unwrap(), "2024-07-15T00:00:00+01:00");
        assert_eq!(p("2024-07-15 18:30").unwrap(), "2024-07-15T18:30:00+01:00");
        assert_eq!(
            p("2024-01-15 10:00:00 +0100").unwrap(),
            "2024-01-15T10:00:00+01:00"
        );
        assert_eq!(
            p("2024-01-15 10:00:00 -05:00").unwrap(),
            "2024-01-15T10:00:00-05:00"
        );
        assert_eq!(
            p("2024-01-15T10:00:00Z").unwrap(),
            "2024-01-15T10:00:00+00:00"
        );
        assert_eq!(
            p("2024-01-15 10:00:00 UTC").unwrap(),
            "2024-01-15T10:00:00+00:00"
        );
        assert_eq!(
            p("2024-01-15 10:00:00.5").unwrap(),
            "2024-01-15T10:00:00.500+00:00"
        );
    }

    #[test]
    fn rejects_impossible_values_with_reasons() {
        assert!(p("2021-02-30").unwrap_err().contains("2021-02-30"));
        assert!(p("2024-01-15 25:00").unwrap_err().contains("25:00"));
        assert!(p("2024-01-15 10:00 +2500").unwrap_err().contains("+2500"));
        assert!(p("15/01/2024").is_err());
        assert!(p("").is_err());
    }

    #[test]
    fn out_of_range_years_are_errors() {
        for raw in [
            "-0001-01-01",
            "0000-01-01",
            "0999-12-31",
            "9999-01-01",
            "+10000-01-01",
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:00:00-05:00",
            "0500-01-01 10:00 +0100",
        ] {
            let err = parse_date(raw, chrono_tz::Europe::London).unwrap_err();
            assert!(
                matches!(err, DateError::OutOfRange { .. }),
                "{raw}: {err:?}"
            );
            assert!(err.to_string().contains("1000 to 9998"), "{err}");
        }
        assert!(p("1000-01-01").is_ok());
        assert!(p("9998-12-31 23:59 -0500").is_ok());
        assert!(p("9998-12-30 12:00").is_ok());
    }

    #[test]
    fn dst_gap_moves_forward() {
        // Clocks went forward at 01:00 on 2024-03-31 in London.
        assert_eq!(p("2024-03-31 01:30").unwrap(), "2024-03-31T02:00:00+01:00");
    }
}
