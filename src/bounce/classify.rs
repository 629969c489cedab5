//! Classifying a report: per recipient, what happened and what crier should do about it.
//!
//! The status class alone is not a classification: a 5.7.1 is usually the sender's problem
//! (policy, reputation, authentication), not a dead address, and a 5.4.4 can be an unknown
//! host or a network error. So the diagnostic text decides first, with phrases that blame the
//! sender tried before recipient-level ones, and the status code only where the text says
//! nothing known. Only recipient-level reasons are [`Kind::Hard`].

use super::report::{Recipient, Report, ReportType};
use super::text;
use super::vocabulary as vocab;

/// What crier does with a verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// The address is dead (unknown user or host, moved): suppress it.
    Hard,
    /// A temporary or recipient-side condition (mailbox full, expired): count it.
    Soft,
    /// The sender's set-up or reputation was refused: never suppress, warn the organiser.
    SenderSide,
    /// The recipient complained or opted out: suppress at once.
    Complaint,
    /// An out-of-office or other auto-reply: ignore.
    AutoReply,
    /// A success notice: ignore.
    Delivered,
    /// Not a report crier can read: never suppresses.
    Unknown,
}

impl Kind {
    /// The word used in JSON and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Hard => "hard",
            Kind::Soft => "soft",
            Kind::SenderSide => "sender-side",
            Kind::Complaint => "complaint",
            Kind::AutoReply => "auto-reply",
            Kind::Delivered => "delivered",
            Kind::Unknown => "unknown",
        }
    }
}

/// Why, in one word (sisimai's vocabulary where it has one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs)] // each variant is the word it serialises to
pub enum Reason {
    UserUnknown,
    HostUnknown,
    HasMoved,
    Filtered,
    MailboxFull,
    MesgTooBig,
    Suspend,
    Expired,
    NetworkError,
    TooManyConn,
    SystemError,
    NoRelaying,
    MailerError,
    Undefined,
    Blocked,
    SpamDetected,
    AuthFailure,
    RequirePtr,
    BadReputation,
    Policy,
    VirusDetected,
    ContentError,
    SecurityError,
    Rejected,
    SyntaxError,
    Abuse,
    OptOut,
    Vacation,
    Delivered,
    Unknown,
}

impl Reason {
    /// The word used in JSON and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::UserUnknown => "userunknown",
            Reason::HostUnknown => "hostunknown",
            Reason::HasMoved => "hasmoved",
            Reason::Filtered => "filtered",
            Reason::MailboxFull => "mailboxfull",
            Reason::MesgTooBig => "mesgtoobig",
            Reason::Suspend => "suspend",
            Reason::Expired => "expired",
            Reason::NetworkError => "networkerror",
            Reason::TooManyConn => "toomanyconn",
            Reason::SystemError => "systemerror",
            Reason::NoRelaying => "norelaying",
            Reason::MailerError => "mailererror",
            Reason::Undefined => "undefined",
            Reason::Blocked => "blocked",
            Reason::SpamDetected => "spamdetected",
            Reason::AuthFailure => "authfailure",
            Reason::RequirePtr => "requireptr",
            Reason::BadReputation => "badreputation",
            Reason::Policy => "policy",
            Reason::VirusDetected => "virusdetected",
            Reason::ContentError => "contenterror",
            Reason::SecurityError => "securityerror",
            Reason::Rejected => "rejected",
            Reason::SyntaxError => "syntaxerror",
            Reason::Abuse => "abuse",
            Reason::OptOut => "opt-out",
            Reason::Vacation => "vacation",
            Reason::Delivered => "delivered",
            Reason::Unknown => "unknown",
        }
    }

    /// The kind a failure for this reason is, before the status class is considered.
    fn kind(self) -> Kind {
        use Reason::*;
        match self {
            UserUnknown | HostUnknown | HasMoved => Kind::Hard,
            Filtered | MailboxFull | MesgTooBig | Suspend | Expired | NetworkError
            | TooManyConn | SystemError | NoRelaying | MailerError | Undefined => Kind::Soft,
            Blocked | SpamDetected | AuthFailure | RequirePtr | BadReputation | Policy
            | VirusDetected | ContentError | SecurityError | Rejected | SyntaxError => {
                Kind::SenderSide
            }
            Abuse | OptOut => Kind::Complaint,
            Vacation => Kind::AutoReply,
            Delivered => Kind::Delivered,
            Unknown => Kind::Unknown,
        }
    }
}

