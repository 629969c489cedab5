//! The member-request journal: every unsubscribe and every choice saved on a preferences
//! page is appended here (and synced to disk) *before* crier answers the member, and only then
//! written to the ledger.
//!
//! So a request is never lost: when another process holds the ledger's write lock (a long
//! import), when the ledger is damaged, or when a backup older than the request is restored,
//! the journal still has it, and it is applied as soon as the ledger can take it, and always
//! before a send plans its audience. How far a journal has been applied is recorded in the
//! ledger itself (`journal_applied`), in the same transaction as the change: restoring an
//! older ledger makes the newer requests pending again.
//!
//! The file is JSON lines: a header naming the journal, then one entry per line with a
//! sequence number. A line cut short by a crash is skipped (it was never answered as saved).

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::subscribers::MemberRequest;

/// The journal file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Journal {
    path: PathBuf,
}

/// The first line.
#[derive(Debug, Serialize, Deserialize)]
struct Header {
    journal: String,
    created: DateTime<Utc>,
}

/// One request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Its place in the journal, from 1.
    pub seq: u64,
    /// When the member asked.
    pub at: DateTime<Utc>,
    /// Who asked (as their signed link named them).
    pub address: String,
    /// What they asked for.
    #[serde(flatten)]
    pub request: MemberRequest,
}

/// What the journal holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contents {
    /// The journal's id (its `journal_applied` key in the ledger).
    pub id: String,
    /// The entries, in order.
    pub entries: Vec<Entry>,
    /// Lines that could not be read (1-based), other than a last line cut short.
    pub unreadable: Vec<usize>,
}

/// The journal cannot be read or written.
#[derive(Debug, thiserror::Error)]
#[error("member-request journal {}: {action}: {source}", path.display())]
pub struct JournalError {
    /// The file.
    pub path: PathBuf,
    /// What crier was doing.
    pub action: &'static str,
    /// The error.
    #[source]
    pub source: std::io::Error,
}

/// Largest journal read (about 200,000 requests): the file only grows by members' own
/// requests and is pruned after backups, so a larger one is not crier's.
const MAX_BYTES: u64 = 32 * 1024 * 1024;

