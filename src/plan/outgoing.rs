//! What a send says, before it is personalised: the typed view (see [`crate::email::views`])
//! and the calendar file of a digest or a single post.

use super::notice::{event_summary, Notice, NoticeKind};
use super::wording;
use crate::config::{Config, NewsletterSettings};
use crate::content::{self, Post, PostError};
use crate::digest::{Digest, EventView, Recap};
use crate::email::views::{
    DigestMeta, DigestView, EmailView, EventCard, Picture, PostCard, PostView, RecapView, SiteView,
};
use crate::email::{body, ics, Outgoing};
use crate::ledger::SendSummary;

/// The digest's view and calendar file. `scope` becomes part of every Message-ID, and
/// `archive_url` is where the digest will be in the public archive.
///
/// A cancelled event is shown, marked cancelled, only with the cancellation notice, whose
/// calendar file cancels the entry; later digests show no event and do not cancel it again.
pub fn digest_outgoing(
    digest: &Digest,
    config: &Config,
    settings: &NewsletterSettings,
    scope: &str,
    notice: Option<&Notice>,
    archive_url: Option<String>,
) -> Outgoing {
    let cancelling = notice.is_some_and(|n| n.kind == NoticeKind::Cancellation);
    // The cancellation e-mail shows the cancelled meetup (marked so, without RSVP); later
    // digests no longer mention it.
    let shown = digest
        .event
        .as_ref()
        .filter(|e| !e.event.cancelled || cancelling);
    let ics = shown.map(|e| {
        let method = if e.event.cancelled {
            ics::Method::Cancel
        } else {
            ics::Method::Publish
        };
        ics::calendar(
            &e.event,
            &ics::Calendar {
                method,
                sequence: e.event.sequence(digest.at),
                stamp: digest.at,
                product: &config.site.title,
                organizer: &settings.from,
            },
        )
    });
    let view = DigestView {
        site: SiteView::of(&config.site),
        recaps: recap_views(&digest.recaps),
        event: shown.map(event_card),
        subject: wording::digest_subject(digest, &config.site.title),
        preheader: wording::digest_preheader(digest),
        digest: DigestMeta {
            id: digest.id.clone(),
            at: digest.at.to_rfc3339(),
        },
        notice: notice.cloned(),
        archive_url,
    };
    Outgoing::new(&EmailView::Digest(Box::new(view)), scope, ics)
}

/// The recaps as templates show them: each with a `short_title` for link texts and one
/// `picture` (the photo, else the video's thumbnail), so a recap takes one image's height.
fn recap_views(recaps: &[Recap]) -> Vec<RecapView> {
    let short = wording::short_titles(recaps);
    recaps
        .iter()
        .zip(short)
        .map(|(recap, short_title)| {
            let picture = recap_picture(recap);
            let mut recap = recap.clone();
            if let Some(p) = &picture {
                recap.image_alt.clone_from(&p.alt);
            }
            RecapView {
                recap,
                picture,
                short_title,
            }
        })
        .collect()
}

fn recap_picture(recap: &Recap) -> Option<Picture> {
    if let Some(src) = &recap.image {
        return Some(Picture {
            src: src.clone(),
            alt: format!("Photo from {}", recap.title),
            href: recap.url.clone(),
            width: body::COLUMN_WIDTH,
            height: None,
            video: false,
        });
    }
    let video = recap.video.as_ref()?;
    let thumbnail = video.thumbnail.as_deref()?;
    // YouTube's 4:3 `hqdefault` letterboxes a 16:9 video between black bars; `mqdefault` is
    // the same still at 16:9 (320 x 180), small enough to sit beside the text's width.
    let (src, height) = match thumbnail.strip_suffix("/hqdefault.jpg") {
        Some(base) if thumbnail.starts_with("https://img.youtube.com/") => {
            (format!("{base}/mqdefault.jpg"), Some(180))
        }
        _ => (thumbnail.to_owned(), None),
    };
    Some(Picture {
        src,
        alt: format!("Video thumbnail: the talks at {}", recap.title),
        href: video.url.clone(),
        width: 320,
        height,
        video: true,
    })
}

/// The event as templates show it: the digest's view plus `about_sentence`.
pub(super) fn event_card(event: &EventView) -> EventCard {
    EventCard {
        view: event.clone(),
        about_sentence: event.event.about.as_deref().map(wording::about_sentence),
    }
}

/// One post as an e-mail. Its subject is its title (less a leading site name); images in its
/// body are constrained to the e-mail's column.
pub fn post_outgoing(post: &Post, config: &Config, scope: &str) -> Result<Outgoing, PostError> {
    let rendered = content::render(post, config)?;
    let summary = post
        .description
        .clone()
        .unwrap_or_else(|| rendered.excerpt_text.clone());
    let view = PostView {
        site: SiteView::of(&config.site),
        subject: wording::post_subject(&post.title, &config.site.title),
        preheader: summary.clone(),
        post: PostCard {
            title: post.title.clone(),
            url: post.url.clone(),
            date: post.date.to_rfc3339(),
            date_display: post.date.format("%A %-d %B %Y").to_string(),
            image: post.image.clone(),
            image_alt: format!("Picture for {}", post.title),
            description: post.description.clone(),
            summary,
            content_html: body::for_email(&rendered.html, body::COLUMN_WIDTH),
            location: post.location.clone(),
            tags: post.tags.clone(),
        },
        notice: None,
        // The post is on the website: that is where it is read in a browser.
        archive_url: Some(post.url.clone()),
    };
    Ok(Outgoing::new(&EmailView::Post(Box::new(view)), scope, None))
}

/// What a digest says, for `only_if_new` and the ledger: its recaps and its event.
pub fn digest_summary(digest: &Digest) -> SendSummary {
    SendSummary {
        recaps: digest.recaps.iter().map(|r| r.url.clone()).collect(),
        event: digest.event.as_ref().map(|e| event_summary(&e.event)),
        post: None,
    }
}

/// Whether a digest saying `current` has news after one that said `last`: new recaps, or a
/// next event that is new or changed.
pub fn has_news(current: &SendSummary, last: Option<&SendSummary>) -> bool {
    if !current.recaps.is_empty() {
        return true;
    }
    match (&current.event, last.and_then(|l| l.event.as_ref())) {
        (None, _) => false,
        (Some(_), None) => true,
        (Some(now), Some(before)) => now != before,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::EventSummary;

    fn summary(recaps: usize, start: Option<&str>) -> SendSummary {
        SendSummary {
            recaps: vec!["https://example.com/r".into(); recaps],
            event: start.map(|s| EventSummary {
                uid: "u@example.com".into(),
                start: s.into(),
                rsvp: None,
                location: None,
                online: false,
                cancelled: false,
            }),
            post: None,
        }
    }

    #[test]
    fn only_new_recaps_or_a_changed_event_count_as_news() {
        let sent = summary(1, Some("2026-12-09T18:30:00Z"));
        assert!(has_news(&summary(1, None), None), "a new recap");
        assert!(!has_news(&summary(0, None), None), "nothing at all");
        assert!(
            has_news(&summary(0, Some("2026-12-09T18:30:00Z")), None),
            "first event"
        );
        assert!(
            !has_news(&summary(0, Some("2026-12-09T18:30:00Z")), Some(&sent)),
            "same event again"
        );
        assert!(
            has_news(&summary(0, Some("2026-12-09T19:00:00Z")), Some(&sent)),
            "the event moved"
        );
    }
}
