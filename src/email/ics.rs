//! An RFC 5545 calendar file for the next event, so subscribers can add it to their calendar.
//!
//! `METHOD:PUBLISH` makes it an announcement rather than an invitation, so clients do not send
//! RSVP replies to the organisers. Written by hand: it is twenty lines, and every byte must be
//! deterministic (no wall-clock DTSTAMP, no random UID).

use chrono::{DateTime, FixedOffset, Utc};

use crate::digest::Event;

/// The `.ics` text (CRLF line endings, lines folded at 75 octets).
pub fn calendar(
    event: &Event,
    sequence: u32,
    stamp: DateTime<FixedOffset>,
    product: &str,
) -> String {
    let utc = |d: DateTime<FixedOffset>| d.with_timezone(&Utc).format("%Y%m%dT%H%M%SZ").to_string();
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        format!("PRODID:-//{}//crier//EN", text(product)),
        "METHOD:PUBLISH".to_owned(),
        "CALSCALE:GREGORIAN".to_owned(),
        "BEGIN:VEVENT".to_owned(),
        format!("UID:{}", text(&event.uid)),
        format!("SEQUENCE:{sequence}"),
        format!("DTSTAMP:{}", utc(stamp)),
        format!("DTSTART:{}", utc(event.start)),
        format!("DTEND:{}", utc(event.end)),
        format!("SUMMARY:{}", text(&event.title)),
    ];
    if let Some(location) = &event.location {
        lines.push(format!("LOCATION:{}", text(location)));
    }
    if let Some(rsvp) = &event.rsvp {
        lines.push(format!("URL:{rsvp}"));
        lines.push(format!("DESCRIPTION:{}", text(&format!("RSVP: {rsvp}"))));
    }
    lines.extend([
        "STATUS:CONFIRMED".to_owned(),
        "TRANSP:OPAQUE".to_owned(),
        "END:VEVENT".to_owned(),
        "END:VCALENDAR".to_owned(),
    ]);
    let mut out = String::new();
    for line in lines {
        fold(&line, &mut out);
    }
    out
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

    #[test]
    fn writes_a_publish_calendar_with_folded_crlf_lines() {
        let stamp = DateTime::parse_from_rfc3339("2026-11-30T09:00:00+00:00").unwrap();
        let ics = calendar(&event(), 2, stamp, "Riverside");
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(ics.contains("\r\nMETHOD:PUBLISH\r\n"));
        assert!(ics.contains("\r\nDTSTART:20261209T183000Z\r\n"));
        assert!(ics.contains("\r\nDTSTAMP:20261130T090000Z\r\n"));
        assert!(ics.contains("\r\nSEQUENCE:2\r\n"));
        assert!(ics.contains("SUMMARY:Riverside\\, December\\; festive édition"));
        for line in ics.split("\r\n") {
            assert!(line.len() <= 75, "{line:?} is {} octets", line.len());
        }
        assert!(!ics.replace("\r\n", "").contains('\n'), "bare LF");
        let unfolded = ics.replace("\r\n ", "");
        assert!(unfolded.contains("URL:https://events.example.org/riverside-cloud-native/2026-12?ref=newsletter-with-a-long-query-string\r\n"));
    }
}
