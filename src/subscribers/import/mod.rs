//! Reading member lists exported from other tools into store [`Record`]s: crier's own export
//! (plain CSV with consent, dates and the address-wide suppression), Mailchimp's audience
//! export (a zip of subscribed, unsubscribed and cleaned CSV files, or each file alone) and
//! Meetup's member list.
//!
//! Parsing is pure and reads the whole input first; the caller applies the records in one
//! transaction, so a bad row is reported and skipped and never leaves half an import.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::Path;

mod formats;
#[cfg(test)]
mod round_trip;

use super::store::{Consent, Record};
use super::{clean_text, Address, MAX_FIELD_BYTES};
use crate::config::Limits;
use crate::diagnostics::Diagnostic;
use crate::util::input::{read_limited, Input, InputError};
use formats::{Cells, MailchimpKind, KNOWN};

pub use formats::time;

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
    /// The row is about the address on no list: crier's export writes one for a suppressed
    /// address, or a person, on no list. Only its person and suppression count.
    pub alone: bool,
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

/// Why a file could not be imported at all. A bad row is not one of these: it is skipped and
/// reported with its line, and the rest imports.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Not a regular file, unreadable, or over the size limit.
    #[error(transparent)]
    Input(#[from] InputError),
    /// The zip's directory cannot be read.
    #[error("{path}: not a readable zip: {why}")]
    Zip {
        /// The file.
        path: String,
        /// What is wrong.
        why: String,
    },
    /// The zip holds more entries than anyone's member export.
    #[error("{path}: the zip holds {entries} entries, over the limit of {limit}: a member export holds a few CSV files")]
    ZipEntries {
        /// The file.
        path: String,
        /// The entries its directory declares.
        entries: u64,
        /// The limit.
        limit: u64,
    },
    /// The CSV files in the zip inflate to more than the size limit.
    #[error("{path}: the CSV files in the zip inflate to more than {limit} bytes (the limit, `limits.import_mib`)")]
    ZipExpanded {
        /// The file.
        path: String,
        /// The limit, in bytes.
        limit: u64,
    },
    /// A zip without a CSV file in it.
    #[error("{path}: the zip holds no .csv file")]
    NoCsvInZip {
        /// The file.
        path: String,
    },
    /// The text is not UTF-8.
    #[error("{path}:{line}: not UTF-8 text: export the list as \"CSV UTF-8\"")]
    NotUtf8 {
        /// The file (or `zip:entry`).
        path: String,
        /// The line of the first invalid byte.
        line: usize,
    },
    /// The header row cannot be read.
    #[error("{path}:1: cannot read the header row: {why}")]
    Header {
        /// The file (or `zip:entry`).
        path: String,
        /// What is wrong.
        why: String,
    },
    /// No column holds addresses: nothing in the file could be imported.
    #[error(
        "{path}: no e-mail column; found columns: {found} (expected one of: {EXPECTED_EMAIL})"
    )]
    NoAddressColumn {
        /// The file (or `zip:entry`).
        path: String,
        /// The header row as written, shortened when long.
        found: String,
    },
    /// More rows than the row limit.
    #[error("{path}:{line}: more than {limit} rows (the limit, `limits.import_rows`): split the file, or raise the limit")]
    TooManyRows {
        /// The file (or `zip:entry`).
        path: String,
        /// The line of the first row over the limit.
        line: usize,
        /// The limit.
        limit: usize,
    },
}

/// How far an import may go: from `limits:` in crier.yaml.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportLimits {
    /// Largest file, and the most CSV text a zip may inflate to, in bytes.
    pub max_bytes: u64,
    /// Most rows, every CSV of a zip together.
    pub max_rows: usize,
    /// Most entries in a zip.
    pub max_zip_entries: u64,
}

impl ImportLimits {
    /// The import limits of `limits`.
    pub fn of(limits: &Limits) -> Self {
        ImportLimits {
            max_bytes: limits.max_import_bytes,
            max_rows: limits.max_import_rows,
            max_zip_entries: limits.max_zip_entries,
        }
    }
}

