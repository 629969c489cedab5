//! The archive's Atom feed (`archive/feed.xml`): one entry per digest that went out, newest
//! first, for people who would rather follow the newsletter in a feed reader.

use atom_syndication::{Content, Entry, Feed, Generator, Link, Person, Text, WriteConfig};
use chrono::{DateTime, FixedOffset, Utc};
use serde_json::Value;

use super::{archive_url, Page, FEED_FILE};
use crate::config::Config;
use crate::util::escape_html;

/// The feed of `pages` (oldest first, as [`super::pages`] returns them). `pages` is not
/// empty: an archive with nothing in it is not written.
pub fn atom(config: &Config, pages: &[Page]) -> Vec<u8> {
    let self_url = format!("{}{FEED_FILE}", archive_url(config));
    let updated = pages.iter().map(|p| p.at).max().map_or_else(
        || DateTime::<Utc>::UNIX_EPOCH.fixed_offset(),
        |t| t.fixed_offset(),
    );
    let author = &config.site.author;
    let feed = Feed {
        title: Text::plain(format!("{}: newsletter archive", config.site.title)),
        subtitle: Some(Text::plain(format!(
            "Every newsletter {} has sent.",
            config.site.title
        ))),
        id: self_url.clone(),
        updated,
        authors: vec![Person {
            name: author.name.clone(),
            email: author.email.clone(),
            ..Person::default()
        }],
        links: vec![
            link(&self_url, "self", "application/atom+xml"),
            link(&archive_url(config), "alternate", "text/html"),
        ],
        generator: Some(Generator {
            value: "crier".to_owned(),
            uri: None,
            version: Some(env!("CARGO_PKG_VERSION").to_owned()),
        }),
        lang: Some(config.site.language.clone()),
        entries: pages.iter().rev().map(|p| entry(config, p)).collect(),
        ..Feed::default()
    };
    let options = WriteConfig {
        write_document_declaration: true,
        indent_size: Some(2),
    };
    // Writing into a Vec cannot fail; an error here would be a bug in atom_syndication.
    let mut out = feed
        .write_with_config(Vec::new(), options)
        .unwrap_or_default();
    out.push(b'\n');
    out
}

fn entry(config: &Config, page: &Page) -> Entry {
    let at: DateTime<FixedOffset> = page.at.fixed_offset();
    Entry {
        title: Text::plain(page.title.clone()),
        // A tag URI: stays the same if the site moves to another URL scheme or path.
        id: format!(
            "tag:{},{}:{}/{}",
            config.site.host(),
            page.at.format("%Y-%m-%d"),
            super::ARCHIVE_DIR,
            page.name
        ),
        updated: at,
        published: Some(at),
        links: vec![link(&page.url, "alternate", "text/html")],
        content: Some(Content {
            value: Some(content_html(&page.data)),
            content_type: Some("html".to_owned()),
            ..Content::default()
        }),
        ..Entry::default()
    }
}

/// What the digest said, in short: its notice, the next meetup, and links to the recaps.
fn content_html(data: &Value) -> String {
    let text = |v: &Value| escape_html(v.as_str().unwrap_or_default());
    let mut html = String::new();
    for line in data["notice"]["lines"].as_array().into_iter().flatten() {
        html.push_str(&format!("<p><strong>{}</strong></p>", text(line)));
    }
    let event = &data["event"];
    if event.is_object() {
        html.push_str(&format!(
            "<p>Next meetup: {}, {}.",
            text(&event["title"]),
            text(&event["date_display"])
        ));
        if let Some(rsvp) = event["rsvp"].as_str() {
            html.push_str(&format!(" <a href=\"{}\">RSVP</a>", escape_html(rsvp)));
        }
        html.push_str("</p>");
    }
    let recaps = data["recaps"].as_array().cloned().unwrap_or_default();
    if !recaps.is_empty() {
        html.push_str("<ul>");
        for r in &recaps {
            html.push_str(&format!(
                "<li><a href=\"{}\">{}</a>: {}</li>",
                text(&r["url"]),
                text(&r["title"]),
                text(&r["summary"])
            ));
        }
        html.push_str("</ul>");
    }
    html
}

fn link(href: &str, rel: &str, mime: &str) -> Link {
    Link {
        href: href.to_owned(),
        rel: rel.to_owned(),
        mime_type: Some(mime.to_owned()),
        ..Link::default()
    }
}
