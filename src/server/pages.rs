//! The daemon's HTML pages: the public home page with the subscribe form, and the pages
//! behind tokens (confirm, preferences, unsubscribe). Their templates live in
//! `templates/pages/` like the e-mails'; crier's own are built in, and one that is missing or
//! does not compile falls back to crier's (logged), so a template typo never takes the
//! subscribe form down.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use handlebars::Handlebars;
use serde_json::{json, Value};

const BUILTIN: [(&str, &str); 5] = [
    (
        "layout",
        include_str!("../../templates/pages/layout.html.hbs"),
    ),
    ("style", include_str!("../../templates/pages/style.css")),
    (
        "index",
        include_str!("../../templates/pages/index.html.hbs"),
    ),
    (
        "message",
        include_str!("../../templates/pages/message.html.hbs"),
    ),
    (
        "preferences",
        include_str!("../../templates/pages/preferences.html.hbs"),
    ),
];

/// The file name of each page template in the site's `templates/pages/`.
fn file_name(name: &str) -> String {
    if name == "style" {
        "style.css".into()
    } else {
        format!("{name}.html.hbs")
    }
}

/// The compiled page templates.
pub struct Pages {
    registry: Handlebars<'static>,
    /// `site` data every page gets (title, url, language).
    site: Value,
    /// `<link rel="alternate">` feeds every page announces.
    feeds: Value,
    /// The Content-Security-Policy of every page.
    csp: String,
}

/// The policy: no script at all, styles inline, forms only to this site (and to where a
/// form's answer redirects, `extra_form_action`, since browsers check redirects too).
fn policy(extra_form_action: Option<&str>) -> String {
    let extra = extra_form_action
        .map(|o| format!(" {o}"))
        .unwrap_or_default();
    format!(
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' https:; form-action 'self'{extra}; base-uri 'none'; frame-ancestors 'none'"
    )
}

impl Pages {
    /// Loads `dir/pages/*`, falling back to the built-in template for each one missing or
    /// broken.
    pub fn load(dir: &std::path::Path, site: Value, feeds: Value) -> Self {
        let mut registry = Handlebars::new();
        registry.register_escape_fn(crate::util::escape_html);
        for (name, builtin) in BUILTIN {
            let path = dir.join("pages").join(file_name(name));
            let own = std::fs::read_to_string(&path).ok();
            let ok = own
                .as_deref()
                .is_some_and(|t| registry.register_template_string(name, t).is_ok());
            if !ok {
                if own.is_some() {
                    tracing::warn!(path = %path.display(), "page template does not compile; using crier's own");
                }
                // Built-in templates are tested to compile.
                let _ = registry.register_template_string(name, builtin);
            }
        }
        Pages {
            registry,
            site,
            feeds,
            csp: policy(None),
        }
    }

    /// Also lets forms lead to `origin` (the origin of `audience.thanks_url`).
    pub fn with_form_action(mut self, origin: Option<&str>) -> Self {
        self.csp = policy(origin);
        self
    }

    /// Renders page `name` with `data` (plus `site` and `feeds`).
    pub fn render(&self, name: &str, mut data: Value) -> Result<String, String> {
        if let Value::Object(map) = &mut data {
            map.insert("site".into(), self.site.clone());
            map.entry("feeds").or_insert_with(|| self.feeds.clone());
        }
        self.registry.render(name, &data).map_err(|e| e.to_string())
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

    /// Renders `name` into a response with the private-page headers; a template that fails
    /// at render time gets crier's plain fallback page rather than a 500.
    pub fn respond(&self, status: StatusCode, name: &str, data: Value) -> Response {
        let html = self.render(name, data).unwrap_or_else(|err| {
            tracing::error!(%err, page = name, "page template failed");
            fallback_page()
        });
        let mut response = private((status, axum::response::Html(html)).into_response());
        if let Ok(csp) = HeaderValue::from_str(&self.csp) {
            response
                .headers_mut()
                .insert(header::CONTENT_SECURITY_POLICY, csp);
        }
        response
    }
}

fn fallback_page() -> String {
    "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>Sorry</title></head><body><p>Sorry, this page cannot be shown right now. Please try again later.</p></body></html>".into()
}

/// The headers of every page: never cached (they may carry a token or a person's lists), no
/// scripts at all, no framing, no referrer leaking a token to a linked site.
pub fn private(mut response: Response) -> Response {
    let h = response.headers_mut();
    for (name, value) in [
        (header::CACHE_CONTROL, "no-store"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        ),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_templates_compile_and_render() {
        let dir = tempfile::tempdir().unwrap();
        let pages = Pages::load(
            dir.path(),
            json!({"title": "T & co", "url": "https://x.example.com/", "language": "en"}),
            json!([{"title": "RSS", "url": "https://x.example.com/rss.xml", "type": "application/rss+xml"}]),
        );
        for name in ["index", "message", "preferences"] {
            let html = pages.render(name, json!({"heading": "<h>"})).unwrap();
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
        let pages = Pages::load(dir.path(), json!({"title": "T"}), json!([]));
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
