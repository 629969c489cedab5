//! The last good version of each post, so that a post whose file becomes invalid (its front
//! matter broken mid-edit, say) keeps its place in the served feeds instead of vanishing from
//! every subscriber's reader until it is fixed.
//!
//! Only the daemon does this: `crier build` reports the broken post and leaves it out. The
//! text kept is that of the posts rendered into some feed at the last rebuild (the others
//! cannot change what is served), so memory stays bounded by the feeds' size. Each text is
//! kept with its rendered body and the stamp of the file it was read from, so that the next
//! rebuild renders only the posts whose file changed.

pub use crate::server::health::Broken;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use crate::clock::Clock;
use crate::config::Config;
use crate::content::{self, FileKind, LoadReport, Post, PostError, Rendered, Status};
use crate::diagnostics::Severity;

use super::post_cache::Stamp;

/// The text of each post (by source path) as last rendered successfully.
#[derive(Debug, Default)]
pub struct LastGood {
    texts: HashMap<PathBuf, Arc<Kept>>,
}

/// A post's text as last rendered, and the rendering if it may be used again.
#[derive(Debug, Clone)]
pub struct Kept {
    text: String,
    /// The body rendered from `text`, and the stamp of the file it was read from (`None`
    /// when the file's stamp cannot be trusted, or the text came from memory).
    rendered: Option<(Stamp, Rendered)>,
}

/// The texts (and renderings) of the posts rendered by a rebuild in progress.
pub type Fresh = Mutex<HashMap<PathBuf, Arc<Kept>>>;

impl LastGood {
    /// The posts to build from: those that loaded, plus the last good version of each post
    /// in `report.failed` (newest first); and the broken posts. Deleted posts are simply
    /// absent from the report: they are not broken, and their text is forgotten at the next
    /// build.
    pub fn posts(
        &self,
        report: LoadReport,
        config: &Config,
        clock: &Clock,
    ) -> (Vec<Post>, Vec<Broken>) {
        let mut broken = Vec::new();
        let mut posts = report.posts;
        for path in &report.failed {
            let problem = report
                .diagnostics
                .iter()
                .find(|d| d.severity == Severity::Error && d.path == *path)
                .map_or_else(
                    || format!("{}: cannot be loaded", path.display()),
                    |d| format!("{}:{}: {}", d.path.display(), d.line, d.message),
                );
            let restored = self
                .texts
                .get(path)
                .and_then(|k| reparse(path, &k.text, config));
            let kept = match restored {
                Some(post) if is_live(&post, config, clock) => {
                    posts.push(post);
                    true
                }
                _ => false,
            };
            broken.push(Broken {
                path: path.clone(),
                problem,
                kept,
            });
        }
        content::sort_newest_first(&mut posts);
        (posts, broken)
    }

    /// Renders `post`: from its last good text if its file is broken (in `broken`), else
    /// from its file, whose text is then remembered in `fresh` for the next rebuild.
    /// `stamp` is the stamp of the file `post` was loaded from, when it can be trusted and
    /// the config is the one of the last rebuild: a post rendered then from a file with that
    /// same stamp is not read nor rendered again.
    pub fn render(
        &self,
        post: &Post,
        config: &Config,
        broken: &HashSet<PathBuf>,
        stamp: Option<Stamp>,
        fresh: &Fresh,
    ) -> Result<Rendered, PostError> {
        let cached = self.texts.get(&post.source);
        let is_broken = broken.contains(&post.source);
        if let (false, Some(stamp), Some(kept)) = (is_broken, stamp, cached) {
            if let Some((was, rendered)) = &kept.rendered {
                if *was == stamp {
                    let rendered = rendered.clone();
                    remember(fresh, &post.source, Arc::clone(kept));
                    return Ok(rendered);
                }
            }
        }
        let (text, from_file) = match (is_broken, cached) {
            (true, Some(kept)) => (kept.text.clone(), false),
            _ => (content::read_post_file(&post.source)?, true),
        };
        let rendered = content::render_text(post, &text, config)?;
        let reusable = stamp
            .filter(|_| from_file)
            .map(|stamp| (stamp, rendered.clone()));
        remember(
            fresh,
            &post.source,
            Arc::new(Kept {
                text,
                rendered: reusable,
            }),
        );
        Ok(rendered)
    }

    /// Replaces the remembered texts with those of the build that was just served.
    pub fn replace(&mut self, fresh: Fresh) {
        self.texts = fresh.into_inner().unwrap_or_else(PoisonError::into_inner);
    }
}

fn remember(fresh: &Fresh, path: &Path, kept: Arc<Kept>) {
    fresh
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(path.to_path_buf(), kept);
}

/// The post parsed from its last good text with the current config; `None` if that no
/// longer works (the config changed since).
fn reparse(path: &Path, text: &str, config: &Config) -> Option<Post> {
    let name = path.file_name()?.to_str()?;
    let FileKind::Post(Ok(name)) = content::classify(name) else {
        return None;
    };
    content::parse_post(path, &name, text, config)
        .ok()
        .map(|(post, _)| post)
}

/// Whether the post belongs in the feeds (published, and not dated in the future).
fn is_live(post: &Post, config: &Config, clock: &Clock) -> bool {
    post.status == Status::Published && (config.future || post.date <= clock.now())
}
