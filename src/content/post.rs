//! One post: its front matter read into typed, validated fields.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};
use serde_yaml::{Mapping, Value};

use super::dates::{in_zone, parse_date};
use super::error::{PostError, PostErrorKind};
use super::fields::{self, describe, Mismatch};
use super::filename::PostFileName;
use super::front_matter::{split, FrontMatter};
use super::limits::Limits;
use super::liquid::substitute;
use super::permalink::{check_placeholders, expand, PermalinkParts};
use super::xml_chars;
use crate::config::{key_line, strip_location, Config};
use crate::diagnostics::Diagnostic;
use crate::urls::{absolutize, UrlBase};
use crate::util::yaml_guard::{self, Exceeded};

/// Whether a post is published (Jekyll's `published:` key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Appears in feeds and digests.
    Published,
    /// `published: false` (or `no`, `off`): loaded and checked, never published.
    Unpublished,
}

/// A valid post. The body is not kept: see [`crate::content::render`].
#[derive(Debug, Clone, PartialEq)]
pub struct Post {
    /// The file it came from.
    pub source: PathBuf,
    /// From the file name (or `slug:`): the stable part of its URL and identifiers.
    pub slug: String,
    /// The slug from the file name alone (identifiers use it so `slug:` edits keep them).
    pub file_slug: String,
    /// The post title, one line.
    pub title: String,
    /// Publication date.
    pub date: DateTime<FixedOffset>,
    /// Last update (`last_modified_at` or `updated`), if given.
    pub updated: Option<DateTime<FixedOffset>>,
    /// `description:` (a summary written by the author).
    pub description: Option<String>,
    /// `location:` of the event.
    pub location: Option<String>,
    /// `image:` as an absolute URL.
    pub image: Option<String>,
    /// `video:` as an absolute URL (often a YouTube embed).
    pub video: Option<String>,
    /// Tags, in the order written, without duplicates.
    pub tags: Vec<String>,
    /// Categories (used by `:categories` in permalinks).
    pub categories: Vec<String>,
    /// Old URLs of this post.
    pub redirect_from: Vec<String>,
    /// Author's name when it differs from the site's.
    pub author: Option<String>,
    /// An explicit Atom/JSON Feed id (`id:`), overriding the generated `tag:` URI.
    pub id: Option<String>,
    /// Site-relative permalink path, e.g. `/2019/12/10/december-recap/`.
    pub path: String,
    /// Absolute permalink URL.
    pub url: String,
    /// Per-post excerpt separator.
    pub excerpt_separator: Option<String>,
    /// Published or not.
    pub status: Status,
    /// Every other front-matter key, for templates.
    pub extra: BTreeMap<String, serde_json::Value>,
}

impl Post {
    /// What relative URLs in this post resolve against.
    pub fn url_base<'a>(&'a self, config: &'a Config) -> UrlBase<'a> {
        UrlBase {
            site_url: &config.site.url,
            baseurl: &config.site.baseurl,
            page_url: &self.url,
        }
    }
}

/// Keys with a meaning to crier; everything else goes to [`Post::extra`].
const KNOWN_KEYS: &[&str] = &[
    "title",
    "date",
    "description",
    "location",
    "image",
    "video",
    "tags",
    "tag",
    "categories",
    "category",
    "published",
    "redirect_from",
    "id",
    "permalink",
    "slug",
    "excerpt_separator",
    "author",
    "updated",
    "last_modified_at",
];

/// Parses a post file's text. Returns the post and its warnings, or the first error that
/// makes it unusable.
pub fn parse_post(
    path: &Path,
    name: &PostFileName,
    text: &str,
    config: &Config,
) -> Result<(Post, Vec<Diagnostic>), PostError> {
    parse_post_with(path, name, text, config, &config.limits)
}

