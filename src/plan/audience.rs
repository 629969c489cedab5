//! Who a send goes to: every address on the configured lists once, minus suppressed ones, with
//! the reason for everyone left out. Walking the audience streams the lists (memory does not
//! grow with their length), and the dry run, the freeze and `--to` all walk it the same way,
//! so they cannot disagree about who gets the message.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use crate::diagnostics::Diagnostic;
use crate::ledger::{Ledger, LedgerError, StoreAudience, Suppression};
use crate::subscribers::membership::{self, Known as Standing};
use crate::subscribers::store::MemberStatus;
pub use crate::subscribers::SkipReason;
use crate::subscribers::{self, ListFile, Row, Subscriber};

/// One address left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// The address as written (empty for an unreadable row).
    pub address: String,
    /// The list it is on.
    pub list: String,
    /// Why it is left out.
    pub reason: SkipReason,
    /// Where and what: the row's `path:line` problem, or the suppression's detail.
    pub detail: String,
}

/// What walking the audience meets, in list order.
#[derive(Debug, Clone)]
pub enum Entry {
    /// Gets the message.
    Recipient(Subscriber),
    /// Does not.
    Skipped(Skipped),
}

/// Counts from one walk.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// Recipients per list.
    pub lists: BTreeMap<String, usize>,
    /// Recipients in all.
    pub recipients: usize,
    /// Left out, per reason.
    pub skipped: BTreeMap<SkipReason, usize>,
    /// Problems with whole lists (unreadable, no `email` column). A send with any of these
    /// does not go ahead: the people on that list would be skipped without a word.
    #[serde(skip)]
    pub fatal: Vec<Diagnostic>,
}

impl Tally {
    /// `6 recipients (each address once); left out: 1 duplicate, 2 unsubscribed`: the one
    /// way every command says it.
    pub fn describe(&self) -> String {
        let mut out = format!(
            "{} {} (each address once)",
            self.recipients,
            if self.recipients == 1 {
                "recipient"
            } else {
                "recipients"
            }
        );
        if !self.skipped.is_empty() {
            let reasons: Vec<String> = self
                .skipped
                .iter()
                .map(|(reason, n)| format!("{n} {reason}"))
                .collect();
            out.push_str(&format!("; left out: {}", reasons.join(", ")));
        }
        out
    }
}

/// Where the recipients come from.
#[derive(Debug, Clone)]
pub enum Audience {
    /// The subscriber lists, read when walked.
    Lists {
        /// The list files.
        files: Vec<ListFile>,
        /// Problems finding them (a configured list with no file).
        problems: Vec<Diagnostic>,
        /// Suppressed addresses (lower-cased) from the ledger.
        suppressed: HashMap<String, Suppression>,
        /// People confirmed in the subscriber store, after the CSV lists' rows. Held in
        /// memory: a few hundred bytes a person.
        stored: Vec<Subscriber>,
        /// (address key, list) pairs the person left or that bounced: a CSV row on that list
        /// is skipped.
        opted_out: HashMap<(String, String), MemberStatus>,
        /// People in the store on these lists who do not get them (left, bounced, pending):
        /// counted as skipped with their reason, so every count names everyone.
        not_receiving: Vec<(String, String, MemberStatus)>,
        /// A stream people can turn off on its own (`reminders`): whoever did is skipped on
        /// every list.
        stream_opt_out: Option<String>,
    },
    /// Recipients chosen by the caller (a confirmation's one person, the organisers of a
    /// preview): the ledger's suppressions are checked when it is frozen.
    Chosen(Vec<Subscriber>),
    /// The pending recipients of a send frozen in the ledger (a resumed send).
    Frozen {
        /// The send's id.
        send_id: String,
    },
}

/// Why the audience could not be walked.
#[derive(Debug, thiserror::Error)]
pub enum WalkError<E> {
    /// The ledger failed while reading a frozen send's recipients.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// A frozen send was walked without its ledger.
    #[error("send {0} is frozen in the ledger, but no ledger was given")]
    NoLedger(String),
    /// The visitor stopped the walk.
    #[error(transparent)]
    Visit(E),
}

impl Audience {
    /// The configured lists (`wanted`; empty means every CSV file and every list in the
    /// store), merged with the subscriber store's confirmed members of `store_lists`, minus
    /// the ledger's suppressions. A list in `store_lists` needs no CSV file.
    pub fn from_lists(
        dir: &std::path::Path,
        wanted: &[String],
        store_lists: &[String],
        stream_opt_out: Option<&str>,
        ledger: Option<&Ledger>,
    ) -> Result<Self, LedgerError> {
        let (files, problems) = subscribers::list_files(dir, wanted, store_lists);
        let (suppressed, store) = match ledger {
            Some(ledger) => (ledger.suppressions()?, ledger.store_audience(store_lists)?),
            None => (HashMap::new(), StoreAudience::default()),
        };
        Ok(Audience::Lists {
            files,
            problems,
            suppressed,
            stored: store.members,
            opted_out: store.opted_out,
            not_receiving: store.not_receiving,
            stream_opt_out: stream_opt_out.map(str::to_owned),
        })
    }

