//! Classifying a report: per recipient, what happened and what crier should do about it.
//!
//! The status class alone is not a classification: a 5.7.1 is usually the sender's problem
//! (policy, reputation, authentication), not a dead address, and a 5.4.4 can be an unknown
//! host or a network error. So the diagnostic text decides first, with phrases that blame the
//! sender tried before recipient-level ones, and the status code only where the text says
//! nothing known. Only recipient-level reasons are [`Kind::Hard`].
//!
//! Nor are the words alone: "user unknown" is what many recipients' filters answer after DATA.
//! A user-unknown reply deletes a member only when the report shows it is about the address: a
//! directory lookup, a reply to RCPT TO, an address status code (x.1.x), or the reporting MTA's
//! own bad-address category. A refusal that names the sender (its address or domain), that
//! leaves its address slot empty, that the recipient's server gave after accepting the
//! recipient, or that the report's own text contradicts (mailbox full, disabled) never does.

use super::report::{Recipient, Report, ReportType};
use super::smtp::{self, Stage};
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
    /// The sending provider keeps the address on its suppression list (an earlier hard bounce
    /// or complaint there): it sends nothing to it.
    Suppressed,
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
            Reason::Suppressed => "suppressed",
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
    pub(crate) fn kind(self) -> Kind {
        use Reason::*;
        match self {
            UserUnknown | HostUnknown | HasMoved | Suppressed => Kind::Hard,
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
    let ev = Evidence::of(report, r);
    if ev.delivered() {
        return ev.verdict(Kind::Delivered, Reason::Delivered, ev.diagnostic);
    }
    let (reason, phrase) = ev.reason();
    let kind = ev.kind(reason);
    let shown = match (ev.diagnostic, ev.context) {
        ("", "") => phrase.unwrap_or_default(),
        ("", context) => context,
        (diagnostic, _) => diagnostic,
    };
    ev.verdict(kind, reason, shown)
}

/// What a recipient's verdict rests on.
struct Evidence<'a> {
    report: &'a Report,
    r: &'a Recipient,
    /// The recipient's address, lower-cased.
    address: Option<&'a str>,
    /// `Diagnostic-Code` (or, in a non-standard report, the text about the recipient).
    diagnostic: &'a str,
    /// The human-readable text about the recipient.
    context: &'a str,
    /// The text that speaks for the recipient: its diagnostic, else the text about it, else
    /// (when it is the report's only recipient) the report's text.
    detail: &'a str,
    /// The most specific status code given: the DSN's, else the remote server's own.
    status: Option<String>,
}

impl<'a> Evidence<'a> {
    fn of(report: &'a Report, r: &'a Recipient) -> Self {
        let diagnostic = r.diagnostic.as_deref().unwrap_or_default();
        let context = r.context.as_deref().unwrap_or_default();
        let whole = if report.recipients.len() == 1 {
            report.text.as_str()
        } else {
            ""
        };
        let detail = [diagnostic, context, whole]
            .into_iter()
            .find(|t| !t.trim().is_empty())
            .unwrap_or_default();
        Evidence {
            report,
            r,
            address: r
                .final_recipient
                .as_deref()
                .or(r.original_recipient.as_deref()),
            diagnostic,
            context,
            detail,
            status: status_of(r, diagnostic, context),
        }
    }

    fn action(&self) -> &str {
        self.r.action.as_deref().unwrap_or_default()
    }

    fn class(&self) -> Option<char> {
        self.status.as_deref().and_then(|s| s.chars().next())
    }

    fn delivered(&self) -> bool {
        matches!(self.action(), "delivered" | "relayed" | "expanded") || self.class() == Some('2')
    }

    /// Whether the status code is about the address (x.1.x: bad mailbox, bad domain, moved).
    fn address_status(&self) -> bool {
        self.status.as_deref().and_then(|s| s.get(1..4)) == Some(".1.")
    }

    /// The reason, from the text about the recipient first, then the codes.
    fn reason(&self) -> (Reason, Option<&'static str>) {
        let status = self.status.as_deref();
        let mut found = reason_for(self.detail, status);
        if found.0 == Reason::Undefined {
            let whole = self.report.recipients.len() == 1;
            let others = [self.context, if whole { &self.report.text } else { "" }];
            if let Some(better) = others
                .into_iter()
                .filter(|t| !t.trim().is_empty() && *t != self.detail)
                .map(|t| reason_for(t, status))
                .find(|(reason, _)| *reason != Reason::Undefined)
            {
                found = better;
            }
        }
        let (mut reason, phrase) = found;
        if reason == Reason::Undefined {
            reason = self.category().unwrap_or(reason);
        }
        if self.r.diagnostic_type.as_deref() == Some("x-unix") {
            // A local delivery program failed (procmail, a full disk): not about the address.
            reason = Reason::MailerError;
        }
        if reason.kind() == Kind::Hard && self.names_the_sender() {
            reason = Reason::Rejected;
        }
        if reason == Reason::UserUnknown && !self.about_the_address() {
            reason = Reason::Filtered;
        }
        if reason.kind() == Kind::Hard {
            if let Some(told) = self.told_otherwise() {
                return told;
            }
        }
        (reason, phrase)
    }