impl Default for ImportLimits {
    fn default() -> Self {
        Self::of(&Limits::default())
    }
}

/// The setting named when a file is over the size limit.
pub const SIZE_SETTING: &str = "limits.import_mib";

/// Reads `input` in `format`: a regular file or standard input, never more than the limits
/// allow. A zip (by its first bytes) is opened and each CSV inside is read.
///
/// Measured before these bounds (debug build): `/dev/zero` grew to 2 GB, a FIFO was read to
/// its end, and a zip of 100,000 small CSV files took 9 s and "succeeded".
pub fn read(input: &Input, format: Format, limits: &ImportLimits) -> Result<Parsed, ImportError> {
    let label = input.label();
    let bytes = read_limited(input, limits.max_bytes, SIZE_SETTING)?;
    let mut parsed = Parsed::default();
    let mut rows = RowBudget::new(limits.max_rows);
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        let mut files = unzip(&label, &bytes, limits)?;
        // Subscribed first, then cleaned and unsubscribed: for an address in two files the
        // opt-out is applied last and wins.
        files.sort_by_cached_key(|(name, text)| {
            (MailchimpKind::of(&header_of(text)).rank(), name.clone())
        });
        for (name, text) in files {
            parse_csv(
                &format!("{label}:{name}"),
                &text,
                format,
                &mut parsed,
                &mut rows,
            )?;
        }
    } else {
        let text = utf8(&label, bytes)?;
        parse_csv(&label, &text, format, &mut parsed, &mut rows)?;
    }
    Ok(parsed)
}

/// `bytes` as text, or an error naming the line of the first invalid byte.
fn utf8(label: &str, bytes: Vec<u8>) -> Result<String, ImportError> {
    String::from_utf8(bytes).map_err(|err| {
        let valid = err.utf8_error().valid_up_to();
        let line = 1 + err.as_bytes()[..valid]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        ImportError::NotUtf8 {
            path: label.to_owned(),
            line,
        }
    })
}

/// The CSV files inside a zip, by name. The entry count is read from the end of the file
/// before the zip library parses its directory, and sizes are checked as entries are
/// inflated, so neither a zip of many entries nor a zip bomb gets far.
fn unzip(
    label: &str,
    bytes: &[u8],
    limits: &ImportLimits,
) -> Result<Vec<(String, String)>, ImportError> {
    let fail = |why: String| ImportError::Zip {
        path: label.to_owned(),
        why,
    };
    let mut archive = open_zip(label, bytes, limits)?;
    let too_big = || ImportError::ZipExpanded {
        path: label.to_owned(),
        limit: limits.max_bytes,
    };
    let mut out = Vec::new();
    let mut total = 0u64;
    for i in 0..archive.len() {
        let file = archive
            .by_index(i)
            .map_err(|e| fail(format!("entry {i}: {e}")))?;
        let name = file
            .name()
            .map_err(|e| fail(format!("entry {i}: {e}")))?
            .into_owned();
        if file.is_dir() || !name.to_lowercase().ends_with(".csv") || name.contains("__MACOSX") {
            continue;
        }
        // The declared size first (it may lie, so the read below is bounded too).
        if total.saturating_add(file.size()) > limits.max_bytes {
            return Err(too_big());
        }
        let mut inflated = Vec::new();
        file.take(limits.max_bytes - total + 1)
            .read_to_end(&mut inflated)
            .map_err(|e| fail(format!("{name}: {e}")))?;
        total += inflated.len() as u64;
        if total > limits.max_bytes {
            return Err(too_big());
        }
        out.push((name.clone(), utf8(&format!("{label}:{name}"), inflated)?));
    }
    if out.is_empty() {
        return Err(ImportError::NoCsvInZip {
            path: label.to_owned(),
        });
    }
    Ok(out)
}

