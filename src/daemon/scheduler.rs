//! Sending on the schedule: resume an interrupted send at start-up, then follow
//! [`next_action`] (a slot reached, or one missed while the daemon was down, is sent once).
//! Only *when* is decided here: every firing is carried out by the mailing service, the same
//! way as `crier send`.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, FixedOffset};

use tokio::sync::watch;

use crate::clock::Clock;
use crate::ledger::Ledger;
use crate::plan;
use crate::schedule::{
    next_action, preview_action, reminder_action, reminder_time, Action, History,
};
use crate::server::health::Health;
pub use crate::service::mailing::{Fire, Fired};
use crate::service::mailing::{MailError, Mailer};
use crate::service::preview::{preview_id, PreviewOf};
use crate::site;

/// Why a scheduled send did not happen (logged; the daemon carries on).
#[derive(Debug, thiserror::Error)]
pub enum FireError {
    /// The config is invalid.
    #[error("config is invalid ({0} problems)")]
    Config(usize),
    /// The site has no newsletter.
    #[error(transparent)]
    Plan(#[from] crate::plan::PlanError),
    /// The send failed.
    #[error(transparent)]
    Mail(#[from] MailError),
    /// Something panicked inside the firing (a bug): it was contained and logged.
    #[error("internal error (panic): {0}")]
    Panicked(String),
    /// The firing's task was cancelled (the runtime is shutting down).
    #[error("the send task was cancelled")]
    Cancelled,
}

/// Runs until shutdown.
pub async fn run(root: &Path, clock: Clock, health: Health, mut shutdown: watch::Receiver<bool>) {
    health.scheduler("resuming any interrupted send");
    let started = fire(root, clock, &shutdown, Fire::ResumeOnly, &health).await;
    let retry_after = || {
        crate::config::load(root)
            .map(|c| c.delivery.retry_unfinished)
            .unwrap_or(Duration::from_secs(300))
    };
    let mut retry = started
        .unfinished
        .then(|| tokio::time::Instant::now() + retry_after());
    let mut served = Served::default();
    loop {
        if *shutdown.borrow() {
            return;
        }
        // An unfinished send is retried before anything else happens, and a due slot waits
        // for it (its digest follows once the unfinished one is done).
        if let Some(at) = retry.filter(|at| *at > tokio::time::Instant::now()) {
            health.scheduler("an unfinished send is retried in a few minutes");
            tokio::select! {
                _ = tokio::time::sleep_until(at) => {}
                _ = crate::util::shutdown::stopped(&mut shutdown) => return,
            }
        }
        let fired = match decide_off_thread(root, clock, &served).await {
            Next::Digest(slot) => {
                tracing::info!(%slot, "scheduled digest due");
                health.scheduler(format!("sending the digest for {}", slot.to_rfc3339()));
                let fired = fire(root, clock, &shutdown, Fire::Scheduled, &health).await;
                health.fired();
                if fired.slot_handled {
                    served.digest = Some(slot);
                }
                fired
            }
            Next::Reminder(id) => {
                tracing::info!(reminder = %id, "reminder due");
                health.scheduler(format!("sending the reminder {id}"));
                let fired = fire(root, clock, &shutdown, Fire::Reminder, &health).await;
                health.fired();
                if fired.slot_handled {
                    served.reminder = Some(id);
                }
                fired
            }
            Next::Preview(of, send_at) => {
                let id = preview_id(of, send_at);
                tracing::info!(preview = %id, "organisers' preview due");
                health.scheduler(format!("sending the organisers' preview {id}"));
                let fired = fire(root, clock, &shutdown, Fire::Preview(of, send_at), &health).await;
                served.previews.push(id);
                fired
            }
            _ if retry.is_some() => fire(root, clock, &shutdown, Fire::ResumeOnly, &health).await,
            Next::Wait(next) => {
                tracing::debug!(%next, "next digest or reminder");
                health.scheduler(format!("waiting until {}", next.to_rfc3339()));
                let wait = (next - clock.now()).to_std().unwrap_or_default();
                // Wake at least hourly: the config (and its schedule) may have changed.
                let wait = wait.min(Duration::from_secs(3600));
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = crate::util::shutdown::stopped(&mut shutdown) => return,
                }
                continue;
            }
            Next::Idle => {
                health.scheduler("idle: the schedule does not fire again");
                crate::util::shutdown::stopped(&mut shutdown).await;
                return;
            }
        };
        retry = fired
            .unfinished
            .then(|| tokio::time::Instant::now() + retry_after());
    }
}

/// What this process has dealt with (sent, skipped, or given up on), so that nothing is
/// attempted twice even when the clock does not move.
#[derive(Debug, Clone, Default)]
struct Served {
    /// The last digest slot.
    digest: Option<DateTime<FixedOffset>>,
    /// The last reminder, by its send id.
    reminder: Option<String>,
    /// The organisers' previews dealt with, by their send ids.
    previews: Vec<String>,
}

/// What the scheduler does next.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Next {
    /// Send the digest for this slot.
    Digest(DateTime<FixedOffset>),
    /// Send this reminder.
    Reminder(String),
    /// Mail the organisers the preview of this send.
    Preview(PreviewOf, DateTime<FixedOffset>),
    /// Nothing is due before this instant.
    Wait(DateTime<FixedOffset>),
    /// Nothing will ever be due.
    Idle,
}

