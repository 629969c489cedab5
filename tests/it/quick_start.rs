//! The README's quick start, step by step, as a newcomer follows it: the daemon on the example
//! site (no SMTP server: the outbox), subscribe in a real browser, `crier outbox` for the
//! confirmation e-mail's links, confirm, open the preferences from the e-mail, unsubscribe
//! from everything, and the dry run that skips the address. The daemon's log tells each step
//! without ever writing the address.

use std::time::{Duration, Instant};

use crate::browser::{browse, browser_available};
use crate::common::daemon::Daemon;
use crate::common::{TempSite, NOW};

const WHO: &str = "newcomer@example.org";

/// `crier outbox --to WHO` as the README says to run it; returns its output.
fn outbox(site: &TempSite) -> String {
    let out = site.crier(&["outbox", "--to", WHO]).output().unwrap();
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The link of kind `what` the outbox listing gives for this machine, pointed at the daemon
/// (the test's daemon listens on its own port, not the example's 27437).
fn local_link(listing: &str, what: &str, daemon: &str) -> String {
    let mut lines = listing.lines();
    while let Some(line) = lines.next() {
        if line.trim_start().starts_with(what) {
            let local = lines.next().unwrap_or_default();
            let url = local
                .split_whitespace()
                .find(|w| w.starts_with("http://127.0.0.1:"))
                .unwrap_or_else(|| panic!("no local {what} link in:\n{listing}"));
            let (_, rest) = url.split_once("://127.0.0.1:").unwrap();
            let (_, path) = rest.split_once('/').unwrap();
            return format!("http://{daemon}/{path}");
        }
    }
    panic!("no {what} link in:\n{listing}");
}

#[test]
fn the_readme_quick_start_works_step_by_step() {
    let readme = std::fs::read_to_string(crate::common::repo().join("README.md")).unwrap();
    for step in [
        "cargo run --release -- run",
        "cargo run --release -- outbox",
        "Yes, subscribe me",
        "Unsubscribe from\n   everything",
        "cargo run --release -- send --dry-run -v",
    ] {
        assert!(
            readme.contains(step),
            "the README's quick start says `{step}`"
        );
    }
    if !browser_available() {
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    let site = TempSite::example();
    let config = site
        .read("crier.yaml")
        .replace("audience:\n", "audience:\n  form_min_seconds: 1\n");
    site.write("crier.yaml", config);
    let log = scratch.path().join("daemon.log");
    let d = Daemon::start_logged(&site, NOW, &["--no-send"], &log);
    let base = format!("http://{}", d.addr());

    // 1. Subscribe on the home page.
    browse(
        scratch.path(),
        "subscribe",
        serde_json::json!([
            {"open": format!("{base}/"), "width": 390},
            {"fill": "#email", "value": WHO},
            {"wait": 1.3},
            {"click": "form button[type=submit]"},
            {"expect": "h1", "text": "Check your inbox"},
        ]),
    );
    // 2. The outbox, links decoded.
    let started = Instant::now();
    let mut listing = outbox(&site);
    while !listing.contains("confirm ") {
        assert!(started.elapsed() < Duration::from_secs(10), "{listing}");
        std::thread::sleep(Duration::from_millis(50));
        listing = outbox(&site);
    }
    assert!(listing.contains("Confirm your subscription"), "{listing}");
    // 3. Confirm.
    browse(
        scratch.path(),
        "confirm",
        serde_json::json!([
            {"open": local_link(&listing, "confirm", d.addr()), "width": 390},
            {"click": "form button[type=submit]"},
            {"expect": "h1", "text": "You are subscribed"},
        ]),
    );
    // 4. The preferences, from the confirmation e-mail; unsubscribe from everything.
    browse(
        scratch.path(),
        "preferences",
        serde_json::json!([
            {"open": local_link(&listing, "preferences", d.addr()), "width": 390},
            {"expect": "h1", "text": "Your e-mail preferences"},
            {"click": "button[value=leave]"},
            {"expect": "main", "text": "You will get no more e-mails from us."},
        ]),
    );
    d.stop();
    // 5. The next digest skips them.
    let dry = site.crier(&["send", "--dry-run", "-v"]).output().unwrap();
    let dry = String::from_utf8_lossy(&dry.stdout);
    assert!(dry.contains(&format!("{WHO} (unsubscribed)")), "{dry}");

    // The log tells each step, naming the person by a pseudonym only.
    let log = std::fs::read_to_string(&log).unwrap();
    for event in [
        "sign-up: confirmation e-mail sent",
        "no SMTP server: the confirmation e-mail is in the outbox",
        "subscription confirmed",
        "preferences changed",
    ] {
        let line = log
            .lines()
            .find(|l| l.contains(event))
            .unwrap_or_else(|| panic!("the log says `{event}`:\n{log}"));
        assert!(
            line.contains("who=person-") || event.starts_with("no SMTP"),
            "{line}"
        );
    }
    assert!(
        !log.contains(WHO),
        "the address never reaches the log:\n{log}"
    );
}