    /// The kind a failure for `reason` is: a dead-address reason is still soft when the failure
    /// is temporary, or came before the recipient was given.
    fn kind(&self, reason: Reason) -> Kind {
        let kind = reason.kind();
        let action = self.action();
        let transient = action == "delayed" || (self.class() == Some('4') && action != "failed");
        let before_rcpt = self.r.stage.is_some_and(Stage::before_rcpt);
        if kind == Kind::Hard && (transient || before_rcpt) {
            return Kind::Soft;
        }
        kind
    }

    /// Whether a user-unknown reply is about the address itself, not the recipient's filter:
    /// a directory lookup; a reply to RCPT TO; after DATA, only with an address status code
    /// (x.1.x). Where the stage is not told: not when the reply leaves its address slot empty
    /// (`550 : User unknown`) or the reporting MTA had accepted the recipient; yes with the
    /// reporting MTA's own bad-address category or an address status code; otherwise not, since
    /// a member is not deleted on a guess.
    fn about_the_address(&self) -> bool {
        let texts = [self.diagnostic, self.context];
        if texts.iter().any(|t| said(t, vocab::DIRECTORY)) {
            return true;
        }
        if self.r.accepted_here {
            return false;
        }
        match self.r.stage {
            Some(Stage::Rcpt) => return true,
            Some(Stage::Data) => return self.address_status(),
            Some(_) => return false,
            None => {}
        }
        if texts.iter().any(|t| smtp::empty_address_slot(t)) {
            return false;
        }
        self.category() == Some(Reason::UserUnknown) || self.address_status()
    }

    /// What the reporting MTA's own category for the failure says.
    fn category(&self) -> Option<Reason> {
        let category = self.r.category.as_deref()?;
        vocab::CATEGORIES
            .iter()
            .find(|(name, _)| *name == category)
            .map(|(_, reason)| *reason)
    }

    /// Whether the refusal names the original's sender (its address, or its domain) and not the
    /// recipient: a dead-address phrase there is about the sender (`553 <sender domain> does
    /// not exist`, `550 <bounce address>... Access denied`).
    fn names_the_sender(&self) -> bool {
        let Some(address) = self.address else {
            return false;
        };
        let Some(reply) = [self.diagnostic, self.context]
            .into_iter()
            .find_map(smtp::reply)
        else {
            return false;
        };
        let named = text::addresses_in(reply);
        let senders = self.senders();
        if !named.is_empty() {
            return named.iter().all(|a| senders.contains(a) && a != address);
        }
        let domain_of = |a: &str| a.rsplit_once('@').map(|(_, d)| d.to_owned());
        let own = domain_of(address).unwrap_or_default();
        let words = text::domains_in(reply);
        !words.contains(&own)
            && senders
                .iter()
                .filter_map(|s| domain_of(s))
                .any(|d| d != own && words.contains(&d))
    }

    /// The original's sender as the report knows it: where the report was sent, its From and
    /// Return-Path.
    fn senders(&self) -> Vec<String> {
        let mut senders: Vec<String> = self.report.to.clone();
        senders.extend(self.report.envelope_to.iter().cloned());
        if let Some(o) = &self.report.original {
            senders.extend(o.from.iter().cloned());
            senders.extend(o.return_path.iter().cloned());
        }
        senders
    }

    /// A recipient-side soft reason (full, disabled, too big) the report's own human-readable
    /// text gives besides what it says about this recipient, when the recipient is its only
    /// one: a report that contradicts itself does not delete a member.
    fn told_otherwise(&self) -> Option<(Reason, Option<&'static str>)> {
        if self.report.recipients.len() != 1
            || self.diagnostic.is_empty() && self.context.is_empty()
        {
            return None;
        }
        let rest =
            vocab::normalise(&self.report.text).replacen(&vocab::normalise(self.context), " ", 1);
        let told = reason_for(&rest, None);
        matches!(
            told.0,
            Reason::MailboxFull | Reason::MesgTooBig | Reason::Suspend
        )
        .then_some(told)
    }

    fn verdict(&self, kind: Kind, reason: Reason, detail: &str) -> Verdict {
        Verdict {
            recipient: self.address.map(str::to_owned),
            kind,
            status: self.status.clone(),
            reason,
            detail: short(detail),
        }
    }
}

