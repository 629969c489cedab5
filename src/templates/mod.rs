//! The one template loader, for every family of templates crier renders: the e-mails
//! (digest, post, reminder, confirmation, their partials), the daemon's pages and the archive.
//!
//! The same rules hold for all of them:
//! - each template is the site's file when it has one, else crier's own ([`builtin`]);
//! - every file is checked against the [`Limits`] (size, expressions, nesting) and the
//!   partials for recursion ([`check`]) before anything is rendered;
//! - rendering is strict: a misspelt variable is an error naming the template's file, line
//!   and the variable, never a silently empty string;
//! - a broken site template is an error ([`OnBroken::Fail`], for `check` and sends) or, where
//!   a page must stay up whatever the organiser wrote ([`OnBroken::FallBack`]: the sign-up
//!   form, the confirmation e-mail), replaced by crier's own with a warning.

pub mod builtin;
pub mod check;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use handlebars::{Handlebars, RenderError, RenderErrorReason};
use serde::Serialize;

use crate::content::Limits;
use crate::diagnostics::Diagnostic;
use builtin::BuiltIn;
use check::Source;

/// How a family's HTML is escaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escape {
    /// Handlebars' own escaping (which also writes `=` and `` ` `` as entities).
    Handlebars,
    /// crier's HTML escaping: `& < > " '` only, so URLs read the same undecoded.
    Html,
}

/// One template of a family: its registered name, its path under the templates folder, and
/// which registry it goes to.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    /// The name it is rendered (or included as a partial) by.
    pub name: &'static str,
    /// Path under the templates folder.
    pub path: &'static str,
    /// HTML (escaped) or text (not escaped).
    pub html: bool,
}

/// A family of templates rendered together.
#[derive(Debug, Clone, Copy)]
pub struct Family {
    /// What the organiser calls them, in messages ("e-mail", "page", "archive").
    pub label: &'static str,
    /// Its templates.
    pub entries: &'static [Entry],
    /// A folder of partials (under the templates folder) where the site may add its own:
    /// `x.html.hbs` and `x.txt.hbs` become partial `x`.
    pub partials: Option<&'static str>,
    /// How its HTML is escaped.
    pub escape: Escape,
}

const fn html(name: &'static str, path: &'static str) -> Entry {
    Entry {
        name,
        path,
        html: true,
    }
}

const fn text(name: &'static str, path: &'static str) -> Entry {
    Entry {
        name,
        path,
        html: false,
    }
}

/// The e-mails: `<kind>.html` and `<kind>.txt` for each kind, and partials by their stem.
pub const EMAIL: Family = Family {
    label: "e-mail",
    entries: &[
        html("digest.html", "digest.html.hbs"),
        text("digest.txt", "digest.txt.hbs"),
        html("post.html", "post.html.hbs"),
        text("post.txt", "post.txt.hbs"),
        html("reminder.html", "reminder.html.hbs"),
        text("reminder.txt", "reminder.txt.hbs"),
        html("confirm.html", "confirm.html.hbs"),
        text("confirm.txt", "confirm.txt.hbs"),
    ],
    partials: Some("partials"),
    escape: Escape::Handlebars,
};

/// The daemon's pages; `style` is the stylesheet, included by the layout.
pub const PAGES: Family = Family {
    label: "page",
    entries: &[
        html("layout", "pages/layout.html.hbs"),
        html("index", "pages/index.html.hbs"),
        html("message", "pages/message.html.hbs"),
        html("preferences", "pages/preferences.html.hbs"),
        html("style", "pages/style.css"),
    ],
    partials: None,
    escape: Escape::Html,
};

/// The archive's pages.
pub const ARCHIVE: Family = Family {
    label: "archive",
    entries: &[
        html("page", "archive/page.html.hbs"),
        html("index", "archive/index.html.hbs"),
        html("style", "archive/style.html.hbs"),
    ],
    partials: None,
    escape: Escape::Handlebars,
};

/// What to do with a site template that cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnBroken {
    /// Loading fails with every problem (`check`, and any send: the organiser's template is
    /// what they meant to send).
    Fail,
    /// crier's own template stands in, and the problems are returned as warnings (pages and
    /// confirmations: a typo must never take the sign-up form down).
    FallBack,
}

/// A family's compiled templates.
pub struct Set {
    family: Family,
    html: Handlebars<'static>,
    text: Handlebars<'static>,
    /// Where each registered template came from, by (html, name).
    files: HashMap<(bool, String), PathBuf>,
}

