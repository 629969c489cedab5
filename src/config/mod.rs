//! `crier.yaml`: reading it, rejecting typos, and validating it into a [`Config`].
//!
//! Parsing happens in two steps: serde reads the file into permissive `Raw*` structs (with
//! `deny_unknown_fields`, so a misspelt key is an error naming it), then [`validate`] turns them
//! into typed values, collecting every problem rather than stopping at the first.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::diagnostics::Diagnostic;
/// Re-exported for the stages that point diagnostics at config keys.
pub use crate::util::key_line;

mod audience;
mod bounces;
mod delivery;
mod feeds;
pub mod limits;
mod newsletter;
mod posts;
mod reminder;
mod server;
mod site;
mod words;

pub use audience::{valid_list_name, AudienceSettings, PublicList, DEFAULT_LIST, REMINDERS};
pub use bounces::{BounceSettings, Secret, SecretError, WebhookConfig};
pub use delivery::{BackupSettings, DeliverySettings, Security, SmtpSettings};
pub use feeds::{EntryIds, FeedPaths, FeedSettings};
pub use limits::Limits;
pub use newsletter::{DkimSettings, NewsletterSettings};
pub use posts::{check_placeholders, UnknownPlaceholder, PLACEHOLDERS};
pub use reminder::ReminderSettings;
pub use server::ServerSettings;
pub use site::{Author, SiteInfo};

/// The archive's folder inside the feeds' output folder (and its URL path below `feeds.url`):
/// here, because the ledger also looks for it (a published archive shows a site has sent).
pub const ARCHIVE_DIR: &str = "archive";

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
    /// Resource limits on posts and templates.
    pub limits: Limits,
    /// Who may join which lists on their own, and the form's abuse limits.
    pub audience: AudienceSettings,
    /// Where bounce and complaint reports come back, and what is done with them.
    pub bounces: BounceSettings,
}

/// The daemon's HTTP server.
/// The file as written, before validation.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    /// Site facts (required).
    site: site::RawSite,
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
    feeds: feeds::RawFeeds,
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
    server: server::RawServer,
    /// Resource limits on input.
    #[serde(default)]
    limits: limits::RawLimits,
    /// Self-service lists and form limits.
    #[serde(default)]
    audience: audience::RawAudience,
    /// Bounce and complaint reports.
    #[serde(default)]
    bounces: Option<bounces::RawBounces>,
}

/// Reads and validates `crier.yaml` in the site folder `root`.
///
/// Returns every problem found (unknown keys, bad URL, unknown time zone, ...) as diagnostics
/// pointing into the file.
pub fn load(root: &Path) -> Result<Config, Vec<Diagnostic>> {
    let path = root.join(CONFIG_FILE);
    let text =
        read_config_file(root, &path).map_err(|why| vec![Diagnostic::error(&path, 1, 1, why)])?;
    parse(root, &path, &text)
}

/// The text of `crier.yaml`, read no further than [`Limits::max_front_matter_bytes`] (the
/// default: the config cannot raise its own limit), so a config that is really a log or a
/// device fails at once.
fn read_config_file(root: &Path, path: &Path) -> Result<String, String> {
    use std::io::Read;
    let limit = Limits::default().max_front_matter_bytes;
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(limit as u64 + 1).read_to_end(&mut bytes))
        .map_err(|err| {
            if err.kind() == std::io::ErrorKind::NotFound {
                format!(
                    "no {CONFIG_FILE} in {}: run `crier init` there to write one (from a Jekyll site's _config.yml, or a starter site in an empty folder), or pass --site DIR to use a site elsewhere",
                    root.display()
                )
            } else {
                format!("cannot read {CONFIG_FILE}: {err}")
            }
        })?;
    if bytes.len() > limit {
        return Err(format!(
            "{CONFIG_FILE} is over the limit of {limit} bytes (the limit on front matter): is this really crier's config?"
        ));
    }
    String::from_utf8(bytes).map_err(|err| {
        format!(
            "cannot read {CONFIG_FILE}: not UTF-8 text (invalid byte at offset {}): save it as UTF-8",
            err.utf8_error().valid_up_to()
        )
    })
}

