//! The next meetup: from a post's `event:` front matter, or read out of the newest recap's
//! closing paragraphs in whatever words the organisers chose (see [`super::prose`]). Where
//! the reader is unsure it says so and announces nothing: a wrong date mailed to every member
//! is far worse than none.

use chrono::{DateTime, FixedOffset, Weekday};
use serde::Serialize;

use super::prose::{Decision, Recap};
use super::reading::{Doubt, NoEvent};
use crate::config::{Config, NewsletterSettings};
use crate::content::Post;
use crate::diagnostics::Diagnostic;

/// The `sentence` of an event from `event:` front matter.
pub const FRONT_MATTER: &str = "front matter";

/// The next meetup, as a digest announces it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    /// What it is called ("Riverside Cloud Native December").
    pub title: String,
    /// When it starts.
    pub start: DateTime<FixedOffset>,
    /// When it ends (start plus the configured length).
    pub end: DateTime<FixedOffset>,
    /// Where, if known.
    pub location: Option<String>,
    /// The RSVP link, if the post has one.
    pub rsvp: Option<String>,
    /// Stable calendar UID: derived from the site and the post that announced the event, so a
    /// corrected time updates the same calendar entry.
    pub uid: String,
    /// The sentence it was read from (or `front matter`).
    pub sentence: String,
    /// When the post that announced it was published (the anchor of the UID).
    pub announced: DateTime<FixedOffset>,
    /// What it is about, in the source's own words (speakers, topics, sponsors), if it says.
    pub about: Option<String>,
    /// The source says the meetup is online.
    pub online: bool,
    /// The source states a start time; otherwise `start` uses the configured `event_time`
    /// (or midnight) and the e-mail marks the time as not confirmed.
    pub time_stated: bool,
    /// The organisers cancelled it (`event: {cancelled: true}`).
    pub cancelled: bool,
}

impl Event {
    /// The calendar `SEQUENCE` for a copy of this event published at `at`: the minutes since
    /// the announcing post. Every later publication of the same UID therefore carries a higher
    /// SEQUENCE, so a corrected time or place always replaces the entry in subscribers'
    /// calendars, without crier having to remember what it sent before. Every recipient of one
    /// digest gets the same value, because `at` is the digest's time.
    pub fn sequence(&self, at: DateTime<FixedOffset>) -> u32 {
        u32::try_from((at - self.announced).num_minutes().max(0)).unwrap_or(u32::MAX)
    }
}

/// What was found in one post.
#[derive(Debug, Default)]
pub struct Found {
    /// The event, if one is clearly announced (and, read from the text, after the post).
    pub event: Option<Event>,
    /// Warnings for `crier check`: every doubt, and why there is no event.
    pub warnings: Vec<Diagnostic>,
    /// Why there is no event, when there is none.
    pub none: Option<NoEvent>,
    /// Every doubt about a date, a time or a field, in the order of the post.
    pub doubts: Vec<Doubt>,
    /// The 1-based line of the sentence the event was read from (`None`: front matter).
    pub line: Option<usize>,
    /// The outcome rests on doubts (no event because the reader is unsure, or an event with
    /// caveats): the organiser must be told whenever it is used.
    pub unsure: bool,
}

/// Finds the next event a post announces. `body` is the post's Markdown after Liquid,
/// starting on line `body_line` of its file.
///
/// `event:` front matter wins. Otherwise every date in the recap's closing part is weighed
/// (see [`super::evidence`]), and only one that is clearly the group's own next meetup is
/// announced.
pub fn find(
    post: &Post,
    body: &str,
    body_line: usize,
    config: &Config,
    settings: &NewsletterSettings,
) -> Found {
    if let Some(value) = post.extra.get("event") {
        let title_for = |date| Recap::read(post, body, body_line, config).title_for(date);
        let (event, warnings) =
            super::front_matter::event(post, value, config, settings, title_for);
        let none = event
            .is_none()
            .then(|| NoEvent::FrontMatter("see the warning about `event:`".to_owned()));
        return Found {
            event,
            warnings,
            none,
            ..Found::default()
        };
    }
    from_text(post, body, body_line, config, settings)
}

