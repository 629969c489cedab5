//! The subscriber store in the ledger's SQLite file (see [`crate::subscribers::store`]).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Transaction, TransactionBehavior};

use super::types::{to_json, Json};
use super::{address_key, Ledger, LedgerError, SuppressionReason};
use crate::subscribers::store::{
    Applied, Consent, Filter, MemberStatus, Membership, Person, Record, SignUp, SignUpLimits, Store,
};
use crate::subscribers::Subscriber;

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

fn person_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(String, Person)> {
    Ok((
        r.get(0)?,
        Person {
            address: r.get(1)?,
            name: r.get(2)?,
            attrs: r.get::<_, Json<BTreeMap<String, String>>>(3)?.0,
            created_at: r.get(4)?,
            memberships: Vec::new(),
        },
    ))
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

/// Reads one person with their memberships.
fn load_person(tx: &rusqlite::Connection, key: &str) -> rusqlite::Result<Option<Person>> {
    let person = tx
        .query_row(
            &format!("SELECT {PERSON_COLUMNS} FROM people WHERE address_key = ?1"),
            [key],
            person_row,
        )
        .optional()?;
    let Some((_, mut person)) = person else {
        return Ok(None);
    };
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT {MEMBERSHIP_COLUMNS} FROM memberships WHERE address_key = ?1 ORDER BY list"
    ))?;
    person.memberships = stmt
        .query_map([key], membership_row)?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Some(person))
}

/// Inserts the person if new; updates the name and merges attributes if given. Returns
/// whether anything changed.
fn upsert_person(
    tx: &Transaction<'_>,
    record: &Record,
    now: DateTime<Utc>,
) -> rusqlite::Result<bool> {
    let key = address_key(&record.address);
    let existing = tx
        .query_row(
            &format!("SELECT {PERSON_COLUMNS} FROM people WHERE address_key = ?1"),
            [&key],
            person_row,
        )
        .optional()?;
    match existing {
        None => {
            tx.execute(
                "INSERT INTO people (address_key, address, name, attrs, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![key, record.address.trim(), record.name, to_json(&record.attrs), now],
            )?;
            Ok(true)
        }
        Some((_, person)) => {
            let name = record.name.clone().or(person.name.clone());
            let mut attrs = person.attrs.clone();
            attrs.extend(record.attrs.clone());
            if name == person.name && attrs == person.attrs {
                return Ok(false);
            }
            tx.execute(
                "UPDATE people SET name = ?2, attrs = ?3 WHERE address_key = ?1",
                params![key, name, to_json(&attrs)],
            )?;
            Ok(true)
        }
    }
}

/// Writes one membership. Returns whether it was new, changed or unchanged.
fn put_membership(
    tx: &Transaction<'_>,
    key: &str,
    list: &str,
    status: MemberStatus,
    consent: &Consent,
    now: DateTime<Utc>,
) -> rusqlite::Result<Change> {
    let current: Option<Membership> = tx
        .query_row(
            &format!(
                "SELECT {MEMBERSHIP_COLUMNS} FROM memberships WHERE address_key = ?1 AND list = ?2"
            ),
            [key, list],
            membership_row,
        )
        .optional()?;
    let change = match &current {
        None => Change::Added,
        Some(m) if m.status == status && m.consent == *consent => return Ok(Change::Unchanged),
        Some(_) => Change::Updated,
    };
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
    Ok(change)
}

