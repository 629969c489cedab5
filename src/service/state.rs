//! The site's state as a whole: checking the ledger, backing it up, putting a backup back,
//! and (knowingly) starting over. `crier state …` and the daemon's keeper call these.

use chrono::{DateTime, Utc};

use super::members::{Members, MembersError};
use crate::config::Config;
use crate::ledger::backup::{self, BackupFile, Kind, RestoreError, Restored};
use crate::ledger::{Ledger, LedgerError, Place};

/// Why a state command failed.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The ledger failed (or is damaged).
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// A restore was refused or failed.
    #[error(transparent)]
    Restore(#[from] RestoreError),
    /// The member-request journal failed.
    #[error(transparent)]
    Members(#[from] MembersError),
    /// There is no ledger to back up yet.
    #[error("there is no ledger yet at {0}: nothing to back up (this site has never sent)")]
    Nothing(String),
    /// `state init --new` where a sound ledger is in place.
    #[error("{0} is in place and sound: `crier state init --new` only replaces a missing or damaged ledger (restore a backup with `crier state restore FILE` instead)")]
    SoundLedgerInPlace(String),
}

/// What `crier state check` reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The ledger file.
    pub ledger: String,
    /// `None` when sound (or absent on a site that never sent); else what is wrong.
    pub problem: Option<String>,
    /// Whether a ledger exists.
    pub exists: bool,
    /// Member requests waiting in the journal.
    pub pending_requests: usize,
    /// The backups, oldest first.
    pub backups: Vec<BackupFile>,
}

impl Report {
    /// The newest backup, if any.
    pub fn newest_backup(&self) -> Option<&BackupFile> {
        self.backups.last()
    }
}

/// The state service for one site.
pub struct State<'a> {
    config: &'a Config,
    place: Place,
}

impl<'a> State<'a> {
    /// The service for `config`'s site.
    pub fn new(config: &'a Config) -> Self {
        State {
            config,
            place: Place::of(config),
        }
    }

    /// Where the ledger is.
    pub fn place(&self) -> &Place {
        &self.place
    }

    /// Checks the ledger thoroughly (every page and stored word), read-only.
    pub fn check(&self) -> Report {
        let (exists, problem) = match self.open_for_check() {
            Ok(Some(ledger)) => (true, ledger.verify().err().map(|e| e.to_string())),
            Ok(None) => (false, None),
            Err(err) => (true, Some(err.to_string())),
        };
        let pending_requests = Members::new(self.config).pending().unwrap_or(0);
        Report {
            ledger: self.place.db.display().to_string(),
            problem,
            exists,
            pending_requests,
            backups: backup::list(&self.place.backups),
        }
    }

    /// The ledger for reading: opened read-only (it never waits for a writer, and works on a
    /// file crier may not write), unless its schema needs migrating and it can be written.
    /// `None` for a site that has never sent.
    pub fn read(&self) -> Result<Option<Ledger>, LedgerError> {
        self.open_for_check()
    }

    fn open_for_check(&self) -> Result<Option<Ledger>, LedgerError> {
        match Ledger::open_read(&self.place) {
            Err(LedgerError::NeedsMigration { .. }) => Ledger::open_existing(&self.place),
            other => other,
        }
    }

    /// Takes a backup (checked first), then deletes scheduled copies beyond the configured
    /// number and journal entries every kept copy holds.
    pub fn backup(&self, kind: Kind) -> Result<BackupFile, StateError> {
        let ledger = Ledger::open_existing(&self.place)?
            .ok_or_else(|| StateError::Nothing(self.place.db.display().to_string()))?;
        ledger.verify()?;
        let taken = backup::take(&ledger, &self.place.backups, kind)?;
        drop(ledger);
        let keep = self.config.delivery.backups.keep;
        for deleted in backup::prune(&self.place.backups, keep) {
            tracing::info!(file = %deleted.display(), "old backup deleted");
        }
        self.prune_journal();
        Ok(taken)
    }

    /// Drops journal entries that every kept backup already holds.
    fn prune_journal(&self) {
        let members = Members::new(self.config);
        let Some(oldest) = backup::list(&self.place.backups).first().cloned() else {
            return;
        };
        // A copy that cannot say how far it applied the journal (one from before journals):
        // keep every entry, so restoring it replays them all.
        let Some(applied) = applied_in(&oldest.path, &self.place) else {
            return;
        };
        match members.prune(Some(applied)) {
            Ok(0) => {}
            Ok(n) => tracing::debug!(removed = n, "member-request journal pruned"),
            Err(err) => tracing::warn!(%err, "cannot prune the member-request journal"),
        }
    }

    /// Whether a scheduled backup is due at `now` (none yet, or the newest is older than
    /// `delivery.backups.every_hours`).
    pub fn backup_due(&self, now: DateTime<Utc>) -> bool {
        let Some(every) = self.config.delivery.backups.every else {
            return false;
        };
        if !self.place.db.exists() {
            // A site that never sent has nothing to back up yet.
            return false;
        }
        let every = chrono::Duration::from_std(every).unwrap_or(chrono::Duration::MAX);
        backup::list(&self.place.backups)
            .iter()
            .rev()
            .find(|b| b.label == "scheduled" || b.label == "manual")
            .is_none_or(|b| now - b.taken >= every)
    }

    /// Puts `file` in place of the ledger (see [`backup::restore`]), then applies the member
    /// requests the copy does not have yet. Returns what was done and how many requests were
    /// applied again.
    pub fn restore(
        &self,
        file: &std::path::Path,
        force: bool,
    ) -> Result<(Restored, usize), StateError> {
        let restored = backup::restore(&self.place, file, force)?;
        let replayed = Members::new(self.config).apply_pending()?;
        Ok((restored, replayed))
    }

    /// Starts a new, empty ledger where the one in place is missing or damaged: the damaged
    /// files are kept aside, and the member-request journal is applied to the new ledger
    /// (every unsubscribe it holds still counts).
    pub fn init_new(&self) -> Result<(Option<std::path::PathBuf>, usize), StateError> {
        let aside = match Ledger::open_read(&self.place) {
            Ok(Some(ledger)) if ledger.verify().is_ok() => {
                return Err(StateError::SoundLedgerInPlace(ledger.path().to_owned()));
            }
            Ok(None) => None,
            Err(LedgerError::Missing { .. }) => None,
            _ => Some(backup::set_aside(&self.place)?),
        };
        self.place
            .forget_lineage()
            .map_err(|source| LedgerError::Io {
                path: self.place.db.display().to_string(),
                action: "forget the old ledger's lineage",
                source,
            })?;
        let ledger = Ledger::create_new(&self.place)?;
        drop(ledger);
        let replayed = Members::new(self.config).apply_pending()?;
        Ok((aside, replayed))
    }

    /// Brings the ledger's schema up to date (after a backup).
    pub fn migrate(&self) -> Result<bool, StateError> {
        Ok(Ledger::open_existing(&self.place)?.is_some())
    }
}

/// How far the ledger copy at `path` applied the journal of `place` (`None` if unreadable).
fn applied_in(path: &std::path::Path, place: &Place) -> Option<u64> {
    let id = crate::ledger::journal::Journal::new(&place.journal)
        .read()
        .ok()??
        .id;
    let copy = Ledger::open_copy(path).ok()?;
    copy.journal_applied(&id).ok()
}
