//! Random bytes and ids from the operating system (`/dev/urandom`), for keys and for ids
//! that must not collide across processes and hosts (a ledger's lineage, a send lease's
//! owner).

use std::io::Read;

/// `n` random bytes.
pub fn bytes(n: usize) -> std::io::Result<Vec<u8>> {
    let mut out = vec![0u8; n];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut out)?;
    Ok(out)
}

/// A random id of 16 bytes as 32 lower-case hex digits, with a readable `prefix`.
pub fn id(prefix: &str) -> std::io::Result<String> {
    let hex: String = bytes(16)?.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("{prefix}{hex}"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_differ_and_have_their_shape() {
        let (a, b) = (super::id("l-").unwrap(), super::id("l-").unwrap());
        assert_ne!(a, b);
        assert_eq!(a.len(), 34);
        assert!(a.starts_with("l-"));
    }
}