impl Journal {
    /// The journal at `path` (created on the first append).
    pub fn new(path: &Path) -> Journal {
        Journal {
            path: path.to_path_buf(),
        }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn fail(&self, action: &'static str) -> impl FnOnce(std::io::Error) -> JournalError + '_ {
        move |source| JournalError {
            path: self.path.clone(),
            action,
            source,
        }
    }

    /// Appends a request and syncs it to disk; returns the entry, or the earlier identical
    /// request of the same person when nothing came between (asking twice is one request).
    pub fn append(
        &self,
        at: DateTime<Utc>,
        address: &str,
        request: MemberRequest,
    ) -> Result<Entry, JournalError> {
        let mut file = self.lock_current(true)?;
        let contents = read_from(&mut file, &self.path).map_err(self.fail("read"))?;
        let contents = match contents {
            Some(c) => c,
            None => self.start(&mut file, at)?,
        };
        if let Some(last) = contents.entries.iter().rev().find(|e| e.address == address) {
            if last.request == request {
                return Ok(last.clone());
            }
        }
        let entry = Entry {
            seq: contents.entries.last().map_or(1, |e| e.seq + 1),
            at,
            address: address.to_owned(),
            request,
        };
        let mut line = serde_json::to_string(&entry).map_err(|e| JournalError {
            path: self.path.clone(),
            action: "encode a request",
            source: e.into(),
        })?;
        line.push('\n');
        file.seek(SeekFrom::End(0)).map_err(self.fail("append"))?;
        // A line cut short by a crash is ended first, so it stays one unreadable line.
        if !ends_with_newline(&mut file).map_err(self.fail("append"))? {
            line.insert(0, '\n');
        }
        file.write_all(line.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(self.fail("append"))?;
        Ok(entry)
    }

    /// Writes the header of a new journal into the (empty) locked file.
    fn start(&self, file: &mut File, at: DateTime<Utc>) -> Result<Contents, JournalError> {
        let id = crate::util::random::id("journal-").map_err(self.fail("make an id"))?;
        let header = Header {
            journal: id.clone(),
            created: at,
        };
        let line = format!("{}\n", serde_json::to_string(&header).unwrap_or_default());
        file.set_len(0).map_err(self.fail("start"))?;
        file.write_all(line.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(self.fail("start"))?;
        if let Some(dir) = self.path.parent() {
            // The new file's name must survive a crash too.
            let _ = File::open(dir).and_then(|d| d.sync_all());
        }
        Ok(Contents {
            id,
            ..Contents::default()
        })
    }

    /// Reads the journal; `None` when there is none.
    pub fn read(&self) -> Result<Option<Contents>, JournalError> {
        let mut file = match File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.fail("open")(e)),
        };
        file.lock_shared().map_err(self.fail("lock"))?;
        read_from(&mut file, &self.path).map_err(self.fail("read"))
    }

    /// Keeps only the entries `keep` accepts (the file is rewritten and renamed into place).
    /// Returns how many were removed.
    pub fn retain(&self, keep: impl Fn(&Entry) -> bool) -> Result<usize, JournalError> {
        let mut file = match self.lock_current(false) {
            Ok(f) => f,
            Err(e) if e.source.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(e),
        };
        let Some(contents) = read_from(&mut file, &self.path).map_err(self.fail("read"))? else {
            return Ok(0);
        };
        let before = contents.entries.len();
        let kept: Vec<&Entry> = contents.entries.iter().filter(|e| keep(e)).collect();
        if kept.len() == before {
            return Ok(0);
        }
        let mut text = serde_json::to_string(&Header {
            journal: contents.id.clone(),
            created: contents.entries.first().map_or_else(Utc::now, |e| e.at),
        })
        .unwrap_or_default();
        text.push('\n');
        for entry in &kept {
            text.push_str(&serde_json::to_string(entry).unwrap_or_default());
            text.push('\n');
        }
        // Renamed over the old file while its lock is held: an appender waiting on the old
        // file notices the swap (see `lock_current`) and appends to the new one.
        crate::output::write_private(&self.path, text.as_bytes()).map_err(self.fail("rewrite"))?;
        drop(file);
        Ok(before - kept.len())
    }

    /// Opens and exclusively locks the file now at the path (creating it with `create`),
    /// again if it was replaced while waiting for the lock.
    fn lock_current(&self, create: bool) -> Result<File, JournalError> {
        loop {
            if create {
                if let Some(dir) = self.path.parent() {
                    std::fs::create_dir_all(dir).map_err(self.fail("create its folder"))?;
                }
            }
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(create)
                .truncate(false)
                .mode(0o600)
                .open(&self.path)
                .map_err(self.fail("open"))?;
            file.lock().map_err(self.fail("lock"))?;
            let held = file.metadata().map_err(self.fail("check"))?;
            match std::fs::metadata(&self.path) {
                Ok(now) if now.ino() == held.ino() && now.dev() == held.dev() => return Ok(file),
                _ => continue,
            }
        }
    }
}

fn ends_with_newline(file: &mut File) -> std::io::Result<bool> {
    use std::io::Read;
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(true);
    }
    file.seek(SeekFrom::Start(len - 1))?;
    let mut last = [0u8; 1];
    file.read_exact(&mut last)?;
    file.seek(SeekFrom::End(0))?;
    Ok(last[0] == b'\n')
}

/// Reads a journal from the start of `file`; `None` for an empty file.
fn read_from(file: &mut File, path: &Path) -> std::io::Result<Option<Contents>> {
    use std::io::Read;
    file.seek(SeekFrom::Start(0))?;
    let len = file.metadata()?.len();
    if len > MAX_BYTES {
        return Err(std::io::Error::other(format!(
            "{len} bytes, more than a journal of member requests can hold ({MAX_BYTES}); move it aside and look at it"
        )));
    }
    let reader = BufReader::new(file.take(MAX_BYTES));
    let lines: Vec<String> = reader.lines().collect::<std::io::Result<_>>()?;
    let Some(first) = lines.first() else {
        return Ok(None);
    };
    let header: Header = serde_json::from_str(first).map_err(|e| {
        std::io::Error::other(format!(
            "{}: line 1 is not a journal header: {e}",
            path.display()
        ))
    })?;
    let mut contents = Contents {
        id: header.journal,
        ..Contents::default()
    };
    let last = lines.len() - 1;
    for (i, line) in lines.iter().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Entry>(line) {
            Ok(entry) => contents.entries.push(entry),
            // The last line, cut short by a crash, was never answered as saved.
            Err(_) if i == last => {}
            Err(_) => contents.unreadable.push(i + 1),
        }
    }
    Ok(Some(contents))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::subscribers::Choice;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn requests_are_numbered_kept_in_order_and_asking_twice_is_one_request() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::new(&dir.path().join("state/j.jsonl"));
        assert_eq!(journal.read().unwrap(), None);
        let leave = MemberRequest::Unsubscribe {
            list: "members".into(),
        };
        let a = journal
            .append(at("2026-12-01T10:00:00Z"), "a@example.com", leave.clone())
            .unwrap();
        let again = journal
            .append(at("2026-12-01T10:01:00Z"), "a@example.com", leave.clone())
            .unwrap();
        assert_eq!(a, again);
        let choose = MemberRequest::Choose(Choice {
            lists: vec!["members".into()],
            reminders: true,
            leave: false,
        });
        let b = journal
            .append(at("2026-12-01T10:02:00Z"), "b@example.com", choose)
            .unwrap();
        assert_eq!((a.seq, b.seq), (1, 2));
        let contents = journal.read().unwrap().unwrap();
        assert!(contents.id.starts_with("journal-"));
        assert_eq!(contents.entries, vec![a, b.clone()]);
        let mode = std::fs::metadata(journal.path()).unwrap().mode() & 0o777;
        assert_eq!(mode, 0o600);

