use std::collections::BTreeMap;

use super::*;
use crate::email::{Kind, Outgoing};

fn now() -> DateTime<Utc> {
    "2026-11-30T09:00:00Z".parse().unwrap()
}

fn send(id: &str) -> SendRow {
    SendRow {
        id: id.into(),
        kind: SendKind::Digest,
        created: now(),
        at: now(),
        summary: SendSummary::default(),
        outgoing: Outgoing {
            kind: Kind::Digest,
            data: serde_json::json!({}),
            scope: id.into(),
            ics: None,
            note: None,
        },
        status: SendStatus::Sending,
    }
}

fn sub(address: &str) -> Subscriber {
    Subscriber {
        email: crate::subscribers::Address::unchecked(address),
        name: None,
        attrs: BTreeMap::new(),
        list: "members".into(),
    }
}

fn freeze(ledger: &mut Ledger, id: &str, addresses: &[&str]) -> usize {
    ledger
        .freeze_with(&send(id), now(), |insert| {
            for a in addresses {
                insert.add(&sub(a))?;
            }
            Ok::<(), LedgerError>(())
        })
        .unwrap()
}

#[test]
fn freeze_deliver_and_finish_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state/crier.db");
    let mut ledger = Ledger::open(&crate::ledger::Place::file(&path)).unwrap();
    ledger
        .suppress(
            "Gone@Example.com",
            SuppressionReason::Unsubscribed,
            "members",
            now(),
        )
        .unwrap();
    let queued = freeze(
        &mut ledger,
        "d1",
        &["a@example.com", "b@example.com", "gone@example.com"],
    );
    assert_eq!(queued, 2, "suppressed left out");
    ledger
        .mark("d1", "a@example.com", Status::Sending, None, false, now())
        .unwrap();
    ledger
        .mark(
            "d1",
            "a@example.com",
            Status::Sent,
            Some("250 ok"),
            true,
            now(),
        )
        .unwrap();
    ledger
        .mark("d1", "b@example.com", Status::Sending, None, false, now())
        .unwrap();
    drop(ledger);

    // "Crash": reopen; b is uncertain and pending, a is done.
    let ledger = Ledger::open(&crate::ledger::Place::file(&path)).unwrap();
    assert_eq!(ledger.unfinished().unwrap().unwrap().id, "d1");
    let pending = ledger.pending_after("d1", -1, 100).unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(
        (pending[0].address(), pending[0].status),
        ("b@example.com", Status::Sending)
    );
    ledger
        .mark(
            "d1",
            "b@example.com",
            Status::Failed,
            Some("550 5.1.1 no such user"),
            true,
            now(),
        )
        .unwrap();
    assert!(ledger.finish_if_done("d1").unwrap());
    assert_eq!(
        ledger.counts("d1").unwrap(),
        Counts {
            queued: 0,
            sending: 0,
            sent: 1,
            failed: 1,
            skipped: 0
        }
    );
    assert_eq!(
        ledger.failures("d1").unwrap()[0].1,
        "550 5.1.1 no such user"
    );
    assert!(ledger.unfinished().unwrap().is_none());
    let gone = ledger.suppressed("GONE@example.com").unwrap().unwrap();
    assert_eq!(gone.reason, SuppressionReason::Unsubscribed);
    assert_eq!(gone.at, now());
}

#[test]
fn the_last_digest_is_the_latest_instant_whatever_the_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let mut ledger =
        Ledger::open(&crate::ledger::Place::file(&dir.path().join("crier.db"))).unwrap();
    // 09:30+02:00 is 07:30Z: earlier than 08:00Z, though its text sorts later.
    let early = DateTime::parse_from_rfc3339("2026-06-01T09:30:00+02:00").unwrap();
    let late = DateTime::parse_from_rfc3339("2026-06-01T08:00:00+00:00").unwrap();
    for (id, at) in [("late", late), ("early", early)] {
        let row = SendRow {
            at: at.with_timezone(&Utc),
            created: at.with_timezone(&Utc),
            ..send(id)
        };
        ledger
            .freeze_with(&row, now(), |_| Ok::<(), LedgerError>(()))
            .unwrap();
    }
    assert_eq!(ledger.last_digest().unwrap().unwrap().id, "late");
    assert_eq!(ledger.recent(1).unwrap()[0].id, "late");
}

