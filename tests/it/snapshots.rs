//! Snapshot tests of the three feed formats and of every e-mail template's output (digest,
//! reminder and post, HTML, text and subject), for a small fixed site and a fixed clock. Any
//! change to the output shows up as a reviewable diff (`cargo insta review`).

use crate::common::{copy_dir, repo, TempSite};

fn built_fixture() -> TempSite {
    let site = TempSite::with_config(
        &std::fs::read_to_string(repo().join("tests/fixtures/snapshot-site/crier.yaml")).unwrap(),
    );
    copy_dir(
        &repo().join("tests/fixtures/snapshot-site/posts"),
        &site.path().join("posts"),
    );
    site.crier(&["build"]).assert().success();
    site
}

#[test]
fn feeds_match_snapshots() {
    let site = built_fixture();
    insta::assert_snapshot!("rss", site.read("public/rss.xml"));
    insta::assert_snapshot!("atom", site.read("public/atom.xml"));
    insta::assert_snapshot!("json", site.read("public/feed.json"));
    insta::assert_snapshot!("tag_rss", site.read("public/tags/meetup/rss.xml"));
}

/// The snapshot site with a newsletter, the repository's templates, one subscriber, and an
/// explicit next meetup (with what it is about) on the April recap.
fn mail_fixture() -> TempSite {
    let config = std::fs::read_to_string(repo().join("tests/fixtures/snapshot-site/crier.yaml"))
        .unwrap()
        + "newsletter:\n  from: { name: Snapshot Meetup, address: news@snap.example.com }\n  recap_tag: Meetup\n";
    let site = TempSite::with_config(&config);
    copy_dir(
        &repo().join("tests/fixtures/snapshot-site/posts"),
        &site.path().join("posts"),
    );
    copy_dir(&repo().join("templates"), &site.path().join("templates"));
    site.write(
        "subscribers/members.csv",
        "email,name\nzoe@example.com,Zoë\n",
    );
    let april = "posts/2026-04-09-april-recap.md";
    let text = site.read(april).replacen(
        "tags: Meetup\n",
        "tags: Meetup\nevent:\n  title: Snapshot Meetup May\n  date: 2026-05-13 18:30\n  location: The Old Boathouse, London\n  rsvp: https://events.example.org/may?ref=mail&x=1\n  about: speakers from Example Ltd & Sample Systems on <signed> builds\n",
        1,
    );
    site.write(april, text);
    site
}

