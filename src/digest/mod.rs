//! The digest: the recaps published since the previous digest, plus the next meetup.
//!
//! Building a digest is pure: posts, settings and the send time in, a [`Digest`] out. The
//! previous digest's time comes from the caller (`--since`, later the delivery ledger).

mod announcement;
mod blocks;
mod calendar;
pub mod event;
mod evidence;
mod front_matter;
mod labels;
mod prose;
pub mod prose_date;
pub mod reading;
pub mod talks;
mod vocabulary;
mod zone;

use chrono::{DateTime, FixedOffset};
use serde::Serialize;
use sha2::{Digest as _, Sha256};

use crate::config::{Config, NewsletterSettings};
use crate::content::{self, Post};
use crate::diagnostics::Diagnostic;
use crate::urls::{video_watch_url, youtube_id};

pub use event::Event;
pub use reading::{read_newest, Doubt, EventSummary, NoEvent, Reading};

/// One recap as the e-mail shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recap {
    /// Post title.
    pub title: String,
    /// Publication date (RFC 3339).
    pub date: String,
    /// Publication date for people: "Thursday 12 November 2026".
    pub date_display: String,
    /// Absolute permalink.
    pub url: String,
    /// Absolute image URL.
    pub image: Option<String>,
    /// Alt text for the image (the title).
    pub image_alt: String,
    /// Summary text: the description, else the first paragraph.
    pub summary: String,
    /// Where the meetup was.
    pub location: Option<String>,
    /// The video as a clickable thumbnail.
    pub video: Option<Video>,
    /// Tags.
    pub tags: Vec<String>,
    /// The talks, as the recap's body lists them.
    pub talks: Vec<Talk>,
}

/// One talk at a meetup, as a recap lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Talk {
    /// The talk's title.
    pub title: String,
    /// Who gave it ("Ada Lovelace (Example Ltd)"), if the recap says.
    pub speakers: Option<String>,
    /// Where to watch it, with its start time in the video when the recap gives one.
    pub video: Option<String>,
    /// Where in the video it starts ("12:34"), for a short link text ("Watch from 12:34").
    pub video_at: Option<String>,
}

/// A video link for e-mail: clients cannot play embeds, so a thumbnail links to the watch page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Video {
    /// The page where it plays.
    pub url: String,
    /// A still image (YouTube's `hqdefault.jpg`), when known.
    pub thumbnail: Option<String>,
}

/// The event for templates: [`Event`] plus display strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventView {
    /// The event.
    #[serde(flatten)]
    pub event: Event,
    /// "Wednesday 9 December 2026".
    pub date_display: String,
    /// "18:30".
    pub time_display: String,
    /// "Wednesday".
    pub weekday: String,
    /// "Wed 9 December", for subjects.
    pub date_short: String,
    /// "Online", or the venue the source names; `None` when the source does not say.
    pub place: Option<String>,
    /// Adds the event to Google Calendar.
    pub google_calendar_url: String,
    /// Adds the event to Outlook.com.
    pub outlook_calendar_url: String,
}

/// A composed-to-be digest.
#[derive(Debug, Clone, Serialize)]
pub struct Digest {
    /// Stable id from its content: the same recaps and event give the same id.
    pub id: String,
    /// When it is (or would be) sent.
    pub at: DateTime<FixedOffset>,
    /// New recaps, newest first.
    pub recaps: Vec<Recap>,
    /// The next meetup, if one is announced for after `at`.
    pub event: Option<EventView>,
    /// Problems found while building it (reported, not fatal).
    #[serde(skip)]
    pub warnings: Vec<Diagnostic>,
}

/// Whether a post is a recap (has the recap tag) or an included non-recap post.
fn tagged(post: &Post, tag: &str) -> bool {
    post.tags.iter().any(|t| t.eq_ignore_ascii_case(tag))
}

/// Builds the digest to send at `at`. `since` is the previous digest's time: recaps after it
/// are new. Without it (the first digest), only the latest recap is included.
pub fn build(
    posts: &[Post],
    config: &Config,
    settings: &NewsletterSettings,
    at: DateTime<FixedOffset>,
    since: Option<DateTime<FixedOffset>>,
) -> Digest {
    let mut warnings = Vec::new();
    let eligible = posts.iter().filter(|p| p.date <= at).filter(|p| {
        tagged(p, &settings.recap_tag)
            || settings
                .include_tag
                .as_deref()
                .is_some_and(|t| tagged(p, t))
    });
    let chosen: Vec<&Post> = match since {
        Some(since) => eligible
            .filter(|p| p.date > since)
            .take(settings.max_recaps)
            .collect(),
        None => eligible.take(1).collect(),
    };
    let mut recaps = Vec::with_capacity(chosen.len());
    for post in chosen {
        match content::render_with_body(post, config) {
            Ok((rendered, body)) => recaps.push(recap(post, &rendered.excerpt_text, &body)),
            Err(err) => warnings.push(err.into()),
        }
    }
    let event = next_event(posts, config, settings, at, &mut warnings);
    let id = digest_id(&recaps, event.as_ref());
    Digest {
        id,
        at,
        recaps,
        event: event.map(|e| calendar::view(e, config, settings)),
        warnings,
    }
}

