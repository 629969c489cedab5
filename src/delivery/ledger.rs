//! The delivery ledger: one SQLite database (WAL mode) that remembers every digest, every
//! recipient's delivery and every suppressed address.
//!
//! A digest is *frozen* first (its content and its recipient list written in one transaction),
//! then delivered row by row. A row goes `queued` -> `sending` (committed before the SMTP
//! transaction starts) -> `sent` or `failed` (committed as soon as the reply arrives). After a
//! crash, `sending` rows are the only uncertain ones: they are sent again, once, with the same
//! Message-ID. Nothing marked `sent` is ever sent again.

use std::path::Path;

use chrono::{DateTime, FixedOffset};
use rusqlite::{params, Connection, OptionalExtension};

/// Schema migrations, applied in order; `PRAGMA user_version` records how many ran.
const MIGRATIONS: &[&str] = &["CREATE TABLE digests (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        created TEXT NOT NULL,
        at TEXT NOT NULL,
        summary TEXT NOT NULL,
        outgoing TEXT NOT NULL,
        status TEXT NOT NULL
    );
    CREATE TABLE deliveries (
        digest_id TEXT NOT NULL REFERENCES digests(id),
        seq INTEGER NOT NULL,
        list TEXT NOT NULL,
        address TEXT NOT NULL,
        subscriber TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_reply TEXT,
        updated TEXT NOT NULL,
        PRIMARY KEY (digest_id, address)
    );
    CREATE INDEX deliveries_status ON deliveries(digest_id, status, seq);
    CREATE TABLE suppressions (
        address TEXT PRIMARY KEY,
        reason TEXT NOT NULL,
        at TEXT NOT NULL
    );"];

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

/// A delivery's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Not yet attempted, or waiting for a retry.
    Queued,
    /// An SMTP transaction was started and its outcome is not recorded (in flight, or crashed).
    Sending,
    /// Accepted by the server.
    Sent,
    /// Refused permanently.
    Failed,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Queued => "queued",
            Status::Sending => "sending",
            Status::Sent => "sent",
            Status::Failed => "failed",
        }
    }
}

/// One row of `deliveries`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Order within the digest.
    pub seq: i64,
    /// List name.
    pub list: String,
    /// Address.
    pub address: String,
    /// The subscriber as JSON (name and columns, for personalising on resume).
    pub subscriber: String,
    /// Current state.
    pub status: String,
    /// SMTP attempts so far.
    pub attempts: i64,
    /// The last SMTP reply or error.
    pub last_reply: Option<String>,
}

/// A frozen digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestRow {
    /// Digest id (content hash plus time).
    pub id: String,
    /// `digest` or `post`.
    pub kind: String,
    /// When it was frozen.
    pub created: String,
    /// The send time it was composed for.
    pub at: String,
    /// Human summary (JSON): recaps and event.
    pub summary: String,
    /// What to compose (JSON of the outgoing data).
    pub outgoing: String,
    /// `sending` until every row is sent or failed, then `done`.
    pub status: String,
}

/// Adds recipients to a digest being frozen (see [`Ledger::freeze_with`]).
pub struct Inserter<'a> {
    stmt: rusqlite::Statement<'a>,
    digest_id: &'a str,
    now: String,
    count: usize,
    path: &'a str,
}

impl Inserter<'_> {
    /// Queues one recipient (unless suppressed).
    pub fn add(&mut self, list: &str, address: &str, subscriber: &str) -> Result<(), LedgerError> {
        let added = self
            .stmt
            .execute(params![
                self.digest_id,
                self.count as i64,
                list,
                address,
                subscriber,
                self.now
            ])
            .map_err(|source| LedgerError {
                path: self.path.to_owned(),
                action: "record recipient",
                source,
            })?;
        self.count += added;
        Ok(())
    }
}

/// Counts per status for one digest.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Queued (including waiting for retry).
    pub queued: i64,
    /// In flight or uncertain.
    pub sending: i64,
    /// Delivered to the server.
    pub sent: i64,
    /// Refused permanently.
    pub failed: i64,
}

/// The open ledger.
pub struct Ledger {
    conn: Connection,
    path: String,
}

