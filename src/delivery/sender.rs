//! Delivering a frozen digest: compose each pending recipient's message, record `sending`,
//! hand it to the transport, and record the reply before anything else happens to that row.
//!
//! Up to `concurrency` messages are in flight at once (that is also the most that can be sent
//! twice after a `kill -9`: their rows are `sending` and are re-sent on resume, with the same
//! Message-ID). Temporary failures are retried with exponential backoff and jitter; when the
//! attempts run out the row stays queued, so the next run picks it up. Permanent failures are
//! recorded, and a "no such user" suppresses the address.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::ledger::{Delivery, DigestRow, Ledger, LedgerError, Status};
use super::transport::{Outgoing, SendError, Transport};
use crate::clock::Clock;
use crate::email::Composer;
use crate::subscribers::Subscriber;

/// Knobs for one delivery run.
#[derive(Debug, Clone)]
pub struct SendOptions {
    /// Messages in flight at once.
    pub concurrency: usize,
    /// Most messages per second (0: unlimited).
    pub rate_per_second: f64,
    /// Attempts per message within this run.
    pub max_attempts: u32,
    /// First retry delay.
    pub retry_base: Duration,
    /// Envelope sender.
    pub from: String,
}

/// How a run ended.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Accepted in this run.
    pub sent: usize,
    /// Refused permanently in this run.
    pub failed: usize,
    /// Still queued after their attempts ran out (server unavailable): the next run sends them.
    pub deferred: usize,
    /// Stopped early by a shutdown request.
    pub interrupted: bool,
    /// The digest has no queued or in-flight rows left.
    pub finished: bool,
}

/// Reports progress (a progress bar on a terminal, log lines otherwise).
pub trait Progress {
    /// Called once with the number of messages to send.
    fn start(&mut self, total: usize);
    /// Called after each recorded reply.
    fn advance(&mut self, address: &str, result: &Result<String, SendError>);
    /// Called at the end.
    fn finish(&mut self, outcome: &Outcome);
}

struct Job {
    delivery: Delivery,
    attempts: u32,
    due: Instant,
}

