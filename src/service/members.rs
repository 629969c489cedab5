//! What members do from their own links, made durable before they are answered.
//!
//! A one-click unsubscribe or a preferences change is appended to the member-request journal
//! (and synced) first, then written to the ledger. When the ledger cannot take it at once
//! (another process holds its write lock for a long import, or it is damaged) the request
//! stays pending in the journal and the member is still told it is done: it is applied as
//! soon as the ledger is free (the daemon retries every few seconds) and always before a
//! send plans its audience ([`Members::apply_pending`]). Reading a person's preferences opens
//! the ledger read-only, which never waits for a writer.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::subscriptions::{Confirmed, Erasure, Preferences, Saved, Subscriptions};
use crate::config::Config;
use crate::ledger::journal::{Journal, JournalError};
use crate::ledger::{Ledger, LedgerError, Place};
use crate::subscribers::{Address, Choice, MemberRequest};

/// How long a member's request waits for another process's write lock before it is left
/// pending in the journal: short, so the member's page answers at once.
const WRITE_WAIT: Duration = Duration::from_millis(1500);

/// Whether a request reached the ledger or waits in the journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// Written to the ledger.
    Now,
    /// Durable in the journal; applied when the ledger can take it.
    Pending,
}

/// Why a member's request could not be kept at all (neither journaled nor written).
#[derive(Debug, thiserror::Error)]
pub enum MembersError {
    /// The ledger failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The journal failed.
    #[error(transparent)]
    Journal(#[from] JournalError),
}

/// The members' service for one site.
pub struct Members<'a> {
    config: &'a Config,
    place: Place,
    journal: Journal,
}

impl<'a> Members<'a> {
    /// The service for `config`'s site.
    pub fn new(config: &'a Config) -> Self {
        let place = Place::of(config);
        let journal = Journal::new(&place.journal);
        Members {
            config,
            place,
            journal,
        }
    }

    /// One-click unsubscribe (RFC 8058) from a message on `list`.
    pub fn unsubscribe(
        &self,
        address: &Address,
        list: &str,
        now: DateTime<Utc>,
    ) -> Result<Recorded, MembersError> {
        let request = MemberRequest::Unsubscribe {
            list: list.to_owned(),
        };
        self.submit(address, request, now)
            .map(|(recorded, _)| recorded)
    }

    /// Saves choices from the preferences page; the page's new state when it was written now.
    pub fn save_choices(
        &self,
        address: &Address,
        choice: &Choice,
        now: DateTime<Utc>,
    ) -> Result<(Recorded, Option<(Saved, Preferences)>), MembersError> {
        self.submit(address, MemberRequest::Choose(choice.clone()), now)
    }

    /// Journals `request`, then applies every pending request (this one included).
    fn submit(
        &self,
        address: &Address,
        request: MemberRequest,
        now: DateTime<Utc>,
    ) -> Result<(Recorded, Option<(Saved, Preferences)>), MembersError> {
        // A site whose ledger was never made makes it now, before the journal holds anything:
        // a journal with entries is evidence of history, and would make a new ledger wait for
        // the organiser forever.
        if !self.place.db.exists() {
            if let Err(err) = Ledger::open(&self.place) {
                tracing::warn!(%err, "cannot create the ledger for a member's request");
            }
        }
        let entry = match self.journal.append(now, address.as_str(), request.clone()) {
            Ok(entry) => entry,
            Err(err) => {
                // The journal cannot be written (a full disk?): the ledger directly, waiting
                // for it as long as any write would.
                tracing::error!(%err, "cannot journal a member's request; writing it to the ledger directly");
                return self
                    .direct(address, &request, now)
                    .map(|page| (Recorded::Now, page));
            }
        };
        let contents = self.journal.read()?.unwrap_or_default();
        let outcome = self.open_for_request().and_then(|mut ledger| {
            let mut page = None;
            apply_entries(&mut ledger, self.config, &contents, |seq, out| {
                if seq == entry.seq {
                    page = out;
                }
            })?;
            Ok(page)
        });
        match outcome {
            Ok(page) => Ok((Recorded::Now, page)),
            Err(err) => {
                tracing::warn!(%err, "a member's request is kept in the journal until the ledger can take it");
                Ok((Recorded::Pending, None))
            }
        }
    }