impl std::fmt::Debug for Set {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Set")
            .field("family", &self.family.label)
            .finish_non_exhaustive()
    }
}

impl Set {
    /// A set with no templates (to check more templates into when loading failed).
    pub fn empty(family: Family) -> Self {
        Loader::new(family, Path::new(""), &Limits::default(), OnBroken::Fail).set
    }

    /// Loads `family` from the templates folder `dir`. With [`OnBroken::FallBack`] it always
    /// succeeds, returning the problems it worked around.
    pub fn load(
        family: Family,
        dir: &Path,
        limits: &Limits,
        on_broken: OnBroken,
    ) -> Result<(Self, Vec<Diagnostic>), Vec<Diagnostic>> {
        Loader::new(family, dir, limits, on_broken).load_all()
    }

    /// Registers one more text template from a string (the subject line from
    /// `crier.yaml`), checked like the rest; `file` and `what` name it in messages.
    pub fn add_text(
        &mut self,
        name: &str,
        source: &str,
        file: &Path,
        line: usize,
        what: &str,
        limits: &Limits,
    ) -> Result<(), Diagnostic> {
        if let Err((_, why)) = check::check_source(source, limits) {
            return Err(Diagnostic::error(file, line, 1, format!("{what}: {why}")));
        }
        self.text
            .register_template_string(name, source)
            .map_err(|err| {
                let (l, column) = err.pos().unwrap_or((1, 1));
                Diagnostic::error(
                    file,
                    line + l - 1,
                    column,
                    format!("{what} has a syntax error: {}", err.reason()),
                )
            })?;
        self.files
            .insert((false, name.to_owned()), file.to_path_buf());
        Ok(())
    }

    /// Whether a template of this name is registered.
    pub fn has(&self, html: bool, name: &str) -> bool {
        self.files.contains_key(&(html, name.to_owned()))
    }

    /// Renders the HTML template `name`.
    pub fn html<T: Serialize>(&self, name: &str, data: &T) -> Result<String, Diagnostic> {
        self.html
            .render(name, data)
            .map_err(|e| self.render_error(true, name, &e))
    }

    /// Renders the text template `name`.
    pub fn text<T: Serialize>(&self, name: &str, data: &T) -> Result<String, Diagnostic> {
        self.text
            .render(name, data)
            .map_err(|e| self.render_error(false, name, &e))
    }

    /// The file a registered template came from.
    pub fn file_of(&self, html: bool, name: &str) -> Option<&Path> {
        self.files
            .get(&(html, name.to_owned()))
            .map(PathBuf::as_path)
    }

    /// A render error as a diagnostic at the file and line of the template it happened in
    /// (a partial's own file when it happened inside one), in plain words.
    fn render_error(&self, html: bool, rendered: &str, err: &RenderError) -> Diagnostic {
        let name = err.template_name.as_deref().unwrap_or(rendered);
        let file = self
            .file_of(html, name)
            .or_else(|| self.file_of(html, rendered))
            .map_or_else(|| PathBuf::from(name), Path::to_path_buf);
        let why = match err.reason() {
            RenderErrorReason::MissingVariable(Some(path)) => {
                format!("there is no variable `{path}` (a misspelling? the template reference lists every variable)")
            }
            RenderErrorReason::MissingVariable(None) => {
                "a variable it uses does not exist (a misspelling? the template reference lists every variable)".to_owned()
            }
            RenderErrorReason::PartialNotFound(p) => format!("there is no partial `{p}`"),
            RenderErrorReason::HelperNotFound(h) => format!("there is no helper `{h}`"),
            other => other.to_string(),
        };
        Diagnostic::error(
            &file,
            err.line_no.unwrap_or(1),
            err.column_no.unwrap_or(1),
            format!("template `{name}`: {why}"),
        )
    }
}

/// Loading one family.
struct Loader<'a> {
    family: Family,
    dir: &'a Path,
    limits: &'a Limits,
    on_broken: OnBroken,
    set: Set,
    sources: Vec<Source>,
    problems: Vec<Diagnostic>,
    /// Only crier's own templates (the site's are ignored).
    builtin_only: bool,
}

