//! Delivery over real SMTP: the real binary talks over TCP to a real SMTP server (aiosmtpd,
//! `tests/support/smtp_server.py`) that answers 250, 451 or 550 per recipient and drops
//! connections on request. What the server received is checked, along with the ledger.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{repo, TempSite};

/// A running test SMTP server; killed when dropped.
struct SmtpServer {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl SmtpServer {
    fn start(dir: &Path, args: &[&str]) -> Option<Self> {
        let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
        let available = Command::new(&python)
            .args(["-c", "import aiosmtpd"])
            .output()
            .is_ok_and(|o| o.status.success());
        if !available {
            if std::env::var("CRIER_REQUIRE_PYTHON").is_ok_and(|v| v == "1") {
                panic!("CRIER_REQUIRE_PYTHON=1 but aiosmtpd is missing: python3 -m pip install aiosmtpd");
            }
            eprintln!("skipping: python3 with aiosmtpd not found");
            return None;
        }
        let mut child = Command::new(python)
            .arg(repo().join("tests/support/smtp_server.py"))
            .arg("--dir")
            .arg(dir)
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start SMTP server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
            .expect("server prints its port");
        Some(SmtpServer {
            child,
            port,
            dir: dir.to_path_buf(),
        })
    }

    /// Recipient -> Message-IDs of the messages the server accepted for it.
    fn received(&self) -> HashMap<String, Vec<String>> {
        let mut out: HashMap<String, Vec<String>> = HashMap::new();
        let Ok(text) = std::fs::read_to_string(self.dir.join("index.jsonl")) else {
            return out;
        };
        for line in text.lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            for to in v["to"].as_array().unwrap() {
                out.entry(to.as_str().unwrap().to_lowercase())
                    .or_default()
                    .push(v["message_id"].as_str().unwrap_or("").to_owned());
            }
        }
        out
    }

    fn count(&self) -> usize {
        std::fs::read_to_string(self.dir.join("index.jsonl"))
            .map(|t| t.lines().count())
            .unwrap_or(0)
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

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
