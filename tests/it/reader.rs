//! The recap reader decides with evidence (issue 16): sentences of the kinds organisers write,
//! in both directions (announced right; not announced, with the reason told), and what
//! `crier check` shows. All sentences here are our own; the real recaps are only read from
//! `../shared/reference` when it exists.

use std::path::Path;

use chrono::DateTime;
use crier::config::{self, Config};
use crier::content::{self, Post};
use crier::digest::event::{self, Found};
use crier::digest::{self, NoEvent};

use crate::common::TempSite;

/// A site config with `language` (which says how numeric dates read).
fn config_in(language: &str) -> Config {
    let text = format!("site:\n  title: Riverside Cloud Native\n  url: https://meetup.example.com\n  author: Ada\n  language: {language}\n  timezone: Europe/London\nnewsletter:\n  from: {{ name: Riverside, address: news@example.com }}\n");
    config::parse(Path::new("site"), Path::new("site/crier.yaml"), &text).unwrap()
}

/// A recap post published on `posted` with extra front matter.
fn post(config: &Config, posted: &str, front: &str) -> Post {
    let name = format!("{posted}-riverside-cloud-native.md");
    let file_name = content::post_file_name(Path::new(&name)).unwrap().unwrap();
    let text = format!(
        "---\ntitle: \"Riverside Cloud Native, {posted}\"\ntags: [Meetup]\n{front}---\nBody.\n"
    );
    content::parse_post(Path::new(&name), &file_name, &text, config)
        .unwrap()
        .0
}

/// What the reader finds in `body`, a recap published on `posted` on an en-GB site.
fn read(posted: &str, body: &str) -> Found {
    read_in("en-GB", posted, body)
}

fn read_in(language: &str, posted: &str, body: &str) -> Found {
    let config = config_in(language);
    let settings = config.newsletter.clone().unwrap();
    event::find(&post(&config, posted, ""), body, 6, &config, &settings)
}

/// The start of the announced event, RFC 3339, or why none.
fn start(found: &Found) -> Result<String, NoEvent> {
    match (&found.event, &found.none) {
        (Some(e), _) => Ok(e.start.to_rfc3339()),
        (None, Some(why)) => Err(why.clone()),
        (None, None) => Err(NoEvent::NotAnnounced),
    }
}

/// Asserts nothing is announced and a doubt about `sentence_part` says `why_part`.
fn refused(found: &Found, sentence_part: &str, why_part: &str) {
    assert!(found.event.is_none(), "announced {:?}", found.event);
    assert!(
        found
            .doubts
            .iter()
            .any(|d| d.sentence.contains(sentence_part) && d.why.contains(why_part)),
        "no doubt about `{sentence_part}` saying `{why_part}`: {:#?}",
        found.doubts
    );
    assert!(
        found
            .warnings
            .iter()
            .any(|w| w.message.contains(sentence_part)),
        "{:?}",
        found.warnings
    );
}

const OUR_RSVP: &str = "https://www.meetup.com/riverside-cloud-native/events/310/";

