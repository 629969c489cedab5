//! A recap's Markdown as blocks (paragraphs, list items, headings) of plain text with their
//! links, split into sentences; and its closing part, where organisers announce the next
//! meetup: the last blocks, and any paragraph that says "next meetup".
//!
//! Every step is one pass with bounded look-ahead, so a megabyte-long paragraph is cheap.

/// How many trailing blocks (paragraphs, list items, headings) count as the closing part.
pub const CLOSING_BLOCKS: usize = 8;
/// Longest link text and link target looked for after a `[`.
const MAX_LABEL: usize = 400;
const MAX_URL: usize = 2_000;

/// A link in a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// Its text (the URL itself for a bare or `<...>` link).
    pub label: String,
    /// Where it goes.
    pub url: String,
    /// Byte offset of its text in the block's plain text.
    pub at: usize,
}

/// One paragraph, list item or heading, as plain text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// 0-based line within the body where it starts.
    pub line: usize,
    /// A `#` heading.
    pub heading: bool,
    /// Text without Markdown: link texts kept, images and HTML tags removed.
    pub text: String,
    /// Its links, in order.
    pub links: Vec<Link>,
    /// The nearest heading above it (for a heading: itself).
    pub section: Option<String>,
    /// Among the last [`CLOSING_BLOCKS`] (not an earlier "next meetup" paragraph).
    pub tail: bool,
}

/// A block as written.
pub struct RawBlock {
    /// 0-based line within the body where it starts.
    pub line: usize,
    /// A `#` heading.
    pub heading: bool,
    /// Its Markdown, lines joined by `\n` (a heading without its `#`s, a list item without
    /// its marker).
    pub raw: String,
    /// The nearest heading above it (for a heading: itself).
    pub section: Option<String>,
}

/// Splits a Markdown body into blocks, skipping fenced code.
pub fn raw_blocks(body: &str) -> Vec<RawBlock> {
    let mut out: Vec<RawBlock> = Vec::new();
    let mut current: Option<RawBlock> = None;
    let mut section: Option<String> = None;
    let mut in_fence = false;
    for (i, line) in body.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            in_fence = !in_fence;
            out.extend(current.take());
            continue;
        }
        if in_fence {
            continue;
        }
        let content = trimmed.trim_start_matches('>').trim();
        if content.is_empty() {
            out.extend(current.take());
            continue;
        }
        if let Some(h) = content.strip_prefix('#') {
            out.extend(current.take());
            let text = h
                .trim_start_matches('#')
                .trim()
                .trim_end_matches('#')
                .trim();
            section = (!text.is_empty()).then(|| text.to_owned());
            out.push(RawBlock {
                line: i,
                heading: true,
                raw: text.to_owned(),
                section: section.clone(),
            });
            continue;
        }
        let item = list_item(content);
        match (&mut current, item) {
            (Some(block), None) => {
                block.raw.push('\n');
                block.raw.push_str(content);
            }
            _ => {
                out.extend(current.take());
                current = Some(RawBlock {
                    line: i,
                    heading: false,
                    raw: item.unwrap_or(content).to_owned(),
                    section: section.clone(),
                });
            }
        }
    }
    out.extend(current);
    out
}

/// The text of a list item line (`* x`, `- x`, `+ x`, `1. x`), if it is one.
pub fn list_item(line: &str) -> Option<&str> {
    if let Some(rest) = line
        .strip_prefix("* ")
        .or_else(|| line.strip_prefix("- "))
        .or_else(|| line.strip_prefix("+ "))
    {
        return Some(rest.trim_start());
    }
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    if (1..=3).contains(&digits) {
        let rest = &line[digits..];
        if let Some(r) = rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") ")) {
            return Some(r.trim_start());
        }
    }
    None
}

/// Whether a text talks about the next meetup in so many words.
pub fn mentions_next(lower: &str) -> bool {
    ["next meetup", "next meet-up", "next event", "next session"]
        .iter()
        .any(|p| lower.contains(p))
}

