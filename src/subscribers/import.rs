//! Reading member lists exported from other tools into store [`Record`]s: crier's own export
//! (plain CSV with consent columns), Mailchimp's audience export (a zip of subscribed,
//! unsubscribed and cleaned CSV files, or each file alone) and Meetup's member list.
//!
//! Parsing is pure and reads the whole input first; the caller applies the records in one
//! transaction, so a bad row is reported and skipped and never leaves half an import.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::Path;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use super::store::{Consent, MemberStatus, Record};
use super::{clean_text, Address, MAX_FIELD_BYTES};
use crate::diagnostics::Diagnostic;

/// The format of an import file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A CSV with an `email` column; crier's export columns (`status`, `opted_in_at`, ...) are
    /// understood.
    Csv,
    /// Mailchimp's audience export: the zip, or one of its CSV files.
    Mailchimp,
    /// Meetup's member list export.
    Meetup,
}

impl Format {
    /// The word used on the command line and in consent records.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Mailchimp => "mailchimp",
            Format::Meetup => "meetup",
        }
    }
}

/// One record, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The record.
    pub record: Record,
    /// The list the row names (crier's export has a `list` column), if any.
    pub list: Option<String>,
    /// `file:line`, for reports.
    pub at: String,
}

/// Everything read from one import file.
#[derive(Debug, Default)]
pub struct Parsed {
    /// Good rows, in file order; in a Mailchimp zip, subscribed before cleaned before
    /// unsubscribed, so the later status wins for an address in two files.
    pub rows: Vec<Row>,
    /// Rows skipped, with `path:line` and why.
    pub skipped: Vec<Diagnostic>,
}

/// The largest import file read (a 100,000-member audience export is about 30 MB).
pub const MAX_IMPORT_BYTES: u64 = 256 * 1024 * 1024;

/// Why a file could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file cannot be read.
    #[error("{path}: {why}")]
    Read {
        /// The file.
        path: String,
        /// What went wrong.
        why: String,
    },
}

/// Reads `path` in `format`. A `.zip` is opened and each CSV inside is read.
pub fn read(path: &Path, format: Format) -> Result<Parsed, ImportError> {
    let fail = |why: String| ImportError::Read {
        path: path.display().to_string(),
        why,
    };
    let size = std::fs::metadata(path)
        .map_err(|e| fail(e.to_string()))?
        .len();
    if size > MAX_IMPORT_BYTES {
        return Err(fail(format!(
            "{size} bytes; at most {MAX_IMPORT_BYTES} are read"
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
    let mut parsed = Parsed::default();
    if bytes.starts_with(b"PK\x03\x04") {
        let mut files = unzip(&bytes).map_err(fail)?;
        // Subscribed first, then cleaned and unsubscribed: for an address in two files the
        // opt-out is applied last and wins.
        files.sort_by_key(|(name, text)| (mailchimp_kind(&header_of(text)).rank(), name.clone()));
        for (name, text) in files {
            let label = format!("{}:{name}", path.display());
            parse_csv(&label, &text, format, &mut parsed);
        }
    } else {
        let text = String::from_utf8(bytes)
            .map_err(|_| fail("not UTF-8: export the list as \"CSV UTF-8\"".into()))?;
        parse_csv(&path.display().to_string(), &text, format, &mut parsed);
    }
    Ok(parsed)
}

/// The CSV files inside a zip, by name. Sizes are checked as they are inflated, so a zip
/// bomb stops at the limit.
fn unzip(bytes: &[u8]) -> Result<Vec<(String, String)>, String> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| format!("not a readable zip: {e}"))?;
    let mut out = Vec::new();
    let mut total = 0u64;
    for i in 0..archive.len() {
        let file = archive
            .by_index(i)
            .map_err(|e| format!("zip entry {i}: {e}"))?;
        let name = file
            .name()
            .map_err(|e| format!("zip entry {i}: {e}"))?
            .into_owned();
        if file.is_dir() || !name.to_lowercase().ends_with(".csv") || name.contains("__MACOSX") {
            continue;
        }
        let mut text = String::new();
        let read = file
            .take(MAX_IMPORT_BYTES - total + 1)
            .read_to_string(&mut text)
            .map_err(|e| format!("{name} in the zip is not UTF-8 text: {e}"))?;
        total += read as u64;
        if total > MAX_IMPORT_BYTES {
            return Err(format!(
                "the zip inflates to more than {MAX_IMPORT_BYTES} bytes"
            ));
        }
        out.push((name, text));
    }
    if out.is_empty() {
        return Err("the zip holds no .csv file".into());
    }
    Ok(out)
}

fn header_of(text: &str) -> Vec<String> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    reader
        .headers()
        .map(|h| h.iter().map(normalise_header).collect())
        .unwrap_or_default()
}

/// Headers compared without case, spaces or BOM: `Email Address` is `email address`.
fn normalise_header(h: &str) -> String {
    h.trim_start_matches('\u{feff}').trim().to_lowercase()
}

/// Which of Mailchimp's three files a header row belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MailchimpKind {
    Subscribed,
    Cleaned,
    Unsubscribed,
}

