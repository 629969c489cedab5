//! A post's HTML body, made to fit an e-mail.
//!
//! A post's body is written for a web page: a 1,600 px photo with no size, which a browser
//! shrinks with the site's CSS; a PDF in an `<object>`; a video in an `<iframe>`. An e-mail
//! has no such CSS, many clients drop `<style>`, and none plays embeds. So:
//!
//! - every `<img>` gets an inline `max-width:100%;height:auto`, and a `width` attribute wider
//!   than the column is scaled down (with its `height`, to keep the shape), since Outlook for
//!   Windows ignores `max-width` and sizes images by their attributes alone;
//! - `<object>` tags are dropped and their fallback content (usually a download link) kept;
//! - an `<iframe>` becomes a link to what it shows (a video's watch page);
//! - `<h1>` headings become `<h2>`: the e-mail's own title is its one `h1`.

use crate::urls::video_watch_url;

/// Width of the content column in the shipped templates: 600 px less 24 px padding each side.
pub const COLUMN_WIDTH: u32 = 552;

/// The CSS every image gets, inline.
const FIT: &str = "max-width:100%;height:auto;";

/// `html` made fit for an e-mail whose column is `max_width` pixels wide (see the module
/// documentation). Everything else, including malformed markup, is copied unchanged.
pub fn for_email(html: &str, max_width: u32) -> String {
    let mut out = String::with_capacity(html.len() + 64);
    let mut rest = html;
    while let Some((start, name)) = next_tag(rest) {
        out.push_str(&rest[..start]);
        let tag = &rest[start..];
        let Some(end) = tag_end(tag) else {
            // An unterminated tag: leave the rest as it is.
            rest = tag;
            break;
        };
        rest = &tag[end..];
        match name {
            Tag::Img => out.push_str(&rewrite_img(&tag[..end], max_width)),
            Tag::Object => {}
            Tag::H1 => {
                // `<h1` or `</h1`, then the rest of the tag as written.
                let slash = if tag.as_bytes()[1] == b'/' { "/" } else { "" };
                out.push_str(&format!("<{slash}h2"));
                out.push_str(&tag[slash.len() + 3..end]);
            }
            Tag::Iframe => {
                let inner = &tag[7..end - 1];
                let attrs = attributes(inner);
                // What the frame held is replaced, so its closing tag goes too.
                rest = skip_past_close(rest, "</iframe");
                let src = attr(&attrs, "src").map(|(raw, _)| raw.trim().replace("&amp;", "&"));
                if let Some(src) =
                    src.filter(|s| s.starts_with("https://") || s.starts_with("http://"))
                {
                    let href = video_watch_url(&src);
                    let label = if href == src {
                        "Open the embedded page"
                    } else {
                        "Watch the video"
                    };
                    out.push_str(&format!(
                        "<p><a href=\"{}\">{label}</a></p>",
                        crate::util::escape_html(&href)
                    ));
                }
            }
        }
    }
    out.push_str(rest);
    out
}

/// The tags [`for_email`] changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tag {
    Img,
    /// `<object ...>` or `</object>`.
    Object,
    Iframe,
    /// `<h1 ...>` or `</h1>`.
    H1,
}

/// Byte offset and kind of the next tag to change (names are case-insensitive and must be
/// followed by a separator, so `<imgur>` is not an image).
fn next_tag(html: &str) -> Option<(usize, Tag)> {
    let bytes = html.as_bytes();
    let mut from = 0;
    while let Some(i) = html[from..].find('<').map(|i| from + i) {
        for (name, tag) in [
            ("img", Tag::Img),
            ("object", Tag::Object),
            ("/object", Tag::Object),
            ("iframe", Tag::Iframe),
            ("h1", Tag::H1),
            ("/h1", Tag::H1),
        ] {
            let after = i + 1 + name.len();
            if bytes
                .get(i + 1..after)
                .is_some_and(|n| n.eq_ignore_ascii_case(name.as_bytes()))
                && matches!(
                    bytes.get(after),
                    Some(b' ' | b'\t' | b'\n' | b'\r' | b'/' | b'>')
                )
            {
                return Some((i, tag));
            }
        }
        from = i + 1;
    }
    None
}