impl Ledger {
    /// Opens (creating if needed) the ledger at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self, LedgerError> {
        let display = path.display().to_string();
        let err = |action| {
            let path = display.clone();
            move |source| LedgerError {
                path,
                action,
                source,
            }
        };
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let conn = Connection::open(path).map_err(err("open"))?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err("enable WAL"))?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(err("set synchronous"))?;
        conn.busy_timeout(std::time::Duration::from_secs(30))
            .map_err(err("set busy timeout"))?;
        let mut ledger = Ledger {
            conn,
            path: display,
        };
        ledger.migrate()?;
        Ok(ledger)
    }

    fn fail(&self, action: &'static str) -> impl FnOnce(rusqlite::Error) -> LedgerError + '_ {
        move |source| LedgerError {
            path: self.path.clone(),
            action,
            source,
        }
    }

    fn migrate(&mut self) -> Result<(), LedgerError> {
        let version: usize = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|source| LedgerError {
                path: self.path.clone(),
                action: "read schema version",
                source,
            })?;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
            let path = self.path.clone();
            let tx = self.conn.transaction().map_err(|source| LedgerError {
                path: path.clone(),
                action: "migrate",
                source,
            })?;
            tx.execute_batch(sql).map_err(|source| LedgerError {
                path: path.clone(),
                action: "migrate",
                source,
            })?;
            tx.pragma_update(None, "user_version", i + 1)
                .map_err(|source| LedgerError {
                    path: path.clone(),
                    action: "migrate",
                    source,
                })?;
            tx.commit().map_err(|source| LedgerError {
                path,
                action: "migrate",
                source,
            })?;
        }
        Ok(())
    }

    /// Freezes a digest and its recipients in one transaction. Suppressed addresses are left
    /// out. Returns the number of deliveries queued.
    pub fn freeze(
        &mut self,
        digest: &DigestRow,
        recipients: impl IntoIterator<Item = (String, String, String)>,
        now: DateTime<FixedOffset>,
    ) -> Result<usize, LedgerError> {
        self.freeze_with(digest, now, |insert| {
            for (list, address, subscriber) in recipients {
                insert.add(&list, &address, &subscriber)?;
            }
            Ok::<(), LedgerError>(())
        })
    }

    /// Like [`Self::freeze`], with recipients streamed in by `fill` (lists of any length are
    /// frozen without holding them in memory). Nothing is written if `fill` fails.
    pub fn freeze_with<E: From<LedgerError>>(
        &mut self,
        digest: &DigestRow,
        now: DateTime<FixedOffset>,
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
            "INSERT INTO digests (id, kind, created, at, summary, outgoing, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'sending')",
            params![digest.id, digest.kind, digest.created, digest.at, digest.summary, digest.outgoing],
        )
        .map_err(fail("record digest"))?;
        let count = {
            let stmt = tx
                .prepare(
                    "INSERT OR IGNORE INTO deliveries (digest_id, seq, list, address, subscriber, status, updated)
                     SELECT ?1, ?2, ?3, ?4, ?5, 'queued', ?6
                     WHERE NOT EXISTS (SELECT 1 FROM suppressions WHERE address = lower(?4))",
                )
                .map_err(fail("prepare recipients"))?;
            let mut inserter = Inserter {
                stmt,
                digest_id: &digest.id,
                now: now.to_rfc3339(),
                count: 0,
                path: &path,
            };
            fill(&mut inserter)?;
            inserter.count
        };
        tx.commit().map_err(fail("commit freeze"))?;
        Ok(count)
    }

    /// Whether a digest with this id was already frozen.
    pub fn exists(&self, digest_id: &str) -> Result<bool, LedgerError> {
        self.conn
            .query_row(
                "SELECT count(*) FROM digests WHERE id = ?1",
                [digest_id],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n > 0)
            .map_err(self.fail("look up digest"))
    }

    /// The oldest digest that is not finished, if any (to resume).
    pub fn unfinished(&self) -> Result<Option<DigestRow>, LedgerError> {
        self.conn
            .query_row(
                "SELECT id, kind, created, at, summary, outgoing, status FROM digests WHERE status = 'sending' ORDER BY created LIMIT 1",
                [],
                digest_row,
            )
            .optional()
            .map_err(self.fail("find unfinished digest"))
    }

    /// The last digests, newest first.
    pub fn recent(&self, limit: usize) -> Result<Vec<DigestRow>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, kind, created, at, summary, outgoing, status FROM digests ORDER BY created DESC LIMIT ?1")
            .map_err(self.fail("list digests"))?;
        let rows = stmt
            .query_map([limit as i64], digest_row)
            .map_err(self.fail("list digests"))?;
        rows.collect::<Result<_, _>>()
            .map_err(self.fail("list digests"))
    }

    /// When the last *digest* (not a single post) was composed for: new recaps start there.
    pub fn last_digest_at(&self) -> Result<Option<String>, LedgerError> {
        self.conn
            .query_row(
                "SELECT max(at) FROM digests WHERE kind = 'digest'",
                [],
                |r| r.get(0),
            )
            .map_err(self.fail("find last digest"))
    }

    /// The summary (recaps and event) of the last digest, to tell whether anything changed.
    pub fn last_digest_summary(&self) -> Result<Option<String>, LedgerError> {
        self.conn
            .query_row(
                "SELECT summary FROM digests WHERE kind = 'digest' ORDER BY at DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.fail("read last digest"))
    }

    /// Deliveries still to do (queued, or uncertain after a crash), in order.
    pub fn pending(&self, digest_id: &str) -> Result<Vec<Delivery>, LedgerError> {
        self.pending_after(digest_id, -1, i64::MAX)
    }

    /// At most `limit` pending deliveries with `seq` after `after`, in order: the sender pages
    /// through a large digest instead of loading it whole.
    pub fn pending_after(
        &self,
        digest_id: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Delivery>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT seq, list, address, subscriber, status, attempts, last_reply FROM deliveries
                 WHERE digest_id = ?1 AND status IN ('queued', 'sending') AND seq > ?2 ORDER BY seq LIMIT ?3",
            )
            .map_err(self.fail("list pending deliveries"))?;
        let rows = stmt
            .query_map(params![digest_id, after, limit], |r| {
                Ok(Delivery {
                    seq: r.get(0)?,
                    list: r.get(1)?,
                    address: r.get(2)?,
                    subscriber: r.get(3)?,
                    status: r.get(4)?,
                    attempts: r.get(5)?,
                    last_reply: r.get(6)?,
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
        digest_id: &str,
        address: &str,
        status: Status,
        reply: Option<&str>,
        attempted: bool,
        now: DateTime<FixedOffset>,
    ) -> Result<(), LedgerError> {
        self.conn
            .execute(
                "UPDATE deliveries SET status = ?3, last_reply = coalesce(?4, last_reply),
                 attempts = attempts + ?5, updated = ?6 WHERE digest_id = ?1 AND address = ?2",
                params![
                    digest_id,
                    address,
                    status.as_str(),
                    reply,
                    i64::from(attempted),
                    now.to_rfc3339()
                ],
            )
            .map(|_| ())
            .map_err(self.fail("record delivery"))
    }

    /// Marks the digest done when no delivery is left queued or sending.
    pub fn finish_if_done(&self, digest_id: &str) -> Result<bool, LedgerError> {
        let counts = self.counts(digest_id)?;
        if counts.queued + counts.sending > 0 {
            return Ok(false);
        }
        self.conn
            .execute(
                "UPDATE digests SET status = 'done' WHERE id = ?1",
                [digest_id],
            )
            .map_err(self.fail("finish digest"))?;
        Ok(true)
    }

    /// Counts per status.
    pub fn counts(&self, digest_id: &str) -> Result<Counts, LedgerError> {
        let mut stmt = self
            .conn
            .prepare("SELECT status, count(*) FROM deliveries WHERE digest_id = ?1 GROUP BY status")
            .map_err(self.fail("count deliveries"))?;
        let mut counts = Counts::default();
        let rows = stmt
            .query_map([digest_id], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
            })
            .map_err(self.fail("count deliveries"))?;
        for row in rows {
            let (status, n) = row.map_err(self.fail("count deliveries"))?;
            match status.as_str() {
                "queued" => counts.queued = n,
                "sending" => counts.sending = n,
                "sent" => counts.sent = n,
                _ => counts.failed += n,
            }
        }
        Ok(counts)
    }

    /// Failed deliveries with their replies.
    pub fn failures(&self, digest_id: &str) -> Result<Vec<(String, String)>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare("SELECT address, coalesce(last_reply, '') FROM deliveries WHERE digest_id = ?1 AND status = 'failed' ORDER BY seq")
            .map_err(self.fail("list failures"))?;
        let rows = stmt
            .query_map([digest_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(self.fail("list failures"))?;
        rows.collect::<Result<_, _>>()
            .map_err(self.fail("list failures"))
    }

    /// Never mail `address` again (unsubscribed or hard-bounced). Idempotent.
    pub fn suppress(
        &self,
        address: &str,
        reason: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<(), LedgerError> {
        self.conn
            .execute(
                "INSERT INTO suppressions (address, reason, at) VALUES (lower(?1), ?2, ?3) ON CONFLICT(address) DO NOTHING",
                params![address, reason, now.to_rfc3339()],
            )
            .map(|_| ())
            .map_err(self.fail("suppress address"))
    }

    /// Why `address` is suppressed, if it is.
    pub fn suppressed(&self, address: &str) -> Result<Option<String>, LedgerError> {
        self.conn
            .query_row(
                "SELECT reason FROM suppressions WHERE address = lower(?1)",
                [address],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.fail("check suppression"))
    }
}

fn digest_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<DigestRow> {
    Ok(DigestRow {
        id: r.get(0)?,
        kind: r.get(1)?,
        created: r.get(2)?,
        at: r.get(3)?,
        summary: r.get(4)?,
        outgoing: r.get(5)?,
        status: r.get(6)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2026-11-30T09:00:00Z").unwrap()
    }

    fn digest(id: &str) -> DigestRow {
        DigestRow {
            id: id.into(),
            kind: "digest".into(),
            created: now().to_rfc3339(),
            at: now().to_rfc3339(),
            summary: "{}".into(),
            outgoing: "{}".into(),
            status: "sending".into(),
        }
    }

    #[test]
    fn freeze_deliver_and_finish_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state/crier.db");
        let mut ledger = Ledger::open(&path).unwrap();
        ledger
            .suppress("Gone@Example.com", "unsubscribed", now())
            .unwrap();
        let recipients = ["a@example.com", "b@example.com", "gone@example.com"]
            .map(|a| ("members".to_owned(), a.to_owned(), "{}".to_owned()));
        assert_eq!(
            ledger.freeze(&digest("d1"), recipients, now()).unwrap(),
            2,
            "suppressed left out"
        );
        ledger
            .mark("d1", "a@example.com", Status::Sending, None, false, now())
            .unwrap();
        ledger
            .mark(
                "d1",
                "a@example.com",
                Status::Sent,
                Some("250 ok"),
                true,
                now(),
            )
            .unwrap();
        ledger
            .mark("d1", "b@example.com", Status::Sending, None, false, now())
            .unwrap();
        drop(ledger);

        // "Crash": reopen; b is uncertain and pending, a is done.
        let ledger = Ledger::open(&path).unwrap();
        assert_eq!(ledger.unfinished().unwrap().unwrap().id, "d1");
        let pending = ledger.pending("d1").unwrap();
        assert_eq!(pending.len(), 1);
        assert_eq!(
            (pending[0].address.as_str(), pending[0].status.as_str()),
            ("b@example.com", "sending")
        );
        ledger
            .mark(
                "d1",
                "b@example.com",
                Status::Failed,
                Some("550 5.1.1 no such user"),
                true,
                now(),
            )
            .unwrap();
        assert!(ledger.finish_if_done("d1").unwrap());
        assert_eq!(
            ledger.counts("d1").unwrap(),
            Counts {
                queued: 0,
                sending: 0,
                sent: 1,
                failed: 1
            }
        );
        assert_eq!(
            ledger.failures("d1").unwrap()[0].1,
            "550 5.1.1 no such user"
        );
        assert!(ledger.unfinished().unwrap().is_none());
        assert_eq!(
            ledger.suppressed("GONE@example.com").unwrap().as_deref(),
            Some("unsubscribed")
        );
        let version: i64 = ledger
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, MIGRATIONS.len() as i64);
    }
}
