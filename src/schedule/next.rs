//! What the daemon should do next, as a pure function of the schedule, the time and what was
//! sent: no sleeping, no I/O, so every case is tested without waiting.
//!
//! The rule: the latest slot at or before now (looking back at most the grace period) is due
//! if this process has not served it and no send was frozen since it. That one rule covers a
//! slot reached by waiting, a slot missed while the daemon was down (sent once on start-up),
//! and a clock that does not move (a slot is never served twice).

use chrono::{DateTime, Duration, FixedOffset, Utc};

use super::Schedule;

/// What happened before now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct History {
    /// The last slot this process served (sent, skipped as not new, or failed).
    pub served: Option<DateTime<FixedOffset>>,
    /// When the newest send in the ledger was frozen.
    pub last_send: Option<DateTime<Utc>>,
}

/// The next thing to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Send the digest for this slot now.
    SendNow(DateTime<FixedOffset>),
    /// Nothing is due before this instant.
    WaitUntil(DateTime<FixedOffset>),
    /// The schedule never fires again.
    Idle,
}

/// Decides what to do at `now`.
pub fn next_action(
    schedule: &Schedule,
    now: DateTime<FixedOffset>,
    grace: Duration,
    history: History,
) -> Action {
    if let Some(slot) = schedule.last_at_or_before(now, grace) {
        let served = history.served.is_some_and(|s| s >= slot);
        let sent_since = history.last_send.is_some_and(|t| t >= slot.to_utc());
        if !served && !sent_since {
            return Action::SendNow(slot);
        }
    }
    // Never the same slot twice, even if the clock has not moved past it (a fixed clock, or a
    // system clock stepped back).
    let after = history.served.map_or(now, |s| s.max(now));
    schedule
        .next_after(after)
        .map_or(Action::Idle, Action::WaitUntil)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::London;

    fn at(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    fn monday_nine() -> Schedule {
        Schedule::parse("0 9 * * MON", London).unwrap()
    }

    const GRACE: Duration = Duration::hours(12);

    #[test]
    fn waits_for_the_next_slot() {
        let now = at("2026-11-25T12:00:00Z");
        assert_eq!(
            next_action(&monday_nine(), now, GRACE, History::default()),
            Action::WaitUntil(at("2026-11-30T09:00:00Z"))
        );
    }

    #[test]
    fn a_slot_reached_is_sent_once() {
        let slot = at("2026-11-30T09:00:00Z");
        let history = History::default();
        assert_eq!(
            next_action(&monday_nine(), slot, GRACE, history),
            Action::SendNow(slot)
        );
        let served = History {
            served: Some(slot),
            last_send: Some(slot.to_utc()),
        };
        assert_eq!(
            next_action(&monday_nine(), slot, GRACE, served),
            Action::WaitUntil(at("2026-12-07T09:00:00Z")),
            "the clock has not moved: the next week's slot, not this one again"
        );
        let skipped = History {
            served: Some(slot),
            last_send: None,
        };
        assert_eq!(
            next_action(&monday_nine(), slot, GRACE, skipped),
            Action::WaitUntil(at("2026-12-07T09:00:00Z")),
            "a slot skipped (nothing new) is served too"
        );
    }

    #[test]
    fn a_missed_slot_within_the_grace_period_is_sent_once_after_a_restart() {
        let now = at("2026-11-30T14:00:00Z");
        let slot = at("2026-11-30T09:00:00Z");
        assert_eq!(
            next_action(&monday_nine(), now, GRACE, History::default()),
            Action::SendNow(slot)
        );
        // After a restart the process has served nothing, but the ledger has the send.
        let restarted = History {
            served: None,
            last_send: Some(at("2026-11-30T14:00:05Z").to_utc()),
        };
        assert_eq!(
            next_action(&monday_nine(), now, GRACE, restarted),
            Action::WaitUntil(at("2026-12-07T09:00:00Z"))
        );
    }

    #[test]
    fn a_slot_missed_beyond_the_grace_period_is_left() {
        let now = at("2026-11-30T22:00:00Z");
        assert_eq!(
            next_action(&monday_nine(), now, GRACE, History::default()),
            Action::WaitUntil(at("2026-12-07T09:00:00Z"))
        );
    }

    #[test]
    fn a_send_before_the_slot_does_not_count_for_it() {
        let slot = at("2026-11-30T09:00:00Z");
        let history = History {
            served: None,
            last_send: Some(at("2026-11-29T18:00:00Z").to_utc()),
        };
        assert_eq!(
            next_action(&monday_nine(), at("2026-11-30T09:00:30Z"), GRACE, history),
            Action::SendNow(slot)
        );
    }

    #[test]
    fn a_schedule_that_never_fires_again_is_idle() {
        let once = Schedule::parse("0 0 9 1 1 * 2020", London).unwrap();
        assert_eq!(
            next_action(&once, at("2026-11-25T12:00:00Z"), GRACE, History::default()),
            Action::Idle
        );
    }
}
