//! Subscriber lists: `subscribers/<list>.csv`, one file per list, with an `email` column.
//!
//! Spreadsheet exports are the norm, so a UTF-8 byte-order mark, CRLF line endings, extra
//! columns and stray whitespace are all fine. A bad row is reported with its line and skipped;
//! it never stops the rest of the list.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

pub mod address;
pub mod export;
pub mod import;
pub mod membership;
pub mod request;
pub mod store;

pub use address::{Address, AddressError};
pub use membership::{SkipReason, Suppression, SuppressionReason};
pub use request::{Choice, MemberRequest};

use crate::diagnostics::Diagnostic;

/// One subscriber on one list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Subscriber {
    /// The address as written (trimmed).
    pub email: Address,
    /// Display name, if the list has a `name` column and it is filled in.
    pub name: Option<String>,
    /// Every other column, by header name.
    pub attrs: BTreeMap<String, String>,
    /// The list (file stem) this row came from.
    pub list: String,
}

/// A subscriber list file.
#[derive(Debug, Clone)]
pub struct List {
    /// File stem: `members` for `subscribers/members.csv`.
    pub name: String,
    /// The CSV file.
    pub path: PathBuf,
    /// Valid, de-duplicated subscribers in file order.
    pub subscribers: Vec<Subscriber>,
    /// Rows skipped because of an error.
    pub skipped: usize,
}

/// Every list that was loaded, with the problems found.
#[derive(Debug, Default)]
pub struct Lists {
    /// Lists in name order.
    pub lists: Vec<List>,
    /// Errors and warnings, by file and line.
    pub diagnostics: Vec<Diagnostic>,
}

impl Lists {
    /// Everyone to mail, each address once: someone on two lists gets one copy, on the list
    /// that comes first by name.
    pub fn recipients(&self) -> Vec<&Subscriber> {
        let mut seen = std::collections::HashSet::new();
        self.lists
            .iter()
            .flat_map(|l| &l.subscribers)
            .filter(|s| seen.insert(s.email.digest()))
            .collect()
    }
}

/// A list file found in the subscribers folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListFile {
    /// File stem: the list's name.
    pub name: String,
    /// The CSV file.
    pub path: PathBuf,
}

/// Finds the list files in `dir`; `wanted` limits them by name (empty: all). A wanted list
/// with no file is an error, unless it is one of `stored` (lists kept in the subscriber store).
pub fn list_files(
    dir: &Path,
    wanted: &[String],
    stored: &[String],
) -> (Vec<ListFile>, Vec<Diagnostic>) {
    let mut problems = Vec::new();
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")))
            .filter(|p| {
                !p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            })
            .collect(),
        // A site whose members all joined through the form has no folder: that is fine.
        Err(err) if err.kind() == std::io::ErrorKind::NotFound && !stored.is_empty() => Vec::new(),
        Err(err) => {
            problems.push(Diagnostic::error(
                dir,
                1,
                1,
                format!("cannot read the subscribers folder: {err}"),
            ));
            return (Vec::new(), problems);
        }
    };
    files.sort();
    for name in wanted.iter().filter(|w| !stored.contains(w)) {
        if !files.iter().any(|p| stem(p) == *name) {
            problems.push(Diagnostic::error(
                &dir.join(format!("{name}.csv")),
                1,
                1,
                format!("list `{name}` is named in `newsletter.lists` but has no file"),
            ));
        }
    }
    let lists = files
        .into_iter()
        .map(|path| ListFile {
            name: stem(&path),
            path,
        })
        .filter(|l| wanted.is_empty() || wanted.contains(&l.name))
        .collect();
    (lists, problems)
}

