//! Why a webhook request was refused.

use super::certs::CertError;

/// Why a webhook request was refused. Every refusal leaves everything as it was.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// The provider has no settings: its webhook is off.
    #[error("webhooks from {0} are not configured: add its settings, or remove the webhook at the provider")]
    NotConfigured(&'static str),
    /// The body is over [`super::limits::MAX_BODY`].
    #[error("request body is {size} bytes, over the {max}-byte limit")]
    TooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// Not the provider's format (not JSON, a field of the wrong type, too deep).
    #[error("malformed request: {0}")]
    Malformed(String),
    /// A field or header the signature needs is missing.
    #[error("unsigned request: no {0}")]
    Unsigned(&'static str),
    /// The signature does not verify: forged, tampered with, or signed with another key.
    #[error("signature does not verify (forged, altered, or signed with another key)")]
    BadSignature,
    /// Postmark's Basic auth credentials are missing or wrong.
    #[error("missing or wrong credentials")]
    Unauthorized,
    /// The signed timestamp is too old, or too far ahead.
    #[error("timestamp {at} is older than {max_age_secs} s or ahead of the clock")]
    Stale {
        /// The timestamp, RFC 3339.
        at: String,
        /// The oldest age accepted.
        max_age_secs: i64,
    },
    /// A request already accepted once (same SNS MessageId, Mailgun token, SendGrid signed
    /// payload, Postmark record).
    #[error("{provider} request {id} was already accepted")]
    Replayed {
        /// The provider.
        provider: &'static str,
        /// Its id.
        id: String,
    },
    /// An SNS signing certificate or subscription URL that is not Amazon SNS's.
    #[error(transparent)]
    Certificate(#[from] CertError),
    /// The SNS topic is not on the allow-list.
    #[error("SNS topic {0} is not allowed: add it to the SES topics to accept it")]
    TopicNotAllowed(String),
    /// An SNS `SignatureVersion` other than 1 and 2.
    #[error("SNS SignatureVersion {0:?} is not supported (only 1 and 2)")]
    UnsupportedVersion(String),
    /// The settings themselves are unusable (a SendGrid key that is not a P-256 public key).
    #[error("webhook settings for {provider}: {message}")]
    Settings {
        /// The provider.
        provider: &'static str,
        /// What is wrong.
        message: String,
    },
}

impl WebhookError {
    /// The HTTP status a server answers with. A replay answers 200, so that a provider that
    /// retries an accepted request stops; a certificate that could not be fetched answers 503,
    /// so that SNS tries again later.
    pub fn http_status(&self) -> u16 {
        match self {
            WebhookError::NotConfigured(_) => 404,
            WebhookError::TooLarge { .. } => 413,
            WebhookError::Malformed(_) => 400,
            WebhookError::Unauthorized => 401,
            WebhookError::Replayed { .. } => 200,
            WebhookError::Certificate(e) if e.is_temporary() => 503,
            WebhookError::Settings { .. } => 500,
            WebhookError::Unsigned(_)
            | WebhookError::BadSignature
            | WebhookError::Stale { .. }
            | WebhookError::Certificate(_)
            | WebhookError::TopicNotAllowed(_)
            | WebhookError::UnsupportedVersion(_) => 403,
        }
    }
}
