//! The next meetup: from a post's `event:` front matter, or read out of the newest recap's
//! closing paragraphs in whatever words the organisers chose.

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, Weekday};
use serde::Serialize;

use super::announcement::{self, Cue};
use super::blocks::{self, Block, Link};
use super::prose_date::{self, ProseDate};
use crate::config::{Config, NewsletterSettings};
use crate::content::dates::{in_zone, parse_date};
use crate::content::Post;
use crate::diagnostics::Diagnostic;

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
    /// The event, if a date was found and it is after the post.
    pub event: Option<Event>,
    /// Warnings: weekday mismatch, stale date, no event.
    pub warnings: Vec<Diagnostic>,
}

/// Most dates looked at in one closing sentence, and in all of them together: real closing
/// paragraphs have a handful, and the bound keeps hostile input cheap.
const MAX_DATES_PER_SENTENCE: usize = 16;
const MAX_CANDIDATES: usize = 256;
/// Headings that name a part of the recap, not the next meetup.
const GENERIC_HEADINGS: [&str; 19] = [
    "overview",
    "the talks",
    "talks",
    "thanks",
    "thank you",
    "photos",
    "videos",
    "slides",
    "sponsors",
    "summary",
    "recap",
    "intro",
    "introduction",
    "takeaways",
    "links",
    "resources",
    "agenda",
    "schedule",
    "next steps",
];

/// A date in a closing sentence, and how it reads.
#[derive(Debug)]
struct Candidate {
    /// Index into the closing blocks.
    block: usize,
    /// The sentence's byte range in the block's text.
    sentence: (usize, usize),
    date: ProseDate,
    cue: Cue,
}

impl Candidate {
    fn text<'a>(&self, blocks: &'a [Block]) -> &'a str {
        blocks[self.block].text[self.sentence.0..self.sentence.1].trim()
    }
}

/// Finds the next event a post announces. `body` is the post's Markdown after Liquid.
///
/// Without `event:` front matter, the date is read from the recap's closing paragraphs: every
/// date there that reads as a coming meetup ("see you on", "join us again on", "our May meetup
/// is on the 14th") is a candidate; the most clearly announced one wins, then one in the last
/// paragraphs over an earlier "next meetup" paragraph, then the earliest (the *next* meetup).
pub fn find(
    post: &Post,
    body: &str,
    body_line: usize,
    config: &Config,
    settings: &NewsletterSettings,
) -> Found {
    if let Some(value) = post.extra.get("event") {
        return from_front_matter(post, value, config, settings);
    }
    let blocks = blocks::closing_blocks(body);
    let post_day = post.date.date_naive();
    let candidates = candidates(&blocks, post_day);
    let mut found = Found::default();
    let best = candidates
        .iter()
        .filter(|c| c.date.date > post_day)
        .max_by_key(|c| {
            let tail = blocks[c.block].tail;
            (c.cue, tail, std::cmp::Reverse(c.date.date))
        });
    let Some(best) = best else {
        found
            .warnings
            .push(no_event_warning(post, &blocks, &candidates, body_line));
        return found;
    };
    let at = body_line + blocks[best.block].line;
    if let Some(stated) = best.date.weekday.filter(|d| *d != best.date.date.weekday()) {
        found.warnings.push(Diagnostic::warning(
            &post.source,
            at,
            1,
            format!(
                "next event says {} but {} is a {}: \"{}\"",
                weekday_name(stated),
                best.date.date.format("%-d %B %Y"),
                weekday_name(best.date.date.weekday()),
                quote(best.text(&blocks))
            ),
        ));
    }
    found.event = Some(from_sentence(post, &blocks, best, config, settings));
    found
}

/// Every date in the closing blocks that may announce the meetup (not the ones that look back).
fn candidates(blocks: &[Block], post_day: NaiveDate) -> Vec<Candidate> {
    let mut out = Vec::new();
    for (index, block) in blocks.iter().enumerate() {
        let lower = block.text.to_ascii_lowercase();
        for (start, end) in blocks::sentences(&block.text) {
            let sentence = &block.text[start..end];
            let lower = &lower[start..end];
            for date in prose_date::find_all(sentence, post_day)
                .into_iter()
                .take(MAX_DATES_PER_SENTENCE)
            {
                let cue = announcement::cue(lower, date.span);
                let accepted = match cue {
                    Cue::Against => false,
                    Cue::None => {
                        !date.numeric && (block.heading || announcement::names_a_meetup(lower))
                    }
                    Cue::Weak | Cue::Strong => true,
                };
                if accepted {
                    out.push(Candidate {
                        block: index,
                        sentence: (start, end),
                        date,
                        cue,
                    });
                }
                if out.len() >= MAX_CANDIDATES {
                    return out;
                }
            }
        }
    }
    out
}

