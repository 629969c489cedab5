//! The `site:` section: facts about the site that appear in every feed and e-mail.

use chrono_tz::Tz;
use serde::Deserialize;
use url::Url;

/// Facts about the site that appear in every feed and e-mail.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteInfo {
    /// The site's name.
    pub title: String,
    /// One or two sentences about the site.
    pub description: String,
    /// Scheme and host (and port), without a trailing slash, e.g. `https://example.com`.
    pub url: String,
    /// Path prefix the site lives under: empty, or `/blog` (leading slash, no trailing slash).
    pub baseurl: String,
    /// Default author of posts.
    pub author: Author,
    /// Language tag such as `en-GB`.
    pub language: String,
    /// IANA time zone the posts' dates are written in.
    pub timezone: Tz,
}

impl SiteInfo {
    /// The site's home page: `url + baseurl + "/"`.
    pub fn home_url(&self) -> String {
        format!("{}{}/", self.url, self.baseurl)
    }

    /// The host name of the site URL, used in stable `tag:` identifiers.
    pub fn host(&self) -> String {
        Url::parse(&self.url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default()
    }
}

/// A person credited as author.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Author {
    /// Display name.
    pub name: String,
    /// Optional contact address (shown in feeds that support it).
    #[serde(default)]
    pub email: Option<String>,
}

/// `site:` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSite {
    /// The site's name (required).
    title: String,
    /// One or two sentences about the site.
    #[serde(default)]
    description: String,
    /// Absolute http(s) URL, nothing after the host (required).
    url: String,
    /// Path prefix, e.g. `/blog`.
    #[serde(default)]
    baseurl: String,
    /// A name, or `{ name, email }` (required).
    author: RawAuthor,
    /// Language tag; `en` by default.
    #[serde(default = "default_language")]
    language: String,
    /// IANA time zone; `UTC` by default.
    #[serde(default = "default_timezone")]
    timezone: String,
}

/// An author is either just a name or `{ name, email }`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawAuthor {
    Name(String),
    Full(Author),
}

fn default_language() -> String {
    "en".to_owned()
}

fn default_timezone() -> String {
    "UTC".to_owned()
}

/// Validates `site:`, reporting each problem with its key.
pub(super) fn validate(raw: RawSite, problem: &mut impl FnMut(&[&str], String)) -> SiteInfo {
    let url = site_url(&raw.url, problem).unwrap_or_default();
    let baseurl = baseurl(&raw.baseurl, problem).unwrap_or_default();
    let timezone = raw.timezone.parse::<Tz>().unwrap_or_else(|_| {
        problem(
            &["site", "timezone"],
            format!(
                "field `site.timezone`: expected an IANA time zone name such as `Europe/London`, found `{}`",
                raw.timezone
            ),
        );
        Tz::UTC
    });
    if raw.title.trim().is_empty() {
        problem(
            &["site", "title"],
            "field `site.title`: expected the site's name, found an empty string".into(),
        );
    }
    if raw.title.contains(['\r', '\n']) {
        problem(
            &["site", "title"],
            "field `site.title`: expected a single line, found a line break".into(),
        );
    }
    if !is_language_tag(&raw.language) {
        problem(
            &["site", "language"],
            format!(
                "field `site.language`: expected a language tag such as `en` or `en-GB`, found `{}`",
                raw.language
            ),
        );
    }
    let author = match raw.author {
        RawAuthor::Name(name) => Author { name, email: None },
        RawAuthor::Full(author) => author,
    };
    if author.name.trim().is_empty() || author.name.contains(['\r', '\n']) {
        problem(
            &["site", "author"],
            "field `site.author`: expected a single-line name".into(),
        );
    }
    SiteInfo {
        title: raw.title,
        description: raw.description,
        url,
        baseurl,
        author,
        language: raw.language,
        timezone,
    }
}

/// `site.url` must be an absolute http(s) URL with nothing after the host but an optional `/`.
fn site_url(raw: &str, problem: &mut impl FnMut(&[&str], String)) -> Option<String> {
    let expected =
        "field `site.url`: expected an absolute http(s) URL such as `https://example.com`";
    let mut fail = |message: String| {
        problem(&["site", "url"], message);
        None
    };
    let parsed = match Url::parse(raw.trim()) {
        Ok(u) => u,
        Err(e) => return fail(format!("{expected}, found `{raw}` ({e})")),
    };
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return fail(format!("{expected}, found `{raw}`"));
    }
    if parsed.path() != "/" || parsed.query().is_some() || parsed.fragment().is_some() {
        return fail(format!(
            "{expected}, found `{raw}`: put a path prefix such as `/blog` in `site.baseurl` instead"
        ));
    }
    Some(parsed.as_str().trim_end_matches('/').to_owned())
}

/// Jekyll accepts `blog`, `/blog` and `/blog/`; we store `/blog`.
fn baseurl(raw: &str, problem: &mut impl FnMut(&[&str], String)) -> Option<String> {
    let trimmed = raw.trim().trim_matches('/');
    if trimmed.contains("://") || trimmed.contains(['?', '#', ' ']) {
        problem(
            &["site", "baseurl"],
            format!("field `site.baseurl`: expected a path prefix such as `/blog` (or empty), found `{raw}`"),
        );
        return None;
    }
    Some(if trimmed.is_empty() {
        String::new()
    } else {
        format!("/{trimmed}")
    })
}

fn is_language_tag(tag: &str) -> bool {
    !tag.is_empty()
        && tag.split('-').all(|part| {
            (1..=8).contains(&part.len()) && part.chars().all(|c| c.is_ascii_alphanumeric())
        })
}
