//! One report, read: what kind of report it is, who it is about, and what it quotes of the
//! original message. Plain data out, no judgement (that is [`super::classify`]).

use chrono::{DateTime, FixedOffset};
use mail_parser::{Message, MessageParser, MimeHeaders, PartType};

use super::fields::{self, typed_value, Block};
use super::limits::{
    MAX_DEPTH, MAX_MESSAGE_BYTES, MAX_PARTS, MAX_RECEIVED, MAX_RECIPIENTS, MAX_TEXT,
};
use super::smtp::{self, Stage};
use super::text;
use super::vocabulary as vocab;

/// What a message is, as far as its structure and headers tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReportType {
    /// An RFC 3464 delivery status notification (`message/delivery-status` or
    /// `message/global-delivery-status`).
    Dsn,
    /// An RFC 5965 feedback report (`message/feedback-report`), or a provider's own complaint
    /// format that says the same.
    Arf,
    /// An RFC 3834 auto-reply (out of office and the like).
    AutoReply,
    /// A bounce without machine-readable parts: the reason is in the human-readable text.
    NonStandard,
    /// None of the above.
    #[default]
    NotAReport,
}

/// One recipient a report is about, as the report states it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recipient {
    /// `Final-Recipient` (or the address found in the text of a non-standard report).
    pub final_recipient: Option<String>,
    /// `Original-Recipient` / `X-Original-Rcpt`, when given.
    pub original_recipient: Option<String>,
    /// `Action`: failed, delayed, delivered, relayed, expanded.
    pub action: Option<String>,
    /// The status code, e.g. `5.1.1`.
    pub status: Option<String>,
    /// `Diagnostic-Code` without its type, or the text about this recipient.
    pub diagnostic: Option<String>,
    /// The type of `Diagnostic-Code`, lower-cased: `smtp`, `x-unix` (a local program), …
    pub diagnostic_type: Option<String>,
    /// `Remote-MTA` without its type.
    pub remote_mta: Option<String>,
    /// The human-readable text about this recipient (a DSN's notification names each one with
    /// the reply it got; a transcript quotes the session), at most
    /// [`super::limits::MAX_CONTEXT`] bytes.
    pub context: Option<String>,
    /// The SMTP command the failing reply answered, when the report says.
    pub stage: Option<Stage>,
    /// The reporting MTA's own category for the failure (`X-PowerMTA-BounceCategory`).
    pub category: Option<String>,
    /// The reporting MTA had itself accepted the message for this recipient (its own
    /// `Received` line in the returned headers names the recipient) and names no remote MTA:
    /// an SMTP-style refusal it gives was decided after it said yes at RCPT time.
    pub accepted_here: bool,
}

/// The machine-readable part of an ARF complaint report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Feedback {
    /// `Feedback-Type`, lower-cased: abuse, opt-out, fraud, virus, auth-failure, other.
    pub feedback_type: String,
    /// Every `Original-Rcpt-To`.
    pub original_rcpt_to: Vec<String>,
    /// `Original-Mail-From`.
    pub original_mail_from: Option<String>,
    /// Every `Reported-Domain`.
    pub reported_domain: Vec<String>,
    /// `Source-IP`.
    pub source_ip: Option<String>,
}

/// Headers of the original message, as far as the report quotes them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Original {
    /// Its `Message-ID`, without angle brackets.
    pub message_id: Option<String>,
    /// Its `To` addresses (and a provider's original-recipient header, when quoted).
    pub to: Vec<String>,
    /// Its `From` address.
    pub from: Option<String>,
    /// Its `Subject`.
    pub subject: Option<String>,
    /// Its `Return-Path` address (the envelope sender).
    pub return_path: Option<String>,
    /// Its `Received` lines, newest first (at most [`MAX_RECEIVED`]).
    pub received: Vec<String>,
    /// Headers of ours (`X-Crier-*`) and `List-Id`, for attribution.
    pub ours: Vec<(String, String)>,
}