    fn open_for_request(&self) -> Result<Ledger, LedgerError> {
        let ledger = Ledger::open(&self.place)?;
        ledger.set_busy_timeout(WRITE_WAIT)?;
        Ok(ledger)
    }

    fn direct(
        &self,
        address: &Address,
        request: &MemberRequest,
        now: DateTime<Utc>,
    ) -> Result<Option<(Saved, Preferences)>, MembersError> {
        let mut ledger = Ledger::open(&self.place)?;
        let mut service = Subscriptions::new(&mut ledger, self.config);
        Ok(match request {
            MemberRequest::Unsubscribe { list } => {
                service.unsubscribe(address, list, now)?;
                None
            }
            MemberRequest::Choose(choice) => Some(service.save_choices(address, choice, now)?),
        })
    }

    /// What `address`'s preferences page shows (the ledger opened read-only).
    pub fn preferences(&self, address: &Address) -> Result<Preferences, MembersError> {
        match Ledger::open_read(&self.place)? {
            Some(mut ledger) => {
                Ok(Subscriptions::new(&mut ledger, self.config).preferences(address)?)
            }
            None => {
                // A site that never sent: nobody is stored yet; the page shows the lists.
                let mut ledger = Ledger::open(&self.place)?;
                Ok(Subscriptions::new(&mut ledger, self.config).preferences(address)?)
            }
        }
    }

