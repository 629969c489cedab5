//! HTML helpers shared by the feeds, the e-mails, the recap reader and the daemon's pages:
//! escaping, character references, and reading and rewriting HTML with lol_html.
//!
//! Raw HTML reaches crier inside Markdown (HTML blocks and inline tags), as whole `.html`
//! posts, and as rendered bodies on their way into e-mails. lol_html (Cloudflare's streaming
//! rewriter) tokenizes it the way a browser does and passes every byte no handler touches
//! through exactly as written, so feeds and e-mails stay byte-identical where nothing needed
//! changing, and memory stays flat. (A tree builder such as html5ever would parse the fragment
//! into a DOM and serialise it again, rewriting quotes, whitespace and entities everywhere.)
//!
//! Every rewriter here runs with [`settings`]: bounded memory, no ESI, no charset switching,
//! no strict-mode bail-outs. When lol_html gives up anyway, the callers keep their input as it
//! was; nothing here panics.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::ops::Range;
use std::rc::Rc;
use std::sync::LazyLock;

use lol_html::html_content::{Comment, ContentType, Doctype, Element, EndTag, TextChunk, TextType};
use lol_html::{
    AsciiCompatibleEncoding, DocumentContentHandlers, ElementContentHandlers, HandlerResult,
    HtmlRewriter, MemorySettings, Selector, Settings,
};

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Named character references crier decodes (the ones posts and Markdown renderers write).
/// A no-break space reads as a plain space: crier reads text, it does not lay it out.
const NAMED: &[(&str, &str)] = &[
    ("amp", "&"),
    ("lt", "<"),
    ("gt", ">"),
    ("quot", "\""),
    ("apos", "'"),
    ("nbsp", " "),
    ("hellip", "…"),
    ("mdash", "—"),
    ("ndash", "–"),
    ("lsquo", "‘"),
    ("rsquo", "’"),
    ("ldquo", "“"),
    ("rdquo", "”"),
];

/// `text` with character references decoded: the names in [`NAMED`] and every numeric one
/// (`&#39;`, `&#x27;`; an invalid code point becomes U+FFFD). Anything else stays as written.
pub fn decode_entities(text: &str) -> Cow<'_, str> {
    if !text.contains('&') {
        return text.into();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at + 1..];
        let reference = tail
            .find(';')
            .filter(|&end| end > 0 && end <= 10)
            .and_then(|end| Some((decode_reference(&tail[..end])?, end)));
        match reference {
            Some((decoded, end)) => {
                out.push_str(&decoded);
                rest = &tail[end + 1..];
            }
            None => {
                out.push('&');
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    out.into()
}

/// The text of one reference, between `&` and `;`.
fn decode_reference(name: &str) -> Option<Cow<'static, str>> {
    if let Some(number) = name.strip_prefix('#') {
        let code = match number.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => number.parse().ok()?,
        };
        let c = char::from_u32(code)
            .filter(|&c| c != '\0')
            .unwrap_or('\u{FFFD}');
        return Some(c.to_string().into());
    }
    NAMED
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| Cow::Borrowed(*text))
}

/// The most memory one rewriter may use: lol_html holds back only an unfinished tag or
/// comment at the end of its input, so this bounds what hostile markup (an attribute value
/// that never closes) can cost. A post is at most 2 MiB ([`crate::config::limits`]).
pub const REWRITER_MEMORY: usize = 4 * 1024 * 1024;

/// The selector matching every element.
static ANY_ELEMENT: LazyLock<Option<Selector>> = LazyLock::new(|| "*".parse().ok());

/// The settings every rewriter starts from: UTF-8 in and out, bounded memory, and none of
/// lol_html's CDN features (ESI tags, charset switching on `<meta>`, bailing out of markup a
/// browser could read two ways: crier only reads and rewrites attributes).
pub fn settings<'h>() -> Settings<'h, 'static> {
    Settings::new()
        .with_encoding(AsciiCompatibleEncoding::utf_8())
        .with_adjust_charset_on_meta_tag(false)
        .with_enable_esi_tags(false)
        .with_strict(false)
        .with_memory_settings(
            MemorySettings::new()
                .with_preallocated_parsing_buffer_size(256)
                .with_max_allowed_memory_usage(REWRITER_MEMORY),
        )
}

