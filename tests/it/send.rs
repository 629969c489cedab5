//! End-to-end tests of `crier send --dry-run`: the real binary composes the example site's
//! digest, and every message is parsed back with an independent parser (mail-parser).

use std::path::{Path, PathBuf};

use crate::common::{html_urls, TempSite, TEST_KEY};
use crier::email::TokenKey;
use mail_parser::{MessageParser, MimeHeaders};

const AT: &str = "2026-11-25T09:00:00Z";

fn emls(site: &TempSite) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(site.path().join("preview/eml"))
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    files.sort();
    files
}

fn dry_run(site: &TempSite, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec!["send", "--dry-run", "--at", AT];
    args.extend_from_slice(extra);
    let out = site.crier(&args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A header's raw value, unfolded (list headers are not structured for mail-parser).
fn header_text(message: &mail_parser::Message<'_>, name: &str) -> String {
    message
        .header_raw(name)
        .map(|v| {
            v.replace("\r\n", "")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

#[test]
fn dry_run_composes_every_recipient_and_changes_nothing() {
    let site = TempSite::example();
    let (code, stdout, stderr) = dry_run(&site, &[]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("dry run: nothing was sent"), "{stdout}");
    assert!(
        stdout.contains("recipients: 6 (each address once), composed: 6"),
        "{stdout}"
    );
    assert!(stdout.contains("next event: Riverside Cloud Native December on 2026-12-09T18:30:00+00:00 (Wednesday), RSVP: https://events.example.org/riverside-cloud-native/2026-12"), "{stdout}");
    assert_eq!(emls(&site).len(), 6);
    assert!(site.path().join("preview/digest.html").exists());
    assert!(site.path().join("preview/digest.txt").exists());
    assert!(
        !site.path().join(".config/crier").exists(),
        "a dry run creates no key file"
    );
    assert!(!site.path().join("state").exists());
}

#[test]
fn composed_messages_parse_back_with_the_right_structure_headers_and_links() {
    let site = TempSite::example();
    assert_eq!(dry_run(&site, &[]).0, 0);
    let key = TokenKey::from_bytes(TEST_KEY.as_bytes());
    for path in emls(&site) {
        let bytes = std::fs::read(&path).unwrap();
        let message = MessageParser::default().parse(&bytes[..]).expect("parses");
        let name = path.display().to_string();

        // MIME tree: mixed(alternative(text, html), calendar).
        let root = &message.parts[0];
        assert!(
            root.content_type()
                .is_some_and(|c| c.subtype() == Some("mixed")),
            "{name}"
        );
        assert_eq!(message.text_body.len(), 1, "{name}");
        assert_eq!(message.html_body.len(), 1, "{name}");
        let ics_part = message.attachments().next().expect("ics attachment");
        let ct = ics_part.content_type().unwrap();
        assert_eq!((ct.ctype(), ct.subtype()), ("text", Some("calendar")));
        assert_eq!(ct.attribute("method"), Some("PUBLISH"));
        let ics = ics_part.text_contents().unwrap().to_owned();
        let unfolded = ics.replace("\r\n ", "");
        for line in [
            "METHOD:PUBLISH",
            "DTSTART:20261209T183000Z",
            "DTEND:20261209T213000Z",
            "SUMMARY:Riverside Cloud Native December",
            "URL:https://events.example.org/riverside-cloud-native/2026-12",
            "UID:next-meetup-2026-11-12-riverside-cloud-native-november-2026@meetup.example.com",
            "DTSTAMP:20261125T090000Z",
        ] {
            assert!(
                unfolded.contains(&format!("{line}\r\n")),
                "{name}: missing {line} in {ics}"
            );
        }

        // Headers.
        // The default subject names the next meetup, then the recap, and leaves the site's
        // name to the From name.
        let subject = message.subject().unwrap();
        assert!(subject.starts_with("Next: Wed 9 December"), "{subject}");
        assert!(subject.ends_with(" · November recap"), "{subject}");
        assert!(!subject.contains("Riverside Cloud Native"), "{subject}");
        let from = message.from().unwrap().first().unwrap();
        assert_eq!(
            (from.name(), from.address()),
            (Some("Riverside Cloud Native"), Some("news@example.com"))
        );
        let to = message
            .to()
            .unwrap()
            .first()
            .unwrap()
            .address()
            .unwrap()
            .to_owned();
        assert_eq!(
            message.reply_to().unwrap().first().unwrap().address(),
            Some("organisers@example.com")
        );
        assert!(message.date().is_some());
        assert!(message
            .message_id()
            .unwrap()
            .ends_with("@meetup.example.com"));
        assert!(
            header_text(&message, "List-Id").ends_with(".meetup.example.com>"),
            "{name}"
        );
        assert_eq!(
            header_text(&message, "List-Unsubscribe-Post"),
            "List-Unsubscribe=One-Click"
        );
        let unsubscribe = header_text(&message, "List-Unsubscribe");
        assert!(
            unsubscribe.contains("mailto:unsubscribe@example.com"),
            "{unsubscribe}"
        );
        let token = unsubscribe
            .split("token=")
            .nth(1)
            .unwrap()
            .split('>')
            .next()
            .unwrap();
        let (list, address) = key.verify(token).expect("token verifies");
        assert_eq!(address, to.to_lowercase());
        assert!(["members", "speakers"].contains(&list.as_str()));

        // Bodies: absolute URLs only, the unsubscribe link in both parts, alt text everywhere.
        let html = message.body_html(0).unwrap();
        for url in html_urls(&html) {
            assert!(url.starts_with("https://"), "{name}: {url}");
        }
        assert!(html.contains(&format!("token={token}")), "{name}");
        assert!(
            html.matches("<img").count() == html.matches(" alt=\"").count(),
            "{name}"
        );
        assert!(html.contains("style=\""), "CSS is inlined");
        assert!(html.len() < 100 * 1024);
        let text = message.body_text(0).unwrap();
        assert!(text.contains(&format!("token={token}")), "{name}");
        assert!(text.contains(
            "https://meetup.example.com/2026/11/12/riverside-cloud-native-november-2026/"
        ));
        assert!(
            !text.contains("&amp;") && !text.contains("<p>"),
            "{name}: {text}"
        );
    }
}

#[test]
fn same_input_and_clock_give_byte_identical_messages() {
    let site = TempSite::example();
    assert_eq!(dry_run(&site, &[]).0, 0);
    let first: Vec<Vec<u8>> = emls(&site)
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    assert_eq!(dry_run(&site, &[]).0, 0);
    let second: Vec<Vec<u8>> = emls(&site)
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    assert_eq!(first, second);
}

#[test]
fn json_summary_lists_recaps_event_and_counts() {
    let site = TempSite::example();
    let (code, stdout, _) = dry_run(&site, &["--json", "--since", "2026-09-01", "--sample", "2"]);
    assert_eq!(code, 0, "{stdout}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let urls: Vec<&str> = v["recaps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["url"].as_str().unwrap())
        .collect();
    assert_eq!(
        urls,
        [
            "https://meetup.example.com/2026/11/12/riverside-cloud-native-november-2026/",
            "https://meetup.example.com/2026/10/15/riverside-cloud-native-october-2026/",
            "https://meetup.example.com/2026/09/10/riverside-cloud-native-september-2026/",
        ]
    );
    assert_eq!(v["event"]["start"], "2026-12-09T18:30:00+00:00");
    assert_eq!(v["event"]["weekday"], "Wednesday");
    assert_eq!(
        v["event"]["rsvp"],
        "https://events.example.org/riverside-cloud-native/2026-12"
    );
    assert_eq!(v["recipients"], 6);
    assert_eq!(v["composed"], 6);
    assert_eq!(v["lists"]["members"], 4);
    assert_eq!(emls(&site).len(), 2, "--sample 2 writes two .eml files");
}

#[test]
fn at_previews_the_digest_as_of_another_moment() {
    let site = TempSite::example();
    let (code, stdout, _) = site
        .crier(&[
            "send",
            "--dry-run",
            "--at",
            "2026-10-20T09:00:00+01:00",
            "--json",
            "--no-files",
        ])
        .output()
        .map(|o| {
            (
                o.status.code().unwrap(),
                String::from_utf8_lossy(&o.stdout).into_owned(),
                (),
            )
        })
        .unwrap();
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        v["recaps"][0]["url"],
        "https://meetup.example.com/2026/10/15/riverside-cloud-native-october-2026/"
    );
    assert_eq!(v["event"]["start"], "2026-11-11T18:30:00+00:00");
    assert!(
        !site.path().join("preview").exists(),
        "--no-files writes nothing"
    );

    // After the last announced meetup there is no event section at all.
    let out = site
        .crier(&[
            "send",
            "--dry-run",
            "--at",
            "2026-12-10T09:00:00Z",
            "--no-files",
            "--json",
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["event"].is_null(), "{v}");
}

#[test]
fn a_single_post_previews_as_an_email() {
    let site = TempSite::example();
    let (code, stdout, stderr) = dry_run(&site, &["--post", "call-for-speakers-2026"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let html = site.read("preview/post.html");
    assert!(html.contains("Call for speakers"), "{html}");
    assert!(html.contains("https://meetup.example.com/speak/"), "{html}");
    let (code, _, stderr) = dry_run(&site, &["--post", "nope"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("no published post with slug `nope`"),
        "{stderr}"
    );
}

#[test]
fn hostile_names_and_titles_cannot_inject_headers() {
    let site = TempSite::example();
    // An organiser's own subject template, with the recap's title in it.
    let config = site.read("crier.yaml");
    let line = config
        .lines()
        .find(|l| l.trim_start().starts_with("subject:"))
        .unwrap();
    site.write(
        "crier.yaml",
        config.replace(line, "  subject: \"{{site.title}}: {{recaps.0.title}}\""),
    );
    site.write("subscribers/members.csv", "email,name\neve@example.com,\"Eve\r\nBcc: victim@example.org\"\nmallory@example.com,\"=?utf-8?q?x?= Mallory\u{7}\"\n");
    site.write("subscribers/speakers.csv", "email\n");
    site.post(
        "2026-11-20-hostile.md",
        "title: 'Ça va? \"quotes\" <b>&amp; Bcc: x@example.org'\ntags: [Meetup]\n",
        "Body.\n\nThe next meetup is on Wednesday 9th December. [RSVP](https://events.example.org/x)\n",
    );
    let (code, stdout, stderr) = dry_run(&site, &[]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    for path in emls(&site) {
        let bytes = std::fs::read(&path).unwrap();
        let message = MessageParser::default().parse(&bytes[..]).unwrap();
        assert!(message.header("Bcc").is_none(), "{}", path.display());
        assert_eq!(
            message.subject(),
            Some("Riverside Cloud Native: Ça va? \"quotes\" <b>&amp; Bcc: x@example.org")
        );
        let to = message.to().unwrap().first().unwrap();
        assert!(!to.name().unwrap_or("").contains(['\r', '\n', '\u{7}']));
        let head_end = bytes.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let head = String::from_utf8_lossy(&bytes[..head_end]);
        assert!(!head.lines().any(|l| l.starts_with("Bcc:")), "{head}");
        assert!(head.is_ascii(), "headers are 7-bit:\n{head}");
        let html = message.body_html(0).unwrap();
        assert!(
            html.contains("Ça va? \"quotes\" &lt;b&gt;&amp;amp; Bcc"),
            "{html}"
        );
    }
}

#[test]
fn template_mistakes_name_file_line_and_variable() {
    let site = TempSite::example();
    let path = site.path().join("templates/digest.txt.hbs");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replacen("{{site.title}}", "{{site.titel}}", 1)).unwrap();
    let (code, stdout, _) = dry_run(&site, &[]);
    assert_eq!(code, 1);
    assert!(
        stdout.contains("digest.txt.hbs:1:1: error: template `digest.txt`"),
        "{stdout}"
    );
    assert!(stdout.contains("site.titel"), "{stdout}");

    std::fs::write(&path, "{{#each recaps}}\n{{title}\n").unwrap();
    let out = site.crier(&["check"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout.contains("digest.txt.hbs:2:"), "{stdout}");
    assert!(stdout.contains("syntax error"), "{stdout}");
}

#[test]
fn check_reports_subscriber_rows_and_event_wording() {
    let site = TempSite::example();
    site.write(
        "subscribers/members.csv",
        "email,name\nok@example.com,A\nbroken-address,B\nOK@example.com,C\n",
    );
    site.post("2026-11-21-wrong-weekday.md", "title: Wrong weekday\ntags: [Meetup]\n", "Recap.\n\nOur next meetup will be on Tuesday 9th December. [RSVP](https://e.example.org)\n");
    site.post(
        "2026-11-22-stale.md",
        "title: Stale\ntags: [Meetup]\n",
        "Recap.\n\nThe next meetup is on Wednesday 22nd November 2026.\n",
    );
    site.post(
        "2026-11-23-none.md",
        "title: No event\ntags: [Meetup]\n",
        "Just a recap.\n",
    );
    let out = site.crier(&["check"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("members.csv:3:1: error: invalid address 'broken-address'"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "members.csv:4:1: warning: duplicate address 'OK@example.com' (also on line 2)"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("2026-11-21-wrong-weekday.md:7:1: warning: next event says Tuesday but 9 December 2026 is a Wednesday: \"Our next meetup will be on Tuesday 9th December.\""), "{stdout}");
    assert!(stdout.contains("2026-11-22-stale.md:7:1: warning: next event date 2026-11-22 is not after the post's own date"), "{stdout}");
    assert!(
        stdout.contains("2026-11-23-none.md:1:1: warning: recap has no next event"),
        "{stdout}"
    );

    // Skipped rows are counted by the dry run too (listed with -v), and everyone else still
    // gets a message.
    let (code, stdout, _) = dry_run(&site, &["--no-files"]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("skipped, invalid: 1"), "{stdout}");
    assert!(
        !stdout.contains("broken-address"),
        "addresses only with -v: {stdout}"
    );
    let (code, stdout, _) = dry_run(&site, &["--no-files", "-v"]);
    assert_eq!(code, 0, "{stdout}");
    assert!(
        stdout.contains("broken-address (invalid): ")
            && stdout.contains("invalid address 'broken-address'"),
        "{stdout}"
    );
}

#[test]
fn digest_parts_match_snapshots() {
    let site = TempSite::example();
    site.write("subscribers/speakers.csv", "email\n");
    assert_eq!(dry_run(&site, &["--since", "2026-09-01"]).0, 0);
    insta::assert_snapshot!("digest_html", site.read("preview/digest.html"));
    insta::assert_snapshot!("digest_txt", site.read("preview/digest.txt"));
    let first = emls(&site).into_iter().next().unwrap();
    let eml = std::fs::read_to_string(Path::new(&first)).unwrap();
    let head = eml.split("\r\n\r\n").next().unwrap().replace("\r\n", "\n");
    insta::assert_snapshot!("digest_headers", head);
}

/// The calendar entry of one event keeps its UID when the organiser corrects the post, and a
/// later digest carries a higher SEQUENCE, so calendars replace the entry instead of adding one.
#[test]
fn a_corrected_event_keeps_its_uid_and_raises_its_sequence() {
    let ics_of = |site: &TempSite, at: &str| {
        let out = site
            .crier(&["send", "--dry-run", "--at", at, "--sample", "1"])
            .output()
            .unwrap();
        assert!(out.status.success());
        let bytes = std::fs::read(&emls(site)[0]).unwrap();
        let message = MessageParser::default().parse(&bytes[..]).unwrap();
        let ics = message
            .attachments()
            .next()
            .unwrap()
            .text_contents()
            .unwrap()
            .replace("\r\n ", "");
        let field = |name: &str| {
            ics.lines()
                .find_map(|l| l.strip_prefix(&format!("{name}:")).map(str::to_owned))
                .unwrap()
        };
        (
            field("UID"),
            field("SEQUENCE").parse::<u32>().unwrap(),
            field("DTSTART"),
        )
    };
    let site = TempSite::example();
    let (uid, first, start) = ics_of(&site, "2026-11-16T09:00:00Z");
    assert_eq!(start, "20261209T183000Z");
    let post = "posts/2026-11-12-riverside-cloud-native-november-2026.md";
    let text = site
        .read(post)
        .replace("Wednesday 9th December,", "Wednesday 9th December at 7pm,");
    site.write(post, text);
    let (uid_after, second, start_after) = ics_of(&site, "2026-11-23T09:00:00Z");
    assert_eq!(uid_after, uid);
    assert_eq!(start_after, "20261209T190000Z");
    assert!(second > first, "{second} > {first}");
}

#[test]
#[ignore = "needs ../shared/reference (real Jekyll posts, not in the repository): cargo test -- --ignored"]
fn real_recaps_announce_their_next_meetups_when_available() {
    let reference = crate::common::repo().join("../shared/reference/posts");
    crate::common::require_reference(&reference);
    let site = TempSite::example();
    let config = site.read("crier.yaml").replace(
        "posts_dir: posts",
        &format!("posts_dir: {}", reference.display()),
    );
    site.write("crier.yaml", config);
    let out = site.crier(&["check"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("2023-05-03-cloud-native-london-may-2023.md:44:1: warning: next event date 2023-05-03 is not after the post's own date"), "{stdout}");
    // A December recap announces a January meetup: the year rolls over.
    let out = site
        .crier(&[
            "send",
            "--dry-run",
            "--at",
            "2019-12-20T09:00:00Z",
            "--json",
            "--no-files",
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["event"]["start"], "2020-01-08T18:30:00+00:00", "{v}");
    assert_eq!(v["event"]["weekday"], "Wednesday");
    assert!(v["event"]["rsvp"]
        .as_str()
        .unwrap()
        .starts_with("https://www.meetup.com/"));
}

/// RFC 8463's Ed25519 test key pair: the private seed crier signs with, and the public key a
/// verifier looks up in DNS.
const DKIM_SEED: &str = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";
const DKIM_PUBLIC: &str = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

#[test]
fn dkim_signs_the_list_headers_and_verifies_independently() {
    let site = TempSite::example();
    let key_dir = tempfile::tempdir().unwrap();
    let key_file = key_dir.path().join("dkim.key");
    std::fs::write(&key_file, DKIM_SEED).unwrap();
    let config = site.read("crier.yaml").replace(
        "  schedule:",
        &format!("  dkim:\n    domain: example.com\n    selector: news\n    algorithm: ed25519\n    key_file: {}\n  schedule:", key_file.display()),
    );
    site.write("crier.yaml", config);
    let (code, stdout, stderr) = dry_run(&site, &["--sample", "1"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let path = &emls(&site)[0];
    let bytes = std::fs::read(path).unwrap();
    let message = MessageParser::default().parse(&bytes[..]).unwrap();
    let signature = header_text(&message, "DKIM-Signature");
    for tag in ["d=example.com", "s=news", "a=ed25519-sha256"] {
        assert!(signature.contains(tag), "{tag} missing in {signature}");
    }
    let h = signature
        .split("h=")
        .nth(1)
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_lowercase()
        .replace(' ', "");
    for header in [
        "from",
        "subject",
        "date",
        "message-id",
        "list-unsubscribe",
        "list-unsubscribe-post",
    ] {
        assert!(
            h.split(':').any(|x| x == header),
            "{header} not signed: h={h}"
        );
    }

    // An independent verifier (dkimpy), with the public key served from a fake DNS lookup.
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let has_dkimpy = std::process::Command::new(&python)
        .args(["-c", "import dkim, nacl"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_dkimpy {
        assert!(
            std::env::var("CRIER_REQUIRE_PYTHON").map_or(true, |v| v != "1"),
            "CRIER_REQUIRE_PYTHON=1 but dkimpy is missing: python3 -m pip install dkimpy pynacl"
        );
        crate::common::skipped("the dkimpy verification: python3 -m pip install dkimpy");
        return;
    }
    let script = format!(
        "import sys, dkim\nmsg = open(sys.argv[1], 'rb').read()\n\
         dns = lambda name, timeout=5: b'v=DKIM1; k=ed25519; p={DKIM_PUBLIC}' if name == b'news._domainkey.example.com.' else None\n\
         sys.exit(0 if dkim.verify(msg, dnsfunc=dns) else 1)\n"
    );
    let out = std::process::Command::new(python)
        .arg("-c")
        .arg(script)
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "dkimpy rejected the signature: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_dry_run_shows_what_the_newest_recaps_say_before_the_messages() {
    let site = TempSite::example();
    let (code, stdout, _) = dry_run(&site, &[]);
    assert_eq!(code, 0, "{stdout}");
    let reading = stdout
        .find("what the newest recaps say:")
        .expect("the reading is printed");
    let summary = stdout.find("recipients:").unwrap();
    assert!(reading < summary, "{stdout}");
    assert!(
        stdout.contains("next meetup: Wednesday 9 December 2026"),
        "{stdout}"
    );
    assert!(stdout.contains("talks: 2"), "{stdout}");
}

/// A post goes out once: sending it again (a second `crier send --post`, a repeated command)
/// is refused unless `--again` says so.
#[test]
fn a_post_is_sent_once_unless_again_is_given() {
    let site = TempSite::example();
    let send = |extra: &[&str]| {
        let mut args = vec!["send", "--post", "call-for-speakers-2026"];
        args.extend_from_slice(extra);
        site.crier(&args).output().unwrap()
    };
    assert!(send(&[]).status.success());
    let again = send(&[]);
    assert_eq!(again.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(
        stderr.contains("was sent already") && stderr.contains("--again"),
        "{stderr}"
    );
    assert!(
        !send(&["--dry-run"]).status.success(),
        "the preview is the send"
    );
    let forced = send(&["--again"]);
    assert!(
        forced.status.success(),
        "{}",
        String::from_utf8_lossy(&forced.stderr)
    );
    let outbox = std::fs::read_dir(site.path().join("outbox"))
        .unwrap()
        .count();
    assert_eq!(outbox, 2, "two sends of the post");
}

/// A template mistake stops a real send before anything is frozen, with one error (not one per
/// recipient); once fixed, the next send reaches everyone.
#[test]
fn a_template_mistake_stops_the_send_before_anything_is_frozen() {
    let site = TempSite::example();
    let path = site.path().join("templates/digest.txt.hbs");
    let good = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, good.replacen("{{site.title}}", "{{site.titel}}", 1)).unwrap();
    let out = site.crier(&["send"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("site.titel").count(), 1, "{stderr}");
    assert!(stderr.contains("digest.txt.hbs:1:1"), "{stderr}");
    assert!(!site.path().join("outbox").exists(), "nothing was sent");
    let status = site.crier(&["status"]).output().unwrap();
    let status = String::from_utf8_lossy(&status.stdout);
    assert!(
        status.contains("nothing sent yet"),
        "nothing was frozen: {status}"
    );

    std::fs::write(&path, good).unwrap();
    let out = site.crier(&["send"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let status = site.crier(&["status"]).output().unwrap();
    let status = String::from_utf8_lossy(&status.stdout);
    assert!(status.contains(" 0 failed"), "{status}");
}

/// A message that could not be composed for one recipient (a mistake in a branch only some
/// recipients take) fails that recipient, and is no bounce: the rate counts only what
/// servers refused.
#[test]
fn a_message_that_cannot_be_composed_is_not_counted_as_a_bounce() {
    let site = TempSite::example();
    let path = site.path().join("templates/digest.txt.hbs");
    let text = std::fs::read_to_string(&path).unwrap();
    // Those without a company take the broken branch; `check`'s sample recipient has one.
    let broken =
        format!("{{{{#unless subscriber.company}}}}{{{{subscriber.nope}}}}{{{{/unless}}}}{text}");
    std::fs::write(&path, broken).unwrap();
    let out = site.crier(&["send"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let status = site.crier(&["status"]).output().unwrap();
    let status = String::from_utf8_lossy(&status.stdout);
    assert!(
        status.contains("failed") && !status.contains(" 0 failed"),
        "some recipients failed: {status}\n{stdout}\n{stderr}"
    );
    assert!(status.contains("bounce rate 0.0%"), "{status}");
    assert!(!status.contains("bounced: above 5%"), "{status}");
}