#[test]
fn open_existing_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state/crier.db");
    assert!(Ledger::open_existing(&crate::ledger::Place::file(&path))
        .unwrap()
        .is_none());
    assert!(!path.exists() && !dir.path().join("state").exists());
}

/// A ledger exactly as release 1 wrote it: mixed offsets, free-text reasons.
fn v1_database(path: &Path) {
    let conn = Connection::open(path).unwrap();
    schema::create_v1(&conn).unwrap();
    let outgoing = r#"{"kind":"digest","data":{},"scope":"digest-x","ics":null}"#;
    conn.execute_batch(&format!(
        "INSERT INTO digests VALUES ('d-old', 'digest', '2026-05-04T09:00:00.123+01:00', '2026-05-04T09:00:00+01:00', '{{\"recaps\":[\"https://e.example/a\"],\"event\":null}}', '{outgoing}', 'done');
         INSERT INTO digests VALUES ('d-new', 'digest', '2026-05-04T08:30:00.000+00:00', '2026-05-04T08:30:00+00:00', '{{\"recaps\":[],\"event\":null}}', '{outgoing}', 'sending');
         INSERT INTO digests VALUES ('p-1', 'post', '2026-05-05T10:00:00+00:00', '2026-05-05T10:00:00+00:00', '{{\"post\":\"hello\"}}', '{outgoing}', 'done');
         INSERT INTO deliveries VALUES ('d-new', 0, 'members', 'a@example.com', '{{\"email\":\"a@example.com\",\"name\":\"A\",\"attrs\":{{}},\"list\":\"members\"}}', 'sent', 1, '250 ok', '2026-05-04T08:30:01+00:00');
         INSERT INTO deliveries VALUES ('d-new', 1, 'members', 'b@example.com', '{{\"email\":\"b@example.com\",\"name\":null,\"attrs\":{{\"city\":\"London\"}},\"list\":\"members\"}}', 'sending', 0, NULL, '2026-05-04T09:30:01+01:00');
         INSERT INTO suppressions VALUES ('c@example.com', 'unsubscribed from members via link', '2026-05-04T10:00:00+01:00');
         INSERT INTO suppressions VALUES ('d@example.com', 'hard bounce: 550 5.1.1 no such user', '2026-05-04T10:00:00+00:00');"
    ))
    .unwrap();
}

#[test]
fn a_release_1_ledger_migrates_without_losing_a_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crier.db");
    v1_database(&path);
    let ledger = Ledger::open(&crate::ledger::Place::file(&path)).unwrap();
    let count = |table: &str| -> i64 {
        ledger
            .conn
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(
        (count("digests"), count("deliveries"), count("suppressions")),
        (3, 2, 2)
    );
    // 08:30Z is later than 09:00+01:00 (08:00Z): the text order had it the other way round.
    assert_eq!(ledger.last_digest().unwrap().unwrap().id, "d-new");
    let unfinished = ledger.unfinished().unwrap().unwrap();
    assert_eq!(unfinished.id, "d-new");
    assert_eq!(
        unfinished.at,
        "2026-05-04T08:30:00Z".parse::<DateTime<Utc>>().unwrap()
    );
    let pending = ledger.pending_after("d-new", -1, 10).unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].subscriber.attrs["city"], "London");
    let old = ledger.recent(10).unwrap();
    assert_eq!(old.len(), 3);
    let digest = old.iter().find(|r| r.id == "d-old").unwrap();
    assert_eq!(
        digest.summary.recaps,
        vec!["https://e.example/a".to_owned()]
    );
    assert_eq!(
        digest.created,
        "2026-05-04T08:00:00.123Z".parse::<DateTime<Utc>>().unwrap()
    );
    let bounced = ledger.suppressed("d@example.com").unwrap().unwrap();
    assert_eq!(bounced.reason, SuppressionReason::Bounced);
    assert_eq!(bounced.detail, "550 5.1.1 no such user");
    let unsubscribed = ledger.suppressed("c@example.com").unwrap().unwrap();
    assert_eq!(unsubscribed.reason, SuppressionReason::Unsubscribed);
    assert_eq!(
        unsubscribed.at,
        "2026-05-04T09:00:00Z".parse::<DateTime<Utc>>().unwrap()
    );
    let version: usize = ledger
        .conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, schema::VERSION);
}

