//! The sending state machine against the in-memory transport: replies, retries, suppression,
//! shutdown, and a simulated crash at every message.

use std::collections::HashMap;
use std::time::Duration;

use chrono::DateTime;

use super::*;
use crate::delivery::transport::memory::{Crash, MemoryTransport};
use crate::email::{KeySource, Kit, Templates, TokenKey};
use crate::ledger::SendStatus;
use crate::plan::freeze;
use crate::plan::{self, Plan, Request};
use crate::site::test_support::{load, write_site};
use crate::site::Site;

const NOW: &str = "2026-11-30T09:00:00Z";

struct Fixture {
    dir: tempfile::TempDir,
    site: Site,
    kit: Kit,
}

fn fixture(members: usize) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    write_site(dir.path(), members, &[]);
    let site = load(dir.path(), NOW);
    let settings = site.config.newsletter.as_ref().unwrap();
    let kit = Kit {
        templates: Templates::load(&settings.templates_dir, &settings.subject).unwrap(),
        key: TokenKey::from_bytes(&[7; 32]),
        key_source: KeySource::Env,
        dkim: None,
    };
    Fixture { dir, site, kit }
}

impl Fixture {
    fn ledger(&self) -> Ledger {
        Ledger::open(&crate::ledger::Place::file(
            &self.dir.path().join("state/crier.db"),
        ))
        .unwrap()
    }

    fn clock(&self) -> Clock {
        Clock::fixed(DateTime::parse_from_rfc3339(NOW).unwrap())
    }

    /// Plans and freezes the digest (or returns the unfinished one).
    fn frozen(&self) -> Plan {
        let mut ledger = self.ledger();
        let request = Request::Digest { since: None };
        let plan = plan::plan(
            &self.site,
            Some(&ledger),
            &request,
            self.clock().now(),
            false,
        )
        .unwrap();
        freeze::freeze(&plan, &mut ledger, &self.clock()).unwrap();
        plan
    }

    async fn deliver(
        &self,
        plan: &Plan,
        transport: MemoryTransport,
        concurrency: usize,
        shutdown: watch::Receiver<bool>,
    ) -> Outcome {
        let ledger = self.ledger();
        let settings = self.site.config.newsletter.as_ref().unwrap();
        let mut composer = self.kit.composer(settings, plan.outgoing.clone(), plan.at);
        let with = Delivering {
            ledger: &ledger,
            send_id: &plan.id,
            kind: plan.kind,
            composer: &mut composer,
            transport: Arc::new(transport),
            clock: self.clock(),
            fence: None,
        };
        let options = SendOptions {
            concurrency,
            rate_per_second: 0.0,
            retry: RetryPolicy {
                max_attempts: 3,
                base: Duration::from_millis(10),
            },
            from: "news@example.com".into(),
        };
        deliver(with, &options, &mut Silent, shutdown)
            .await
            .unwrap()
    }
}

fn running() -> (watch::Sender<bool>, watch::Receiver<bool>) {
    watch::channel(false)
}

fn per_address(
    taken: &[crate::delivery::transport::memory::Taken],
) -> HashMap<String, Vec<Vec<u8>>> {
    let mut map: HashMap<String, Vec<Vec<u8>>> = HashMap::new();
    for t in taken {
        map.entry(t.to.clone()).or_default().push(t.bytes.clone());
    }
    map
}

#[tokio::test(start_paused = true)]
async fn everyone_gets_one_copy_and_the_send_is_done() {
    let f = fixture(10);
    let plan = f.frozen();
    let transport = MemoryTransport::new();
    let (_tx, rx) = running();
    let outcome = f.deliver(&plan, transport.clone(), 3, rx).await;
    assert_eq!((outcome.sent, outcome.failed, outcome.deferred), (10, 0, 0));
    assert!(outcome.finished && !outcome.interrupted);
    let copies = per_address(&transport.taken());
    assert_eq!(copies.len(), 10);
    assert!(copies.values().all(|c| c.len() == 1));
    let ledger = f.ledger();
    assert_eq!(ledger.counts(&plan.id).unwrap().sent, 10);
    assert_eq!(ledger.recent(1).unwrap()[0].status, SendStatus::Done);
}

#[tokio::test(start_paused = true)]
async fn replies_decide_retry_failure_and_suppression() {
    let f = fixture(4);
    let plan = f.frozen();
    let transport = MemoryTransport::new();
    let busy = || Err(SendError::transient("451 4.3.0 try again later"));
    transport.script("m0@example.com", vec![busy(), busy()]);
    transport.script(
        "m1@example.com",
        vec![Err(SendError::no_such_user("550 5.1.1 no such user"))],
    );
    transport.script(
        "m2@example.com",
        vec![Err(SendError::permanent("554 5.7.1 rejected"))],
    );
    transport.script("m3@example.com", vec![busy(), busy(), busy()]);
    let (_tx, rx) = running();
    let outcome = f.deliver(&plan, transport.clone(), 2, rx).await;
    assert_eq!((outcome.sent, outcome.failed, outcome.deferred), (1, 2, 1));
    assert!(!outcome.finished, "m3 is still queued for the next run");
    let ledger = f.ledger();
    let bounced = ledger.suppressed("m1@example.com").unwrap().unwrap();
    assert_eq!(bounced.reason, crate::ledger::SuppressionReason::Bounced);
    assert!(
        ledger.suppressed("m2@example.com").unwrap().is_none(),
        "a refusal is not a bounce"
    );
    let pending = ledger.pending_after(&plan.id, -1, 10).unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(
        (pending[0].address(), pending[0].attempts),
        ("m3@example.com", 3)
    );

    // The next run sends what was deferred, and nothing else.
    let (_tx, rx) = running();
    let outcome = f.deliver(&plan, transport.clone(), 2, rx).await;
    assert_eq!((outcome.sent, outcome.failed), (1, 0));
    assert!(outcome.finished);
    let copies = per_address(&transport.taken());
    assert_eq!(copies["m0@example.com"].len(), 1);
    assert_eq!(copies["m3@example.com"].len(), 1);
    assert!(!copies.contains_key("m1@example.com") && !copies.contains_key("m2@example.com"));
}