/// [`decide`] on a blocking-pool thread: it reads the config, the posts (to find the next
/// event) and the ledger, which must not hold up the server's threads. Should it fail
/// (panic), the scheduler looks again in a minute.
async fn decide_off_thread(root: &Path, clock: Clock, served: &Served) -> Next {
    let (root, served) = (root.to_path_buf(), served.clone());
    tokio::task::spawn_blocking(move || decide(&root, clock, &served))
        .await
        .unwrap_or_else(|_| Next::Wait(clock.now() + chrono::Duration::seconds(60)))
}

/// The digest comes first when both are due, then the reminder, then an organisers'
/// preview; otherwise wait for whichever is next.
fn decide(root: &Path, clock: Clock, served: &Served) -> Next {
    let digest = due(root, clock, served.digest);
    if let Some(Action::SendNow(slot)) = digest {
        return Next::Digest(slot);
    }
    let reminder = reminder_due(root, clock, served.reminder.as_deref());
    let reminder_wait = match reminder {
        Some((Action::SendNow(_), id)) => return Next::Reminder(id),
        Some((Action::WaitUntil(at), _)) => Some(at),
        _ => None,
    };
    let digest_wait = match digest {
        Some(Action::WaitUntil(at)) => Some(at),
        _ => None,
    };
    let coming = [
        digest_wait.map(|at| (PreviewOf::Digest, at)),
        reminder_wait.map(|at| (PreviewOf::Reminder, at)),
    ];
    let mut preview_wait = None;
    for (of, send_at) in coming.into_iter().flatten() {
        match preview_due(root, clock, served, of, send_at) {
            Some(Action::SendNow(_)) => return Next::Preview(of, send_at),
            Some(Action::WaitUntil(at)) => {
                preview_wait = Some(preview_wait.map_or(at, |w: DateTime<FixedOffset>| w.min(at)))
            }
            _ => {}
        }
    }
    let waits = digest_wait
        .into_iter()
        .chain(reminder_wait)
        .chain(preview_wait);
    match (waits.min(), digest) {
        (Some(at), _) => Next::Wait(at),
        (None, Some(Action::Idle)) => Next::Idle,
        // No schedule (or a broken config): look again in a minute.
        (None, _) => Next::Wait(clock.now() + chrono::Duration::seconds(60)),
    }
}

/// The next action from the current config and ledger; `None` without a schedule.
fn due(root: &Path, clock: Clock, served: Option<DateTime<FixedOffset>>) -> Option<Action> {
    let config = crate::config::load(root).ok()?;
    let newsletter = config.newsletter.as_ref()?;
    let schedule = newsletter.schedule.as_ref()?;
    let last_send = Ledger::open_existing(&crate::ledger::Place::of(&config))
        .ok()
        .flatten()
        .and_then(|l| l.last_digest_created().ok().flatten());
    Some(next_action(
        schedule,
        clock.now(),
        newsletter.missed_grace,
        History { served, last_send },
    ))
}

