//! The ledger's schema and its migrations. `PRAGMA user_version` records how many migrations
//! ran; each runs in its own transaction, so a failed migration leaves the file as it was.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};

/// One schema change.
enum Migration {
    /// Plain SQL.
    Sql(&'static str),
    /// A change that needs Rust (parsing values that SQL cannot).
    Rust(fn(&Transaction<'_>) -> rusqlite::Result<()>),
    /// A change over many rows, made a chunk per transaction (so no transaction holds the
    /// write lock for long) until the step says it is done; safe to stop and run again.
    Chunked(fn(&Transaction<'_>) -> rusqlite::Result<bool>),
}

/// The migrations, in order.
const MIGRATIONS: &[Migration] = &[
    // 1: the first release. Times were RFC 3339 text with the site's offset.
    Migration::Sql(
        "CREATE TABLE digests (
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
        );",
    ),
    // 2: every time in UTC in one format (text comparison of mixed offsets picked the wrong
    // "last digest"); suppression reasons as a word plus a free-text detail.
    Migration::Sql("ALTER TABLE suppressions ADD COLUMN detail TEXT NOT NULL DEFAULT ''"),
    Migration::Rust(times_to_utc_and_reason_words),
    // 3: suppressed addresses lower-cased by Unicode rules (SQLite's lower() folds ASCII
    // only), so every lookup compares the same form.
    Migration::Rust(suppressions_lower_cased),
    // 4: the subscriber store: people who joined on their own or were imported, their status
    // per list with the record of their consent, and the confirmation e-mails sent (for the
    // per-address and hourly limits).
    Migration::Sql(
        "CREATE TABLE people (
            address_key TEXT PRIMARY KEY,
            address TEXT NOT NULL,
            name TEXT,
            attrs TEXT NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL
        );
        CREATE TABLE memberships (
            address_key TEXT NOT NULL,
            list TEXT NOT NULL,
            status TEXT NOT NULL,
            source TEXT NOT NULL,
            opted_in_at TEXT,
            page TEXT,
            ip TEXT,
            confirmed_at TEXT,
            changed_at TEXT NOT NULL,
            PRIMARY KEY (address_key, list)
        );
        CREATE INDEX memberships_list ON memberships(list, status);
        CREATE TABLE confirmation_mails (
            address_key TEXT NOT NULL,
            sent_at TEXT NOT NULL,
            lists TEXT NOT NULL DEFAULT '',
            page TEXT,
            ip TEXT,
            result TEXT NOT NULL DEFAULT 'queued'
        );
        CREATE INDEX confirmation_mails_address ON confirmation_mails(address_key, sent_at);
        CREATE INDEX confirmation_mails_at ON confirmation_mails(sent_at);",
    ),
    // 5: bounce and complaint reports: every decision taken on one (a report imported twice
    // changes nothing: its recipient's row exists), webhook ids already seen (replays), and
    // each delivery's address key, so a report naming only the failed address finds its send.
    Migration::Sql(
        "CREATE TABLE bounce_reports (
            report TEXT NOT NULL,
            recipient_key TEXT NOT NULL,
            source TEXT NOT NULL,
            received_at TEXT NOT NULL,
            send_id TEXT,
            attributed_by TEXT NOT NULL,
            kind TEXT NOT NULL,
            status TEXT,
            reason TEXT NOT NULL,
            detail TEXT NOT NULL,
            action TEXT NOT NULL,
            PRIMARY KEY (report, recipient_key)
        );
        CREATE INDEX bounce_reports_recipient ON bounce_reports(recipient_key, kind, received_at);
        CREATE INDEX bounce_reports_send ON bounce_reports(send_id, kind);
        CREATE TABLE webhook_seen (
            provider TEXT NOT NULL,
            id TEXT NOT NULL,
            seen_at TEXT NOT NULL,
            PRIMARY KEY (provider, id)
        );
        ALTER TABLE deliveries ADD COLUMN address_key TEXT;",
    ),
    Migration::Chunked(delivery_address_keys),
    // 6: the ledger's own facts (its lineage id, so a different or empty ledger put in its
    // place is noticed), the send lease (which process is sending, in the ledger itself
    // rather than in a lock file that can be deleted), and how far each member-request
    // journal has been applied.
    Migration::Sql(
        "CREATE TABLE meta (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        CREATE TABLE leases (
            name TEXT PRIMARY KEY,
            owner TEXT NOT NULL,
            holder TEXT NOT NULL,
            acquired_at TEXT NOT NULL,
            expires_at TEXT NOT NULL
        );
        CREATE TABLE journal_applied (
            journal TEXT PRIMARY KEY,
            seq INTEGER NOT NULL
        );",
    ),
    Migration::Rust(lineage_id),
];

/// How many migrations this release knows.
pub const VERSION: usize = MIGRATIONS.len();

/// The schema version of the open ledger (0 for a new file).
pub fn version(conn: &Connection) -> rusqlite::Result<usize> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
}

