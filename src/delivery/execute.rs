//! Carrying out a [`Plan`] for real: freeze it with its recipients in the ledger, then deliver
//! it; or hand one of its messages to a single address (`send --to`). The dry run carries out
//! the same plan into the preview folder instead (see [`super::preview`]).

use std::sync::Arc;

use tokio::sync::watch;

use super::sender::{self, Delivering, Outcome, Progress, RetryPolicy, SendOptions};
use super::transport::{Outbound, SendError, Transport};
use crate::clock::Clock;
use crate::config::{Config, NewsletterSettings};
use crate::diagnostics::Diagnostic;
use crate::email::Kit;
use crate::ledger::{Ledger, LedgerError, SendKind, SendRow, SendStatus};
use crate::plan::{Entry, Plan, Skipped, Tally, WalkError};
use crate::subscribers::{self, Subscriber};

/// Why a plan could not be carried out.
#[derive(Debug, thiserror::Error)]
pub enum ExecuteError {
    /// The ledger failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// Whole subscriber lists could not be read: nothing was frozen or sent.
    #[error("subscriber lists have errors, so nothing was sent (everyone on them would be skipped):\n{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Lists(Vec<Diagnostic>),
    /// `--to` was given an unusable address.
    #[error("--to {address}: {why}")]
    BadAddress {
        /// The address.
        address: String,
        /// Why it is unusable.
        why: subscribers::AddressError,
    },
    /// A message could not be composed.
    #[error("cannot compose the message: {0}")]
    Compose(Diagnostic),
    /// The transport refused the test copy.
    #[error("the test copy to {address} was not taken: {error}")]
    TestCopy {
        /// The address.
        address: String,
        /// The transport's error.
        error: SendError,
    },
}

impl<E: Into<ExecuteError>> From<WalkError<E>> for ExecuteError {
    fn from(err: WalkError<E>) -> Self {
        match err {
            WalkError::Ledger(e) => ExecuteError::Ledger(e),
            WalkError::NoLedger(id) => ExecuteError::Lists(vec![Diagnostic::error(
                std::path::Path::new(&id),
                1,
                1,
                "a frozen send needs its ledger",
            )]),
            WalkError::Visit(e) => e.into(),
        }
    }
}

/// A plan frozen in the ledger.
#[derive(Debug)]
pub struct Frozen {
    /// Recipients queued.
    pub queued: usize,
    /// Everyone met while freezing.
    pub tally: Tally,
    /// Who was left out and why.
    pub skipped: Vec<Skipped>,
}

/// Freezes `plan` with its recipients in one transaction (nothing is written if a whole list
/// is unreadable). A resumed plan is frozen already; it is left alone.
pub fn freeze(plan: &Plan, ledger: &mut Ledger, clock: &Clock) -> Result<Frozen, ExecuteError> {
    if plan.is_resumed() {
        let tally = plan
            .audience
            .walk(Some(&*ledger), |_| Ok::<(), ExecuteError>(()))?;
        return Ok(Frozen {
            queued: tally.recipients,
            tally,
            skipped: Vec::new(),
        });
    }
    let row = SendRow {
        id: plan.id.clone(),
        kind: plan.kind,
        created: clock.now_utc(),
        at: plan.at.to_utc(),
        summary: plan.summary.clone(),
        outgoing: plan.outgoing.clone(),
        status: SendStatus::Sending,
    };
    let mut skipped = Vec::new();
    let mut tally = Tally::default();
    let audience = &plan.audience;
    let queued = ledger.freeze_with(&row, clock.now_utc(), |insert| {
        tally = audience.walk(None, |entry| {
            match entry {
                Entry::Recipient(sub) => {
                    if !insert.add(&sub)? {
                        // Suppressed between planning and freezing (an unsubscribe just now).
                        skipped.push(Skipped {
                            address: sub.email.to_string(),
                            list: sub.list,
                            reason: crate::plan::SkipReason::Unsubscribed,
                            detail: "suppressed while the send was being frozen".to_owned(),
                        });
                    }
                }
                Entry::Skipped(s) => skipped.push(s),
            }
            Ok::<(), ExecuteError>(())
        })?;
        if tally.fatal.is_empty() {
            Ok(())
        } else {
            Err(ExecuteError::Lists(tally.fatal.clone()))
        }
    })?;
    Ok(Frozen {
        queued,
        tally,
        skipped,
    })
}

