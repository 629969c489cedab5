//! Telling a damaged ledger from a good one, before anything trusts it.
//!
//! SQLite is forgiving in ways a mailing list cannot afford: a zero-byte file is "an empty
//! database" (and a new schema is written into it), a write-ahead log with a bad header is
//! silently ignored (with the transactions in it), and a truncated file is only noticed by the
//! query that reaches the missing page. Any of these, trusted, forgets who unsubscribed. So
//! every open looks at the files first ([`inspect`], cheap: a few hundred bytes read), and
//! every send, start-up and backup also asks SQLite to check the pages and reads every stored
//! status word ([`verify`]).

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use rusqlite::Connection;

/// What is wrong with a ledger, in words an organiser can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Damage {
    /// The file is not a regular file (a folder, a device, a pipe).
    NotAFile,
    /// The file is empty: it was emptied (a full disk, a failed copy or restore).
    Empty,
    /// The file does not start like an SQLite database.
    NotSqlite,
    /// The file is shorter than its own header says.
    Truncated {
        /// Bytes present.
        bytes: u64,
        /// Bytes the header promises.
        expected: u64,
    },
    /// The write-ahead log (`-wal`) is not one: SQLite would ignore it, and lose the
    /// transactions written into it.
    BadWal {
        /// What is wrong.
        why: &'static str,
    },
    /// SQLite refuses the file or finds broken pages.
    Corrupt {
        /// SQLite's words.
        detail: String,
    },
    /// A row holds a value this crier does not know (a status word, say): it would be
    /// misread.
    UnknownValue {
        /// Table and column.
        column: &'static str,
        /// The value.
        value: String,
    },
    /// The ledger is not the one this site has been using (its lineage id differs from the
    /// one recorded beside it).
    Replaced {
        /// The id recorded beside the ledger.
        expected: String,
        /// The id in the file (empty when it has none).
        found: String,
    },
    /// The file cannot be read at all.
    Unreadable {
        /// The I/O error.
        detail: String,
    },
}

impl fmt::Display for Damage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Damage::NotAFile => write!(f, "it is not a regular file"),
            Damage::Empty => write!(f, "the file is empty (0 bytes)"),
            Damage::NotSqlite => write!(f, "the file is not an SQLite database"),
            Damage::Truncated { bytes, expected } => write!(
                f,
                "the file is cut short: {bytes} bytes where its header promises {expected}"
            ),
            Damage::BadWal { why } => write!(f, "its write-ahead log (-wal file) is damaged: {why}"),
            Damage::Corrupt { detail } => write!(f, "SQLite finds it damaged: {detail}"),
            Damage::UnknownValue { column, value } => {
                write!(f, "{column} holds `{value}`, which this crier does not know")
            }
            Damage::Replaced { expected, found } if found.is_empty() => write!(
                f,
                "it is not the ledger this site has been using (that one is {expected}; this one has no id)"
            ),
            Damage::Replaced { expected, found } => write!(
                f,
                "it is not the ledger this site has been using (that one is {expected}; this one is {found})"
            ),
            Damage::Unreadable { detail } => write!(f, "it cannot be read: {detail}"),
        }
    }
}

/// The SQLite file header's first 16 bytes.
const MAGIC: &[u8; 16] = b"SQLite format 3\0";
/// WAL header magic numbers (big- and little-endian checksums).
const WAL_MAGIC: [u32; 2] = [0x377f_0682, 0x377f_0683];
/// The only WAL format version there is.
const WAL_VERSION: u32 = 3_007_000;

/// Looks at the ledger file (which exists) and its write-ahead log without opening them
/// with SQLite. Cheap enough for every open.
pub fn inspect(path: &Path) -> Result<(), Damage> {
    let meta = std::fs::metadata(path).map_err(|e| Damage::Unreadable {
        detail: e.to_string(),
    })?;
    if !meta.is_file() {
        return Err(Damage::NotAFile);
    }
    if meta.len() == 0 {
        return Err(Damage::Empty);
    }
    let mut header = [0u8; 100];
    let read = read_prefix(path, &mut header)?;
    if read < header.len() || &header[..16] != MAGIC {
        return Err(Damage::NotSqlite);
    }
    let wal = wal_path(path);
    let wal_len = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    if wal_len > 0 {
        check_wal(&wal, wal_len)?;
    } else {
        // Without a log to finish an interrupted checkpoint, the file must hold every page
        // its header counts.
        check_length(&header, meta.len())?;
    }
    Ok(())
}