/// The organisers' preview of the `of` send due at `send_at`: when it is due; `None` without
/// `newsletter.preview_to`, or once it is sent.
fn preview_due(
    root: &Path,
    clock: Clock,
    served: &Served,
    of: PreviewOf,
    send_at: DateTime<FixedOffset>,
) -> Option<Action> {
    let config = crate::config::load(root).ok()?;
    let settings = config.newsletter.as_ref()?;
    if settings.preview_to.is_empty() {
        return None;
    }
    let id = preview_id(of, send_at);
    let sent = served.previews.contains(&id)
        || Ledger::open_existing(&crate::ledger::Place::of(&config))
            .ok()
            .flatten()
            .is_some_and(|l| l.exists(&id).unwrap_or(false));
    preview_action(send_at, clock.now(), settings.preview_hours, sent)
}

/// The reminder of the next event: when it is due, and its send id. Only a daemon that sends
/// digests on a schedule sends reminders (one that only serves feeds sends nothing); `None`
/// without a schedule, with reminders off, without an upcoming event, or once it is sent.
fn reminder_due(root: &Path, clock: Clock, served: Option<&str>) -> Option<(Action, String)> {
    let site = site::load(root, &clock).ok()?;
    let settings = site.config.newsletter.as_ref()?;
    settings.schedule.as_ref()?;
    let reminder = settings.reminder.as_ref()?;
    let now = clock.now();
    let event = plan::reminder::next_event(&site, settings, now).0?.event;
    if event.cancelled {
        return None;
    }
    let id = plan::reminder_id(&event);
    // The planner checks the ledger again before sending: this only saves a wasted firing.
    let sent = served == Some(id.as_str())
        || Ledger::open_existing(&crate::ledger::Place::of(&site.config))
            .ok()
            .flatten()
            .is_some_and(|l| l.exists(&id).unwrap_or(false));
    let due_at = reminder_time(event.start, reminder, site.config.site.timezone);
    reminder_action(due_at, event.start, now, settings.missed_grace, sent).map(|a| (a, id))
}

/// Fires once; any problem is logged and recorded in `health`, never fatal. The firing runs
/// in its own task, so that even a panic inside it (a template engine bug, say) is reported
/// as a failed run while the server keeps serving.
pub async fn fire(
    root: &Path,
    clock: Clock,
    shutdown: &watch::Receiver<bool>,
    what: Fire,
    health: &Health,
) -> Fired {
    let (root, stop) = (root.to_path_buf(), shutdown.clone());
    let outcome = guarded(move || async move { try_fire(&root, clock, &stop, what).await }).await;
    if let Err(err) = &outcome {
        tracing::error!("scheduled send failed: {err}");
    }
    let fired = match &outcome {
        Ok(fired) => *fired,
        // Retrying would not fix a broken config or template: the slot is over; the error is
        // in /healthz and the log.
        Err(_) => Fired {
            slot_handled: true,
            unfinished: false,
        },
    };
    health.run_ended(outcome.map(|_| ()).map_err(|e| e.to_string()));
    fired
}

/// Runs the future `make` returns in its own task; a panic (or cancellation) becomes an
/// error message. The send holds the (single-threaded) ledger across awaits, so its future is
/// not `Send`: it is driven on a blocking-pool thread of the same runtime.
async fn guarded<F, Fut, T>(make: F) -> Result<T, FireError>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<T, FireError>>,
    T: Send + 'static,
{
    let runtime = tokio::runtime::Handle::current();
    match tokio::task::spawn_blocking(move || runtime.block_on(make())).await {
        Ok(outcome) => outcome,
        Err(err) if err.is_panic() => {
            let payload = err.into_panic();
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            Err(FireError::Panicked(message))
        }
        Err(_) => Err(FireError::Cancelled),
    }
}

async fn try_fire(
    root: &Path,
    clock: Clock,
    shutdown: &watch::Receiver<bool>,
    what: Fire,
) -> Result<Fired, FireError> {
    let site = site::load(root, &clock).map_err(|p| FireError::Config(p.len()))?;
    if site.config.newsletter.is_none() {
        return Ok(Fired::default());
    }
    let mailer = Mailer::new(site, clock)?;
    Ok(mailer.fire(what, shutdown).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread")]
    async fn a_panic_inside_a_firing_is_an_error_not_a_crash() {
        let outcome = guarded(|| async {
            if std::hint::black_box(true) {
                panic!("poisoned template");
            }
            Ok(())
        })
        .await;
        assert_eq!(
            outcome.map_err(|e| e.to_string()),
            Err("internal error (panic): poisoned template".to_owned())
        );
        // The runtime (and so the server) is still alive.
        assert!(guarded(|| async { Ok(()) }).await.is_ok());
    }
}
