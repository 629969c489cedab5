//! The documentation holds together: every page of the book (`docs/src`) is in its
//! `SUMMARY.md` and every listed page exists; every relative link in `README.md` and the book
//! resolves, `#anchors` included (by mdBook's and GitHub's heading slugs), and the book's
//! links stay inside the book; and the template reference lists exactly the variables the
//! e-mail views have, each with the kinds of e-mail that have it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crier::email::views::{samples, Recipient, SubscriberView};

use super::common::repo;

fn book() -> PathBuf {
    repo().join("docs/src")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every `.md` file under `dir`, recursively.
fn markdown_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The lines of a Markdown text outside fenced code blocks, with their 1-based numbers.
fn prose_lines(text: &str) -> Vec<(usize, &str)> {
    let mut fenced = false;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if !fenced {
            out.push((i + 1, line));
        }
    }
    out
}

/// A line without its inline code spans (a `](` inside backticks is not a link).
fn without_code(line: &str) -> String {
    let mut out = String::new();
    let mut in_code = false;
    for c in line.chars() {
        if c == '`' {
            in_code = !in_code;
        } else if !in_code {
            out.push(c);
        }
    }
    out
}

/// The targets of the inline links and images on a line: `[text](target)`,
/// `![alt](target "title")`, and HTML's `src="target"` and `href="target"`.
fn link_targets(line: &str) -> Vec<String> {
    let line = without_code(line);
    let mut out = Vec::new();
    let mut rest = line.as_str();
    while let Some(at) = rest.find("](") {
        let after = &rest[at + 2..];
        let end = after.find(')').unwrap_or(after.len());
        let target = after[..end].split_whitespace().next().unwrap_or("");
        out.push(target.to_owned());
        rest = &after[end..];
    }
    for attribute in [" src=\"", " href=\""] {
        let mut rest = line.as_str();
        while let Some(at) = rest.find(attribute) {
            let after = &rest[at + attribute.len()..];
            let end = after.find('"').unwrap_or(after.len());
            out.push(after[..end].to_owned());
            rest = &after[end..];
        }
    }
    out
}

/// A heading's anchor as mdBook and GitHub make it: the text as shown (no backticks, link
/// syntax or emphasis), lower-cased; letters, digits, `-` and `_` kept, spaces made `-`,
/// anything else dropped.
fn slug(heading: &str) -> String {
    let mut text = String::new();
    let mut rest = heading;
    // `[label](target)` shows as `label`.
    while let Some(open) = rest.find('[') {
        text.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match (after.find("]("), after.find(')')) {
            (Some(close), Some(end)) if close < end => {
                text.push_str(&after[..close]);
                rest = &after[end + 1..];
            }
            _ => {
                text.push('[');
                rest = after;
            }
        }
    }
    text.push_str(rest);
    text.chars()
        .filter_map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                Some(c.to_lowercase().next().unwrap_or(c))
            } else if c.is_whitespace() {
                Some('-')
            } else {
                None
            }
        })
        .collect()
}

/// Every anchor a Markdown file's headings make (a repeated heading gets `-1`, `-2`, ...).
fn anchors(text: &str) -> BTreeSet<String> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut out = BTreeSet::new();
    for (_, line) in prose_lines(text) {
        let Some(heading) = line.strip_prefix('#') else {
            continue;
        };
        let heading = heading.trim_start_matches('#');
        if !heading.starts_with(' ') {
            continue;
        }
        let base = slug(heading.trim());
        let n = seen.entry(base.clone()).or_insert(0);
        out.insert(if *n == 0 {
            base.clone()
        } else {
            format!("{base}-{n}")
        });
        *n += 1;
    }
    out
}

/// Checks every relative link of `file`; links must stay under `root` when it is given.
fn check_links(file: &Path, root: Option<&Path>, problems: &mut Vec<String>) {
    let text = read(file);
    let dir = file.parent().unwrap();
    for (line_no, line) in prose_lines(&text) {
        for target in link_targets(line) {
            let here = format!("{}:{line_no}: `{target}`", file.display());
            if target.is_empty() {
                problems.push(format!("{here}: empty link"));
                continue;
            }
            if target.starts_with("http://")
                || target.starts_with("https://")
                || target.starts_with("mailto:")
            {
                continue;
            }
            let (path, anchor) = match target.split_once('#') {
                Some((p, a)) => (p, Some(a)),
                None => (target.as_str(), None),
            };
            let linked = if path.is_empty() {
                file.to_path_buf()
            } else {
                dir.join(path)
            };
            let Ok(resolved) = linked.canonicalize() else {
                problems.push(format!("{here}: no such file"));
                continue;
            };
            if let Some(root) = root {
                if !resolved.starts_with(root.canonicalize().unwrap()) {
                    problems.push(format!(
                        "{here}: leads out of the book (mdBook publishes only docs/src)"
                    ));
                    continue;
                }
            }
            if let Some(anchor) = anchor {
                if resolved.extension().is_none_or(|e| e != "md") {
                    problems.push(format!(
                        "{here}: an anchor into a file that is not Markdown"
                    ));
                } else if !anchors(&read(&resolved)).contains(anchor) {
                    problems.push(format!(
                        "{here}: no heading makes the anchor `#{anchor}` in {}",
                        resolved.display()
                    ));
                }
            }
        }
    }
}