/// The zip's directory, once its entry count is known to be within the limit.
fn open_zip<'b>(
    label: &str,
    bytes: &'b [u8],
    limits: &ImportLimits,
) -> Result<zip::ZipArchive<std::io::Cursor<&'b [u8]>>, ImportError> {
    let too_many = |entries: u64| ImportError::ZipEntries {
        path: label.to_owned(),
        entries,
        limit: limits.max_zip_entries,
    };
    let fail = |why: String| ImportError::Zip {
        path: label.to_owned(),
        why,
    };
    let declared =
        declared_entries(bytes).ok_or_else(|| fail("no end-of-central-directory record".into()))?;
    if declared > limits.max_zip_entries {
        return Err(too_many(declared));
    }
    let archive =
        zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| fail(e.to_string()))?;
    // The library may find another directory than the record read above: count again.
    if archive.len() as u64 > limits.max_zip_entries {
        return Err(too_many(archive.len() as u64));
    }
    Ok(archive)
}

/// The number of entries a zip's end-of-central-directory record declares (the zip64 record's
/// count when the classic one says to look there), read from the last bytes of the file
/// without parsing the directory. `None` when there is no such record.
fn declared_entries(bytes: &[u8]) -> Option<u64> {
    const END: &[u8] = b"PK\x05\x06";
    const LOCATOR: &[u8] = b"PK\x06\x07";
    const END64: &[u8] = b"PK\x06\x06";
    // The record is 22 bytes and may be followed by a comment of up to 65,535 bytes.
    let last = bytes.len().checked_sub(22)?;
    let first = last.saturating_sub(u16::MAX as usize);
    let at = (first..=last).rev().find(|&i| &bytes[i..i + 4] == END)?;
    let entries = u16::from_le_bytes([bytes[at + 10], bytes[at + 11]]);
    if entries != u16::MAX {
        return Some(u64::from(entries));
    }
    let locator = bytes.get(at.checked_sub(20)?..at)?;
    if &locator[..4] != LOCATOR {
        return Some(u64::from(entries));
    }
    let offset = u64::from_le_bytes(locator[8..16].try_into().ok()?);
    let record = bytes.get(usize::try_from(offset).ok()?..)?.get(..40)?;
    if &record[..4] != END64 {
        return None;
    }
    Some(u64::from_le_bytes(record[32..40].try_into().ok()?))
}

/// Rows left to read in one import.
struct RowBudget {
    read: usize,
    max: usize,
}

impl RowBudget {
    fn new(max: usize) -> Self {
        RowBudget { read: 0, max }
    }