/// The event read from the recap's text.
fn from_text(
    post: &Post,
    body: &str,
    body_line: usize,
    config: &Config,
    settings: &NewsletterSettings,
) -> Found {
    let recap = Recap::read(post, body, body_line, config);
    let decision = recap.decide();
    let (doubts, mut warnings): (Vec<Doubt>, Vec<Diagnostic>) =
        recap.doubts(&decision).into_iter().unzip();
    let mut found = Found::default();
    match decision {
        Decision::Winner(w) => {
            let c = &recap.candidates[w];
            found.event = Some(recap.event(c, settings));
            found.line = Some(recap.file_line(c.block));
            found.unsure = !c.evidence.objections.is_empty();
        }
        Decision::Competing(list) => {
            let mut dates: Vec<_> = list
                .iter()
                .map(|&i| recap.candidates[i].date.date)
                .collect();
            dates.sort();
            found.none = Some(NoEvent::Competing(dates));
            found.unsure = true;
        }
        Decision::Nothing => {
            let why = recap.why_none();
            found.unsure = why == NoEvent::Unsure;
            if let Some(w) = no_event_warning(post, &why) {
                warnings.push(w);
            }
            found.none = Some(why);
        }
    }
    found.doubts = doubts;
    found.warnings = warnings;
    found
}

/// The warning for a recap without an event, when the doubts do not already say why.
fn no_event_warning(post: &Post, why: &NoEvent) -> Option<Diagnostic> {
    let post_day = post.date.date_naive();
    let (line, message) = match why {
        NoEvent::Stale { line, sentence, date } => (*line, format!(
            "next event date {date} is not after the post's own date {post_day} (a stale copied paragraph?): \"{sentence}\""
        )),
        NoEvent::NoDate { line, sentence } => (*line, format!(
            "recap has no next event date: found no day and month in \"{sentence}\""
        )),
        NoEvent::NotAnnounced => (1, "recap has no next event: no closing paragraph announces a coming meetup with its date (\"see you on Thursday 9 April\", \"our next meetup is on the 14th\") and there is no `event:` front matter".to_owned()),
        _ => return None,
    };
    Some(Diagnostic::warning(&post.source, line, 1, message))
}

/// The title of an event whose source names none: "Riverside Cloud Native: next meetup".
pub(super) fn default_title(config: &Config) -> String {
    format!("{}: next meetup", config.site.title)
}

/// `next-meetup-2026-11-12-november-recap@meetup.example.com`.
pub(super) fn uid(post: &Post, config: &Config) -> String {
    format!(
        "next-meetup-{}-{}@{}",
        post.date.format("%Y-%m-%d"),
        post.file_slug,
        config.site.host()
    )
}

/// A sentence for a message: one line, at most 160 characters.
pub(super) fn quote(s: &str) -> String {
    let s: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if s.chars().count() > 160 {
        format!("{}...", s.chars().take(160).collect::<String>())
    } else {
        s
    }
}

