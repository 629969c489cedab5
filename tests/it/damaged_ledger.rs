//! A damaged, missing, replaced or busy ledger never leads to mail for someone who left: the
//! send stops with a message that says what is wrong and how to restore, the daemon says
//! `degraded`, an unsubscribe made meanwhile is kept, and a backup puts everything back.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use crate::common::daemon::Daemon;
use crate::common::{TempSite, TEST_KEY};

const LEFT: &str = "grace@example.org";
const POST: &str = "call-for-speakers-2026";

fn ok(out: Output) -> String {
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

/// The example site after one digest went out and one member unsubscribed.
fn site_that_has_sent() -> TempSite {
    let site = TempSite::example();
    ok(site.crier(&["send"]).output().unwrap());
    ok(site
        .crier(&["suppressions", "add", LEFT, "--reason", "unsubscribed"])
        .output()
        .unwrap());
    site
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Messages in the outbox addressed to `who`.
fn mail_to(site: &TempSite, who: &str) -> usize {
    files(&site.path().join("outbox"))
        .iter()
        .filter(|p| p.to_string_lossy().ends_with(&format!("-{who}.eml")))
        .count()
}

fn key() -> crier::email::TokenKey {
    crier::email::TokenKey::from_bytes(TEST_KEY.as_bytes())
}

/// `/unsubscribe?token=…` for `who` (a message on the members list).
fn unsubscribe_path(who: &str) -> String {
    let token = key().token("members", &crier::subscribers::Address::unchecked(who));
    format!("/unsubscribe?token={token}")
}

/// `/preferences?token=…` for `who`.
fn preferences_path(who: &str) -> String {
    let token = key().preferences_token(&crier::subscribers::Address::unchecked(who));
    format!("/preferences?token={token}")
}

fn db(site: &TempSite) -> PathBuf {
    site.path().join("state/crier.db")
}

fn sibling(site: &TempSite, suffix: &str) -> PathBuf {
    PathBuf::from(format!("{}{suffix}", db(site).display()))
}

/// Each kind of damage, applied to a site that has sent.
fn damage(site: &TempSite, kind: &str) {
    let path = db(site);
    let bytes = std::fs::read(&path).unwrap();
    match kind {
        "missing" => std::fs::remove_file(&path).unwrap(),
        "emptied" => std::fs::write(&path, b"").unwrap(),
        "truncated" => std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap(),
        "corrupted" => {
            let mut bytes = bytes;
            let page = 4096;
            for b in &mut bytes[page..page * 3] {
                *b = 0x5A;
            }
            std::fs::write(&path, bytes).unwrap();
        }
        "garbage wal" => std::fs::write(sibling(site, "-wal"), vec![0xA7; 8192]).unwrap(),
        "garbage shm" => std::fs::write(sibling(site, "-shm"), vec![0x3C; 32768]).unwrap(),
        "unknown word" => {
            let conn = rusqlite::Connection::open(&path).unwrap();
            conn.execute(
                "UPDATE suppressions SET reason = 'unsubscribd' WHERE address = ?1",
                [LEFT],
            )
            .unwrap();
        }
        "replaced" => {
            std::fs::remove_file(&path).unwrap();
            let conn = rusqlite::Connection::open(&path).unwrap();
            conn.execute_batch("PRAGMA journal_mode=WAL; CREATE TABLE t(x);")
                .unwrap();
        }
        other => panic!("no damage {other}"),
    }
}

const DAMAGES: &[&str] = &[
    "missing",
    "emptied",
    "truncated",
    "corrupted",
    "garbage wal",
    "garbage shm",
    "unknown word",
    "replaced",
];

#[test]
fn no_damaged_ledger_ever_mails_someone_who_left() {
    for kind in DAMAGES {
        let site = site_that_has_sent();
        assert_eq!(mail_to(&site, LEFT), 1, "the first digest reached them");
        damage(&site, kind);
        let dry = site
            .crier(&["send", "--dry-run", "--post", POST])
            .output()
            .unwrap();
        let sent = site.crier(&["send", "--post", POST]).output().unwrap();
        let stderr = String::from_utf8_lossy(&sent.stderr).into_owned();
        assert_eq!(
            mail_to(&site, LEFT),
            1,
            "{kind}: nothing more went to someone who left\n{stderr}"
        );
        if *kind == "garbage shm" {
            // SQLite rebuilds its shared-memory index from the log: nothing is lost, and the
            // send goes out without them.
            assert!(sent.status.success(), "{kind}: {stderr}");
            assert_eq!(mail_to(&site, "ada@example.com"), 2, "{kind}");
            continue;
        }
        assert!(!sent.status.success(), "{kind}: the send stops");
        assert!(!dry.status.success(), "{kind}: the dry run stops too");
        assert_eq!(mail_to(&site, "ada@example.com"), 1, "{kind}: nothing sent");
        assert!(
            stderr.contains("state/crier.db") && stderr.contains("crier state restore"),
            "{kind}: the error names the file and the way back: {stderr}"
        );
        let why = match *kind {
            "missing" => "is missing, but this site has sent before",
            "emptied" => "the file is empty",
            "truncated" => "cut short",
            "corrupted" => "damaged",
            "garbage wal" => "write-ahead log",
            "unknown word" => "`unsubscribd`",
            "replaced" => "not the ledger this site has been using",
            _ => unreachable!(),
        };
        assert!(stderr.contains(why), "{kind}: {stderr}");
        let check = site.crier(&["state", "check"]).output().unwrap();
        assert_eq!(check.status.code(), Some(1), "{kind}: state check fails");
    }
}

#[test]
fn a_backup_restores_sends_deliveries_people_consent_and_suppressions() {
    let site = site_that_has_sent();
    ok(site
        .crier(&["subscribers", "add", "new@example.com", "--list", "members"])
        .output()
        .unwrap());
    let snapshot = |site: &TempSite| -> Vec<String> {
        let conn = rusqlite::Connection::open(db(site)).unwrap();
        [
            "SELECT id, kind, created, at, status FROM digests ORDER BY id",
            "SELECT digest_id, address, status, attempts FROM deliveries ORDER BY digest_id, address",
            "SELECT address_key, address, name, attrs, created_at FROM people ORDER BY address_key",
            "SELECT address_key, list, status, source, opted_in_at, confirmed_at, changed_at FROM memberships ORDER BY address_key, list",
            "SELECT address, reason, detail, at FROM suppressions ORDER BY address",
        ]
        .iter()
        .flat_map(|sql| {
            let mut stmt = conn.prepare(sql).unwrap();
            let n = stmt.column_count();
            stmt.query_map([], |r| {
                Ok((0..n)
                    .map(|i| format!("{:?}", r.get::<_, rusqlite::types::Value>(i).unwrap()))
                    .collect::<Vec<_>>()
                    .join("|"))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect::<Vec<_>>()
        })
        .collect()
    };
    let before = snapshot(&site);
    assert!(before.len() >= 10, "{before:?}");
    let backup = ok(site.crier(&["state", "backup"]).output().unwrap());
    let backup = site.path().join(backup.trim());
    assert!(backup.exists(), "{}", backup.display());
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&backup).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600, "a backup is private");

    // A corrupt copy is refused, and changes nothing.
    let corrupt = site.path().join("state/corrupt.db");
    let mut bytes = std::fs::read(&backup).unwrap();
    let n = bytes.len();
    bytes.truncate(n / 2);
    std::fs::write(&corrupt, bytes).unwrap();
    let refused = site
        .crier(&["state", "restore"])
        .arg(&corrupt)
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not restored"));
    assert_eq!(snapshot(&site), before);

    // Restoring over a ledger that changed since the copy needs --force.
    ok(site
        .crier(&["suppressions", "add", "linus@example.com"])
        .output()
        .unwrap());
    let newer = site
        .crier(&["state", "restore"])
        .arg(&backup)
        .output()
        .unwrap();
    assert!(!newer.status.success());
    assert!(String::from_utf8_lossy(&newer.stderr).contains("--force"));

    // The ledger damaged: restored without --force, the damaged files kept aside.
    damage(&site, "corrupted");
    let restored = ok(site
        .crier(&["state", "restore"])
        .arg(&backup)
        .output()
        .unwrap());
    assert!(restored.contains("kept at"), "{restored}");
    assert_eq!(snapshot(&site), before);
    ok(site.crier(&["state", "check"]).output().unwrap());
    let dry = ok(site
        .crier(&["send", "--dry-run", "--post", POST, "-v"])
        .output()
        .unwrap());
    assert!(dry.contains(&format!("{LEFT} (unsubscribed)")), "{dry}");
}

/// One-click unsubscribes and preference changes while another process holds the ledger's
/// write lock for 45 seconds are answered at once, kept, and applied before the next send.
#[test]
fn an_unsubscribe_during_a_45_second_write_lock_is_kept() {
    let site = site_that_has_sent();
    let d = Daemon::start(&site);
    d.wait_for_health(&["ok"]);

    let holder = {
        let path = db(&site);
        std::thread::spawn(move || {
            let conn = rusqlite::Connection::open(path).unwrap();
            conn.execute_batch("BEGIN IMMEDIATE; CREATE TABLE IF NOT EXISTS held (x);")
                .unwrap();
            std::thread::sleep(Duration::from_secs(45));
            conn.execute_batch("ROLLBACK").unwrap();
        })
    };
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    let (status, _, body) = d.request(
        "POST",
        &unsubscribe_path("ada@example.com"),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        "List-Unsubscribe=One-Click",
    );
    let waited = started.elapsed();
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("You are unsubscribed"), "{body}");
    assert!(waited < Duration::from_secs(10), "answered in {waited:?}");
    // A preference change ("leave everything") for another member, during the same lock.
    let token =
        key().preferences_token(&crier::subscribers::Address::unchecked("linus@example.com"));
    let (status, _, body) = d.request(
        "POST",
        "/preferences",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        &format!("token={token}&action=leave"),
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Your choices are saved"), "{body}");
    d.wait_for_health(&["member requests waiting for the ledger: 2"]);
    holder.join().unwrap();
    let started = Instant::now();
    loop {
        let health = d.get("/healthz").2;
        if health.starts_with("ok\n") && !health.contains("member requests waiting") {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "the request was never applied: {health}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(d);
    let dry = ok(site
        .crier(&["send", "--dry-run", "--post", POST, "-v"])
        .output()
        .unwrap());
    assert!(dry.contains("ada@example.com (unsubscribed)"), "{dry}");
    assert!(dry.contains("linus@example.com (unsubscribed)"), "{dry}");
}

/// While the ledger is damaged, `/healthz` says so, the pages that need it answer 503, and a
/// one-click unsubscribe is still kept; after a restore it applies and sending resumes.
#[test]
fn the_daemon_reports_a_damaged_ledger_and_keeps_unsubscribes_until_restored() {
    let site = site_that_has_sent();
    let backup = ok(site.crier(&["state", "backup"]).output().unwrap());
    let (unsubscribe, preferences) = (
        unsubscribe_path("linus@example.com"),
        preferences_path("linus@example.com"),
    );
    damage(&site, "truncated");
    let d = Daemon::start(&site);
    let health = d.wait_for_health(&["degraded", "ledger:", "cut short"]);
    assert!(health.starts_with("degraded\nledger: "), "{health}");
    assert_eq!(d.get(&preferences).0, 503);
    let (status, _, body) = d.request(
        "POST",
        &unsubscribe,
        &[("Content-Type", "application/x-www-form-urlencoded")],
        "List-Unsubscribe=One-Click",
    );
    assert_eq!(status, 200, "{body}");
    ok(site
        .crier(&["state", "restore"])
        .arg(site.path().join(backup.trim()))
        .output()
        .unwrap());
    let health = d.wait_for_health(&["ok\n"]);
    assert!(!health.contains("ledger:"), "{health}");
    assert_eq!(d.get(&preferences).0, 200);
    drop(d);
    let dry = ok(site
        .crier(&["send", "--dry-run", "--post", POST, "-v"])
        .output()
        .unwrap());
    assert!(dry.contains("linus@example.com (unsubscribed)"), "{dry}");
    assert!(dry.contains(&format!("{LEFT} (unsubscribed)")), "{dry}");
}

/// Deleting files in `state/` while a digest goes out (a clean-up script, an organiser
/// tidying up) never lets a second sender start the same send: nobody gets it twice.
#[test]
fn a_second_sender_never_duplicates_a_send_whatever_is_deleted_in_state() {
    use crate::common::smtp::SmtpServer;
    let work = tempfile::tempdir().unwrap();
    let Some(server) = SmtpServer::start(&work.path().join("mail"), &[]) else {
        return;
    };
    let site = TempSite::example();
    let members: Vec<String> = (0..40).map(|i| format!("m{i:02}@example.net")).collect();
    site.write(
        "subscribers/members.csv",
        format!("email\n{}\n", members.join("\n")),
    );
    site.write("subscribers/speakers.csv", "email\n");
    let config = site.read("crier.yaml");
    site.write(
        "crier.yaml",
        format!(
            "{config}\nsmtp:\n  host: 127.0.0.1\n  port: {}\n  security: none\n  rate_per_second: 10\n  max_connections: 2\n",
            server.port
        ),
    );
    let first = site
        .crier_std(&["send", "--post", POST])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while server.count() < 3 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the send never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Everything in state/ that is not the ledger itself goes.
    for f in files(&site.path().join("state")) {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with("crier.db") {
            std::fs::remove_file(&f).unwrap();
        }
    }
    let second = site.crier(&["send", "--post", POST]).output().unwrap();
    let mut first = first;
    assert!(first.wait().unwrap().success());
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(
        stderr.contains("is sending for this site") && stderr.contains("state/crier.db"),
        "the second sender is told who sends, and where that is recorded: {stderr}"
    );
    let received = server.received();
    for m in &members {
        assert_eq!(received.get(m).map_or(0, Vec::len), 1, "{m}: {received:?}");
    }
    assert_eq!(server.count(), members.len());
}
