//! The mailing service: the one way any message leaves crier.
//!
//! Every send goes through the same steps, whoever asks (`crier send`, the daemon's schedule,
//! a sign-up's confirmation): take the send lock, open the ledger, plan (an unfinished send is
//! resumed first), load the kit (templates, token key, DKIM) and the transport once, freeze
//! the plan with its recipients, deliver it with retries, deferral and a suppression check
//! before each message, and publish the archive after a digest. The preview carries out the
//! same plan into files, and a test copy hands one of its messages to one address.

use std::sync::Arc;

use chrono::{DateTime, FixedOffset, Utc};
use tokio::sync::watch;

use crate::clock::Clock;
use crate::config::{Config, NewsletterSettings};
use crate::delivery::lease::{Busy, Fence, SendLease};
use crate::delivery::preview::{self, Preview, PreviewError, PreviewOptions};
use crate::delivery::sender::{self, Delivering, Outcome, Progress, RetryPolicy, SendOptions};
use crate::delivery::transport::{self, Outbound, SendError, SmtpSetupError, Transport};
use crate::diagnostics::Diagnostic;
use crate::email::{KeySource, Kit, KitError, Outgoing};
use crate::ledger::{Counts, Ledger, LedgerError, SendKind, SendRow, SendSummary};
use crate::plan::freeze::{self, FreezeError, Frozen};
use crate::plan::{self, Audience, Basis, Entry, Plan, PlanError, Request, WalkError};
use crate::site::Site;
use crate::subscribers::{Address, AddressError, Subscriber};

