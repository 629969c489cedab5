//! `crier run`: the daemon. It serves the feeds and the unsubscribe endpoints, rebuilds the
//! feeds when posts, templates, subscribers or the config change, sends digests on the
//! schedule, and resumes an interrupted digest at start-up. SIGTERM or SIGINT stops it
//! cleanly: no new messages, messages in flight finished and recorded, exit 0.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use tokio::sync::watch;

use super::deliver::{progress_for_stderr, shutdown_signal};
use super::Cli;
use crate::clock::Clock;
use crate::delivery::campaign::{digest_outgoing, digest_summary, due_digest, has_news, Campaign};
use crate::delivery::lock::SiteLock;
use crate::delivery::Ledger;
use crate::email::TokenKey;
use crate::server::{router, AppState};
use crate::{feeds, site};

/// Options of `crier run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Listen on this address instead of `server.bind` (port 0 picks a free port).
    #[arg(long, value_name = "ADDR")]
    pub bind: Option<SocketAddr>,
}

/// Runs the daemon until SIGTERM or SIGINT.
pub fn run(cli: &Cli, args: &RunArgs, clock: &Clock) -> anyhow::Result<ExitCode> {
    let site = super::load_site(cli, clock, "the daemon did not start")?;
    let runtime = super::runtime()?;
    runtime.block_on(daemon(cli.site.clone(), site, args, *clock))
}

async fn daemon(
    root: PathBuf,
    site: site::Site,
    args: &RunArgs,
    clock: Clock,
) -> anyhow::Result<ExitCode> {
    let shutdown = shutdown_signal();
    rebuild(&root, &clock);
    let config = &site.config;
    let key_file = config
        .newsletter
        .as_ref()
        .and_then(|n| n.token_key_file.clone());
    let (key, _) = TokenKey::load(
        std::env::var(crate::email::tokens::KEY_ENV).ok(),
        key_file.as_deref(),
        true,
    )
    .context("cannot load the unsubscribe token key")?;
    let state = Arc::new(AppState {
        public_dir: config.feeds.output_dir.clone(),
        key,
        ledger_path: config.delivery.state_db.clone(),
        site_title: config.site.title.clone(),
        clock,
    });
    // Watch before announcing the address: a change made right after start-up is not missed.
    let watch = start_watching(&root);
    let bind = args.bind.unwrap_or(config.server.bind);
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("cannot listen on {bind}"))?;
    let local = listener.local_addr()?;
    println!("listening on http://{local}");
    tracing::info!(%local, "serving feeds and unsubscribe endpoints");
    let mut stop = shutdown.clone();
    let server = tokio::spawn(async move {
        axum::serve(listener, router(state))
            .with_graceful_shutdown(async move {
                let _ = stop.wait_for(|s| *s).await;
            })
            .await
    });
    let watcher = tokio::spawn(rebuild_on_change(
        watch,
        root.clone(),
        clock,
        shutdown.clone(),
    ));
    scheduler(&root, clock, shutdown.clone()).await;
    let _ = server.await;
    watcher.abort();
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// Rebuilds the feeds; problems are logged and the previous good files stay in place.
fn rebuild(root: &Path, clock: &Clock) {
    match site::load(root, clock) {
        Ok(site) => {
            let built = feeds::build(&site.content.posts, &site.config, clock.now());
            for d in site.content.diagnostics.iter().chain(&built.diagnostics) {
                tracing::warn!("{d}");
            }
            match feeds::write_all(&built, &site.config.feeds.output_dir) {
                Ok(changed) => tracing::info!(feeds = built.feeds, changed, "feeds built"),
                Err(err) => {
                    tracing::error!(%err, "cannot write feeds; the previous files are still served")
                }
            }
        }
        Err(problems) => {
            for d in problems {
                tracing::error!("{d}");
            }
            tracing::error!("config is invalid; the previous feeds are still served");
        }
    }
}

type Watch = Option<(
    notify::RecommendedWatcher,
    tokio::sync::mpsc::UnboundedReceiver<()>,
)>;

/// Starts watching posts, templates, subscribers and the config.
fn start_watching(root: &Path) -> Watch {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let watched: Vec<PathBuf> = match crate::config::load(root) {
        Ok(c) => {
            let mut paths = vec![c.posts_dir.clone(), c.path.clone()];
            if let Some(n) = &c.newsletter {
                paths.push(n.templates_dir.clone());
                paths.push(n.subscribers_dir.clone());
            }
            paths
        }
        Err(_) => vec![root.join(crate::config::CONFIG_FILE)],
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
        use notify::Watcher;
        if let Err(err) = watcher.watch(path, notify::RecursiveMode::Recursive) {
            tracing::warn!(%err, path = %path.display(), "cannot watch");
        }
    }
    Some((watcher, rx))
}

/// Rebuilds within a second of a change.
async fn rebuild_on_change(
    watch: Watch,
    root: PathBuf,
    clock: Clock,
    mut shutdown: watch::Receiver<bool>,
) {
    let Some((_watcher, mut rx)) = watch else {
        return;
    };
    loop {
        tokio::select! {
            Some(()) = rx.recv() => {
                // Debounce: editors write several events per save.
                tokio::time::sleep(Duration::from_millis(200)).await;
                while rx.try_recv().is_ok() {}
                let root = root.clone();
                let _ = tokio::task::spawn_blocking(move || rebuild(&root, &clock)).await;
            }
            _ = shutdown.changed() => return,
        }
    }
}