/// [`parse_post`] with explicit resource limits.
pub fn parse_post_with(
    path: &Path,
    name: &PostFileName,
    text: &str,
    config: &Config,
    limits: &Limits,
) -> Result<(Post, Vec<Diagnostic>), PostError> {
    let mut warnings = forbidden_char_warnings(path, text);
    let text = xml_chars::strip(text);
    let fm = split(&text).map_err(|kind| PostError::at_file(path, kind))?;
    let mut map = parse_yaml(path, &fm, limits)?;
    strip_forbidden_values(path, &fm, &mut map, &mut warnings);
    let reader = Reader {
        path,
        fm: &fm,
        map: &map,
    };
    let title = title_of(&reader, name)?;
    let (date, updated) = dates_of(&reader, name, config)?;
    let published = reader
        .optional("published", fields::yaml11_bool)?
        .unwrap_or(true);
    let (tags, categories) = taxonomy_of(&reader, limits, &mut warnings)?;
    reader.warn_long_tags(&tags, config.feeds.tags, &mut warnings);
    let slug = reader
        .optional("slug", fields::single_line)?
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| name.slug.clone());
    let id = id_of(&reader)?;
    let parts = PermalinkParts {
        // Jekyll fills `:year`, `:day`... from the date in the site's time zone, whatever
        // offset the front matter wrote it with.
        date: date.with_timezone(&config.site.timezone).fixed_offset(),
        slug: &slug.replace(char::is_whitespace, "-"),
        categories: &categories,
    };
    let (url_path, url) = address_of(&reader, &parts, config)?;
    let texts = texts_of(&reader, &url, config, &mut warnings);
    warnings.extend(liquid_warnings(path, &fm, config));
    let post = Post {
        source: path.to_path_buf(),
        file_slug: name.slug.clone(),
        slug,
        title,
        date,
        updated,
        description: texts.description,
        location: texts.location,
        image: texts.image,
        video: texts.video,
        tags,
        categories,
        redirect_from: texts.redirect_from,
        author: texts.author,
        id,
        path: url_path,
        url,
        excerpt_separator: texts.excerpt_separator,
        status: if published {
            Status::Published
        } else {
            Status::Unpublished
        },
        extra: extra_fields(&map),
    };
    Ok((post, warnings))
}

/// The title; without `title:`, Jekyll titles a post after its file name's slug.
fn title_of(reader: &Reader<'_>, name: &PostFileName) -> Result<String, PostError> {
    let title = match reader.optional("title", fields::single_line)? {
        Some(title) => title,
        None => titleize_slug(&name.slug),
    };
    if title.is_empty() {
        return Err(reader.error(
            "title",
            ("the post's title".into(), "an empty string".into()),
        ));
    }
    Ok(title)
}

/// The date (the file name's, at midnight in the site's zone, unless `date:` says) and the
/// last update (`last_modified_at`, or `updated`).
fn dates_of(
    reader: &Reader<'_>,
    name: &PostFileName,
    config: &Config,
) -> Result<(DateTime<FixedOffset>, Option<DateTime<FixedOffset>>), PostError> {
    let date = match reader.optional("date", |v| date_value(v, config))? {
        Some(date) => date,
        None => in_zone(
            name.date.and_time(chrono::NaiveTime::MIN),
            config.site.timezone,
        ),
    };
    let updated = match reader.optional("last_modified_at", |v| date_value(v, config))? {
        Some(d) => Some(d),
        None => reader.optional("updated", |v| date_value(v, config))?,
    };
    Ok((date, updated))
}

/// Tags (`tags` and `tag`, without case-insensitive repeats) and categories (`categories`
/// and `category`), each capped at the limit.
fn taxonomy_of(
    reader: &Reader<'_>,
    limits: &Limits,
    warnings: &mut Vec<Diagnostic>,
) -> Result<(Vec<String>, Vec<String>), PostError> {
    let mut tags = reader
        .optional("tags", fields::word_list)?
        .unwrap_or_default();
    tags.extend(
        reader
            .optional("tag", fields::word_list)?
            .unwrap_or_default(),
    );
    dedup_case_insensitive(&mut tags);
    reader.cap_list(&mut tags, ["tags", "tag"], limits.max_tags, warnings);
    let mut categories = reader
        .optional("categories", fields::word_list)?
        .unwrap_or_default();
    categories.extend(
        reader
            .optional("category", fields::word_list)?
            .unwrap_or_default(),
    );
    let keys = ["categories", "category"];
    reader.cap_list(&mut categories, keys, limits.max_tags, warnings);
    Ok((tags, categories))
}

/// `id:`, which must be an absolute URI.
fn id_of(reader: &Reader<'_>) -> Result<Option<String>, PostError> {
    reader.optional("id", |v| {
        let id = fields::single_line(v)?;
        if crate::urls::has_scheme(&id) {
            Ok(id)
        } else {
            Err((
                "an absolute URI such as `tag:example.com,2024-01-10:recap`".into(),
                describe(v),
            ))
        }
    })
}

