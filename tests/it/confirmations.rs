//! Confirmation e-mails go through the same sender as the digest: frozen in the ledger as a
//! send of their own, retried after a 4xx, checked against suppressions before they leave,
//! and DKIM-signed like every message. Over real TCP to a real SMTP server.

use std::time::{Duration, Instant};

use crate::common::daemon::Daemon;
use crate::common::smtp::SmtpServer;
use crate::common::{TempSite, NOW};

fn smtp_site(port: u16) -> TempSite {
    let site = TempSite::example();
    let config = site.read("crier.yaml").replace(
        "delivery:\n",
        "delivery:\n  max_attempts: 4\n  retry_base_seconds: 0.05\n",
    );
    site.write(
        "crier.yaml",
        format!("{config}\nsmtp:\n  host: 127.0.0.1\n  port: {port}\n  security: none\n  timeout_seconds: 10\n"),
    );
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

/// (kind, status, attempts) of every delivery to `address` in the ledger.
fn deliveries(site: &TempSite, address: &str) -> Vec<(String, String, i64)> {
    let db = rusqlite::Connection::open(site.path().join("state/crier.db")).unwrap();
    let mut stmt = db
        .prepare(
            "SELECT d.kind, r.status, r.attempts FROM deliveries r JOIN digests d ON d.id = r.digest_id
             WHERE r.address = ?1 ORDER BY d.created",
        )
        .unwrap();
    stmt.query_map([address], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn a_confirmation_that_meets_a_451_is_retried_and_delivered() {
    let work = tempfile::tempdir().unwrap();
    let Some(server) = SmtpServer::start(
        &work.path().join("mail"),
        &["--tempfail", "newbie@example.org:1"],
    ) else {
        return;
    };
    let site = smtp_site(server.port);
    let d = Daemon::start(&site);
    let (status, _, _) = d.request(
        "POST",
        "/subscribe",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        "email=newbie%40example.org&list=members",
    );
    assert_eq!(status, 200);
    assert!(
        wait_for(|| server.received().contains_key("newbie@example.org")),
        "the confirmation was never delivered"
    );
    assert!(wait_for(|| deliveries(&site, "newbie@example.org")
        .first()
        .is_some_and(|d| d.1 == "sent")));
    assert_eq!(
        deliveries(&site, "newbie@example.org"),
        [("confirmation".to_owned(), "sent".to_owned(), 2)],
        "one confirmation send, refused once with 451, then accepted"
    );
    let received = server.received();
    let ids = &received["newbie@example.org"];
    assert_eq!(ids.len(), 1, "delivered once");
    assert!(ids[0].starts_with("<confirm-"), "{ids:?}");
}

#[test]
fn the_sender_holds_a_confirmation_back_from_a_bounced_address_but_not_from_one_that_left() {
    let work = tempfile::tempdir().unwrap();
    let Some(server) = SmtpServer::start(&work.path().join("mail"), &[]) else {
        return;
    };
    let site = smtp_site(server.port);
    let config = crier::config::load(site.path()).unwrap();
    let now: chrono::DateTime<chrono::Utc> = NOW.parse().unwrap();
    {
        let ledger = crier::ledger::Ledger::open(&crier::ledger::Place::of(&config)).unwrap();
        use crier::ledger::SuppressionReason::{Bounced, Unsubscribed};
        ledger
            .suppress("gone@example.org", Bounced, "550 5.1.1", now)
            .unwrap();
        ledger
            .suppress("left@example.org", Unsubscribed, "link", now)
            .unwrap();
    }
    let clock = crier::clock::Clock::fixed(now.fixed_offset());
    let postman = crier::service::mailing::Postman::new(config.clone(), clock)
        .unwrap()
        .unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (_stop, shutdown) = tokio::sync::watch::channel(false);
    let one = |to: &str| crier::service::mailing::OneMessage {
        to: crier::subscribers::Address::parse(to).unwrap(),
        list: "members".into(),
        view: crier::email::views::samples::full()
            .pop()
            .expect("the confirmation sample"),
        at: now,
    };
    let gone = runtime
        .block_on(postman.send_one(one("gone@example.org"), shutdown.clone()))
        .unwrap();
    assert_eq!(
        (gone.sent, gone.skipped),
        (0, 0),
        "not even queued: {gone:?}"
    );
    let left = runtime
        .block_on(postman.send_one(one("left@example.org"), shutdown))
        .unwrap();
    assert_eq!(
        left.sent, 1,
        "someone who left may ask to join again: {left:?}"
    );
    let received = server.received();
    assert!(!received.contains_key("gone@example.org"), "{received:?}");
    assert!(received.contains_key("left@example.org"), "{received:?}");
    assert_eq!(
        deliveries(&site, "gone@example.org"),
        [],
        "a bounced address is kept out when the send is frozen"
    );
}
