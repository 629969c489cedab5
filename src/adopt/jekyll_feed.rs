//! Taking over jekyll-feed's URLs: `crier init --replace-jekyll-feed`.
//!
//! jekyll-feed writes `/feed.xml` (and `/feed/by_tag/<Tag>.xml`) during `jekyll build`, but
//! only where the site's *source* has no file at that path: it skips a path that a page or a
//! static file already has. So crier writes its feeds into the source folder, beside
//! `_config.yml`, with jekyll-feed's entry ids and paths (`feeds.ids` and `feeds.paths:
//! jekyll-feed`); Jekyll copies them into `_site/` like any other file and jekyll-feed leaves
//! them alone. Writing into `_site/` does not work: every build empties it, and GitHub Pages
//! never deploys it (`crier check` says so, see [`super::output_check`]).

use std::path::{Path, PathBuf};

use serde_yaml::{Mapping, Value};

use super::jekyll::{quote, JekyllConfig};
use crate::feeds::{ATOM_FILE, JEKYLL_FEED_FILE, JSON_FILE, RSS_FILE};

/// The files crier writes at the top of its output folder. In a source folder that holds one
/// crier did not write, a build would replace it.
pub const TOP_FILES: [&str; 4] = [JEKYLL_FEED_FILE, RSS_FILE, ATOM_FILE, JSON_FILE];

/// How crier's feeds sit beside jekyll-feed's, in the `crier.yaml` that `crier init` writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// The site does not use jekyll-feed: crier's feeds go to `feeds/`.
    Own,
    /// jekyll-feed stays in charge of its URLs; crier's feeds go to `feeds/` beside them.
    /// The text says where jekyll-feed was found.
    Beside(String),
    /// crier takes over jekyll-feed's URLs.
    TakeOver,
}

/// Where the site declares jekyll-feed: `_config.yml`'s `plugins:` (or `gems:`), or a
/// `gem "jekyll-feed"` line of its Gemfile. `None` when it does not use it.
pub fn declared(root: &Path, jc: &JekyllConfig) -> Option<String> {
    if jc.uses_jekyll_feed() {
        return Some("`plugins:` in _config.yml".into());
    }
    gemfile_line(&root.join("Gemfile")).map(|line| format!("line {line} of the Gemfile"))
}

/// The line of a Gemfile that declares the jekyll-feed gem (comments ignored).
fn gemfile_line(path: &Path) -> Option<usize> {
    let text = std::fs::read_to_string(path).ok()?;
    let declares = |line: &str| {
        let code = line.split('#').next().unwrap_or("").trim();
        code.strip_prefix("gem").is_some_and(|rest| {
            let name = rest.trim_start_matches(['(', ' ', '\t']);
            name.starts_with("\"jekyll-feed\"") || name.starts_with("'jekyll-feed'")
        })
    };
    text.lines().position(declares).map(|index| index + 1)
}

/// The files at crier's top-level names in `dir` (the site's source folder) that crier did
/// not write, which a build would replace.
pub fn foreign_files(dir: &Path) -> Vec<PathBuf> {
    TOP_FILES
        .iter()
        .map(|name| dir.join(name))
        .filter(|path| path.exists() && !written_by_crier(path))
        .collect()
}

/// Whether `path` is a feed crier wrote: its Atom or RSS generator is crier, or it is a JSON
/// Feed 1.1 without front matter (crier's JSON Feed names no generator).
fn written_by_crier(path: &Path) -> bool {
    let Ok(bytes) = std::fs::read(path) else {
        return false;
    };
    let text = String::from_utf8_lossy(&bytes);
    if path.extension().is_some_and(|e| e == "json") {
        return text.trim_start().starts_with('{')
            && text.contains("\"https://jsonfeed.org/version/1.1\"");
    }
    text.contains(">crier</generator>") || text.contains("<generator>crier ")
}

