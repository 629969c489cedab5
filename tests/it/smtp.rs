//! Delivery over real SMTP: the real binary talks over TCP to a real SMTP server (aiosmtpd,
//! `tests/support/smtp_server.py`) that answers 250, 451 or 550 per recipient and drops
//! connections on request. What the server received is checked, along with the ledger.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::smtp::SmtpServer;
use crate::common::TempSite;

fn smtp_site(port: u16, subscribers: &str, connections: u32) -> TempSite {
    smtp_site_with(port, subscribers, connections, "")
}

fn smtp_site_with(port: u16, subscribers: &str, connections: u32, extra_smtp: &str) -> TempSite {
    let site = TempSite::example();
    // The example config has a `delivery:` section; the test's settings replace it.
    let config = site.read("crier.yaml").replace(
        "delivery:\n",
        "delivery:\n  max_attempts: 5\n  retry_base_seconds: 0.05\n",
    );
    site.write(
        "crier.yaml",
        format!(
            "{config}\nsmtp:\n  host: 127.0.0.1\n  port: {port}\n  security: none\n  timeout_seconds: 10\n  max_connections: {connections}\n{extra_smtp}"
        ),
    );
    site.write("subscribers/members.csv", subscribers);
    site.write("subscribers/speakers.csv", "email\n");
    site
}