impl MailchimpKind {
    fn rank(self) -> u8 {
        self as u8
    }
}

fn mailchimp_kind(headers: &[String]) -> MailchimpKind {
    if headers.iter().any(|h| h == "unsub_time") {
        MailchimpKind::Unsubscribed
    } else if headers.iter().any(|h| h == "clean_time") {
        MailchimpKind::Cleaned
    } else {
        MailchimpKind::Subscribed
    }
}

/// The columns a format knows; every other column becomes an attribute.
struct Columns {
    email: usize,
    name: Option<usize>,
    first: Option<usize>,
    last: Option<usize>,
    known: Vec<usize>,
}

fn find(headers: &[String], names: &[&str]) -> Option<usize> {
    headers.iter().position(|h| names.contains(&h.as_str()))
}

const EMAIL: &[&str] = &[
    "email",
    "e-mail",
    "email address",
    "e-mail address",
    "emailaddress",
];

fn parse_csv(label: &str, text: &str, format: Format, parsed: &mut Parsed) {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(normalise_header).collect(),
        Err(err) => {
            let why = format!("cannot read the header row: {err}");
            parsed
                .skipped
                .push(Diagnostic::error(Path::new(label), 1, 1, why));
            return;
        }
    };
    let Some(columns) = Columns::of(&headers) else {
        let why = format!(
            "header row has no e-mail column (`email` or `Email Address`); found `{}`",
            headers.join(",")
        );
        parsed
            .skipped
            .push(Diagnostic::error(Path::new(label), 1, 1, why));
        return;
    };
    let file = FileInfo {
        label,
        format,
        headers: &headers,
        columns: &columns,
        kind: mailchimp_kind(&headers),
    };
    let mut first_line: HashMap<String, usize> = HashMap::new();
    for (i, result) in reader.records().enumerate() {
        let line = result
            .as_ref()
            .ok()
            .and_then(|r| r.position().map(|p| p.line() as usize))
            .unwrap_or(i + 2);
        let skip = |why: String| {
            Diagnostic::error(Path::new(label), line, 1, format!("{why}; row skipped"))
        };
        let record = match result {
            // crier's export made formula-like cells inert with a leading `'`: undo it.
            Ok(r) if format == Format::Csv => r.iter().map(undefuse).collect(),
            Ok(r) => r,
            Err(err) => {
                parsed.skipped.push(skip(format!("unreadable row: {err}")));
                continue;
            }
        };
        if record.iter().all(str::is_empty) {
            continue;
        }
        match check_row(&file, &record, line, &mut first_line) {
            Ok(address) => parsed.rows.push(file.row(&record, address, line)),
            Err(why) => parsed.skipped.push(skip(why)),
        }
    }
}