/// A key of `feeds:` that the takeover sets: its name, its value as YAML, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    /// The key below `feeds:`.
    pub name: &'static str,
    /// Its value, as YAML text.
    pub value: String,
    /// The comment written after it.
    pub comment: &'static str,
}

impl Key {
    fn line(&self, pad: &str) -> String {
        format!("{pad}{}: {}   # {}\n", self.name, self.value, self.comment)
    }
}

/// The `feeds:` keys that take over jekyll-feed's URLs, for a site whose Jekyll source folder
/// is `source` (relative to the site folder; empty for the site folder itself) and is
/// published at `home_url` (ending in `/`).
pub fn takeover_keys(source: &Path, home_url: &str) -> Vec<Key> {
    let dir = if source.as_os_str().is_empty() {
        ".".to_owned()
    } else {
        source.to_string_lossy().into_owned()
    };
    vec![
        Key {
            name: "output_dir",
            value: quote(&dir),
            comment:
                "Jekyll's source folder, beside _config.yml: Jekyll copies the feeds into _site/",
        },
        Key {
            name: "url",
            value: quote(home_url),
            comment: "where that folder is published: the site's home",
        },
        Key {
            name: "ids",
            value: "jekyll-feed".into(),
            comment: "entry ids as jekyll-feed writes them: readers see no post twice",
        },
        Key {
            name: "paths",
            value: "jekyll-feed".into(),
            comment: "also feed.xml and feed/by_tag/<Tag>.xml, jekyll-feed's URLs",
        },
    ]
}

/// The comment above the takeover's keys in `crier.yaml`.
pub const TAKEOVER_COMMENT: &str = concat!(
    "  # crier takes over jekyll-feed's URLs (`crier init --replace-jekyll-feed`): `crier build`\n",
    "  # writes feed.xml, feed/by_tag/<Tag>.xml, rss.xml, atom.xml, feed.json and tags/<tag>/ into\n",
    "  # Jekyll's source folder; `jekyll build` copies them into _site/, and jekyll-feed leaves them\n",
    "  # alone (it never replaces a file the source has). Run `crier build` before `jekyll build`.\n",
    "  # Never point output_dir into _site/: every Jekyll build empties it.\n",
);

/// What the organiser should know once crier takes over jekyll-feed's URLs in the site `jc`
/// describes, whose source folder is `source_dir`.
pub fn takeover_notes(jc: &JekyllConfig, source_dir: &Path) -> Vec<String> {
    let mut notes = vec![
        "crier now writes jekyll-feed's feed.xml and feed/by_tag/ beside _config.yml: run `crier build`, then `jekyll build`, and _site/feed.xml is crier's. Keep jekyll-feed in the plugins (layouts use its {% feed_meta %}); it leaves crier's files alone".to_owned(),
        "if GitHub Pages builds the site from the repository, commit crier's feed files (feed.xml, feed/, rss.xml, atom.xml, feed.json, tags/), or let the Pages workflow build them (`crier init --github-pages`)".to_owned(),
    ];
    if let Some(path) = jc.feed.path.as_deref() {
        let path = path.trim_start_matches('/');
        if !TOP_FILES.contains(&path) {
            notes.push(format!("_config.yml sets jekyll-feed's `feed.path` to {path}: crier does not write there, so jekyll-feed keeps publishing it with its own ids; remove `feed.path` to have crier take over feed.xml"));
        }
    }
    let unpublished: Vec<&str> = [JEKYLL_FEED_FILE, ATOM_FILE]
        .into_iter()
        .filter(|name| {
            let rel = jc.rules.source.join(name);
            jc.rules.publishes(&rel, false).is_none()
        })
        .collect();
    if !unpublished.is_empty() {
        notes.push(format!(
            "Jekyll would not publish {}: its `exclude:` (or `include:`) in _config.yml leaves them out; remove the pattern that matches",
            unpublished.join(" and ")
        ));
    }
    if source_dir.join(crate::config::ARCHIVE_DIR).exists() {
        notes.push(format!("the site already has {}/: crier's archive of sent digests is written there too (archive/index.html); check that no page of the site has that URL", crate::config::ARCHIVE_DIR));
    }
    notes
}

