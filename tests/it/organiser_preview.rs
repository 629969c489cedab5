//! The organisers' preview before a scheduled send: the daemon mails `newsletter.preview_to`
//! the exact digest `preview_hours` before it goes out, with a note on top, through the same
//! sender as every message (a real SMTP server over TCP).

use std::time::{Duration, Instant};

use crate::common::daemon::Daemon;
use crate::common::smtp::SmtpServer;
use crate::common::{TempSite, TEST_KEY};

/// The example site (Mondays at 09:00, London) mailing over `port`, with previews to the
/// organisers a day ahead.
fn site(port: u16) -> TempSite {
    let site = TempSite::example();
    let config = site
        .read("crier.yaml")
        .replace(
            "  only_if_new: true",
            "  only_if_new: true\n  preview_to: [organisers@example.org]\n  preview_hours: 24",
        )
        .replace(
            "delivery:\n",
            "delivery:\n  max_attempts: 3\n  retry_base_seconds: 0.05\n",
        );
    site.write(
        "crier.yaml",
        format!("{config}\nsmtp:\n  host: 127.0.0.1\n  port: {port}\n  security: none\n  timeout_seconds: 10\n"),
    );
    site.write(
        "subscribers/members.csv",
        "email,name\nada@example.com,Ada\nlinus@example.com,\n",
    );
    site.write("subscribers/speakers.csv", "email\n");
    site
}

fn wait_for(what: impl Fn() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        if what() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// The message the server accepted for `to` (the last one).
fn received(server: &SmtpServer, to: &str) -> Vec<u8> {
    let index = std::fs::read_to_string(server.dir.join("index.jsonl")).unwrap();
    let n = index
        .lines()
        .rev()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| v["to"][0].as_str() == Some(to))
        .map(|v| v["n"].as_u64().unwrap())
        .unwrap();
    std::fs::read(server.dir.join(format!("{n:06}.eml"))).unwrap()
}

/// A message's subject, HTML and text, with the recipient's own address and links replaced
/// by placeholders (and the organisers' note taken out).
fn normalised(bytes: &[u8], address: &str) -> (String, String, String) {
    let message = mail_parser::MessageParser::default().parse(bytes).unwrap();
    let html = message.body_html(0).unwrap().into_owned();
    let text = message.body_text(0).unwrap().into_owned();
    let (html, text) = crier::email::note::without_note(&html, &text);
    let key = crier::email::TokenKey::from_bytes(TEST_KEY.as_bytes());
    let who = crier::subscribers::Address::parse(address).unwrap();
    let swap = |s: String| {
        s.replace(&key.token("members", &who), "UNSUBSCRIBE-TOKEN")
            .replace(&key.preferences_token(&who), "PREFERENCES-TOKEN")
            .replace(address, "ADDRESS")
    };
    let subject = message.subject().unwrap().to_owned();
    (subject, swap(html), swap(text))
}

#[test]
fn the_organisers_get_the_digest_a_day_ahead_exactly_as_members_get_it() {
    let work = tempfile::tempdir().unwrap();
    let Some(server) = SmtpServer::start(&work.path().join("mail"), &[]) else {
        return;
    };
    let site = site(server.port);
    // Sunday 10:00: the digest of Monday 09:00 is due within the 24 hours.
    let d = Daemon::start_at(&site, "2026-11-29T10:00:00Z");
    assert!(
        wait_for(|| server.received().contains_key("organisers@example.org")),
        "no preview"
    );
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(server.count(), 1, "only the preview goes on Sunday");
    drop(d);
    let preview = received(&server, "organisers@example.org");
    let (subject, html, text) = normalised(&preview, "organisers@example.org");
    assert!(
        subject.starts_with("[Preview, goes out Mon 30 Nov 09:00] "),
        "{subject}"
    );
    let raw_text = mail_parser::MessageParser::default()
        .parse(&preview)
        .unwrap()
        .body_text(0)
        .unwrap()
        .into_owned();
    assert!(
        raw_text.starts_with(
            "Preview: this digest goes to 2 members on Monday 30 November at 09:00 GMT."
        ),
        "{raw_text}"
    );
    assert!(
        raw_text.contains("next meetup: Wednesday 9 December 2026"),
        "{raw_text}"
    );
    assert!(
        raw_text.contains("\nposts/2026-11-12-riverside"),
        "posts named from the site: {raw_text}"
    );

    // Monday 09:00: the digest itself.
    let d = Daemon::start_at(&site, "2026-11-30T09:00:00Z");
    assert!(
        wait_for(|| server.received().contains_key("linus@example.com")),
        "no digest"
    );
    drop(d);
    let member = received(&server, "linus@example.com");
    let (member_subject, member_html, member_text) = normalised(&member, "linus@example.com");
    assert_eq!(subject.split_once("] ").unwrap().1, member_subject);
    assert_eq!(
        html, member_html,
        "the HTML differs beyond the note and the recipient"
    );
    assert_eq!(
        text, member_text,
        "the text differs beyond the note and the recipient"
    );
    let date = |b: &[u8]| {
        mail_parser::MessageParser::default()
            .parse(b)
            .unwrap()
            .date()
            .unwrap()
            .to_rfc3339()
    };
    assert_eq!(
        date(&preview),
        date(&member),
        "composed for the same moment"
    );
}

#[test]
fn an_unsure_reading_previews_a_digest_without_an_event_and_says_why_first() {
    let work = tempfile::tempdir().unwrap();
    let Some(server) = SmtpServer::start(&work.path().join("mail"), &[]) else {
        return;
    };
    let site = site(server.port);
    site.post(
        "2026-11-20-two-dates.md",
        "title: Two dates\ntags: [Meetup]\n",
        "Great evening.\n\nOur next meetup will be on 9 December.\n\nSee you all on Wednesday 16 December!\n",
    );
    let d = Daemon::start_at(&site, "2026-11-29T10:00:00Z");
    assert!(
        wait_for(|| server.received().contains_key("organisers@example.org")),
        "no preview"
    );
    drop(d);
    let preview = received(&server, "organisers@example.org");
    let message = mail_parser::MessageParser::default()
        .parse(&preview)
        .unwrap();
    let text = message.body_text(0).unwrap().into_owned();
    assert!(
        text.lines()
            .next()
            .unwrap()
            .starts_with("crier was unsure which date is the next meetup, so this digest goes out on Monday 30 November at 09:00 GMT WITHOUT a next-meetup section"),
        "{text}"
    );
    let html = message.body_html(0).unwrap().into_owned();
    let (below, _) = crier::email::note::without_note(&html, &text);
    assert!(
        !below.contains("RSVP on the event page"),
        "the digest below the note has no event block"
    );
    assert!(below.contains("Two dates"), "the new recap is in it");
}
