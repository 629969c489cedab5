//! Reading reports from disk: `.eml` files, Maildirs (`cur/` and `new/`) and mbox files, as a
//! stream of labelled messages. Opens everything read-only; never moves, renames or deletes.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use super::limits::{MAX_FILES, MAX_MESSAGE_BYTES, MAX_TOTAL_BYTES};

/// One message read: where it came from and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The file, and for an mbox the message's number in it (`box.mbox#3`).
    pub label: String,
    /// The raw message, `>From ` lines of an mbox unescaped.
    pub bytes: Vec<u8>,
}

/// Why a message or a source was skipped. The stream goes on after each, except after
/// [`MailboxError::Budget`].
#[derive(Debug, thiserror::Error)]
pub enum MailboxError {
    /// A file or folder cannot be read.
    #[error("{path}: {source}")]
    Read {
        /// The file or folder.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// One message is over the size limit: skipped.
    #[error("{label}: message of more than {max} bytes skipped")]
    TooLarge {
        /// The message.
        label: String,
        /// The limit.
        max: usize,
    },
    /// A path given is a device, a FIFO or a socket: not read.
    #[error(transparent)]
    NotRegular(crate::util::input::InputError),
    /// Everything read so far is over the overall limit: reading stops.
    #[error("stopped after {max} bytes in all; import the rest separately")]
    Budget {
        /// The overall limit.
        max: u64,
    },
}

/// Lists the messages under `paths` (files, Maildirs, folders of `.eml` files, mbox files) and
/// reads them one at a time.
pub fn read(paths: &[PathBuf]) -> Messages {
    let mut sources = VecDeque::new();
    let mut errors = VecDeque::new();
    for path in paths {
        list(path, &mut sources, &mut errors);
    }
    Messages {
        sources,
        errors,
        mbox: None,
        total: 0,
        stopped: false,
    }
}

/// The stream of messages (see [`read`]).
pub struct Messages {
    sources: VecDeque<PathBuf>,
    errors: VecDeque<MailboxError>,
    mbox: Option<Mbox>,
    total: u64,
    stopped: bool,
}

impl Iterator for Messages {
    type Item = Result<Item, MailboxError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.stopped {
            return None;
        }
        if let Some(e) = self.errors.pop_front() {
            return Some(Err(e));
        }
        let next = self.next_message()?;
        if let Ok(item) = &next {
            self.total += item.bytes.len() as u64;
            if self.total > MAX_TOTAL_BYTES {
                self.stopped = true;
                return Some(Err(MailboxError::Budget {
                    max: MAX_TOTAL_BYTES,
                }));
            }
        }
        Some(next)
    }
}

