//! Markdown to HTML (CommonMark + GFM tables, strikethrough, footnotes, task lists, bare-URL
//! autolinks, raw HTML passed through), with every URL made absolute on the way.

use std::borrow::Cow;

use pulldown_cmark::{CowStr, Event, LinkType, Options, Parser, Tag, TagEnd, TextMergeStream};

use crate::urls::{absolutize, UrlBase};
use crate::util::html::{self, Piece};

/// A rendered post body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Rendered {
    /// The whole body as HTML, all URLs absolute.
    pub html: String,
    /// The excerpt (first paragraph, or up to the excerpt separator) as HTML.
    pub excerpt_html: String,
    /// The excerpt as plain text on one line.
    pub excerpt_text: String,
}

/// Renders `body`; `separator` (Jekyll's `excerpt_separator`) ends the excerpt when present in
/// the body, otherwise the excerpt is the first paragraph.
pub fn render_markdown(body: &str, base: &UrlBase<'_>, separator: Option<&str>) -> Rendered {
    let body = kramdown_link_compat(body);
    let events = events(&body, base);
    let html = to_html(&events, base);
    let explicit = separator.and_then(|sep| body.find(sep).map(|at| &body[..at]));
    let excerpt_events = match explicit {
        Some(head) => events_owned(head, base),
        None => first_paragraph(&events).to_vec(),
    };
    Rendered {
        html,
        excerpt_html: to_html(&excerpt_events, base).trim_end().to_owned(),
        excerpt_text: plain_text(&excerpt_events),
    }
}

/// Renders the body of an HTML post (`.html` in the posts folder): the HTML is kept as written,
/// only its URL attributes are made absolute. The excerpt is the text up to `separator`, or
/// else up to the first blank line (Jekyll's default `excerpt_separator`, `"\n\n"`).
pub fn render_html(body: &str, base: &UrlBase<'_>, separator: Option<&str>) -> Rendered {
    let html = rewrite_html(CowStr::from(body), base).into_string();
    let trimmed = html.trim_start();
    let head = separator
        .and_then(|sep| trimmed.find(sep).map(|at| &trimmed[..at]))
        .unwrap_or_else(|| trimmed.split("\n\n").next().unwrap_or(""));
    Rendered {
        excerpt_html: head.trim().to_owned(),
        excerpt_text: html_text(head),
        html,
    }
}

/// The text of an HTML fragment on one line: tags dropped (block-level ones leave a space, as
/// do comments), character references decoded.
fn html_text(html: &str) -> String {
    const INLINE: &[&str] = &[
        "a", "abbr", "b", "code", "del", "em", "i", "ins", "kbd", "mark", "s", "small", "span",
        "strong", "sub", "sup", "u",
    ];
    let mut text = String::with_capacity(html.len());
    for piece in html::pieces(html) {
        match piece {
            Piece::Text(t) => text.push_str(&t),
            Piece::Start { name, .. } | Piece::End(name) if INLINE.contains(&name.as_str()) => {}
            _ => text.push(' '),
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
}

fn events<'a>(body: &'a str, base: &UrlBase<'_>) -> Vec<Event<'a>> {
    let mut out = Vec::new();
    let mut link_depth = 0usize;
    let mut code_depth = 0usize;
    let mut block: Option<Vec<CowStr<'a>>> = None;
    for event in TextMergeStream::new(Parser::new_ext(body, options())) {
        match event {
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                link_depth += 1;
                let dest_url = if link_type == LinkType::Email {
                    dest_url
                } else {
                    absolutize(&dest_url, base).into()
                };
                out.push(Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                }));
            }
            Event::End(TagEnd::Link) => {
                link_depth = link_depth.saturating_sub(1);
                out.push(Event::End(TagEnd::Link));
            }
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => out.push(Event::Start(Tag::Image {
                link_type,
                dest_url: absolutize(&dest_url, base).into(),
                title,
                id,
            })),
            Event::Start(Tag::CodeBlock(kind)) => {
                code_depth += 1;
                out.push(Event::Start(Tag::CodeBlock(kind)));
            }
            Event::End(TagEnd::CodeBlock) => {
                code_depth = code_depth.saturating_sub(1);
                out.push(Event::End(TagEnd::CodeBlock));
            }
            // An HTML block comes a line at a time: it is rewritten whole, so a tag may span
            // lines (and one rewriter serves the block).
            Event::Start(Tag::HtmlBlock) => {
                out.push(Event::Start(Tag::HtmlBlock));
                block = Some(Vec::new());
            }
            Event::Html(html) => match block.as_mut() {
                Some(lines) => lines.push(html),
                None => out.push(Event::Html(rewrite_html(html, base))),
            },
            Event::End(TagEnd::HtmlBlock) => {
                let mut lines = block.take().unwrap_or_default();
                let html = match lines.len() {
                    0 => None,
                    1 => lines.pop(),
                    _ => Some(lines.concat().into()),
                };
                if let Some(html) = html {
                    out.push(Event::Html(rewrite_html(html, base)));
                }
                out.push(Event::End(TagEnd::HtmlBlock));
            }
            Event::InlineHtml(html) => out.push(Event::InlineHtml(rewrite_html(html, base))),
            Event::Text(text) if link_depth == 0 && code_depth == 0 => autolink(text, &mut out),
            other => out.push(other),
        }
    }
    out
}