fn dry_run(site: &TempSite, args: &[&str]) {
    let mut all = vec!["send", "--dry-run", "--at", "2026-04-20T09:00:00+01:00"];
    all.extend_from_slice(args);
    let out = site.crier(&all).output().unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The subject line of the first composed message.
fn subject(site: &TempSite) -> String {
    let dir = site.path().join("preview/eml");
    let first = std::fs::read_dir(dir).unwrap().next().unwrap().unwrap();
    let bytes = std::fs::read(first.path()).unwrap();
    let message = mail_parser::MessageParser::default()
        .parse(&bytes[..])
        .unwrap();
    message.subject().unwrap().to_owned()
}

#[test]
fn digest_emails_match_snapshots() {
    let site = mail_fixture();
    dry_run(&site, &["--since", "2026-03-01"]);
    insta::assert_snapshot!("mail_digest_subject", subject(&site));
    insta::assert_snapshot!("mail_digest_html", site.read("preview/digest.html"));
    insta::assert_snapshot!("mail_digest_txt", site.read("preview/digest.txt"));
    // No new recap: a reminder of the next meetup.
    dry_run(&site, &["--since", "2026-04-15"]);
    insta::assert_snapshot!("mail_reminder_subject", subject(&site));
    insta::assert_snapshot!("mail_reminder_html", site.read("preview/digest.html"));
    insta::assert_snapshot!("mail_reminder_txt", site.read("preview/digest.txt"));
}

#[test]
fn post_emails_match_snapshots() {
    let site = mail_fixture();
    dry_run(&site, &["--post", "march-recap"]);
    insta::assert_snapshot!("mail_post_subject", subject(&site));
    insta::assert_snapshot!("mail_post_html", site.read("preview/post.html"));
    insta::assert_snapshot!("mail_post_txt", site.read("preview/post.txt"));
}

/// A digest with everything the templates can show: an online event with its about text,
/// calendar links and an unconfirmed time; a recap with a photo and talks; a recap with only a
/// video. Built as data, since which of these a post yields is the digest's business.
fn full_digest(cancelled: bool) -> crier::digest::Digest {
    use crier::digest::{Digest, Event, EventView, Recap, Talk, Video};
    let at = chrono::DateTime::parse_from_rfc3339("2026-04-20T09:00:00+01:00").unwrap();
    let start = chrono::DateTime::parse_from_rfc3339("2026-05-13T18:30:00+01:00").unwrap();
    let recap = |month: &str, day: &str| Recap {
        title: format!("Snapshot Meetup {month} 2026: builds & <signatures>"),
        date: format!("2026-{day}T21:00:00+01:00"),
        date_display: format!("Thursday 9 {month} 2026"),
        url: format!("https://snap.example.com/meetup/{}/", month.to_lowercase()),
        image: None,
        image_alt: String::new(),
        summary: format!("What we learnt in {month}."),
        location: Some("London".into()),
        video: None,
        tags: vec!["Meetup".into()],
        talks: vec![],
    };
    let mut april = recap("April", "04-09");
    april.image = Some("https://snap.example.com/meetup/images/april.jpg".into());
    april.video = Some(Video {
        url: "https://www.youtube.com/watch?v=snapApril01".into(),
        thumbnail: Some("https://img.youtube.com/vi/snapApril01/hqdefault.jpg".into()),
    });
    april.talks = vec![
        Talk {
            title: "Signing every build".into(),
            speakers: Some("Ada Example (Example Ltd)".into()),
            video: Some("https://youtu.be/snapApril01?t=195".into()),
            video_at: Some("3:15".into()),
        },
        Talk {
            title: "Lightning talks".into(),
            speakers: None,
            video: None,
            video_at: None,
        },
    ];
    let mut march = recap("March", "03-12");
    march.video = Some(Video {
        url: "https://www.youtube.com/watch?v=snapMarch01".into(),
        thumbnail: Some("https://img.youtube.com/vi/snapMarch01/hqdefault.jpg".into()),
    });
    let event = Event {
        title: "Snapshot Meetup May".into(),
        start,
        end: start + chrono::Duration::hours(3),
        location: None,
        rsvp: Some("https://events.example.org/may?ref=mail&x=1".into()),
        uid: "next-meetup-2026-04-09-april-recap@snap.example.com".into(),
        sentence: "front matter".into(),
        announced: start,
        about: Some("speakers from Example Ltd and Sample Systems on reproducible builds".into()),
        online: true,
        time_stated: false,
        cancelled,
    };
    Digest {
        id: "snapshot".into(),
        at,
        recaps: vec![april, march],
        event: Some(EventView {
            event,
            date_display: "Wednesday 13 May 2026".into(),
            time_display: "18:30 BST (the usual time; to be confirmed)".into(),
            weekday: "Wednesday".into(),
            date_short: "Wed 13 May".into(),
            place: Some("Online".into()),
            google_calendar_url:
                "https://calendar.google.com/calendar/render?action=TEMPLATE&text=Snapshot".into(),
            outlook_calendar_url:
                "https://outlook.live.com/calendar/0/deeplink/compose?subject=Snapshot".into(),
        }),
        warnings: vec![],
    }
}

/// The digest's HTML, text and subject for one subscriber.
fn compose_digest(site: &TempSite, digest: &crier::digest::Digest) -> crier::email::compose::Parts {
    compose_digest_with(site, digest, None)
}

/// The same, with a notice (the cancellation's).
fn compose_digest_with(
    site: &TempSite,
    digest: &crier::digest::Digest,
    notice: Option<&crier::plan::notice::Notice>,
) -> crier::email::compose::Parts {
    let config = crier::config::load(site.path()).unwrap();
    let settings = config.newsletter.as_ref().unwrap();
    let outgoing = crier::plan::outgoing::digest_outgoing(
        digest,
        &config,
        settings,
        "digest-snapshot",
        notice,
        None,
    );
    let templates =
        crier::email::Templates::load(&settings.templates_dir, &settings.subject).unwrap();
    let key = crier::email::TokenKey::from_bytes(crate::common::TEST_KEY.as_bytes());
    let mut composer = crier::email::Composer::new(settings, &templates, &key, outgoing, digest.at);
    let subscriber = crier::subscribers::Subscriber {
        email: crier::subscribers::Address::unchecked("zoe@example.com"),
        name: Some("Zoë".into()),
        attrs: Default::default(),
        list: "members".into(),
    };
    composer.parts(&subscriber).unwrap()
}

#[test]
fn a_digest_with_talks_and_calendar_links_matches_snapshots() {
    let site = mail_fixture();
    let parts = compose_digest(&site, &full_digest(false));
    insta::assert_snapshot!("mail_full_subject", parts.subject);
    insta::assert_snapshot!("mail_full_html", parts.html);
    insta::assert_snapshot!("mail_full_txt", parts.text);

    // A cancelled meetup says so, and offers neither RSVP nor calendar links.
    let notice = crier::plan::notice::Notice {
        kind: crier::plan::notice::NoticeKind::Cancellation,
        lines: vec![],
        subject: None,
        subject_prefix: None,
    };
    let parts = compose_digest_with(&site, &full_digest(true), Some(&notice));
    assert_eq!(
        parts.subject,
        "Cancelled: the Wed 13 May meetup · April and March recaps"
    );
    for part in [&parts.html, &parts.text] {
        assert!(part.contains("will not take place"), "{part}");
        assert!(part.contains("a change to our plans"), "{part}");
        assert!(
            !part.contains("18:30"),
            "no time for a meetup that will not happen: {part}"
        );
        assert!(!part.contains("events.example.org"), "{part}");
        assert!(!part.contains("calendar.google.com"), "{part}");
    }
}
