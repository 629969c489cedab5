//! Where a site's ledger lives, and what shows that the site has sent before.
//!
//! A missing ledger is created only for a site that has never sent: once a site has history
//! (a lineage file naming its ledger, a backup, an outbox, a published archive, member
//! requests in the journal), a new empty ledger would forget everyone who left, and the next
//! send would mail them. Then opening fails and says how to restore.

use std::path::{Path, PathBuf};

use crate::config::Config;

/// The ledger's files and the site's traces of sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// The SQLite file.
    pub db: PathBuf,
    /// The folder of backups.
    pub backups: PathBuf,
    /// The journal of member requests not yet (or lately) written to the ledger.
    pub journal: PathBuf,
    /// The file beside the ledger that names its lineage.
    lineage: PathBuf,
    /// Folders whose content shows the site has sent (outbox, published archive).
    history: Vec<(PathBuf, &'static str)>,
}

/// Name of the lineage file, in the ledger's folder.
const LINEAGE_FILE: &str = "ledger-id";
/// Name of the member-request journal, in the ledger's folder.
pub const JOURNAL_FILE: &str = "member-requests.jsonl";

impl Place {
    /// The ledger of the site `config` describes.
    pub fn of(config: &Config) -> Place {
        let mut place = Place::file(&config.delivery.state_db);
        place.backups = config.delivery.backups.dir.clone();
        place.history = vec![
            (config.delivery.outbox_dir.clone(), "the outbox"),
            (
                config.feeds.output_dir.join(crate::config::ARCHIVE_DIR),
                "the published archive",
            ),
        ];
        place
    }

    /// A ledger file on its own (tools and tests): its history is looked for beside it.
    pub fn file(db: &Path) -> Place {
        let dir = db.parent().map(Path::to_path_buf).unwrap_or_default();
        Place {
            db: db.to_path_buf(),
            backups: dir.join("backups"),
            journal: dir.join(JOURNAL_FILE),
            lineage: dir.join(LINEAGE_FILE),
            history: Vec::new(),
        }
    }

    /// The ledger's folder.
    pub fn dir(&self) -> PathBuf {
        self.db.parent().map(Path::to_path_buf).unwrap_or_default()
    }

    /// The lineage id recorded beside the ledger, if any.
    pub fn recorded_lineage(&self) -> Option<String> {
        let text = std::fs::read_to_string(&self.lineage).ok()?;
        let id = text.lines().find(|l| !l.starts_with('#'))?.trim();
        (!id.is_empty()).then(|| id.to_owned())
    }

    /// Records `id` as the lineage of the ledger in place.
    pub fn record_lineage(&self, id: &str) -> std::io::Result<()> {
        let text = format!(
            "# The id of the ledger this site uses ({}). crier refuses a ledger with another id\n\
             # (or none where this file exists): see `crier state restore`.\n{id}\n",
            self.db.display()
        );
        crate::output::write_private(&self.lineage, text.as_bytes())
    }

    /// Forgets the recorded lineage (before a new ledger is started on purpose).
    pub fn forget_lineage(&self) -> std::io::Result<()> {
        match std::fs::remove_file(&self.lineage) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// Why this site has sent before, in plain words; empty for a site that never has.
    pub fn evidence(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(id) = self.recorded_lineage() {
            out.push(format!("{} names ledger {id}", self.lineage.display()));
        }
        let backups = super::backup::list(&self.backups);
        if let Some(newest) = backups.last() {
            out.push(format!(
                "{} holds {} backup(s), the newest {}",
                self.backups.display(),
                backups.len(),
                newest.path.display()
            ));
        }
        if has_entries(&self.journal, &[]) {
            out.push(format!("{} holds member requests", self.journal.display()));
        }
        for (dir, what) in &self.history {
            // Test copies (`crier send --to`) are written to the outbox without a ledger.
            if has_entries(dir, &["test"]) {
                out.push(format!("{what} ({}) is not empty", dir.display()));
            }
        }
        out
    }
}

/// Whether `path` is a non-empty file or a folder with anything in it but `ignored` names.
fn has_entries(path: &Path, ignored: &[&str]) -> bool {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => std::fs::read_dir(path).is_ok_and(|mut d| {
            d.any(|e| e.is_ok_and(|e| !ignored.iter().any(|i| e.file_name() == **i)))
        }),
        Ok(m) => m.len() > 0,
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_site_has_no_history_and_each_trace_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let place = Place::file(&dir.path().join("state/crier.db"));
        assert!(place.evidence().is_empty());
        std::fs::create_dir_all(place.dir()).unwrap();
        place.record_lineage("L-1").unwrap();
        assert_eq!(place.recorded_lineage().as_deref(), Some("L-1"));
        let evidence = place.evidence();
        assert_eq!(evidence.len(), 1);
        assert!(evidence[0].contains("names ledger L-1"), "{evidence:?}");
    }
}
