//! Consistent copies of the ledger, and putting one back.
//!
//! A copy is taken with SQLite's online backup API (other processes keep reading and writing
//! meanwhile), checked like a ledger before it counts, and written as one self-contained file
//! readable by its owner only. Copies are named by the time they were taken and why, so the
//! folder lists in order and rotation keeps what an organiser would want: the newest
//! scheduled copies, every copy taken by hand, the last few taken before migrations.
//!
//! Times here are the wall clock, not the site's injected clock: a backup's name says when
//! it really was taken.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use rusqlite::{Connection, OpenFlags};

use super::integrity::{self, Damage};
use super::{schema, sqlite_error, Ledger, LedgerError, Place};

/// Why a copy was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// By the daemon's schedule (rotated: `delivery.backups.keep`).
    Scheduled,
    /// By `crier state backup` (never deleted by crier).
    Manual,
    /// Before the schema was migrated from this version (the last three are kept).
    BeforeMigration(usize),
    /// Of the ledger in place, before `crier state restore` replaced it (never deleted).
    BeforeRestore,
}

impl Kind {
    fn label(self) -> String {
        match self {
            Kind::Scheduled => "scheduled".into(),
            Kind::Manual => "manual".into(),
            Kind::BeforeMigration(v) => format!("before-migration-{v}"),
            Kind::BeforeRestore => "before-restore".into(),
        }
    }
}

/// A copy in the backups folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupFile {
    /// The file.
    pub path: PathBuf,
    /// When it was taken.
    pub taken: DateTime<Utc>,
    /// Why (`scheduled`, `manual`, `before-migration-5`, `before-restore`).
    pub label: String,
}

const PREFIX: &str = "crier-";
const TIME_FORMAT: &str = "%Y%m%dT%H%M%SZ";
/// Copies taken before migrations that are kept.
const KEEP_BEFORE_MIGRATION: usize = 3;

/// The copies in `dir`, oldest first; other files are ignored.
pub fn list(dir: &Path) -> Vec<BackupFile> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<BackupFile> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| parse_name(&e.path()))
        .collect();
    out.sort_by(|a, b| (a.taken, &a.path).cmp(&(b.taken, &b.path)));
    out
}

fn parse_name(path: &Path) -> Option<BackupFile> {
    let name = path.file_name()?.to_str()?;
    let rest = name.strip_prefix(PREFIX)?.strip_suffix(".db")?;
    let (time, label) = rest.split_once('-')?;
    let taken = NaiveDateTime::parse_from_str(time, TIME_FORMAT)
        .ok()?
        .and_utc();
    Some(BackupFile {
        path: path.to_path_buf(),
        taken,
        label: label.to_owned(),
    })
}

/// Copies `ledger` into `dir` and checks the copy; nothing is left behind if either fails.
pub fn take(ledger: &Ledger, dir: &Path, kind: Kind) -> Result<BackupFile, LedgerError> {
    let now = Utc::now();
    let mut name = format!("{PREFIX}{}-{}.db", now.format(TIME_FORMAT), kind.label());
    if dir.join(&name).exists() {
        // Two copies in one second (a test, or a migration right after a manual copy).
        name = format!(
            "{PREFIX}{}-{}-{}.db",
            now.format(TIME_FORMAT),
            kind.label(),
            now.timestamp_subsec_micros()
        );
    }
    let dest = dir.join(name);
    copy_into_new(&ledger.conn, &dest, &ledger.path, false)?;
    Ok(parse_name(&dest).unwrap_or(BackupFile {
        path: dest,
        taken: now,
        label: kind.label(),
    }))
}

