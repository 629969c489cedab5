//! The repository holds sources and the example site, never generated output: feeds, previews,
//! outboxes, ledgers and keys are written by crier and must not be committed (a committed
//! ledger or subscriber export would also leak personal data).

use std::process::Command;

use crate::common::repo;

/// Top-level entries a checkout may track.
const ALLOWED: &[&str] = &[
    ".ci",
    ".gitignore",
    "BENCHMARKS.md",
    "Cargo.lock",
    "Cargo.toml",
    "README.md",
    "bench",
    "crier.yaml",
    "docs",
    "rustfmt.toml",
    "posts",
    "src",
    "subscribers",
    "templates",
    "tests",
];

fn tracked() -> Option<Vec<String>> {
    let out = Command::new("git")
        .arg("-C")
        .arg(repo())
        .args(["ls-files", "-z"])
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    Some(
        String::from_utf8_lossy(&out.stdout)
            .split('\0')
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect(),
    )
}

#[test]
fn nothing_generated_is_tracked() {
    let Some(files) = tracked() else {
        crate::common::skipped("not a git checkout");
        return;
    };
    assert!(!files.is_empty());
    let mut unexpected: Vec<&String> = files
        .iter()
        .filter(|f| {
            let top = f.split('/').next().unwrap_or("");
            !ALLOWED.contains(&top)
        })
        .collect();
    // Generated kinds of file anywhere outside the test fixtures.
    unexpected.extend(files.iter().filter(|f| {
        !f.starts_with("tests/")
            && (f.ends_with(".eml")
                || f.ends_with(".db")
                || f.ends_with(".key")
                || f.ends_with("rss.xml")
                || f.ends_with("atom.xml")
                || f.ends_with("feed.json"))
    }));
    assert!(
        unexpected.is_empty(),
        "generated or unexpected files are tracked: {unexpected:?}"
    );
}

#[test]
fn generated_folders_are_ignored() {
    let ignore = std::fs::read_to_string(repo().join(".gitignore")).unwrap();
    for folder in ["/target", "/public", "/preview", "/outbox", "/state"] {
        assert!(
            ignore.lines().any(|l| l.trim() == folder),
            "{folder} is missing from .gitignore"
        );
    }
}