/// `html` after the first `close` tag (case-insensitive), or all of it if there is none.
fn skip_past_close<'a>(html: &'a str, close: &str) -> &'a str {
    let lower = html.to_ascii_lowercase();
    match lower.find(close) {
        Some(i) => {
            let tail = &html[i..];
            tail.find('>').map_or(html, |end| &tail[end + 1..])
        }
        None => html,
    }
}

/// Length of the tag at the start of `tag`, up to and including its `>` (quotes respected).
fn tag_end(tag: &str) -> Option<usize> {
    let mut quote = None;
    for (i, c) in tag.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return Some(i + 1),
            _ => {}
        }
    }
    None
}

/// One attribute as written: its name, and its raw value and quote character if it has one.
struct Attr<'a> {
    name: &'a str,
    value: Option<(&'a str, char)>,
}

/// The attributes of `<img ...>` (without `<img` and the closing `>` or `/>`).
fn attributes(inner: &str) -> Vec<Attr<'_>> {
    let mut attrs = Vec::new();
    let mut rest = inner.trim_start_matches(|c: char| c.is_whitespace() || c == '/');
    while !rest.is_empty() {
        let name_end = rest
            .find(|c: char| c.is_whitespace() || c == '=' || c == '/')
            .unwrap_or(rest.len());
        let name = &rest[..name_end];
        rest = rest[name_end..].trim_start();
        let mut value = None;
        if let Some(after) = rest.strip_prefix('=') {
            let after = after.trim_start();
            let (raw, quote, next) = match after.chars().next() {
                Some(q @ ('"' | '\'')) => {
                    let body = &after[1..];
                    let end = body.find(q).unwrap_or(body.len());
                    (&body[..end], q, body.get(end + 1..).unwrap_or(""))
                }
                _ => {
                    let end = after
                        .find(|c: char| c.is_whitespace())
                        .unwrap_or(after.len());
                    (&after[..end], '"', &after[end..])
                }
            };
            value = Some((raw, quote));
            rest = next;
        }
        if !name.is_empty() {
            attrs.push(Attr { name, value });
        }
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '/');
    }
    attrs
}

/// The raw value of attribute `name`.
fn attr<'a>(attrs: &[Attr<'a>], name: &str) -> Option<(&'a str, char)> {
    attrs
        .iter()
        .find(|a| a.name.eq_ignore_ascii_case(name))?
        .value
}

