//! The subscriber store in the ledger's SQLite file (see [`crate::subscribers::store`]): the
//! rows and the transactions that read and write them. The rules about people are in the
//! subscriptions service; nothing here decides anything.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};

use super::types::{to_json, Json};
use super::{Ledger, LedgerError};
use crate::subscribers::store::{
    Consent, Filter, FormOrigin, MemberStatus, Membership, PeopleTx, Person, Store,
};
use crate::subscribers::{Address, Subscriber, Suppression, SuppressionReason};

impl rusqlite::types::ToSql for MemberStatus {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(self.as_str().into())
    }
}

impl rusqlite::types::FromSql for MemberStatus {
    fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        let word = value.as_str()?;
        MemberStatus::parse(word).ok_or_else(|| {
            rusqlite::types::FromSqlError::Other(format!("unknown member status `{word}`").into())
        })
    }
}

const PERSON_COLUMNS: &str = "address_key, address, name, attrs, created_at";
const MEMBERSHIP_COLUMNS: &str =
    "list, status, source, opted_in_at, page, ip, confirmed_at, changed_at";

fn person_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Person> {
    Ok(Person {
        address: r.get(1)?,
        name: r.get(2)?,
        attrs: r.get::<_, Json<BTreeMap<String, String>>>(3)?.0,
        created_at: r.get(4)?,
        memberships: Vec::new(),
    })
}

fn membership_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Membership> {
    Ok(Membership {
        list: r.get(0)?,
        status: r.get(1)?,
        consent: Consent {
            source: r.get(2)?,
            opted_in_at: r.get(3)?,
            page: r.get(4)?,
            ip: r.get(5)?,
            confirmed_at: r.get(6)?,
        },
        changed_at: r.get(7)?,
    })
}

pub(super) fn suppression_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Suppression> {
    Ok(Suppression {
        address: r.get(0)?,
        reason: r.get(1)?,
        detail: r.get(2)?,
        at: r.get(3)?,
    })
}

/// Reads one person with their memberships.
fn load_person(conn: &Connection, key: &str) -> rusqlite::Result<Option<Person>> {
    let person = conn
        .query_row(
            &format!("SELECT {PERSON_COLUMNS} FROM people WHERE address_key = ?1"),
            [key],
            person_row,
        )
        .optional()?;
    let Some(mut person) = person else {
        return Ok(None);
    };
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {MEMBERSHIP_COLUMNS} FROM memberships WHERE address_key = ?1 ORDER BY list"
    ))?;
    person.memberships = stmt
        .query_map([key], membership_row)?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Some(person))
}

/// (address key, list) -> the status of someone who left that list or bounced.
pub type OptOuts = HashMap<(String, String), MemberStatus>;

/// Who the subscriber store puts on a send's lists.
#[derive(Debug, Clone, Default)]
pub struct StoreAudience {
    /// Confirmed members, list by list.
    pub members: Vec<Subscriber>,
    /// Every (address key, list) left, bounced or complained: a CSV row there is skipped.
    pub opted_out: OptOuts,
    /// People on the send's lists who do not get them: (address, list, status), so every
    /// count names them with a reason.
    pub not_receiving: Vec<(String, String, MemberStatus)>,
}

/// One write transaction of the store; its errors name the file and what was being done.
pub struct SqliteTx<'a> {
    tx: &'a Transaction<'a>,
    path: &'a str,
    action: &'static str,
}

impl SqliteTx<'_> {
    fn fail(&self) -> impl Fn(rusqlite::Error) -> LedgerError + '_ {
        move |source| LedgerError::Sqlite {
            path: self.path.to_owned(),
            action: self.action,
            source,
        }
    }

    /// Runs `f` on the transaction, its error as a [`LedgerError`].
    fn run<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> rusqlite::Result<T>,
    ) -> Result<T, LedgerError> {
        f(self.tx).map_err(self.fail())
    }

    fn keyed_rows_of_deliveries(&self, key: &str) -> rusqlite::Result<Vec<(i64, String)>> {
        // Delivery rows keep the address as the list wrote it: compare with crier's own
        // (Unicode) lower-casing, not SQLite's ASCII-only lower(). Streamed, keeping only the
        // matching row ids: the table holds every delivery ever.
        let mut stmt = self
            .tx
            .prepare("SELECT rowid, address, digest_id FROM deliveries")?;
        let mut rows = stmt.query([])?;
        let mut ids = Vec::new();
        while let Some(row) = rows.next()? {
            let stored: String = row.get(1)?;
            if Address::unchecked(&stored).key() == key {
                ids.push((row.get(0)?, row.get(2)?));
            }
        }
        Ok(ids)
    }
}

