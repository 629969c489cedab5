//! Mailgun's webhooks: `signature` (an HMAC-SHA256 of timestamp and token with the webhook
//! signing key, in hex) and `event-data`, one event per request.
//!
//! `failed` with severity `permanent` is hard only when the status and text say the address is
//! dead (a 5.1.x); `temporary` is soft; `complained` is a complaint and `unsubscribed` an
//! opt-out. Mailgun's own suppressions (`suppress-bounce`, …) say the address is already on
//! its lists.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use super::guard::Guard;
use super::judge::{self, Failure, Told};
use super::{events_or_ignored, fresh, json, max_age, unix_time};
use super::{MailgunSettings, Outcome, Request, WebhookError};
use crate::bounce::classify::{Kind, Reason};

const PROVIDER: &str = "mailgun";

/// Longest token accepted (Mailgun's are 50 characters).
const MAX_TOKEN: usize = 256;

pub(super) fn verify(
    request: &Request<'_>,
    settings: &MailgunSettings,
    guard: &mut dyn Guard,
    now: DateTime<Utc>,
) -> Result<Outcome, WebhookError> {
    if settings.signing_key.is_empty() {
        return Err(WebhookError::NotConfigured(PROVIDER));
    }
    let body = json::parse(request.body)?;
    let timestamp =
        json::text_at(&body, "/signature/timestamp").ok_or(WebhookError::Unsigned("timestamp"))?;
    let token = json::str_at(&body, "/signature/token").ok_or(WebhookError::Unsigned("token"))?;
    let signature =
        json::str_at(&body, "/signature/signature").ok_or(WebhookError::Unsigned("signature"))?;
    if token.len() > MAX_TOKEN {
        return Err(WebhookError::Malformed("Mailgun token too long".into()));
    }
    let expected = from_hex(signature).ok_or(WebhookError::BadSignature)?;
    mac(&settings.signing_key, &timestamp, token)
        .verify_slice(&expected)
        .map_err(|_| WebhookError::BadSignature)?;
    fresh(unix_time(&timestamp)?, now, max_age(settings.max_age_secs))?;

    let data = body
        .get("event-data")
        .ok_or_else(|| WebhookError::Malformed("no event-data".into()))?;
    let outcome = outcome(data, token);
    if guard.seen(PROVIDER, token, now) {
        return Err(WebhookError::Replayed {
            provider: PROVIDER,
            id: token.to_owned(),
        });
    }
    Ok(outcome)
}

/// The HMAC Mailgun computes: SHA-256, keyed with the signing key, over timestamp then token.
pub(crate) fn mac(signing_key: &str, timestamp: &str, token: &str) -> Hmac<Sha256> {
    // HMAC takes keys of any length: `new_from_slice` cannot fail for it.
    let mut mac = Hmac::<Sha256>::new_from_slice(signing_key.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(timestamp.as_bytes());
    mac.update(token.as_bytes());
    mac
}

fn from_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || text.len() > 128 {
        return None;
    }
    text.as_bytes()
        .chunks(2)
        .map(|pair| {
            let digits = std::str::from_utf8(pair).ok()?;
            u8::from_str_radix(digits, 16).ok()
        })
        .collect()
}

/// What one `event-data` says.
fn outcome(data: &Value, token: &str) -> Outcome {
    let event = json::str_at(data, "/event").unwrap_or_default();
    let found = json::str_at(data, "/recipient")
        .and_then(json::address)
        .and_then(|address| {
            let verdict = verdict(data, event, &address)?;
            let id = json::str_at(data, "/id").unwrap_or(token);
            let message_id =
                json::str_at(data, "/message/headers/message-id").and_then(json::message_id);
            judge::event(PROVIDER, verdict, message_id, id)
        });
    events_or_ignored(Vec::from_iter(found), || format!("Mailgun {event:?} event"))
}

fn verdict(data: &Value, event: &str, address: &str) -> Option<crate::bounce::Verdict> {
    let reason = json::str_at(data, "/reason").unwrap_or_default();
    let told = |kind, why, detail: &str| Some(judge::told(address, kind, why, detail));
    match (event, reason) {
        ("complained", _) => told(Kind::Complaint, Reason::Abuse, "Mailgun: complained"),
        ("unsubscribed", _) => told(Kind::Complaint, Reason::OptOut, "Mailgun: unsubscribed"),
        ("failed", "suppress-bounce") => told(
            Kind::Hard,
            Reason::Suppressed,
            "Mailgun: on the bounce suppression list",
        ),
        ("failed", "suppress-complaint") => told(
            Kind::Complaint,
            Reason::Abuse,
            "Mailgun: on the complaint suppression list",
        ),
        ("failed", "suppress-unsubscribe") => told(
            Kind::Complaint,
            Reason::OptOut,
            "Mailgun: on the unsubscribe suppression list",
        ),
        ("failed", _) => {
            let diagnostic = diagnostic(data);
            let status = json::str_at(data, "/delivery-status/enhanced-code");
            let failure = Failure {
                address,
                status,
                diagnostic: &diagnostic,
            };
            let told = match (json::str_at(data, "/severity"), reason) {
                (_, "espblock") => Told::SenderSide(Reason::Blocked),
                (Some("permanent"), _) => Told::Permanent,
                _ => Told::Temporary,
            };
            Some(judge::failure(&failure, told))
        }
        _ => None,
    }
}

