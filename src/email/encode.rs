//! MIME bodies for the text and HTML parts, encoded in one pass.
//!
//! Encoding is most of the cost of composing a message (every recipient's copy differs, so
//! it cannot be shared). lettre's `Body::new` converts line endings by inserting one `\r` at a
//! time and then encodes with a general-purpose quoted-printable encoder; together that was
//! about 60% of composing a digest. Here both happen in a single pass over the bytes, with
//! the same choice of encoding lettre makes: 7bit for ASCII with short lines, quoted-printable
//! otherwise, and base64 (left to lettre) when that is shorter, as for text mostly outside
//! ASCII.

use lettre::message::header::ContentTransferEncoding;
use lettre::message::Body;

/// RFC 2045: encoded lines are at most 76 characters. lettre also keeps 7bit lines below it.
const MAX_LINE: usize = 76;

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// `text` as a MIME body with CRLF line endings.
pub fn body(text: &str) -> Body {
    if seven_bit(text) {
        let mut out = Vec::with_capacity(text.len() + text.len() / 32 + 2);
        for_each_line(text, &mut out, |line, out| out.extend_from_slice(line));
        return Body::dangerous_pre_encoded(out, ContentTransferEncoding::SevenBit);
    }
    let encoded = quoted_printable(text);
    // Base64 takes 4 bytes for 3, plus a line break every 76.
    let base64 = text.len().div_ceil(3) * 4;
    if encoded.len() > base64 + base64 / MAX_LINE * 2 {
        return Body::new(text.to_owned());
    }
    Body::dangerous_pre_encoded(encoded, ContentTransferEncoding::QuotedPrintable)
}

/// Printable ASCII (and tabs) in lines shorter than [`MAX_LINE`], with no bare CR.
fn seven_bit(text: &str) -> bool {
    let mut lines = text.split('\n').peekable();
    while let Some(line) = lines.next() {
        let line = match lines.peek() {
            Some(_) => line.strip_suffix('\r').unwrap_or(line),
            None => line,
        };
        if line.len() >= MAX_LINE
            || !line
                .bytes()
                .all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
        {
            return false;
        }
    }
    true
}

/// `text` in quoted-printable (RFC 2045 section 6.7), lines joined with CRLF.
fn quoted_printable(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + text.len() / 8 + 16);
    for_each_line(text, &mut out, encode_line);
    out
}

/// Calls `f` on each line of `text` (without its LF or CRLF), joining them with CRLF.
fn for_each_line(text: &str, out: &mut Vec<u8>, mut f: impl FnMut(&[u8], &mut Vec<u8>)) {
    let mut lines = text.split('\n').peekable();
    while let Some(line) = lines.next() {
        if lines.peek().is_some() {
            f(line.strip_suffix('\r').unwrap_or(line).as_bytes(), out);
            out.extend_from_slice(b"\r\n");
        } else {
            // A CR at the very end is not a line ending: it is encoded like any other byte.
            f(line.as_bytes(), out);
        }
    }
}

/// One line: printable ASCII but `=` as itself, the rest as `=XX`, whitespace at the end of a
/// line encoded (mail systems strip it), and soft breaks (`=` CRLF) so no line exceeds 76.
fn encode_line(line: &[u8], out: &mut Vec<u8>) {
    let mut len = 0;
    for (i, &b) in line.iter().enumerate() {
        let last = i + 1 == line.len();
        let literal =
            matches!(b, b'!'..=b'<' | b'>'..=b'~') || (!last && matches!(b, b' ' | b'\t'));
        let width = if literal { 1 } else { 3 };
        // A token that does not end the line leaves room for a soft break's `=`.
        let room = if last { MAX_LINE } else { MAX_LINE - 1 };
        if len + width > room {
            out.extend_from_slice(b"=\r\n");
            len = 0;
        }
        if literal {
            out.push(b);
        } else {
            out.extend_from_slice(&[b'=', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
        }
        len += width;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An independent decoder, straight from RFC 2045.
    fn decode(encoded: &[u8]) -> String {
        let text = std::str::from_utf8(encoded).unwrap().replace("=\r\n", "");
        let bytes = text.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'=' {
                out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap());
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap().replace("\r\n", "\n")
    }

    fn lines_fit(encoded: &[u8]) -> bool {
        std::str::from_utf8(encoded)
            .unwrap()
            .split("\r\n")
            .all(|l| l.len() <= MAX_LINE && l.is_ascii() && !l.ends_with([' ', '\t']))
    }

    #[test]
    fn quoted_printable_round_trips_with_short_lines() {
        let long = format!("{}é{}", "a=b ".repeat(30), "z".repeat(200));
        for text in [
            "",
            "plain\n",
            "Ça va? <b>&amp;</b> token=abc\r\nnext line \t\nend ",
            "▶︎ Watch “this”",
            &long,
            &"é".repeat(40),
            "x\rbare CR\u{7}",
            "ends with CR\r",
        ] {
            let encoded = quoted_printable(text);
            assert!(
                lines_fit(&encoded),
                "{text:?}: {:?}",
                String::from_utf8_lossy(&encoded)
            );
            assert_eq!(decode(&encoded), text.replace("\r\n", "\n"), "{text:?}");
        }
        assert_eq!(quoted_printable("a = b \nc"), b"a =3D b=20\r\nc");
    }

    #[test]
    fn the_encoding_is_chosen_as_lettre_would() {
        let encoding = |text: &str| body(text).encoding();
        assert_eq!(
            encoding("Hello\nworld\n"),
            ContentTransferEncoding::SevenBit
        );
        assert_eq!(
            encoding(&"a".repeat(80)),
            ContentTransferEncoding::QuotedPrintable
        );
        assert_eq!(encoding("Zoë"), ContentTransferEncoding::QuotedPrintable);
        assert_eq!(
            encoding(&"日本語".repeat(30)),
            ContentTransferEncoding::Base64
        );
        assert_eq!(
            encoding("bare\rCR"),
            ContentTransferEncoding::QuotedPrintable
        );
        assert_eq!(
            encoding("a longer line that ends with a CR\r"),
            ContentTransferEncoding::QuotedPrintable
        );
        // 7bit bodies get CRLF line endings too.
        assert_eq!(body("a\nb\r\nc\n").into_vec(), b"a\r\nb\r\nc\r\n".to_vec());
    }
}
