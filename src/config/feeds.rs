//! The `feeds:` section: where and how feeds are written.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use url::Url;

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
}

impl Default for RawFeeds {
    fn default() -> Self {
        RawFeeds {
            output_dir: default_output_dir(),
            limit: default_limit(),
            tags: true,
            url: None,
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

/// Validates `feeds:`; `home_url` is the default for `feeds.url`.
pub(super) fn validate(
    raw: RawFeeds,
    root: &Path,
    home_url: &str,
    problem: &mut impl FnMut(&[&str], String),
) -> FeedSettings {
    let url = match raw.url.as_deref() {
        None => home_url.to_owned(),
        Some(raw_url) => match Url::parse(raw_url.trim()) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.query().is_none() => {
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
    FeedSettings {
        output_dir: root.join(raw.output_dir),
        limit: raw.limit,
        tags: raw.tags,
        url,
    }
}