/// Parses and validates config text; `path` is only used to locate diagnostics. The text is
/// held to the limits on front matter (size, nesting, aliases) before serde_yaml sees it:
/// deep nesting parses in quadratic time, and aliases expand without a byte count.
pub fn parse(root: &Path, path: &Path, text: &str) -> Result<Config, Vec<Diagnostic>> {
    guard_yaml(path, text).map_err(|d| vec![d])?;
    let raw: RawConfig = serde_yaml::from_str(text).map_err(|err| {
        let (line, col) = err
            .location()
            .map(|l| (l.line(), l.column()))
            .unwrap_or((1, 1));
        vec![Diagnostic::error(
            path,
            line,
            col,
            format!(
                "invalid config: {}",
                words::plain(&strip_location(&err.to_string()))
            ),
        )]
    })?;
    validate(root, path, text, raw)
}

/// The front-matter limits, applied to the config text.
fn guard_yaml(path: &Path, text: &str) -> Result<(), Diagnostic> {
    crate::util::yaml_guard::check_document(text, &Limits::default().yaml_document()).map_err(
        |problem| {
            let (line, column) = problem.position();
            let why =
                format!("{CONFIG_FILE} {problem} (crier.yaml has the limits of front matter)");
            Diagnostic::error(path, line, column, why)
        },
    )
}