    /// Counts one row at `line` of `label`; an error once past the limit.
    fn take(&mut self, label: &str, line: usize) -> Result<(), ImportError> {
        self.read += 1;
        if self.read > self.max {
            return Err(ImportError::TooManyRows {
                path: label.to_owned(),
                line,
                limit: self.max,
            });
        }
        Ok(())
    }
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

/// Address column headers, compared after [`normalise_header`].
const EMAIL: &[&str] = &[
    "email",
    "e-mail",
    "email address",
    "e-mail address",
    "emailaddress",
];

/// [`EMAIL`] as the exports spell it, for error messages.
pub const EXPECTED_EMAIL: &str = "email, e-mail, Email Address, E-mail Address, EmailAddress";

/// A header row for an error message: as written, each cell and the whole shortened.
fn shown_headers(headers: &csv::StringRecord) -> String {
    const CELLS: usize = 20;
    const CELL_CHARS: usize = 40;
    if headers.iter().all(|h| h.trim().is_empty()) {
        return "none (the file is empty or its first line is blank)".to_owned();
    }
    let mut shown: Vec<String> = headers
        .iter()
        .take(CELLS)
        .map(|h| {
            let h = h.trim_start_matches('\u{feff}').trim();
            let cut: String = h.chars().take(CELL_CHARS).collect();
            let cut = if cut.len() < h.len() {
                format!("{cut}...")
            } else {
                cut
            };
            format!("{}", cut.escape_debug())
        })
        .collect();
    if headers.len() > CELLS {
        shown.push(format!("and {} more", headers.len() - CELLS));
    }
    shown.join(", ")
}

/// Reads the rows of one CSV text into `parsed`. A file without an address column is an
/// error, not a skipped row: imported as if it were fine, it would import nobody and, for a
/// file of people who left, record none of their choices.
fn parse_csv(
    label: &str,
    text: &str,
    format: Format,
    parsed: &mut Parsed,
    budget: &mut RowBudget,
) -> Result<(), ImportError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let (headers, columns) = columns_of(label, &mut reader, format)?;
    let file = FileInfo {
        label,
        format,
        headers: &headers,
        columns: &columns,
        kind: MailchimpKind::of(&headers),
    };
    let mut first_line: HashMap<(String, String), usize> = HashMap::new();
    let mut lines = Lines::new(text.as_bytes());
    for (i, result) in reader.records().enumerate() {
        let start = match &result {
            Ok(r) => r.position(),
            Err(err) => err.position(),
        };
        let line = start.map_or(i + 2, |p| lines.of(p.byte() as usize));
        budget.take(label, line)?;
        let skip = |why: String| {
            Diagnostic::error(Path::new(label), line, 1, format!("{why}; row skipped"))
        };
        let record = match result {
            // crier's export made formula-like cells inert with a leading `'`: undo it.
            Ok(r) if format == Format::Csv => r.iter().map(formats::undefuse).collect(),
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
    Ok(())
}

/// The header row (normalised) and the columns found in it; an error without an address
/// column.
fn columns_of(
    label: &str,
    reader: &mut csv::Reader<&[u8]>,
    format: Format,
) -> Result<(Vec<String>, Columns), ImportError> {
    let raw = reader.headers().map_err(|err| ImportError::Header {
        path: label.to_owned(),
        why: err.to_string(),
    })?;
    let headers: Vec<String> = raw
        .iter()
        .map(|h| match format {
            // Attribute names are cells of crier's export too, made inert the same way.
            Format::Csv => normalise_header(formats::undefuse(h.trim_start_matches('\u{feff}'))),
            _ => normalise_header(h),
        })
        .collect();
    match Columns::of(&headers) {
        Some(columns) => Ok((headers, columns)),
        None => Err(ImportError::NoAddressColumn {
            path: label.to_owned(),
            found: shown_headers(raw),
        }),
    }
}

/// Line numbers of records, from their byte offsets. The CSV reader's own line number counts
/// to where it started looking for the record, so it is short by the blank lines before it.
struct Lines<'t> {
    text: &'t [u8],
    at: usize,
    line: usize,
}

impl<'t> Lines<'t> {
    fn new(text: &'t [u8]) -> Self {
        Lines {
            text,
            at: 0,
            line: 1,
        }
    }

