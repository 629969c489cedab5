//! The one place crier learns the time. Everything below the CLI takes the instant as a
//! parameter, so the same input and the same `--now` give byte-identical output.

use chrono::{DateTime, FixedOffset, Utc};

/// An injected "now": the real clock in production, a fixed instant in tests and previews.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    now: DateTime<FixedOffset>,
}

impl Clock {
    /// The system clock, read once.
    pub fn system() -> Self {
        Clock {
            now: Utc::now().fixed_offset(),
        }
    }

    /// A clock stopped at `now`.
    pub fn fixed(now: DateTime<FixedOffset>) -> Self {
        Clock { now }
    }

    /// The instant this clock shows.
    pub fn now(&self) -> DateTime<FixedOffset> {
        self.now
    }
}