/// Loads every list into memory (for `check` and small sites; sending streams instead, see
/// [`read_list`]).
pub fn load(dir: &Path, wanted: &[String], stored: &[String]) -> Lists {
    let (files, diagnostics) = list_files(dir, wanted, stored);
    let mut out = Lists {
        lists: Vec::new(),
        diagnostics,
    };
    for file in files {
        let (list, diagnostics) = load_list(&file.path, &file.name);
        out.diagnostics.extend(diagnostics);
        out.lists.push(list);
    }
    out
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Parses one CSV file into memory.
pub fn load_list(path: &Path, name: &str) -> (List, Vec<Diagnostic>) {
    let mut subscribers = Vec::new();
    let report = read_list(path, name, |s| {
        subscribers.push(s);
        Ok::<(), std::convert::Infallible>(())
    });
    let report = match report {
        Ok(r) => r,
        Err(never) => match never {},
    };
    let list = List {
        name: name.to_owned(),
        path: path.to_path_buf(),
        subscribers,
        skipped: report.skipped,
    };
    (list, report.diagnostics)
}

/// What reading one list found besides its subscribers.
#[derive(Debug, Default)]
pub struct ListReport {
    /// Valid, distinct subscribers passed on.
    pub subscribers: usize,
    /// Rows skipped because of an error.
    pub skipped: usize,
    /// Errors and warnings with their lines.
    pub diagnostics: Vec<Diagnostic>,
    /// Problems with the whole list (unreadable file, no `email` column): nobody on it can be
    /// mailed, so a send must not go ahead as if it were empty.
    pub fatal: Vec<Diagnostic>,
}

/// Streams one list: each valid, first-seen subscriber is handed to `visit` as soon as its row
/// is read, so a list of any length costs memory only for the set of addresses seen. A
/// duplicate (case-insensitive) keeps the first row and is reported with both lines.
pub fn read_list<E>(
    path: &Path,
    name: &str,
    mut visit: impl FnMut(Subscriber) -> Result<(), E>,
) -> Result<ListReport, E> {
    read_rows(path, name, |row| match row {
        Row::Valid(sub) => visit(sub),
        Row::Invalid { .. } | Row::Duplicate { .. } => Ok(()),
    })
}

/// One row of a list, as [`read_rows`] hands it on.
#[derive(Debug)]
pub enum Row {
    /// A valid subscriber, first time seen in this list.
    Valid(Subscriber),
    /// A row skipped because its address is unusable.
    Invalid {
        /// The address cell as written.
        email: String,
        /// Where and why.
        problem: Diagnostic,
    },
    /// A second row for an address already on this list (the first row is kept).
    Duplicate {
        /// The address as written on this row.
        email: String,
        /// Where, and the first row's line.
        problem: Diagnostic,
    },
}

/// Like [`read_list`], but every skipped row is handed on too, so a send can say who was left
/// out and why.
pub fn read_rows<E>(
    path: &Path,
    name: &str,
    mut visit: impl FnMut(Row) -> Result<(), E>,
) -> Result<ListReport, E> {
    let mut report = ListReport::default();
    let (mut reader, columns) = match open_list(path) {
        Ok(opened) => opened,
        Err(problem) => {
            report.diagnostics.push(problem.clone());
            report.fatal.push(problem);
            return Ok(report);
        }
    };
    let mut first_line: HashMap<u128, usize> = HashMap::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(err) => {
                let problem = read_error(path, &err, "unreadable row");
                report.diagnostics.push(problem.clone());
                report.skipped += 1;
                if matches!(err.kind(), csv::ErrorKind::Io(_)) {
                    report.fatal.push(problem);
                    break;
                }
                let email = String::new();
                visit(Row::Invalid { email, problem })?;
                continue;
            }
        }
        if record.iter().all(str::is_empty) {
            continue;
        }
        let row = columns.row(&record, path, name, &mut first_line);
        match &row {
            Row::Valid(_) => report.subscribers += 1,
            Row::Invalid { problem, .. } => {
                report.skipped += 1;
                report.diagnostics.push(problem.clone());
            }
            Row::Duplicate { problem, .. } => report.diagnostics.push(problem.clone()),
        }
        visit(row)?;
    }
    Ok(report)
}

/// The line of each address's first row in the list at `path` (by address key), for
/// messages about a row that name its line.
pub fn row_lines(path: &Path) -> HashMap<String, usize> {
    let mut lines = HashMap::new();
    let Ok((mut reader, columns)) = open_list(path) else {
        return lines;
    };
    let mut record = csv::StringRecord::new();
    while let Ok(true) = reader.read_record(&mut record) {
        let line = record.position().map_or(1, |p| p.line() as usize);
        if let Some(cell) = record.get(columns.email) {
            lines.entry(address::key_of(cell.trim())).or_insert(line);
        }
    }
    lines
}

