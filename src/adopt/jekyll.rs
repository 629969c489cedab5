//! Jekyll's `_config.yml` (the keys crier can reuse) and Jekyll's rule for which files of the
//! site folder its build copies into `_site/`, i.e. publishes.
//!
//! The rule is Jekyll 4.3's `EntryFilter`, applied to every component of a path: an entry is
//! skipped when it matches `exclude:` (plus Jekyll 4's default excludes) and not `include:`, or
//! when its name starts with `_`, `.`, `#` or `~` or ends with `~` and it is not in `include:`.
//! `exclude:` patterns match the path from the site folder, as a glob (`File.fnmatch` without
//! flags, so `*` also matches `/`) or as a plain string prefix; `include:` patterns match the
//! name. The destination folder (`_site`) is never copied, but everything in it is deployed.

use std::path::{Component, Path, PathBuf};

use serde_yaml::Value;

/// The names Jekyll reads its configuration from, in its order of preference.
pub const CONFIG_FILES: [&str; 2] = ["_config.yml", "_config.yaml"];

/// Excluded by Jekyll 4 even when `exclude:` is set (Jekyll 3 only without `exclude:`).
pub const DEFAULT_EXCLUDES: [&str; 10] = [
    ".sass-cache",
    ".jekyll-cache",
    "gemfiles",
    "Gemfile",
    "Gemfile.lock",
    "node_modules",
    "vendor/bundle/",
    "vendor/cache/",
    "vendor/gems/",
    "vendor/ruby/",
];

/// The Jekyll config file of the site folder `root`, if it is a Jekyll site.
pub fn config_file(root: &Path) -> Option<PathBuf> {
    CONFIG_FILES
        .iter()
        .map(|name| root.join(name))
        .find(|path| path.is_file())
}

/// The keys of `_config.yml` crier reuses. Every value is as written; missing keys are `None`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JekyllConfig {
    /// `title`.
    pub title: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `url`.
    pub url: Option<String>,
    /// `baseurl`.
    pub baseurl: Option<String>,
    /// `author`: a name, or the `name` (and `email`) of a mapping.
    pub author: Option<String>,
    /// `author.email`, or the site-wide `email`.
    pub email: Option<String>,
    /// `timezone` (IANA name).
    pub timezone: Option<String>,
    /// `lang` (or `locale`, with `_` turned into `-`).
    pub lang: Option<String>,
    /// `permalink` (a style name or a pattern); Jekyll's default is `date`.
    pub permalink: Option<String>,
    /// Whether `defaults:` sets a permalink for some documents.
    pub defaults_set_permalink: bool,
    /// `excerpt_separator`.
    pub excerpt_separator: Option<String>,
    /// `future`.
    pub future: bool,
    /// `plugins` (and the older `gems`).
    pub plugins: Vec<String>,
    /// jekyll-feed's `feed:` settings.
    pub feed: FeedPlugin,
    /// Which files the build publishes.
    pub rules: PublishRules,
}

/// jekyll-feed's settings (`feed:` in `_config.yml`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedPlugin {
    /// `feed.path`; jekyll-feed's default is `feed.xml`.
    pub path: Option<String>,
    /// `feed.posts_limit`; jekyll-feed's default is 10.
    pub posts_limit: Option<u64>,
    /// Whether `feed.tags` asks for per-tag feeds.
    pub tags: bool,
}

impl JekyllConfig {
    /// Whether the site uses the jekyll-feed plugin.
    pub fn uses_jekyll_feed(&self) -> bool {
        self.plugins.iter().any(|p| p == "jekyll-feed")
    }

