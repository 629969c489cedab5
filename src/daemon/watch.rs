//! Rebuilding the feeds when posts, templates, subscribers or the config change. Problems are
//! logged and the previous good files stay in place; a broken post keeps its last good
//! version (see [`super::last_good`]).
//!
//! Rebuilds are incremental: only the post files whose stamp changed are read and parsed
//! again (see [`super::post_cache`]), and only the posts whose file changed are rendered
//! again; the feeds are then planned and serialised from every post, as a full build does, so
//! the bytes are the same. A config change, or a watched folder appearing or being replaced,
//! reads everything again.
//!
//! A watch on a folder dies with the folder (`git checkout` or a deploy tool deleting,
//! renaming or replacing `posts/`), so each watched folder's parent is watched too: when a
//! watched path itself appears or disappears, or the watcher reports an error, every watch is
//! attached again and the site rescanned.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use super::last_good::LastGood;
use super::post_cache::PostCache;
use crate::clock::Clock;
use crate::server::health::Health;
use crate::{config, feeds};

/// How long after a change event the rebuild starts, gathering the other events of one save
/// (an editor truncates, writes and renames; a folder being replaced sends one per file).
pub const DEBOUNCE: Duration = Duration::from_millis(10);

/// Why a rebuild kept the previous feeds (shown in `/healthz`).
#[derive(Debug, thiserror::Error)]
pub enum RebuildError {
    /// The config cannot be loaded; the first problem.
    #[error("config is invalid: {0}")]
    Config(String),
    /// The posts folder cannot be listed: being replaced, deleted, or unreadable.
    #[error("the posts folder {} is missing or unreadable", .0.display())]
    PostsFolder(PathBuf),
    /// The feed files cannot be written.
    #[error("cannot write feeds: {0}")]
    Write(#[from] std::io::Error),
}

/// Rebuilds the feeds, remembering the last good version of each post between rebuilds.
#[derive(Clone)]
pub struct Rebuilder {
    root: PathBuf,
    clock: Clock,
    health: Health,
    state: Arc<Mutex<State>>,
}

/// Which post files a rebuild reads again.
enum Scope {
    /// Those whose stamp changed (the folder is listed).
    Scan,
    /// These (the watcher named them), and no others.
    Changed(Vec<PathBuf>),
    /// All of them, and every post is rendered again.
    All,
}

/// What rebuilds remember between them.
#[derive(Default)]
struct State {
    last_good: LastGood,
    posts: PostCache,
    feeds: feeds::FeedCache,
}

impl Rebuilder {
    /// A rebuilder for the site in `root`, reporting to `health`.
    pub fn new(root: PathBuf, clock: Clock, health: Health) -> Self {
        Rebuilder {
            root,
            clock,
            health,
            state: Arc::default(),
        }
    }

    /// Rebuilds the feeds once (blocking), reading only the post files that changed since
    /// the last rebuild, and records how it went.
    pub fn rebuild(&self) {
        self.rebuild_with(false);
    }

    /// Rebuilds the feeds once (blocking), reading every post file again.
    pub fn rebuild_all(&self) {
        self.rebuild_with(true);
    }

    /// Rebuilds the feeds once (blocking) when the watcher says which files changed
    /// (absolute paths): the posts folder is not listed, only those files are read.
    pub fn rebuild_changed(&self, changed: Vec<PathBuf>) {
        self.rebuild_inner(Scope::Changed(changed));
    }

    fn rebuild_with(&self, full: bool) {
        self.rebuild_inner(if full { Scope::All } else { Scope::Scan });
    }

    fn rebuild_inner(&self, scope: Scope) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let full = matches!(scope, Scope::All);
        if full {
            state.posts.clear();
        }
        let started = std::time::Instant::now();
        let problem = self.try_rebuild(&mut state, &scope).err();
        tracing::debug!(elapsed = ?started.elapsed(), full, "rebuild done");
        self.health.rebuilt(problem.map(|e| e.to_string()));
    }