/// One file's layout, for reading its rows.
struct FileInfo<'a> {
    label: &'a str,
    format: Format,
    headers: &'a [String],
    columns: &'a Columns,
    kind: MailchimpKind,
}

/// A row's address, or why the row is skipped: an oversized cell, an unusable address, or an
/// address already on an earlier line.
fn check_row(
    file: &FileInfo<'_>,
    record: &csv::StringRecord,
    line: usize,
    first_line: &mut HashMap<String, usize>,
) -> Result<String, String> {
    if let Some((i, v)) = record
        .iter()
        .enumerate()
        .find(|(_, v)| v.len() > MAX_FIELD_BYTES)
    {
        let column = file.headers.get(i).map_or("?", String::as_str);
        return Err(format!(
            "column `{column}` is {} bytes; at most {MAX_FIELD_BYTES} are allowed",
            v.len()
        ));
    }
    let address = record.get(file.columns.email).unwrap_or("").to_owned();
    if let Err(why) = Address::parse(&address) {
        return Err(format!(
            "invalid address '{}': {why}",
            address.escape_debug()
        ));
    }
    let key = crate::subscribers::address::key_of(&address);
    if let Some(first) = first_line.get(&key) {
        return Err(format!(
            "duplicate address '{address}' (first on line {first})"
        ));
    }
    first_line.insert(key, line);
    Ok(address)
}

impl FileInfo<'_> {
    /// The record a checked row becomes.
    fn row(&self, record: &csv::StringRecord, address: String, line: usize) -> Row {
        let get = |names: &[&str]| {
            find(self.headers, names)
                .and_then(|i| record.get(i))
                .map(clean_text)
                .filter(|v| !v.is_empty())
        };
        let (status, consent, list) = match self.format {
            Format::Csv => crier_columns(&get),
            Format::Mailchimp => (mailchimp_status(self.kind), mailchimp_consent(&get), None),
            Format::Meetup => meetup_columns(&get),
        };
        // A source the row recorded itself (crier's own export) is kept; otherwise the
        // import is the source.
        let consent = Consent {
            source: if consent.source.is_empty() {
                format!("import:{}", self.format.as_str())
            } else {
                consent.source.clone()
            },
            ..consent
        };
        Row {
            record: Record {
                address,
                name: self.columns.name_of(record),
                attrs: self.columns.attrs_of(self.headers, record),
                status,
                consent,
                address_wide: self.format == Format::Mailchimp && status.opts_out(),
            },
            list,
            at: format!("{}:{line}", self.label),
        }
    }
}

impl Columns {
    /// The columns in `headers`; `None` without an address column.
    fn of(headers: &[String]) -> Option<Self> {
        Some(Columns {
            email: find(headers, EMAIL)?,
            name: find(headers, &["name", "full name"]),
            first: find(headers, &["first name", "fname", "first_name"]),
            last: find(headers, &["last name", "lname", "last_name"]),
            known: KNOWN.iter().filter_map(|k| find(headers, &[k])).collect(),
        })
    }

    /// The name column, else first and last names joined.
    fn name_of(&self, record: &csv::StringRecord) -> Option<String> {
        let cell = |i: usize| record.get(i).map(clean_text).filter(|v| !v.is_empty());
        self.name.and_then(cell).or_else(|| {
            let parts: Vec<String> = [self.first, self.last]
                .into_iter()
                .flatten()
                .filter_map(cell)
                .collect();
            (!parts.is_empty()).then(|| parts.join(" "))
        })
    }

    /// Every column this format does not know, by header.
    fn attrs_of(&self, headers: &[String], record: &csv::StringRecord) -> BTreeMap<String, String> {
        headers
            .iter()
            .enumerate()
            .filter(|(i, h)| {
                *i != self.email
                    && Some(*i) != self.name
                    && Some(*i) != self.first
                    && Some(*i) != self.last
                    && !self.known.contains(i)
                    && !h.is_empty()
            })
            .filter_map(|(i, h)| {
                let v = clean_text(record.get(i)?);
                (!v.is_empty()).then(|| (h.clone(), v))
            })
            .collect()
    }
}

