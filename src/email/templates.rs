//! The e-mail templates: `templates/{digest,post,reminder,confirm}.{html,txt}.hbs`, partials
//! in `templates/partials/`, `templates/style.css`, and the subject line from `crier.yaml`,
//! loaded by the one template loader ([`crate::templates`]): the site's own files where it has
//! them, crier's otherwise, strict, within the limits.
//!
//! HTML and text are rendered by two registries: the HTML one escapes values, the text one does
//! not (plain text must not show `&amp;`).

use std::path::Path;

use serde::Serialize;

use crate::content::Limits;
use crate::diagnostics::Diagnostic;
use crate::templates::{OnBroken, Set, EMAIL};

/// Which message a template renders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// The digest of recaps and next event.
    Digest,
    /// A single post as an e-mail.
    Post,
    /// The reminder before the next event.
    Reminder,
    /// The confirmation e-mail of a sign-up.
    Confirmation,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 4] = [Kind::Digest, Kind::Post, Kind::Reminder, Kind::Confirmation];

    /// The templates' file stem (`digest` for `digest.html.hbs`), also used for previews.
    pub fn stem(self) -> &'static str {
        match self {
            Kind::Digest => "digest",
            Kind::Post => "post",
            Kind::Reminder => "reminder",
            Kind::Confirmation => "confirm",
        }
    }
}

/// The subject template's registered name.
const SUBJECT: &str = "__subject";
/// The confirmation e-mail's subject: not the newsletter's, and not the organiser's to change.
const CONFIRM_SUBJECT: &str = "__confirm_subject";

/// Compiled templates, loaded once per send.
#[derive(Debug)]
pub struct Templates {
    set: Set,
    /// The stylesheet to inline into the HTML.
    pub css: String,
}

impl Templates {
    /// Loads and compiles every template in `dir` (crier's own for any the site lacks),
    /// reporting every problem at once. See [`Templates::load_with`].
    pub fn load(dir: &Path, subject: &str) -> Result<Self, Vec<Diagnostic>> {
        Self::load_with(dir, subject, &Limits::default())
    }

    /// Loads the templates in `dir` with `subject` as the subject line, checked against
    /// `limits`: size, number of expressions, nesting depth, and recursion (a partial that
    /// includes itself, directly, through other partials or as an inline partial).
    pub fn load_with(dir: &Path, subject: &str, limits: &Limits) -> Result<Self, Vec<Diagnostic>> {
        Self::load_as(dir, subject, limits, OnBroken::Fail).map(|(t, _)| t)
    }

    /// Like [`Templates::load_with`], but a broken site template is replaced by crier's own
    /// and reported in the returned warnings: for confirmation e-mails, which must go out
    /// whatever the organiser's templates say. Fails only on a broken subject line.
    pub fn load_lenient(
        dir: &Path,
        subject: &str,
        limits: &Limits,
    ) -> Result<(Self, Vec<Diagnostic>), Vec<Diagnostic>> {
        Self::load_as(dir, subject, limits, OnBroken::FallBack)
    }

    fn load_as(
        dir: &Path,
        subject: &str,
        limits: &Limits,
        on_broken: OnBroken,
    ) -> Result<(Self, Vec<Diagnostic>), Vec<Diagnostic>> {
        let mut problems = Vec::new();
        let config = dir.parent().unwrap_or(dir).join(crate::config::CONFIG_FILE);
        let line = crate::config::key_line(
            &std::fs::read_to_string(&config).unwrap_or_default(),
            &["newsletter", "subject"],
        )
        .unwrap_or(1);
        let (set, warnings) = match Set::load(EMAIL, dir, limits, on_broken) {
            Ok((set, warnings)) => (Some(set), warnings),
            Err(errors) => {
                problems.extend(errors);
                (None, Vec::new())
            }
        };
        let css = read_css(dir, &mut problems);
        // The subject is checked even when a template failed: every problem at once.
        let mut set = set.unwrap_or_else(|| Set::empty(EMAIL));
        let subjects = [
            (
                SUBJECT,
                subject,
                config.as_path(),
                line,
                "newsletter.subject",
            ),
            (
                CONFIRM_SUBJECT,
                "Confirm your subscription to {{site.title}}",
                Path::new("(built-in)"),
                1,
                "the confirmation subject",
            ),
        ];
        for (name, text, file, line, what) in subjects {
            if let Err(problem) = set.add_text(name, text, file, line, what, limits) {
                problems.push(problem);
            }
        }
        if problems.is_empty() {
            Ok((Templates { set, css }, warnings))
        } else {
            Err(problems)
        }
    }

