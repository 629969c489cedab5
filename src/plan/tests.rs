use chrono::DateTime;

use super::*;
use crate::clock::Clock;
use crate::ledger::SuppressionReason;
use crate::plan::freeze as execute;
use crate::site::test_support::{load, write_site};

const NOW: &str = "2026-11-30T09:00:00.750Z";

fn at(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

fn collect(plan: &Plan, ledger: Option<&Ledger>) -> (Vec<String>, Vec<(String, SkipReason)>) {
    let (mut to, mut skipped) = (Vec::new(), Vec::new());
    plan.audience
        .walk(ledger, |e| {
            match e {
                Entry::Recipient(s) => to.push(s.email.into_string()),
                Entry::Skipped(s) => skipped.push((s.address, s.reason)),
            }
            Ok::<(), ()>(())
        })
        .unwrap();
    (to, skipped)
}

#[test]
fn the_first_digest_has_the_latest_recap_and_a_whole_second() {
    let dir = tempfile::tempdir().unwrap();
    write_site(dir.path(), 3, &[]);
    let site = load(dir.path(), NOW);
    let plan = plan(
        &site,
        None,
        &Request::Digest { since: None },
        at(NOW),
        false,
    )
    .unwrap();
    assert_eq!(plan.basis, Basis::FirstDigest);
    assert_eq!(plan.items.len(), 1);
    assert!(plan.items[0].title.contains("November"));
    assert_eq!(plan.at, at("2026-11-30T09:00:00Z"));
    assert!(
        plan.id.starts_with("digest-") && plan.id.ends_with("-20261130T090000Z"),
        "{}",
        plan.id
    );
    assert_eq!(
        plan.outgoing.scope, plan.id,
        "Message-IDs derive from the plan's id"
    );
}

#[test]
fn recipients_skip_invalid_duplicate_unsubscribed_and_bounced_addresses() {
    let dir = tempfile::tempdir().unwrap();
    write_site(
        dir.path(),
        4,
        &["not-an-address,Nobody", "M1@Example.com,Member One Again"],
    );
    std::fs::write(
        dir.path().join("subscribers/speakers.csv"),
        "email\nm2@example.com\nspeaker@example.org\n",
    )
    .unwrap();
    let site = load(dir.path(), NOW);
    let mut ledger = Ledger::open(&crate::ledger::Place::file(
        &dir.path().join("state/crier.db"),
    ))
    .unwrap();
    let now = Clock::fixed(at(NOW)).now_utc();
    ledger
        .suppress(
            "m0@example.com",
            SuppressionReason::Unsubscribed,
            "link",
            now,
        )
        .unwrap();
    ledger
        .suppress(
            "M3@example.com",
            SuppressionReason::Bounced,
            "550 5.1.1",
            now,
        )
        .unwrap();
    let plan = plan(
        &site,
        Some(&ledger),
        &Request::Digest { since: None },
        at(NOW),
        false,
    )
    .unwrap();
    let (to, skipped) = collect(&plan, None);
    assert_eq!(
        to,
        ["m1@example.com", "m2@example.com", "speaker@example.org"]
    );
    assert_eq!(
        skipped,
        [
            ("m0@example.com".to_owned(), SkipReason::Unsubscribed),
            ("m3@example.com".to_owned(), SkipReason::Bounced),
            ("not-an-address".to_owned(), SkipReason::Invalid),
            ("M1@Example.com".to_owned(), SkipReason::Duplicate),
            ("m2@example.com".to_owned(), SkipReason::Duplicate),
        ]
    );
    // Freezing walks the same audience: the same people are queued.
    let frozen = execute::freeze(&plan, &mut ledger, &Clock::fixed(at(NOW))).unwrap();
    assert_eq!(frozen.queued, 3);
    assert_eq!(frozen.skipped.len(), 5);
    let resumed = super::plan(
        &site,
        Some(&ledger),
        &Request::Digest { since: None },
        at(NOW),
        false,
    )
    .unwrap();
    assert!(resumed.is_resumed());
    assert_eq!(resumed.id, plan.id);
    assert_eq!(collect(&resumed, Some(&ledger)).0, to);
}

#[test]
fn after_a_digest_new_recaps_start_at_the_last_one() {
    let dir = tempfile::tempdir().unwrap();
    write_site(dir.path(), 1, &[]);
    let mut ledger = Ledger::open(&crate::ledger::Place::file(
        &dir.path().join("state/crier.db"),
    ))
    .unwrap();
    // A digest sent on 20 October: only November's recap is new on 30 November.
    let october = "2026-10-20T09:00:00+01:00";
    let site = load(dir.path(), october);
    let first = plan(
        &site,
        Some(&ledger),
        &Request::Digest { since: None },
        at(october),
        false,
    )
    .unwrap();
    execute::freeze(&first, &mut ledger, &Clock::fixed(at(october))).unwrap();
    ledger.begin().unwrap();
    ledger
        .mark(
            &first.id,
            "m0@example.com",
            crate::ledger::Status::Sent,
            None,
            true,
            Clock::fixed(at(october)).now_utc(),
        )
        .unwrap();
    ledger.commit().unwrap();
    ledger.finish_if_done(&first.id).unwrap();
    let site = load(dir.path(), NOW);
    let next = plan(
        &site,
        Some(&ledger),
        &Request::Digest { since: None },
        at(NOW),
        false,
    )
    .unwrap();
    assert!(matches!(next.basis, Basis::SinceLastDigest { ref id, .. } if *id == first.id));
    assert_eq!(next.items.len(), 1);
    assert!(next.items[0].title.contains("November"));
    assert!(next.has_news());
}

#[test]
fn a_post_that_fails_to_load_stops_the_digest_unless_skipped() {
    let dir = tempfile::tempdir().unwrap();
    write_site(dir.path(), 1, &[]);
    std::fs::write(
        dir.path().join("posts/2026-11-20-broken.md"),
        "---\ntitle: [unclosed\ntags: [Meetup]\n---\nBody\n",
    )
    .unwrap();
    let site = load(dir.path(), NOW);
    let err = plan(
        &site,
        None,
        &Request::Digest { since: None },
        at(NOW),
        false,
    )
    .unwrap_err();
    assert!(
        matches!(&err, PlanError::InvalidPosts(p) if p.len() == 1),
        "{err}"
    );
    assert!(err.to_string().contains("2026-11-20-broken.md"), "{err}");
    let plan = plan(&site, None, &Request::Digest { since: None }, at(NOW), true).unwrap();
    assert_eq!(
        plan.warnings
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count(),
        1
    );
}

#[test]
fn a_missing_list_file_is_fatal_for_the_walk() {
    let dir = tempfile::tempdir().unwrap();
    write_site(dir.path(), 1, &[]);
    std::fs::write(
        dir.path().join("subscribers/broken.csv"),
        "name\nNo Email Column\n",
    )
    .unwrap();
    let site = load(dir.path(), NOW);
    let plan = plan(
        &site,
        None,
        &Request::Digest { since: None },
        at(NOW),
        false,
    )
    .unwrap();
    let tally = plan.audience.walk(None, |_| Ok::<(), ()>(())).unwrap();
    assert_eq!(tally.fatal.len(), 1);
    let mut ledger = Ledger::open(&crate::ledger::Place::file(
        &dir.path().join("state/crier.db"),
    ))
    .unwrap();
    let err = execute::freeze(&plan, &mut ledger, &Clock::fixed(at(NOW))).unwrap_err();
    assert!(err.to_string().contains("broken.csv"), "{err}");
    assert!(ledger.recent(5).unwrap().is_empty(), "nothing frozen");
}
