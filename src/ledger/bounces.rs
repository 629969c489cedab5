//! Bounce and complaint reports in the ledger: finding the delivery a report is about, and
//! recording every decision taken on one.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use super::{Ledger, LedgerError};
use crate::email::compose::message_id_hash;
use crate::email::tokens::send_hash;
use crate::subscribers::Address;

/// A delivery a report was matched to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matched {
    /// The send.
    pub send_id: String,
    /// The recipient as frozen.
    pub address: Address,
}

/// One decision on one recipient of one report, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BounceRecord {
    /// The report (its Message-ID, or a hash of its bytes; `provider:event` for webhooks).
    pub report: String,
    /// The recipient's address key (empty when the report names none).
    pub recipient_key: String,
    /// Where it came from: a file, `smtp`, `webhook:<provider>`.
    pub source: String,
    /// When crier took it.
    pub received_at: DateTime<Utc>,
    /// The send it was matched to, if any.
    pub send_id: Option<String>,
    /// How it was matched: `verp`, `message-id`, `recipient`, or `none`.
    pub attributed_by: String,
    /// hard, soft, sender-side, complaint, auto-reply, delivered, unknown.
    pub kind: String,
    /// The status code, if given.
    pub status: Option<String>,
    /// The reason word.
    pub reason: String,
    /// The diagnostic text.
    pub detail: String,
    /// What was done: suppress, count, warn, ignore, not-ours.
    pub action: String,
}

/// Per send: how its recipients' reports came back.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct BounceCounts {
    /// Hard bounces.
    pub hard: i64,
    /// Soft bounces.
    pub soft: i64,
    /// Complaints.
    pub complaints: i64,
    /// Refusals that say something about the sender's set-up.
    pub sender_side: i64,
}

impl Ledger {
    /// The delivery a bounce token names: the send whose id hashes to `hash`, and its
    /// recipient number `seq`.
    pub fn delivery_by_token(
        &self,
        hash: [u8; 6],
        seq: i64,
    ) -> Result<Option<Matched>, LedgerError> {
        let fail = || self.fail("match a bounce to its send");
        let ids: Vec<String> = {
            let mut stmt = self
                .conn
                .prepare("SELECT id FROM digests ORDER BY created DESC")
                .map_err(fail())?;
            let rows = stmt.query_map([], |r| r.get(0)).map_err(fail())?;
            rows.collect::<rusqlite::Result<_>>().map_err(fail())?
        };
        let Some(send_id) = ids.into_iter().find(|id| send_hash(id) == hash) else {
            return Ok(None);
        };
        let address: Option<String> = self
            .conn
            .query_row(
                "SELECT address FROM deliveries WHERE digest_id = ?1 AND seq = ?2",
                params![send_id, seq],
                |r| r.get(0),
            )
            .optional()
            .map_err(fail())?;
        Ok(address.map(|a| Matched {
            send_id,
            address: Address::unchecked(&a),
        }))
    }

    /// The delivery of `send_id` whose Message-ID ends in `id_hash`.
    pub fn delivery_by_message_id(
        &self,
        send_id: &str,
        id_hash: &str,
    ) -> Result<Option<Matched>, LedgerError> {
        let fail = || self.fail("match a bounce to its message");
        let mut stmt = self
            .conn
            .prepare("SELECT address, list FROM deliveries WHERE digest_id = ?1")
            .map_err(fail())?;
        let mut rows = stmt.query([send_id]).map_err(fail())?;
        while let Some(row) = rows.next().map_err(fail())? {
            let address = Address::unchecked(&row.get::<_, String>(0).map_err(fail())?);
            let list: String = row.get(1).map_err(fail())?;
            if message_id_hash(&list, &address) == id_hash {
                return Ok(Some(Matched {
                    send_id: send_id.to_owned(),
                    address,
                }));
            }
        }
        Ok(None)
    }

    /// The newest delivery to `address`, if crier ever sent it anything.
    pub fn latest_delivery_to(&self, address: &Address) -> Result<Option<Matched>, LedgerError> {
        self.conn
            .query_row(
                "SELECT digest_id, address FROM deliveries WHERE address_key = ?1
                 ORDER BY updated DESC LIMIT 1",
                [address.key()],
                |r| {
                    Ok(Matched {
                        send_id: r.get(0)?,
                        address: Address::unchecked(&r.get::<_, String>(1)?),
                    })
                },
            )
            .optional()
            .map_err(self.fail("look up an address's deliveries"))
    }