/// `settings` with `handler` called on every element.
pub fn on_every_element<'h>(
    settings: Settings<'h, 'static>,
    handler: impl FnMut(&mut Element<'_, '_>) -> HandlerResult + 'h,
) -> Settings<'h, 'static> {
    match ANY_ELEMENT.as_ref() {
        Some(any) => settings.append_element_content_handler((
            Cow::Borrowed(any),
            ElementContentHandlers::default().element(handler),
        )),
        None => settings,
    }
}

/// Runs a rewriter with `settings` over `html`; `None` when lol_html gave up (memory limit,
/// a handler's error).
pub fn rewrite(html: &str, settings: Settings<'_, '_>) -> Option<String> {
    let mut out = Vec::with_capacity(html.len() + 64);
    let mut rewriter = HtmlRewriter::new(settings, |chunk: &[u8]| out.extend_from_slice(chunk));
    rewriter.write(html.as_bytes()).ok()?;
    rewriter.end().ok()?;
    String::from_utf8(out).ok()
}

/// The markup of `element`'s start tag as written in `html` (the document the rewriter reads).
pub fn start_tag_source<'a>(html: &'a str, element: &Element<'_, '_>) -> Option<&'a str> {
    html.get(element.source_location().bytes())
}

/// The markup of `end` as written in `html`.
pub fn end_tag_source<'a>(html: &'a str, end: &EndTag<'_>) -> Option<&'a str> {
    html.get(end.source_location().bytes())
}

/// One attribute of a start tag as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenAttribute {
    /// Its name, in the case it was written in.
    pub name: String,
    /// Its value as written (character references not decoded), if it has one.
    pub value: Option<String>,
    /// The quote around the value, if it was quoted.
    pub quote: Option<char>,
    /// Where the value is in the document, without its quotes.
    pub at: Option<Range<usize>>,
}

/// The attributes of `element` as written in `html` (the document the rewriter reads).
pub fn written_attributes(html: &str, element: &Element<'_, '_>) -> Vec<WrittenAttribute> {
    element
        .attributes()
        .iter()
        .map(|attr| {
            let at = attr.value_source_location().map(|l| l.bytes());
            let quote = at
                .as_ref()
                .and_then(|at| html.as_bytes().get(at.start.checked_sub(1)?))
                .map(|&b| b as char)
                .filter(|c| matches!(c, '"' | '\''));
            WrittenAttribute {
                name: attr.name_preserve_case(),
                value: at.is_some().then(|| attr.value()),
                quote,
                at,
            }
        })
        .collect()
}

/// `value` written as an attribute value inside `quote` (or unquoted, when that is safe).
/// Returns the markup that follows the `=`.
pub fn attribute_value(value: &str, quote: Option<char>) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    let quote = match quote {
        None if !value.is_empty()
            && !value.contains(|c: char| {
                c.is_ascii_whitespace() || matches!(c, '"' | '\'' | '=' | '<' | '>' | '`')
            }) =>
        {
            None
        }
        None => Some('"'),
        quote => quote,
    };
    out.extend(quote);
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' if quote == Some('"') => out.push_str("&quot;"),
            '\'' if quote == Some('\'') => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out.extend(quote);
    out
}

/// Whether `haystack` contains `needle` (ASCII, case-insensitive).
fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    haystack
        .as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// `html` with the values of the attributes called `names` (lower case) changed by `change`,
