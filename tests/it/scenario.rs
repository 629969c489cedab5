//! The organiser's safety net, end to end: a digest goes to 50 people over real SMTP, two
//! unsubscribe with the one-click POST over a real socket, one address bounces, a new recap
//! is published, and then the dry run must show exactly what the send then delivers: the same
//! recipients, the same skipped addresses with their reasons, the same subject, recaps and
//! event, and for every recipient the same bytes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use mail_parser::MessageParser;

use crate::common::daemon::Daemon;
use crate::common::smtp::SmtpServer;
use crate::common::TempSite;

const FIRST_SEND: &str = "2026-11-25T12:00:00Z";
const SECOND_SEND: &str = "2026-11-27T10:00:00Z";
const BOUNCES: &str = "p07@example.com";

fn members() -> String {
    let mut csv = String::from("email,name\n");
    for i in 0..50 {
        csv.push_str(&format!("p{i:02}@example.com,Person {i}\n"));
    }
    csv
}

fn site(port: u16) -> TempSite {
    let site = TempSite::example();
    let config = site.read("crier.yaml");
    site.write(
        "crier.yaml",
        format!("{config}\nsmtp:\n  host: 127.0.0.1\n  port: {port}\n  security: none\n  timeout_seconds: 10\n  max_connections: 3\n"),
    );
    site.write("subscribers/members.csv", members());
    site.write("subscribers/speakers.csv", "email\n");
    site
}

/// The `https://...unsubscribe?token=...` link of a delivered message.
fn unsubscribe_path(message: &[u8]) -> String {
    let text = String::from_utf8_lossy(message).replace("\r\n ", " ");
    let line = text
        .lines()
        .find(|l| l.starts_with("List-Unsubscribe:"))
        .expect("List-Unsubscribe header");
    let url = line
        .split('<')
        .nth(1)
        .and_then(|u| u.split('>').next())
        .expect("an https link");
    let token = url.split("token=").nth(1).expect("a token");
    format!("/unsubscribe?token={token}")
}

/// Message-ID -> bytes for every `.eml` in `dir`.
fn by_message_id(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "eml") {
            let bytes = std::fs::read(&path).unwrap();
            let parsed = MessageParser::default().parse(&bytes[..]).unwrap();
            let id = parsed.message_id().expect("Message-ID").to_owned();
            assert!(out.insert(id, bytes).is_none(), "one file per message");
        }
    }
    out
}

fn run(site: &TempSite, now: &str, args: &[&str]) -> (i32, String) {
    let out = site.crier_at(now, args).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    (
        out.status.code().unwrap_or(-1),
        format!("{stdout}\n{stderr}"),
    )
}

