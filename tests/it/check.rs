//! End-to-end tests of `crier check` and of how bad input is reported: every problem as
//! `path:line:col: severity: message`, nothing panics, and one bad file never hides the rest.

use crate::common::{TempSite, CONFIG};

/// Runs `crier check` and returns (exit code, stdout).
fn check(site: &TempSite) -> (i32, String) {
    let out = site.crier(&["check"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// Asserts a line `<file>:<line>:<col>: <severity>: ...<needle>...` is in `stdout`.
fn assert_reported(stdout: &str, file: &str, at: &str, severity: &str, needle: &str) {
    let found = stdout
        .lines()
        .any(|l| l.contains(&format!("{file}:{at}: {severity}: ")) && l.contains(needle));
    assert!(
        found,
        "expected `{file}:{at}: {severity}: ...{needle}...` in:\n{stdout}"
    );
}

#[test]
fn example_site_is_clean() {
    let site = TempSite::example();
    let (code, stdout) = check(&site);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("checked 11 posts (10 published, 1 unpublished, 0 scheduled, 0 skipped): 0 errors, 0 warnings"), "{stdout}");
}

#[test]
fn every_kind_of_bad_post_is_reported_with_its_location() {
    let site = TempSite::new();
    site.post("2026-01-10-good.md", "title: Good\n", "Fine.\n");
    site.write("posts/2026-01-11-latin1.md", b"---\ntitle: caf\xe9\n---\n");
    site.write("posts/2026-01-12-empty.md", "");
    site.write("posts/2026-01-13-list.md", "---\n- a\n- b\n---\nbody\n");
    site.write(
        "posts/2026-01-14-huge.md",
        format!("---\ntitle: Huge\n---\n{}", "x".repeat(10 * 1024 * 1024)),
    );
    site.write(
        "posts/2026-01-15-crlf-title.md",
        "---\ntags: [a]\ntitle: \"Hello\\r\\nBcc: victim@example.com\"\n---\n",
    );
    site.write("posts/2021-02-30-no-such-day.md", "---\ntitle: Feb\n---\n");
    site.write("posts/about.md", "---\ntitle: About\n---\n");
    site.write(
        "posts/2026-01-16-yaml.md",
        "---\ntitle: ok\ndescription: fine\ntags: [a, b\nlocation: x\n---\n",
    );
    site.write(
        "posts/2026-01-17-no-title.md",
        // Without `title:` a post is titled after its file name, as in Jekyll; an empty one is
        // an error.
        "---\ntitle: \"\"\ndescription: no title here\n---\n",
    );
    site.write(
        "posts/2026-01-18-no-front-matter.md",
        "# Just Markdown\n\nNo front matter.\n",
    );
    site.write(
        "posts/2026-01-19-published.md",
        "---\ntitle: Maybe\npublished: perhaps\n---\n",
    );
    site.write(
        "posts/2026-01-20-bad-date.md",
        "---\ntitle: Bad date\ndate: 2026-13-01\n---\n",
    );

    let (code, stdout) = check(&site);
    assert_eq!(code, 1, "{stdout}");
    assert_reported(
        &stdout,
        "2026-01-11-latin1.md",
        "2:11",
        "error",
        "not valid UTF-8",
    );
    assert_reported(
        &stdout,
        "2026-01-12-empty.md",
        "1:1",
        "error",
        "file is empty",
    );
    assert_reported(
        &stdout,
        "2026-01-13-list.md",
        "2:1",
        "error",
        "found a list",
    );
    assert_reported(
        &stdout,
        "2026-01-14-huge.md",
        "1:1",
        "error",
        "over the limit",
    );
    assert_reported(
        &stdout,
        "2026-01-15-crlf-title.md",
        "3:1",
        "error",
        "field `title`: expected a single line of text, found a line break",
    );
    assert_reported(
        &stdout,
        "2021-02-30-no-such-day.md",
        "1:1",
        "error",
        "`2021-02-30` is not a real date",
    );
    assert_reported(
        &stdout,
        "about.md",
        "1:1",
        "error",
        "does not start with a date",
    );
    assert_reported(
        &stdout,
        "2026-01-16-yaml.md",
        "5:9",
        "error",
        "invalid YAML",
    );
    assert_reported(
        &stdout,
        "2026-01-17-no-title.md",
        "2:1",
        "error",
        "field `title`: expected the post's title, found an empty string",
    );
    assert_reported(
        &stdout,
        "2026-01-18-no-front-matter.md",
        "1:1",
        "error",
        "did you forget the opening `---`?",
    );
    assert_reported(
        &stdout,
        "2026-01-19-published.md",
        "3:1",
        "error",
        "field `published`: expected true or false (or yes/no, on/off), found `perhaps`",
    );
    assert_reported(
        &stdout,
        "2026-01-20-bad-date.md",
        "3:1",
        "error",
        "field `date`",
    );
    assert!(stdout.contains("checked 13 posts (1 published, 0 unpublished, 0 scheduled, 12 skipped): 12 errors, 0 warnings"), "{stdout}");
}

#[test]
fn non_markdown_files_and_hidden_files_are_ignored() {
    let site = TempSite::new();
    site.post("2026-01-10-good.md", "title: Good\n", "Fine.\n");
    site.write("posts/photo.png", [0x89, b'P', b'N', b'G']);
    site.write("posts/notes.txt", "notes");
    site.write("posts/.2026-01-10-hidden.md", "junk");
    site.write("posts/2026-01-10-good.md~", "junk");
    site.write("posts/_drafts/2026-01-10-x.md", "junk");
    site.post("nested/2026-02-10-nested.md", "title: Nested\n", "Fine.\n");
    let (code, stdout) = check(&site);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("checked 2 posts"), "{stdout}");
}

#[test]
fn jekyll_conventions_are_understood() {
    let site = TempSite::new();
    site.post(
        "2026-01-10-draft.md",
        "title: Draft\npublished: no\n",
        "x\n",
    );
    site.post("2026-01-11-off.md", "title: Off\npublished: off\n", "x\n");
    site.post(
        "2026-01-12-on.md",
        "title: On\npublished: yes\ntags: Meetup Video\n",
        "x\n",
    );
    site.post(
        "2026-01-13-liquid.md",
        "title: Liquid\n",
        "![x]({{site.baseurl}}/a.png)\n\n{% include youtube.html id=\"x\" %}\n",
    );
    let (code, stdout) = check(&site);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("(2 published, 2 unpublished"), "{stdout}");
    assert_reported(
        &stdout,
        "2026-01-13-liquid.md",
        "6:1",
        "warning",
        "unsupported Liquid tag `{% include youtube.html id=\"x\" %}` left as-is",
    );
}