/// A report, read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// What kind of report this is.
    pub report_type: ReportType,
    /// The report's own Message-ID, without angle brackets.
    pub message_id: Option<String>,
    /// The report's From address.
    pub from: Option<String>,
    /// The report's To addresses: a VERP token of ours shows up here.
    pub to: Vec<String>,
    /// Envelope hints from the delivering server (Delivered-To, X-Original-To, Envelope-To,
    /// X-Envelope-To): the VERP address when To was rewritten.
    pub envelope_to: Vec<String>,
    /// The report's Date.
    pub date: Option<DateTime<FixedOffset>>,
    /// The report's Subject.
    pub subject: Option<String>,
    /// `Reporting-MTA` of a DSN.
    pub reporting_mta: Option<String>,
    /// The recipients the report is about, in its order.
    pub recipients: Vec<Recipient>,
    /// The ARF part of a complaint.
    pub feedback: Option<Feedback>,
    /// The quoted original message's headers.
    pub original: Option<Original>,
    /// The human-readable text, cut before the quoted original, at most [`MAX_TEXT`] bytes.
    pub text: String,
    /// What was cut or skipped while reading (for the log).
    pub notes: Vec<String>,
}

/// Why bytes cannot be read as a report at all.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ParseError {
    /// Larger than [`MAX_MESSAGE_BYTES`]: skipped rather than parsed.
    #[error("message is {size} bytes, over the {max}-byte limit for a report")]
    TooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// Empty, or not a message with headers.
    #[error("not an e-mail message (no header fields)")]
    NotAMessage,
}

/// What the walk over the MIME tree found.
#[derive(Default)]
struct Found {
    dsn: Option<String>,
    feedback: Option<String>,
    original: Option<Original>,
    text: String,
    html: String,
    parts: usize,
    notes: Vec<String>,
}

/// Reads one message as a report. Never panics; bounded in size, parts and nesting depth.
pub fn parse(bytes: &[u8]) -> Result<Report, ParseError> {
    parse_at(bytes, 0)
}

/// [`parse`], `depth` reports deep in forwarded messages.
fn parse_at(bytes: &[u8], depth: usize) -> Result<Report, ParseError> {
    if bytes.len() > MAX_MESSAGE_BYTES {
        return Err(ParseError::TooLarge {
            size: bytes.len(),
            max: MAX_MESSAGE_BYTES,
        });
    }
    let message = MessageParser::default()
        .parse(bytes)
        .filter(|m| !m.headers().is_empty())
        .ok_or(ParseError::NotAMessage)?;
    let mut report = envelope(&message);
    let mut found = Found::default();
    walk(&message, 0, &mut found);
    if found.text.trim().is_empty() && !found.html.is_empty() {
        found.text = text::from_html(&found.html);
    }
    if found.dsn.is_none() && found.feedback.is_none() {
        if let Some(inner) = forwarded(&found.text, depth) {
            return Ok(adopt_forwarded(report, inner));
        }
        found.dsn = inline_dsn(&found.text);
    }
    let (human, inline_original) = text::split_original(&found.text);
    report.text = human.to_owned();
    fields::truncate(&mut report.text, MAX_TEXT);
    report.original = found
        .original
        .take()
        .or_else(|| inline_original.map(original_from_text));
    report.notes = found.notes;
    if let Some(dsn) = &found.dsn {
        read_dsn(dsn, &mut report);
    }
    if let Some(arf) = &found.feedback {
        report.feedback = Some(read_feedback(arf));
    }
    if report.recipients.is_empty() && report.feedback.is_none() {
        read_ses(&found.text, &mut report);
    }
    report.report_type = report_type(&message, &report);
    if report.report_type == ReportType::NonStandard && report.recipients.is_empty() {
        report.recipients = text::recipients(&report);
    }
    annotate(&mut report);
    Ok(report)
}