    /// Reads the keys crier uses from `_config.yml` text. Other keys are ignored.
    pub fn parse(text: &str) -> Result<Self, serde_yaml::Error> {
        let value: Value = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_yaml::from_str(text)?
        };
        let get = |key: &str| value.get(key);
        let string = |key: &str| get(key).and_then(scalar).filter(|s| !s.is_empty());
        let (author, author_email) = match get("author") {
            Some(Value::Mapping(m)) => (
                m.get("name").and_then(scalar),
                m.get("email").and_then(scalar),
            ),
            Some(other) => (scalar(other), None),
            None => (None, None),
        };
        let mut plugins = Vec::new();
        for key in ["plugins", "gems"] {
            if let Some(Value::Sequence(list)) = get(key) {
                plugins.extend(list.iter().filter_map(scalar));
            }
        }
        let feed = get("feed").map_or_else(FeedPlugin::default, |feed| FeedPlugin {
            path: feed.get("path").and_then(scalar),
            posts_limit: feed.get("posts_limit").and_then(Value::as_u64),
            tags: match feed.get("tags") {
                Some(Value::Bool(b)) => *b,
                Some(Value::Mapping(_)) => true,
                _ => false,
            },
        });
        let defaults_set_permalink = matches!(get("defaults"), Some(Value::Sequence(list))
            if list.iter().any(|d| d.get("values").and_then(|v| v.get("permalink")).is_some()));
        Ok(JekyllConfig {
            title: string("title"),
            description: string("description"),
            url: string("url"),
            baseurl: get("baseurl").and_then(scalar),
            author: author.filter(|a| !a.is_empty()),
            email: author_email.or_else(|| string("email")),
            timezone: string("timezone"),
            lang: string("lang").or_else(|| string("locale").map(|l| l.replace('_', "-"))),
            permalink: string("permalink"),
            defaults_set_permalink,
            excerpt_separator: get("excerpt_separator").and_then(scalar),
            future: get("future").and_then(Value::as_bool).unwrap_or(false),
            plugins,
            feed,
            rules: PublishRules::from_config(&value),
        })
    }
}

/// A YAML scalar as text (numbers and booleans too, as Jekyll's Liquid would print them).
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Sequence(list)) => list.iter().filter_map(scalar).collect(),
        Some(other) => scalar(other).into_iter().collect(),
        None => Vec::new(),
    }
}

/// Which files of the site folder Jekyll's build publishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishRules {
    /// `source`, relative to the folder holding `_config.yml` (empty: that folder).
    pub source: PathBuf,
    /// `destination`, relative to the same folder (`_site` by default).
    pub destination: PathBuf,
    /// `exclude:` plus the default excludes.
    pub exclude: Vec<String>,
    /// `include:` (Jekyll's default is `.htaccess`).
    pub include: Vec<String>,
    /// `keep_files:`: what a build leaves in the destination (Jekyll's default: `.git`, `.svn`).
    pub keep_files: Vec<String>,
    /// `cache_dir`, relative to the same folder as `source` (`.jekyll-cache` by default).
    pub cache_dir: PathBuf,
}

impl Default for PublishRules {
    fn default() -> Self {
        PublishRules::from_config(&Value::Null)
    }
}

/// How a file reaches the published site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Published {
    /// The build copies (or renders) it into the destination.
    Copied,
    /// It is inside the destination folder, which is what gets deployed.
    InDestination,
}

impl PublishRules {
    /// The rules of a parsed `_config.yml`.
    pub fn from_config(config: &Value) -> Self {
        let relative = |key: &str, default: &str| {
            let raw = config.get(key).and_then(scalar);
            let raw = raw.as_deref().unwrap_or(default);
            normalise(Path::new(raw))
        };
        let mut exclude = strings(config.get("exclude"));
        for default in DEFAULT_EXCLUDES {
            if !exclude.iter().any(|e| e == default) {
                exclude.push(default.to_owned());
            }
        }
        let include = match config.get("include") {
            None => vec![".htaccess".to_owned()],
            some => strings(some),
        };
        let keep_files = match config.get("keep_files") {
            None => vec![".git".to_owned(), ".svn".to_owned()],
            some => strings(some),
        };
        let source = relative("source", ".");
        PublishRules {
            cache_dir: source.join(relative("cache_dir", ".jekyll-cache")),
            source,
            destination: relative("destination", "_site"),
            exclude,
            include,
            keep_files,
        }
    }

    /// The folder Jekyll empties that holds `rel` (a path relative to the site folder,
    /// without `..`), if any: the destination, which every build empties but for
    /// `keep_files:`, or the cache folders `jekyll clean` deletes (`cache_dir` and
    /// `.sass-cache` in the source).
    pub fn wiped_by(&self, rel: &Path) -> Option<PathBuf> {
        let rel = normalise(rel);
        if !self.destination.as_os_str().is_empty() {
            if let Ok(inside) = rel.strip_prefix(&self.destination) {
                // Jekyll's cleaner keeps a path whose text, from the destination, starts with
                // one of `keep_files` (a plain string prefix, as its regex does).
                let inside = inside.to_string_lossy();
                let kept = !inside.is_empty()
                    && self.keep_files.iter().any(|k| {
                        let k = k.trim_start_matches("./").trim_end_matches('/');
                        !k.is_empty() && inside.starts_with(k)
                    });
                return (!kept).then(|| self.destination.clone());
            }
        }
        let sass = self.source.join(".sass-cache");
        [self.cache_dir.clone(), sass]
            .into_iter()
            .find(|dir| !dir.as_os_str().is_empty() && rel.starts_with(dir))
    }

