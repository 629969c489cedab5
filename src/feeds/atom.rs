//! Atom 1.0 (RFC 4287).

use atom_syndication::{
    Category, Content, Entry, Feed, Generator, Link, Person, Text, WriteConfig,
};

use super::{FeedDoc, FeedEntry, ATOM_FILE};

/// Serialises `doc` as Atom 1.0, published at `atom.xml` in the feed's folder.
pub fn write(doc: &FeedDoc<'_>) -> Vec<u8> {
    write_at(doc, &doc.meta.self_url(ATOM_FILE))
}

/// Serialises `doc` as Atom 1.0 published at `self_url` (its self link and feed id).
pub fn write_at(doc: &FeedDoc<'_>, self_url: &str) -> Vec<u8> {
    let meta = &doc.meta;
    let feed = Feed {
        title: Text::plain(meta.title.clone()),
        subtitle: Some(Text::plain(meta.description.clone())),
        // The feed's own URL is its id: it is unique, and the one thing subscribers hold.
        id: self_url.to_owned(),
        updated: meta.updated,
        authors: vec![person(&meta.author.name, meta.author.email.as_deref())],
        links: vec![
            link(self_url, "self", Some("application/atom+xml")),
            link(&meta.home_url, "alternate", Some("text/html")),
        ],
        generator: Some(Generator {
            value: "crier".to_owned(),
            uri: None,
            version: Some(env!("CARGO_PKG_VERSION").to_owned()),
        }),
        lang: Some(meta.language.clone()),
        entries: doc.entries.iter().map(|e| entry(e)).collect(),
        ..Feed::default()
    };
    let config = WriteConfig {
        write_document_declaration: true,
        indent_size: Some(2),
    };
    // Writing into a Vec cannot fail; an error here would be a bug in atom_syndication.
    let mut out = feed
        .write_with_config(Vec::new(), config)
        .unwrap_or_default();
    out.push(b'\n');
    out
}

fn entry(e: &FeedEntry) -> Entry {
    let mut links = vec![link(&e.url, "alternate", Some("text/html"))];
    if let Some(video) = &e.video_url {
        links.push(link(video, "related", Some("text/html")));
    }
    if let Some(image) = &e.image {
        if let Some(mime) = image.mime {
            links.push(link(&image.url, "enclosure", Some(mime)));
        }
    }
    Entry {
        title: Text::plain(e.title.clone()),
        id: e.id.clone(),
        updated: e.updated,
        published: Some(e.published),
        authors: vec![person(&e.author, None)],
        links,
        categories: e
            .tags
            .iter()
            .map(|t| Category {
                term: t.clone(),
                scheme: None,
                label: None,
            })
            .collect(),
        summary: Some(Text::html(e.summary_html.clone())),
        content: Some(Content {
            value: Some(e.content_html.clone()),
            content_type: Some("html".to_owned()),
            ..Content::default()
        }),
        ..Entry::default()
    }
}

fn link(href: &str, rel: &str, mime: Option<&str>) -> Link {
    Link {
        href: href.to_owned(),
        rel: rel.to_owned(),
        mime_type: mime.map(str::to_owned),
        ..Link::default()
    }
}

fn person(name: &str, email: Option<&str>) -> Person {
    Person {
        name: name.to_owned(),
        email: email.map(str::to_owned),
        ..Person::default()
    }
}