/// A report forwarded inline by a person ("Begin forwarded message:", then its header lines,
/// quoted with `>` or not): the forwarded text read as a message of its own, when it is a
/// report.
fn forwarded(text: &str, depth: usize) -> Option<Report> {
    if depth + 1 >= MAX_DEPTH {
        return None;
    }
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        offset += line.len();
        let lower = line.to_lowercase();
        if vocab::FORWARD_MARKERS.iter().any(|m| lower.contains(m)) {
            let inner = text::unquote(&text[offset..]);
            let inner = inner.trim_start();
            let first = inner
                .lines()
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase();
            if !vocab::HEADER_LIKE.iter().any(|h| first.starts_with(h)) {
                return None;
            }
            let report = parse_at(inner.as_bytes(), depth + 1).ok()?;
            let is_report = matches!(
                report.report_type,
                ReportType::Dsn | ReportType::Arf | ReportType::NonStandard
            );
            return is_report.then_some(report);
        }
    }
    None
}

/// The forwarded report, with the forwarding message's own headers (for attribution).
fn adopt_forwarded(outer: Report, inner: Report) -> Report {
    let mut notes = outer.notes;
    notes.push("a report forwarded inline: read from the forwarded text".to_owned());
    notes.extend(inner.notes.iter().cloned());
    Report {
        message_id: outer.message_id,
        from: outer.from,
        to: outer.to,
        envelope_to: outer.envelope_to,
        date: outer.date,
        subject: outer.subject,
        notes,
        ..inner
    }
}

/// A DSN's fields written into the text of a report that has no `message/delivery-status`
/// part (a flattened or forwarded DSN): from the first DSN field on.
fn inline_dsn(text: &str) -> Option<String> {
    const FIRST: &[&str] = &["reporting-mta:", "final-recipient:", "original-recipient:"];
    let mut offset = 0;
    let mut start = None;
    for line in text.split_inclusive('\n') {
        let lower = line.trim_start().to_ascii_lowercase();
        if start.is_none() && FIRST.iter().any(|f| lower.starts_with(f)) {
            start = Some(offset);
        }
        if start.is_some() && lower.starts_with("final-recipient:") {
            let mut dsn = text[start.unwrap_or(offset)..].to_owned();
            fields::truncate(&mut dsn, MAX_TEXT);
            return Some(dsn);
        }
        offset += line.len();
    }
    None
}

/// What the parser can tell about each recipient beyond its fields: the text about it, the
/// SMTP stage of its failure, and whether the reporting MTA had accepted it.
fn annotate(report: &mut Report) {
    let single = report.recipients.len() == 1;
    let reporting_host = report
        .reporting_mta
        .as_deref()
        .and_then(|m| m.split_whitespace().next())
        .map(str::to_ascii_lowercase);
    let received = report
        .original
        .as_ref()
        .map(|o| o.received.as_slice())
        .unwrap_or_default();
    for r in &mut report.recipients {
        let address = r
            .final_recipient
            .clone()
            .or_else(|| r.original_recipient.clone())
            .unwrap_or_default();
        if r.context.is_none() && !address.is_empty() {
            r.context = text::context_for(&report.text, &address);
        }
        r.stage = [r.diagnostic.as_deref(), r.context.as_deref()]
            .into_iter()
            .flatten()
            .find_map(smtp::stage_named)
            .or_else(|| smtp::stage_in_transcript(&report.text, &address))
            .or_else(|| single.then(|| smtp::stage_named(&report.text)).flatten());
        r.accepted_here = r.remote_mta.is_none()
            && r.diagnostic_type.as_deref() == Some("smtp")
            && reporting_host
                .as_deref()
                .is_some_and(|host| accepted_by(host, &address, received));
    }
}

/// Whether one of `received` says `host` took the message for `address`.
fn accepted_by(host: &str, address: &str, received: &[String]) -> bool {
    let by = format!("by {host} ");
    received.iter().any(|line| {
        let line = line.to_ascii_lowercase();
        line.contains(&by)
            && line.contains(" for ")
            && text::addresses_in(&line).iter().any(|a| a == address)
    })
}

