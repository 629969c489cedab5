//! The views of a single post, a reminder and a confirmation.

use serde::Serialize;

use super::digest::EventCard;
use super::SiteView;

/// `post.{html,txt}.hbs`: one post as an e-mail.
#[derive(Debug, Clone, Serialize)]
pub struct PostView {
    /// The site.
    pub site: SiteView,
    /// The suggested subject: the post's title, less a leading site name.
    pub subject: String,
    /// The line an inbox shows after the subject.
    pub preheader: String,
    /// The post.
    pub post: PostCard,
    /// Always null for a post (kept so templates shared with digests can test it).
    pub notice: Option<super::Notice>,
    /// The post on the website.
    pub archive_url: Option<String>,
}

/// `post`: the post's facts and its body made fit for e-mail.
#[derive(Debug, Clone, Serialize)]
pub struct PostCard {
    /// Title.
    pub title: String,
    /// Permalink.
    pub url: String,
    /// Publication date (RFC 3339).
    pub date: String,
    /// "Thursday 12 November 2026".
    pub date_display: String,
    /// Image URL, or null.
    pub image: Option<String>,
    /// The image's alt text.
    pub image_alt: String,
    /// The front matter's description, or null.
    pub description: Option<String>,
    /// The description, else the excerpt as text.
    pub summary: String,
    /// The body as HTML for e-mail (use `{{{post.content_html}}}`).
    pub content_html: String,
    /// Where, or null.
    pub location: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
}

/// `reminder.{html,txt}.hbs`: the reminder before the next meetup.
#[derive(Debug, Clone, Serialize)]
pub struct ReminderView {
    /// The site.
    pub site: SiteView,
    /// The event.
    pub event: Option<EventCard>,
    /// "Tomorrow: <title> — <about>".
    pub subject: String,
    /// Time, place and RSVP in one line.
    pub preheader: String,
    /// The reminder notice (its subject replaces `newsletter.subject`).
    pub notice: Option<super::Notice>,
    /// When, in words.
    pub reminder: ReminderMeta,
    /// Always null for a reminder.
    pub archive_url: Option<String>,
}

/// `reminder`: when the event is, said from the send time.
#[derive(Debug, Clone, Serialize)]
pub struct ReminderMeta {
    /// "Tomorrow", "Today", or "Wed 9 December".
    pub when: String,
    /// "tomorrow", "today", or "on Wednesday 9 December".
    pub when_lower: String,
    /// The site's zone abbreviation at the event ("GMT").
    pub time_zone: String,
}

/// `confirm.{html,txt}.hbs`: the confirmation e-mail of a sign-up (its link is the
/// recipient's `confirm_url`).
#[derive(Debug, Clone, Serialize)]
pub struct ConfirmationView {
    /// The site.
    pub site: SiteView,
    /// The lists asked for.
    pub lists: Vec<ListView>,
    /// How many days the link works.
    pub confirm_days: u32,
    /// When the sign-up was made (Unix seconds): part of the link.
    pub issued: i64,
    /// Always null (kept so shared partials can test it).
    pub notice: Option<super::Notice>,
}

/// One list in a confirmation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListView {
    /// Its name.
    pub name: String,
    /// Its title.
    pub title: String,
}
