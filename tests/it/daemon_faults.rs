//! The daemon under faults (issue 8): broken posts keep their last good version, the watcher
//! survives `posts/` being deleted or replaced, HTTP limits, failing scheduled runs, and the
//! whole lot at once followed by SIGTERM with half-open connections.

use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::common::daemon::{unsafe_kill_term, Daemon};
use crate::common::{copy_dir, TempSite, TEST_KEY};
use crier::email::TokenKey;

const POST: &str = "posts/2026-11-12-riverside-cloud-native-november-2026.md";
const POST_TITLE: &str = "Riverside Cloud Native, November 2026: AI inference on Kubernetes";

/// The post titles in the served `/rss.xml`.
fn served_titles(daemon: &Daemon) -> Vec<String> {
    let (status, _, body) = daemon.get("/rss.xml");
    assert_eq!(status, 200, "{body}");
    let feed = feed_rs::parser::parse(body.as_bytes()).expect("a valid feed");
    feed.entries
        .into_iter()
        .filter_map(|e| e.title.map(|t| t.content))
        .collect()
}

/// Breaks the post's front matter (an unclosed flow sequence) without touching its title.
fn break_front_matter(site: &TempSite) -> String {
    let original = site.read(POST);
    site.write(POST, original.replace("tags:\n", "tags: [unclosed\nx:\n"));
    original
}

#[test]
fn a_broken_post_keeps_its_last_good_version_until_fixed() {
    let site = TempSite::example();
    let daemon = Daemon::start(&site);
    let before = served_titles(&daemon);
    assert!(before.iter().any(|t| t.contains(POST_TITLE)), "{before:?}");

    let original = break_front_matter(&site);
    let health = daemon.wait_for_health(&["degraded", "broken posts: 1"]);
    assert!(
        health.contains("2026-11-12-riverside-cloud-native-november-2026.md:")
            && health.contains("its last good version is served"),
        "{health}"
    );
    assert_eq!(
        served_titles(&daemon),
        before,
        "the broken post is still served"
    );

    // `crier build` (one-shot) still reports the post and leaves it out.
    let out = site.crier(&["build"]).output().unwrap();
    assert!(!site.read("public/rss.xml").contains(POST_TITLE));
    assert!(String::from_utf8_lossy(&out.stderr).contains("2026-11-12-riverside"));

    site.write(POST, original);
    let health = daemon.wait_for_health(&["ok\n"]);
    assert!(!health.contains("broken posts"), "{health}");
    assert_eq!(served_titles(&daemon), before);
    assert_eq!(daemon.stop(), Some(0));
}

#[test]
fn a_deleted_post_is_removed_not_kept() {
    let site = TempSite::example();
    let daemon = Daemon::start(&site);
    std::fs::remove_file(site.path().join(POST)).unwrap();
    let started = Instant::now();
    while served_titles(&daemon)
        .iter()
        .any(|t| t.contains(POST_TITLE))
    {
        assert!(started.elapsed() < Duration::from_secs(5), "never removed");
        std::thread::sleep(Duration::from_millis(50));
    }
    let health = daemon.wait_for_health(&["ok\n"]);
    assert!(!health.contains("broken"), "{health}");
    assert_eq!(daemon.stop(), Some(0));
}