    /// Reads the rules from the site folder's `_config.yml`; a missing or unreadable file gives
    /// Jekyll's defaults (a build would fail on it anyway).
    pub fn of_site(root: &Path) -> Self {
        config_file(root)
            .and_then(|path| std::fs::read_to_string(path).ok())
            // Within the limits of front matter, or not read at all (Jekyll would fail too).
            .filter(|text| {
                let limits = crate::config::Limits::default().yaml_document();
                crate::util::yaml_guard::check_document(text, &limits).is_ok()
            })
            .and_then(|text| serde_yaml::from_str::<Value>(&text).ok())
            .map_or_else(Self::default, |value| Self::from_config(&value))
    }

    /// Whether Jekyll publishes `rel` (a path relative to the site folder, without `..`).
    /// `is_dir` says whether `rel` itself is a folder (it matters for patterns ending in `/`).
    pub fn publishes(&self, rel: &Path, is_dir: bool) -> Option<Published> {
        let rel = normalise(rel);
        if !self.destination.as_os_str().is_empty() && rel.starts_with(&self.destination) {
            return Some(Published::InDestination);
        }
        let in_source = rel.strip_prefix(&self.source).ok()?;
        let names: Vec<String> = in_source
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        for (i, name) in names.iter().enumerate() {
            let path = names[..=i].join("/");
            let dir = is_dir || i + 1 < names.len();
            let included = glob_include(&self.include, name, dir);
            let exclude: Vec<String> = self
                .exclude
                .iter()
                .filter(|e| !self.include.contains(e))
                .cloned()
                .collect();
            if glob_include(&exclude, &path, dir) && !included {
                return None;
            }
            if included {
                continue;
            }
            if name.starts_with(['.', '_', '#', '~']) || name.ends_with('~') {
                return None;
            }
        }
        Some(Published::Copied)
    }
}

/// Jekyll's `glob_include?`: a pattern matches as a glob, as a string prefix, or as the
/// folder's name followed by `/`.
fn glob_include(patterns: &[String], entry: &str, is_dir: bool) -> bool {
    patterns.iter().any(|pattern| {
        let pattern = pattern.strip_prefix("./").unwrap_or(pattern);
        fnmatch(pattern, entry)
            || entry.starts_with(pattern)
            || (is_dir && pattern.strip_suffix('/') == Some(entry))
    })
}

/// Ruby's `File.fnmatch` without flags: `*` matches any run of characters (`/` included), `?`
/// one character, `[...]` a set (`!` or `^` negates), `\` escapes.
pub fn fnmatch(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    matches_from(&p, &t)
}

fn matches_from(p: &[char], t: &[char]) -> bool {
    match p.first() {
        None => t.is_empty(),
        Some('*') => (0..=t.len()).any(|skip| matches_from(&p[1..], &t[skip..])),
        Some('?') => !t.is_empty() && matches_from(&p[1..], &t[1..]),
        Some('[') => {
            let Some(close) = p.iter().skip(2).position(|&c| c == ']').map(|i| i + 2) else {
                return t.first() == Some(&'[') && matches_from(&p[1..], &t[1..]);
            };
            let Some(&c) = t.first() else { return false };
            let mut set = &p[1..close];
            let negate = matches!(set.first(), Some('!' | '^'));
            if negate {
                set = &set[1..];
            }
            let mut hit = false;
            let mut i = 0;
            while i < set.len() {
                if i + 2 < set.len() && set[i + 1] == '-' {
                    hit |= (set[i]..=set[i + 2]).contains(&c);
                    i += 3;
                } else {
                    hit |= set[i] == c;
                    i += 1;
                }
            }
            hit != negate && matches_from(&p[close + 1..], &t[1..])
        }
        Some('\\') if p.len() > 1 => t.first() == Some(&p[1]) && matches_from(&p[2..], &t[1..]),
        Some(&c) => t.first() == Some(&c) && matches_from(&p[1..], &t[1..]),
    }
}

/// `rel` without `.` components and trailing slashes.
fn normalise(rel: &Path) -> PathBuf {
    rel.components()
        .filter(|c| matches!(c, Component::Normal(_)))
        .collect()
}