    /// Renders the HTML template of `kind`.
    pub fn html<T: Serialize>(&self, kind: Kind, data: &T) -> Result<String, Diagnostic> {
        self.set.html(&format!("{}.html", kind.stem()), data)
    }

    /// Renders the text template of `kind`.
    pub fn text<T: Serialize>(&self, kind: Kind, data: &T) -> Result<String, Diagnostic> {
        self.set.text(&format!("{}.txt", kind.stem()), data)
    }

    /// Renders the subject line of a `kind` message: crier's own for a confirmation; else
    /// `newsletter.subject`, unless the data carries a notice (an update, a cancellation, a
    /// reminder) whose `notice.subject` replaces it or whose `notice.subject_prefix`
    /// ("Updated: ") goes before it.
    pub fn subject<T: Serialize>(&self, kind: Kind, data: &T) -> Result<String, Diagnostic> {
        if kind == Kind::Confirmation {
            return self.set.text(CONFIRM_SUBJECT, data);
        }
        let notice = serde_json::to_value(data)
            .ok()
            .and_then(|d| d.get("notice").cloned())
            .unwrap_or_default();
        if let Some(subject) = notice.get("subject").and_then(|s| s.as_str()) {
            return Ok(subject.to_owned());
        }
        let configured = self.set.text(SUBJECT, data)?;
        Ok(
            match notice.get("subject_prefix").and_then(|s| s.as_str()) {
                Some(prefix) => format!("{prefix}{configured}"),
                None => configured,
            },
        )
    }
}

impl Templates {
    /// Renders every template against crier's sample data of every kind of e-mail (with every
    /// optional value filled in, and with none; for a recipient with a name and one without),
    /// as strictly as a send does: a misspelt variable is found here, before anything is
    /// frozen, and reported once with its file and line.
    pub fn check_samples(&self) -> Vec<Diagnostic> {
        use super::views::{samples, Message, Recipient, SubscriberView};
        let mut problems: Vec<Diagnostic> = Vec::new();
        let views = samples::full().into_iter().chain(samples::bare());
        for view in views {
            let kind = view.kind();
            let data = view.to_data();
            for name in [Some("Ada Example"), None] {
                let message = Message {
                    view: &data,
                    recipient: Recipient {
                        subscriber: SubscriberView {
                            email: "ada@example.org",
                            name,
                            columns: Default::default(),
                        },
                        unsubscribe_url: "https://meetup.example.com/unsubscribe?token=sample",
                        preferences_url: "https://meetup.example.com/preferences?token=sample",
                        confirm_url: (kind == Kind::Confirmation)
                            .then_some("https://meetup.example.com/confirm?token=sample"),
                    },
                };
                let results = [
                    self.html(kind, &message),
                    self.text(kind, &message),
                    self.subject(kind, &message),
                ];
                for problem in results.into_iter().filter_map(Result::err) {
                    if !problems.contains(&problem) {
                        problems.push(problem);
                    }
                }
            }
        }
        problems
    }
}