impl PeopleTx for SqliteTx<'_> {
    type Error = LedgerError;

    fn person(&mut self, key: &str) -> Result<Option<Person>, LedgerError> {
        self.run(|tx| load_person(tx, key))
    }

    fn put_person(
        &mut self,
        address: &Address,
        name: Option<&str>,
        attrs: &BTreeMap<String, String>,
        now: DateTime<Utc>,
    ) -> Result<(), LedgerError> {
        self.run(|tx| {
            tx.execute(
                "INSERT INTO people (address_key, address, name, attrs, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT(address_key) DO UPDATE SET name = ?3, attrs = ?4",
                params![address.key(), address.as_str(), name, to_json(attrs), now],
            )?;
            Ok(())
        })
    }

    fn put_membership(
        &mut self,
        key: &str,
        list: &str,
        status: MemberStatus,
        consent: &Consent,
        now: DateTime<Utc>,
    ) -> Result<(), LedgerError> {
        self.run(|tx| {
            tx.execute(
                "INSERT INTO memberships (address_key, list, status, source, opted_in_at, page, ip, confirmed_at, changed_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT(address_key, list) DO UPDATE SET status = ?3, source = ?4, opted_in_at = ?5,
                     page = ?6, ip = ?7, confirmed_at = ?8, changed_at = ?9",
                params![
                    key,
                    list,
                    status,
                    consent.source,
                    consent.opted_in_at,
                    consent.page,
                    consent.ip,
                    consent.confirmed_at,
                    now
                ],
            )?;
            Ok(())
        })
    }

    fn suppression(&mut self, key: &str) -> Result<Option<Suppression>, LedgerError> {
        self.run(|tx| {
            tx.query_row(
                "SELECT address, reason, detail, at FROM suppressions WHERE address = ?1",
                [key],
                suppression_row,
            )
            .optional()
        })
    }

    fn suppress(
        &mut self,
        key: &str,
        reason: SuppressionReason,
        detail: &str,
        at: DateTime<Utc>,
    ) -> Result<(), LedgerError> {
        self.run(|tx| {
            tx.execute(
                "INSERT INTO suppressions (address, reason, detail, at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT(address) DO NOTHING",
                params![key, reason, detail, at],
            )?;
            Ok(())
        })
    }

    fn lift_suppression(&mut self, key: &str) -> Result<(), LedgerError> {
        self.run(|tx| {
            tx.execute("DELETE FROM suppressions WHERE address = ?1", [key])?;
            Ok(())
        })
    }

    fn last_confirmation_mail(&mut self, key: &str) -> Result<Option<DateTime<Utc>>, LedgerError> {
        self.run(|tx| {
            tx.query_row(
                "SELECT max(sent_at) FROM confirmation_mails WHERE address_key = ?1",
                [key],
                |r| r.get(0),
            )
        })
    }

    fn confirmation_mails_since(&mut self, since: DateTime<Utc>) -> Result<usize, LedgerError> {
        self.run(|tx| {
            tx.query_row(
                "SELECT count(*) FROM confirmation_mails WHERE sent_at > ?1",
                [since],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as usize)
        })
    }

    fn record_confirmation_mail(
        &mut self,
        key: &str,
        at: DateTime<Utc>,
        lists: &[String],
        page: Option<&str>,
        ip: Option<&str>,
    ) -> Result<(), LedgerError> {
        self.run(|tx| {
            tx.execute(
                "INSERT INTO confirmation_mails (address_key, sent_at, lists, page, ip) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![key, at, lists.join(","), page, ip],
            )?;
            Ok(())
        })
    }

    fn confirmation_request(
        &mut self,
        key: &str,
        issued: DateTime<Utc>,
    ) -> Result<Option<FormOrigin>, LedgerError> {
        self.run(|tx| {
            tx
                .query_row(
                    "SELECT page, ip FROM confirmation_mails WHERE address_key = ?1 AND sent_at >= ?2 AND sent_at < ?3",
                    params![key, issued, issued + chrono::Duration::seconds(1)],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
        })
    }

    fn forget_pending_before(&mut self, before: DateTime<Utc>) -> Result<(), LedgerError> {
        self.run(|tx| {
            tx.execute(
                "DELETE FROM memberships WHERE status = 'pending' AND changed_at < ?1",
                [before],
            )?;
            tx.execute(
                "DELETE FROM people WHERE created_at < ?1 AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.address_key = people.address_key)",
                [before],
            )?;
            tx
                .execute("DELETE FROM confirmation_mails WHERE sent_at < ?1", [before])?;
            Ok(())
        })
    }

    fn erase(&mut self, key: &str) -> Result<usize, LedgerError> {
        self.erase_rows(key).map_err(self.fail())
    }

    fn mark_applied(&mut self, journal: &str, seq: u64) -> Result<(), LedgerError> {
        self.run(|tx| {
            tx.execute(
                "INSERT INTO journal_applied (journal, seq) VALUES (?1, ?2)
                 ON CONFLICT(journal) DO UPDATE SET seq = max(seq, ?2)",
                params![journal, seq as i64],
            )
            .map(|_| ())
        })
    }
}

