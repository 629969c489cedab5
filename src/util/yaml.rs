//! Finding keys in YAML text, for diagnostics that point at a line after parsing.

/// Finds the 1-based line of a (possibly nested) key in simple block-style YAML, so that
/// validation errors found after parsing can still point at the right line.
pub fn key_line(text: &str, keys: &[&str]) -> Option<usize> {
    let mut depth = 0;
    let mut parent_indent: Option<usize> = None;
    for (index, line) in text.lines().enumerate() {
        let content = line.trim_start();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let indent = line.len() - content.len();
        if let Some(parent) = parent_indent {
            if indent <= parent && depth > 0 {
                return None;
            }
        }
        let key = keys.get(depth)?;
        let is_key = content
            .strip_prefix(key)
            .is_some_and(|rest| rest.trim_start().starts_with(':'));
        if is_key && parent_indent.is_none_or(|p| indent > p) {
            if depth + 1 == keys.len() {
                return Some(index + 1);
            }
            depth += 1;
            parent_indent = Some(indent);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_line_follows_nesting() {
        let text = "feeds:\n  url: x\nsite:\n  title: t\n  url: u\n";
        assert_eq!(key_line(text, &["site", "url"]), Some(5));
        assert_eq!(key_line(text, &["feeds", "url"]), Some(2));
        assert_eq!(key_line(text, &["nope"]), None);
    }
}
