//! Postmark's bounce, spam-complaint and subscription-change webhooks. Postmark signs nothing:
//! the webhook URL carries Basic auth credentials (`https://user:password@…`), compared here in
//! constant time. Postmark gives no signed timestamp either, so a replay is told by the
//! record's id.
//!
//! `HardBounce` and `BadEmailAddress` are hard unless the text says otherwise; `SoftBounce`,
//! `Transient` and `DnsError` soft; `SpamComplaint` a complaint and `Unsubscribe` an opt-out;
//! `Blocked`, `DMARCPolicy` and the like sender-side; auto-replies and spam notifications
//! ignored.

use base64::Engine;
use serde_json::Value;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::guard::Guard;
use super::judge::{self, Failure, Told};
use super::{events_or_ignored, json, Outcome, PostmarkSettings, Request, WebhookError};
use crate::bounce::classify::{Kind, Reason, Verdict};

const PROVIDER: &str = "postmark";

pub(super) fn verify(
    request: &Request<'_>,
    settings: &PostmarkSettings,
    guard: &mut dyn Guard,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Outcome, WebhookError> {
    if settings.password.is_empty() {
        return Err(WebhookError::NotConfigured(PROVIDER));
    }
    let (user, password) = credentials(request).ok_or(WebhookError::Unauthorized)?;
    // Both compared, whatever the first gives: the time taken tells nothing.
    let matches = same(&user, &settings.username) & same(&password, &settings.password);
    if !matches {
        return Err(WebhookError::Unauthorized);
    }
    let record = json::parse(request.body)?;
    let record_type = json::str_at(&record, "/RecordType")
        .ok_or_else(|| WebhookError::Malformed("no RecordType".into()))?;
    let id = json::text_at(&record, "/ID").unwrap_or_else(|| {
        // A subscription change has no id of its own.
        let who = json::str_at(&record, "/Recipient").unwrap_or_default();
        let when = json::str_at(&record, "/ChangedAt").unwrap_or_default();
        format!("{who}@{when}")
    });
    let replay_id = format!("{record_type}:{id}");
    let outcome = outcome(&record, record_type, &id);
    if guard.seen(PROVIDER, &replay_id, now) {
        return Err(WebhookError::Replayed {
            provider: PROVIDER,
            id: replay_id,
        });
    }
    Ok(outcome)
}

/// The Basic auth credentials: the server's decoding, else the `Authorization` header.
fn credentials(request: &Request<'_>) -> Option<(String, String)> {
    if let Some((user, password)) = request.basic_auth {
        return Some((user.to_owned(), password.to_owned()));
    }
    let header = request.header("authorization")?.trim();
    let (scheme, encoded) = header.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

/// Compares in constant time, lengths included (the digests are what is compared).
fn same(given: &str, expected: &str) -> bool {
    let given = Sha256::digest(given.as_bytes());
    let expected = Sha256::digest(expected.as_bytes());
    given.as_slice().ct_eq(expected.as_slice()).into()
}

fn outcome(record: &Value, record_type: &str, id: &str) -> Outcome {
    let address = match record_type {
        "SubscriptionChange" => json::str_at(record, "/Recipient"),
        _ => json::str_at(record, "/Email"),
    }
    .and_then(json::address);
    let verdict = address.and_then(|a| match record_type {
        "Bounce" | "SpamComplaint" => bounce(record, &a),
        "SubscriptionChange" => subscription_change(record, &a),
        _ => None,
    });
    let message_id = json::str_at(record, "/MessageID").and_then(json::message_id);
    let found = verdict.and_then(|v| judge::event(PROVIDER, v, message_id, id));
    events_or_ignored(Vec::from_iter(found), || {
        let kind = json::str_at(record, "/Type").unwrap_or(record_type);
        format!("Postmark {kind} record")
    })
}

fn bounce(record: &Value, address: &str) -> Option<Verdict> {
    let kind = json::str_at(record, "/Type").unwrap_or_default();
    let details = json::str_at(record, "/Details").unwrap_or_default();
    let description = json::str_at(record, "/Description").unwrap_or_default();
    let failure = Failure {
        address,
        status: None,
        diagnostic: if details.trim().is_empty() {
            description
        } else {
            details
        },
    };
    let told = |kind, reason| {
        Some(judge::told(
            address,
            kind,
            reason,
            &format!("Postmark: {description}"),
        ))
    };
    match kind {
        "HardBounce" | "BadEmailAddress" => Some(judge::failure(&failure, Told::DeadAddress)),
        "SoftBounce" | "Transient" | "DnsError" => Some(judge::failure(&failure, Told::Temporary)),
        "SpamComplaint" => told(Kind::Complaint, Reason::Abuse),
        "Unsubscribe" => told(Kind::Complaint, Reason::OptOut),
        "Blocked" => Some(judge::failure(&failure, Told::SenderSide(Reason::Blocked))),
        "DMARCPolicy" => told(Kind::SenderSide, Reason::AuthFailure),
        "VirusNotification" => told(Kind::SenderSide, Reason::VirusDetected),
        "SMTPApiError" | "TemplateRenderingFailed" | "InboundError" => {
            told(Kind::SenderSide, Reason::Rejected)
        }
        // Auto-replies, spam notifications, address-change notices, challenges, and records
        // Postmark itself cannot tell (Unknown, ManuallyDeactivated, Unconfirmed): no action.
        _ => None,
    }
}

/// A suppression Postmark started (`SuppressSending: true`); a reactivation is ignored.
fn subscription_change(record: &Value, address: &str) -> Option<Verdict> {
    if record.get("SuppressSending").and_then(Value::as_bool) != Some(true) {
        return None;
    }
    let (kind, reason) = match json::str_at(record, "/SuppressionReason")? {
        "HardBounce" => (Kind::Hard, Reason::Suppressed),
        "SpamComplaint" => (Kind::Complaint, Reason::Abuse),
        "ManualSuppression" => (Kind::Complaint, Reason::OptOut),
        _ => return None,
    };
    Some(judge::told(address, kind, reason, "Postmark: suppressed"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::bounce::webhook::test_support::*;
    use crate::bounce::webhook::Provider;

    fn record(id: i64, kind: &str, details: &str) -> Vec<u8> {
        serde_json::to_vec(&json!({
            "RecordType": if kind == "SpamComplaint" { "SpamComplaint" } else { "Bounce" },
            "ID": id,
            "Type": kind,
            "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
            "Description": "The server was unable to deliver your message.",
            "Details": details,
            "Email": "Ada@Example.net",
            "BouncedAt": "2026-12-01T10:00:00Z",
        }))
        .unwrap()
    }

    fn with_auth(
        env: &mut Env,
        user: &str,
        password: &str,
        body: &[u8],
    ) -> Result<Outcome, WebhookError> {
        let request = Request {
            basic_auth: Some((user, password)),
            ..Request::new(&[], body)
        };
        env.verify(Provider::Postmark, &request)
    }

    fn kind_of(env: &mut Env, body: &[u8]) -> Option<(Kind, Reason)> {
        match with_auth(env, POSTMARK_USER, POSTMARK_PASSWORD, body) {
            Ok(Outcome::Events(e)) => Some((e[0].verdict.kind, e[0].verdict.reason)),
            Ok(_) => None,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn postmark_types_give_the_right_kinds() {
        let mut env = Env::new();
        assert_eq!(
            kind_of(
                &mut env,
                &record(
                    1,
                    "HardBounce",
                    "smtp;550 5.1.1 The email account that you tried to reach does not exist."
                )
            ),
            Some((Kind::Hard, Reason::UserUnknown))
        );
        assert_eq!(
            kind_of(&mut env, &record(2, "SoftBounce", "452 4.2.2 Mailbox full")).map(|k| k.0),
            Some(Kind::Soft)
        );
        assert_eq!(
            kind_of(&mut env, &record(3, "Transient", "")).map(|k| k.0),
            Some(Kind::Soft)
        );
        assert_eq!(
            kind_of(&mut env, &record(4, "SpamComplaint", "")),
            Some((Kind::Complaint, Reason::Abuse))
        );
        assert_eq!(kind_of(&mut env, &record(5, "SpamNotification", "")), None);
        assert_eq!(kind_of(&mut env, &record(6, "AutoResponder", "")), None);
        assert_eq!(
            kind_of(
                &mut env,
                &record(
                    7,
                    "HardBounce",
                    "554 5.7.1 Message rejected as spam by Content Filtering."
                )
            )
            .map(|k| k.0),
            Some(Kind::SenderSide),
            "the text blames the sender"
        );
        let Ok(Outcome::Events(e)) = with_auth(
            &mut env,
            POSTMARK_USER,
            POSTMARK_PASSWORD,
            &record(8, "HardBounce", ""),
        ) else {
            panic!()
        };
        assert_eq!(e[0].recipient, "ada@example.net");
        assert_eq!(e[0].provider_id, "8");
        assert_eq!(
            e[0].message_id.as_deref(),
            Some("883953f4-6105-42a2-a16a-77a8eac79483")
        );
    }

    #[test]
    fn missing_or_wrong_credentials_are_refused() {
        let mut env = Env::new();
        let body = record(1, "HardBounce", "");
        assert!(matches!(
            env.verify(Provider::Postmark, &Request::new(&[], &body)),
            Err(WebhookError::Unauthorized)
        ));
        assert!(matches!(
            with_auth(&mut env, POSTMARK_USER, "wrong", &body),
            Err(WebhookError::Unauthorized)
        ));
        assert!(matches!(
            with_auth(&mut env, "someone", POSTMARK_PASSWORD, &body),
            Err(WebhookError::Unauthorized)
        ));
        assert!(matches!(
            with_auth(
                &mut env,
                POSTMARK_USER,
                &format!("{POSTMARK_PASSWORD}x"),
                &body
            ),
            Err(WebhookError::Unauthorized)
        ));
        assert!(env.guard.is_empty());

        let header = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD
                .encode(format!("{POSTMARK_USER}:{POSTMARK_PASSWORD}"))
        );
        let headers = vec![("authorization".to_owned(), header)];
        assert!(matches!(
            env.verify(Provider::Postmark, &Request::new(&headers, &body)),
            Ok(Outcome::Events(_))
        ));
        assert!(matches!(
            env.verify(Provider::Postmark, &Request::new(&headers, &body)),
            Err(WebhookError::Replayed { .. })
        ));
    }

    #[test]
    fn subscription_changes_suppress_only_when_postmark_suppresses() {
        let mut env = Env::new();
        let change = |suppress: bool, reason: &str| {
            serde_json::to_vec(&json!({
                "RecordType": "SubscriptionChange",
                "Recipient": "ada@example.net",
                "SuppressSending": suppress,
                "SuppressionReason": reason,
                "ChangedAt": format!("2026-12-01T10:00:0{}Z", u8::from(suppress)),
            }))
            .unwrap()
        };
        assert_eq!(
            kind_of(&mut env, &change(true, "ManualSuppression")),
            Some((Kind::Complaint, Reason::OptOut))
        );
        assert_eq!(kind_of(&mut env, &change(false, "ManualSuppression")), None);
    }
}
