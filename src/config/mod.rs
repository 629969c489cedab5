//! `crier.yaml`: reading it, rejecting typos, and validating it into a [`Config`].
//!
//! Parsing happens in two steps: serde reads the file into permissive `Raw*` structs (with
//! `deny_unknown_fields`, so a misspelt key is an error naming it), then [`validate`] turns them
//! into typed values, collecting every problem rather than stopping at the first.

use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use serde::Deserialize;
use url::Url;

use crate::diagnostics::Diagnostic;
/// Re-exported for the stages that point diagnostics at config keys.
pub use crate::util::key_line;

mod delivery;
mod newsletter;

pub use delivery::{DeliverySettings, Security, SmtpSettings};
pub use newsletter::{DkimSettings, NewsletterSettings};

/// The config file's name inside a site folder.
pub const CONFIG_FILE: &str = "crier.yaml";

/// A validated site configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The config file this came from (for diagnostics).
    pub path: PathBuf,
    /// The site folder; relative paths in the config are resolved against it.
    pub root: PathBuf,
    /// Facts about the site itself.
    pub site: SiteInfo,
    /// Where the posts are (a Jekyll `_posts` folder works unchanged).
    pub posts_dir: PathBuf,
    /// The permalink pattern with Jekyll's built-in style names already expanded.
    pub permalink: String,
    /// Site-wide excerpt separator; `None` means "the first paragraph".
    pub excerpt_separator: Option<String>,
    /// Whether posts dated after "now" are published (Jekyll's `future`).
    pub future: bool,
    /// Feed output settings.
    pub feeds: FeedSettings,
    /// Newsletter settings; `None` when the site has no `newsletter:` section.
    pub newsletter: Option<NewsletterSettings>,
    /// The SMTP server; `None` means messages go to the outbox folder.
    pub smtp: Option<SmtpSettings>,
    /// Ledger, outbox and retry settings.
    pub delivery: DeliverySettings,
    /// Where `crier run` listens.
    pub server: ServerSettings,
}

/// The daemon's HTTP server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSettings {
    /// Address and port, e.g. `127.0.0.1:4000`.
    pub bind: std::net::SocketAddr,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServer {
    #[serde(default = "default_bind")]
    bind: String,
}

impl Default for RawServer {
    fn default() -> Self {
        RawServer {
            bind: default_bind(),
        }
    }
}

fn default_bind() -> String {
    "127.0.0.1:4000".to_owned()
}

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

