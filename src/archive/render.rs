//! The archive's web pages, from Handlebars templates: `archive/page.html.hbs` (one digest),
//! `archive/index.html.hbs` (the list) and the partial `archive/style.html.hbs`, each taken
//! from the site's templates folder when it has one, else the one crier ships with.
//!
//! Unlike the e-mail templates these are not strict: they render digests frozen by older
//! releases, whose data may lack a key a newer template asks for, and a missing key must not
//! take the whole archive down. They are never given subscriber data, so whatever they ask
//! for, no address, name or token can appear.

use std::path::Path;

use chrono::{DateTime, Utc};
use handlebars::Handlebars;
use serde_json::{json, Value};

use super::{archive_url, Page, FEED_FILE};
use crate::config::Config;
use crate::diagnostics::Diagnostic;

/// The templates crier ships with: (registered name, file name, source).
const BUILT_IN: [(&str, &str, &str); 3] = [
    (
        "page",
        "page.html.hbs",
        include_str!("../../templates/archive/page.html.hbs"),
    ),
    (
        "index",
        "index.html.hbs",
        include_str!("../../templates/archive/index.html.hbs"),
    ),
    (
        "style",
        "style.html.hbs",
        include_str!("../../templates/archive/style.html.hbs"),
    ),
];

/// The compiled archive templates.
pub struct ArchiveTemplates {
    dir: std::path::PathBuf,
    registry: Handlebars<'static>,
}

impl ArchiveTemplates {
    /// Loads the templates from `dir` (`<templates>/archive`), falling back to the built-in
    /// ones file by file.
    pub fn load(dir: &Path) -> Result<Self, Vec<Diagnostic>> {
        let mut registry = Handlebars::new();
        let mut problems = Vec::new();
        for (name, file, built_in) in BUILT_IN {
            let path = dir.join(file);
            let source = match std::fs::read_to_string(&path) {
                Ok(own) => own,
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => built_in.to_owned(),
                Err(err) => {
                    problems.push(Diagnostic::error(
                        &path,
                        1,
                        1,
                        format!("cannot read: {err}"),
                    ));
                    continue;
                }
            };
            if let Err(err) = registry.register_template_string(name, source) {
                let (line, column) = err.pos().unwrap_or((1, 1));
                let why = format!(
                    "archive template `{name}` has a syntax error: {}",
                    err.reason()
                );
                problems.push(Diagnostic::error(&path, line, column, why));
            }
        }
        if problems.is_empty() {
            Ok(ArchiveTemplates {
                dir: dir.to_path_buf(),
                registry,
            })
        } else {
            Err(problems)
        }
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
        self.render("page", "page.html.hbs", &data)
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
        self.render("index", "index.html.hbs", &data)
    }

    fn render(&self, name: &str, file: &str, data: &Value) -> Result<String, Diagnostic> {
        self.registry.render(name, data).map_err(|err| {
            Diagnostic::error(
                &self.dir.join(file),
                err.line_no.unwrap_or(1),
                err.column_no.unwrap_or(1),
                format!("archive template `{name}`: {}", err.reason()),
            )
        })
    }
}

/// "Monday 30 November 2026", in the site's time zone.
pub fn date_display(config: &Config, at: DateTime<Utc>) -> String {
    at.with_timezone(&config.site.timezone)
        .format("%A %-d %B %Y")
        .to_string()
}
