//! `crier run`: the daemon. It serves the feeds, the archive and the unsubscribe endpoints,
//! rebuilds the feeds when posts, templates, subscribers or the config change, sends digests
//! (and the reminder before each event) on the schedule, and resumes an interrupted send at
//! start-up. A shutdown request stops it cleanly:
//! no new messages, messages in flight finished and recorded.

pub mod keeper;
pub mod last_good;
pub mod post_cache;
pub mod scheduler;
pub mod watch;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use crate::clock::Clock;
use crate::email::tokens::{KeyError, KEY_ENV};
use crate::email::TokenKey;
use crate::server::{self, router_with, AppState, HttpLimits};
use crate::service::mailing::Postman;
use crate::service::signups::Signups;
use crate::site::Site;

/// Why the daemon could not start.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// The token key is unusable.
    #[error("cannot load the unsubscribe token key: {0}")]
    Key(#[from] KeyError),
    /// The mail transport for confirmation e-mails cannot be set up.
    #[error("cannot set up the mail transport: {0}")]
    Transport(String),
    /// A provider webhook's secret cannot be read.
    #[error(transparent)]
    Webhooks(#[from] crate::service::webhooks::WebhookSetupError),
    /// The address cannot be listened on.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Where the daemon listens, once it does.
#[derive(Debug, Clone, Copy)]
pub struct Listening {
    /// The HTTP server.
    pub http: SocketAddr,
    /// The SMTP listener for bounce reports, if configured.
    pub bounces: Option<SocketAddr>,
}

/// What the daemon runs on.
pub struct Daemon {
    /// The site folder (reloaded on every rebuild and scheduled send).
    pub root: PathBuf,
    /// The site as loaded at start-up.
    pub site: Site,
    /// The listening address (port 0 picks a free one).
    pub bind: SocketAddr,
    /// The clock.
    pub clock: Clock,
    /// Whether to send on the schedule (`crier run --no-send` only serves and rebuilds).
    pub send: bool,
}

impl Daemon {
    /// Runs until `shutdown` turns true. `listening` is told the bound address once the
    /// feeds are built and the server accepts connections.
    pub async fn run(
        self,
        shutdown: tokio::sync::watch::Receiver<bool>,
        listening: impl FnOnce(Listening),
    ) -> Result<(), DaemonError> {
        let Daemon {
            root,
            site,
            bind,
            clock,
            send,
        } = self;
        let health = server::health::Health::default();
        let rebuilder = watch::Rebuilder::new(root.clone(), clock, health.clone());
        rebuilder.rebuild();
        // Bound first: the services learn the real address (port 0 picks one), which the
        // outbox mode's log of confirmation links shows.
        let listener = tokio::net::TcpListener::bind(bind)
            .await
            .map_err(|source| DaemonError::Listen { addr: bind, source })?;
        let local = listener
            .local_addr()
            .map_err(|source| DaemonError::Listen { addr: bind, source })?;
        let mut bound = site.config.clone();
        bound.server.bind = local;
        let config = &bound;
        let key_file = config
            .newsletter
            .as_ref()
            .and_then(|n| n.token_key_file.clone());
        let (key, _) = TokenKey::load(std::env::var(KEY_ENV).ok(), key_file.as_deref(), true)?;
        let key_for_webhooks = key.clone();
        let (signups, signup_queue) = tokio::sync::mpsc::channel(server::signup::QUEUE);
        let state = Arc::new(AppState {
            config: config.clone(),
            public_dir: config.feeds.output_dir.clone(),
            feeds_path: server::feeds_path(&config.feeds.url),
            only_feed_files: shares_feeds_folder(config).then_some(config.feeds.paths),
            key,
            site_title: config.site.title.clone(),
            clock,
            health: health.clone(),
            pages: pages(config),
            signup: signup_desk(config, clock, signups)?,
            webhooks: webhooks(config, &key_for_webhooks)?,
        });
        let signup_worker = tokio::spawn(server::signup::signup_worker(
            Arc::clone(&state),
            signup_queue,
            shutdown.clone(),
        ));
        // The ledger checked (created or migrated) before any request or send opens it; then
        // kept: verified, member requests applied, backed up.
        let keeper = site.config.newsletter.is_some().then(|| {
            let mut first = keeper::Keeper::default();
            first.round(config, clock, &health);
            tokio::spawn(keeper::run(
                config.clone(),
                clock,
                health.clone(),
                shutdown.clone(),
            ))
        });
        publish_archive(&site);
        // Watch before announcing the address: a change made right after start-up is not missed.
        let watcher = watch::start(&root);
        let bounces = start_bounce_listener(config, &state, shutdown.clone()).await?;
        listening(Listening {
            http: local,
            bounces: bounces.as_ref().map(|(addr, _)| *addr),
        });
        tracing::info!(%local, "serving the home page, feeds and subscriber endpoints");
        let limits = HttpLimits::default();
        let app = router_with(state, &limits);
        let server = tokio::spawn(server::serve(listener, app, limits, shutdown.clone()));
        let rebuilding = tokio::spawn(watch::rebuild_on_change(
            watcher,
            rebuilder,
            shutdown.clone(),
        ));
        if send {
            scheduler::run(&root, clock, health, shutdown).await;
        } else {
            health.scheduler("off: started with --no-send");
            let mut stop = shutdown;
            crate::util::shutdown::stopped(&mut stop).await;
        }
        let _ = server.await;
        if let Some((_, bounces)) = bounces {
            let _ = bounces.await;
        }
        rebuilding.abort();
        signup_worker.abort();
        if let Some(keeper) = keeper {
            let _ = keeper.await;
        }
        tracing::info!("stopped");
        Ok(())
    }
}

/// Whether the feeds folder holds more than crier's feeds: the site folder, its posts or
/// templates, or a private file (with `feeds.output_dir` at Jekyll's source folder, beside
/// `_config.yml`). The daemon must then serve only the files a build writes there.
fn shares_feeds_folder(config: &crate::config::Config) -> bool {
    use crate::adopt::publish_check::{private_paths, resolve};
    let out = resolve(&config.feeds.output_dir);
    let mut held = vec![config.root.clone(), config.posts_dir.clone()];
    if let Some(n) = &config.newsletter {
        held.push(n.templates_dir.clone());
    }
    held.extend(private_paths(config).into_iter().map(|p| p.path));
    held.iter().any(|path| resolve(path).starts_with(&out))
}

/// The webhook service, when a provider is configured (its secrets are read now: a missing
/// one stops the daemon with the reason, rather than refusing every request later).
fn webhooks(
    config: &crate::config::Config,
    key: &TokenKey,
) -> Result<Option<Arc<crate::service::webhooks::Webhooks>>, DaemonError> {
    let w = &config.bounces.webhooks;
    let any = !w.ses_topics.is_empty()
        || w.mailgun.is_some()
        || w.sendgrid_key.is_some()
        || w.postmark.is_some();
    if !any {
        return Ok(None);
    }
    crate::service::webhooks::Webhooks::new(config.clone(), key.clone())
        .map(|w| Some(Arc::new(w)))
        .map_err(DaemonError::from)
}

/// The SMTP listener for bounce reports, when `bounces.listen` is set.
async fn start_bounce_listener(
    config: &crate::config::Config,
    state: &AppState,
    shutdown: tokio::sync::watch::Receiver<bool>,
) -> Result<Option<(SocketAddr, tokio::task::JoinHandle<()>)>, DaemonError> {
    let Some(addr) = config.bounces.listen else {
        return Ok(None);
    };
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| DaemonError::Listen { addr, source })?;
    let local = listener.local_addr().unwrap_or(addr);
    tracing::info!(%local, "taking bounce reports over SMTP");
    let desk = Arc::new(server::bounce_smtp::BounceDesk {
        config: config.clone(),
        key: state.key.clone(),
    });
    let serving = tokio::spawn(server::bounce_smtp::serve(listener, desk, shutdown));
    Ok(Some((local, serving)))
}

/// The page templates, with the site's facts and main feeds (linked relative to the daemon).
fn pages(config: &crate::config::Config) -> server::pages::Pages {
    let dir = config.newsletter.as_ref().map_or_else(
        || config.root.join("templates"),
        |n| n.templates_dir.clone(),
    );
    let site = serde_json::json!({
        "title": config.site.title,
        "description": config.site.description,
        "url": config.site.url,
        "language": config.site.language,
    });
    let feeds = crate::urls::feed_links(&config.site.title, &server::feeds_path(&config.feeds.url));
    server::pages::Pages::load(&dir, site, serde_json::json!(feeds))
}

/// What the sign-up endpoints need, when the site has a newsletter.
fn signup_desk(
    config: &crate::config::Config,
    clock: Clock,
    queue: tokio::sync::mpsc::Sender<server::signup::SignUpJob>,
) -> Result<Option<server::signup::SignupDesk>, DaemonError> {
    let Some(settings) = &config.newsletter else {
        return Ok(None);
    };
    let postman =
        Postman::new(config.clone(), clock).map_err(|e| DaemonError::Transport(e.to_string()))?;
    let Some(postman) = postman else {
        return Ok(None);
    };
    Ok(Some(server::signup::SignupDesk {
        queue,
        settings: settings.clone(),
        audience: config.audience.clone(),
        signups: Arc::new(Signups::new(config.clone(), postman)),
        per_ip: Default::default(),
    }))
}

/// Writes the archive of sent digests (a send by `crier send` elsewhere, or templates changed
/// since): the daemon serves it. A problem is only logged.
fn publish_archive(site: &Site) {
    let config = &site.config;
    if let Err(err) = crate::archive::publish_existing(config, &config.feeds.output_dir) {
        tracing::warn!("the archive was not written: {err}");
    }
}
