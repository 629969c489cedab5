//! The bounce service: a report (from a file, the daemon's SMTP listener, or a provider's
//! webhook) is matched to the message it is about and acted on, with one rule for all three.
//!
//! Matching, in order: the VERP token in the envelope recipient (`bounces+<token>@...`);
//! crier's own Message-ID in the quoted original; the failed address looked up among crier's
//! deliveries. A report that matches nothing is kept as "not ours" and changes nothing.
//!
//! Acting, by kind: a hard bounce suppresses the address (bounced, with code and text); a
//! complaint suppresses it at once (complained); soft bounces are counted, and
//! `bounces.soft_limit` of them within `bounces.soft_days` (about sends newer than the last
//! clean delivery) suppress it; a sender-side refusal never suppresses anyone and warns the
//! organiser; auto-replies and success notices are ignored. Every decision is recorded with
//! the report's id and where it came from; the same report taken twice changes nothing.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::subscriptions::Subscriptions;
use crate::bounce::{Kind, Report, Verdict};
use crate::config::Config;
use crate::email::TokenKey;
use crate::ledger::{BounceRecord, Ledger, LedgerError, Matched};
use crate::subscribers::{Address, SuppressionReason};

/// How long after a message was accepted a bounce about it may still come back: a delivery
/// older than this with no report counts as clean.
const SETTLE_HOURS: i64 = 72;

/// What is done with one recipient of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Never mailed again.
    Suppress,
    /// A soft bounce, counted.
    Count,
    /// A problem with the sender's set-up: the organiser is told.
    Warn,
    /// Not a failure (an auto-reply, a success notice), or not understood.
    Ignore,
    /// About no message crier sent.
    NotOurs,
}

impl Action {
    /// The word printed and stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Suppress => "suppress",
            Action::Count => "count",
            Action::Warn => "warn",
            Action::Ignore => "ignore",
            Action::NotOurs => "not-ours",
        }
    }
}

/// One decision: a report's verdict on one recipient, and what is done.
#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    /// Where the report came from (a file, `box.mbox#3`, `smtp`, `webhook:ses`).
    pub file: String,
    /// The recipient it is about, when known.
    pub recipient: Option<String>,
    /// hard, soft, sender-side, complaint, auto-reply, delivered, unknown.
    pub kind: &'static str,
    /// The status code, if given.
    pub status: Option<String>,
    /// The reason word (userunknown, mailboxfull, blocked...).
    pub reason: &'static str,
    /// What a real import does (or did).
    pub action: Action,
    /// The send it was matched to.
    #[serde(skip)]
    pub send_id: Option<String>,
    /// How it was matched.
    #[serde(skip)]
    pub attributed_by: &'static str,
    /// The diagnostic text.
    #[serde(skip)]
    pub detail: String,
    /// The report's id.
    #[serde(skip)]
    pub report: String,
}

/// The bounce service.
pub struct Bounces<'a> {
    config: &'a Config,
    key: &'a TokenKey,
}

impl<'a> Bounces<'a> {
    /// The service for `config`; `key` checks VERP tokens.
    pub fn new(config: &'a Config, key: &'a TokenKey) -> Self {
        Bounces { config, key }
    }