/// The closing blocks of `body`: the last [`CLOSING_BLOCKS`] that have text, plus any earlier
/// one that mentions the next meetup, in order.
pub fn closing_blocks(body: &str) -> Vec<Block> {
    let raw = raw_blocks(body);
    // (kept, in the tail) per block.
    let mut keep = vec![(false, false); raw.len()];
    let mut tail = 0;
    for (i, block) in raw.iter().enumerate().rev() {
        if tail < CLOSING_BLOCKS && has_text(&block.raw) {
            keep[i] = (true, true);
            tail += 1;
        } else if mentions_next(&block.raw.to_ascii_lowercase()) {
            keep[i] = (true, false);
        }
    }
    raw.into_iter()
        .zip(keep)
        .filter(|(_, (k, _))| *k)
        .map(|(b, (_, in_tail))| {
            // One line of text: a newline becomes a space (same length, so link offsets hold).
            let (text, links) = plain(&b.raw.replace('\n', " "));
            Block {
                line: b.line,
                heading: b.heading,
                text,
                links,
                section: b.section,
                tail: in_tail,
            }
        })
        .filter(|b| !b.text.trim().is_empty())
        .collect()
}

/// Whether a raw block is more than an image or an HTML tag.
fn has_text(raw: &str) -> bool {
    !plain(raw).0.trim().is_empty()
}

/// `s` cut to at most `n` bytes, on a character boundary.
fn prefix(s: &str, n: usize) -> &str {
    let mut end = n.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Markdown inline text to plain text and its links: `[text](url)` keeps its text,
/// `![alt](src)` and HTML tags go, `<https://...>` and bare URLs stay and are links too,
/// `<a href="...">text</a>` keeps its text, emphasis markers and escapes go.
pub fn plain(text: &str) -> (String, Vec<Link>) {
    let mut out = String::with_capacity(text.len());
    let mut links = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        let consumed = match bytes[i] {
            b'!' if rest.starts_with("![") => inline_link(&rest[1..]).map(|(_, _, n)| n + 1),
            b'[' => inline_link(rest).map(|(label, url, n)| {
                let (label_text, inner) = plain(label);
                let at = out.len();
                out.push_str(&label_text);
                links.extend(inner.into_iter().map(|l| Link { at: at + l.at, ..l }));
                links.push(Link {
                    label: label_text,
                    url: url.to_owned(),
                    at,
                });
                n
            }),
            b'<' => tag(rest, &mut out, &mut links),
            b'h' if rest.starts_with("https://") || rest.starts_with("http://") => {
                let n = bare_url_len(rest);
                links.push(Link {
                    label: rest[..n].to_owned(),
                    url: rest[..n].to_owned(),
                    at: out.len(),
                });
                out.push_str(&rest[..n]);
                Some(n)
            }
            b'*' | b'`' => Some(1),
            b'~' if rest.starts_with("~~") => Some(2),
            b'_' if is_emphasis_underscore(bytes, i) => Some(1),
            b'\\' if rest.len() > 1 && bytes[i + 1].is_ascii_punctuation() => {
                out.push(bytes[i + 1] as char);
                Some(2)
            }
            b'&' => entity(rest, &mut out),
            _ => None,
        };
        match consumed {
            Some(n) => i += n,
            None => {
                let c = rest.chars().next().unwrap_or(' ');
                out.push(c);
                i += c.len_utf8();
            }
        }
    }
    (out, links)
}

/// `[label](url "title")` at the start of `s`: label, url, bytes consumed.
fn inline_link(s: &str) -> Option<(&str, &str, usize)> {
    // Nested brackets are not followed: stopping at the next `[` keeps a run of them linear.
    let close = s
        .get(1..)?
        .bytes()
        .take(MAX_LABEL)
        .position(|b| b == b']' || b == b'[')
        .filter(|&i| s.as_bytes()[i + 1] == b']')?
        + 1;
    let after = &s[close + 1..];
    let inner = after.strip_prefix('(')?;
    let end = inner.bytes().take(MAX_URL).position(|b| b == b')')?;
    let target = inner[..end].trim();
    let url = target
        .split_whitespace()
        .next()
        .unwrap_or("")
        .trim_start_matches('<')
        .trim_end_matches('>');
    Some((&s[1..close], url, close + 2 + end + 1))
}

