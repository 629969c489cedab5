//! Turning a rendered digest (or post) into one MIME message per subscriber.
//!
//! Templates are rendered and CSS inlined once per *shape* of subscriber (which fields are
//! filled in), with private-use markers where the subscriber's values go; each recipient then
//! costs only a marker substitution and the MIME encoding. That keeps composing fast on lists of
//! 100,000 while templates can still say `{{#if subscriber.name}}`.

use std::collections::HashMap;
use std::time::SystemTime;

use chrono::{DateTime, FixedOffset};
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::Message;
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use super::templates::{Kind, Templates};
use super::tokens::TokenKey;
use super::views::{Message as MessageData, Recipient, SubscriberView};
use crate::config::NewsletterSettings;
use crate::diagnostics::Diagnostic;
use crate::subscribers::Subscriber;
use crate::util::escape_html;

/// Gmail clips HTML bodies larger than this (about 102 KB); we warn at 100 KB.
pub const HTML_LIMIT: usize = 100 * 1024;

/// One composed message.
#[derive(Debug, Clone)]
pub struct Composed {
    /// Recipient address.
    pub to: String,
    /// The list it is sent on.
    pub list: String,
    /// `Message-ID` (with angle brackets), stable for (digest, recipient).
    pub message_id: String,
    /// Decoded subject.
    pub subject: String,
    /// The whole message, ready for SMTP or an `.eml` file.
    pub bytes: Vec<u8>,
    /// Size of the HTML part before transfer encoding.
    pub html_size: usize,
}

/// One subscriber's personalised content.
#[derive(Debug, Clone)]
pub struct Parts {
    /// HTML body with CSS inlined.
    pub html: String,
    /// Plain-text body.
    pub text: String,
    /// Subject line.
    pub subject: String,
    /// The subscriber's unsubscribe URL.
    pub unsubscribe: String,
}

/// What one send says, before it is personalised: the template kind, its view as frozen in
/// the ledger (built from a typed [`super::views::EmailView`]), the scope used in Message-IDs
/// (the send id), and the calendar file to attach.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Outgoing {
    /// Digest or single post.
    pub kind: Kind,
    /// The view, as JSON: what was frozen is what is rendered, even for a send frozen by an
    /// older release and resumed by this one.
    pub data: Value,
    /// Identifies the send in Message-IDs: the same scope and recipient give the same id.
    pub scope: String,
    /// `.ics` text to attach, if any.
    pub ics: Option<String>,
    /// A note above the message, for the organisers (a preview), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<super::note::Note>,
}

impl Outgoing {
    /// What a send of `view` says.
    pub fn new(view: &super::views::EmailView, scope: &str, ics: Option<String>) -> Self {
        Outgoing {
            kind: view.kind(),
            data: view.to_data(),
            scope: scope.to_owned(),
            ics,
            note: None,
        }
    }
}

/// What every message of one send shares.
pub struct Composer<'a> {
    settings: &'a NewsletterSettings,
    templates: &'a Templates,
    key: &'a TokenKey,
    kind: Kind,
    data: Value,
    at: DateTime<FixedOffset>,
    scope: String,
    ics: Option<String>,
    inliner: css_inline::CSSInliner<'a>,
    shapes: HashMap<Vec<String>, Shape>,
    dkim: Option<&'a lettre::message::DkimConfig>,
    /// A confirmation's lists and time: each recipient's confirm link is made from them.
    confirm: Option<(Vec<String>, i64)>,
    /// A note above every message (an organisers' preview).
    note: Option<super::note::Note>,
    /// Per-recipient envelope senders (VERP), when a bounce domain is configured.
    verp: Option<Verp>,
}

/// Where bounces come back: `<local_part>+<token>@<domain>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verp {
    /// The local part before `+`.
    pub local_part: String,
    /// The bounce domain.
    pub domain: String,
}

/// Rendered output for one shape, with markers for the subscriber's values.
#[derive(Debug, Clone)]
struct Shape {
    html: String,
    text: String,
    subject: String,
}

const OPEN: char = '\u{E000}';
const CLOSE: char = '\u{E001}';

fn marker(i: usize) -> String {
    format!("{OPEN}{i}{CLOSE}")
}