/// A whole-pixel size attribute ("1600" or "1600px"); `None` for percentages and the like.
fn pixels(attrs: &[Attr<'_>], name: &str) -> Option<u32> {
    let (raw, _) = attr(attrs, name)?;
    let raw = raw.trim();
    raw.strip_suffix("px").unwrap_or(raw).parse().ok()
}

fn rewrite_img(tag: &str, max_width: u32) -> String {
    let inner = tag[4..tag.len() - 1].trim_end();
    let attrs = attributes(inner);
    let width = pixels(&attrs, "width");
    let height = pixels(&attrs, "height");
    let size = match (width, height) {
        (Some(w), h) if w > max_width && w > 0 => {
            let scaled = h.map(|h| {
                let h = u64::from(h) * u64::from(max_width) / u64::from(w);
                u32::try_from(h.max(1)).unwrap_or(u32::MAX)
            });
            Some((max_width, scaled))
        }
        _ => None,
    };
    let mut out = String::with_capacity(tag.len() + FIT.len() + 16);
    out.push_str("<img");
    let mut styled = false;
    for attr in &attrs {
        let name = attr.name;
        let value = match (size, name.to_ascii_lowercase().as_str()) {
            (Some((w, _)), "width") => Some((w.to_string(), '"')),
            (Some((_, h)), "height") => match h {
                Some(h) => Some((h.to_string(), '"')),
                None => continue,
            },
            (_, "style") => {
                styled = true;
                let (raw, quote) = attr.value.unwrap_or(("", '"'));
                let raw = raw.trim().trim_end_matches(';');
                let sep = if raw.is_empty() { "" } else { ";" };
                Some((format!("{raw}{sep}{FIT}"), quote))
            }
            _ => attr.value.map(|(raw, q)| (raw.to_owned(), q)),
        };
        out.push(' ');
        out.push_str(name);
        if let Some((value, quote)) = value {
            out.push('=');
            out.push(quote);
            out.push_str(&value);
            out.push(quote);
        }
    }
    if !styled {
        out.push_str(" style=\"");
        out.push_str(FIT);
        out.push('"');
    }
    out.push('>');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_image_gets_an_inline_fit() {
        assert_eq!(
            for_email("<p><img src=\"a.jpg\" alt=\"A\" /></p>", 552),
            "<p><img src=\"a.jpg\" alt=\"A\" style=\"max-width:100%;height:auto;\"></p>"
        );
        assert_eq!(
            for_email("<IMG SRC='a.jpg' style='border:0;'>", 552),
            "<img SRC='a.jpg' style='border:0;max-width:100%;height:auto;'>"
        );
    }

    #[test]
    fn wide_sizes_are_scaled_to_the_column_keeping_the_shape() {
        assert_eq!(
            for_email("<img src=a.jpg width=\"1600\" height=\"1067\">", 552),
            "<img src=\"a.jpg\" width=\"552\" height=\"368\" style=\"max-width:100%;height:auto;\">"
        );
        assert_eq!(
            for_email("<img src=a.jpg width=1600px>", 552),
            "<img src=\"a.jpg\" width=\"552\" style=\"max-width:100%;height:auto;\">"
        );
        // Narrow and relative sizes are kept.
        assert_eq!(
            for_email("<img src=a.jpg width=\"200\" height=\"100\">", 552),
            "<img src=\"a.jpg\" width=\"200\" height=\"100\" style=\"max-width:100%;height:auto;\">"
        );
        assert!(for_email("<img src=a.jpg width=\"100%\">", 552).contains("width=\"100%\""));
    }

    #[test]
    fn objects_keep_their_fallback_and_frames_become_links() {
        assert_eq!(
            for_email(
                "<p>Slides:</p>\n<OBJECT data=\"https://example.com/s.pdf\" width=\"100%\">\n  <a href=\"https://example.com/s.pdf\">Download PDF</a>\n</object>",
                552
            ),
            "<p>Slides:</p>\n\n  <a href=\"https://example.com/s.pdf\">Download PDF</a>\n"
        );
        assert_eq!(
            for_email(
                "<iframe width=\"560\" src=\"https://www.youtube.com/embed/abcdefghijk?start=20\"></iframe><p>after</p>",
                552
            ),
            "<p><a href=\"https://www.youtube.com/watch?v=abcdefghijk&amp;t=20\">Watch the video</a></p><p>after</p>"
        );
        assert_eq!(
            for_email(
                "<iframe src=\"https://maps.example.com/x\">no frames</IFRAME>",
                552
            ),
            "<p><a href=\"https://maps.example.com/x\">Open the embedded page</a></p>"
        );
        // A frame with nothing to link to disappears.
        assert_eq!(for_email("a<iframe srcdoc=\"x\"></iframe>b", 552), "ab");
    }

    #[test]
    fn headings_leave_the_one_h1_to_the_email() {
        assert_eq!(
            for_email("<H1 id=\"a\">Title</H1><h10>x</h10><h2>b</h2>", 552),
            "<h2 id=\"a\">Title</h2><h10>x</h10><h2>b</h2>"
        );
    }

    #[test]
    fn other_markup_and_broken_tags_are_left_alone() {
        for html in [
            "<p>no images</p>",
            "<imgur>x</imgur>",
            "<code>&lt;img src=x&gt;</code>",
            "<img src=\"unterminated",
            "",
        ] {
            assert_eq!(for_email(html, 552), html);
        }
        // A `>` inside a quoted value does not end the tag.
        assert_eq!(
            for_email("<img alt=\"a > b\" src=x>", 552),
            "<img alt=\"a > b\" src=\"x\" style=\"max-width:100%;height:auto;\">"
        );
    }
}
