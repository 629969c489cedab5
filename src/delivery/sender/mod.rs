//! Delivering a frozen send: compose each pending recipient's message, record `sending`, hand
//! it to the transport, and record the reply before anything else happens to that row.
//!
//! Up to `concurrency` messages are in flight at once (that is also the most that can be sent
//! twice after a `kill -9`: their rows are `sending` and are re-sent on resume, with the same
//! Message-ID). What happens after each reply is decided by [`retry`]; this module is the
//! async loop around it.

pub mod retry;

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::transport::{Outbound, SendError, Transport};
use crate::clock::Clock;
use crate::email::Composer;
use crate::ledger::{
    Delivery, Ledger, LedgerError, SendKind, Status, SuppressionReason, NOT_COMPOSED,
};
pub use retry::{Next, RetryPolicy};

/// Knobs for one delivery run.
#[derive(Debug, Clone)]
pub struct SendOptions {
    /// Messages in flight at once.
    pub concurrency: usize,
    /// Most messages per second (0: unlimited).
    pub rate_per_second: f64,
    /// Retries within the run.
    pub retry: RetryPolicy,
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
    /// Not sent in this run because the address was suppressed after the send was frozen.
    pub skipped: usize,
    /// Still queued after their attempts ran out (server unavailable): the next run sends them.
    pub deferred: usize,
    /// Stopped early by a shutdown request.
    pub interrupted: bool,
    /// The send has no queued or in-flight rows left.
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

/// Progress that reports nothing.
pub struct Silent;

impl Progress for Silent {
    fn start(&mut self, _: usize) {}
    fn advance(&mut self, _: &str, _: &Result<String, SendError>) {}
    fn finish(&mut self, _: &Outcome) {}
}

/// Progress as log lines, about every tenth of the way (for the daemon's journal).
#[derive(Debug, Default)]
pub struct Logged {
    total: usize,
    done: usize,
}

impl Progress for Logged {
    fn start(&mut self, total: usize) {
        self.total = total;
        tracing::info!(total, "sending");
    }
    fn advance(&mut self, address: &str, result: &Result<String, SendError>) {
        self.done += 1;
        if let Err(e) = result {
            tracing::warn!(%address, "not delivered: {e}");
        }
        let step = (self.total / 10).max(1);
        if self.done.is_multiple_of(step) || self.done == self.total {
            tracing::info!("progress: {}/{}", self.done, self.total);
        }
    }
    fn finish(&mut self, _: &Outcome) {}
}

/// What the run needs besides its options.
pub struct Delivering<'a, 'c> {
    /// The ledger holding the frozen send.
    pub ledger: &'a Ledger,
    /// The send's id.
    pub send_id: &'a str,
    /// What kind of send it is (whose suppressions apply, where outbox files go).
    pub kind: SendKind,
    /// Composes each recipient's message.
    pub composer: &'a mut Composer<'c>,
    /// Where messages go.
    pub transport: Arc<dyn Transport>,
    /// The clock for the ledger's timestamps.
    pub clock: Clock,
    /// The send lease this run must hold (checked in every transaction); `None` for a
    /// one-recipient transactional send.
    pub fence: Option<&'a crate::delivery::lease::Fence>,
}

struct Job {
    delivery: Delivery,
    attempts: u32,
    due: Instant,
}

type Finished = (Job, Result<String, SendError>);

/// A message about to go: its row, its bytes, and its own envelope sender (VERP) if any.
type Starting = (Job, Vec<u8>, Option<String>);

/// The state of one run.
struct Run<'r, 'a, 'c> {
    with: &'r mut Delivering<'a, 'c>,
    options: &'r SendOptions,
    progress: &'r mut dyn Progress,
    queue: VecDeque<Job>,
    in_flight: JoinSet<Finished>,
    /// The address each in-flight task sends to, so a task that panics is not lost.
    addresses: std::collections::HashMap<tokio::task::Id, String>,
    /// Addresses whose task died without a reply (a bug): put back in the queue for the next
    /// run, in the next transaction.
    lost: Vec<String>,
    cursor: i64,
    exhausted: bool,
    next_slot: Instant,
    stopping: bool,
    /// Whether the shutdown channel is still open (a closed one must not wake the loop).
    watching: bool,
    outcome: Outcome,
}