/// A list's header row: its column names (lower-cased) and where the address and name are.
struct Columns {
    headers: Vec<String>,
    email: usize,
    name: Option<usize>,
}

/// Opens a list and reads its header row, or says why the whole list is unusable.
fn open_list(
    path: &Path,
) -> Result<(csv::Reader<std::io::BufReader<std::fs::File>>, Columns), Diagnostic> {
    let file = std::fs::File::open(path)
        .map_err(|err| Diagnostic::error(path, 1, 1, format!("cannot read list: {err}")))?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(std::io::BufReader::new(file));
    let headers: Vec<String> = reader
        .headers()
        .map_err(|err| read_error(path, &err, "cannot read the header row"))?
        .iter()
        .map(|c| c.trim_start_matches('\u{feff}').to_lowercase())
        .collect();
    let Some(email) = headers.iter().position(|h| h == "email" || h == "e-mail") else {
        return Err(Diagnostic::error(
            path,
            1,
            1,
            format!(
                "header row has no `email` column: expected a first line such as `email,name`, found `{}`",
                headers.join(",")
            ),
        ));
    };
    let name = headers.iter().position(|h| h == "name");
    Ok((
        reader,
        Columns {
            headers,
            email,
            name,
        },
    ))
}

impl Columns {
    /// One row of list `list` as a subscriber, or why it is skipped. `first_line` remembers
    /// where each address was first seen, to report duplicates with both lines.
    fn row(
        &self,
        record: &csv::StringRecord,
        path: &Path,
        list: &str,
        first_line: &mut HashMap<u128, usize>,
    ) -> Row {
        let line = record.position().map_or(1, |p| p.line() as usize);
        let email = record.get(self.email).unwrap_or("").to_owned();
        if let Some((column, length)) = oversized_field(record, &self.headers) {
            let problem = Diagnostic::error(
                path,
                line,
                1,
                format!(
                    "column `{column}` is {length} bytes; at most {MAX_FIELD_BYTES} are allowed (a pasted document?); row skipped"
                ),
            );
            let email = email.chars().take(80).collect();
            return Row::Invalid { email, problem };
        }
        let address = match Address::parse(&email) {
            Ok(address) => address,
            Err(why) => {
                let message = format!(
                    "invalid address '{}': {why}; row skipped",
                    email.escape_debug()
                );
                let problem = Diagnostic::error(path, line, 1, message);
                return Row::Invalid { email, problem };
            }
        };
        if let Some(first) = first_line.get(&address.digest()) {
            let problem = Diagnostic::warning(
                path,
                line,
                1,
                format!(
                    "duplicate address '{email}' (also on line {first}): merged into one subscriber, the first row is kept"
                ),
            );
            return Row::Duplicate { email, problem };
        }
        first_line.insert(address.digest(), line);
        Row::Valid(self.subscriber(record, address, list))
    }

    fn subscriber(&self, record: &csv::StringRecord, email: Address, list: &str) -> Subscriber {
        let attrs: BTreeMap<String, String> = self
            .headers
            .iter()
            .enumerate()
            .filter(|(i, h)| *i != self.email && Some(*i) != self.name && !h.is_empty())
            .filter_map(|(i, h)| record.get(i).map(|v| (h.clone(), clean_text(v))))
            .collect();
        Subscriber {
            email,
            name: self
                .name
                .and_then(|c| record.get(c))
                .map(clean_text)
                .filter(|n| !n.is_empty()),
            attrs,
            list: list.to_owned(),
        }
    }
}

fn read_error(path: &Path, err: &csv::Error, what: &str) -> Diagnostic {
    let line = err.position().map_or(1, |p| p.line() as usize);
    let message = match err.kind() {
        csv::ErrorKind::Utf8 { .. } => format!(
            "{what}: not valid UTF-8; export the list from the spreadsheet as \"CSV UTF-8\""
        ),
        _ => format!("{what}: {err}"),
    };
    Diagnostic::error(path, line, 1, message)
}