#[test]
fn duplicate_permalinks_name_both_files() {
    let site = TempSite::new();
    site.post("2026-01-10-same.md", "title: One\n", "x\n");
    site.post("2026-01-10-other.md", "title: Two\nslug: same\n", "x\n");
    let (code, stdout) = check(&site);
    assert_eq!(code, 1, "{stdout}");
    assert_reported(
        &stdout,
        "2026-01-10-same.md",
        "1:1",
        "error",
        "/2026/01/10/same/ is also used by",
    );
    assert!(stdout.contains("2026-01-10-other.md"), "{stdout}");
}

#[test]
fn config_typos_and_bad_values_are_errors_naming_key_and_line() {
    let site = TempSite::with_config(&format!("{CONFIG}feeds:\n  limt: 5\n"));
    let (code, stdout) = check(&site);
    assert_eq!(code, 1);
    assert!(
        stdout.contains(
            "crier.yaml:9:3: error: invalid config: feeds: unknown field `limt`, expected one of"
        ),
        "{stdout}"
    );

    let site =
        TempSite::with_config(&CONFIG.replace("https://meetup.example.com", "meetup.example.com"));
    let (code, stdout) = check(&site);
    assert_eq!(code, 1);
    assert!(
        stdout
            .contains("crier.yaml:4:1: error: field `site.url`: expected an absolute http(s) URL"),
        "{stdout}"
    );
}