/// Delivers every pending row of the send. `shutdown` turning true stops new sends; messages
/// already in flight are waited for and recorded.
pub async fn deliver(
    mut with: Delivering<'_, '_>,
    options: &SendOptions,
    progress: &mut dyn Progress,
    mut shutdown: watch::Receiver<bool>,
) -> Result<Outcome, LedgerError> {
    let counts = with.ledger.counts(with.send_id)?;
    progress.start(counts.pending() as usize);
    let stopping = *shutdown.borrow();
    let mut run = Run {
        with: &mut with,
        options,
        progress,
        queue: VecDeque::new(),
        in_flight: JoinSet::new(),
        addresses: std::collections::HashMap::new(),
        lost: Vec::new(),
        cursor: -1,
        exhausted: false,
        next_slot: Instant::now(),
        stopping,
        watching: true,
        outcome: Outcome::default(),
    };
    let mut finished = Vec::new();
    loop {
        // One transaction per turn (one fsync): the replies that arrived, then the rows about
        // to be sent marked `sending`. Sends start only after the commit, so at most
        // `concurrency` rows are ever uncertain after a crash.
        run.with.ledger.begin()?;
        run.check_fence()?;
        run.record(finished.drain(..))?;
        run.refill()?;
        let starting = run.start_due()?;
        run.with.ledger.commit()?;
        run.spawn(starting);
        if run.in_flight.is_empty() && ((run.queue.is_empty() && run.exhausted) || run.stopping) {
            break;
        }
        run.wait(&mut finished, &mut shutdown).await;
    }
    let mut outcome = run.outcome;
    outcome.interrupted = run.stopping && (!run.queue.is_empty() || !run.exhausted);
    outcome.finished = with.ledger.finish_if_done(with.send_id)?;
    progress.finish(&outcome);
    Ok(outcome)
}