#[test]
fn a_ledger_from_a_newer_release_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crier.db");
    let conn = Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let err = Ledger::open(&crate::ledger::Place::file(&path))
        .err()
        .expect("refused");
    assert!(err.to_string().contains("newer crier"), "{err}");
}

#[test]
fn the_ledger_release_1_wrote_opens_with_every_row_and_the_right_last_digest() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ledger-v1/crier.db");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crier.db");
    std::fs::copy(&fixture, &path).unwrap();
    let ledger = Ledger::open(&crate::ledger::Place::file(&path)).unwrap();
    let recent = ledger.recent(10).unwrap();
    assert_eq!(recent.len(), 3);
    for row in &recent {
        assert_eq!(ledger.counts(&row.id).unwrap().sent, 6, "{}", row.id);
        assert_eq!(row.status, SendStatus::Done);
    }
    // Release 1 chose the 09:30+02:00 digest by text; the later instant is 08:00Z.
    let last = ledger.last_digest().unwrap().unwrap();
    assert_eq!(last.id, "digest-680e8d2b8f9faa34-20260601T080000.000");
    assert_eq!(
        last.at,
        "2026-06-01T08:00:00Z".parse::<DateTime<Utc>>().unwrap()
    );
    let ada = ledger.suppressed("ada@example.com").unwrap().unwrap();
    assert_eq!(ada.reason, SuppressionReason::Unsubscribed);
    assert_eq!(
        ada.at,
        "2026-06-03T11:00:00Z".parse::<DateTime<Utc>>().unwrap()
    );
    let deliveries: i64 = ledger
        .conn
        .query_row("SELECT count(*) FROM deliveries", [], |r| r.get(0))
        .unwrap();
    assert_eq!(deliveries, 18);
}

#[test]
fn processes_opening_a_new_ledger_at_once_all_succeed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state/crier.db");
    let handles: Vec<_> = (0..6)
        .map(|_| {
            let path = path.clone();
            std::thread::spawn(move || Ledger::open(&crate::ledger::Place::file(&path)).map(|_| ()))
        })
        .collect();
    for handle in handles {
        handle.join().unwrap().expect("every opener succeeds");
    }
    let ledger = Ledger::open(&crate::ledger::Place::file(&path)).unwrap();
    let version: usize = ledger
        .conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, schema::VERSION);
}

#[test]
fn suppressions_match_addresses_whatever_their_unicode_case() {
    let dir = tempfile::tempdir().unwrap();
    let mut ledger =
        Ledger::open(&crate::ledger::Place::file(&dir.path().join("crier.db"))).unwrap();
    ledger
        .suppress(
            "Émile@Example.com",
            SuppressionReason::Unsubscribed,
            "link",
            now(),
        )
        .unwrap();
    assert!(ledger.suppressed("émile@example.com").unwrap().is_some());
    assert!(ledger
        .suppressions()
        .unwrap()
        .contains_key("émile@example.com"));
    assert_eq!(
        freeze(&mut ledger, "d1", &["ÉMILE@example.com", "ada@example.com"]),
        1
    );
}

#[test]
fn release_2_suppressions_are_lower_cased_by_unicode_rules() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crier.db");
    v1_database(&path);
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(
        "INSERT INTO suppressions VALUES ('Émile@example.com', 'unsubscribed from members via link', '2026-05-04T10:00:00+01:00');
         INSERT INTO suppressions VALUES ('émile@example.com', 'unsubscribed from speakers via link', '2026-05-05T10:00:00+01:00');",
    )
    .unwrap();
    drop(conn);
    let ledger = Ledger::open(&crate::ledger::Place::file(&path)).unwrap();
    let all = ledger.suppressions().unwrap();
    assert_eq!(all.len(), 3, "{all:?}");
    let emile = &all["émile@example.com"];
    assert!(
        emile.detail.contains("members"),
        "the earliest is kept: {emile:?}"
    );
}

