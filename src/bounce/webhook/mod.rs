//! Bounce and complaint webhooks from sending providers (`/webhooks/<provider>`): checking that
//! a request really comes from the provider, then reading it into one [`Event`] per recipient.
//!
//! Plain data in and out, no HTTP server: the server hands over a [`Request`] and acts on the
//! [`Outcome`]. Amazon SES (through SNS) and SendGrid sign with public keys, Mailgun with a
//! shared key, and Postmark signs nothing, so its requests carry Basic auth credentials in the
//! webhook URL. An unsigned, forged, stale or replayed request is a [`WebhookError`] and gives
//! no events; the replay [`Guard`] remembers a request only once it has proven itself.
//!
//! Requests come from the whole internet: bodies, JSON nesting and arrays are bounded (see
//! [`limits`]), and no input panics.
//!
//! What each provider's words mean is decided conservatively: the provider's own bounce type
//! says permanent or temporary, and the status code and diagnostic text it passes on are read by
//! [`crate::bounce::classify`], so a `550 5.7.1` block is the sender's problem even when the
//! provider calls it permanent. Only recipient-level reasons suppress an address.

mod certs;
mod error;
mod guard;
mod json;
mod judge;
mod mailgun;
mod postmark;
mod sendgrid;
mod ses;
#[doc(hidden)]
pub mod signing;
mod sns;

use chrono::{DateTime, Utc};

pub use certs::{check_cert_url, check_subscribe_url, CachedCerts, CertError, CertSource};
pub use error::WebhookError;
pub use guard::{Guard, MemoryGuard};
pub use sendgrid::{SENDGRID_SIGNATURE_HEADER, SENDGRID_TIMESTAMP_HEADER};
pub use signing::{mailgun_signature, sns_string_to_sign};

use crate::bounce::Verdict;

/// The bounds that keep a hostile request cheap.
pub mod limits {
    use chrono::Duration;

    /// Largest request body read; a provider's batch is far smaller.
    pub const MAX_BODY: usize = 1 << 20;
    /// Deepest JSON nesting accepted.
    pub const MAX_JSON_DEPTH: usize = 32;
    /// Longest JSON array accepted (a SendGrid batch, an SES recipient list).
    pub const MAX_JSON_ARRAY: usize = 1_000;
    /// Most recipients read from one SES notification.
    pub const MAX_RECIPIENTS: usize = crate::bounce::limits::MAX_RECIPIENTS;
    /// Largest signing certificate fetched.
    pub const MAX_CERT_BYTES: u64 = 64 << 10;
    /// How far ahead of our clock a signed timestamp may be (the provider's clock drifts too).
    pub const FUTURE_SKEW: Duration = Duration::minutes(5);
    /// Oldest SNS message accepted (AWS's own recommendation).
    pub const SNS_MAX_AGE: Duration = Duration::hours(1);
    /// Longest `max_age_secs` honoured for Mailgun and SendGrid.
    pub const MAX_AGE_CAP: Duration = Duration::days(1);
}

/// The providers crier takes webhooks from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Provider {
    /// Amazon SES notifications delivered by SNS over HTTPS.
    Ses,
    /// Mailgun's webhooks (the JSON ones, with `signature` and `event-data`).
    Mailgun,
    /// SendGrid's Event Webhook with signature verification on.
    Sendgrid,
    /// Postmark's bounce, spam-complaint and subscription-change webhooks.
    Postmark,
}

impl Provider {
    /// Every provider, in the order of [`WebhookSettings`].
    pub const ALL: [Provider; 4] = [
        Provider::Ses,
        Provider::Mailgun,
        Provider::Sendgrid,
        Provider::Postmark,
    ];

    /// The provider a `/webhooks/<provider>` path segment names.
    pub fn from_path(segment: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == segment)
    }

    /// The name used in paths, logs and [`Event::provider`].
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Ses => "ses",
            Provider::Mailgun => "mailgun",
            Provider::Sendgrid => "sendgrid",
            Provider::Postmark => "postmark",
        }
    }
}