/// The post's path on the site and its absolute URL, from its own `permalink:` or the site's.
fn address_of(
    reader: &Reader<'_>,
    parts: &PermalinkParts<'_>,
    config: &Config,
) -> Result<(String, String), PostError> {
    let own = reader.optional("permalink", fields::single_line)?;
    if let Some(pattern) = &own {
        check_placeholders(pattern).map_err(|why| {
            reader.error(
                "permalink",
                (
                    "a pattern made of Jekyll's placeholders".into(),
                    why.to_string().replacen("unknown", "an unknown", 1),
                ),
            )
        })?;
    }
    let url_path = expand(own.as_deref().unwrap_or(&config.permalink), parts);
    let url_path = if url_path.starts_with('/') {
        url_path
    } else {
        format!("/{url_path}")
    };
    let url = crate::urls::encode_illegal(&format!(
        "{}{}{}",
        config.site.url, config.site.baseurl, url_path
    ));
    Ok((url_path, url))
}

/// The free-text fields: a bad one is ignored with a warning, never fatal.
struct Texts {
    description: Option<String>,
    location: Option<String>,
    author: Option<String>,
    excerpt_separator: Option<String>,
    image: Option<String>,
    video: Option<String>,
    redirect_from: Vec<String>,
}

fn texts_of(
    reader: &Reader<'_>,
    url: &str,
    config: &Config,
    warnings: &mut Vec<Diagnostic>,
) -> Texts {
    let base = UrlBase {
        site_url: &config.site.url,
        baseurl: &config.site.baseurl,
        page_url: url,
    };
    let mut ignored = |err: PostError| {
        warnings.push(Diagnostic::warning(
            &err.path,
            err.line,
            err.column,
            format!("{} (the field is ignored)", err.kind),
        ));
    };
    let mut text = |key: &str| match reader.optional(key, fields::flowing_text) {
        Ok(value) => value.filter(|s| !s.is_empty()),
        Err(err) => {
            ignored(err);
            None
        }
    };
    let url_of = |raw: String| absolutize(&substitute(&raw, &config.site).0, &base);
    let description = text("description");
    let location = text("location");
    let author = text("author");
    let excerpt_separator = text("excerpt_separator");
    let image = text("image").map(url_of);
    let video = text("video").map(url_of);
    let redirect_from = match reader.optional("redirect_from", fields::string_list) {
        Ok(list) => list.unwrap_or_default(),
        Err(err) => {
            ignored(err);
            Vec::new()
        }
    };
    Texts {
        description,
        location,
        author,
        excerpt_separator,
        image,
        video,
        redirect_from,
    }
}

/// A warning for each Liquid tag crier leaves as it is.
fn liquid_warnings(path: &Path, fm: &FrontMatter<'_>, config: &Config) -> Vec<Diagnostic> {
    substitute(fm.body, &config.site)
        .1
        .into_iter()
        .map(|tag| {
            Diagnostic::warning(
                path,
                fm.body_line + tag.line - 1,
                tag.column,
                format!(
                    "unsupported Liquid tag `{}` left as-is (crier substitutes only site.url, site.baseurl and site.title)",
                    truncate(&tag.tag, 80)
                ),
            )
        })
        .collect()
}

/// Jekyll's `Utils.titleize_slug` (Jekyll 4): split on `-`, capitalize each word (first letter
/// upper-case, the rest lower-case, as Ruby's `String#capitalize`), join with spaces. Like
/// Ruby's `split`, trailing empty words are dropped; trailing dots of the slug are removed
/// first, as Jekyll does.
pub fn titleize_slug(slug: &str) -> String {
    let slug = slug.trim_end_matches('.');
    let mut words: Vec<&str> = slug.split('-').collect();
    while words.last() == Some(&"") {
        words.pop();
    }
    words
        .iter()
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => first
                    .to_uppercase()
                    .chain(chars.flat_map(char::to_lowercase))
                    .collect(),
                None => String::new(),
            }
        })
        .collect::<Vec<String>>()
        .join(" ")
}

/// At most this many forbidden characters are reported one by one per file.
const MAX_CHAR_WARNINGS: usize = 5;

