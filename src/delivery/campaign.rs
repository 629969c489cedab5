//! One send, start to finish, shared by `crier send` and the daemon: prepare what to say
//! (a digest or a post), freeze it with its recipients in the ledger, and deliver it.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset};
use serde_json::json;

use super::ledger::{DigestRow, Ledger, LedgerError};
use super::sender::{self, Outcome, Progress, SendOptions};
use super::Transport;
use crate::clock::Clock;
use crate::config::{Config, NewsletterSettings};
use crate::content::{self, Post, PostError};
use crate::diagnostics::Diagnostic;
use crate::digest::{self, Digest};
use crate::email::compose::base_data;
use crate::email::tokens::KeyError;
use crate::email::{ics, Composer, Kind, Outgoing, Templates, TokenKey};
use crate::subscribers;

/// Why a send could not go ahead.
#[derive(Debug, thiserror::Error)]
pub enum CampaignError {
    /// The site has no `newsletter:` section.
    #[error("{0} has no `newsletter:` section: add one with at least `from: {{ name: ..., address: ... }}` (see README)")]
    NoNewsletter(PathBuf),
    /// Templates failed to load.
    #[error("templates have errors:\n{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Templates(Vec<Diagnostic>),
    /// The token key is unusable.
    #[error("cannot load the unsubscribe token key: {0}")]
    Key(#[from] KeyError),
    /// The transport cannot be set up.
    #[error("{0}")]
    Transport(String),
    /// `--post` names no published post.
    #[error("no published post with slug `{0}` (the slug is the file name without the date and extension)")]
    NoSuchPost(String),
    /// The post could not be rendered.
    #[error(transparent)]
    Post(#[from] PostError),
    /// The ledger failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// A frozen digest could not be read back.
    #[error("cannot read the frozen digest: {0}")]
    Frozen(#[from] serde_json::Error),
}

/// The digest's template data and calendar file.
pub fn digest_outgoing(digest: &Digest, config: &Config) -> Outgoing {
    let ics = digest.event.as_ref().map(|e| {
        ics::calendar(
            &e.event,
            e.event.sequence(digest.at),
            digest.at,
            &config.site.title,
        )
    });
    let data = base_data(
        &config.site,
        BTreeMap::from([
            ("recaps", json!(digest.recaps)),
            ("event", json!(digest.event)),
            (
                "digest",
                json!({"id": digest.id, "at": digest.at.to_rfc3339()}),
            ),
        ]),
    );
    Outgoing {
        kind: Kind::Digest,
        data,
        scope: format!("digest-{}", digest.id),
        ics,
    }
}

/// One post as an e-mail.
pub fn post_outgoing(
    posts: &[Post],
    config: &Config,
    slug: &str,
) -> Result<Outgoing, CampaignError> {
    let post = posts
        .iter()
        .find(|p| p.slug == slug || p.file_slug == slug)
        .ok_or_else(|| CampaignError::NoSuchPost(slug.to_owned()))?;
    let rendered = content::render(post, config)?;
    let data = base_data(
        &config.site,
        BTreeMap::from([(
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
        )]),
    );
    Ok(Outgoing {
        kind: Kind::Post,
        data,
        scope: format!("post-{}", post.file_slug),
        ics: None,
    })
}

/// What a digest says, for `only_if_new` and for the ledger: its recaps and its event.
pub fn digest_summary(digest: &Digest) -> serde_json::Value {
    json!({
        "recaps": digest.recaps.iter().map(|r| &r.url).collect::<Vec<_>>(),
        "event": digest.event.as_ref().map(|e| json!({"uid": e.event.uid, "start": e.event.start, "rsvp": e.event.rsvp, "location": e.event.location})),
    })
}

/// Everything a send needs besides the site: templates, key, transport.
pub struct Campaign {
    /// Compiled templates.
    pub templates: Templates,
    /// The token key.
    pub key: TokenKey,
    /// Where messages go.
    pub transport: Arc<Transport>,
    /// DKIM signing, if configured.
    pub dkim: Option<lettre::message::DkimConfig>,
}

impl Campaign {
    /// Loads templates and the key (creating the key file if needed) and sets up the transport.
    pub fn prepare(config: &Config) -> Result<Self, CampaignError> {
        let settings = settings(config)?;
        let templates = Templates::load(&settings.templates_dir, &settings.subject)
            .map_err(CampaignError::Templates)?;
        let env_key = std::env::var(crate::email::tokens::KEY_ENV).ok();
        let (key, _) = TokenKey::load(env_key, settings.token_key_file.as_deref(), true)?;
        let transport =
            Transport::from_settings(config.smtp.as_ref(), config.delivery.outbox_dir.clone())
                .map_err(CampaignError::Transport)?;
        let dkim = settings
            .dkim
            .as_ref()
            .map(crate::email::dkim::load)
            .transpose()
            .map_err(CampaignError::Transport)?;
        Ok(Campaign {
            templates,
            key,
            transport: Arc::new(transport),
            dkim,
        })
    }

    /// Freezes `outgoing` with every current subscriber (each address once, suppressed ones
    /// left out) under a new id. Returns the row and the number queued.
    #[allow(clippy::too_many_arguments)]
    pub fn freeze(
        &self,
        config: &Config,
        ledger: &mut Ledger,
        outgoing: Outgoing,
        kind: &str,
        summary: &serde_json::Value,
        at: DateTime<FixedOffset>,
        clock: &Clock,
    ) -> Result<(DigestRow, usize, Vec<Diagnostic>), CampaignError> {
        let settings = settings(config)?;
        let base_id = format!(
            "{}-{}",
            outgoing.scope,
            clock.now().format("%Y%m%dT%H%M%S%.3f")
        );
        let mut id = base_id.clone();
        for n in 2.. {
            if !ledger.exists(&id)? {
                break;
            }
            id = format!("{base_id}-{n}");
        }
        // The Message-IDs of this send derive from its frozen id, so a resumed send reuses them.
        let outgoing = Outgoing {
            scope: id.clone(),
            ..outgoing
        };
        let row = DigestRow {
            id,
            kind: kind.to_owned(),
            created: clock.now().to_rfc3339(),
            at: at.to_rfc3339(),
            summary: summary.to_string(),
            outgoing: serde_json::to_string(&outgoing)?,
            status: "sending".into(),
        };
        let mut problems = Vec::new();
        let queued = ledger.freeze_with(&row, clock.now(), |insert| {
            stream_recipients(settings, insert, &mut problems)
        })?;
        Ok((row, queued, problems))
    }

    /// Delivers (or resumes) a frozen row.
    pub async fn deliver(
        &self,
        config: &Config,
        ledger: &Ledger,
        row: &DigestRow,
        shutdown: tokio::sync::watch::Receiver<bool>,
        progress: &mut dyn Progress,
        clock: &Clock,
    ) -> Result<Outcome, CampaignError> {
        let settings = settings(config)?;
        let outgoing: Outgoing = serde_json::from_str(&row.outgoing)?;
        let at = DateTime::parse_from_rfc3339(&row.at).unwrap_or_else(|_| clock.now());
        let mut composer = Composer::new(settings, &self.templates, &self.key, outgoing, at)
            .with_dkim(self.dkim.as_ref());
        let options = SendOptions {
            concurrency: config
                .smtp
                .as_ref()
                .map_or(4, |s| s.max_connections as usize),
            rate_per_second: config.smtp.as_ref().map_or(0.0, |s| s.rate_per_second),
            max_attempts: config.delivery.max_attempts,
            retry_base: config.delivery.retry_base,
            from: settings.from.email.to_string(),
        };
        let clock = *clock;
        let now = move || clock;
        Ok(sender::deliver(
            ledger,
            row,
            &mut composer,
            Arc::clone(&self.transport),
            &options,
            &now,
            progress,
            shutdown,
        )
        .await?)
    }
}

/// The newsletter settings, or the error that says how to add them.
pub fn settings(config: &Config) -> Result<&NewsletterSettings, CampaignError> {
    config
        .newsletter
        .as_ref()
        .ok_or_else(|| CampaignError::NoNewsletter(config.path.clone()))
}

/// Builds the digest due at `at` (new recaps since the last digest in the ledger, or `since`).
pub fn due_digest(
    posts: &[Post],
    config: &Config,
    ledger: &Ledger,
    at: DateTime<FixedOffset>,
    since: Option<DateTime<FixedOffset>>,
) -> Result<Digest, CampaignError> {
    let settings = settings(config)?;
    let since = match since {
        Some(s) => Some(s),
        None => ledger
            .last_digest_at()?
            .and_then(|s| DateTime::parse_from_rfc3339(&s).ok()),
    };
    Ok(digest::build(posts, config, settings, at, since))
}

/// Whether a scheduled digest has anything to say: new recaps, or a different next event
/// from the last digest's.
pub fn has_news(digest: &Digest, ledger: &Ledger) -> Result<bool, CampaignError> {
    if !digest.recaps.is_empty() {
        return Ok(true);
    }
    let current = digest_summary(digest);
    let last: Option<serde_json::Value> = ledger
        .last_digest_summary()?
        .and_then(|s| serde_json::from_str(&s).ok());
    Ok(
        match (
            current.get("event"),
            last.as_ref().and_then(|l| l.get("event")),
        ) {
            (Some(serde_json::Value::Null) | None, _) => false,
            (Some(now), Some(before)) => now != before,
            (Some(_), None) => true,
        },
    )
}

/// Streams everyone on the configured lists into the digest being frozen, each address once.
fn stream_recipients(
    settings: &NewsletterSettings,
    insert: &mut super::ledger::Inserter<'_>,
    problems: &mut Vec<Diagnostic>,
) -> Result<(), CampaignError> {
    let (files, list_problems) =
        subscribers::list_files(&settings.subscribers_dir, &settings.lists);
    problems.extend(list_problems);
    let mut seen = HashSet::new();
    for file in files {
        let report = subscribers::read_list(&file.path, &file.name, |sub| {
            if seen.insert(subscribers::address_key(&sub.email)) {
                insert.add(&sub.list, &sub.email, &serde_json::to_string(&sub)?)?;
            }
            Ok::<(), CampaignError>(())
        })?;
        problems.extend(report.diagnostics);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::{EventView, Recap};

    fn digest(recaps: usize, event_start: Option<&str>) -> Digest {
        let at = DateTime::parse_from_rfc3339("2026-11-30T09:00:00Z").unwrap();
        let recap = Recap {
            title: "t".into(),
            date: String::new(),
            date_display: String::new(),
            url: "https://example.com/r".into(),
            image: None,
            image_alt: String::new(),
            summary: String::new(),
            location: None,
            video: None,
            tags: vec![],
        };
        let event = event_start.map(|s| {
            let start = DateTime::parse_from_rfc3339(s).unwrap();
            EventView {
                event: crate::digest::Event {
                    title: "Next".into(),
                    start,
                    end: start,
                    location: None,
                    rsvp: None,
                    uid: "u@example.com".into(),
                    sentence: String::new(),
                    announced: at,
                },
                date_display: String::new(),
                time_display: String::new(),
                weekday: String::new(),
            }
        });
        Digest {
            id: "x".into(),
            at,
            recaps: vec![recap; recaps],
            event,
            warnings: vec![],
        }
    }

    #[test]
    fn only_new_recaps_or_a_changed_event_count_as_news() {
        let dir = tempfile::tempdir().unwrap();
        let mut ledger = Ledger::open(&dir.path().join("db")).unwrap();
        assert!(has_news(&digest(1, None), &ledger).unwrap(), "a new recap");
        assert!(
            !has_news(&digest(0, None), &ledger).unwrap(),
            "nothing at all"
        );
        assert!(
            has_news(&digest(0, Some("2026-12-09T18:30:00Z")), &ledger).unwrap(),
            "first event"
        );

        let sent = digest(1, Some("2026-12-09T18:30:00Z"));
        let row = DigestRow {
            id: "d1".into(),
            kind: "digest".into(),
            created: sent.at.to_rfc3339(),
            at: sent.at.to_rfc3339(),
            summary: digest_summary(&sent).to_string(),
            outgoing: "{}".into(),
            status: "done".into(),
        };
        ledger.freeze(&row, Vec::new(), sent.at).unwrap();
        assert!(
            !has_news(&digest(0, Some("2026-12-09T18:30:00Z")), &ledger).unwrap(),
            "same event again"
        );
        assert!(
            has_news(&digest(0, Some("2026-12-09T19:00:00Z")), &ledger).unwrap(),
            "the event moved"
        );
    }
}