/// Adds `entry` to the top-level `exclude:` list of `_config.yml` text by a minimal edit that
/// keeps every other byte: a line in a block list, an item in a one-line flow list, or a new
/// `exclude:` list (with Jekyll's default excludes, which Jekyll 3 would otherwise drop) at the
/// end. Returns `None` when the list has a shape it does not edit safely; the result is checked
/// by parsing it again.
pub fn add_exclude(text: &str, entry: &str) -> Option<String> {
    let before: Value = if text.trim().is_empty() {
        Value::Mapping(Default::default())
    } else {
        serde_yaml::from_str(text).ok()?
    };
    let edited = edit_exclude(text, entry)?;
    let after: Value = serde_yaml::from_str(&edited).ok()?;
    // The edit changed exactly one thing: `entry` joined the list.
    let mut want = before.clone();
    let list = match want.get_mut("exclude") {
        Some(Value::Sequence(list)) => list,
        Some(Value::Null) | None => {
            let map = want.as_mapping_mut()?;
            map.insert("exclude".into(), Value::Sequence(Vec::new()));
            match map.get_mut("exclude") {
                Some(Value::Sequence(list)) => list,
                _ => return None,
            }
        }
        Some(_) => return None,
    };
    if before.get("exclude").is_none() {
        list.extend(DEFAULT_EXCLUDES.iter().map(|e| Value::from(*e)));
    }
    list.push(Value::from(entry));
    (after == want).then_some(edited)
}

fn edit_exclude(text: &str, entry: &str) -> Option<String> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let Some(at) = lines.iter().position(|l| {
        l.strip_prefix("exclude")
            .is_some_and(|rest| rest.trim_start().starts_with(':'))
    }) else {
        let mut out = text.to_owned();
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str("\n# Files Jekyll must not publish (crier's config is private).\nexclude:\n");
        for e in DEFAULT_EXCLUDES.iter().chain([&entry]) {
            out.push_str(&format!("  - {e}\n"));
        }
        return Some(out);
    };
    let value = lines[at].split_once(':')?.1;
    let value = value.split(" #").next().unwrap_or("").trim();
    let quoted = quote(entry);
    if let Some(inner) = value.strip_prefix('[') {
        let inner = inner.strip_suffix(']')?;
        let replacement = if inner.trim().is_empty() {
            format!("[{quoted}]")
        } else {
            format!("[{}, {quoted}]", inner.trim_end())
        };
        let line = lines[at].replacen(value, &replacement, 1);
        let mut out: String = lines[..at].concat();
        out.push_str(&line);
        out.push_str(&lines[at + 1..].concat());
        return Some(out);
    }
    if !value.is_empty() {
        return None;
    }
    // A block list: insert after its last item, with the items' indentation.
    let mut last = at;
    let mut indent = None;
    for (i, line) in lines.iter().enumerate().skip(at + 1) {
        let content = line.trim_start();
        if content.trim().is_empty() || content.starts_with('#') {
            continue;
        }
        let this = line.len() - content.len();
        if content.starts_with("- ") || content.trim_end() == "-" {
            indent.get_or_insert(this);
            last = i;
        } else if this == 0 {
            break;
        } else if indent.is_none() {
            return None;
        }
    }
    let pad = " ".repeat(indent.unwrap_or(2));
    let mut out: String = lines[..=last].concat();
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&format!("{pad}- {quoted}\n"));
    out.push_str(&lines[last + 1..].concat());
    Some(out)
}

