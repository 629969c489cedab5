//! Shared helpers for the end-to-end tests: temporary sites and running the real binary.
#![allow(dead_code)]

pub mod daemon;
pub mod smtp;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use tempfile::TempDir;

/// The instant every test runs at, so output is reproducible.
pub const NOW: &str = "2026-11-25T12:00:00Z";

/// The unsubscribe-token secret every test run uses.
pub const TEST_KEY: &str = "test-key-test-key-test-key-test-key!";
/// Its environment variable.
pub const TOKEN_ENV: &str = "CRIER_TOKEN_KEY";

/// A site in a temporary folder.
pub struct TempSite {
    pub dir: TempDir,
}

pub const CONFIG: &str = "site:
  title: Test Meetup
  description: A meetup for tests
  url: https://meetup.example.com
  author: Test Organisers
  language: en-GB
  timezone: Europe/London
";

impl TempSite {
    /// An empty site with the default test config and an empty posts folder.
    pub fn new() -> Self {
        Self::with_config(CONFIG)
    }

    pub fn with_config(config: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("posts")).expect("posts dir");
        std::fs::write(dir.path().join("crier.yaml"), config).expect("config");
        TempSite { dir }
    }

    /// A copy of the repository's own example site (config, posts, templates, subscribers).
    pub fn example() -> Self {
        let site = Self::with_config(&std::fs::read_to_string(repo().join("crier.yaml")).unwrap());
        for dir in ["posts", "templates", "subscribers"] {
            copy_dir(&repo().join(dir), &site.path().join(dir));
        }
        site
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, contents).unwrap();
        path
    }

    pub fn post(&self, name: &str, front_matter: &str, body: &str) -> PathBuf {
        self.write(
            &format!("posts/{name}"),
            format!("---\n{front_matter}---\n{body}"),
        )
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path().join(rel))
            .unwrap_or_else(|e| panic!("cannot read {rel}: {e}"))
    }

    /// `crier --site <dir> --now NOW <args>`.
    pub fn crier(&self, args: &[&str]) -> Command {
        Command::from_std(self.crier_std(args))
    }

    /// The same as [`Self::crier`], as a plain `std::process::Command` (to spawn and kill).
    pub fn crier_std(&self, args: &[&str]) -> std::process::Command {
        self.crier_at(NOW, args)
    }

    /// The binary with the clock at `now`.
    pub fn crier_at(&self, now: &str, args: &[&str]) -> std::process::Command {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("crier"));
        cmd.arg("--site")
            .arg(self.path())
            .arg("--now")
            .arg(now)
            .args(args);
        cmd.env_remove("CRIER_LOG");
        // Tests never touch the real home folder: keys go (if anywhere) under the site.
        cmd.env("XDG_CONFIG_HOME", self.path().join(".config"));
        cmd.env(TOKEN_ENV, TEST_KEY);
        cmd
    }
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Every feed file under `dir`, sorted.
pub fn feed_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Parses a feed with the independent `feed-rs` parser.
pub fn parse_feed(path: &Path) -> feed_rs::model::Feed {
    let bytes = std::fs::read(path).unwrap();
    feed_rs::parser::parse(&bytes[..])
        .unwrap_or_else(|e| panic!("{} does not parse: {e}", path.display()))
}

/// Every `href="..."` and `src="..."` value in an HTML string.
pub fn html_urls(html: &str) -> Vec<String> {
    let mut urls = Vec::new();
    for attr in ["href=\"", "src=\"", "href='", "src='"] {
        let quote = attr.chars().last().unwrap();
        let mut rest = html;
        while let Some(i) = rest.find(attr) {
            let after = &rest[i + attr.len()..];
            let end = after.find(quote).unwrap_or(after.len());
            urls.push(after[..end].to_owned());
            rest = &after[end..];
        }
    }
    urls
}

/// The Python interpreter and whether feedparser is importable. In CI (`CRIER_REQUIRE_PYTHON=1`)
/// a missing feedparser is a failure, not a skip.
pub fn feedparser_python() -> Option<String> {
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let ok = std::process::Command::new(&python)
        .args(["-c", "import feedparser"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        Some(python)
    } else if std::env::var("CRIER_REQUIRE_PYTHON").is_ok_and(|v| v == "1") {
        panic!("CRIER_REQUIRE_PYTHON=1 but `{python} -c 'import feedparser'` fails: run `python3 -m pip install feedparser`");
    } else {
        crate::common::skipped("the feedparser checks: python3 with feedparser not found");
        None
    }
}

/// Whether Debian's `jekyll` with the jekyll-feed plugin can run here. In CI
/// (`CRIER_REQUIRE_JEKYLL=1`, set by `.ci/run`, which installs them) a missing one fails the
/// test instead of skipping it.
pub fn jekyll_available() -> bool {
    let ok = std::process::Command::new("jekyll")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
        && std::process::Command::new("ruby")
            .args(["-e", "require 'jekyll-feed'"])
            .output()
            .is_ok_and(|o| o.status.success());
    if !ok && std::env::var("CRIER_REQUIRE_JEKYLL").is_ok_and(|v| v == "1") {
        panic!("CRIER_REQUIRE_JEKYLL=1 but jekyll or jekyll-feed is missing: apt-get install jekyll ruby-jekyll-feed");
    }
    ok
}

/// Stops a test that needs `../shared/reference` (real Jekyll posts kept beside the repository,
/// never in it) when it is not there. Those tests are `#[ignore]`d, so `cargo test` lists them
/// as ignored with the reason; asked for with `--ignored`, a missing folder is a failure.
pub fn require_reference(reference: &Path) {
    assert!(
        reference.exists(),
        "this test needs {} (real Jekyll posts, not part of the repository); without it, run `cargo test` without --ignored",
        reference.display()
    );
}

/// Says that a check was skipped, where the person running the tests sees it: straight to the
/// terminal (libtest captures `eprintln!`, so a skip note would vanish on success), naming the
/// test. In CI every tool is required (the `CRIER_REQUIRE_*` variables), so nothing skips there.
pub fn skipped(what: &str) {
    use std::io::Write;
    let test = std::thread::current().name().unwrap_or("a test").to_owned();
    let _ = writeln!(std::io::stderr().lock(), "SKIPPED in {test}: {what}");
}
