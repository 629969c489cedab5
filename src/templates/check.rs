//! Checks a template before and after handlebars compiles it: its size, its number of
//! expressions and its nesting (compiling is quadratic in expressions, and rendering recurses
//! once per nested block or partial), and the graph of partials for recursion. handlebars has
//! no recursion limit: a partial that includes itself would overflow the stack and abort the
//! process when rendered.

use std::path::{Path, PathBuf};

use handlebars::template::{Template, TemplateElement};
use handlebars::{Handlebars, TemplateError};

use crate::content::Limits;
use crate::diagnostics::Diagnostic;

/// A template registered in one of a set's registries, and the file it came from.
#[derive(Debug, Clone)]
pub struct Source {
    /// Registered in the HTML registry (else the text one).
    pub html: bool,
    /// Its registered name.
    pub name: String,
    /// The file it came from (for built-in templates, the path they would have in the site).
    pub file: PathBuf,
}

/// Checks a template's text before handlebars compiles it: its size, its number of
/// expressions (compiling is quadratic in them) and how deeply its blocks nest (compiling and
/// rendering recurse once per level). Returns the line to report and why.
pub fn check_source(source: &str, limits: &Limits) -> Result<(), (usize, String)> {
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
pub fn check_partial_graph(
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

pub fn template_error(file: &Path, err: &TemplateError, name: &str) -> Diagnostic {
    let (line, column) = err.pos().unwrap_or((1, 1));
    Diagnostic::error(
        file,
        line,
        column,
        format!("template `{name}` has a syntax error: {}", err.reason()),
    )
}
