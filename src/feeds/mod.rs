//! Feeds: choosing which posts go into which feed, and writing them as RSS 2.0, Atom 1.0 and
//! JSON Feed 1.1.
//!
//! [`plan`] decides the feeds (the site feed plus one per tag) from front matter alone; only
//! the posts that some feed includes are rendered; then each format module turns the same
//! plain [`FeedDoc`] into bytes. Nothing here reads the clock: "now" is passed in and only used
//! for a feed with no posts.

mod atom;
mod entry;
mod json;
mod paths;
mod rss;

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, FixedOffset};
use rayon::prelude::*;

use crate::config::{Author, Config, FeedPaths};
use crate::content::{self, Post};
use crate::diagnostics::Diagnostic;
use crate::urls::encode_illegal;

pub use crate::content::tags::{assign_slugs, tag_slug, SlugCollision};
pub use entry::{mime_type_for, FeedEntry, FeedImage};
pub use paths::is_feed_file;

/// The folder, inside the output folder, that holds one folder of feeds per tag.
pub const TAGS_DIR: &str = "tags";

/// jekyll-feed's site feed, written with `feeds.paths: jekyll-feed`.
pub const JEKYLL_FEED_FILE: &str = "feed.xml";

/// jekyll-feed's folder of tag feeds (`feed/by_tag/<tag>.xml`).
pub const JEKYLL_FEED_TAGS_DIR: &str = "feed/by_tag/";

/// The file names of the three formats inside each feed folder.
pub const RSS_FILE: &str = "rss.xml";
/// Atom file name.
pub const ATOM_FILE: &str = "atom.xml";
/// JSON Feed file name.
pub const JSON_FILE: &str = "feed.json";

/// One feed to write: which posts, under which folder, with what title.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedPlan {
    /// Folder relative to the output dir: empty for the site feed, `tags/<slug>/` for a tag.
    pub dir: String,
    /// The tag's display name, for tag feeds.
    pub tag: Option<String>,
    /// Indexes into the (newest-first) post list, already limited.
    pub posts: Vec<usize>,
}

/// Feed-level facts shared by the three formats.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedMeta {
    /// Feed title.
    pub title: String,
    /// Feed description (never empty: RSS requires one).
    pub description: String,
    /// The site's home page.
    pub home_url: String,
    /// The absolute URL of the folder the feed files are published in (ends with `/`).
    pub folder_url: String,
    /// Language tag.
    pub language: String,
    /// The site author.
    pub author: Author,
    /// The newest entry's update time, or "now" for an empty feed.
    pub updated: DateTime<FixedOffset>,
}

impl FeedMeta {
    /// The published URL of one of the feed's files.
    pub fn self_url(&self, file: &str) -> String {
        format!("{}{file}", self.folder_url)
    }
}

/// A feed ready to be serialised in any format. Entries are borrowed: a post in several
/// feeds is rendered once and shared.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedDoc<'a> {
    /// Feed-level facts.
    pub meta: FeedMeta,
    /// Entries, newest first.
    pub entries: Vec<&'a FeedEntry>,
}

/// A file to write, relative to the output folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// Relative path such as `tags/meetup/rss.xml`.
    pub path: String,
    /// Its complete contents.
    pub bytes: Vec<u8>,
}

/// Everything a build produces.
#[derive(Debug, Default)]
pub struct BuildOutput {
    /// Files to write.
    pub files: Vec<OutputFile>,
    /// Number of feeds (each written in three formats).
    pub feeds: usize,
    /// Posts that could not be rendered (reported, then left out).
    pub diagnostics: Vec<Diagnostic>,
}

/// Writes every file of `built` into `out_dir` atomically; returns how many changed.
/// Tag feeds that are no longer planned are then removed (see [`remove_stale_tag_feeds`]).
pub fn write_all(built: &BuildOutput, out_dir: &std::path::Path) -> std::io::Result<usize> {
    write_changed(built, out_dir, &Default::default())
}