fn bare_url_len(s: &str) -> usize {
    let s = prefix(s, MAX_URL);
    let end = s
        .char_indices()
        .find(|(_, c)| c.is_whitespace() || matches!(c, '<' | '>' | '"' | ')' | ']'))
        .map_or(s.len(), |(i, _)| i);
    // Sentence punctuation after a URL is not part of it.
    s[..end]
        .trim_end_matches(['.', ',', '!', '?', ':', ';'])
        .len()
}

/// `<https://...>` autolinks, `<a href="...">` and other tags; returns bytes consumed.
fn tag(s: &str, out: &mut String, links: &mut Vec<Link>) -> Option<usize> {
    let end = s
        .bytes()
        .skip(1)
        .take(MAX_URL)
        .position(|b| b == b'>' || b == b'<')
        .map(|i| i + 1)
        .filter(|&i| s.as_bytes()[i] == b'>')?;
    let inner = &s[1..end];
    if inner.starts_with("https://") || inner.starts_with("http://") {
        links.push(Link {
            label: inner.to_owned(),
            url: inner.to_owned(),
            at: out.len(),
        });
        out.push_str(inner);
        return Some(end + 1);
    }
    let lower = inner.to_ascii_lowercase();
    if !lower.starts_with(|c: char| c.is_ascii_alphabetic() || c == '/' || c == '!') {
        return None;
    }
    if lower.starts_with("a ") {
        if let Some(href) = attribute(inner, "href") {
            let close = prefix(&s[end..], MAX_LABEL)
                .to_ascii_lowercase()
                .find("</a>");
            if let Some(close) = close {
                let (label, _) = plain(&s[end + 1..end + close]);
                links.push(Link {
                    label: label.clone(),
                    url: href.to_owned(),
                    at: out.len(),
                });
                out.push_str(&label);
                return Some(end + close + 4);
            }
        }
    }
    Some(end + 1)
}

/// The value of `name="..."` (or single-quoted) in a tag.
fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let lower = tag.to_ascii_lowercase();
    let at = lower.find(&format!("{name}="))? + name.len() + 1;
    let rest = &tag[at..];
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let rest = &rest[1..];
    rest.find(quote).map(|end| &rest[..end])
}

fn is_emphasis_underscore(bytes: &[u8], i: usize) -> bool {
    let word = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_alphanumeric());
    !(word(i.checked_sub(1).and_then(|j| bytes.get(j))) && word(bytes.get(i + 1)))
}

fn entity(s: &str, out: &mut String) -> Option<usize> {
    for (name, text) in [
        ("&amp;", "&"),
        ("&nbsp;", " "),
        ("&quot;", "\""),
        ("&#39;", "'"),
        ("&lt;", "<"),
        ("&gt;", ">"),
    ] {
        if s.starts_with(name) {
            out.push_str(text);
            return Some(name.len());
        }
    }
    None
}

/// Abbreviations whose full stop does not end a sentence.
const ABBREVIATIONS: [&str; 10] = [
    "st", "dr", "mr", "mrs", "ms", "vs", "e.g", "i.e", "no", "approx",
];

/// The sentences of a plain text, as byte ranges: they end at `.`, `!`, `?` or `…` followed by
/// a space (so URLs, times like 6.30 and "e.g." stay whole).
pub fn sentences(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if !matches!(c, '.' | '!' | '?' | '…') {
            continue;
        }
        let next_is_space = chars.peek().is_none_or(|(_, n)| n.is_whitespace());
        if !next_is_space || (c == '.' && abbreviation_before(&text[start..i])) {
            continue;
        }
        let end = i + c.len_utf8();
        if !text[start..end].trim().is_empty() {
            out.push((start, end));
        }
        start = end;
    }
    if !text[start..].trim().is_empty() {
        out.push((start, text.len()));
    }
    out
}