#[test]
fn a_sponsors_registration_deadline_is_not_our_next_meetup() {
    let offers = "Example Summit comes to town this autumn and members save 20% with the code RIVER20. Register by 11:59 PM (PT) on September 13 at [the summit's page](https://www.eventbrite.com/e/example-summit-1).";
    let ours = format!("Our next meetup will be Wednesday 7th October, when we'll hear about platform teams. [RSVP]({OUR_RSVP})");
    // The offer in its own section, the announcement under its own heading.
    let body = format!("Thanks for coming!\n\n## Offers for our members\n\n{offers}\n\n## Riverside Cloud Native October\n\n{ours}\n\nThe organisers\n");
    // And the same with the announcement a few lines below the offer, in the same section.
    let flat = format!("Thanks for coming!\n\n## Offers for our members\n\n{offers}\n\nSee the photos on our page.\n\n{ours}\n\nThe organisers\n");
    for body in [body, flat] {
        let found = read("2026-09-02", &body);
        let e = found.event.as_ref().expect("the real meetup");
        assert_eq!(e.start.to_rfc3339(), "2026-10-07T18:30:00+01:00");
        assert_eq!(e.rsvp.as_deref(), Some(OUR_RSVP));
        assert_eq!(e.about.as_deref(), Some("platform teams"));
        assert!(
            found
                .doubts
                .iter()
                .any(|d| d.sentence.starts_with("Register by 11:59 PM (PT)")
                    && d.why.starts_with("not announced: it reads as a deadline")),
            "{:#?}",
            found.doubts
        );
    }
    // Without our own announcement, nothing is announced and the organiser is told why.
    let found = read(
        "2026-09-02",
        &format!("Thanks!\n\n## Offers for our members\n\n{offers}\n"),
    );
    refused(&found, "Register by 11:59 PM", "deadline");
    assert_eq!(found.none, Some(NoEvent::Unsure));
}

#[test]
fn another_groups_next_meetup_is_not_ours() {
    for sentence in [
        "Our friends at Example DevOps have their next meetup on 14 October: [RSVP](https://www.meetup.com/example-devops/events/2/)",
        "Example DevOps's next meetup is on 14 October, do go along!",
        "Next meetup of Example DevOps: 14 October, [RSVP here](https://www.meetup.com/example-devops/events/2/)",
        "Sample Data Guild are hosting a free meetup on 14 October.",
    ] {
        let found = read("2026-09-10", &format!("Great talks.\n\n## Elsewhere in London\n\n{sentence}\n"));
        refused(&found, "14 October", "another organisation's event");
    }
    // The same words about our own group are announced.
    let found = read(
        "2026-09-10",
        &format!("Great talks.\n\nRiverside Cloud Native's next meetup is on 14 October. [RSVP]({OUR_RSVP})\n"),
    );
    assert_eq!(start(&found).unwrap(), "2026-10-14T18:30:00+01:00");
    assert!(found.doubts.is_empty(), "{:?}", found.doubts);
}

#[test]
fn a_multi_day_conference_is_not_our_meetup() {
    for sentence in [
        "Example Summit runs 6-8 October in Example City: [register here](https://summit.example.org/register).",
        "Some of us are off to the conference from Tuesday 6 October to Thursday 8 October.",
        "Catch the Example Cloud Days on 6 – 8 October.",
        "See you at Example Summit on 6 October!",
    ] {
        let found = read("2026-09-10", &format!("Great talks.\n\n{sentence}\n"));
        assert!(found.event.is_none(), "{sentence}: {:?}", found.event);
        assert!(!found.doubts.is_empty() || found.none == Some(NoEvent::NotAnnounced), "{sentence}");
    }
    let found = read("2026-09-10", "Great talks.\n\nExample Summit runs 6-8 October: [register](https://summit.example.org/r).\n");
    refused(&found, "6-8 October", "range of days");
    // Our own meetup the week after a conference is still ours.
    let found = read("2026-09-10", "Great talks.\n\nOur next meetup is on 14 October, the week after KubeCon, with talks on GitOps.\n");
    assert_eq!(start(&found).unwrap(), "2026-10-14T18:30:00+01:00");
}

#[test]
fn a_partners_discount_code_is_not_announced() {
    let code = "Members get 20% off Example Conf on 9 October with the code RIVER20 at [checkout](https://www.eventbrite.com/e/example-conf-9).";
    let found = read("2026-09-10", &format!("Great talks.\n\n{code}\n"));
    refused(&found, "20% off Example Conf", "offer or discount");
    // Beside our announcement, neither the about text nor the RSVP comes from the offer.
    let found = read(
        "2026-09-10",
        &format!("Great talks.\n\nSee you all on Wednesday 14 October for talks on observability! {code}\n"),
    );
    let e = found.event.expect("our meetup");
    assert_eq!(e.start.date_naive().to_string(), "2026-10-14");
    assert_eq!(e.about.as_deref(), Some("talks on observability"));
    assert_eq!(e.rsvp, None);
}

