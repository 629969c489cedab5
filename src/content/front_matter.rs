//! Splitting a post into its YAML front matter and Markdown body.

use super::error::PostErrorKind;

/// A post file cut in two. Borrowed from the file text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrontMatter<'a> {
    /// The YAML between the `---` lines.
    pub yaml: &'a str,
    /// 1-based file line of the first YAML line (to turn YAML positions into file positions).
    pub yaml_line: usize,
    /// The Markdown after the closing line.
    pub body: &'a str,
    /// 1-based file line where the body starts.
    pub body_line: usize,
}

/// Splits `text` as Jekyll does: the file must start with a `---` line; the front matter ends
/// at the next line that is `---` or `...`. A UTF-8 byte-order mark and CRLF endings are fine.
pub fn split(text: &str) -> Result<FrontMatter<'_>, PostErrorKind> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(PostErrorKind::Empty);
    }
    let mut lines = LineIter { text, pos: 0 };
    let (first, _) = lines.next().unwrap_or(("", 0));
    if first.trim_end() != "---" {
        let found: String = first.chars().take(40).collect();
        return Err(PostErrorKind::NoFrontMatter { found });
    }
    let yaml_start = lines.pos;
    let mut line_no = 1;
    while let Some((line, start)) = lines.next() {
        line_no += 1;
        let trimmed = line.trim_end();
        if trimmed == "---" || trimmed == "..." {
            return Ok(FrontMatter {
                yaml: &text[yaml_start..start],
                yaml_line: 2,
                body: &text[lines.pos..],
                body_line: line_no + 1,
            });
        }
    }
    Err(PostErrorKind::Unclosed)
}

/// Lines with their start offsets; the line excludes its `\n` (a `\r` is left for trim_end).
struct LineIter<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Iterator for LineIter<'a> {
    type Item = (&'a str, usize);

    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.text.len() {
            return None;
        }
        let start = self.pos;
        let rest = &self.text[start..];
        let (line, advance) = match rest.find('\n') {
            Some(i) => (&rest[..i], i + 1),
            None => (rest, rest.len()),
        };
        self.pos += advance;
        Some((line, start))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_yaml_and_body_with_line_numbers() {
        let fm = split("---\ntitle: A\ntags: [x]\n---\n\nHello\n").unwrap();
        assert_eq!(fm.yaml, "title: A\ntags: [x]\n");
        assert_eq!(fm.body, "\nHello\n");
        assert_eq!(fm.yaml_line, 2);
        assert_eq!(fm.body_line, 5);
    }

    #[test]
    fn accepts_bom_crlf_and_dots() {
        let fm = split("\u{feff}---\r\ntitle: A\r\n...\r\nBody").unwrap();
        assert_eq!(fm.yaml, "title: A\r\n");
        assert_eq!(fm.body, "Body");
    }

    #[test]
    fn empty_front_matter_is_allowed_here() {
        let fm = split("---\n---\n").unwrap();
        assert_eq!(fm.yaml, "");
        assert_eq!(fm.body, "");
    }

    #[test]
    fn reports_missing_or_unclosed_front_matter() {
        assert_eq!(split(""), Err(PostErrorKind::Empty));
        assert_eq!(split(" \n\n"), Err(PostErrorKind::Empty));
        assert!(matches!(
            split("# Title\n"),
            Err(PostErrorKind::NoFrontMatter { .. })
        ));
        assert_eq!(split("---\ntitle: A\n"), Err(PostErrorKind::Unclosed));
        assert!(matches!(
            split("----\n---\n"),
            Err(PostErrorKind::NoFrontMatter { .. })
        ));
    }
}