/// Applies one list's records inside the caller's transaction.
fn apply_records(
    tx: &Transaction<'_>,
    list: &str,
    records: &[Record],
    now: DateTime<Utc>,
) -> rusqlite::Result<Applied> {
    let mut applied = Applied::default();
    for record in records {
        let key = address_key(&record.address);
        let current = load_person(tx, &key)?.and_then(|p| p.on(list).cloned());
        // An import never brings back someone who left the list: only their own
        // confirmation does.
        if current.as_ref().is_some_and(|m| m.status.opts_out()) && !record.status.opts_out() {
            applied.kept_out += 1;
            continue;
        }
        let person_changed = upsert_person(tx, record, now)?;
        // The same status again keeps the consent already recorded (a form's proof is not
        // replaced by a bare CSV row), filling in only what it lacks.
        let consent = match &current {
            Some(m) if m.status == record.status => merged(&m.consent, &record.consent),
            _ => record.consent.clone(),
        };
        let change = put_membership(tx, &key, list, record.status, &consent, now)?;
        if let Some(reason) = suppression_for(record.status).filter(|_| record.address_wide) {
            let detail = format!("{} ({list})", record.consent.source);
            tx.execute(
                "INSERT INTO suppressions (address, reason, detail, at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT(address) DO NOTHING",
                params![key, reason, detail, now],
            )?;
        }
        match change {
            Change::Added => applied.added += 1,
            Change::Updated => applied.updated += 1,
            Change::Unchanged if person_changed => applied.updated += 1,
            Change::Unchanged => applied.unchanged += 1,
        }
    }
    Ok(applied)
}

/// `kept`, with the fields it lacks taken from `new`.
fn merged(kept: &Consent, new: &Consent) -> Consent {
    Consent {
        source: if kept.source.is_empty() {
            new.source.clone()
        } else {
            kept.source.clone()
        },
        opted_in_at: kept.opted_in_at.or(new.opted_in_at),
        page: kept.page.clone().or_else(|| new.page.clone()),
        ip: kept.ip.clone().or_else(|| new.ip.clone()),
        confirmed_at: kept.confirmed_at.or(new.confirmed_at),
    }
}

/// Pending sign-ups nobody confirmed in time, the people they leave with no list, and old
/// confirmation records: a stranger may have typed the address, so it is not kept.
fn forget_stale_sign_ups(tx: &Transaction<'_>, before: DateTime<Utc>) -> rusqlite::Result<()> {
    tx.execute(
        "DELETE FROM memberships WHERE status = 'pending' AND changed_at < ?1",
        [before],
    )?;
    tx.execute(
        "DELETE FROM people WHERE created_at < ?1 AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.address_key = people.address_key)",
        [before],
    )?;
    tx.execute(
        "DELETE FROM confirmation_mails WHERE sent_at < ?1",
        [before],
    )?;
    Ok(())
}

/// Why no confirmation e-mail may go now, if one may not.
fn confirmation_allowed(
    tx: &Transaction<'_>,
    key: &str,
    limits: SignUpLimits,
) -> rusqlite::Result<Option<SignUp>> {
    let last: Option<DateTime<Utc>> = tx.query_row(
        "SELECT max(sent_at) FROM confirmation_mails WHERE address_key = ?1",
        [key],
        |r| r.get(0),
    )?;
    if last.is_some_and(|t| t > limits.resend_after) {
        return Ok(Some(SignUp::TooSoon));
    }
    let this_hour: i64 = tx.query_row(
        "SELECT count(*) FROM confirmation_mails WHERE sent_at > ?1",
        [limits.hour_ago],
        |r| r.get(0),
    )?;
    Ok((this_hour as usize >= limits.per_hour).then_some(SignUp::CapReached))
}

