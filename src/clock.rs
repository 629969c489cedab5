//! The one place crier learns the time. Everything below the CLI takes the instant as a
//! parameter (or a [`Clock`]), so the same input and the same `--now` give byte-identical output.

use chrono::{DateTime, FixedOffset, Utc};

/// An injected "now": the real clock in production, a fixed instant in tests and previews.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// The system clock, read at each call (the daemon runs for months).
    System,
    /// A clock stopped at one instant.
    Fixed(DateTime<FixedOffset>),
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Clock::System
    }

    /// A clock stopped at `now`.
    pub fn fixed(now: DateTime<FixedOffset>) -> Self {
        Clock::Fixed(now)
    }

    /// The instant this clock shows, in UTC (for the ledger).
    pub fn now_utc(&self) -> DateTime<Utc> {
        self.now().with_timezone(&Utc)
    }

    /// The instant this clock shows.
    pub fn now(&self) -> DateTime<FixedOffset> {
        match self {
            Clock::System => Utc::now().fixed_offset(),
            Clock::Fixed(now) => *now,
        }
    }
}
