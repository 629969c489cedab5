//! The module structure holds: `src/lib.rs` lists the top-level modules from the bottom layer
//! up, and no module uses one listed after it (so there is no import cycle between top-level
//! modules either). Test code (`tests.rs` files, `#[cfg(test)]` modules, `test_support`) may
//! reach anywhere and is left out.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::common::repo;

/// The top-level modules in the order `lib.rs` declares them.
fn declared_order(lib: &str) -> Vec<String> {
    lib.lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod "))
        .map(|rest| rest.trim_end_matches(';').trim().to_owned())
        .collect()
}

/// Every `.rs` file of a top-level module (`src/x.rs` or `src/x/**`), test files left out.
fn files_of(src: &Path, module: &str) -> Vec<PathBuf> {
    let file = src.join(format!("{module}.rs"));
    if file.exists() {
        return vec![file];
    }
    let mut out = Vec::new();
    let mut stack = vec![src.join(module)];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if name != "tests" {
                    stack.push(path);
                }
            } else if name.ends_with(".rs") && name != "tests.rs" && name != "test_support.rs" {
                out.push(path);
            }
        }
    }
    out
}

/// The source without its `#[cfg(test)]` items (a module or function after the attribute,
/// up to its matching closing brace).
fn without_test_code(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut rest = source;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        let Some(open) = after.find(['{', ';']) else {
            rest = "";
            break;
        };
        if after.as_bytes()[open] == b';' {
            rest = &after[open + 1..];
            continue;
        }
        let mut depth = 0usize;
        let mut end = after.len();
        for (i, c) in after[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// The top-level modules a source file names through `crate::`.
fn uses(source: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let code: String = source
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    for (i, _) in code.match_indices("crate::") {
        let tail = &code[i + "crate::".len()..];
        if let Some(group) = tail.strip_prefix('{') {
            // `use crate::{a, b::c}`: every first path segment in the group.
            let group = &group[..group.find('}').unwrap_or(group.len())];
            for item in group.split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                found.insert(name);
            }
        } else {
            let name: String = tail
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            found.insert(name);
        }
    }
    found.retain(|m| modules.contains(m));
    found
}

#[test]
fn no_module_uses_one_declared_after_it() {
    let src = repo().join("src");
    let order = declared_order(&std::fs::read_to_string(src.join("lib.rs")).unwrap());
    assert!(order.len() > 10, "lib.rs lists the modules: {order:?}");
    let all: BTreeSet<String> = order.iter().cloned().collect();
    let mut violations = Vec::new();
    for (rank, module) in order.iter().enumerate() {
        for file in files_of(&src, module) {
            let source = without_test_code(&std::fs::read_to_string(&file).unwrap());
            for used in uses(&source, &all) {
                let used_rank = order.iter().position(|m| *m == used).unwrap();
                if used_rank > rank {
                    violations.push(format!(
                        "{} (module `{module}`) uses `{used}`, which lib.rs lists after it",
                        file.strip_prefix(repo()).unwrap_or(&file).display()
                    ));
                }
            }
        }
    }
    assert!(
        violations.is_empty(),
        "modules must only use modules listed before them in src/lib.rs:\n{}",
        violations.join("\n")
    );
}

#[test]
fn the_checker_sees_grouped_and_plain_paths_and_skips_test_code() {
    let modules: BTreeSet<String> = ["a", "b", "c", "d"].iter().map(|s| s.to_string()).collect();
    let source = "use crate::{a::X, b};\nfn f() { crate::c::g(); }\n// crate::d in a comment\n#[cfg(test)]\nmod tests { use crate::d; fn x() { if true { } } }\n";
    let used = uses(&without_test_code(source), &modules);
    assert_eq!(
        used.into_iter().collect::<Vec<_>>(),
        ["a", "b", "c"],
        "test code and comments do not count"
    );
}
