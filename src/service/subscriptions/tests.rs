//! The rules about people, against a real ledger on disk.

use chrono::{DateTime, Duration, Utc};

use super::*;
use crate::ledger::Ledger;
use crate::subscribers::store::Suppressed;

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// A site with the `members` list people may join and `per_hour` confirmations an hour.
fn site(per_hour: u32) -> (tempfile::TempDir, Config) {
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "site:\n  title: T\n  url: https://meetup.example.com\n  author: O\n\
         newsletter:\n  from: {{ name: T, address: news@example.com }}\n\
         audience:\n  confirmations_per_hour: {per_hour}\n  lists:\n    - name: members\n      title: Members\n"
    );
    std::fs::write(dir.path().join("crier.yaml"), config).unwrap();
    let config = crate::config::load(dir.path()).unwrap();
    (dir, config)
}

fn ledger(dir: &tempfile::TempDir) -> Ledger {
    Ledger::open(&crate::ledger::Place::file(
        &dir.path().join("state/crier.db"),
    ))
    .unwrap()
}

fn request(address: &str, now: DateTime<Utc>) -> SignUpRequest {
    SignUpRequest {
        address: Address::parse(address).unwrap(),
        name: None,
        lists: vec!["members".into()],
        page: Some("https://meetup.example.com/".into()),
        ip: Some("192.0.2.1".into()),
        at: now,
    }
}

fn record(address: &str, status: MemberStatus) -> Record {
    Record {
        address: address.into(),
        name: None,
        attrs: BTreeMap::new(),
        status,
        consent: Consent {
            source: "test".into(),
            ..Consent::default()
        },
        changed_at: None,
        created_at: None,
        suppression: match status {
            MemberStatus::Unsubscribed => Some(SuppressionReason::Unsubscribed),
            MemberStatus::Bounced => Some(SuppressionReason::Bounced),
            MemberStatus::Complained => Some(SuppressionReason::Complained),
            MemberStatus::Pending | MemberStatus::Confirmed => None,
        }
        .map(|reason| Suppressed {
            reason,
            detail: None,
            at: None,
        }),
    }
}

fn import(s: &mut Subscriptions<'_, Ledger>, records: Vec<Record>, now: DateTime<Utc>) -> Applied {
    let parsed = Parsed {
        rows: records
            .into_iter()
            .map(|record| import::Row {
                at: "t.csv:2".into(),
                list: None,
                alone: false,
                record,
            })
            .collect(),
        ..Parsed::default()
    };
    s.import(parsed, Some("members"), now).unwrap().lists["members"].clone()
}

fn status(s: &Subscriptions<'_, Ledger>, address: &str) -> MemberStatus {
    s.store
        .person(address)
        .unwrap()
        .unwrap()
        .on("members")
        .unwrap()
        .status
}

#[test]
fn one_confirmation_per_address_per_day_and_an_hourly_cap() {
    let (dir, config) = site(2);
    let mut l = ledger(&dir);
    let mut s = Subscriptions::new(&mut l, &config);
    let now = at("2026-11-25T12:00:00Z");
    let lists = vec!["members".to_owned()];
    let a = Address::parse("a@example.org").unwrap();
    assert_eq!(
        s.sign_up(&request("a@example.org", now)).unwrap(),
        SignUp::Confirm(lists.clone())
    );
    assert_eq!(
        s.sign_up(&request("a@example.org", now)).unwrap(),
        SignUp::TooSoon
    );
    let later = now + Duration::hours(25);
    assert!(matches!(
        s.sign_up(&request("a@example.org", later)).unwrap(),
        SignUp::Confirm(_)
    ));
    assert!(matches!(
        s.sign_up(&request("b@example.org", later)).unwrap(),
        SignUp::Confirm(_)
    ));
    assert_eq!(
        s.sign_up(&request("c@example.org", later)).unwrap(),
        SignUp::CapReached
    );
    let a_upper = Address::parse("A@example.org").unwrap();
    assert_eq!(
        s.confirm(&a_upper, &lists, later, later).unwrap(),
        Confirmed::Joined
    );
    assert_eq!(
        s.confirm(&a, &lists, later, later).unwrap(),
        Confirmed::Already,
        "idempotent"
    );
    assert_eq!(
        s.sign_up(&request("a@example.org", later)).unwrap(),
        SignUp::AlreadyConfirmed
    );
    // The consent record keeps the form post's page and address, and both times.
    let person = s.store.person("a@example.org").unwrap().unwrap();
    let consent = &person.on("members").unwrap().consent;
    assert_eq!(consent.ip.as_deref(), Some("192.0.2.1"));
    assert_eq!(consent.confirmed_at, Some(later));
}

