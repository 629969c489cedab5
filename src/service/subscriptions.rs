//! The subscriptions service: every rule about people, in one place. The doors (the sign-up
//! and preferences pages, `crier subscribers`, one-click unsubscribe) call these functions and
//! nothing else; the store below only reads and writes rows ([`PeopleTx`]).
//!
//! The rules:
//! - a form post is a stranger's word until the mailbox confirms: it adds a new person and new
//!   pending memberships, and changes nothing already stored (a name, a status, a consent
//!   record);
//! - nobody may make crier mail an address that bounced or reported spam;
//! - one confirmation e-mail per address per day, and at most `confirmations_per_hour` in all;
//! - an import or an organiser never brings back someone who left a list: only their own
//!   confirmation does, and a choice made after a confirmation link was sent stands against
//!   that link;
//! - who gets a list is [`crate::subscribers::membership`]'s rule, for the planner and the
//!   preferences page alike.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::config::{AudienceSettings, Config, PublicList, REMINDERS};
use crate::subscribers::export;
use crate::subscribers::import::{self, Parsed};
use crate::subscribers::membership;
use crate::subscribers::store::{
    Applied, Consent, Filter, MemberStatus, PeopleTx, Person, Record, SignUp, Store,
};
use crate::subscribers::{Address, Suppression, SuppressionReason};
use crate::util::input::Input;

/// Records an import writes per transaction (tens of milliseconds of work).
const IMPORT_CHUNK: usize = 500;

/// The subscriptions service over a store.
pub struct Subscriptions<'a, S: Store> {
    store: &'a mut S,
    audience: &'a AudienceSettings,
    /// The organiser's CSV lists (`newsletter.subscribers_dir`), if there is a newsletter.
    csv_dir: Option<&'a std::path::Path>,
    /// Where copies of messages are kept: the outbox, and the preview folder if there is a
    /// newsletter.
    message_dirs: Vec<&'a std::path::Path>,
}

/// What an erasure did. It is complete only when [`Erasure::files_left`] is empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Erasure {
    /// The store held something about the address (now gone).
    pub stored: bool,
    /// Files removed from the outbox and preview folders: messages to or about the person.
    pub files_removed: Vec<std::path::PathBuf>,
    /// Files that hold (or may hold) the person's messages but were not removed, with why.
    pub files_left: Vec<(std::path::PathBuf, String)>,
    /// The person's requests that were still waiting in the member-request journal.
    pub requests_forgotten: usize,
}

/// A form post that passed the bot checks, asking to join.
#[derive(Debug, Clone)]
pub struct SignUpRequest {
    /// The address given.
    pub address: Address,
    /// The name given, cleaned.
    pub name: Option<String>,
    /// The lists ticked (names; unknown ones are ignored).
    pub lists: Vec<String>,
    /// The page the form was on.
    pub page: Option<String>,
    /// The client's address.
    pub ip: Option<String>,
    /// When (whole seconds: the confirmation link carries it).
    pub at: DateTime<Utc>,
}

/// What confirming a link did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmed {
    /// The person is now on the lists.
    Joined,
    /// They were on them already: nothing changed.
    Already,
    /// They left after the link was sent: their later choice stands, nothing changed.
    LeftSince,
    /// The address bounced or reported spam, or nothing is stored about it any more.
    Refused,
}

/// One list on a preferences page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListChoice {
    /// Its name.
    pub name: String,
    /// Its title.
    pub title: String,
    /// Its description, if any.
    pub description: Option<String>,
    /// The person gets it now.
    pub on: bool,
}

/// The reminders choice on a preferences page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ReminderChoice {
    /// The person gets reminders now.
    pub on: bool,
}

/// What a person's preferences page shows: their lists (the public ones, and any CSV list
/// they are on), whether they get reminders, and whether all mail is off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Preferences {
    /// The address, as stored.
    pub address: String,
    /// Their lists.
    pub lists: Vec<ListChoice>,
    /// Reminders, when people may turn them off on their own.
    pub reminders: Option<ReminderChoice>,
    /// An address-wide suppression stops all mail.
    pub suppressed: bool,
}

pub use crate::subscribers::Choice;
use crate::subscribers::MemberRequest;

