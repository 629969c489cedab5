//! Subscribers as data: the people who joined on their own (the subscribe form) or were
//! imported, with their status on each list and the record of their consent.
//!
//! The CSV lists stay organiser-managed files; the store holds everyone else and every choice a
//! person made (confirmed, left a list). The planner merges the two. The store is a trait of
//! persistence calls only, so a database other than the ledger's SQLite file can follow; the
//! rules live in the subscriptions service.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Suppression, SuppressionReason};

/// A person's status on one list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MemberStatus {
    /// Asked to join; has not confirmed yet. Gets nothing but the confirmation e-mail.
    Pending,
    /// Gets the list's mail.
    Confirmed,
    /// Left the list.
    Unsubscribed,
    /// Mail to the address bounced ("no such user").
    Bounced,
    /// The person reported a message as spam.
    Complained,
}

impl MemberStatus {
    /// Every status, in the order they are listed.
    pub const ALL: [MemberStatus; 5] = [
        MemberStatus::Pending,
        MemberStatus::Confirmed,
        MemberStatus::Unsubscribed,
        MemberStatus::Bounced,
        MemberStatus::Complained,
    ];

    /// The word stored and printed.
    pub fn as_str(self) -> &'static str {
        match self {
            MemberStatus::Pending => "pending",
            MemberStatus::Confirmed => "confirmed",
            MemberStatus::Unsubscribed => "unsubscribed",
            MemberStatus::Bounced => "bounced",
            MemberStatus::Complained => "complained",
        }
    }

    /// Parses the stored word.
    pub fn parse(word: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == word)
    }

    /// Whether this status keeps mail from the address on that list even when a CSV row says
    /// otherwise.
    pub fn opts_out(self) -> bool {
        matches!(
            self,
            MemberStatus::Unsubscribed | MemberStatus::Bounced | MemberStatus::Complained
        )
    }
}

impl std::fmt::Display for MemberStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Proof of consent: what a data-protection authority asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    /// Where the person came from: `form`, `cli`, `import:mailchimp`, `import:meetup`,
    /// `import:csv`.
    pub source: String,
    /// When they opted in.
    pub opted_in_at: Option<DateTime<Utc>>,
    /// The page the form was on.
    pub page: Option<String>,
    /// The address the form was posted from.
    pub ip: Option<String>,
    /// When they confirmed (double opt-in).
    pub confirmed_at: Option<DateTime<Utc>>,
}

/// One person's membership of one list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    /// The list.
    pub list: String,
    /// Their status on it.
    pub status: MemberStatus,
    /// How they got on it.
    pub consent: Consent,
    /// When the status last changed.
    pub changed_at: DateTime<Utc>,
}

/// A person in the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// The address as they gave it.
    pub address: String,
    /// Their name, if given.
    pub name: Option<String>,
    /// Anything else an import brought (columns crier does not know).
    pub attrs: BTreeMap<String, String>,
    /// When they were first stored.
    pub created_at: DateTime<Utc>,
    /// Their lists, by name.
    pub memberships: Vec<Membership>,
}

impl Person {
    /// Their membership of `list`.
    pub fn on(&self, list: &str) -> Option<&Membership> {
        self.memberships.iter().find(|m| m.list == list)
    }
}

/// Which memberships to list or count.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only this list.
    pub list: Option<String>,
    /// Only this status.
    pub status: Option<MemberStatus>,
}

/// One person to add or update, as an import or `subscribers add` gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The address.
    pub address: String,
    /// The name, if known.
    pub name: Option<String>,
    /// Other columns.
    pub attrs: BTreeMap<String, String>,
    /// The status it brings (confirmed, or a suppression for unsubscribed/cleaned rows).
    pub status: MemberStatus,
    /// Consent as the source recorded it.
    pub consent: Consent,
    /// When the status last changed, as the source recorded it (crier's `changed_at`,
    /// Mailchimp's `UNSUB_TIME` and `CLEAN_TIME`); `None`: when the record is applied.
    pub changed_at: Option<DateTime<Utc>>,
    /// When the person was first stored, as the source recorded it (crier's `created_at`);
    /// `None`: when the record is applied. It orders the store's members in a send.
    pub created_at: Option<DateTime<Utc>>,
    /// An opt-out that covers every list: crier's own `suppressed` columns, or Mailchimp's
    /// unsubscribed and cleaned members (they left the whole audience). It becomes an
    /// address-wide suppression, whatever the row says about its list. Other opt-outs
    /// (Meetup's, a list row's `unsubscribed`) are for their list only.
    pub suppression: Option<Suppressed>,
}

/// An address-wide suppression an imported record brings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppressed {
    /// Why.
    pub reason: SuppressionReason,
    /// The note kept with it; `None`: the import's source and list.
    pub detail: Option<String>,
    /// When it happened; `None`: when the record is applied.
    pub at: Option<DateTime<Utc>>,
}

/// What applying records did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Applied {
    /// New people, or people new to the list.
    pub added: usize,
    /// Memberships whose status, name or attributes changed.
    pub updated: usize,
    /// Records that changed nothing (an import run twice).
    pub unchanged: usize,
    /// Records left alone because the person had left the list (an import never brings
    /// them back; only their own confirmation does).
    pub kept_out: usize,
    /// Addresses newly suppressed for every list (an earlier suppression stands and is not
    /// counted).
    pub suppressed: usize,
}

impl Applied {
    /// Adds another chunk's counts.
    pub fn add(&mut self, other: &Applied) {
        self.added += other.added;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
        self.kept_out += other.kept_out;
        self.suppressed += other.suppressed;
    }
}

