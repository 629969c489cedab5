//! Amazon SES's bounce and complaint notifications (the `Message` of an SNS notification), as
//! events. Both the notification format (`notificationType`) and the event-publishing format
//! (`eventType`) are read.
//!
//! Bounce types map conservatively: `Permanent/General` is hard only when the status and
//! diagnostic say the address is dead; `Permanent/NoEmail` is SES saying so itself;
//! `Suppressed` and `OnAccountSuppressionList` are addresses SES refuses to send to;
//! `Transient/*` is never hard. Complaints of type `abuse` or without a type suppress.

use serde_json::Value;

use super::judge::{self, Failure, Told};
use super::limits::MAX_RECIPIENTS;
use super::{events_or_ignored, json, Event, Outcome};
use crate::bounce::classify::{classify, Kind, Reason, Verdict};
use crate::bounce::report::{Feedback, Report, ReportType};

const PROVIDER: &str = "ses";

/// The outcome of one SES notification; `fallback_id` (the SNS MessageId) names it when it
/// carries no feedback id.
pub(super) fn outcome(message: &str, fallback_id: &str) -> Outcome {
    let Ok(value) = json::parse(message.as_bytes()) else {
        return Outcome::Ignored("not an Amazon SES notification".into());
    };
    let kind = json::str_at(&value, "/notificationType")
        .or_else(|| json::str_at(&value, "/eventType"))
        .unwrap_or_default();
    let message_id = original_message_id(&value);
    let events = match kind {
        "Bounce" => bounces(&value, message_id, fallback_id),
        "Complaint" => complaints(&value, message_id, fallback_id),
        "" => return Outcome::Ignored("not an Amazon SES notification".into()),
        other => return Outcome::Ignored(format!("SES {other} notification")),
    };
    events_or_ignored(events, || {
        format!("SES {kind} notification naming no recipient")
    })
}

fn bounces(value: &Value, message_id: Option<String>, fallback_id: &str) -> Vec<Event> {
    let bounce_type = json::str_at(value, "/bounce/bounceType").unwrap_or_default();
    let sub_type = json::str_at(value, "/bounce/bounceSubType").unwrap_or_default();
    let id = json::str_at(value, "/bounce/feedbackId").unwrap_or(fallback_id);
    recipients(value, "/bounce/bouncedRecipients")
        .filter_map(|r| {
            let address = json::address(json::str_at(r, "/emailAddress")?)?;
            let verdict = bounce_verdict(
                &address,
                bounce_type,
                sub_type,
                json::str_at(r, "/status"),
                json::str_at(r, "/diagnosticCode").unwrap_or_default(),
            );
            judge::event(PROVIDER, verdict, message_id.clone(), id)
        })
        .collect()
}

fn bounce_verdict(
    address: &str,
    bounce_type: &str,
    sub_type: &str,
    status: Option<&str>,
    diagnostic: &str,
) -> Verdict {
    let failure = Failure {
        address,
        status,
        diagnostic,
    };
    let detail = || format!("SES {bounce_type}/{sub_type}");
    match (bounce_type, sub_type) {
        (_, "Suppressed" | "OnAccountSuppressionList") => {
            judge::told(address, Kind::Hard, Reason::Suppressed, &detail())
        }
        ("Permanent", "NoEmail") => judge::failure(&failure, Told::DeadAddress),
        ("Transient", "ContentRejected" | "AttachmentRejected") => {
            judge::failure(&failure, Told::SenderSide(Reason::ContentError))
        }
        ("Transient", _) => judge::failure(&failure, Told::Temporary),
        // Permanent/General and Undetermined: the status and text decide.
        _ => judge::failure(&failure, Told::Permanent),
    }
}

fn complaints(value: &Value, message_id: Option<String>, fallback_id: &str) -> Vec<Event> {
    let id = json::str_at(value, "/complaint/feedbackId").unwrap_or(fallback_id);
    let feedback_type = json::str_at(value, "/complaint/complaintFeedbackType")
        .unwrap_or("abuse")
        .to_ascii_lowercase();
    recipients(value, "/complaint/complainedRecipients")
        .filter_map(|r| {
            let address = json::address(json::str_at(r, "/emailAddress")?)?;
            // The classifier's reading of an ARF report with this feedback type.
            let report = Report {
                report_type: ReportType::Arf,
                feedback: Some(Feedback {
                    feedback_type: feedback_type.clone(),
                    original_rcpt_to: vec![address.clone()],
                    ..Feedback::default()
                }),
                ..Report::default()
            };
            let verdict = classify(&report).into_iter().next()?;
            judge::event(PROVIDER, verdict, message_id.clone(), id)
        })
        .collect()
}

/// The recipients listed at `pointer`, at most [`MAX_RECIPIENTS`].
fn recipients<'a>(value: &'a Value, pointer: &str) -> impl Iterator<Item = &'a Value> {
    value
        .pointer(pointer)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .take(MAX_RECIPIENTS)
}