/// The classification of one recipient of one report.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Verdict {
    /// The address the verdict is about, when the report names it.
    pub recipient: Option<String>,
    /// What crier does with it.
    pub kind: Kind,
    /// The status code, e.g. `5.1.1`.
    pub status: Option<String>,
    /// Why, in one word.
    pub reason: Reason,
    /// The diagnostic text the verdict rests on (at most a few hundred characters).
    pub detail: String,
}

/// Classifies every recipient of a report. A report whose type cannot be told gives one
/// [`Kind::Unknown`] verdict: it never suppresses anyone.
pub fn classify(report: &Report) -> Vec<Verdict> {
    match report.report_type {
        ReportType::Arf => complaint(report),
        ReportType::AutoReply => vec![Verdict {
            recipient: report.from.clone(),
            kind: Kind::AutoReply,
            status: None,
            reason: Reason::Vacation,
            detail: report.subject.clone().unwrap_or_default(),
        }],
        ReportType::Dsn | ReportType::NonStandard => report
            .recipients
            .iter()
            .map(|r| bounce(report, r))
            .collect(),
        ReportType::NotAReport => vec![Verdict {
            recipient: None,
            kind: Kind::Unknown,
            status: None,
            reason: Reason::Unknown,
            detail: report.subject.clone().unwrap_or_default(),
        }],
    }
}

/// One verdict per complained-about recipient: `Original-Rcpt-To`, else the quoted original's
/// To, else the one who sent an unsubscribe request.
fn complaint(report: &Report) -> Vec<Verdict> {
    let feedback_type = report
        .feedback
        .as_ref()
        .map_or("abuse", |f| f.feedback_type.as_str());
    let (kind, reason) = match feedback_type {
        t if vocab::COMPLAINT_FEEDBACK.contains(&t) => {
            let opt_out = t.starts_with("opt") || is_unsubscribe(report);
            (
                Kind::Complaint,
                if opt_out {
                    Reason::OptOut
                } else {
                    Reason::Abuse
                },
            )
        }
        "auth-failure" => (Kind::SenderSide, Reason::AuthFailure),
        "virus" => (Kind::SenderSide, Reason::VirusDetected),
        _ => (Kind::Unknown, Reason::Unknown),
    };
    let mut recipients: Vec<String> = report
        .feedback
        .as_ref()
        .map(|f| f.original_rcpt_to.clone())
        .unwrap_or_default();
    if recipients.is_empty() {
        recipients = report
            .original
            .as_ref()
            .map(|o| o.to.clone())
            .unwrap_or_default();
        recipients.dedup();
    }
    if recipients.is_empty() && is_unsubscribe(report) {
        recipients.extend(report.from.clone());
    }
    let verdict = |recipient: Option<String>| Verdict {
        recipient,
        kind,
        status: None,
        reason,
        detail: format!("feedback type {feedback_type}"),
    };
    if recipients.is_empty() {
        return vec![verdict(None)];
    }
    recipients.into_iter().map(|r| verdict(Some(r))).collect()
}

fn is_unsubscribe(report: &Report) -> bool {
    report.feedback.is_none()
        && vocab::UNSUBSCRIBE_SUBJECTS
            .contains(&vocab::normalise(report.subject.as_deref().unwrap_or_default()).as_str())
}

/// One failed (or delivered, or delayed) recipient of a bounce.
fn bounce(report: &Report, r: &Recipient) -> Verdict {
    let diagnostic = r.diagnostic.clone().unwrap_or_default();
    let status = r.status.clone().or_else(|| text::status_code(&diagnostic));
    let class = status.as_deref().and_then(|s| s.chars().next());
    let action = r.action.as_deref().unwrap_or_default();
    let verdict = |kind, reason, detail: &str| Verdict {
        recipient: r
            .final_recipient
            .clone()
            .or_else(|| r.original_recipient.clone()),
        kind,
        status: status.clone(),
        reason,
        detail: short(detail),
    };
    if matches!(action, "delivered" | "relayed" | "expanded") || class == Some('2') {
        return verdict(Kind::Delivered, Reason::Delivered, &diagnostic);
    }
    // The report's own text speaks for a recipient whose block has no diagnostic.
    let detail = if diagnostic.is_empty() {
        &report.text
    } else {
        &diagnostic
    };
    let (mut reason, phrase) = reason_for(detail, status.as_deref());
    if reason == Reason::Undefined && !diagnostic.is_empty() {
        (reason, _) = reason_for(&report.text, status.as_deref());
    }
    let evidence = format!("{diagnostic}\n{}", report.text);
    if r.diagnostic_type.as_deref() == Some("x-unix") {
        // A local delivery program failed (procmail, a full disk): not a verdict on the address.
        reason = Reason::MailerError;
    }
    let statuses = [status.as_deref(), text::status_code(&diagnostic).as_deref()]
        .iter()
        .flatten()
        .any(|s| s.get(1..4) == Some(".1."));
    if reason == Reason::UserUnknown && !about_the_address(detail, &evidence, statuses) {
        reason = Reason::Filtered;
    }
    let mut kind = reason.kind();
    let transient = action == "delayed" || (class == Some('4') && action != "failed");
    if kind == Kind::Hard && (transient || stage(detail, vocab::BEFORE_RCPT_STAGE)) {
        kind = Kind::Soft;
    }
    let shown = if diagnostic.is_empty() {
        phrase.unwrap_or_default()
    } else {
        &diagnostic
    };
    verdict(kind, reason, shown)
}

