//! An RFC 5545 calendar file for the next event, so subscribers can add it to their calendar.
//!
//! `METHOD:PUBLISH` makes it an announcement rather than an invitation, so clients do not send
//! RSVP replies to the organisers; a cancellation is `METHOD:CANCEL` with `STATUS:CANCELLED`
//! for the same UID and a higher SEQUENCE, which removes the entry. Written by hand: it is a
//! few dozen lines, and every byte must be deterministic (no wall-clock DTSTAMP, no random UID).

use chrono::{DateTime, FixedOffset, Utc};
use lettre::message::Mailbox;

use crate::digest::Event;

/// What the calendar file does with the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Adds or updates the entry.
    Publish,
    /// Removes it: the event is cancelled.
    Cancel,
}

impl Method {
    /// The `METHOD` value (also the `method=` parameter of the MIME type).
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Publish => "PUBLISH",
            Method::Cancel => "CANCEL",
        }
    }
}

/// How long before the start the calendar entry's alarm goes off.
pub const ALARM_BEFORE: &str = "-PT2H";

/// Everything about one calendar file besides the event.
#[derive(Debug, Clone, Copy)]
pub struct Calendar<'a> {
    /// Publish or cancel.
    pub method: Method,
    /// The entry's version: higher replaces lower (see [`Event::sequence`]).
    pub sequence: u32,
    /// `DTSTAMP`: when this copy was made (the send time).
    pub stamp: DateTime<FixedOffset>,
    /// Names the product in `PRODID` (the site's title).
    pub product: &'a str,
    /// The `ORGANIZER`: the newsletter's From.
    pub organizer: &'a Mailbox,
}

/// The `.ics` text (CRLF line endings, lines folded at 75 octets).
pub fn calendar(event: &Event, cal: &Calendar<'_>) -> String {
    let utc = |d: DateTime<FixedOffset>| d.with_timezone(&Utc).format("%Y%m%dT%H%M%SZ").to_string();
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        format!("PRODID:-//{}//crier//EN", text(cal.product)),
        format!("METHOD:{}", cal.method.as_str()),
        "CALSCALE:GREGORIAN".to_owned(),
        "BEGIN:VEVENT".to_owned(),
        format!("UID:{}", text(&event.uid)),
        format!("SEQUENCE:{}", cal.sequence),
        format!("DTSTAMP:{}", utc(cal.stamp)),
        format!("DTSTART:{}", utc(event.start)),
        format!("DTEND:{}", utc(event.end)),
        format!("SUMMARY:{}", text(&event.title)),
        organizer(cal.organizer),
    ];
    let place = if event.online {
        Some("Online")
    } else {
        event.location.as_deref()
    };
    if let Some(place) = place {
        lines.push(format!("LOCATION:{}", text(place)));
    }
    if let Some(rsvp) = &event.rsvp {
        lines.push(format!("URL:{rsvp}"));
    }
    if let Some(description) = description(event) {
        lines.push(format!("DESCRIPTION:{}", text(&description)));
    }
    let status = match cal.method {
        Method::Publish => "CONFIRMED",
        Method::Cancel => "CANCELLED",
    };
    lines.extend([
        format!("STATUS:{status}"),
        "TRANSP:OPAQUE".to_owned(),
        "BEGIN:VALARM".to_owned(),
        "ACTION:DISPLAY".to_owned(),
        format!("DESCRIPTION:{}", text(&event.title)),
        format!("TRIGGER:{ALARM_BEFORE}"),
        "END:VALARM".to_owned(),
        "END:VEVENT".to_owned(),
        "END:VCALENDAR".to_owned(),
    ]);
    let mut out = String::new();
    for line in lines {
        fold(&line, &mut out);
    }
    out
}