#[test]
fn a_form_post_cannot_rename_or_resubscribe_anyone_and_bounces_get_no_mail() {
    let (dir, config) = site(9);
    let mut l = ledger(&dir);
    let mut s = Subscriptions::new(&mut l, &config);
    let now = at("2026-11-25T12:00:00Z");
    let mut real = record("a@example.org", MemberStatus::Confirmed);
    real.name = Some("Real Name".into());
    import(&mut s, vec![real], now);
    let mut stranger = request("a@example.org", now);
    stranger.name = Some("Click here to win".into());
    assert_eq!(s.sign_up(&stranger).unwrap(), SignUp::AlreadyConfirmed);
    let person = s.store.person("a@example.org").unwrap().unwrap();
    assert_eq!(person.name.as_deref(), Some("Real Name"));
    assert_eq!(person.on("members").unwrap().consent.source, "test");
    // Unsubscribed by the footer link: a form post asks them to confirm again.
    let a = Address::parse("a@example.org").unwrap();
    s.unsubscribe(&a, "members", now).unwrap();
    assert!(matches!(s.sign_up(&stranger).unwrap(), SignUp::Confirm(_)));
    s.store
        .write("test", |tx| {
            tx.suppress("b@example.org", SuppressionReason::Complained, "spam", now)
        })
        .unwrap();
    assert_eq!(
        s.sign_up(&request("b@example.org", now)).unwrap(),
        SignUp::Blocked
    );
}

#[test]
fn stale_sign_ups_are_forgotten() {
    let (dir, config) = site(9);
    let mut l = ledger(&dir);
    let mut s = Subscriptions::new(&mut l, &config);
    let then = at("2026-11-01T12:00:00Z");
    s.sign_up(&request("old@example.org", then)).unwrap();
    let now = at("2026-11-25T12:00:00Z");
    s.sign_up(&request("new@example.org", now)).unwrap();
    assert!(
        s.store.person("old@example.org").unwrap().is_none(),
        "a stranger's typo is not kept"
    );
    assert!(s.store.person("new@example.org").unwrap().is_some());
}

#[test]
fn confirming_lifts_a_suppression_but_an_import_never_brings_back_a_leaver() {
    let (dir, config) = site(9);
    let mut l = ledger(&dir);
    let mut s = Subscriptions::new(&mut l, &config);
    let now = at("2026-11-25T12:00:00Z");
    let lists = vec!["members".to_owned()];
    let a = Address::parse("a@example.org").unwrap();
    import(
        &mut s,
        vec![record("a@example.org", MemberStatus::Unsubscribed)],
        now,
    );
    assert!(
        s.store.suppression(a.key()).unwrap().is_some(),
        "an imported opt-out suppresses"
    );
    let applied = import(
        &mut s,
        vec![record("a@example.org", MemberStatus::Confirmed)],
        now,
    );
    assert_eq!(applied.kept_out, 1);
    assert_eq!(status(&s, "a@example.org"), MemberStatus::Unsubscribed);
    s.sign_up(&request("a@example.org", now)).unwrap();
    assert_eq!(
        status(&s, "a@example.org"),
        MemberStatus::Unsubscribed,
        "a form post changes nothing stored"
    );
    let issued = now + Duration::seconds(1);
    assert_eq!(
        s.confirm(&a, &lists, issued, now).unwrap(),
        Confirmed::Joined
    );
    assert!(s.store.suppression(a.key()).unwrap().is_none());
    assert_eq!(s.store.store_audience(&lists).unwrap().members.len(), 1);
    // Leaving after the link was sent stands: the old link cannot undo it.
    let later = now + Duration::hours(2);
    s.remove(&a, Some("members"), later).unwrap();
    assert_eq!(
        s.confirm(&a, &lists, issued, later).unwrap(),
        Confirmed::LeftSince
    );
    assert_eq!(s.store.store_audience(&lists).unwrap().members.len(), 0);
    assert!(s.erase(&a).unwrap().stored);
    assert!(s.store.person("a@example.org").unwrap().is_none());
    assert!(!s.erase(&a).unwrap().stored);
}

