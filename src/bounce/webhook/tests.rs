//! Hostile input to every provider: it never panics and never verifies.

use proptest::prelude::*;
use serde_json::json;

use super::signing::sendgrid_signature;
use super::test_support::*;
use super::*;

/// Serves the test certificate for [`CERT_URL`] only, and never touches the network.
struct FixedCerts;

impl CertSource for FixedCerts {
    fn pem(&self, url: &str) -> Result<Vec<u8>, CertError> {
        if url == CERT_URL {
            Ok(CERT_PEM.as_bytes().to_vec())
        } else {
            Err(CertError::Fetch {
                url: url.to_owned(),
                message: "not in this test".into(),
            })
        }
    }
}

fn run(provider: Provider, request: &Request<'_>) -> Result<Outcome, WebhookError> {
    let settings = settings();
    let mut guard = MemoryGuard::for_settings(&settings);
    let now = at(TIMESTAMP) + chrono::Duration::minutes(1);
    verify(provider, request, &settings, &mut guard, &FixedCerts, now)
}

const HEADER_NAMES: &[&str] = &[
    "x-amz-sns-message-type",
    SENDGRID_SIGNATURE_HEADER,
    SENDGRID_TIMESTAMP_HEADER,
    "authorization",
    "content-type",
];

fn headers() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec(
        (prop::sample::select(HEADER_NAMES), ".{0,80}").prop_map(|(n, v)| (n.to_owned(), v)),
        0..4,
    )
}

/// Bodies that are mostly JSON of the right shape, with random values.
fn bodies() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..512),
        (".{0,40}", ".{0,40}", ".{0,40}").prop_map(|(a, b, c)| json!({
            "Type": "Notification", "MessageId": a, "TopicArn": TOPIC, "Message": b,
            "Timestamp": TIMESTAMP, "SignatureVersion": "2", "Signature": c, "SigningCertURL": CERT_URL,
        }).to_string().into_bytes()),
        (".{0,20}", ".{0,70}").prop_map(|(token, signature)| json!({
            "signature": {"timestamp": "1764583260", "token": token, "signature": signature},
            "event-data": {"event": "failed", "severity": "permanent", "recipient": "a@b.c"},
        }).to_string().into_bytes()),
        ".{0,40}".prop_map(|email| json!([{"email": email, "event": "bounce"}]).to_string().into_bytes()),
        ".{0,40}".prop_map(|kind| json!({"RecordType": "Bounce", "Type": kind, "ID": 1, "Email": "a@b.c"}).to_string().into_bytes()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn hostile_requests_never_panic_and_never_verify(
        body in bodies(),
        headers in headers(),
        auth in prop::option::of((".{0,12}", ".{0,30}")),
    ) {
        for provider in Provider::ALL {
            let request = Request {
                headers: &headers,
                body: &body,
                basic_auth: auth.as_ref().map(|(u, p)| (u.as_str(), p.as_str())),
            };
            let result = run(provider, &request);
            prop_assert!(result.is_err(), "{provider:?} accepted {:?}", String::from_utf8_lossy(&body));
        }
    }

    #[test]
    fn any_change_to_a_signed_sendgrid_body_is_refused(at_byte in any::<prop::sample::Index>(), bit in 0u8..8) {
        let body = serde_json::to_vec(&json!([{"email": "ada@example.net", "event": "spamreport", "sg_event_id": "e"}])).unwrap();
        let ts = (at(TIMESTAMP) + chrono::Duration::minutes(1)).timestamp().to_string();
        let headers = vec![
            (SENDGRID_SIGNATURE_HEADER.to_owned(), sendgrid_signature(&sendgrid_key(), &ts, &body)),
            (SENDGRID_TIMESTAMP_HEADER.to_owned(), ts),
        ];
        let mut changed = body.clone();
        changed[at_byte.index(body.len())] ^= 1 << bit;
        prop_assert!(run(Provider::Sendgrid, &Request::new(&headers, &changed)).is_err());
        prop_assert!(run(Provider::Sendgrid, &Request::new(&headers, &body)).is_ok());
    }

    #[test]
    fn any_change_to_a_signed_sns_message_is_refused(at_char in any::<prop::sample::Index>(), with in "[a-z0-9@. ]") {
        let mut message = sns_notification(&ses_bounce("Permanent", "General", "5.1.1"), 2);
        let text = message["Message"].as_str().unwrap().to_owned();
        let mut chars: Vec<char> = text.chars().collect();
        let i = at_char.index(chars.len());
        let replacement = with.chars().next().unwrap();
        prop_assume!(chars[i] != replacement);
        chars[i] = replacement;
        message["Message"] = json!(chars.into_iter().collect::<String>());
        let body = serde_json::to_vec(&message).unwrap();
        prop_assert!(matches!(run(Provider::Ses, &Request::new(&[], &body)), Err(WebhookError::BadSignature)));
    }
}

#[test]
fn an_unconfigured_provider_and_an_oversized_body_are_refused_first() {
    let body = vec![b' '; limits::MAX_BODY + 1];
    for provider in Provider::ALL {
        assert!(matches!(
            run(provider, &Request::new(&[], &body)),
            Err(WebhookError::TooLarge { .. })
        ));
        let mut guard = MemoryGuard::new(chrono::Duration::hours(1), 10);
        let result = verify(
            provider,
            &Request::new(&[], b"{}"),
            &WebhookSettings::default(),
            &mut guard,
            &FixedCerts,
            at(TIMESTAMP),
        );
        assert!(matches!(result, Err(WebhookError::NotConfigured(_))));
        assert_eq!(Provider::from_path(provider.as_str()), Some(provider));
    }
    assert_eq!(Provider::from_path("../ses"), None);
}

#[test]
fn refusals_map_to_http_statuses_a_provider_understands() {
    assert_eq!(WebhookError::BadSignature.http_status(), 403);
    assert_eq!(WebhookError::Unauthorized.http_status(), 401);
    let replayed = WebhookError::Replayed {
        provider: "ses",
        id: "x".into(),
    };
    assert_eq!(replayed.http_status(), 200);
    let fetch = WebhookError::Certificate(CertError::Fetch {
        url: CERT_URL.into(),
        message: "timed out".into(),
    });
    assert_eq!(fetch.http_status(), 503);
}

#[test]
fn secrets_stay_out_of_debug_output() {
    let shown = format!("{:?}", settings());
    assert!(!shown.contains(MAILGUN_KEY));
    assert!(!shown.contains(POSTMARK_PASSWORD));
}
