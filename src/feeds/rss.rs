//! RSS 2.0 with the extensions strict readers look for: `atom:link rel="self"`,
//! `content:encoded`, `dc:creator` and `media:content`.

use std::collections::BTreeMap;

use rss::extension::atom::{AtomExtension, Link};
use rss::extension::dublincore::DublinCoreExtension;
use rss::extension::Extension;
use rss::{Category, Channel, Guid, Item};

use super::{FeedDoc, FeedEntry, RSS_FILE};

const MEDIA_NS: &str = "http://search.yahoo.com/mrss/";

/// Serialises `doc` as RSS 2.0.
pub fn write(doc: &FeedDoc<'_>) -> Vec<u8> {
    let meta = &doc.meta;
    let mut namespaces = BTreeMap::new();
    if doc
        .entries
        .iter()
        .any(|e| e.image.as_ref().is_some_and(|i| i.mime.is_some()))
    {
        namespaces.insert("media".to_owned(), MEDIA_NS.to_owned());
    }
    let channel = Channel {
        title: meta.title.clone(),
        link: meta.home_url.clone(),
        description: meta.description.clone(),
        language: Some(meta.language.to_lowercase()),
        generator: Some(format!("crier {}", env!("CARGO_PKG_VERSION"))),
        docs: Some("https://www.rssboard.org/rss-specification".to_owned()),
        last_build_date: Some(meta.updated.to_rfc2822()),
        pub_date: doc.entries.first().map(|e| e.published.to_rfc2822()),
        atom_ext: Some(AtomExtension {
            links: vec![Link {
                href: meta.self_url(RSS_FILE),
                rel: "self".to_owned(),
                mime_type: Some("application/rss+xml".to_owned()),
                ..Link::default()
            }],
        }),
        items: doc.entries.iter().map(|e| item(e)).collect(),
        namespaces,
        ..Channel::default()
    };
    // Writing into a Vec cannot fail; an error here would be a bug in the rss crate.
    let mut out = channel
        .pretty_write_to(Vec::new(), b' ', 2)
        .unwrap_or_default();
    out.push(b'\n');
    out
}

fn item(entry: &FeedEntry) -> Item {
    let mut extensions: rss::extension::ExtensionMap = BTreeMap::new();
    if let Some((image, mime)) = entry.image.as_ref().and_then(|i| i.mime.map(|m| (i, m))) {
        let mut attrs = BTreeMap::new();
        attrs.insert("url".to_owned(), image.url.clone());
        attrs.insert("type".to_owned(), mime.to_owned());
        attrs.insert("medium".to_owned(), "image".to_owned());
        let content = Extension {
            name: "media:content".to_owned(),
            value: None,
            attrs,
            children: BTreeMap::new(),
        };
        extensions
            .entry("media".to_owned())
            .or_default()
            .insert("content".to_owned(), vec![content]);
    }
    Item {
        title: Some(entry.title.clone()),
        link: Some(entry.url.clone()),
        description: Some(entry.summary_html.clone()),
        content: Some(entry.content_html.clone()),
        guid: Some(Guid {
            value: entry.url.clone(),
            permalink: true,
        }),
        pub_date: Some(entry.published.to_rfc2822()),
        categories: entry
            .tags
            .iter()
            .map(|t| Category {
                name: t.clone(),
                domain: None,
            })
            .collect(),
        dublin_core_ext: Some(DublinCoreExtension {
            creators: vec![entry.author.clone()],
            ..DublinCoreExtension::default()
        }),
        extensions,
        ..Item::default()
    }
}
