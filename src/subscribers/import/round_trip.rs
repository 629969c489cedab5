//! crier's export read back by the import: every column of every row comes back as it was
//! written (the property), the rows that only the current export has, and Mailchimp's
//! opt-out times.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;

use super::*;
use crate::subscribers::export::{self, Entries};
use crate::subscribers::store::{Filter, MemberStatus, Membership, Person, Suppressed};
use crate::subscribers::{Suppression, SuppressionReason};

fn parse(text: &str, format: Format) -> Parsed {
    let mut parsed = Parsed::default();
    let mut budget = RowBudget::new(usize::MAX);
    parse_csv("t.csv", text, format, &mut parsed, &mut budget).unwrap();
    parsed
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

#[test]
fn mailchimp_opt_outs_are_dated_when_mailchimp_recorded_them() {
    let unsubscribed = parse(
        "Email Address,OPTIN_TIME,CONFIRM_TIME,UNSUB_TIME\n\
         left@example.org,2021-05-05 10:00:00,2021-05-05 10:10:00,2023-06-01 08:00:00\n",
        Format::Mailchimp,
    );
    let record = &unsubscribed.rows[0].record;
    assert_eq!(
        record.suppression,
        Some(Suppressed {
            reason: SuppressionReason::Unsubscribed,
            detail: None,
            at: Some(at("2023-06-01T08:00:00Z")),
        })
    );
    assert_eq!(record.changed_at, Some(at("2023-06-01T08:00:00Z")));
    assert_eq!(record.consent.opted_in_at, Some(at("2021-05-05T10:00:00Z")));
    assert_eq!(
        record.consent.confirmed_at,
        Some(at("2021-05-05T10:10:00Z"))
    );
    let cleaned = parse(
        "Email Address,CLEAN_TIME\ngone@example.org,2022-09-09 09:09:09\n",
        Format::Mailchimp,
    );
    let record = &cleaned.rows[0].record;
    assert_eq!(record.status, MemberStatus::Bounced);
    let suppression = record.suppression.as_ref().unwrap();
    assert_eq!(suppression.reason, SuppressionReason::Bounced);
    assert_eq!(suppression.at, Some(at("2022-09-09T09:09:09Z")));
    let subscribed = parse("Email Address\nok@example.org\n", Format::Mailchimp);
    assert_eq!(subscribed.rows[0].record.suppression, None);
}

#[test]
fn an_export_has_a_row_per_list_and_rows_on_no_list() {
    let p = parse(
        "email,list,status,created_at,suppressed,suppressed_at,suppressed_detail\n\
         a@example.org,members,confirmed,2026-01-01T00:00:00Z,,,\n\
         a@example.org,talks,unsubscribed,2026-01-01T00:00:00Z,,,\n\
         a@example.org,talks,confirmed,2026-01-01T00:00:00Z,,,\n\
         b@example.org,,,,bounced,2025-02-03T04:05:06Z,\"550 5.1.1\nno such user\"\n",
        Format::Csv,
    );
    assert_eq!(p.rows.len(), 3, "{:?}", p.skipped);
    assert_eq!(p.rows[1].list.as_deref(), Some("talks"));
    assert!(
        p.skipped[0].to_string().contains(
            "t.csv:4:1: error: duplicate address 'a@example.org' on list `talks` (first on line 3)"
        ),
        "{}",
        p.skipped[0]
    );
    let b = &p.rows[2];
    assert!(b.alone && b.list.is_none());
    assert_eq!(
        b.record.suppression,
        Some(Suppressed {
            reason: SuppressionReason::Bounced,
            detail: Some("550 5.1.1\nno such user".into()),
            at: Some(at("2025-02-03T04:05:06Z")),
        })
    );
    // Without the export's suppression columns, a row on no list is not about the address
    // alone: it needs --list, as before.
    let old = parse("email,list,status\nc@example.org,,\n", Format::Csv);
    assert!(!old.rows[0].alone);
}

/// What the store can hold in a name or an attribute: every way in (the form, the command
/// line, imports) keeps text as [`clean_text`] makes it.
fn stored(raw: &str) -> Option<String> {
    Some(clean_text(raw)).filter(|v| !v.is_empty())
}

/// Text with what breaks CSV files and spreadsheets: separators, quotes, line breaks,
/// formula characters, the export's own `'`, and any Unicode.
fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[=+@'\\-\t\r\n ,\";a-zA-Z0-9é😀ß\u{0}\u{7f}\u{200b}]{0,16}",
        "(?s).{0,24}",
    ]
}

fn time() -> impl Strategy<Value = DateTime<Utc>> {
    (946_684_800i64..1_893_456_000).prop_map(|s| Utc.timestamp_opt(s, 0).unwrap())
}

/// Attribute names: as imports store them (a header row, trimmed and lower-cased), never one
/// of the columns an import reads as something else.
fn attribute_name() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 ,\"'=+@\\-\né😀_]{1,10}"
        .prop_map(|k| normalise_header(&k))
        .prop_filter("a column the import reads itself", |k| {
            !k.is_empty() && Columns::of(std::slice::from_ref(k)).is_none() && {
                let columns = Columns::of(&["email".into(), k.clone()]).unwrap();
                columns.name.is_none()
                    && columns.first.is_none()
                    && columns.last.is_none()
                    && columns.known.is_empty()
            }
        })
}

fn membership(list: &'static str) -> impl Strategy<Value = Membership> {
    (
        proptest::sample::select(MemberStatus::ALL.to_vec()),
        "[a-z:]{1,12}",
        proptest::option::of(time()),
        proptest::option::of(time()),
        (hostile_text(), hostile_text()),
        time(),
    )
        .prop_map(
            move |(status, source, opted, confirmed, (page, ip), changed)| Membership {
                list: list.to_owned(),
                status,
                consent: Consent {
                    source,
                    opted_in_at: opted,
                    page: stored(&page),
                    ip: stored(&ip),
                    confirmed_at: confirmed,
                },
                changed_at: changed,
            },
        )
}