/// which gets a value with its character references decoded and returns the new value, or
/// `None` to keep it. A value is written back escaped, within its own quotes (an unquoted
/// value gets double quotes only when it needs them); every other byte stays as written.
/// Returns `html` itself when nothing changed, when no attribute can match (no `=`, or none
/// of the names), and when lol_html gives up.
pub fn rewrite_attributes<'a>(
    html: &'a str,
    names: &[&str],
    mut change: impl FnMut(&str) -> Option<String>,
) -> Cow<'a, str> {
    if !html.contains('=') || !names.iter().any(|n| contains_ignore_case(html, n)) {
        return html.into();
    }
    let changed = Cell::new(false);
    let settings = on_every_element(settings(), |el| {
        let mut edits: Vec<(Range<usize>, String)> = Vec::new();
        for attr in el.attributes() {
            let Some(at) = attr.value_source_location().map(|l| l.bytes()) else {
                continue;
            };
            if !names.contains(&attr.name().as_str()) {
                continue;
            }
            let written = attr.value();
            let decoded = decode_entities(&written);
            let new = change(&decoded);
            let quote = html
                .as_bytes()
                .get(at.start.wrapping_sub(1))
                .map(|&b| b as char)
                .filter(|c| matches!(c, '"' | '\''));
            let markup = attribute_value(new.as_deref().unwrap_or(&decoded), quote);
            let unchanged = match quote {
                Some(_) => markup.get(1..markup.len() - 1) == Some(written.as_str()),
                None => markup == written,
            };
            if !unchanged {
                // Quoted values are replaced inside their quotes; unquoted ones whole.
                let inner = match quote {
                    Some(_) => markup[1..markup.len() - 1].to_owned(),
                    None => markup,
                };
                edits.push((at, inner));
            }
        }
        if edits.is_empty() {
            return Ok(());
        }
        let tag = el.source_location().bytes();
        let Some(source) = html.get(tag.clone()) else {
            return Ok(());
        };
        let mut out = String::with_capacity(source.len() + 32);
        let mut last = 0;
        for (at, value) in edits {
            let (Some(start), Some(end)) = (
                at.start.checked_sub(tag.start),
                at.end.checked_sub(tag.start),
            ) else {
                return Ok(());
            };
            let Some(before) = source.get(last..start) else {
                return Ok(());
            };
            out.push_str(before);
            out.push_str(&value);
            last = end;
        }
        out.push_str(source.get(last..).unwrap_or(""));
        el.start_tag().replace(&out, ContentType::Html);
        changed.set(true);
        Ok(())
    });
    match rewrite(html, settings) {
        Some(out) if changed.get() => out.into(),
        _ => html.into(),
    }
}

/// What a reader of HTML meets, in document order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Text as it reads, character references decoded. The text of `<script>` and `<style>`
    /// is left out.
    Text(String),
    /// A start tag: its name in lower case, and its `href` (decoded) if it has one.
    Start {
        /// The tag name, lower case.
        name: String,
        /// Its `href` attribute, decoded.
        href: Option<String>,
    },
    /// An end tag, its name in lower case. (An end tag with no start tag is not seen.)
    End(String),
    /// A comment or a doctype: something between words.
    Other,
}

/// Reads HTML that comes in fragments (the raw HTML of a Markdown document, in order) as
/// [`Piece`]s: one lol_html tokenizer over all of them, so a link opened in one fragment can
/// be closed in another.
pub struct HtmlReader {
    rewriter: Option<Reading>,
    state: Rc<RefCell<ReadState>>,
}

/// A rewriter whose handlers only take notes: its output is dropped.
type Reading = HtmlRewriter<'static, fn(&[u8])>;

#[derive(Default)]
struct ReadState {
    pieces: Vec<Piece>,
    /// Text not yet decoded: a text node can come in several chunks.
    text: String,
}

impl ReadState {
    fn flush_text(&mut self) {
        if !self.text.is_empty() {
            let text = decode_entities(&self.text).into_owned();
            self.text.clear();
            self.pieces.push(Piece::Text(text));
        }
    }

    fn push(&mut self, piece: Piece) {
        self.flush_text();
        self.pieces.push(piece);
    }
}

impl Default for HtmlReader {
    fn default() -> Self {
        Self::new()
    }
}

