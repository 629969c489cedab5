//! What a send says, before it is personalised: the template data and the calendar file for a
//! digest or a single post.

use std::collections::BTreeMap;

use serde_json::json;

use super::notice::{event_summary, Notice, NoticeKind};
use crate::config::{Config, NewsletterSettings};
use crate::content::{self, Post, PostError};
use crate::digest::Digest;
use crate::email::compose::base_data;
use crate::email::{ics, Kind, Outgoing};
use crate::ledger::SendSummary;

/// The digest's template data and calendar file. `scope` becomes part of every Message-ID.
///
/// A cancelled event is never shown as the next meetup (`event` is null): the notice says it
/// is cancelled, and the calendar file cancels the entry (only with the cancellation notice:
/// a later digest does not cancel it again). `archive_url` is null here; the planner sets it.
pub fn digest_outgoing(
    digest: &Digest,
    config: &Config,
    settings: &NewsletterSettings,
    scope: &str,
    notice: Option<&Notice>,
) -> Outgoing {
    let cancelling = notice.is_some_and(|n| n.kind == NoticeKind::Cancellation);
    let shown = digest.event.as_ref().filter(|e| !e.event.cancelled);
    let ics = digest
        .event
        .as_ref()
        .filter(|e| !e.event.cancelled || cancelling)
        .map(|e| {
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
    let data = base_data(
        &config.site,
        BTreeMap::from([
            ("recaps", json!(digest.recaps)),
            ("event", json!(shown)),
            (
                "digest",
                json!({"id": digest.id, "at": digest.at.to_rfc3339()}),
            ),
            ("notice", json!(notice)),
            ("archive_url", serde_json::Value::Null),
        ]),
    );
    Outgoing {
        kind: Kind::Digest,
        data,
        scope: scope.to_owned(),
        ics,
    }
}

/// One post as an e-mail.
pub fn post_outgoing(post: &Post, config: &Config, scope: &str) -> Result<Outgoing, PostError> {
    let rendered = content::render(post, config)?;
    let data = base_data(
        &config.site,
        BTreeMap::from([
            (
                "post",
                json!({
                    "title": post.title,
                    "url": post.url,
                    "date": post.date.to_rfc3339(),
                    "date_display": post.date.format("%A %-d %B %Y").to_string(),
                    "image": post.image,
                    "description": post.description,
                    "summary": post.description.clone().unwrap_or_else(|| rendered.excerpt_text.clone()),
                    "content_html": rendered.html,
                    "location": post.location,
                    "tags": post.tags,
                }),
            ),
            ("notice", serde_json::Value::Null),
            // The post is on the website: that is where it is read in a browser.
            ("archive_url", json!(post.url)),
        ]),
    );
    Ok(Outgoing {
        kind: Kind::Post,
        data,
        scope: scope.to_owned(),
        ics: None,
    })
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
