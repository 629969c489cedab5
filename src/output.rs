//! Writing output files so that readers never see half a file.

use std::io::Write;
use std::path::Path;

/// Whether [`write_atomic`] changed the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// The file was created or its contents changed.
    Changed,
    /// The file already had exactly these bytes; it was left alone (mtime kept, so HTTP
    /// `Last-Modified` and watchers see no change).
    Unchanged,
}

/// Writes `bytes` to `path` via a temporary file in the same folder and a rename, so the file
/// is at every moment either the old version or the new one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<Written> {
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(Written::Unchanged);
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map(|()| Written::Changed)
}

/// Writes a private file (readable by its owner only) atomically, like [`write_atomic`]:
/// the ledger's lineage, a backup's notes. Private files never pass through a moment of wider
/// permissions.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // Unique per writer (threads of one process too), so two writers never share a file.
    let unique = crate::util::random::id("")?;
    let tmp = dir.join(format!(".{name}.{unique}.tmp"));
    let result = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Longest name [`address_file_name`] returns, in bytes: callers add a prefix, an extension
/// and a temporary suffix, and must stay well under the usual 255-byte limit on file names.
pub const MAX_ADDRESS_FILE_NAME: usize = 120;

/// An e-mail address as a file name: letters, digits and `@.-_+` kept, anything else `_`.
///
/// When that changes the address (other characters were replaced) or the result is longer
/// than [`MAX_ADDRESS_FILE_NAME`], the name is cut short and ends with `~` and a hash of the
/// full address, so distinct addresses always get distinct names of at most
/// [`MAX_ADDRESS_FILE_NAME`] ASCII bytes.
pub fn address_file_name(address: &str) -> String {
    use sha2::{Digest, Sha256};
    let safe: String = address
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '@' | '.' | '-' | '_' | '+') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if safe == address && safe.len() <= MAX_ADDRESS_FILE_NAME && !safe.starts_with('.') {
        return safe;
    }
    let hash = Sha256::digest(address.as_bytes());
    let hex: String = hash[..8].iter().map(|b| format!("{b:02x}")).collect();
    // `safe` is ASCII, so any byte index is a character boundary.
    let keep = MAX_ADDRESS_FILE_NAME - hex.len() - 1;
    let head = &safe[..safe.len().min(keep)];
    format!("{}~{hex}", head.trim_start_matches('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_file_names_are_short_and_unique() {
        assert_eq!(address_file_name("ada@example.com"), "ada@example.com");
        assert_eq!(address_file_name("a+b@example.com"), "a+b@example.com");
        let long = format!("{}@{}.example.com", "a".repeat(64), "b".repeat(160));
        assert_eq!(long.len(), 237);
        let name = address_file_name(&long);
        assert!(name.len() <= MAX_ADDRESS_FILE_NAME, "{}", name.len());
        assert!(name.starts_with("aaaa"), "{name}");
        // Names are usable: a 255-byte limit leaves room for prefix, extension and temp suffix.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(format!("00001-{name}.eml"));
        write_atomic(&path, b"x").unwrap();
        // Addresses that differ only after the cut, or only in replaced characters, differ.
        let other = format!("{}@{}.example.org", "a".repeat(64), "b".repeat(160));
        assert_ne!(address_file_name(&other), name);
        assert_ne!(
            address_file_name("josé@x.org"),
            address_file_name("josè@x.org")
        );
        assert_ne!(
            address_file_name("a_b@x.org"),
            address_file_name("a/b@x.org")
        );
        assert!(!address_file_name("../../etc@x").contains('/'));
        assert!(!address_file_name("..").starts_with('.'));
        for address in ["é".repeat(300), "\u{0}".to_owned(), String::new()] {
            let name = address_file_name(&address);
            assert!(
                name.len() <= MAX_ADDRESS_FILE_NAME && name.is_ascii(),
                "{name}"
            );
        }
    }

    #[test]
    fn writes_creates_folders_and_skips_identical_content() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/feed.xml");
        assert_eq!(write_atomic(&path, b"one").unwrap(), Written::Changed);
        assert_eq!(write_atomic(&path, b"one").unwrap(), Written::Unchanged);
        assert_eq!(write_atomic(&path, b"two").unwrap(), Written::Changed);
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary files are left behind");
    }
}
