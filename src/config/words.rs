//! serde's messages in an organiser's words: `expected usize` becomes "expected a whole
//! number", `expected struct RawFeeds` "expected a section of keys", and the key comes first.

/// Rewrites one of serde_yaml's messages (without its location): `path: invalid type: X,
/// expected Y` becomes "field `path`: expected Y', found X'" in plain words; other messages
/// keep their words, with Rust's type names replaced.
pub fn plain(message: &str) -> String {
    let (path, rest) = match message.split_once(": ") {
        Some((path, rest)) if !path.contains(' ') => (Some(path), rest),
        _ => (None, message),
    };
    match (path, rewrite(rest)) {
        (Some(path), Some(body)) => format!("field `{path}`: {body}"),
        (Some(path), None) => format!("{path}: {}", replace_type_names(rest)),
        (None, body) => body.unwrap_or_else(|| replace_type_names(rest)),
    }
}

/// A type error or a missing key in plain words; `None` for other messages.
fn rewrite(rest: &str) -> Option<String> {
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(tail) = rest.strip_prefix(prefix) {
            if let Some((found, expected)) = tail.rsplit_once(", expected ") {
                return Some(format!(
                    "expected {}, found {}",
                    expected_words(expected),
                    found_words(found)
                ));
            }
        }
    }
    if let Some(field) = rest
        .strip_prefix("missing field `")
        .and_then(|f| f.strip_suffix('`'))
    {
        return Some(format!("the key `{field}` is missing here"));
    }
    None
}

fn expected_words(expected: &str) -> String {
    match expected.trim() {
        "usize" | "u64" | "u32" | "u16" | "u8" => "a whole number (0 or more)".into(),
        "isize" | "i64" | "i32" | "i16" | "i8" => "a whole number".into(),
        "f64" | "f32" => "a number".into(),
        "a boolean" => "true or false".into(),
        "a sequence" => "a list (lines starting with `- `, or `[a, b]`)".into(),
        "a string" => "text".into(),
        "a map" => "a section of `key: value` lines".into(),
        other if other.starts_with("struct ") => {
            "a section of `key: value` lines, indented below the key".into()
        }
        other => replace_type_names(other),
    }
}

fn found_words(found: &str) -> String {
    let found = found.trim();
    if let Some(value) = found
        .strip_prefix("string ")
        .or_else(|| found.strip_prefix("integer "))
        .or_else(|| found.strip_prefix("floating point "))
        .or_else(|| found.strip_prefix("boolean "))
    {
        return value.to_owned();
    }
    match found {
        "sequence" => "a list".into(),
        "map" => "a section of keys".into(),
        "unit value" => "nothing (an empty value)".into(),
        other => other.to_owned(),
    }
}

fn replace_type_names(text: &str) -> String {
    let mut out = text.to_owned();
    for (rust, words) in [
        ("usize", "a whole number"),
        ("u64", "a whole number"),
        ("u32", "a whole number"),
        ("f64", "a number"),
    ] {
        out = out.replace(&format!("expected {rust}"), &format!("expected {words}"));
    }
    if let Some(i) = out.find("struct Raw") {
        let end = out[i..]
            .find(|c: char| !c.is_alphanumeric() && c != ' ')
            .map_or(out.len(), |e| i + e);
        out.replace_range(i..end, "a section of keys");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::plain;

    #[test]
    fn rust_words_become_plain_words_with_the_key_first() {
        for (serde, plain_words) in [
            (
                "feeds.limit: invalid type: string \"many\", expected usize",
                "field `feeds.limit`: expected a whole number (0 or more), found \"many\"",
            ),
            (
                "feeds: invalid type: integer `7`, expected struct RawFeeds",
                "field `feeds`: expected a section of `key: value` lines, indented below the key, found `7`",
            ),
            (
                "newsletter.max_recaps: invalid value: integer `-5`, expected usize",
                "field `newsletter.max_recaps`: expected a whole number (0 or more), found `-5`",
            ),
            (
                "feeds.tags: invalid type: string \"yes please\", expected a boolean",
                "field `feeds.tags`: expected true or false, found \"yes please\"",
            ),
            (
                "site: invalid type: sequence, expected struct RawSite",
                "field `site`: expected a section of `key: value` lines, indented below the key, found a list",
            ),
            ("site: missing field `title`", "field `site`: the key `title` is missing here"),
        ] {
            assert_eq!(plain(serde), plain_words);
        }
        for text in [
            "site: unknown field `titel`, expected one of `title`, `url`",
            "mapping values are not allowed in this context",
        ] {
            let out = plain(text);
            assert!(!out.contains("usize") && !out.contains("Raw"), "{out}");
        }
    }
}
