//! The event's life after the first digest, end to end on the example site with the outbox
//! transport and an injected clock: the reminder (previewed, sent once, by the daemon once),
//! an update when the date changes, a cancellation, and the public archive of what was sent.
//! Every calendar file is read back by two independent parsers: the `icalendar` crate and,
//! where installed, Python's `icalendar`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mail_parser::{MessageParser, MimeHeaders};

use crate::common::daemon::Daemon;
use crate::common::{feedparser_python, parse_feed, TempSite};

const RECAP: &str = "posts/2026-11-12-riverside-cloud-native-november-2026.md";
const FIRST_DIGEST: &str = "2026-11-30T09:00:00Z";
const UID: &str = "next-meetup-2026-11-12-riverside-cloud-native-november-2026@meetup.example.com";

fn run(site: &TempSite, now: &str, args: &[&str]) -> (i32, String) {
    let out = site.crier_at(now, args).output().unwrap();
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// Every `.eml` under `dir`, sorted.
fn emls(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "eml") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// One composed message, read back.
struct Mail {
    subject: String,
    html: String,
    text: String,
    ics: Option<String>,
    ics_method: Option<String>,
}

fn read_mail(path: &Path) -> Mail {
    let bytes = std::fs::read(path).unwrap();
    let message = MessageParser::default().parse(&bytes[..]).unwrap();
    let ics_part = message.attachments().next();
    Mail {
        subject: message.subject().unwrap_or_default().to_owned(),
        html: message.body_html(0).unwrap_or_default().into_owned(),
        text: message.body_text(0).unwrap_or_default().into_owned(),
        ics: ics_part.and_then(|p| p.text_contents()).map(str::to_owned),
        ics_method: ics_part
            .and_then(|p| p.content_type())
            .and_then(|c| c.attribute("method"))
            .map(str::to_owned),
    }
}

/// The first message the dry run at `now` wrote (with `extra` arguments).
fn preview(site: &TempSite, now: &str, extra: &[&str]) -> Mail {
    let mut args = vec!["send", "--dry-run", "--sample", "1"];
    args.extend_from_slice(extra);
    let (code, out) = run(site, now, &args);
    assert_eq!(code, 0, "{out}");
    read_mail(&emls(&site.path().join("preview/eml"))[0])
}

/// What both parsers must agree on.
#[derive(Debug, PartialEq, Eq)]
struct Parsed {
    method: String,
    uid: String,
    sequence: u32,
    status: String,
    organizer: String,
    description: String,
    alarm_trigger: String,
}

/// Parses with the `icalendar` crate.
fn parse_rust(ics: &str) -> Parsed {
    use icalendar::{CalendarComponent, Component};
    let calendar: icalendar::Calendar = ics.parse().unwrap_or_else(|e| panic!("{e}: {ics}"));
    let event = calendar
        .components
        .iter()
        .find_map(|c| match c {
            CalendarComponent::Event(e) => Some(e),
            _ => None,
        })
        .expect("a VEVENT");
    let alarm = event
        .components()
        .iter()
        .find(|c| c.component_kind() == "VALARM")
        .expect("a VALARM");
    let value = |key: &str| event.property_value(key).unwrap_or_default().to_owned();
    Parsed {
        method: calendar
            .property_value("METHOD")
            .unwrap_or_default()
            .to_owned(),
        uid: event.get_uid().unwrap_or_default().to_owned(),
        sequence: event.get_sequence().expect("SEQUENCE"),
        status: value("STATUS"),
        organizer: value("ORGANIZER"),
        description: value("DESCRIPTION")
            .replace("\\n", "\n")
            .replace("\\,", ","),
        alarm_trigger: alarm
            .property_value("TRIGGER")
            .unwrap_or_default()
            .to_owned(),
    }
}

const PYTHON_ICS: &str = r#"
import json, sys
from icalendar import Calendar
cal = Calendar.from_ical(sys.stdin.buffer.read())
ev = [c for c in cal.walk("VEVENT")][0]
alarm = [c for c in ev.walk("VALARM")][0]
print(json.dumps({
    "method": str(cal.get("METHOD")),
    "uid": str(ev.get("UID")),
    "sequence": int(ev.get("SEQUENCE")),
    "status": str(ev.get("STATUS")),
    "organizer": str(ev.get("ORGANIZER")),
    "description": str(ev.get("DESCRIPTION", "")),
    "alarm_trigger": alarm.get("TRIGGER").to_ical().decode(),
}))
"#;

/// Parses with Python's `icalendar`; `None` (skipped, with a message) where it is missing,
/// unless `CRIER_REQUIRE_PYTHON=1` (CI), where a missing module fails the test.
fn parse_python(ics: &str) -> Option<Parsed> {
    use std::io::Write;
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let available = std::process::Command::new(&python)
        .args(["-c", "import icalendar"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !available {
        if std::env::var("CRIER_REQUIRE_PYTHON").is_ok_and(|v| v == "1") {
            panic!("CRIER_REQUIRE_PYTHON=1 but `{python} -c 'import icalendar'` fails: run `python3 -m pip install icalendar`");
        }
        crate::common::skipped("the Python icalendar checks: python3 with icalendar not found");
        return None;
    }
    let mut child = std::process::Command::new(&python)
        .args(["-c", PYTHON_ICS])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(ics.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "Python icalendar cannot read it: {}\n{ics}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let s = |k: &str| v[k].as_str().unwrap().to_owned();
    Some(Parsed {
        method: s("method"),
        uid: s("uid"),
        sequence: u32::try_from(v["sequence"].as_u64().unwrap()).unwrap(),
        status: s("status"),
        organizer: s("organizer"),
        description: s("description"),
        alarm_trigger: s("alarm_trigger"),
    })
}

/// Parses with both, checks they agree and what every crier calendar carries.
fn parse_both(ics: &str) -> Parsed {
    let parsed = parse_rust(ics);
    if let Some(python) = parse_python(ics) {
        assert_eq!(python.uid, parsed.uid);
        assert_eq!(python.sequence, parsed.sequence);
        assert_eq!(python.method, parsed.method);
        assert_eq!(python.status, parsed.status);
        assert_eq!(python.description, parsed.description);
        assert_eq!(python.alarm_trigger, parsed.alarm_trigger);
        assert_eq!(python.organizer, "mailto:news@example.com");
    }
    assert_eq!(parsed.organizer, "mailto:news@example.com");
    assert!(
        ics.contains("ORGANIZER;CN=Riverside Cloud Native:mailto:news@example.com\r\n"),
        "{ics}"
    );
    assert_eq!(parsed.alarm_trigger, "-PT2H");
    parsed
}

/// The example site after its first real digest (Monday 30 November), so the ledger knows
/// what was announced: Wednesday 9 December, London Bridge.
fn after_first_digest() -> (TempSite, u32) {
    let site = TempSite::example();
    let first = preview(&site, FIRST_DIGEST, &[]);
    let sequence = parse_both(first.ics.as_deref().unwrap()).sequence;
    let (code, out) = run(&site, FIRST_DIGEST, &["send"]);
    assert_eq!(code, 0, "{out}");
    (site, sequence)
}

#[test]
fn the_reminder_is_previewed_sent_once_and_carries_a_calendar_entry() {
    let site = TempSite::example();
    let at = "2026-12-08T09:00:00Z";
    let mail = preview(&site, at, &["--reminder"]);
    assert!(
        mail.subject
            .starts_with("Tomorrow: Riverside Cloud Native December — "),
        "{}",
        mail.subject
    );
    for part in [&mail.html, &mail.text] {
        assert!(
            part.contains("the next Riverside Cloud Native meetup is tomorrow"),
            "{part}"
        );
        assert!(part.contains("Wednesday 9 December 2026"), "{part}");
        assert!(
            part.contains("18:30 GMT (the usual time; to be confirmed)"),
            "{part}"
        );
        assert!(part.contains("https://events.example.org/riverside-cloud-native/2026-12"));
        assert!(
            !part.contains("View in your browser"),
            "reminders are not archived"
        );
    }
    assert_eq!(mail.ics_method.as_deref(), Some("PUBLISH"));
    let parsed = parse_both(mail.ics.as_deref().unwrap());
    assert_eq!(
        (parsed.method.as_str(), parsed.uid.as_str()),
        ("PUBLISH", UID)
    );
    assert_eq!(
        parsed.description,
        "speakers on GitOps at scale\n\nRSVP: https://events.example.org/riverside-cloud-native/2026-12",
        "the about text, read from the recap's closing sentence, and the RSVP link"
    );
    assert!(
        !site.path().join("state").exists(),
        "a preview records nothing"
    );

    let (code, out) = run(&site, at, &["send", "--reminder"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(emls(&site.path().join("outbox")).len(), 6, "{out}");
    // Asked again (later the same day): refused, nothing sent.
    let (code, out) = run(&site, "2026-12-08T15:00:00Z", &["send", "--reminder"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("was already sent (reminder-"), "{out}");
    assert_eq!(emls(&site.path().join("outbox")).len(), 6);
}

#[test]
fn the_reminder_says_what_the_meetup_is_about_and_can_be_turned_off() {
    let site = TempSite::example();
    site.post(
        "2026-11-20-december-announcement.md",
        "title: December is coming\nevent:\n  date: \"2026-12-09 19:00\"\n  title: Riverside Cloud Native December\n  location: Example Hall, London\n  about: \"talks on GitOps at scale, from Example Ltd and Sample Corp\"\n  rsvp: https://events.example.org/riverside-cloud-native/2026-12\n",
        "The December meetup, announced.\n",
    );
    let mail = preview(&site, "2026-12-08T09:00:00Z", &["--reminder"]);
    assert_eq!(
        mail.subject,
        "Tomorrow: Riverside Cloud Native December — talks on GitOps at scale, from Example Ltd and Sample Corp"
    );
    assert!(
        mail.text.contains("2026, 19:00 GMT") && mail.text.contains("Example Hall, London"),
        "{}",
        mail.text
    );
    assert!(!mail.text.contains("usual time"), "{}", mail.text);
    let parsed = parse_both(mail.ics.as_deref().unwrap());
    assert_eq!(
        parsed.description,
        "talks on GitOps at scale, from Example Ltd and Sample Corp\n\nRSVP: https://events.example.org/riverside-cloud-native/2026-12"
    );

    // Turned off, the daemon sends none (and the preview still works by hand).
    let config = site
        .read("crier.yaml")
        .replace("only_if_new: true", "only_if_new: true\n  reminder: off");
    site.write("crier.yaml", config);
    let daemon = Daemon::start_at(&site, "2026-12-08T09:30:00Z");
    daemon.wait_for_health(&[
        "scheduled runs: 0",
        "scheduler: waiting until 2026-12-14T09:00:00",
    ]);
    assert_eq!(daemon.stop(), Some(0));
    assert!(emls(&site.path().join("outbox")).is_empty());
}

#[test]
fn the_daemon_sends_the_reminder_once_even_when_restarted() {
    let site = TempSite::example();
    // Tuesday 8 December, 09:30: Monday's digest slot is beyond the grace period, the
    // reminder (due at 09:00) is not.
    let now = "2026-12-08T09:30:00Z";
    let count = || emls(&site.path().join("outbox")).len();
    let daemon = Daemon::start_at(&site, now);
    let started = Instant::now();
    while count() < 6 {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "no reminder sent"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    daemon.wait_for_health(&[
        "scheduled runs: 1",
        "scheduler: waiting until 2026-12-14T09:00:00",
    ]);
    assert_eq!(daemon.stop(), Some(0));
    let mail = read_mail(&emls(&site.path().join("outbox"))[0]);
    assert!(
        mail.subject
            .starts_with("Tomorrow: Riverside Cloud Native December — "),
        "{}",
        mail.subject
    );

    let daemon = Daemon::start_at(&site, "2026-12-08T10:00:00Z");
    daemon.wait_for_health(&[
        "scheduled runs: 0",
        "scheduler: waiting until 2026-12-14T09:00:00",
    ]);
    assert_eq!(daemon.stop(), Some(0));
    assert_eq!(count(), 6, "the reminder went out once");
}

#[test]
fn a_moved_event_is_announced_as_an_update_of_the_same_calendar_entry() {
    let (site, first_sequence) = after_first_digest();
    let text = site.read(RECAP).replace(
        "Wednesday 9th December, our festive special",
        "Thursday 10th December at 19:00, our festive special",
    );
    site.write(RECAP, text);
    let mail = preview(&site, "2026-12-01T09:00:00Z", &[]);
    assert!(mail.subject.starts_with("Updated: "), "{}", mail.subject);
    let line = "New date: Thursday 10 December 2026, 19:00 (was Wednesday 9 December 2026, 18:30)";
    assert!(mail.html.contains(line), "{}", mail.html);
    assert!(mail.text.contains(line), "{}", mail.text);
    let parsed = parse_both(mail.ics.as_deref().unwrap());
    assert_eq!(
        (parsed.method.as_str(), parsed.uid.as_str()),
        ("PUBLISH", UID)
    );
    assert_eq!(parsed.status, "CONFIRMED");
    assert!(
        parsed.sequence > first_sequence,
        "{} > {first_sequence}",
        parsed.sequence
    );
    // Once sent, the next digest has nothing to update.
    let (code, out) = run(&site, "2026-12-01T09:00:00Z", &["send"]);
    assert_eq!(code, 0, "{out}");
    let later = preview(&site, "2026-12-02T09:00:00Z", &[]);
    assert!(!later.subject.starts_with("Updated: "), "{}", later.subject);
    assert!(!later.text.contains("New date:"), "{}", later.text);
}

#[test]
fn a_cancelled_event_is_cancelled_in_calendars_once() {
    let (site, first_sequence) = after_first_digest();
    let text = site.read(RECAP).replacen(
        "tags:",
        "event:\n  date: \"2026-12-09\"\n  title: Riverside Cloud Native December\n  cancelled: true\ntags:",
        1,
    );
    site.write(RECAP, text);
    let mail = preview(&site, "2026-12-02T09:00:00Z", &[]);
    assert_eq!(
        mail.subject,
        "Cancelled: Riverside Cloud Native December, Wed 9 December"
    );
    let line = "Cancelled: Riverside Cloud Native December on Wednesday 9 December 2026 will not take place.";
    assert!(
        mail.html.contains(line) && mail.text.contains(line),
        "{}",
        mail.text
    );
    assert!(
        !mail.html.contains("RSVP and save the date"),
        "{}",
        mail.html
    );
    assert_eq!(mail.ics_method.as_deref(), Some("CANCEL"));
    let parsed = parse_both(mail.ics.as_deref().unwrap());
    assert_eq!(
        (
            parsed.method.as_str(),
            parsed.status.as_str(),
            parsed.uid.as_str()
        ),
        ("CANCEL", "CANCELLED", UID)
    );
    assert!(parsed.sequence > first_sequence);

    let (code, out) = run(&site, "2026-12-02T09:00:00Z", &["send"]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = run(&site, "2026-12-03T09:00:00Z", &["send", "--dry-run"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("nothing new since the last digest"), "{out}");
    let later = read_mail(&emls(&site.path().join("preview/eml"))[0]);
    assert!(later.ics.is_none(), "cancelled once, not again");
    let (code, out) = run(&site, "2026-12-08T09:00:00Z", &["send", "--reminder"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("is cancelled: no reminder is sent"), "{out}");
}

/// The archive page's URL in a message, from its "View in your browser" link.
fn view_online(mail: &Mail) -> String {
    let at = mail
        .text
        .find("View in your browser: ")
        .expect("a link in the text part");
    let url = mail.text[at + 22..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    assert!(
        mail.html.contains(&format!("<a href=\"{url}\"")),
        "the HTML part links to {url}"
    );
    url
}

#[test]
fn sent_digests_are_archived_without_personal_data() {
    let (site, _) = after_first_digest();
    let mail = read_mail(&emls(&site.path().join("outbox"))[0]);
    let url = view_online(&mail);
    let name = "2026-11-30-riverside-cloud-native-november-2026";
    assert_eq!(url, format!("https://meetup.example.com/archive/{name}/"));
    let page = site.read(&format!("public/archive/{name}/index.html"));
    assert!(
        page.contains("Riverside Cloud Native, November 2026"),
        "{page}"
    );
    assert!(
        page.contains("Next meetup: Wednesday 9 December 2026"),
        "{page}"
    );
    let subscribers = site.read("subscribers/members.csv") + &site.read("subscribers/speakers.csv");
    let private = subscribers
        .lines()
        .skip(1)
        .flat_map(|row| {
            row.split(',')
                .take(2)
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .filter(|v| !v.is_empty() && v != "email" && v != "name");
    let mut files = vec![page.clone(), site.read("public/archive/index.html")];
    files.push(site.read("public/archive/feed.xml"));
    for file in &files {
        for value in private.clone() {
            assert!(!file.contains(&value), "{value} is public:\n{file}");
        }
        assert!(
            !file.contains("token") && !file.contains("unsubscribe"),
            "{file}"
        );
    }
    assert!(files[1].contains(&url), "the index lists the page");

    let feed_path = site.path().join("public/archive/feed.xml");
    let feed = parse_feed(&feed_path);
    assert_eq!(feed.entries.len(), 1);
    assert_eq!(feed.entries[0].links[0].href, url);
    if let Some(python) = feedparser_python() {
        let out = std::process::Command::new(python)
            .args([
                "-c",
                "import sys, feedparser; d = feedparser.parse(sys.argv[1]); print(d.bozo, d.version, len(d.entries), d.entries[0].link)",
            ])
            .arg(&feed_path)
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&out.stdout);
        assert_eq!(said.trim(), format!("False atom10 1 {url}"));
    }
}

#[test]
fn build_writes_the_archive_from_the_ledger_and_never_creates_one() {
    let (site, _) = after_first_digest();
    std::fs::remove_dir_all(site.path().join("public")).unwrap();
    let (code, out) = run(&site, FIRST_DIGEST, &["build"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("archive: 1 digest (3 files changed)"), "{out}");
    assert!(site
        .path()
        .join("public/archive/2026-11-30-riverside-cloud-native-november-2026/index.html")
        .is_file());

    let fresh = TempSite::example();
    let (code, out) = run(&fresh, FIRST_DIGEST, &["build"]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("archive:"), "{out}");
    assert!(!fresh.path().join("public/archive").exists());
    assert!(!fresh.path().join("state").exists(), "no ledger is created");
}

#[test]
fn the_daemon_serves_the_archive() {
    let (site, _) = after_first_digest();
    let daemon = Daemon::start_with(&site, FIRST_DIGEST, &["--no-send"]);
    let name = "2026-11-30-riverside-cloud-native-november-2026";
    let header = |headers: &[(String, String)], name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let (status, headers, body) = daemon.get("/archive/");
    assert_eq!(status, 200, "{body}");
    assert!(header(&headers, "content-type").starts_with("text/html"));
    assert!(body.contains(name), "{body}");
    let (status, _, body) = daemon.get(&format!("/archive/{name}/"));
    assert_eq!(status, 200);
    assert!(
        body.contains("Riverside Cloud Native, November 2026"),
        "{body}"
    );
    let (status, headers, body) = daemon.get("/archive/feed.xml");
    assert_eq!(status, 200);
    assert!(header(&headers, "content-type").starts_with("application/atom+xml"));
    assert!(body.contains("<feed"), "{body}");
    let (status, headers, _) = daemon.get("/archive");
    assert_eq!(status, 308);
    assert_eq!(header(&headers, "location"), "/archive/");
    for path in [
        "/archive/%2e%2e/rss.xml",
        "/archive/nothing-here/",
        "/archive/a/b/",
    ] {
        assert_eq!(daemon.get(path).0, 404, "{path}");
    }
    assert_eq!(daemon.stop(), Some(0));
}

#[test]
fn reminder_and_archive_pages_match_snapshots() {
    let (site, _) = after_first_digest();
    let (code, out) = run(
        &site,
        "2026-12-08T09:00:00Z",
        &["send", "--reminder", "--dry-run"],
    );
    assert_eq!(code, 0, "{out}");
    insta::assert_snapshot!("reminder_html", site.read("preview/reminder.html"));
    insta::assert_snapshot!("reminder_txt", site.read("preview/reminder.txt"));
    let name = "2026-11-30-riverside-cloud-native-november-2026";
    insta::assert_snapshot!(
        "archive_page",
        site.read(&format!("public/archive/{name}/index.html"))
    );
    insta::assert_snapshot!("archive_index", site.read("public/archive/index.html"));
    insta::assert_snapshot!("archive_feed", site.read("public/archive/feed.xml"));
}
