//! How sends went, for `crier status`: per send, the deliveries the server took, the
//! failures, the bounces and complaints that came back, and the unsubscribes since, with the
//! rates mailbox providers judge a sender by.

use serde::Serialize;

use crate::ledger::{BounceCounts, Counts, Ledger, LedgerError, SendRow};

/// Gmail, Yahoo and Outlook reject bulk mail above this complaint rate.
pub const COMPLAINT_LIMIT: f64 = 0.003;
/// Amazon SES reviews accounts above this complaint rate.
pub const SES_COMPLAINT_LIMIT: f64 = 0.001;
/// Amazon SES pauses accounts above this bounce rate.
pub const BOUNCE_LIMIT: f64 = 0.05;

/// One send's figures.
#[derive(Debug, Clone, Serialize)]
pub struct SendReport {
    /// The send.
    pub id: String,
    /// digest, post or reminder.
    pub kind: String,
    /// sending or done.
    pub status: String,
    /// The time it was composed for (RFC 3339).
    pub at: String,
    /// Deliveries by state.
    #[serde(skip)]
    pub counts: Counts,
    /// Accepted by the server.
    pub sent: i64,
    /// Queued or in flight.
    pub pending: i64,
    /// Refused for good while sending.
    pub failed: i64,
    /// Not sent: suppressed after the send was frozen.
    pub skipped: i64,
    /// Reports that came back about its recipients.
    pub bounces: BounceCounts,
    /// Its recipients who unsubscribed (from everything) since it was sent.
    pub unsubscribed: i64,
    /// (hard + soft bounces + refusals) / sent-or-refused (failures to compose left out).
    pub bounce_rate: f64,
    /// complaints / sent.
    pub complaint_rate: f64,
    /// The thresholds it passed, in plain words.
    pub warnings: Vec<String>,
}

/// The figures of the last `last` newsletter sends, newest first.
pub fn recent(ledger: &Ledger, last: usize) -> Result<Vec<SendReport>, LedgerError> {
    ledger
        .recent(last)?
        .into_iter()
        .map(|row| report(ledger, row))
        .collect()
}

fn report(ledger: &Ledger, row: SendRow) -> Result<SendReport, LedgerError> {
    let counts = ledger.counts(&row.id)?;
    let bounces = ledger.bounce_counts(&row.id)?;
    let unsubscribed = ledger.unsubscribed_since(&row.id)?;
    // A message that could not be composed never reached a server: not a bounce.
    let refused = counts.failed - ledger.not_composed(&row.id)?;
    let attempted = (counts.sent + refused).max(1) as f64;
    let bounced = bounces.hard + bounces.soft + refused;
    let bounce_rate = bounced as f64 / attempted;
    let complaint_rate = bounces.complaints as f64 / counts.sent.max(1) as f64;
    let mut warnings = Vec::new();
    if complaint_rate > COMPLAINT_LIMIT {
        warnings.push(format!(
            "{:.2}% of recipients reported this send as spam: above 0.3%, Gmail, Yahoo and Outlook start rejecting a sender's bulk mail. Mail only people who asked for it, and make leaving easy.",
            complaint_rate * 100.0
        ));
    } else if complaint_rate > SES_COMPLAINT_LIMIT {
        warnings.push(format!(
            "{:.2}% of recipients reported this send as spam: above 0.1%, Amazon SES reviews the account.",
            complaint_rate * 100.0
        ));
    }
    if bounce_rate > BOUNCE_LIMIT {
        warnings.push(format!(
            "{:.1}% of messages bounced: above 5%, Amazon SES pauses sending, and other providers trust the sender less. Old or imported lists are the usual cause; the dead addresses are now suppressed.",
            bounce_rate * 100.0
        ));
    }
    if bounces.sender_side > 0 {
        warnings.push(format!(
            "{} messages were refused for reasons about how the mail is sent, not the addresses: check SPF, DKIM and DMARC for the From domain, the server's reverse DNS, and block-lists.",
            bounces.sender_side
        ));
    }
    Ok(SendReport {
        id: row.id,
        kind: row.kind.to_string(),
        status: row.status.to_string(),
        at: row.at.to_rfc3339(),
        sent: counts.sent,
        pending: counts.pending(),
        failed: counts.failed,
        skipped: counts.skipped,
        counts,
        bounces,
        unsubscribed,
        bounce_rate,
        complaint_rate,
        warnings,
    })
}

impl std::fmt::Display for SendReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let skipped = if self.skipped > 0 {
            format!(", {} skipped (suppressed after freezing)", self.skipped)
        } else {
            String::new()
        };
        writeln!(
            f,
            "{} {} ({}, composed for {}): {} sent, {} pending, {} failed{skipped}",
            self.id, self.kind, self.status, self.at, self.sent, self.pending, self.failed
        )?;
        let b = &self.bounces;
        writeln!(
            f,
            "  came back: {} bounced ({} hard, {} soft), {} complained, {} unsubscribed; bounce rate {:.1}%, complaint rate {:.2}%",
            b.hard + b.soft,
            b.hard,
            b.soft,
            b.complaints,
            self.unsubscribed,
            self.bounce_rate * 100.0,
            self.complaint_rate * 100.0
        )?;
        for warning in &self.warnings {
            writeln!(f, "  warning: {warning}")?;
        }
        Ok(())
    }
}
