//! The daemon over a real socket: feeds with ETag / Last-Modified / 304, one-click
//! unsubscribe (RFC 8058), forged and truncated tokens, rebuilding on change, and a clean
//! exit on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::daemon::Daemon;
use crate::common::{self, TempSite, TEST_KEY};
use crier::email::TokenKey;

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[test]
fn feeds_are_served_with_validators_and_304s() {
    let site = TempSite::example();
    let daemon = Daemon::start(&site);
    let (status, headers, body) = daemon.get("/rss.xml");
    assert_eq!(status, 200);
    assert!(body.contains("<rss"));
    assert_eq!(
        header(&headers, "content-type"),
        Some("application/rss+xml; charset=utf-8")
    );
    let etag = header(&headers, "etag").unwrap().to_owned();
    let modified = header(&headers, "last-modified").unwrap().to_owned();
    assert_eq!(
        daemon
            .request("GET", "/rss.xml", &[("If-None-Match", &etag)], "")
            .0,
        304
    );
    assert_eq!(
        daemon
            .request("GET", "/rss.xml", &[("If-Modified-Since", &modified)], "")
            .0,
        304
    );
    assert_eq!(
        daemon
            .request("GET", "/rss.xml", &[("If-None-Match", "\"other\"")], "")
            .0,
        200
    );
    assert_eq!(daemon.get("/tags/meetup/feed.json").0, 200);
    assert_eq!(daemon.get("/../crier.yaml").0, 404);
    let (status, headers, body) = daemon.get("/healthz");
    assert_eq!(status, 200);
    assert!(body.starts_with("ok\nrebuilds: 1\n"), "{body}");
    assert_eq!(header(&headers, "cache-control"), Some("no-store"));
    assert_eq!(daemon.stop(), Some(0), "SIGTERM exits 0");
}

#[test]
fn one_click_unsubscribe_is_idempotent_and_forged_tokens_get_400() {
    let site = TempSite::example();
    let daemon = Daemon::start(&site);
    let token = TokenKey::from_bytes(TEST_KEY.as_bytes()).token(
        "members",
        &crier::subscribers::Address::unchecked("grace@example.org"),
    );

    // GET shows a button and changes nothing (link scanners fetch URLs).
    let (status, _, body) = daemon.get(&format!("/unsubscribe?token={token}"));
    assert_eq!(status, 200);
    assert!(
        body.contains("grace@example.org") && body.contains("<button"),
        "{body}"
    );
    let check =
        String::from_utf8_lossy(&site.crier(&["check"]).output().unwrap().stdout).into_owned();
    assert!(!check.contains("suppressed"), "{check}");

    // RFC 8058 one-click POST: 200, no redirect, twice.
    for _ in 0..2 {
        let (status, headers, body) = daemon.request(
            "POST",
            &format!("/unsubscribe?token={token}"),
            &[("Content-Type", "application/x-www-form-urlencoded")],
            "List-Unsubscribe=One-Click",
        );
        assert_eq!(status, 200, "{body}");
        assert!(header(&headers, "location").is_none());
    }
    let check =
        String::from_utf8_lossy(&site.crier(&["check"]).output().unwrap().stdout).into_owned();
    assert!(
        check.contains(
            "grace@example.org is suppressed (unsubscribed: link in a message on list members)"
        ),
        "{check}"
    );

    // Forged, truncated and missing tokens.
    let forged = TokenKey::from_bytes(b"a different key, also long enough!").token(
        "members",
        &crier::subscribers::Address::unchecked("ada@example.com"),
    );
    for bad in [
        forged.as_str(),
        &token[..token.len() - 3],
        "",
        "not.a-token",
    ] {
        assert_eq!(
            daemon.get(&format!("/unsubscribe?token={bad}")).0,
            400,
            "{bad}"
        );
        assert_eq!(
            daemon
                .request(
                    "POST",
                    &format!("/unsubscribe?token={bad}"),
                    &[],
                    "List-Unsubscribe=One-Click"
                )
                .0,
            400,
            "{bad}"
        );
    }
    assert_eq!(
        daemon
            .request("POST", "/unsubscribe", &[], "List-Unsubscribe=One-Click")
            .0,
        400
    );
    let check =
        String::from_utf8_lossy(&site.crier(&["check"]).output().unwrap().stdout).into_owned();
    assert!(!check.contains("ada@example.com is suppressed"), "{check}");

    // The suppressed address is skipped by the next send.
    let out = site.crier(&["send"]).output().unwrap();
    assert!(out.status.success());
    let outbox: Vec<String> = walk(&site.path().join("outbox"));
    assert!(
        !outbox.iter().any(|f| f.contains("grace@example.org")),
        "{outbox:?}"
    );
    assert!(
        outbox.iter().any(|f| f.contains("ada@example.com")),
        "{outbox:?}"
    );
}

#[test]
fn feeds_rebuild_on_change_and_survive_a_broken_post() {
    let site = TempSite::example();
    let daemon = Daemon::start(&site);
    let post = "posts/2026-11-12-riverside-cloud-native-november-2026.md";
    let original = site.read(post);
    site.write(
        post,
        original.replace("AI inference on Kubernetes\"", "Edited while running\""),
    );
    let started = Instant::now();
    while !daemon.get("/rss.xml").2.contains("Edited while running") {
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "feed not rebuilt within 3 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // A broken config: the rebuild fails (and /healthz says so), and the daemon keeps serving
    // the last good feeds.
    let config = site.read("crier.yaml");
    site.write("crier.yaml", "site: [broken\n");
    let health = daemon.wait_for_health(&["degraded", "last rebuild: config is invalid"]);
    assert!(health.contains("crier.yaml"), "{health}");
    let (status, _, body) = daemon.get("/rss.xml");
    assert_eq!(status, 200);
    assert!(body.contains("Edited while running"));
    // Fixed again: healthy.
    site.write("crier.yaml", config);
    let health = daemon.wait_for_health(&["ok\n"]);
    assert!(!health.contains("last rebuild"), "{health}");
    assert_eq!(daemon.stop(), Some(0));
}

/// Every `.eml` under `dir` (which the daemon may still be writing to).
fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "eml") {
                out.push(path.display().to_string());
            }
        }
    }
    out
}