#[test]
fn times_in_another_zone_are_converted_or_refused() {
    // Converted, with the conversion told.
    let found = read(
        "2026-03-12",
        "Thanks!\n\nOur next meetup is online on Wednesday 8 April at 1pm ET.\n",
    );
    assert_eq!(start(&found).unwrap(), "2026-04-08T18:00:00+01:00");
    assert!(found.unsure);
    assert!(
        found.doubts[0]
            .why
            .contains("given in ET and was converted"),
        "{:?}",
        found.doubts
    );
    // The site's own zone, said in words, is no conversion.
    let found = read(
        "2026-03-12",
        "Thanks!\n\nOur next meetup is on Wednesday 8 April at 7pm UK time.\n",
    );
    assert_eq!(start(&found).unwrap(), "2026-04-08T19:00:00+01:00");
    assert!(found.doubts.is_empty(), "{:?}", found.doubts);
    // Refused: an abbreviation that contradicts the date, and one that names several zones.
    let found = read(
        "2026-06-10",
        "Thanks!\n\nOur next meetup is on Wednesday 8 July at 7pm GMT.\n",
    );
    refused(&found, "7pm GMT", "on BST");
    let found = read(
        "2026-06-10",
        "Thanks!\n\nOur next meetup is on Wednesday 8 July at 7pm IST.\n",
    );
    refused(&found, "7pm IST", "names more than one time zone");
}

#[test]
fn relative_months_name_the_month_of_a_bare_day() {
    for (posted, sentence, want) in [
        (
            "2026-07-15",
            "See you next month on the 12th!",
            "2026-08-12",
        ),
        (
            "2026-07-15",
            "We're taking August off, so see you in September on the 10th.",
            "2026-09-10",
        ),
        (
            "2026-12-02",
            "See you next month on the 13th for the new year social.",
            "2027-01-13",
        ),
        (
            "2026-11-20",
            "Join us for the Xmas edition on the 10th!",
            "2026-12-10",
        ),
    ] {
        let found = read(posted, &format!("Thanks!\n\n{sentence}\n"));
        assert_eq!(
            start(&found).map(|s| s[..10].to_owned()),
            Ok(want.to_owned()),
            "{sentence}: {:?}",
            found.doubts
        );
    }
}

#[test]
fn month_first_and_numeric_us_dates() {
    let at = |language: &str, posted: &str, sentence: &str| {
        let found = read_in(language, posted, &format!("Thanks!\n\n{sentence}\n"));
        start(&found).map(|s| s[..10].to_owned())
    };
    assert_eq!(
        at("en-GB", "2026-12-10", "Our next meetup is on January 13th."),
        Ok("2027-01-13".into())
    );
    assert_eq!(
        at(
            "en-US",
            "2026-12-10",
            "Our next meetup is on Wednesday, January 13th at 6pm."
        ),
        Ok("2027-01-13".into())
    );
    // 9/16 reads one way only, whatever the site's language.
    assert_eq!(
        at("en-US", "2026-08-20", "Our next meetup is on 9/16."),
        Ok("2026-09-16".into())
    );
    assert_eq!(
        at("en-GB", "2026-08-20", "Our next meetup is on 9/16."),
        Ok("2026-09-16".into())
    );
    // 9/10 reads both ways: the site's language decides, or the weekday, or nothing is announced.
    assert_eq!(
        at("en-US", "2026-08-20", "Our next meetup is on 9/10."),
        Ok("2026-09-10".into())
    );
    assert_eq!(
        at("en-GB", "2026-08-20", "Our next meetup is on 9/10."),
        Ok("2026-10-09".into())
    );
    assert_eq!(
        at("en", "2026-08-20", "Our next meetup is on Thursday 9/10."),
        Ok("2026-09-10".into())
    );
    let found = read_in(
        "en",
        "2026-08-20",
        "Thanks!\n\nOur next meetup is on 9/10.\n",
    );
    refused(&found, "9/10", "reads both ways");
}