/// The comment `crier init` writes above `feeds.output_dir: feeds`; the takeover removes it.
const FEEDS_FOLDER_COMMENT: [&str; 3] = [
    "# crier writes its feeds into feeds/ in the site folder, and Jekyll's build copies them to",
    "# _site/feeds/ like any other file: run `crier build` before `jekyll build` (and commit",
    "# feeds/ if GitHub Pages builds the site). Feeds are public, so publishing them is fine.",
];

/// The start of the comment on jekyll-feed's URL that stays with jekyll-feed, and its end.
const BESIDE_COMMENT: &str = "# jekyll-feed keeps writing ";
const BESIDE_COMMENT_END: &str = "# at the url below.";

/// Whether `line` is a comment `crier init` wrote about feeds in `feeds/`, which a takeover
/// makes wrong.
fn is_feeds_folder_comment(line: &str) -> bool {
    let line = line.trim();
    FEEDS_FOLDER_COMMENT.contains(&line)
        || line.starts_with(BESIDE_COMMENT)
        || line == BESIDE_COMMENT_END
}

/// The `feeds:` section of the `crier.yaml` that `crier init` writes for the site `jc`
/// describes, published at `home` (without a trailing `/`), and notes for the organiser.
pub fn feeds_section(jc: &JekyllConfig, plan: &Plan, home: &str) -> (String, Vec<String>) {
    let mut notes = Vec::new();
    let mut y = String::from("feeds:\n");
    let source = &jc.rules.source;
    let jekyll_path = jc.feed.path.as_deref().unwrap_or(JEKYLL_FEED_FILE);
    let jekyll_path = jekyll_path.trim_start_matches('/');
    match plan {
        Plan::TakeOver => {
            y.push_str(TAKEOVER_COMMENT);
            for key in takeover_keys(source, &format!("{home}/")) {
                y.push_str(&key.line("  "));
            }
        }
        Plan::Own | Plan::Beside(_) => {
            for comment in FEEDS_FOLDER_COMMENT {
                y.push_str(&format!("  {comment}\n"));
            }
            if let Plan::Beside(found) = plan {
                y.push_str(&format!("  {BESIDE_COMMENT}{home}/{jekyll_path}; crier's feeds are rss.xml, atom.xml and feed.json\n"));
                y.push_str(&format!("  {BESIDE_COMMENT_END}\n"));
                notes.push(format!(
                    "jekyll-feed ({found}) still publishes {home}/{jekyll_path}: to have crier take over that URL and feed/by_tag/ with the same entry ids (readers see no post twice), run `crier init --replace-jekyll-feed`; or keep it and announce {home}/feeds/atom.xml"
                ));
            }
            let feeds = source.join("feeds");
            y.push_str(&format!("  output_dir: {}\n", feeds.to_string_lossy()));
            y.push_str(&format!("  url: {home}/feeds/\n"));
        }
    }
    if *plan != Plan::Own {
        let limit = jc.feed.posts_limit.unwrap_or(10);
        let (tags, asks) = (jc.feed.tags, if jc.feed.tags { "asks" } else { "is off" });
        y.push_str(&format!("  limit: {limit}   # jekyll-feed's posts_limit\n"));
        y.push_str(&format!(
            "  tags: {tags}   # per-tag feeds in tags/<tag>/, as jekyll-feed's feed.tags {asks}\n"
        ));
    }
    (y, notes)
}

