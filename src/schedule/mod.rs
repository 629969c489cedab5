//! When digests go out: a crontab(5) expression evaluated in the site's time zone.
//!
//! The `cron` crate wants a seconds field, numbers weekdays from Sunday = 1, and ANDs
//! day-of-month with day-of-week. crontab(5) has five fields, Sunday = 0 or 7, and fires when
//! *either* restricted day field matches. This module translates the crontab meaning onto the
//! crate (two schedules, the earlier wins, when both day fields are restricted), and evaluates
//! them on local wall-clock time, so a time that does not exist on a daylight-saving day fires
//! at the next valid minute instead of being skipped, and an hour that happens twice fires once.

use std::str::FromStr;

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::util::in_zone;

mod next;
mod reminder;

pub use next::{next_action, Action, History};
pub use reminder::{preview_action, reminder_action, reminder_time, ReminderSettings};

const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/// Why a schedule expression is not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// Not 5 (or 6/7) fields.
    #[error("expected 5 fields (minute hour day-of-month month day-of-week), found {0}")]
    FieldCount(usize),
    /// The day-of-week field is not understood.
    #[error(
        "day-of-week `{0}`: expected 0-7 (Sunday is 0 or 7), names such as MON, ranges and lists"
    )]
    DayOfWeek(String),
    /// The `cron` crate refused the translated expression.
    #[error("`{expr}` is not a valid schedule: {why}")]
    Invalid {
        /// The expression as written.
        expr: String,
        /// The crate's complaint.
        why: String,
    },
}

/// A parsed schedule.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// One schedule, or two whose union is the crontab meaning.
    parts: Vec<cron::Schedule>,
    tz: Tz,
    /// The expression as written.
    pub source: String,
}