/// The file as written, before validation.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    /// Site facts (required).
    site: RawSite,
    /// Posts folder, relative to the site folder.
    #[serde(default)]
    posts_dir: Option<PathBuf>,
    /// Permalink style or pattern; Jekyll's `pretty` by default.
    #[serde(default)]
    permalink: Option<String>,
    /// Excerpt separator (Jekyll's `excerpt_separator`).
    #[serde(default)]
    excerpt_separator: Option<String>,
    /// Publish posts dated in the future.
    #[serde(default)]
    future: bool,
    /// Feed settings.
    #[serde(default)]
    feeds: RawFeeds,
    /// Newsletter settings.
    #[serde(default)]
    newsletter: Option<newsletter::RawNewsletter>,
    /// SMTP server.
    #[serde(default)]
    smtp: Option<delivery::RawSmtp>,
    /// Delivery bookkeeping.
    #[serde(default)]
    delivery: delivery::RawDelivery,
    /// The daemon's HTTP server.
    #[serde(default)]
    server: RawServer,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSite {
    title: String,
    #[serde(default)]
    description: String,
    url: String,
    #[serde(default)]
    baseurl: String,
    author: RawAuthor,
    #[serde(default = "default_language")]
    language: String,
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFeeds {
    #[serde(default = "default_output_dir")]
    output_dir: PathBuf,
    #[serde(default = "default_limit")]
    limit: usize,
    #[serde(default = "default_true")]
    tags: bool,
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

fn default_language() -> String {
    "en".to_owned()
}
fn default_timezone() -> String {
    "UTC".to_owned()
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

/// Reads and validates `crier.yaml` in the site folder `root`.
///
/// Returns every problem found (unknown keys, bad URL, unknown time zone, ...) as diagnostics
/// pointing into the file.
pub fn load(root: &Path) -> Result<Config, Vec<Diagnostic>> {
    let path = root.join(CONFIG_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(err) => {
            let hint = if err.kind() == std::io::ErrorKind::NotFound {
                format!(
                    "no {CONFIG_FILE} found: is {} a crier site? pass --site DIR or create {CONFIG_FILE} (see README)",
                    root.display()
                )
            } else {
                format!("cannot read {CONFIG_FILE}: {err}")
            };
            return Err(vec![Diagnostic::error(&path, 1, 1, hint)]);
        }
    };
    parse(root, &path, &text)
}

/// Parses and validates config text; `path` is only used to locate diagnostics.
pub fn parse(root: &Path, path: &Path, text: &str) -> Result<Config, Vec<Diagnostic>> {
    let raw: RawConfig = serde_yaml::from_str(text).map_err(|err| {
        let (line, col) = err
            .location()
            .map(|l| (l.line(), l.column()))
            .unwrap_or((1, 1));
        vec![Diagnostic::error(
            path,
            line,
            col,
            format!("invalid config: {}", strip_location(&err.to_string())),
        )]
    })?;
    validate(root, path, text, raw)
}

/// serde_yaml appends " at line L column C" to its messages; we print the location in front.
pub fn strip_location(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

fn validate(
    root: &Path,
    path: &Path,
    text: &str,
    raw: RawConfig,
) -> Result<Config, Vec<Diagnostic>> {
    let mut problems = Vec::new();
    let mut problem = |keys: &[&str], message: String| {
        let line = key_line(text, keys).unwrap_or(1);
        problems.push(Diagnostic::error(path, line, 1, message));
    };

    let url = match validate_site_url(&raw.site.url) {
        Ok(url) => url,
        Err(why) => {
            problem(&["site", "url"], why);
            String::new()
        }
    };
    let baseurl = match normalize_baseurl(&raw.site.baseurl) {
        Ok(b) => b,
        Err(why) => {
            problem(&["site", "baseurl"], why);
            String::new()
        }
    };
    let timezone = raw.site.timezone.parse::<Tz>().unwrap_or_else(|_| {
        problem(
            &["site", "timezone"],
            format!(
                "field `site.timezone`: expected an IANA time zone name such as `Europe/London`, found `{}`",
                raw.site.timezone
            ),
        );
        Tz::UTC
    });
    if raw.site.title.trim().is_empty() {
        problem(
            &["site", "title"],
            "field `site.title`: expected the site's name, found an empty string".into(),
        );
    }
    if raw.site.title.contains(['\r', '\n']) {
        problem(
            &["site", "title"],
            "field `site.title`: expected a single line, found a line break".into(),
        );
    }
    if !is_language_tag(&raw.site.language) {
        problem(
            &["site", "language"],
            format!(
                "field `site.language`: expected a language tag such as `en` or `en-GB`, found `{}`",
                raw.site.language
            ),
        );
    }
    let author = match raw.site.author {
        RawAuthor::Name(name) => Author { name, email: None },
        RawAuthor::Full(author) => author,
    };
    if author.name.trim().is_empty() || author.name.contains(['\r', '\n']) {
        problem(
            &["site", "author"],
            "field `site.author`: expected a single-line name".into(),
        );
    }
    let permalink = match expand_permalink_style(raw.permalink.as_deref().unwrap_or("pretty")) {
        Ok(p) => p,
        Err(why) => {
            problem(&["permalink"], why);
            String::new()
        }
    };

    let feeds_url = match raw.feeds.url.as_deref().map(validate_feeds_url) {
        None => format!("{url}{baseurl}/"),
        Some(Ok(u)) => u,
        Some(Err(why)) => {
            problem(&["feeds", "url"], why);
            String::new()
        }
    };

    let home_url = format!("{url}{baseurl}/");
    let host = Url::parse(&url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    let newsletter = raw
        .newsletter
        .and_then(|raw| newsletter::validate(raw, root, &home_url, &host, timezone, &mut problem));
    let smtp = raw
        .smtp
        .and_then(|raw| delivery::validate_smtp(raw, &mut problem));
    let delivery = delivery::validate_delivery(raw.delivery, root);
    let bind = raw.server.bind.parse().unwrap_or_else(|_| {
        problem(&["server", "bind"], format!("field `server.bind`: expected an address and port such as `127.0.0.1:4000`, found `{}`", raw.server.bind));
        std::net::SocketAddr::from(([127, 0, 0, 1], 4000))
    });

    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Config {
        path: path.to_path_buf(),
        root: root.to_path_buf(),
        site: SiteInfo {
            title: raw.site.title,
            description: raw.site.description,
            url,
            baseurl,
            author,
            language: raw.site.language,
            timezone,
        },
        posts_dir: root.join(raw.posts_dir.unwrap_or_else(|| PathBuf::from("posts"))),
        permalink,
        excerpt_separator: raw.excerpt_separator.filter(|s| !s.is_empty()),
        future: raw.future,
        feeds: FeedSettings {
            output_dir: root.join(raw.feeds.output_dir),
            limit: raw.feeds.limit,
            tags: raw.feeds.tags,
            url: feeds_url,
        },
        newsletter,
        smtp,
        delivery,
        server: ServerSettings { bind },
    })
}

/// `site.url` must be an absolute http(s) URL with nothing after the host but an optional `/`.
fn validate_site_url(raw: &str) -> Result<String, String> {
    let expected =
        "field `site.url`: expected an absolute http(s) URL such as `https://example.com`";
    let parsed = Url::parse(raw.trim()).map_err(|e| format!("{expected}, found `{raw}` ({e})"))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(format!("{expected}, found `{raw}`"));
    }
    if parsed.path() != "/" || parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(format!(
            "{expected}, found `{raw}`: put a path prefix such as `/blog` in `site.baseurl` instead"
        ));
    }
    Ok(parsed.as_str().trim_end_matches('/').to_owned())
}

/// `feeds.url` is where the output folder is published; stored with a trailing `/`.
fn validate_feeds_url(raw: &str) -> Result<String, String> {
    match Url::parse(raw.trim()) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.query().is_none() => {
            Ok(format!("{}/", u.as_str().trim_end_matches('/')))
        }
        _ => Err(format!(
            "field `feeds.url`: expected the absolute http(s) URL the output folder is published at, such as `https://example.com/feeds/`, found `{raw}`"
        )),
    }
}

/// Jekyll accepts `blog`, `/blog` and `/blog/`; we store `/blog`.
fn normalize_baseurl(raw: &str) -> Result<String, String> {
    let trimmed = raw.trim().trim_matches('/');
    if trimmed.contains("://") || trimmed.contains(['?', '#', ' ']) {
        return Err(format!(
            "field `site.baseurl`: expected a path prefix such as `/blog` (or empty), found `{raw}`"
        ));
    }
    Ok(if trimmed.is_empty() {
        String::new()
    } else {
        format!("/{trimmed}")
    })
}

/// Expands Jekyll's built-in permalink styles; other patterns get a leading `/` as Jekyll does.
fn expand_permalink_style(raw: &str) -> Result<String, String> {
    let pattern = match raw.trim() {
        "pretty" => "/:categories/:year/:month/:day/:title/",
        "date" => "/:categories/:year/:month/:day/:title:output_ext",
        "ordinal" => "/:categories/:year/:y_day/:title:output_ext",
        "weekdate" => "/:categories/:year/W:week/:short_day/:title:output_ext",
        "none" => "/:categories/:title:output_ext",
        other => other,
    };
    if !pattern.contains(":title") && !pattern.contains(":slug") {
        return Err(format!(
            "field `permalink`: expected `pretty`, `date`, `ordinal`, `none` or a pattern containing `:title` or `:slug`, found `{raw}`"
        ));
    }
    Ok(if pattern.starts_with('/') {
        pattern.to_owned()
    } else {
        format!("/{pattern}")
    })
}

fn is_language_tag(tag: &str) -> bool {
    !tag.is_empty()
        && tag.split('-').all(|part| {
            (1..=8).contains(&part.len()) && part.chars().all(|c| c.is_ascii_alphanumeric())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "site:\n  title: Meetup\n  url: https://example.com/\n  author: Ada\n";

    fn parse_str(text: &str) -> Result<Config, Vec<Diagnostic>> {
        parse(Path::new("site"), Path::new("site/crier.yaml"), text)
    }

    #[test]
    fn minimal_config_gets_defaults() {
        let c = parse_str(MINIMAL).unwrap();
        assert_eq!(c.site.url, "https://example.com");
        assert_eq!(c.site.baseurl, "");
        assert_eq!(c.posts_dir, Path::new("site/posts"));
        assert_eq!(c.permalink, "/:categories/:year/:month/:day/:title/");
        assert_eq!(c.feeds.limit, 20);
        assert_eq!(c.site.timezone, Tz::UTC);
        assert_eq!(c.site.home_url(), "https://example.com/");
    }

    #[test]
    fn unknown_key_is_an_error_naming_key_and_line() {
        let errs = parse_str(&format!("{MINIMAL}  titel: typo\n")).unwrap_err();
        assert_eq!(errs.len(), 1);
        assert!(
            errs[0].message.contains("unknown field `titel`"),
            "{}",
            errs[0]
        );
        assert_eq!(errs[0].line, 5);
        assert_eq!(errs[0].path, Path::new("site/crier.yaml"));
    }

    #[test]
    fn relative_or_ftp_url_is_rejected_on_its_line() {
        for bad in [
            "example.com",
            "ftp://example.com",
            "/blog",
            "https://example.com/blog",
        ] {
            let text = MINIMAL.replace("https://example.com/", bad);
            let errs = parse_str(&text).unwrap_err();
            assert_eq!(errs[0].line, 3, "{bad}");
            assert!(errs[0].message.contains("site.url"), "{}", errs[0]);
        }
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let text = format!("{MINIMAL}  timezone: Mars/Olympus\n  language: 'en GB'\n");
        let errs = parse_str(&text).unwrap_err();
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert_eq!(errs[0].line, 5);
        assert_eq!(errs[1].line, 6);
    }

    #[test]
    fn baseurl_is_normalised() {
        for (raw, want) in [("", ""), ("/", ""), ("blog", "/blog"), ("/blog/", "/blog")] {
            assert_eq!(normalize_baseurl(raw).unwrap(), want);
        }
        assert!(normalize_baseurl("https://x/blog").is_err());
    }

    #[test]
    fn permalink_styles_expand_like_jekyll() {
        assert_eq!(
            expand_permalink_style("date").unwrap(),
            "/:categories/:year/:month/:day/:title:output_ext"
        );
        assert_eq!(
            expand_permalink_style("blog/:title/").unwrap(),
            "/blog/:title/"
        );
        assert!(expand_permalink_style("/:year/").is_err());
    }

    #[test]
    fn author_may_be_a_name_or_a_mapping() {
        let text = MINIMAL.replace(
            "author: Ada",
            "author:\n    name: Ada\n    email: ada@example.com",
        );
        let c = parse_str(&text).unwrap();
        assert_eq!(c.site.author.email.as_deref(), Some("ada@example.com"));
    }
}