/// The error for a ledger written by a newer crier.
pub fn too_new(version: usize) -> rusqlite::Error {
    rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_MISMATCH),
        Some(format!(
            "the ledger was written by a newer crier (schema {version}, this one knows {VERSION}); upgrade crier"
        )),
    )
}

/// Brings the schema up to date. Each step reads the version and applies the next migration
/// inside one immediate (write-locked) transaction, so two processes opening a new ledger at
/// once (the daemon and `crier send`) never both create it. An up-to-date ledger is only
/// read: opening it never waits for another process's write lock.
pub fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    match version(conn)? {
        v if v > VERSION => return Err(too_new(v)),
        VERSION => return Ok(()),
        _ => {}
    }
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version: usize = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version > VERSION {
            return Err(too_new(version));
        }
        let Some(migration) = MIGRATIONS.get(version) else {
            return Ok(());
        };
        let done = match migration {
            Migration::Sql(sql) => tx.execute_batch(sql).map(|()| true)?,
            Migration::Rust(step) => step(&tx).map(|()| true)?,
            Migration::Chunked(step) => step(&tx)?,
        };
        if done {
            tx.pragma_update(None, "user_version", version + 1)?;
        }
        tx.commit()?;
    }
}

/// Parses a stored time (any RFC 3339 offset, or already UTC) into UTC.
fn utc(raw: &str) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| raw.parse::<DateTime<Utc>>())
        .map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(
                0,
                rusqlite::types::Type::Text,
                format!("stored time `{raw}` is not RFC 3339: {e}").into(),
            )
        })
}

fn rewrite_times(tx: &Transaction<'_>, table: &str, columns: &[&str]) -> rusqlite::Result<()> {
    let select = format!("SELECT rowid, {} FROM {table}", columns.join(", "));
    let rows: Vec<(i64, Vec<String>)> = {
        let mut stmt = tx.prepare(&select)?;
        let mapped = stmt.query_map([], |r| {
            let values = (0..columns.len())
                .map(|i| r.get::<_, String>(i + 1))
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok((r.get(0)?, values))
        })?;
        mapped.collect::<rusqlite::Result<_>>()?
    };
    let sets: Vec<String> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{c} = ?{}", i + 2))
        .collect();
    let update = format!("UPDATE {table} SET {} WHERE rowid = ?1", sets.join(", "));
    let mut stmt = tx.prepare(&update)?;
    for (rowid, values) in rows {
        let times = values
            .iter()
            .map(|v| utc(v))
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut bound: Vec<&dyn rusqlite::ToSql> = vec![&rowid];
        bound.extend(times.iter().map(|t| t as &dyn rusqlite::ToSql));
        stmt.execute(bound.as_slice())?;
    }
    Ok(())
}

