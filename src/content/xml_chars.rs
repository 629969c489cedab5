//! Characters XML 1.0 forbids.
//!
//! XML 1.0 allows only tab, line feed, carriage return and the characters from U+0020 up
//! (except U+FFFE and U+FFFF). One form feed pasted into a post makes a whole RSS or Atom file
//! unreadable, so such characters are removed when a post is read, with a warning naming the
//! file and line (see [`scan`]), and again, silently, wherever text enters a feed.

use std::borrow::Cow;

/// Whether XML 1.0 forbids `c` in a document.
pub fn is_forbidden(c: char) -> bool {
    matches!(c, '\0'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}')
}

/// Whether `s` holds a character XML 1.0 forbids. Every post and every feed text passes
/// here, so it looks at bytes, not characters: in UTF-8 the forbidden characters are the
/// single-byte controls and the three-byte sequences `EF BF BE` and `EF BF BF`.
pub fn any_forbidden(s: &str) -> bool {
    let bytes = s.as_bytes();
    // Whole chunks without an early exit inside, so the compiler can test many bytes at once.
    let control = |b: u8| b < 0x20 && b != b'\t' && b != b'\n' && b != b'\r';
    if bytes
        .chunks(64)
        .any(|chunk| chunk.iter().fold(false, |found, &b| found | control(b)))
    {
        return true;
    }
    // U+FFFE and U+FFFF: EF BF BE / EF BF BF (slices of bytes search for one byte with memchr).
    bytes.contains(&0xef)
        && bytes
            .windows(3)
            .any(|w| w[0] == 0xef && w[1] == 0xbf && (w[2] == 0xbe || w[2] == 0xbf))
}

/// `s` without the characters XML 1.0 forbids (borrowed when there are none).
pub fn strip(s: &str) -> Cow<'_, str> {
    if any_forbidden(s) {
        Cow::Owned(s.chars().filter(|c| !is_forbidden(*c)).collect())
    } else {
        Cow::Borrowed(s)
    }
}

/// Every forbidden character in `text` with its 1-based line and column (in characters).
pub fn scan(text: &str) -> Vec<(usize, usize, char)> {
    if !any_forbidden(text) {
        return Vec::new();
    }
    let mut found = Vec::new();
    for (index, line) in text.split('\n').enumerate() {
        for (column, c) in line.chars().enumerate() {
            if is_forbidden(c) {
                found.push((index + 1, column + 1, c));
            }
        }
    }
    found
}

/// `U+000C (form feed)`: how a warning names a character.
pub fn describe(c: char) -> String {
    let name = match c {
        '\0' => " (null)",
        '\u{8}' => " (backspace)",
        '\u{b}' => " (vertical tab)",
        '\u{c}' => " (form feed)",
        '\u{1b}' => " (escape)",
        _ => "",
    };
    format!("U+{:04X}{name}", c as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forbidden_characters_are_found_and_stripped() {
        let text = "ok\tline\r\na\u{c}b\n\u{1}x\u{ffff}";
        assert_eq!(
            scan(text),
            [(2, 2, '\u{c}'), (3, 1, '\u{1}'), (3, 3, '\u{ffff}')]
        );
        assert_eq!(strip(text), "ok\tline\r\nab\nx");
        assert!(matches!(strip("fine é\u{85}"), Cow::Borrowed(_)));
        assert_eq!(describe('\u{c}'), "U+000C (form feed)");
    }

    proptest::proptest! {
        /// The byte-level test agrees with the character-level definition on any text.
        #[test]
        fn any_forbidden_agrees_with_is_forbidden(s in "\\PC*|[\\x00-\\x{20}\\x{fffd}-\\x{ffff}a]{0,40}") {
            proptest::prop_assert_eq!(any_forbidden(&s), s.contains(is_forbidden));
        }
    }
}
