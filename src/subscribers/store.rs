//! Subscribers as data: the people who joined on their own (the subscribe form) or were
//! imported, with their status on each list and the record of their consent.
//!
//! The CSV lists stay organiser-managed files; the store holds everyone else and every choice a
//! person made (confirmed, left a list). The planner merges the two. The store is a trait so a
//! database other than the ledger's SQLite file can follow; the ledger implements it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

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
    /// An opt-out that covers every list (Mailchimp's unsubscribed and cleaned members left
    /// the whole audience): it becomes an address-wide suppression. Other opt-outs (crier's
    /// own export, Meetup's) are for their list only.
    pub address_wide: bool,
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

/// The limits a sign-up is checked against, inside the store's transaction so concurrent
/// form posts cannot slip past them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignUpLimits {
    /// No second confirmation e-mail to an address that got one after this.
    pub resend_after: DateTime<Utc>,
    /// The start of the hour the cap counts.
    pub hour_ago: DateTime<Utc>,
    /// Confirmation e-mails per hour, all addresses together.
    pub per_hour: usize,
    /// Pending sign-ups older than this (the confirmation link's life) are forgotten.
    pub forget_before: DateTime<Utc>,
}

/// A subscriber store.
pub trait Store {
    /// The store's error.
    type Error: std::error::Error + Send + Sync + 'static;

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

    /// Adds or updates each batch's records on its list, all in one transaction: all or
    /// nothing.
    fn apply_all(
        &mut self,
        batches: &[(String, Vec<Record>)],
        now: DateTime<Utc>,
    ) -> Result<Vec<Applied>, Self::Error>;

    /// [`Self::apply_all`] for one list.
    fn apply(
        &mut self,
        list: &str,
        records: &[Record],
        now: DateTime<Utc>,
    ) -> Result<Applied, Self::Error> {
        let batch = [(list.to_owned(), records.to_vec())];
        Ok(self.apply_all(&batch, now)?.pop().unwrap_or_default())
    }

    /// A form sign-up: marks the address pending on the `lists` it is not confirmed on, and
    /// says whether a confirmation e-mail may go (and records that it does).
    fn sign_up(
        &mut self,
        record: &Record,
        lists: &[String],
        now: DateTime<Utc>,
        limits: SignUpLimits,
    ) -> Result<SignUp, Self::Error>;

    /// Confirmation e-mails sent since `since`, all addresses together.
    fn confirmations_since(&self, since: DateTime<Utc>) -> Result<usize, Self::Error>;

    /// Confirms `address` on `lists`, as asked at `issued` (the link's time): lists it is
    /// pending on, was never on, or had left before `issued`. A list left, or an unsubscribe,
    /// after `issued` stands. Returns whether anything changed.
    fn confirm(
        &mut self,
        address: &str,
        lists: &[String],
        issued: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, Self::Error>;

    /// Sets `address`'s status on each list named. An address not yet stored is added.
    fn set_status(
        &mut self,
        address: &str,
        changes: &[(String, MemberStatus)],
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<(), Self::Error>;

    /// Removes the person and everything stored about them (consent records, delivery
    /// history, suppression). Returns whether there was anything.
    fn erase(&mut self, address: &str) -> Result<bool, Self::Error>;
}