/// Warnings for characters XML 1.0 forbids, written as they are in the file.
fn forbidden_char_warnings(path: &Path, text: &str) -> Vec<Diagnostic> {
    let found = xml_chars::scan(text);
    let mut warnings: Vec<Diagnostic> = found
        .iter()
        .take(MAX_CHAR_WARNINGS)
        .map(|&(line, column, c)| {
            Diagnostic::warning(
                path,
                line,
                column,
                format!(
                    "removed the character {}, which XML 1.0 does not allow (feed readers would reject the whole feed)",
                    xml_chars::describe(c)
                ),
            )
        })
        .collect();
    if found.len() > MAX_CHAR_WARNINGS {
        let (line, column, _) = found[MAX_CHAR_WARNINGS];
        warnings.push(Diagnostic::warning(
            path,
            line,
            column,
            format!(
                "removed {} more characters that XML 1.0 does not allow",
                found.len() - MAX_CHAR_WARNINGS
            ),
        ));
    }
    warnings
}

/// Removes characters XML 1.0 forbids from front-matter values (written as YAML escapes such
/// as `"\f"`), with a warning on the key's line.
fn strip_forbidden_values(
    path: &Path,
    fm: &FrontMatter<'_>,
    map: &mut Mapping,
    warnings: &mut Vec<Diagnostic>,
) {
    fn strip_value(value: &mut Value, removed: &mut Vec<char>) {
        match value {
            Value::String(s) if xml_chars::any_forbidden(s) => {
                removed.extend(s.chars().filter(|c| xml_chars::is_forbidden(*c)));
                *s = xml_chars::strip(s).into_owned();
            }
            Value::Sequence(items) => items.iter_mut().for_each(|v| strip_value(v, removed)),
            Value::Mapping(map) => map.iter_mut().for_each(|(_, v)| strip_value(v, removed)),
            Value::Tagged(tagged) => strip_value(&mut tagged.value, removed),
            _ => {}
        }
    }
    for (key, value) in map.iter_mut() {
        let mut removed = Vec::new();
        strip_value(value, &mut removed);
        let Some(first) = removed.first() else {
            continue;
        };
        let key = key.as_str().unwrap_or("?");
        let line = key_line(fm.yaml, &[key]).map_or(fm.yaml_line, |l| fm.yaml_line + l - 1);
        warnings.push(Diagnostic::warning(
            path,
            line,
            1,
            format!(
                "field `{key}`: removed {} character{} XML 1.0 does not allow ({}), which would make feed readers reject the whole feed",
                removed.len(),
                if removed.len() == 1 { "" } else { "s" },
                xml_chars::describe(*first)
            ),
        ));
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        format!("{}...", s.chars().take(max).collect::<String>())
    }
}

/// Checks the front matter against `limits` before serde_yaml builds values from it.
fn guard_yaml(path: &Path, fm: &FrontMatter<'_>, limits: &Limits) -> Result<(), PostError> {
    if fm.yaml.len() > limits.max_front_matter_bytes {
        return Err(PostError::new(
            path,
            fm.yaml_line.saturating_sub(1).max(1),
            1,
            PostErrorKind::FrontMatterTooLarge {
                size: fm.yaml.len(),
                limit: limits.max_front_matter_bytes,
            },
        ));
    }
    yaml_guard::scan(fm.yaml, limits.yaml_scan()).map_err(|f| {
        let kind = match f.kind {
            Exceeded::Depth { limit } => PostErrorKind::TooDeep { limit },
            Exceeded::Aliases { limit } => PostErrorKind::TooManyAliases { limit },
        };
        PostError::new(path, fm.yaml_line + f.line - 1, f.column, kind)
    })?;
    if yaml_guard::expands_beyond(fm.yaml, limits.max_yaml_expanded_bytes) {
        let first_alias = fm
            .yaml
            .lines()
            .position(|l| l.contains('*'))
            .map_or(fm.yaml_line, |i| fm.yaml_line + i);
        return Err(PostError::new(
            path,
            first_alias,
            1,
            PostErrorKind::AliasExpansion {
                limit: limits.max_yaml_expanded_bytes,
            },
        ));
    }
    Ok(())
}

fn parse_yaml(path: &Path, fm: &FrontMatter<'_>, limits: &Limits) -> Result<Mapping, PostError> {
    guard_yaml(path, fm, limits)?;
    let value: Value = serde_yaml::from_str(fm.yaml).map_err(|err| {
        // An error found at the end of input (an unclosed bracket) points at the last line
        // of the front matter rather than at the closing `---`.
        let last = fm.yaml.lines().count().max(1);
        let (line, column) = err
            .location()
            .map(|l| match l.line() {
                n if n > last => (
                    fm.yaml_line + last - 1,
                    fm.yaml.lines().last().map_or(1, |s| s.chars().count() + 1),
                ),
                n => (fm.yaml_line + n - 1, l.column()),
            })
            .unwrap_or((fm.yaml_line, 1));
        PostError::new(
            path,
            line,
            column,
            PostErrorKind::Yaml(strip_location(&err.to_string())),
        )
    })?;
    match value {
        Value::Mapping(map) => Ok(map),
        Value::Null => Ok(Mapping::new()),
        other => Err(PostError::new(
            path,
            fm.yaml_line,
            1,
            PostErrorKind::NotMapping {
                found: describe(&other),
            },
        )),
    }
}