    /// Records a decision; `false` when this report's decision on this recipient is recorded
    /// already (the same report taken twice changes nothing).
    pub fn record_bounce(&self, record: &BounceRecord) -> Result<bool, LedgerError> {
        self.conn
            .execute(
                "INSERT OR IGNORE INTO bounce_reports (report, recipient_key, source, received_at,
                 send_id, attributed_by, kind, status, reason, detail, action)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![
                    record.report,
                    record.recipient_key,
                    record.source,
                    record.received_at,
                    record.send_id,
                    record.attributed_by,
                    record.kind,
                    record.status,
                    record.reason,
                    record.detail,
                    record.action
                ],
            )
            .map(|n| n > 0)
            .map_err(self.fail("record a bounce"))
    }

    /// Whether this report's decision on this recipient is recorded already.
    pub fn bounce_recorded(&self, report: &str, recipient_key: &str) -> Result<bool, LedgerError> {
        self.conn
            .query_row(
                "SELECT count(*) FROM bounce_reports WHERE report = ?1 AND recipient_key = ?2",
                params![report, recipient_key],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n > 0)
            .map_err(self.fail("look up a bounce"))
    }

    /// Soft bounces of `address` received after `since` about sends newer than its last
    /// clean delivery: a send the server accepted, at least `settle` before `now`, that no
    /// report came back about. A clean delivery resets the count.
    pub fn soft_bounces(
        &self,
        address: &Address,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
        settle: chrono::Duration,
    ) -> Result<i64, LedgerError> {
        let key = address.key();
        let clean: Option<DateTime<Utc>> = self
            .conn
            .query_row(
                "SELECT max(s.at) FROM deliveries d JOIN digests s ON s.id = d.digest_id
                 WHERE d.address_key = ?1 AND d.status = 'sent' AND s.at <= ?2
                 AND NOT EXISTS (SELECT 1 FROM bounce_reports b
                                 WHERE b.send_id = d.digest_id AND b.recipient_key = ?1)",
                params![key, now - settle],
                |r| r.get(0),
            )
            .map_err(self.fail("count soft bounces"))?;
        self.conn
            .query_row(
                "SELECT count(DISTINCT coalesce(b.send_id, b.report)) FROM bounce_reports b
                 LEFT JOIN digests s ON s.id = b.send_id
                 WHERE b.recipient_key = ?1 AND b.kind = 'soft' AND b.received_at > ?2
                 AND (?3 IS NULL OR s.at IS NULL OR s.at > ?3)",
                params![key, since, clean],
                |r| r.get(0),
            )
            .map_err(self.fail("count soft bounces"))
    }

    /// How the reports about `send_id`'s recipients came back.
    pub fn bounce_counts(&self, send_id: &str) -> Result<BounceCounts, LedgerError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT kind, count(DISTINCT recipient_key) FROM bounce_reports
                 WHERE send_id = ?1 GROUP BY kind",
            )
            .map_err(self.fail("count bounces"))?;
        let rows = stmt
            .query_map([send_id], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
            })
            .map_err(self.fail("count bounces"))?;
        let mut counts = BounceCounts::default();
        for row in rows {
            let (kind, n) = row.map_err(self.fail("count bounces"))?;
            match kind.as_str() {
                "hard" => counts.hard = n,
                "soft" => counts.soft = n,
                "complaint" => counts.complaints = n,
                "sender-side" => counts.sender_side = n,
                _ => {}
            }
        }
        Ok(counts)
    }

    /// How many of `send_id`'s recipients unsubscribed from everything after it was frozen.
    pub fn unsubscribed_since(&self, send_id: &str) -> Result<i64, LedgerError> {
        self.conn
            .query_row(
                "SELECT count(*) FROM deliveries d JOIN digests s ON s.id = d.digest_id
                 JOIN suppressions x ON x.address = d.address_key
                 WHERE d.digest_id = ?1 AND x.reason = 'unsubscribed' AND x.at >= s.created",
                [send_id],
                |r| r.get(0),
            )
            .map_err(self.fail("count unsubscribes"))
    }

    /// Forgets a webhook event id (its request could not be acted on: the retry is welcome).
    pub fn webhook_forget(&self, provider: &str, id: &str) -> Result<(), LedgerError> {
        self.conn
            .execute(
                "DELETE FROM webhook_seen WHERE provider = ?1 AND id = ?2",
                params![provider, id],
            )
            .map(|_| ())
            .map_err(self.fail("forget a webhook event"))
    }

    /// Notes a webhook event id; `true` if it was seen already (a replay). Ids older than
    /// `forget_before` are forgotten.
    pub fn webhook_seen(
        &self,
        provider: &str,
        id: &str,
        now: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> Result<bool, LedgerError> {
        let fail = || self.fail("remember a webhook event");
        self.conn
            .execute(
                "DELETE FROM webhook_seen WHERE seen_at < ?1",
                [forget_before],
            )
            .map_err(fail())?;
        let added = self
            .conn
            .execute(
                "INSERT OR IGNORE INTO webhook_seen (provider, id, seen_at) VALUES (?1, ?2, ?3)",
                params![provider, id, now],
            )
            .map_err(fail())?;
        Ok(added == 0)
    }
}
