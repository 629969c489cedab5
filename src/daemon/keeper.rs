//! The daemon's keeper of the site's state: it checks the ledger at start and every minute
//! (a damaged or missing one makes `/healthz` `degraded` with the reason; every send checks
//! it too, so nothing is sent meanwhile), applies member requests that waited in the journal
//! as soon as the ledger takes them, and backs the ledger up on schedule.

use std::time::{Duration, Instant};

use crate::clock::Clock;
use crate::config::Config;
use crate::ledger::backup::Kind;
use crate::server::health::Health;
use crate::service::members::Members;
use crate::service::state::State;

/// How often the keeper looks at the journal.
const TICK: Duration = Duration::from_secs(2);
/// How often it checks the whole ledger.
const VERIFY_EVERY: Duration = Duration::from_secs(60);
/// How often it asks whether a backup is due.
const BACKUP_CHECK_EVERY: Duration = Duration::from_secs(600);

/// What the keeper remembers between ticks.
#[derive(Debug, Default)]
pub struct Keeper {
    last_verify: Option<Instant>,
    last_backup_check: Option<Instant>,
}

impl Keeper {
    /// One round: verify when due, apply pending requests, back up when due. Blocking.
    pub fn round(&mut self, config: &Config, clock: Clock, health: &Health) {
        let due = |last: Option<Instant>, every| last.is_none_or(|t| t.elapsed() >= every);
        let state = State::new(config);
        if due(self.last_verify, VERIFY_EVERY) || health.ledger_problem().is_some() {
            self.last_verify = Some(Instant::now());
            self.verify(&state, health);
        }
        let members = Members::new(config);
        match members.pending() {
            Ok(0) => health.pending_requests(0),
            Ok(waiting) => {
                health.pending_requests(waiting);
                match members.try_apply_pending() {
                    Ok(_) => health.pending_requests(members.pending().unwrap_or(waiting)),
                    Err(err) => tracing::debug!(%err, "member requests still wait for the ledger"),
                }
            }
            Err(err) => tracing::warn!(%err, "cannot read the member-request journal"),
        }
        if health.ledger_problem().is_none() && due(self.last_backup_check, BACKUP_CHECK_EVERY) {
            self.last_backup_check = Some(Instant::now());
            // Backups are named by the wall clock; `clock` only matters in tests that pin it
            // far from now, where a copy is due once.
            let now = chrono::Utc::now().max(clock.now_utc());
            if state.backup_due(now) {
                match state.backup(Kind::Scheduled) {
                    Ok(taken) => tracing::info!(file = %taken.path.display(), "ledger backed up"),
                    Err(err) => tracing::error!(%err, "scheduled backup failed"),
                }
            }
        }
    }

    fn verify(&self, state: &State<'_>, health: &Health) {
        let report = state.check();
        let before = health.ledger_problem();
        match (&before, &report.problem) {
            (None, Some(problem)) => {
                tracing::error!("{problem}");
            }
            (Some(_), None) => tracing::info!("the ledger is sound again; sending resumes"),
            _ => {}
        }
        health.ledger(report.problem);
    }
}

/// Runs rounds until `shutdown`; the first one at once.
pub async fn run(
    config: Config,
    clock: Clock,
    health: Health,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let mut keeper = Keeper::default();
    loop {
        let (cfg, h) = (config.clone(), health.clone());
        keeper = tokio::task::spawn_blocking(move || {
            keeper.round(&cfg, clock, &h);
            keeper
        })
        .await
        .unwrap_or_default();
        tokio::select! {
            _ = tokio::time::sleep(TICK) => {}
            _ = crate::util::shutdown::stopped(&mut shutdown) => return,
        }
    }
}
