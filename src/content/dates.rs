//! Jekyll's date formats: `2024-01-15`, `2024-01-15 10:00`, `2024-01-15 10:00:00 +0100`,
//! RFC 3339 (`2024-01-15T10:00:00Z`)... A date without an offset is in the site's time zone.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone};
use chrono_tz::Tz;

/// Parses a front-matter date. The error says which part is wrong.
pub fn parse_date(raw: &str, tz: Tz) -> Result<DateTime<FixedOffset>, String> {
    let raw = raw.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(raw) {
        return Ok(dt);
    }
    let (date_part, rest) = match raw.find([' ', 'T', 't']) {
        Some(i) => (&raw[..i], raw[i + 1..].trim()),
        None => (raw, ""),
    };
    let date = NaiveDate::parse_from_str(date_part, "%Y-%m-%d")
        .map_err(|_| format!("`{date_part}` is not a calendar date in YYYY-MM-DD form"))?;
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
            .ok_or_else(|| format!("`{raw}` is out of range"))
    }
}

pub use crate::util::time::in_zone;

fn parse_time(raw: &str) -> Result<NaiveTime, String> {
    for format in ["%H:%M:%S%.f", "%H:%M:%S", "%H:%M"] {
        if let Ok(t) = NaiveTime::parse_from_str(raw, format) {
            return Ok(t);
        }
    }
    Err(format!(
        "`{raw}` is not a time of day in HH:MM or HH:MM:SS form"
    ))
}

fn parse_offset(raw: &str) -> Result<FixedOffset, String> {
    let bad = || format!("`{raw}` is not a UTC offset such as `+0100`, `-05:00` or `Z`");
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
        parse_date(raw, chrono_tz::Europe::London).map(|d| d.to_rfc3339())
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
    fn dst_gap_moves_forward() {
        // Clocks went forward at 01:00 on 2024-03-31 in London.
        assert_eq!(p("2024-03-31 01:30").unwrap(), "2024-03-31T02:00:00+01:00");
    }
}