#[test]
fn when_where_rsvp_lists_and_tables_under_a_next_meetup_heading() {
    let list = format!("- **When:** Thursday 9 April, 18:30\n- **Where:** Example Works, 1 River Street\n- **RSVP:** [on Meetup]({OUR_RSVP})\n");
    let lines = format!(
        "When: Thursday 9 April, 18:30\nWhere: Example Works, 1 River Street\nRSVP: {OUR_RSVP}\n"
    );
    let table = format!("| When | Where | RSVP |\n|---|---|---|\n| Thursday 9 April, 18:30 | Example Works, 1 River Street | [RSVP]({OUR_RSVP}) |\n");
    for fields in [list, lines, table] {
        let body = format!("Thanks all!\n\n## Next meetup\n\n{fields}\nThe organisers\n");
        let found = read("2026-03-12", &body);
        let e = found
            .event
            .as_ref()
            .unwrap_or_else(|| panic!("{body}: {:#?}", found.doubts));
        assert_eq!(e.start.to_rfc3339(), "2026-04-09T18:30:00+01:00", "{body}");
        assert!(e.time_stated);
        assert_eq!(
            e.location.as_deref(),
            Some("Example Works, 1 River Street"),
            "{body}"
        );
        assert_eq!(e.rsvp.as_deref(), Some(OUR_RSVP), "{body}");
        assert!(found.doubts.is_empty(), "{:?}", found.doubts);
    }
    // The same list in a section about a partner's event is not ours.
    let body = "Thanks all!\n\n## Offers for our members\n\n- When: Thursday 9 April\n- Where: Example Conference Centre\n";
    assert!(read("2026-03-12", body).event.is_none());
}

#[test]
fn the_venue_in_the_sentence_after_the_date() {
    for (after, want) in [
        (
            "We'll be back at Example Works for this one.",
            "Example Works",
        ),
        ("This time we're hosted by Sample Bank.", "Sample Bank"),
    ] {
        let found = read(
            "2026-03-12",
            &format!("Thanks!\n\nOur next meetup is on Thursday 9 April. {after}\n"),
        );
        assert_eq!(
            found.event.unwrap().location.as_deref(),
            Some(want),
            "{after}"
        );
    }
    // Where the last meetup was is not where the next one is.
    let found = read("2026-03-12", "Thanks!\n\nOur next meetup is on Thursday 9 April. Thanks again to everyone at Example Works for hosting.\n");
    assert_eq!(found.event.unwrap().location, None);
}

#[test]
fn about_texts_keep_brackets_whole() {
    let found = read("2026-09-10", "Thanks!\n\nOur next meetup will be Wednesday 7th October (the week after Example Summit), when we'll be joined by speakers from Sample Bank and Example Works.\n");
    let e = found.event.unwrap();
    assert_eq!(
        e.about.as_deref(),
        Some("speakers from Sample Bank and Example Works")
    );
}

#[test]
fn named_editions_name_the_event() {
    let found = read(
        "2026-06-10",
        "Thanks!\n\nOur next meetup will be our 6th anniversary on Wednesday 8 July, with cake.\n",
    );
    let e = found.event.unwrap();
    assert_eq!(e.start.date_naive().to_string(), "2026-07-08");
    assert_eq!(e.title, "Riverside Cloud Native: 6th anniversary");
}

#[test]
fn a_cancellation_keeps_the_title_of_the_meetup_it_cancels() {
    let config = config_in("en-GB");
    let settings = config.newsletter.clone().unwrap();
    let post = post(
        &config,
        "2026-11-12",
        "event:\n  date: 2026-12-09\n  cancelled: true\n",
    );
    let body = "Thanks!\n\n## Riverside Cloud Native December\n\nOur next meetup will be on Wednesday 9th December. [RSVP](https://events.example.org/12)\n";
    let e = event::find(&post, body, 6, &config, &settings)
        .event
        .unwrap();
    assert!(e.cancelled);
    assert_eq!(e.title, "Riverside Cloud Native December");
}