/// Sends digests on the schedule, after resuming any interrupted one and catching up on a
/// slot missed while the daemon was down (once, within the grace period).
async fn scheduler(root: &Path, clock: Clock, mut shutdown: watch::Receiver<bool>) {
    fire(root, clock, &shutdown, Fire::ResumeOnly).await;
    let mut first = true;
    let mut served = None;
    loop {
        if *shutdown.borrow() {
            return;
        }
        let schedule = match site::load(root, &clock) {
            Ok(site) => site
                .config
                .newsletter
                .and_then(|n| n.schedule.map(|s| (s, n.missed_grace))),
            Err(_) => None,
        };
        let Some((schedule, grace)) = schedule else {
            // No schedule (or a broken config): check again in a minute.
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(60)) => continue,
                _ = shutdown.changed() => return,
            }
        };
        let now = clock.now();
        if first {
            first = false;
            if let Some(slot) = schedule.last_at_or_before(now, grace) {
                if missed(root, slot) {
                    tracing::info!(%slot, "a scheduled digest was missed while the daemon was down: sending it now");
                    fire(root, clock, &shutdown, Fire::Scheduled).await;
                    continue;
                }
            }
        }
        // Never the same slot twice, even if the clock has not moved past it (a fixed clock,
        // or a system clock stepped back).
        let Some(next) = schedule.next_after(now.max(served.unwrap_or(now))) else {
            return;
        };
        let wait = (next - now).to_std().unwrap_or_default();
        tracing::info!(%next, "next digest");
        tokio::select! {
            _ = tokio::time::sleep(wait) => {
                fire(root, clock, &shutdown, Fire::Scheduled).await;
                served = Some(next);
            }
            _ = shutdown.changed() => return,
        }
    }
}

/// Whether no digest was frozen since `slot`.
fn missed(root: &Path, slot: chrono::DateTime<chrono::FixedOffset>) -> bool {
    let Ok(config) = crate::config::load(root) else {
        return false;
    };
    let Ok(ledger) = Ledger::open(&config.delivery.state_db) else {
        return false;
    };
    let last = ledger.recent(1).ok().and_then(|r| r.into_iter().next());
    last.and_then(|row| chrono::DateTime::parse_from_rfc3339(&row.created).ok())
        .is_none_or(|created| created < slot)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fire {
    ResumeOnly,
    Scheduled,
}

async fn fire(root: &Path, clock: Clock, shutdown: &watch::Receiver<bool>, what: Fire) {
    if let Err(err) = try_fire(root, clock, shutdown, what).await {
        tracing::error!("digest not sent: {err:#}");
    }
}

async fn try_fire(
    root: &Path,
    clock: Clock,
    shutdown: &watch::Receiver<bool>,
    what: Fire,
) -> anyhow::Result<()> {
    let site = site::load(root, &clock)
        .map_err(|p| anyhow::anyhow!("config is invalid ({} problems)", p.len()))?;
    let config = &site.config;
    if config.newsletter.is_none() {
        return Ok(());
    }
    let state_dir = config.delivery.state_dir();
    let _lock = match SiteLock::try_acquire(&state_dir)? {
        Ok(lock) => lock,
        Err(busy) => {
            tracing::warn!("{busy}; not sending now");
            return Ok(());
        }
    };
    let mut ledger = Ledger::open(&config.delivery.state_db)?;
    let campaign = Campaign::prepare(config)?;
    if let Some(row) = ledger.unfinished()? {
        tracing::info!(digest = %row.id, "resuming an interrupted digest");
        return deliver_logged(&campaign, config, &ledger, &row, shutdown, &clock).await;
    }
    if what == Fire::ResumeOnly {
        return Ok(());
    }
    let at = clock.now();
    let digest = due_digest(&site.content.posts, config, &ledger, at, None)?;
    let only_if_new = config.newsletter.as_ref().is_some_and(|n| n.only_if_new);
    if only_if_new && !has_news(&digest, &ledger)? {
        tracing::info!("scheduled digest skipped: no new recaps and no change of next event");
        return Ok(());
    }
    let (row, queued, problems) = campaign.freeze(
        config,
        &mut ledger,
        digest_outgoing(&digest, config),
        "digest",
        &digest_summary(&digest),
        at,
        &clock,
    )?;
    for p in problems {
        tracing::warn!("{p}");
    }
    tracing::info!(digest = %row.id, queued, recaps = digest.recaps.len(), "scheduled digest frozen");
    deliver_logged(&campaign, config, &ledger, &row, shutdown, &clock).await
}

async fn deliver_logged(
    campaign: &Campaign,
    config: &crate::config::Config,
    ledger: &Ledger,
    row: &crate::delivery::ledger::DigestRow,
    shutdown: &watch::Receiver<bool>,
    clock: &Clock,
) -> anyhow::Result<()> {
    let mut progress = progress_for_stderr();
    let outcome = campaign
        .deliver(
            config,
            ledger,
            row,
            shutdown.clone(),
            progress.as_mut(),
            clock,
        )
        .await?;
    tracing::info!(
        digest = %row.id,
        sent = outcome.sent,
        failed = outcome.failed,
        deferred = outcome.deferred,
        "digest run ended"
    );
    Ok(())
}