#[tokio::test(start_paused = true)]
async fn a_shutdown_request_stops_new_sends_and_the_rest_resumes() {
    let f = fixture(6);
    let plan = f.frozen();
    let transport = MemoryTransport::new();
    let (tx, rx) = running();
    tx.send(true).unwrap();
    let outcome = f.deliver(&plan, transport.clone(), 2, rx).await;
    assert!(outcome.interrupted && !outcome.finished);
    assert_eq!(outcome.sent, 0);
    let (_tx, rx) = running();
    let outcome = f.deliver(&plan, transport.clone(), 2, rx).await;
    assert!(outcome.finished);
    assert_eq!(per_address(&transport.taken()).len(), 6);
}

/// A crash at every message, before and after the server took it: after a restart everyone
/// has a copy, nobody has more than two, the extra copies are byte-identical (same
/// Message-ID), at most `concurrency` people get two, and the ledger says all were sent.
#[tokio::test(start_paused = true)]
async fn a_crash_at_any_message_loses_nobody_and_duplicates_only_the_in_flight_ones() {
    const MEMBERS: usize = 7;
    const CONCURRENCY: usize = 2;
    for n in 0..MEMBERS {
        for crash in [Crash::Before(n), Crash::After(n)] {
            let f = fixture(MEMBERS);
            let plan = f.frozen();
            let transport = MemoryTransport::new();
            let (_tx, rx) = running();
            let crashed = tokio::time::timeout(
                Duration::from_secs(60),
                f.deliver(&plan, transport.crashing(crash), CONCURRENCY, rx),
            )
            .await;
            assert!(crashed.is_err(), "{crash:?}: the run hangs at the crash");
            // The process is gone: a new one opens the ledger and resumes the frozen send.
            let resumed = plan::plan(
                &f.site,
                Some(&f.ledger()),
                &Request::Digest { since: None },
                f.clock().now(),
                false,
            )
            .unwrap();
            assert!(resumed.is_resumed(), "{crash:?}");
            assert_eq!(resumed.id, plan.id);
            let (_tx, rx) = running();
            let outcome = f
                .deliver(&resumed, transport.clone(), CONCURRENCY, rx)
                .await;
            assert!(outcome.finished, "{crash:?}");
            let copies = per_address(&transport.taken());
            assert_eq!(copies.len(), MEMBERS, "{crash:?}: everyone has a copy");
            let doubled: Vec<_> = copies.iter().filter(|(_, c)| c.len() > 1).collect();
            assert!(
                doubled.len() <= CONCURRENCY,
                "{crash:?}: {} doubled",
                doubled.len()
            );
            for (address, c) in &doubled {
                assert_eq!(c.len(), 2, "{crash:?} {address}");
                assert_eq!(c[0], c[1], "{crash:?} {address}: the same message again");
            }
            if let Crash::After(_) = crash {
                assert!(
                    !doubled.is_empty(),
                    "{crash:?}: the taken message is sent again"
                );
            }
            let counts = f.ledger().counts(&plan.id).unwrap();
            assert_eq!(
                (counts.sent, counts.pending()),
                (MEMBERS as i64, 0),
                "{crash:?}"
            );
        }
    }
}

#[tokio::test(start_paused = true)]
async fn someone_who_unsubscribes_after_the_freeze_is_not_mailed() {
    let f = fixture(4);
    let plan = f.frozen();
    f.ledger()
        .suppress(
            "M2@example.com",
            crate::ledger::SuppressionReason::Unsubscribed,
            "link",
            f.clock().now_utc(),
        )
        .unwrap();
    let transport = MemoryTransport::new();
    let (_tx, rx) = running();
    let outcome = f.deliver(&plan, transport.clone(), 2, rx).await;
    assert_eq!((outcome.sent, outcome.skipped), (3, 1));
    assert!(outcome.finished);
    assert!(!per_address(&transport.taken()).contains_key("m2@example.com"));
    let counts = f.ledger().counts(&plan.id).unwrap();
    assert_eq!((counts.sent, counts.skipped, counts.pending()), (3, 1, 0));
}

#[tokio::test(start_paused = true)]
async fn a_send_task_that_panics_leaves_its_row_queued_for_the_next_run() {
    let f = fixture(3);
    let plan = f.frozen();
    let transport = MemoryTransport::new();
    let (_tx, rx) = running();
    let outcome = f
        .deliver(&plan, transport.crashing(Crash::Panic(1)), 1, rx)
        .await;
    assert_eq!((outcome.sent, outcome.deferred), (2, 1));
    assert!(!outcome.finished);
    let pending = f.ledger().pending_after(&plan.id, -1, 10).unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].status, crate::ledger::Status::Queued);
    let (_tx, rx) = running();
    let outcome = f.deliver(&plan, transport.clone(), 1, rx).await;
    assert!(outcome.finished);
    assert_eq!(per_address(&transport.taken()).len(), 3);
}
