//! Sign-ups from the form: record each one with the subscriptions service, then mail its
//! confirmation through the mailing service (the same sender as every other message), and
//! retry confirmations a server outage deferred.

use std::sync::Arc;

use tokio::sync::watch;

use super::mailing::{MailError, OneMessage, Postman};
use super::subscriptions::{SignUpRequest, Subscriptions};
use crate::config::Config;
use crate::email::views::{ConfirmationView, EmailView, ListView, SiteView};
use crate::ledger::{Ledger, LedgerError, Place};
use crate::subscribers::store::SignUp;

/// What a sign-up came to.
#[derive(Debug, thiserror::Error)]
pub enum SignUpError {
    /// The ledger failed: the sign-up was not recorded.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The confirmation e-mail could not be sent.
    #[error(transparent)]
    Mail(#[from] MailError),
}

/// The sign-up service, held by the daemon.
pub struct Signups {
    config: Config,
    postman: Arc<Postman>,
}

impl Signups {
    /// The service for `config`, mailing through `postman`.
    pub fn new(config: Config, postman: Postman) -> Self {
        Signups {
            config,
            postman: Arc::new(postman),
        }
    }

    fn place(&self) -> Place {
        Place::of(&self.config)
    }

    /// Records one sign-up and, when the rules allow, sends its confirmation e-mail. Runs on
    /// a blocking thread (SQLite, and the ledger held across the SMTP exchange): `runtime`
    /// drives the e-mail's delivery.
    pub fn handle(
        &self,
        request: &SignUpRequest,
        runtime: &tokio::runtime::Handle,
        shutdown: watch::Receiver<bool>,
    ) -> Result<SignUp, SignUpError> {
        let mut ledger = Ledger::open(&self.place())?;
        let outcome = Subscriptions::new(&mut ledger, &self.config).sign_up(request)?;
        drop(ledger);
        if let SignUp::Confirm(lists) = &outcome {
            let one = self.confirmation(request, lists);
            let sent = runtime.block_on(self.postman.send_one(one, shutdown))?;
            if sent.deferred > 0 {
                tracing::warn!(
                    "a confirmation e-mail was deferred (mail server unavailable); it is retried"
                );
            }
            self.log_outbox_link(request);
        }
        Ok(outcome)
    }

    /// Without an SMTP server (trying crier out), the confirmation e-mail is a file in the
    /// outbox, quoted-printable: its link is logged decoded so it can be opened. Never with a
    /// server: the link is a credential.
    fn log_outbox_link(&self, request: &SignUpRequest) {
        if self.config.smtp.is_some() {
            return;
        }
        let dir = self.config.delivery.outbox_dir.join("confirm");
        let listed = super::outbox::list(&dir, Some(1), Some(request.address.as_str()));
        let Some(message) = listed.first() else {
            return;
        };
        if let Some((_, link)) = message.links.iter().find(|(what, _)| what == "confirm") {
            let local = super::outbox::on_this_machine(link, self.config.server.bind);
            // Not the file: its name holds the address, which no log line shows.
            tracing::info!(
                link = %local.as_deref().unwrap_or(link),
                "no SMTP server: the confirmation e-mail is in the outbox; open its link to confirm (`crier outbox` lists every message)"
            );
        }
    }

    /// Retries every confirmation a server outage deferred (on a blocking thread, like
    /// [`Signups::handle`]).
    pub fn retry(
        &self,
        runtime: &tokio::runtime::Handle,
        shutdown: watch::Receiver<bool>,
    ) -> Result<usize, MailError> {
        runtime.block_on(self.postman.retry_unfinished(shutdown))
    }

    /// The confirmation e-mail of a sign-up to `lists`.
    fn confirmation(&self, request: &SignUpRequest, lists: &[String]) -> OneMessage {
        let audience = &self.config.audience;
        let view = ConfirmationView {
            site: SiteView::of(&self.config.site),
            lists: lists
                .iter()
                .filter_map(|l| audience.list(l))
                .map(|l| ListView {
                    name: l.name.clone(),
                    title: l.title.clone(),
                })
                .collect(),
            confirm_days: audience.confirm_days,
            issued: request.at.timestamp(),
            notice: None,
        };
        OneMessage {
            to: request.address.clone(),
            list: lists.first().cloned().unwrap_or_default(),
            view: EmailView::Confirmation(Box::new(view)),
            at: request.at,
        }
    }
}