#[test]
fn every_page_is_in_the_summary_and_every_listed_page_exists() {
    let src = book();
    let summary = read(&src.join("SUMMARY.md"));
    let listed: BTreeSet<PathBuf> = prose_lines(&summary)
        .into_iter()
        .flat_map(|(_, line)| link_targets(line))
        .filter(|t| !t.is_empty())
        .map(|t| src.join(t))
        .collect();
    assert!(!listed.is_empty(), "SUMMARY.md lists no page");
    for page in &listed {
        assert!(
            page.is_file(),
            "SUMMARY.md lists {}, which does not exist",
            page.display()
        );
    }
    for page in markdown_files(&src) {
        if page.file_name().is_some_and(|n| n == "SUMMARY.md") {
            continue;
        }
        assert!(
            listed.contains(&page),
            "{} is not listed in docs/src/SUMMARY.md (mdBook would not build it)",
            page.display()
        );
    }
}

#[test]
fn every_relative_link_and_anchor_resolves() {
    let mut problems = Vec::new();
    check_links(&repo().join("README.md"), None, &mut problems);
    let src = book();
    for page in markdown_files(&src) {
        check_links(&page, Some(&src), &mut problems);
    }
    assert!(
        problems.is_empty(),
        "broken links:\n{}",
        problems.join("\n")
    );
}

#[test]
fn slugs_follow_mdbook_and_github() {
    assert_eq!(slug("Delivery you can trust"), "delivery-you-can-trust");
    assert_eq!(slug("`crier send`: sending"), "crier-send-sending");
    assert_eq!(slug("Subscribers & privacy"), "subscribers--privacy");
    assert_eq!(slug("The [archive](x.md) (pages)"), "the-archive-pages");
    let text = "# A\n\n```\n# not a heading\n```\n\n## A\n";
    let found = anchors(text);
    assert!(
        found.contains("a") && found.contains("a-1") && found.len() == 2,
        "{found:?}"
    );
}

/// Every key path of a JSON value: `event.date_display`, `recaps[].talks[].title`; objects
/// and arrays are paths too (`event`, `recaps`), since templates test and loop over them.
fn key_paths(value: &serde_json::Value, prefix: &str, out: &mut BTreeSet<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                out.insert(path.clone());
                key_paths(value, &path, out);
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                key_paths(item, &format!("{prefix}[]"), out);
            }
        }
        _ => {}
    }
}

/// Every variable of the e-mail templates, with the kinds of e-mail (template stems) that
/// have it: the views of crier's sample data with every optional field filled in, and the
/// recipient's fields as the composer adds them.
fn variables() -> BTreeMap<String, BTreeSet<&'static str>> {
    let mut out: BTreeMap<String, BTreeSet<&'static str>> = BTreeMap::new();
    for view in samples::full() {
        let kind = view.kind();
        let mut paths = BTreeSet::new();
        key_paths(&view.to_data(), "", &mut paths);
        let recipient = Recipient {
            subscriber: SubscriberView {
                email: "ada@example.org",
                name: Some("Ada Example"),
                columns: Default::default(),
            },
            unsubscribe_url: "https://meetup.example.com/unsubscribe?token=t",
            preferences_url: "https://meetup.example.com/preferences?token=t",
            confirm_url: (kind.stem() == "confirm")
                .then_some("https://meetup.example.com/confirm?token=t"),
        };
        key_paths(&serde_json::to_value(&recipient).unwrap(), "", &mut paths);
        for path in paths {
            out.entry(path).or_default().insert(kind.stem());
        }
    }
    out
}

/// The variables the template reference documents: the first cell of each table row that
/// starts with a backticked name, and the kinds its second cell names (`all` for every kind).
fn documented(page: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut out = BTreeMap::new();
    for (line_no, line) in prose_lines(page) {
        let Some(row) = line.trim().strip_prefix("| `") else {
            continue;
        };
        let cells: Vec<&str> = row.split('|').collect();
        let name = cells[0].trim().trim_end_matches('`').to_owned();
        assert!(
            !name.contains('`') && !name.contains(' '),
            "templates.md:{line_no}: one variable per row, found `{name}`"
        );
        let kinds: BTreeSet<String> = cells
            .get(1)
            .map(|c| {
                c.split(|ch: char| !ch.is_alphanumeric())
                    .filter(|w| !w.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let previous = out.insert(name.clone(), kinds);
        assert!(
            previous.is_none(),
            "templates.md:{line_no}: `{name}` is listed twice"
        );
    }
    out
}

#[test]
fn the_template_reference_lists_every_variable_of_every_view() {
    let page = read(&book().join("templates.md"));
    let documented = documented(&page);
    let variables = variables();
    let missing: Vec<&String> = variables
        .keys()
        .filter(|v| !documented.contains_key(*v))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/src/templates.md does not list these variables: {missing:?}"
    );
    let unknown: Vec<&String> = documented
        .keys()
        .filter(|v| !variables.contains_key(*v))
        .collect();
    assert!(
        unknown.is_empty(),
        "docs/src/templates.md lists variables no view has: {unknown:?}"
    );
    for (name, kinds) in &variables {
        let said = &documented[name];
        if said.contains("all") {
            assert_eq!(
                kinds.len(),
                4,
                "docs/src/templates.md: `{name}` is said to be in all e-mails, but only {kinds:?} have it"
            );
            continue;
        }
        let left_out: Vec<&&str> = kinds.iter().filter(|k| !said.contains(**k)).collect();
        assert!(
            left_out.is_empty(),
            "docs/src/templates.md: `{name}` is also in {left_out:?} e-mails"
        );
    }
}