impl<'a> Loader<'a> {
    fn new(family: Family, dir: &'a Path, limits: &'a Limits, on_broken: OnBroken) -> Self {
        let mut html = Handlebars::new();
        html.set_strict_mode(true);
        if family.escape == Escape::Html {
            html.register_escape_fn(crate::util::escape_html);
        }
        let mut text = Handlebars::new();
        text.set_strict_mode(true);
        text.register_escape_fn(handlebars::no_escape);
        Loader {
            family,
            dir,
            limits,
            on_broken,
            set: Set {
                family,
                html,
                text,
                files: HashMap::new(),
            },
            sources: Vec::new(),
            problems: Vec::new(),
            builtin_only: false,
        }
    }

    /// Registers one template: the site's file, else the built-in one.
    fn entry(&mut self, entry: Entry) {
        let file = self.dir.join(entry.path);
        match self.read_site(&file) {
            Ok(None) => {
                if let Some(text) = builtin::text(entry.path) {
                    self.register(entry.html, entry.name, &file, text);
                }
            }
            Ok(Some(own)) => {
                if !self.register(entry.html, entry.name, &file, &own) {
                    self.fall_back(entry.html, entry.name, &file, entry.path);
                }
            }
            Err(problem) => {
                self.problems.push(problem);
                self.fall_back(entry.html, entry.name, &file, entry.path);
            }
        }
    }

    /// The built-in partials, then the site's own (which replace built-in ones of the same
    /// name).
    fn partials(&mut self) {
        let Some(folder) = self.family.partials else {
            return;
        };
        let prefix = format!("{folder}/");
        let built_in: Vec<BuiltIn> = builtin::EMAIL
            .iter()
            .filter(|b| b.path.starts_with(&prefix))
            .copied()
            .collect();
        for b in &built_in {
            let name = &b.path[prefix.len()..];
            if let Some((stem, html)) = partial_name(name) {
                let file = self.dir.join(b.path);
                if self.builtin_only || !file.exists() {
                    self.register(html, stem, &file, b.text);
                }
            }
        }
        let Ok(entries) = std::fs::read_dir(self.dir.join(folder)) else {
            return;
        };
        if self.builtin_only {
            return;
        }
        let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        files.sort();
        for file in files {
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let Some((stem, html)) = partial_name(&name) else {
                continue;
            };
            let path = format!("{prefix}{name}");
            match self.read_site(&file) {
                Ok(Some(own)) => {
                    if !self.register(html, stem, &file, &own) {
                        self.fall_back(html, stem, &file, &path);
                    }
                }
                Ok(None) => {}
                Err(problem) => {
                    self.problems.push(problem);
                    self.fall_back(html, stem, &file, &path);
                }
            }
        }
    }

    /// The site's file, `None` when it has none, or why it cannot be used.
    fn read_site(&self, file: &Path) -> Result<Option<String>, Diagnostic> {
        use std::io::Read;
        if self.builtin_only {
            return Ok(None);
        }
        let handle = match std::fs::File::open(file) {
            Ok(f) => f,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(err) => {
                return Err(Diagnostic::error(
                    file,
                    1,
                    1,
                    format!("cannot read template: {err}"),
                ))
            }
        };
        let mut source = String::new();
        handle
            .take(self.limits.max_template_bytes as u64 + 1)
            .read_to_string(&mut source)
            .map_err(|err| Diagnostic::error(file, 1, 1, format!("cannot read template: {err}")))?;
        Ok(Some(source))
    }

    /// Checks and compiles one template; false (with the problem recorded) when it cannot be
    /// used.
    fn register(&mut self, html: bool, name: &str, file: &Path, source: &str) -> bool {
        if let Err((line, why)) = check::check_source(source, self.limits) {
            self.problems.push(Diagnostic::error(
                file,
                line,
                1,
                format!("template `{name}`: {why}"),
            ));
            return false;
        }
        let registry = if html {
            &mut self.set.html
        } else {
            &mut self.set.text
        };
        if let Err(err) = registry.register_template_string(name, source) {
            self.problems.push(check::template_error(file, &err, name));
            return false;
        }
        self.set
            .files
            .insert((html, name.to_owned()), file.to_path_buf());
        self.sources.retain(|s| !(s.html == html && s.name == name));
        self.sources.push(Source {
            html,
            name: name.to_owned(),
            file: file.to_path_buf(),
        });
        true
    }

