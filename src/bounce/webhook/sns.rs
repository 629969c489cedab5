//! Amazon SNS messages over HTTPS: the signature (versions 1 and 2, RSA PKCS#1 v1.5 with SHA-1
//! or SHA-256 over AWS's canonical string), the topic allow-list, subscription confirmations,
//! and the SES notification inside.

use base64::Engine;
use chrono::{DateTime, Utc};
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::signature::Verifier;
use serde_json::Value;

use super::certs::{check_cert_url, check_subscribe_url, rsa_key, CertError, CertSource};
use super::guard::Guard;
use super::limits::SNS_MAX_AGE;
use super::{fresh, json, ses, Outcome, Request, SesSettings, WebhookError};

const PROVIDER: &str = "ses";

/// The fields signed for each message type, in AWS's order; `Subject` only when present.
fn signed_fields(message_type: &str) -> Option<&'static [&'static str]> {
    match message_type {
        "Notification" => Some(&[
            "Message",
            "MessageId",
            "Subject",
            "Timestamp",
            "TopicArn",
            "Type",
        ]),
        "SubscriptionConfirmation" | "UnsubscribeConfirmation" => Some(&[
            "Message",
            "MessageId",
            "SubscribeURL",
            "Timestamp",
            "Token",
            "TopicArn",
            "Type",
        ]),
        _ => None,
    }
}

/// The string SNS signs for a message: `Key\nValue\n` for each signed field in order.
pub(crate) fn string_to_sign(message: &Value) -> Result<String, WebhookError> {
    let message_type = json::required(message, "Type")?;
    let fields = signed_fields(message_type).ok_or_else(|| {
        WebhookError::Malformed(format!("unknown SNS message Type {message_type:?}"))
    })?;
    let mut canonical = String::new();
    for &field in fields {
        let value = match message.get(field) {
            None | Some(Value::Null) if field == "Subject" => continue,
            Some(Value::String(s)) => s,
            _ => return Err(WebhookError::Unsigned(field)),
        };
        canonical.push_str(field);
        canonical.push('\n');
        canonical.push_str(value);
        canonical.push('\n');
    }
    Ok(canonical)
}

/// The two signature versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Version {
    /// SHA-1.
    V1,
    /// SHA-256.
    V2,
}

