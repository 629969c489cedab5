//! Freezing a plan: its content and its recipients written to the ledger in one transaction,
//! after which the send is carried out from the ledger alone (and resumed from it after a
//! crash).

use super::{Entry, Plan, SkipReason, Skipped, Tally, WalkError};
use crate::clock::Clock;
use crate::diagnostics::Diagnostic;
use crate::ledger::{Ledger, LedgerError, SendRow, SendStatus};

/// A plan frozen in the ledger.
#[derive(Debug)]
pub struct Frozen {
    /// Recipients queued.
    pub queued: usize,
    /// Everyone met while freezing.
    pub tally: Tally,
    /// Who was left out and why.
    pub skipped: Vec<Skipped>,
}

/// Why a plan could not be frozen.
#[derive(Debug, thiserror::Error)]
pub enum FreezeError {
    /// The ledger failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// Whole subscriber lists could not be read: nothing was frozen or sent.
    #[error("subscriber lists have errors, so nothing was sent (everyone on them would be skipped):\n{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Lists(Vec<Diagnostic>),
}

impl From<WalkError<FreezeError>> for FreezeError {
    fn from(err: WalkError<FreezeError>) -> Self {
        match err {
            WalkError::Ledger(e) => FreezeError::Ledger(e),
            WalkError::NoLedger(id) => FreezeError::Lists(vec![Diagnostic::error(
                std::path::Path::new(&id),
                1,
                1,
                "a frozen send needs its ledger",
            )]),
            WalkError::Visit(e) => e,
        }
    }
}

/// Freezes `plan` with its recipients in one transaction (nothing is written if a whole list
/// is unreadable). A resumed plan is frozen already; it is left alone.
pub fn freeze(plan: &Plan, ledger: &mut Ledger, clock: &Clock) -> Result<Frozen, FreezeError> {
    if plan.is_resumed() {
        let tally = plan
            .audience
            .walk(Some(&*ledger), |_| Ok::<(), FreezeError>(()))?;
        return Ok(Frozen {
            queued: tally.recipients,
            tally,
            skipped: Vec::new(),
        });
    }
    let row = SendRow {
        id: plan.id.clone(),
        kind: plan.kind,
        created: clock.now_utc(),
        at: plan.at.to_utc(),
        summary: plan.summary.clone(),
        outgoing: plan.outgoing.clone(),
        status: SendStatus::Sending,
    };
    let mut skipped = Vec::new();
    let mut tally = Tally::default();
    let audience = &plan.audience;
    let queued = ledger.freeze_with(&row, clock.now_utc(), |insert| {
        tally = audience.walk(None, |entry| {
            match entry {
                Entry::Recipient(sub) => {
                    if !insert.add(&sub)? {
                        // Suppressed between planning and freezing (an unsubscribe just now).
                        skipped.push(Skipped {
                            address: sub.email.to_string(),
                            list: sub.list,
                            reason: SkipReason::Unsubscribed,
                            detail: "suppressed while the send was being frozen".to_owned(),
                        });
                    }
                }
                Entry::Skipped(s) => skipped.push(s),
            }
            Ok::<(), FreezeError>(())
        })?;
        if tally.fatal.is_empty() {
            Ok(())
        } else {
            Err(FreezeError::Lists(tally.fatal.clone()))
        }
    })?;
    Ok(Frozen {
        queued,
        tally,
        skipped,
    })
}
