//! The public archive: every digest that went out, as a web page under the feeds' output
//! folder (`archive/<date>-<slug>/index.html`), with an index (`archive/index.html`) and an
//! Atom feed (`archive/feed.xml`).
//!
//! Pages are made from the content frozen in the ledger, never from a personalised message:
//! only the site, the recaps, the event and the notice are handed to the templates, so no
//! address, name or unsubscribe token can reach the public folder. A page's address is decided
//! when the digest is planned (it is in every message as "View in your browser") and frozen
//! with it, so it never moves.

pub mod feed;
pub mod render;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde_json::{json, Value};

use crate::config::{Config, NewsletterSettings};
use crate::diagnostics::Diagnostic;
use crate::ledger::{Ledger, LedgerError, SendRow};
use crate::output::{write_atomic, Written};

pub use crate::config::ARCHIVE_DIR;
/// The archive's Atom feed, inside [`ARCHIVE_DIR`].
pub const FEED_FILE: &str = "feed.xml";
/// Longest slug in a page name, in bytes.
const MAX_SLUG: usize = 60;

/// Why the archive could not be published.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// The ledger failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// An archive template has errors.
    #[error("archive templates have errors:\n{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Templates(Vec<Diagnostic>),
    /// A page could not be rendered.
    #[error("cannot render the archive: {0}")]
    Render(Diagnostic),
    /// A file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// What publishing wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// Digest pages in the archive.
    pub pages: usize,
    /// Files whose bytes changed (pages, index, feed).
    pub changed: usize,
    /// The archive folder.
    pub dir: PathBuf,
}

/// One archived digest.
#[derive(Debug, Clone)]
pub struct Page {
    /// Folder name: `<date>-<slug>`.
    pub name: String,
    /// Absolute URL of the page.
    pub url: String,
    /// When the digest was composed for.
    pub at: DateTime<Utc>,
    /// Its title on the page, in the index and in the feed.
    pub title: String,
    /// The public part of its frozen template data.
    pub data: Value,
}

/// The URL of the archive folder (ending in `/`).
pub fn archive_url(config: &Config) -> String {
    format!("{}{ARCHIVE_DIR}/", config.feeds.url)
}

/// The URL of the page named `name`.
pub fn page_url(config: &Config, name: &str) -> String {
    format!("{}{name}/", archive_url(config))
}

/// A page name from the digest's date and its template data: the newest recap's slug (the
/// last part of its URL), else what the digest is about.
pub fn base_name(date: NaiveDate, data: &Value) -> String {
    let about = About {
        first_recap_url: data["recaps"][0]["url"].as_str(),
        notice: data["notice"]["kind"].as_str(),
        has_event: data["event"].is_object(),
    };
    name_for(date, &about)
}

/// What a digest's page is named after.
#[derive(Debug, Clone, Copy)]
pub struct About<'a> {
    /// The newest recap's URL.
    pub first_recap_url: Option<&'a str>,
    /// The notice's kind word (`update`, `cancellation`), if any.
    pub notice: Option<&'a str>,
    /// Whether it announces an event.
    pub has_event: bool,
}

/// A page name from the digest's date and what it is about.
pub fn name_for(date: NaiveDate, about: &About<'_>) -> String {
    let from_recap = about.first_recap_url.and_then(|url| {
        let last = url.trim_end_matches('/').rsplit('/').next()?;
        slug(last.trim_end_matches(".html"))
    });
    let topic = from_recap.unwrap_or_else(|| match (about.notice, about.has_event) {
        (Some(kind), _) if kind != "reminder" => kind.to_owned(),
        (_, true) => "next-meetup".to_owned(),
        _ => "digest".to_owned(),
    });
    format!("{}-{topic}", date.format("%Y-%m-%d"))
}

/// `base`, or `base-2`, `base-3`... the first one not in `taken`.
pub fn unique_name(base: &str, taken: &HashSet<String>) -> String {
    if !taken.contains(base) {
        return base.to_owned();
    }
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|name| !taken.contains(name))
        .unwrap_or_else(|| base.to_owned())
}

/// The page name a digest was frozen with (the last part of its `archive_url`), if it is
/// one crier could have made.
pub fn recorded_name(data: &Value) -> Option<String> {
    let url = data["archive_url"].as_str()?;
    let name = url.trim_end_matches('/').rsplit('/').next()?;
    let ok = !name.is_empty()
        && name.len() <= 80
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    ok.then(|| name.to_owned())
}

/// The page name for a digest planned at `at` with `data`, not taken by any digest in the
/// ledger (two digests of the same recap on the same day get `-2`).
pub fn new_page_name(
    config: &Config,
    ledger: Option<&Ledger>,
    at: DateTime<FixedOffset>,
    about: &About<'_>,
) -> Result<String, LedgerError> {
    let date = at.with_timezone(&config.site.timezone).date_naive();
    let base = name_for(date, about);
    let taken = match ledger {
        Some(ledger) => assign(&ledger.digests()?, config)
            .into_iter()
            .map(|(name, _)| name)
            .collect(),
        None => HashSet::new(),
    };
    Ok(unique_name(&base, &taken))
}