#[test]
fn preferences_show_csv_lists_and_saving_only_writes_what_changed() {
    let (dir, config) = site(9);
    std::fs::create_dir_all(dir.path().join("subscribers")).unwrap();
    std::fs::write(
        dir.path().join("subscribers/speakers.csv"),
        "email\nada@example.org\n",
    )
    .unwrap();
    let mut l = ledger(&dir);
    let mut s = Subscriptions::new(&mut l, &config);
    let now = at("2026-11-25T12:00:00Z");
    let ada = Address::parse("Ada@example.org").unwrap();
    let prefs = s.preferences(&ada).unwrap();
    let on: Vec<(&str, bool)> = prefs
        .lists
        .iter()
        .map(|l| (l.name.as_str(), l.on))
        .collect();
    assert_eq!(on, [("members", false), ("speakers", true)]);
    let choice = Choice {
        lists: vec!["members".into(), "speakers".into()],
        reminders: true,
        leave: false,
    };
    let (saved, prefs) = s.save_choices(&ada, &choice, now).unwrap();
    assert_eq!(saved, Saved::Choices);
    assert!(prefs.lists.iter().all(|l| l.on));
    let person = s.store.person("ada@example.org").unwrap().unwrap();
    let lists: Vec<&str> = person.memberships.iter().map(|m| m.list.as_str()).collect();
    assert_eq!(
        lists,
        ["members"],
        "the unchanged CSV membership stays the organiser's row"
    );
    let leave = Choice {
        leave: true,
        ..Choice::default()
    };
    let (saved, prefs) = s.save_choices(&ada, &leave, now).unwrap();
    assert_eq!(saved, Saved::LeftEverything);
    assert!(prefs.suppressed && prefs.lists.iter().all(|l| !l.on));
}

#[test]
fn an_import_keeps_the_times_its_source_recorded_and_never_moves_a_status_s_own() {
    let (dir, config) = site(9);
    let mut l = ledger(&dir);
    let mut s = Subscriptions::new(&mut l, &config);
    let (joined, imported, later) = (
        at("2026-01-01T00:00:00Z"),
        at("2026-11-25T12:00:00Z"),
        at("2026-12-01T12:00:00Z"),
    );
    let mut row = record("a@example.org", MemberStatus::Confirmed);
    row.created_at = Some(joined);
    row.changed_at = Some(joined);
    import(&mut s, vec![row.clone()], imported);
    let person = s.store.person("a@example.org").unwrap().unwrap();
    assert_eq!(person.created_at, joined);
    assert_eq!(person.on("members").unwrap().changed_at, joined);
    // The same status again, from a file that dates it otherwise: the stored time stands.
    row.changed_at = Some(later);
    import(&mut s, vec![row], later);
    let person = s.store.person("a@example.org").unwrap().unwrap();
    assert_eq!(person.on("members").unwrap().changed_at, joined);
    // A suppression that came with a row left out (a leaver) is still recorded, at its time.
    s.remove(
        &Address::parse("b@example.org").unwrap(),
        Some("members"),
        imported,
    )
    .unwrap();
    let mut back = record("b@example.org", MemberStatus::Confirmed);
    back.suppression = Some(Suppressed {
        reason: SuppressionReason::Unsubscribed,
        detail: Some("link in a message on list members".into()),
        at: Some(joined),
    });
    let applied = import(&mut s, vec![back], later);
    assert_eq!((applied.kept_out, applied.suppressed), (1, 1));
    let suppression = s.store.suppression("b@example.org").unwrap().unwrap();
    assert_eq!(suppression.at, joined);
    assert_eq!(suppression.detail, "link in a message on list members");
}
