//! Replay protection: the ids of accepted requests, remembered for as long as their signed
//! timestamps would still be accepted.

use std::collections::{HashMap, VecDeque};

use chrono::{DateTime, Duration, Utc};

use super::WebhookSettings;

/// Remembers accepted requests, so that a captured request sent again is refused. Only
/// requests that have passed every other check are shown to it.
pub trait Guard {
    /// Whether `id` from `provider` was seen within the guard's window; when not, it is
    /// recorded as seen at `at` (the request's arrival).
    fn seen(&mut self, provider: &'static str, id: &str, at: DateTime<Utc>) -> bool;

    /// Forgets `id`: for a caller that could not act on an accepted request and answers with an
    /// error, so that the provider's retry is accepted. Does nothing by default.
    fn forget(&mut self, provider: &'static str, id: &str) {
        let _ = (provider, id);
    }
}

/// A [`Guard`] in memory, bounded in time (`window`) and size (`capacity`): past the
/// capacity, the oldest ids are dropped first. The window must be at least
/// [`WebhookSettings::replay_window`] for replays to be refused by one check or the other.
#[derive(Debug, Clone)]
pub struct MemoryGuard {
    window: Duration,
    capacity: usize,
    seen: HashMap<(&'static str, String), DateTime<Utc>>,
    /// Ids in the order they were recorded; an id forgotten and seen again appears twice, its
    /// older entry no longer matching `seen`.
    order: VecDeque<(DateTime<Utc>, &'static str, String)>,
}

impl MemoryGuard {
    /// Most ids remembered by [`MemoryGuard::for_settings`].
    pub const DEFAULT_CAPACITY: usize = 100_000;

    /// A guard remembering ids for `window`, at most `capacity` of them.
    pub fn new(window: Duration, capacity: usize) -> Self {
        MemoryGuard {
            window,
            capacity: capacity.max(1),
            seen: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    /// A guard with the window `settings` need and [`Self::DEFAULT_CAPACITY`].
    pub fn for_settings(settings: &WebhookSettings) -> Self {
        Self::new(settings.replay_window(), Self::DEFAULT_CAPACITY)
    }

    /// How many ids are remembered.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// Whether no id is remembered.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    /// Drops the oldest entry, and its id unless it was seen again since.
    fn drop_oldest(&mut self) {
        if let Some((at, provider, id)) = self.order.pop_front() {
            let key = (provider, id);
            if self.seen.get(&key) == Some(&at) {
                self.seen.remove(&key);
            }
        }
    }
}

impl Guard for MemoryGuard {
    fn seen(&mut self, provider: &'static str, id: &str, at: DateTime<Utc>) -> bool {
        while self
            .order
            .front()
            .is_some_and(|(then, _, _)| *then + self.window <= at)
        {
            self.drop_oldest();
        }
        let key = (provider, id.to_owned());
        if self.seen.contains_key(&key) {
            return true;
        }
        self.seen.insert(key, at);
        self.order.push_back((at, provider, id.to_owned()));
        while self.seen.len() > self.capacity || self.order.len() > 2 * self.capacity {
            self.drop_oldest();
        }
        false
    }

    fn forget(&mut self, provider: &'static str, id: &str) {
        self.seen.remove(&(provider, id.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + minute * 60, 0).unwrap_or_default()
    }

    #[test]
    fn an_id_is_refused_again_within_the_window_and_forgotten_after_it() {
        let mut guard = MemoryGuard::new(Duration::minutes(10), 100);
        assert!(!guard.seen("mailgun", "t1", at(0)));
        assert!(guard.seen("mailgun", "t1", at(5)));
        assert!(!guard.seen("sendgrid", "t1", at(5)), "ids are per provider");
        assert!(
            !guard.seen("mailgun", "t1", at(10)),
            "expired with the window"
        );
        assert_eq!(guard.len(), 2);
    }

    #[test]
    fn the_guard_stays_within_its_capacity_dropping_the_oldest() {
        let mut guard = MemoryGuard::new(Duration::hours(1), 3);
        for id in ["a", "b", "c", "d"] {
            assert!(!guard.seen("ses", id, at(0)));
        }
        assert_eq!(guard.len(), 3);
        assert!(!guard.seen("ses", "a", at(1)), "the oldest was dropped");
        assert!(guard.seen("ses", "d", at(1)));
    }

    #[test]
    fn a_forgotten_id_is_accepted_once_more() {
        let mut guard = MemoryGuard::new(Duration::minutes(10), 10);
        assert!(!guard.seen("postmark", "Bounce:1", at(0)));
        guard.forget("postmark", "Bounce:1");
        assert!(!guard.seen("postmark", "Bounce:1", at(8)));
        // The first entry expires at minute 10; the second must survive it.
        assert!(guard.seen("postmark", "Bounce:1", at(12)));
    }
}