/// The report's own headers.
fn envelope(message: &Message<'_>) -> Report {
    let addresses = |name: &str| -> Vec<String> {
        message
            .header_values(name)
            .flat_map(|v| text::addresses_in(&header_text(v)))
            .collect()
    };
    let mut envelope_to = Vec::new();
    for name in [
        "Delivered-To",
        "X-Original-To",
        "Envelope-To",
        "X-Envelope-To",
    ] {
        for a in addresses(name) {
            if !envelope_to.contains(&a) {
                envelope_to.push(a);
            }
        }
    }
    Report {
        message_id: message.message_id().map(str::to_owned),
        from: addresses("From").into_iter().next(),
        to: addresses("To"),
        envelope_to,
        date: message
            .date()
            .and_then(|d| DateTime::parse_from_rfc3339(&d.to_rfc3339()).ok()),
        subject: message.subject().map(str::to_owned),
        ..Report::default()
    }
}

/// A header value as text, whatever mail-parser made of it.
fn header_text(value: &mail_parser::HeaderValue<'_>) -> String {
    use mail_parser::HeaderValue as V;
    match value {
        V::Text(t) => t.to_string(),
        V::TextList(l) => l.join(", "),
        V::Address(a) => a
            .iter()
            .filter_map(|x| x.address.as_deref())
            .collect::<Vec<_>>()
            .join(", "),
        _ => String::new(),
    }
}

/// Visits the parts of `message`, descending into quoted messages at most [`MAX_DEPTH`] deep:
/// a forwarded bounce keeps its report one level down, and a hostile report nests without end.
fn walk(message: &Message<'_>, depth: usize, found: &mut Found) {
    for part in &message.parts {
        found.parts += 1;
        if found.parts > MAX_PARTS {
            found.notes.push(format!(
                "more than {MAX_PARTS} MIME parts: the rest skipped"
            ));
            return;
        }
        let mime = part
            .content_type()
            .map(|c| {
                format!("{}/{}", c.ctype(), c.subtype().unwrap_or_default()).to_ascii_lowercase()
            })
            .unwrap_or_default();
        match (mime.as_str(), &part.body) {
            ("message/delivery-status" | "message/global-delivery-status", _) => {
                store_once(&mut found.dsn, part.contents())
            }
            ("message/feedback-report", _) => store_once(&mut found.feedback, part.contents()),
            ("text/rfc822-headers" | "message/rfc822-headers", _) => {
                let text = String::from_utf8_lossy(part.contents());
                found
                    .original
                    .get_or_insert_with(|| original_from_text(&text));
            }
            (_, PartType::Message(nested)) => walk_nested(nested, depth, found),
            (_, PartType::Binary(b) | PartType::InlineBinary(b))
                if mime.starts_with("message/") =>
            {
                let text = String::from_utf8_lossy(b);
                found
                    .original
                    .get_or_insert_with(|| original_from_text(&text));
            }
            (_, PartType::Text(t))
                if depth == 0 && found.text.len() < MAX_TEXT && !is_attachment(part) =>
            {
                found.text.push_str(t);
                found.text.push('\n');
            }
            (_, PartType::Html(h)) if depth == 0 && found.html.len() < MAX_TEXT => {
                found.html.push_str(h);
            }
            _ => {}
        }
    }
}

/// A quoted message: the original (the first one quoted), and what it holds.
fn walk_nested(nested: &Message<'_>, depth: usize, found: &mut Found) {
    if found.original.is_none() {
        found.original = Some(original_from_message(nested));
    }
    if depth + 1 < MAX_DEPTH {
        let mut inner = Found::default();
        walk(nested, depth + 1, &mut inner);
        adopt_nested(found, inner);
    } else {
        found.notes.push(format!(
            "quoted messages nested over {MAX_DEPTH} deep: skipped"
        ));
    }
}