#[test]
fn the_watcher_survives_the_posts_folder_being_deleted_and_replaced() {
    let site = TempSite::example();
    let daemon = Daemon::start(&site);
    let before = served_titles(&daemon);
    let posts = site.path().join("posts");
    let copy = site.path().join("posts.new");
    copy_dir(&posts, &copy);

    std::fs::remove_dir_all(&posts).unwrap();
    let health = daemon.wait_for_health(&["degraded", "posts folder"]);
    assert!(health.contains("missing"), "{health}");
    assert_eq!(served_titles(&daemon), before, "the previous feeds stay");

    // Put back the way deploy tools do it: a folder renamed into place.
    std::fs::rename(&copy, &posts).unwrap();
    daemon.wait_for_health(&["ok\n"]);
    assert_eq!(served_titles(&daemon), before);

    // The new folder is watched: an edit in it is picked up.
    let text = site.read(POST).replace(POST_TITLE, "Edited after the swap");
    site.write(POST, text);
    let started = Instant::now();
    while !served_titles(&daemon)
        .iter()
        .any(|t| t.contains("Edited after the swap"))
    {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "not rebuilt: the new posts folder is not watched"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(daemon.stop(), Some(0));
}

#[test]
fn oversized_request_bodies_are_refused() {
    let site = TempSite::example();
    let daemon = Daemon::start(&site);
    let token = TokenKey::from_bytes(TEST_KEY.as_bytes()).token(
        "members",
        &crier::subscribers::Address::unchecked("grace@example.org"),
    );
    let body = format!("List-Unsubscribe=One-Click&pad={}", "x".repeat(100 * 1024));
    let (status, _, _) = daemon.request(
        "POST",
        &format!("/unsubscribe?token={token}"),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        &body,
    );
    assert_eq!(status, 413);
    assert_eq!(daemon.stop(), Some(0));
}

#[test]
fn the_unsubscribe_page_says_it_stops_every_email() {
    let site = TempSite::example();
    let daemon = Daemon::start(&site);
    let token = TokenKey::from_bytes(TEST_KEY.as_bytes()).token(
        "members",
        &crier::subscribers::Address::unchecked("grace@example.org"),
    );
    let (status, _, body) = daemon.get(&format!("/unsubscribe?token={token}"));
    assert_eq!(status, 200);
    assert!(
        body.contains("Stop all e-mails from Riverside Cloud Native"),
        "{body}"
    );
    assert!(
        !body.contains("from the <strong>members</strong> list?"),
        "{body}"
    );
    assert_eq!(daemon.stop(), Some(0));
}

/// A scheduled send whose templates fail is reported in /healthz, once: the scheduler then
/// waits for the next slot instead of trying again in a loop.
#[test]
fn a_failing_scheduled_run_is_reported_and_not_retried_hot() {
    let site = TempSite::example();
    let config = site
        .read("crier.yaml")
        .replace("schedule: \"0 9 * * MON\"", "schedule: \"0 9 * * WED\"");
    site.write("crier.yaml", config);
    site.write("templates/digest.html.hbs", "{{#if recaps}}never closed\n");
    let daemon = Daemon::start(&site);
    let health = daemon.wait_for_health(&[
        "last scheduled run: failed:",
        "scheduler: waiting until 2026-12-02T09:00:00",
    ]);
    assert!(health.contains("scheduled runs: 1\n"), "{health}");
    std::thread::sleep(Duration::from_millis(300));
    let health = daemon.get("/healthz").2;
    assert!(health.contains("scheduled runs: 1\n"), "{health}");
    assert_eq!(daemon.stop(), Some(0));
}

/// Opens a connection and sends a request without the blank line that ends its headers.
fn half_open(addr: &str) -> TcpStream {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .write_all(b"GET /rss.xml HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    stream
}

/// Asserts that every title in `expected` is served.
fn assert_all_served(daemon: &Daemon, expected: &[String], when: &str) {
    let titles = served_titles(daemon);
    for t in expected {
        assert!(
            titles.contains(t),
            "{when}: {t:?} not served; served: {titles:?}"
        );
    }
}

/// Issue 8's acceptance scenario: the posts folder deleted and restored, a post broken and
/// fixed, 50 half-open connections, then SIGTERM.
#[test]
fn the_daemon_keeps_serving_through_faults_and_stops_on_sigterm() {
    let site = TempSite::example();
    let daemon = Daemon::start(&site);
    let all = served_titles(&daemon);
    assert!(all.len() >= 10, "{all:?}");
    let posts = site.path().join("posts");
    let copy = site.path().join("posts.restore");
    copy_dir(&posts, &copy);

    std::fs::remove_dir_all(&posts).unwrap();
    assert_all_served(&daemon, &all, "right after deleting posts/");
    daemon.wait_for_health(&["degraded", "posts folder"]);
    assert_all_served(&daemon, &all, "while posts/ is missing");
    std::fs::rename(&copy, &posts).unwrap();
    daemon.wait_for_health(&["ok\n"]);
    assert_all_served(&daemon, &all, "after restoring posts/");

    let original = break_front_matter(&site);
    assert_all_served(&daemon, &all, "right after breaking a post");
    daemon.wait_for_health(&["degraded", "broken posts: 1", "2026-11-12-riverside"]);
    assert_all_served(&daemon, &all, "while a post is broken");
    site.write(POST, original);
    daemon.wait_for_health(&["ok\n"]);
    assert_all_served(&daemon, &all, "after fixing the post");

    let addr = daemon.addr().to_owned();
    let held: Vec<TcpStream> = (0..50).map(|_| half_open(&addr)).collect();
    assert_all_served(&daemon, &all, "with 50 half-open connections");
    let started = Instant::now();
    unsafe_kill_term(daemon.pid());
    let status = daemon.wait_exit(Duration::from_secs(10));
    let took = started.elapsed();
    eprintln!("SIGTERM with 50 half-open connections: exited in {took:?}");
    assert_eq!(
        status,
        Some(0),
        "exit status after SIGTERM (after {took:?})"
    );
    drop(held);
}