/// One webhook request, as the server received it.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The header fields, names lower-cased (compared without case anyway).
    pub headers: &'a [(String, String)],
    /// The raw body, exactly as received: signatures cover these bytes.
    pub body: &'a [u8],
    /// Basic auth credentials the server decoded; when `None`, an `Authorization: Basic`
    /// header is read instead.
    pub basic_auth: Option<(&'a str, &'a str)>,
}

impl<'a> Request<'a> {
    /// A request with these headers and body and no credentials.
    pub fn new(headers: &'a [(String, String)], body: &'a [u8]) -> Self {
        Request {
            headers,
            body,
            basic_auth: None,
        }
    }

    /// The first value of header `name`.
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What a provider reported about one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The recipient's address, trimmed and lower-cased.
    pub recipient: String,
    /// What happened and what crier does about it (its `recipient` is the same address).
    pub verdict: Verdict,
    /// The original message's `Message-ID` without angle brackets, when the provider passes
    /// it on (SES with original headers on, Mailgun, SendGrid's `smtp-id`). Postmark gives only
    /// its own message id, which is what it holds here.
    pub message_id: Option<String>,
    /// The provider's id for the notification. With [`Event::provider`] and
    /// [`Event::recipient`] it identifies the event (an SES notification about three recipients
    /// gives three events with one id), so acting on it twice can be avoided.
    pub provider_id: String,
    /// [`Provider::as_str`] of the provider.
    pub provider: &'static str,
}

/// What a verified request asks of crier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Bounces and complaints to act on (never empty; deliveries, opens and auto-replies are
    /// left out).
    Events(Vec<Event>),
    /// An SNS subscription confirmation for an allowed topic: GET `subscribe_url` (already
    /// checked to be https on `sns.<region>.amazonaws.com`) to start receiving notifications.
    Confirm {
        /// The URL to GET.
        subscribe_url: String,
        /// The topic being subscribed to.
        topic: String,
    },
    /// Authentic, but nothing to act on (a delivery, an open, an unsubscribe confirmation).
    Ignored(String),
}

/// Webhook settings per provider; a provider without settings refuses every request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebhookSettings {
    /// Amazon SES through SNS.
    pub ses: Option<SesSettings>,
    /// Mailgun.
    pub mailgun: Option<MailgunSettings>,
    /// SendGrid.
    pub sendgrid: Option<SendgridSettings>,
    /// Postmark.
    pub postmark: Option<PostmarkSettings>,
}

impl WebhookSettings {
    /// How long a replay [`Guard`] must remember a request: past it, the request's own
    /// timestamp is too old to be accepted anyway.
    pub fn replay_window(&self) -> chrono::Duration {
        let mut longest = limits::SNS_MAX_AGE;
        if let Some(m) = &self.mailgun {
            longest = longest.max(max_age(m.max_age_secs));
        }
        if let Some(s) = &self.sendgrid {
            longest = longest.max(max_age(s.max_age_secs));
        }
        longest + limits::FUTURE_SKEW
    }
}

/// Amazon SES through SNS.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SesSettings {
    /// The SNS topic ARNs accepted (`arn:aws:sns:<region>:<account>:<name>`), compared exactly;
    /// a message or subscription for any other topic is refused.
    pub topics: Vec<String>,
}

/// Mailgun.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct MailgunSettings {
    /// The HTTP webhook signing key (Mailgun's sending settings, "Webhook signing key").
    pub signing_key: String,
    /// Oldest signed timestamp accepted, in seconds (at most a day; 300 is usual).
    pub max_age_secs: u64,
}

/// SendGrid.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SendgridSettings {
    /// The Event Webhook's verification key: the base64 DER SendGrid shows, or a PEM
    /// `PUBLIC KEY`.
    pub public_key_pem_or_base64: String,
    /// Oldest signed timestamp accepted, in seconds (at most a day; 300 is usual).
    pub max_age_secs: u64,
}