/// The consent a confirmation records: what the form post that sent the link said (its page
/// and address, from the confirmation record made then), asked at `issued`, confirmed `now`.
fn asked_consent(
    tx: &Transaction<'_>,
    key: &str,
    issued: DateTime<Utc>,
    now: DateTime<Utc>,
) -> rusqlite::Result<Consent> {
    let asked: Option<(Option<String>, Option<String>)> = tx
        .query_row(
            "SELECT page, ip FROM confirmation_mails WHERE address_key = ?1 AND sent_at >= ?2 AND sent_at < ?3",
            params![key, issued, issued + chrono::Duration::seconds(1)],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (page, ip) = asked.unwrap_or_default();
    Ok(Consent {
        source: "form".into(),
        opted_in_at: Some(issued),
        page,
        ip,
        confirmed_at: Some(now),
    })
}

/// The address-wide suppression an imported opt-out becomes (Mailchimp's unsubscribed and
/// cleaned members left the whole audience, not one list).
fn suppression_for(status: MemberStatus) -> Option<SuppressionReason> {
    match status {
        MemberStatus::Unsubscribed => Some(SuppressionReason::Unsubscribed),
        MemberStatus::Bounced => Some(SuppressionReason::Bounced),
        MemberStatus::Complained => Some(SuppressionReason::Complained),
        MemberStatus::Pending | MemberStatus::Confirmed => None,
    }
}

/// (address key, list) -> the status of someone who left that list or bounced.
pub type OptOuts = HashMap<(String, String), MemberStatus>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Added,
    Updated,
    Unchanged,
}

impl Ledger {
    fn write_tx(&mut self) -> rusqlite::Result<Transaction<'_>> {
        self.conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
    }

    /// Everyone confirmed on one of `lists`, as subscribers of the first such list (in the
    /// order given), in the order they joined; and every opt-out (address key, list) with
    /// its status, so a CSV row for someone who left that list is skipped.
    pub fn store_audience(
        &self,
        lists: &[String],
    ) -> Result<(Vec<Subscriber>, OptOuts), LedgerError> {
        let fail = self.fail("read the subscriber store");
        let mut members = Vec::new();
        let mut stmt = self
            .conn
            .prepare(
                "SELECT p.address, p.name, p.attrs FROM memberships m JOIN people p USING (address_key)
                 WHERE m.list = ?1 AND m.status = 'confirmed' ORDER BY p.created_at, p.address_key",
            )
            .map_err(self.fail("read the subscriber store"))?;
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
                .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>());
            match rows {
                Ok(rows) => members.extend(rows),
                Err(err) => return Err(fail(err)),
            }
        }
        let mut stmt = self
            .conn
            .prepare("SELECT address_key, list, status FROM memberships WHERE status IN ('unsubscribed', 'bounced', 'complained')")
            .map_err(self.fail("read the subscriber store"))?;
        let opted_out = stmt
            .query_map([], |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)))
            .and_then(|rows| rows.collect::<rusqlite::Result<_>>())
            .map_err(self.fail("read the subscriber store"))?;
        Ok((members, opted_out))
    }

    /// Lifts an `unsubscribed` suppression (not a bounce or complaint): the person chose a
    /// list again on their preferences page.
    pub fn unsuppress_unsubscribed(&self, address: &str) -> Result<(), LedgerError> {
        self.conn
            .execute(
                "DELETE FROM suppressions WHERE address = ?1 AND reason = 'unsubscribed'",
                [address_key(address)],
            )
            .map(|_| ())
            .map_err(self.fail("lift a suppression"))
    }

    /// Records how sending a confirmation e-mail went (`sent`, or the error).
    pub fn confirmation_result(
        &self,
        address: &str,
        sent_at: DateTime<Utc>,
        result: &str,
    ) -> Result<(), LedgerError> {
        self.conn
            .execute(
                "UPDATE confirmation_mails SET result = ?3 WHERE address_key = ?1 AND sent_at = ?2",
                params![address_key(address), sent_at, result],
            )
            .map(|_| ())
            .map_err(self.fail("record a confirmation e-mail"))
    }
}

impl Store for Ledger {
    type Error = LedgerError;