    /// The line of the record starting at (or after blank lines from) `byte`; records come in
    /// order, so the text is counted once in all.
    fn of(&mut self, byte: usize) -> usize {
        let mut start = byte.min(self.text.len());
        while self
            .text
            .get(start)
            .is_some_and(|b| matches!(b, b'\n' | b'\r'))
        {
            start += 1;
        }
        if start > self.at {
            let newlines = self.text[self.at..start].iter().filter(|b| **b == b'\n');
            self.line += newlines.count();
            self.at = start;
        }
        self.line
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
/// address already on an earlier line (for the same list: crier's export has a row per list).
fn check_row(
    file: &FileInfo<'_>,
    record: &csv::StringRecord,
    line: usize,
    first_line: &mut HashMap<(String, String), usize>,
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
    let list = match file.format {
        Format::Csv => find(file.headers, &["list"])
            .and_then(|i| record.get(i))
            .unwrap_or("")
            .to_owned(),
        Format::Mailchimp | Format::Meetup => String::new(),
    };
    let key = (crate::subscribers::address::key_of(&address), list);
    if let Some(first) = first_line.get(&key) {
        let on = if key.1.is_empty() {
            String::new()
        } else {
            format!(" on list `{}`", key.1)
        };
        return Err(format!(
            "duplicate address '{address}'{on} (first on line {first})"
        ));
    }
    first_line.insert(key, line);
    Ok(address)
}

impl FileInfo<'_> {
    /// The record a checked row becomes.
    fn row(&self, record: &csv::StringRecord, address: String, line: usize) -> Row {
        let cells = Cells {
            headers: self.headers,
            record,
        };
        let fields = match self.format {
            Format::Csv => formats::crier(&cells),
            Format::Mailchimp => formats::mailchimp(&cells, self.kind),
            Format::Meetup => formats::meetup(&cells),
        };
        // A source the row recorded itself (crier's own export) is kept; otherwise the
        // import is the source.
        let consent = Consent {
            source: if fields.consent.source.is_empty() {
                format!("import:{}", self.format.as_str())
            } else {
                fields.consent.source.clone()
            },
            ..fields.consent
        };
        Row {
            record: Record {
                address,
                name: self.columns.name_of(record),
                attrs: self.columns.attrs_of(self.headers, record),
                status: fields.status,
                consent,
                changed_at: fields.changed_at,
                created_at: fields.created_at,
                suppression: fields.suppression,
            },
            list: fields.list,
            alone: fields.alone,
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

/// What an import did, for the organiser.
#[derive(Debug, Default, serde::Serialize)]
pub struct Report {
    /// Counts per list.
    pub lists: BTreeMap<String, super::store::Applied>,
    /// Counts for the addresses on no list (people added, addresses suppressed).
    pub alone: super::store::Applied,
    /// Rows skipped, as `path:line: why`.
    pub skipped: Vec<String>,
}

/// What an import applies: records list by list, then the addresses on no list.
#[derive(Debug, Default)]
pub struct Batches {
    /// Records by the list they go to.
    pub lists: Vec<(String, Vec<Record>)>,
    /// Records about an address on no list: crier's export rows for a suppressed address (or
    /// a person) on no list, and the suppressions of rows skipped for their list. Only their
    /// person and suppression are applied.
    pub alone: Vec<Record>,
}

/// The rows of `parsed` grouped by the list they go to: every row onto `list`, or, without
/// one, onto the list its `list` column names (crier's own export) if `allowed` (or it records
/// a choice to leave: kept even for lists people cannot join on the form). A row skipped for
/// its list still brings its address-wide suppression: a choice to get no mail at all is never
/// dropped. The report holds the rows skipped.
pub fn batches(
    parsed: Parsed,
    list: Option<&str>,
    allowed: &dyn Fn(&str) -> bool,
) -> (Batches, Report) {
    let mut report = Report {
        skipped: parsed.skipped.iter().map(ToString::to_string).collect(),
        ..Report::default()
    };
    let mut by_list: BTreeMap<String, Vec<Record>> = BTreeMap::new();
    let mut alone = Vec::new();
    for row in parsed.rows {
        if row.alone {
            alone.push(row.record);
            continue;
        }
        match target(&row, list, allowed) {
            Ok(target) => by_list.entry(target).or_default().push(row.record),
            Err(why) => {
                report
                    .skipped
                    .push(format!("{}: {why}; row skipped", row.at));
                if row.record.suppression.is_some() {
                    alone.push(Record {
                        name: None,
                        attrs: BTreeMap::new(),
                        created_at: None,
                        ..row.record
                    });
                }
            }
        }
    }
    let batches = Batches {
        lists: by_list.into_iter().collect(),
        alone,
    };
    (batches, report)
}

/// The list a row goes to, or why it is skipped.
fn target(row: &Row, list: Option<&str>, allowed: &dyn Fn(&str) -> bool) -> Result<String, String> {
    match (list, &row.list) {
        (Some(wanted), Some(own)) if own != wanted => {
            Err(format!("the row is for list `{own}`, not `{wanted}`"))
        }
        (Some(wanted), _) => Ok(wanted.to_owned()),
        (None, Some(own)) if allowed(own) => Ok(own.clone()),
        (None, Some(own))
            if row.record.status.opts_out() && crate::config::valid_list_name(own) =>
        {
            Ok(own.clone())
        }
        (None, Some(own)) => Err(format!("list `{own}` is not in `audience.lists`")),
        (None, None) => Err("no `list` column and no --list".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::subscribers::store::MemberStatus;

    fn try_parse(text: &str, format: Format) -> Result<Parsed, ImportError> {
        let mut parsed = Parsed::default();
        parse_csv(
            "t.csv",
            text,
            format,
            &mut parsed,
            &mut RowBudget::new(usize::MAX),
        )?;
        Ok(parsed)
    }

    fn parse(text: &str, format: Format) -> Parsed {
        try_parse(text, format).unwrap_or_default()
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
        let err = try_parse("\u{feff}Name, Phone\nA,1\n", Format::Mailchimp).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("t.csv: no e-mail column; found columns: Name, Phone (expected one of: {EXPECTED_EMAIL})")
        );
        let err = try_parse("", Format::Csv).unwrap_err();
        assert!(err.to_string().contains("found columns: none"), "{err}");
    }

    #[test]
    fn rows_past_the_limit_stop_the_import_with_their_line() {
        let text = "email\na@example.org\nb@example.org\n\nc@example.org\n";
        let mut parsed = Parsed::default();
        let err = parse_csv(
            "t.csv",
            text,
            Format::Csv,
            &mut parsed,
            &mut RowBudget::new(2),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "t.csv:5: more than 2 rows (the limit, `limits.import_rows`): split the file, or raise the limit"
        );
        let mut parsed = Parsed::default();
        parse_csv(
            "t.csv",
            text,
            Format::Csv,
            &mut parsed,
            &mut RowBudget::new(3),
        )
        .unwrap();
        assert_eq!(parsed.rows.len(), 3);
    }

    #[test]
    fn the_entry_count_is_read_from_the_end_of_the_zip() {
        use std::io::Write;
        let mut buf = std::io::Cursor::new(Vec::new());
        let mut writer = zip::ZipWriter::new(&mut buf);
        for i in 0..5 {
            writer
                .start_file(format!("{i}.csv"), zip::write::SimpleFileOptions::default())
                .unwrap();
            writer.write_all(b"email\n").unwrap();
        }
        writer.set_comment("a comment after the directory").unwrap();
        writer.finish().unwrap();
        let bytes = buf.into_inner();
        assert_eq!(declared_entries(&bytes), Some(5));
        assert_eq!(declared_entries(b"PK\x03\x04 not a zip"), None);
        let limits = ImportLimits {
            max_zip_entries: 4,
            ..ImportLimits::default()
        };
        let err = unzip("x.zip", &bytes, &limits).unwrap_err();
        assert_eq!(
            err.to_string(),
            "x.zip: the zip holds 5 entries, over the limit of 4: a member export holds a few CSV files"
        );
    }

    #[test]
    fn a_zip_bomb_stops_at_the_size_limit() {
        use std::io::Write;
        let mut buf = std::io::Cursor::new(Vec::new());
        let mut writer = zip::ZipWriter::new(&mut buf);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        writer.start_file("big.csv", options).unwrap();
        let line = [b'a'; 1024];
        for _ in 0..1024 {
            writer.write_all(&line).unwrap();
        }
        writer.finish().unwrap();
        let bytes = buf.into_inner();
        assert!(bytes.len() < 64 * 1024, "{}", bytes.len());
        let limits = ImportLimits {
            max_bytes: 512 * 1024,
            ..ImportLimits::default()
        };
        let err = unzip("x.zip", &bytes, &limits).unwrap_err();
        assert!(matches!(err, ImportError::ZipExpanded { .. }), "{err}");
    }

    #[test]
    fn invalid_utf8_is_reported_with_its_line() {
        let err = utf8("t.csv", b"email\na@example.org\n\xff\n".to_vec()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "t.csv:3: not UTF-8 text: export the list as \"CSV UTF-8\""
        );
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
