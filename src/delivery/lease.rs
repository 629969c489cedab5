//! One sender per site: the send lease, held in the ledger while a send is delivered (see
//! [`crate::ledger::lease`]), renewed by a heartbeat thread, and checked by the sender inside
//! every transaction that marks messages as being sent (the [`Fence`]). So the daemon and an
//! organiser's `crier send` never deliver the same send twice, even if someone deletes files
//! in `state/`, and a sender frozen long enough to lose its lease sends nothing more.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::ledger::lease::{self, Holder};
use crate::ledger::{Ledger, LedgerError, Place};

/// The lease's name in the ledger.
pub const SEND_LEASE: &str = "send";
/// How long the lease lasts without a renewal (a killed sender's lease is free after this).
pub const TTL: Duration = Duration::from_secs(60);
/// How often the heartbeat renews it.
const RENEW_EVERY: Duration = Duration::from_secs(10);
/// How often a waiting sender asks again.
const POLL: Duration = Duration::from_millis(500);

/// What the sender checks in each of its transactions: that this owner holds the lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fence {
    /// The lease's owner id.
    pub owner: String,
}

impl Fence {
    /// Whether the fence holds now, in the transaction open on `ledger`.
    pub fn holds(&self, ledger: &Ledger) -> Result<bool, LedgerError> {
        ledger.holds_lease(SEND_LEASE, &self.owner)
    }
}

/// Someone else is sending for this site.
#[derive(Debug, thiserror::Error)]
#[error("another crier process ({}) is sending for this site (send lease in {ledger}, held until {} unless renewed)", holder.holder, holder.expires_at.format("%Y-%m-%d %H:%M:%S UTC"))]
pub struct Busy {
    /// Who.
    pub holder: Holder,
    /// The ledger file holding the lease.
    pub ledger: String,
}

/// A held send lease; given up when dropped (and by expiry when the process dies).
pub struct SendLease {
    fence: Fence,
    place: Place,
    stop: Arc<(Mutex<bool>, Condvar)>,
    lost: Arc<AtomicBool>,
    heartbeat: Option<JoinHandle<()>>,
}

impl SendLease {
    /// Takes the lease without waiting.
    pub fn try_take(place: &Place) -> Result<Result<SendLease, Busy>, LedgerError> {
        let owner = lease::owner_id();
        let holder = format!("crier pid {} on {}", std::process::id(), lease::hostname());
        let mut ledger = Ledger::open(place)?;
        match ledger.try_lease(SEND_LEASE, &owner, &holder, TTL)? {
            Ok(()) => Ok(Ok(SendLease::start(place.clone(), owner))),
            Err(holder) => Ok(Err(Busy {
                holder,
                ledger: ledger.path().to_owned(),
            })),
        }
    }

    /// Takes the lease, waiting for the holder to give it up (or for its lease to expire);
    /// `waiting` is told who holds it, once.
    pub fn take(place: &Place, waiting: impl FnOnce(&Busy)) -> Result<SendLease, LedgerError> {
        let mut waiting = Some(waiting);
        loop {
            match Self::try_take(place)? {
                Ok(lease) => return Ok(lease),
                Err(busy) => {
                    if let Some(tell) = waiting.take() {
                        tell(&busy);
                    }
                    std::thread::sleep(POLL);
                }
            }
        }
    }

    fn start(place: Place, owner: String) -> SendLease {
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let lost = Arc::new(AtomicBool::new(false));
        let heartbeat = {
            let (place, owner, stop, lost) = (
                place.clone(),
                owner.clone(),
                Arc::clone(&stop),
                Arc::clone(&lost),
            );
            std::thread::Builder::new()
                .name("send-lease".into())
                .spawn(move || heartbeat(&place, &owner, &stop, &lost))
                .ok()
        };
        SendLease {
            fence: Fence { owner },
            place,
            stop,
            lost,
            heartbeat,
        }
    }

    /// The fence the sender checks.
    pub fn fence(&self) -> &Fence {
        &self.fence
    }

    /// Whether the heartbeat found the lease taken by someone else.
    pub fn lost(&self) -> bool {
        self.lost.load(Ordering::SeqCst)
    }
}

/// Renews the lease every [`RENEW_EVERY`] until told to stop; a renewal that finds the lease
/// gone marks it lost (the sender's fence then stops the send).
fn heartbeat(place: &Place, owner: &str, stop: &(Mutex<bool>, Condvar), lost: &AtomicBool) {
    let (stopped, wake) = stop;
    let mut guard = stopped.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        let (g, _) = wake
            .wait_timeout(guard, RENEW_EVERY)
            .unwrap_or_else(|e| e.into_inner());
        guard = g;
        if *guard {
            return;
        }
        match Ledger::open(place).and_then(|l| l.renew_lease(SEND_LEASE, owner, TTL)) {
            Ok(true) => {}
            Ok(false) => {
                tracing::error!(
                    "the send lease was taken over by another process: this send stops"
                );
                lost.store(true, Ordering::SeqCst);
                return;
            }
            // Busy or failing: try again at the next beat; the lease lasts six of them.
            Err(err) => tracing::warn!(%err, "cannot renew the send lease; trying again"),
        }
    }
}

impl Drop for SendLease {
    fn drop(&mut self) {
        let (stopped, wake) = &*self.stop;
        *stopped.lock().unwrap_or_else(|e| e.into_inner()) = true;
        wake.notify_all();
        if let Some(thread) = self.heartbeat.take() {
            let _ = thread.join();
        }
        if let Err(err) =
            Ledger::open(&self.place).and_then(|l| l.release_lease(SEND_LEASE, &self.fence.owner))
        {
            tracing::warn!(%err, "cannot give the send lease up; it expires on its own");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_second_sender_is_told_who_sends_and_gets_the_lease_after() {
        let dir = tempfile::tempdir().unwrap();
        let place = Place::file(&dir.path().join("state/crier.db"));
        let first = SendLease::try_take(&place).unwrap().unwrap();
        let busy = SendLease::try_take(&place).unwrap().err().unwrap();
        assert!(busy
            .to_string()
            .contains(&format!("crier pid {}", std::process::id())));
        assert!(busy.to_string().contains("state/crier.db"), "{busy}");
        let ledger = Ledger::open(&place).unwrap();
        assert!(first.fence().holds(&ledger).unwrap());
        drop(first);
        assert!(SendLease::try_take(&place).unwrap().is_ok());
    }
}