/// The most specific status code given for a recipient: the DSN's `Status`, else the one the
/// remote server gave in its reply, else any in the text; a generic `x.0.0` only when nothing
/// says more.
fn status_of(r: &Recipient, diagnostic: &str, context: &str) -> Option<String> {
    let candidates = [
        r.status.clone(),
        smtp::reply_status(diagnostic),
        text::status_code(diagnostic),
        smtp::reply_status(context),
        text::status_code(context),
    ];
    let specific = |s: &String| !s.ends_with(".0.0");
    candidates
        .iter()
        .flatten()
        .find(|s| specific(s))
        .or_else(|| candidates.iter().flatten().next())
        .cloned()
}

/// The reason the text gives, else the one the status code gives, else `Undefined`. A bare
/// refusal of the recipient ("recipient rejected", "mailbox unavailable") is a user-unknown
/// candidate, left to [`Evidence::about_the_address`].
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
    match vocab::first_match(&text, vocab::HARD_WEAK) {
        // "Recipient address rejected: On hold": refused for a reason not known here.
        Some((_, phrase)) if gives_a_reason(&text, phrase) => (Reason::Undefined, Some(phrase)),
        Some((reason, phrase)) => (reason, Some(phrase)),
        None => (Reason::Undefined, None),
    }
}