/// What saving a choice did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saved {
    /// The choices are saved; some mail still goes.
    Choices,
    /// Nothing goes any more.
    LeftEverything,
}

impl Saved {
    /// The sentence the page shows.
    pub fn sentence(self) -> &'static str {
        match self {
            Saved::Choices => "Your choices are saved.",
            Saved::LeftEverything => "You will get no more e-mails from us.",
        }
    }
}

/// What adding a person did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    /// They are confirmed on the list.
    Confirmed,
    /// They left the list earlier: only their own confirmation brings them back.
    KeptOut,
}

/// Who `list` and `export` show.
#[derive(Debug, Clone, Default)]
pub struct Who {
    /// Only this person.
    pub address: Option<String>,
    /// Only this list and status.
    pub filter: Filter,
}

impl<'a, S: Store> Subscriptions<'a, S> {
    /// The service for `config`'s audience over `store`.
    pub fn new(store: &'a mut S, config: &'a Config) -> Self {
        Subscriptions {
            store,
            audience: &config.audience,
            csv_dir: config
                .newsletter
                .as_ref()
                .map(|n| n.subscribers_dir.as_path()),
            message_dirs: std::iter::once(config.delivery.outbox_dir.as_path())
                .chain(config.newsletter.as_ref().map(|n| n.preview_dir.as_path()))
                .collect(),
        }
    }

    /// The lists a form post joins: those ticked that people may join, else the first one.
    pub fn chosen_lists(&self, asked: &[String]) -> Vec<String> {
        chosen_lists(self.audience, asked)
    }

    /// Records a form sign-up and says whether a confirmation e-mail may go (and records that
    /// it does). Pending sign-ups nobody confirmed in time are forgotten on the way.
    pub fn sign_up(&mut self, request: &SignUpRequest) -> Result<SignUp, S::Error> {
        let audience = self.audience;
        let lists = chosen_lists(audience, &request.lists);
        self.store.write("record a sign-up", |tx| {
            let forget_before = request.at - Duration::days(i64::from(audience.confirm_days));
            tx.forget_pending_before(forget_before)?;
            sign_up_in(tx, request, &lists, audience)
        })
    }

