//! From what a provider says about one recipient to a [`Verdict`]: the provider's own type says
//! how permanent a failure is, the classifier reads the status code and diagnostic text it
//! passes on, and the two are combined so that neither alone deletes a member by mistake.

use crate::bounce::classify::{classify, Kind, Reason, Verdict};
use crate::bounce::fields::{truncate, typed_value};
use crate::bounce::report::{Recipient, Report, ReportType};
use crate::bounce::{smtp, text};

use super::Event;

/// What a provider's own bounce type says of a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Told {
    /// Permanent, no more said (SES `Permanent/General`, Mailgun `permanent`, SendGrid
    /// `bounce`): the classifier decides, and a failure it cannot read is soft.
    Permanent,
    /// Temporary (SES `Transient`, Mailgun `temporary`, Postmark `SoftBounce`): never hard.
    Temporary,
    /// The provider judged the address dead (Postmark `HardBounce`, SES `NoEmail`): hard,
    /// unless the text blames the sender or gives a recipient-side soft reason (full,
    /// disabled).
    DeadAddress,
    /// The provider blames the sender (SendGrid `blocked`): never suppress; the classifier's
    /// sender-side reason when it has one, else this one.
    SenderSide(Reason),
}

/// One failed recipient as a provider reports it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Failure<'a> {
    /// The address (already normalised).
    pub address: &'a str,
    /// The enhanced status code, when the provider gives one in a field of its own.
    pub status: Option<&'a str>,
    /// The diagnostic text (`smtp; 550 5.1.1 …`, or the remote server's reply).
    pub diagnostic: &'a str,
}

/// The verdict on a failure the provider describes as `told`.
pub(crate) fn failure(f: &Failure<'_>, told: Told) -> Verdict {
    let read = classified(f, told != Told::Temporary);
    let unread = matches!(read.kind, Kind::Unknown | Kind::Delivered | Kind::AutoReply);
    match told {
        Told::Permanent if unread => relabel(read, Kind::Soft, Reason::Undefined),
        Told::Permanent => read,
        Told::Temporary if unread => relabel(read, Kind::Soft, Reason::Undefined),
        Told::Temporary if read.kind == Kind::Hard => Verdict {
            kind: Kind::Soft,
            ..read
        },
        Told::Temporary => read,
        Told::DeadAddress => match (read.kind, read.reason) {
            (Kind::Hard | Kind::SenderSide, _) => read,
            (Kind::Soft, reason) if !matches!(reason, Reason::Undefined | Reason::Filtered) => read,
            _ => relabel(read, Kind::Hard, Reason::UserUnknown),
        },
        Told::SenderSide(_) if read.kind == Kind::SenderSide => read,
        Told::SenderSide(reason) => relabel(read, Kind::SenderSide, reason),
    }
}

/// A verdict the provider's own type decides alone (a complaint, a suppression), with its
/// words as the detail.
pub(crate) fn told(address: &str, kind: Kind, reason: Reason, detail: &str) -> Verdict {
    Verdict {
        recipient: Some(address.to_owned()),
        kind,
        status: None,
        reason,
        detail: short(detail),
    }
}

/// An event about `verdict`'s recipient.
pub(crate) fn event(
    provider: &'static str,
    verdict: Verdict,
    message_id: Option<String>,
    provider_id: &str,
) -> Option<Event> {
    let recipient = verdict.recipient.clone()?;
    let mut provider_id = provider_id.to_owned();
    truncate(&mut provider_id, 256);
    Some(Event {
        recipient,
        verdict,
        message_id,
        provider_id,
        provider,
    })
}

/// The classifier's verdict on a failure, read as a DSN with one recipient.
fn classified(f: &Failure<'_>, permanent: bool) -> Verdict {
    let mut diagnostic = typed_value(f.diagnostic).to_owned();
    truncate(&mut diagnostic, crate::bounce::limits::MAX_CONTEXT);
    // The type `typed_value` took off (`smtp`, `x-unix`), when it took one.
    let diagnostic_type = f
        .diagnostic
        .split_once(';')
        .map(|(t, _)| t.trim())
        .filter(|t| typed_value(&format!("{t};x")) == "x")
        .map(str::to_ascii_lowercase);
    let recipient = Recipient {
        final_recipient: Some(f.address.to_owned()),
        action: Some(if permanent { "failed" } else { "delayed" }.to_owned()),
        status: f.status.and_then(text::status_code),
        stage: smtp::stage_named(&diagnostic),
        diagnostic: (!diagnostic.trim().is_empty()).then_some(diagnostic),
        diagnostic_type,
        ..Recipient::default()
    };
    let report = Report {
        report_type: ReportType::Dsn,
        recipients: vec![recipient],
        ..Report::default()
    };
    classify(&report)
        .into_iter()
        .next()
        .unwrap_or_else(|| told(f.address, Kind::Unknown, Reason::Unknown, ""))
}

fn relabel(verdict: Verdict, kind: Kind, reason: Reason) -> Verdict {
    Verdict {
        kind,
        reason,
        ..verdict
    }
}

fn short(text: &str) -> String {
    let mut s = text::collapse_space(text);
    truncate(&mut s, 500);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judged(status: Option<&str>, diagnostic: &str, told: Told) -> (Kind, Reason) {
        let f = Failure {
            address: "ada@example.net",
            status,
            diagnostic,
        };
        let v = failure(&f, told);
        (v.kind, v.reason)
    }

    #[test]
    fn a_permanent_failure_is_hard_only_for_a_recipient_level_reason() {
        let unknown = "smtp; 550 5.1.1 <ada@example.net>: Recipient address rejected: User unknown";
        assert_eq!(
            judged(Some("5.1.1"), unknown, Told::Permanent),
            (Kind::Hard, Reason::UserUnknown)
        );
        assert_eq!(
            judged(
                Some("5.7.1"),
                "smtp; 550 5.7.1 Service unavailable; client host blocked using Spamhaus",
                Told::Permanent
            )
            .0,
            Kind::SenderSide
        );
        assert_eq!(
            judged(None, "", Told::Permanent),
            (Kind::Soft, Reason::Undefined),
            "a permanent failure nobody explains deletes no one"
        );
    }

    #[test]
    fn a_temporary_failure_is_never_hard() {
        let unknown = "smtp; 550 5.1.1 <ada@example.net>: User unknown";
        assert_eq!(
            judged(Some("5.1.1"), unknown, Told::Temporary).0,
            Kind::Soft
        );
        assert_eq!(
            judged(None, "", Told::Temporary),
            (Kind::Soft, Reason::Undefined)
        );
    }

    #[test]
    fn a_dead_address_verdict_yields_to_text_that_blames_the_sender_or_the_mailbox() {
        assert_eq!(
            judged(None, "", Told::DeadAddress),
            (Kind::Hard, Reason::UserUnknown)
        );
        assert_eq!(
            judged(None, "552 5.2.2 Mailbox full", Told::DeadAddress).0,
            Kind::Soft
        );
        assert_eq!(
            judged(
                None,
                "554 5.7.1 Message rejected as spam",
                Told::DeadAddress
            )
            .0,
            Kind::SenderSide
        );
    }
}