/// The remote server's reply as Mailgun passes it on: its SMTP code, message and description.
fn diagnostic(data: &Value) -> String {
    let code = json::text_at(data, "/delivery-status/code").unwrap_or_default();
    let message = json::str_at(data, "/delivery-status/message").unwrap_or_default();
    let description = json::str_at(data, "/delivery-status/description").unwrap_or_default();
    let text = [message, description]
        .into_iter()
        .filter(|t| !t.trim().is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let has_code = text.trim_start().starts_with(|c: char| c.is_ascii_digit());
    if code.len() == 3 && !has_code {
        format!("{code} {text}")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::bounce::webhook::test_support::*;
    use crate::bounce::webhook::{mailgun_signature, Provider};

    const KEY: &str = "key-test-signing";

    fn request(
        env: &mut Env,
        timestamp: i64,
        token: &str,
        key: &str,
        data: &Value,
    ) -> Result<Outcome, WebhookError> {
        let timestamp = timestamp.to_string();
        let body = json!({
            "signature": {
                "timestamp": timestamp,
                "token": token,
                "signature": mailgun_signature(key, &timestamp, token),
            },
            "event-data": data,
        });
        let body = serde_json::to_vec(&body).unwrap();
        env.verify(Provider::Mailgun, &Request::new(&[], &body))
    }

    fn failed(severity: &str, code: i64, enhanced: &str, message: &str) -> Value {
        json!({
            "event": "failed",
            "id": "ev-1",
            "severity": severity,
            "reason": "bounce",
            "recipient": "ada@example.net",
            "delivery-status": {"code": code, "enhanced-code": enhanced, "message": message, "description": ""},
            "message": {"headers": {"message-id": "orig@news.example.com"}},
        })
    }

    fn kinds(env: &mut Env, data: &Value, token: &str) -> (Kind, Reason) {
        let now = env.now.timestamp();
        match request(env, now, token, KEY, data) {
            Ok(Outcome::Events(e)) => (e[0].verdict.kind, e[0].verdict.reason),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn signed_events_give_the_right_kinds() {
        let mut env = Env::new();
        let unknown = failed(
            "permanent",
            550,
            "5.1.1",
            "5.1.1 The email account that you tried to reach does not exist.",
        );
        assert_eq!(
            kinds(&mut env, &unknown, "t1"),
            (Kind::Hard, Reason::UserUnknown)
        );
        let temporary = failed(
            "temporary",
            452,
            "4.2.2",
            "4.2.2 The email account that you tried to reach is over quota.",
        );
        assert_eq!(kinds(&mut env, &temporary, "t2").0, Kind::Soft);
        let blocked = failed(
            "permanent",
            554,
            "5.7.1",
            "5.7.1 Service unavailable; Client host blocked using Spamhaus",
        );
        assert_eq!(kinds(&mut env, &blocked, "t3").0, Kind::SenderSide);
        let complained =
            json!({"event": "complained", "id": "ev-4", "recipient": "ada@example.net"});
        assert_eq!(
            kinds(&mut env, &complained, "t4"),
            (Kind::Complaint, Reason::Abuse)
        );
        let unsubscribed =
            json!({"event": "unsubscribed", "id": "ev-5", "recipient": "ada@example.net"});
        assert_eq!(
            kinds(&mut env, &unsubscribed, "t5"),
            (Kind::Complaint, Reason::OptOut)
        );

        let now = env.now.timestamp();
        let Ok(Outcome::Events(events)) = request(&mut env, now, "t6", KEY, &unknown) else {
            panic!()
        };
        assert_eq!(
            events[0].message_id.as_deref(),
            Some("orig@news.example.com")
        );
        assert_eq!(events[0].provider_id, "ev-1");
        let delivered = json!({"event": "delivered", "recipient": "ada@example.net"});
        assert!(matches!(
            request(&mut env, now, "t7", KEY, &delivered),
            Ok(Outcome::Ignored(_))
        ));
    }

    #[test]
    fn forged_tampered_stale_and_replayed_requests_are_refused() {
        let mut env = Env::new();
        let now = env.now.timestamp();
        let data = failed("permanent", 550, "5.1.1", "No such user");
        assert!(matches!(
            request(&mut env, now, "t1", "another key", &data),
            Err(WebhookError::BadSignature)
        ));
        assert!(matches!(
            request(&mut env, now - 301, "t1", KEY, &data),
            Err(WebhookError::Stale { .. })
        ));
        assert!(matches!(
            request(&mut env, now + 3600, "t1", KEY, &data),
            Err(WebhookError::Stale { .. })
        ));

        // Signed for one timestamp, sent with another.
        let timestamp = now.to_string();
        let tampered = json!({
            "signature": {"timestamp": (now + 1).to_string(), "token": "t1", "signature": mailgun_signature(KEY, &timestamp, "t1")},
            "event-data": data,
        });
        let body = serde_json::to_vec(&tampered).unwrap();
        assert!(matches!(
            env.verify(Provider::Mailgun, &Request::new(&[], &body)),
            Err(WebhookError::BadSignature)
        ));
        let unsigned = serde_json::to_vec(&json!({"event-data": data})).unwrap();
        assert!(matches!(
            env.verify(Provider::Mailgun, &Request::new(&[], &unsigned)),
            Err(WebhookError::Unsigned(_))
        ));
        assert!(env.guard.is_empty(), "nothing refused was recorded");

        assert!(request(&mut env, now, "t1", KEY, &data).is_ok());
        assert!(matches!(
            request(&mut env, now, "t1", KEY, &data),
            Err(WebhookError::Replayed { .. })
        ));
    }

    #[test]
    fn the_signature_is_mailguns_documented_hmac() {
        // HMAC-SHA256("key", "1234567890" + "token"), computed independently (Python's hmac).
        assert_eq!(
            mailgun_signature("key", "1234567890", "token"),
            "2e1028722ebbc78f5911f3da5c812e07f545d162c23f2c926d71805df7f4aff5"
        );
        assert_eq!(from_hex("0aFf"), Some(vec![0x0a, 0xff]));
        assert_eq!(from_hex("0g"), None);
        assert_eq!(from_hex("abc"), None);
    }
}