/// Why a send (or its preview) did not happen.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// Another process is sending for this site.
    #[error("{0}; not sending now")]
    Busy(Busy),
    /// The ledger failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// Members' pending requests could not be applied before planning.
    #[error(transparent)]
    Members(#[from] crate::service::members::MembersError),
    /// Templates, key or DKIM.
    #[error(transparent)]
    Kit(#[from] KitError),
    /// The SMTP transport cannot be set up.
    #[error(transparent)]
    Transport(#[from] SmtpSetupError),
    /// No plan could be made.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// The plan could not be frozen.
    #[error(transparent)]
    Freeze(#[from] FreezeError),
    /// The preview could not be written.
    #[error(transparent)]
    Preview(#[from] PreviewError),
    /// `--to` was given an unusable address.
    #[error("--to {address}: {why}")]
    BadAddress {
        /// The address.
        address: String,
        /// Why it is unusable.
        why: AddressError,
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

impl From<WalkError<MailError>> for MailError {
    fn from(err: WalkError<MailError>) -> Self {
        match err {
            WalkError::Ledger(e) => MailError::Ledger(e),
            WalkError::NoLedger(id) => {
                MailError::Freeze(FreezeError::Lists(vec![Diagnostic::error(
                    std::path::Path::new(&id),
                    1,
                    1,
                    "a frozen send needs its ledger",
                )]))
            }
            WalkError::Visit(e) => e,
        }
    }
}

/// A ledger that `Ledger::open` just made vanished (another process moved it away).
fn no_ledger() -> MailError {
    MailError::Ledger(LedgerError::Missing {
        path: String::new(),
        evidence: vec!["it vanished while it was being opened".into()],
    })
}

/// How many of the newest recaps a dry run shows the reading of (as `crier check` does).
pub const READINGS: usize = 3;

/// What `send` does when another process holds the send lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenBusy {
    /// Wait for it (an organiser's `crier send`).
    Wait,
    /// Give up at once (the schedule: the other sender is doing the work).
    GiveUp,
}

/// The newsletter's mailing service for one loaded site.
pub struct Mailer {
    site: Site,
    settings: NewsletterSettings,
    clock: Clock,
}

/// A dry run's result: the plan, what composing it found, and where the token key came from.
#[derive(Debug)]
pub struct Previewed {
    /// The plan, exactly as a send would make it.
    pub plan: Plan,
    /// The preview.
    pub preview: Preview,
    /// Where the token key came from (a dry run never creates one).
    pub key_source: KeySource,
    /// What the newest recaps were read to say (the event or why none, the talks, every
    /// doubt), for a digest or reminder: shown before the messages, as `crier check` shows it.
    pub readings: Vec<crate::digest::Reading>,
}

/// A test copy's result.
#[derive(Debug)]
pub struct TestCopy {
    /// The plan it came from.
    pub plan: Plan,
    /// The list whose message it is.
    pub list: String,
    /// Whether the address is a recipient (else a stand-in's message was sent).
    pub is_recipient: bool,
    /// The transport's reply.
    pub reply: String,
}

/// How a send went.
#[derive(Debug)]
pub struct Sent {
    /// This run.
    pub outcome: Outcome,
    /// The send's counts in the ledger after the run.
    pub counts: Counts,
    /// Every failed delivery of the send, with its reply.
    pub failures: Vec<(String, String)>,
}

/// A send planned and frozen, holding what delivering it needs (lock, ledger, kit,
/// transport), assembled once.
pub struct Prepared<'m> {
    mailer: &'m Mailer,
    lease: SendLease,
    ledger: Ledger,
    kit: Kit,
    transport: Arc<dyn Transport>,
    /// The plan.
    pub plan: Plan,
    /// What freezing it did.
    pub frozen: Frozen,
}

impl Mailer {
    /// The mailing service of `site`; `clock` dates sends and ledger rows.
    pub fn new(site: Site, clock: Clock) -> Result<Self, PlanError> {
        let settings = plan::settings(&site)?.clone();
        Ok(Mailer {
            site,
            settings,
            clock,
        })
    }

    /// The site.
    pub fn site(&self) -> &Site {
        &self.site
    }

    pub(super) fn config(&self) -> &Config {
        &self.site.config
    }

    pub(super) fn settings(&self) -> &NewsletterSettings {
        &self.settings
    }

    pub(super) fn clock(&self) -> Clock {
        self.clock
    }

    /// Composes every message `request` would send at `at`, into the preview folder: the
    /// same ledger, recaps, recipients and key as the send. Changes no state, creates no key.
    pub fn preview(
        &self,
        request: &Request,
        at: DateTime<FixedOffset>,
        skip_invalid: bool,
        options: &PreviewOptions,
    ) -> Result<Previewed, MailError> {
        let ledger = self.trusted_ledger(false)?;
        let plan = plan::plan(&self.site, ledger.as_ref(), request, at, skip_invalid)?;
        let kit = Kit::load(self.settings(), &self.config().limits, false)?;
        let mut composer = kit.composer(self.settings(), plan.outgoing.clone(), plan.at);
        let preview = preview::write(&plan, &mut composer, ledger.as_ref(), options)?;
        let readings = match plan.kind {
            SendKind::Digest | SendKind::Reminder => crate::digest::read_newest(
                &self.site.content.posts,
                self.config(),
                self.settings(),
                plan.at,
                READINGS,
            ),
            SendKind::Post | SendKind::Confirmation | SendKind::Preview => Vec::new(),
        };
        Ok(Previewed {
            plan,
            preview,
            key_source: kit.key_source.clone(),
            readings,
        })
    }

    /// Hands the one message `to` would get from `request` (theirs exactly if they are a
    /// recipient, else a stand-in's on the first list) to `to` alone; records nothing.
    pub async fn test_copy(
        &self,
        request: &Request,
        at: DateTime<FixedOffset>,
        skip_invalid: bool,
        to: &str,
    ) -> Result<TestCopy, MailError> {
        let to = Address::parse(to).map_err(|why| MailError::BadAddress {
            address: to.to_owned(),
            why,
        })?;
        let ledger = self.trusted_ledger(false)?;
        let plan = plan::plan(&self.site, ledger.as_ref(), request, at, skip_invalid)?;
        let (subscriber, is_recipient) = recipient_or_stand_in(&plan, ledger.as_ref(), to)?;
        // The real key: the test copy's links must work like the real ones.
        let kit = Kit::load(self.settings(), &self.config().limits, true)?;
        let transport = self.transport()?;
        let mut composer = kit.composer(self.settings(), plan.outgoing.clone(), plan.at);
        let message = composer.compose(&subscriber).map_err(MailError::Compose)?;
        let file_stem = format!(
            "test/{}/{}",
            crate::util::names::bounded(&plan.id),
            crate::output::address_file_name(subscriber.email.as_str())
        );
        let reply = transport
            .send(Outbound {
                from: self.settings().from.email.as_ref(),
                to: subscriber.email.as_str(),
                bytes: &message.bytes,
                file_stem: &file_stem,
            })
            .await
            .map_err(|error| MailError::TestCopy {
                address: subscriber.email.to_string(),
                error,
            })?;
        Ok(TestCopy {
            plan,
            list: subscriber.list,
            is_recipient,
            reply,
        })
    }

    /// Takes the send lock, plans `request` at `at` (an unfinished send is resumed instead,
    /// whatever was asked), and freezes it; [`Prepared::deliver`] then sends it.
    pub fn prepare(
        &self,
        request: &Request,
        at: DateTime<FixedOffset>,
        skip_invalid: bool,
        when_busy: WhenBusy,
    ) -> Result<Prepared<'_>, MailError> {
        let config = self.config();
        let lease = self.lease(when_busy)?;
        let mut ledger = self.trusted_ledger(true)?.ok_or_else(no_ledger)?;
        let plan = plan::plan(&self.site, Some(&ledger), request, at, skip_invalid)?;
        let kit = Kit::load(self.settings(), &config.limits, true)?;
        self.compose_first(&plan, &kit, &ledger)?;
        let transport = self.transport()?;
        let frozen = freeze::freeze(&plan, &mut ledger, &self.clock)?;
        Ok(Prepared {
            mailer: self,
            lease,
            ledger,
            kit,
            transport,
            plan,
            frozen,
        })
    }

    /// Composes the first recipient's message before anything is frozen: a template mistake
    /// (that `crier check` would have shown) then stops the send with one error, instead of
    /// freezing it and failing every recipient with the same message.
    fn compose_first(&self, plan: &Plan, kit: &Kit, ledger: &Ledger) -> Result<(), MailError> {
        let mut first = None;
        plan.audience.walk(Some(ledger), |entry| {
            if let (None, Entry::Recipient(sub)) = (&first, entry) {
                first = Some(sub);
            }
            Ok::<(), MailError>(())
        })?;
        let Some(sub) = first else {
            return Ok(());
        };
        let mut composer = kit.composer(self.settings(), plan.outgoing.clone(), plan.at);
        composer.compose(&sub).map_err(MailError::Compose)?;
        Ok(())
    }

    /// Takes the send lease (waiting for it, or not).
    fn lease(&self, when_busy: WhenBusy) -> Result<SendLease, MailError> {
        let place = crate::ledger::Place::of(self.config());
        match SendLease::try_take(&place)? {
            Ok(lease) => Ok(lease),
            Err(busy) if when_busy == WhenBusy::Wait => {
                tracing::warn!("{busy}; waiting for it to finish");
                Ok(SendLease::take(&place, |_| {})?)
            }
            Err(busy) => Err(MailError::Busy(busy)),
        }
    }

    /// The ledger a send (or its preview) may trust: opened (created only for a site that
    /// never sent, with `create`), every page and stored word checked, and the members'
    /// pending requests applied, so nobody who left is planned in. `None`: no ledger yet.
    pub(super) fn trusted_ledger(&self, create: bool) -> Result<Option<Ledger>, MailError> {
        let place = crate::ledger::Place::of(self.config());
        let ledger = if create {
            Some(Ledger::open(&place)?)
        } else {
            Ledger::open_existing(&place)?
        };
        let Some(mut ledger) = ledger else {
            return Ok(None);
        };
        ledger.verify()?;
        crate::service::members::Members::new(self.config()).apply_pending_into(&mut ledger)?;
        Ok(Some(ledger))
    }

    pub(super) fn transport(&self) -> Result<Arc<dyn Transport>, MailError> {
        let config = self.config();
        Ok(transport::from_settings(
            config.smtp.as_ref(),
            config.delivery.outbox_dir.clone(),
        )?)
    }
}

impl Prepared<'_> {
    /// Delivers (or resumes) the frozen send until done, deferred or stopped. A digest that
    /// finished is then published in the archive (a failure there is logged: the send
    /// happened, and `crier build` writes the archive again).
    pub async fn deliver(
        &self,
        shutdown: watch::Receiver<bool>,
        progress: &mut dyn Progress,
    ) -> Result<Sent, MailError> {
        let mailer = self.mailer;
        let outcome = deliver(
            &Carrier {
                config: mailer.config(),
                settings: mailer.settings(),
                kit: &self.kit,
                transport: &self.transport,
                clock: mailer.clock,
                fence: Some(self.lease.fence()),
            },
            &self.ledger,
            &self.plan.id,
            self.plan.kind,
            &self.plan.outgoing,
            self.plan.at,
            shutdown,
            progress,
        )
        .await?;
        if outcome.finished && self.plan.kind == SendKind::Digest {
            publish_archive(mailer.config(), mailer.settings(), &self.ledger);
        }
        Ok(Sent {
            counts: self.ledger.counts(&self.plan.id)?,
            failures: self.ledger.failures(&self.plan.id)?,
            outcome,
        })
    }
}

/// What carrying out a frozen send needs besides the ledger.
pub(super) struct Carrier<'a> {
    pub(super) config: &'a Config,
    pub(super) settings: &'a NewsletterSettings,
    pub(super) kit: &'a Kit,
    pub(super) transport: &'a Arc<dyn Transport>,
    pub(super) clock: Clock,
    /// The send lease the run must hold; `None` for a transactional send.
    pub(super) fence: Option<&'a Fence>,
}

/// Delivers the frozen send `send_id` with the sender: one code path for newsletters and
/// confirmations alike.
#[allow(clippy::too_many_arguments)]
pub(super) async fn deliver(
    with: &Carrier<'_>,
    ledger: &Ledger,
    send_id: &str,
    kind: SendKind,
    outgoing: &Outgoing,
    at: DateTime<FixedOffset>,
    shutdown: watch::Receiver<bool>,
    progress: &mut dyn Progress,
) -> Result<Outcome, LedgerError> {
    let verp = with
        .config
        .bounces
        .domain
        .as_ref()
        .map(|domain| crate::email::compose::Verp {
            local_part: with.config.bounces.local_part.clone(),
            domain: domain.clone(),
        });
    let mut composer = with
        .kit
        .composer(with.settings, outgoing.clone(), at)
        .with_verp(verp);
    let delivering = Delivering {
        ledger,
        send_id,
        kind,
        composer: &mut composer,
        transport: Arc::clone(with.transport),
        clock: with.clock,
        fence: with.fence,
    };
    sender::deliver(
        delivering,
        &send_options(with.config, with.settings),
        progress,
        shutdown,
    )
    .await
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

fn publish_archive(config: &Config, settings: &NewsletterSettings, ledger: &Ledger) {
    let out_dir = &config.feeds.output_dir;
    match crate::archive::publish(config, settings, ledger, out_dir) {
        Ok(published) => tracing::info!(
            pages = published.pages,
            changed = published.changed,
            "archive written to {}",
            published.dir.display()
        ),
        Err(err) => tracing::warn!("the archive was not written: {err}"),
    }
}

/// The message `to` would get from `plan`: theirs exactly if they are a recipient, else the
/// message for a stand-in subscriber with that address on the first list. Returns whether
/// `to` is a recipient.
fn recipient_or_stand_in(
    plan: &Plan,
    ledger: Option<&Ledger>,
    to: Address,
) -> Result<(Subscriber, bool), MailError> {
    let mut found = None;
    let mut first_list = None;
    plan.audience.walk(ledger, |entry| {
        if let Entry::Recipient(sub) = entry {
            first_list.get_or_insert_with(|| sub.list.clone());
            if found.is_none() && sub.email == to {
                found = Some(sub);
            }
        }
        Ok::<(), MailError>(())
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

/// What a scheduled firing may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fire {
    /// Only resume an interrupted send (start-up).
    ResumeOnly,
    /// Resume, or send the scheduled digest.
    Scheduled,
    /// Resume, or send the reminder of the next event.
    Reminder,
    /// Mail the organisers the preview of the send due at this time.
    Preview(super::preview::PreviewOf, DateTime<FixedOffset>),
}

/// What a firing left behind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Fired {
    /// The slot's digest was dealt with: sent (perhaps partly, see `unfinished`), skipped as
    /// not new, or refused by an error that retrying would not fix.
    pub slot_handled: bool,
    /// A send is still unfinished in the ledger (its messages were deferred: the SMTP server
    /// was unreachable or kept answering 4xx): try again after `delivery.retry_unfinished`.
    pub unfinished: bool,
}

impl Mailer {
    /// One scheduled firing, as the daemon's scheduler decided it: resume an interrupted send
    /// first, then (unless only resuming) the slot's digest or reminder. Another sender at
    /// work means the slot is handled by it.
    pub async fn fire(
        &self,
        what: Fire,
        shutdown: &watch::Receiver<bool>,
    ) -> Result<Fired, MailError> {
        let handled = Fired {
            slot_handled: true,
            unfinished: false,
        };
        let request = match what {
            Fire::Reminder => Request::Reminder,
            Fire::ResumeOnly | Fire::Scheduled => Request::Digest { since: None },
            Fire::Preview(of, send_at) => {
                match self.send_preview(of, send_at, shutdown.clone()).await? {
                    super::preview::Previewed::Sent { id, unsure } => {
                        tracing::info!(preview = %id, unsure, "preview sent to the organisers")
                    }
                    super::preview::Previewed::Nothing(why) => {
                        tracing::info!("no preview: {why}")
                    }
                }
                return Ok(handled);
            }
        };
        let Some(first) = self.prepare_firing(&request, what)? else {
            // Nothing to resume at start-up is not a slot handled.
            return Ok(if what == Fire::ResumeOnly {
                Fired::default()
            } else {
                handled
            });
        };
        if first.plan.is_resumed() {
            tracing::info!(send = %first.plan.id, "resuming an interrupted send");
            let finished = self.deliver_logged(&first, shutdown).await?;
            if !finished || what == Fire::ResumeOnly {
                return Ok(Fired {
                    slot_handled: false,
                    unfinished: !finished,
                });
            }
            drop(first);
            // The interrupted send is done; the slot's own send comes next.
            return match self.prepare_firing(&request, what)? {
                Some(next) => self.deliver_slot(next, what, shutdown).await,
                None => Ok(handled),
            };
        }
        if what == Fire::ResumeOnly {
            return Ok(Fired::default());
        }
        self.deliver_slot(first, what, shutdown).await
    }

    /// Plans a firing without freezing anything new yet: `None` when there is nothing to do
    /// (a reminder already sent, its event gone or cancelled) or another sender is at work.
    fn prepare_firing(
        &self,
        request: &Request,
        what: Fire,
    ) -> Result<Option<Prepared<'_>>, MailError> {
        let config = self.config();
        let lease = match self.lease(WhenBusy::GiveUp) {
            Ok(lease) => lease,
            Err(MailError::Busy(busy)) => {
                tracing::warn!("{busy}; not sending now");
                return Ok(None);
            }
            Err(err) => return Err(err),
        };
        let ledger = self.trusted_ledger(true)?.ok_or_else(no_ledger)?;
        let plan = match plan::plan(&self.site, Some(&ledger), request, self.clock.now(), false) {
            Ok(plan) => plan,
            Err(
                err @ (PlanError::ReminderSent { .. }
                | PlanError::NoEvent(_)
                | PlanError::EventCancelled(_)),
            ) => {
                tracing::info!("no reminder sent: {err}");
                return Ok(None);
            }
            Err(err) => return Err(err.into()),
        };
        if !plan.is_resumed() && what == Fire::ResumeOnly {
            return Ok(None);
        }
        let kit = Kit::load(self.settings(), &config.limits, true)?;
        self.compose_first(&plan, &kit, &ledger)?;
        let transport = self.transport()?;
        Ok(Some(Prepared {
            mailer: self,
            lease,
            ledger,
            kit,
            transport,
            plan,
            frozen: Frozen {
                queued: 0,
                tally: Default::default(),
                skipped: Vec::new(),
            },
        }))
    }

    /// Sends the slot's digest or reminder, unless `only_if_new` finds nothing new.
    async fn deliver_slot(
        &self,
        mut prepared: Prepared<'_>,
        what: Fire,
        shutdown: &watch::Receiver<bool>,
    ) -> Result<Fired, MailError> {
        if what == Fire::Scheduled && self.settings().only_if_new && !prepared.plan.has_news() {
            tracing::info!("scheduled digest skipped: no new recaps and no change of next event");
            return Ok(Fired {
                slot_handled: true,
                unfinished: false,
            });
        }
        prepared.frozen = freeze::freeze(&prepared.plan, &mut prepared.ledger, &self.clock)?;
        let finished = self.deliver_logged(&prepared, shutdown).await?;
        Ok(Fired {
            slot_handled: true,
            unfinished: !finished,
        })
    }

    /// Delivers with progress in the log; returns whether the send finished.
    async fn deliver_logged(
        &self,
        prepared: &Prepared<'_>,
        shutdown: &watch::Receiver<bool>,
    ) -> Result<bool, MailError> {
        let plan = &prepared.plan;
        for s in &prepared.frozen.skipped {
            tracing::debug!(reason = ?s.reason, "skipped: {}", s.detail);
        }
        if !plan.is_resumed() {
            tracing::info!(send = %plan.id, queued = prepared.frozen.queued, skipped = prepared.frozen.skipped.len(), recaps = plan.items.len(), "{} frozen", plan.kind);
        }
        let mut progress = sender::Logged::default();
        let sent = prepared.deliver(shutdown.clone(), &mut progress).await?;
        let outcome = &sent.outcome;
        tracing::info!(
            send = %plan.id,
            sent = outcome.sent,
            failed = outcome.failed,
            deferred = outcome.deferred,
            "send run ended"
        );
        Ok(outcome.finished)
    }
}

/// One transactional message (a sign-up's confirmation) to send through the same sender as
/// the newsletter: frozen as a send of its own with one recipient, so it gets the same
/// retries, deferral, DKIM signature and suppression check, and a record in the ledger.
#[derive(Debug, Clone)]
pub struct OneMessage {
    /// Who gets it.
    pub to: Address,
    /// The list it is about (its unsubscribe link's list).
    pub list: String,
    /// What it says.
    pub view: crate::email::views::EmailView,
    /// When it is sent (its `Date:` and send id).
    pub at: DateTime<Utc>,
}

/// The mailing service for transactional messages, held by the daemon: kit (with crier's own
/// templates standing in for broken ones: a typo must not stop people joining) and transport
/// assembled once.
pub struct Postman {
    config: Config,
    settings: NewsletterSettings,
    kit: Kit,
    transport: Arc<dyn Transport>,
    clock: Clock,
}

impl Postman {
    /// The postman of a site with a newsletter; `None` without one.
    pub fn new(config: Config, clock: Clock) -> Result<Option<Self>, MailError> {
        let Some(settings) = config.newsletter.clone() else {
            return Ok(None);
        };
        let kit = Kit::load_lenient(&settings, &config.limits)?;
        let transport =
            transport::from_settings(config.smtp.as_ref(), config.delivery.outbox_dir.clone())?;
        Ok(Some(Postman {
            config,
            settings,
            kit,
            transport,
            clock,
        }))
    }

    fn settings(&self) -> &NewsletterSettings {
        &self.settings
    }

    /// Freezes and delivers one message. Deferred (server unavailable), it stays unfinished
    /// in the ledger for [`Postman::retry_unfinished`].
    pub async fn send_one(
        &self,
        one: OneMessage,
        shutdown: watch::Receiver<bool>,
    ) -> Result<Outcome, MailError> {
        // A confirmation goes to someone who just asked; a damaged ledger could still have
        // forgotten that the address bounced or complained: checked like any send.
        let mut ledger = Ledger::open(&crate::ledger::Place::of(&self.config))?;
        ledger.verify()?;
        let at = one
            .at
            .with_timezone(&self.config.site.timezone)
            .fixed_offset();
        let id = one_message_id(&ledger, &one)?;
        let outgoing = Outgoing::new(&one.view, &id, None);
        let audience = Audience::Chosen(vec![Subscriber {
            email: one.to,
            name: None,
            attrs: Default::default(),
            list: one.list,
        }]);
        let (kind, summary) = (SendKind::Confirmation, SendSummary::default());
        let plan = Plan::new(kind, id, at, Basis::Post, summary, outgoing, audience);
        freeze::freeze(&plan, &mut ledger, &self.clock)?;
        let kind = SendKind::Confirmation;
        self.deliver_row(&ledger, &plan.id, kind, &plan.outgoing, at, shutdown)
            .await
    }

    /// Delivers every confirmation and organisers' preview a server outage left unfinished.
    pub async fn retry_unfinished(
        &self,
        shutdown: watch::Receiver<bool>,
    ) -> Result<usize, MailError> {
        let ledger = Ledger::open(&crate::ledger::Place::of(&self.config))?;
        ledger.verify()?;
        let rows: Vec<SendRow> = ledger.unfinished_transactional()?;
        let mut unfinished = 0;
        for row in rows {
            let at = row
                .at
                .with_timezone(&self.config.site.timezone)
                .fixed_offset();
            let (id, kind) = (&row.id, row.kind);
            let outcome = self
                .deliver_row(&ledger, id, kind, &row.outgoing, at, shutdown.clone())
                .await?;
            unfinished += usize::from(!outcome.finished);
        }
        Ok(unfinished)
    }

    async fn deliver_row(
        &self,
        ledger: &Ledger,
        send_id: &str,
        kind: SendKind,
        outgoing: &Outgoing,
        at: DateTime<FixedOffset>,
        shutdown: watch::Receiver<bool>,
    ) -> Result<Outcome, MailError> {
        let carrier = Carrier {
            config: &self.config,
            settings: self.settings(),
            kit: &self.kit,
            transport: &self.transport,
            clock: self.clock,
            fence: None,
        };
        let mut progress = sender::Logged::default();
        Ok(deliver(
            &carrier,
            ledger,
            send_id,
            kind,
            outgoing,
            at,
            shutdown,
            &mut progress,
        )
        .await?)
    }
}

/// `confirm-<time>-<hash of the address>`, unique in the ledger.
fn one_message_id(ledger: &Ledger, one: &OneMessage) -> Result<String, LedgerError> {
    use sha2::{Digest as _, Sha256};
    let hash: String = Sha256::digest(one.to.key().as_bytes())[..4]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let base = format!("confirm-{}-{hash}", one.at.format("%Y%m%dT%H%M%SZ"));
    let mut id = base.clone();
    for n in 2.. {
        if !ledger.exists(&id)? {
            break;
        }
        id = format!("{base}-{n}");
    }
    Ok(id)
}