/// Copies the database open on `source` into the new file `dest` (through a temporary file
/// and a rename), checks the copy, and makes it private. `wal`: leave the copy in WAL mode (a
/// ledger being put in place) rather than as one self-contained file (a backup).
fn copy_into_new(
    source: &Connection,
    dest: &Path,
    source_path: &str,
    wal: bool,
) -> Result<(), LedgerError> {
    let io = |action| {
        let path = dest.display().to_string();
        move |source| LedgerError::Io {
            path,
            action,
            source,
        }
    };
    let dir = dest.parent().unwrap_or(Path::new("."));
    create_private_dir(dir).map_err(io("create the backups folder"))?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        dest.file_name().and_then(|n| n.to_str()).unwrap_or("copy"),
        std::process::id()
    ));
    let result = (|| {
        {
            let mut copy = Connection::open(&tmp).map_err(sqlite_error(source_path, "copy"))?;
            {
                let backup = rusqlite::backup::Backup::new(source, &mut copy)
                    .map_err(sqlite_error(source_path, "start a copy"))?;
                // Small steps with a pause: writers get the lock between steps.
                backup
                    .run_to_completion(512, Duration::from_millis(2), None)
                    .map_err(sqlite_error(source_path, "copy"))?;
            }
            let mode = if wal { "WAL" } else { "DELETE" };
            copy.pragma_update(None, "journal_mode", mode)
                .map_err(sqlite_error(source_path, "set the copy's journal mode"))?;
            integrity::verify(&copy).map_err(|damage| LedgerError::Damaged {
                path: source_path.to_owned(),
                damage,
            })?;
        }
        set_private(&tmp).map_err(io("make the copy private"))?;
        std::fs::File::open(&tmp)
            .and_then(|f| f.sync_all())
            .map_err(io("sync the copy"))?;
        std::fs::rename(&tmp, dest).map_err(io("put the copy in place"))
    })();
    if result.is_err() {
        for leftover in [
            tmp.clone(),
            integrity::wal_path(&tmp),
            integrity::shm_path(&tmp),
        ] {
            let _ = std::fs::remove_file(leftover);
        }
    }
    result
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

fn set_private(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
}

/// Deletes the oldest scheduled copies beyond `keep`, and copies taken before migrations
/// beyond the last three. Copies taken by hand or before a restore are never deleted.
/// Returns the files deleted.
pub fn prune(dir: &Path, keep: usize) -> Vec<PathBuf> {
    let all = list(dir);
    let mut deleted = Vec::new();
    let mut drop_oldest = |matching: &dyn Fn(&BackupFile) -> bool, keep: usize| {
        let of_kind: Vec<&BackupFile> = all.iter().filter(|b| matching(b)).collect();
        let excess = of_kind.len().saturating_sub(keep);
        for b in &of_kind[..excess] {
            if std::fs::remove_file(&b.path).is_ok() {
                deleted.push(b.path.clone());
            }
        }
    };
    drop_oldest(&|b| b.label == "scheduled", keep.max(1));
    drop_oldest(
        &|b| b.label.starts_with("before-migration-"),
        KEEP_BEFORE_MIGRATION,
    );
    deleted
}

/// When anything in the ledger last changed (a send, a delivery, a membership, a suppression,
/// a report): how "new" a ledger is, to refuse restoring an older copy over a newer ledger.
pub fn last_change(conn: &Connection) -> rusqlite::Result<Option<DateTime<Utc>>> {
    let times: Vec<Option<DateTime<Utc>>> = [
        "SELECT max(created) FROM digests",
        "SELECT max(updated) FROM deliveries",
        "SELECT max(changed_at) FROM memberships",
        "SELECT max(at) FROM suppressions",
        "SELECT max(received_at) FROM bounce_reports",
    ]
    .iter()
    .map(|sql| match conn.query_row(sql, [], |r| r.get(0)) {
        // A copy from before the table existed.
        Err(rusqlite::Error::SqliteFailure(_, Some(m))) if m.contains("no such table") => Ok(None),
        other => other,
    })
    .collect::<rusqlite::Result<_>>()?;
    Ok(times.into_iter().flatten().max())
}

/// The number of rows of each table (to tell two ledgers apart when their times tie).
fn row_counts(conn: &Connection) -> Vec<i64> {
    [
        "digests",
        "deliveries",
        "people",
        "memberships",
        "suppressions",
        "bounce_reports",
    ]
    .iter()
    .map(|t| {
        conn.query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))
            .unwrap_or(-1)
    })
    .collect()
}

