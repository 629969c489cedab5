//! What each import format's own columns mean: crier's export (status, consent, dates and
//! the address-wide suppression), Mailchimp's three files and Meetup's member list. Every
//! other column is an attribute (see [`KNOWN`]).

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use super::super::export;
use super::super::store::{Consent, MemberStatus, Suppressed};
use super::super::{clean_text, SuppressionReason};

/// Columns that are status, consent or suppression data, not attributes.
pub(super) const KNOWN: &[&str] = &[
    "list",
    "status",
    "source",
    "opted_in_at",
    "confirmed_at",
    "page",
    "ip",
    "changed_at",
    export::CREATED_AT,
    export::SUPPRESSED,
    export::SUPPRESSED_AT,
    export::SUPPRESSED_DETAIL,
    "optin_time",
    "optin_ip",
    "confirm_time",
    "confirm_ip",
    "unsub_time",
    "clean_time",
    "last_changed",
    "joined group on",
    "mailing list",
];

/// Which of Mailchimp's three files a header row belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum MailchimpKind {
    Subscribed,
    Cleaned,
    Unsubscribed,
}

impl MailchimpKind {
    /// The order the files are applied in: the opt-outs last, so they win.
    pub(super) fn rank(self) -> u8 {
        self as u8
    }

    /// The file whose (normalised) header row is `headers`: the opt-out files have their
    /// own time column.
    pub(super) fn of(headers: &[String]) -> Self {
        if headers.iter().any(|h| h == "unsub_time") {
            MailchimpKind::Unsubscribed
        } else if headers.iter().any(|h| h == "clean_time") {
            MailchimpKind::Cleaned
        } else {
            MailchimpKind::Subscribed
        }
    }
}

/// One row's cells, by (normalised) header.
pub(super) struct Cells<'a> {
    /// The header row, normalised.
    pub headers: &'a [String],
    /// The row.
    pub record: &'a csv::StringRecord,
}

impl Cells<'_> {
    /// The cell as read (trimmed), when the column exists and the cell is not empty.
    fn raw(&self, name: &str) -> Option<&str> {
        let i = self.headers.iter().position(|h| h == name)?;
        self.record.get(i).filter(|v| !v.is_empty())
    }

    /// The cell as text for people (control characters and runs of spaces made one space),
    /// when not empty.
    fn text(&self, name: &str) -> Option<String> {
        self.raw(name).map(clean_text).filter(|v| !v.is_empty())
    }

    /// The cell as a time, in any of the formats [`time`] reads.
    fn time(&self, name: &str) -> Option<DateTime<Utc>> {
        self.raw(name).and_then(time)
    }

    /// Whether the file has this column.
    fn has(&self, name: &str) -> bool {
        self.headers.iter().any(|h| h == name)
    }
}

/// What a format's own columns say about one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Fields {
    /// The status on the row's list.
    pub status: MemberStatus,
    /// The consent record (an empty source: the import is the source).
    pub consent: Consent,
    /// The list the row names, if any.
    pub list: Option<String>,
    /// When the status last changed.
    pub changed_at: Option<DateTime<Utc>>,
    /// When the person was first stored.
    pub created_at: Option<DateTime<Utc>>,
    /// An address-wide suppression.
    pub suppression: Option<Suppressed>,
    /// The row is about the address on no list (crier's export writes one for a suppressed
    /// address, or a person, on no list).
    pub alone: bool,
}

