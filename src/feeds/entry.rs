//! One post as a feed entry: the format-independent facts every feed needs.

use chrono::{DateTime, FixedOffset};

use crate::config::{Config, EntryIds};
use crate::content::{xml_chars, Post, Rendered};
use crate::urls::{encode_illegal, video_watch_url};
use crate::util::escape_html;

/// A post's image with its media type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedImage {
    /// Absolute URL.
    pub url: String,
    /// MIME type from the extension, when it is a known image type.
    pub mime: Option<&'static str>,
}

/// Everything the three formats say about one post.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedEntry {
    /// Stable identifier (a `tag:` URI unless the post sets `id:`).
    pub id: String,
    /// Absolute permalink.
    pub url: String,
    /// Title (plain text).
    pub title: String,
    /// Publication date.
    pub published: DateTime<FixedOffset>,
    /// Last update (the publication date unless the post says otherwise).
    pub updated: DateTime<FixedOffset>,
    /// Summary as HTML: the description (escaped) or the excerpt.
    pub summary_html: String,
    /// Summary as plain text.
    pub summary_text: String,
    /// The full post as HTML, plus a link to the video when there is one.
    pub content_html: String,
    /// The post's image.
    pub image: Option<FeedImage>,
    /// The page where the post's video can be watched.
    pub video_url: Option<String>,
    /// Tags, as written.
    pub tags: Vec<String>,
    /// Author name.
    pub author: String,
}

impl FeedEntry {
    /// Combines a post's front matter and its rendered body.
    ///
    /// The content is never empty (JSON Feed needs `content_html` or `content_text`, and
    /// readers show nothing for an empty one): a post with no body gets its description, or
    /// else a link to it. A post image with no known image type (see [`mime_type_for`]) gets
    /// no enclosure or `media:content`, which need a type, and is shown at the top of the
    /// content instead, unless the body already shows it.
    pub fn new(post: &Post, rendered: &Rendered, config: &Config) -> Self {
        let video_url = post.video.as_deref().map(video_watch_url);
        let image = post.image.as_ref().map(|url| FeedImage {
            url: url.clone(),
            mime: mime_type_for(url),
        });
        let mut content_html = String::new();
        if let Some(image) = image.as_ref().filter(|i| i.mime.is_none()) {
            if !rendered.html.contains(&escape_html(&image.url)) {
                content_html.push_str(&format!(
                    "<p><img src=\"{}\" alt=\"\"></p>\n",
                    escape_html(&image.url)
                ));
            }
        }
        content_html.push_str(&rendered.html);
        if rendered.html.trim().is_empty() {
            match &post.description {
                Some(d) => content_html.push_str(&format!("<p>{}</p>\n", escape_html(d))),
                None => content_html.push_str(&format!(
                    "<p><a href=\"{}\">{}</a></p>\n",
                    escape_html(&post.url),
                    escape_html(&post.title)
                )),
            }
        }
        if let Some(watch) = &video_url {
            content_html.push_str(&format!(
                "<p><a href=\"{}\">Watch the video</a></p>\n",
                escape_html(watch)
            ));
        }
        let (summary_html, summary_text) = match &post.description {
            Some(d) => (escape_html(d), d.clone()),
            None => (rendered.excerpt_html.clone(), rendered.excerpt_text.clone()),
        };
        let id = match config.feeds.ids {
            EntryIds::Tag => post.id.clone().unwrap_or_else(|| tag_uri(post, config)),
            EntryIds::JekyllFeed => jekyll_feed_id(post, config),
        };
        // Loading removed what XML forbids from the file; this keeps it out of feeds whatever
        // the source.
        let xml = |s: &str| xml_chars::strip(s).into_owned();
        FeedEntry {
            id,
            url: post.url.clone(),
            title: xml(&post.title),
            published: post.date,
            updated: post.updated.unwrap_or(post.date).max(post.date),
            summary_html: xml(&summary_html),
            summary_text: xml(&summary_text),
            content_html: xml(&content_html),
            image,
            video_url,
            tags: post.tags.iter().map(|t| xml(t)).collect(),
            author: xml(post.author.as_deref().unwrap_or(&config.site.author.name)),
        }
    }
}

/// `tag:example.com,2019-12-10:december-recap` (RFC 4151): built from what never changes when
/// a post is edited, its permalink pattern changes, or the site moves to https.
fn tag_uri(post: &Post, config: &Config) -> String {
    format!(
        "tag:{},{}:{}",
        config.site.host(),
        post.date.format("%Y-%m-%d"),
        encode_illegal(&post.file_slug)
    )
}

/// The id jekyll-feed 0.17 gives a post: `{{ post.id | absolute_url }}`. Jekyll's `post.id`
/// is `File.join(File.dirname(url), slug)`: the permalink's folder (Ruby's `dirname`, which
/// ignores a trailing `/`) joined with the post's slug (`slug:` or the file name's). So
/// `/2019/12/10/december-recap/` and `/2019/12/10/december-recap.html` both give
/// `/2019/12/10/december-recap`. `absolute_url` puts `site.url` and `baseurl` in front.
pub fn jekyll_feed_id(post: &Post, config: &Config) -> String {
    let path = post.path.trim_end_matches('/');
    let folder = match path.rfind('/') {
        Some(i) => path[..i].trim_end_matches('/'),
        None => "",
    };
    // Jekyll removes trailing dots from a file name's slug.
    let slug = post.slug.trim_end_matches('.');
    encode_illegal(&format!(
        "{}{}{folder}/{slug}",
        config.site.url, config.site.baseurl
    ))
}

/// The image MIME type for a URL's file extension, if it is a known image type.
///
/// Nothing is fetched (no HEAD request): a URL without one of these extensions (an image CDN's
/// `https://images.example.org/photo/abc123`) has no known type, so the feeds give it no
/// enclosure or `media:content` (both need a type) and show it in the content instead.
pub fn mime_type_for(url: &str) -> Option<&'static str> {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let ext = path.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "jpg" | "jpeg" | "jpe" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        "avif" => "image/avif",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mime_types_from_extensions() {
        assert_eq!(mime_type_for("https://x/a.JPG"), Some("image/jpeg"));
        assert_eq!(mime_type_for("https://x/a.png?v=2"), Some("image/png"));
        assert_eq!(mime_type_for("https://x/a"), None);
        assert_eq!(mime_type_for("https://x/a.tiff"), None);
    }
}