/// [`write_all`], not even comparing the files in `unchanged` (paths relative to `out_dir`)
/// with what is on disk, so long as a file of their length is there: the daemon knows which
/// feeds are the same as at its previous build.
pub fn write_changed(
    built: &BuildOutput,
    out_dir: &std::path::Path,
    unchanged: &std::collections::HashSet<String>,
) -> std::io::Result<usize> {
    // Each write ends with an fsync: overlap them.
    let changed = built
        .files
        .par_iter()
        .filter(|file| {
            let len = file.bytes.len() as u64;
            !(unchanged.contains(&file.path)
                && std::fs::metadata(out_dir.join(&file.path)).is_ok_and(|m| m.len() == len))
        })
        .map(|file| write_one(file, out_dir).map(usize::from))
        .collect::<std::io::Result<Vec<usize>>>()?
        .into_iter()
        .sum();
    let planned: Vec<&str> = built.files.iter().map(|f| f.path.as_str()).collect();
    remove_stale_tag_feeds(out_dir, &planned)?;
    Ok(changed)
}

/// Removes the feeds of tags that no longer have any: under `<out_dir>/tags/<slug>/`, for
/// every slug that no path in `written` (paths relative to `out_dir`) is in, the three files
/// crier writes there (`rss.xml`, `atom.xml`, `feed.json`), then the folder if that left it
/// empty. Nothing else is touched: other files, and the folders that hold them, stay.
pub fn remove_stale_tag_feeds(out_dir: &std::path::Path, written: &[&str]) -> std::io::Result<()> {
    let tags_dir = out_dir.join(TAGS_DIR);
    let entries = match std::fs::read_dir(&tags_dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(err) => {
            return Err(std::io::Error::new(
                err.kind(),
                format!("cannot read {}: {err}", tags_dir.display()),
            ))
        }
    };
    let planned: std::collections::HashSet<&str> = written
        .iter()
        .filter_map(|p| {
            p.strip_prefix(TAGS_DIR)?
                .strip_prefix('/')?
                .split('/')
                .next()
        })
        .collect();
    for entry in entries {
        let entry = entry?;
        if !entry.file_type()?.is_dir() {
            continue;
        }
        let name = entry.file_name();
        if name.to_str().is_some_and(|n| planned.contains(n)) {
            continue;
        }
        let dir = entry.path();
        let mut removed = false;
        for file in [RSS_FILE, ATOM_FILE, JSON_FILE] {
            let path = dir.join(file);
            if path.symlink_metadata().is_ok_and(|m| m.is_file()) {
                std::fs::remove_file(&path).map_err(|e| {
                    std::io::Error::new(e.kind(), format!("cannot remove {}: {e}", path.display()))
                })?;
                removed = true;
            }
        }
        if removed {
            // Fails, and is meant to, when other files are left in the folder.
            let _ = std::fs::remove_dir(&dir);
        }
    }
    Ok(())
}

/// Writes one file atomically; returns whether its bytes changed.
fn write_one(file: &OutputFile, out_dir: &std::path::Path) -> std::io::Result<bool> {
    let path = out_dir.join(&file.path);
    let written = crate::output::write_atomic(&path, &file.bytes).map_err(|e| {
        std::io::Error::new(e.kind(), format!("cannot write {}: {e}", path.display()))
    })?;
    Ok(written == crate::output::Written::Changed)
}

/// Decides the feeds for `posts` (newest first): the site feed, and one per tag if enabled.
pub fn plan(posts: &[Post], config: &Config) -> Vec<FeedPlan> {
    let limit = if config.feeds.limit == 0 {
        usize::MAX
    } else {
        config.feeds.limit
    };
    let mut plans = vec![FeedPlan {
        dir: String::new(),
        tag: None,
        posts: (0..posts.len()).take(limit).collect(),
    }];
    if config.feeds.tags {
        // Tags that differ only in case ("Meetup", "meetup") share one feed, named as the
        // newest post spells it; distinct tags whose slugs collide get distinct folders (see
        // [`crate::content::tags::assign_slugs`]).
        let (slugs, _) = assign_slugs(posts);
        let mut by_slug: BTreeMap<&str, (String, Vec<usize>)> = BTreeMap::new();
        // Each spelling of a tag is lower-cased once, not once per post.
        let mut slug_of: HashMap<&str, Option<&String>> = HashMap::new();
        for (index, post) in posts.iter().enumerate() {
            for tag in &post.tags {
                let slug = *slug_of
                    .entry(tag.as_str())
                    .or_insert_with(|| slugs.get(&tag.to_lowercase()));
                let Some(slug) = slug else {
                    continue;
                };
                let entry = by_slug
                    .entry(slug)
                    .or_insert_with(|| (tag.clone(), Vec::new()));
                if entry.1.last() != Some(&index) && entry.1.len() < limit {
                    entry.1.push(index);
                }
            }
        }
        plans.extend(by_slug.into_iter().map(|(slug, (tag, posts))| FeedPlan {
            dir: format!("{TAGS_DIR}/{slug}/"),
            tag: Some(tag),
            posts,
        }));
    }
    plans
}

