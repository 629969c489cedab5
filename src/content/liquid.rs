//! The little Liquid that posts written for Jekyll rely on.
//!
//! crier is not a template engine for posts: it substitutes the site variables that appear in
//! real posts (`{{ site.baseurl }}`, `{{ site.url }}`, `{{ site.title }}`, and the
//! `relative_url` / `absolute_url` filters on a quoted path), honours `{% raw %}`, and leaves
//! every other tag in place, reporting it so the organiser can decide.

use std::borrow::Cow;

use crate::config::SiteInfo;

/// A Liquid tag crier does not understand, left in the text as-is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownTag {
    /// 1-based line within the text given to [`substitute`].
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// The whole tag, e.g. `{% include video.html %}`.
    pub tag: String,
}

/// Replaces the supported tags in `text` and lists the unsupported ones. Text without any
/// tag (most posts) is returned borrowed, without a copy.
pub fn substitute<'a>(text: &'a str, site: &SiteInfo) -> (Cow<'a, str>, Vec<UnknownTag>) {
    if !text.contains("{{") && !text.contains("{%") {
        return (Cow::Borrowed(text), Vec::new());
    }
    let mut out = String::with_capacity(text.len());
    let mut unknown = Vec::new();
    let mut rest = text;
    let mut consumed = 0;
    while let Some(start) = rest.find(['{']) {
        let after = &rest[start..];
        let close = if after.starts_with("{{") {
            "}}"
        } else if after.starts_with("{%") {
            "%}"
        } else {
            out.push_str(&rest[..=start]);
            consumed += start + 1;
            rest = &rest[start + 1..];
            continue;
        };
        let Some(end) = after[2..].find(close).map(|i| i + 4) else {
            break;
        };
        let tag = &after[..end];
        out.push_str(&rest[..start]);
        let tag_offset = consumed + start;
        let mut advance = start + end;
        if is_raw_open(tag) {
            // Copy everything up to {% endraw %} literally, dropping both raw tags.
            let inner = &after[end..];
            let (literal, skip) = match find_endraw(inner) {
                Some((at, len)) => (&inner[..at], at + len),
                None => (inner, inner.len()),
            };
            out.push_str(literal);
            advance += skip;
        } else if let Some(value) = evaluate(tag, site) {
            out.push_str(&value);
        } else {
            out.push_str(tag);
            let (line, column) = position(text, tag_offset);
            unknown.push(UnknownTag {
                line,
                column,
                tag: tag.to_owned(),
            });
        }
        consumed += advance;
        rest = &rest[advance..];
    }
    out.push_str(rest);
    (Cow::Owned(out), unknown)
}

fn is_raw_open(tag: &str) -> bool {
    tag.starts_with("{%") && tag[2..tag.len() - 2].trim().trim_matches('-').trim() == "raw"
}

fn find_endraw(text: &str) -> Option<(usize, usize)> {
    let mut from = 0;
    while let Some(i) = text[from..].find("{%") {
        let at = from + i;
        // Search after the opening `{%`: in "{%}" the two tags overlap.
        let end = text[at + 2..].find("%}")? + at + 4;
        if text[at + 2..end - 2].trim().trim_matches('-').trim() == "endraw" {
            return Some((at, end - at));
        }
        from = at + 2;
    }
    None
}

/// Evaluates `{{ site.x }}` and `{{ 'path' | relative_url }}`; `None` for anything else.
fn evaluate(tag: &str, site: &SiteInfo) -> Option<String> {
    let inner = tag.strip_prefix("{{")?.strip_suffix("}}")?;
    let inner = inner.trim_matches('-').trim();
    match inner {
        "site.baseurl" => return Some(site.baseurl.clone()),
        "site.url" => return Some(site.url.clone()),
        "site.title" => return Some(site.title.clone()),
        _ => {}
    }
    let (value, filter) = inner.split_once('|')?;
    let value = value.trim();
    let path = value
        .strip_prefix('\'')
        .and_then(|v| v.strip_suffix('\''))
        .or_else(|| value.strip_prefix('"').and_then(|v| v.strip_suffix('"')))?;
    let sep = if path.starts_with('/') || path.is_empty() {
        ""
    } else {
        "/"
    };
    match filter.trim() {
        "relative_url" => Some(format!("{}{sep}{path}", site.baseurl)),
        "absolute_url" => Some(format!("{}{}{sep}{path}", site.url, site.baseurl)),
        _ => None,
    }
}

fn position(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Author;

    fn site() -> SiteInfo {
        SiteInfo {
            title: "Cloud Meetup".into(),
            description: String::new(),
            url: "https://example.com".into(),
            baseurl: "/blog".into(),
            author: Author {
                name: "A".into(),
                email: None,
            },
            language: "en".into(),
            timezone: chrono_tz::UTC,
        }
    }

    #[test]
    fn substitutes_site_variables_with_or_without_spaces() {
        let (out, unknown) = substitute(
            "![x]({{site.baseurl}}/a.png) {{ site.url }} {{  site.title  }} {{- site.baseurl -}}",
            &site(),
        );
        assert_eq!(
            out,
            "![x](/blog/a.png) https://example.com Cloud Meetup /blog"
        );
        assert!(unknown.is_empty());
    }

    #[test]
    fn supports_url_filters() {
        let (out, _) = substitute(
            "{{ '/x.png' | relative_url }} {{ \"y\" | absolute_url }}",
            &site(),
        );
        assert_eq!(out, "/blog/x.png https://example.com/blog/y");
    }

    #[test]
    fn leaves_unknown_tags_and_reports_their_position() {
        let text = "one\ntwo {% include video.html id=3 %} and {{ page.title }}\n";
        let (out, unknown) = substitute(text, &site());
        assert_eq!(out, text);
        assert_eq!(unknown.len(), 2);
        assert_eq!((unknown[0].line, unknown[0].column), (2, 5));
        assert_eq!(unknown[0].tag, "{% include video.html id=3 %}");
        assert_eq!((unknown[1].line, unknown[1].column), (2, 39));
    }

    #[test]
    fn raw_blocks_are_copied_literally() {
        let (out, unknown) = substitute("a {% raw %}{{ .Values.x }}{% endraw %} b", &site());
        assert_eq!(out, "a {{ .Values.x }} b");
        assert!(unknown.is_empty());
    }

    #[test]
    fn overlapping_tag_marks_do_not_panic() {
        let (out, _) = substitute("{% raw %}{%}x{% endraw %}", &site());
        assert_eq!(out, "{%}x");
        let _ = substitute("{% raw %}{%}", &site());
    }

    #[test]
    fn unclosed_and_lone_braces_are_text() {
        let (out, unknown) = substitute("{ a } {{ never closed", &site());
        assert_eq!(out, "{ a } {{ never closed");
        assert!(unknown.is_empty());
    }
}