/// Delivers every pending row of `digest`. `shutdown` turning true stops new sends; messages
/// already in flight are waited for (up to `grace`) and recorded.
#[allow(clippy::too_many_arguments)]
pub async fn deliver(
    ledger: &Ledger,
    digest: &DigestRow,
    composer: &mut Composer<'_>,
    transport: Arc<Transport>,
    options: &SendOptions,
    clock: &dyn Fn() -> Clock,
    progress: &mut dyn Progress,
    mut shutdown: watch::Receiver<bool>,
) -> Result<Outcome, LedgerError> {
    let counts = ledger.counts(&digest.id)?;
    progress.start((counts.queued + counts.sending) as usize);
    // Rows are paged in from the ledger as the queue drains: memory stays flat however long
    // the list is. Retries wait in the queue with their due time.
    let page = (options.concurrency.max(1) * 64) as i64;
    let mut cursor = -1i64;
    let mut exhausted = false;
    let mut queue: VecDeque<Job> = VecDeque::new();
    let mut in_flight: JoinSet<(Job, Result<String, SendError>)> = JoinSet::new();
    let mut outcome = Outcome::default();
    let gap = (options.rate_per_second > 0.0)
        .then(|| Duration::from_secs_f64(1.0 / options.rate_per_second));
    let mut next_slot = Instant::now();
    let mut stopping = *shutdown.borrow();

    let mut finished: Vec<(Job, Result<String, SendError>)> = Vec::new();
    loop {
        // One transaction per turn (one fsync): the replies that arrived, then the rows about
        // to be sent marked `sending`. Sends start only after the commit, so at most
        // `concurrency` rows are ever uncertain after a crash.
        ledger.begin()?;
        for (mut job, result) in finished.drain(..) {
            let now = clock().now();
            let address = job.delivery.address.clone();
            job.attempts += 1;
            match &result {
                Ok(reply) => {
                    ledger.mark(&digest.id, &address, Status::Sent, Some(reply), true, now)?;
                    outcome.sent += 1;
                }
                Err(e) if e.transient => {
                    ledger.mark(
                        &digest.id,
                        &address,
                        Status::Queued,
                        Some(&e.message),
                        true,
                        now,
                    )?;
                    if job.attempts < options.max_attempts && !stopping {
                        job.due =
                            Instant::now() + backoff(options.retry_base, job.attempts, &address);
                        queue.push_back(job);
                    } else {
                        outcome.deferred += 1;
                    }
                }
                Err(e) => {
                    ledger.mark(
                        &digest.id,
                        &address,
                        Status::Failed,
                        Some(&e.message),
                        true,
                        now,
                    )?;
                    if e.no_such_user {
                        ledger.suppress(&address, &format!("hard bounce: {}", e.message), now)?;
                    }
                    outcome.failed += 1;
                }
            }
            progress.advance(&address, &result);
        }

        if !exhausted && queue.len() < options.concurrency.max(1) * 2 {
            let more = ledger.pending_after(&digest.id, cursor, page)?;
            exhausted = (more.len() as i64) < page;
            if let Some(last) = more.last() {
                cursor = last.seq;
            }
            queue.extend(more.into_iter().map(|delivery| Job {
                attempts: 0,
                due: Instant::now(),
                delivery,
            }));
        }

        let mut starting = Vec::new();
        while !stopping && in_flight.len() + starting.len() < options.concurrency.max(1) {
            let Some(position) = queue.iter().position(|j| j.due <= Instant::now()) else {
                break;
            };
            if let Some(gap) = gap {
                let now = Instant::now();
                if next_slot > now {
                    tokio::time::sleep_until(next_slot).await;
                }
                next_slot = next_slot.max(now) + gap;
            }
            let Some(job) = queue.remove(position) else {
                break;
            };
            let now = clock().now();
            let address = job.delivery.address.clone();
            let composed = serde_json::from_str::<Subscriber>(&job.delivery.subscriber)
                .map_err(|e| format!("cannot read the frozen subscriber: {e}"))
                .and_then(|sub| {
                    composer
                        .compose(&sub)
                        .map_err(|d| format!("cannot compose: {d}"))
                });
            match composed {
                Ok(message) => {
                    ledger.mark(&digest.id, &address, Status::Sending, None, false, now)?;
                    starting.push((job, message.bytes));
                }
                Err(reply) => {
                    ledger.mark(
                        &digest.id,
                        &address,
                        Status::Failed,
                        Some(&reply),
                        false,
                        now,
                    )?;
                    outcome.failed += 1;
                    let error = SendError {
                        transient: false,
                        no_such_user: false,
                        message: reply,
                    };
                    progress.advance(&address, &Err(error));
                }
            }
        }
        ledger.commit()?;

        for (job, bytes) in starting {
            let transport = Arc::clone(&transport);
            let from = options.from.clone();
            let file_stem = format!(
                "{}/{:06}-{}",
                digest.id,
                job.delivery.seq + 1,
                crate::output::address_file_name(&job.delivery.address)
            );
            in_flight.spawn(async move {
                let result = transport
                    .send(Outgoing {
                        from: &from,
                        to: &job.delivery.address,
                        bytes: &bytes,
                        file_stem,
                    })
                    .await;
                (job, result)
            });
        }

        if in_flight.is_empty() && ((queue.is_empty() && exhausted) || stopping) {
            break;
        }

        let next_due = queue.iter().map(|j| j.due).min();
        tokio::select! {
            Some(joined) = in_flight.join_next(), if !in_flight.is_empty() => {
                if let Ok(done) = joined {
                    finished.push(done);
                }
                // Everything else that has finished joins the same transaction.
                while let Some(joined) = in_flight.try_join_next() {
                    if let Ok(done) = joined {
                        finished.push(done);
                    }
                }
            }
            // Only wait for a retry when a connection is free; otherwise a reply comes first.
            _ = sleep_until(next_due), if in_flight.len() < options.concurrency.max(1) => {}
            _ = shutdown.changed(), if !stopping => {
                stopping = *shutdown.borrow();
            }
        }
    }
    outcome.interrupted = stopping && (!queue.is_empty() || !exhausted);
    outcome.finished = ledger.finish_if_done(&digest.id)?;
    progress.finish(&outcome);
    Ok(outcome)
}

async fn sleep_until(due: Option<Instant>) {
    match due {
        Some(due) => tokio::time::sleep_until(due).await,
        None => std::future::pending().await,
    }
}

/// `base * 2^(attempt-1)`, capped at ten minutes, plus up to 25% jitter derived from the
/// address (deterministic, but spread across recipients so retries do not arrive in a herd).
fn backoff(base: Duration, attempt: u32, address: &str) -> Duration {
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

    #[test]
    fn backoff_grows_and_is_capped() {
        let base = Duration::from_secs(2);
        let one = backoff(base, 1, "a@example.com");
        let two = backoff(base, 2, "a@example.com");
        assert!(one >= base && one <= base.mul_f64(1.25));
        assert!(two >= base * 2 && two > one);
        assert!(backoff(base, 40, "a@example.com") <= Duration::from_secs(750));
    }
}
