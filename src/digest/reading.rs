//! What the recap reader read in a post, for the organiser: the event it will announce (date,
//! time and zone, place, about, RSVP) or why none, the talks, and every doubt with its
//! sentence. `crier check` prints it for the newest recaps, and the dry run can print the
//! same with one call ([`read_newest`], then `Display`).
//!
//! Plain data: building it reads the posts; printing it does nothing else.

use std::fmt;
use std::path::PathBuf;

use chrono::{DateTime, FixedOffset, NaiveDate};

use super::{calendar, event, tagged, talks, Talk};
use crate::config::{Config, NewsletterSettings};
use crate::content::{self, Post};

/// A reason not to trust a date, a time or a field, at its sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Doubt {
    /// 1-based line in the post's file.
    pub line: usize,
    /// The sentence (or front-matter field) it is about.
    pub sentence: String,
    /// What is wrong, in words for the organiser.
    pub why: String,
}

/// Why a post announces no event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoEvent {
    /// No closing paragraph announces a coming meetup, and there is no `event:` front matter.
    NotAnnounced,
    /// A paragraph talks about the next meetup but gives no day and month.
    NoDate {
        /// 1-based line.
        line: usize,
        /// The paragraph.
        sentence: String,
    },
    /// The announced date is not after the post (a paragraph copied from an older post?).
    Stale {
        /// 1-based line.
        line: usize,
        /// The sentence.
        sentence: String,
        /// The date it gives.
        date: NaiveDate,
    },
    /// Dates that look like announcements, none of them clearly the group's next meetup (the
    /// doubts say why).
    Unsure,
    /// Several dates announced as clearly as each other.
    Competing(Vec<NaiveDate>),
    /// `event:` front matter that cannot be used.
    FrontMatter(String),
    /// The event it announces starts before the digest.
    Past(DateTime<FixedOffset>),
    /// The post could not be read.
    Unreadable(String),
}

impl fmt::Display for NoEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NoEvent::NotAnnounced => f.write_str("no closing paragraph announces a coming meetup with its date, and there is no `event:` front matter"),
            NoEvent::NoDate { line, sentence } => write!(f, "line {line} talks about the next meetup but gives no day and month: \"{sentence}\""),
            NoEvent::Stale { line, date, .. } => write!(f, "the date on line {line} ({date}) is not after the post"),
            NoEvent::Unsure => f.write_str("no date is clearly the group's own next meetup (see the doubts)"),
            NoEvent::Competing(dates) => {
                let dates: Vec<String> = dates.iter().map(|d| d.format("%a %-d %B %Y").to_string()).collect();
                write!(f, "dates compete, and crier does not pick one: {}", dates.join(", "))
            }
            NoEvent::FrontMatter(why) => write!(f, "the `event:` front matter cannot be used: {why}"),
            NoEvent::Past(start) => write!(f, "it announced {}, which is past", start.format("%a %-d %B %Y %H:%M")),
            NoEvent::Unreadable(why) => write!(f, "the post cannot be read: {why}"),
        }
    }
}

/// The event a digest would announce, as the organiser should check it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventSummary {
    /// The heading of the announcement.
    pub title: String,
    /// "Wednesday 9 December 2026".
    pub date: String,
    /// "18:30 GMT", or "18:30 GMT (the usual time; to be confirmed)".
    pub time: String,
    /// "Online", the venue, or `None` when the post does not say.
    pub place: Option<String>,
    /// What it is about.
    pub about: Option<String>,
    /// The RSVP link.
    pub rsvp: Option<String>,
    /// A cancellation.
    pub cancelled: bool,
    /// Where it was read: the 1-based line and the sentence; `None` for front matter.
    pub from: Option<(usize, String)>,
}

/// What the reader made of one post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    /// The post's file.
    pub post: PathBuf,
    /// The post's title.
    pub title: String,
    /// The event it announces, or why none.
    pub event: Result<EventSummary, NoEvent>,
    /// The talks it lists.
    pub talks: Vec<Talk>,
    /// The talks come from `talks:` front matter.
    pub talks_from_front_matter: bool,
    /// Every doubt, in the order of the post.
    pub doubts: Vec<Doubt>,
}