/// Why a restore did not happen.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    /// The copy is damaged (or not a ledger): it is not put in place.
    #[error("{}: not restored: {damage}", path.display())]
    BadCopy {
        /// The copy.
        path: PathBuf,
        /// What is wrong with it.
        damage: Damage,
    },
    /// The copy is from a newer crier.
    #[error("{}: not restored: written by a newer crier (schema {found}, this one knows {known})", path.display())]
    TooNew {
        /// The copy.
        path: PathBuf,
        /// Its schema.
        found: usize,
        /// Ours.
        known: usize,
    },
    /// The ledger in place has changes the copy does not: restoring would lose them.
    #[error("the ledger in place changed last at {current}, after the copy's last change ({}): restoring {} would lose what happened since. Take `crier state backup` first if unsure, then restore with --force", copy.map_or("none".to_owned(), |c| c.to_string()), path.display())]
    NewerInPlace {
        /// The copy.
        path: PathBuf,
        /// The ledger in place's last change.
        current: DateTime<Utc>,
        /// The copy's.
        copy: Option<DateTime<Utc>>,
    },
    /// Reading, copying or setting aside failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    /// The copy put in place.
    pub from: PathBuf,
    /// The copy's last change.
    pub copy_last_change: Option<DateTime<Utc>>,
    /// Where the ledger that was in place went: a backup (if it was sound) or a folder of
    /// its damaged files (kept, never deleted).
    pub set_aside: Option<PathBuf>,
}

/// Puts the copy `from` in place of `place`'s ledger. The copy is checked first; a sound
/// ledger in place that changed after the copy is kept unless `force`; whatever was in place
/// is kept aside (a backup, or its damaged files moved into the backups folder).
pub fn restore(place: &Place, from: &Path, force: bool) -> Result<Restored, RestoreError> {
    let copy = open_copy(from)?;
    let copy_last_change =
        last_change(&copy).map_err(sqlite_error(&from.display().to_string(), "read the copy"))?;
    // A sound ledger of an older schema is brought up to date (after its own backup) rather
    // than taken for a damaged one.
    let current = match Ledger::open_read(place) {
        Err(LedgerError::NeedsMigration { .. }) => Ledger::open_existing(place),
        other => other,
    };
    let set_aside = match current {
        Ok(Some(current)) if current.verify().is_ok() => {
            let path = current.path.clone();
            let current_change =
                last_change(&current.conn).map_err(sqlite_error(&path, "read the ledger"))?;
            if let Some(current_change) = current_change {
                // Newer, or as new but different (times to the second can tie): what is in
                // place would be lost.
                let newer = copy_last_change.is_none_or(|c| {
                    current_change > c
                        || (current_change == c && row_counts(&current.conn) != row_counts(&copy))
                });
                if !force && newer {
                    return Err(RestoreError::NewerInPlace {
                        path: from.to_path_buf(),
                        current: current_change,
                        copy: copy_last_change,
                    });
                }
            }
            let kept = take(&current, &place.backups, Kind::BeforeRestore)?;
            drop(current);
            put_back_into(place, &copy, from)?;
            Some(kept.path)
        }
        Ok(None) | Err(LedgerError::Missing { .. }) => {
            put_new(place, &copy, from)?;
            None
        }
        _ => {
            let aside = move_damaged_aside(place)?;
            put_new(place, &copy, from)?;
            Some(aside)
        }
    };
    record_restored_lineage(place)?;
    Ok(Restored {
        from: from.to_path_buf(),
        copy_last_change,
        set_aside,
    })
}

/// Opens a copy read-only and checks it like a ledger.
fn open_copy(from: &Path) -> Result<Connection, RestoreError> {
    let bad = |damage| RestoreError::BadCopy {
        path: from.to_path_buf(),
        damage,
    };
    integrity::inspect(from).map_err(bad)?;
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(from, flags).map_err(|e| {
        bad(Damage::Corrupt {
            detail: e.to_string(),
        })
    })?;
    let found = schema::version(&conn).map_err(|e| {
        bad(Damage::Corrupt {
            detail: e.to_string(),
        })
    })?;
    if found > schema::VERSION {
        return Err(RestoreError::TooNew {
            path: from.to_path_buf(),
            found,
            known: schema::VERSION,
        });
    }
    if found == 0 {
        return Err(bad(Damage::Corrupt {
            detail: "it holds no ledger (no schema)".into(),
        }));
    }
    integrity::verify(&conn).map_err(bad)?;
    Ok(conn)
}