/// Control characters (a CR/LF pasted into a cell) become spaces: names end up in headers.
pub(crate) fn clean_text(value: &str) -> String {
    value
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The longest value a subscriber column may hold: names and attributes end up in headers
/// and in every message, so a pasted document in one cell must not ride along.
pub const MAX_FIELD_BYTES: usize = 1024;

/// The first column whose value is longer than [`MAX_FIELD_BYTES`], with its length.
fn oversized_field(record: &csv::StringRecord, headers: &[String]) -> Option<(String, usize)> {
    record
        .iter()
        .enumerate()
        .find(|(_, v)| v.len() > MAX_FIELD_BYTES)
        .map(|(i, v)| {
            let name = headers
                .get(i)
                .cloned()
                .unwrap_or_else(|| format!("#{}", i + 1));
            (name, v.len())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_megabyte_cell_skips_its_row_with_the_column_and_line() {
        let big = "x".repeat(1 << 20);
        let text = format!("email,name,company\nok@example.com,Ok,\nbig@example.com,Big,{big}\n");
        let (list, diagnostics) = load_text(text.as_bytes());
        assert_eq!(list.subscribers.len(), 1);
        assert_eq!(list.skipped, 1);
        let message = diagnostics[0].to_string();
        assert!(
            message.contains(":3:1: error: column `company` is 1048576 bytes"),
            "{message}"
        );
    }

    fn load_text(text: &[u8]) -> (List, Vec<Diagnostic>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("members.csv");
        std::fs::write(&path, text).unwrap();
        load_list(&path, "members")
    }

    #[test]
    fn reads_spreadsheet_exports() {
        let (list, problems) = load_text(b"\xef\xbb\xbfEmail,Name,Company\r\nada@example.com, Ada Lovelace ,Analytical\r\n\r\nbob@example.org,,\r\n");
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(list.subscribers.len(), 2);
        assert_eq!(list.subscribers[0].name.as_deref(), Some("Ada Lovelace"));
        assert_eq!(list.subscribers[0].attrs["company"], "Analytical");
        assert_eq!(list.subscribers[1].name, None);
        assert_eq!(list.subscribers[1].list, "members");
    }

    #[test]
    fn invalid_rows_are_reported_with_line_and_skipped() {
        let (list, problems) = load_text(b"email,name\nok@example.com,A\nnot-an-address,B\n\"evil@example.com\r\nBcc: x@example.org\",C\nnodot@localhost,D\n");
        assert_eq!(list.subscribers.len(), 1);
        assert_eq!(list.skipped, 3);
        assert_eq!(problems[0].line, 3);
        assert!(
            problems[0]
                .message
                .starts_with("invalid address 'not-an-address'"),
            "{}",
            problems[0]
        );
        assert!(
            problems[1].message.contains("\\r\\n"),
            "control characters are escaped: {}",
            problems[1]
        );
    }

    #[test]
    fn duplicates_merge_case_insensitively_with_a_warning() {
        let (list, problems) =
            load_text(b"email,name,city\nAda@Example.com,,London\nada@example.com,Ada,Paris\n");
        assert_eq!(list.subscribers.len(), 1);
        assert_eq!(
            list.subscribers[0].email.as_str(),
            "Ada@Example.com",
            "the first row is kept"
        );
        assert_eq!(list.subscribers[0].attrs["city"], "London");
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].message.contains("also on line 2"),
            "{}",
            problems[0]
        );
        assert_eq!(problems[0].line, 3);
    }

    #[test]
    fn a_missing_email_column_is_an_error() {
        let (list, problems) = load_text(b"mail,name\na@example.com,A\n");
        assert!(list.subscribers.is_empty());
        assert!(problems[0].message.contains("no `email` column"));
    }

    #[test]
    fn names_lose_control_characters() {
        let (list, _) = load_text(b"email,name\na@example.com,\"Eve\r\nBcc: x@example.org\"\n");
        assert_eq!(
            list.subscribers[0].name.as_deref(),
            Some("Eve Bcc: x@example.org")
        );
    }
}
