use chrono::DateTime;

use super::*;
use crate::clock::Clock;
use crate::ledger::Status;
use crate::plan::freeze as execute;
use crate::plan::{plan, Request};
use crate::site::test_support::{load, write_site};

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

#[test]
fn names_come_from_the_newest_recap_or_the_topic() {
    let day = date("2026-11-30");
    let recap = json!({"recaps": [{"url": "https://meetup.example.com/2026/11/12/riverside-november-2026/"}]});
    assert_eq!(base_name(day, &recap), "2026-11-30-riverside-november-2026");
    let html = json!({"recaps": [{"url": "https://meetup.example.com/blog/Été_Meetup.html"}]});
    assert_eq!(base_name(day, &html), "2026-11-30-t-meetup");
    let update = json!({"recaps": [], "notice": {"kind": "update"}, "event": {}});
    assert_eq!(base_name(day, &update), "2026-11-30-update");
    let event_only = json!({"recaps": [], "notice": null, "event": {"title": "x"}});
    assert_eq!(base_name(day, &event_only), "2026-11-30-next-meetup");
    assert_eq!(base_name(day, &json!({})), "2026-11-30-digest");
    let long =
        json!({"recaps": [{"url": format!("https://e.example.com/{}/", "word-".repeat(30))}]});
    let name = base_name(day, &long);
    assert!(
        name.len() <= 11 + MAX_SLUG && !name.ends_with('-'),
        "{name}"
    );
}

#[test]
fn taken_names_get_a_number_and_recorded_names_are_checked() {
    let taken: HashSet<String> = ["a".to_owned(), "a-2".to_owned()].into();
    assert_eq!(unique_name("a", &taken), "a-3");
    assert_eq!(unique_name("b", &taken), "b");
    let data = |url: &str| json!({"archive_url": url});
    assert_eq!(
        recorded_name(&data("https://meetup.example.com/archive/2026-11-30-x/")).as_deref(),
        Some("2026-11-30-x")
    );
    assert_eq!(
        recorded_name(&data("https://e.example.com/archive/../")),
        None
    );
    assert_eq!(
        recorded_name(&data("https://e.example.com/archive/A b/")),
        None
    );
    assert_eq!(recorded_name(&json!({"archive_url": null})), None);
}

#[test]
fn titles_say_what_the_digest_was() {
    let two = json!({"recaps": [{"title": "November"}, {"title": "October"}], "notice": {"subject_prefix": "Updated: "}});
    assert_eq!(title(&two), "Updated: November (and 1 more)");
    let cancelled =
        json!({"recaps": [], "notice": {"subject": "Cancelled: December, Wed 9 December"}});
    assert_eq!(title(&cancelled), "Cancelled: December, Wed 9 December");
    let event = json!({"recaps": [], "event": {"date_display": "Wednesday 9 December 2026"}});
    assert_eq!(title(&event), "Next meetup: Wednesday 9 December 2026");
}

/// Sends a digest to the test site's members (through the in-memory transport), then
/// publishes the archive into `out`.
fn send_digest(dir: &Path, now: &str) -> (crate::site::Site, Ledger) {
    let site = load(dir, now);
    let clock = Clock::fixed(DateTime::parse_from_rfc3339(now).unwrap());
    let mut ledger = Ledger::open(&crate::ledger::Place::of(&site.config)).unwrap();
    let request = Request::Digest { since: None };
    let planned = plan(&site, Some(&ledger), &request, clock.now(), false).unwrap();
    execute::freeze(&planned, &mut ledger, &clock).unwrap();
    for address in ["m0@example.com", "m1@example.com", "ada@example.com"] {
        let reply = Some("250 ok");
        ledger
            .mark(
                &planned.id,
                address,
                Status::Sent,
                reply,
                true,
                clock.now_utc(),
            )
            .unwrap();
    }
    assert!(ledger.finish_if_done(&planned.id).unwrap());
    (site, ledger)
}

#[test]
fn published_pages_hold_no_personal_data_and_keep_their_address() {
    let dir = tempfile::tempdir().unwrap();
    write_site(dir.path(), 2, &["ada@example.com,Ada Lovelace"]);
    let (site, ledger) = send_digest(dir.path(), "2026-11-30T09:00:00Z");
    let settings = site.config.newsletter.as_ref().unwrap();
    let out = dir.path().join("public");
    let published = publish(&site.config, settings, &ledger, &out).unwrap();
    assert_eq!((published.pages, published.changed), (1, 3));
    let frozen = &ledger.digests().unwrap()[0].outgoing.data;
    let url = frozen["archive_url"].as_str().unwrap();
    assert_eq!(
        url,
        "https://meetup.example.com/archive/2026-11-30-riverside-cloud-native-november-2026/"
    );
    let page = std::fs::read_to_string(
        out.join("archive/2026-11-30-riverside-cloud-native-november-2026/index.html"),
    )
    .unwrap();
    assert!(
        page.contains("Riverside Cloud Native, November 2026"),
        "{page}"
    );
    assert!(page.contains("Sent Monday 30 November 2026"), "{page}");
    for private in ["@example.com", "Ada", "Member", "token", "unsubscribe"] {
        assert!(!page.contains(private), "{private} in the page:\n{page}");
    }
    let index = std::fs::read_to_string(out.join("archive/index.html")).unwrap();
    assert!(index.contains(url), "{index}");
    let feed = std::fs::read_to_string(out.join("archive/feed.xml")).unwrap();
    assert!(
        feed.contains(&format!("<link href=\"{url}\" rel=\"alternate\"")),
        "{feed}"
    );
    assert!(
        !feed.contains("@example.com</") && !feed.contains("token"),
        "{feed}"
    );
    // Written again, nothing changes.
    let again = publish(&site.config, settings, &ledger, &out).unwrap();
    assert_eq!(again.changed, 0);
}

#[test]
fn a_second_digest_of_the_same_recap_on_the_same_day_gets_its_own_page() {
    let dir = tempfile::tempdir().unwrap();
    write_site(dir.path(), 1, &["ada@example.com,Ada Lovelace"]);
    let (site, ledger) = send_digest(dir.path(), "2026-11-30T09:00:00Z");
    let since = DateTime::parse_from_rfc3339("2026-11-01T00:00:00Z").unwrap();
    let request = Request::Digest { since: Some(since) };
    let at = DateTime::parse_from_rfc3339("2026-11-30T10:00:00Z").unwrap();
    let again = plan(&site, Some(&ledger), &request, at, false).unwrap();
    assert!(
        again.outgoing.data["archive_url"]
            .as_str()
            .unwrap()
            .ends_with("/archive/2026-11-30-riverside-cloud-native-november-2026-2/"),
        "{}",
        again.outgoing.data["archive_url"]
    );
}

#[test]
fn nothing_is_written_before_a_digest_went_out() {
    let dir = tempfile::tempdir().unwrap();
    write_site(dir.path(), 1, &[]);
    let site = load(dir.path(), "2026-11-30T09:00:00Z");
    let ledger = Ledger::open(&crate::ledger::Place::of(&site.config)).unwrap();
    let out = dir.path().join("public");
    let settings = site.config.newsletter.as_ref().unwrap();
    let published = publish(&site.config, settings, &ledger, &out).unwrap();
    assert_eq!(published.pages, 0);
    assert!(!out.exists());
}