fn abbreviation_before(text: &str) -> bool {
    let word = text
        .rsplit(|c: char| c.is_whitespace() || c == '(')
        .next()
        .unwrap_or("");
    word.chars().count() == 1 || ABBREVIATIONS.contains(&word.to_ascii_lowercase().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closing_blocks_are_the_last_ones_and_any_next_meetup_paragraph() {
        let mut body = String::from("Intro about the next meetup.\n\n");
        for i in 0..12 {
            body.push_str(&format!("Paragraph {i}.\n\n"));
        }
        body.push_str("## Riverside January\n\nOur next meetup will be on\nWednesday 14th January. [RSVP](https://e.example.org/1)\n\n![photo](/x.jpg)\n\nBye!\n");
        let blocks = closing_blocks(&body);
        let texts: Vec<&str> = blocks.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "Intro about the next meetup.",
                "Paragraph 7.",
                "Paragraph 8.",
                "Paragraph 9.",
                "Paragraph 10.",
                "Paragraph 11.",
                "Riverside January",
                "Our next meetup will be on Wednesday 14th January. RSVP",
                "Bye!"
            ]
        );
        let event = &blocks[7];
        assert_eq!(event.line, 28);
        assert_eq!(event.section.as_deref(), Some("Riverside January"));
        assert_eq!(
            event.links,
            [Link {
                label: "RSVP".into(),
                url: "https://e.example.org/1".into(),
                at: 51
            }]
        );
        assert!(blocks[6].heading);
        assert!(!blocks[0].tail && blocks[1].tail);
    }

    #[test]
    fn list_items_quotes_and_fences_are_blocks_of_their_own() {
        let body = "- one\n- two\n  continued\n> quoted\n\n```\nnext meetup 9 May\n```\n1. first\n";
        let texts: Vec<String> = closing_blocks(body).into_iter().map(|b| b.text).collect();
        assert_eq!(texts, ["one", "two continued quoted", "first"]);
    }

    #[test]
    fn plain_text_keeps_link_texts_and_collects_every_kind_of_link() {
        let (text, links) = plain("**Join** us _on_ 9 May: [RSVP *now*](https://e.example.org/1 \"t\"), <https://x.example.org/a>, <a href=\"https://y.example.org\">tickets</a> or https://z.example.org/e. ![pic](/p.jpg) snake_case &amp; \\*");
        assert_eq!(
            text,
            "Join us on 9 May: RSVP now, https://x.example.org/a, tickets or https://z.example.org/e.  snake_case & *"
        );
        let urls: Vec<(&str, &str)> = links
            .iter()
            .map(|l| (l.label.as_str(), l.url.as_str()))
            .collect();
        assert_eq!(
            urls,
            [
                ("RSVP now", "https://e.example.org/1"),
                ("https://x.example.org/a", "https://x.example.org/a"),
                ("tickets", "https://y.example.org"),
                ("https://z.example.org/e", "https://z.example.org/e"),
            ]
        );
        assert_eq!(&text[links[2].at..links[2].at + 7], "tickets");
    }

    #[test]
    fn unclosed_brackets_stay_text() {
        let (text, links) = plain("[Broken link]https://e.example.org/x) and [ more");
        assert_eq!(text, "[Broken link]https://e.example.org/x) and [ more");
        assert_eq!(links.len(), 1);
    }

    #[test]
    fn sentences_end_at_full_stops_followed_by_space() {
        let text = "Thanks all! See you e.g. at St. Pancras on 9 May at 6.30pm. See https://e.example.org/a.b? Yes";
        let parts: Vec<&str> = sentences(text).iter().map(|&(s, e)| &text[s..e]).collect();
        assert_eq!(
            parts,
            [
                "Thanks all!",
                " See you e.g. at St. Pancras on 9 May at 6.30pm.",
                " See https://e.example.org/a.b?",
                " Yes"
            ]
        );
    }
}
