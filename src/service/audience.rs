//! The next digest's audience, counted once for every command that shows it (`crier check`,
//! `crier status`, `crier subscribers count`), exactly as the dry run and the send count it:
//! the same walk over the lists and the subscriber store, with the people left out counted
//! by reason.

use crate::config::Config;
use crate::ledger::LedgerError;
use crate::plan::{self, Stream, Tally, WalkError};

/// The next digest's audience as it stands (the ledger read-only; member requests still
/// waiting in the journal are applied by the send itself, and `crier state check` counts
/// them). `None` without a newsletter.
pub fn next_digest(config: &Config) -> Result<Option<Tally>, LedgerError> {
    let Some(settings) = config.newsletter.as_ref() else {
        return Ok(None);
    };
    let ledger = super::state::State::new(config).read()?;
    let audience = plan::audience(config, settings, Stream::Digest, ledger.as_ref())?;
    let tally = audience
        .walk(ledger.as_ref(), |_| Ok::<(), std::convert::Infallible>(()))
        .map_err(|err| match err {
            WalkError::Ledger(e) => e,
            WalkError::NoLedger(id) => LedgerError::Missing {
                path: id,
                evidence: vec!["a frozen send was walked without its ledger".into()],
            },
            WalkError::Visit(never) => match never {},
        })?;
    Ok(Some(tally))
}
