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
//!
//! The changes are made with lol_html ([`crate::util::html`]): the tags above are rewritten and
//! every other byte is copied as written.

use lol_html::html_content::{ContentType, Element};

use crate::urls::video_watch_url;
use crate::util::html::{self, WrittenAttribute};

/// Width of the content column in the shipped templates: 600 px less 24 px padding each side.
pub const COLUMN_WIDTH: u32 = 552;

/// The CSS every image gets, inline.
const FIT: &str = "max-width:100%;height:auto;";

/// `html` made fit for an e-mail whose column is `max_width` pixels wide (see the module
/// documentation). Everything else, including malformed markup, is copied unchanged; so is
/// all of `html` if the rewriter gives up.
pub fn for_email(html: &str, max_width: u32) -> String {
    let settings = html::on_every_element(html::settings(), |el| {
        match el.tag_name().as_str() {
            "img" => {
                let tag = fit_image(&html::written_attributes(html, el), max_width);
                el.start_tag().replace(&tag, ContentType::Html);
            }
            "object" => el.remove_and_keep_content(),
            // What the frame held is replaced too, up to its end tag.
            "iframe" => el.replace(&frame_link(el), ContentType::Html),
            "h1" => {
                // `<h2`, then the rest of the start tag as written; the end tag follows.
                let rest = html::start_tag_source(html, el).and_then(|tag| tag.get(3..));
                el.set_tag_name("h2")?;
                if let Some(rest) = rest {
                    el.start_tag()
                        .replace(&format!("<h2{rest}"), ContentType::Html);
                }
            }
            _ => {}
        }
        Ok(())
    });
    html::rewrite(html, settings).unwrap_or_else(|| html.to_owned())
}

/// What an `<iframe>` becomes: a link to what it shows (a video's watch page), or nothing.
fn frame_link(el: &Element<'_, '_>) -> String {
    let src = el
        .get_attribute("src")
        .map(|src| html::decode_entities(&src).trim().to_owned());
    let Some(src) = src.filter(|s| s.starts_with("https://") || s.starts_with("http://")) else {
        return String::new();
    };
    let href = video_watch_url(&src);
    let label = if href == src {
        "Open the embedded page"
    } else {
        "Watch the video"
    };
    format!(
        "<p><a href=\"{}\">{label}</a></p>",
        crate::util::escape_html(&href)
    )
}

/// The raw value of attribute `name`.
fn attr<'a>(attrs: &'a [WrittenAttribute], name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|a| a.name.eq_ignore_ascii_case(name))?
        .value
        .as_deref()
}

/// A whole-pixel size attribute ("1600" or "1600px"); `None` for percentages and the like.
fn pixels(attrs: &[WrittenAttribute], name: &str) -> Option<u32> {
    let raw = attr(attrs, name)?.trim();
    raw.strip_suffix("px").unwrap_or(raw).parse().ok()
}

/// The `<img>` tag with these attributes, fitted to `max_width`: values keep their quotes
/// (unquoted ones get double quotes), a too-wide size is scaled, the fit goes into `style`.
fn fit_image(attrs: &[WrittenAttribute], max_width: u32) -> String {
    let width = pixels(attrs, "width");
    let height = pixels(attrs, "height");
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
    let mut out = String::with_capacity(64 + FIT.len());
    out.push_str("<img");
    let mut styled = false;
    for attr in attrs {
        let name = attr.name.as_str();
        let quote = attr.quote.unwrap_or('"');
        let value = match (size, name.to_ascii_lowercase().as_str()) {
            (Some((w, _)), "width") => Some((w.to_string(), '"')),
            (Some((_, h)), "height") => match h {
                Some(h) => Some((h.to_string(), '"')),
                None => continue,
            },
            (_, "style") => {
                styled = true;
                let raw = attr.value.as_deref().unwrap_or("");
                let raw = raw.trim().trim_end_matches(';');
                let sep = if raw.is_empty() { "" } else { ";" };
                Some((format!("{raw}{sep}{FIT}"), quote))
            }
            // An unquoted value cannot hold a quote; written inside quotes, it must not end them.
            _ if attr.quote.is_none() => attr
                .value
                .as_ref()
                .map(|v| (v.replace('"', "&quot;"), quote)),
            _ => attr.value.clone().map(|v| (v, quote)),
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
        // Empty and valueless attributes, and markup in comments and frames, as a browser
        // reads them.
        assert_eq!(
            for_email("<img alt=\"\" hidden src='a&amp;b.png'/>", 552),
            "<img alt=\"\" hidden src='a&amp;b.png' style=\"max-width:100%;height:auto;\">"
        );
        assert_eq!(
            for_email("<!-- <img src=x> --><h1 >T</h1 >", 552),
            "<!-- <img src=x> --><h2 >T</h2>"
        );
        assert_eq!(
            for_email(
                "<iframe src=\"https://e.example/?a=1&amp;b=2\"><img src=x></iframe>",
                552
            ),
            "<p><a href=\"https://e.example/?a=1&amp;b=2\">Open the embedded page</a></p>"
        );
        // A `>` inside a quoted value does not end the tag.
        assert_eq!(
            for_email("<img alt=\"a > b\" src=x>", 552),
            "<img alt=\"a > b\" src=\"x\" style=\"max-width:100%;height:auto;\">"
        );
    }
}
