//! `crier subscribers export`: the store as CSV, one row per (person, list), with the consent
//! columns, so the file is both a data-subject export and a backup that imports back.

use std::collections::BTreeSet;
use std::io::Write;

use chrono::{DateTime, SecondsFormat, Utc};

use super::store::Person;

/// The fixed columns, in order; attribute columns follow, sorted.
pub const COLUMNS: [&str; 10] = [
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
];

fn time(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// Writes `people` as CSV. Cells that a spreadsheet would run as a formula (`=`, `+`, `-`,
/// `@` first) are prefixed with `'`: exported names come from strangers filling in a form.
pub fn write_csv(
    people: &[Person],
    list: Option<&str>,
    status: Option<super::store::MemberStatus>,
    out: impl Write,
) -> csv::Result<()> {
    let attrs: BTreeSet<&str> = people
        .iter()
        .flat_map(|p| p.attrs.keys().map(String::as_str))
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
    for person in people {
        for m in &person.memberships {
            if list.is_some_and(|l| l != m.list) || status.is_some_and(|s| s != m.status) {
                continue;
            }
            let fixed = [
                person.address.clone(),
                person.name.clone().unwrap_or_default(),
                m.list.clone(),
                m.status.to_string(),
                m.consent.source.clone(),
                time(m.consent.opted_in_at),
                time(m.consent.confirmed_at),
                m.consent.page.clone().unwrap_or_default(),
                m.consent.ip.clone().unwrap_or_default(),
                time(Some(m.changed_at)),
            ];
            let extra = attrs
                .iter()
                .map(|k| person.attrs.get(*k).cloned().unwrap_or_default());
            writer.write_record(fixed.into_iter().chain(extra).map(|v| defuse(&v)))?;
        }
    }
    writer.flush()?;
    Ok(())
}

/// Makes a cell inert in spreadsheets (CSV injection).
fn defuse(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    }
}
