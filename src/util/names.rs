//! Names made from text that become file or folder names (a tag's feed folder, a send's id in
//! the outbox): bounded in bytes, because file systems refuse names over 255 bytes and a
//! 300-byte tag once failed every build with "File name too long".

use std::borrow::Cow;

use sha2::{Digest, Sha256};

/// Longest name [`bounded`] returns, in bytes. Well under the usual limit of 255 bytes per
/// name, so callers can add a prefix, a suffix, an extension, and the `.{name}.{pid}.tmp` of
/// an atomic write.
pub const MAX_NAME_BYTES: usize = 100;

/// `name` itself when it has at most [`MAX_NAME_BYTES`] bytes. A longer name is cut at a
/// character boundary (a trailing `-` dropped) and ends with `-` and 8 hex digits of the
/// SHA-256 of the whole name: at most [`MAX_NAME_BYTES`] bytes, the same for the same name
/// every time (links stay stable), and different for names that differ only after the cut.
pub fn bounded(name: &str) -> Cow<'_, str> {
    bounded_to(name, MAX_NAME_BYTES)
}

/// [`bounded`] to `max` bytes, for a name that is only part of a longer one. `max` must leave
/// room for the suffix (at least 10 bytes).
pub fn bounded_to(name: &str, max: usize) -> Cow<'_, str> {
    if name.len() <= max {
        return Cow::Borrowed(name);
    }
    let digest = Sha256::digest(name.as_bytes());
    let hex: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
    let mut cut = max.saturating_sub(hex.len() + 1);
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    Cow::Owned(format!("{}-{hex}", name[..cut].trim_end_matches('-')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_are_kept_and_long_ones_cut_with_a_stable_hash() {
        assert_eq!(bounded("meetup"), "meetup");
        let exact = "a".repeat(MAX_NAME_BYTES);
        assert_eq!(bounded(&exact), exact.as_str());
        let long = "verylongtag".repeat(28);
        let name = bounded(&long);
        assert_eq!(name.len(), MAX_NAME_BYTES);
        assert!(name.starts_with("verylongtag"), "{name}");
        assert_eq!(name, bounded(&long), "deterministic");
        let other = format!("{long}x");
        assert_ne!(bounded(&other), name, "differs after the cut");
    }

    #[test]
    fn multi_byte_characters_are_never_split() {
        for text in [
            "é".repeat(200),
            "a-".repeat(100),
            "日本".repeat(60),
            "🦀".repeat(40),
        ] {
            let name = bounded(&text);
            assert!(name.len() <= MAX_NAME_BYTES, "{}", name.len());
            assert!(!name.contains("--"), "{name}");
        }
    }

    proptest::proptest! {
        #[test]
        fn every_name_fits(text in "\\PC{0,300}") {
            let name = bounded(&text);
            proptest::prop_assert!(name.len() <= MAX_NAME_BYTES);
            proptest::prop_assert!(text.len() > MAX_NAME_BYTES || name == text.as_str());
        }
    }
}