impl<'a> Composer<'a> {
    /// Prepares composing `outgoing`, dated `at`. Templates are rendered lazily, once per
    /// subscriber shape.
    pub fn new(
        settings: &'a NewsletterSettings,
        templates: &'a Templates,
        key: &'a TokenKey,
        outgoing: Outgoing,
        at: DateTime<FixedOffset>,
    ) -> Self {
        let Outgoing {
            kind,
            data,
            scope,
            ics,
            note,
        } = outgoing;
        // `@media` rules (dark mode, narrow screens) cannot be inlined: `keep_at_rules` puts
        // them in a `<style>` element in the head, for the clients that read it.
        let inliner = css_inline::CSSInliner::options()
            .load_remote_stylesheets(false)
            .keep_style_tags(true)
            .keep_at_rules(true)
            .extra_css(Some(templates.css.clone().into()))
            .build();
        Composer {
            settings,
            templates,
            key,
            kind,
            data,
            at,
            scope,
            ics,
            inliner,
            shapes: HashMap::new(),
            dkim: None,
            confirm: None,
            note,
            verp: None,
        }
        .with_confirmation()
    }

    /// Reads a confirmation's lists and time from its view.
    fn with_confirmation(mut self) -> Self {
        if self.kind == Kind::Confirmation {
            let lists = self.data["lists"]
                .as_array()
                .map(|lists| {
                    lists
                        .iter()
                        .filter_map(|l| l["name"].as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            self.confirm = Some((lists, self.data["issued"].as_i64().unwrap_or(0)));
        }
        self
    }

    /// Gives every message its own envelope sender under the bounce domain (VERP), so a
    /// bounce names the send and the recipient even when the report itself does not.
    pub fn with_verp(mut self, verp: Option<Verp>) -> Self {
        self.verp = verp;
        self
    }

    /// The envelope sender for the recipient at `seq` of this send, when VERP is on.
    pub fn envelope_sender(&self, seq: i64) -> Option<String> {
        let verp = self.verp.as_ref()?;
        let token = self.key.bounce_token(&self.scope, seq);
        Some(format!("{}+{token}@{}", verp.local_part, verp.domain))
    }

    /// Signs every message with DKIM.
    pub fn with_dkim(mut self, dkim: Option<&'a lettre::message::DkimConfig>) -> Self {
        self.dkim = dkim;
        self
    }

    /// The unsubscribe URL for a subscriber.
    pub fn unsubscribe_url(&self, sub: &Subscriber) -> String {
        let sep = if self.settings.unsubscribe_url.contains('?') {
            '&'
        } else {
            '?'
        };
        format!(
            "{}{sep}token={}",
            self.settings.unsubscribe_url,
            self.key.token(&sub.list, &sub.email)
        )
    }

    /// Composes the message for one subscriber.
    pub fn compose(&mut self, sub: &Subscriber) -> Result<Composed, Diagnostic> {
        let mut parts = self.parts(sub)?;
        if let Some(note) = &self.note {
            parts.html = note.into_html(&parts.html);
            parts.text = note.into_text(&parts.text);
            parts.subject = format!("{}{}", note.subject_prefix, parts.subject);
        }
        let id_hash = message_id_hash(&sub.list, &sub.email);
        let message_id = format!(
            "<{}.{id_hash}@{}>",
            self.scope, self.settings.list_id_domain
        );
        let html_size = parts.html.len();
        let subject = parts.subject.clone();
        let bytes = self.mime(sub, &message_id, parts, &id_hash)?;
        Ok(Composed {
            to: sub.email.to_string(),
            list: sub.list.clone(),
            message_id,
            subject,
            bytes,
            html_size,
        })
    }

    /// The personalised HTML, text and subject for one subscriber (what [`Self::compose`]
    /// encodes), for previews.
    pub fn parts(&mut self, sub: &Subscriber) -> Result<Parts, Diagnostic> {
        let unsubscribe = self.unsubscribe_url(sub);
        let preferences = self
            .settings
            .page_url("preferences", &self.key.preferences_token(&sub.email));
        let confirm = self.confirm.as_ref().map(|(lists, issued)| {
            let token = self.key.confirm_token(&sub.email, lists, *issued);
            self.settings.page_url("confirm", &token)
        });
        let links = Links {
            unsubscribe: &unsubscribe,
            preferences: &preferences,
            confirm: confirm.as_deref(),
        };
        let (values, shape_key) = personal_values(sub, &links);
        if !self.shapes.contains_key(&shape_key) {
            let shape = self.render_shape(sub)?;
            self.shapes.insert(shape_key.clone(), shape);
        }
        let shape = &self.shapes[&shape_key];
        let escaped: Vec<String> = values.iter().map(|v| escape_html(v)).collect();
        Ok(Parts {
            html: fill(&shape.html, &escaped),
            text: fill(&shape.text, &values),
            subject: one_line(&fill(&shape.subject, &values)),
            unsubscribe,
        })
    }

    /// Renders the templates once for subscribers of `sub`'s shape, with markers where each
    /// subscriber's own values go (see [`personal_values`] for their order).
    fn render_shape(&self, sub: &Subscriber) -> Result<Shape, Diagnostic> {
        let markers: Vec<String> = (0..sub.attrs.len() + 5).map(marker).collect();
        let attrs = sub.attrs.len();
        let columns = sub
            .attrs
            .iter()
            .enumerate()
            .filter(|(_, (k, _))| !matches!(k.as_str(), "email" | "name" | "unsubscribe_url"))
            .map(|(i, (k, v))| {
                let value = if v.is_empty() {
                    ""
                } else {
                    markers[3 + i].as_str()
                };
                (k.as_str(), value)
            })
            .collect();
        let data = MessageData {
            view: &self.data,
            recipient: Recipient {
                subscriber: SubscriberView {
                    email: &markers[0],
                    name: sub.name.as_ref().map(|_| markers[2].as_str()),
                    columns,
                },
                unsubscribe_url: &markers[1],
                preferences_url: &markers[3 + attrs],
                confirm_url: self.confirm.as_ref().map(|_| markers[4 + attrs].as_str()),
            },
        };
        let html = self.templates.html(self.kind, &data)?;
        let html = self.inliner.inline(&html).map_err(|e| {
            Diagnostic::error(
                std::path::Path::new("templates/style.css"),
                1,
                1,
                format!("cannot inline CSS: {e}"),
            )
        })?;
        Ok(Shape {
            html,
            text: self.templates.text(self.kind, &data)?,
            subject: self.templates.subject(self.kind, &data)?,
        })
    }

    fn mime(
        &self,
        sub: &Subscriber,
        message_id: &str,
        parts: Parts,
        id_hash: &str,
    ) -> Result<Vec<u8>, Diagnostic> {
        let Parts {
            html,
            text,
            subject,
            unsubscribe,
        } = parts;
        let to_address = sub.email.as_str().parse().map_err(|e| invalid(sub, e))?;
        let to = Mailbox::new(sub.name.as_deref().map(one_line), to_address);
        let mut builder = Message::builder()
            .from(self.settings.from.clone())
            .to(to)
            .subject(subject)
            .date(SystemTime::from(self.at))
            .message_id(Some(message_id.to_owned()))
            .raw_header(header(
                "List-Id",
                format!(
                    "<{}.{}>",
                    list_label(&sub.list),
                    self.settings.list_id_domain
                ),
            ))
            .raw_header(folded_pair(
                "List-Unsubscribe",
                &format!("<{unsubscribe}>,"),
                &format!(
                    "<mailto:{}?subject=unsubscribe>",
                    self.settings.unsubscribe_mailto
                ),
            ))
            .raw_header(header(
                "List-Unsubscribe-Post",
                "List-Unsubscribe=One-Click".to_owned(),
            ))
            // Gmail's feedback loop reports complaint rates per these fields: the send, the
            // list, the kind of message, and who sends it.
            .raw_header(header(
                "Feedback-ID",
                format!(
                    "{}:{}:{}:{}",
                    feedback_field(&self.scope),
                    list_label(&sub.list),
                    self.kind.stem(),
                    feedback_field(&self.settings.list_id_domain)
                ),
            ));
        if let Some(reply_to) = &self.settings.reply_to {
            builder = builder.reply_to(reply_to.clone());
        }
        let alternative = MultiPart::alternative()
            .boundary(format!("crier-alt-{id_hash}"))
            .singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_PLAIN)
                    .body(super::encode::body(&text)),
            )
            .singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_HTML)
                    .body(super::encode::body(&html)),
            );
        let body = match &self.ics {
            Some(ics) => MultiPart::mixed()
                .boundary(format!("crier-mix-{id_hash}"))
                .multipart(alternative)
                .singlepart(
                    Attachment::new("next-meetup.ics".to_owned())
                        .body(ics.clone(), calendar_type(ics)),
                ),
            None => alternative,
        };
        let mut message = builder.multipart(body).map_err(|e| invalid(sub, e))?;
        if let Some(dkim) = self.dkim {
            message.sign(dkim);
        }
        // A message ends with a line break: SMTP needs one before the final `.`, and a
        // message that lacks it arrives with one added, so its bytes would differ from the
        // preview's.
        let mut bytes = message.formatted();
        if !bytes.ends_with(b"\r\n") {
            bytes.extend_from_slice(b"\r\n");
        }
        Ok(bytes)
    }
}

