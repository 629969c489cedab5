//! The suppression list on its own: the addresses crier never mails again, with why. An
//! organiser adds or lifts one by hand, exports the list, or imports a sending provider's
//! (Amazon SES, Mailgun, SendGrid, Postmark) before the first send.

use chrono::{DateTime, Utc};

use super::subscriptions::Subscriptions;
use crate::config::Config;
use crate::ledger::Ledger;
use crate::subscribers::import::SIZE_SETTING;
use crate::subscribers::{Address, Suppression, SuppressionReason};
use crate::util::input::{read_limited, Input, InputError};

/// Why a suppression file cannot be imported.
#[derive(Debug, thiserror::Error)]
pub enum SuppressionFileError {
    /// Not a regular file, unreadable, or over `limits.import_mib`.
    #[error(transparent)]
    Input(#[from] InputError),
    /// Not UTF-8 text.
    #[error("{path}:{line}: not UTF-8 text: export the list as \"CSV UTF-8\"")]
    NotUtf8 {
        /// The file.
        path: String,
        /// The line of the first invalid byte.
        line: usize,
    },
    /// No column holds addresses.
    #[error("{path}: no e-mail column; found columns: {found} (expected one of: email, email address, e-mail, address, recipient)")]
    NoAddressColumn {
        /// The file.
        path: String,
        /// The header row.
        found: String,
    },
    /// More rows than `limits.import_rows`.
    #[error("{path}:{line}: more than {limit} rows (the limit, `limits.import_rows`): split the file, or raise the limit")]
    TooManyRows {
        /// The file.
        path: String,
        /// The line of the first row over the limit.
        line: usize,
        /// The limit.
        limit: usize,
    },
    /// The ledger failed.
    #[error(transparent)]
    Ledger(#[from] crate::ledger::LedgerError),
}

/// What an import did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportedSuppressions {
    /// Addresses suppressed (or already suppressed: the first reason stands).
    pub suppressed: usize,
    /// Rows skipped, as `line N: why`.
    pub skipped: Vec<String>,
}

/// Reads a provider's suppression export (CSV; a regular file, or standard input as `-`,
/// within `limits.import_mib` and `limits.import_rows`) and suppresses every address in it. A
/// row's reason (bounce, complaint, unsubscribe) is read from its reason column when it has
/// one, else `default` applies; its time from a date column when it has one. The whole file
/// is read and checked before the first address is suppressed.
pub fn import(
    ledger: &mut Ledger,
    config: &Config,
    input: &Input,
    default: SuppressionReason,
    now: DateTime<Utc>,
) -> Result<ImportedSuppressions, SuppressionFileError> {
    let label = input.label();
    let bytes = read_limited(input, config.limits.max_import_bytes, SIZE_SETTING)?;
    let text = String::from_utf8(bytes).map_err(|err| {
        let valid = err.utf8_error().valid_up_to();
        SuppressionFileError::NotUtf8 {
            line: 1 + err.as_bytes()[..valid]
                .iter()
                .filter(|b| **b == b'\n')
                .count(),
            path: label.clone(),
        }
    })?;
    let mut out = ImportedSuppressions::default();
    let rows = read_rows(&label, &text, config.limits.max_import_rows, &mut out)?;
    let detail = format!("imported from {}", input.file_name());
    let mut service = Subscriptions::new(ledger, config);
    for row in rows {
        let reason = row.reason.unwrap_or(default);
        service.suppress(&row.address, reason, &detail, row.at.unwrap_or(now))?;
        out.suppressed += 1;
    }
    Ok(out)
}

/// One address to suppress, with what its row says.
struct Row {
    address: Address,
    reason: Option<SuppressionReason>,
    at: Option<DateTime<Utc>>,
}

/// The usable rows of a suppression CSV; rows without an address go to `out.skipped`.
fn read_rows(
    label: &str,
    text: &str,
    max_rows: usize,
    out: &mut ImportedSuppressions,
) -> Result<Vec<Row>, SuppressionFileError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map(|h| {
            h.iter()
                .map(|c| c.trim_start_matches('\u{feff}').to_lowercase())
                .collect()
        })
        .unwrap_or_default();
    let find = |names: &[&str]| headers.iter().position(|h| names.contains(&h.as_str()));
    let Some(address_col) = find(ADDRESS) else {
        let found = if headers.iter().all(|h| h.trim().is_empty()) {
            "none (the file is empty or its first line is blank)".to_owned()
        } else {
            headers.join(", ")
        };
        let path = label.to_owned();
        return Err(SuppressionFileError::NoAddressColumn { path, found });
    };
    let (reason_col, time_col) = (find(REASON), find(TIME));
    let mut rows = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let line = i + 2;
        if i >= max_rows {
            let path = label.to_owned();
            let limit = max_rows;
            return Err(SuppressionFileError::TooManyRows { path, line, limit });
        }
        let Ok(row) = row else {
            out.skipped.push(format!("line {line}: unreadable row"));
            continue;
        };
        let raw = row.get(address_col).unwrap_or_default();
        let Ok(address) = Address::parse(raw) else {
            out.skipped.push(format!(
                "line {line}: not an address: `{}`",
                raw.chars().take(80).collect::<String>()
            ));
            continue;
        };
        let cell = |col: Option<usize>| col.and_then(|c| row.get(c));
        rows.push(Row {
            address,
            reason: cell(reason_col).and_then(reason_word),
            at: cell(time_col).and_then(crate::subscribers::import::time),
        });
    }
    Ok(rows)
}

/// Address column headers, lower-cased.
const ADDRESS: &[&str] = &[
    "email",
    "email address",
    "emailaddress",
    "e-mail",
    "address",
    "recipient",
];

/// Reason column headers, lower-cased.
const REASON: &[&str] = &[
    "reason",
    "type",
    "suppressionreason",
    "suppression reason",
    "status",
];

/// Date column headers, lower-cased.
const TIME: &[&str] = &[
    "lastupdatetime",
    "last update time",
    "created_at",
    "createdat",
    "created",
    "date",
];

/// A provider's reason word: a bounce, a complaint, or an opt-out.
fn reason_word(word: &str) -> Option<SuppressionReason> {
    let word = word.to_ascii_lowercase();
    if word.contains("complain") || word.contains("spam") || word.contains("abuse") {
        Some(SuppressionReason::Complained)
    } else if word.contains("bounce") || word.contains("hard") || word.contains("invalid") {
        Some(SuppressionReason::Bounced)
    } else if word.contains("unsub") || word.contains("manual") || word.contains("opt") {
        Some(SuppressionReason::Unsubscribed)
    } else {
        None
    }
}

/// Every suppression, for `crier suppressions list` and `export`.
pub fn list(ledger: &Ledger) -> Result<Vec<Suppression>, crate::ledger::LedgerError> {
    <Ledger as crate::subscribers::store::Store>::suppressions(ledger)
}