/// Postmark.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct PostmarkSettings {
    /// The user name put in the webhook URL (`https://user:password@host/webhooks/postmark`).
    pub username: String,
    /// The password put in the webhook URL: a long random one, as it is the only proof.
    pub password: String,
}

impl std::fmt::Debug for MailgunSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailgunSettings")
            .field("signing_key", &"<secret>")
            .field("max_age_secs", &self.max_age_secs)
            .finish()
    }
}

impl std::fmt::Debug for SendgridSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SendgridSettings")
            .field("public_key_pem_or_base64", &self.public_key_pem_or_base64)
            .field("max_age_secs", &self.max_age_secs)
            .finish()
    }
}

impl std::fmt::Debug for PostmarkSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostmarkSettings")
            .field("username", &self.username)
            .field("password", &"<secret>")
            .finish()
    }
}

/// Checks that `request` comes from `provider` and is neither stale nor replayed, then reads
/// it. `certs` is asked only for SNS certificate URLs that pass [`check_cert_url`]; `guard`
/// records the request only when everything else has passed. Never panics.
pub fn verify(
    provider: Provider,
    request: &Request<'_>,
    settings: &WebhookSettings,
    guard: &mut dyn Guard,
    certs: &dyn CertSource,
    now: DateTime<Utc>,
) -> Result<Outcome, WebhookError> {
    if request.body.len() > limits::MAX_BODY {
        return Err(WebhookError::TooLarge {
            size: request.body.len(),
            max: limits::MAX_BODY,
        });
    }
    let not_configured = || WebhookError::NotConfigured(provider.as_str());
    match provider {
        Provider::Ses => {
            let ses = settings.ses.as_ref().ok_or_else(not_configured)?;
            sns::verify(request, ses, guard, certs, now)
        }
        Provider::Mailgun => {
            let mailgun = settings.mailgun.as_ref().ok_or_else(not_configured)?;
            mailgun::verify(request, mailgun, guard, now)
        }
        Provider::Sendgrid => {
            let sendgrid = settings.sendgrid.as_ref().ok_or_else(not_configured)?;
            sendgrid::verify(request, sendgrid, guard, now)
        }
        Provider::Postmark => {
            let postmark = settings.postmark.as_ref().ok_or_else(not_configured)?;
            postmark::verify(request, postmark, guard, now)
        }
    }
}

/// A configured maximum age, capped at [`limits::MAX_AGE_CAP`].
fn max_age(secs: u64) -> chrono::Duration {
    let capped = secs.min(limits::MAX_AGE_CAP.num_seconds().unsigned_abs());
    chrono::Duration::seconds(i64::try_from(capped).unwrap_or(i64::MAX))
}

/// Refuses a signed timestamp older than `max_age` or too far ahead of `now`.
fn fresh(
    at: DateTime<Utc>,
    now: DateTime<Utc>,
    max_age: chrono::Duration,
) -> Result<(), WebhookError> {
    if at > now + limits::FUTURE_SKEW || now - at > max_age {
        return Err(WebhookError::Stale {
            at: at.to_rfc3339(),
            max_age_secs: max_age.num_seconds(),
        });
    }
    Ok(())
}

/// A Unix timestamp (seconds) as a provider signs it.
fn unix_time(text: &str) -> Result<DateTime<Utc>, WebhookError> {
    text.trim()
        .parse::<i64>()
        .ok()
        .and_then(|secs| DateTime::from_timestamp(secs, 0))
        .ok_or_else(|| WebhookError::Malformed(format!("timestamp {text:?} is not Unix seconds")))
}

/// The events, or why there are none.
fn events_or_ignored(events: Vec<Event>, nothing: impl FnOnce() -> String) -> Outcome {
    if events.is_empty() {
        Outcome::Ignored(nothing())
    } else {
        Outcome::Events(events)
    }
}

#[cfg(test)]
mod test_support;

#[cfg(test)]
mod tests;