/// Sets `keys` in the top-level `feeds:` mapping of `crier.yaml` text by a minimal edit that
/// keeps every other byte: a key's line is replaced, a missing key is added below `feeds:`,
/// and a missing `feeds:` is added at the end. `None` when `feeds:` has a shape it does not
/// edit safely (a flow mapping, a multi-line value); the result is checked by parsing it.
pub fn edit_feeds(text: &str, keys: &[Key]) -> Option<String> {
    let before: Value = if text.trim().is_empty() {
        Value::Mapping(Mapping::new())
    } else {
        serde_yaml::from_str(text).ok()?
    };
    let edited = edit_feeds_lines(text, keys)?;
    let after: Value = serde_yaml::from_str(&edited).ok()?;
    let mut want = before;
    let feeds = want
        .as_mapping_mut()?
        .entry("feeds".into())
        .or_insert(Value::Null);
    if feeds.is_null() {
        *feeds = Value::Mapping(Mapping::new());
    }
    let feeds = feeds.as_mapping_mut()?;
    for key in keys {
        feeds.insert(key.name.into(), serde_yaml::from_str(&key.value).ok()?);
    }
    (after == want).then_some(edited)
}

fn edit_feeds_lines(text: &str, keys: &[Key]) -> Option<String> {
    let mut lines: Vec<String> = text.split_inclusive('\n').map(str::to_owned).collect();
    if let Some(last) = lines.last_mut().filter(|l| !l.ends_with('\n')) {
        last.push('\n');
    }
    let Some(at) = lines.iter().position(|l| key_of(l) == Some("feeds")) else {
        let mut out = lines.concat();
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str("feeds:\n");
        out.push_str(TAKEOVER_COMMENT);
        keys.iter().for_each(|k| out.push_str(&k.line("  ")));
        return Some(out);
    };
    let value = lines[at].split_once(':')?.1;
    if !value.split(" #").next().unwrap_or("").trim().is_empty() {
        return None;
    }
    let is_content = |l: &String| {
        let c = l.trim_start();
        !c.trim().is_empty() && !c.starts_with('#')
    };
    let indent_of = |l: &String| l.len() - l.trim_start().len();
    let end = (at + 1..lines.len())
        .find(|&i| is_content(&lines[i]) && indent_of(&lines[i]) == 0)
        .unwrap_or(lines.len());
    let indent = (at + 1..end)
        .find(|&i| is_content(&lines[i]))
        .map_or(2, |i| indent_of(&lines[i]));
    let pad = " ".repeat(indent);
    let is_key = |line: &String| {
        line.strip_prefix(&pad)
            .and_then(key_of)
            .is_some_and(|k| keys.iter().any(|key| key.name == k))
    };
    // The keys go together, in order, where the first of them was (or first in the block),
    // under the takeover's comment; crier init's comments about `feeds/` would now be wrong.
    let first_key = (at + 1..end).find(|&i| is_key(&lines[i]));
    let first_comment = TAKEOVER_COMMENT.lines().next().unwrap_or_default().trim();
    let mut block = Vec::new();
    if !lines[at + 1..end].iter().any(|l| l.trim() == first_comment) {
        block.extend(
            TAKEOVER_COMMENT
                .lines()
                .map(|l| format!("{pad}{}\n", l.trim())),
        );
    }
    block.extend(keys.iter().map(|k| k.line(&pad)));
    let insert_at = first_key.unwrap_or(at + 1);
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        if i == insert_at {
            block.iter().for_each(|l| out.push_str(l));
        }
        let in_block = i > at && i < end;
        if !(in_block && (is_key(line) || is_feeds_folder_comment(line))) {
            out.push_str(line);
        }
    }
    if insert_at == lines.len() {
        block.iter().for_each(|l| out.push_str(l));
    }
    Some(out)
}