fn events_owned(body: &str, base: &UrlBase<'_>) -> Vec<Event<'static>> {
    events(body, base)
        .into_iter()
        .map(Event::into_static)
        .collect()
}

fn to_html(events: &[Event<'_>], base: &UrlBase<'_>) -> String {
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events.iter().cloned());
    // Footnote references are written by the renderer as `href="#n"`; outside the post's own
    // page (in a feed or an e-mail) they must point at the page.
    if html.contains("<a href=\"#") {
        html = html.replace("<a href=\"#", &format!("<a href=\"{}#", base.page_url));
    }
    html
}

/// The events of the first top-level paragraph (or the first paragraph anywhere).
fn first_paragraph<'e, 'a>(events: &'e [Event<'a>]) -> &'e [Event<'a>] {
    let mut depth = 0usize;
    let mut fallback = None;
    for (i, event) in events.iter().enumerate() {
        match event {
            Event::Start(Tag::Paragraph) => {
                let end = events[i..]
                    .iter()
                    .position(|e| matches!(e, Event::End(TagEnd::Paragraph)))
                    .map_or(events.len(), |p| i + p + 1);
                if depth == 0 {
                    return &events[i..end];
                }
                fallback.get_or_insert(i..end);
                depth += 1;
            }
            Event::Start(_) => depth += 1,
            Event::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    fallback.map_or(&[], |range| &events[range])
}

/// Text of the events on one line: what an excerpt says without its markup.
fn plain_text(events: &[Event<'_>]) -> String {
    let mut text = String::new();
    for event in events {
        match event {
            Event::Text(t) | Event::Code(t) => text.push_str(t),
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            Event::End(TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item) => text.push(' '),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Turns bare `https://...` and `www.` URLs in text into links, as GitHub does.
fn autolink<'a>(text: CowStr<'a>, out: &mut Vec<Event<'a>>) {
    let mut rest: &str = &text;
    let mut pieces: Vec<Event<'a>> = Vec::new();
    while let Some((start, end)) = find_bare_url(rest) {
        if start > 0 {
            pieces.push(Event::Text(rest[..start].to_owned().into()));
        }
        let shown = &rest[start..end];
        let href = if shown.starts_with("www.") {
            format!("https://{shown}")
        } else {
            shown.to_owned()
        };
        pieces.push(Event::Start(Tag::Link {
            link_type: LinkType::Autolink,
            dest_url: crate::urls::encode_illegal(&href).into(),
            title: "".into(),
            id: "".into(),
        }));
        pieces.push(Event::Text(shown.to_owned().into()));
        pieces.push(Event::End(TagEnd::Link));
        rest = &rest[end..];
    }
    if pieces.is_empty() {
        out.push(Event::Text(text));
        return;
    }
    if !rest.is_empty() {
        pieces.push(Event::Text(rest.to_owned().into()));
    }
    out.extend(pieces);
}

/// Finds the next bare URL in `text`, trimming trailing punctuation the way GFM does.
pub(crate) fn find_bare_url(text: &str) -> Option<(usize, usize)> {
    let mut from = 0;
    loop {
        let candidates = ["https://", "http://", "www."];
        let (start, prefix) = candidates
            .iter()
            .filter_map(|p| text[from..].find(p).map(|i| (from + i, *p)))
            .min_by_key(|(i, _)| *i)?;
        let boundary = text[..start]
            .chars()
            .next_back()
            .is_none_or(|c| c.is_whitespace() || matches!(c, '(' | '*' | '_' | '~'));
        let len = text[start..]
            .find(|c: char| c.is_whitespace() || c == '<')
            .unwrap_or(text.len() - start);
        let mut end = start + len;
        // Trailing punctuation is trimmed, but never into the prefix ("www." alone is no URL).
        while end > start + prefix.len() {
            let candidate = &text[start..end];
            let Some(last) = candidate.chars().next_back() else {
                break;
            };
            let unbalanced_paren =
                last == ')' && candidate.matches('(').count() < candidate.matches(')').count();
            if matches!(
                last,
                '?' | '!' | '.' | ',' | ':' | '*' | '_' | '~' | '\'' | '"' | ';'
            ) || unbalanced_paren
            {
                end -= last.len_utf8();
            } else {
                break;
            }
        }
        let host_part = &text[start + prefix.len()..end];
        if boundary
            && host_part.contains(|c: char| c.is_alphanumeric())
            && (prefix != "www." || host_part.contains('.'))
        {
            return Some((start, end));
        }
        from = start + prefix.len();
    }
}

/// The attributes that hold URLs in raw HTML.
const URL_ATTRIBUTES: &[&str] = &["href", "src", "data", "poster"];

/// Makes the URL attributes ([`URL_ATTRIBUTES`]) of raw HTML absolute and valid; every other
/// byte stays as written.
fn rewrite_html<'a>(html: CowStr<'a>, base: &UrlBase<'_>) -> CowStr<'a> {
    let rewritten =
        html::rewrite_attributes(&html, URL_ATTRIBUTES, |url| Some(absolutize(url, base)));
    if let Cow::Owned(out) = rewritten {
        return out.into();
    }
    html
}

/// kramdown (Jekyll's Markdown) accepts spaces in link destinations:
/// `![x](/images/July meetup.png)`. CommonMark does not, so such destinations are wrapped in
/// `<...>` first. Fenced code blocks and inline code are left alone.
pub fn kramdown_link_compat(body: &str) -> Cow<'_, str> {
    if !body.contains("](") {
        return body.into();
    }
    let mut out = String::with_capacity(body.len() + 16);
    let mut fence: Option<&str> = None;
    for line in body.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let marker = if trimmed.starts_with("```") {
            Some("```")
        } else if trimmed.starts_with("~~~") {
            Some("~~~")
        } else {
            None
        };
        match (fence, marker) {
            (None, Some(m)) => {
                fence = Some(m);
                out.push_str(line);
            }
            (Some(open), Some(m)) if open == m => {
                fence = None;
                out.push_str(line);
            }
            (Some(_), _) => out.push_str(line),
            (None, None) => fix_line(line, &mut out),
        }
    }
    out.into()
}

fn fix_line(line: &str, out: &mut String) {
    let mut rest = line;
    while let Some(i) = rest.find("](") {
        let head = &rest[..i + 2];
        out.push_str(head);
        let in_code = out.rsplit('\n').next().unwrap_or("").matches('`').count() % 2 == 1;
        let after = &rest[i + 2..];
        let Some(close) = matching_paren(after) else {
            rest = after;
            continue;
        };
        let inside = &after[..close];
        if !in_code && !inside.starts_with('<') {
            let (dest, title) = split_title(inside);
            if dest.trim().contains(' ') {
                out.push('<');
                out.push_str(dest.trim());
                out.push('>');
                out.push_str(title);
                rest = &after[close..];
                continue;
            }
        }
        out.push_str(inside);
        rest = &after[close..];
    }
    out.push_str(rest);
}

fn matching_paren(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' if depth == 0 => return Some(i),
            ')' => depth -= 1,
            '\n' => return None,
            _ => {}
        }
    }
    None
}

/// Splits `dest "title"` into destination and ` "title"` (title part keeps its leading space).
fn split_title(inside: &str) -> (&str, &str) {
    let trimmed = inside.trim_end();
    for quote in ['"', '\''] {
        if trimmed.len() > 1 && trimmed.ends_with(quote) {
            if let Some(open) = trimmed[..trimmed.len() - 1].rfind(&format!(" {quote}")) {
                return (&inside[..open], &inside[open..]);
            }
        }
    }
    (inside, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: UrlBase<'static> = UrlBase {
        site_url: "https://example.com",
        baseurl: "",
        page_url: "https://example.com/2024/01/10/recap/",
    };

    fn html(md: &str) -> String {
        render_markdown(md, &BASE, None).html
    }

    #[test]
    fn image_paths_with_spaces_become_valid_absolute_urls() {
        assert_eq!(
            html("![Group photo](/images/Cloud Native London July.png)"),
            "<p><img src=\"https://example.com/images/Cloud%20Native%20London%20July.png\" alt=\"Group photo\" /></p>\n"
        );
        assert_eq!(
            html("[slides](/files/my deck.pdf \"The deck\")"),
            "<p><a href=\"https://example.com/files/my%20deck.pdf\" title=\"The deck\">slides</a></p>\n"
        );
    }

    #[test]
    fn gfm_features_render() {
        let out =
            html("| a | b |\n|---|---|\n| 1 | 2 |\n\n~~old~~ and a note[^1]\n\n[^1]: The note.\n");
        assert!(out.contains("<table>"), "{out}");
        assert!(out.contains("<del>old</del>"), "{out}");
        assert!(out.contains("footnote-definition"), "{out}");
        assert!(
            out.contains("<a href=\"https://example.com/2024/01/10/recap/#1\">1</a>"),
            "{out}"
        );
    }

    #[test]
    fn raw_html_passes_through_with_urls_fixed() {
        let out = html(
            "<div><a href=\"/x?a=1&amp;b=2\">x</a> <img src='//cdn.example.org/p.png'></div>\n",
        );
        assert!(
            out.contains("href=\"https://example.com/x?a=1&amp;b=2\""),
            "{out}"
        );
        assert!(out.contains("src='https://cdn.example.org/p.png'"), "{out}");
        let untouched = html("<p data-x=\"1\" class=\"href\">hi</p>\n");
        assert!(untouched.contains("data-x=\"1\""), "{untouched}");
    }

    #[test]
    fn bare_urls_are_linked_but_not_inside_code_or_links() {
        let out = html("See https://example.org/talk. Or www.example.org, `https://no.example`.");
        assert!(
            out.contains("<a href=\"https://example.org/talk\">https://example.org/talk</a>."),
            "{out}"
        );
        assert!(
            out.contains("<a href=\"https://www.example.org\">www.example.org</a>,"),
            "{out}"
        );
        assert!(out.contains("<code>https://no.example</code>"), "{out}");
        let linked = html("[https://example.org](https://example.org)");
        assert_eq!(linked.matches("<a ").count(), 1, "{linked}");
        // Regression: a bare "www." with nothing after it panicked.
        let bare = html("see www. now, https:// and www.");
        assert!(!bare.contains("<a "), "{bare}");
        let paren = html("(see https://example.org/a_(b))");
        assert!(
            paren.contains("href=\"https://example.org/a_(b)\""),
            "{paren}"
        );
    }

    #[test]
    fn excerpt_is_first_paragraph_or_up_to_separator() {
        let md = "# Heading\n\nFirst *para* with [a link](/a).\n\nSecond.\n";
        let r = render_markdown(md, &BASE, None);
        assert_eq!(
            r.excerpt_html,
            "<p>First <em>para</em> with <a href=\"https://example.com/a\">a link</a>.</p>"
        );
        assert_eq!(r.excerpt_text, "First para with a link.");
        let r = render_markdown(
            "One.\n\nTwo.\n<!--more-->\nThree.",
            &BASE,
            Some("<!--more-->"),
        );
        assert_eq!(r.excerpt_text, "One. Two.");
        assert!(r.html.contains("Three."));
    }

    #[test]
    fn kramdown_compat_leaves_code_alone() {
        let md = "```\n![x](/a b.png)\n```\n`[x](/a b)` and [y](/c d)\n";
        assert_eq!(
            kramdown_link_compat(md),
            "```\n![x](/a b.png)\n```\n`[x](/a b)` and [y](</c d>)\n"
        );
    }

    #[test]
    fn html_bodies_pass_through_with_urls_fixed() {
        let r = render_html(
            "<p>Hello *not md* &amp; <a href=\"/a\">more</a>.</p>\n\n<p>Second.</p>\n",
            &BASE,
            None,
        );
        assert_eq!(
            r.html,
            "<p>Hello *not md* &amp; <a href=\"https://example.com/a\">more</a>.</p>\n\n<p>Second.</p>\n"
        );
        assert_eq!(
            r.excerpt_html,
            "<p>Hello *not md* &amp; <a href=\"https://example.com/a\">more</a>.</p>"
        );
        assert_eq!(r.excerpt_text, "Hello *not md* & more.");
        let r = render_html(
            "<p>A</p>\n<p>B</p><!--more--><p>C</p>",
            &BASE,
            Some("<!--more-->"),
        );
        assert_eq!(r.excerpt_text, "A B");
    }

    #[test]
    fn empty_body_renders_empty() {
        assert_eq!(render_markdown("", &BASE, None), Rendered::default());
    }
}
