//! The organiser's Handlebars templates: `templates/{digest,post}.{html,txt}.hbs`, partials in
//! `templates/partials/*.{html,txt}.hbs`, and `templates/style.css`.
//!
//! HTML and text are rendered by two registries: the HTML one escapes values, the text one does
//! not (plain text must not show `&amp;`). Both are strict, so a misspelt variable is an error
//! naming the template, line and variable instead of a silently empty string.

use std::path::{Path, PathBuf};

use handlebars::template::{Template, TemplateElement};
use handlebars::{Handlebars, RenderError, TemplateError};
use serde::Serialize;

use crate::content::Limits;
use crate::diagnostics::Diagnostic;

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
}

impl Kind {
    /// The templates' file stem (`digest` for `digest.html.hbs`), also used for previews.
    pub fn stem(self) -> &'static str {
        match self {
            Kind::Digest => "digest",
            Kind::Post => "post",
            Kind::Reminder => "reminder",
        }
    }
}

/// The reminder templates crier ships with, used when a site has none of its own (sites set
/// up before reminders existed): `(extension, source)`.
const BUILT_IN_REMINDER: [(&str, &str); 2] = [
    ("html", include_str!("../../templates/reminder.html.hbs")),
    ("txt", include_str!("../../templates/reminder.txt.hbs")),
];

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
    ///
    /// Templates are also checked against [`Limits::default`]: size, number of expressions,
    /// nesting depth, and recursion (a partial that includes itself, directly, through other
    /// partials or as an inline partial): handlebars has no recursion limit, so such a
    /// template would overflow the stack and abort the process when rendered.
    pub fn load(dir: &Path, subject: &str) -> Result<Self, Vec<Diagnostic>> {
        Self::load_with(dir, subject, &Limits::default())
    }

    /// [`Templates::load`] with explicit limits.
    pub fn load_with(dir: &Path, subject: &str, limits: &Limits) -> Result<Self, Vec<Diagnostic>> {
        let mut templates = Templates {
            dir: dir.to_path_buf(),
            html: registry(true),
            text: registry(false),
            css: String::new(),
        };
        let mut problems = Vec::new();
        let mut sources: Vec<Source> = Vec::new();
        for kind in [Kind::Digest, Kind::Post] {
            for (html, ext) in [(true, "html"), (false, "txt")] {
                let file = dir.join(format!("{}.{ext}.hbs", kind.stem()));
                templates.register(
                    html,
                    &format!("{}.{ext}", kind.stem()),
                    &file,
                    limits,
                    &mut sources,
                    &mut problems,
                );
            }
        }
        templates.register_reminder(limits, &mut sources, &mut problems);
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
                    templates.register(true, stem, &file, limits, &mut sources, &mut problems);
                } else if let Some(stem) = name.strip_suffix(".txt.hbs") {
                    templates.register(false, stem, &file, limits, &mut sources, &mut problems);
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
        if let Err(why) = check_source(subject, limits) {
            problems.push(Diagnostic::error(
                &config,
                crate::config::key_line(
                    &std::fs::read_to_string(&config).unwrap_or_default(),
                    &["newsletter", "subject"],
                )
                .unwrap_or(1),
                1,
                format!("newsletter.subject: {}", why.1),
            ));
        } else if let Err(err) = templates.text.register_template_string(SUBJECT, subject) {
            problems.push(template_error(&config, &err, "newsletter.subject"));
        } else {
            sources.push(Source {
                html: false,
                name: SUBJECT.to_owned(),
                file: config.clone(),
            });
        }
        for html in [true, false] {
            let registry = if html {
                &templates.html
            } else {
                &templates.text
            };
            let mine: Vec<&Source> = sources.iter().filter(|s| s.html == html).collect();
            problems.extend(check_partial_graph(registry, &mine, limits));
        }
        if problems.is_empty() {
            Ok(templates)
        } else {
            Err(problems)
        }
    }

    fn register(
        &mut self,
        html: bool,
        name: &str,
        file: &Path,
        limits: &Limits,
        sources: &mut Vec<Source>,
        problems: &mut Vec<Diagnostic>,
    ) {
        use std::io::Read;
        let mut source = String::new();
        let read = std::fs::File::open(file).and_then(|f| {
            f.take(limits.max_template_bytes as u64 + 1)
                .read_to_string(&mut source)
        });
        if let Err(err) = read {
            problems.push(Diagnostic::error(file, 1, 1, format!("cannot read template: {err} (every site needs digest and post templates in .html.hbs and .txt.hbs)")));
            return;
        }
        if let Err((line, why)) = check_source(&source, limits) {
            problems.push(Diagnostic::error(
                file,
                line,
                1,
                format!("template `{name}`: {why}"),
            ));
            return;
        }
        let registry = if html { &mut self.html } else { &mut self.text };
        if let Err(err) = registry.register_template_string(name, source) {
            problems.push(template_error(file, &err, name));
        } else {
            sources.push(Source {
                html,
                name: name.to_owned(),
                file: file.to_path_buf(),
            });
        }
    }

    /// Registers the reminder templates: the site's own, else crier's.
    fn register_reminder(
        &mut self,
        limits: &Limits,
        sources: &mut Vec<Source>,
        problems: &mut Vec<Diagnostic>,
    ) {
        for (ext, built_in) in BUILT_IN_REMINDER {
            let file = self.dir.join(format!("reminder.{ext}.hbs"));
            let name = format!("reminder.{ext}");
            if file.exists() {
                self.register(ext == "html", &name, &file, limits, sources, problems);
            } else {
                let source = Source {
                    html: ext == "html",
                    name,
                    file,
                };
                self.register_source(source, built_in, sources, problems);
            }
        }
    }

    /// Registers a template crier ships with (checked like the organiser's own).
    fn register_source(
        &mut self,
        source: Source,
        text: &str,
        sources: &mut Vec<Source>,
        problems: &mut Vec<Diagnostic>,
    ) {
        let registry = if source.html {
            &mut self.html
        } else {
            &mut self.text
        };
        match registry.register_template_string(&source.name, text) {
            Ok(()) => sources.push(source),
            Err(err) => problems.push(template_error(&source.file, &err, &source.name)),
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

    /// Renders the subject line: `newsletter.subject`, unless the data carries a notice
    /// (an update, a cancellation, a reminder) whose `notice.subject` replaces it or whose
    /// `notice.subject_prefix` ("Updated: ") goes before it.
    pub fn subject<T: Serialize>(&self, data: &T) -> Result<String, Diagnostic> {
        let notice = serde_json::to_value(data)
            .ok()
            .and_then(|d| d.get("notice").cloned())
            .unwrap_or_default();
        if let Some(subject) = notice.get("subject").and_then(|s| s.as_str()) {
            return Ok(subject.to_owned());
        }
        let configured = self
            .text
            .render(SUBJECT, data)
            .map_err(|e| self.render_error(&e))?;
        Ok(
            match notice.get("subject_prefix").and_then(|s| s.as_str()) {
                Some(prefix) => format!("{prefix}{configured}"),
                None => configured,
            },
        )
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

/// A template registered in one of the registries, and the file it came from.
struct Source {
    html: bool,
    name: String,
    file: PathBuf,
}

/// Checks a template's text before handlebars compiles it: its size, its number of
/// expressions (compiling is quadratic in them) and how deeply its blocks nest (compiling and
/// rendering recurse once per level). Returns the line to report and why.
fn check_source(source: &str, limits: &Limits) -> Result<(), (usize, String)> {
    if source.len() > limits.max_template_bytes {
        return Err((
            1,
            format!(
                "template is over the limit of {} bytes: split it into partials",
                limits.max_template_bytes
            ),
        ));
    }
    let line_at = |pos: usize| source[..pos].bytes().filter(|&b| b == b'\n').count() + 1;
    let mut expressions = 0usize;
    let mut depth = 0usize;
    let mut pos = 0;
    while let Some(found) = source[pos..].find("{{") {
        let start = pos + found;
        let mut rest = source[start..].trim_start_matches('{');
        rest = rest.strip_prefix('~').unwrap_or(rest);
        // Comments may contain anything, including `{{`.
        let end_marker = if rest.starts_with("!--") {
            "--}}"
        } else {
            "}}"
        };
        let tag_end = source[start + 2..]
            .find(end_marker)
            .map_or(source.len(), |i| start + 2 + i + end_marker.len());
        if !rest.starts_with('!') {
            expressions += 1;
            if expressions > limits.max_template_expressions {
                return Err((
                    line_at(start),
                    format!(
                        "template has more than {} `{{{{...}}}}` expressions (the limit): split it into partials",
                        limits.max_template_expressions
                    ),
                ));
            }
            let opens = rest.starts_with('#')
                || (rest.starts_with('^') && !rest[1..].trim_start().starts_with(['}', '~']));
            if opens {
                depth += 1;
                if depth > limits.max_template_depth {
                    return Err((
                        line_at(start),
                        format!(
                            "blocks are nested more than {} levels deep (the limit): is a `{{{{/...}}}}` missing?",
                            limits.max_template_depth
                        ),
                    ));
                }
            } else if rest.starts_with('/') {
                depth = depth.saturating_sub(1);
            }
        }
        pos = tag_end.max(start + 2);
    }
    Ok(())
}

/// One node of the partial graph: a registered template or an inline partial defined in one.
struct Node {
    name: String,
    file: PathBuf,
    /// Deepest block nesting inside the node itself.
    own_depth: usize,
    /// Partials it includes.
    refs: Vec<Ref>,
}

/// One `{{> name}}` inside a node.
struct Ref {
    target: String,
    line: usize,
    column: usize,
    /// Block depth at the reference.
    depth: usize,
}

/// Builds the partial graph of one registry (every template and every inline partial, since an
/// inline partial is visible to the partials called where it is defined, a name stands for all
/// the nodes so named) and reports cycles and chains nested deeper than the limit.
fn check_partial_graph(
    registry: &Handlebars<'static>,
    sources: &[&Source],
    limits: &Limits,
) -> Vec<Diagnostic> {
    let mut nodes: Vec<Node> = Vec::new();
    let mut problems = Vec::new();
    for source in sources {
        let Some(template) = registry.get_template(&source.name) else {
            continue;
        };
        let index = nodes.len();
        nodes.push(Node {
            name: source.name.clone(),
            file: source.file.clone(),
            own_depth: 0,
            refs: Vec::new(),
        });
        walk(template, index, 0, &mut nodes, &mut problems);
    }
    let mut by_name: std::collections::HashMap<&str, Vec<usize>> = Default::default();
    for (i, node) in nodes.iter().enumerate() {
        by_name.entry(node.name.as_str()).or_default().push(i);
    }
    let mut state = vec![Visit::New; nodes.len()];
    let mut stack = Vec::new();
    for start in 0..nodes.len() {
        if let Err(problem) = depth_of(start, &nodes, &by_name, &mut state, &mut stack, limits) {
            problems.push(problem);
            break;
        }
    }
    problems
}

#[derive(Clone, Copy, PartialEq)]
enum Visit {
    New,
    InProgress,
    Done(usize),
}

/// The deepest nesting reachable from `node` (blocks plus partial levels), or the first cycle
/// or over-deep chain found, as a diagnostic.
fn depth_of(
    node: usize,
    nodes: &[Node],
    by_name: &std::collections::HashMap<&str, Vec<usize>>,
    state: &mut [Visit],
    stack: &mut Vec<usize>,
    limits: &Limits,
) -> Result<usize, Diagnostic> {
    match state[node] {
        Visit::Done(depth) => return Ok(depth),
        // Cycles are caught before recursing; this only keeps the function total.
        Visit::InProgress => return Ok(0),
        Visit::New => {}
    }
    state[node] = Visit::InProgress;
    stack.push(node);
    let mut deepest = nodes[node].own_depth;
    for r in &nodes[node].refs {
        for &target in by_name.get(r.target.as_str()).into_iter().flatten() {
            let here = &nodes[node];
            if state[target] == Visit::InProgress {
                let from = stack.iter().position(|&n| n == target).unwrap_or(0);
                let mut chain: Vec<&str> = stack[from..]
                    .iter()
                    .map(|&n| nodes[n].name.as_str())
                    .collect();
                chain.push(&r.target);
                return Err(Diagnostic::error(
                    &here.file,
                    r.line,
                    r.column,
                    format!(
                        "partial `{}` includes itself ({}): rendering would recurse until the process aborts",
                        r.target,
                        chain.join(" -> ")
                    ),
                ));
            }
            let depth = r.depth + 1 + depth_of(target, nodes, by_name, state, stack, limits)?;
            if depth > limits.max_template_depth {
                return Err(Diagnostic::error(
                    &here.file,
                    r.line,
                    r.column,
                    format!(
                        "template `{}` nests blocks and partials more than {} levels deep (the limit) through partial `{}`",
                        here.name, limits.max_template_depth, r.target
                    ),
                ));
            }
            deepest = deepest.max(depth);
        }
    }
    stack.pop();
    state[node] = Visit::Done(deepest);
    Ok(deepest)
}

/// Records the partial references and inline partials of `template` into node `node`.
fn walk(
    template: &Template,
    node: usize,
    depth: usize,
    nodes: &mut Vec<Node>,
    problems: &mut Vec<Diagnostic>,
) {
    nodes[node].own_depth = nodes[node].own_depth.max(depth);
    for (i, element) in template.elements.iter().enumerate() {
        let (line, column) = template.mapping.get(i).map_or((1, 1), |m| (m.0, m.1));
        match element {
            TemplateElement::HelperBlock(helper) => {
                for inner in [&helper.template, &helper.inverse].into_iter().flatten() {
                    walk(inner, node, depth + 1, nodes, problems);
                }
            }
            TemplateElement::DecoratorBlock(decorator)
            | TemplateElement::DecoratorExpression(decorator) => {
                let inline = decorator.name.as_name() == Some("inline");
                let name = decorator.params.first().and_then(|p| match p {
                    handlebars::template::Parameter::Literal(serde_json::Value::String(s)) => {
                        Some(s.clone())
                    }
                    other => other.as_name().map(str::to_owned),
                });
                match (&decorator.template, inline, name) {
                    (Some(inner), true, Some(name)) => {
                        let index = nodes.len();
                        nodes.push(Node {
                            name,
                            file: nodes[node].file.clone(),
                            own_depth: 0,
                            refs: Vec::new(),
                        });
                        walk(inner, index, 0, nodes, problems);
                    }
                    (Some(inner), _, _) => walk(inner, node, depth + 1, nodes, problems),
                    _ => {}
                }
            }
            TemplateElement::PartialExpression(partial)
            | TemplateElement::PartialBlock(partial) => {
                match partial.name.as_name() {
                    Some("@partial-block") => {}
                    Some(target) => nodes[node].refs.push(Ref {
                        target: target.to_owned(),
                        line,
                        column,
                        depth,
                    }),
                    None => problems.push(Diagnostic::error(
                        &nodes[node].file,
                        line,
                        column,
                        format!(
                            "template `{}`: a partial named by an expression cannot be checked for recursion: name the partial",
                            nodes[node].name
                        ),
                    )),
                }
                if let Some(inner) = &partial.template {
                    walk(inner, node, depth + 1, nodes, problems);
                }
            }
            _ => {}
        }
    }
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