/// The reason the text gives, else the one the status code gives, else `Undefined`.
fn reason_for(text: &str, status: Option<&str>) -> (Reason, Option<&'static str>) {
    let text = vocab::normalise(text);
    let found = vocab::first_match(&text, vocab::SENDER_SIDE)
        .or_else(|| vocab::first_match(&text, vocab::SOFT))
        .or_else(|| vocab::first_match(&text, vocab::HARD));
    if let Some((reason, phrase)) = found {
        return (reason, Some(phrase));
    }
    if let Some(reason) = status.and_then(by_status) {
        return (reason, None);
    }
    // A bare refusal is a dead address only with an address status code (x.1.x).
    let address_status = status.is_some_and(|s| s.get(1..4) == Some(".1."));
    match vocab::first_match(&text, vocab::HARD_WEAK) {
        Some((reason, phrase)) if address_status => (reason, Some(phrase)),
        Some((_, phrase)) => (Reason::Filtered, Some(phrase)),
        None => (Reason::Undefined, None),
    }
}

/// What an enhanced status code says by itself (RFC 3463, RFC 7505), where it says one thing.
fn by_status(status: &str) -> Option<Reason> {
    let mut parts = status.splitn(3, '.');
    let (class, subject, detail) = (parts.next()?, parts.next()?, parts.next()?);
    let reason = match (subject, detail) {
        ("1", "1") => Reason::UserUnknown,
        ("1", "2") | ("1", "10") => Reason::HostUnknown,
        ("1", "6") => Reason::HasMoved,
        // A recipient address so malformed it can never be delivered to.
        ("1", "3") => Reason::UserUnknown,
        ("1", "7") | ("1", "8") => Reason::Rejected,
        ("2", "1") => Reason::Suspend,
        ("2", "2") => Reason::MailboxFull,
        ("2", "3") | ("3", "4") => Reason::MesgTooBig,
        ("3", _) => Reason::SystemError,
        ("4", "7") => Reason::Expired,
        ("4", _) => Reason::NetworkError,
        ("5", "0") => return None,
        ("5", _) => Reason::SyntaxError,
        ("6", _) => Reason::ContentError,
        ("7", "13") => Reason::Suspend,
        ("7", "25") => Reason::RequirePtr,
        ("7", "20" | "21" | "22" | "23" | "24" | "26") => Reason::AuthFailure,
        ("7", _) => Reason::Policy,
        _ => return None,
    };
    // A temporary failure never names a dead address by its code alone.
    (class != "4" || reason.kind() != Kind::Hard).then_some(reason)
}

/// Whether the text names the SMTP stage given by `phrases`.
fn stage(text: &str, phrases: &[&str]) -> bool {
    let text = vocab::normalise(text);
    phrases.iter().any(|p| text.contains(p))
}

/// Whether a user-unknown reply is about the address itself: given at RCPT time, or with an
/// address status code (x.1.x). The same words after DATA, or with a mailbox status (x.2.x),
/// come from the recipient's filter as often as not, and a member is not deleted on a guess.
/// `detail` is the text about this recipient, `evidence` that plus the whole report's text.
fn about_the_address(detail: &str, evidence: &str, address_status: bool) -> bool {
    if stage(detail, vocab::DIRECTORY) {
        return true;
    }
    if stage(detail, vocab::DATA_STAGE) {
        return false;
    }
    address_status || stage(evidence, vocab::RCPT_STAGE)
}

fn short(text: &str) -> String {
    let mut s = text::collapse_space(text);
    super::fields::truncate(&mut s, 500);
    s
}