impl Messages {
    fn next_message(&mut self) -> Option<Result<Item, MailboxError>> {
        loop {
            if let Some(mbox) = &mut self.mbox {
                match mbox.next_message() {
                    Some(item) => return Some(item),
                    None => self.mbox = None,
                }
            }
            let path = self.sources.pop_front()?;
            match open_source(&path) {
                Ok(Source::Message(item)) => return Some(Ok(item)),
                Ok(Source::Mbox(mbox)) => self.mbox = Some(mbox),
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

/// Adds the files under `path` to `sources`, sorted so that runs are repeatable.
fn list(path: &Path, sources: &mut VecDeque<PathBuf>, errors: &mut VecDeque<MailboxError>) {
    if !path.is_dir() {
        sources.push_back(path.to_path_buf());
        return;
    }
    let maildir = ["cur", "new"].iter().any(|d| path.join(d).is_dir());
    let folders: Vec<PathBuf> = if maildir {
        vec![path.join("cur"), path.join("new")]
    } else {
        vec![path.to_path_buf()]
    };
    for folder in folders.into_iter().filter(|f| f.is_dir()) {
        let entries = match std::fs::read_dir(&folder) {
            Ok(e) => e,
            Err(source) => {
                errors.push_back(MailboxError::Read {
                    path: folder,
                    source,
                });
                continue;
            }
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .filter(|p| maildir || p.extension().is_some_and(|e| e.eq_ignore_ascii_case("eml")))
            .take(MAX_FILES)
            .collect();
        files.sort();
        sources.extend(files);
    }
}

enum Source {
    Message(Item),
    Mbox(Mbox),
}

/// Opens a file: an mbox when it starts with a `From ` line, else one message.
fn open_source(path: &Path) -> Result<Source, MailboxError> {
    let read_error = |source| MailboxError::Read {
        path: path.to_path_buf(),
        source,
    };
    // A device or a FIFO named on the command line is refused, not read until the budget.
    let label = path.display().to_string();
    let file = crate::util::input::open_regular(path, &label).map_err(|e| match e {
        crate::util::input::InputError::Read { source, .. } => read_error(source),
        other => MailboxError::NotRegular(other),
    })?;
    let mut reader = BufReader::new(file);
    let starts_mbox = reader.fill_buf().map_err(read_error)?.starts_with(b"From ");
    if starts_mbox {
        return Ok(Source::Mbox(Mbox {
            reader: Box::new(reader),
            label,
            number: 0,
            done: false,
        }));
    }
    let mut bytes = Vec::new();
    reader
        .take(MAX_MESSAGE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(read_error)?;
    if bytes.len() > MAX_MESSAGE_BYTES {
        return Err(MailboxError::TooLarge {
            label,
            max: MAX_MESSAGE_BYTES,
        });
    }
    Ok(Source::Message(Item { label, bytes }))
}

/// An mbox being read message by message.
struct Mbox {
    reader: Box<dyn BufRead>,
    label: String,
    number: usize,
    done: bool,
}

impl Mbox {
    /// The next message: lines up to the next `From ` line, `>From ` unescaped (mboxrd). A
    /// message over the limit is skipped to its end, never held whole.
    fn next_message(&mut self) -> Option<Result<Item, MailboxError>> {
        if self.done {
            return None;
        }
        if self.number == 0 {
            // The `From ` line that starts the first message.
            match self.next_line(&mut Vec::new()) {
                Ok(true) => {}
                Ok(false) => return None,
                Err(e) => return Some(Err(e)),
            }
        }
        self.number += 1;
        let label = format!("{}#{}", self.label, self.number);
        match self.read_body() {
            Ok(Some(bytes)) => Some(Ok(Item { label, bytes })),
            Ok(None) => Some(Err(MailboxError::TooLarge {
                label,
                max: MAX_MESSAGE_BYTES,
            })),
            Err(e) => Some(Err(e)),
        }
    }

    /// The lines of one message, unescaped, up to the next `From ` line (consumed here: it
    /// starts the next message) or the end; `None` when they add up to more than the limit
    /// (they are still read to their end, never held).
    fn read_body(&mut self) -> Result<Option<Vec<u8>>, MailboxError> {
        let mut bytes = Vec::new();
        let mut too_large = false;
        let mut line = Vec::new();
        while self.next_line(&mut line)? {
            if line.starts_with(b"From ") {
                break;
            }
            let unescaped = unescape(&line);
            too_large |= bytes.len() + unescaped.len() > MAX_MESSAGE_BYTES;
            if too_large {
                bytes = Vec::new();
            } else {
                bytes.extend_from_slice(unescaped);
            }
        }
        Ok((!too_large).then_some(bytes))
    }

    /// Reads the next line into `line` (cleared first), at most the message limit long (a
    /// longer line is cut into pieces): `false` at the end. A read error ends the mbox.
    fn next_line(&mut self, line: &mut Vec<u8>) -> Result<bool, MailboxError> {
        line.clear();
        let read = (&mut self.reader)
            .take(MAX_MESSAGE_BYTES as u64 + 1)
            .read_until(b'\n', line);
        match read {
            Ok(0) => {
                self.done = true;
                Ok(false)
            }
            Ok(_) => Ok(true),
            Err(source) => {
                self.done = true;
                Err(MailboxError::Read {
                    path: PathBuf::from(&self.label),
                    source,
                })
            }
        }
    }
}

/// `>From `, `>>From ` … lose one `>` (mboxrd); other lines are kept as they are.
fn unescape(line: &[u8]) -> &[u8] {
    let quotes = line.iter().take_while(|&&b| b == b'>').count();
    if quotes > 0 && line[quotes..].starts_with(b"From ") {
        &line[1..]
    } else {
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels_and_bodies(paths: &[PathBuf]) -> Vec<(String, String)> {
        read(paths)
            .map(|r| r.unwrap())
            .map(|i| (i.label, String::from_utf8(i.bytes).unwrap()))
            .collect()
    }

    #[test]
    fn mbox_messages_are_split_on_from_lines_and_unescaped() {
        let dir = tempfile::tempdir().unwrap();
        let mbox = dir.path().join("box.mbox");
        let text = "From a@b Thu Jan  1 00:00:00 2026\nSubject: one\n\n>From here\n>>From there\n\nFrom c@d Thu Jan  1 00:00:00 2026\nSubject: two\n\nbody\n";
        std::fs::write(&mbox, text).unwrap();
        let got = labels_and_bodies(std::slice::from_ref(&mbox));
        assert_eq!(got.len(), 2);
        assert!(got[0].0.ends_with("box.mbox#1"));
        assert_eq!(got[0].1, "Subject: one\n\nFrom here\n>From there\n\n");
        assert_eq!(got[1].1, "Subject: two\n\nbody\n");
        assert_eq!(std::fs::read_to_string(&mbox).unwrap(), text);
    }

    #[test]
    fn maildirs_and_eml_folders_are_read_without_changes() {
        let dir = tempfile::tempdir().unwrap();
        let maildir = dir.path().join("Maildir");
        for sub in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(maildir.join(sub)).unwrap();
        }
        std::fs::write(maildir.join("cur/1:2,S"), "Subject: seen\n\n").unwrap();
        std::fs::write(maildir.join("new/2"), "Subject: new\n\n").unwrap();
        std::fs::write(maildir.join("tmp/3"), "Subject: half-written\n\n").unwrap();
        let emls = dir.path().join("emls");
        std::fs::create_dir_all(&emls).unwrap();
        std::fs::write(emls.join("a.eml"), "Subject: a\n\n").unwrap();
        std::fs::write(emls.join("notes.txt"), "not mail").unwrap();
        let got = labels_and_bodies(&[maildir.clone(), emls]);
        let bodies: Vec<&str> = got.iter().map(|(_, b)| b.as_str()).collect();
        assert_eq!(
            bodies,
            ["Subject: seen\n\n", "Subject: new\n\n", "Subject: a\n\n"]
        );
        assert!(maildir.join("new/2").exists() && maildir.join("cur/1:2,S").exists());
    }

    #[test]
    fn oversized_messages_and_missing_files_are_reported_and_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.eml");
        std::fs::write(&big, vec![b'a'; MAX_MESSAGE_BYTES + 10]).unwrap();
        let small = dir.path().join("small.eml");
        std::fs::write(&small, "Subject: ok\n\n").unwrap();
        let got: Vec<_> = read(&[big, dir.path().join("missing.eml"), small]).collect();
        assert!(matches!(got[0], Err(MailboxError::TooLarge { .. })));
        assert!(matches!(got[1], Err(MailboxError::Read { .. })));
        assert!(got[2].is_ok());
    }
}