/// What a quoted message adds: its report parts when the outer message has none (a bounce
/// forwarded as an attachment).
fn adopt_nested(found: &mut Found, inner: Found) {
    if found.dsn.is_none() && inner.dsn.is_some() {
        found.dsn = inner.dsn;
    }
    if found.feedback.is_none() && inner.feedback.is_some() {
        found.feedback = inner.feedback;
    }
    found.parts += inner.parts;
    found.notes.extend(inner.notes);
}

fn is_attachment(part: &mail_parser::MessagePart<'_>) -> bool {
    part.content_disposition()
        .is_some_and(|d| d.ctype().eq_ignore_ascii_case("attachment"))
}

fn store_once(slot: &mut Option<String>, bytes: &[u8]) {
    if slot.is_none() {
        let mut text = String::from_utf8_lossy(bytes).into_owned();
        fields::truncate(&mut text, MAX_TEXT);
        *slot = Some(text);
    }
}

/// The DSN's per-message block, then one block per recipient.
fn read_dsn(dsn: &str, report: &mut Report) {
    for block in fields::blocks(dsn) {
        if let Some(mta) = block.get("Reporting-MTA") {
            report
                .reporting_mta
                .get_or_insert_with(|| typed_value(mta).to_owned());
        }
        let recipient = block
            .get("Final-Recipient")
            .or_else(|| block.get("Original-Recipient"))
            .or_else(|| block.get("X-Actual-Recipient"));
        if recipient.is_none() || report.recipients.len() >= MAX_RECIPIENTS {
            continue;
        }
        report.recipients.push(recipient_from(&block));
    }
}

/// Amazon SES's JSON notification (sent through SNS as mail): its bounced, delivered or
/// complained-of recipients, read like a DSN's or an ARF's.
fn read_ses(text: &str, report: &mut Report) {
    let Some(value) = ses_notification(text) else {
        return;
    };
    match value.get("notificationType").and_then(|t| t.as_str()) {
        Some("Bounce") => report.recipients.extend(ses_bounced(&value)),
        Some("Delivery") => report.recipients.extend(ses_delivered(&value)),
        Some("Complaint") => report.feedback = Some(ses_complaint(&value)),
        _ => {}
    }
}

/// The JSON of an SES notification in a text, unwrapped from its SNS envelope.
fn ses_notification(text: &str) -> Option<serde_json::Value> {
    if !text.contains("notificationType") {
        return None;
    }
    let (start, end) = (text.find('{')?, text.rfind('}')?);
    let body = &text[start..=end.max(start)];
    // SNS mail wraps long lines; a wrapped JSON string is re-joined before parsing.
    let value = [
        body.replace("\r\n ", "").replace("\n ", ""),
        body.replace(['\r', '\n'], ""),
    ]
    .iter()
    .find_map(|b| serde_json::from_str::<serde_json::Value>(b).ok())?;
    match value.get("Message").and_then(|m| m.as_str()) {
        Some(inner) => serde_json::from_str(inner).ok(),
        None => Some(value),
    }
}

fn ses_str(v: &serde_json::Value, key: &str) -> Option<String> {
    v.get(key).and_then(|x| x.as_str()).map(str::to_owned)
}

/// The array at `outer.inner`, at most [`MAX_RECIPIENTS`] long.
fn ses_list<'a>(
    v: &'a serde_json::Value,
    outer: &str,
    inner: &str,
) -> impl Iterator<Item = &'a serde_json::Value> {
    v.get(outer)
        .and_then(|x| x.get(inner))
        .and_then(|x| x.as_array())
        .into_iter()
        .flatten()
        .take(MAX_RECIPIENTS)
}

fn ses_bounced(value: &serde_json::Value) -> Vec<Recipient> {
    let transient =
        value.pointer("/bounce/bounceType").and_then(|t| t.as_str()) == Some("Transient");
    ses_list(value, "bounce", "bouncedRecipients")
        .map(|r| Recipient {
            final_recipient: ses_str(r, "emailAddress").map(|a| a.to_lowercase()),
            action: Some(if transient { "delayed" } else { "failed" }.to_owned()),
            status: ses_str(r, "status").as_deref().and_then(text::status_code),
            diagnostic: ses_str(r, "diagnosticCode").map(|d| typed_value(&d).to_owned()),
            ..Recipient::default()
        })
        .collect()
}