impl Schedule {
    /// Parses a 5-field crontab expression (or the `cron` crate's 6/7-field form with seconds).
    pub fn parse(expr: &str, tz: Tz) -> Result<Self, ScheduleError> {
        let fields: Vec<&str> = expr.split_whitespace().collect();
        let crate_exprs = match fields.len() {
            5 => translate(&fields)?,
            6 | 7 => vec![fields.join(" ")],
            n => return Err(ScheduleError::FieldCount(n)),
        };
        let parts = crate_exprs
            .iter()
            .map(|e| {
                cron::Schedule::from_str(e).map_err(|err| ScheduleError::Invalid {
                    expr: expr.to_owned(),
                    why: err.to_string(),
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Schedule {
            parts,
            tz,
            source: expr.to_owned(),
        })
    }

    /// The first firing strictly after `after`.
    pub fn next_after(&self, after: DateTime<FixedOffset>) -> Option<DateTime<FixedOffset>> {
        // Local wall-clock time, represented as UTC for the crate (it then ignores zones).
        let local = after.with_timezone(&self.tz).naive_local();
        let start = Utc.from_utc_datetime(&(local - chrono::Duration::hours(3)));
        self.parts
            .iter()
            .filter_map(|schedule| {
                schedule
                    .after(&start)
                    .take(10_000)
                    .map(|wall: DateTime<Utc>| self.instant(wall.naive_utc()))
                    .find(|instant| *instant > after)
            })
            .min()
    }

    /// The next `n` firings after `after`.
    pub fn upcoming(&self, after: DateTime<FixedOffset>, n: usize) -> Vec<DateTime<FixedOffset>> {
        let mut out = Vec::with_capacity(n);
        let mut t = after;
        while out.len() < n {
            match self.next_after(t) {
                Some(next) => {
                    out.push(next);
                    t = next;
                }
                None => break,
            }
        }
        out
    }

    /// The last firing at or before `at`, looking back at most `window`.
    pub fn last_at_or_before(
        &self,
        at: DateTime<FixedOffset>,
        window: chrono::Duration,
    ) -> Option<DateTime<FixedOffset>> {
        let mut t = at - window;
        let mut last = None;
        while let Some(next) = self.next_after(t) {
            if next > at {
                break;
            }
            last = Some(next);
            t = next;
        }
        last
    }

    fn instant(&self, wall: NaiveDateTime) -> DateTime<FixedOffset> {
        in_zone(wall, self.tz)
    }
}

/// crontab fields -> the crate's expressions (with seconds, named weekdays, OR of day fields).
fn translate(f: &[&str]) -> Result<Vec<String>, ScheduleError> {
    let (minute, hour, dom, month, dow) = (f[0], f[1], f[2], f[3], f[4]);
    let dow_names = weekdays(dow)?;
    let dom_restricted = !dom.starts_with('*');
    let dow_restricted = !dow.starts_with('*');
    Ok(if dom_restricted && dow_restricted {
        vec![
            format!("0 {minute} {hour} {dom} {month} *"),
            format!("0 {minute} {hour} * {month} {dow_names}"),
        ]
    } else {
        vec![format!("0 {minute} {hour} {dom} {month} {dow_names}")]
    })
}

/// A crontab day-of-week field (0-7, names, ranges, lists, steps) as a list of names.
fn weekdays(field: &str) -> Result<String, ScheduleError> {
    if field == "*" {
        return Ok("*".into());
    }
    let bad = || ScheduleError::DayOfWeek(field.to_owned());
    let day = |s: &str| -> Result<usize, ScheduleError> {
        if let Ok(n) = s.parse::<usize>() {
            return if n <= 7 { Ok(n % 7) } else { Err(bad()) };
        }
        DAYS.iter()
            .position(|d| s.get(..3).is_some_and(|p| d.eq_ignore_ascii_case(p)))
            .ok_or_else(bad)
    };
    let mut set = [false; 7];
    for item in field.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => (r, s.parse::<usize>().map_err(|_| bad())?.max(1)),
            None => (item, 1),
        };
        let (from, to) = if range == "*" {
            (0, 6)
        } else if let Some((a, b)) = range.split_once('-') {
            let (a, b) = (
                day(a)?,
                b.parse::<usize>()
                    .ok()
                    .filter(|n| *n == 7)
                    .map_or_else(|| day(b), |_| Ok(7))?,
            );
            (a, b)
        } else {
            let d = day(range)?;
            (d, if step > 1 { 6 } else { d })
        };
        if from > to {
            return Err(bad());
        }
        for d in (from..=to).step_by(step) {
            set[d % 7] = true;
        }
    }
    Ok(DAYS
        .iter()
        .zip(set)
        .filter(|(_, on)| *on)
        .map(|(d, _)| *d)
        .collect::<Vec<_>>()
        .join(","))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::London;

    fn at(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    fn next(expr: &str, after: &str) -> String {
        Schedule::parse(expr, London)
            .unwrap()
            .next_after(at(after))
            .unwrap()
            .to_rfc3339()
    }

    #[test]
    fn five_fields_mean_what_crontab_means() {
        // 2026-11-25 is a Wednesday.
        assert_eq!(
            next("0 9 * * MON", "2026-11-25T12:00:00Z"),
            "2026-11-30T09:00:00+00:00"
        );
        assert_eq!(
            next("0 9 * * 1", "2026-11-25T12:00:00Z"),
            "2026-11-30T09:00:00+00:00"
        );
        assert_eq!(
            next("0 9 * * 0", "2026-11-25T12:00:00Z"),
            "2026-11-29T09:00:00+00:00"
        );
        assert_eq!(
            next("0 9 * * 7", "2026-11-25T12:00:00Z"),
            "2026-11-29T09:00:00+00:00"
        );
        assert_eq!(
            next("30 8 * * 1-5", "2026-11-27T12:00:00Z"),
            "2026-11-30T08:30:00+00:00"
        );
        assert_eq!(
            next("0 9 * * */2", "2026-11-25T12:00:00Z"),
            "2026-11-26T09:00:00+00:00",
            "0,2,4,6: Thursday next"
        );
    }

    #[test]
    fn restricted_day_of_month_and_week_are_ored() {
        // "the 1st, or any Friday": from Wednesday 25 Nov, Friday 27th comes first...
        assert_eq!(
            next("0 9 1 * FRI", "2026-11-25T12:00:00Z"),
            "2026-11-27T09:00:00+00:00"
        );
        // ...and from Saturday 28th, the 1st of December (a Tuesday) comes before the Friday.
        assert_eq!(
            next("0 9 1 * FRI", "2026-11-28T12:00:00Z"),
            "2026-12-01T09:00:00+00:00"
        );
        // With a star in one day field, the other alone decides.
        assert_eq!(
            next("0 9 1 * *", "2026-11-25T12:00:00Z"),
            "2026-12-01T09:00:00+00:00"
        );
    }

    #[test]
    fn evaluated_in_the_site_time_zone_across_dst() {
        // 09:00 London is 08:00 UTC in summer.
        assert_eq!(
            next("0 9 * * *", "2026-07-01T10:00:00Z"),
            "2026-07-02T09:00:00+01:00"
        );
        // 01:30 does not exist on 2026-03-29 in London: it fires at 02:00 BST, not a day late.
        assert_eq!(
            next("30 1 * * *", "2026-03-28T12:00:00Z"),
            "2026-03-29T02:00:00+01:00"
        );
        // 01:30 happens twice on 2026-10-25: it fires once.
        let s = Schedule::parse("30 1 * * *", London).unwrap();
        let times = s.upcoming(at("2026-10-24T12:00:00Z"), 2);
        assert_eq!(times[0].to_rfc3339(), "2026-10-25T01:30:00+01:00");
        assert_eq!(times[1].to_rfc3339(), "2026-10-26T01:30:00+00:00");
    }

    #[test]
    fn six_field_form_passes_through_and_bad_input_is_explained() {
        assert_eq!(
            next("0 0 9 * * Mon", "2026-11-25T12:00:00Z"),
            "2026-11-30T09:00:00+00:00"
        );
        assert!(Schedule::parse("0 9 * *", London)
            .unwrap_err()
            .to_string()
            .contains("5 fields"));
        assert!(Schedule::parse("0 9 * * 8", London)
            .unwrap_err()
            .to_string()
            .contains("Sunday is 0 or 7"));
        assert!(Schedule::parse("61 9 * * *", London).is_err());
        assert!(
            Schedule::parse("0 9 * * éé", London).is_err(),
            "non-ASCII day names are errors, not panics"
        );
    }

    #[test]
    fn last_firing_looks_back_for_missed_slots() {
        let s = Schedule::parse("0 9 * * MON", London).unwrap();
        let last = s
            .last_at_or_before(at("2026-12-01T12:00:00Z"), chrono::Duration::days(2))
            .unwrap();
        assert_eq!(last.to_rfc3339(), "2026-11-30T09:00:00+00:00");
        assert!(s
            .last_at_or_before(at("2026-12-03T12:00:00Z"), chrono::Duration::days(2))
            .is_none());
    }
}