/// The original's Message-ID: `mail.commonHeaders.messageId`, else the `Message-ID` among
/// `mail.headers` (SES's own `mail.messageId` is not it).
fn original_message_id(value: &Value) -> Option<String> {
    json::str_at(value, "/mail/commonHeaders/messageId")
        .or_else(|| {
            value
                .pointer("/mail/headers")?
                .as_array()?
                .iter()
                .find(|h| {
                    json::str_at(h, "/name").is_some_and(|n| n.eq_ignore_ascii_case("message-id"))
                })
                .and_then(|h| json::str_at(h, "/value"))
        })
        .and_then(json::message_id)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn events(notification: &Value) -> Vec<Event> {
        match outcome(&notification.to_string(), "sns-id") {
            Outcome::Events(events) => events,
            other => panic!("no events: {other:?}"),
        }
    }

    fn bounce(bounce_type: &str, sub_type: &str, status: &str, diagnostic: &str) -> Value {
        json!({
            "notificationType": "Bounce",
            "bounce": {
                "bounceType": bounce_type,
                "bounceSubType": sub_type,
                "feedbackId": "fb-1",
                "bouncedRecipients": [{
                    "emailAddress": "Ada@Example.net",
                    "status": status,
                    "action": "failed",
                    "diagnosticCode": diagnostic,
                }],
            },
            "mail": {
                "messageId": "ses-own-id",
                "headers": [{"name": "Message-ID", "value": "<orig@news.example.com>"}],
            },
        })
    }

    fn kind(notification: Value) -> (Kind, Reason) {
        let e = &events(&notification)[0];
        (e.verdict.kind, e.verdict.reason)
    }

    #[test]
    fn ses_bounce_types_map_conservatively() {
        let unknown = "smtp; 550 5.1.1 <ada@example.net>: Recipient address rejected: User unknown";
        assert_eq!(
            kind(bounce("Permanent", "General", "5.1.1", unknown)),
            (Kind::Hard, Reason::UserUnknown)
        );
        assert_eq!(
            kind(bounce(
                "Permanent",
                "General",
                "5.0.0",
                "smtp; 550 5.0.0 rejected"
            ))
            .0,
            Kind::Soft,
            "permanent but not about the address"
        );
        assert_eq!(
            kind(bounce(
                "Permanent",
                "General",
                "5.7.1",
                "smtp; 550 5.7.1 blocked using zen.spamhaus.org"
            ))
            .0,
            Kind::SenderSide
        );
        assert_eq!(
            kind(bounce(
                "Permanent",
                "Suppressed",
                "5.1.1",
                "Amazon SES has suppressed sending to this address"
            )),
            (Kind::Hard, Reason::Suppressed)
        );
        assert_eq!(
            kind(bounce("Permanent", "NoEmail", "", "")),
            (Kind::Hard, Reason::UserUnknown)
        );
        assert_eq!(
            kind(bounce("Transient", "General", "5.1.1", unknown)).0,
            Kind::Soft
        );
        assert_eq!(
            kind(bounce(
                "Transient",
                "MailboxFull",
                "4.2.2",
                "smtp; 452 4.2.2 Mailbox full"
            )),
            (Kind::Soft, Reason::MailboxFull)
        );
        assert_eq!(
            kind(bounce("Undetermined", "Undetermined", "", "")).0,
            Kind::Soft
        );
    }

    #[test]
    fn the_event_carries_the_original_message_id_and_the_feedback_id() {
        let e = &events(&bounce("Permanent", "General", "5.1.1", ""))[0];
        assert_eq!(e.recipient, "ada@example.net");
        assert_eq!(e.message_id.as_deref(), Some("orig@news.example.com"));
        assert_eq!(e.provider_id, "fb-1");
    }

    #[test]
    fn ses_complaints_of_type_abuse_or_none_suppress_and_others_do_not() {
        let complaint = |feedback_type: Option<&str>| {
            let mut v = json!({
                "eventType": "Complaint",
                "complaint": {
                    "feedbackId": "fb-2",
                    "complainedRecipients": [{"emailAddress": "ada@example.net"}],
                },
                "mail": {"commonHeaders": {"messageId": "<c@news.example.com>"}},
            });
            if let Some(t) = feedback_type {
                v["complaint"]["complaintFeedbackType"] = json!(t);
            }
            kind(v)
        };
        assert_eq!(complaint(None), (Kind::Complaint, Reason::Abuse));
        assert_eq!(complaint(Some("abuse")), (Kind::Complaint, Reason::Abuse));
        assert_eq!(complaint(Some("not-spam")).0, Kind::Unknown);
        assert_eq!(complaint(Some("auth-failure")).0, Kind::SenderSide);
    }

    #[test]
    fn deliveries_and_foreign_messages_are_ignored() {
        let delivery =
            json!({"notificationType": "Delivery", "delivery": {"recipients": ["a@b.c"]}});
        assert!(matches!(
            outcome(&delivery.to_string(), "x"),
            Outcome::Ignored(_)
        ));
        assert!(matches!(outcome("plain text", "x"), Outcome::Ignored(_)));
        let nobody = json!({"notificationType": "Bounce", "bounce": {"bounceType": "Permanent"}});
        assert!(matches!(
            outcome(&nobody.to_string(), "x"),
            Outcome::Ignored(_)
        ));
    }
}
