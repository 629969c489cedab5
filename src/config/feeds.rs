//! The `feeds:` section: where and how feeds are written.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use url::Url;

/// What entry ids are made of (`feeds.ids`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EntryIds {
    /// `tag:` URIs from the site host, the post date and the file slug (the default), or the
    /// post's own `id:`.
    #[default]
    Tag,
    /// What jekyll-feed 0.17 writes: `{{ post.id | absolute_url }}`, where Jekyll's `post.id`
    /// is the permalink's folder joined with the post's slug (for `pretty` permalinks, the
    /// URL without its trailing `/`; for `.html` ones, without the extension). A post's `id:`
    /// is ignored, as jekyll-feed ignores it. For a blog that switches from jekyll-feed: its
    /// readers see the same entries, not new ones.
    JekyllFeed,
}

/// Which files are written (`feeds.paths`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FeedPaths {
    /// crier's own: `rss.xml`, `atom.xml`, `feed.json`, and `tags/<slug>/` for each tag.
    #[default]
    Crier,
    /// crier's own files, plus the Atom feed where jekyll-feed writes it: `feed.xml` and, for
    /// tags of only ASCII letters, digits and `_` (the only ones jekyll-feed writes),
    /// `feed/by_tag/<Tag>.xml`. Both are relative to `output_dir`, which is then the site's
    /// root folder for jekyll-feed's URLs to stay the same.
    JekyllFeed,
}

/// Where and how feeds are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedSettings {
    /// Output folder (default `public/` in the site folder).
    pub output_dir: PathBuf,
    /// Maximum items per feed; `0` means all posts.
    pub limit: usize,
    /// Whether to write per-tag feeds under `tags/<tag-slug>/`.
    pub tags: bool,
    /// Absolute URL of the folder the output is published in, ending in `/` (feeds' self links).
    pub url: String,
    /// What entry ids are made of.
    pub ids: EntryIds,
    /// Which files are written.
    pub paths: FeedPaths,
    /// Warnings about the section (reported with the posts' diagnostics).
    pub warnings: Vec<crate::diagnostics::Diagnostic>,
}

/// `feeds:` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFeeds {
    /// Output folder, relative to the site folder; `public` by default.
    #[serde(default = "default_output_dir")]
    output_dir: PathBuf,
    /// Items per feed; 20 by default, 0 for all.
    #[serde(default = "default_limit")]
    limit: usize,
    /// Per-tag feeds; on by default.
    #[serde(default = "default_true")]
    tags: bool,
    /// Where the output folder is published; the site's home by default.
    #[serde(default)]
    url: Option<String>,
    /// `tag` (default) or `jekyll-feed`.
    #[serde(default)]
    ids: Option<String>,
    /// `crier` (default) or `jekyll-feed`.
    #[serde(default)]
    paths: Option<String>,
}

impl Default for RawFeeds {
    fn default() -> Self {
        RawFeeds {
            output_dir: default_output_dir(),
            limit: default_limit(),
            tags: true,
            url: None,
            ids: None,
            paths: None,
        }
    }
}

fn default_output_dir() -> PathBuf {
    PathBuf::from("public")
}

fn default_limit() -> usize {
    20
}

fn default_true() -> bool {
    true
}

/// Validates `feeds:`; `home_url` is the default for `feeds.url`, and `site_host` the host
/// `feeds.url` is expected on (another host gets a warning through `warn`).
pub(super) fn validate(
    raw: RawFeeds,
    root: &Path,
    home_url: &str,
    site_host: &str,
    problem: &mut impl FnMut(&[&str], String),
    warn: &mut impl FnMut(&[&str], String),
) -> FeedSettings {
    let url = match raw.url.as_deref() {
        None => home_url.to_owned(),
        Some(raw_url) => match Url::parse(raw_url.trim()) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.query().is_none() => {
                let host = u.host_str().unwrap_or_default();
                if !host.eq_ignore_ascii_case(site_host) {
                    warn(
                        &["feeds", "url"],
                        format!("field `feeds.url`: `{raw_url}` is on {host}, not on the site's host {site_host}: feed readers may refuse a feed whose self link is on another host, or follow it there; set it to the address the output folder is really published at"),
                    );
                }
                format!("{}/", u.as_str().trim_end_matches('/'))
            }
            _ => {
                problem(
                    &["feeds", "url"],
                    format!("field `feeds.url`: expected the absolute http(s) URL the output folder is published at, such as `https://example.com/feeds/`, found `{raw_url}`"),
                );
                String::new()
            }
        },
    };
    let ids = match raw.ids.as_deref().map(str::trim) {
        None | Some("tag") => EntryIds::Tag,
        Some("jekyll-feed") => EntryIds::JekyllFeed,
        Some(other) => {
            problem(
                &["feeds", "ids"],
                format!("field `feeds.ids`: expected `tag` or `jekyll-feed`, found `{other}`"),
            );
            EntryIds::Tag
        }
    };
    let paths = match raw.paths.as_deref().map(str::trim) {
        None | Some("crier") => FeedPaths::Crier,
        Some("jekyll-feed") => FeedPaths::JekyllFeed,
        Some(other) => {
            problem(
                &["feeds", "paths"],
                format!("field `feeds.paths`: expected `crier` or `jekyll-feed`, found `{other}`"),
            );
            FeedPaths::Crier
        }
    };
    FeedSettings {
        // Without `.` components: `output_dir: .` (the site folder) names the same folder
        // as the site's other paths, in messages too.
        output_dir: root.join(raw.output_dir).components().collect(),
        limit: raw.limit,
        tags: raw.tags,
        url,
        ids,
        paths,
        warnings: Vec::new(),
    }
}