impl Run<'_, '_, '_> {
    /// Inside the turn's transaction (which holds the write lock, so the lease cannot change
    /// hands meanwhile): stops with an error unless this run still holds the send lease.
    fn check_fence(&mut self) -> Result<(), LedgerError> {
        let Some(fence) = self.with.fence else {
            return Ok(());
        };
        if fence.holds(self.with.ledger)? {
            return Ok(());
        }
        let _ = self.with.ledger.rollback();
        Err(LedgerError::LeaseLost {
            path: self.with.ledger.path().to_owned(),
        })
    }

    fn concurrency(&self) -> usize {
        self.options.concurrency.max(1)
    }

    /// Records replies that arrived, and decides each row's next state. A row whose task died
    /// goes back to `queued` (its message may or may not have gone out: the next run sends it
    /// again, with the same Message-ID).
    fn record(&mut self, finished: impl Iterator<Item = Finished>) -> Result<(), LedgerError> {
        for address in std::mem::take(&mut self.lost) {
            let now = self.with.clock.now_utc();
            let reply = "internal error while sending; retried on the next run";
            let id = self.with.send_id;
            self.with
                .ledger
                .mark(id, &address, Status::Queued, Some(reply), true, now)?;
            self.outcome.deferred += 1;
            self.progress
                .advance(&address, &Err(SendError::transient(reply)));
        }
        for (mut job, result) in finished {
            let now = self.with.clock.now_utc();
            let address = job.delivery.address().to_owned();
            job.attempts += 1;
            let next = self
                .options
                .retry
                .after(job.attempts, &result, self.stopping, &address);
            let reply = match &result {
                Ok(reply) => reply.as_str(),
                Err(e) => e.message(),
            };
            let ledger = self.with.ledger;
            ledger.mark(
                self.with.send_id,
                &address,
                next.status(),
                Some(reply),
                true,
                now,
            )?;
            match next {
                Next::Sent => self.outcome.sent += 1,
                Next::Failed { suppress } => {
                    if suppress {
                        ledger.suppress(&address, SuppressionReason::Bounced, reply, now)?;
                    }
                    self.outcome.failed += 1;
                }
                Next::RetryAfter(delay) => {
                    job.due = Instant::now() + delay;
                    self.queue.push_back(job);
                }
                Next::Defer => self.outcome.deferred += 1,
            }
            self.progress.advance(&address, &result);
        }
        Ok(())
    }

    /// Pages more pending rows in when the queue runs low: memory stays flat however long the
    /// list is.
    fn refill(&mut self) -> Result<(), LedgerError> {
        if self.exhausted || self.queue.len() >= self.concurrency() * 2 {
            return Ok(());
        }
        let page = (self.concurrency() * 64) as i64;
        let more = self
            .with
            .ledger
            .pending_after(self.with.send_id, self.cursor, page)?;
        self.exhausted = (more.len() as i64) < page;
        if let Some(last) = more.last() {
            self.cursor = last.seq;
        }
        let now = Instant::now();
        self.queue.extend(more.into_iter().map(|delivery| Job {
            attempts: 0,
            due: now,
            delivery,
        }));
        Ok(())
    }

    /// Composes the due rows a free connection (and the rate limit) allows, and marks them
    /// `sending`. A message that cannot be composed fails alone.
    fn start_due(&mut self) -> Result<Vec<Starting>, LedgerError> {
        let mut starting = Vec::new();
        let gap = (self.options.rate_per_second > 0.0)
            .then(|| Duration::from_secs_f64(1.0 / self.options.rate_per_second));
        while !self.stopping && self.in_flight.len() + starting.len() < self.concurrency() {
            let now = Instant::now();
            if gap.is_some() && self.next_slot > now {
                break;
            }
            let Some(position) = self.queue.iter().position(|j| j.due <= now) else {
                break;
            };
            let Some(job) = self.queue.remove(position) else {
                break;
            };
            if let Some(gap) = gap {
                self.next_slot = self.next_slot.max(now) + gap;
            }
            let address = job.delivery.address().to_owned();
            let stamp = self.with.clock.now_utc();
            // Someone may have unsubscribed (or bounced elsewhere) since the send was frozen,
            // a week ago if it was resumed: ask the ledger right before sending.
            let suppression = self.with.ledger.suppressed(&address)?;
            if let Some(suppression) =
                suppression.filter(|s| self.with.kind.suppressed_by(s.reason))
            {
                let reply = format!(
                    "not sent: {} since the send was frozen ({})",
                    suppression.reason, suppression.detail
                );
                let id = self.with.send_id;
                self.with
                    .ledger
                    .mark(id, &address, Status::Skipped, Some(&reply), false, stamp)?;
                self.outcome.skipped += 1;
                self.progress
                    .advance(&address, &Err(SendError::permanent(reply)));
                continue;
            }
            match self.with.composer.compose(&job.delivery.subscriber) {
                Ok(message) => {
                    let id = self.with.send_id;
                    self.with
                        .ledger
                        .mark(id, &address, Status::Sending, None, false, stamp)?;
                    let from = self.with.composer.envelope_sender(job.delivery.seq);
                    starting.push((job, message.bytes, from));
                }
                Err(problem) => {
                    let error = SendError::permanent(format!("{NOT_COMPOSED}{problem}"));
                    let id = self.with.send_id;
                    let ledger = self.with.ledger;
                    ledger.mark(
                        id,
                        &address,
                        Status::Failed,
                        Some(error.message()),
                        false,
                        stamp,
                    )?;
                    self.outcome.failed += 1;
                    self.progress.advance(&address, &Err(error));
                }
            }
        }
        Ok(starting)
    }

    fn spawn(&mut self, starting: Vec<Starting>) {
        for (job, bytes, envelope) in starting {
            let transport = Arc::clone(&self.with.transport);
            let from = envelope.unwrap_or_else(|| self.options.from.clone());
            let file_stem = outbox_stem(self.with.kind, self.with.send_id, &job.delivery);
            let address = job.delivery.address().to_owned();
            let task = self.in_flight.spawn(async move {
                let result = transport
                    .send(Outbound {
                        from: &from,
                        to: job.delivery.address(),
                        bytes: &bytes,
                        file_stem: &file_stem,
                    })
                    .await;
                (job, result)
            });
            self.addresses.insert(task.id(), address);
        }
    }

    /// Takes a joined task's reply, or notes its address as lost if the task died.
    fn joined(
        &mut self,
        joined: Result<(tokio::task::Id, Finished), tokio::task::JoinError>,
        finished: &mut Vec<Finished>,
    ) {
        match joined {
            Ok((id, done)) => {
                self.addresses.remove(&id);
                finished.push(done);
            }
            Err(err) => {
                let address = self.addresses.remove(&err.id());
                tracing::error!(?address, "a send task died without a reply: {err}");
                self.lost.extend(address);
            }
        }
    }

    /// Waits for a reply, a retry coming due, a rate-limit slot, or a shutdown request.
    async fn wait(&mut self, finished: &mut Vec<Finished>, shutdown: &mut watch::Receiver<bool>) {
        let free = self.in_flight.len() < self.concurrency();
        let mut next_due = self.queue.iter().map(|j| j.due).min();
        if self.options.rate_per_second > 0.0 {
            next_due = next_due.map(|d| d.max(self.next_slot));
        }
        tokio::select! {
            Some(joined) = self.in_flight.join_next_with_id(), if !self.in_flight.is_empty() => {
                self.joined(joined, finished);
                // Everything else that has finished joins the same transaction.
                while let Some(joined) = self.in_flight.try_join_next_with_id() {
                    self.joined(joined, finished);
                }
            }
            // Only wait for a retry when a connection is free; otherwise a reply comes first.
            _ = sleep_until(next_due), if free && !self.stopping => {}
            changed = shutdown.changed(), if !self.stopping && self.watching => {
                match changed {
                    Ok(()) => self.stopping = *shutdown.borrow(),
                    Err(_) => self.watching = false,
                }
            }
        }
    }
}

/// `<send id>/<seq>-<address>` for the outbox; confirmations all go to `confirm/`, named by
/// their time (`confirm/<time>-<hash>-<address>`), where an organiser trying crier out finds
/// them.
fn outbox_stem(kind: SendKind, send_id: &str, delivery: &Delivery) -> String {
    let address = crate::output::address_file_name(delivery.address());
    // Ids made before they were bounded may be too long for a name: bound them here too.
    let send_id = crate::util::names::bounded(send_id);
    match kind {
        SendKind::Confirmation => {
            let name = send_id.strip_prefix("confirm-").unwrap_or(&send_id);
            format!("confirm/{name}-{address}")
        }
        SendKind::Preview => format!("preview/{send_id}-{address}"),
        _ => format!("{send_id}/{:06}-{address}", delivery.seq + 1),
    }
}

async fn sleep_until(due: Option<Instant>) {
    match due {
        Some(due) => tokio::time::sleep_until(due).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests;