/// The sender's knobs from the config.
pub fn send_options(config: &Config, settings: &NewsletterSettings) -> SendOptions {
    SendOptions {
        concurrency: config
            .smtp
            .as_ref()
            .map_or(4, |s| s.max_connections as usize),
        rate_per_second: config.smtp.as_ref().map_or(0.0, |s| s.rate_per_second),
        retry: RetryPolicy {
            max_attempts: config.delivery.max_attempts,
            base: config.delivery.retry_base,
        },
        from: settings.from.email.to_string(),
    }
}

/// Everything delivering a frozen plan needs.
pub struct Delivery<'a> {
    /// The site's config.
    pub config: &'a Config,
    /// Its newsletter settings.
    pub settings: &'a NewsletterSettings,
    /// Templates, key and signer.
    pub kit: &'a Kit,
    /// The ledger holding the frozen plan.
    pub ledger: &'a Ledger,
    /// Where messages go.
    pub transport: Arc<dyn Transport>,
    /// The clock.
    pub clock: Clock,
}

impl Delivery<'_> {
    /// Delivers (or resumes) the frozen plan until done, deferred or stopped. A digest that
    /// finished is then published in the archive (a failure there is logged: the send
    /// happened, and `crier build` writes the archive again).
    pub async fn run(
        &self,
        plan: &Plan,
        shutdown: watch::Receiver<bool>,
        progress: &mut dyn Progress,
    ) -> Result<Outcome, LedgerError> {
        let mut composer = self
            .kit
            .composer(self.settings, plan.outgoing.clone(), plan.at);
        let with = Delivering {
            ledger: self.ledger,
            send_id: &plan.id,
            composer: &mut composer,
            transport: Arc::clone(&self.transport),
            clock: self.clock,
        };
        let options = send_options(self.config, self.settings);
        let outcome = sender::deliver(with, &options, progress, shutdown).await?;
        if outcome.finished && plan.kind == SendKind::Digest {
            self.publish_archive();
        }
        Ok(outcome)
    }

    fn publish_archive(&self) {
        let out_dir = &self.config.feeds.output_dir;
        match crate::archive::publish(self.config, self.settings, self.ledger, out_dir) {
            Ok(published) => tracing::info!(
                pages = published.pages,
                changed = published.changed,
                "archive written to {}",
                published.dir.display()
            ),
            Err(err) => tracing::warn!("the archive was not written: {err}"),
        }
    }
}

/// The message `to` would get from `plan`: theirs exactly if they are a recipient, else the
/// message for a stand-in subscriber with that address on the first list. Returns whether
/// `to` is a recipient.
pub fn test_recipient(
    plan: &Plan,
    ledger: Option<&Ledger>,
    to: &str,
) -> Result<(Subscriber, bool), ExecuteError> {
    let to = subscribers::Address::parse(to).map_err(|why| ExecuteError::BadAddress {
        address: to.to_owned(),
        why,
    })?;
    let mut found = None;
    let mut first_list = None;
    plan.audience.walk(ledger, |entry| {
        if let Entry::Recipient(sub) = entry {
            first_list.get_or_insert_with(|| sub.list.clone());
            if found.is_none() && sub.email == to {
                found = Some(sub);
            }
        }
        Ok::<(), ExecuteError>(())
    })?;
    Ok(match found {
        Some(sub) => (sub, true),
        None => (
            Subscriber {
                email: to,
                name: None,
                attrs: Default::default(),
                list: first_list.unwrap_or_else(|| "test".to_owned()),
            },
            false,
        ),
    })
}

/// Hands the message for `subscriber` to the transport, recording nothing.
pub async fn send_test_copy(
    plan: &Plan,
    kit: &Kit,
    settings: &NewsletterSettings,
    transport: &dyn Transport,
    subscriber: &Subscriber,
) -> Result<String, ExecuteError> {
    let mut composer = kit.composer(settings, plan.outgoing.clone(), plan.at);
    let message = composer
        .compose(subscriber)
        .map_err(ExecuteError::Compose)?;
    let file_stem = format!(
        "test/{}/{}",
        plan.id,
        crate::output::address_file_name(subscriber.email.as_str())
    );
    transport
        .send(Outbound {
            from: settings.from.email.as_ref(),
            to: subscriber.email.as_str(),
            bytes: &message.bytes,
            file_stem: &file_stem,
        })
        .await
        .map_err(|error| ExecuteError::TestCopy {
            address: subscriber.email.to_string(),
            error,
        })
}
