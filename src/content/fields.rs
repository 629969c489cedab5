//! Reading typed values out of front matter, the way Jekyll (YAML 1.1) means them.
//!
//! serde_yaml follows YAML 1.2, where `published: no` is the string "no"; Jekyll's YAML 1.1
//! reads it as `false`. Each helper takes the raw [`Value`] and interprets it, returning a
//! message that says what was expected and what was found.

use serde_yaml::Value;

/// Expected/found pair for a field error.
pub type Mismatch = (String, String);

/// Describes a YAML value for "found ..." messages.
pub fn describe(value: &Value) -> String {
    match value {
        Value::Null => "nothing (an empty value)".to_owned(),
        Value::Bool(b) => format!("the boolean `{b}`"),
        Value::Number(n) => format!("the number `{n}`"),
        Value::String(s) => format!("`{}`", truncate(s, 60)),
        Value::Sequence(_) => "a list".to_owned(),
        Value::Mapping(_) => "a mapping".to_owned(),
        Value::Tagged(t) => format!("a value tagged `{}`", t.tag),
    }
}

fn truncate(s: &str, max: usize) -> String {
    let escaped: String = s.escape_debug().collect();
    if escaped.chars().count() <= max {
        escaped
    } else {
        let cut: String = escaped.chars().take(max).collect();
        format!("{cut}...")
    }
}

/// A scalar as text: strings as they are, numbers and booleans spelt out (`title: 2019`).
pub fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A single line of text, trimmed. Line breaks are refused: titles end up in mail headers.
pub fn single_line(value: &Value) -> Result<String, Mismatch> {
    let expected = || "a single line of text".to_owned();
    let text = scalar_text(value).ok_or_else(|| (expected(), describe(value)))?;
    let trimmed = text.trim();
    if trimmed.contains(['\r', '\n']) {
        return Err((expected(), format!("a line break in {}", describe(value))));
    }
    if let Some(c) = trimmed.chars().find(|c| c.is_control()) {
        return Err((
            expected(),
            format!("the control character {:?} in {}", c, describe(value)),
        ));
    }
    Ok(trimmed.to_owned())
}

/// Free text where line breaks are just spaces (a folded `description: >`).
pub fn flowing_text(value: &Value) -> Result<String, Mismatch> {
    let text = scalar_text(value).ok_or_else(|| ("text".to_owned(), describe(value)))?;
    Ok(text.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// A YAML 1.1 boolean: `true/false`, `yes/no`, `on/off` in any case.
pub fn yaml11_bool(value: &Value) -> Result<bool, Mismatch> {
    let expected = || "true or false (or yes/no, on/off)".to_owned();
    match value {
        Value::Bool(b) => Ok(*b),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "y" => Ok(true),
            "false" | "no" | "off" | "n" => Ok(false),
            _ => Err((expected(), describe(value))),
        },
        _ => Err((expected(), describe(value))),
    }
}

/// A list of words: a YAML list, or a space-separated string as Jekyll allows for `tags`.
pub fn word_list(value: &Value) -> Result<Vec<String>, Mismatch> {
    let expected = || "a list, or words separated by spaces".to_owned();
    match value {
        Value::Null => Ok(Vec::new()),
        Value::Sequence(items) => items
            .iter()
            .filter(|v| !v.is_null())
            .map(|v| {
                scalar_text(v)
                    .map(|s| s.trim().to_owned())
                    .ok_or_else(|| (expected(), format!("{} inside the list", describe(v))))
            })
            .filter(|r| r.as_ref().map_or(true, |s| !s.is_empty()))
            .collect(),
        other => scalar_text(other)
            .map(|s| s.split_whitespace().map(str::to_owned).collect())
            .ok_or_else(|| (expected(), describe(value))),
    }
}

/// A list of strings that may contain spaces: a YAML list or one string (`redirect_from`).
pub fn string_list(value: &Value) -> Result<Vec<String>, Mismatch> {
    match value {
        Value::Null => Ok(Vec::new()),
        Value::Sequence(items) => items
            .iter()
            .map(|v| scalar_text(v).ok_or_else(|| ("a list of text".to_owned(), describe(v))))
            .collect(),
        other => scalar_text(other)
            .map(|s| vec![s])
            .ok_or_else(|| ("text or a list of text".to_owned(), describe(value))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(s: &str) -> Value {
        serde_yaml::from_str(s).unwrap()
    }

    #[test]
    fn yaml11_booleans_match_jekyll() {
        for (s, want) in [
            ("no", false),
            ("off", false),
            ("No", false),
            ("false", false),
            ("yes", true),
            ("ON", true),
            ("true", true),
        ] {
            assert_eq!(yaml11_bool(&yaml(s)).unwrap(), want, "{s}");
        }
        let (expected, found) = yaml11_bool(&yaml("maybe")).unwrap_err();
        assert!(expected.contains("true or false"));
        assert_eq!(found, "`maybe`");
    }

    #[test]
    fn tags_may_be_a_list_or_words() {
        assert_eq!(
            word_list(&yaml("[Meetup, 2019]")).unwrap(),
            ["Meetup", "2019"]
        );
        assert_eq!(
            word_list(&yaml("Meetup Video")).unwrap(),
            ["Meetup", "Video"]
        );
        assert_eq!(word_list(&yaml("- a\n- \n- b")).unwrap(), ["a", "b"]);
        assert!(word_list(&yaml("{a: 1}")).is_err());
        assert!(word_list(&yaml("[[nested]]")).is_err());
    }

    #[test]
    fn single_line_refuses_breaks_and_controls() {
        assert_eq!(single_line(&yaml("'  Hello  '")).unwrap(), "Hello");
        assert_eq!(single_line(&yaml("2019")).unwrap(), "2019");
        let (_, found) = single_line(&yaml("\"a\\r\\nBcc: x\"")).unwrap_err();
        assert!(found.contains("line break"), "{found}");
        assert!(single_line(&yaml("\"a\\u0007b\"")).is_err());
        assert!(single_line(&yaml("[a]")).is_err());
    }

    #[test]
    fn flowing_text_collapses_whitespace() {
        assert_eq!(flowing_text(&yaml("\"a\\n  b\"")).unwrap(), "a b");
    }
}
