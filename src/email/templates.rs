//! The organiser's Handlebars templates: `templates/{digest,post}.{html,txt}.hbs`, partials in
//! `templates/partials/*.{html,txt}.hbs`, and `templates/style.css`.
//!
//! HTML and text are rendered by two registries: the HTML one escapes values, the text one does
//! not (plain text must not show `&amp;`). Both are strict, so a misspelt variable is an error
//! naming the template, line and variable instead of a silently empty string.

use std::path::{Path, PathBuf};

use handlebars::{Handlebars, RenderError, TemplateError};
use serde::Serialize;

use crate::diagnostics::Diagnostic;

/// Which message a template renders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// The digest of recaps and next event.
    Digest,
    /// A single post as an e-mail.
    Post,
}

impl Kind {
    fn stem(self) -> &'static str {
        match self {
            Kind::Digest => "digest",
            Kind::Post => "post",
        }
    }
}

/// Compiled templates, loaded once per send.
#[derive(Debug)]
pub struct Templates {
    dir: PathBuf,
    html: Handlebars<'static>,
    text: Handlebars<'static>,
    /// The stylesheet to inline into the HTML.
    pub css: String,
}

const SUBJECT: &str = "__subject";

impl Templates {
    /// Loads and compiles every template in `dir`, reporting all syntax errors at once.
    pub fn load(dir: &Path, subject: &str) -> Result<Self, Vec<Diagnostic>> {
        let mut templates = Templates {
            dir: dir.to_path_buf(),
            html: registry(true),
            text: registry(false),
            css: String::new(),
        };
        let mut problems = Vec::new();
        for kind in [Kind::Digest, Kind::Post] {
            for (html, ext) in [(true, "html"), (false, "txt")] {
                let file = dir.join(format!("{}.{ext}.hbs", kind.stem()));
                templates.register(
                    html,
                    &format!("{}.{ext}", kind.stem()),
                    &file,
                    &mut problems,
                );
            }
        }
        let partials = dir.join("partials");
        if let Ok(entries) = std::fs::read_dir(&partials) {
            let mut files: Vec<PathBuf> =
                entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
            files.sort();
            for file in files {
                let name = file
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                if let Some(stem) = name.strip_suffix(".html.hbs") {
                    templates.register(true, stem, &file, &mut problems);
                } else if let Some(stem) = name.strip_suffix(".txt.hbs") {
                    templates.register(false, stem, &file, &mut problems);
                }
            }
        }
        match std::fs::read_to_string(dir.join("style.css")) {
            Ok(css) => templates.css = css,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => problems.push(Diagnostic::error(
                &dir.join("style.css"),
                1,
                1,
                format!("cannot read stylesheet: {err}"),
            )),
        }
        let config = dir.parent().unwrap_or(dir).join(crate::config::CONFIG_FILE);
        if let Err(err) = templates.text.register_template_string(SUBJECT, subject) {
            problems.push(template_error(&config, &err, "newsletter.subject"));
        }
        if problems.is_empty() {
            Ok(templates)
        } else {
            Err(problems)
        }
    }

    fn register(&mut self, html: bool, name: &str, file: &Path, problems: &mut Vec<Diagnostic>) {
        let source = match std::fs::read_to_string(file) {
            Ok(s) => s,
            Err(err) => {
                problems.push(Diagnostic::error(file, 1, 1, format!("cannot read template: {err} (every site needs digest and post templates in .html.hbs and .txt.hbs)")));
                return;
            }
        };
        let registry = if html { &mut self.html } else { &mut self.text };
        if let Err(err) = registry.register_template_string(name, source) {
            problems.push(template_error(file, &err, name));
        }
    }

    /// Renders the HTML template of `kind`.
    pub fn html<T: Serialize>(&self, kind: Kind, data: &T) -> Result<String, Diagnostic> {
        self.html
            .render(&format!("{}.html", kind.stem()), data)
            .map_err(|e| self.render_error(&e))
    }

    /// Renders the text template of `kind`.
    pub fn text<T: Serialize>(&self, kind: Kind, data: &T) -> Result<String, Diagnostic> {
        self.text
            .render(&format!("{}.txt", kind.stem()), data)
            .map_err(|e| self.render_error(&e))
    }

