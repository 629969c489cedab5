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

    fn apply(
        &mut self,
        list: &str,
        records: &[Record],
        now: DateTime<Utc>,
    ) -> Result<Applied, LedgerError> {
        let path = self.path.clone();
        let fail = |source| LedgerError {
            path: path.clone(),
            action: "import subscribers",
            source,
        };
        let tx = self.write_tx().map_err(fail)?;
        let mut applied = Applied::default();
        for record in records {
            let key = address_key(&record.address);
            let current = load_person(&tx, &key)
                .map_err(fail)?
                .and_then(|p| p.on(list).cloned());
            // An import never brings back someone who left the list: only their own
            // confirmation does.
            if current.is_some_and(|m| m.status.opts_out()) && !record.status.opts_out() {
                applied.kept_out += 1;
                continue;
            }
            let person_changed = upsert_person(&tx, record, now).map_err(fail)?;
            let change = put_membership(&tx, &key, list, record.status, &record.consent, now)
                .map_err(fail)?;
            if let Some(reason) = suppression_for(record.status) {
                let detail = format!("{} ({list})", record.consent.source);
                tx.execute(
                    "INSERT INTO suppressions (address, reason, detail, at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT(address) DO NOTHING",
                    params![key, reason, detail, now],
                )
                .map_err(fail)?;
            }
            match change {
                Change::Added => applied.added += 1,
                Change::Updated => applied.updated += 1,
                Change::Unchanged if person_changed => applied.updated += 1,
                Change::Unchanged => applied.unchanged += 1,
            }
        }
        tx.commit().map_err(fail)?;
        Ok(applied)
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
        let key = address_key(&record.address);
        let known = load_person(&tx, &key).map_err(fail)?;
        upsert_person(&tx, record, now).map_err(fail)?;
        let mut wanted = Vec::new();
        for list in lists {
            let current = known.as_ref().and_then(|p| p.on(list));
            if current.is_some_and(|m| m.status == MemberStatus::Confirmed) {
                continue;
            }
            put_membership(&tx, &key, list, MemberStatus::Pending, &record.consent, now)
                .map_err(fail)?;
            wanted.push(list.clone());
        }
        if wanted.is_empty() {
            tx.commit().map_err(fail)?;
            return Ok(SignUp::AlreadyConfirmed);
        }
        let last: Option<DateTime<Utc>> = tx
            .query_row(
                "SELECT max(sent_at) FROM confirmation_mails WHERE address_key = ?1",
                [&key],
                |r| r.get(0),
            )
            .map_err(fail)?;
        let this_hour: i64 = tx
            .query_row(
                "SELECT count(*) FROM confirmation_mails WHERE sent_at > ?1",
                [limits.hour_ago],
                |r| r.get(0),
            )
            .map_err(fail)?;
        let outcome = if last.is_some_and(|t| t > limits.resend_after) {
            SignUp::TooSoon
        } else if this_hour as usize >= limits.per_hour {
            SignUp::CapReached
        } else {
            tx.execute(
                "INSERT INTO confirmation_mails (address_key, sent_at) VALUES (?1, ?2)",
                params![key, now],
            )
            .map_err(fail)?;
            SignUp::Confirm(wanted)
        };
        tx.commit().map_err(fail)?;
        Ok(outcome)
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
        let mut changed = false;
        for list in lists {
            let current = person.on(list);
            if current.is_some_and(|m| m.status == MemberStatus::Confirmed) {
                continue;
            }
            let mut consent = current.map(|m| m.consent.clone()).unwrap_or_default();
            if consent.source.is_empty() {
                consent.source = "form".into();
            }
            consent.confirmed_at = Some(now);
            put_membership(&tx, &key, list, MemberStatus::Confirmed, &consent, now)
                .map_err(fail)?;
            changed = true;
        }
        if changed {
            // Confirming from their own mailbox is consent again, and proof the address
            // works: an earlier unsubscribe or bounce no longer stands in the way.
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
        // Delivery rows keep the address as the list wrote it; SQLite's lower() folds ASCII
        // only, so the address as given is matched exactly too.
        removed += tx
            .execute(
                "DELETE FROM deliveries WHERE lower(address) = lower(?1) OR address = ?2",
                params![key, address.trim()],
            )
            .map_err(fail)?;
        tx.commit().map_err(fail)?;
        // The write-ahead log still holds the old pages until a checkpoint copies the
        // zeroed ones over and truncates it.
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(fail)?;
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
        }
    }

    fn limits(now: DateTime<Utc>, per_hour: usize) -> SignUpLimits {
        SignUpLimits {
            resend_after: now - chrono::Duration::days(1),
            hour_ago: now - chrono::Duration::hours(1),
            per_hour,
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
        assert!(l.confirm("A@example.org", &lists, later).unwrap());
        assert!(
            !l.confirm("a@example.org", &lists, later).unwrap(),
            "idempotent"
        );
        assert_eq!(
            l.sign_up(&r, &lists, later, limits(later, 9)).unwrap(),
            SignUp::AlreadyConfirmed
        );
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
        assert!(l.confirm("a@example.org", &lists, now).unwrap());
        assert!(l.suppressed("a@example.org").unwrap().is_none());
        let (members, _) = l.store_audience(&lists).unwrap();
        assert_eq!(members.len(), 1);
        assert!(l.erase("a@example.org").unwrap());
        assert!(l.person("a@example.org").unwrap().is_none());
        assert!(!l.erase("a@example.org").unwrap());
    }
}