fn invalid(sub: &Subscriber, e: impl std::fmt::Display) -> Diagnostic {
    Diagnostic::error(
        std::path::Path::new(&format!("subscribers/{}.csv", sub.list)),
        1,
        1,
        format!("cannot compose a message to '{}': {e}", sub.email),
    )
}

/// `text/calendar` with the `method=` its `METHOD:` line names (PUBLISH, or CANCEL).
fn calendar_type(ics: &str) -> ContentType {
    let method = ics
        .split("\r\n")
        .find_map(|line| line.strip_prefix("METHOD:"))
        .filter(|m| m.bytes().all(|b| b.is_ascii_uppercase()))
        .unwrap_or("PUBLISH");
    ContentType::parse(&format!("text/calendar; charset=utf-8; method={method}"))
        .unwrap_or(ContentType::TEXT_PLAIN)
}

fn header(name: &'static str, value: String) -> HeaderValue {
    HeaderValue::new(HeaderName::new_from_ascii_str(name), value)
}

/// A header of two ASCII items folded onto two lines (long unsubscribe URLs otherwise make
/// lines over 78 octets). Anything that is not printable ASCII goes through the normal
/// encoder instead, so this can never inject a header.
fn folded_pair(name: &'static str, first: &str, second: &str) -> HeaderValue {
    let printable = |s: &str| s.bytes().all(|b| (0x21..0x7f).contains(&b));
    if printable(first) && printable(second) {
        HeaderValue::dangerous_new_pre_encoded(
            HeaderName::new_from_ascii_str(name),
            format!("{first} {second}"),
            format!("{first}\r\n {second}"),
        )
    } else {
        header(name, format!("{first} {second}"))
    }
}