impl HtmlReader {
    /// A reader at the start of a document.
    pub fn new() -> HtmlReader {
        HtmlReader {
            rewriter: None,
            state: Rc::default(),
        }
    }

    fn start(state: &Rc<RefCell<ReadState>>) -> Reading {
        let on_element = Rc::clone(state);
        let on_text = Rc::clone(state);
        let on_comment = Rc::clone(state);
        let on_doctype = Rc::clone(state);
        let settings = on_every_element(settings(), move |el| {
            let name = el.tag_name();
            let href = el
                .get_attribute("href")
                .map(|h| decode_entities(&h).into_owned());
            on_element.borrow_mut().push(Piece::Start {
                name: name.clone(),
                href,
            });
            if el.can_have_content() {
                let on_end = Rc::clone(&on_element);
                el.on_end_tag(Box::new(move |_: &mut EndTag<'_>| {
                    on_end.borrow_mut().push(Piece::End(name.clone()));
                    Ok(())
                }))?;
            }
            Ok(())
        })
        .append_document_content_handler(
            DocumentContentHandlers::default()
                .text(move |chunk: &mut TextChunk<'_>| {
                    if !matches!(chunk.text_type(), TextType::RawText | TextType::ScriptData) {
                        let mut state = on_text.borrow_mut();
                        state.text.push_str(chunk.as_str());
                        if chunk.last_in_text_node() {
                            state.flush_text();
                        }
                    }
                    Ok(())
                })
                .comments(move |_: &mut Comment<'_>| {
                    on_comment.borrow_mut().push(Piece::Other);
                    Ok(())
                })
                .doctype(move |_: &mut Doctype<'_>| {
                    on_doctype.borrow_mut().push(Piece::Other);
                    Ok(())
                }),
        );
        HtmlRewriter::new(settings, (|_| {}) as fn(&[u8]))
    }

    /// Reads the next fragment and returns what it held. When lol_html gives up (the memory
    /// limit), the fragment's remaining pieces are dropped and the next fragment starts
    /// afresh.
    pub fn read(&mut self, html: &str) -> Vec<Piece> {
        let rewriter = self
            .rewriter
            .get_or_insert_with(|| HtmlReader::start(&self.state));
        if rewriter.write(html.as_bytes()).is_err() {
            self.rewriter = None;
        }
        self.take()
    }

    /// Ends the document and returns what was still held back (an unfinished tag is dropped).
    pub fn end(mut self) -> Vec<Piece> {
        if let Some(rewriter) = self.rewriter.take() {
            let _ = rewriter.end();
        }
        self.take()
    }

    fn take(&mut self) -> Vec<Piece> {
        let mut state = self.state.borrow_mut();
        state.flush_text();
        std::mem::take(&mut state.pieces)
    }
}