/// What a form sign-up leads to. The person sees the same page whatever this is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignUp {
    /// Send a confirmation e-mail for these lists (the person is pending on them).
    Confirm(Vec<String>),
    /// Already confirmed on every list asked for: nothing to send.
    AlreadyConfirmed,
    /// A confirmation went to this address less than a day ago: do not send another.
    TooSoon,
    /// The hourly cap on confirmation e-mails is reached: do not send.
    CapReached,
    /// The address bounced or its owner reported spam: crier never mails it again.
    Blocked,
}

/// Where a form post came from: the page and the client's address, as its confirmation
/// record kept them.
pub type FormOrigin = (Option<String>, Option<String>);

/// The persistence calls the subscriptions service makes inside one write transaction.
///
/// These only read and write rows: every rule about people (who may be brought back, what a
/// form post may change, when a confirmation may go) is in the subscriptions service
/// (`crate::service::subscriptions`), so a second database implements these calls without
/// re-implementing any policy. Addresses are passed as their key ([`super::Address::key`]).
pub trait PeopleTx {
    /// The store's error.
    type Error;

    /// The person with this key, with their memberships.
    fn person(&mut self, key: &str) -> Result<Option<Person>, Self::Error>;
    /// Adds the person, or updates their name and attributes.
    fn put_person(
        &mut self,
        address: &super::Address,
        name: Option<&str>,
        attrs: &BTreeMap<String, String>,
        now: DateTime<Utc>,
    ) -> Result<(), Self::Error>;
    /// Writes one membership (status, consent, and `now` as the time it changed).
    fn put_membership(
        &mut self,
        key: &str,
        list: &str,
        status: MemberStatus,
        consent: &Consent,
        now: DateTime<Utc>,
    ) -> Result<(), Self::Error>;
    /// The address's suppression.
    fn suppression(&mut self, key: &str) -> Result<Option<Suppression>, Self::Error>;
    /// Suppresses the address, keeping an earlier suppression (and its reason) if there is
    /// one.
    fn suppress(
        &mut self,
        key: &str,
        reason: SuppressionReason,
        detail: &str,
        at: DateTime<Utc>,
    ) -> Result<(), Self::Error>;
    /// Lifts the address's suppression.
    fn lift_suppression(&mut self, key: &str) -> Result<(), Self::Error>;
    /// When the address was last sent a confirmation e-mail.
    fn last_confirmation_mail(&mut self, key: &str) -> Result<Option<DateTime<Utc>>, Self::Error>;
    /// Confirmation e-mails sent after `since`, all addresses together.
    fn confirmation_mails_since(&mut self, since: DateTime<Utc>) -> Result<usize, Self::Error>;
    /// Records a confirmation e-mail going out, with the form post's page and client address.
    fn record_confirmation_mail(
        &mut self,
        key: &str,
        at: DateTime<Utc>,
        lists: &[String],
        page: Option<&str>,
        ip: Option<&str>,
    ) -> Result<(), Self::Error>;
    /// The page and client address of the form post whose confirmation e-mail went at
    /// `issued` (to the second).
    fn confirmation_request(
        &mut self,
        key: &str,
        issued: DateTime<Utc>,
    ) -> Result<Option<FormOrigin>, Self::Error>;
    /// Forgets pending memberships changed before `before`, people they leave with no list,
    /// and confirmation records older than that.
    fn forget_pending_before(&mut self, before: DateTime<Utc>) -> Result<(), Self::Error>;
    /// Deletes every row about the address (person, memberships, confirmation records,
    /// suppression, deliveries, confirmation sends); returns how many there were.
    fn erase(&mut self, key: &str) -> Result<usize, Self::Error>;
    /// Records that member-request journal `journal` is applied up to entry `seq` (in the
    /// same transaction as the entry's change).
    fn mark_applied(&mut self, journal: &str, seq: u64) -> Result<(), Self::Error>;
}

/// A subscriber store: reads, and write transactions of [`PeopleTx`] calls.
pub trait Store {
    /// The store's error.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Runs `work` in one write transaction: all of it or none of it, and concurrent
    /// writers wait, so a rule checked inside holds when its write lands. `action` says what
    /// is being done, for errors.
    fn write<T>(
        &mut self,
        action: &'static str,
        work: impl FnOnce(&mut dyn PeopleTx<Error = Self::Error>) -> Result<T, Self::Error>,
    ) -> Result<T, Self::Error>;

    /// The person with this address (any case).
    fn person(&self, address: &str) -> Result<Option<Person>, Self::Error>;

    /// Everyone with a membership matching `filter`, in address order, one call per person.
    fn each_person(
        &self,
        filter: &Filter,
        visit: &mut dyn FnMut(Person),
    ) -> Result<(), Self::Error>;

    /// How many memberships there are per (list, status).
    fn count(&self) -> Result<BTreeMap<(String, MemberStatus), usize>, Self::Error>;

    /// Every address-wide suppression.
    fn suppressions(&self) -> Result<Vec<Suppression>, Self::Error>;

    /// The suppression of the address with this key.
    fn suppression(&self, key: &str) -> Result<Option<Suppression>, Self::Error>;

    /// How far member-request journal `journal` is applied (0: not at all).
    fn applied(&self, journal: &str) -> Result<u64, Self::Error>;

    /// Makes deleted rows unrecoverable from the store's files now (after an erasure): an
    /// error when something else holds old copies open.
    fn purge_deleted(&mut self) -> Result<(), Self::Error>;
}