/// The readings of the `n` newest recaps (and posts with `event:` or `talks:` front matter)
/// published by `at`, newest first.
pub fn read_newest(
    posts: &[Post],
    config: &Config,
    settings: &NewsletterSettings,
    at: DateTime<FixedOffset>,
    n: usize,
) -> Vec<Reading> {
    posts
        .iter()
        .filter(|p| p.date <= at)
        .filter(|p| {
            tagged(p, &settings.recap_tag)
                || p.extra.contains_key("event")
                || p.extra.contains_key("talks")
        })
        .take(n)
        .map(|p| read(p, config, settings, at))
        .collect()
}

/// What the reader makes of one post, for a digest sent at `at`.
pub fn read(
    post: &Post,
    config: &Config,
    settings: &NewsletterSettings,
    at: DateTime<FixedOffset>,
) -> Reading {
    let mut reading = Reading {
        post: post.source.clone(),
        title: post.title.clone(),
        event: Err(NoEvent::NotAnnounced),
        talks: Vec::new(),
        talks_from_front_matter: false,
        doubts: Vec::new(),
    };
    let (body, line) = match content::load_body(post, config) {
        Ok(loaded) => loaded,
        Err(err) => {
            reading.event = Err(NoEvent::Unreadable(err.to_string()));
            return reading;
        }
    };
    let found = event::find(post, &body, line, config, settings);
    reading.doubts = found.doubts;
    let line = found.line;
    reading.event = match (found.event, found.none) {
        (Some(e), _) if e.start <= at => Err(NoEvent::Past(e.start)),
        (Some(e), _) => Ok(summary(e, line, config, settings)),
        (None, Some(why)) => Err(why),
        (None, None) => Err(NoEvent::NotAnnounced),
    };
    let listed = talks::for_post(post, &body);
    reading.talks = listed.talks;
    reading.talks_from_front_matter = listed.from_front_matter;
    reading.doubts.extend(listed.doubts);
    reading
}

fn summary(
    e: event::Event,
    line: Option<usize>,
    config: &Config,
    settings: &NewsletterSettings,
) -> EventSummary {
    let from = line.map(|line| (line, e.sentence.clone()));
    let view = calendar::view(e, config, settings);
    EventSummary {
        title: view.event.title,
        date: view.date_display,
        time: view.time_display,
        place: view.place,
        about: view.event.about,
        rsvp: view.event.rsvp,
        cancelled: view.event.cancelled,
        from,
    }
}

impl fmt::Display for Reading {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}: \"{}\"", self.post.display(), self.title)?;
        match &self.event {
            Ok(e) => write_event(f, e)?,
            Err(why) => writeln!(f, "  next meetup: none announced: {why}")?,
        }
        let source = if self.talks_from_front_matter {
            "from the `talks:` front matter"
        } else {
            "read from the text"
        };
        match self.talks.len() {
            0 => writeln!(f, "  talks: none found")?,
            n => writeln!(f, "  talks: {n}, {source}")?,
        }
        for (i, talk) in self.talks.iter().enumerate() {
            write!(f, "    {}. {}", i + 1, talk.title)?;
            if let Some(speakers) = &talk.speakers {
                write!(f, " — {speakers}")?;
            }
            match (&talk.video, &talk.video_at) {
                (Some(_), Some(at)) => writeln!(f, " — video from {at}")?,
                (Some(url), None) => writeln!(f, " — video {url}")?,
                (None, _) => writeln!(f)?,
            }
        }
        if self.doubts.is_empty() {
            return writeln!(f, "  doubts: none");
        }
        writeln!(f, "  doubts:")?;
        for d in &self.doubts {
            writeln!(f, "    line {}: {}: \"{}\"", d.line, d.why, d.sentence)?;
        }
        Ok(())
    }
}

fn write_event(f: &mut fmt::Formatter<'_>, e: &EventSummary) -> fmt::Result {
    let head = if e.cancelled {
        "cancelled"
    } else {
        "next meetup"
    };
    writeln!(f, "  {head}: {}, {}", e.date, e.time)?;
    writeln!(f, "    title: {}", e.title)?;
    writeln!(
        f,
        "    place: {}",
        e.place.as_deref().unwrap_or("not stated")
    )?;
    writeln!(
        f,
        "    about: {}",
        e.about.as_deref().unwrap_or("not stated")
    )?;
    writeln!(f, "    RSVP: {}", e.rsvp.as_deref().unwrap_or("none"))?;
    match &e.from {
        Some((line, sentence)) => writeln!(f, "    read from line {line}: \"{sentence}\""),
        None => writeln!(f, "    from the `event:` front matter"),
    }
}