#[test]
fn a_missing_config_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let out = assert_cmd::Command::cargo_bin("crier")
        .unwrap()
        .arg("--site")
        .arg(dir.path())
        .arg("check")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("no crier.yaml in") && stdout.contains("run `crier init` there"),
        "{stdout}"
    );
}

/// Type errors in crier.yaml name the key and say what was expected in plain words, never
/// Rust's type names.
#[test]
fn config_type_errors_are_in_plain_words() {
    for (from, to, says) in [
        (
            "  limit: 20",
            "  limit: many",
            "field `feeds.limit`: expected a whole number (0 or more), found \"many\"",
        ),
        (
            "feeds:\n",
            "feeds: 7\nfeeds_was:\n",
            "field `feeds`: expected a section of `key: value` lines",
        ),
        (
            "  tags: true",
            "  tags: yes please",
            "field `feeds.tags`: expected true or false",
        ),
    ] {
        let site = TempSite::example();
        let config = site.read("crier.yaml").replacen(from, to, 1);
        site.write("crier.yaml", config);
        let out = site.crier(&["check"]).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1));
        assert!(stdout.contains(says), "{stdout}");
        for rust in ["usize", "struct Raw", "Some("] {
            assert!(!stdout.contains(rust), "{stdout}");
        }
    }
}

#[test]
fn usage_errors_exit_2_and_every_command_has_help() {
    let site = TempSite::new();
    site.crier(&["frobnicate"]).assert().code(2);
    site.crier(&["build", "--nope"]).assert().code(2);
    assert_cmd::Command::cargo_bin("crier")
        .unwrap()
        .args(["--now", "yesterday", "check"])
        .assert()
        .code(2);
    // Every subcommand the CLI defines (new ones included) answers --help with its usage.
    use clap::CommandFactory;
    let commands: Vec<String> = crier::cli::Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_owned())
        .filter(|name| name != "help")
        .collect();
    assert!(commands.len() >= 5, "{commands:?}");
    for name in &commands {
        let out = assert_cmd::Command::cargo_bin("crier")
            .unwrap()
            .args([name.as_str(), "--help"])
            .output()
            .unwrap();
        let help = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{name} --help");
        assert!(
            help.contains(&format!("Usage: crier {name}")),
            "{name}: {help}"
        );
        assert!(
            help.lines().next().is_some_and(|l| !l.trim().is_empty()),
            "{name} has no description"
        );
    }
    let top = assert_cmd::Command::cargo_bin("crier")
        .unwrap()
        .arg("--help")
        .output()
        .unwrap();
    let top = String::from_utf8_lossy(&top.stdout);
    for name in &commands {
        assert!(top.contains(name.as_str()), "--help lists {name}");
    }
}

/// A command's help lists its own options first, then the global ones under their heading.
#[test]
fn a_commands_help_shows_its_own_options_first() {
    let site = TempSite::new();
    let out = site.crier(&["send", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    let own = help.find("--dry-run").expect("--dry-run");
    let global = help
        .find("Global options:")
        .expect("a heading for global options");
    let site_flag = help.find("--site").expect("--site");
    assert!(own < global && global < site_flag, "{help}");
}

/// A suppressed address's warning points at its own row in the list.
#[test]
fn a_suppressed_row_is_named_with_its_line() {
    let site = TempSite::example();
    let out = site
        .crier(&["suppressions", "add", "margaret@example.org"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let out = site.crier(&["check"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find(|l| l.contains("margaret@example.org is suppressed"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        line.contains("subscribers/members.csv:5:1: warning"),
        "{line}"
    );
}