    /// Renders the subject line.
    pub fn subject<T: Serialize>(&self, data: &T) -> Result<String, Diagnostic> {
        self.text
            .render(SUBJECT, data)
            .map_err(|e| self.render_error(&e))
    }

    fn render_error(&self, err: &RenderError) -> Diagnostic {
        let name = err.template_name.clone().unwrap_or_default();
        let file = if name == SUBJECT {
            self.dir
                .parent()
                .unwrap_or(&self.dir)
                .join(crate::config::CONFIG_FILE)
        } else if name.ends_with(".html") || name.ends_with(".txt") {
            self.dir.join(format!("{name}.hbs"))
        } else {
            self.dir.join("partials").join(format!("{name}.hbs"))
        };
        let what = if name == SUBJECT {
            "newsletter.subject".to_owned()
        } else {
            format!("template `{name}`")
        };
        Diagnostic::error(
            &file,
            err.line_no.unwrap_or(1),
            err.column_no.unwrap_or(1),
            format!("{what}: {}", err.reason()),
        )
    }
}

fn registry(html: bool) -> Handlebars<'static> {
    let mut h = Handlebars::new();
    h.set_strict_mode(true);
    if !html {
        h.register_escape_fn(handlebars::no_escape);
    }
    h
}

fn template_error(file: &Path, err: &TemplateError, name: &str) -> Diagnostic {
    let (line, column) = err.pos().unwrap_or((1, 1));
    Diagnostic::error(
        file,
        line,
        column,
        format!("template `{name}` has a syntax error: {}", err.reason()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_set(dir: &Path, digest_html: &str) {
        std::fs::create_dir_all(dir.join("partials")).unwrap();
        std::fs::write(dir.join("digest.html.hbs"), digest_html).unwrap();
        std::fs::write(
            dir.join("digest.txt.hbs"),
            "Hi {{subscriber.email}} & co\n{{> footer}}",
        )
        .unwrap();
        std::fs::write(dir.join("post.html.hbs"), "<p>{{post.title}}</p>").unwrap();
        std::fs::write(dir.join("post.txt.hbs"), "{{post.title}}").unwrap();
        std::fs::write(dir.join("partials/footer.txt.hbs"), "-- bye").unwrap();
        std::fs::write(dir.join("partials/footer.html.hbs"), "<p>bye</p>").unwrap();
    }

    #[test]
    fn html_escapes_and_text_does_not() {
        let dir = tempfile::tempdir().unwrap();
        write_set(dir.path(), "<p>{{site.title}}</p>{{> footer}}");
        let t = Templates::load(dir.path(), "{{site.title}}").unwrap();
        let data = serde_json::json!({"site": {"title": "A & <B>"}, "subscriber": {"email": "a&b@example.com"}});
        assert_eq!(
            t.html(Kind::Digest, &data).unwrap(),
            "<p>A &amp; &lt;B&gt;</p><p>bye</p>"
        );
        assert_eq!(
            t.text(Kind::Digest, &data).unwrap(),
            "Hi a&b@example.com & co\n-- bye"
        );
        assert_eq!(t.subject(&data).unwrap(), "A & <B>");
    }

    #[test]
    fn missing_variables_name_template_line_and_variable() {
        let dir = tempfile::tempdir().unwrap();
        write_set(dir.path(), "<p>ok</p>\n<p>{{site.titel}}</p>");
        let t = Templates::load(dir.path(), "x").unwrap();
        let err = t
            .html(Kind::Digest, &serde_json::json!({"site": {"title": "A"}}))
            .unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.path.ends_with("digest.html.hbs"), "{err}");
        assert!(err.message.contains("site.titel"), "{err}");
    }

    #[test]
    fn syntax_errors_name_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        write_set(dir.path(), "<p>\n{{#if site}}\n</p>");
        let errs = Templates::load(dir.path(), "{{#if}}").unwrap_err();
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert!(errs[0].path.ends_with("digest.html.hbs"));
        assert!(errs[0].message.contains("syntax error"), "{}", errs[0]);
        assert!(errs[1].path.ends_with("crier.yaml"), "{}", errs[1]);
    }
}