fn read_prefix(path: &Path, buf: &mut [u8]) -> Result<usize, Damage> {
    let unreadable = |e: std::io::Error| Damage::Unreadable {
        detail: e.to_string(),
    };
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let mut read = 0;
    let mut take = file.take(buf.len() as u64);
    loop {
        match take.read(&mut buf[read..]).map_err(unreadable)? {
            0 => break,
            n => read += n,
        }
    }
    Ok(read)
}

fn be_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

fn check_length(header: &[u8; 100], len: u64) -> Result<(), Damage> {
    let page_size = match u16::from_be_bytes([header[16], header[17]]) {
        1 => 65_536,
        n => u64::from(n),
    };
    if !(512..=65_536).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(Damage::NotSqlite);
    }
    // The page count in the header is valid only when the change counter matches the
    // "version valid for" field (SQLite 3.7.0 and later always keep them equal).
    let pages = u64::from(be_u32(header, 28));
    let valid = be_u32(header, 24) == be_u32(header, 92);
    let expected = pages * page_size;
    if valid && pages > 0 && len < expected {
        return Err(Damage::Truncated {
            bytes: len,
            expected,
        });
    }
    if !len.is_multiple_of(page_size) {
        return Err(Damage::Truncated {
            bytes: len,
            expected: len.div_ceil(page_size) * page_size,
        });
    }
    Ok(())
}

/// The WAL header: its magic, version and own checksum (SQLite ignores a log whose header
/// fails these, and with it every transaction not yet copied into the main file).
fn check_wal(wal: &Path, len: u64) -> Result<(), Damage> {
    if len < 32 {
        return Err(Damage::BadWal {
            why: "shorter than its header",
        });
    }
    let mut header = [0u8; 32];
    read_prefix(wal, &mut header)?;
    let magic = be_u32(&header, 0);
    if !WAL_MAGIC.contains(&magic) {
        return Err(Damage::BadWal {
            why: "its header is not a write-ahead log's",
        });
    }
    if be_u32(&header, 4) != WAL_VERSION {
        return Err(Damage::BadWal {
            why: "unknown format version",
        });
    }
    let big_endian = magic & 1 == 1;
    let (s0, s1) = wal_checksum(&header[..24], big_endian);
    if (s0, s1) != (be_u32(&header, 24), be_u32(&header, 28)) {
        return Err(Damage::BadWal {
            why: "its header checksum is wrong",
        });
    }
    Ok(())
}

/// SQLite's WAL checksum over `data` (a multiple of 8 bytes), from zero.
fn wal_checksum(data: &[u8], big_endian: bool) -> (u32, u32) {
    let (mut s0, mut s1) = (0u32, 0u32);
    for pair in data.chunks_exact(8) {
        let word = |i: usize| {
            let b = [pair[i], pair[i + 1], pair[i + 2], pair[i + 3]];
            if big_endian {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            }
        };
        s0 = s0.wrapping_add(word(0)).wrapping_add(s1);
        s1 = s1.wrapping_add(word(4)).wrapping_add(s0);
    }
    (s0, s1)
}

/// The write-ahead log beside `db`.
pub fn wal_path(db: &Path) -> PathBuf {
    sibling(db, "-wal")
}

/// The shared-memory index beside `db`.
pub fn shm_path(db: &Path) -> PathBuf {
    sibling(db, "-shm")
}