#[test]
fn a_cancellation_on_a_later_post_names_the_meetup_and_removes_its_calendar_entry() {
    let site = TempSite::example();
    site.post(
        "2026-11-20-change-of-plans.md",
        "title: A change of plans\nevent:\n  date: 2026-12-09\n  cancelled: true\n",
        "Sorry, the venue is not available.\n",
    );
    let config = config::load(site.path()).unwrap();
    let settings = config.newsletter.clone().unwrap();
    let at = DateTime::parse_from_rfc3339("2026-11-25T09:00:00Z").unwrap();
    let report = content::load_posts(&config, &crier::clock::Clock::fixed(at));
    let e = digest::build(&report.posts, &config, &settings, at, None)
        .event
        .unwrap()
        .event;
    assert!(e.cancelled);
    assert_eq!(e.title, "Riverside Cloud Native December");
    assert_eq!(
        e.uid,
        "next-meetup-2026-11-12-riverside-cloud-native-november-2026@meetup.example.com"
    );
}

#[test]
fn talks_front_matter_wins_over_the_text() {
    let config = config_in("en-GB");
    let mut post = post(
        &config,
        "2026-11-12",
        "video: https://www.youtube.com/embed/abcDEF12345\ntalks:\n  - title: Engines that weave\n    speakers: [Ada Lovelace, Grace Hopper]\n    at: \"12:34\"\n  - title: Bugs, literally\n    video: https://vimeo.com/123456\n  - speakers: nobody\n",
    );
    post.video = Some("https://www.youtube.com/embed/abcDEF12345".into());
    let listed = digest::talks::for_post(
        &post,
        "**Someone** gave *\"Another talk\"* (starting at 1:00).\n",
    );
    assert!(listed.from_front_matter);
    let titles: Vec<(&str, Option<&str>, Option<&str>)> = listed
        .talks
        .iter()
        .map(|t| {
            (
                t.title.as_str(),
                t.speakers.as_deref(),
                t.video_at.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        titles,
        [
            (
                "Engines that weave",
                Some("Ada Lovelace and Grace Hopper"),
                Some("12:34")
            ),
            ("Bugs, literally", None, None),
        ]
    );
    assert_eq!(
        listed.talks[0].video.as_deref(),
        Some("https://www.youtube.com/watch?v=abcDEF12345&t=754s")
    );
    assert_eq!(listed.doubts.len(), 1);
    assert!(listed.doubts[0]
        .why
        .starts_with("field `talks[2]`: expected a `title`"));
}

#[test]
fn check_shows_what_the_newest_recaps_announce_and_why_not() {
    let site = TempSite::example();
    site.post(
        "2026-11-20-unsure.md",
        "title: An unsure recap\ntags: [Meetup]\n",
        "Great evening.\n\n## Offers for our members\n\nRegister by 11:59 PM (PT) on 13 December for 20% off Example Summit.\n",
    );
    let out = site.crier(&["check"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    for want in [
        "what the newest recaps announce:",
        "2026-11-20-unsure.md: \"An unsure recap\"",
        "  next meetup: none announced: no date is clearly the group's own next meetup (see the doubts)",
        "    line 9: not announced: it reads as a deadline (\"register by\"); it reads as an offer or discount (\"% off\"): \"Register by 11:59 PM (PT) on 13 December for 20% off Example Summit.\"",
        "2026-11-12-riverside-cloud-native-november-2026.md: \"Riverside Cloud Native, November 2026: AI inference on Kubernetes\"",
        "  next meetup: Wednesday 9 December 2026, 18:30 GMT (the usual time; to be confirmed)",
        "    title: Riverside Cloud Native December",
        "    RSVP: https://events.example.org/riverside-cloud-native/2026-12",
        "  talks: 2, read from the text",
        "2026-11-20-unsure.md:9:1: warning: next event not announced: it reads as a deadline",
    ] {
        assert!(stdout.contains(want), "`{want}` missing from:\n{stdout}");
    }
}

#[test]
fn an_unsure_reading_sends_the_digest_without_an_event_and_tells_the_organiser() {
    let site = TempSite::example();
    site.post(
        "2026-11-20-two-dates.md",
        "title: Two dates\ntags: [Meetup]\n",
        "Great evening.\n\nOur next meetup will be on 9 December.\n\nSee you all on Wednesday 16 December!\n",
    );
    let config = config::load(site.path()).unwrap();
    let settings = config.newsletter.clone().unwrap();
    let at = DateTime::parse_from_rfc3339("2026-11-25T09:00:00Z").unwrap();
    let report = content::load_posts(&config, &crier::clock::Clock::fixed(at));
    let digest = digest::build(&report.posts, &config, &settings, at, None);
    assert!(digest.event.is_none());
    assert!(
        digest.warnings.iter().any(|w| w.line == 7
            && w.message == "next event not announced: it competes with 2026-12-16: \"Our next meetup will be on 9 December.\""),
        "{:?}",
        digest.warnings
    );
    // The dry run goes out without the event block, and says why.
    let out = site
        .crier(&[
            "send",
            "--dry-run",
            "--at",
            "2026-11-25T09:00:00Z",
            "--no-files",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("it competes with 2026-12-16"));
}

#[test]
fn talks_in_the_email_show_each_title_once_with_a_short_link() {
    let site = TempSite::example();
    let out = site
        .crier(&[
            "send",
            "--dry-run",
            "--since",
            "2026-09-01",
            "--sample",
            "1",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = site.read("preview/digest.html");
    let list = &html[html.find("<ul class=\"talks\"").unwrap()..];
    let list = &list[..list.find("</ul>").unwrap()];
    let items: Vec<&str> = list.split("<li").skip(1).collect();
    assert!(!items.is_empty());
    for item in items {
        let title = &item[item.find("<strong>").unwrap() + 8..item.find("</strong>").unwrap()];
        assert_eq!(item.matches(title).count(), 1, "{item}");
        let link = &item[item.find("<a ").unwrap()..];
        let text = &link[link.find('>').unwrap() + 1..link.find("</a>").unwrap()];
        let visible = text.replace("<span aria-hidden=\"true\">▶︎ </span>", "");
        assert!(visible.chars().count() <= 24, "{visible}");
    }
}

/// The reference recaps, each read the evening it was published: the event they announce and
/// their talks.
#[test]
#[ignore = "needs ../shared/reference (real Jekyll posts, not in the repository): cargo test -- --ignored"]
fn real_recaps_announce_only_what_they_say_is_the_next_meetup() {
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
    let config = config::load(site.path()).unwrap();
    let settings = config.newsletter.clone().unwrap();
    let now = DateTime::parse_from_rfc3339("2030-01-01T00:00:00Z").unwrap();
    let report = content::load_posts(&config, &crier::clock::Clock::fixed(now));
    let mut summary = Vec::new();
    for post in report
        .posts
        .iter()
        .filter(|p| p.tags.iter().any(|t| t == "Meetup"))
    {
        let reading = digest::reading::read(
            post,
            &config,
            &settings,
            post.date + chrono::Duration::hours(20),
        );
        println!("{reading}");
        let event = reading
            .event
            .as_ref()
            .ok()
            .map(|e| (e.date.clone(), e.from.as_ref().map(|f| f.1.clone())));
        summary.push((post.file_slug.clone(), event, reading.talks.len()));
    }
    for (slug, event, _) in &summary {
        // Whatever is announced comes from a sentence that says "our next meetup" in so many
        // words, under a heading that names the group and the month.
        if let Some((_, Some(sentence))) = event {
            assert!(
                sentence.starts_with("Our next meetup")
                    || sentence.starts_with("Join us at the next meetup")
                    || sentence.starts_with("The next meetup"),
                "{slug}: {sentence}"
            );
        }
    }
    let talks: Vec<usize> = summary.iter().map(|(_, _, n)| *n).collect();
    assert_eq!(talks, [2, 3, 2, 3, 3, 3, 2]);
    let dates: Vec<(&str, Option<&str>)> = summary
        .iter()
        .map(|(slug, e, _)| (slug.as_str(), e.as_ref().map(|(d, _)| d.as_str())))
        .collect();
    assert_eq!(
        dates,
        [
            (
                "cloud-native-london-april-2026",
                Some("Wednesday 6 May 2026")
            ),
            ("cloud-native-london-may-2023", None),
            (
                "cloud-native-london-december-2021",
                Some("Wednesday 5 January 2022")
            ),
            (
                "cloud-native-london-march-2021",
                Some("Wednesday 7 April 2021")
            ),
            (
                "cloud-native-london-december-2019-d2iq-exelerys-and-palo-alto-networks",
                Some("Wednesday 8 January 2020")
            ),
            (
                "cloud-native-london-october-2018-jetstack-wso2-and-exelerys",
                Some("Wednesday 7 November 2018")
            ),
            ("cloud-native-london-july-2017-red-hat-and-katacoda", None),
        ]
    );
}

#[test]
fn each_date_of_a_sentence_keeps_its_own_words() {
    let found = read("2026-09-10", "Thanks!\n\nOur next meetup is on 14 October at Example Works, and our Christmas party is on 9 December.\n");
    let e = found.event.unwrap();
    assert_eq!(e.start.date_naive().to_string(), "2026-10-14");
    assert_eq!(e.location.as_deref(), Some("Example Works"));
    assert_eq!(e.title, "Riverside Cloud Native: next meetup");
    let found = read("2026-09-10", "Thanks!\n\nThe recording of our 9 September meetup is on YouTube, and our next is on 14 October.\n");
    assert!(!found.event.unwrap().online);
    let found = read(
        "2026-09-10",
        "Thanks!\n\nOur next meetup is on 14 October; the CFP closes on 30 September.\n",
    );
    assert_eq!(start(&found).unwrap(), "2026-10-14T18:30:00+01:00");
    let found = read(
        "2026-09-10",
        "Thanks!\n\nOur next meetups are on 14 October and 11 November.\n",
    );
    assert_eq!(start(&found).unwrap(), "2026-10-14T18:30:00+01:00");
}

#[test]
fn more_ways_organisers_announce() {
    for sentence in [
        "Riverside Cloud Native returns on 14 October.",
        "Save the date — 14 October, 6:30pm.",
        "Sample Bank kindly offered their space for our next meetup on 14 October.",
        "Our next meetup will be a joint one with Sample Data Guild on 14 October.",
    ] {
        let found = read("2026-09-10", &format!("Thanks!\n\n{sentence}\n"));
        assert_eq!(
            start(&found).map(|s| s[..10].to_owned()),
            Ok("2026-10-14".into()),
            "{sentence}: {:?}",
            found.doubts
        );
    }
    let found = read("2026-09-10", &format!("Thanks!\n\nNext up: Thursday 8 October at Example Works — talks on service meshes. [RSVP]({OUR_RSVP})\n"));
    let e = found.event.unwrap();
    assert_eq!(e.start.date_naive().to_string(), "2026-10-08");
    assert_eq!(
        (e.location.as_deref(), e.about.as_deref(), e.rsvp.as_deref()),
        (
            Some("Example Works"),
            Some("talks on service meshes"),
            Some(OUR_RSVP)
        )
    );
    let found = read(
        "2026-09-10",
        "Thanks!\n\nOur friends at Sample Data Guild: next meetup 15 October.\n",
    );
    refused(
        &found,
        "15 October",
        "another organisation's event (Sample Data Guild)",
    );
}
