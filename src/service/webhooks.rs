//! Sending providers' webhooks: a request to `/webhooks/<provider>` is verified (signature,
//! age, replay, topic) by [`crate::bounce::webhook`], and its events go to the bounce service
//! like any report. A forged, stale or replayed request changes nothing.

use chrono::{DateTime, Utc};

use super::bounces::Bounces;
use crate::bounce::webhook::{
    self, CachedCerts, Guard, MailgunSettings, Outcome, PostmarkSettings, Provider, Request,
    SendgridSettings, SesSettings, WebhookSettings,
};
use crate::config::{Config, SecretError};
use crate::email::TokenKey;
use crate::ledger::{Ledger, LedgerError};

/// The webhook service, held by the daemon.
pub struct Webhooks {
    config: Config,
    key: TokenKey,
    settings: WebhookSettings,
    certs: CachedCerts,
}

/// A provider's secret cannot be read when the daemon starts.
#[derive(Debug, thiserror::Error)]
#[error("bounces.webhooks.{provider}: {source}")]
pub struct WebhookSetupError {
    /// The provider.
    pub provider: &'static str,
    /// Why.
    #[source]
    pub source: SecretError,
}

/// What to answer the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// A short text for the body (and the log).
    pub text: String,
}

impl Webhooks {
    /// The service for `config`, reading its secrets now (from the environment or files).
    pub fn new(config: Config, key: TokenKey) -> Result<Self, WebhookSetupError> {
        let w = &config.bounces.webhooks;
        let max_age_secs = w.max_age_secs;
        let settings = WebhookSettings {
            ses: (!w.ses_topics.is_empty()).then(|| SesSettings {
                topics: w.ses_topics.clone(),
            }),
            mailgun: match &w.mailgun {
                Some(secret) => Some(MailgunSettings {
                    signing_key: secret.read().map_err(|source| WebhookSetupError {
                        provider: "mailgun",
                        source,
                    })?,
                    max_age_secs,
                }),
                None => None,
            },
            sendgrid: w.sendgrid_key.as_ref().map(|key| SendgridSettings {
                public_key_pem_or_base64: key.clone(),
                max_age_secs,
            }),
            postmark: match &w.postmark {
                Some((username, secret)) => Some(PostmarkSettings {
                    username: username.clone(),
                    password: secret.read().map_err(|source| WebhookSetupError {
                        provider: "postmark",
                        source,
                    })?,
                }),
                None => None,
            },
        };
        let certs = CachedCerts::new(config.delivery.state_dir().join("sns-certs"));
        Ok(Webhooks {
            config,
            key,
            settings,
            certs,
        })
    }

