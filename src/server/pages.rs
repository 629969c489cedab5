//! The daemon's HTML pages: the public home page with the subscribe form, and the pages
//! behind tokens (confirm, preferences, unsubscribe). Their templates live in
//! `templates/pages/` like the e-mails', loaded by the one template loader: crier's own are
//! built in, and one that is missing or does not compile falls back to crier's (logged), so a
//! template typo never takes the subscribe form down. Their headers (the page policy, no
//! caching, no framing) are set for every HTML answer by [`super::headers`].

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use crate::content::Limits;
use crate::templates::{OnBroken, Set, PAGES};

/// The compiled page templates.
pub struct Pages {
    set: Set,
    /// `site` data every page gets (title, url, language).
    site: Value,
    /// `<link rel="alternate">` feeds every page announces.
    feeds: Value,
}

/// Every variable the layout and the pages may use, with its value when a page does not set
/// it: rendering is strict, so each one is always there.
const DEFAULTS: [(&str, Value); 6] = [
    ("index", Value::Bool(false)),
    ("heading", Value::Null),
    ("tags", Value::Array(Vec::new())),
    ("form", Value::Null),
    ("links", Value::Array(Vec::new())),
    ("paragraphs", Value::Array(Vec::new())),
];

impl Pages {
    /// Loads `dir/pages/*` (the templates folder's), falling back to the built-in template
    /// for each one missing or broken.
    pub fn load(dir: &std::path::Path, site: Value, feeds: Value) -> Self {
        let limits = Limits::default();
        let set = match Set::load(PAGES, dir, &limits, OnBroken::FallBack) {
            Ok((set, problems)) => {
                for problem in problems {
                    tracing::warn!("{problem} (crier's own page template is used instead)");
                }
                set
            }
            // Falling back cannot fail: crier's own templates are tested to load.
            Err(problems) => {
                for problem in problems {
                    tracing::error!("{problem}");
                }
                Set::empty(PAGES)
            }
        };
        Pages { set, site, feeds }
    }

    /// Renders page `name` with `data` (plus `site`, `feeds`, and the defaults of the
    /// variables it does not set).
    pub fn render(&self, name: &str, mut data: Value) -> Result<String, String> {
        if let Value::Object(map) = &mut data {
            map.insert("site".into(), self.site.clone());
            map.entry("feeds").or_insert_with(|| self.feeds.clone());
            for (key, value) in DEFAULTS {
                map.entry(key).or_insert(value);
            }
        }
        self.set.html(name, &data).map_err(|e| e.to_string())
    }

    /// A page with a heading, paragraphs and optionally a one-button form.
    pub fn message(
        &self,
        status: StatusCode,
        heading: &str,
        paragraphs: &[&str],
        form: Option<Value>,
    ) -> Response {
        let data = json!({"heading": heading, "paragraphs": paragraphs, "form": form});
        self.respond(status, "message", data)
    }

    /// A page with a heading, paragraphs and links (`(href, label)`).
    pub fn message_with_links(
        &self,
        status: StatusCode,
        heading: &str,
        paragraphs: &[&str],
        links: &[(String, &str)],
    ) -> Response {
        let links: Vec<Value> = links
            .iter()
            .map(|(href, label)| json!({"href": href, "label": label}))
            .collect();
        let data = json!({"heading": heading, "paragraphs": paragraphs, "links": links});
        self.respond(status, "message", data)
    }

    /// Renders `name` into a response; a template that fails at render time gets crier's
    /// plain fallback page rather than a 500.
    pub fn respond(&self, status: StatusCode, name: &str, data: Value) -> Response {
        let html = self.render(name, data).unwrap_or_else(|err| {
            tracing::error!(%err, page = name, "page template failed");
            fallback_page()
        });
        (status, axum::response::Html(html)).into_response()
    }
}

fn fallback_page() -> String {
    "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>Sorry</title></head><body><p>Sorry, this page cannot be shown right now. Please try again later.</p></body></html>".into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> Value {
        json!({"title": "T & co", "url": "https://x.example.com/", "language": "en", "description": ""})
    }

    #[test]
    fn built_in_templates_compile_and_render() {
        let dir = tempfile::tempdir().unwrap();
        let pages = Pages::load(
            dir.path(),
            site(),
            json!([{"title": "RSS", "url": "https://x.example.com/rss.xml", "type": "application/rss+xml"}]),
        );
        let data = [
            (
                "index",
                json!({"index": true, "heading": "<h>", "archive": null}),
            ),
            ("message", json!({"heading": "<h>", "paragraphs": ["<p>"]})),
            (
                "preferences",
                json!({"heading": "<h>", "address": "a@example.org", "token": "t", "action": "preferences",
                       "lists": [], "reminders": null, "suppressed": false, "saved": null}),
            ),
        ];
        for (name, data) in data {
            let html = pages.render(name, data).unwrap();
            assert!(html.contains("T &amp; co"), "{name}");
            assert!(!html.contains("<h>"), "{name} escapes");
            assert!(html.contains("rel=\"alternate\""), "{name}");
        }
    }

    #[test]
    fn a_broken_site_template_falls_back_to_crier_s_own() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("pages")).unwrap();
        std::fs::write(dir.path().join("pages/message.html.hbs"), "{{#if}").unwrap();
        std::fs::write(
            dir.path().join("pages/index.html.hbs"),
            "{{#> layout}}OWN PAGE{{/layout}}",
        )
        .unwrap();
        let pages = Pages::load(dir.path(), site(), json!([]));
        assert!(pages
            .render("message", json!({"heading": "Hi"}))
            .unwrap()
            .contains("Hi"));
        assert!(pages
            .render("index", json!({}))
            .unwrap()
            .contains("OWN PAGE"));
    }
}