/// Builds every feed for `posts` (newest first) in memory. `now` is only used for feeds with
/// no posts. [`build_and_write`] writes each feed as it is made instead, which keeps memory
/// bounded on large sites.
pub fn build(posts: &[Post], config: &Config, now: DateTime<FixedOffset>) -> BuildOutput {
    build_with(posts, config, now, &|post| content::render(post, config))
}

/// How [`build_with`] renders a post's body (called in parallel, once per needed post).
pub type Renderer<'r> = dyn Fn(&Post) -> Result<content::Rendered, content::PostError> + Sync + 'r;

/// [`build`] with the rendering step supplied: the daemon renders broken posts from their
/// last good text, and remembers the text of the others.
pub fn build_with(
    posts: &[Post],
    config: &Config,
    now: DateTime<FixedOffset>,
    render: &Renderer<'_>,
) -> BuildOutput {
    build_cached(posts, config, now, render, None)
}

/// The feeds of the last build, to serialise again only those whose entries or feed-level
/// facts changed (the daemon rebuilds after each edit; most feeds stay the same). Valid for
/// one config: [`FeedCache::clear`] it when the config changes.
#[derive(Debug, Default)]
pub struct FeedCache {
    feeds: std::sync::Mutex<HashMap<String, CachedFeed>>,
    /// The files of the last build that came from the cache.
    reused: std::sync::Mutex<std::collections::HashSet<String>>,
}

#[derive(Debug)]
struct CachedFeed {
    meta: FeedMeta,
    entries: Vec<FeedEntry>,
    files: Vec<OutputFile>,
}

