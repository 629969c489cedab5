//! The suppression list on its own: the addresses crier never mails again, with why. An
//! organiser adds or lifts one by hand, exports the list, or imports a sending provider's
//! (Amazon SES, Mailgun, SendGrid, Postmark) before the first send.

use std::io::Read;
use std::path::Path;

use chrono::{DateTime, Utc};

use super::subscriptions::Subscriptions;
use crate::config::Config;
use crate::ledger::Ledger;
use crate::subscribers::{Address, Suppression, SuppressionReason};

/// Largest suppression file read.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Why a suppression file cannot be imported.
#[derive(Debug, thiserror::Error)]
pub enum SuppressionFileError {
    /// Not readable, not a regular file, or too large.
    #[error("{path}: {why}")]
    File {
        /// The file.
        path: String,
        /// Why.
        why: String,
    },
    /// No column holds addresses.
    #[error("{path}: no column of addresses (expected one called email, email address, address or recipient); the columns are: {found}")]
    NoAddressColumn {
        /// The file.
        path: String,
        /// The header row.
        found: String,
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

/// Reads a provider's suppression export (CSV) and suppresses every address in it. A row's
/// reason (bounce, complaint, unsubscribe) is read from its reason column when it has one,
/// else `default` applies; its time from a date column when it has one.
pub fn import(
    ledger: &mut Ledger,
    config: &Config,
    path: &Path,
    default: SuppressionReason,
    now: DateTime<Utc>,
) -> Result<ImportedSuppressions, SuppressionFileError> {
    let text = read_bounded(path)?;
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
    let Some(address_col) = find(&[
        "email",
        "email address",
        "emailaddress",
        "e-mail",
        "address",
        "recipient",
    ]) else {
        return Err(SuppressionFileError::NoAddressColumn {
            path: path.display().to_string(),
            found: headers.join(","),
        });
    };
    let reason_col = find(&[
        "reason",
        "type",
        "suppressionreason",
        "suppression reason",
        "status",
    ]);
    let time_col = find(&[
        "lastupdatetime",
        "last update time",
        "created_at",
        "createdat",
        "created",
        "date",
    ]);
    let mut out = ImportedSuppressions::default();
    let mut service = Subscriptions::new(ledger, config);
    for (i, row) in reader.records().enumerate() {
        let line = i + 2;
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
        let reason = reason_col
            .and_then(|c| row.get(c))
            .and_then(reason_word)
            .unwrap_or(default);
        let at = time_col
            .and_then(|c| row.get(c))
            .and_then(crate::subscribers::import::time)
            .unwrap_or(now);
        let detail = format!(
            "imported from {}",
            path.file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default()
        );
        service.suppress(&address, reason, &detail, at)?;
        out.suppressed += 1;
    }
    Ok(out)
}

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

/// The file's text: a regular file only (not a FIFO or a device), at most
/// [`MAX_FILE_BYTES`].
fn read_bounded(path: &Path) -> Result<String, SuppressionFileError> {
    let fail = |why: String| SuppressionFileError::File {
        path: path.display().to_string(),
        why,
    };
    let meta = std::fs::metadata(path).map_err(|e| fail(e.to_string()))?;
    if !meta.is_file() {
        return Err(fail("not a regular file".into()));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(fail(format!(
            "{} bytes; at most {MAX_FILE_BYTES} are read",
            meta.len()
        )));
    }
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_FILE_BYTES).read_to_string(&mut text))
        .map_err(|e| fail(e.to_string()))?;
    Ok(text)
}

/// Every suppression, for `crier suppressions list` and `export`.
pub fn list(ledger: &Ledger) -> Result<Vec<Suppression>, crate::ledger::LedgerError> {
    <Ledger as crate::subscribers::store::Store>::suppressions(ledger)
}
