//! One post as a feed entry: the format-independent facts every feed needs.

use chrono::{DateTime, FixedOffset};

use crate::config::Config;
use crate::content::{Post, Rendered};
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
    pub fn new(post: &Post, rendered: &Rendered, config: &Config) -> Self {
        let video_url = post.video.as_deref().map(video_watch_url);
        let mut content_html = rendered.html.clone();
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
        FeedEntry {
            id: post.id.clone().unwrap_or_else(|| tag_uri(post, config)),
            url: post.url.clone(),
            title: post.title.clone(),
            published: post.date,
            updated: post.updated.unwrap_or(post.date).max(post.date),
            summary_html,
            summary_text,
            content_html,
            image: post.image.as_ref().map(|url| FeedImage {
                url: url.clone(),
                mime: mime_type_for(url),
            }),
            video_url,
            tags: post.tags.clone(),
            author: post
                .author
                .clone()
                .unwrap_or_else(|| config.site.author.name.clone()),
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

/// The image MIME type for a URL's file extension, if it is a known image type.
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