    /// Rebuilds the feeds; the error says why the previous files are still served.
    fn try_rebuild(&self, state: &mut State, scope: &Scope) -> Result<(), RebuildError> {
        let State {
            last_good,
            posts: post_cache,
            feeds: feed_cache,
        } = state;
        let config = config::load(&self.root).map_err(|problems| {
            for d in &problems {
                tracing::error!("{d}");
            }
            tracing::error!("config is invalid; the previous feeds are still served");
            let first = problems.first().map(ToString::to_string);
            RebuildError::Config(first.unwrap_or_default())
        })?;
        let started = std::time::Instant::now();
        let (content, stats) = match scope {
            Scope::Changed(paths) => post_cache.load_changed(&config, &self.clock, paths),
            Scope::Scan | Scope::All => post_cache.load(&config, &self.clock),
        };
        tracing::debug!(
            files = stats.files,
            reloaded = stats.reloaded,
            elapsed = ?started.elapsed(),
            "posts loaded"
        );
        // Renderings are reused only for the config they were made with.
        let reuse = !matches!(scope, Scope::All) && !stats.config_changed;
        let site = crate::site::Site { config, content };
        for d in &site.content.diagnostics {
            tracing::warn!("{d}");
        }
        if site.content.unreadable_folder {
            // Not "every post was deleted": the folder is being replaced, or is gone by
            // mistake. Serving empty feeds would make readers drop every post.
            let dir = site.config.posts_dir;
            tracing::error!(dir = %dir.display(), "cannot read the posts folder; the previous feeds are still served");
            return Err(RebuildError::PostsFolder(dir));
        }
        let cache = &*post_cache;
        let (posts, broken) = last_good.posts(site.content, &site.config, &self.clock);
        let broken_paths: HashSet<PathBuf> = broken
            .iter()
            .filter(|b| b.kept)
            .map(|b| b.path.clone())
            .collect();
        let fresh = Mutex::new(HashMap::new());
        let render = |post: &crate::content::Post| {
            let stamp = cache.stamp(&post.source).filter(|_| reuse);
            last_good.render(post, &site.config, &broken_paths, stamp, &fresh)
        };
        let started = std::time::Instant::now();
        if !reuse {
            feed_cache.clear();
        }
        let built = feeds::build_cached(
            &posts,
            &site.config,
            self.clock.now(),
            &render,
            Some(feed_cache),
        );
        let reused = feed_cache.take_reused();
        post_cache.give_back(posts);
        tracing::debug!(elapsed = ?started.elapsed(), "feeds made");
        let started = std::time::Instant::now();
        for d in &built.diagnostics {
            tracing::warn!("{d}");
        }
        let changed = feeds::write_changed(&built, &site.config.feeds.output_dir, &reused)
            .inspect_err(|err| {
                // What is on disk is not known: compare every file next time.
                feed_cache.clear();
                tracing::error!(%err, "cannot write feeds; the previous files are still served");
            })?;
        tracing::debug!(elapsed = ?started.elapsed(), "feeds written");
        let written = built.files.iter().map(|f| f.path.clone()).collect();
        let out_dir = site.config.feeds.output_dir.clone();
        tracing::info!(feeds = built.feeds, changed, "feeds built");
        last_good.replace(fresh);
        self.health.broken_posts(broken);
        self.health.feed_files(out_dir, written);
        Ok(())
    }
}

/// What a file-system event asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Signal {
    /// Something inside a watched path changed (these paths): rebuild.
    Changed(Vec<PathBuf>),
    /// A watched path itself appeared or went, or the watcher erred: attach again, rescan.
    Reattach,
}

/// A file watcher and the channel its events arrive on.
pub struct Watcher {
    inner: notify::RecommendedWatcher,
    /// The folders and files whose changes matter (absolute).
    targets: Arc<Vec<PathBuf>>,
    /// What is currently watched, to unwatch before attaching again.
    attached: Vec<PathBuf>,
    events: mpsc::UnboundedReceiver<Signal>,
}

/// Starts watching posts, templates, subscribers and the config. `None` (logged) if the
/// platform cannot watch files: the daemon still serves and sends.
pub fn start(root: &Path) -> Option<Watcher> {
    let (tx, events) = mpsc::unbounded_channel::<Signal>();
    let targets = Arc::new(targets(root));
    let relevant = Arc::clone(&targets);
    let handler = move |event: notify::Result<notify::Event>| {
        if let Some(signal) = classify(&event, &relevant) {
            let _ = tx.send(signal);
        }
    };
    let inner = match notify::recommended_watcher(handler) {
        Ok(w) => w,
        Err(err) => {
            tracing::error!(%err, "cannot watch files; feeds will not rebuild on change");
            return None;
        }
    };
    let mut watcher = Watcher {
        inner,
        targets,
        attached: Vec::new(),
        events,
    };
    watcher.attach();
    Some(watcher)
}