/// A YAML plain scalar when that reads back as the same string, else a quoted one.
pub(crate) fn quote(s: &str) -> String {
    serde_yaml::to_string(s)
        .map(|y| y.trim_end().to_owned())
        .unwrap_or_else(|_| format!("{s:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(yaml: &str) -> PublishRules {
        PublishRules::from_config(&serde_yaml::from_str(yaml).unwrap())
    }

    fn published(r: &PublishRules, rel: &str) -> bool {
        r.publishes(Path::new(rel), false).is_some()
    }

    #[test]
    fn special_names_are_skipped_unless_included() {
        let r = PublishRules::default();
        for private in [
            "_crier/subscribers/members.csv",
            ".env",
            "#notes",
            "~draft",
            "crier.yaml~",
            "a/.hidden/x",
        ] {
            assert!(!published(&r, private), "{private}");
        }
        for public in ["crier.yaml", "subscribers/members.csv", "state/crier.db"] {
            assert!(published(&r, public), "{public}");
        }
        let r = rules("include: [_crier]\n");
        assert!(published(&r, "_crier/state/crier.db"));
        assert!(!published(&r, ".htaccess"), "include replaces the default");
        assert!(published(&PublishRules::default(), ".htaccess"));
    }

    #[test]
    fn exclude_matches_globs_prefixes_and_folders() {
        let r = rules("exclude: [crier.yaml, 'subscribers/', '*.db', state, Gemfile]\n");
        assert!(!published(&r, "crier.yaml"));
        assert!(r.publishes(Path::new("subscribers"), true).is_none());
        assert!(!published(&r, "subscribers/members.csv"));
        assert!(!published(&r, "data/crier.db"), "`*` matches `/` too");
        assert!(!published(&r, "statement.md"), "a plain prefix matches");
        assert!(!published(&r, "node_modules/x.js"), "default excludes stay");
        assert!(published(&r, "crier.db-wal"));
        assert!(published(&r, "index.html"));
        let r = rules("exclude: [crier.yaml]\ninclude: [crier.yaml]\n");
        assert!(published(&r, "crier.yaml"), "include wins");
    }

    #[test]
    fn destination_is_deployed_and_source_limits() {
        let r = PublishRules::default();
        assert_eq!(
            r.publishes(Path::new("_site/preview/a.eml"), false),
            Some(Published::InDestination)
        );
        let r = rules("source: src\ndestination: public\n");
        assert!(!published(&r, "crier.yaml"), "outside source");
        assert!(published(&r, "src/subscribers/a.csv"));
        assert_eq!(
            r.publishes(Path::new("public/x"), false),
            Some(Published::InDestination)
        );
    }

    #[test]
    fn fnmatch_like_ruby() {
        assert!(fnmatch("*.yaml", "crier.yaml"));
        assert!(fnmatch("*.yaml", "a/b.yaml"));
        assert!(fnmatch("c?ier.[xy]aml", "crier.yaml"));
        assert!(!fnmatch("c?ier.[!y]aml", "crier.yaml"));
        assert!(fnmatch("[a-c]x", "bx"));
        assert!(!fnmatch("*.yml", "crier.yaml"));
    }

    #[test]
    fn config_keys_are_read_leniently() {
        let c = JekyllConfig::parse(
            "title: Blog\nauthor:\n  name: Ada\n  email: ada@example.com\n  twitter: x\nurl: https://b.example\nbaseurl: ''\nplugins: [jekyll-feed]\nfeed:\n  path: atom.xml\n  posts_limit: 15\n  tags: {only: [a]}\nlocale: en_GB\n",
        )
        .unwrap();
        assert_eq!(c.author.as_deref(), Some("Ada"));
        assert_eq!(c.email.as_deref(), Some("ada@example.com"));
        assert_eq!(c.lang.as_deref(), Some("en-GB"));
        assert_eq!(c.baseurl.as_deref(), Some(""));
        assert!(c.uses_jekyll_feed());
        assert_eq!(
            c.feed,
            FeedPlugin {
                path: Some("atom.xml".into()),
                posts_limit: Some(15),
                tags: true
            }
        );
        let c = JekyllConfig::parse("author: 42\n").unwrap();
        assert_eq!(c.author.as_deref(), Some("42"));
        assert_eq!(JekyllConfig::parse("").unwrap().title, None);
    }

    #[test]
    fn exclude_is_added_by_a_minimal_edit() {
        let block = "title: x # keep\nexclude:\n  - Gemfile\n  # a comment\n  - README.md\n\nplugins:\n- a\n";
        assert_eq!(
            add_exclude(block, "crier.yaml").unwrap(),
            "title: x # keep\nexclude:\n  - Gemfile\n  # a comment\n  - README.md\n  - crier.yaml\n\nplugins:\n- a\n"
        );
        let zero = "exclude:\n- a\n- b\ntitle: x";
        assert_eq!(
            add_exclude(zero, "crier.yaml").unwrap(),
            "exclude:\n- a\n- b\n- crier.yaml\ntitle: x"
        );
        let flow = "exclude: [a, b]   # note\n";
        assert_eq!(
            add_exclude(flow, "crier.yaml").unwrap(),
            "exclude: [a, b, crier.yaml]   # note\n"
        );
        let none = "title: x";
        let out = add_exclude(none, "crier.yaml").unwrap();
        assert!(out.starts_with("title: x\n"), "{out}");
        let r = rules(&out);
        assert!(!published(&r, "crier.yaml"));
        assert!(!published(&r, "Gemfile"));
        // Shapes it does not edit are left alone.
        assert_eq!(add_exclude("exclude: crier\n", "crier.yaml"), None);
        assert_eq!(add_exclude("exclude: [a,\n  b]\n", "crier.yaml"), None);
    }
}