fn date_value(value: &Value, config: &Config) -> Result<DateTime<FixedOffset>, Mismatch> {
    let raw = fields::scalar_text(value).ok_or_else(|| ("a date".to_owned(), describe(value)))?;
    parse_date(&raw, config.site.timezone).map_err(|why| {
        (
            "a date such as `2024-01-15` or `2024-01-15 18:30:00 +0000`".to_owned(),
            format!("`{raw}` ({why})"),
        )
    })
}

fn dedup_case_insensitive(list: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    list.retain(|t| seen.insert(t.to_lowercase()));
}

fn extra_fields(map: &Mapping) -> BTreeMap<String, serde_json::Value> {
    map.iter()
        .filter_map(|(k, v)| {
            let key = k.as_str()?;
            if KNOWN_KEYS.contains(&key) {
                return None;
            }
            Some((key.to_owned(), serde_json::to_value(v).ok()?))
        })
        .collect()
}

/// Reads fields out of one post's front matter, locating errors on the key's line.
struct Reader<'a> {
    path: &'a Path,
    fm: &'a FrontMatter<'a>,
    map: &'a Mapping,
}

impl Reader<'_> {
    /// Keeps the first `max` items of `list` (read from one of `keys`), with a warning on the
    /// key's line naming the limit and what was found.
    fn cap_list(
        &self,
        list: &mut Vec<String>,
        keys: [&str; 2],
        max: usize,
        warnings: &mut Vec<Diagnostic>,
    ) {
        if list.len() <= max {
            return;
        }
        let key = keys
            .into_iter()
            .find(|k| self.map.contains_key(*k))
            .unwrap_or(keys[0]);
        let line =
            key_line(self.fm.yaml, &[key]).map_or(self.fm.yaml_line, |l| self.fm.yaml_line + l - 1);
        warnings.push(Diagnostic::warning(
            self.path,
            line,
            1,
            format!(
                "field `{key}`: {} entries, over the limit of {max}: only the first {max} are used",
                list.len()
            ),
        ));
        list.truncate(max);
    }

    /// A warning for each tag whose feed folder name had to be shortened (see
    /// [`super::tags::tag_slug`]), when there are feeds per tag: the feeds work, under a name
    /// the organiser did not choose.
    fn warn_long_tags(&self, tags: &[String], tag_feeds: bool, warnings: &mut Vec<Diagnostic>) {
        for tag in tags.iter().filter(|_| tag_feeds) {
            let Some((bytes, folder)) = super::tags::shortened(tag) else {
                continue;
            };
            let key = ["tags", "tag"]
                .into_iter()
                .find(|k| self.map.contains_key(*k))
                .unwrap_or("tags");
            let line = key_line(self.fm.yaml, &[key])
                .map_or(self.fm.yaml_line, |l| self.fm.yaml_line + l - 1);
            warnings.push(Diagnostic::warning(
                self.path,
                line,
                1,
                format!(
                    "field `{key}`: tag `{}` makes a feed folder name of {bytes} bytes, over the limit of {}: its feeds go in `tags/{folder}/`",
                    truncate(tag, 40),
                    crate::util::names::MAX_NAME_BYTES
                ),
            ));
        }
    }

    fn error(&self, key: &str, (expected, found): Mismatch) -> PostError {
        let line =
            key_line(self.fm.yaml, &[key]).map_or(self.fm.yaml_line, |l| self.fm.yaml_line + l - 1);
        PostError::new(
            self.path,
            line,
            1,
            PostErrorKind::Field {
                field: key.to_owned(),
                expected,
                found,
            },
        )
    }

    fn optional<T>(
        &self,
        key: &str,
        read: impl Fn(&Value) -> Result<T, Mismatch>,
    ) -> Result<Option<T>, PostError> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => read(value).map(Some).map_err(|m| self.error(key, m)),
        }
    }
}