#[test]
fn only_finished_digests_that_reached_someone_count_as_sent() {
    let dir = tempfile::tempdir().unwrap();
    let mut ledger =
        Ledger::open(&crate::ledger::Place::file(&dir.path().join("crier.db"))).unwrap();
    // d1 reached a@; d2 was refused for everyone; d3 is still sending.
    freeze(&mut ledger, "d1", &["a@example.com"]);
    freeze(&mut ledger, "d2", &["b@example.com"]);
    freeze(&mut ledger, "d3", &["c@example.com"]);
    let reply = Some("250 ok");
    ledger
        .mark("d1", "a@example.com", Status::Sent, reply, true, now())
        .unwrap();
    ledger
        .mark("d2", "b@example.com", Status::Failed, reply, true, now())
        .unwrap();
    for id in ["d1", "d2", "d3"] {
        ledger.finish_if_done(id).unwrap();
    }
    let ids = |rows: Vec<SendRow>| rows.into_iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(ids(ledger.sent_digests().unwrap()), ["d1"]);
    assert_eq!(ids(ledger.digests().unwrap()), ["d1", "d2", "d3"]);
}

#[test]
fn the_address_key_migration_runs_a_chunk_per_transaction_and_finishes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crier.db");
    let place = Place::file(&path);
    let addresses: Vec<String> = (0..4500)
        .map(|i| format!("Person{i}@Example.com"))
        .collect();
    {
        let mut ledger = Ledger::open(&place).unwrap();
        let refs: Vec<&str> = addresses.iter().map(String::as_str).collect();
        freeze(&mut ledger, "d-1", &refs);
        // As a ledger of schema 6 had them: no keys yet, no index.
        ledger
            .conn
            .execute_batch(
                "UPDATE deliveries SET address_key = NULL;
                 DROP INDEX deliveries_address_key;
                 DROP TABLE meta; DROP TABLE leases; DROP TABLE journal_applied;
                 PRAGMA user_version = 6;",
            )
            .unwrap();
        place.forget_lineage().unwrap();
    }
    let mut conn = Connection::open(&path).unwrap();
    // One chunk: the first transaction leaves the rest for the next.
    let tx = conn.transaction().unwrap();
    assert!(!schema_step_address_keys(&tx));
    tx.commit().unwrap();
    let missing: i64 = conn
        .query_row(
            "SELECT count(*) FROM deliveries WHERE address_key IS NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(missing, 2500);
    drop(conn);
    let ledger = Ledger::open(&place).unwrap();
    let (missing, wrong): (i64, i64) = ledger
        .conn
        .query_row(
            "SELECT count(*) FILTER (WHERE address_key IS NULL), count(*) FILTER (WHERE address_key != lower(address)) FROM deliveries",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((missing, wrong), (0, 0));
    let version: usize = ledger
        .conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, schema::VERSION);
    assert!(
        backup::list(&place.backups)
            .iter()
            .any(|b| b.label == "before-migration-6"),
        "a copy was taken before migrating"
    );
}

fn schema_step_address_keys(tx: &rusqlite::Transaction<'_>) -> bool {
    schema::step_for_tests(tx)
}

#[test]
fn a_read_only_ledger_is_read_without_writing_a_byte() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let place = Place::file(&state.join("crier.db"));
    {
        let mut ledger = Ledger::open(&place).unwrap();
        freeze(&mut ledger, "d-1", &["a@example.com"]);
    }
    let before = std::fs::read(&place.db).unwrap();
    let read_only = std::fs::Permissions::from_mode(0o444);
    std::fs::set_permissions(&place.db, read_only).unwrap();
    std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o555)).unwrap();
    let ledger = Ledger::open_read(&place).unwrap().expect("a ledger");
    assert_eq!(ledger.recent(5).unwrap().len(), 1);
    assert_eq!(ledger.counts("d-1").unwrap().queued, 1);
    ledger.verify().unwrap();
    drop(ledger);
    std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(
        std::fs::read(&place.db).unwrap(),
        before,
        "not a byte written"
    );
}
