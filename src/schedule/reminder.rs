//! When the reminder before an event is due, as pure functions of the event, the settings and
//! the time (no I/O), like [`super::next_action`] for digests.
//!
//! The reminder is due `days_before` days before the event's date at the configured time, in
//! the site's time zone. Missed while the daemon was down, it is still sent if it is at most
//! the grace period late and the event has not started; never after that, and never twice
//! (the ledger knows it was sent).

use chrono::{DateTime, Duration, FixedOffset, NaiveTime};
use chrono_tz::Tz;

use super::Action;
use crate::util::in_zone;

/// When the reminder before an event is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReminderSettings {
    /// How many days before the event's date (0: the same day).
    pub days_before: u32,
    /// The time of day, in the site's time zone.
    pub time: NaiveTime,
}

impl Default for ReminderSettings {
    /// The day before at 09:00.
    fn default() -> Self {
        ReminderSettings {
            days_before: 1,
            time: NaiveTime::from_hms_opt(9, 0, 0).unwrap_or(NaiveTime::MIN),
        }
    }
}

/// What to do about the organisers' preview of a send due at `send_at`, `hours` before it:
/// send it now, wait for it, or nothing (`None`: sent already, or the send itself is due).
pub fn preview_action(
    send_at: DateTime<FixedOffset>,
    now: DateTime<FixedOffset>,
    hours: u32,
    sent: bool,
) -> Option<Action> {
    if sent || now >= send_at {
        return None;
    }
    let due = send_at - Duration::hours(i64::from(hours));
    Some(if now < due {
        Action::WaitUntil(due)
    } else {
        Action::SendNow(due)
    })
}

/// The moment the reminder of an event starting at `start` is due.
pub fn reminder_time(
    start: DateTime<FixedOffset>,
    settings: &ReminderSettings,
    tz: Tz,
) -> DateTime<FixedOffset> {
    let day = start.with_timezone(&tz).date_naive() - Duration::days(settings.days_before.into());
    in_zone(day.and_time(settings.time), tz)
}

/// What to do about the reminder due at `due` for an event starting at `start`: send it now,
/// wait for it, or nothing (`None`: already sent, too late, or the event has begun).
pub fn reminder_action(
    due: DateTime<FixedOffset>,
    start: DateTime<FixedOffset>,
    now: DateTime<FixedOffset>,
    grace: Duration,
    sent: bool,
) -> Option<Action> {
    if sent || now >= start || due >= start {
        return None;
    }
    if now < due {
        return Some(Action::WaitUntil(due));
    }
    (now - due <= grace).then_some(Action::SendNow(due))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveTime;
    use chrono_tz::Europe::London;

    fn at(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    fn settings(days_before: u32, time: &str) -> ReminderSettings {
        ReminderSettings {
            days_before,
            time: NaiveTime::parse_from_str(time, "%H:%M").unwrap(),
        }
    }

    const GRACE: Duration = Duration::hours(12);

    #[test]
    fn the_day_before_at_nine_in_the_site_zone() {
        let start = at("2026-12-09T18:30:00Z");
        assert_eq!(
            reminder_time(start, &settings(1, "09:00"), London),
            at("2026-12-08T09:00:00Z")
        );
        // Summer time: 09:00 in London is 08:00 UTC.
        assert_eq!(
            reminder_time(at("2026-07-09T17:30:00Z"), &settings(1, "09:00"), London),
            at("2026-07-08T09:00:00+01:00")
        );
        // The event's local date counts: 00:30 BST on 10 July is 23:30 UTC on 9 July.
        assert_eq!(
            reminder_time(at("2026-07-09T23:30:00Z"), &settings(0, "00:15"), London),
            at("2026-07-10T00:15:00+01:00")
        );
        // Across the clock change: the Sunday 29 March 2026, 01:30 does not exist.
        assert_eq!(
            reminder_time(
                at("2026-03-30T18:00:00+01:00"),
                &settings(1, "01:30"),
                London
            ),
            at("2026-03-29T02:00:00+01:00")
        );
    }

    #[test]
    fn sent_once_when_due_late_within_the_grace_and_never_after_the_start() {
        let start = at("2026-12-09T18:30:00Z");
        let due = at("2026-12-08T09:00:00Z");
        let action = |now: &str, sent| reminder_action(due, start, at(now), GRACE, sent);
        assert_eq!(
            action("2026-12-01T12:00:00Z", false),
            Some(Action::WaitUntil(due))
        );
        assert_eq!(
            action("2026-12-08T09:00:00Z", false),
            Some(Action::SendNow(due))
        );
        assert_eq!(
            action("2026-12-08T20:00:00Z", false),
            Some(Action::SendNow(due))
        );
        assert_eq!(action("2026-12-08T09:00:00Z", true), None, "already sent");
        assert_eq!(action("2026-12-08T22:00:00Z", false), None, "too late");
        assert_eq!(action("2026-12-09T19:00:00Z", false), None, "it began");
        let after_start = at("2026-12-09T20:00:00Z");
        assert_eq!(
            reminder_action(after_start, start, at("2026-12-01T12:00:00Z"), GRACE, false),
            None,
            "a reminder due after the event starts is never sent"
        );
    }
}
