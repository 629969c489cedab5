//! Blocks of header fields, as `message/delivery-status` (RFC 3464), `message/feedback-report`
//! (RFC 5965) and `text/rfc822-headers` hold them: `Name: value` lines with folded
//! continuations, blocks separated by blank lines. mail-parser leaves these parts opaque.

use super::limits::{MAX_BLOCKS, MAX_FIELDS, MAX_FIELD_LEN};

/// One block of fields, names kept as written, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Block {
    /// `(name, unfolded value)` pairs.
    pub fields: Vec<(String, String)>,
}

impl Block {
    /// The first value of a field, by case-insensitive name.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a field, by case-insensitive name (ARF repeats `Original-Rcpt-To`).
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.fields
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Splits text into blocks of fields. Lines that are neither a field nor a continuation are
/// skipped rather than failing the block: real reports carry stray comment lines. Bounded by
/// [`MAX_BLOCKS`], [`MAX_FIELDS`] per block and [`MAX_FIELD_LEN`] per value.
pub fn blocks(text: &str) -> Vec<Block> {
    let mut out: Vec<Block> = Vec::new();
    let mut current = Block::default();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            if !current.fields.is_empty() {
                out.push(std::mem::take(&mut current));
                if out.len() >= MAX_BLOCKS {
                    return out;
                }
            }
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = current.fields.last_mut() {
                if value.len() < MAX_FIELD_LEN {
                    value.push(' ');
                    value.push_str(line.trim());
                    truncate(value, MAX_FIELD_LEN);
                }
            }
            continue;
        }
        if let Some((name, value)) = field(line) {
            if current.fields.len() < MAX_FIELDS {
                let mut value = value.trim().to_owned();
                truncate(&mut value, MAX_FIELD_LEN);
                current.fields.push((name.to_owned(), value));
            }
        }
    }
    if !current.fields.is_empty() && out.len() < MAX_BLOCKS {
        out.push(current);
    }
    out
}

/// `Name: value` when `Name` is a plausible field name (RFC 5322 ftext, no spaces).
fn field(line: &str) -> Option<(&str, &str)> {
    let (name, value) = line.split_once(':')?;
    let plausible = !name.is_empty()
        && name.len() <= 76
        && name.bytes().all(|b| b.is_ascii_graphic() && b != b':');
    plausible.then_some((name, value))
}

/// Cuts a string to at most `max` bytes, on a character boundary.
pub(crate) fn truncate(s: &mut String, max: usize) {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
}

/// The value after an RFC 3464 type prefix: `rfc822; a@b` → `a@b`, `smtp; 550 …` → `550 …`.
/// A value without a prefix is returned whole.
pub fn typed_value(value: &str) -> &str {
    match value.split_once(';') {
        Some((kind, rest))
            if !kind.is_empty()
                && kind.len() <= 16
                && kind.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') =>
        {
            rest.trim()
        }
        _ => value.trim(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_message_and_per_recipient_blocks_with_folding() {
        let text = "Reporting-MTA: dns; mx.example.org\r\n\r\nFinal-Recipient: rfc822; a@example.com\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1\r\n  user unknown\r\n\r\n\r\nFinal-Recipient: rfc822;b@example.com\nnot a field\nAction: failed\n";
        let b = blocks(text);
        assert_eq!(b.len(), 3);
        assert_eq!(b[0].get("reporting-mta"), Some("dns; mx.example.org"));
        assert_eq!(
            b[1].get("Diagnostic-Code"),
            Some("smtp; 550 5.1.1 user unknown")
        );
        assert_eq!(
            typed_value(b[2].get("final-recipient").unwrap()),
            "b@example.com"
        );
        assert_eq!(b[2].get("action"), Some("failed"));
    }

    #[test]
    fn typed_values_keep_text_that_has_no_type() {
        assert_eq!(
            typed_value("550 5.1.1 unknown; see docs"),
            "550 5.1.1 unknown; see docs"
        );
        assert_eq!(typed_value("X-Postfix; host said: no"), "host said: no");
    }
}