    /// Confirms a subscription from the link in a confirmation e-mail.
    pub fn confirm(
        &self,
        address: &Address,
        lists: &[String],
        issued: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Confirmed, MembersError> {
        let mut ledger = Ledger::open(&self.place)?;
        // Requests made before this confirmation come first (a choice made after the link
        // was sent stands against it).
        self.apply_pending_into(&mut ledger)?;
        Ok(Subscriptions::new(&mut ledger, self.config).confirm(address, lists, issued, now)?)
    }

    /// Applies every pending request to the ledger (opening it for writing, and waiting for
    /// another process's write lock as long as any write would).
    pub fn apply_pending(&self) -> Result<usize, MembersError> {
        if self.journal.read()?.is_none() {
            return Ok(0);
        }
        let mut ledger = Ledger::open(&self.place)?;
        self.apply_pending_into(&mut ledger)
    }

    /// Applies every pending request unless another process holds the write lock for more
    /// than a moment (the daemon tries again shortly).
    pub fn try_apply_pending(&self) -> Result<usize, MembersError> {
        if self.journal.read()?.is_none() {
            return Ok(0);
        }
        let mut ledger = self.open_for_request()?;
        self.apply_pending_into(&mut ledger)
    }

    /// Applies every pending request to an open ledger: a send calls this before it plans.
    pub fn apply_pending_into(&self, ledger: &mut Ledger) -> Result<usize, MembersError> {
        let Some(contents) = self.journal.read()? else {
            return Ok(0);
        };
        Ok(apply_entries(ledger, self.config, &contents, |_, _| {})?)
    }

    /// How many requests wait in the journal (0 when the ledger cannot be read: the daemon's
    /// health shows that on its own).
    pub fn pending(&self) -> Result<usize, MembersError> {
        let Some(contents) = self.journal.read()? else {
            return Ok(0);
        };
        let applied = match Ledger::open_read(&self.place)? {
            Some(ledger) => ledger.journal_applied(&contents.id)?,
            None => 0,
        };
        Ok(contents.entries.iter().filter(|e| e.seq > applied).count())
    }

    /// Erases everything stored about `address`: their requests waiting in the journal
    /// first (so none is applied after the rows are gone), then the ledger's rows and the
    /// message files ([`Subscriptions::erase`]).
    pub fn erase(&self, address: &Address) -> Result<Erasure, MembersError> {
        let forgotten = self.forget(address)?;
        let mut ledger = Ledger::open(&self.place)?;
        let mut done = Subscriptions::new(&mut ledger, self.config).erase(address)?;
        done.requests_forgotten = forgotten;
        done.stored |= forgotten > 0;
        Ok(done)
    }

    /// Forgets every request of `address` (erasure): returns how many were removed.
    pub fn forget(&self, address: &Address) -> Result<usize, MembersError> {
        let key = address.key().to_owned();
        Ok(self
            .journal
            .retain(|e| crate::subscribers::address::key_of(&e.address) != key)?)
    }

    /// Drops requests every kept copy of the ledger already holds (applied in the oldest
    /// backup, or in the ledger when there is no backup), so the journal stays small but a
    /// restore of any kept backup still replays what came after it.
    pub fn prune(&self, oldest_backup_applied: Option<u64>) -> Result<usize, MembersError> {
        let Some(contents) = self.journal.read()? else {
            return Ok(0);
        };
        let in_place = match Ledger::open_read(&self.place)? {
            Some(ledger) => ledger.journal_applied(&contents.id)?,
            None => return Ok(0),
        };
        let covered = oldest_backup_applied.map_or(in_place, |b| b.min(in_place));
        Ok(self.journal.retain(|e| e.seq > covered)?)
    }
}

/// Applies the entries of `contents` after the ledger's mark, in order; `each` sees every
/// applied entry's page state. Returns how many were applied.
fn apply_entries(
    ledger: &mut Ledger,
    config: &Config,
    contents: &crate::ledger::journal::Contents,
    mut each: impl FnMut(u64, Option<(Saved, Preferences)>),
) -> Result<usize, LedgerError> {
    let done = ledger.journal_applied(&contents.id)?;
    let mut applied = 0;
    let mut service = Subscriptions::new(ledger, config);
    for entry in contents.entries.iter().filter(|e| e.seq > done) {
        let address = Address::unchecked(&entry.address);
        let out =
            service.apply_request(&contents.id, entry.seq, &address, &entry.request, entry.at)?;
        applied += 1;
        each(entry.seq, out);
    }
    if applied > 0 {
        tracing::info!(applied, "member requests applied from the journal");
    }
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> (tempfile::TempDir, Config) {
        let dir = tempfile::tempdir().unwrap();
        let config = "site:\n  title: T\n  url: https://meetup.example.com\n  author: O\n\
             newsletter:\n  from: { name: T, address: news@example.com }\n\
             audience:\n  lists:\n    - name: members\n      title: Members\n";
        std::fs::write(dir.path().join("crier.yaml"), config).unwrap();
        let config = crate::config::load(dir.path()).unwrap();
        (dir, config)
    }

    fn journal_text(config: &Config) -> String {
        std::fs::read_to_string(Place::of(config).journal).unwrap_or_default()
    }

    #[test]
    fn erasure_forgets_the_persons_journaled_requests_and_keeps_others() {
        let (_dir, config) = site();
        // No ledger yet: the first request makes it rather than waiting in the journal.
        let members = Members::new(&config);
        let now: DateTime<Utc> = "2026-11-20T10:00:00Z".parse().unwrap();
        let gone = Address::parse("Gone@Example.org").unwrap();
        let kept = Address::parse("kept@example.org").unwrap();
        assert_eq!(
            members.unsubscribe(&gone, "members", now).unwrap(),
            Recorded::Now
        );
        assert_eq!(
            members.unsubscribe(&kept, "members", now).unwrap(),
            Recorded::Now
        );
        assert!(journal_text(&config)
            .to_lowercase()
            .contains("gone@example.org"));

        let done = members
            .erase(&Address::unchecked("GONE@example.org"))
            .unwrap();
        assert_eq!(done.requests_forgotten, 1);
        assert!(done.stored);
        let text = journal_text(&config).to_lowercase();
        assert!(!text.contains("gone@example.org"), "{text}");
        assert!(text.contains("kept@example.org"), "{text}");
        // Nothing is replayed into the ledger for them afterwards.
        members.apply_pending().unwrap();
        let again = members.erase(&gone).unwrap();
        assert!(!again.stored, "{again:?}");
        assert_eq!(again.requests_forgotten, 0);
    }
}