/// What the entry says: what the meetup is about, and where to RSVP.
fn description(event: &Event) -> Option<String> {
    let parts: Vec<String> = [
        event.about.clone(),
        event.rsvp.as_ref().map(|url| format!("RSVP: {url}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    (!parts.is_empty()).then(|| parts.join("\n\n"))
}

/// `ORGANIZER;CN=Name:mailto:address`. The name is a parameter value: it may not hold a
/// double quote or a control character, and is quoted when it holds `:`, `;` or `,`.
fn organizer(from: &Mailbox) -> String {
    let name: String = from
        .name
        .as_deref()
        .unwrap_or_default()
        .chars()
        .filter(|c| *c != '"' && !c.is_control())
        .collect();
    let address = from.email.to_string();
    if name.trim().is_empty() {
        return format!("ORGANIZER:mailto:{address}");
    }
    if name.contains([':', ';', ',']) {
        format!("ORGANIZER;CN=\"{name}\":mailto:{address}")
    } else {
        format!("ORGANIZER;CN={name}:mailto:{address}")
    }
}

/// Escapes a TEXT value (RFC 5545 §3.3.11); control characters become spaces.
fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line at 75 octets without splitting a UTF-8 character, ending with CRLF.
fn fold(line: &str, out: &mut String) {
    let mut width = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> Event {
        let start = DateTime::parse_from_rfc3339("2026-12-09T18:30:00+00:00").unwrap();
        Event {
            title: "Riverside, December; festive édition".into(),
            start,
            end: start + chrono::Duration::hours(3),
            location: Some("London Bridge, London".into()),
            rsvp: Some("https://events.example.org/riverside-cloud-native/2026-12?ref=newsletter-with-a-long-query-string".into()),
            uid: "next-meetup-2026-11-12-november@meetup.example.com".into(),
            sentence: String::new(),
            announced: DateTime::parse_from_rfc3339("2026-11-12T00:00:00+00:00").unwrap(),
            about: None,
            online: false,
            time_stated: true,
            cancelled: false,
        }
    }

    #[test]
    fn sequence_rises_with_every_later_publication() {
        let e = event();
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap();
        assert_eq!(e.sequence(at("2026-11-12T00:00:00+00:00")), 0);
        let first = e.sequence(at("2026-11-16T09:00:00+00:00"));
        let corrected = e.sequence(at("2026-11-23T09:00:00+00:00"));
        assert!(corrected > first && first > 0);
        assert_eq!(
            e.sequence(at("2026-01-01T00:00:00+00:00")),
            0,
            "never negative"
        );
    }

    fn from() -> Mailbox {
        Mailbox::new(
            Some("Riverside: Cloud, Native".into()),
            "news@example.com".parse().unwrap(),
        )
    }

    fn options(method: Method, organizer: &Mailbox) -> Calendar<'_> {
        Calendar {
            method,
            sequence: 2,
            stamp: DateTime::parse_from_rfc3339("2026-11-30T09:00:00+00:00").unwrap(),
            product: "Riverside",
            organizer,
        }
    }

    #[test]
    fn writes_a_publish_calendar_with_folded_crlf_lines() {
        let from = from();
        let mut e = event();
        e.about = Some("Speakers on GitOps at scale; mince pies, and a quiz.".into());
        let ics = calendar(&e, &options(Method::Publish, &from));
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(ics.contains("\r\nMETHOD:PUBLISH\r\n"));
        assert!(ics.contains("\r\nDTSTART:20261209T183000Z\r\n"));
        assert!(ics.contains("\r\nDTSTAMP:20261130T090000Z\r\n"));
        assert!(ics.contains("\r\nSEQUENCE:2\r\n"));
        assert!(ics.contains("\r\nSTATUS:CONFIRMED\r\n"));
        assert!(ics.contains("SUMMARY:Riverside\\, December\\; festive édition"));
        for line in ics.split("\r\n") {
            assert!(line.len() <= 75, "{line:?} is {} octets", line.len());
        }
        assert!(!ics.replace("\r\n", "").contains('\n'), "bare LF");
        let unfolded = ics.replace("\r\n ", "");
        assert!(unfolded.contains("URL:https://events.example.org/riverside-cloud-native/2026-12?ref=newsletter-with-a-long-query-string\r\n"));
        assert!(
            unfolded.contains(
                "\r\nORGANIZER;CN=\"Riverside: Cloud, Native\":mailto:news@example.com\r\n"
            ),
            "{unfolded}"
        );
        assert!(unfolded.contains("\r\nDESCRIPTION:Speakers on GitOps at scale\\; mince pies\\, and a quiz.\\n\\nRSVP: https://events.example.org/riverside-cloud-native/2026-12?ref=newsletter-with-a-long-query-string\r\n"), "{unfolded}");
        assert!(unfolded.contains(
            "\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:Riverside\\, December\\; festive édition\r\nTRIGGER:-PT2H\r\nEND:VALARM\r\n"
        ));
    }

    #[test]
    fn a_cancellation_cancels_the_same_entry() {
        let from = from();
        let ics = calendar(&event(), &options(Method::Cancel, &from));
        assert!(ics.contains("\r\nMETHOD:CANCEL\r\n"));
        assert!(ics.contains("\r\nSTATUS:CANCELLED\r\n"));
        assert!(ics.contains("\r\nUID:next-meetup-2026-11-12-november@meetup.example.com\r\n"));
    }

    #[test]
    fn organizer_names_are_quoted_or_left_out_as_needed() {
        let plain: Mailbox = "Riverside Cloud Native <news@example.com>".parse().unwrap();
        assert_eq!(
            organizer(&plain),
            "ORGANIZER;CN=Riverside Cloud Native:mailto:news@example.com"
        );
        let bare: Mailbox = "news@example.com".parse().unwrap();
        assert_eq!(organizer(&bare), "ORGANIZER:mailto:news@example.com");
        let quoted = Mailbox::new(
            Some("The \"Best\" Meetup".into()),
            "a@example.com".parse().unwrap(),
        );
        assert_eq!(
            organizer(&quoted),
            "ORGANIZER;CN=The Best Meetup:mailto:a@example.com"
        );
    }

    #[test]
    fn online_events_say_so_and_a_bare_event_has_no_description() {
        let from = from();
        let mut e = event();
        e.online = true;
        e.rsvp = None;
        let ics = calendar(&e, &options(Method::Publish, &from));
        assert!(ics.contains("\r\nLOCATION:Online\r\n"));
        assert!(!ics.contains("\r\nDESCRIPTION:Online"));
        assert_eq!(ics.matches("DESCRIPTION:").count(), 1, "only the alarm's");
    }
}
