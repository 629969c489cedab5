//! What the webhook tests share: settings, a locally made SNS certificate in a cache folder, a
//! fixed clock, and requests signed as each provider signs them.

use chrono::{DateTime, Utc};
use p256::ecdsa::SigningKey;
use serde_json::{json, Value};

use super::signing::{sendgrid_public_key, sign_sns};
use super::*;

pub(crate) const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:crier-bounces";
pub(crate) const MESSAGE_ID: &str = "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324";
pub(crate) const TIMESTAMP: &str = "2026-12-01T10:00:00.000Z";
pub(crate) const CERT_URL: &str =
    "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000test.pem";
/// A self-signed certificate and its key, made with OpenSSL for these tests only.
pub(crate) const CERT_PEM: &str =
    include_str!("../../../tests/fixtures/webhooks/sns-test-cert.pem");
pub(crate) const KEY_PEM: &str = include_str!("../../../tests/fixtures/webhooks/sns-test-key.pem");
/// A second RSA key, for forgeries.
pub(crate) const OTHER_KEY_PEM: &str =
    include_str!("../../../tests/fixtures/webhooks/other-test-key.pem");
pub(crate) const MAILGUN_KEY: &str = "key-test-signing";
pub(crate) const POSTMARK_USER: &str = "crier";
pub(crate) const POSTMARK_PASSWORD: &str = "correct horse battery staple";

/// SendGrid's signing key in these tests.
pub(crate) fn sendgrid_key() -> SigningKey {
    SigningKey::from_slice(&[0x11; 32]).expect("a valid P-256 scalar")
}

pub(crate) fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .expect("a test timestamp")
        .with_timezone(&Utc)
}

/// Every provider configured, a guard, the certificate cached under [`CERT_URL`], and the
/// clock a minute after [`TIMESTAMP`].
pub(crate) struct Env {
    pub settings: WebhookSettings,
    pub guard: MemoryGuard,
    pub certs: CachedCerts,
    pub now: DateTime<Utc>,
    _dir: tempfile::TempDir,
}

impl Env {
    pub fn new() -> Self {
        let settings = settings();
        let dir = tempfile::tempdir().expect("a temporary folder");
        let env = Env {
            guard: MemoryGuard::for_settings(&settings),
            settings,
            certs: CachedCerts::new(dir.path()),
            now: at(TIMESTAMP) + chrono::Duration::minutes(1),
            _dir: dir,
        };
        env.cache(CERT_URL);
        env
    }

    /// Puts the test certificate in the cache under `url`.
    pub fn cache(&self, url: &str) {
        std::fs::write(self.certs.cache_path(url), CERT_PEM).expect("the cache is writable");
    }

    pub fn verify(
        &mut self,
        provider: Provider,
        request: &Request<'_>,
    ) -> Result<Outcome, WebhookError> {
        verify(
            provider,
            request,
            &self.settings,
            &mut self.guard,
            &self.certs,
            self.now,
        )
    }
}

pub(crate) fn settings() -> WebhookSettings {
    WebhookSettings {
        ses: Some(SesSettings {
            topics: vec![TOPIC.to_owned()],
        }),
        mailgun: Some(MailgunSettings {
            signing_key: MAILGUN_KEY.to_owned(),
            max_age_secs: 300,
        }),
        sendgrid: Some(SendgridSettings {
            public_key_pem_or_base64: sendgrid_public_key(&sendgrid_key()),
            max_age_secs: 300,
        }),
        postmark: Some(PostmarkSettings {
            username: POSTMARK_USER.to_owned(),
            password: POSTMARK_PASSWORD.to_owned(),
        }),
    }
}

/// An SES bounce notification about ada@example.net, as SNS's `Message`.
pub(crate) fn ses_bounce(bounce_type: &str, sub_type: &str, status: &str) -> String {
    json!({
        "notificationType": "Bounce",
        "bounce": {
            "feedbackId": "feedback-1",
            "bounceType": bounce_type,
            "bounceSubType": sub_type,
            "bouncedRecipients": [{
                "emailAddress": "ada@example.net",
                "action": "failed",
                "status": status,
                "diagnosticCode": format!("smtp; 550 {status} <ada@example.net>: Recipient address rejected: User unknown"),
            }],
            "timestamp": TIMESTAMP,
        },
        "mail": {
            "messageId": "0100018c-ses-own-id",
            "commonHeaders": {"messageId": "<original.1@news.example.com>"},
        },
    })
    .to_string()
}

/// A signed SNS notification carrying `message`.
pub(crate) fn sns_notification(message: &str, version: u8) -> Value {
    let mut value = json!({
        "Type": "Notification",
        "MessageId": MESSAGE_ID,
        "TopicArn": TOPIC,
        "Message": message,
        "Timestamp": TIMESTAMP,
        "SigningCertURL": CERT_URL,
        "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=x",
    });
    sign(&mut value, version);
    value
}

/// A signed SNS subscription confirmation for [`TOPIC`].
pub(crate) fn sns_confirmation(version: u8) -> Value {
    let mut value = json!({
        "Type": "SubscriptionConfirmation",
        "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
        "Token": "2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a747ba6f3beb71854e285d6ad02428b09ceece29417f1f02d609c582afbacc99c583a916b9981dd2728f4ae6fdb82efd087cc3b7849e05798d2d2785c03b0879594eeac82c01f235d0e717736",
        "TopicArn": TOPIC,
        "Message": format!("You have chosen to subscribe to the topic {TOPIC}.\nTo confirm the subscription, visit the SubscribeURL included in this message."),
        "SubscribeURL": format!("https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn={TOPIC}&Token=2336412f37"),
        "Timestamp": TIMESTAMP,
        "SigningCertURL": CERT_URL,
    });
    sign(&mut value, version);
    value
}

/// Signs `message` as SNS does with the test key.
pub(crate) fn sign(message: &mut Value, version: u8) {
    message["SignatureVersion"] = json!(version.to_string());
    sign_sns(message, KEY_PEM).expect("signable");
}

/// Signs `message` with a key that is not the certificate's.
pub(crate) fn sign_with_other_key(message: &mut Value, version: u8) {
    message["SignatureVersion"] = json!(version.to_string());
    sign_sns(message, OTHER_KEY_PEM).expect("signable");
}