        assert_eq!(journal.retain(|e| e.address != "a@example.com").unwrap(), 1);
        let after = journal.read().unwrap().unwrap();
        assert_eq!(after.id, contents.id, "the journal keeps its id");
        assert_eq!(after.entries, vec![b]);
    }

    #[test]
    fn a_line_cut_short_by_a_crash_is_skipped_and_the_next_request_follows_it() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::new(&dir.path().join("j.jsonl"));
        let leave = |l: &str| MemberRequest::Unsubscribe { list: l.into() };
        journal
            .append(at("2026-12-01T10:00:00Z"), "a@example.com", leave("x"))
            .unwrap();
        let mut f = OpenOptions::new()
            .append(true)
            .open(journal.path())
            .unwrap();
        f.write_all(b"{\"seq\":2,\"at\":\"2026-12-0").unwrap();
        assert_eq!(journal.read().unwrap().unwrap().entries.len(), 1);
        let next = journal
            .append(at("2026-12-01T10:05:00Z"), "b@example.com", leave("y"))
            .unwrap();
        assert_eq!(next.seq, 2);
        let contents = journal.read().unwrap().unwrap();
        assert_eq!(contents.entries.len(), 2);
        assert_eq!(contents.unreadable, vec![3], "the cut line stays, unread");
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_journal_files_never_panic(text in "(?s).{0,600}") {
            let dir = tempfile::tempdir().unwrap();
            let journal = Journal::new(&dir.path().join("j.jsonl"));
            std::fs::write(journal.path(), format!("{{\"journal\":\"j\",\"created\":\"2026-12-01T00:00:00Z\"}}\n{text}")).unwrap();
            let _ = journal.read();
            let _ = journal.append(at("2026-12-01T10:00:00Z"), "a@example.com", MemberRequest::Unsubscribe { list: "m".into() });
        }
    }
}
