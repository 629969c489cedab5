//! `crier subscribers export`: the store as CSV, one row per (person, list), with the consent
//! columns, the dates and the address-wide suppression, so the file is both a data-subject
//! export and a backup that imports back into a new ledger with every choice kept. The
//! columns are documented in `docs/src/subscribers.md`.

use std::collections::BTreeSet;
use std::io::Write;

use chrono::{DateTime, SecondsFormat, Utc};

use super::store::{Filter, Membership, Person};
use super::{Address, Suppression};

/// The column with when the person was first stored.
pub const CREATED_AT: &str = "created_at";
/// The column with the reason of an address-wide suppression (`unsubscribed`, `bounced`,
/// `complained`): no mail at all, on any list.
pub const SUPPRESSED: &str = "suppressed";
/// The column with when the address was suppressed.
pub const SUPPRESSED_AT: &str = "suppressed_at";
/// The column with the note kept with the suppression (the link's list, the server's reply).
pub const SUPPRESSED_DETAIL: &str = "suppressed_detail";

/// The fixed columns, in order; attribute columns follow, sorted. The first ten are the
/// columns of earlier versions, which still import.
pub const COLUMNS: [&str; 14] = [
    "email",
    "name",
    "list",
    "status",
    "source",
    "opted_in_at",
    "confirmed_at",
    "page",
    "ip",
    "changed_at",
    CREATED_AT,
    SUPPRESSED,
    SUPPRESSED_AT,
    SUPPRESSED_DETAIL,
];

/// First characters that make a spreadsheet run a cell as a formula, and the `'` that
/// [`defuse`] puts before them (so a value that starts with `'` keeps it through a round trip).
pub const DEFUSED: [char; 7] = ['=', '+', '-', '@', '\t', '\r', '\''];

/// What an export writes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Entries {
    /// People, in address-key order, with their address-wide suppression.
    pub people: Vec<(Person, Option<Suppression>)>,
    /// Suppressed addresses nobody is stored for (a CSV list's member who unsubscribed, a
    /// bounce), in key order: a row each, on no list.
    pub alone: Vec<Suppression>,
}

fn time(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// Writes `entries` as CSV: a row per membership that `filter` selects, and, when the filter
/// selects everything, a row on no list for a person on none and for each address in
/// [`Entries::alone`]. Cells that a spreadsheet would run as a formula are defused (see
/// [`defuse`]): exported names come from strangers filling in a form.
pub fn write_csv(entries: &Entries, filter: &Filter, out: impl Write) -> csv::Result<()> {
    let attrs: BTreeSet<&str> = entries
        .people
        .iter()
        .flat_map(|(p, _)| p.attrs.keys().map(String::as_str))
        .filter(|k| !COLUMNS.contains(k))
        .collect();
    let mut writer = csv::Writer::from_writer(out);
    // Attribute names come from imported files: they are cells too.
    writer.write_record(
        COLUMNS
            .iter()
            .map(|c| c.to_string())
            .chain(attrs.iter().map(|a| defuse(a))),
    )?;
    let everything = filter.list.is_none() && filter.status.is_none();
    let mut alone = entries.alone.iter().peekable();
    for (person, suppression) in &entries.people {
        // Rows come in address-key order, people and lone suppressions merged.
        let key = Address::unchecked(&person.address).key().to_owned();
        while let Some(s) = alone.next_if(|s| everything && s.address < key) {
            writer.write_record(lone_row(s, attrs.len()))?;
        }
        let rows = person.memberships.iter().filter(|m| {
            filter.list.as_ref().is_none_or(|l| *l == m.list)
                && filter.status.is_none_or(|s| s == m.status)
        });
        for m in rows {
            writer.write_record(person_row(person, Some(m), suppression.as_ref(), &attrs))?;
        }
        if everything && person.memberships.is_empty() {
            writer.write_record(person_row(person, None, suppression.as_ref(), &attrs))?;
        }
    }
    for s in alone.filter(|_| everything) {
        writer.write_record(lone_row(s, attrs.len()))?;
    }
    writer.flush()?;
    Ok(())
}

/// One row about `person`: on `membership`'s list, or on none.
fn person_row(
    person: &Person,
    membership: Option<&Membership>,
    suppression: Option<&Suppression>,
    attrs: &BTreeSet<&str>,
) -> Vec<String> {
    let list = [
        membership.map(|m| m.list.clone()).unwrap_or_default(),
        membership.map(|m| m.status.to_string()).unwrap_or_default(),
        membership
            .map(|m| m.consent.source.clone())
            .unwrap_or_default(),
        time(membership.and_then(|m| m.consent.opted_in_at)),
        time(membership.and_then(|m| m.consent.confirmed_at)),
        membership
            .and_then(|m| m.consent.page.clone())
            .unwrap_or_default(),
        membership
            .and_then(|m| m.consent.ip.clone())
            .unwrap_or_default(),
        time(membership.map(|m| m.changed_at)),
    ];
    let extra = attrs
        .iter()
        .map(|k| person.attrs.get(*k).cloned().unwrap_or_default());
    [
        person.address.clone(),
        person.name.clone().unwrap_or_default(),
    ]
    .into_iter()
    .chain(list)
    .chain([time(Some(person.created_at))])
    .chain(suppression_cells(suppression))
    .chain(extra)
    .map(|v| defuse(&v))
    .collect()
}

/// The row of a suppressed address nobody is stored for: its key, and the suppression.
fn lone_row(suppression: &Suppression, attrs: usize) -> Vec<String> {
    std::iter::once(suppression.address.clone())
        .chain(std::iter::repeat_n(String::new(), 10))
        .chain(suppression_cells(Some(suppression)))
        .chain(std::iter::repeat_n(String::new(), attrs))
        .map(|v| defuse(&v))
        .collect()
}

/// The `suppressed`, `suppressed_at` and `suppressed_detail` cells.
fn suppression_cells(suppression: Option<&Suppression>) -> [String; 3] {
    match suppression {
        Some(s) => [
            s.reason.as_str().to_owned(),
            time(Some(s.at)),
            s.detail.clone(),
        ],
        None => Default::default(),
    }
}

/// Makes a cell inert in spreadsheets (CSV injection): a cell that starts with one of
/// [`DEFUSED`] gets a `'` first. The import takes it off again.
pub fn defuse(value: &str) -> String {
    if value.starts_with(DEFUSED) {
        format!("'{value}")
    } else {
        value.to_owned()
    }
}
