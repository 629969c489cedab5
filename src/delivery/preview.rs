//! The dry run: carry out a [`Plan`] into the preview folder instead of a transport. Every
//! recipient's message is composed exactly as the send composes it (same plan, same id, same
//! time, same key), so `preview/eml/*.eml` holds the bytes the SMTP server will receive.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::email::compose::{Parts, HTML_LIMIT};
use crate::email::{Composer, Kind};
use crate::ledger::Ledger;
use crate::output::write_atomic;
use crate::plan::{Entry, Plan, Skipped, Tally, WalkError};

/// Where and how much to write.
#[derive(Debug, Clone, Default)]
pub struct PreviewOptions {
    /// The preview folder; `None` writes nothing (for timing a compose).
    pub dir: Option<PathBuf>,
    /// Write at most this many `.eml` files (all are still composed).
    pub sample: Option<usize>,
}

/// What the dry run found.
#[derive(Debug, Default, Serialize)]
pub struct Preview {
    /// Recipients and skipped addresses, counted.
    pub tally: Tally,
    /// Everyone left out, with the reason.
    #[serde(skip)]
    pub skipped: Vec<Skipped>,
    /// Messages composed.
    pub composed: usize,
    /// The first recipient's subject.
    pub subject: Option<String>,
    /// The largest message, in bytes.
    pub largest_message_bytes: usize,
    /// The largest HTML part, in bytes.
    pub largest_html_bytes: usize,
    /// Problems that would make the send fail or go out wrong.
    pub failures: Vec<String>,
}

/// Why the preview could not be written.
#[derive(Debug, thiserror::Error)]
pub enum PreviewError {
    /// A preview file could not be written.
    #[error("cannot write the preview {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The ledger failed while reading a resumed send's recipients.
    #[error(transparent)]
    Ledger(#[from] crate::ledger::LedgerError),
}

/// Composes every message of `plan` and writes the preview.
pub fn write(
    plan: &Plan,
    composer: &mut Composer<'_>,
    ledger: Option<&Ledger>,
    options: &PreviewOptions,
) -> Result<Preview, PreviewError> {
    if let Some(dir) = &options.dir {
        clear_old_messages(dir)?;
    }
    let mut preview = Preview::default();
    let sample = options.sample.unwrap_or(usize::MAX);
    let kind = plan.outgoing.kind;
    let tally = plan.audience.walk(ledger, |entry| {
        let sub = match entry {
            Entry::Recipient(sub) => sub,
            Entry::Skipped(s) => {
                preview.skipped.push(s);
                return Ok(());
            }
        };
        let index = preview.composed + preview.failures.len();
        if let (0, Some(dir)) = (index, &options.dir) {
            if let Ok(parts) = composer.parts(&sub) {
                write_parts(dir, kind, &parts)?;
            }
        }
        match composer.compose(&sub) {
            Ok(message) => {
                preview.composed += 1;
                preview.subject.get_or_insert(message.subject);
                preview.largest_message_bytes =
                    preview.largest_message_bytes.max(message.bytes.len());
                preview.largest_html_bytes = preview.largest_html_bytes.max(message.html_size);
                if let Some(dir) = options.dir.as_deref().filter(|_| index < sample) {
                    let name = format!(
                        "{:05}-{}.eml",
                        index + 1,
                        crate::output::address_file_name(&message.to)
                    );
                    write_file(&dir.join("eml").join(name), &message.bytes)?;
                }
            }
            Err(problem) => preview.failures.push(problem.to_string()),
        }
        Ok(())
    });
    preview.tally = match tally {
        Ok(tally) => tally,
        Err(WalkError::Visit(e)) => return Err(e),
        Err(WalkError::Ledger(e)) => return Err(e.into()),
        Err(e @ WalkError::NoLedger(_)) => {
            preview.failures.push(e.to_string());
            Tally::default()
        }
    };
    preview
        .failures
        .extend(preview.tally.fatal.iter().map(ToString::to_string));
    if preview.largest_html_bytes > HTML_LIMIT {
        preview.failures.push(format!(
            "the HTML part is {} KB: Gmail clips messages over about 100 KB (shorten the templates or include fewer recaps)",
            preview.largest_html_bytes / 1024
        ));
    }
    Ok(preview)
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), PreviewError> {
    write_atomic(path, bytes)
        .map(|_| ())
        .map_err(|source| PreviewError::Write {
            path: path.to_path_buf(),
            source,
        })
}

/// Removes the previous preview's .eml files (only those), so old messages never linger.
fn clear_old_messages(dir: &Path) -> Result<(), PreviewError> {
    let eml = dir.join("eml");
    if let Ok(entries) = std::fs::read_dir(&eml) {
        for entry in entries.flatten() {
            if entry.path().extension().is_some_and(|e| e == "eml") {
                std::fs::remove_file(entry.path()).map_err(|source| PreviewError::Write {
                    path: entry.path(),
                    source,
                })?;
            }
        }
    }
    Ok(())
}

/// Writes the first recipient's HTML and text as `digest.html` / `digest.txt` (or `post.*`,
/// `reminder.*`)
/// so they can be opened directly in a browser or editor.
fn write_parts(dir: &Path, kind: Kind, parts: &Parts) -> Result<(), PreviewError> {
    let stem = kind.stem();
    write_file(&dir.join(format!("{stem}.html")), parts.html.as_bytes())?;
    write_file(&dir.join(format!("{stem}.txt")), parts.text.as_bytes())
}