/// Copies `copy` over the sound ledger in place, through SQLite (other connections see
/// either the old ledger or the restored one, never a mix).
fn put_back_into(place: &Place, copy: &Connection, from: &Path) -> Result<(), LedgerError> {
    let path = place.db.display().to_string();
    let mut dest = Connection::open_with_flags(
        &place.db,
        OpenFlags::default() - OpenFlags::SQLITE_OPEN_CREATE,
    )
    .map_err(sqlite_error(&path, "open for restoring"))?;
    dest.busy_timeout(Duration::from_secs(30))
        .map_err(sqlite_error(&path, "set busy timeout"))?;
    {
        let backup = rusqlite::backup::Backup::new(copy, &mut dest)
            .map_err(sqlite_error(&path, "start restoring"))?;
        backup
            .run_to_completion(-1, Duration::ZERO, None)
            .map_err(sqlite_error(&from.display().to_string(), "restore"))?;
    }
    dest.pragma_update(None, "journal_mode", "WAL")
        .map_err(sqlite_error(&path, "enable WAL"))
}

/// Puts a copy of `copy` where no ledger is (any damaged files were moved aside).
fn put_new(place: &Place, copy: &Connection, from: &Path) -> Result<(), LedgerError> {
    copy_into_new(copy, &place.db, &from.display().to_string(), true)
}

/// Moves the damaged ledger's files (and its log and index) into a folder in the backups
/// folder, so nothing is lost and a new file can take their place.
pub fn set_aside(place: &Place) -> Result<PathBuf, LedgerError> {
    move_damaged_aside(place)
}

fn move_damaged_aside(place: &Place) -> Result<PathBuf, LedgerError> {
    let folder = place
        .backups
        .join(format!("damaged-{}", Utc::now().format(TIME_FORMAT)));
    let io = |action| {
        let path = folder.display().to_string();
        move |source| LedgerError::Io {
            path,
            action,
            source,
        }
    };
    create_private_dir(&folder).map_err(io("create a folder for the damaged ledger"))?;
    for file in [
        place.db.clone(),
        integrity::wal_path(&place.db),
        integrity::shm_path(&place.db),
    ] {
        if std::fs::symlink_metadata(&file).is_err() {
            continue;
        }
        let name = file.file_name().map(ToOwned::to_owned).unwrap_or_default();
        let target = folder.join(name);
        if std::fs::rename(&file, &target).is_err() {
            // Another file system: copy, then remove.
            std::fs::copy(&file, &target).map_err(io("keep the damaged ledger"))?;
            std::fs::remove_file(&file).map_err(io("move the damaged ledger aside"))?;
        }
    }
    Ok(folder)
}

/// Brings the restored ledger's schema up to date and records its lineage beside it, so the
/// next open accepts it.
fn record_restored_lineage(place: &Place) -> Result<(), LedgerError> {
    let path = place.db.display().to_string();
    let mut conn = Connection::open_with_flags(
        &place.db,
        OpenFlags::default() - OpenFlags::SQLITE_OPEN_CREATE,
    )
    .map_err(sqlite_error(&path, "open the restored ledger"))?;
    conn.busy_timeout(Duration::from_secs(30))
        .map_err(sqlite_error(&path, "set busy timeout"))?;
    schema::migrate(&mut conn).map_err(sqlite_error(&path, "migrate the restored ledger"))?;
    let id: String = conn
        .query_row("SELECT value FROM meta WHERE key = 'lineage'", [], |r| {
            r.get(0)
        })
        .map_err(sqlite_error(&path, "read the restored ledger's lineage"))?;
    place.record_lineage(&id).map_err(|source| LedgerError::Io {
        path,
        action: "record the restored ledger's lineage",
        source,
    })
}