/// Why there is no event: a stale date, a "next meetup" without a date, or nothing at all.
fn no_event_warning(
    post: &Post,
    blocks: &[Block],
    candidates: &[Candidate],
    body_line: usize,
) -> Diagnostic {
    let post_day = post.date.date_naive();
    if let Some(stale) = candidates.iter().rev().find(|c| c.cue == Cue::Strong) {
        return Diagnostic::warning(
            &post.source,
            body_line + blocks[stale.block].line,
            1,
            format!(
                "next event date {} is not after the post's own date {} (a stale copied paragraph?): \"{}\"",
                stale.date.date,
                post_day,
                quote(stale.text(blocks))
            ),
        );
    }
    let next = blocks
        .iter()
        .rev()
        .find(|b| blocks::mentions_next(&b.text.to_ascii_lowercase()));
    match next {
        Some(block) => Diagnostic::warning(
            &post.source,
            body_line + block.line,
            1,
            format!(
                "recap has no next event date: found no day and month in \"{}\"",
                quote(&block.text)
            ),
        ),
        None => Diagnostic::warning(
            &post.source,
            1,
            1,
            "recap has no next event: no closing paragraph announces a coming meetup with its date (\"see you on Thursday 9 April\", \"our next meetup is on the 14th\") and there is no `event:` front matter",
        ),
    }
}

/// The event a closing sentence announces: its date and time, and from the same sentence what
/// it is about, where, whether online, and the RSVP link.
fn from_sentence(
    post: &Post,
    blocks: &[Block],
    chosen: &Candidate,
    config: &Config,
    settings: &NewsletterSettings,
) -> Event {
    let block = &blocks[chosen.block];
    let said = Said::read(blocks, chosen, config);
    let start = in_zone(
        chosen
            .date
            .date
            .and_time(chosen.date.time.unwrap_or(settings.event_time)),
        config.site.timezone,
    );
    Event {
        title: event_title(block, chosen.date.date, config),
        start,
        end: start + Duration::minutes(i64::from(settings.event_minutes)),
        location: said.venue,
        rsvp: rsvp_link(blocks, chosen),
        uid: uid(post, config),
        announced: post.date,
        sentence: chosen.text(blocks).to_owned(),
        about: said.about,
        online: said.online,
        time_stated: chosen.date.time.is_some(),
        cancelled: false,
    }
}

/// What an announcing sentence says besides its date.
struct Said {
    about: Option<String>,
    venue: Option<String>,
    online: bool,
}

impl Said {
    /// Reads the chosen sentence; a date in a heading ("## Next up: Thursday 9 April") is
    /// explained by the first sentence of the paragraph below.
    fn read(blocks: &[Block], chosen: &Candidate, config: &Config) -> Said {
        let block = &blocks[chosen.block];
        let sentence = &block.text[chosen.sentence.0..chosen.sentence.1];
        let follow = blocks
            .get(chosen.block + 1)
            .filter(|next| block.heading && !next.heading)
            .and_then(|next| {
                blocks::sentences(&next.text)
                    .first()
                    .map(|&(a, b)| &next.text[a..b])
            });
        let about = announcement::about(sentence, chosen.date.span.1)
            .or_else(|| follow.and_then(|f| announcement::about(f, 0)));
        let not_venues = [
            config.site.title.as_str(),
            block.section.as_deref().unwrap_or(""),
        ];
        let venue = announcement::venue(sentence, &not_venues)
            .or_else(|| follow.and_then(|f| announcement::venue(f, &not_venues)));
        let about_range = about.as_ref().map(|(_, range)| *range);
        let online = announcement::says_online(&sentence.to_ascii_lowercase(), about_range)
            || follow.is_some_and(|f| announcement::says_online(&f.to_ascii_lowercase(), None));
        Said {
            about: about.map(|(text, _)| text),
            venue,
            online,
        }
    }
}

/// The RSVP link: from the sentence, else the rest of its paragraph or the next block.
fn rsvp_link(blocks: &[Block], chosen: &Candidate) -> Option<String> {
    let block = &blocks[chosen.block];
    let (s, e) = chosen.sentence;
    let (in_sentence, rest): (Vec<&Link>, Vec<&Link>) =
        block.links.iter().partition(|l| (s..e).contains(&l.at));
    let near: Vec<&Link> = rest
        .into_iter()
        .chain(
            blocks
                .get(chosen.block + 1)
                .into_iter()
                .flat_map(|b| &b.links),
        )
        .collect();
    announcement::pick_rsvp(&in_sentence, &near)
}

/// The heading the announcement sits under ("Riverside Cloud Native December"), unless it is a
/// part of the recap ("The talks") or the date itself; else "<site>: next meetup".
fn event_title(block: &Block, day: NaiveDate, config: &Config) -> String {
    block
        .section
        .as_deref()
        .filter(|h| !GENERIC_HEADINGS.contains(&h.to_lowercase().trim_end_matches(':')))
        .filter(|h| prose_date::find(h, day).is_none())
        .map(|h| announcement::shorten(h, 120))
        .unwrap_or_else(|| format!("{}: next meetup", config.site.title))
}

/// `true`, `yes` (and YAML's booleans).
fn truthy(value: Option<&serde_json::Value>) -> bool {
    match value {
        Some(serde_json::Value::Bool(b)) => *b,
        Some(serde_json::Value::String(s)) => {
            matches!(
                s.trim().to_ascii_lowercase().as_str(),
                "true" | "yes" | "on"
            )
        }
        _ => false,
    }
}

