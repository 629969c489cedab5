//! The next meetup and the talks, read from the example site's recaps (whose closing
//! paragraphs use different wordings on purpose) and, when present, from the real recaps in
//! `../shared/reference`.

use chrono::Duration;
use crier::clock::Clock;
use crier::config;
use crier::content::load_posts;
use crier::digest::{self, Digest};

/// The digest each recap of the site at `root` would get the evening it was published.
fn digests(root: &std::path::Path) -> Vec<(String, Digest)> {
    let config = config::load(root).unwrap();
    let settings = config.newsletter.clone().unwrap();
    let at = chrono::DateTime::parse_from_rfc3339("2030-01-01T00:00:00Z").unwrap();
    let report = load_posts(&config, &Clock::fixed(at));
    report
        .posts
        .iter()
        .filter(|p| p.tags.iter().any(|t| t == "Meetup"))
        .map(|p| {
            let at = p.date + Duration::hours(20);
            let digest = digest::build(&report.posts, &config, &settings, at, None);
            (p.file_slug.clone(), digest)
        })
        .collect()
}

#[test]
fn example_recaps_announce_their_next_meetup_in_their_own_words() {
    let found = digests(&crate::common::repo());
    let line = |slug: &str| {
        let (_, digest) = found.iter().find(|(s, _)| s.ends_with(slug)).unwrap();
        let e = digest.event.as_ref().unwrap();
        assert!(digest.warnings.is_empty(), "{slug}: {:?}", digest.warnings);
        (
            e.date_short.clone(),
            e.time_display.clone(),
            e.place.clone(),
            e.event.about.clone(),
        )
    };
    let usual = |zone: &str| format!("18:30 {zone} (the usual time; to be confirmed)");
    // "...but we'll be back on the 11th of March with talks on supply-chain security."
    assert_eq!(
        line("january-2026"),
        (
            "Wed 11 March".into(),
            usual("GMT"),
            None,
            Some("talks on supply-chain security".into())
        )
    );
    // "Our May meetup is on the 13th at Example Venue Co, when we'll be joined by speakers..."
    assert_eq!(
        line("march-2026"),
        (
            "Wed 13 May".into(),
            usual("BST"),
            Some("Example Venue Co".into()),
            Some("speakers on platform APIs and Gateway API".into())
        )
    );
    // "...so see you all on Wednesday 8th July at 18:30 for observability war stories!"
    assert_eq!(
        line("may-2026"),
        (
            "Wed 8 July".into(),
            "18:30 BST".into(),
            None,
            Some("observability war stories".into())
        )
    );
    // "Save the date: Wednesday 9 September, when we'll be joined by speakers on..."
    assert_eq!(line("july-2026").0, "Wed 9 September");
    // "Join us again on 14 October for a talk on running databases on Kubernetes."
    assert_eq!(
        line("september-2026").3.as_deref(),
        Some("a talk on running databases on Kubernetes")
    );
    // A December recap's "Wednesday 14th January" is next year's.
    assert_eq!(line("december-2025").0, "Wed 14 January");
}

#[test]
fn example_recaps_list_their_talks_with_video_times() {
    for (slug, digest) in digests(&crate::common::repo()) {
        let talks = &digest.recaps[0].talks;
        assert_eq!(talks.len(), 2, "{slug}: {talks:?}");
        for talk in talks {
            let video = talk.video.as_deref().unwrap_or("");
            assert!(
                video.starts_with("https://www.youtube.com/watch?v=") && video.contains("&t="),
                "{slug}: {talk:?}"
            );
            assert!(talk.speakers.is_some(), "{slug}: {talk:?}");
        }
    }
}

#[test]
#[ignore = "needs ../shared/reference (real Jekyll posts, not in the repository): cargo test -- --ignored"]
fn real_recaps_give_the_same_events_as_before_and_their_talks() {
    let reference = crate::common::repo().join("../shared/reference/posts");
    crate::common::require_reference(&reference);
    let site = tempfile::tempdir().unwrap();
    let yaml = std::fs::read_to_string(crate::common::repo().join("crier.yaml"))
        .unwrap()
        .replace(
            "posts_dir: posts",
            &format!("posts_dir: {}", reference.display()),
        );
    std::fs::write(site.path().join("crier.yaml"), yaml).unwrap();
    let found = digests(site.path());
    let start_of = |prefix: &str| {
        found
            .iter()
            .find(|(s, _)| s.starts_with(prefix))
            .map(|(_, d)| d.event.as_ref().map(|e| e.event.start.to_rfc3339()))
    };
    for (slug, start) in [
        ("cloud-native-london-july-2017", None),
        (
            "cloud-native-london-october-2018",
            Some("2018-11-07T18:30:00+00:00"),
        ),
        (
            "cloud-native-london-december-2019",
            Some("2020-01-08T18:30:00+00:00"),
        ),
        (
            "cloud-native-london-march-2021",
            Some("2021-04-07T18:30:00+01:00"),
        ),
        (
            "cloud-native-london-december-2021",
            Some("2022-01-05T18:30:00+00:00"),
        ),
        ("cloud-native-london-may-2023", None),
        (
            "cloud-native-london-april-2026",
            Some("2026-05-06T18:30:00+01:00"),
        ),
    ] {
        assert_eq!(start_of(slug), Some(start.map(str::to_owned)), "{slug}");
    }
    for (slug, digest) in &found {
        if let Some(e) = &digest.event {
            // The recaps say "London, UK" about themselves, never where the next one is.
            assert_eq!(e.place, None, "{slug}");
            assert!(
                e.event
                    .about
                    .as_deref()
                    .is_some_and(|a| a.starts_with("speakers from")),
                "{slug}: {:?}",
                e.event.about
            );
        }
        for talk in &digest.recaps[0].talks {
            assert!(
                !talk.title.is_empty() && talk.speakers.is_some(),
                "{slug}: {talk:?}"
            );
        }
    }
    let talks = |slug: &str| {
        found
            .iter()
            .find(|(s, _)| s.starts_with(slug))
            .map(|(_, d)| d.recaps[0].talks.len())
    };
    assert_eq!(talks("cloud-native-london-march-2021"), Some(3));
    assert_eq!(talks("cloud-native-london-december-2019"), Some(3));
}