/// serde_yaml appends " at line L column C" to its messages; we print the location in front.
pub fn strip_location(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// Validates every section the same way: each reports its problems with the key's line, and
/// all of them are collected before failing.
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
    let mut warnings = Vec::new();
    let mut warn = |keys: &[&str], message: String| {
        let line = key_line(text, keys).unwrap_or(1);
        warnings.push(Diagnostic::warning(path, line, 1, message));
    };
    let site = site::validate(raw.site, &mut problem);
    let permalink = posts::permalink(raw.permalink.as_deref().unwrap_or("pretty"), &mut problem);
    let home_url = site.home_url();
    let mut feeds = feeds::validate(
        raw.feeds,
        root,
        &home_url,
        &site.host(),
        &mut problem,
        &mut warn,
    );
    let newsletter = raw.newsletter.and_then(|raw| {
        newsletter::validate(
            raw,
            root,
            &home_url,
            &site.host(),
            site.timezone,
            &mut problem,
        )
    });
    let smtp = raw
        .smtp
        .and_then(|raw| delivery::validate_smtp(raw, &mut problem));
    let delivery = delivery::validate_delivery(raw.delivery, root);
    let server = server::validate(raw.server, &mut problem);
    let limits = limits::validate(raw.limits, &mut problem);
    let audience = audience::validate(raw.audience, &mut problem);
    let bounces = bounces::validate(raw.bounces, &mut problem);
    if !problems.is_empty() {
        return Err(problems);
    }
    feeds.warnings = warnings;
    Ok(Config {
        path: path.to_path_buf(),
        root: root.to_path_buf(),
        site,
        posts_dir: root.join(raw.posts_dir.unwrap_or_else(|| PathBuf::from("posts"))),
        permalink,
        excerpt_separator: raw.excerpt_separator.filter(|s| !s.is_empty()),
        future: raw.future,
        feeds,
        newsletter,
        smtp,
        delivery,
        server,
        limits,
        audience,
        bounces,
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
        assert_eq!(c.site.timezone, chrono_tz::Tz::UTC);
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
            let text = MINIMAL.replace(
                "  url: https://example.com/\n",
                &format!("  url: https://example.com/\n  baseurl: \"{raw}\"\n"),
            );
            assert_eq!(parse_str(&text).unwrap().site.baseurl, want, "{raw}");
        }
        let text = MINIMAL.replace(
            "  url: https://example.com/\n",
            "  url: https://example.com/\n  baseurl: https://x/blog\n",
        );
        assert!(parse_str(&text).unwrap_err()[0]
            .message
            .contains("site.baseurl"));
    }

    #[test]
    fn permalink_styles_expand_like_jekyll() {
        let permalink =
            |p: &str| parse_str(&format!("{MINIMAL}permalink: \"{p}\"\n")).map(|c| c.permalink);
        assert_eq!(
            permalink("date").unwrap(),
            "/:categories/:year/:month/:day/:title:output_ext"
        );
        assert_eq!(permalink("blog/:title/").unwrap(), "/blog/:title/");
        assert!(permalink("/:year/").unwrap_err()[0]
            .message
            .contains("permalink"));
    }

    #[test]
    fn limits_can_be_raised_within_their_range() {
        let c = parse_str(&format!(
            "{MINIMAL}limits:\n  tags_per_post: 250\n  post_kib: 8192\n"
        ))
        .unwrap();
        assert_eq!(c.limits.max_tags, 250);
        assert_eq!(c.limits.max_post_bytes, 8 * 1024 * 1024);
        assert_eq!(c.limits.max_yaml_depth, Limits::default().max_yaml_depth);
        let c = parse_str(&format!(
            "{MINIMAL}limits:\n  import_mib: 200\n  import_rows: 1000000\n"
        ))
        .unwrap();
        assert_eq!(c.limits.max_import_bytes, 200 * 1024 * 1024);
        assert_eq!(c.limits.max_import_rows, 1_000_000);
        let errs = parse_str(&format!("{MINIMAL}limits:\n  import_mib: 0\n")).unwrap_err();
        assert!(
            errs[0]
                .message
                .contains("`limits.import_mib`: expected a whole number from 1 to 1024, found 0"),
            "{}",
            errs[0]
        );
        let errs = parse_str(&format!(
            "{MINIMAL}limits:\n  tags_per_post: 100000\n  yaml_depth: 9\n"
        ))
        .unwrap_err();
        assert!(
            errs[0].message.contains("unknown field `yaml_depth`"),
            "{errs:?}"
        );
        let errs = parse_str(&format!("{MINIMAL}limits:\n  tags_per_post: 100000\n")).unwrap_err();
        assert_eq!(errs[0].line, 6);
        assert!(
            errs[0].message.contains(
                "`limits.tags_per_post`: expected a whole number from 1 to 1000, found 100000"
            ),
            "{}",
            errs[0]
        );
    }

    #[test]
    fn config_text_has_the_limits_of_front_matter() {
        let deep = format!("{MINIMAL}extra: {}\n", "[".repeat(100_000));
        let errs = parse_str(&deep).unwrap_err();
        assert_eq!((errs[0].line, errs[0].column), (5, 8 + 63), "{errs:?}");
        assert!(
            errs[0]
                .message
                .contains("crier.yaml nests lists and mappings more than 64 levels deep"),
            "{errs:?}"
        );
        let aliases = format!("{MINIMAL}x: &a y\nz: [{}]\n", vec!["*a"; 1001].join(", "));
        let errs = parse_str(&aliases).unwrap_err();
        assert!(
            errs[0].message.contains("more than 1000 `*alias`"),
            "{errs:?}"
        );
    }

    #[test]
    fn newsletter_numbers_are_in_range() {
        let newsletter = "newsletter:\n  from: { name: N, address: news@example.com }\n";
        for (line, key) in [
            ("  event_minutes: 4294967295\n", "event_minutes"),
            (
                "  missed_grace_minutes: 4000000000\n",
                "missed_grace_minutes",
            ),
            ("  max_recaps: 0\n", "max_recaps"),
        ] {
            let errs = parse_str(&format!("{MINIMAL}{newsletter}{line}")).unwrap_err();
            assert_eq!(errs.len(), 1, "{errs:?}");
            assert_eq!(errs[0].line, 7, "{key}");
            assert!(
                errs[0]
                    .message
                    .contains(&format!("`newsletter.{key}`: expected a whole number from")),
                "{}",
                errs[0]
            );
        }
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