    /// Puts crier's own template where the site's could not be used (only when falling back).
    fn fall_back(&mut self, html: bool, name: &str, file: &Path, path: &str) {
        if self.on_broken == OnBroken::FallBack {
            if let Some(text) = builtin::text(path) {
                self.register(html, name, file, text);
            }
        }
    }

    fn finish(mut self) -> Result<(Set, Vec<Diagnostic>), Vec<Diagnostic>> {
        let mut graph = Vec::new();
        for html in [true, false] {
            let registry = if html { &self.set.html } else { &self.set.text };
            let mine: Vec<&Source> = self.sources.iter().filter(|s| s.html == html).collect();
            graph.extend(check::check_partial_graph(registry, &mine, self.limits));
        }
        let mut problems = std::mem::take(&mut self.problems);
        match self.on_broken {
            OnBroken::Fail => {
                problems.extend(graph);
                if problems.is_empty() {
                    Ok((self.set, Vec::new()))
                } else {
                    Err(problems)
                }
            }
            OnBroken::FallBack if graph.is_empty() => Ok((self.set, problems)),
            OnBroken::FallBack => {
                // A problem between templates (a cycle of partials) has no per-file fix: the
                // whole family falls back to crier's own.
                problems.extend(graph);
                let mut builtin = Self::new(self.family, self.dir, self.limits, OnBroken::Fail);
                builtin.builtin_only = true;
                let (set, _) = builtin.load_all()?;
                Ok((set, problems))
            }
        }
    }

    fn load_all(mut self) -> Result<(Set, Vec<Diagnostic>), Vec<Diagnostic>> {
        for entry in self.family.entries {
            self.entry(*entry);
        }
        self.partials();
        self.finish()
    }
}

/// `header.html.hbs` -> (`header`, html), `footer.txt.hbs` -> (`footer`, text).
fn partial_name(file: &str) -> Option<(&str, bool)> {
    if let Some(stem) = file.strip_suffix(".html.hbs") {
        return Some((stem, true));
    }
    file.strip_suffix(".txt.hbs").map(|stem| (stem, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_in_the_templates_folder_is_built_in() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut stack = vec![root.clone()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let rel = path
                    .strip_prefix(&root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                assert_eq!(
                    builtin::text(&rel),
                    Some(std::fs::read_to_string(&path).unwrap().as_str()),
                    "{rel} is not built in"
                );
            }
        }
    }

    #[test]
    fn a_site_without_templates_uses_crier_s_own() {
        let dir = tempfile::tempdir().unwrap();
        for family in [EMAIL, PAGES, ARCHIVE] {
            let (set, problems) =
                Set::load(family, dir.path(), &Limits::default(), OnBroken::Fail).unwrap();
            assert!(problems.is_empty());
            for entry in family.entries {
                assert!(set.has(entry.html, entry.name), "{}", entry.name);
            }
        }
    }

    #[test]
    fn a_broken_page_falls_back_but_a_broken_e_mail_fails() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("pages")).unwrap();
        std::fs::write(dir.path().join("pages/message.html.hbs"), "{{#if}").unwrap();
        std::fs::write(dir.path().join("digest.html.hbs"), "{{#if}").unwrap();
        let limits = Limits::default();
        let (set, problems) = Set::load(PAGES, dir.path(), &limits, OnBroken::FallBack).unwrap();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(set.has(true, "message"));
        let errs = Set::load(EMAIL, dir.path(), &limits, OnBroken::Fail).unwrap_err();
        assert!(errs[0].path.ends_with("digest.html.hbs"), "{}", errs[0]);
    }

    #[test]
    fn a_misspelt_variable_names_the_partial_s_own_file_in_plain_words() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("partials")).unwrap();
        std::fs::write(
            dir.path().join("partials/header.html.hbs"),
            "<p>\n{{site.titel}}</p>",
        )
        .unwrap();
        std::fs::write(dir.path().join("digest.html.hbs"), "{{> header}}").unwrap();
        let (set, _) = Set::load(EMAIL, dir.path(), &Limits::default(), OnBroken::Fail).unwrap();
        let err = set
            .html("digest.html", &serde_json::json!({"site": {"title": "x"}}))
            .unwrap_err();
        assert!(err.path.ends_with("partials/header.html.hbs"), "{err}");
        assert_eq!(err.line, 2, "{err}");
        assert!(err.message.contains("`site.titel`"), "{err}");
        assert!(!err.message.contains("Some("), "{err}");
    }
}