pub(super) fn verify(
    request: &Request<'_>,
    settings: &SesSettings,
    guard: &mut dyn Guard,
    certs: &dyn CertSource,
    now: DateTime<Utc>,
) -> Result<Outcome, WebhookError> {
    let message = json::parse(request.body)?;
    if !message.is_object() {
        return Err(WebhookError::Malformed(
            "an SNS message is a JSON object".into(),
        ));
    }
    let message_type = json::required(&message, "Type")?;
    if let Some(header) = request.header("x-amz-sns-message-type") {
        if header != message_type {
            return Err(WebhookError::Malformed(format!(
                "x-amz-sns-message-type {header:?} differs from the message's Type {message_type:?}"
            )));
        }
    }
    let version = match json::required(&message, "SignatureVersion")? {
        "1" => Version::V1,
        "2" => Version::V2,
        other => return Err(WebhookError::UnsupportedVersion(other.to_owned())),
    };
    let signature = json::required(&message, "Signature")?;
    let cert_url = json::required(&message, "SigningCertURL")?;
    let topic = json::required(&message, "TopicArn")?;
    if !settings.topics.iter().any(|t| t == topic) {
        return Err(WebhookError::TopicNotAllowed(topic.to_owned()));
    }
    let timestamp = json::required(&message, "Timestamp")?;
    let at = DateTime::parse_from_rfc3339(timestamp)
        .map_err(|_| {
            WebhookError::Malformed(format!("SNS Timestamp {timestamp:?} is not RFC 3339"))
        })?
        .with_timezone(&Utc);
    fresh(at, now, SNS_MAX_AGE)?;
    check_cert_url(cert_url)?;
    let canonical = string_to_sign(&message)?;

    let pem = certs.pem(cert_url)?;
    let key = rsa_key(&pem).map_err(|message| CertError::Invalid {
        url: cert_url.to_owned(),
        message,
    })?;
    let signature = base64::engine::general_purpose::STANDARD
        .decode(signature)
        .ok()
        .and_then(|bytes| Signature::try_from(bytes.as_slice()).ok())
        .ok_or(WebhookError::BadSignature)?;
    let verified = match version {
        Version::V1 => {
            VerifyingKey::<sha1::Sha1>::new(key).verify(canonical.as_bytes(), &signature)
        }
        Version::V2 => {
            VerifyingKey::<sha2::Sha256>::new(key).verify(canonical.as_bytes(), &signature)
        }
    };
    verified.map_err(|_| WebhookError::BadSignature)?;

    // Authentic from here on.
    let message_id = json::required(&message, "MessageId")?;
    let outcome = match message_type {
        "SubscriptionConfirmation" => {
            let url = json::required(&message, "SubscribeURL")?;
            check_subscribe_url(url)?;
            Outcome::Confirm {
                subscribe_url: url.to_owned(),
                topic: topic.to_owned(),
            }
        }
        "UnsubscribeConfirmation" => {
            Outcome::Ignored(format!("unsubscribed from SNS topic {topic}"))
        }
        _ => ses::outcome(json::required(&message, "Message")?, message_id),
    };
    if guard.seen(PROVIDER, message_id, now) {
        return Err(WebhookError::Replayed {
            provider: PROVIDER,
            id: message_id.to_owned(),
        });
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::bounce::webhook::test_support::*;
    use crate::bounce::webhook::{verify as verify_request, Provider};
    use crate::bounce::Kind;

    fn run(message: &Value, env: &mut Env) -> Result<Outcome, WebhookError> {
        let body = serde_json::to_vec(message).unwrap();
        let headers = vec![(
            "x-amz-sns-message-type".to_owned(),
            message["Type"].as_str().unwrap_or_default().to_owned(),
        )];
        env.verify(Provider::Ses, &Request::new(&headers, &body))
    }

    #[test]
    fn the_canonical_string_follows_aws_field_order_and_leaves_out_a_missing_subject() {
        let mut message = sns_notification("{}", 1);
        assert_eq!(
            string_to_sign(&message).unwrap(),
            format!("Message\n{{}}\nMessageId\n{MESSAGE_ID}\nTimestamp\n{TIMESTAMP}\nTopicArn\n{TOPIC}\nType\nNotification\n")
        );
        message["Subject"] = json!("Amazon SES Email Event Notification");
        assert!(string_to_sign(&message).unwrap().contains("MessageId\n"));
        assert!(string_to_sign(&message)
            .unwrap()
            .contains("\nSubject\nAmazon SES Email Event Notification\nTimestamp\n"));
        let confirmation = sns_confirmation(2);
        assert!(string_to_sign(&confirmation)
            .unwrap()
            .starts_with("Message\n"));
        assert!(string_to_sign(&confirmation).unwrap().contains(
            "\nSubscribeURL\nhttps://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription"
        ));
    }

    #[test]
    fn openssl_signatures_of_the_canonical_string_verify() {
        let signatures = [
            (
                "1",
                include_str!("../../../tests/fixtures/webhooks/hello-openssl-sha1.b64"),
            ),
            (
                "2",
                include_str!("../../../tests/fixtures/webhooks/hello-openssl-sha256.b64"),
            ),
        ];
        for (version, openssl) in signatures {
            let mut env = Env::new();
            let mut message = json!({
                "Type": "Notification",
                "MessageId": "m-1",
                "TopicArn": TOPIC,
                "Message": "hello",
                "Timestamp": TIMESTAMP,
                "SignatureVersion": version,
                "SigningCertURL": CERT_URL,
            });
            crate::bounce::webhook::signing::sign_sns(&mut message, KEY_PEM).unwrap();
            assert_eq!(message["Signature"], openssl.trim(), "version {version}");
            message["Signature"] = json!(openssl.trim());
            assert!(
                matches!(run(&message, &mut env), Ok(Outcome::Ignored(_))),
                "version {version}: not an SES notification, but authentic"
            );
        }
    }

    #[test]
    fn signature_versions_1_and_2_both_verify_with_the_cached_certificate() {
        for version in [1, 2] {
            let mut env = Env::new();
            let message = sns_notification(&ses_bounce("Permanent", "General", "5.1.1"), version);
            let Outcome::Events(events) = run(&message, &mut env).unwrap() else {
                panic!("version {version}: no events");
            };
            assert_eq!(events.len(), 1);
            assert_eq!(events[0].verdict.kind, Kind::Hard);
            assert_eq!(events[0].recipient, "ada@example.net");
            assert_eq!(
                events[0].message_id.as_deref(),
                Some("original.1@news.example.com")
            );
            assert_eq!(events[0].provider_id, "feedback-1");
            assert_eq!(events[0].provider, "ses");
        }
    }

    #[test]
    fn a_signature_of_one_version_does_not_pass_as_the_other() {
        let mut env = Env::new();
        let mut message = sns_notification(&ses_bounce("Permanent", "General", "5.1.1"), 1);
        message["SignatureVersion"] = json!("2");
        assert!(matches!(
            run(&message, &mut env),
            Err(WebhookError::BadSignature)
        ));
    }

    #[test]
    fn a_tampered_or_forged_message_is_refused_and_remembered_by_no_one() {
        let mut env = Env::new();
        let good = sns_notification(&ses_bounce("Permanent", "General", "5.1.1"), 2);

        let mut tampered = good.clone();
        tampered["Message"] =
            json!(ses_bounce("Permanent", "General", "5.1.1").replace("ada@", "bob@"));
        assert!(matches!(
            run(&tampered, &mut env),
            Err(WebhookError::BadSignature)
        ));

        let mut subject_added = good.clone();
        subject_added["Subject"] = json!("hello");
        assert!(matches!(
            run(&subject_added, &mut env),
            Err(WebhookError::BadSignature)
        ));

        let mut forged = good.clone();
        sign_with_other_key(&mut forged, 2);
        assert!(matches!(
            run(&forged, &mut env),
            Err(WebhookError::BadSignature)
        ));

        let mut garbage = good.clone();
        garbage["Signature"] = json!("not base64!");
        assert!(matches!(
            run(&garbage, &mut env),
            Err(WebhookError::BadSignature)
        ));

        let mut unsigned = good.clone();
        unsigned.as_object_mut().unwrap().remove("Signature");
        assert!(matches!(
            run(&unsigned, &mut env),
            Err(WebhookError::Unsigned("Signature"))
        ));

        for field in [
            "MessageId",
            "Timestamp",
            "TopicArn",
            "Message",
            "SigningCertURL",
        ] {
            let mut missing = good.clone();
            missing.as_object_mut().unwrap().remove(field);
            assert!(run(&missing, &mut env).is_err(), "{field} missing");
        }

        assert!(env.guard.is_empty(), "nothing refused was recorded");
        assert!(
            run(&good, &mut env).is_ok(),
            "the genuine message still passes"
        );
    }

    #[test]
    fn unknown_versions_foreign_topics_and_foreign_certificate_urls_are_refused() {
        let mut env = Env::new();
        let good = sns_notification(&ses_bounce("Permanent", "General", "5.1.1"), 1);

        let mut v3 = good.clone();
        v3["SignatureVersion"] = json!("3");
        assert!(matches!(
            run(&v3, &mut env),
            Err(WebhookError::UnsupportedVersion(_))
        ));

        let mut topic = good.clone();
        topic["TopicArn"] = json!("arn:aws:sns:us-east-1:999999999999:other");
        sign(&mut topic, 1);
        assert!(matches!(
            run(&topic, &mut env),
            Err(WebhookError::TopicNotAllowed(_))
        ));

        for url in [
            "http://sns.us-east-1.amazonaws.com/cert.pem",
            "https://sns.evil.com/cert.pem",
            "https://sns.us-east-1.amazonaws.com.evil.com/cert.pem",
            "https://sns.us-east-1.amazonaws.com/cert",
        ] {
            // The certificate is in the cache under that URL too: the URL check alone refuses.
            env.cache(url);
            let mut foreign = good.clone();
            foreign["SigningCertURL"] = json!(url);
            sign(&mut foreign, 1);
            assert!(
                matches!(
                    run(&foreign, &mut env),
                    Err(WebhookError::Certificate(CertError::Untrusted { .. }))
                ),
                "{url}"
            );
        }
        assert!(env.guard.is_empty());
    }

    #[test]
    fn an_old_message_or_a_replayed_one_is_refused() {
        let mut env = Env::new();
        let good = sns_notification(&ses_bounce("Transient", "General", "4.2.2"), 2);
        env.now = at(TIMESTAMP) + chrono::Duration::minutes(61);
        assert!(matches!(
            run(&good, &mut env),
            Err(WebhookError::Stale { .. })
        ));
        env.now = at(TIMESTAMP) - chrono::Duration::minutes(10);
        assert!(
            matches!(run(&good, &mut env), Err(WebhookError::Stale { .. })),
            "from the future"
        );
        env.now = at(TIMESTAMP) + chrono::Duration::minutes(59);
        assert!(matches!(run(&good, &mut env), Ok(Outcome::Events(_))));
        assert!(matches!(
            run(&good, &mut env),
            Err(WebhookError::Replayed { .. })
        ));
    }

    #[test]
    fn a_subscription_confirmation_gives_its_url_only_when_it_is_snss_own() {
        let mut env = Env::new();
        let confirmation = sns_confirmation(1);
        let Ok(Outcome::Confirm {
            subscribe_url,
            topic,
        }) = run(&confirmation, &mut env)
        else {
            panic!("not confirmed");
        };
        assert!(subscribe_url
            .starts_with("https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription"));
        assert_eq!(topic, TOPIC);

        for url in [
            "https://sns.us-east-1.amazonaws.com.evil.com/?Action=ConfirmSubscription",
            "http://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription",
            "https://evil.com/?Action=ConfirmSubscription",
        ] {
            let mut foreign = sns_confirmation(1);
            foreign["MessageId"] = json!(format!("other-{url}"));
            foreign["SubscribeURL"] = json!(url);
            sign(&mut foreign, 1);
            assert!(run(&foreign, &mut env).is_err(), "{url}");
        }

        let mut other_topic = sns_confirmation(1);
        other_topic["MessageId"] = json!("other-topic");
        other_topic["TopicArn"] = json!("arn:aws:sns:us-east-1:999999999999:other");
        sign(&mut other_topic, 1);
        assert!(matches!(
            run(&other_topic, &mut env),
            Err(WebhookError::TopicNotAllowed(_))
        ));
    }

    #[test]
    fn a_message_type_header_contradicting_the_body_is_refused() {
        let mut env = Env::new();
        let message = sns_notification(&ses_bounce("Permanent", "General", "5.1.1"), 1);
        let body = serde_json::to_vec(&message).unwrap();
        let headers = vec![(
            "x-amz-sns-message-type".to_owned(),
            "SubscriptionConfirmation".to_owned(),
        )];
        let result = verify_request(
            Provider::Ses,
            &Request::new(&headers, &body),
            &env.settings,
            &mut env.guard,
            &env.certs,
            env.now,
        );
        assert!(matches!(result, Err(WebhookError::Malformed(_))));
    }
}