fn sibling(db: &Path, suffix: &str) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Asks SQLite to check every page and reads every stored status word (a value this crier
/// cannot read would be misread: a suppression nobody recognises is a suppression forgotten).
/// Run before a send trusts the ledger, at the daemon's start and on every backup;
/// proportional to the ledger's size (milliseconds for a community's).
pub fn verify(conn: &Connection) -> Result<(), Damage> {
    use super::types::{SendKind, SendStatus, Status, SuppressionReason};
    let corrupt = |e: rusqlite::Error| Damage::Corrupt {
        detail: e.to_string(),
    };
    check_pages(conn)?;
    // Older schemas stored other words (migrations rewrite them); their pages are checked.
    if super::schema::version(conn).map_err(corrupt)? != super::schema::VERSION {
        return Ok(());
    }
    check_words(conn, "digests.kind", |w| SendKind::parse(w).is_some())?;
    check_words(conn, "digests.status", |w| SendStatus::parse(w).is_some())?;
    check_words(conn, "deliveries.status", |w| Status::parse(w).is_some())?;
    check_words(conn, "suppressions.reason", |w| {
        SuppressionReason::parse(w).is_some()
    })?;
    check_words(conn, "memberships.status", |w| {
        crate::subscribers::store::MemberStatus::parse(w).is_some()
    })?;
    Ok(())
}

/// Asks SQLite to check every page.
pub fn check_pages(conn: &Connection) -> Result<(), Damage> {
    let verdict: String = conn
        .query_row("PRAGMA quick_check(1)", [], |r| r.get(0))
        .map_err(|e| Damage::Corrupt {
            detail: e.to_string(),
        })?;
    if verdict != "ok" {
        return Err(Damage::Corrupt { detail: verdict });
    }
    Ok(())
}

/// Checks the distinct values of `column` (`table.field`, a constant) with `known`.
fn check_words(
    conn: &Connection,
    column: &'static str,
    known: impl Fn(&str) -> bool,
) -> Result<(), Damage> {
    let (table, field) = column.split_once('.').unwrap_or((column, column));
    let corrupt = |e: rusqlite::Error| Damage::Corrupt {
        detail: e.to_string(),
    };
    let mut stmt = conn
        .prepare(&format!(
            "SELECT DISTINCT CAST({field} AS TEXT) FROM {table}"
        ))
        .map_err(corrupt)?;
    let words = stmt
        .query_map([], |r| r.get::<_, Option<String>>(0))
        .map_err(corrupt)?;
    for word in words {
        let word = word.map_err(corrupt)?.unwrap_or_default();
        if !known(&word) {
            return Err(Damage::UnknownValue {
                column,
                value: word.chars().take(40).collect(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ledger(dir: &Path) -> PathBuf {
        let path = dir.join("crier.db");
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "journal_mode", "WAL").unwrap();
        conn.execute_batch("CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('a');")
            .unwrap();
        drop(conn);
        path
    }

    #[test]
    fn a_good_ledger_passes_and_damage_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = ledger(dir.path());
        assert_eq!(inspect(&path), Ok(()));
        let bytes = std::fs::read(&path).unwrap();

        std::fs::write(&path, b"").unwrap();
        assert_eq!(inspect(&path), Err(Damage::Empty));
        std::fs::write(&path, &bytes[..bytes.len() / 2 + 7]).unwrap();
        assert!(matches!(inspect(&path), Err(Damage::Truncated { .. })));
        std::fs::write(&path, vec![b'x'; bytes.len()]).unwrap();
        assert_eq!(inspect(&path), Err(Damage::NotSqlite));
        std::fs::write(&path, &bytes).unwrap();
        std::fs::write(wal_path(&path), vec![0xA5; 4096]).unwrap();
        assert!(matches!(inspect(&path), Err(Damage::BadWal { .. })));
    }

    #[test]
    fn a_live_write_ahead_log_passes() {
        let dir = tempfile::tempdir().unwrap();
        let path = ledger(dir.path());
        let conn = Connection::open(&path).unwrap();
        conn.execute("INSERT INTO t VALUES ('b')", []).unwrap();
        // Open: the log holds the insert and has not been checkpointed away.
        assert!(std::fs::metadata(wal_path(&path)).unwrap().len() > 32);
        assert_eq!(inspect(&path), Ok(()));
        let mut wal = std::fs::read(wal_path(&path)).unwrap();
        wal[20] ^= 0xFF;
        std::fs::write(wal_path(&path), wal).unwrap();
        assert_eq!(
            inspect(&path),
            Err(Damage::BadWal {
                why: "its header checksum is wrong"
            })
        );
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_files_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..4096)) {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("crier.db");
            let mut with_magic = MAGIC.to_vec();
            with_magic.extend_from_slice(&bytes);
            std::fs::write(&path, &with_magic).unwrap();
            let _ = inspect(&path);
            std::fs::write(wal_path(&path), &bytes).unwrap();
            let _ = inspect(&path);
        }
    }
}