    /// Visits everyone, in order: recipients and skipped addresses.
    pub fn walk<E>(
        &self,
        ledger: Option<&Ledger>,
        mut visit: impl FnMut(Entry) -> Result<(), E>,
    ) -> Result<Tally, WalkError<E>> {
        let mut tally = Tally::default();
        let mut count = |entry: Entry, tally: &mut Tally| {
            match &entry {
                Entry::Recipient(sub) => {
                    tally.recipients += 1;
                    *tally.lists.entry(sub.list.clone()).or_default() += 1;
                }
                Entry::Skipped(s) => *tally.skipped.entry(s.reason).or_default() += 1,
            }
            visit(entry).map_err(WalkError::Visit)
        };
        match self {
            Audience::Lists {
                files,
                problems,
                suppressed,
                stored,
                opted_out,
                not_receiving,
                stream_opt_out,
            } => {
                tally.fatal.extend(problems.iter().cloned());
                let mut seen = HashSet::new();
                let mut on_csv = HashSet::new();
                let known = Known {
                    suppressed,
                    opted_out,
                    stream: stream_opt_out.as_deref(),
                };
                for file in files {
                    let report = subscribers::read_rows(&file.path, &file.name, |row| {
                        if let Row::Valid(sub) = &row {
                            on_csv.insert((sub.email.key().to_owned(), file.name.clone()));
                        }
                        let entry = classify(row, &file.name, &mut seen, &known);
                        count(entry, &mut tally)
                    })?;
                    tally.lists.entry(file.name.clone()).or_default();
                    tally.fatal.extend(report.fatal);
                }
                for sub in stored {
                    let entry = classify(Row::Valid(sub.clone()), &sub.list, &mut seen, &known);
                    count(entry, &mut tally)?;
                }
                for (address, list, status) in not_receiving {
                    let key = subscribers::address::key_of(address);
                    // A CSV row on that list was already counted (and skipped for this).
                    if on_csv.contains(&(key, list.clone())) {
                        continue;
                    }
                    count(
                        Entry::Skipped(not_receiving_entry(address, list, *status)),
                        &mut tally,
                    )?;
                }
            }
            Audience::Chosen(subs) => {
                for sub in subs {
                    count(Entry::Recipient(sub.clone()), &mut tally)?;
                }
            }
            Audience::Frozen { send_id } => {
                let ledger = ledger.ok_or_else(|| WalkError::NoLedger(send_id.clone()))?;
                let mut after = -1;
                loop {
                    let page = ledger.pending_after(send_id, after, 512)?;
                    let Some(last) = page.last() else { break };
                    after = last.seq;
                    for delivery in page {
                        count(Entry::Recipient(delivery.subscriber), &mut tally)?;
                    }
                }
            }
        }
        Ok(tally)
    }
}

/// A store member who does not get `list`, with the reason.
fn not_receiving_entry(address: &str, list: &str, status: MemberStatus) -> Skipped {
    let (reason, detail) = match status {
        MemberStatus::Pending => (SkipReason::Pending, "signed up, not confirmed yet"),
        MemberStatus::Bounced => (SkipReason::Bounced, "mail to the address bounced"),
        MemberStatus::Complained => (SkipReason::Complained, "reported a message as spam"),
        MemberStatus::Unsubscribed | MemberStatus::Confirmed => {
            (SkipReason::Unsubscribed, "left the list")
        }
    };
    Skipped {
        address: address.to_owned(),
        list: list.to_owned(),
        reason,
        detail: format!("{detail} (subscriber store)"),
    }
}

/// What the ledger knows against list rows.
struct Known<'a> {
    suppressed: &'a HashMap<String, Suppression>,
    opted_out: &'a HashMap<(String, String), MemberStatus>,
    stream: Option<&'a str>,
}

/// Decides one row: recipient, or skipped and why. A suppression wins over any list row, and
/// leaving a list (in the store) wins over that list's CSV row.
fn classify(row: Row, list: &str, seen: &mut HashSet<u128>, known: &Known<'_>) -> Entry {
    let skipped = |address: String, reason, detail: String| {
        Entry::Skipped(Skipped {
            address,
            list: list.to_owned(),
            reason,
            detail,
        })
    };
    match row {
        Row::Invalid { email, problem } => skipped(email, SkipReason::Invalid, problem.to_string()),
        Row::Duplicate { email, problem } => {
            skipped(email, SkipReason::Duplicate, problem.to_string())
        }
        Row::Valid(sub) => {
            let key = sub.email.key().to_owned();
            let stream_off = known.stream.filter(|stream| {
                known
                    .opted_out
                    .contains_key(&(key.clone(), (*stream).to_owned()))
            });
            let standing = Standing {
                suppression: known.suppressed.get(&key),
                stream_off,
                left_list: known.opted_out.get(&(key, list.to_owned())).copied(),
            };
            if let Err((reason, detail)) = membership::standing(list, standing) {
                return skipped(sub.email.to_string(), reason, detail);
            }
            if !seen.insert(sub.email.digest()) {
                let detail = "also on an earlier list, which gets the one copy".to_owned();
                return skipped(sub.email.to_string(), SkipReason::Duplicate, detail);
            }
            Entry::Recipient(sub)
        }
    }
}