/// The site's stylesheet, else crier's own.
fn read_css(dir: &Path, problems: &mut Vec<Diagnostic>) -> String {
    let path = dir.join("style.css");
    match std::fs::read_to_string(&path) {
        Ok(css) => css,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            crate::templates::builtin::text("style.css")
                .unwrap_or_default()
                .to_owned()
        }
        Err(err) => {
            problems.push(Diagnostic::error(
                &path,
                1,
                1,
                format!("cannot read stylesheet: {err}"),
            ));
            String::new()
        }
    }
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
    fn crier_s_own_templates_render_every_view() {
        let dir = tempfile::tempdir().unwrap();
        let t = Templates::load(dir.path(), "{{subject}}").unwrap();
        assert_eq!(t.check_samples(), Vec::<Diagnostic>::new());
        // And the check finds a misspelling, once, at its file and line.
        write_set(dir.path(), "<p>\n{{site.titel}}</p>");
        let t = Templates::load(dir.path(), "{{subject}}").unwrap();
        let problems = t.check_samples();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].path.ends_with("digest.html.hbs"));
        assert_eq!(problems[0].line, 2);
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
        assert_eq!(t.subject(Kind::Digest, &data).unwrap(), "A & <B>");
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

    fn load_error(digest_html: &str, partials: &[(&str, &str)]) -> Vec<Diagnostic> {
        let dir = tempfile::tempdir().unwrap();
        write_set(dir.path(), digest_html);
        for (name, text) in partials {
            std::fs::write(dir.path().join("partials").join(name), text).unwrap();
        }
        Templates::load(dir.path(), "x").unwrap_err()
    }

    #[test]
    fn recursive_partials_are_errors_not_aborts() {
        let errs = load_error("<p>\n{{#*inline \"r\"}}{{> r}}{{/inline}}{{> r}}</p>", &[]);
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(errs[0].path.ends_with("digest.html.hbs"), "{}", errs[0]);
        assert_eq!(errs[0].line, 2);
        assert!(errs[0].message.contains("includes itself"), "{}", errs[0]);

        let errs = load_error("{{> a}}", &[("a.html.hbs", "{{> a}}")]);
        assert!(errs[0].path.ends_with("a.html.hbs"), "{}", errs[0]);
        assert!(errs[0].message.contains("`a`"), "{}", errs[0]);

        let errs = load_error(
            "{{> a}}",
            &[
                ("a.html.hbs", "x\n{{#if y}}{{> b}}{{/if}}"),
                ("b.html.hbs", "{{> a}}"),
            ],
        );
        assert!(errs[0].message.contains("includes itself"), "{}", errs[0]);
        assert!(errs[0].message.contains(" -> "), "{}", errs[0]);

        // A partial block calling itself from its own block, and an expression-named partial.
        let errs = load_error("{{#> footer}}{{> digest.html}}{{/footer}}", &[]);
        assert!(errs[0].message.contains("includes itself"), "{}", errs[0]);
        let errs = load_error("{{> (lookup this \"p\")}}", &[]);
        assert!(
            errs[0].message.contains("named by an expression"),
            "{}",
            errs[0]
        );
    }

    #[test]
    fn text_partials_are_checked_separately_from_html() {
        // `footer` in HTML and `footer` in text are different partials: no cycle.
        let dir = tempfile::tempdir().unwrap();
        write_set(dir.path(), "{{> footer}}");
        assert!(Templates::load(dir.path(), "x").is_ok());
        let errs = load_error("ok", &[("footer.txt.hbs", "{{> footer}}")]);
        assert!(errs[0].path.ends_with("footer.txt.hbs"), "{}", errs[0]);
    }

    #[test]
    fn oversized_and_overdeep_templates_are_errors() {
        let limits = Limits::default();
        let errs = load_error(&"{{a}}".repeat(limits.max_template_expressions + 1), &[]);
        assert!(errs[0].message.contains("expressions"), "{}", errs[0]);
        let errs = load_error(&"x".repeat(limits.max_template_bytes + 1), &[]);
        assert!(errs[0].message.contains("bytes"), "{}", errs[0]);
        let deep = format!("{}x{}", "{{#if a}}\n".repeat(3000), "{{/if}}".repeat(3000));
        let errs = load_error(&deep, &[]);
        assert!(errs[0].message.contains("levels deep"), "{}", errs[0]);
        assert_eq!(errs[0].line, limits.max_template_depth + 1);
        // Depth adds up along chains of partials.
        let half = |n: usize| format!("{}x{}", "{{#if a}}".repeat(n), "{{/if}}".repeat(n));
        let errs = load_error(
            &format!(
                "{}{{{{> a}}}}{}",
                "{{#if a}}".repeat(60),
                "{{/if}}".repeat(60)
            ),
            &[("a.html.hbs", &half(60))],
        );
        assert!(errs[0].message.contains("levels deep"), "{}", errs[0]);
        // Comments may hold anything.
        let dir = tempfile::tempdir().unwrap();
        write_set(dir.path(), "{{!-- {{#if}} {{#if}} --}}{{! {{x }}ok");
        assert!(Templates::load(dir.path(), "x").is_ok());
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