fn ses_delivered(value: &serde_json::Value) -> Vec<Recipient> {
    ses_list(value, "delivery", "recipients")
        .map(|r| Recipient {
            final_recipient: r.as_str().map(str::to_lowercase),
            action: Some("delivered".to_owned()),
            status: Some("2.0.0".to_owned()),
            ..Recipient::default()
        })
        .collect()
}

fn ses_complaint(value: &serde_json::Value) -> Feedback {
    let feedback_type = value
        .pointer("/complaint/complaintFeedbackType")
        .and_then(|t| t.as_str())
        .unwrap_or("abuse");
    Feedback {
        feedback_type: feedback_type.to_ascii_lowercase(),
        original_rcpt_to: ses_list(value, "complaint", "complainedRecipients")
            .filter_map(|r| ses_str(r, "emailAddress").map(|a| a.to_lowercase()))
            .collect(),
        ..Feedback::default()
    }
}

fn recipient_from(block: &Block) -> Recipient {
    let address = |name: &str| {
        block
            .get(name)
            .and_then(|v| text::addresses_in(typed_value(v)).into_iter().next())
    };
    Recipient {
        final_recipient: address("Final-Recipient").or_else(|| address("X-Actual-Recipient")),
        original_recipient: address("Original-Recipient").or_else(|| address("X-Original-Rcpt")),
        action: block.get("Action").map(|a| a.trim().to_ascii_lowercase()),
        status: block.get("Status").and_then(text::status_code),
        diagnostic: block
            .get("Diagnostic-Code")
            .map(|d| typed_value(d).to_owned())
            .filter(|d| !d.is_empty()),
        diagnostic_type: block
            .get("Diagnostic-Code")
            .and_then(|d| d.split_once(';'))
            .map(|(t, _)| t.trim().to_ascii_lowercase()),
        remote_mta: block.get("Remote-MTA").map(|m| typed_value(m).to_owned()),
        category: vocab::CATEGORY_FIELDS
            .iter()
            .find_map(|name| block.get(name))
            .map(|c| c.trim().to_ascii_lowercase()),
        ..Recipient::default()
    }
}

fn read_feedback(arf: &str) -> Feedback {
    let blocks = fields::blocks(arf);
    let all = |name: &str| -> Vec<String> {
        blocks
            .iter()
            .flat_map(|b| b.all(name).map(str::to_owned).collect::<Vec<_>>())
            .collect()
    };
    let first = |name: &str| all(name).into_iter().next();
    Feedback {
        feedback_type: first("Feedback-Type")
            .map(|t| t.trim().to_ascii_lowercase())
            .unwrap_or_default(),
        original_rcpt_to: all("Original-Rcpt-To")
            .iter()
            .flat_map(|v| text::addresses_in(v))
            .take(MAX_RECIPIENTS)
            .collect(),
        original_mail_from: first("Original-Mail-From")
            .and_then(|v| text::addresses_in(&v).into_iter().next()),
        reported_domain: all("Reported-Domain"),
        source_ip: first("Source-IP"),
    }
}

fn original_from_message(message: &Message<'_>) -> Original {
    let raw: Vec<(String, String)> = message
        .headers_raw()
        .take(super::limits::MAX_FIELDS)
        .map(|(n, v)| (n.to_owned(), text::collapse_space(v)))
        .collect();
    original_from_fields(&raw)
}

fn original_from_text(text: &str) -> Original {
    let block = fields::blocks(text).into_iter().next().unwrap_or_default();
    original_from_fields(&block.fields)
}