/// Names every digest, oldest first: the name it was frozen with, else (digests sent before
/// the archive existed) one made the same way, never one already given.
fn assign<'r>(rows: &'r [SendRow], config: &Config) -> Vec<(String, &'r SendRow)> {
    let mut taken = HashSet::new();
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let date = row.at.with_timezone(&config.site.timezone).date_naive();
        let data = &row.outgoing.data;
        let wanted = recorded_name(data).unwrap_or_else(|| base_name(date, data));
        let name = unique_name(&wanted, &taken);
        taken.insert(name.clone());
        out.push((name, row));
    }
    out
}

/// The archive's pages, oldest first, from the digests that went out.
pub fn pages(ledger: &Ledger, config: &Config) -> Result<Vec<Page>, LedgerError> {
    let all = ledger.digests()?;
    let sent: HashSet<String> = ledger.sent_digests()?.into_iter().map(|r| r.id).collect();
    Ok(assign(&all, config)
        .into_iter()
        .filter(|(_, row)| sent.contains(&row.id))
        .map(|(name, row)| page(config, name, row))
        .collect())
}

fn page(config: &Config, name: String, row: &SendRow) -> Page {
    let data = &row.outgoing.data;
    // Only what is public: never `subscriber`, never an unsubscribe link.
    let public = json!({
        "site": data["site"],
        "recaps": data["recaps"],
        "event": data["event"],
        "notice": {"kind": data["notice"]["kind"], "lines": data["notice"]["lines"]},
    });
    Page {
        url: page_url(config, &name),
        name,
        at: row.at,
        title: title(data),
        data: public,
    }
}

/// The title of a digest for people: its notice's own subject (a cancellation), else the
/// newest recap's title (and how many more), else the next meetup's date; after the notice's
/// prefix ("Updated: ").
pub fn title(data: &Value) -> String {
    let notice = &data["notice"];
    if let Some(subject) = notice["subject"].as_str() {
        return subject.to_owned();
    }
    let recaps = data["recaps"].as_array().map_or(0, Vec::len);
    let base = match (
        data["recaps"][0]["title"].as_str(),
        data["event"].is_object(),
    ) {
        (Some(first), _) if recaps > 1 => format!("{first} (and {} more)", recaps - 1),
        (Some(first), _) => first.to_owned(),
        (None, true) => format!(
            "Next meetup: {}",
            data["event"]["date_display"].as_str().unwrap_or_default()
        ),
        (None, false) => format!(
            "{} news",
            data["site"]["title"].as_str().unwrap_or_default()
        ),
    };
    format!(
        "{}{base}",
        notice["subject_prefix"].as_str().unwrap_or_default()
    )
}

/// Writes the archive from the ledger into `out_dir/archive/`: every sent digest's page, the
/// index and the feed. Nothing is written while no digest went out. Pages of digests the
/// ledger no longer has are left alone (a page, once public, may be linked to).
pub fn publish(
    config: &Config,
    settings: &NewsletterSettings,
    ledger: &Ledger,
    out_dir: &Path,
) -> Result<Published, ArchiveError> {
    let dir = out_dir.join(ARCHIVE_DIR);
    let pages = pages(ledger, config)?;
    let mut published = Published {
        pages: pages.len(),
        changed: 0,
        dir: dir.clone(),
    };
    if pages.is_empty() {
        return Ok(published);
    }
    let templates = render::ArchiveTemplates::load(&settings.templates_dir, &config.limits)
        .map_err(ArchiveError::Templates)?;
    let mut files = Vec::with_capacity(pages.len() + 2);
    for page in &pages {
        let html = templates.page(config, page).map_err(ArchiveError::Render)?;
        files.push((dir.join(&page.name).join("index.html"), html.into_bytes()));
    }
    let index = templates
        .index(config, &pages)
        .map_err(ArchiveError::Render)?;
    files.push((dir.join("index.html"), index.into_bytes()));
    files.push((dir.join(FEED_FILE), feed::atom(config, &pages)));
    for (path, bytes) in files {
        let written = write_atomic(&path, &bytes).map_err(|source| ArchiveError::Write {
            path: path.clone(),
            source,
        })?;
        published.changed += usize::from(written == Written::Changed);
    }
    Ok(published)
}

/// [`publish`] when the site has a newsletter and its ledger exists (it is never created
/// here); `None` otherwise.
pub fn publish_existing(
    config: &Config,
    out_dir: &Path,
) -> Result<Option<Published>, ArchiveError> {
    let Some(settings) = &config.newsletter else {
        return Ok(None);
    };
    let Some(ledger) = Ledger::open_existing(&crate::ledger::Place::of(config))? else {
        return Ok(None);
    };
    publish(config, settings, &ledger, out_dir).map(Some)
}

/// A URL-safe slug: ASCII lower-case letters and digits, other runs of characters one `-`,
/// at most [`MAX_SLUG`] bytes (cut at a `-`). `None` when nothing is left.
fn slug(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    if out.len() > MAX_SLUG {
        let cut = out[..MAX_SLUG].rfind('-').unwrap_or(MAX_SLUG);
        out.truncate(cut);
    }
    let out = out.trim_end_matches('-').to_owned();
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests;