/// A Feedback-ID field: printable ASCII without the `:` that separates the fields.
fn feedback_field(value: &str) -> String {
    value
        .chars()
        .filter(|c| c.is_ascii_graphic() && *c != ':')
        .take(80)
        .collect()
}

/// List names become the first label of `List-Id`: letters, digits and `-` only.
fn list_label(list: &str) -> String {
    let label: String = list
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let label = label.trim_matches('-');
    if label.is_empty() {
        "list".to_owned()
    } else {
        label.to_owned()
    }
}

/// A recipient's own links.
struct Links<'a> {
    unsubscribe: &'a str,
    preferences: &'a str,
    confirm: Option<&'a str>,
}

/// The subscriber's values in marker order (address, unsubscribe URL, name, each attribute,
/// the preferences URL, the confirm URL), and the shape: which of them are filled in.
fn personal_values(sub: &Subscriber, links: &Links<'_>) -> (Vec<String>, Vec<String>) {
    let mut values = vec![
        sub.email.to_string(),
        links.unsubscribe.to_owned(),
        sub.name.clone().unwrap_or_default(),
    ];
    let mut shape = vec![if sub.name.is_some() {
        "name".to_owned()
    } else {
        String::new()
    }];
    for (k, v) in &sub.attrs {
        values.push(v.clone());
        shape.push(if v.is_empty() {
            String::new()
        } else {
            k.clone()
        });
    }
    values.push(links.preferences.to_owned());
    values.push(links.confirm.unwrap_or_default().to_owned());
    (values, shape)
}

/// Replaces each marker with its value.
fn fill(template: &str, values: &[String]) -> String {
    let mut out = String::with_capacity(template.len() + 256);
    let mut rest = template;
    while let Some(start) = rest.find(OPEN) {
        out.push_str(&rest[..start]);
        let after = &rest[start + OPEN.len_utf8()..];
        match after
            .find(CLOSE)
            .and_then(|end| after[..end].parse::<usize>().ok().map(|i| (i, end)))
        {
            Some((i, end)) => {
                out.push_str(values.get(i).map_or("", String::as_str));
                rest = &after[end + CLOSE.len_utf8()..];
            }
            None => {
                out.push(OPEN);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Headers are single lines: any control character becomes a space.
pub fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The part of a Message-ID that names its recipient (`<send id>.<this>@<domain>`): a bounce
/// quoting the original message is matched to its delivery by it.
pub fn message_id_hash(list: &str, address: &crate::subscribers::Address) -> String {
    short_hash(&format!("{list}\n{}", address.key()))
}

fn short_hash(s: &str) -> String {
    Sha256::digest(s.as_bytes())[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_filled_and_unknown_ones_dropped() {
        let values = vec!["a".to_owned(), "b".to_owned()];
        assert_eq!(
            fill(
                &format!("x{}y{}z{}", marker(0), marker(1), marker(9)),
                &values
            ),
            "xaybz"
        );
        assert_eq!(fill("plain", &values), "plain");
        assert_eq!(fill(&format!("{OPEN}oops"), &values), format!("{OPEN}oops"));
    }

    #[test]
    fn one_line_removes_line_breaks() {
        assert_eq!(one_line("a\r\nBcc: x\u{7}"), "a Bcc: x");
    }

    #[test]
    fn list_labels_are_dns_safe() {
        assert_eq!(list_label("Members 2026!"), "members-2026");
        assert_eq!(list_label("***"), "list");
    }
}
