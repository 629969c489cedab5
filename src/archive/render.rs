//! The archive's web pages, from Handlebars templates: `archive/page.html.hbs` (one digest),
//! `archive/index.html.hbs` (the list) and the partial `archive/style.html.hbs`, loaded by the
//! one template loader (the site's own where it has them, crier's otherwise).
//!
//! They render digests frozen by older releases too: each page gets only the public part of
//! the frozen view, with every key present (see [`super::page`]), so strict rendering holds.
//! They are never given subscriber data, so whatever they ask for, no address, name or token
//! can appear.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::{archive_url, Page, FEED_FILE};
use crate::config::Config;
use crate::diagnostics::Diagnostic;
use crate::templates::{OnBroken, Set, ARCHIVE};

/// The compiled archive templates.
pub struct ArchiveTemplates {
    set: Set,
}

impl ArchiveTemplates {
    /// Loads the templates from the templates folder `dir` (its `archive/` folder), falling
    /// back to the built-in ones file by file.
    pub fn load(dir: &Path, limits: &crate::content::Limits) -> Result<Self, Vec<Diagnostic>> {
        Set::load(ARCHIVE, dir, limits, OnBroken::Fail).map(|(set, _)| ArchiveTemplates { set })
    }

    /// One digest's page.
    pub fn page(&self, config: &Config, page: &Page) -> Result<String, Diagnostic> {
        let mut data = page.data.clone();
        if let Value::Object(map) = &mut data {
            map.insert(
                "page".into(),
                json!({
                    "title": page.title,
                    "url": page.url,
                    "date_display": date_display(config, page.at),
                    "index_url": archive_url(config),
                    "feed_url": format!("{}{FEED_FILE}", archive_url(config)),
                }),
            );
        }
        self.render("page", &data)
    }

    /// The index of every page, newest first.
    pub fn index(&self, config: &Config, pages: &[Page]) -> Result<String, Diagnostic> {
        let listed: Vec<Value> = pages
            .iter()
            .rev()
            .map(|p| {
                json!({
                    "title": p.title,
                    "url": p.url,
                    "date_display": date_display(config, p.at),
                })
            })
            .collect();
        let site = pages.last().map_or(Value::Null, |p| p.data["site"].clone());
        let data = json!({
            "site": site,
            "pages": listed,
            "page": {
                "title": format!("{}: newsletter archive", config.site.title),
                "url": archive_url(config),
                "feed_url": format!("{}{FEED_FILE}", archive_url(config)),
            },
        });
        self.render("index", &data)
    }

    fn render(&self, name: &str, data: &Value) -> Result<String, Diagnostic> {
        self.set.html(name, data)
    }
}

/// "Monday 30 November 2026", in the site's time zone.
pub fn date_display(config: &Config, at: DateTime<Utc>) -> String {
    at.with_timezone(&config.site.timezone)
        .format("%A %-d %B %Y")
        .to_string()
}