    /// Handles one request (on a blocking thread: it may fetch a certificate, and it uses
    /// the ledger).
    pub fn handle(
        &self,
        provider: &str,
        headers: &[(String, String)],
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Answer {
        let Some(provider) = Provider::from_path(provider) else {
            return answer(404, "no such webhook");
        };
        let mut ledger = match Ledger::open(&crate::ledger::Place::of(&self.config)) {
            Ok(ledger) => ledger,
            Err(err) => {
                tracing::error!(%err, "webhook: the ledger is unavailable");
                return answer(503, "try again later");
            }
        };
        let window = self.settings.replay_window();
        let mut guard = LedgerGuard {
            ledger: &ledger,
            window,
            failed: None,
            recorded: Vec::new(),
        };
        let request = Request::new(headers, body);
        let outcome = webhook::verify(
            provider,
            &request,
            &self.settings,
            &mut guard,
            &self.certs,
            now,
        );
        if let Some(err) = guard.failed.take() {
            tracing::error!(%err, "webhook: cannot record the request");
            return answer(503, "try again later");
        }
        let recorded = std::mem::take(&mut guard.recorded);
        match outcome {
            Ok(Outcome::Events(events)) => {
                let answer = self.act(&mut ledger, provider, events, now);
                if answer.status != 200 {
                    // Not acted on: forget the request, so the provider's retry is accepted.
                    for (provider, id) in recorded {
                        let _ = ledger.webhook_forget(provider, &id);
                    }
                }
                answer
            }
            Ok(Outcome::Confirm {
                subscribe_url,
                topic,
            }) => confirm(&subscribe_url, &topic),
            Ok(Outcome::Ignored(why)) => answer(200, &format!("ignored: {why}")),
            Err(err) => {
                let status = err.http_status();
                if status == 200 {
                    tracing::info!(
                        provider = provider.as_str(),
                        "webhook: a replayed request changed nothing"
                    );
                } else {
                    tracing::warn!(provider = provider.as_str(), %err, "webhook: request refused");
                }
                answer(status, &err.to_string())
            }
        }
    }

    fn act(
        &self,
        ledger: &mut Ledger,
        provider: Provider,
        events: Vec<webhook::Event>,
        now: DateTime<Utc>,
    ) -> Answer {
        let source = format!("webhook:{}", provider.as_str());
        let taken: Vec<_> = events
            .into_iter()
            .map(|e| {
                let id = format!("{}:{}:{}", provider.as_str(), e.provider_id, e.recipient);
                let mut verdict = e.verdict;
                verdict.recipient.get_or_insert(e.recipient);
                (verdict, e.message_id, id)
            })
            .collect();
        let bounces = Bounces::new(&self.config, &self.key);
        let done = bounces
            .decide_events(ledger, taken, &source, now)
            .and_then(|decisions| bounces.apply(ledger, &decisions, now));
        match done {
            Ok(applied) => {
                for d in &applied {
                    let who = d
                        .recipient
                        .as_deref()
                        .map(|r| {
                            self.key
                                .pseudonym(&crate::subscribers::Address::unchecked(r))
                        })
                        .unwrap_or_default();
                    tracing::info!(
                        %who,
                        kind = d.kind,
                        reason = d.reason,
                        action = d.action.as_str(),
                        "{source}: report taken"
                    );
                }
                answer(200, &format!("{} decisions", applied.len()))
            }
            Err(err) => {
                tracing::error!(%err, "webhook: cannot act on the request");
                answer(503, "try again later")
            }
        }
    }
}

fn answer(status: u16, text: &str) -> Answer {
    Answer {
        status,
        text: text.to_owned(),
    }
}

/// Confirms an SNS subscription by fetching its (already checked) URL.
fn confirm(url: &str, topic: &str) -> Answer {
    match webhook::check_subscribe_url(url) {
        Ok(checked) => match ureq::get(checked.as_str()).call() {
            Ok(_) => {
                tracing::info!(%topic, "SNS subscription confirmed");
                answer(200, "subscription confirmed")
            }
            Err(err) => {
                tracing::warn!(%topic, %err, "SNS subscription not confirmed; SNS will ask again");
                answer(503, "cannot confirm the subscription now")
            }
        },
        Err(err) => answer(400, &err.to_string()),
    }
}

/// Replays refused through the ledger, so they are refused across restarts and daemons.
struct LedgerGuard<'a> {
    ledger: &'a Ledger,
    window: chrono::Duration,
    failed: Option<LedgerError>,
    /// What this request recorded, to forget if it cannot be acted on.
    recorded: Vec<(&'static str, String)>,
}

impl Guard for LedgerGuard<'_> {
    fn seen(&mut self, provider: &'static str, id: &str, at: DateTime<Utc>) -> bool {
        match self.ledger.webhook_seen(provider, id, at, at - self.window) {
            Ok(true) => true,
            Ok(false) => {
                self.recorded.push((provider, id.to_owned()));
                false
            }
            Err(err) => {
                // Unknown: refuse (the caller answers 503 and the provider retries).
                self.failed = Some(err);
                true
            }
        }
    }

    fn forget(&mut self, provider: &'static str, id: &str) {
        let _ = self.ledger.webhook_forget(provider, id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(root: &std::path::Path, webhooks: &str) -> Config {
        let text = format!(
            "site:\n  title: T\n  url: https://example.org/\n  author: A\n\
             bounces:\n  domain: bounces.example.org\n  webhooks:\n{webhooks}"
        );
        crate::config::parse(root, &root.join("crier.yaml"), &text).expect("valid config")
    }

    #[test]
    fn an_unreadable_secret_stops_the_start_naming_the_provider_and_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("elsewhere/mailgun.key");
        let config = config(
            &dir.path().join("site"),
            &format!(
                "    mailgun:\n      signing_key_file: {}\n",
                missing.display()
            ),
        );
        let err = Webhooks::new(config, TokenKey::from_bytes(&[1; 32]))
            .err()
            .expect("refused");
        let text = err.to_string();
        assert!(
            text.starts_with("bounces.webhooks.mailgun: cannot read"),
            "{text}"
        );
        assert!(text.contains("mailgun.key"), "{text}");
    }

    #[test]
    fn an_empty_secret_is_refused_and_a_good_one_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("postmark.pass");
        std::fs::write(&file, "\n").unwrap();
        let yaml = format!(
            "    postmark:\n      username: hooks\n      password_file: {}\n",
            file.display()
        );
        let config = config(&dir.path().join("site"), &yaml);
        let err = Webhooks::new(config.clone(), TokenKey::from_bytes(&[1; 32]))
            .err()
            .expect("refused");
        assert_eq!(
            err.to_string(),
            "bounces.webhooks.postmark: the secret is empty"
        );
        std::fs::write(&file, "s3cret\nignored second line\n").unwrap();
        let hooks = Webhooks::new(config, TokenKey::from_bytes(&[1; 32])).expect("read");
        assert_eq!(hooks.settings.postmark.as_ref().unwrap().password, "s3cret");
    }
}
