//! SendGrid's signed Event Webhook: an ECDSA P-256 / SHA-256 signature (base64 DER, header
//! `X-Twilio-Email-Event-Webhook-Signature`) over the timestamp header then the raw body, which
//! is a JSON array of events.
//!
//! `bounce` events of type `bounce` are hard only when the status and text say the address is
//! dead (a 5.1.x); type `blocked` is the receiving server refusing the sender; `deferred` is
//! soft; `dropped` (SendGrid did not send, usually for its own suppression lists) is ignored;
//! `spamreport` is a complaint and `unsubscribe` / `group_unsubscribe` opt-outs.

use base64::Engine;
use chrono::{DateTime, Utc};
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{DerSignature, VerifyingKey};
use p256::pkcs8::DecodePublicKey;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::guard::Guard;
use super::judge::{self, Failure, Told};
use super::limits::MAX_JSON_ARRAY;
use super::{events_or_ignored, fresh, json, max_age, unix_time};
use super::{Event, Outcome, Request, SendgridSettings, WebhookError};
use crate::bounce::classify::{Kind, Reason, Verdict};

const PROVIDER: &str = "sendgrid";

/// The signature header.
pub const SENDGRID_SIGNATURE_HEADER: &str = "x-twilio-email-event-webhook-signature";
/// The timestamp header.
pub const SENDGRID_TIMESTAMP_HEADER: &str = "x-twilio-email-event-webhook-timestamp";

pub(super) fn verify(
    request: &Request<'_>,
    settings: &SendgridSettings,
    guard: &mut dyn Guard,
    now: DateTime<Utc>,
) -> Result<Outcome, WebhookError> {
    let key = public_key(&settings.public_key_pem_or_base64)?;
    let signature = request
        .header(SENDGRID_SIGNATURE_HEADER)
        .ok_or(WebhookError::Unsigned(SENDGRID_SIGNATURE_HEADER))?;
    let timestamp = request
        .header(SENDGRID_TIMESTAMP_HEADER)
        .ok_or(WebhookError::Unsigned(SENDGRID_TIMESTAMP_HEADER))?;
    let signature = base64::engine::general_purpose::STANDARD
        .decode(signature.trim())
        .ok()
        .and_then(|der| DerSignature::try_from(der.as_slice()).ok())
        .ok_or(WebhookError::BadSignature)?;
    let signed = signed_payload(timestamp, request.body);
    key.verify(&signed, &signature)
        .map_err(|_| WebhookError::BadSignature)?;
    fresh(unix_time(timestamp)?, now, max_age(settings.max_age_secs))?;

    let batch = json::parse(request.body)?;
    let events = batch
        .as_array()
        .ok_or_else(|| WebhookError::Malformed("SendGrid sends a JSON array of events".into()))?;
    let found: Vec<Event> = events
        .iter()
        .take(MAX_JSON_ARRAY)
        .filter_map(event)
        .collect();
    // The signature covers timestamp and body: the pair is the request's identity (a
    // re-encoded signature of the same bytes is still the same request).
    let id = hex(&Sha256::digest(&signed));
    if guard.seen(PROVIDER, &id, now) {
        return Err(WebhookError::Replayed {
            provider: PROVIDER,
            id,
        });
    }
    let count = events.len();
    Ok(events_or_ignored(found, || {
        format!("no bounce or complaint among {count} SendGrid events")
    }))
}

/// What SendGrid signs: the timestamp header's value, then the raw body.
pub(crate) fn signed_payload(timestamp: &str, body: &[u8]) -> Vec<u8> {
    let mut signed = Vec::with_capacity(timestamp.len() + body.len());
    signed.extend_from_slice(timestamp.as_bytes());
    signed.extend_from_slice(body);
    signed
}

/// The verification key: a PEM `PUBLIC KEY`, or the base64 DER SendGrid shows.
fn public_key(text: &str) -> Result<VerifyingKey, WebhookError> {
    let settings = |message: String| WebhookError::Settings {
        provider: PROVIDER,
        message,
    };
    let text = text.trim();
    if text.is_empty() {
        return Err(WebhookError::NotConfigured(PROVIDER));
    }
    if text.starts_with("-----BEGIN") {
        return VerifyingKey::from_public_key_pem(text)
            .map_err(|e| settings(format!("not a P-256 public key in PEM: {e}")));
    }
    let compact: String = text.split_whitespace().collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|e| settings(format!("the verification key is not base64: {e}")))?;
    VerifyingKey::from_public_key_der(&der)
        .map_err(|e| settings(format!("not a P-256 public key: {e}")))
}

fn event(value: &Value) -> Option<Event> {
    let address = json::address(json::str_at(value, "/email")?)?;
    let verdict = verdict(value, &address)?;
    let id = json::str_at(value, "/sg_event_id")
        .or_else(|| json::str_at(value, "/sg_message_id"))
        .unwrap_or_default();
    let message_id = json::str_at(value, "/smtp-id").and_then(json::message_id);
    judge::event(PROVIDER, verdict, message_id, id)
}