    /// Confirms `address` on `lists`, as asked at `issued` (the link's time). Before an
    /// unsubscribe is lifted by confirming some lists, every other list the person is on (the
    /// organiser's CSV lists included) is marked left: re-joining one list does not bring
    /// back the rest.
    pub fn confirm(
        &mut self,
        address: &Address,
        lists: &[String],
        issued: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Confirmed, S::Error> {
        let csv = self.csv_lists_of(address);
        self.store.write("confirm a subscription", |tx| {
            confirm_in(tx, address, lists, &csv, issued, now)
        })
    }

    /// What `address`'s preferences page shows.
    pub fn preferences(&self, address: &Address) -> Result<Preferences, S::Error> {
        let csv = self.csv_lists_of(address);
        let person = self.store.person(address.as_str())?;
        let suppressed = self.store.suppression(address.key())?.is_some();
        Ok(preferences_of(
            person,
            suppressed,
            self.audience,
            &csv,
            address,
        ))
    }

    /// Saves a person's choices from their preferences page (only what changed is written:
    /// an unchanged CSV membership stays the organiser's row), and returns the page's new
    /// state.
    pub fn save_choices(
        &mut self,
        address: &Address,
        choice: &Choice,
        now: DateTime<Utc>,
    ) -> Result<(Saved, Preferences), S::Error> {
        let csv = self.csv_lists_of(address);
        let audience = self.audience;
        self.store.write("save preferences", |tx| {
            let saved = save_in(tx, audience, &csv, address, choice, now)?;
            let person = tx.person(address.key())?;
            let suppressed = tx.suppression(address.key())?.is_some();
            let page = preferences_of(person, suppressed, audience, &csv, address);
            Ok((saved, page))
        })
    }

    /// One-click unsubscribe (RFC 8058) from a message on `list`: no mail of any kind any
    /// more. Idempotent.
    pub fn unsubscribe(
        &mut self,
        address: &Address,
        list: &str,
        now: DateTime<Utc>,
    ) -> Result<(), S::Error> {
        let detail = format!("link in a message on list {list}");
        self.store.write("record an unsubscribe", |tx| {
            tx.suppress(address.key(), SuppressionReason::Unsubscribed, &detail, now)
        })
    }

    /// Applies a member's request, entry `seq` of journal `journal`, and records in the same
    /// transaction that the journal is applied that far (so it is applied once, whatever
    /// fails between). A choice returns the preferences page's new state.
    pub fn apply_request(
        &mut self,
        journal: &str,
        seq: u64,
        address: &Address,
        request: &MemberRequest,
        at: DateTime<Utc>,
    ) -> Result<Option<(Saved, Preferences)>, S::Error> {
        let csv = self.csv_lists_of(address);
        let audience = self.audience;
        self.store.write("apply a member's request", |tx| {
            let out = match request {
                MemberRequest::Unsubscribe { list } => {
                    let detail = format!("link in a message on list {list}");
                    tx.suppress(address.key(), SuppressionReason::Unsubscribed, &detail, at)?;
                    None
                }
                MemberRequest::Choose(choice) => {
                    let saved = save_in(tx, audience, &csv, address, choice, at)?;
                    let person = tx.person(address.key())?;
                    let suppressed = tx.suppression(address.key())?.is_some();
                    Some((
                        saved,
                        preferences_of(person, suppressed, audience, &csv, address),
                    ))
                }
            };
            tx.mark_applied(journal, seq)?;
            Ok(out)
        })
    }

    /// Never mails `address` again: it bounced, its owner complained, or an organiser (or a
    /// provider's suppression export) says so. Every list it is on in the store shows why
    /// (bounced, complained, unsubscribed), and an earlier suppression keeps its reason.
    pub fn suppress(
        &mut self,
        address: &Address,
        reason: SuppressionReason,
        detail: &str,
        now: DateTime<Utc>,
    ) -> Result<(), S::Error> {
        let status = match reason {
            SuppressionReason::Bounced => MemberStatus::Bounced,
            SuppressionReason::Complained => MemberStatus::Complained,
            SuppressionReason::Unsubscribed => MemberStatus::Unsubscribed,
        };
        self.store.write("suppress an address", |tx| {
            tx.suppress(address.key(), reason, detail, now)?;
            let Some(person) = tx.person(address.key())? else {
                return Ok(());
            };
            for m in person.memberships.iter().filter(|m| m.status != status) {
                tx.put_membership(address.key(), &m.list, status, &m.consent, now)?;
            }
            Ok(())
        })
    }

    /// Lifts `address`'s suppression (an organiser's decision: the address works again).
    pub fn unsuppress(&mut self, address: &Address) -> Result<(), S::Error> {
        self.store.write("lift a suppression", |tx| {
            tx.lift_suppression(address.key())
        })
    }

    /// Adds (or updates) `address`, confirmed, on `list`: someone who asked an organiser in
    /// person.
    pub fn add(
        &mut self,
        address: &Address,
        name: Option<String>,
        list: &str,
        now: DateTime<Utc>,
    ) -> Result<Added, S::Error> {
        let record = Record {
            address: address.to_string(),
            name,
            attrs: BTreeMap::new(),
            status: MemberStatus::Confirmed,
            consent: Consent {
                source: "cli".into(),
                opted_in_at: Some(now),
                confirmed_at: Some(now),
                ..Consent::default()
            },
            changed_at: None,
            created_at: None,
            suppression: None,
        };
        let applied = self
            .store
            .write("add a subscriber", |tx| apply_in(tx, list, &[record], now))?;
        Ok(if applied.kept_out > 0 {
            Added::KeptOut
        } else {
            Added::Confirmed
        })
    }

    /// Unsubscribes `address` from `list`, or (without one) from every list and from all
    /// mail.
    pub fn remove(
        &mut self,
        address: &Address,
        list: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), S::Error> {
        self.store.write("remove a subscriber", |tx| {
            let lists: Vec<String> = match list {
                Some(list) => vec![list.to_owned()],
                None => tx
                    .person(address.key())?
                    .map(|p| p.memberships.into_iter().map(|m| m.list).collect())
                    .unwrap_or_default(),
            };
            let changes: Vec<(String, MemberStatus)> = lists
                .into_iter()
                .map(|l| (l, MemberStatus::Unsubscribed))
                .collect();
            set_status_in(tx, address, &changes, "cli", now)?;
            if list.is_none() {
                let detail = "removed with `crier subscribers remove`";
                tx.suppress(address.key(), SuppressionReason::Unsubscribed, detail, now)?;
            }
            Ok(())
        })
    }

    /// Erases everything stored about `address`: the store's rows, and every message to or
    /// about them kept in the outbox and preview folders. The files go first, and a file that
    /// cannot be removed never stops the rest: it is listed in [`Erasure::files_left`] for the
    /// organiser, so the person's data never stays behind unannounced.
    pub fn erase(&mut self, address: &Address) -> Result<Erasure, S::Error> {
        let copies = crate::delivery::copies::remove_copies(&self.message_dirs, address.key());
        let removed = self
            .store
            .write("erase a subscriber", |tx| tx.erase(address.key()))?;
        self.store.purge_deleted()?;
        Ok(Erasure {
            stored: removed > 0,
            files_removed: copies.removed,
            files_left: copies.left,
            requests_forgotten: 0,
        })
    }

    /// The organiser's CSV lists `address` is on (read from the files: they are the truth).
    pub fn csv_lists_of(&self, address: &Address) -> Vec<String> {
        let Some(dir) = self.csv_dir else {
            return Vec::new();
        };
        let (files, _) = crate::subscribers::list_files(dir, &[], &[]);
        files
            .into_iter()
            .filter(|f| {
                let mut found = false;
                let _ = crate::subscribers::read_list(&f.path, &f.name, |s| {
                    found |= s.email == *address;
                    Ok::<(), ()>(())
                });
                found
            })
            .map(|f| f.name)
            .collect()
    }

    /// Imports `parsed` rows (read with [`read_import`]): every row onto `list`, or, without
    /// one, onto the list its `list` column names (crier's own export: a list of
    /// `audience.lists`, the reminders, or one of the site's CSV lists). Rows about an
    /// address on no list bring its person and its suppression.
    pub fn import(
        &mut self,
        parsed: Parsed,
        list: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<import::Report, S::Error> {
        let audience = self.audience;
        let csv_lists: Vec<String> = self
            .csv_dir
            .map(|dir| crate::subscribers::list_files(dir, &[], &[]).0)
            .unwrap_or_default()
            .into_iter()
            .map(|f| f.name)
            .collect();
        let allowed = |name: &str| {
            audience.list(name).is_some()
                || name == REMINDERS
                || csv_lists.iter().any(|l| l == name)
        };
        let (batches, mut report) = import::batches(parsed, list, &allowed);
        // A chunk per transaction: a 200,000-row import never holds the write lock for more
        // than a moment, so unsubscribes and sends go on meanwhile. Stopped half-way, the
        // import is simply run again (rows already applied change nothing).
        for (name, records) in batches.lists {
            let mut total = Applied::default();
            for chunk in records.chunks(IMPORT_CHUNK) {
                let applied = self
                    .store
                    .write("import subscribers", |tx| apply_in(tx, &name, chunk, now))?;
                total.add(&applied);
            }
            report.lists.insert(name, total);
        }
        for chunk in batches.alone.chunks(IMPORT_CHUNK) {
            let applied = self
                .store
                .write("import subscribers", |tx| apply_alone_in(tx, chunk, now))?;
            report.alone.add(&applied);
        }
        Ok(report)
    }

    /// What `crier subscribers export` writes for `who`: the people, with their suppressions,
    /// and (when everyone is asked for, or the one address) the suppressed addresses nobody is
    /// stored for, so a new ledger that imports the file mails nobody who asked for no mail.
    pub fn export(&self, who: &Who) -> Result<export::Entries, S::Error> {
        let people = self.people(who)?;
        let filtered = who.filter.list.is_some() || who.filter.status.is_some();
        let alone = match &who.address {
            _ if filtered => Vec::new(),
            Some(_) if !people.is_empty() => Vec::new(),
            Some(address) => self
                .store
                .suppression(Address::unchecked(address).key())?
                .into_iter()
                .collect(),
            None => {
                let stored: std::collections::HashSet<String> = people
                    .iter()
                    .map(|(p, _)| crate::subscribers::address::key_of(&p.address))
                    .collect();
                let mut alone = self.store.suppressions()?;
                alone.retain(|s| !stored.contains(s.address.as_str()));
                alone
            }
        };
        Ok(export::Entries { people, alone })
    }

    /// The people `who` names, with their suppression.
    pub fn people(&self, who: &Who) -> Result<Vec<(Person, Option<Suppression>)>, S::Error> {
        let mut people = Vec::new();
        match &who.address {
            Some(address) => people.extend(self.store.person(address)?),
            None => self
                .store
                .each_person(&who.filter, &mut |p| people.push(p))?,
        }
        let suppressions: BTreeMap<String, Suppression> = self
            .store
            .suppressions()?
            .into_iter()
            .map(|s| (s.address.clone(), s))
            .collect();
        Ok(people
            .into_iter()
            .map(|p| {
                let s = suppressions
                    .get(Address::unchecked(&p.address).key())
                    .cloned();
                (p, s)
            })
            .collect())
    }
}

/// Why a list cannot be written to by an organiser's command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotJoinable {
    /// No list was named and none is configured.
    #[error("`audience.lists` is empty: name a list with --list")]
    NoLists,
    /// The list is not one people can be on.
    #[error("list `{name}` is not in `audience.lists` of crier.yaml ({known}); add it there first, or digests would never reach its members")]
    Unknown {
        /// The list named.
        name: String,
        /// The lists configured.
        known: String,
    },
}

/// The list an organiser's command writes to: `named`, which must be one of
/// `audience.lists` (else digests would never reach its members), or the first of them.
pub fn joinable_list(
    audience: &AudienceSettings,
    named: Option<&str>,
) -> Result<String, NotJoinable> {
    let name = match named {
        Some(l) => l.to_owned(),
        None => audience
            .lists
            .first()
            .map(|l| l.name.clone())
            .ok_or(NotJoinable::NoLists)?,
    };
    if audience.list(&name).is_none() {
        let known: Vec<&str> = audience.lists.iter().map(|l| l.name.as_str()).collect();
        return Err(NotJoinable::Unknown {
            name,
            known: known.join(", "),
        });
    }
    Ok(name)
}

/// Reads an import file (or standard input) in `format`, within the site's `limits:`: a
/// regular file only, at most `limits.import_mib` and `limits.import_rows`, a zip of at most
/// a few entries; a file without an address column is an error. Nothing is stored yet:
/// [`Subscriptions::import`] applies the rows.
pub fn read_import(
    config: &Config,
    input: &Input,
    format: import::Format,
) -> Result<Parsed, import::ImportError> {
    import::read(input, format, &import::ImportLimits::of(&config.limits))
}

/// The lists a form post joins: those ticked that people may join, else the first one.
fn chosen_lists(audience: &AudienceSettings, asked: &[String]) -> Vec<String> {
    let mut lists: Vec<String> = audience
        .lists
        .iter()
        .filter(|l| asked.contains(&l.name))
        .map(|l| l.name.clone())
        .collect();
    if lists.is_empty() {
        lists.extend(audience.lists.first().map(|l| l.name.clone()));
    }
    lists
}

fn sign_up_in<E>(
    tx: &mut dyn PeopleTx<Error = E>,
    request: &SignUpRequest,
    lists: &[String],
    audience: &AudienceSettings,
) -> Result<SignUp, E> {
    let key = request.address.key();
    let suppression = tx.suppression(key)?.map(|s| s.reason);
    if matches!(
        suppression,
        Some(SuppressionReason::Bounced | SuppressionReason::Complained)
    ) {
        return Ok(SignUp::Blocked);
    }
    let known = tx.person(key)?;
    if known.is_none() {
        let attrs = BTreeMap::new();
        tx.put_person(
            &request.address,
            request.name.as_deref(),
            &attrs,
            request.at,
        )?;
    }
    let consent = Consent {
        source: "form".into(),
        opted_in_at: Some(request.at),
        page: request.page.clone(),
        ip: request.ip.clone(),
        confirmed_at: None,
    };
    let mut wanted = Vec::new();
    for list in lists {
        match known.as_ref().and_then(|p| p.on(list)) {
            Some(m) if m.status == MemberStatus::Confirmed && suppression.is_none() => continue,
            Some(_) => {}
            None => tx.put_membership(key, list, MemberStatus::Pending, &consent, request.at)?,
        }
        wanted.push(list.clone());
    }
    if wanted.is_empty() {
        return Ok(SignUp::AlreadyConfirmed);
    }
    if tx
        .last_confirmation_mail(key)?
        .is_some_and(|t| t > request.at - Duration::days(1))
    {
        return Ok(SignUp::TooSoon);
    }
    let this_hour = tx.confirmation_mails_since(request.at - Duration::hours(1))?;
    if this_hour >= audience.confirmations_per_hour as usize {
        return Ok(SignUp::CapReached);
    }
    let (page, ip) = (request.page.as_deref(), request.ip.as_deref());
    tx.record_confirmation_mail(key, request.at, &wanted, page, ip)?;
    Ok(SignUp::Confirm(wanted))
}

fn confirm_in<E>(
    tx: &mut dyn PeopleTx<Error = E>,
    address: &Address,
    lists: &[String],
    csv: &[String],
    issued: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Confirmed, E> {
    let key = address.key();
    let Some(person) = tx.person(key)? else {
        return Ok(Confirmed::Refused);
    };
    let suppressed = tx.suppression(key)?;
    match &suppressed {
        Some(s) if s.reason != SuppressionReason::Unsubscribed => return Ok(Confirmed::Refused),
        // A choice made after the link was sent stands: an old link cannot undo it.
        Some(s) if s.at > issued => return Ok(Confirmed::LeftSince),
        _ => {}
    }
    let (page, ip) = tx.confirmation_request(key, issued)?.unwrap_or_default();
    let consent = Consent {
        source: "form".into(),
        opted_in_at: Some(issued),
        page,
        ip,
        confirmed_at: Some(now),
    };
    let mut changed = false;
    let mut left_since = false;
    for list in lists {
        let current = person.on(list);
        let confirmed = current.is_some_and(|m| m.status == MemberStatus::Confirmed);
        if current.is_some_and(|m| m.status.opts_out() && m.changed_at > issued) {
            left_since = true;
            continue;
        }
        if confirmed && suppressed.is_none() {
            continue;
        }
        if suppressed.is_some() && !changed {
            keep_other_lists_off(tx, address, &person, lists, csv, now)?;
        }
        tx.put_membership(key, list, MemberStatus::Confirmed, &consent, now)?;
        changed = true;
    }
    if changed && suppressed.is_some() {
        // Asking again and confirming from one's own mailbox undoes an earlier unsubscribe.
        tx.lift_suppression(key)?;
    }
    Ok(match (changed, left_since) {
        (true, _) => Confirmed::Joined,
        (false, true) => Confirmed::LeftSince,
        (false, false) => Confirmed::Already,
    })
}

/// Marks every list `person` is on, other than `lists` (and reminders), as left.
fn keep_other_lists_off<E>(
    tx: &mut dyn PeopleTx<Error = E>,
    address: &Address,
    person: &Person,
    lists: &[String],
    csv: &[String],
    now: DateTime<Utc>,
) -> Result<(), E> {
    let mut others: Vec<String> = csv.to_vec();
    others.extend(person.memberships.iter().map(|m| m.list.clone()));
    others.retain(|l| !lists.contains(l) && l != REMINDERS);
    others.sort();
    others.dedup();
    let changes: Vec<(String, MemberStatus)> = others
        .into_iter()
        .map(|l| (l, MemberStatus::Unsubscribed))
        .collect();
    set_status_in(tx, address, &changes, "unsubscribe", now)
}

/// Sets `address`'s status on each list named; an address not yet stored is added. Choosing
/// a list on one's own preferences page (reached from one's mailbox) is an opt-in and its
/// confirmation at once.
fn set_status_in<E>(
    tx: &mut dyn PeopleTx<Error = E>,
    address: &Address,
    changes: &[(String, MemberStatus)],
    source: &str,
    now: DateTime<Utc>,
) -> Result<(), E> {
    if changes.is_empty() {
        return Ok(());
    }
    let person = tx.person(address.key())?;
    if person.is_none() {
        tx.put_person(address, None, &BTreeMap::new(), now)?;
    }
    for (list, status) in changes {
        let current = person.as_ref().and_then(|p| p.on(list));
        if current.is_some_and(|m| m.status == *status) {
            continue;
        }
        let mut consent = current.map(|m| m.consent.clone()).unwrap_or_default();
        if consent.source.is_empty() {
            consent.source = source.to_owned();
        }
        if *status == MemberStatus::Confirmed && consent.confirmed_at.is_none() {
            consent.opted_in_at.get_or_insert(now);
            consent.confirmed_at = Some(now);
        }
        tx.put_membership(address.key(), list, *status, &consent, now)?;
    }
    Ok(())
}

fn preferences_of(
    person: Option<Person>,
    suppressed: bool,
    audience: &AudienceSettings,
    csv: &[String],
    address: &Address,
) -> Preferences {
    let status = |list: &str| person.as_ref().and_then(|p| p.on(list)).map(|m| m.status);
    let on = |list: &str| {
        !suppressed && membership::on_list(status(list), csv.contains(&list.to_owned()))
    };
    let mut lists: Vec<ListChoice> = audience
        .lists
        .iter()
        .map(|l: &PublicList| ListChoice {
            name: l.name.clone(),
            title: l.title.clone(),
            description: l.description.clone(),
            on: on(&l.name),
        })
        .collect();
    for list in csv.iter().filter(|l| audience.list(l).is_none()) {
        lists.push(ListChoice {
            name: list.clone(),
            title: list.clone(),
            description: None,
            on: on(list),
        });
    }
    let reminders = audience.reminders.then(|| ReminderChoice {
        on: !suppressed && status(REMINDERS) != Some(MemberStatus::Unsubscribed),
    });
    Preferences {
        address: person.map_or_else(|| address.to_string(), |p| p.address),
        lists,
        reminders,
        suppressed,
    }
}

fn save_in<E>(
    tx: &mut dyn PeopleTx<Error = E>,
    audience: &AudienceSettings,
    csv: &[String],
    address: &Address,
    choice: &Choice,
    now: DateTime<Utc>,
) -> Result<Saved, E> {
    let person = tx.person(address.key())?;
    let stored = |list: &str| person.as_ref().and_then(|p| p.on(list)).map(|m| m.status);
    let on_now = |list: &str| membership::on_list(stored(list), csv.contains(&list.to_owned()));
    let mut shown: Vec<String> = audience.lists.iter().map(|l| l.name.clone()).collect();
    shown.extend(csv.iter().cloned());
    shown.sort();
    shown.dedup();
    let wanted: Vec<(String, bool)> = shown
        .iter()
        .map(|l| (l.clone(), choice.lists.contains(l) && !choice.leave))
        .collect();
    // Only what changed is written: an unchanged CSV membership stays the organiser's row,
    // not a store record that would outlive its removal from the file.
    let status_of = |want: bool| {
        if want {
            MemberStatus::Confirmed
        } else {
            MemberStatus::Unsubscribed
        }
    };
    let mut changes: Vec<(String, MemberStatus)> = wanted
        .iter()
        .filter(|(l, want)| *want != on_now(l))
        .map(|(l, want)| (l.clone(), status_of(*want)))
        .collect();
    let reminders_now = stored(REMINDERS) != Some(MemberStatus::Unsubscribed);
    let reminders = choice.reminders && !choice.leave;
    if audience.reminders && reminders != reminders_now {
        changes.push((REMINDERS.to_owned(), status_of(reminders)));
    }
    set_status_in(tx, address, &changes, "preferences", now)?;
    if choice.leave || !wanted.iter().any(|(_, want)| *want) {
        let detail = "left every list on the preferences page";
        tx.suppress(address.key(), SuppressionReason::Unsubscribed, detail, now)?;
        return Ok(Saved::LeftEverything);
    }
    // Choosing a list again from one's own mailbox lifts an earlier unsubscribe (not a
    // bounce or a complaint).
    if tx
        .suppression(address.key())?
        .is_some_and(|s| s.reason == SuppressionReason::Unsubscribed)
    {
        tx.lift_suppression(address.key())?;
    }
    Ok(Saved::Choices)
}

/// Applies one list's records: new people and memberships are added, changed ones updated,
/// with the times the source recorded (when the status changed, when the person was first
/// stored). An import never brings back someone who left the list; the same status again
/// keeps the consent and the time already recorded (a form's proof is not replaced by a bare
/// CSV row), filling in only what it lacks. A record's address-wide opt-out becomes a
/// suppression whatever its list row says, and an earlier suppression stands.
fn apply_in<E>(
    tx: &mut dyn PeopleTx<Error = E>,
    list: &str,
    records: &[Record],
    now: DateTime<Utc>,
) -> Result<Applied, E> {
    let mut applied = Applied::default();
    for record in records {
        let address = Address::unchecked(&record.address);
        let key = address.key();
        let detail = || format!("{} ({list})", record.consent.source);
        applied.suppressed += usize::from(suppress_in(tx, key, record, detail, now)?);
        let person = tx.person(key)?;
        let current = person.as_ref().and_then(|p| p.on(list)).cloned();
        if current.as_ref().is_some_and(|m| m.status.opts_out()) && !record.status.opts_out() {
            applied.kept_out += 1;
            continue;
        }
        let person_changed = put_person_merged(tx, &address, person.as_ref(), record, now)?;
        let (consent, changed_at) = match &current {
            Some(m) if m.status == record.status => {
                (merged(&m.consent, &record.consent), m.changed_at)
            }
            _ => (record.consent.clone(), record.changed_at.unwrap_or(now)),
        };
        let unchanged = current
            .as_ref()
            .is_some_and(|m| m.status == record.status && m.consent == consent);
        if !unchanged {
            tx.put_membership(key, list, record.status, &consent, changed_at)?;
        }
        match (current.is_some(), unchanged, person_changed) {
            (false, _, _) => applied.added += 1,
            (true, false, _) | (true, true, true) => applied.updated += 1,
            (true, true, false) => applied.unchanged += 1,
        }
    }
    Ok(applied)
}

/// Applies records about an address on no list: the person (when the record names one:
/// crier's export wrote a person on no list) and the suppression.
fn apply_alone_in<E>(
    tx: &mut dyn PeopleTx<Error = E>,
    records: &[Record],
    now: DateTime<Utc>,
) -> Result<Applied, E> {
    let mut applied = Applied::default();
    for record in records {
        let address = Address::unchecked(&record.address);
        let key = address.key();
        let detail = || record.consent.source.clone();
        applied.suppressed += usize::from(suppress_in(tx, key, record, detail, now)?);
        let is_person =
            record.created_at.is_some() || record.name.is_some() || !record.attrs.is_empty();
        if !is_person {
            continue;
        }
        let person = tx.person(key)?;
        match (
            person.is_some(),
            put_person_merged(tx, &address, person.as_ref(), record, now)?,
        ) {
            (false, _) => applied.added += 1,
            (true, true) => applied.updated += 1,
            (true, false) => applied.unchanged += 1,
        }
    }
    Ok(applied)
}

/// Records `record`'s address-wide suppression, if it has one, at the time it happened
/// (`detail` when the record has no note). An earlier suppression stands. Returns whether the
/// address is newly suppressed.
fn suppress_in<E>(
    tx: &mut dyn PeopleTx<Error = E>,
    key: &str,
    record: &Record,
    detail: impl FnOnce() -> String,
    now: DateTime<Utc>,
) -> Result<bool, E> {
    let Some(s) = &record.suppression else {
        return Ok(false);
    };
    if tx.suppression(key)?.is_some() {
        return Ok(false);
    }
    let detail = s.detail.clone().unwrap_or_else(detail);
    tx.suppress(key, s.reason, &detail, s.at.unwrap_or(now))?;
    Ok(true)
}

/// Stores the person, keeping a name already known when the record has none and merging
/// attributes; a new person is dated when the source first stored them. Returns whether
/// anything changed.
fn put_person_merged<E>(
    tx: &mut dyn PeopleTx<Error = E>,
    address: &Address,
    person: Option<&Person>,
    record: &Record,
    now: DateTime<Utc>,
) -> Result<bool, E> {
    let Some(person) = person else {
        let created = record.created_at.unwrap_or(now);
        tx.put_person(address, record.name.as_deref(), &record.attrs, created)?;
        return Ok(true);
    };
    let name = record.name.clone().or(person.name.clone());
    let mut attrs = person.attrs.clone();
    attrs.extend(record.attrs.clone());
    if name == person.name && attrs == person.attrs {
        return Ok(false);
    }
    tx.put_person(address, name.as_deref(), &attrs, now)?;
    Ok(true)
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

#[cfg(test)]
mod tests;