/// The key of a `key: value` line that starts at its first byte, if it is one.
fn key_of(line: &str) -> Option<&str> {
    let (key, _) = line.split_once(':')?;
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    plain.then_some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Vec<Key> {
        takeover_keys(Path::new(""), "https://example.org/blog/")
    }

    fn feeds_of(text: &str) -> Value {
        let value: Value = serde_yaml::from_str(text).unwrap();
        value["feeds"].clone()
    }

    #[test]
    fn feeds_keys_are_set_by_a_minimal_edit() {
        let text = "site:\n  title: T   # mine\n\nfeeds:\n  # where\n  output_dir: feeds   # old\n  url: https://example.org/blog/feeds/\n  limit: 12\n\nnewsletter:\n  x: 1\n";
        let out = edit_feeds(text, &keys()).unwrap();
        assert!(
            out.starts_with("site:\n  title: T   # mine\n\nfeeds:\n"),
            "{out}"
        );
        assert!(
            out.contains("  # where\n  # crier takes over jekyll-feed's URLs"),
            "{out}"
        );
        let lines: Vec<&str> = out.lines().collect();
        let at = lines
            .iter()
            .position(|l| l.starts_with("  output_dir:"))
            .unwrap();
        let names: Vec<&str> = lines[at..at + 5]
            .iter()
            .map(|l| l.trim().split(':').next().unwrap())
            .collect();
        assert_eq!(
            names,
            ["output_dir", "url", "ids", "paths", "limit"],
            "{out}"
        );
        assert!(
            !out.contains("# old"),
            "the replaced line goes with its comment"
        );
        assert!(
            out.ends_with("  limit: 12\n\nnewsletter:\n  x: 1\n"),
            "{out}"
        );
        let feeds = feeds_of(&out);
        assert_eq!(feeds["output_dir"], ".");
        assert_eq!(feeds["url"], "https://example.org/blog/");
        assert_eq!(feeds["ids"], "jekyll-feed");
        assert_eq!(feeds["paths"], "jekyll-feed");
        assert_eq!(feeds["limit"], 12);
        assert_eq!(
            edit_feeds(&out, &keys()).unwrap(),
            out,
            "a second run changes nothing"
        );
    }

    #[test]
    fn a_missing_feeds_section_is_added_and_odd_shapes_are_refused() {
        let out = edit_feeds("site:\n  title: T", &keys()).unwrap();
        assert!(out.starts_with("site:\n  title: T\n\nfeeds:\n  # crier takes over"));
        assert_eq!(feeds_of(&out)["paths"], "jekyll-feed");
        let indented = edit_feeds("feeds:\n    limit: 3\n", &keys()).unwrap();
        assert!(
            indented.contains("\n    ids: jekyll-feed   #"),
            "{indented}"
        );
        assert_eq!(edit_feeds("feeds: {limit: 3}\n", &keys()), None);
        assert_eq!(
            edit_feeds("feeds:\n  url: >\n    https://x\n", &keys()),
            None
        );
    }

    #[test]
    fn jekyll_feed_is_found_in_plugins_or_the_gemfile() {
        let dir = tempfile::tempdir().unwrap();
        let plain = JekyllConfig::parse("title: x\n").unwrap();
        assert_eq!(declared(dir.path(), &plain), None);
        std::fs::write(
            dir.path().join("Gemfile"),
            "source \"https://rubygems.org\"\n# gem \"jekyll-feed\"\ngroup :jekyll_plugins do\n  gem 'jekyll-feed', '~> 0.12'\nend\n",
        )
        .unwrap();
        assert_eq!(
            declared(dir.path(), &plain).as_deref(),
            Some("line 4 of the Gemfile")
        );
        let plugins = JekyllConfig::parse("plugins: [jekyll-feed]\n").unwrap();
        assert!(declared(dir.path(), &plugins).unwrap().contains("plugins"));
    }

    #[test]
    fn only_feeds_crier_wrote_are_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
        write(
            "feed.xml",
            "<feed><generator version=\"0.1.0\">crier</generator></feed>",
        );
        write(
            "rss.xml",
            "<rss><channel><generator>crier 0.1.0</generator></channel></rss>",
        );
        write(
            "atom.xml",
            "---\nlayout: null\n---\n<feed>{{ site.title }}</feed>\n",
        );
        write(
            "feed.json",
            "{\"version\": \"https://jsonfeed.org/version/1.1\"}",
        );
        assert_eq!(foreign_files(dir.path()), [dir.path().join("atom.xml")]);
    }
}
