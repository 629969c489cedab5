//! The delivery ledger: one SQLite database (WAL mode) that remembers every send, every
//! recipient's delivery and every suppressed address.
//!
//! A send is *frozen* first (its content and its recipient list written in one transaction),
//! then delivered row by row. A row goes `queued` -> `sending` (committed before the SMTP
//! transaction starts) -> `sent` or `failed` (committed as soon as the reply arrives). After a
//! crash, `sending` rows are the only uncertain ones: they are sent again, once, with the same
//! Message-ID. Nothing marked `sent` is ever sent again.

mod bounces;
mod schema;
mod store;
mod types;

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

pub use bounces::{BounceCounts, BounceRecord, Matched};
use types::{to_json, Json};
pub use types::{
    Counts, Delivery, EventSummary, SendKind, SendRow, SendStatus, SendSummary, Status,
    Suppression, SuppressionReason,
};

use crate::subscribers::Subscriber;

/// Errors from the ledger, with what was being done.
#[derive(Debug, thiserror::Error)]
#[error("delivery ledger {path}: {action}: {source}")]
pub struct LedgerError {
    /// The database file.
    pub path: String,
    /// What crier was doing.
    pub action: &'static str,
    /// SQLite's error.
    #[source]
    pub source: rusqlite::Error,
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
            .map_err(|source| LedgerError {
                path: self.path.to_owned(),
                action: "record recipient",
                source,
            })?;
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
    /// Opens (creating if needed) the ledger at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self, LedgerError> {
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        Self::open_with(path, OpenFlags::default())
    }

    /// Opens the ledger if it exists, without creating it (previews create no state). An
    /// older schema is still brought up to date: that changes the file's format, not what it
    /// records.
    pub fn open_existing(path: &Path) -> Result<Option<Self>, LedgerError> {
        if !path.exists() {
            return Ok(None);
        }
        let flags = OpenFlags::default() - OpenFlags::SQLITE_OPEN_CREATE;
        Self::open_with(path, flags).map(Some)
    }

    fn open_with(path: &Path, flags: OpenFlags) -> Result<Self, LedgerError> {
        let display = path.display().to_string();
        let err = |action| {
            let path = display.clone();
            move |source| LedgerError {
                path,
                action,
                source,
            }
        };
        let mut conn = Connection::open_with_flags(path, flags).map_err(err("open"))?;
        // The busy timeout first: switching to WAL needs a moment of the write lock, which
        // another process opening the ledger may hold.
        conn.busy_timeout(std::time::Duration::from_secs(30))
            .map_err(err("set busy timeout"))?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err("enable WAL"))?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(err("set synchronous"))?;
        // Deleted rows are overwritten, not left in free pages: an erased subscriber must be
        // gone from the file, not just from the tables.
        conn.pragma_update(None, "secure_delete", "ON")
            .map_err(err("set secure_delete"))?;
        schema::migrate(&mut conn).map_err(err("migrate"))?;
        Ok(Ledger {
            conn,
            path: display,
        })
    }

    fn fail(&self, action: &'static str) -> impl FnOnce(rusqlite::Error) -> LedgerError + '_ {
        move |source| LedgerError {
            path: self.path.clone(),
            action,
            source,
        }
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
        let fail = |action| {
            let path = path.clone();
            move |source| LedgerError {
                path,
                action,
                source,
            }
        };
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