/// The pieces of one whole HTML fragment.
pub fn pieces(html: &str) -> Vec<Piece> {
    let mut reader = HtmlReader::new();
    let mut out = reader.read(html);
    out.extend(reader.end());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escaping() {
        assert_eq!(escape_html("<a & \"b\">"), "&lt;a &amp; &quot;b&quot;&gt;");
    }

    #[test]
    fn references_are_decoded_and_others_kept() {
        assert_eq!(
            decode_entities("a&amp;b &lt;&#39;&#x27;&nbsp;&rsquo; &copy; & &amp;lt; &#0; &;"),
            "a&b <'' ’ &copy; & &lt; \u{FFFD} &;"
        );
        assert!(matches!(decode_entities("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn attribute_values_keep_their_quotes_and_escape_what_they_must() {
        assert_eq!(attribute_value("a&b", Some('\'')), "'a&amp;b'");
        assert_eq!(attribute_value("it's", Some('\'')), "'it&#39;s'");
        assert_eq!(attribute_value("/x", None), "/x");
        assert_eq!(attribute_value("a b", None), "\"a b\"");
        assert_eq!(attribute_value("", None), "\"\"");
    }

    #[test]
    fn rewriting_attributes_changes_only_their_values() {
        let up = |v: &str| Some(v.to_uppercase());
        let html = "<p  class=x>t</p><A\n HREF='/a?b&amp;c'  data-x=\"1\" >x</A><img src=/i.png/>";
        assert_eq!(
            rewrite_attributes(html, &["href", "src"], up),
            "<p  class=x>t</p><A\n HREF='/A?B&amp;C'  data-x=\"1\" >x</A><img src=/I.PNG/>"
        );
        let same = |_: &str| None;
        assert!(matches!(
            rewrite_attributes("<a href=\"/x\">", &["href"], same),
            Cow::Borrowed(_)
        ));
        // Text, comments and script are not markup.
        for html in [
            "href=\"/x\" in text",
            "<!-- <a href=\"/x\"> -->",
            "<script>x = '<a href=\"/x\">'</script>",
        ] {
            assert_eq!(rewrite_attributes(html, &["href"], up), html);
        }
        // A raw `&` in a value is escaped, as a value must be.
        assert_eq!(
            rewrite_attributes("<a href=\"/x?a=1&b=2\">", &["href"], same),
            "<a href=\"/x?a=1&amp;b=2\">"
        );
    }

    #[test]
    fn hostile_markup_costs_bounded_memory_and_comes_back_as_it_was() {
        // A value that never closes comes back as it was.
        let open = format!("<p>a</p><a href=\"/{}", "x".repeat(1 << 20));
        let up = |v: &str| Some(v.to_uppercase());
        assert!(matches!(
            rewrite_attributes(&open, &["href"], up),
            Cow::Borrowed(_)
        ));
        assert!(rewrite(&open, settings()).as_deref() == Some(open.as_str()));
        // Across fragments lol_html holds the unfinished tag back, up to its limit; then it
        // gives up on that tag and the next fragment starts afresh.
        let mut reader = HtmlReader::new();
        assert_eq!(reader.read("<p>a</p><a href=\"/").len(), 3);
        let long = "x".repeat(1 << 20);
        let limit = REWRITER_MEMORY >> 20;
        let restarted = (0..limit + 4).position(|_| !reader.read(&long).is_empty());
        assert!(
            restarted.is_some_and(|at| at >= limit - 1 && at <= limit + 1),
            "{restarted:?}"
        );
        assert_eq!(
            reader.read("<b>"),
            vec![Piece::Start {
                name: "b".into(),
                href: None
            }]
        );
        // Open elements count against the same limit: 100,000 nested `<div>`s are read up
        // to it, and the rest is dropped.
        let deep = pieces(&"<div>".repeat(100_000)).len();
        assert!((10_000..100_000).contains(&deep), "{deep}");
    }

    #[test]
    fn pieces_come_in_document_order() {
        assert_eq!(
            pieces("<p>A &amp; <a href=\"/x?a&amp;b\">B</a><br><!-- c --><script>no</script></p>"),
            vec![
                Piece::Start {
                    name: "p".into(),
                    href: None
                },
                Piece::Text("A & ".into()),
                Piece::Start {
                    name: "a".into(),
                    href: Some("/x?a&b".into())
                },
                Piece::Text("B".into()),
                Piece::End("a".into()),
                Piece::Start {
                    name: "br".into(),
                    href: None
                },
                Piece::Other,
                Piece::Start {
                    name: "script".into(),
                    href: None
                },
                Piece::End("script".into()),
                Piece::End("p".into()),
            ]
        );
    }

    #[test]
    fn a_reader_reads_fragments_as_one_document() {
        let mut reader = HtmlReader::new();
        assert_eq!(
            reader.read("<a href=\"/x\">"),
            vec![Piece::Start {
                name: "a".into(),
                href: Some("/x".into())
            }]
        );
        assert_eq!(reader.read("text\n"), vec![Piece::Text("text\n".into())]);
        assert_eq!(reader.read("</a>"), vec![Piece::End("a".into())]);
        assert_eq!(reader.read("<b"), vec![]);
        assert_eq!(reader.end(), vec![]);
    }
}