fn suppression() -> impl Strategy<Value = Suppression> {
    (
        proptest::sample::select(vec![
            SuppressionReason::Unsubscribed,
            SuppressionReason::Bounced,
            SuppressionReason::Complained,
        ]),
        hostile_text(),
        time(),
    )
        .prop_map(|(reason, detail, at)| Suppression {
            address: String::new(),
            reason,
            // The ledger's notes are sentences and server replies: no white space around.
            detail: detail.trim().to_owned(),
            at,
        })
}

fn person() -> impl Strategy<Value = (Person, Option<Suppression>)> {
    (
        "[=+\\-]?[a-zA-Z0-9]{1,8}@example\\.(com|org)",
        hostile_text(),
        proptest::collection::btree_map(attribute_name(), hostile_text(), 0..4),
        time(),
        proptest::collection::vec(
            prop_oneof![
                membership("members"),
                membership("talks"),
                membership("reminders")
            ],
            0..3,
        ),
        proptest::option::of(suppression()),
    )
        .prop_map(
            |(address, name, attrs, created_at, mut memberships, suppression)| {
                memberships.sort_by(|a, b| a.list.cmp(&b.list));
                memberships.dedup_by(|a, b| a.list == b.list);
                let attrs = attrs
                    .into_iter()
                    .filter_map(|(k, v)| Some((k, stored(&v)?)))
                    .collect();
                let key = crate::subscribers::address::key_of(&address);
                let suppression = suppression.map(|s| Suppression { address: key, ..s });
                let person = Person {
                    address,
                    name: stored(&name),
                    attrs,
                    created_at,
                    memberships,
                };
                (person, suppression)
            },
        )
}

/// People and lone suppressions as the store lists them: in address-key order, one each.
fn entries() -> impl Strategy<Value = Entries> {
    (
        proptest::collection::vec(person(), 0..5),
        proptest::collection::vec(("[a-z0-9]{1,8}@example\\.net", suppression()), 0..3),
    )
        .prop_map(|(mut people, alone)| {
            let key = |p: &Person| crate::subscribers::address::key_of(&p.address);
            people.sort_by_key(|(p, _)| key(p));
            people.dedup_by_key(|(p, _)| key(p));
            let mut alone: Vec<Suppression> = alone
                .into_iter()
                .map(|(address, s)| Suppression { address, ..s })
                .collect();
            alone.sort_by(|a, b| a.address.cmp(&b.address));
            alone.dedup_by(|a, b| a.address == b.address);
            Entries { people, alone }
        })
}

/// The suppression as the import reads it back.
fn read_back(s: &Suppression) -> Suppressed {
    Suppressed {
        reason: s.reason,
        detail: Some(s.detail.clone()),
        at: Some(s.at),
    }
}

/// Checks that `rows` are `person`'s, one per membership (or one on no list).
fn check_person(
    person: &Person,
    suppression: Option<&Suppression>,
    rows: &[&Row],
) -> Result<(), TestCaseError> {
    let expected = person.memberships.len().max(1);
    prop_assert_eq!(rows.len(), expected, "rows of {}", person.address);
    for (i, row) in rows.iter().enumerate() {
        let r = &row.record;
        prop_assert_eq!(&r.name, &person.name);
        prop_assert_eq!(&r.attrs, &person.attrs);
        prop_assert_eq!(r.created_at, Some(person.created_at));
        prop_assert_eq!(&r.suppression, &suppression.map(read_back));
        match person.memberships.get(i) {
            Some(m) => {
                prop_assert!(!row.alone);
                prop_assert_eq!(row.list.as_deref(), Some(m.list.as_str()));
                prop_assert_eq!(r.status, m.status);
                prop_assert_eq!(&r.consent, &m.consent);
                prop_assert_eq!(r.changed_at, Some(m.changed_at));
            }
            None => prop_assert!(row.alone && row.list.is_none()),
        }
    }
    Ok(())
}

proptest! {
    /// Whatever names, attributes, consent records and suppressions hold (commas, quotes,
    /// line breaks, formula characters, Unicode), the export reads back as the store held
    /// them: nothing lost, nothing split, nothing skipped.
    #[test]
    fn an_export_reads_back_as_the_store_held_it(entries in entries()) {
        let mut csv = Vec::new();
        export::write_csv(&entries, &Filter::default(), &mut csv).unwrap();
        let text = String::from_utf8(csv).unwrap();
        let parsed = parse(&text, Format::Csv);
        prop_assert!(parsed.skipped.is_empty(), "{:?}\n{}", parsed.skipped, text);
        let mut by_address: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
        for row in &parsed.rows {
            by_address.entry(row.record.address.as_str()).or_default().push(row);
        }
        for (person, suppression) in &entries.people {
            let rows = by_address.remove(person.address.as_str()).unwrap_or_default();
            check_person(person, suppression.as_ref(), &rows)?;
        }
        for s in &entries.alone {
            let rows = by_address.remove(s.address.as_str()).unwrap_or_default();
            prop_assert_eq!(rows.len(), 1);
            let row = rows[0];
            prop_assert!(row.alone);
            prop_assert_eq!(&row.record.suppression, &Some(read_back(s)));
            prop_assert_eq!(row.record.created_at, None);
            prop_assert!(row.record.name.is_none() && row.record.attrs.is_empty());
        }
        prop_assert!(by_address.is_empty(), "rows nobody wrote: {:?}", by_address);
    }
}