/// A recap for the e-mail; `body` is its Markdown (after Liquid), where its talks are listed.
fn recap(post: &Post, excerpt: &str, body: &str) -> Recap {
    let video = post.video.as_deref().map(|v| Video {
        url: video_watch_url(v),
        thumbnail: youtube_id(v).map(|id| format!("https://img.youtube.com/vi/{id}/hqdefault.jpg")),
    });
    Recap {
        title: post.title.clone(),
        date: post.date.to_rfc3339(),
        date_display: post.date.format("%A %-d %B %Y").to_string(),
        url: post.url.clone(),
        image: post.image.clone(),
        image_alt: post.title.clone(),
        summary: post
            .description
            .clone()
            .unwrap_or_else(|| excerpt.to_owned()),
        location: post.location.clone(),
        video,
        tags: post.tags.clone(),
        talks: talks::for_post(post, body).talks,
    }
}

/// The next event after `at`: explicit `event:` front matter on the newest post that has one,
/// else the newest recap's closing paragraphs. A reading the reader is unsure of gives no
/// event, and its doubts go into `warnings`, so the organiser is told.
fn next_event(
    posts: &[Post],
    config: &Config,
    settings: &NewsletterSettings,
    at: DateTime<FixedOffset>,
    warnings: &mut Vec<Diagnostic>,
) -> Option<Event> {
    let published = posts.iter().filter(|p| p.date <= at);
    let explicit = published.clone().find(|p| p.extra.contains_key("event"));
    let newest_recap = published.clone().find(|p| tagged(p, &settings.recap_tag));
    for post in explicit.into_iter().chain(newest_recap) {
        let found = match content::load_body(post, config) {
            Ok((body, line)) => event::find(post, &body, line, config, settings),
            Err(err) => {
                warnings.push(err.into());
                continue;
            }
        };
        if found.unsure {
            warnings.extend(found.warnings);
        }
        if let Some(mut event) = found.event.filter(|e| e.start > at) {
            cancelled_announcement(posts, post, &mut event, config, settings);
            return Some(event);
        }
    }
    None
}

/// How many older recaps a cancellation looks through for the announcement it cancels.
const CANCELLED_LOOKBACK: usize = 3;

/// A cancellation written on a later post than the announcement it cancels, without a title,
/// takes that announcement's title and calendar UID: the e-mail names the meetup, and
/// calendars remove the entry they have.
fn cancelled_announcement(
    posts: &[Post],
    from: &Post,
    event: &mut Event,
    config: &Config,
    settings: &NewsletterSettings,
) {
    if !event.cancelled || event.title != event::default_title(config) {
        return;
    }
    let older = posts
        .iter()
        .filter(|p| p.date < from.date && tagged(p, &settings.recap_tag))
        .take(CANCELLED_LOOKBACK);
    for post in older {
        let Ok((body, line)) = content::load_body(post, config) else {
            continue;
        };
        let announced = event::find(post, &body, line, config, settings).event;
        if let Some(e) = announced.filter(|e| e.start.date_naive() == event.start.date_naive()) {
            event.title = e.title;
            event.uid = e.uid;
            return;
        }
    }
}

fn digest_id(recaps: &[Recap], event: Option<&Event>) -> String {
    let mut hasher = Sha256::new();
    for r in recaps {
        hasher.update(r.url.as_bytes());
        hasher.update([0]);
    }
    if let Some(e) = event {
        hasher.update(e.uid.as_bytes());
        hasher.update(e.start.to_rfc3339().as_bytes());
        // The place and a cancellation change the announcement too (`only_if_new` must send
        // it). Hashed only when present, so an unchanged event keeps its earlier id.
        if let Some(place) = calendar::place(e) {
            hasher.update([0]);
            hasher.update(place.as_bytes());
        }
        if e.cancelled {
            hasher.update(b"\0cancelled");
        }
    }
    let hash = hasher.finalize();
    hash[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// Every warning `crier check` should show about events: for each recap, whether it announces
/// a next event that makes sense.
pub fn check_events(
    posts: &[Post],
    config: &Config,
    settings: &NewsletterSettings,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for post in posts
        .iter()
        .filter(|p| tagged(p, &settings.recap_tag) || p.extra.contains_key("event"))
    {
        match content::load_body(post, config) {
            Ok((body, line)) => {
                out.extend(event::find(post, &body, line, config, settings).warnings)
            }
            Err(err) => out.push(err.into()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> Event {
        let start = DateTime::parse_from_rfc3339("2026-12-09T18:30:00+00:00").unwrap();
        Event {
            title: "December".into(),
            start,
            end: start,
            location: None,
            rsvp: Some("https://events.example.org/12".into()),
            uid: "u@meetup.example.com".into(),
            sentence: "See you on 9 December.".into(),
            announced: start,
            about: Some("talks on GitOps".into()),
            online: false,
            time_stated: false,
            cancelled: false,
        }
    }

    #[test]
    fn the_digest_id_changes_with_the_date_time_place_or_a_cancellation() {
        let base = digest_id(&[], Some(&event()));
        // Wording and links alone do not make a digest new.
        let mut reworded = event();
        reworded.about = Some("talks on GitOps at scale".into());
        reworded.sentence = "Join us on 9 December.".into();
        assert_eq!(digest_id(&[], Some(&reworded)), base);
        let mut changes: Vec<Event> = Vec::new();
        let mut later = event();
        later.start += chrono::Duration::minutes(30);
        changes.push(later);
        let mut venue = event();
        venue.location = Some("Example Hall".into());
        changes.push(venue);
        let mut online = event();
        online.online = true;
        changes.push(online);
        let mut cancelled = event();
        cancelled.cancelled = true;
        changes.push(cancelled);
        let ids: Vec<String> = changes.iter().map(|e| digest_id(&[], Some(e))).collect();
        for (i, id) in ids.iter().enumerate() {
            assert_ne!(id, &base, "change {i}");
            assert!(!ids[..i].contains(id), "change {i}");
        }
    }
}