/// Picks out what attribution needs from the original's header fields.
fn original_from_fields(fields: &[(String, String)]) -> Original {
    let get = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_owned())
    };
    let mut to: Vec<String> = get("To")
        .map(|v| text::addresses_in(&v))
        .unwrap_or_default();
    if let Some(jmrp) = get(vocab::JMRP_RECIPIENT_HEADER) {
        to.extend(text::addresses_in(&jmrp));
    }
    Original {
        message_id: get("Message-ID").map(|v| v.trim_matches(['<', '>', ' ']).to_owned()),
        to,
        from: get("From").and_then(|v| text::addresses_in(&v).into_iter().next()),
        subject: get("Subject"),
        return_path: get("Return-Path").and_then(|v| text::addresses_in(&v).into_iter().next()),
        received: fields
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("Received"))
            .take(MAX_RECEIVED)
            .map(|(_, v)| text::collapse_space(v))
            .collect(),
        ours: fields
            .iter()
            .filter(|(n, _)| {
                let n = n.to_ascii_lowercase();
                n.starts_with("x-crier-")
                    || n == "list-id"
                    || n == vocab::JMRP_RECIPIENT_HEADER.to_ascii_lowercase()
            })
            .cloned()
            .collect(),
    }
}

/// Tells the report's type from its parts, then its headers, then its words.
fn report_type(message: &Message<'_>, report: &Report) -> ReportType {
    if report.feedback.is_some() {
        return ReportType::Arf;
    }
    if !report.recipients.is_empty() {
        return ReportType::Dsn;
    }
    let subject = vocab::normalise(report.subject.as_deref().unwrap_or_default());
    let is_jmrp = report.original.as_ref().is_some_and(|o| {
        o.ours
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(vocab::JMRP_RECIPIENT_HEADER))
    });
    let unsubscribe = vocab::UNSUBSCRIBE_SUBJECTS.contains(&subject.as_str())
        || message
            .header_raw("X-Apple-Unsubscribe")
            .is_some_and(|v| v.trim() == "true");
    if is_jmrp
        || vocab::COMPLAINT_SUBJECTS
            .iter()
            .any(|s| subject.starts_with(s))
        || unsubscribe
    {
        return ReportType::Arf;
    }
    if looks_like_bounce(message, report, &subject) {
        return ReportType::NonStandard;
    }
    if is_auto_reply(message, &subject) {
        return ReportType::AutoReply;
    }
    ReportType::NotAReport
}

fn looks_like_bounce(message: &Message<'_>, report: &Report, subject: &str) -> bool {
    let sender = report.from.as_deref().unwrap_or_default();
    let local = sender.split('@').next().unwrap_or_default();
    let from_daemon = vocab::BOUNCE_SENDERS.contains(&local)
        || message
            .from()
            .and_then(|a| a.first())
            .and_then(|a| a.name.as_deref())
            .is_some_and(|n| {
                let n = vocab::normalise(n);
                n.contains("mail delivery") || vocab::BOUNCE_SENDERS.contains(&n.as_str())
            });
    let subject_says = vocab::BOUNCE_SUBJECTS.iter().any(|s| subject.contains(s));
    let body = vocab::normalise(&report.text);
    let body_says = vocab::BOUNCE_BODY.iter().any(|p| body.contains(p));
    let failed_header = message.header_raw("X-Failed-Recipients").is_some();
    failed_header || (from_daemon && (subject_says || body_says)) || (subject_says && body_says)
}

fn is_auto_reply(message: &Message<'_>, subject: &str) -> bool {
    let header = |name: &str| {
        message
            .header_raw(name)
            .map(|v| v.trim().to_ascii_lowercase())
    };
    let auto_submitted = header("Auto-Submitted").is_some_and(|v| v.starts_with("auto-replied"));
    let flagged = header("X-Autoreply").is_some()
        || header("X-Autorespond").is_some()
        || header("Precedence").is_some_and(|v| v == "auto_reply");
    let subject_says = vocab::AUTO_REPLY_SUBJECTS
        .iter()
        .any(|s| subject.contains(s));
    auto_submitted || flagged || subject_says
}
