//! JSON Feed 1.1 (<https://www.jsonfeed.org/version/1.1/>), small enough for our own structs.

use serde::Serialize;

use super::{FeedDoc, FeedEntry, JSON_FILE};

#[derive(Serialize)]
struct JsonFeed<'a> {
    version: &'static str,
    title: &'a str,
    home_page_url: &'a str,
    feed_url: String,
    description: &'a str,
    language: &'a str,
    authors: Vec<JsonAuthor<'a>>,
    items: Vec<JsonItem<'a>>,
}

#[derive(Serialize)]
struct JsonAuthor<'a> {
    name: &'a str,
}

#[derive(Serialize)]
struct JsonItem<'a> {
    id: &'a str,
    url: &'a str,
    title: &'a str,
    content_html: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    summary: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<&'a str>,
    date_published: String,
    date_modified: String,
    authors: Vec<JsonAuthor<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: &'a Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attachments: Vec<JsonAttachment<'a>>,
}

#[derive(Serialize)]
struct JsonAttachment<'a> {
    url: &'a str,
    mime_type: &'static str,
    title: &'static str,
}

/// Serialises `doc` as JSON Feed 1.1.
pub fn write(doc: &FeedDoc<'_>) -> Vec<u8> {
    let meta = &doc.meta;
    let feed = JsonFeed {
        version: "https://jsonfeed.org/version/1.1",
        title: &meta.title,
        home_page_url: &meta.home_url,
        feed_url: meta.self_url(JSON_FILE),
        description: &meta.description,
        language: &meta.language,
        authors: vec![JsonAuthor {
            name: &meta.author.name,
        }],
        items: doc.entries.iter().map(|e| item(e)).collect(),
    };
    // Serialising plain structs of strings cannot fail.
    let mut out = serde_json::to_vec_pretty(&feed).unwrap_or_default();
    out.push(b'\n');
    out
}

fn item(e: &FeedEntry) -> JsonItem<'_> {
    JsonItem {
        id: &e.id,
        url: &e.url,
        title: &e.title,
        content_html: &e.content_html,
        summary: &e.summary_text,
        image: e.image.as_ref().map(|i| i.url.as_str()),
        date_published: e.published.to_rfc3339(),
        date_modified: e.updated.to_rfc3339(),
        authors: vec![JsonAuthor { name: &e.author }],
        tags: &e.tags,
        attachments: e
            .video_url
            .iter()
            .map(|url| JsonAttachment {
                url,
                mime_type: "text/html",
                title: "Video",
            })
            .collect(),
    }
}
