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
mod rss;
mod tags;

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, FixedOffset};
use rayon::prelude::*;

use crate::config::{Author, Config};
use crate::content::{self, Post};
use crate::diagnostics::Diagnostic;

pub use entry::{mime_type_for, FeedEntry, FeedImage};
pub use tags::tag_slug;

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
pub fn write_all(built: &BuildOutput, out_dir: &std::path::Path) -> std::io::Result<usize> {
    let mut changed = 0;
    for file in &built.files {
        let path = out_dir.join(&file.path);
        let written = crate::output::write_atomic(&path, &file.bytes).map_err(|e| {
            std::io::Error::new(e.kind(), format!("cannot write {}: {e}", path.display()))
        })?;
        if written == crate::output::Written::Changed {
            changed += 1;
        }
    }
    Ok(changed)
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
        // Tags whose slugs collide ("Meetup", "meetup") share one feed, named as the newest
        // post spells it.
        let mut by_slug: BTreeMap<String, (String, Vec<usize>)> = BTreeMap::new();
        for (index, post) in posts.iter().enumerate() {
            for tag in &post.tags {
                let Some(slug) = tag_slug(tag) else { continue };
                let entry = by_slug
                    .entry(slug)
                    .or_insert_with(|| (tag.clone(), Vec::new()));
                if entry.1.last() != Some(&index) && entry.1.len() < limit {
                    entry.1.push(index);
                }
            }
        }
        plans.extend(by_slug.into_iter().map(|(slug, (tag, posts))| FeedPlan {
            dir: format!("tags/{slug}/"),
            tag: Some(tag),
            posts,
        }));
    }
    plans
}

/// Builds every feed for `posts` (newest first). `now` is only used for feeds with no posts.
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
    let plans = plan(posts, config);
    let mut output = BuildOutput::default();

    // Render each post that some feed needs exactly once, in parallel.
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
    let mut entries: HashMap<usize, FeedEntry> = HashMap::with_capacity(rendered.len());
    for (index, entry) in rendered {
        match entry {
            Ok(entry) => {
                entries.insert(index, entry);
            }
            Err(diagnostic) => output.diagnostics.push(diagnostic),
        }
    }

    let files: Vec<Vec<OutputFile>> = plans
        .par_iter()
        .map(|plan| {
            let doc_entries: Vec<&FeedEntry> =
                plan.posts.iter().filter_map(|i| entries.get(i)).collect();
            let doc = FeedDoc {
                meta: meta(config, plan, &doc_entries, now),
                entries: doc_entries,
            };
            vec![
                OutputFile {
                    path: format!("{}{RSS_FILE}", plan.dir),
                    bytes: rss::write(&doc),
                },
                OutputFile {
                    path: format!("{}{ATOM_FILE}", plan.dir),
                    bytes: atom::write(&doc),
                },
                OutputFile {
                    path: format!("{}{JSON_FILE}", plan.dir),
                    bytes: json::write(&doc),
                },
            ]
        })
        .collect();
    output.files = files.into_iter().flatten().collect();
    output.feeds = plans.len();
    output
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
    FeedMeta {
        title,
        description,
        home_url: site.home_url(),
        folder_url: format!("{}{}", config.feeds.url, plan.dir),
        language: site.language.clone(),
        author: site.author.clone(),
        updated: entries.iter().map(|e| e.updated).max().unwrap_or(now),
    }
}