/// Whether `phrase` in `text` is followed by a stated reason (`phrase: reason`).
fn gives_a_reason(text: &str, phrase: &str) -> bool {
    text.split(phrase).skip(1).any(|after| {
        after
            .strip_prefix(':')
            .is_some_and(|reason| reason.trim_start().starts_with(char::is_alphabetic))
    })
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

/// Whether the text holds one of `phrases`.
fn said(text: &str, phrases: &[&str]) -> bool {
    let text = vocab::normalise(text);
    phrases.iter().any(|p| text.contains(p))
}

fn short(text: &str) -> String {
    let mut s = text::collapse_space(text);
    super::fields::truncate(&mut s, 500);
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bounce::report::parse;

    const ORIGINAL: &str = "Return-Path: <news@example.com>\nFrom: news@example.com\nTo: ada@example.net\nSubject: hi\n";

    /// A DSN about ada@example.net: `human` as its notification, `fields` in its recipient
    /// block, `original` as the returned headers.
    fn dsn_with(human: &str, fields: &str, original: &str) -> (Kind, &'static str) {
        let text = format!(
            "From: MAILER-DAEMON@relay.example.org\nTo: bounces@example.com\nSubject: Undelivered Mail\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\n{human}\n--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; relay.example.org\n\nFinal-Recipient: rfc822; ada@example.net\nAction: failed\n{fields}\n--b\nContent-Type: text/rfc822-headers\n\n{original}\n--b--\n"
        );
        let verdicts = classify(&parse(text.as_bytes()).unwrap());
        assert_eq!(verdicts.len(), 1);
        (verdicts[0].kind, verdicts[0].reason.as_str())
    }

    fn dsn(human: &str, fields: &str) -> (Kind, &'static str) {
        dsn_with(human, fields, ORIGINAL)
    }

    const HARD: (Kind, &str) = (Kind::Hard, "userunknown");
    const FILTERED: (Kind, &str) = (Kind::Soft, "filtered");

    #[test]
    fn a_user_unknown_reply_is_judged_by_its_smtp_stage_and_codes() {
        let reply = "Status: 5.0.0\nRemote-MTA: dns; mx.example.net\nDiagnostic-Code: smtp; 550 <ada@example.net>: User unknown";
        let said = |stage: &str| {
            format!("<ada@example.net>: host mx.example.net[192.0.2.1] said: 550 <ada@example.net>: User unknown (in reply to {stage} command)")
        };
        assert_eq!(dsn(&said("RCPT TO"), reply), HARD);
        assert_eq!(dsn(&said("end of DATA"), reply), FILTERED);
        assert_eq!(dsn("failed", reply), FILTERED, "no stage, no address code");
        let coded = reply.replace("5.0.0", "5.1.1");
        assert_eq!(dsn("failed", &coded), HARD);
        assert_eq!(dsn(&said("end of DATA"), &coded), HARD);
        let transcript = "... while talking to mx.example.net.:\n>>> DATA\n<<< 550 5.0.0 <ada@example.net>... User unknown\n<<< 503 5.0.0 Need RCPT (recipient)\n";
        assert_eq!(dsn(transcript, reply), FILTERED);
        let transcript = transcript.replace(">>> DATA", ">>> RCPT To:<ada@example.net>");
        assert_eq!(dsn(&transcript, reply), HARD);
    }

    #[test]
    fn an_empty_address_slot_is_not_about_the_address() {
        let fields = "Status: 5.1.351\nDiagnostic-Code: smtp; 550 5.1.351 Remote server returned unknown recipient or mailbox unavailable -> 550 : User unknown";
        assert_eq!(dsn("failed", fields), FILTERED);
        let named = fields.replace("550 : User", "550 <ada@example.net>: User");
        assert_eq!(dsn("failed", &named), HARD);
    }

    #[test]
    fn a_refusal_naming_the_sender_is_not_about_the_recipient() {
        let domain = "Status: 5.0.0\nDiagnostic-Code: smtp; 553 example.com does not exist";
        assert_eq!(dsn("failed", domain), (Kind::SenderSide, "rejected"));
        let address = "Status: 5.0.0\nDiagnostic-Code: smtp; 5.1.0 - Unknown address error 550-'5.7.1 <bounces@example.com>... Access denied'";
        assert_eq!(dsn("failed", address), (Kind::SenderSide, "rejected"));
    }

    #[test]
    fn a_report_contradicting_itself_deletes_no_one() {
        let fields =
            "Status: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 <ada@example.net>... User unknown";
        let human = "Your message to <ada> was automatically rejected:\nNot enough disk space";
        assert_eq!(dsn(human, fields), (Kind::Soft, "mailboxfull"));
        assert_eq!(
            dsn("The user(s) account is disabled.", fields),
            (Kind::Soft, "suspend")
        );
    }

    #[test]
    fn a_bare_refusal_at_rcpt_is_hard_and_one_with_a_reason_is_not() {
        let human = "<ada@example.net>: host mx.example.net[192.0.2.1] said: 550 <ada@example.net>: Recipient address rejected. (in reply to RCPT TO command)";
        let fields = "Status: 5.0.0\nDiagnostic-Code: smtp; 550 <ada@example.net>: Recipient address rejected.";
        assert_eq!(dsn(human, fields), HARD);
        let on_hold = fields.replace("rejected.", "rejected: On hold");
        assert_eq!(
            dsn(&human.replace("rejected.", "rejected: On hold"), &on_hold),
            (Kind::Soft, "undefined")
        );
    }

    #[test]
    fn a_refusal_after_the_recipients_server_accepted_it_is_its_filter() {
        let fields = "Status: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 Mailbox does not exist";
        let accepted = format!("Received: from mx.example.com by relay.example.org with SMTP id x\n for ada@example.net; Thu, 1 Oct 2015 13:48:54 +0000\n{ORIGINAL}");
        assert_eq!(dsn_with("failed", fields, &accepted), FILTERED);
        assert_eq!(dsn("failed", fields), HARD);
    }

    #[test]
    fn the_reporting_mtas_own_category_speaks_for_the_address() {
        let fields = "Status: 5.2.1\nRemote-MTA: dns; mx.example.net\nDiagnostic-Code: smtp; 550 5.2.1 <ada@example.net>... User Unknown";
        assert_eq!(dsn("failed", fields), FILTERED);
        let categorised = format!("{fields}\nX-PowerMTA-BounceCategory: bad-mailbox");
        assert_eq!(dsn("failed", &categorised), HARD);
    }

    #[test]
    fn a_bounce_forwarded_inline_is_read_from_the_forwarded_text() {
        let text = "From: Ada <ada@example.org>\nTo: news@example.com\nSubject: Fwd: Returned mail\n\nForwarding this.\n\nBegin forwarded message:\n\n> From: Mail Delivery Subsystem <MAILER-DAEMON@relay.example.org>\n> Subject: Returned mail: see transcript for details\n>\n> ----- The following addresses had permanent fatal errors -----\n> <bob@example.net>\n>     (reason: 550 5.1.1 <bob@example.net>... User unknown)\n> Reporting-MTA: dns; relay.example.org\n>\n> Final-Recipient: RFC822; bob@example.net\n> Action: failed\n> Status: 5.1.1\n> Diagnostic-Code: SMTP; 550 5.1.1 <bob@example.net>... User unknown\n> Return-Path: <news@example.com>\n> X-Virus-Scanned: ClamAV\n";
        let report = parse(text.as_bytes()).unwrap();
        assert_eq!(report.report_type, ReportType::Dsn);
        assert_eq!(report.subject.as_deref(), Some("Fwd: Returned mail"));
        let verdicts = classify(&report);
        assert_eq!(verdicts.len(), 1);
        assert_eq!(verdicts[0].recipient.as_deref(), Some("bob@example.net"));
        assert_eq!(
            (verdicts[0].kind, verdicts[0].reason),
            (Kind::Hard, Reason::UserUnknown)
        );
    }
}
