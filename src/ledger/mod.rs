//! The delivery ledger: one SQLite database (WAL mode) that remembers every send, every
//! recipient's delivery and every suppressed address.
//!
//! A send is *frozen* first (its content and its recipient list written in one transaction),
//! then delivered row by row. A row goes `queued` -> `sending` (committed before the SMTP
//! transaction starts) -> `sent` or `failed` (committed as soon as the reply arrives). After a
//! crash, `sending` rows are the only uncertain ones: they are sent again, once, with the same
//! Message-ID. Nothing marked `sent` is ever sent again.

pub mod backup;
mod bounces;
pub mod integrity;
pub mod journal;
pub mod lease;
pub mod place;
mod schema;
mod store;
mod types;

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

pub use bounces::{BounceCounts, BounceRecord, Matched};
pub use integrity::Damage;
pub use place::Place;
pub use store::StoreAudience;
use types::{to_json, Json};
pub use types::{
    Counts, Delivery, EventSummary, SendKind, SendRow, SendStatus, SendSummary, Status,
    Suppression, SuppressionReason, NOT_COMPOSED,
};

use crate::subscribers::Subscriber;

/// Errors from the ledger, with what was being done.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// SQLite failed.
    #[error("delivery ledger {path}: {action}: {source}")]
    Sqlite {
        /// The database file.
        path: String,
        /// What crier was doing.
        action: &'static str,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
    /// The ledger is damaged: nothing may trust it until it is restored.
    #[error("delivery ledger {path} is damaged: {damage}. Nothing is sent until it is repaired: restore the newest good backup with `crier state restore FILE` (`crier state list` shows them); the damaged files are kept aside, nothing is deleted")]
    Damaged {
        /// The database file.
        path: String,
        /// What is wrong.
        damage: Damage,
    },
    /// The ledger is missing although the site has sent before: a new one would forget who
    /// unsubscribed.
    #[error("delivery ledger {path} is missing, but this site has sent before ({}). A new, empty ledger would forget who unsubscribed, so crier does not start one: restore the newest backup with `crier state restore FILE`, or, to start over knowingly, `crier state init --new`", evidence.join("; "))]
    Missing {
        /// The database file.
        path: String,
        /// What shows the site has sent.
        evidence: Vec<String>,
    },
    /// A read-only ledger has an older schema, which only a writer can bring up to date.
    #[error("delivery ledger {path} has schema {found} and needs migrating (this crier knows {known}); run `crier state migrate`, or any command that writes, with write access to it")]
    NeedsMigration {
        /// The database file.
        path: String,
        /// Its schema version.
        found: usize,
        /// This crier's.
        known: usize,
    },
    /// This sender's send lease was taken over (it stalled past the lease's expiry): it
    /// stops before sending anything more.
    #[error("delivery ledger {path}: the send lease was taken over by another process; this send stopped (the other process carries on with it)")]
    LeaseLost {
        /// The database file.
        path: String,
    },
    /// A file beside the ledger (its lineage, a backup) cannot be written or read.
    #[error("delivery ledger {path}: {action}: {source}")]
    Io {
        /// The file.
        path: String,
        /// What crier was doing.
        action: &'static str,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

impl LedgerError {
    /// Whether another process holds the ledger's write lock (the request may be retried, or
    /// journaled, instead of failing).
    pub fn is_busy(&self) -> bool {
        matches!(
            self,
            LedgerError::Sqlite {
                source: rusqlite::Error::SqliteFailure(e, _),
                ..
            } if matches!(e.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        )
    }

    /// Whether the ledger is damaged or missing (as opposed to busy, or a failing disk).
    pub fn is_damage(&self) -> bool {
        matches!(
            self,
            LedgerError::Damaged { .. } | LedgerError::Missing { .. }
        ) || matches!(
            self,
            LedgerError::Sqlite {
                source: rusqlite::Error::SqliteFailure(e, _),
                ..
            } if matches!(e.code, rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
        )
    }
}

/// A closure turning a rusqlite error into a [`LedgerError::Sqlite`] about `path`.
pub(crate) fn sqlite_error(
    path: &str,
    action: &'static str,
) -> impl FnOnce(rusqlite::Error) -> LedgerError {
    let path = path.to_owned();
    move |source| LedgerError::Sqlite {
        path,
        action,
        source,
    }
}

/// The columns of `digests`, in the order [`send_row`] reads them.
const SEND_COLUMNS: &str = "id, kind, created, at, summary, outgoing, status";

/// Adds recipients to a send being frozen (see [`Ledger::freeze_with`]).
pub struct Inserter<'a> {
    stmt: rusqlite::Statement<'a>,
    /// Only bounces and complaints keep an address out (a confirmation's send).
    only_hard: bool,
    send_id: &'a str,
    now: DateTime<Utc>,
    count: usize,
    path: &'a str,
}

impl Inserter<'_> {
    /// Queues one recipient (unless suppressed, or already queued). Returns whether it was.
    pub fn add(&mut self, subscriber: &Subscriber) -> Result<bool, LedgerError> {
        let added = self
            .stmt
            .execute(params![
                self.send_id,
                self.count as i64,
                subscriber.list,
                subscriber.email,
                to_json(subscriber),
                self.now,
                subscriber.email.key(),
                self.only_hard
            ])
            .map_err(sqlite_error(self.path, "record recipient"))?;
        self.count += added;
        Ok(added > 0)
    }
}

/// The open ledger.
pub struct Ledger {
    conn: Connection,
    path: String,
}

impl Ledger {
    /// Opens the ledger of `place` for reading and writing, bringing its schema up to date (a
    /// backup is taken first). A missing ledger is created only where the site has never
    /// sent; a damaged one is refused.
    pub fn open(place: &Place) -> Result<Self, LedgerError> {
        match Self::open_existing(place)? {
            Some(ledger) => Ok(ledger),
            None => Self::create(place),
        }
    }

    /// Opens the ledger if it exists, without creating one (previews create no state): `None`
    /// for a site that has never sent; an error for a missing ledger on a site that has.
    pub fn open_existing(place: &Place) -> Result<Option<Self>, LedgerError> {
        if !Self::present(place)? {
            return Ok(None);
        }
        let flags = OpenFlags::default() - OpenFlags::SQLITE_OPEN_CREATE;
        let mut ledger = Self::connect(&place.db, flags)?;
        ledger.upgrade(place)?;
        ledger.check_lineage(place)?;
        Ok(Some(ledger))
    }

    /// Opens the ledger read-only: a page that only reads (or `crier status`) never waits for
    /// a writer and never needs write access to the file. `None` for a site that has never
    /// sent.
    pub fn open_read(place: &Place) -> Result<Option<Self>, LedgerError> {
        if !Self::present(place)? {
            return Ok(None);
        }
        let flags = (OpenFlags::default()
            - OpenFlags::SQLITE_OPEN_CREATE
            - OpenFlags::SQLITE_OPEN_READ_WRITE)
            | OpenFlags::SQLITE_OPEN_READ_ONLY;
        let ledger = Self::connect(&place.db, flags)?;
        let found = schema::version(&ledger.conn).map_err(ledger.fail("read schema version"))?;
        if found != schema::VERSION {
            if found > schema::VERSION {
                return Err(sqlite_error(&ledger.path, "read schema version")(
                    schema::too_new(found),
                ));
            }
            return Err(LedgerError::NeedsMigration {
                path: ledger.path,
                found,
                known: schema::VERSION,
            });
        }
        ledger.check_lineage(place)?;
        Ok(Some(ledger))
    }

    /// Opens a copy of a ledger (a backup) read-only, to read from it.
    pub fn open_copy(path: &Path) -> Result<Self, LedgerError> {
        let display = path.display().to_string();
        integrity::inspect(path).map_err(|damage| LedgerError::Damaged {
            path: display,
            damage,
        })?;
        let flags = (OpenFlags::default()
            - OpenFlags::SQLITE_OPEN_CREATE
            - OpenFlags::SQLITE_OPEN_READ_WRITE)
            | OpenFlags::SQLITE_OPEN_READ_ONLY;
        Self::connect(path, flags)
    }

    /// Whether the ledger file exists (after checking its bytes look like a ledger's); a
    /// missing one is an error where the site has sent before.
    fn present(place: &Place) -> Result<bool, LedgerError> {
        let path = place.db.display().to_string();
        match std::fs::symlink_metadata(&place.db) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let evidence = place.evidence();
                if evidence.is_empty() {
                    Ok(false)
                } else {
                    Err(LedgerError::Missing { path, evidence })
                }
            }
            Err(e) => Err(LedgerError::Damaged {
                path,
                damage: Damage::Unreadable {
                    detail: e.to_string(),
                },
            }),
            Ok(_) => integrity::inspect(&place.db)
                .map(|()| true)
                .map_err(|damage| LedgerError::Damaged { path, damage }),
        }
    }

    /// Creates a new ledger where none is, atomically: it is built under a temporary name and
    /// linked into place, so no other process ever sees a half-made (empty) file. If another
    /// process created one meanwhile, that one is opened.
    fn create(place: &Place) -> Result<Self, LedgerError> {
        Self::create_new(place)
    }

    /// Creates a new, empty ledger where none is, whatever the site's history says: only for
    /// `crier state init --new`, when an organiser knowingly starts over.
    pub fn create_new(place: &Place) -> Result<Self, LedgerError> {
        let io = |action| {
            let path = place.db.display().to_string();
            move |source| LedgerError::Io {
                path,
                action,
                source,
            }
        };
        std::fs::create_dir_all(place.dir()).map_err(io("create the ledger's folder"))?;
        let unique = crate::util::random::id("").map_err(io("name the new ledger"))?;
        let tmp = place.dir().join(format!(".crier-new-{unique}.db"));
        let _ = std::fs::remove_file(&tmp);
        let built = (|| {
            let mut ledger = Self::connect(&tmp, OpenFlags::default())?;
            schema::migrate(&mut ledger.conn).map_err(ledger.fail("create schema"))?;
            Ok::<_, LedgerError>(())
        })();
        let linked = built.and_then(|()| match std::fs::hard_link(&tmp, &place.db) {
            Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
                Err(io("put the new ledger in place")(e))
            }
            _ => Ok(()),
        });
        for leftover in [
            tmp.clone(),
            integrity::wal_path(&tmp),
            integrity::shm_path(&tmp),
        ] {
            let _ = std::fs::remove_file(leftover);
        }
        linked?;
        Self::open_existing(place)?.ok_or_else(|| LedgerError::Missing {
            path: place.db.display().to_string(),
            evidence: vec!["it vanished right after it was created".into()],
        })
    }

    fn connect(path: &Path, flags: OpenFlags) -> Result<Self, LedgerError> {
        let display = path.display().to_string();
        let conn =
            Connection::open_with_flags(path, flags).map_err(sqlite_error(&display, "open"))?;
        let ledger = Ledger {
            conn,
            path: display,
        };
        // The busy timeout first: switching to WAL needs a moment of the write lock, which
        // another process opening the ledger may hold.
        ledger
            .conn
            .busy_timeout(std::time::Duration::from_secs(30))
            .map_err(ledger.fail("set busy timeout"))?;
        let read_only = flags.contains(OpenFlags::SQLITE_OPEN_READ_ONLY);
        if !read_only {
            ledger
                .conn
                .pragma_update(None, "journal_mode", "WAL")
                .map_err(ledger.fail("enable WAL"))?;
        }
        ledger
            .conn
            .pragma_update(None, "synchronous", "FULL")
            .map_err(ledger.fail("set synchronous"))?;
        // Deleted rows are overwritten, not left in free pages: an erased subscriber must be
        // gone from the file, not just from the tables.
        ledger
            .conn
            .pragma_update(None, "secure_delete", "ON")
            .map_err(ledger.fail("set secure_delete"))?;
        Ok(ledger)
    }

    /// Brings the schema up to date; a ledger with data is backed up first.
    fn upgrade(&mut self, place: &Place) -> Result<(), LedgerError> {
        let found = schema::version(&self.conn).map_err(self.fail("read schema version"))?;
        if found == schema::VERSION {
            return Ok(());
        }
        if found > 0 && found < schema::VERSION {
            let taken = backup::take(self, &place.backups, backup::Kind::BeforeMigration(found))?;
            tracing::info!(backup = %taken.path.display(), from = found, to = schema::VERSION, "ledger backed up before its schema is migrated");
        }
        schema::migrate(&mut self.conn).map_err(self.fail("migrate"))
    }

    /// Refuses a ledger whose lineage differs from the one recorded beside it, and records
    /// the lineage where none is yet.
    fn check_lineage(&self, place: &Place) -> Result<(), LedgerError> {
        let found = self.lineage()?;
        match place.recorded_lineage() {
            Some(expected) if expected != found => Err(LedgerError::Damaged {
                path: self.path.clone(),
                damage: Damage::Replaced { expected, found },
            }),
            Some(_) => Ok(()),
            None if found.is_empty() => Ok(()),
            None => place
                .record_lineage(&found)
                .map_err(|source| LedgerError::Io {
                    path: self.path.clone(),
                    action: "record the ledger's lineage",
                    source,
                }),
        }
    }

    /// This ledger's lineage id (empty for a ledger older than lineage ids).
    pub fn lineage(&self) -> Result<String, LedgerError> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = 'lineage'", [], |r| {
                r.get(0)
            })
            .optional()
            .map(Option::unwrap_or_default)
            .map_err(self.fail("read the ledger's lineage"))
    }

    /// Checks every page and every stored status word (see [`integrity::verify`]): run before
    /// a send trusts the ledger, at start-up and on every backup.
    pub fn verify(&self) -> Result<(), LedgerError> {
        integrity::verify(&self.conn).map_err(|damage| LedgerError::Damaged {
            path: self.path.clone(),
            damage,
        })
    }

    /// How long a write waits for another process's write lock before failing busy.
    pub fn set_busy_timeout(&self, wait: std::time::Duration) -> Result<(), LedgerError> {
        self.conn
            .busy_timeout(wait)
            .map_err(self.fail("set busy timeout"))
    }

    /// The file.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// How far the journal `id` has been applied to this ledger (0: not at all).
    pub fn journal_applied(&self, id: &str) -> Result<u64, LedgerError> {
        self.conn
            .query_row(
                "SELECT seq FROM journal_applied WHERE journal = ?1",
                [id],
                |r| r.get::<_, i64>(0),
            )
            .optional()
            .map(|seq| seq.unwrap_or(0).max(0) as u64)
            .map_err(self.fail("read how far the journal is applied"))
    }

    fn fail(&self, action: &'static str) -> impl FnOnce(rusqlite::Error) -> LedgerError {
        sqlite_error(&self.path, action)
    }

    /// Freezes a send and its recipients in one transaction, with recipients streamed in by
    /// `fill` (lists of any length are frozen without holding them in memory). Suppressed
    /// addresses are left out. Nothing is written if `fill` fails. Returns the number queued.
    pub fn freeze_with<E: From<LedgerError>>(
        &mut self,
        send: &SendRow,
        now: DateTime<Utc>,
        fill: impl FnOnce(&mut Inserter<'_>) -> Result<(), E>,
    ) -> Result<usize, E> {
        let path = self.path.clone();
        let fail = |action| sqlite_error(&path, action);
        let tx = self.conn.transaction().map_err(fail("begin freeze"))?;
        tx.execute(
            "INSERT INTO digests (id, kind, created, at, summary, outgoing, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                send.id,
                send.kind,
                send.created,
                send.at,
                to_json(&send.summary),
                to_json(&send.outgoing),
                SendStatus::Sending
            ],
        )
        .map_err(fail("record send"))?;
        let count = {
            let stmt = tx
                .prepare(
                    "INSERT OR IGNORE INTO deliveries (digest_id, seq, list, address, subscriber, status, updated, address_key)
                     SELECT ?1, ?2, ?3, ?4, ?5, 'queued', ?6, ?7
                     WHERE NOT EXISTS (SELECT 1 FROM suppressions WHERE address = ?7
                         AND (?8 = 0 OR reason != 'unsubscribed'))",
                )
                .map_err(fail("prepare recipients"))?;
            let mut inserter = Inserter {
                stmt,
                only_hard: !send.kind.suppressed_by(SuppressionReason::Unsubscribed),
                send_id: &send.id,
                now,
                count: 0,
                path: &path,
            };
            fill(&mut inserter)?;
            inserter.count
        };
        tx.commit().map_err(fail("commit freeze"))?;
        Ok(count)
    }

    /// Whether a send with this id was already frozen.
    pub fn exists(&self, send_id: &str) -> Result<bool, LedgerError> {
        self.conn
            .query_row(
                "SELECT count(*) FROM digests WHERE id = ?1",
                [send_id],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n > 0)
            .map_err(self.fail("look up send"))
    }

    /// The oldest send that is not finished, if any (to resume).
    pub fn unfinished(&self) -> Result<Option<SendRow>, LedgerError> {
        self.conn
            .query_row(
                &format!("SELECT {SEND_COLUMNS} FROM digests WHERE status = 'sending' AND kind IN ('digest', 'post', 'reminder') ORDER BY created, id LIMIT 1"),
                [],
                send_row,
            )
            .optional()
            .map_err(self.fail("find unfinished send"))
    }

    /// Transactional sends (confirmations, previews) not finished (their server was
    /// unavailable), oldest first: each is retried until delivered or refused.
    pub fn unfinished_transactional(&self) -> Result<Vec<SendRow>, LedgerError> {
        self.sends_where(
            "kind IN ('confirmation', 'preview') AND status = 'sending'",
            "find unfinished transactional sends",
        )
    }

    /// The newest send of the post with this file slug, if it was sent (or is being sent).
    pub fn post_send(&self, file_slug: &str) -> Result<Option<SendRow>, LedgerError> {
        self.conn
            .query_row(
                &format!(
                    "SELECT {SEND_COLUMNS} FROM digests WHERE kind = 'post' AND json_extract(summary, '$.post') = ?1 ORDER BY created DESC, id DESC LIMIT 1"
                ),
                [file_slug],
                send_row,
            )
            .optional()
            .map_err(self.fail("look up the post's sends"))
    }

    /// The last newsletter sends (digests, posts, reminders), newest first.
    pub fn recent(&self, limit: usize) -> Result<Vec<SendRow>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {SEND_COLUMNS} FROM digests WHERE kind IN ('digest', 'post', 'reminder') ORDER BY created DESC, id DESC LIMIT ?1"
            ))
            .map_err(self.fail("list sends"))?;
        let rows = stmt
            .query_map([limit as i64], send_row)
            .map_err(self.fail("list sends"))?;
        rows.collect::<Result<_, _>>()
            .map_err(self.fail("list sends"))
    }

    /// Every digest, oldest first (by the time it was composed for): the archive pages are
    /// named in this order, so a name taken by an earlier digest stays with it.
    pub fn digests(&self) -> Result<Vec<SendRow>, LedgerError> {
        self.sends_where("kind = 'digest'", "list digests")
    }

    /// The digests that went out, oldest first: finished, and accepted by the server for at
    /// least one recipient. These are the ones the archive publishes.
    pub fn sent_digests(&self) -> Result<Vec<SendRow>, LedgerError> {
        self.sends_where(
            "kind = 'digest' AND status = 'done' AND EXISTS \
             (SELECT 1 FROM deliveries WHERE digest_id = digests.id AND status = 'sent')",
            "list sent digests",
        )
    }

    fn sends_where(
        &self,
        filter: &'static str,
        action: &'static str,
    ) -> Result<Vec<SendRow>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {SEND_COLUMNS} FROM digests WHERE {filter} ORDER BY at, created, id"
            ))
            .map_err(self.fail(action))?;
        let rows = stmt.query_map([], send_row).map_err(self.fail(action))?;
        rows.collect::<Result<_, _>>().map_err(self.fail(action))
    }

    /// The last *digest* (not a single post), by the time it was composed for: new recaps
    /// start there, and `only_if_new` compares against what it said.
    pub fn last_digest(&self) -> Result<Option<SendRow>, LedgerError> {
        self.conn
            .query_row(
                &format!("SELECT {SEND_COLUMNS} FROM digests WHERE kind = 'digest' ORDER BY at DESC, created DESC LIMIT 1"),
                [],
                send_row,
            )
            .optional()
            .map_err(self.fail("find last digest"))
    }

    /// When the newest *digest* was frozen (to tell whether a scheduled slot was served; a
    /// single post sent by hand does not serve a digest slot).
    pub fn last_digest_created(&self) -> Result<Option<DateTime<Utc>>, LedgerError> {
        self.conn
            .query_row(
                "SELECT max(created) FROM digests WHERE kind = 'digest'",
                [],
                |r| r.get(0),
            )
            .map_err(self.fail("find last digest"))
    }

    /// At most `limit` pending deliveries (queued, or uncertain after a crash) with `seq`
    /// after `after`, in order: the sender pages through a large send instead of loading it.
    pub fn pending_after(
        &self,
        send_id: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Delivery>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT seq, subscriber, status, attempts, last_reply FROM deliveries
                 WHERE digest_id = ?1 AND status IN ('queued', 'sending') AND seq > ?2 ORDER BY seq LIMIT ?3",
            )
            .map_err(self.fail("list pending deliveries"))?;
        let rows = stmt
            .query_map(params![send_id, after, limit], |r| {
                Ok(Delivery {
                    seq: r.get(0)?,
                    subscriber: r.get::<_, Json<Subscriber>>(1)?.0,
                    status: r.get(2)?,
                    attempts: r.get(3)?,
                    last_reply: r.get(4)?,
                })
            })
            .map_err(self.fail("list pending deliveries"))?;
        rows.collect::<Result<_, _>>()
            .map_err(self.fail("list pending deliveries"))
    }

    /// Starts a transaction: the marks until [`Self::commit`] are written (and synced) together.
    pub fn begin(&self) -> Result<(), LedgerError> {
        self.conn
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(self.fail("begin transaction"))
    }

    /// Rolls back the transaction started by [`Self::begin`].
    pub fn rollback(&self) -> Result<(), LedgerError> {
        self.conn
            .execute_batch("ROLLBACK")
            .map_err(self.fail("roll back"))
    }

    /// Commits the transaction started by [`Self::begin`].
    pub fn commit(&self) -> Result<(), LedgerError> {
        self.conn
            .execute_batch("COMMIT")
            .map_err(self.fail("commit"))
    }

    /// Records a state change (and the reply, and one more attempt if `attempted`).
    pub fn mark(
        &self,
        send_id: &str,
        address: &str,
        status: Status,
        reply: Option<&str>,
        attempted: bool,
        now: DateTime<Utc>,
    ) -> Result<(), LedgerError> {
        self.conn
            .execute(
                "UPDATE deliveries SET status = ?3, last_reply = coalesce(?4, last_reply),
                 attempts = attempts + ?5, updated = ?6 WHERE digest_id = ?1 AND address = ?2",
                params![send_id, address, status, reply, i64::from(attempted), now],
            )
            .map(|_| ())
            .map_err(self.fail("record delivery"))
    }

    /// Marks the send done when no delivery is left queued or sending.
    pub fn finish_if_done(&self, send_id: &str) -> Result<bool, LedgerError> {
        if self.counts(send_id)?.pending() > 0 {
            return Ok(false);
        }
        self.conn
            .execute(
                "UPDATE digests SET status = ?2 WHERE id = ?1",
                params![send_id, SendStatus::Done],
            )
            .map_err(self.fail("finish send"))?;
        Ok(true)
    }

    /// Counts per status.
    pub fn counts(&self, send_id: &str) -> Result<Counts, LedgerError> {
        let mut stmt = self
            .conn
            .prepare("SELECT status, count(*) FROM deliveries WHERE digest_id = ?1 GROUP BY status")
            .map_err(self.fail("count deliveries"))?;
        let mut counts = Counts::default();
        let rows = stmt
            .query_map([send_id], |r| {
                Ok((r.get::<_, Status>(0)?, r.get::<_, i64>(1)?))
            })
            .map_err(self.fail("count deliveries"))?;
        for row in rows {
            let (status, n) = row.map_err(self.fail("count deliveries"))?;
            match status {
                Status::Queued => counts.queued = n,
                Status::Sending => counts.sending = n,
                Status::Sent => counts.sent = n,
                Status::Failed => counts.failed = n,
                Status::Skipped => counts.skipped = n,
            }
        }
        Ok(counts)
    }

    /// Failed deliveries whose message could not be composed (see [`NOT_COMPOSED`]).
    pub fn not_composed(&self, send_id: &str) -> Result<i64, LedgerError> {
        self.conn
            .query_row(
                "SELECT count(*) FROM deliveries WHERE digest_id = ?1 AND status = 'failed' AND substr(last_reply, 1, ?3) = ?2",
                params![send_id, NOT_COMPOSED, NOT_COMPOSED.len() as i64],
                |r| r.get(0),
            )
            .map_err(self.fail("count failures to compose"))
    }

    /// Failed deliveries with their replies.
    pub fn failures(&self, send_id: &str) -> Result<Vec<(String, String)>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare("SELECT address, coalesce(last_reply, '') FROM deliveries WHERE digest_id = ?1 AND status = 'failed' ORDER BY seq")
            .map_err(self.fail("list failures"))?;
        let rows = stmt
            .query_map([send_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(self.fail("list failures"))?;
        rows.collect::<Result<_, _>>()
            .map_err(self.fail("list failures"))
    }

    /// Never mail `address` again. Idempotent: the first reason is kept.
    pub fn suppress(
        &self,
        address: &str,
        reason: SuppressionReason,
        detail: &str,
        now: DateTime<Utc>,
    ) -> Result<(), LedgerError> {
        self.conn
            .execute(
                "INSERT INTO suppressions (address, reason, detail, at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT(address) DO NOTHING",
                params![address_key(address), reason, detail, now],
            )
            .map(|_| ())
            .map_err(self.fail("suppress address"))
    }

    /// Why `address` is suppressed, if it is.
    pub fn suppressed(&self, address: &str) -> Result<Option<Suppression>, LedgerError> {
        self.conn
            .query_row(
                "SELECT address, reason, detail, at FROM suppressions WHERE address = ?1",
                [address_key(address)],
                suppression_row,
            )
            .optional()
            .map_err(self.fail("check suppression"))
    }

    /// Every suppressed address (lower-cased) with its reason: few enough to hold while a
    /// send is planned.
    pub fn suppressions(&self) -> Result<HashMap<String, Suppression>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare("SELECT address, reason, detail, at FROM suppressions")
            .map_err(self.fail("list suppressions"))?;
        let rows = stmt
            .query_map([], suppression_row)
            .map_err(self.fail("list suppressions"))?;
        rows.map(|r| r.map(|s| (s.address.clone(), s)))
            .collect::<Result<_, _>>()
            .map_err(self.fail("list suppressions"))
    }
}

/// How an address is compared and stored as a key: see [`crate::subscribers::address`].
pub fn address_key(address: &str) -> String {
    crate::subscribers::address::key_of(address)
}

fn send_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SendRow> {
    Ok(SendRow {
        id: r.get(0)?,
        kind: r.get(1)?,
        created: r.get(2)?,
        at: r.get(3)?,
        summary: r.get::<_, Json<SendSummary>>(4)?.0,
        outgoing: r.get::<_, Json<crate::email::Outgoing>>(5)?.0,
        status: r.get(6)?,
    })
}

fn suppression_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Suppression> {
    Ok(Suppression {
        address: r.get(0)?,
        reason: r.get(1)?,
        detail: r.get(2)?,
        at: r.get(3)?,
    })
}

#[cfg(test)]
mod tests;
