//! What happens to a delivery after one attempt: the retry state machine, without I/O.
//!
//! ```text
//! queued --start--> sending --250--> sent
//!                      |---5xx------> failed (5.1.x also suppresses the address)
//!                      |---4xx/io---> queued, retried after a backoff while attempts remain,
//!                                     else left queued for the next run (deferred)
//! ```

use std::time::Duration;

use super::super::transport::SendError;
use crate::ledger::Status;

/// Retries within one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per message within one run.
    pub max_attempts: u32,
    /// First retry delay; doubled each attempt, capped at ten minutes.
    pub base: Duration,
}

/// The decision after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Accepted: record `sent`.
    Sent,
    /// Refused for good: record `failed`, and suppress the address if `suppress`.
    Failed {
        /// The mailbox does not exist.
        suppress: bool,
    },
    /// Try again after this delay (the row stays `queued`).
    RetryAfter(Duration),
    /// Give up for this run (the row stays `queued`; the next run sends it).
    Defer,
}

impl Next {
    /// The delivery status to record.
    pub fn status(self) -> Status {
        match self {
            Next::Sent => Status::Sent,
            Next::Failed { .. } => Status::Failed,
            Next::RetryAfter(_) | Next::Defer => Status::Queued,
        }
    }
}

impl RetryPolicy {
    /// Decides after attempt number `attempt` (1 for the first) for `address`; `stopping` means
    /// a shutdown was requested, so nothing is retried in this run.
    pub fn after(
        &self,
        attempt: u32,
        result: &Result<String, SendError>,
        stopping: bool,
        address: &str,
    ) -> Next {
        match result {
            Ok(_) => Next::Sent,
            Err(e) if e.is_transient() => {
                if attempt < self.max_attempts && !stopping {
                    Next::RetryAfter(backoff(self.base, attempt, address))
                } else {
                    Next::Defer
                }
            }
            Err(e) => Next::Failed {
                suppress: e.is_no_such_user(),
            },
        }
    }
}

/// `base * 2^(attempt-1)`, capped at ten minutes, plus up to 25% jitter derived from the
/// address (deterministic, but spread across recipients so retries do not arrive in a herd).
pub fn backoff(base: Duration, attempt: u32, address: &str) -> Duration {
    let exp = base
        .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
        .min(Duration::from_secs(600));
    let spread = address.bytes().fold(attempt, |h, b| {
        h.wrapping_mul(31).wrapping_add(u32::from(b))
    }) % 1000;
    exp + exp.mul_f64(0.25 * f64::from(spread) / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: RetryPolicy = RetryPolicy {
        max_attempts: 3,
        base: Duration::from_secs(2),
    };

    #[test]
    fn backoff_grows_and_is_capped() {
        let base = Duration::from_secs(2);
        let one = backoff(base, 1, "a@example.com");
        let two = backoff(base, 2, "a@example.com");
        assert!(one >= base && one <= base.mul_f64(1.25));
        assert!(two >= base * 2 && two > one);
        assert!(backoff(base, 40, "a@example.com") <= Duration::from_secs(750));
    }

    #[test]
    fn each_reply_leads_to_one_state() {
        let a = "a@example.com";
        assert_eq!(POLICY.after(1, &Ok("250 ok".into()), false, a), Next::Sent);
        let busy = Err(SendError::transient("451 try later"));
        assert!(matches!(
            POLICY.after(1, &busy, false, a),
            Next::RetryAfter(_)
        ));
        assert_eq!(
            POLICY.after(3, &busy, false, a),
            Next::Defer,
            "attempts ran out"
        );
        assert_eq!(
            POLICY.after(1, &busy, true, a),
            Next::Defer,
            "shutting down"
        );
        let refused = Err(SendError::permanent("554 rejected"));
        assert_eq!(
            POLICY.after(1, &refused, false, a),
            Next::Failed { suppress: false }
        );
        let gone = Err(SendError::no_such_user("550 5.1.1 no such user"));
        assert_eq!(
            POLICY.after(1, &gone, false, a),
            Next::Failed { suppress: true }
        );
        assert_eq!(Next::Defer.status(), Status::Queued);
        assert_eq!(Next::Failed { suppress: true }.status(), Status::Failed);
    }
}