fn verdict(value: &Value, address: &str) -> Option<Verdict> {
    let event = json::str_at(value, "/event")?;
    let failure = |told| {
        let status = json::text_at(value, "/status");
        let reason = json::str_at(value, "/reason")
            .or_else(|| json::str_at(value, "/response"))
            .unwrap_or_default();
        let failure = Failure {
            address,
            status: status.as_deref(),
            diagnostic: reason,
        };
        Some(judge::failure(&failure, told))
    };
    match event {
        "bounce" => match json::str_at(value, "/type") {
            Some("blocked") => failure(Told::SenderSide(Reason::Blocked)),
            _ => failure(Told::Permanent),
        },
        "deferred" => failure(Told::Temporary),
        "spamreport" => Some(judge::told(
            address,
            Kind::Complaint,
            Reason::Abuse,
            "SendGrid: spam report",
        )),
        "unsubscribe" | "group_unsubscribe" => Some(judge::told(
            address,
            Kind::Complaint,
            Reason::OptOut,
            &format!("SendGrid: {event}"),
        )),
        _ => None,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use p256::ecdsa::SigningKey;
    use p256::pkcs8::EncodePublicKey;
    use serde_json::json;

    use super::*;
    use crate::bounce::webhook::signing::sendgrid_signature;
    use crate::bounce::webhook::test_support::*;
    use crate::bounce::webhook::Provider;

    fn run(
        env: &mut Env,
        key: &SigningKey,
        timestamp: &str,
        body: &[u8],
        sent_body: &[u8],
    ) -> Result<Outcome, WebhookError> {
        let headers = vec![
            (
                SENDGRID_SIGNATURE_HEADER.to_owned(),
                sendgrid_signature(key, timestamp, body),
            ),
            (SENDGRID_TIMESTAMP_HEADER.to_owned(), timestamp.to_owned()),
        ];
        env.verify(Provider::Sendgrid, &Request::new(&headers, sent_body))
    }

    fn batch() -> Vec<u8> {
        serde_json::to_vec(&json!([
            {"email": "ada@example.net", "event": "bounce", "type": "bounce", "status": "5.1.1",
             "reason": "550 5.1.1 The email account that you tried to reach does not exist.",
             "sg_event_id": "e1", "smtp-id": "<orig@news.example.com>"},
            {"email": "bob@example.net", "event": "bounce", "type": "blocked", "status": "5.7.1",
             "reason": "550 5.7.1 Message rejected due to IP reputation", "sg_event_id": "e2"},
            {"email": "cy@example.net", "event": "spamreport", "sg_event_id": "e3"},
            {"email": "di@example.net", "event": "deferred", "response": "451 4.7.1 Try again later", "sg_event_id": "e4"},
            {"email": "ed@example.net", "event": "dropped", "reason": "Bounced Address", "sg_event_id": "e5"},
            {"email": "fa@example.net", "event": "delivered", "sg_event_id": "e6"},
            {"email": "gu@example.net", "event": "group_unsubscribe", "sg_event_id": "e7"},
        ]))
        .unwrap()
    }

    #[test]
    fn a_signed_batch_gives_the_right_kinds() {
        let mut env = Env::new();
        let body = batch();
        let ts = env.now.timestamp().to_string();
        let Ok(Outcome::Events(events)) = run(&mut env, &sendgrid_key(), &ts, &body, &body) else {
            panic!("no events");
        };
        let kinds: Vec<(&str, Kind)> = events
            .iter()
            .map(|e| (e.recipient.as_str(), e.verdict.kind))
            .collect();
        assert_eq!(
            kinds,
            [
                ("ada@example.net", Kind::Hard),
                ("bob@example.net", Kind::SenderSide),
                ("cy@example.net", Kind::Complaint),
                ("di@example.net", Kind::Soft),
                ("gu@example.net", Kind::Complaint),
            ]
        );
        assert_eq!(
            events[0].message_id.as_deref(),
            Some("orig@news.example.com")
        );
        assert_eq!(events[0].provider_id, "e1");
    }

    #[test]
    fn the_key_is_accepted_as_base64_der_or_pem() {
        let mut env = Env::new();
        let pem = sendgrid_key()
            .verifying_key()
            .to_public_key_pem(Default::default())
            .unwrap();
        env.settings
            .sendgrid
            .as_mut()
            .unwrap()
            .public_key_pem_or_base64 = pem;
        let body = batch();
        let ts = env.now.timestamp().to_string();
        assert!(run(&mut env, &sendgrid_key(), &ts, &body, &body).is_ok());
        env.settings
            .sendgrid
            .as_mut()
            .unwrap()
            .public_key_pem_or_base64 = "bm90IGEga2V5".into();
        assert!(matches!(
            run(&mut env, &sendgrid_key(), &ts, &body, &body),
            Err(WebhookError::Settings { .. })
        ));
    }

    #[test]
    fn forged_tampered_stale_and_replayed_batches_are_refused() {
        let mut env = Env::new();
        let body = batch();
        let ts = env.now.timestamp().to_string();
        let other = SigningKey::from_slice(&[7; 32]).unwrap();
        assert!(matches!(
            run(&mut env, &other, &ts, &body, &body),
            Err(WebhookError::BadSignature)
        ));
        let tampered = String::from_utf8(body.clone())
            .unwrap()
            .replace("bob@", "eve@");
        assert!(matches!(
            run(&mut env, &sendgrid_key(), &ts, &body, tampered.as_bytes()),
            Err(WebhookError::BadSignature)
        ));
        let old = (env.now.timestamp() - 301).to_string();
        assert!(matches!(
            run(&mut env, &sendgrid_key(), &old, &body, &body),
            Err(WebhookError::Stale { .. })
        ));
        assert!(matches!(
            env.verify(Provider::Sendgrid, &Request::new(&[], &body)),
            Err(WebhookError::Unsigned(_))
        ));
        assert!(env.guard.is_empty());

        assert!(run(&mut env, &sendgrid_key(), &ts, &body, &body).is_ok());
        assert!(matches!(
            run(&mut env, &sendgrid_key(), &ts, &body, &body),
            Err(WebhookError::Replayed { .. })
        ));
    }
}
