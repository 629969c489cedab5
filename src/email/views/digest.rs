//! The digest's view: the next meetup first, then the new recaps.

use serde::Serialize;

use super::SiteView;
use crate::digest::{EventView, Recap};

/// `digest.{html,txt}.hbs`: the new recaps and the next meetup.
#[derive(Debug, Clone, Serialize)]
pub struct DigestView {
    /// The site.
    pub site: SiteView,
    /// The new recaps, newest first.
    pub recaps: Vec<RecapView>,
    /// The next meetup, or null when none is announced (or the reader was unsure).
    pub event: Option<EventCard>,
    /// crier's suggested subject (the default `newsletter.subject` is `{{subject}}`).
    pub subject: String,
    /// The line an inbox shows after the subject.
    pub preheader: String,
    /// The digest itself.
    pub digest: DigestMeta,
    /// What changed about the event since the last digest (an update or a cancellation), or
    /// null: see [`super::Notice`].
    pub notice: Option<super::Notice>,
    /// The digest's page in the public archive, or null.
    pub archive_url: Option<String>,
}

/// `digest`: which digest this is.
#[derive(Debug, Clone, Serialize)]
pub struct DigestMeta {
    /// Its content id.
    pub id: String,
    /// When it was composed for (RFC 3339).
    pub at: String,
}

/// One recap in `recaps`: the recap's fields (title, url, date, date_display, summary,
/// location, image, image_alt, video, tags, talks), plus how the e-mail shows it.
#[derive(Debug, Clone, Serialize)]
pub struct RecapView {
    /// The recap as read from its post.
    #[serde(flatten)]
    pub recap: Recap,
    /// Its one picture: the photo, else the video's thumbnail; null without either.
    pub picture: Option<Picture>,
    /// A short name for link texts ("Riverside Cloud Native, November 2026").
    pub short_title: String,
}

/// A recap's picture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Picture {
    /// Image URL.
    pub src: String,
    /// Alt text.
    pub alt: String,
    /// Where it links (the recap, or the video).
    pub href: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels, when known.
    pub height: Option<u32>,
    /// It is a video's thumbnail.
    pub video: bool,
}

/// `event`: the next meetup's facts (title, start, end, location, rsvp, about, online,
/// cancelled, time_stated, uid...) and how to show them (date_display, time_display, weekday,
/// date_short, place, google_calendar_url, outlook_calendar_url), plus `about_sentence`.
#[derive(Debug, Clone, Serialize)]
pub struct EventCard {
    /// The event and its display strings.
    #[serde(flatten)]
    pub view: EventView,
    /// The about text as a sentence ("Speakers on GitOps."), or null.
    pub about_sentence: Option<String>,
}
