//! Copies of messages crier keeps on disk: the outbox folder (every message when no SMTP
//! server is set, confirmations in `confirm/`, the organisers' previews and test copies) and
//! the preview folder (the dry run's `.eml` files, and the first recipient's HTML and text).
//! An erasure request has to reach them too: after `subscribers remove --erase` the ledger
//! held nothing of the person, yet up to six messages to them stayed in these folders.
//!
//! A file is the person's when it is a message to them (its `To:`, `Cc:` or `Bcc:` names the
//! address, compared as [`crate::subscribers::Address`] compares) or when it mentions the
//! address anywhere (a rendering made for them, a message about them). File names are not
//! trusted for this: long or unusual addresses are hashed in them.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::subscribers::address::key_of;

/// Largest file read whole to look for an address. crier's messages are far smaller (Gmail
/// clips a digest past about 100 KB of HTML); a larger file is reported, never passed over.
const MAX_SCANNED_BYTES: u64 = 32 * 1024 * 1024;

/// The part of a file read for its header block.
const MAX_HEADER_BYTES: usize = 64 * 1024;

/// What [`remove_copies`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RemovedCopies {
    /// Files removed.
    pub removed: Vec<PathBuf>,
    /// Files that are (or may be) the person's but were not removed, with why.
    pub left: Vec<(PathBuf, String)>,
}

/// Removes every regular file under `dirs` (recursively; missing folders are skipped) that is
/// a message to the address whose key is `key`, or that mentions it. Symbolic links are not
/// followed and FIFOs or devices are never opened. A file that cannot be read, checked or
/// removed is listed in [`RemovedCopies::left`], so nothing stays behind unannounced.
pub fn remove_copies(dirs: &[&Path], key: &str) -> RemovedCopies {
    let mut done = RemovedCopies::default();
    let mut stack: Vec<PathBuf> = dirs.iter().map(|d| d.to_path_buf()).collect();
    while let Some(dir) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                done.left
                    .push((dir, format!("cannot list the folder: {e}")));
                continue;
            }
        };
        for entry in entries {
            let path = match entry {
                Ok(entry) => entry.path(),
                Err(e) => {
                    done.left
                        .push((dir.clone(), format!("cannot list the folder: {e}")));
                    continue;
                }
            };
            match std::fs::symlink_metadata(&path) {
                Ok(meta) if meta.is_dir() => stack.push(path),
                Ok(meta) if meta.is_file() => check_file(path, key, &mut done),
                Ok(_) => {}
                Err(e) => done.left.push((path, format!("cannot read: {e}"))),
            }
        }
    }
    done.removed.sort();
    done.left.sort();
    done
}

/// Removes `path` if it is the person's; records what happened in `done`.
fn check_file(path: PathBuf, key: &str, done: &mut RemovedCopies) {
    let mut bytes = Vec::new();
    let read = std::fs::File::open(&path)
        .and_then(|f| f.take(MAX_SCANNED_BYTES + 1).read_to_end(&mut bytes));
    if let Err(e) = read {
        done.left.push((path, format!("cannot read: {e}")));
        return;
    }
    let whole = bytes.len() as u64 <= MAX_SCANNED_BYTES;
    let theirs = addressed_to(&bytes, key) || (whole && mentions(&bytes, key));
    if !theirs {
        if !whole {
            let why =
                format!("larger than {MAX_SCANNED_BYTES} bytes, so not searched: check it by hand");
            done.left.push((path, why));
        }
        return;
    }
    match std::fs::remove_file(&path) {
        Ok(()) => done.removed.push(path),
        Err(e) => done.left.push((path, format!("cannot remove: {e}"))),
    }
}

/// Whether `bytes` starts with a header block whose `To:`, `Cc:` or `Bcc:` holds the address.
fn addressed_to(bytes: &[u8], key: &str) -> bool {
    let head = &bytes[..bytes.len().min(MAX_HEADER_BYTES)];
    let end = find(head, b"\r\n\r\n")
        .map(|i| i + 4)
        .or_else(|| find(head, b"\n\n").map(|i| i + 2));
    let Some(end) = end else {
        return false;
    };
    let Some(message) = mail_parser::MessageParser::default().parse_headers(&head[..end]) else {
        return false;
    };
    let found = [message.to(), message.cc(), message.bcc()]
        .into_iter()
        .flatten()
        .flat_map(|list| list.iter())
        .filter_map(|addr| addr.address())
        .any(|addr| key_of(addr) == key);
    found
}

/// Whether the text of `bytes` holds the address as a whole address (`a@example.org` is not
/// found in `ba@example.org` or `a@example.org.uk`), without regard to case.
fn mentions(bytes: &[u8], key: &str) -> bool {
    if key.is_empty() {
        return false;
    }
    let text = String::from_utf8_lossy(bytes).to_lowercase();
    let local_char = |c: char| c.is_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c);
    let domain_char = |c: char| c.is_alphanumeric() || c == '-';
    text.match_indices(key).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let mut after = text[at + key.len()..].chars();
        let next = after.next();
        let starts_clean = before.is_none_or(|c| !local_char(c));
        let ends_clean = match next {
            None => true,
            // A sentence's full stop ends the address; a dot and more letters continue it.
            Some('.') => after.next().is_none_or(|c| !domain_char(c)),
            Some(c) => !domain_char(c),
        };
        starts_clean && ends_clean
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whole_address_is_found_in_any_case_and_a_longer_one_is_not() {
        let key = "a@example.org";
        assert!(mentions(b"sent to A@Example.ORG.", key));
        assert!(mentions(b"<a@example.org>", key));
        assert!(mentions(b"a@example.org", key));
        assert!(!mentions(b"ba@example.org", key));
        assert!(!mentions(b"x.a@example.org", key));
        assert!(!mentions(b"a@example.org.uk", key));
        assert!(!mentions(b"a@example.organic", key));
        assert!(!mentions(b"nothing here", key));
    }

    #[test]
    fn the_recipient_is_read_from_the_headers() {
        let message = b"From: n@example.com\r\nTo: \"Forget Me\" <Forget@Example.org>\r\nSubject: x\r\n\r\nHello\r\n";
        assert!(addressed_to(message, "forget@example.org"));
        assert!(!addressed_to(message, "n@example.com"));
        assert!(!addressed_to(
            b"<html>forget@example.org</html>",
            "forget@example.org"
        ));
    }

    #[test]
    fn only_the_person_s_files_go_and_the_rest_stay() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = dir.path().join("outbox");
        let preview = dir.path().join("preview");
        let write = |rel: &str, text: &str| {
            let path = dir.path().join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, text).unwrap();
            path
        };
        let theirs = [
            write("outbox/d1/000001-x.eml", "To: <forget@example.org>\n\nHi\n"),
            write(
                "outbox/confirm/1-x.eml",
                "To: FORGET@example.org\n\nConfirm\n",
            ),
            write("preview/digest.txt", "forget@example.org is on the list\n"),
        ];
        let other = write("outbox/d1/000002-y.eml", "To: <other@example.org>\n\nHi\n");
        let done = remove_copies(
            &[&outbox, &preview, &dir.path().join("none")],
            "forget@example.org",
        );
        let mut expected = theirs.to_vec();
        expected.sort();
        assert_eq!(done.removed, expected);
        assert!(done.left.is_empty(), "{:?}", done.left);
        assert!(other.exists());
        assert!(theirs.iter().all(|p| !p.exists()));
    }
}