    /// Matches and classifies a parsed report, deciding what a real import would do. Changes
    /// nothing.
    pub fn decide(
        &self,
        ledger: &Ledger,
        report: &Report,
        id: &str,
        file: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<Decision>, LedgerError> {
        let matched = self.match_report(ledger, report)?;
        let mut decisions = Vec::new();
        for verdict in crate::bounce::classify(report) {
            let (who, by) = match &matched {
                Some((m, by)) => (Some(m.clone()), *by),
                None => (self.by_recipient(ledger, &verdict)?, "recipient"),
            };
            let decision = self.decision(ledger, verdict, who, by, file, id, now)?;
            decisions.push(decision);
        }
        Ok(decisions)
    }

    /// Decides on webhook events (already verified and classified by the provider's module).
    pub fn decide_events(
        &self,
        ledger: &Ledger,
        events: Vec<(Verdict, Option<String>, String)>,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<Decision>, LedgerError> {
        let mut decisions = Vec::new();
        for (verdict, message_id, id) in events {
            let by_id = match message_id.as_deref() {
                Some(mid) => self.by_message_id(ledger, mid)?,
                None => None,
            };
            let (who, by) = match by_id {
                Some(m) => (Some(m), "message-id"),
                None => (self.by_recipient(ledger, &verdict)?, "recipient"),
            };
            decisions.push(self.decision(ledger, verdict, who, by, source, &id, now)?);
        }
        Ok(decisions)
    }

    /// Carries out decisions: records each (once), and suppresses where they say so. Returns
    /// the decisions that were new.
    pub fn apply(
        &self,
        ledger: &mut Ledger,
        decisions: &[Decision],
        now: DateTime<Utc>,
    ) -> Result<Vec<Decision>, LedgerError> {
        let mut applied = Vec::new();
        for d in decisions {
            let key = d
                .recipient
                .as_deref()
                .map(|r| Address::unchecked(r).key().to_owned())
                .unwrap_or_default();
            let record = BounceRecord {
                report: d.report.clone(),
                recipient_key: key,
                source: d.file.clone(),
                received_at: now,
                send_id: d.send_id.clone(),
                attributed_by: d.attributed_by.to_owned(),
                kind: d.kind.to_owned(),
                status: d.status.clone(),
                reason: d.reason.to_owned(),
                detail: d.detail.chars().take(1000).collect(),
                action: d.action.as_str().to_owned(),
            };
            if !ledger.record_bounce(&record)? {
                continue;
            }
            if d.action == Action::Suppress {
                self.suppress(ledger, d, now)?;
            }
            applied.push(d.clone());
        }
        Ok(applied)
    }

    fn suppress(
        &self,
        ledger: &mut Ledger,
        d: &Decision,
        now: DateTime<Utc>,
    ) -> Result<(), LedgerError> {
        let Some(recipient) = &d.recipient else {
            return Ok(());
        };
        let reason = if d.kind == Kind::Complaint.as_str() {
            SuppressionReason::Complained
        } else {
            SuppressionReason::Bounced
        };
        let detail = match &d.status {
            Some(status) => format!("{status} {} ({})", d.detail, d.reason),
            None => format!("{} ({})", d.detail, d.reason),
        };
        let detail: String = detail.chars().take(300).collect();
        let address = Address::unchecked(recipient);
        Subscriptions::new(ledger, self.config).suppress(&address, reason, &detail, now)
    }

    #[allow(clippy::too_many_arguments)]
    fn decision(
        &self,
        ledger: &Ledger,
        verdict: Verdict,
        who: Option<Matched>,
        by: &'static str,
        file: &str,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<Decision, LedgerError> {
        let recipient = who
            .as_ref()
            .map(|m| m.address.to_string())
            .or(verdict.recipient.clone());
        let action = match (&who, verdict.kind) {
            (_, Kind::AutoReply | Kind::Delivered | Kind::Unknown) => Action::Ignore,
            (None, _) => Action::NotOurs,
            (Some(_), Kind::Hard | Kind::Complaint) => Action::Suppress,
            (Some(_), Kind::SenderSide) => Action::Warn,
            (Some(m), Kind::Soft) => self.soft(ledger, &m.address, id, now)?,
        };
        Ok(Decision {
            file: file.to_owned(),
            recipient,
            kind: verdict.kind.as_str(),
            status: verdict.status,
            reason: verdict.reason.as_str(),
            action,
            send_id: who.map(|m| m.send_id),
            attributed_by: if action == Action::NotOurs {
                "none"
            } else {
                by
            },
            detail: verdict.detail,
            report: id.to_owned(),
        })
    }

    /// A soft bounce suppresses once it makes `soft_limit` within `soft_days`.
    fn soft(
        &self,
        ledger: &Ledger,
        address: &Address,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<Action, LedgerError> {
        let settings = &self.config.bounces;
        let since = now - Duration::days(i64::from(settings.soft_days));
        let settle = Duration::hours(SETTLE_HOURS);
        let before = ledger.soft_bounces(address, since, now, settle)?;
        let this = i64::from(!ledger.bounce_recorded(id, address.key())?);
        Ok(if before + this >= i64::from(settings.soft_limit) {
            Action::Suppress
        } else {
            Action::Count
        })
    }

    /// The delivery the report's VERP token or quoted Message-ID names.
    fn match_report(
        &self,
        ledger: &Ledger,
        report: &Report,
    ) -> Result<Option<(Matched, &'static str)>, LedgerError> {
        let prefix = format!("{}+", self.config.bounces.local_part);
        let tokens = report.envelope_to.iter().chain(&report.to).filter_map(|a| {
            let local = a.rsplit_once('@')?.0;
            let token = local.get(prefix.len()..)?;
            local[..prefix.len()]
                .eq_ignore_ascii_case(&prefix)
                .then_some(token)
        });
        for token in tokens {
            if let Some((hash, seq)) = self.key.verify_bounce(token) {
                if let Some(m) = ledger.delivery_by_token(hash, seq)? {
                    return Ok(Some((m, "verp")));
                }
            }
        }
        let quoted = report
            .original
            .as_ref()
            .and_then(|o| o.message_id.as_deref());
        if let Some(m) = quoted
            .map(|id| self.by_message_id(ledger, id))
            .transpose()?
            .flatten()
        {
            return Ok(Some((m, "message-id")));
        }
        Ok(None)
    }

    /// The delivery a Message-ID of crier's names (`<send id>.<hash>@<list id domain>`).
    fn by_message_id(&self, ledger: &Ledger, id: &str) -> Result<Option<Matched>, LedgerError> {
        let id = id.trim().trim_start_matches('<').trim_end_matches('>');
        let Some((local, domain)) = id.rsplit_once('@') else {
            return Ok(None);
        };
        let ours = self
            .config
            .newsletter
            .as_ref()
            .is_some_and(|n| n.list_id_domain.eq_ignore_ascii_case(domain));
        let Some((send_id, hash)) = local.rsplit_once('.').filter(|_| ours) else {
            return Ok(None);
        };
        ledger.delivery_by_message_id(send_id, hash)
    }

    /// The newest delivery to the address the verdict names, if crier ever sent it one.
    fn by_recipient(
        &self,
        ledger: &Ledger,
        verdict: &Verdict,
    ) -> Result<Option<Matched>, LedgerError> {
        match verdict.recipient.as_deref().map(Address::parse) {
            Some(Ok(address)) => ledger.latest_delivery_to(&address),
            _ => Ok(None),
        }
    }
}

/// What importing reports did.
#[derive(Debug, Default)]
pub struct Imported {
    /// Every decision, in the order of the reports.
    pub decisions: Vec<Decision>,
    /// Messages that could not be read or parsed (logged and skipped), as `label: why`.
    pub skipped: Vec<String>,
    /// Decisions that were new (a real import; empty for a dry run).
    pub applied: usize,
}

impl Bounces<'_> {
    /// Reads `.eml` files, Maildirs and mboxes (never changing or deleting anything),
    /// classifies and matches every report, and (unless `dry_run`) acts on them.
    pub fn import(
        &self,
        ledger: &mut Option<Ledger>,
        paths: &[std::path::PathBuf],
        dry_run: bool,
        now: DateTime<Utc>,
    ) -> Result<Imported, LedgerError> {
        let mut out = Imported::default();
        for item in crate::bounce::read(paths) {
            let item = match item {
                Ok(item) => item,
                Err(err) => {
                    out.skipped.push(err.to_string());
                    continue;
                }
            };
            let report = match crate::bounce::parse(&item.bytes) {
                Ok(report) => report,
                Err(err) => {
                    out.skipped.push(format!("{}: {err}", item.label));
                    continue;
                }
            };
            let id = report_id(&report, &item.bytes);
            let decisions = match ledger.as_ref() {
                Some(l) => self.decide(l, &report, &id, &item.label, now)?,
                None => not_ours(&report, &id, &item.label),
            };
            if let (false, Some(l)) = (dry_run, ledger.as_mut()) {
                out.applied += self.apply(l, &decisions, now)?.len();
            }
            out.decisions.extend(decisions);
        }
        Ok(out)
    }
}

/// Without a ledger nothing was ever sent: every report is someone else's (or ignored).
fn not_ours(report: &Report, id: &str, file: &str) -> Vec<Decision> {
    crate::bounce::classify(report)
        .into_iter()
        .map(|verdict| {
            let ignore = matches!(
                verdict.kind,
                Kind::AutoReply | Kind::Delivered | Kind::Unknown
            );
            Decision {
                file: file.to_owned(),
                recipient: verdict.recipient,
                kind: verdict.kind.as_str(),
                status: verdict.status,
                reason: verdict.reason.as_str(),
                action: if ignore {
                    Action::Ignore
                } else {
                    Action::NotOurs
                },
                send_id: None,
                attributed_by: "none",
                detail: verdict.detail,
                report: id.to_owned(),
            }
        })
        .collect()
}

/// A report's id: its own Message-ID, or a hash of its bytes.
pub fn report_id(report: &Report, bytes: &[u8]) -> String {
    match report
        .message_id
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty())
    {
        Some(id) => id.chars().take(300).collect(),
        None => {
            use sha2::{Digest, Sha256};
            let digest = Sha256::digest(bytes);
            let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
            format!("sha256:{hex}")
        }
    }
}