/// crier's own export: everything comes back as it was written. A file of the columns
/// before `suppressed` existed (an older export) imports too, with no suppressions.
pub(super) fn crier(cells: &Cells<'_>) -> Fields {
    let status = cells.text("status");
    let list = cells.text("list");
    // The suppression columns mark the current export, whose rows without a list are about
    // the address alone; in any other file such a row still needs --list.
    let alone = cells.has(export::SUPPRESSED) && status.is_none() && list.is_none();
    let suppression = cells
        .text(export::SUPPRESSED)
        .and_then(|r| reason(&r))
        .map(|reason| Suppressed {
            reason,
            // A bounce's detail is the server's reply, kept as it was (lines and all).
            detail: Some(
                cells
                    .raw(export::SUPPRESSED_DETAIL)
                    .unwrap_or("")
                    .to_owned(),
            ),
            at: cells.time(export::SUPPRESSED_AT),
        });
    Fields {
        status: status
            .and_then(|s| MemberStatus::parse(&s.to_lowercase()))
            .unwrap_or(MemberStatus::Confirmed),
        consent: Consent {
            source: cells.text("source").unwrap_or_default(),
            opted_in_at: cells.time("opted_in_at"),
            page: cells.text("page"),
            ip: cells.text("ip"),
            confirmed_at: cells.time("confirmed_at"),
        },
        list,
        changed_at: cells.time("changed_at"),
        created_at: cells.time(export::CREATED_AT),
        suppression,
        alone,
    }
}

/// A suppression reason as the export writes it.
fn reason(word: &str) -> Option<SuppressionReason> {
    match word.to_lowercase().as_str() {
        "unsubscribed" => Some(SuppressionReason::Unsubscribed),
        "bounced" => Some(SuppressionReason::Bounced),
        "complained" => Some(SuppressionReason::Complained),
        _ => None,
    }
}

/// One of Mailchimp's files. Its unsubscribed and cleaned members left the whole audience:
/// an address-wide suppression, dated when Mailchimp recorded it (`UNSUB_TIME`,
/// `CLEAN_TIME`), not on the day of the import.
pub(super) fn mailchimp(cells: &Cells<'_>, kind: MailchimpKind) -> Fields {
    let (status, left) = match kind {
        MailchimpKind::Subscribed => (MemberStatus::Confirmed, None),
        MailchimpKind::Unsubscribed => (
            MemberStatus::Unsubscribed,
            Some((SuppressionReason::Unsubscribed, cells.time("unsub_time"))),
        ),
        MailchimpKind::Cleaned => (
            MemberStatus::Bounced,
            Some((SuppressionReason::Bounced, cells.time("clean_time"))),
        ),
    };
    let changed_at = left.and_then(|(_, at)| at);
    Fields {
        status,
        consent: Consent {
            source: String::new(),
            opted_in_at: cells.time("optin_time"),
            page: None,
            ip: cells.text("confirm_ip").or_else(|| cells.text("optin_ip")),
            confirmed_at: cells.time("confirm_time"),
        },
        list: None,
        changed_at,
        created_at: None,
        suppression: left.map(|(reason, at)| Suppressed {
            reason,
            detail: None,
            at,
        }),
        alone: false,
    }
}

/// Meetup's member list: `Joined Group on` is the opt-in; `Mailing List: No` (members who
/// turned group e-mails off) is kept as an opt-out of the list.
pub(super) fn meetup(cells: &Cells<'_>) -> Fields {
    let opted_out = cells.text("mailing list").is_some_and(|v| {
        matches!(
            v.to_lowercase().as_str(),
            "no" | "none" | "off" | "false" | "unsubscribed"
        )
    });
    Fields {
        status: if opted_out {
            MemberStatus::Unsubscribed
        } else {
            MemberStatus::Confirmed
        },
        consent: Consent {
            opted_in_at: cells.time("joined group on"),
            ..Consent::default()
        },
        list: None,
        changed_at: None,
        created_at: None,
        suppression: None,
        alone: false,
    }
}

/// `'=x` -> `=x`, `''x` -> `'x`: the reverse of the export's protection against spreadsheet
/// formulas (see [`export::defuse`]).
pub(super) fn undefuse(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(export::DEFUSED) => rest,
        _ => cell,
    }
}

/// Reads the time formats these exports use: RFC 3339, `2024-03-01 18:04:05` (UTC),
/// `2024-03-01`, and Meetup's `03/01/2024` (month first, as Meetup writes it).
pub fn time(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = text.parse::<DateTime<Utc>>() {
        return Some(t);
    }
    for format in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Some(t.and_utc());
        }
    }
    ["%Y-%m-%d", "%m/%d/%Y"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(text, f).ok())
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}