#[test]
fn the_dry_run_shows_exactly_what_the_send_delivers() {
    let work = tempfile::tempdir().unwrap();
    let first_mail = work.path().join("first");
    let Some(server) = SmtpServer::start(&first_mail, &["--reject", BOUNCES]) else {
        return;
    };
    let site = site(server.port);

    // 1. The first digest: 49 delivered, one bounce (suppressed).
    let (code, out) = run(&site, FIRST_SEND, &["send"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(server.count(), 49, "{out}");
    drop(server);

    // 2. Two people unsubscribe with the one-click POST from their message.
    let delivered = by_message_id(&first_mail);
    let leaving: Vec<(String, Vec<u8>)> = delivered
        .values()
        .filter_map(|bytes| {
            let parsed = MessageParser::default().parse(&bytes[..]).unwrap();
            let to = parsed.to()?.first()?.address()?.to_owned();
            ["p03@example.com", "p41@example.com"]
                .contains(&to.as_str())
                .then(|| (to, bytes.clone()))
        })
        .collect();
    assert_eq!(leaving.len(), 2);
    let daemon = Daemon::start_at(&site, FIRST_SEND);
    for (_, message) in &leaving {
        let (status, _, body) = daemon.request(
            "POST",
            &unsubscribe_path(message),
            &[("Content-Type", "application/x-www-form-urlencoded")],
            "List-Unsubscribe=One-Click",
        );
        assert_eq!(status, 200, "{body}");
    }
    assert_eq!(daemon.stop(), Some(0));

    // 3. A new recap is published.
    site.post(
        "2026-11-26-extra-recap.md",
        "title: \"Riverside Cloud Native, extra: a winter special\"\ntags: [Meetup]\n",
        "A winter special with mulled wine.\n\nOur next meetup is on Wednesday 9th December 2026 at 18:30: [RSVP here](https://events.example.org/riverside-cloud-native/2026-12).\n",
    );

    // 4. The dry run, then the send, at the same moment.
    let (code, json) = {
        let out = site
            .crier_at(SECOND_SEND, &["send", "--dry-run", "--json", "-v"])
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    assert_eq!(code, 0, "{json}");
    let preview: serde_json::Value = serde_json::from_str(&json).unwrap();
    let second_mail = work.path().join("second");
    let server = SmtpServer::start(&second_mail, &[]).expect("server");
    let config = site.read("crier.yaml");
    let port_line = config
        .lines()
        .find(|l| l.contains("port:"))
        .unwrap()
        .to_owned();
    site.write(
        "crier.yaml",
        config.replace(&port_line, &format!("  port: {}", server.port)),
    );
    let (code, out) = run(&site, SECOND_SEND, &["send"]);
    assert_eq!(code, 0, "{out}");

    // Recipients: 50 less two unsubscribed, less one bounce.
    let sent = by_message_id(&second_mail);
    assert_eq!(sent.len(), 47, "{out}");
    assert_eq!(preview["recipients"], 47);
    let received: BTreeSet<String> = server.received().keys().cloned().collect();
    let expected: BTreeSet<String> = (0..50)
        .map(|i| format!("p{i:02}@example.com"))
        .filter(|a| !["p03@example.com", "p41@example.com", BOUNCES].contains(&a.as_str()))
        .collect();
    assert_eq!(received, expected);

    // Skipped, with reasons: exactly the two who left and the bounce.
    let mut skipped: Vec<(String, String)> = preview["skipped_addresses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["address"].as_str().unwrap().to_owned(),
                s["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    skipped.sort();
    assert_eq!(
        skipped,
        [
            ("p03@example.com".to_owned(), "unsubscribed".to_owned()),
            ("p07@example.com".to_owned(), "bounced".to_owned()),
            ("p41@example.com".to_owned(), "unsubscribed".to_owned()),
        ]
    );
    assert_eq!(preview["skipped"]["unsubscribed"], 2);
    assert_eq!(preview["skipped"]["bounced"], 1);
    assert!(out.contains("47 recipients queued, 3 skipped"), "{out}");

    // Recaps: only the new one, since the first digest.
    let recaps = preview["recaps"].as_array().unwrap();
    assert_eq!(recaps.len(), 1, "{json}");
    assert_eq!(preview["basis"], "since_last_digest");
    let recap_url = recaps[0]["url"].as_str().unwrap();
    let rsvp = preview["event"]["rsvp"].as_str().unwrap();
    assert_eq!(
        rsvp,
        "https://events.example.org/riverside-cloud-native/2026-12"
    );

    // Every delivered message is its preview, byte for byte; subject, recap and event agree.
    let previews = by_message_id(&site.path().join("preview/eml"));
    assert_eq!(previews.len(), 47);
    assert_eq!(
        previews.keys().collect::<Vec<_>>(),
        sent.keys().collect::<Vec<_>>()
    );
    for (id, bytes) in &sent {
        let preview_bytes = &previews[id];
        let first_difference = preview_bytes
            .iter()
            .zip(bytes)
            .position(|(a, b)| a != b)
            .unwrap_or(preview_bytes.len().min(bytes.len()));
        assert!(
            preview_bytes == bytes,
            "{id}: the delivered message ({} bytes) differs from its preview ({} bytes) from byte {first_difference}",
            bytes.len(),
            preview_bytes.len()
        );
        let parsed = MessageParser::default().parse(&bytes[..]).unwrap();
        assert_eq!(
            parsed.subject(),
            preview["subject"].as_str(),
            "{id}: subject"
        );
        let html = parsed.body_html(0).unwrap();
        assert!(html.contains(recap_url), "{id}: the recap");
        assert!(html.contains(rsvp), "{id}: the event");
    }
}

/// `send --to` a recipient hands over exactly the message the dry run previews for them.
#[test]
fn a_test_copy_to_a_recipient_is_their_previewed_message() {
    let site = TempSite::example();
    let (code, out) = run(&site, FIRST_SEND, &["send", "--dry-run"]);
    assert_eq!(code, 0, "{out}");
    let previews = by_message_id(&site.path().join("preview/eml"));
    let (code, out) = run(&site, FIRST_SEND, &["send", "--to", "Grace@Example.org"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("exactly the message it gets on list members"),
        "{out}"
    );
    let test_dir = std::fs::read_dir(site.path().join("outbox/test"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let copies = by_message_id(&test_dir);
    assert_eq!(copies.len(), 1);
    let (id, bytes) = copies.iter().next().unwrap();
    assert_eq!(previews.get(id), Some(bytes), "{id}");
    assert!(
        !site.path().join("state/crier.db").exists(),
        "nothing recorded"
    );
}
