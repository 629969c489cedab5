//! The last good version of each post, so that a post whose file becomes invalid (its front
//! matter broken mid-edit, say) keeps its place in the served feeds instead of vanishing from
//! every subscriber's reader until it is fixed.
//!
//! Only the daemon does this: `crier build` reports the broken post and leaves it out. The
//! text kept is that of the posts rendered into some feed at the last rebuild (the others
//! cannot change what is served), so memory stays bounded by the feeds' size.

pub use crate::server::health::Broken;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use crate::clock::Clock;
use crate::config::Config;
use crate::content::{self, FileKind, LoadReport, Post, PostError, Rendered, Status};
use crate::diagnostics::Severity;

/// The text of each post (by source path) as last rendered successfully.
#[derive(Debug, Default)]
pub struct LastGood {
    texts: HashMap<PathBuf, String>,
}

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
            let restored = self.texts.get(path).and_then(|t| reparse(path, t, config));
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
    pub fn render(
        &self,
        post: &Post,
        config: &Config,
        broken: &HashSet<PathBuf>,
        fresh: &Mutex<HashMap<PathBuf, String>>,
    ) -> Result<Rendered, PostError> {
        let cached = self.texts.get(&post.source);
        let text = match (broken.contains(&post.source), cached) {
            (true, Some(text)) => text.clone(),
            _ => content::read_post_file(&post.source)?,
        };
        let rendered = content::render_text(post, &text, config)?;
        fresh
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(post.source.clone(), text);
        Ok(rendered)
    }

    /// Replaces the remembered texts with those of the build that was just served.
    pub fn replace(&mut self, fresh: Mutex<HashMap<PathBuf, String>>) {
        self.texts = fresh.into_inner().unwrap_or_else(PoisonError::into_inner);
    }
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