impl SqliteTx<'_> {
    fn erase_rows(&self, key: &str) -> rusqlite::Result<usize> {
        let mut removed = 0;
        for sql in [
            "DELETE FROM memberships WHERE address_key = ?1",
            "DELETE FROM people WHERE address_key = ?1",
            "DELETE FROM confirmation_mails WHERE address_key = ?1",
            "DELETE FROM suppressions WHERE address = ?1",
            // What came back about them: bounce and complaint decisions.
            "DELETE FROM bounce_reports WHERE recipient_key = ?1",
        ] {
            removed += self.tx.execute(sql, [key])?;
        }
        for (rowid, send) in self.keyed_rows_of_deliveries(key)? {
            removed += self
                .tx
                .execute("DELETE FROM deliveries WHERE rowid = ?1", [rowid])?;
            // A confirmation's send had this one recipient: its row (which holds the lists
            // the person asked for) goes too.
            self.tx.execute(
                "DELETE FROM digests WHERE id = ?1 AND kind = 'confirmation'
                 AND NOT EXISTS (SELECT 1 FROM deliveries WHERE digest_id = ?1)",
                [send],
            )?;
        }
        Ok(removed)
    }
}

impl Ledger {
    /// Everyone confirmed on one of `lists`, as subscribers of the first such list (in the
    /// order given), in the order they joined; and every opt-out (address key, list) with
    /// its status, so a CSV row for someone who left that list is skipped.
    pub fn store_audience(&self, lists: &[String]) -> Result<StoreAudience, LedgerError> {
        let fail = || self.fail("read the subscriber store");
        let mut members = Vec::new();
        let mut stmt = self
            .conn
            .prepare(
                "SELECT p.address, p.name, p.attrs FROM memberships m JOIN people p USING (address_key)
                 WHERE m.list = ?1 AND m.status = 'confirmed' ORDER BY p.created_at, p.address_key",
            )
            .map_err(fail())?;
        for list in lists {
            let rows = stmt
                .query_map([list], |r| {
                    Ok(Subscriber {
                        email: r.get(0)?,
                        name: r.get(1)?,
                        attrs: r.get::<_, Json<BTreeMap<String, String>>>(2)?.0,
                        list: list.clone(),
                    })
                })
                .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
                .map_err(fail())?;
            members.extend(rows);
        }
        let mut stmt = self
            .conn
            .prepare("SELECT address_key, list, status FROM memberships WHERE status IN ('unsubscribed', 'bounced', 'complained')")
            .map_err(fail())?;
        let opted_out = stmt
            .query_map([], |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)))
            .and_then(|rows| rows.collect::<rusqlite::Result<_>>())
            .map_err(fail())?;
        let mut stmt = self
            .conn
            .prepare(
                "SELECT p.address, m.status FROM memberships m JOIN people p USING (address_key)
                 WHERE m.list = ?1 AND m.status != 'confirmed' ORDER BY p.created_at, p.address_key",
            )
            .map_err(fail())?;
        let mut not_receiving = Vec::new();
        for list in lists {
            let rows = stmt
                .query_map([list], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        list.clone(),
                        r.get::<_, MemberStatus>(1)?,
                    ))
                })
                .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
                .map_err(fail())?;
            not_receiving.extend(rows);
        }
        Ok(StoreAudience {
            members,
            opted_out,
            not_receiving,
        })
    }
}