fn times_to_utc_and_reason_words(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    rewrite_times(tx, "digests", &["created", "at"])?;
    rewrite_times(tx, "deliveries", &["updated"])?;
    rewrite_times(tx, "suppressions", &["at"])?;
    // Release 1 wrote "unsubscribed from <list> via link" and "hard bounce: <reply>".
    let reasons: Vec<(String, String)> = {
        let mut stmt = tx.prepare("SELECT address, reason FROM suppressions")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    for (address, old) in reasons {
        let (word, detail) = match old.strip_prefix("hard bounce: ") {
            Some(reply) => ("bounced", reply.to_owned()),
            None if old.starts_with("complain") => ("complained", old.clone()),
            None => ("unsubscribed", old.clone()),
        };
        tx.execute(
            "UPDATE suppressions SET reason = ?2, detail = ?3 WHERE address = ?1",
            params![address, word, detail],
        )?;
    }
    Ok(())
}

/// Rows a chunked migration changes per transaction (a few milliseconds of work each).
const CHUNK: i64 = 2000;

/// Fills in the address key of every delivery frozen before migration 5 (by crier's own
/// Unicode lower-casing, which SQL cannot do), a chunk at a time, then indexes it.
fn delivery_address_keys(tx: &Transaction<'_>) -> rusqlite::Result<bool> {
    let rows: Vec<(i64, String)> = {
        let mut stmt =
            tx.prepare("SELECT rowid, address FROM deliveries WHERE address_key IS NULL LIMIT ?1")?;
        let rows = stmt.query_map([CHUNK], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut update = tx.prepare("UPDATE deliveries SET address_key = ?2 WHERE rowid = ?1")?;
    for (rowid, address) in &rows {
        update.execute(params![rowid, super::address_key(address)])?;
    }
    if rows.len() as i64 == CHUNK {
        return Ok(false);
    }
    tx.execute_batch(
        "CREATE INDEX IF NOT EXISTS deliveries_address_key ON deliveries(address_key)",
    )?;
    Ok(true)
}

/// Gives the ledger its lineage id.
fn lineage_id(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    let id = crate::util::random::id("ledger-").map_err(|e| {
        rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_IOERR),
            Some(format!("cannot read random bytes for the ledger's id: {e}")),
        )
    })?;
    tx.execute(
        "INSERT OR IGNORE INTO meta (key, value) VALUES ('lineage', ?1)",
        [id],
    )?;
    Ok(())
}

fn suppressions_lower_cased(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    let rows: Vec<(String, String)> = {
        let mut stmt = tx.prepare("SELECT address, at FROM suppressions")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    for (address, at) in rows {
        let key = super::address_key(&address);
        if key == address {
            continue;
        }
        // Two spellings of one address: the earlier suppression is kept.
        let other: Option<String> = tx
            .query_row(
                "SELECT at FROM suppressions WHERE address = ?1",
                [&key],
                |r| r.get(0),
            )
            .optional()?;
        match other {
            Some(other_at) if other_at <= at => {
                tx.execute("DELETE FROM suppressions WHERE address = ?1", [&address])?;
            }
            Some(_) => {
                tx.execute("DELETE FROM suppressions WHERE address = ?1", [&key])?;
                tx.execute(
                    "UPDATE suppressions SET address = ?2 WHERE address = ?1",
                    params![address, key],
                )?;
            }
            None => {
                tx.execute(
                    "UPDATE suppressions SET address = ?2 WHERE address = ?1",
                    params![address, key],
                )?;
            }
        }
    }
    Ok(())
}

/// One chunk of the address-key migration, for its test.
#[cfg(test)]
pub(super) fn step_for_tests(tx: &Transaction<'_>) -> bool {
    delivery_address_keys(tx).unwrap()
}

#[cfg(test)]
pub(super) fn create_v1(conn: &Connection) -> rusqlite::Result<()> {
    if let Migration::Sql(sql) = &MIGRATIONS[0] {
        conn.execute_batch(sql)?;
    }
    conn.pragma_update(None, "user_version", 1)
}