/// With an injected clock of Wednesday 12:00 and a Wednesday 09:00 schedule, the daemon finds
/// the slot it missed this morning and sends the digest once; started again, it does not.
#[test]
fn a_missed_slot_is_sent_once_at_start_up() {
    let site = TempSite::example();
    let config = site
        .read("crier.yaml")
        .replace("schedule: \"0 9 * * MON\"", "schedule: \"0 9 * * WED\"");
    site.write("crier.yaml", config);
    let count = || walk(&site.path().join("outbox")).len();

    let daemon = Daemon::start(&site);
    let started = Instant::now();
    while count() < 6 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "missed digest not sent: {} messages",
            count()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // The run is over and the scheduler waits for next Wednesday.
    daemon.wait_for_health(&[
        "scheduled runs: 1",
        "scheduler: waiting until 2026-12-02T09:00:00",
    ]);
    assert_eq!(daemon.stop(), Some(0));
    assert_eq!(count(), 6);

    // Started again the same day: the scheduler decides to wait, without a run.
    let daemon = Daemon::start(&site);
    daemon.wait_for_health(&[
        "scheduled runs: 0",
        "scheduler: waiting until 2026-12-02T09:00:00",
    ]);
    assert_eq!(daemon.stop(), Some(0));
    assert_eq!(count(), 6, "the slot was already served");
    let status =
        String::from_utf8_lossy(&site.crier(&["status"]).output().unwrap().stdout).into_owned();
    assert!(status.contains("6 sent, 0 pending, 0 failed"), "{status}");
}

#[test]
fn a_test_copy_records_nothing_and_a_post_goes_to_everyone() {
    let site = TempSite::example();
    let out = site
        .crier(&["send", "--to", "organiser@example.org"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("test copy sent to organiser@example.org (not a recipient"),
        "{stdout}"
    );
    assert_eq!(walk(&site.path().join("outbox")).len(), 1);
    assert!(
        !site.path().join("state/crier.db").exists(),
        "a test copy touches no ledger"
    );

    let out = site
        .crier(&["send", "--post", "call-for-speakers-2026"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("6 sent, 0 failed, 0 pending"), "{stdout}");
    let status =
        String::from_utf8_lossy(&site.crier(&["status"]).output().unwrap().stdout).into_owned();
    assert!(status.contains("post-call-for-speakers-2026"), "{status}");
}

/// While another process holds the send lease, `crier send` says who holds it and waits; it
/// sends once the lease is given up.
#[test]
fn a_second_sender_waits_for_the_lease_holder() {
    let site = TempSite::example();
    let place = crier::ledger::Place::file(&site.path().join("state/crier.db"));
    let lock = crier::delivery::lease::SendLease::try_take(&place)
        .unwrap()
        .unwrap();
    let mut child = site
        .crier_std(&["send"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    assert!(
        line.contains(&format!(
            "another crier process (crier pid {} on",
            std::process::id()
        )),
        "{line}"
    );
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        child.try_wait().unwrap().is_none(),
        "it waits while the lock is held"
    );
    assert!(walk(&site.path().join("outbox")).is_empty());
    drop(lock);
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "send did not finish after the lock was released"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(walk(&site.path().join("outbox")).len(), 6);
}

/// Feeds are served at the paths their self links name, the daemon says where, and
/// `--no-send` serves without ever sending, even with a missed slot due.
#[test]
fn feeds_are_served_where_their_self_links_point_and_no_send_sends_nothing() {
    let site = TempSite::example();
    let config = site
        .read("crier.yaml")
        .replace(
            "  tags: true\n",
            "  tags: true\n  url: https://meetup.example.com/feeds/\n",
        )
        .replace("schedule: \"0 9 * * MON\"", "schedule: \"0 9 * * WED\"");
    site.write("crier.yaml", config);
    let daemon = Daemon::start_with(&site, common::NOW, &["--no-send"]);
    let health = daemon.wait_for_health(&["scheduler: off: started with --no-send"]);
    assert!(health.contains("rebuilds: 1"), "{health}");
    let (status, _, body) = daemon.get("/feeds/rss.xml");
    assert_eq!(status, 200);
    assert!(
        body.contains("<atom:link href=\"https://meetup.example.com/feeds/rss.xml\""),
        "the self link names the path it is served at: {body}"
    );
    assert_eq!(daemon.get("/feeds/tags/meetup/atom.xml").0, 200);
    assert_eq!(daemon.get("/rss.xml").0, 404, "not outside the feeds path");
    let printed = daemon.printed().join("\n");
    for needle in [
        "/feeds/rss.xml",
        "/unsubscribe",
        "/healthz",
        "sending:     off (--no-send)",
    ] {
        assert!(printed.contains(needle), "{needle} in:\n{printed}");
    }
    assert_eq!(daemon.stop(), Some(0));
    assert!(
        !site.path().join("outbox").exists(),
        "the missed Wednesday slot was not sent"
    );
}