#[test]
fn smtp_replies_are_retried_recorded_and_suppressed() {
    let work = tempfile::tempdir().unwrap();
    let Some(server) = SmtpServer::start(
        &work.path().join("mail"),
        &[
            "--tempfail",
            "slow@example.com:2",
            "--reject",
            "nobody@example.com",
            "--drop",
            "2",
        ],
    ) else {
        return;
    };
    let site = smtp_site(
        server.port,
        "email,name\nada@example.com,Ada\nslow@example.com,Slow\nnobody@example.com,Nobody\ngrace@example.org,Grace\nlinus@example.com,\n",
        1,
    );
    let out = site.crier(&["send"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");

    let received = server.received();
    for address in [
        "ada@example.com",
        "slow@example.com",
        "grace@example.org",
        "linus@example.com",
    ] {
        assert_eq!(
            received.get(address).map(Vec::len),
            Some(1),
            "{address}: {received:?}\n{stderr}"
        );
    }
    assert!(!received.contains_key("nobody@example.com"));
    assert!(stdout.contains("4 sent, 1 failed, 0 pending"), "{stdout}");
    assert!(
        stdout.contains("failed nobody@example.com: permanent error (550): 5.1.1"),
        "{stdout}"
    );

    let status = site.crier(&["status"]).output().unwrap();
    let status = String::from_utf8_lossy(&status.stdout);
    assert!(status.contains("4 sent, 0 pending, 1 failed"), "{status}");

    // The hard bounce is suppressed: the next digest does not go to it, though it is still in
    // the CSV file, and `check` says it will be skipped.
    let check = site.crier(&["check"]).output().unwrap();
    let check = String::from_utf8_lossy(&check.stdout);
    assert!(
        check.contains("nobody@example.com is suppressed (bounced: permanent error (550): 5.1.1"),
        "{check}"
    );
    let out = site.crier(&["send"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let received = server.received();
    assert!(!received.contains_key("nobody@example.com"));
    assert_eq!(received["ada@example.com"].len(), 2);
    assert_ne!(
        received["ada@example.com"][0], received["ada@example.com"][1],
        "a new digest has new Message-IDs"
    );
}

#[test]
fn an_unreachable_server_delays_the_digest_without_losing_it() {
    let site = smtp_site(1, "email\nada@example.com\n", 1);
    let out = site.crier(&["send"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("0 sent, 0 failed, 1 pending"), "{stdout}");
    assert!(stdout.contains("run `crier send` again"), "{stdout}");

    // The server comes back: the same digest is resumed and finished.
    let work = tempfile::tempdir().unwrap();
    let Some(server) = SmtpServer::start(&work.path().join("mail"), &[]) else {
        return;
    };
    let config = site
        .read("crier.yaml")
        .replace("port: 1\n", &format!("port: {}\n", server.port));
    site.write("crier.yaml", config);
    let out = site.crier(&["send"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("resuming digest"), "{stdout}");
    assert_eq!(server.received()["ada@example.com"].len(), 1);
}

#[test]
fn kill_9_mid_send_then_resume_delivers_everyone_exactly_once() {
    const N: usize = 2000;
    const CONNECTIONS: u32 = 4;
    let work = tempfile::tempdir().unwrap();
    let Some(server) = SmtpServer::start(&work.path().join("mail"), &[]) else {
        return;
    };
    let mut csv = String::from("email,name\n");
    for i in 0..N {
        csv.push_str(&format!("member{i}@example.com,Member {i}\n"));
    }
    // A rate limit keeps the send going long enough to be killed in the middle.
    let site = smtp_site_with(server.port, &csv, CONNECTIONS, "  rate_per_second: 500\n");

    let mut child = site
        .crier_std(&["send"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while server.count() < N / 4 && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let before = server.count();
    assert!(
        before > 0 && before < N,
        "killed mid-way: {before} of {N} delivered"
    );

    let out = site.crier(&["send"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("resuming digest"), "{stdout}");
    assert!(
        stdout.contains(&format!("{N} sent, 0 failed, 0 pending")),
        "{stdout}"
    );

    let received = server.received();
    let mut duplicates = 0;
    for i in 0..N {
        let ids = received
            .get(&format!("member{i}@example.com"))
            .unwrap_or_else(|| panic!("member{i} got nothing"));
        if ids.len() > 1 {
            duplicates += ids.len() - 1;
            assert!(
                ids.iter().all(|id| id == &ids[0]),
                "a re-sent message keeps its Message-ID: {ids:?}"
            );
        }
    }
    assert!(
        duplicates <= CONNECTIONS as usize,
        "{duplicates} duplicates, more than the {CONNECTIONS} in flight"
    );
}

/// The daemon does not leave a send with deferred messages until the next slot: it tries it
/// again after `delivery.retry_unfinished_seconds`, and everyone gets exactly one copy.
#[test]
fn the_daemon_retries_deferred_messages_without_waiting_for_the_next_slot() {
    let work = tempfile::tempdir().unwrap();
    // 451 for the first six attempts: two attempts per run, so three runs defer it.
    let Some(server) = SmtpServer::start(
        &work.path().join("mail"),
        &["--tempfail", "slow@example.com:6"],
    ) else {
        return;
    };
    let site = smtp_site(
        server.port,
        "email,name\nada@example.com,Ada\nslow@example.com,Slow\ngrace@example.org,Grace\n",
        1,
    );
    let config = site
        .read("crier.yaml")
        .replace(
            "  max_attempts: 5\n",
            "  max_attempts: 2\n  retry_unfinished_seconds: 1\n",
        )
        .replace("schedule: \"0 9 * * MON\"", "schedule: \"0 9 * * WED\"");
    site.write("crier.yaml", config);
    let daemon = crate::common::daemon::Daemon::start(&site);
    let started = Instant::now();
    while !server.received().contains_key("slow@example.com") {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the deferred message was never retried: {:?}",
            server.received()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    daemon.wait_for_health(&["scheduler: waiting until 2026-12-02T09:00:00"]);
    assert_eq!(daemon.stop(), Some(0));
    let received = server.received();
    assert_eq!(received.len(), 3, "{received:?}");
    assert!(received.values().all(|ids| ids.len() == 1), "{received:?}");
    let status = site.crier(&["status"]).output().unwrap();
    let status = String::from_utf8_lossy(&status.stdout);
    assert!(status.contains("3 sent, 0 pending, 0 failed"), "{status}");
}