pub(super) fn weekday_name(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use chrono::NaiveTime;

    use super::*;

    const CONFIG: &str = "site:\n  title: Riverside Cloud Native\n  url: https://meetup.example.com\n  author: Ada\n  timezone: Europe/London\n  language: en-GB\nnewsletter:\n  from: { name: Riverside, address: news@example.com }\n";

    fn config() -> Config {
        crate::config::parse(Path::new("site"), Path::new("site/crier.yaml"), CONFIG).unwrap()
    }

    /// A recap published on `date` (with `location: London, UK`, which the event must not
    /// inherit) and extra front matter.
    fn post(date: &str, front: &str) -> Post {
        let name = format!("{date}-recap.md");
        let file_name = crate::content::post_file_name(Path::new(&name))
            .unwrap()
            .unwrap();
        let text =
            format!("---\ntitle: Recap\nlocation: London, UK\ntags: [Meetup]\n{front}---\nBody.\n");
        crate::content::parse_post(Path::new(&name), &file_name, &text, &config())
            .unwrap()
            .0
    }

    fn found(date: &str, body: &str) -> Found {
        let config = config();
        let settings = config.newsletter.clone().unwrap();
        find(&post(date, ""), body, 6, &config, &settings)
    }

    fn event(date: &str, body: &str) -> Event {
        let found = found(date, body);
        assert!(found.warnings.is_empty(), "{body}: {:?}", found.warnings);
        found
            .event
            .unwrap_or_else(|| panic!("no event in {body:?}"))
    }

    fn day(e: &Event) -> String {
        e.start.format("%Y-%m-%d").to_string()
    }

    /// A recap body whose closing paragraph is `closing`.
    fn recap(closing: &str) -> String {
        format!("We had two great talks.\n\n![Photo](/p.jpg)\n\n## Next time\n\n{closing}\n\nThe organisers\n")
    }

    #[test]
    fn many_wordings_announce_the_next_meetup() {
        for (posted, closing, want) in [
            ("2026-03-12", "See you all on Thursday 9th April!", "2026-04-09"),
            ("2026-03-12", "Our April meetup is on the 14th.", "2026-04-14"),
            ("2026-04-10", "Join us again on 6 May for a night of eBPF talks.", "2026-05-06"),
            ("2026-05-14", "We'll be back on the 2nd of June with talks from Acme and Example Ltd.", "2026-06-02"),
            ("2026-05-20", "Save the date: 11/06, when we'll be joined by speakers from Example Ltd.", "2026-06-11"),
            ("2026-07-09", "Next month we're at Example Hall on Tuesday 8 September.", "2026-09-08"),
            ("2026-03-12", "Our next meetup will be Wednesday 8th April, when we'll be joined by speakers from A, B and C!", "2026-04-08"),
            ("2026-03-12", "Mark your diaries for April 22nd at 6:30pm: we're online on Zoom this time.", "2026-04-22"),
            ("2026-03-12", "The next one is on Thursday the 16th of April, streamed live on YouTube.", "2026-04-16"),
            ("2026-03-12", "Don't miss our spring special on 1 April at the Example Library, featuring lightning talks.", "2026-04-01"),
            ("2026-03-12", "Tickets for 23 April are now on [Eventbrite](https://www.eventbrite.co.uk/e/1).", "2026-04-23"),
            ("2026-03-12", "We're taking a break over Easter, but we're back on 13 May.", "2026-05-13"),
            ("2026-03-12", "Come along on Tuesday, 21 April 2026 (doors 18:00) for pizza and talks.", "2026-04-21"),
            ("2026-03-12", "RSVP now for 9 April: https://www.meetup.com/example/events/9", "2026-04-09"),
            ("2026-12-03", "See you in the new year on 14 January!", "2027-01-14"),
            ("2026-03-12", "Next meetup: 2026-04-15, hybrid at Example Hall and online.", "2026-04-15"),
            ("2026-03-12", "We'll see you on Wed 15 April at 7pm BST.", "2026-04-15"),
            ("2026-03-12", "Thanks to everyone who came on 5 March; see you on 9 April!", "2026-04-09"),
            ("2026-03-12", "We skip April. The next meetup is on Wednesday 13th May: observability war stories.", "2026-05-13"),
            ("2026-12-10", "Join us at the next meetup on Wednesday 13th January", "2027-01-13"),
            ("2026-03-12", "Upcoming: Thursday 9 April, with speakers from Acme.", "2026-04-09"),
            ("2026-03-12", "We meet again on April 9th, 2026 from 18:30 at Bank of Example offices.", "2026-04-09"),
            ("2026-03-12", "On 9 April we will be at Example Hall.", "2026-04-09"),
        ] {
            let e = event(posted, &recap(closing));
            assert_eq!(day(&e), want, "{closing}");
        }
    }

    #[test]
    fn the_clearest_of_two_dates_is_announced_and_the_other_doubted() {
        let f = found(
            "2026-03-12",
            &recap("The next meetup is on 8 April. Our summer party is on 8 July."),
        );
        assert_eq!(f.event.as_ref().map(day).as_deref(), Some("2026-04-08"));
        assert!(!f.unsure);
        assert_eq!(f.doubts.len(), 1);
        assert_eq!(
            f.doubts[0].why,
            "not announced: 2026-04-08 is announced more clearly"
        );
        assert_eq!(f.doubts[0].sentence, "Our summer party is on 8 July.");
    }

    #[test]
    fn a_day_without_a_month_is_announced_with_a_caveat() {
        let f = found("2026-12-20", &recap("Our next meetup is on the 14th."));
        assert_eq!(f.event.as_ref().map(day).as_deref(), Some("2027-01-14"));
        assert!(f.unsure);
        assert_eq!(f.warnings.len(), 1, "{:?}", f.warnings);
        assert!(
            f.warnings[0]
                .message
                .starts_with("next event 2027-01-14: it names no month"),
            "{:?}",
            f.warnings
        );
    }

    #[test]
    fn dates_that_are_not_announcements_are_told_apart() {
        for (closing, why) in [
            (
                "The call for papers closes on 30 April.",
                "it reads as a deadline",
            ),
            (
                "Our friends at Example Ltd are running a free meetup on 9th April.",
                "it is another organisation's event (Example Ltd)",
            ),
            (
                "Submissions are open until 30 April.",
                "it reads as a deadline",
            ),
        ] {
            let found = found("2026-03-12", &recap(closing));
            assert_eq!(found.event, None, "{closing}");
            assert_eq!(found.none, Some(NoEvent::Unsure), "{closing}");
            assert!(
                found
                    .doubts
                    .iter()
                    .any(|d| d.why.starts_with(&format!("not announced: {why}"))),
                "{closing}: {:?}",
                found.doubts
            );
        }
    }

    #[test]
    fn past_references_and_other_dates_are_not_the_next_meetup() {
        for closing in [
            "On 3 March we had a packed room.",
            "Thanks to everyone who came on Thursday!",
            "Thanks to everyone who came on 5 March.",
            "Our first meetup was on 6 July 2017.",
            "We recorded the talks on 10 March; videos are coming soon.",
            "Happy holidays, and see you in the new year!",
            "Slides from 12 March are below.",
            "Thanks to Example Venue Co who hosted us on 12 March.",
            "On the 14th we had pizza.",
            "The 2nd talk was on Kubernetes.",
            "Last time, on Thursday 5 April, we talked about eBPF.",
            "Our 24/7 support line is open.",
        ] {
            let found = found("2026-03-12", &recap(closing));
            assert_eq!(found.event, None, "{closing}");
            assert_eq!(found.warnings.len(), 1, "{closing}");
            assert!(
                found.warnings[0]
                    .message
                    .starts_with("recap has no next event:"),
                "{closing}: {}",
                found.warnings[0].message
            );
        }
    }

    #[test]
    fn dates_in_the_body_are_not_the_next_meetup() {
        let mut body = String::from("Our next meetup will be on 20 March, see you there!\n\n");
        for i in 0..12 {
            body.push_str(&format!("Talk {i} was great.\n\n"));
        }
        body.push_str("## Next\n\nSee you all on Thursday 9th April!\n");
        // An early "next meetup" paragraph and the closing line disagree: nothing is announced,
        // and the organiser is told.
        let f = found("2026-03-12", &body);
        assert_eq!(f.event, None);
        assert_eq!(
            f.none,
            Some(NoEvent::Competing(vec![
                chrono::NaiveDate::from_ymd_opt(2026, 3, 20).unwrap(),
                chrono::NaiveDate::from_ymd_opt(2026, 4, 9).unwrap(),
            ]))
        );
        assert!(
            f.unsure && f.doubts.iter().all(|d| d.why.contains("competes")),
            "{:?}",
            f.doubts
        );
        body = body.replacen(
            "Our next meetup will be on 20 March, see you there!",
            "Our next meetup will be on 9 April, see you there!",
            1,
        );
        assert_eq!(day(&event("2026-03-12", &body)), "2026-04-09");
        // A date early in the post, far from the end, is not read at all.
        let body = "On 9 April our friends meet.\n\nSee you on 20 April at the meetup!\n\n"
            .to_owned()
            + &"More text.\n\n".repeat(12);
        let found = found("2026-03-12", &body);
        assert_eq!(found.event, None);
    }

    #[test]
    fn about_place_online_and_time_come_from_the_sentence() {
        let e = event("2026-03-12", &recap("Our next meetup will be Wednesday 8th April, when we'll be joined by speakers from A, B and C! [RSVP and save the date now!](https://www.meetup.com/example/events/8)"));
        assert_eq!(e.about.as_deref(), Some("speakers from A, B and C"));
        assert_eq!(
            e.rsvp.as_deref(),
            Some("https://www.meetup.com/example/events/8")
        );
        assert_eq!(e.title, "Riverside Cloud Native: next meetup");
        assert_eq!((e.location, e.online, e.time_stated), (None, false, false));
        assert_eq!(e.start.time(), NaiveTime::from_hms_opt(18, 30, 0).unwrap());
        assert_eq!(e.sentence, "Our next meetup will be Wednesday 8th April, when we'll be joined by speakers from A, B and C!");

        let e = event(
            "2026-04-10",
            &recap("Join us again on 6 May for a night of eBPF talks."),
        );
        assert_eq!(e.about.as_deref(), Some("a night of eBPF talks"));

        let e = event(
            "2026-07-09",
            &recap("Next month we're at Example Hall on Tuesday 8 September."),
        );
        assert_eq!(
            (e.location.as_deref(), e.online),
            (Some("Example Hall"), false)
        );
    }

    #[test]
    fn online_time_and_rsvp_come_from_the_sentence() {
        let e = event(
            "2026-03-12",
            &recap("Mark your diaries for April 22nd at 6:30pm: we're online on Zoom this time."),
        );
        assert!(e.online && e.time_stated);
        assert_eq!(e.start.to_rfc3339(), "2026-04-22T18:30:00+01:00");
        assert_eq!(e.end.to_rfc3339(), "2026-04-22T21:30:00+01:00");

        let e = event(
            "2026-03-12",
            &recap("Next meetup: 2026-04-15, hybrid at Example Hall and online."),
        );
        assert_eq!(
            (e.location.as_deref(), e.online),
            (Some("Example Hall"), true)
        );

        let e = event("2026-03-12", &recap("Don't miss our spring special on 1 April at the Example Library, featuring lightning talks."));
        assert_eq!(e.location.as_deref(), Some("Example Library"));
        assert_eq!(e.about.as_deref(), Some("lightning talks"));

        let e = event(
            "2026-03-12",
            &recap("RSVP now for 9 April: https://www.meetup.com/example/events/9"),
        );
        assert_eq!(
            e.rsvp.as_deref(),
            Some("https://www.meetup.com/example/events/9")
        );
        assert_eq!(e.about, None);

        let e = event(
            "2026-03-12",
            &recap("Come along on Tuesday, 21 April 2026 (doors 18:00) for pizza and talks."),
        );
        assert_eq!(e.start.to_rfc3339(), "2026-04-21T18:00:00+01:00");
        assert_eq!(e.about.as_deref(), Some("pizza and talks"));
    }

    #[test]
    fn a_heading_with_the_date_takes_the_paragraph_below() {
        let body = "Thanks all.\n\n## Next up: Wednesday 15 April\n\nSpeakers from Acme and Example Ltd, online as usual. [RSVP](https://events.example.org/4)\n";
        let e = event("2026-03-12", body);
        assert_eq!(day(&e), "2026-04-15");
        assert_eq!(
            e.about.as_deref(),
            Some("Speakers from Acme and Example Ltd, online as usual")
        );
        assert_eq!(e.rsvp.as_deref(), Some("https://events.example.org/4"));
        assert!(e.online);
        assert_eq!(e.title, "Riverside Cloud Native: next meetup");
    }

    #[test]
    fn sponsor_links_are_not_the_rsvp() {
        let e = event("2026-03-12", &recap("See you on 9 April, when we'll be joined by speakers from [Acme](https://acme.example.com)."));
        assert_eq!(e.rsvp, None);
        let body = recap("See you on 9 April, with thanks to [Acme](https://acme.example.com).\n\n[Book your place](https://events.example.org/9)");
        assert_eq!(
            event("2026-03-12", &body).rsvp.as_deref(),
            Some("https://events.example.org/9")
        );
    }

    #[test]
    fn check_warnings_hold_for_every_wording() {
        // A weekday that does not match: which of the two is wrong? Nothing is announced.
        let f = found("2026-03-12", &recap("See you all on Friday 9th April!"));
        assert!(f.event.is_none() && f.unsure);
        assert_eq!(f.warnings.len(), 1);
        assert_eq!(f.warnings[0].line, 12);
        assert_eq!(
            f.warnings[0].message,
            "next event says Friday but 9 April 2026 is a Thursday: \"See you all on Friday 9th April!\""
        );
        let f = found(
            "2026-03-12",
            &recap("We're back on Wednesday 11 March with talks on eBPF."),
        );
        assert_eq!(f.event, None);
        assert!(f.warnings[0].message.starts_with("next event date 2026-03-11 is not after the post's own date 2026-03-12 (a stale copied paragraph?): \"We're back on Wednesday 11 March"), "{:?}", f.warnings);
        let f = found(
            "2026-03-12",
            &recap("Looking forward to the next event in August!"),
        );
        assert_eq!(f.event, None);
        assert_eq!(
            f.warnings[0].message,
            "recap has no next event date: found no day and month in \"Looking forward to the next event in August!\""
        );
        let f = found("2026-03-12", "Just a recap.\n");
        assert_eq!((f.warnings[0].line, f.event), (1, None));
    }

    #[test]
    fn front_matter_sets_about_place_time_online_and_cancellation() {
        let config = config();
        let settings = config.newsletter.clone().unwrap();
        let get = |front: &str| find(&post("2026-03-12", front), "", 6, &config, &settings);
        let f = get("event:\n  date: 2026-04-09\n  time: 7pm\n  location: Example Hall\n  about: talks on eBPF\n  rsvp: https://events.example.org/9\n");
        let e = f.event.unwrap();
        assert_eq!(e.start.to_rfc3339(), "2026-04-09T19:00:00+01:00");
        assert!(e.time_stated && !e.online && !e.cancelled);
        assert_eq!(e.location.as_deref(), Some("Example Hall"));
        assert_eq!(e.about.as_deref(), Some("talks on eBPF"));
        assert_eq!(e.sentence, "front matter");

        let e = get("event:\n  date: 2026-04-09\n  online: true\n")
            .event
            .unwrap();
        assert!(e.online && !e.time_stated);
        assert_eq!(
            e.location, None,
            "the recap's own location is not the event's"
        );
        assert_eq!(e.start.to_rfc3339(), "2026-04-09T18:30:00+01:00");

        let e = get("event:\n  date: 2026-04-09 18:00\n  location: Online\n  cancelled: true\n")
            .event
            .unwrap();
        assert!(e.online && e.cancelled && e.time_stated);
        assert_eq!(e.location, None);
        assert_eq!(e.start.to_rfc3339(), "2026-04-09T18:00:00+01:00");

        let f = get("event:\n  date: 2026-04-09\n  time: soonish\n");
        assert!(
            f.warnings[0].message.starts_with("field `event.time`"),
            "{:?}",
            f.warnings
        );
        assert!(!f.event.unwrap().time_stated);
    }

    #[test]
    fn a_megabyte_paragraph_is_read_quickly_and_safely() {
        let started = std::time::Instant::now();
        let unit =
            "see you on the 14th at 6:30pm [RSVP](https://e.example.org/x) 11/06 Thursday the ";
        let body = unit.repeat(1_000_000 / unit.len());
        let f = found("2026-03-12", &body);
        assert!(f.event.is_some());
        assert!(crate::digest::talks::find(&body, None).len() <= 8);
        let body = "[".repeat(500_000) + &"<a href=\"x\">".repeat(40_000) + &"**".repeat(100_000);
        let _ = found("2026-03-12", &body);
        let _ = crate::digest::talks::find(&body, None);
        let body =
            "**Ada Lovelace** from Example Ltd gave \"x\" (starting at 1:00) ".repeat(15_000);
        let _ = found("2026-03-12", &body);
        let _ = crate::digest::talks::find(&body, None);
        // Quadratic work on these inputs would take minutes, even in an optimised build.
        assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
    }
}