impl FeedCache {
    /// Forgets every feed.
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// The paths of the files of the last build that were the same as the build before's
    /// (their feed was not serialised again).
    pub fn take_reused(&self) -> std::collections::HashSet<String> {
        std::mem::take(
            &mut self
                .reused
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, CachedFeed>> {
        self.feeds
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The files of the feed in `dir` if it was made from the same `doc`.
    fn get(&self, dir: &str, doc: &FeedDoc<'_>) -> Option<Vec<OutputFile>> {
        let feeds = self.lock();
        let cached = feeds.get(dir)?;
        let same = cached.meta == doc.meta
            && cached.entries.len() == doc.entries.len()
            && cached
                .entries
                .iter()
                .zip(&doc.entries)
                .all(|(a, b)| a == *b);
        if !same {
            return None;
        }
        self.reused
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend(cached.files.iter().map(|f| f.path.clone()));
        Some(cached.files.clone())
    }

    fn put(&self, dir: &str, doc: &FeedDoc<'_>, files: &[OutputFile]) {
        let feed = CachedFeed {
            meta: doc.meta.clone(),
            entries: doc.entries.iter().map(|e| (*e).clone()).collect(),
            files: files.to_vec(),
        };
        self.lock().insert(dir.to_owned(), feed);
    }

    /// Forgets the feeds not in `plans`.
    fn retain(&self, plans: &[FeedPlan]) {
        self.take_reused();
        let planned: std::collections::HashSet<&str> =
            plans.iter().map(|p| p.dir.as_str()).collect();
        self.lock().retain(|dir, _| planned.contains(dir.as_str()));
    }
}

/// [`build_with`], reusing the bytes of the feeds in `cache` that did not change, and
/// remembering the others there.
pub fn build_cached(
    posts: &[Post],
    config: &Config,
    now: DateTime<FixedOffset>,
    render: &Renderer<'_>,
    cache: Option<&FeedCache>,
) -> BuildOutput {
    let files = std::sync::Mutex::new(Vec::new());
    let mut output = build_into(posts, config, now, render, cache, &|file| {
        files
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(file);
        Ok(())
    })
    .unwrap_or_default();
    let mut files = files
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    // Feeds are made in parallel: put them back in plan order (the site feed, then tags by
    // slug; RSS, Atom, JSON in each).
    let key = |file: &OutputFile| {
        let (dir, name) = file.path.rsplit_once('/').unwrap_or(("", &file.path));
        let format = [RSS_FILE, ATOM_FILE, JSON_FILE]
            .iter()
            .position(|f| f == &name);
        (!dir.is_empty(), dir.to_owned(), format)
    };
    files.sort_by_key(key);
    output.files = files;
    output
}

/// What [`build_and_write`] did.
#[derive(Debug, Default)]
pub struct Written {
    /// Number of feeds (each written in three formats).
    pub feeds: usize,
    /// Files written.
    pub files: usize,
    /// Files whose bytes changed.
    pub changed: usize,
    /// Posts that could not be rendered (reported, then left out).
    pub diagnostics: Vec<Diagnostic>,
}

/// Builds every feed and writes each one into `out_dir` (atomically) as soon as it is made,
/// so at most one feed per thread is held in memory besides the rendered posts: memory grows
/// with the size of the posts, not with posts times tags.
pub fn build_and_write(
    posts: &[Post],
    config: &Config,
    now: DateTime<FixedOffset>,
    out_dir: &std::path::Path,
) -> std::io::Result<Written> {
    let render = |post: &Post| content::render(post, config);
    let counts = std::sync::Mutex::new((0usize, 0usize));
    let written = std::sync::Mutex::new(Vec::new());
    let built = build_into(posts, config, now, &render, None, &|file| {
        let changed = write_one(&file, out_dir)?;
        written
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(file.path);
        let mut counts = counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        counts.0 += 1;
        counts.1 += usize::from(changed);
        Ok(())
    })?;
    let (files, changed) = counts
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let written = written
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let written: Vec<&str> = written.iter().map(String::as_str).collect();
    remove_stale_tag_feeds(out_dir, &written)?;
    Ok(Written {
        feeds: built.feeds,
        files,
        changed,
        diagnostics: built.diagnostics,
    })
}

/// Turns a feed into the bytes of one format.
type Serialise = fn(&FeedDoc<'_>) -> Vec<u8>;

/// Renders the posts the feeds need (once each, with `render`), then makes every feed in
/// every format and hands each file to `sink`. The first sink error stops the build.
fn build_into(
    posts: &[Post],
    config: &Config,
    now: DateTime<FixedOffset>,
    render: &Renderer<'_>,
    cache: Option<&FeedCache>,
    sink: &(dyn Fn(OutputFile) -> std::io::Result<()> + Sync),
) -> std::io::Result<BuildOutput> {
    let plans = plan(posts, config);
    let mut output = BuildOutput::default();
    let entries = render_entries(posts, config, render, &plans, &mut output.diagnostics);
    if let Some(cache) = cache {
        cache.retain(&plans);
    }
    plans.par_iter().try_for_each(|plan| {
        let doc_entries: Vec<&FeedEntry> =
            plan.posts.iter().filter_map(|i| entries.get(i)).collect();
        let doc = FeedDoc {
            meta: meta(config, plan, &doc_entries, now),
            entries: doc_entries,
        };
        if let Some(cache) = cache {
            if let Some(files) = cache.get(&plan.dir, &doc) {
                for file in files {
                    sink(file)?;
                }
                return Ok(());
            }
            let made = std::sync::Mutex::new(Vec::new());
            serialise(config, plan, &doc, &|file| {
                made.lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push(file.clone());
                sink(file)
            })?;
            let made = made
                .into_inner()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            cache.put(&plan.dir, &doc, &made);
            return Ok(());
        }
        serialise(config, plan, &doc, sink)
    })?;
    output.feeds = plans.len();
    Ok(output)
}

/// Writes `doc`, the feed of `plan`, in every format, handing each file to `sink`.
fn serialise(
    config: &Config,
    plan: &FeedPlan,
    doc: &FeedDoc<'_>,
    sink: &(dyn Fn(OutputFile) -> std::io::Result<()> + Sync),
) -> std::io::Result<()> {
    let formats: [(&str, Serialise); 3] = [
        (RSS_FILE, rss::write),
        (ATOM_FILE, atom::write),
        (JSON_FILE, json::write),
    ];
    for (name, write) in formats {
        sink(OutputFile {
            path: format!("{}{name}", plan.dir),
            bytes: write(doc),
        })?;
    }
    if config.feeds.paths == FeedPaths::JekyllFeed {
        if let Some(path) = jekyll_feed_path(plan) {
            let self_url = format!("{}{}", config.feeds.url, encode_illegal(&path));
            sink(OutputFile {
                bytes: atom::write_at(doc, &self_url),
                path,
            })?;
        }
    }
    Ok(())
}

/// Renders each post that some feed needs exactly once, in parallel.
fn render_entries(
    posts: &[Post],
    config: &Config,
    render: &Renderer<'_>,
    plans: &[FeedPlan],
    diagnostics: &mut Vec<Diagnostic>,
) -> HashMap<usize, FeedEntry> {
    let mut needed: Vec<usize> = plans.iter().flat_map(|p| p.posts.iter().copied()).collect();
    needed.sort_unstable();
    needed.dedup();
    let rendered: Vec<(usize, Result<FeedEntry, Diagnostic>)> = needed
        .into_par_iter()
        .map(|index| {
            let post = &posts[index];
            let entry = render(post)
                .map(|rendered| FeedEntry::new(post, &rendered, config))
                .map_err(Diagnostic::from);
            (index, entry)
        })
        .collect();
    let mut entries = HashMap::with_capacity(rendered.len());
    for (index, entry) in rendered {
        match entry {
            Ok(entry) => {
                entries.insert(index, entry);
            }
            Err(diagnostic) => diagnostics.push(diagnostic),
        }
    }
    entries
}

/// Where jekyll-feed writes the Atom feed of `plan`: `feed.xml` for the site, and
/// `feed/by_tag/<tag>.xml` for a tag made only of ASCII letters, digits and `_` (jekyll-feed
/// skips every other tag). `None` when jekyll-feed has no such feed, or the name would be too
/// long for a file (jekyll-feed could not have written it either).
fn jekyll_feed_path(plan: &FeedPlan) -> Option<String> {
    match &plan.tag {
        None => Some(JEKYLL_FEED_FILE.to_owned()),
        Some(tag)
            if tag.len() <= crate::util::names::MAX_NAME_BYTES
                && tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
        {
            Some(format!("{JEKYLL_FEED_TAGS_DIR}{tag}.xml"))
        }
        Some(_) => None,
    }
}

fn meta(
    config: &Config,
    plan: &FeedPlan,
    entries: &[&FeedEntry],
    now: DateTime<FixedOffset>,
) -> FeedMeta {
    let site = &config.site;
    let title = match &plan.tag {
        Some(tag) => format!("{}: {tag}", site.title),
        None => site.title.clone(),
    };
    let description = match (&plan.tag, site.description.trim()) {
        (Some(tag), _) => format!("Posts tagged {tag} on {}", site.title),
        (None, "") => format!("Latest posts from {}", site.title),
        (None, d) => d.to_owned(),
    };
    // Config text (a YAML escape such as "\f") may hold characters XML 1.0 forbids too.
    let xml = |s: String| content::xml_chars::strip(&s).into_owned();
    FeedMeta {
        title: xml(title),
        description: xml(description),
        home_url: site.home_url(),
        // The folder on disk keeps a tag's UTF-8 name; its URL is percent-encoded.
        folder_url: format!("{}{}", config.feeds.url, encode_illegal(&plan.dir)),
        language: site.language.clone(),
        author: site.author.clone(),
        updated: entries.iter().map(|e| e.updated).max().unwrap_or(now),
    }
}