impl Store for Ledger {
    type Error = LedgerError;

    fn write<T>(
        &mut self,
        action: &'static str,
        work: impl FnOnce(&mut dyn PeopleTx<Error = LedgerError>) -> Result<T, LedgerError>,
    ) -> Result<T, LedgerError> {
        let path = self.path.clone();
        let fail = |source| LedgerError::Sqlite {
            path: path.clone(),
            action,
            source,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(fail)?;
        let out = {
            let mut inner = SqliteTx {
                tx: &tx,
                path: &path,
                action,
            };
            work(&mut inner)?
        };
        tx.commit().map_err(fail)?;
        Ok(out)
    }

    fn person(&self, address: &str) -> Result<Option<Person>, LedgerError> {
        load_person(&self.conn, Address::unchecked(address).key())
            .map_err(self.fail("read a subscriber"))
    }

    fn each_person(
        &self,
        filter: &Filter,
        visit: &mut dyn FnMut(Person),
    ) -> Result<(), LedgerError> {
        let fail = || self.fail("list subscribers");
        let mut stmt = self
            .conn
            .prepare(
                "SELECT DISTINCT p.address_key FROM people p LEFT JOIN memberships m USING (address_key)
                 WHERE (?1 IS NULL OR m.list = ?1) AND (?2 IS NULL OR m.status = ?2)
                 ORDER BY p.address_key",
            )
            .map_err(fail())?;
        let keys: Vec<String> = stmt
            .query_map(params![filter.list, filter.status], |r| r.get(0))
            .and_then(|rows| rows.collect())
            .map_err(fail())?;
        for key in keys {
            if let Some(person) = load_person(&self.conn, &key).map_err(fail())? {
                visit(person);
            }
        }
        Ok(())
    }

    fn count(&self) -> Result<BTreeMap<(String, MemberStatus), usize>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare("SELECT list, status, count(*) FROM memberships GROUP BY list, status")
            .map_err(self.fail("count subscribers"))?;
        stmt.query_map([], |r| {
            Ok(((r.get(0)?, r.get(1)?), r.get::<_, i64>(2)? as usize))
        })
        .and_then(|rows| rows.collect())
        .map_err(self.fail("count subscribers"))
    }

    fn suppression(&self, key: &str) -> Result<Option<Suppression>, LedgerError> {
        self.conn
            .query_row(
                "SELECT address, reason, detail, at FROM suppressions WHERE address = ?1",
                [key],
                suppression_row,
            )
            .optional()
            .map_err(self.fail("check suppression"))
    }

    fn applied(&self, journal: &str) -> Result<u64, LedgerError> {
        self.journal_applied(journal)
    }

    fn purge_deleted(&mut self) -> Result<(), LedgerError> {
        // The write-ahead log still holds the old pages until a checkpoint copies the zeroed
        // ones over and truncates it; another process reading the ledger can hold that up,
        // and then the erasure is not complete yet: say so.
        let busy: i64 = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))
            .map_err(self.fail("erase a subscriber"))?;
        if busy == 0 {
            return Ok(());
        }
        Err(LedgerError::Sqlite {
            path: self.path.clone(),
            action: "erase a subscriber",
            source: rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                Some("the rows are deleted, but another process (the daemon?) holds the database, so old copies remain in its log; run the command again when it is idle".into()),
            ),
        })
    }

    fn suppressions(&self) -> Result<Vec<Suppression>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare("SELECT address, reason, detail, at FROM suppressions ORDER BY address")
            .map_err(self.fail("list suppressions"))?;
        stmt.query_map([], suppression_row)
            .and_then(|rows| rows.collect())
            .map_err(self.fail("list suppressions"))
    }
}
