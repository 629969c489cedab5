//! Reading a provider's JSON within bounds, and the small accessors the providers share.

use serde_json::Value;

use super::limits::{MAX_JSON_ARRAY, MAX_JSON_DEPTH};
use super::WebhookError;

/// Parses `bytes` as JSON after checking, without building anything, that it nests at most
/// [`MAX_JSON_DEPTH`] deep and no array holds more than [`MAX_JSON_ARRAY`] items.
pub(crate) fn parse(bytes: &[u8]) -> Result<Value, WebhookError> {
    check_shape(bytes)?;
    serde_json::from_slice(bytes).map_err(|e| WebhookError::Malformed(format!("not JSON: {e}")))
}

/// Scans brackets outside strings. Invalid JSON passes here and fails in the parser.
fn check_shape(bytes: &[u8]) -> Result<(), WebhookError> {
    // One entry per open bracket: whether it is an array, and its commas so far.
    let mut open: Vec<(bool, usize)> = Vec::new();
    let (mut in_string, mut escaped) = (false, false);
    for &b in bytes {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                if open.len() >= MAX_JSON_DEPTH {
                    return Err(WebhookError::Malformed(format!(
                        "JSON nested over {MAX_JSON_DEPTH} deep"
                    )));
                }
                open.push((b == b'[', 0));
            }
            b']' | b'}' => {
                open.pop();
            }
            b',' => {
                if let Some((true, commas)) = open.last_mut() {
                    *commas += 1;
                    if *commas >= MAX_JSON_ARRAY {
                        return Err(WebhookError::Malformed(format!(
                            "a JSON array of over {MAX_JSON_ARRAY} items"
                        )));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// The string at `pointer` (RFC 6901), when there is one.
pub(crate) fn str_at<'a>(value: &'a Value, pointer: &str) -> Option<&'a str> {
    value.pointer(pointer).and_then(Value::as_str)
}

/// The text at `pointer`: a string, or a number written out (providers disagree on which
/// they send for codes and ids).
pub(crate) fn text_at(value: &Value, pointer: &str) -> Option<String> {
    match value.pointer(pointer)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The string field `key` of an object, or why the request is unsigned without it.
pub(crate) fn required<'a>(value: &'a Value, key: &'static str) -> Result<&'a str, WebhookError> {
    value
        .get(key)
        .and_then(Value::as_str)
        .ok_or(WebhookError::Unsigned(key))
}

/// A recipient address as events carry it: trimmed, without angle brackets, lower-cased; `None`
/// when it does not look like an address.
pub(crate) fn address(text: &str) -> Option<String> {
    let address = text.trim().trim_start_matches('<').trim_end_matches('>');
    let plausible = (3..=320).contains(&address.len())
        && address.contains('@')
        && !address.chars().any(|c| c.is_whitespace() || c.is_control());
    plausible.then(|| address.to_lowercase())
}

/// A Message-ID without angle brackets and space; `None` when empty or absurdly long.
pub(crate) fn message_id(text: &str) -> Option<String> {
    let id = text.trim().trim_matches(['<', '>']).trim();
    (!id.is_empty() && id.len() <= 998 && !id.chars().any(char::is_control)).then(|| id.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_nesting_and_long_arrays_are_refused_before_parsing() {
        let deep = "[".repeat(MAX_JSON_DEPTH + 1) + &"]".repeat(MAX_JSON_DEPTH + 1);
        assert!(parse(deep.as_bytes()).is_err());
        let fine = "[".repeat(MAX_JSON_DEPTH) + &"]".repeat(MAX_JSON_DEPTH);
        assert!(parse(fine.as_bytes()).is_ok());
        let long = format!("[{}0]", "0,".repeat(MAX_JSON_ARRAY));
        assert!(parse(long.as_bytes()).is_err());
        let brackets_in_strings =
            format!("{{\"a\": \"{}\\\"{}\"}}", "[".repeat(100), ",".repeat(2000));
        assert!(parse(brackets_in_strings.as_bytes()).is_ok());
    }

    #[test]
    fn addresses_and_message_ids_are_normalised() {
        assert_eq!(
            address(" <Ada@Example.NET> "),
            Some("ada@example.net".into())
        );
        assert_eq!(address("not an address"), None);
        assert_eq!(address("a b@c.d"), None);
        assert_eq!(message_id("<x.1@host>"), Some("x.1@host".into()));
        assert_eq!(message_id("<>"), None);
    }
}
