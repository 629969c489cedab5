//! `crier check` refuses a site whose generator (Jekyll, Hugo) would publish crier's private
//! files, and warns about subscriber lists committed to git.

use std::path::Path;
use std::process::Command;

use crier::adopt::jekyll::PublishRules;

use crate::common::TempSite;

fn check(site: &TempSite) -> (i32, String) {
    let out = site.crier(&["check"]).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn published_errors(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .filter(|l| l.contains(": error: ") && l.contains("would be published"))
        .collect()
}

#[test]
fn jekyll_would_publish_the_example_sites_private_files() {
    let site = TempSite::example();
    site.write("_config.yml", "title: Riverside\n");
    let (code, stdout) = check(&site);
    assert_eq!(code, 1, "{stdout}");
    for name in [
        "`crier.yaml` (crier's config)",
        "`subscribers/members.csv` (subscriber lists)",
        "`subscribers/speakers.csv` (subscriber lists)",
        "`state/crier.db` (the ledger)",
        "`state/crier.db-wal` (the ledger's journal)",
        "`outbox` (the outbox of unsent messages)",
        "`preview` (the send preview)",
    ] {
        assert!(
            published_errors(&stdout).iter().any(|l| l.contains(name)
                && l.contains("move it under `_crier/` (Jekyll skips underscore folders) or add it to `exclude:` in _config.yml")),
            "no error for {name} in:\n{stdout}"
        );
    }
    // Located at the key that sets the path (crier.yaml line of `delivery:`'s state_db).
    let config = site.read("crier.yaml");
    let line = config
        .lines()
        .position(|l| l.trim_start().starts_with("state_db:"))
        .unwrap()
        + 1;
    assert!(
        stdout.contains(&format!("crier.yaml:{line}:1: error: `state/crier.db`")),
        "{stdout}"
    );

    // Excluding them (folders by name, the config by a glob) makes the site clean.
    site.write(
        "_config.yml",
        "title: Riverside\nexclude:\n  - \"*.yaml\"\n  - subscribers/\n  - state\n  - outbox\n  - preview\n",
    );
    let (code, stdout) = check(&site);
    assert_eq!(code, 0, "{stdout}");
    assert!(published_errors(&stdout).is_empty(), "{stdout}");
}

#[test]
fn private_files_under_underscore_folders_pass_but_not_in_the_destination() {
    let site = TempSite::example();
    site.write("_config.yml", "exclude: [crier.yaml]\n");
    let config = site.read("crier.yaml").replace(
        "delivery:\n  outbox_dir: outbox\n  state_db: state/crier.db\n",
        "delivery:\n  outbox_dir: _site/outbox\n  state_db: _crier/state/crier.db\n",
    );
    let config = config.replace(
        "  only_if_new: true",
        "  only_if_new: true\n  subscribers_dir: _crier/subscribers\n  preview_dir: .preview",
    );
    site.write("crier.yaml", config);
    std::fs::create_dir_all(site.path().join("_crier")).unwrap();
    std::fs::rename(
        site.path().join("subscribers"),
        site.path().join("_crier/subscribers"),
    )
    .unwrap();
    let (code, stdout) = check(&site);
    assert_eq!(code, 1, "{stdout}");
    let errors: Vec<&str> = stdout.lines().filter(|l| l.contains(": error: ")).collect();
    assert_eq!(errors.len(), 1, "{stdout}");
    assert!(
        errors[0].contains(
            "`_site/outbox` (the outbox of unsent messages) is inside Jekyll's output folder"
        ),
        "{stdout}"
    );
}

#[test]
fn a_key_file_inside_the_site_is_an_error() {
    let site = TempSite::example();
    site.write("_config.yml", "exclude: [crier.yaml]\n");
    let key = site.path().join("keys/token.key");
    let config = site
        .read("crier.yaml")
        .replace(
            "  only_if_new: true",
            &format!(
                "  only_if_new: true\n  subscribers_dir: _crier/subscribers\n  preview_dir: _crier/preview\n  token_key_file: {}",
                key.display()
            ),
        )
        .replace("outbox_dir: outbox", "outbox_dir: _crier/outbox")
        .replace("state_db: state/crier.db", "state_db: _crier/state/crier.db");
    site.write("crier.yaml", config);
    crate::common::copy_dir(
        &site.path().join("subscribers"),
        &site.path().join("_crier/subscribers"),
    );
    std::fs::remove_dir_all(site.path().join("subscribers")).unwrap();
    let (code, stdout) = check(&site);
    assert_eq!(code, 1, "{stdout}");
    let errors = published_errors(&stdout);
    assert_eq!(errors.len(), 1, "{stdout}");
    assert!(
        errors[0].contains("`keys/token.key` (the unsubscribe-token key)"),
        "{stdout}"
    );
}

#[test]
fn hugo_publishes_what_is_under_static() {
    let site = TempSite::example();
    site.write("hugo.toml", "title = 'x'\n");
    site.write("content/_index.md", "");
    let (code, stdout) = check(&site);
    assert_eq!(code, 0, "only static/ is published: {stdout}");
    let config = site.read("crier.yaml").replace(
        "  only_if_new: true",
        "  only_if_new: true\n  subscribers_dir: static/lists",
    );
    site.write("crier.yaml", config);
    crate::common::copy_dir(
        &site.path().join("subscribers"),
        &site.path().join("static/lists"),
    );
    let (code, stdout) = check(&site);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        published_errors(&stdout).iter().any(|l| l
            .contains("`static/lists/members.csv` (subscriber lists)")
            && l.contains("Hugo copies everything under `static/`")),
        "{stdout}"
    );
}