    fn person(&self, address: &str) -> Result<Option<Person>, LedgerError> {
        load_person(&self.conn, &address_key(address)).map_err(self.fail("read a subscriber"))
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

    fn apply_all(
        &mut self,
        batches: &[(String, Vec<Record>)],
        now: DateTime<Utc>,
    ) -> Result<Vec<Applied>, LedgerError> {
        let path = self.path.clone();
        let fail = |source| LedgerError {
            path: path.clone(),
            action: "import subscribers",
            source,
        };
        let tx = self.write_tx().map_err(fail)?;
        let mut out = Vec::with_capacity(batches.len());
        for (list, records) in batches {
            out.push(apply_records(&tx, list, records, now).map_err(fail)?);
        }
        tx.commit().map_err(fail)?;
        Ok(out)
    }

    fn sign_up(
        &mut self,
        record: &Record,
        lists: &[String],
        now: DateTime<Utc>,
        limits: SignUpLimits,
    ) -> Result<SignUp, LedgerError> {
        let path = self.path.clone();
        let fail = |source| LedgerError {
            path: path.clone(),
            action: "record a sign-up",
            source,
        };
        let tx = self.write_tx().map_err(fail)?;
        forget_stale_sign_ups(&tx, limits.forget_before).map_err(fail)?;
        let key = address_key(&record.address);
        let suppression: Option<SuppressionReason> = tx
            .query_row(
                "SELECT reason FROM suppressions WHERE address = ?1",
                [&key],
                |r| r.get(0),
            )
            .optional()
            .map_err(fail)?;
        if matches!(
            suppression,
            Some(SuppressionReason::Bounced | SuppressionReason::Complained)
        ) {
            // Nobody may make crier mail an address that bounced or reported spam.
            tx.commit().map_err(fail)?;
            return Ok(SignUp::Blocked);
        }
        let known = load_person(&tx, &key).map_err(fail)?;
        // A form post is a stranger's word until the mailbox confirms: it adds a new person
        // and new pending memberships, and changes nothing already stored (a name, a status,
        // a consent record).
        if known.is_none() {
            upsert_person(&tx, record, now).map_err(fail)?;
        }
        let mut wanted = Vec::new();
        for list in lists {
            let current = known.as_ref().and_then(|p| p.on(list));
            match current {
                Some(m) if m.status == MemberStatus::Confirmed && suppression.is_none() => continue,
                Some(_) => {}
                None => {
                    put_membership(&tx, &key, list, MemberStatus::Pending, &record.consent, now)
                        .map_err(fail)?;
                }
            }
            wanted.push(list.clone());
        }
        if wanted.is_empty() {
            tx.commit().map_err(fail)?;
            return Ok(SignUp::AlreadyConfirmed);
        }
        let outcome = confirmation_allowed(&tx, &key, limits).map_err(fail)?;
        if outcome.is_none() {
            tx.execute(
                "INSERT INTO confirmation_mails (address_key, sent_at, lists, page, ip) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![key, now, wanted.join(","), record.consent.page, record.consent.ip],
            )
            .map_err(fail)?;
        }
        tx.commit().map_err(fail)?;
        Ok(outcome.unwrap_or(SignUp::Confirm(wanted)))
    }

    fn confirmations_since(&self, since: DateTime<Utc>) -> Result<usize, LedgerError> {
        self.conn
            .query_row(
                "SELECT count(*) FROM confirmation_mails WHERE sent_at > ?1",
                [since],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as usize)
            .map_err(self.fail("count confirmation e-mails"))
    }

    fn confirm(
        &mut self,
        address: &str,
        lists: &[String],
        issued: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, LedgerError> {
        let path = self.path.clone();
        let fail = |source| LedgerError {
            path: path.clone(),
            action: "confirm a subscription",
            source,
        };
        let tx = self.write_tx().map_err(fail)?;
        let key = address_key(address);
        let Some(person) = load_person(&tx, &key).map_err(fail)? else {
            return Ok(false);
        };
        let suppressed: Option<(SuppressionReason, DateTime<Utc>)> = tx
            .query_row(
                "SELECT reason, at FROM suppressions WHERE address = ?1",
                [&key],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(fail)?;
        // A choice made after the link was sent stands: an old link cannot undo it.
        if suppressed
            .is_some_and(|(reason, at)| at > issued || reason != SuppressionReason::Unsubscribed)
        {
            return Ok(false);
        }
        let consent = asked_consent(&tx, &key, issued, now).map_err(fail)?;
        let mut changed = false;
        for list in lists {
            let current = person.on(list);
            let confirmed = current.is_some_and(|m| m.status == MemberStatus::Confirmed);
            let left_since = current.is_some_and(|m| m.status.opts_out() && m.changed_at > issued);
            if (confirmed && suppressed.is_none()) || left_since {
                continue;
            }
            put_membership(&tx, &key, list, MemberStatus::Confirmed, &consent, now)
                .map_err(fail)?;
            changed = true;
        }
        if changed && suppressed.is_some() {
            // Asking again and confirming from one's own mailbox undoes an earlier
            // unsubscribe (the caller has already kept the other lists off).
            tx.execute("DELETE FROM suppressions WHERE address = ?1", [&key])
                .map_err(fail)?;
        }
        tx.commit().map_err(fail)?;
        Ok(changed)
    }

    fn set_status(
        &mut self,
        address: &str,
        changes: &[(String, MemberStatus)],
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<(), LedgerError> {
        if changes.is_empty() {
            return Ok(());
        }
        let path = self.path.clone();
        let fail = |source| LedgerError {
            path: path.clone(),
            action: "change a subscription",
            source,
        };
        let tx = self.write_tx().map_err(fail)?;
        let key = address_key(address);
        let record = Record {
            address: address.trim().to_owned(),
            name: None,
            attrs: BTreeMap::new(),
            status: MemberStatus::Unsubscribed,
            consent: Consent::default(),
            address_wide: false,
        };
        upsert_person(&tx, &record, now).map_err(fail)?;
        let person = load_person(&tx, &key).map_err(fail)?;
        for (list, status) in changes {
            let current = person.as_ref().and_then(|p| p.on(list));
            if current.is_some_and(|m| m.status == *status) {
                continue;
            }
            let mut consent = current.map(|m| m.consent.clone()).unwrap_or_default();
            if consent.source.is_empty() {
                consent.source = source.to_owned();
            }
            // Choosing a list on one's own preferences page (reached from one's mailbox) is
            // an opt-in and its confirmation at once.
            if *status == MemberStatus::Confirmed && consent.confirmed_at.is_none() {
                consent.opted_in_at.get_or_insert(now);
                consent.confirmed_at = Some(now);
            }
            put_membership(&tx, &key, list, *status, &consent, now).map_err(fail)?;
        }
        tx.commit().map_err(fail)
    }

    fn erase(&mut self, address: &str) -> Result<bool, LedgerError> {
        let path = self.path.clone();
        let fail = |source| LedgerError {
            path: path.clone(),
            action: "erase a subscriber",
            source,
        };
        let key = address_key(address);
        let tx = self.write_tx().map_err(fail)?;
        let mut removed = 0;
        for sql in [
            "DELETE FROM memberships WHERE address_key = ?1",
            "DELETE FROM people WHERE address_key = ?1",
            "DELETE FROM confirmation_mails WHERE address_key = ?1",
            "DELETE FROM suppressions WHERE address = ?1",
        ] {
            removed += tx.execute(sql, [&key]).map_err(fail)?;
        }
        // Delivery rows keep the address as the list wrote it: compare with crier's own
        // (Unicode) lower-casing, not SQLite's ASCII-only lower().
        // Streamed, keeping only the matching row ids: the table holds every delivery ever.
        let matching: Vec<i64> = {
            let mut stmt = tx
                .prepare("SELECT rowid, address FROM deliveries")
                .map_err(fail)?;
            let mut rows = stmt.query([]).map_err(fail)?;
            let mut ids = Vec::new();
            while let Some(row) = rows.next().map_err(fail)? {
                let stored: String = row.get(1).map_err(fail)?;
                if address_key(&stored) == key {
                    ids.push(row.get(0).map_err(fail)?);
                }
            }
            ids
        };
        for rowid in matching {
            removed += tx
                .execute("DELETE FROM deliveries WHERE rowid = ?1", [rowid])
                .map_err(fail)?;
        }
        tx.commit().map_err(fail)?;
        // The write-ahead log still holds the old pages until a checkpoint copies the
        // zeroed ones over and truncates it; another process reading the ledger can hold
        // that up, and then the erasure is not complete yet: say so.
        let busy: i64 = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))
            .map_err(fail)?;
        if busy != 0 {
            return Err(LedgerError {
                path: self.path.clone(),
                action: "erase a subscriber",
                source: rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                    Some("the rows are deleted, but another process (the daemon?) holds the database, so old copies remain in its log; run the command again when it is idle".into()),
                ),
            });
        }
        Ok(removed > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn record(address: &str, status: MemberStatus) -> Record {
        Record {
            address: address.into(),
            name: None,
            attrs: BTreeMap::new(),
            status,
            consent: Consent {
                source: "test".into(),
                ..Consent::default()
            },
            address_wide: true,
        }
    }

    fn limits(now: DateTime<Utc>, per_hour: usize) -> SignUpLimits {
        SignUpLimits {
            resend_after: now - chrono::Duration::days(1),
            hour_ago: now - chrono::Duration::hours(1),
            per_hour,
            forget_before: now - chrono::Duration::days(7),
        }
    }

    #[test]
    fn one_confirmation_per_address_per_day_and_an_hourly_cap() {
        let dir = tempfile::tempdir().unwrap();
        let mut l = Ledger::open(&dir.path().join("c.db")).unwrap();
        let now = at("2026-11-25T12:00:00Z");
        let lists = ["members".to_owned()];
        let r = record("a@example.org", MemberStatus::Pending);
        assert_eq!(
            l.sign_up(&r, &lists, now, limits(now, 2)).unwrap(),
            SignUp::Confirm(lists.to_vec())
        );
        assert_eq!(
            l.sign_up(&r, &lists, now, limits(now, 2)).unwrap(),
            SignUp::TooSoon
        );
        let later = now + chrono::Duration::hours(25);
        assert!(matches!(
            l.sign_up(&r, &lists, later, limits(later, 2)).unwrap(),
            SignUp::Confirm(_)
        ));
        let b = record("b@example.org", MemberStatus::Pending);
        let c = record("c@example.org", MemberStatus::Pending);
        assert!(matches!(
            l.sign_up(&b, &lists, later, limits(later, 2)).unwrap(),
            SignUp::Confirm(_)
        ));
        assert_eq!(
            l.sign_up(&c, &lists, later, limits(later, 2)).unwrap(),
            SignUp::CapReached
        );
        assert!(l.confirm("A@example.org", &lists, later, later).unwrap());
        assert!(
            !l.confirm("a@example.org", &lists, later, later).unwrap(),
            "idempotent"
        );
        assert_eq!(
            l.sign_up(&r, &lists, later, limits(later, 9)).unwrap(),
            SignUp::AlreadyConfirmed
        );
    }

    #[test]
    fn a_form_post_cannot_rename_or_resubscribe_anyone_and_bounces_get_no_mail() {
        let dir = tempfile::tempdir().unwrap();
        let mut l = Ledger::open(&dir.path().join("c.db")).unwrap();
        let now = at("2026-11-25T12:00:00Z");
        let lists = ["members".to_owned()];
        let mut real = record("a@example.org", MemberStatus::Confirmed);
        real.name = Some("Real Name".into());
        l.apply("members", &[real], now).unwrap();
        let mut stranger = record("a@example.org", MemberStatus::Pending);
        stranger.name = Some("Click here to win".into());
        assert_eq!(
            l.sign_up(&stranger, &lists, now, limits(now, 9)).unwrap(),
            SignUp::AlreadyConfirmed
        );
        let person = l.person("a@example.org").unwrap().unwrap();
        assert_eq!(person.name.as_deref(), Some("Real Name"));
        assert_eq!(person.on("members").unwrap().consent.source, "test");
        // Unsubscribed by the footer link: a form post asks them to confirm again.
        l.suppress(
            "a@example.org",
            SuppressionReason::Unsubscribed,
            "link",
            now,
        )
        .unwrap();
        assert!(matches!(
            l.sign_up(&stranger, &lists, now, limits(now, 9)).unwrap(),
            SignUp::Confirm(_)
        ));
        l.suppress("b@example.org", SuppressionReason::Complained, "spam", now)
            .unwrap();
        assert_eq!(
            l.sign_up(
                &record("b@example.org", MemberStatus::Pending),
                &lists,
                now,
                limits(now, 9)
            )
            .unwrap(),
            SignUp::Blocked
        );
    }

    #[test]
    fn stale_sign_ups_are_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let mut l = Ledger::open(&dir.path().join("c.db")).unwrap();
        let then = at("2026-11-01T12:00:00Z");
        let lists = ["members".to_owned()];
        l.sign_up(
            &record("old@example.org", MemberStatus::Pending),
            &lists,
            then,
            limits(then, 9),
        )
        .unwrap();
        let now = at("2026-11-25T12:00:00Z");
        l.sign_up(
            &record("new@example.org", MemberStatus::Pending),
            &lists,
            now,
            limits(now, 9),
        )
        .unwrap();
        assert!(
            l.person("old@example.org").unwrap().is_none(),
            "a stranger's typo is not kept"
        );
        assert!(l.person("new@example.org").unwrap().is_some());
    }

    #[test]
    fn confirming_lifts_a_suppression_but_an_import_never_brings_back_a_leaver() {
        let dir = tempfile::tempdir().unwrap();
        let mut l = Ledger::open(&dir.path().join("c.db")).unwrap();
        let now = at("2026-11-25T12:00:00Z");
        let lists = ["members".to_owned()];
        l.apply(
            "members",
            &[record("a@example.org", MemberStatus::Unsubscribed)],
            now,
        )
        .unwrap();
        assert!(
            l.suppressed("a@example.org").unwrap().is_some(),
            "an imported opt-out suppresses"
        );
        let applied = l
            .apply(
                "members",
                &[record("a@example.org", MemberStatus::Confirmed)],
                now,
            )
            .unwrap();
        assert_eq!(applied.kept_out, 1);
        assert_eq!(
            l.person("a@example.org")
                .unwrap()
                .unwrap()
                .on("members")
                .unwrap()
                .status,
            MemberStatus::Unsubscribed
        );
        l.sign_up(
            &record("a@example.org", MemberStatus::Pending),
            &lists,
            now,
            limits(now, 9),
        )
        .unwrap();
        assert_eq!(
            l.person("a@example.org")
                .unwrap()
                .unwrap()
                .on("members")
                .unwrap()
                .status,
            MemberStatus::Unsubscribed,
            "a form post changes nothing stored"
        );
        let issued = now + chrono::Duration::seconds(1);
        assert!(l.confirm("a@example.org", &lists, issued, now).unwrap());
        assert!(l.suppressed("a@example.org").unwrap().is_none());
        let (members, _) = l.store_audience(&lists).unwrap();
        assert_eq!(members.len(), 1);
        // Leaving after the link was sent stands: the old link cannot undo it.
        let later = now + chrono::Duration::hours(2);
        let left = [("members".to_owned(), MemberStatus::Unsubscribed)];
        l.set_status("a@example.org", &left, "preferences", later)
            .unwrap();
        assert!(!l.confirm("a@example.org", &lists, issued, later).unwrap());
        assert_eq!(l.store_audience(&lists).unwrap().0.len(), 0);
        assert!(l.erase("a@example.org").unwrap());
        assert!(l.person("a@example.org").unwrap().is_none());
        assert!(!l.erase("a@example.org").unwrap());
    }
}