/// Posts, templates and subscribers folders and the config file, as absolute paths.
fn targets(root: &Path) -> Vec<PathBuf> {
    let paths = match config::load(root) {
        Ok(c) => {
            let mut paths = vec![c.posts_dir.clone(), c.path.clone()];
            if let Some(n) = &c.newsletter {
                paths.push(n.templates_dir.clone());
                paths.push(n.subscribers_dir.clone());
            }
            paths
        }
        Err(_) => vec![root.join(config::CONFIG_FILE)],
    };
    // Event paths are absolute: compare like with like.
    paths
        .into_iter()
        .map(|p| std::path::absolute(&p).unwrap_or(p))
        .collect()
}

/// What an event means for the watched `targets`; `None` if it concerns none of them.
fn classify(event: &notify::Result<notify::Event>, targets: &[PathBuf]) -> Option<Signal> {
    let event = match event {
        Ok(e) => e,
        Err(err) => {
            tracing::warn!(%err, "file watcher error; watching again and rescanning");
            return Some(Signal::Reattach);
        }
    };
    if matches!(event.kind, notify::EventKind::Access(_)) {
        return None;
    }
    if event.need_rescan() {
        return Some(Signal::Reattach);
    }
    let paths = &event.paths;
    if paths.iter().any(|p| targets.iter().any(|t| p == t)) {
        return Some(Signal::Reattach);
    }
    paths
        .iter()
        .any(|p| targets.iter().any(|t| p.starts_with(t)))
        .then(|| Signal::Changed(paths.clone()))
}

impl Watcher {
    /// (Re)attaches every watch: each target's parent (to see the target appear, go or be
    /// replaced) and each target folder that exists, recursively.
    fn attach(&mut self) {
        use notify::{RecursiveMode, Watcher as _};
        for path in self.attached.drain(..) {
            let _ = self.inner.unwatch(&path);
        }
        // Path -> recursive? (a parent may be shared by several targets).
        let mut wanted: std::collections::BTreeMap<PathBuf, bool> = Default::default();
        for target in self.targets.iter() {
            if let Some(parent) = target.parent() {
                wanted.entry(parent.to_path_buf()).or_insert(false);
            }
            if target.is_dir() {
                wanted.insert(target.clone(), true);
            }
        }
        for (path, recursive) in wanted {
            let mode = if recursive {
                RecursiveMode::Recursive
            } else {
                RecursiveMode::NonRecursive
            };
            match self.inner.watch(&path, mode) {
                Ok(()) => self.attached.push(path),
                Err(err) => tracing::warn!(%err, path = %path.display(), "cannot watch"),
            }
        }
    }
}

/// Rebuilds shortly after each change, until shutdown.
pub async fn rebuild_on_change(
    watcher: Option<Watcher>,
    rebuilder: Rebuilder,
    mut shutdown: watch::Receiver<bool>,
) {
    let Some(mut watcher) = watcher else {
        return;
    };
    loop {
        tokio::select! {
            Some(first) = watcher.events.recv() => {
                // Debounce: editors write several events per save, and a folder being
                // replaced sends one per file. Rebuilds are incremental, so a short wait is
                // enough: events that arrive during a rebuild start another one.
                tokio::time::sleep(DEBOUNCE).await;
                let mut reattach = false;
                let mut changed = Vec::new();
                let mut signal = Some(first);
                while let Some(next) = signal.take() {
                    match next {
                        Signal::Reattach => reattach = true,
                        Signal::Changed(paths) => changed.extend(paths),
                    }
                    signal = watcher.events.try_recv().ok();
                }
                if reattach {
                    tracing::info!("a watched folder appeared, went or was replaced: watching again");
                    watcher.attach();
                }
                let rebuilder = rebuilder.clone();
                let _ = tokio::task::spawn_blocking(move || {
                    if reattach {
                        rebuilder.rebuild_all();
                    } else {
                        rebuilder.rebuild_changed(changed);
                    }
                })
                .await;
            }
            _ = crate::util::shutdown::stopped(&mut shutdown) => return,
        }
    }
}