fn git(dir: &Path, args: &[&str]) -> bool {
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn subscriber_lists_tracked_by_git_are_a_warning() {
    let site = TempSite::example();
    if !git(site.path(), &["init", "-q"]) {
        crate::common::skipped("git is not available");
        return;
    }
    let (code, stdout) = check(&site);
    assert_eq!(code, 0, "{stdout}");
    assert!(!stdout.contains("tracked by git"), "untracked: {stdout}");
    // The example site's lists hold only reserved example addresses: sample data, no warning.
    assert!(git(site.path(), &["add", "subscribers/speakers.csv"]));
    let (code, stdout) = check(&site);
    assert_eq!(code, 0, "{stdout}");
    assert!(
        !stdout.contains("tracked by git"),
        "example addresses: {stdout}"
    );
    // A list with a real-looking address (`.invalid` is never delivered, RFC 2606).
    site.write(
        "subscribers/members.csv",
        "email,name\nada@example.com,Ada\nperson@mail.invalid,Person\n",
    );
    assert!(git(site.path(), &["add", "subscribers/members.csv"]));
    let (code, stdout) = check(&site);
    assert_eq!(code, 0, "a warning only: {stdout}");
    let warnings: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("tracked by git"))
        .collect();
    assert_eq!(warnings.len(), 1, "{stdout}");
    assert!(
        warnings[0].contains("subscribers/members.csv:1:1: warning: "),
        "{stdout}"
    );
}

/// The publish rule against the real thing, where Jekyll is installed (Debian's `jekyll`).
#[test]
fn the_rule_matches_a_real_jekyll_build() {
    if !crate::common::jekyll_available() {
        crate::common::skipped("jekyll is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = "title: t\nexclude: [notes.txt, \"*.bak\", state, \"keys/\"]\ninclude: [_keep]\n";
    std::fs::write(dir.path().join("_config.yml"), config).unwrap();
    std::fs::write(dir.path().join("Gemfile"), "").unwrap();
    let files = [
        "crier.yaml",
        "subscribers/members.csv",
        "_crier/subscribers/a.csv",
        ".env",
        "#x",
        "~y",
        "z~",
        "notes.txt",
        "notes.txt2",
        "a.bak",
        "d/e.bak",
        "statement.md",
        "state/crier.db",
        "keys/k.key",
        "keysx/k",
        "node_modules/m.js",
        "vendor/bundle/x",
        "vendor/other/x",
        "Gemfile.lock",
        "gemfiles/x",
        "_keep/x",
        "sub/_hidden/x",
        "sub/.hid",
        ".htaccess",
        "outbox/a.eml",
    ];
    for f in files {
        let path = dir.path().join(f);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "plain\n").unwrap();
    }
    let out = Command::new("jekyll")
        .args(["build", "-q"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rules = PublishRules::of_site(dir.path());
    for f in files {
        let built = dir.path().join("_site").join(f).exists();
        let predicted = rules.publishes(Path::new(f), false).is_some();
        assert_eq!(predicted, built, "{f}");
    }
}