/// A text field of `event:` front matter, trimmed, without control characters.
fn field_text(value: &serde_json::Value, key: &str) -> Option<String> {
    value
        .get(key)
        .and_then(|v| match v {
            serde_json::Value::String(s) => Some(s.trim().to_owned()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
        .filter(|s| !s.is_empty() && !s.chars().any(char::is_control))
}

/// The event from `event:` front matter: `date` (required; with a time, or `time:` beside
/// it), `title`, `rsvp`, `location` (`Online` means online), `online`, `about`, `cancelled`.
fn from_front_matter(
    post: &Post,
    value: &serde_json::Value,
    config: &Config,
    settings: &NewsletterSettings,
) -> Found {
    let mut found = Found::default();
    let text = |key: &str| field_text(value, key);
    let warn = |message: String| Diagnostic::warning(&post.source, 1, 1, message);
    let Some(raw_date) = text("date") else {
        found.warnings.push(warn("field `event.date`: expected a date such as `2026-12-09 18:30`, found nothing; the event is ignored".to_owned()));
        return found;
    };
    let time = text("time").and_then(|raw| {
        let parsed = prose_date::parse_time(&raw);
        if parsed.is_none() {
            found.warnings.push(warn(format!("field `event.time`: expected a time such as `18:30` or `6:30pm`, found `{}`; the usual time is used", quote(&raw))));
        }
        parsed
    });
    let date_has_time = raw_date.trim().len() > 10;
    let start = match parse_date(&raw_date, config.site.timezone) {
        Ok(start) if time.is_some() || !date_has_time => {
            let at = time.unwrap_or(settings.event_time);
            in_zone(start.date_naive().and_time(at), config.site.timezone)
        }
        Ok(start) => start,
        Err(why) => {
            found.warnings.push(warn(format!(
                "field `event.date`: {why}; the event is ignored"
            )));
            return found;
        }
    };
    let location = text("location");
    let said_online = location
        .as_deref()
        .is_some_and(|l| l.eq_ignore_ascii_case("online"));
    found.event = Some(Event {
        title: text("title").unwrap_or_else(|| format!("{}: next meetup", config.site.title)),
        start,
        end: start + Duration::minutes(i64::from(settings.event_minutes)),
        location: location.filter(|_| !said_online),
        rsvp: text("rsvp").filter(|u| u.starts_with("https://") || u.starts_with("http://")),
        uid: uid(post, config),
        announced: post.date,
        sentence: "front matter".to_owned(),
        about: text("about").map(|a| announcement::shorten(&a, 500)),
        online: said_online || truthy(value.get("online")),
        time_stated: date_has_time || time.is_some(),
        cancelled: truthy(value.get("cancelled")),
    });
    found
}

/// `next-meetup-2026-11-12-november-recap@meetup.example.com`.
fn uid(post: &Post, config: &Config) -> String {
    format!(
        "next-meetup-{}-{}@{}",
        post.date.format("%Y-%m-%d"),
        post.file_slug,
        config.site.host()
    )
}

fn quote(s: &str) -> String {
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

fn weekday_name(d: Weekday) -> &'static str {
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

    const CONFIG: &str = "site:\n  title: Riverside Cloud Native\n  url: https://meetup.example.com\n  author: Ada\n  timezone: Europe/London\nnewsletter:\n  from: { name: Riverside, address: news@example.com }\n";

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
            ("2026-12-20", "Our next meetup is on the 14th.", "2027-01-14"),
            ("2026-03-12", "Next meetup: 2026-04-15, hybrid at Example Hall and online.", "2026-04-15"),
            ("2026-03-12", "We'll see you on Wed 15 April at 7pm BST.", "2026-04-15"),
            ("2026-03-12", "Thanks to everyone who came on 5 March; see you on 9 April!", "2026-04-09"),
            ("2026-03-12", "The next meetup is on 8 April. Our summer party is on 8 July.", "2026-04-08"),
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
    fn past_references_and_other_dates_are_not_the_next_meetup() {
        for closing in [
            "On 3 March we had a packed room.",
            "Thanks to everyone who came on Thursday!",
            "Thanks to everyone who came on 5 March.",
            "The call for papers closes on 30 April.",
            "Our first meetup was on 6 July 2017.",
            "We recorded the talks on 10 March; videos are coming soon.",
            "Happy holidays, and see you in the new year!",
            "Our friends at Example Ltd are running a free meetup on 9th April.",
            "Slides from 12 March are below.",
            "Thanks to Example Venue Co who hosted us on 12 March.",
            "On the 14th we had pizza.",
            "The 2nd talk was on Kubernetes.",
            "Last time, on Thursday 5 April, we talked about eBPF.",
            "Submissions are open until 30 April.",
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
        assert_eq!(e.title, "Next time");
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
        let f = found("2026-03-12", &recap("See you all on Friday 9th April!"));
        assert!(f.event.is_some());
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