/// `'=x` -> `=x`: the reverse of the export's protection against spreadsheet formulas.
fn undefuse(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => cell,
    }
}

/// Columns that are consent or status data, not attributes.
const KNOWN: &[&str] = &[
    "list",
    "status",
    "source",
    "opted_in_at",
    "confirmed_at",
    "page",
    "ip",
    "changed_at",
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

type Get<'a> = dyn Fn(&[&str]) -> Option<String> + 'a;

/// crier's own export: the consent columns come back as they were written.
fn crier_columns(get: &Get<'_>) -> (MemberStatus, Consent, Option<String>) {
    let status = get(&["status"])
        .and_then(|s| MemberStatus::parse(&s.to_lowercase()))
        .unwrap_or(MemberStatus::Confirmed);
    let consent = Consent {
        source: get(&["source"]).unwrap_or_default(),
        opted_in_at: get(&["opted_in_at"]).and_then(|t| time(&t)),
        page: get(&["page"]),
        ip: get(&["ip"]),
        confirmed_at: get(&["confirmed_at"]).and_then(|t| time(&t)),
    };
    (status, consent, get(&["list"]))
}

fn mailchimp_status(kind: MailchimpKind) -> MemberStatus {
    match kind {
        MailchimpKind::Subscribed => MemberStatus::Confirmed,
        MailchimpKind::Unsubscribed => MemberStatus::Unsubscribed,
        MailchimpKind::Cleaned => MemberStatus::Bounced,
    }
}

fn mailchimp_consent(get: &Get<'_>) -> Consent {
    Consent {
        source: String::new(),
        opted_in_at: get(&["optin_time"]).and_then(|t| time(&t)),
        page: None,
        ip: get(&["confirm_ip"]).or_else(|| get(&["optin_ip"])),
        confirmed_at: get(&["confirm_time"]).and_then(|t| time(&t)),
    }
}

/// Meetup's member list: `Joined Group on` is the opt-in; `Mailing List: No` (members who
/// turned group e-mails off) is kept as an opt-out.
fn meetup_columns(get: &Get<'_>) -> (MemberStatus, Consent, Option<String>) {
    let opted_out = get(&["mailing list"]).is_some_and(|v| {
        matches!(
            v.to_lowercase().as_str(),
            "no" | "none" | "off" | "false" | "unsubscribed"
        )
    });
    let status = if opted_out {
        MemberStatus::Unsubscribed
    } else {
        MemberStatus::Confirmed
    };
    let consent = Consent {
        source: String::new(),
        opted_in_at: get(&["joined group on"]).and_then(|t| time(&t)),
        ..Consent::default()
    };
    (status, consent, None)
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

/// What an import did, for the organiser.
#[derive(Debug, Default, serde::Serialize)]
pub struct Report {
    /// Counts per list.
    pub lists: BTreeMap<String, super::store::Applied>,
    /// Rows skipped, as `path:line: why`.
    pub skipped: Vec<String>,
}

/// The rows of `parsed` grouped by the list they go to: every row onto `list`, or, without
/// one, onto the list its `list` column names (crier's own export) if `allowed` (or it records
/// a choice to leave: kept even for lists people cannot join on the form). The report holds
/// the rows skipped.
pub fn batches(
    parsed: Parsed,
    list: Option<&str>,
    allowed: &dyn Fn(&str) -> bool,
) -> (Vec<(String, Vec<Record>)>, Report) {
    let mut report = Report {
        skipped: parsed.skipped.iter().map(ToString::to_string).collect(),
        ..Report::default()
    };
    let mut by_list: BTreeMap<String, Vec<Record>> = BTreeMap::new();
    for row in parsed.rows {
        let target = match (list, &row.list) {
            (Some(wanted), Some(own)) if own != wanted => {
                report.skipped.push(format!(
                    "{}: the row is for list `{own}`, not `{wanted}`; row skipped",
                    row.at
                ));
                continue;
            }
            (Some(wanted), _) => wanted.to_owned(),
            (None, Some(own)) if allowed(own) => own.clone(),
            (None, Some(own))
                if row.record.status.opts_out() && crate::config::valid_list_name(own) =>
            {
                own.clone()
            }
            (None, Some(own)) => {
                report.skipped.push(format!(
                    "{}: list `{own}` is not in `audience.lists`; row skipped",
                    row.at
                ));
                continue;
            }
            (None, None) => {
                report.skipped.push(format!(
                    "{}: no `list` column and no --list; row skipped",
                    row.at
                ));
                continue;
            }
        };
        by_list.entry(target).or_default().push(row.record);
    }
    (by_list.into_iter().collect(), report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str, format: Format) -> Parsed {
        let mut parsed = Parsed::default();
        parse_csv("t.csv", text, format, &mut parsed);
        parsed
    }

    #[test]
    fn export_times_are_read_in_every_format_they_come_in() {
        assert_eq!(
            time("2023-03-04 18:02:11").unwrap().to_rfc3339(),
            "2023-03-04T18:02:11+00:00"
        );
        assert_eq!(
            time("2023-03-04T18:02:11+01:00").unwrap().to_rfc3339(),
            "2023-03-04T17:02:11+00:00"
        );
        assert_eq!(
            time("11/20/2019").unwrap().to_rfc3339(),
            "2019-11-20T00:00:00+00:00"
        );
        assert_eq!(
            time("2019-11-20").unwrap().to_rfc3339(),
            "2019-11-20T00:00:00+00:00"
        );
        assert_eq!(time("yesterday"), None);
    }

    #[test]
    fn crier_s_own_columns_come_back() {
        let p = parse(
            "email,name,list,status,source,opted_in_at,confirmed_at,page,ip,changed_at,team\n\
             a@example.org,A,members,unsubscribed,form,2024-01-01T00:00:00Z,2024-01-01T00:05:00Z,https://x.example.com/,192.0.2.1,2024-02-01T00:00:00Z,red\n",
            Format::Csv,
        );
        let row = &p.rows[0];
        assert_eq!(row.list.as_deref(), Some("members"));
        assert_eq!(row.record.status, MemberStatus::Unsubscribed);
        assert_eq!(row.record.consent.source, "form");
        assert_eq!(
            row.record.consent.page.as_deref(),
            Some("https://x.example.com/")
        );
        assert_eq!(
            row.record.attrs.get("team").map(String::as_str),
            Some("red")
        );
        assert!(!row.record.attrs.contains_key("changed_at"));
    }

    #[test]
    fn a_file_without_an_address_column_is_one_clear_error() {
        let p = parse("name,phone\nA,1\n", Format::Mailchimp);
        assert!(p.rows.is_empty());
        assert!(p.skipped[0].to_string().contains("no e-mail column"));
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_text_never_panics(text in "(?s).{0,2000}") {
            for format in [Format::Csv, Format::Mailchimp, Format::Meetup] {
                let p = parse(&text, format);
                for row in p.rows {
                    proptest::prop_assert!(Address::parse(&row.record.address).is_ok());
                    proptest::prop_assert!(row.record.name.iter().all(|n| !n.chars().any(char::is_control)));
                }
            }
        }

        #[test]
        fn csv_shaped_rows_never_panic(rows in proptest::collection::vec("[a-z@.,\"\r\n =']{0,40}", 0..30)) {
            let text = format!("Email Address,First Name,UNSUB_TIME,Mailing List\n{}", rows.join("\n"));
            let _ = parse(&text, Format::Mailchimp);
            let _ = parse(&text, Format::Meetup);
        }
    }
}
