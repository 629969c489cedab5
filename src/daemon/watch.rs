//! Rebuilding the feeds when posts, templates, subscribers or the config change. Problems are
//! logged and the previous good files stay in place.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use super::health::Health;
use crate::clock::Clock;
use crate::{config, feeds, site};

/// Rebuilds the feeds once, and records how it went.
pub fn rebuild(root: &Path, clock: &Clock, health: &Health) {
    health.rebuilt(try_rebuild(root, clock).err());
}

/// Rebuilds the feeds; the error says why the previous files are still served.
fn try_rebuild(root: &Path, clock: &Clock) -> Result<(), String> {
    match site::load(root, clock) {
        Ok(site) => {
            let built = feeds::build(&site.content.posts, &site.config, clock.now());
            for d in site.content.diagnostics.iter().chain(&built.diagnostics) {
                tracing::warn!("{d}");
            }
            match feeds::write_all(&built, &site.config.feeds.output_dir) {
                Ok(changed) => {
                    tracing::info!(feeds = built.feeds, changed, "feeds built");
                    Ok(())
                }
                Err(err) => {
                    tracing::error!(%err, "cannot write feeds; the previous files are still served");
                    Err(format!("cannot write feeds: {err}"))
                }
            }
        }
        Err(problems) => {
            for d in &problems {
                tracing::error!("{d}");
            }
            tracing::error!("config is invalid; the previous feeds are still served");
            Err(format!(
                "config is invalid: {}",
                problems
                    .first()
                    .map(ToString::to_string)
                    .unwrap_or_default()
            ))
        }
    }
}

/// A file watcher and the channel its events arrive on.
pub struct Watcher {
    _watcher: notify::RecommendedWatcher,
    events: mpsc::UnboundedReceiver<()>,
}

/// Starts watching posts, templates, subscribers and the config. `None` (logged) if the
/// platform cannot watch files: the daemon still serves and sends.
pub fn start(root: &Path) -> Option<Watcher> {
    let (tx, events) = mpsc::unbounded_channel::<()>();
    let watched: Vec<PathBuf> = match config::load(root) {
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
    let handler = move |event: notify::Result<notify::Event>| {
        if event.is_ok_and(|e| !matches!(e.kind, notify::EventKind::Access(_))) {
            let _ = tx.send(());
        }
    };
    let mut watcher = match notify::recommended_watcher(handler) {
        Ok(w) => w,
        Err(err) => {
            tracing::error!(%err, "cannot watch files; feeds will not rebuild on change");
            return None;
        }
    };
    for path in &watched {
        use notify::Watcher as _;
        if let Err(err) = watcher.watch(path, notify::RecursiveMode::Recursive) {
            tracing::warn!(%err, path = %path.display(), "cannot watch");
        }
    }
    Some(Watcher {
        _watcher: watcher,
        events,
    })
}

/// Rebuilds shortly after each change, until shutdown.
pub async fn rebuild_on_change(
    watcher: Option<Watcher>,
    root: PathBuf,
    clock: Clock,
    health: Health,
    mut shutdown: watch::Receiver<bool>,
) {
    let Some(mut watcher) = watcher else {
        return;
    };
    loop {
        tokio::select! {
            Some(()) = watcher.events.recv() => {
                // Debounce: editors write several events per save.
                tokio::time::sleep(Duration::from_millis(200)).await;
                while watcher.events.try_recv().is_ok() {}
                let (root, health) = (root.clone(), health.clone());
                let _ = tokio::task::spawn_blocking(move || rebuild(&root, &clock, &health)).await;
            }
            _ = super::shutdown::stopped(&mut shutdown) => return,
        }
    }
}
