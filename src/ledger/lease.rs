//! Leases: which process is sending for the site, recorded in the ledger itself.
//!
//! A lock file can be deleted while it is held (a clean-up script, an organiser tidying
//! `state/`), and then a second sender starts the same digest. A lease row cannot be lost
//! that way: it is taken and renewed in immediate (write-locked) transactions, names its
//! owner, and expires when the owner stops renewing it (a process killed with `kill -9`); an
//! owner on this machine whose process is gone loses it at once. The sender also checks the
//! lease inside each transaction that marks messages as being sent, so a sender that lost
//! its lease cannot send another message.
//!
//! Times here are the wall clock, not the site's injected clock: a lease is about which real
//! process is alive now.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, TransactionBehavior};

use super::{Ledger, LedgerError};

/// Who holds a lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// The owner's id (host, process and a random part).
    pub owner: String,
    /// In words: `crier send (pid 1234 on host)`.
    pub holder: String,
    /// Until when, unless renewed.
    pub expires_at: DateTime<Utc>,
}

/// The owner id of this process: the host, the process id and a random part (a process id
/// is reused; the random part is not).
pub fn owner_id() -> String {
    let random = crate::util::random::id("").unwrap_or_else(|_| {
        format!(
            "{:x}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default()
        )
    });
    format!("{}:{}:{random}", hostname(), std::process::id())
}

/// This machine's name, for lease owners.
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

/// Whether `owner` is a process on this machine that no longer runs.
fn owner_is_gone(owner: &str) -> bool {
    let mut parts = owner.splitn(3, ':');
    let (Some(host), Some(pid)) = (parts.next(), parts.next()) else {
        return false;
    };
    host == hostname()
        && pid.parse::<u32>().is_ok_and(|pid| {
            pid != std::process::id() && !std::path::Path::new(&format!("/proc/{pid}")).exists()
        })
}

fn expired(holder: &Holder, now: DateTime<Utc>) -> bool {
    holder.expires_at <= now || owner_is_gone(&holder.owner)
}

impl Ledger {
    /// Takes lease `name` for `owner` for `ttl` unless someone else holds it; then returns
    /// who does.
    pub fn try_lease(
        &mut self,
        name: &str,
        owner: &str,
        holder: &str,
        ttl: Duration,
    ) -> Result<Result<(), Holder>, LedgerError> {
        let now = Utc::now();
        let path = self.path.clone();
        let fail = |action| super::sqlite_error(&path, action);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(fail("take the send lease"))?;
        let current = read(&tx, name).map_err(fail("read the send lease"))?;
        if let Some(current) = current.filter(|c| c.owner != owner && !expired(c, now)) {
            return Ok(Err(current));
        }
        tx.execute(
            "INSERT INTO leases (name, owner, holder, acquired_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(name) DO UPDATE SET owner = ?2, holder = ?3, acquired_at = ?4, expires_at = ?5",
            params![name, owner, holder, now, now + chrono_duration(ttl)],
        )
        .map_err(fail("take the send lease"))?;
        tx.commit().map_err(fail("take the send lease"))?;
        Ok(Ok(()))
    }

    /// Extends `owner`'s lease; `false` if it is no longer theirs (it expired and was taken).
    pub fn renew_lease(&self, name: &str, owner: &str, ttl: Duration) -> Result<bool, LedgerError> {
        let now = Utc::now();
        self.conn
            .execute(
                "UPDATE leases SET expires_at = ?3 WHERE name = ?1 AND owner = ?2",
                params![name, owner, now + chrono_duration(ttl)],
            )
            .map(|n| n == 1)
            .map_err(self.fail("renew the send lease"))
    }

    /// Whether `owner` holds lease `name` now (inside a sender's transaction: the fence).
    pub fn holds_lease(&self, name: &str, owner: &str) -> Result<bool, LedgerError> {
        let current = read(&self.conn, name).map_err(self.fail("check the send lease"))?;
        Ok(current.is_some_and(|c| c.owner == owner && c.expires_at > Utc::now()))
    }

    /// Gives lease `name` up, if `owner` holds it.
    pub fn release_lease(&self, name: &str, owner: &str) -> Result<(), LedgerError> {
        self.conn
            .execute(
                "DELETE FROM leases WHERE name = ?1 AND owner = ?2",
                params![name, owner],
            )
            .map(|_| ())
            .map_err(self.fail("release the send lease"))
    }

    /// Who holds lease `name`, if anyone does (expired leases are not held).
    pub fn lease_holder(&self, name: &str) -> Result<Option<Holder>, LedgerError> {
        let now = Utc::now();
        let current = read(&self.conn, name).map_err(self.fail("read the send lease"))?;
        Ok(current.filter(|c| !expired(c, now)))
    }
}

fn read(conn: &rusqlite::Connection, name: &str) -> rusqlite::Result<Option<Holder>> {
    conn.query_row(
        "SELECT owner, holder, expires_at FROM leases WHERE name = ?1",
        [name],
        |r| {
            Ok(Holder {
                owner: r.get(0)?,
                holder: r.get(1)?,
                expires_at: r.get(2)?,
            })
        },
    )
    .optional()
}

fn chrono_duration(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::Place;

    #[test]
    fn one_owner_at_a_time_and_a_dead_owner_loses_it() {
        let dir = tempfile::tempdir().unwrap();
        let place = Place::file(&dir.path().join("crier.db"));
        let mut a = Ledger::open(&place).unwrap();
        let mut b = Ledger::open(&place).unwrap();
        let ttl = Duration::from_secs(60);
        let me = owner_id();
        assert_eq!(a.try_lease("send", &me, "crier send", ttl).unwrap(), Ok(()));
        let other = owner_id();
        let busy = b
            .try_lease("send", &other, "daemon", ttl)
            .unwrap()
            .unwrap_err();
        assert_eq!(busy.holder, "crier send");
        assert!(a.holds_lease("send", &me).unwrap());
        assert!(!b.holds_lease("send", &other).unwrap());
        assert!(a.renew_lease("send", &me, ttl).unwrap());
        a.release_lease("send", &me).unwrap();
        assert_eq!(b.try_lease("send", &other, "daemon", ttl).unwrap(), Ok(()));
        assert!(!a.renew_lease("send", &me, ttl).unwrap(), "no longer ours");

        // An owner on this machine whose process is gone: taken over at once.
        let gone = format!("{}:{}:x", hostname(), u32::MAX - 7);
        b.release_lease("send", &other).unwrap();
        assert_eq!(b.try_lease("send", &gone, "old", ttl).unwrap(), Ok(()));
        assert_eq!(a.try_lease("send", &me, "new", ttl).unwrap(), Ok(()));
        // An expired lease: taken over.
        a.release_lease("send", &me).unwrap();
        assert_eq!(
            a.try_lease("send", &me, "short", Duration::ZERO).unwrap(),
            Ok(())
        );
        assert_eq!(b.try_lease("send", &other, "next", ttl).unwrap(), Ok(()));
    }
}
