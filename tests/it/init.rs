//! `crier init`: adopting crier in a Jekyll site, and a starter site in an empty folder. After
//! it, `crier check` passes and no private file is published.

use std::path::{Path, PathBuf};

use crier::adopt::jekyll::PublishRules;

use crate::common::{copy_dir, repo, TempSite};

/// An empty temporary folder to run `crier --site <it> ...` in.
fn empty() -> TempSite {
    TempSite {
        dir: tempfile::tempdir().unwrap(),
    }
}

fn run(site: &TempSite, args: &[&str]) -> (i32, String, String) {
    let out = site.crier(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A Jekyll site of our own: `_config.yml` with the keys init reads, a post, and a page.
const JEKYLL_CONFIG: &str = "# My blog's settings
title: Harbour Tech Talks
author:
  name: Harbour organisers
  email: hello@harbour.example.org
description: >-
  Talks about software,
  every month.
url: https://harbour.example.org
baseurl: /blog
timezone: Europe/Dublin
permalink: /:year/:month/:title/
plugins:
  - jekyll-feed
feed:
  path: atom.xml
  posts_limit: 12
  tags: true
exclude:
  - Gemfile
  - README.md   # the repository's readme

markdown: kramdown
";

fn jekyll_site() -> TempSite {
    let site = empty();
    site.write("_config.yml", JEKYLL_CONFIG);
    site.write(
        "_posts/2026-10-01-october-talks.md",
        "---\ntitle: October talks\ntags: [Talks]\n---\n\nTwo talks about [caching]({{ site.baseurl }}/caching/).\n",
    );
    site.write("index.md", "---\nlayout: home\n---\n");
    site
}

/// Every file under `root` (relative), sorted.
fn files(root: &Path) -> Vec<PathBuf> {
    crate::common::feed_files(root)
        .into_iter()
        .map(|p| p.strip_prefix(root).unwrap().to_path_buf())
        .collect()
}

/// Files under the site that the Jekyll site's rules would publish.
fn jekyll_published(root: &Path) -> Vec<PathBuf> {
    let rules = PublishRules::of_site(root);
    files(root)
        .into_iter()
        .filter(|f| rules.publishes(f, false).is_some())
        .collect()
}

#[test]
fn jekyll_site_gets_crier_yaml_that_reproduces_its_links() {
    let site = jekyll_site();
    let (code, stdout, stderr) = run(&site, &["init"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let config = site.read("crier.yaml");
    for line in [
        "  title: Harbour Tech Talks\n",
        "  description: Talks about software, every month.\n",
        "  url: https://harbour.example.org",
        "  baseurl: /blog\n",
        "  author: Harbour organisers\n",
        "  timezone: Europe/Dublin",
        "posts_dir: _posts\n",
        "permalink: /:year/:month/:title/",
        "  output_dir: feeds\n",
        "  url: https://harbour.example.org/blog/feeds/\n",
        "  limit: 12",
        "  tags: true",
        "    address: hello@harbour.example.org",
        "  subscribers_dir: _crier/subscribers",
        "  templates_dir: _crier/templates\n",
        "  preview_dir: _crier/preview",
        "  outbox_dir: _crier/outbox\n",
        "  state_db: _crier/state/crier.db",
    ] {
        assert!(config.contains(line), "missing {line:?} in:\n{config}");
    }
    assert!(
        config.contains("jekyll-feed keeps writing https://harbour.example.org/blog/atom.xml"),
        "{config}"
    );
    // `site:` keys are under `site:`.
    let site_block = config.split("\nsite:\n").nth(1).unwrap();
    assert!(site_block.find("  title:") < site_block.find("\nposts_dir:"));

    // _config.yml: one line added to its exclude list, every other byte kept.
    let edited = site.read("_config.yml");
    assert_eq!(
        edited,
        JEKYLL_CONFIG.replace(
            "  - README.md   # the repository's readme\n",
            "  - README.md   # the repository's readme\n  - crier.yaml\n"
        )
    );
    let gitignore = site.read(".gitignore");
    for line in [
        "/_crier/state/",
        "/_crier/outbox/",
        "/_crier/preview/",
        "/_crier/subscribers/",
        "*.key",
    ] {
        assert!(gitignore.lines().any(|l| l == line), "{line}: {gitignore}");
    }
    for file in [
        "_crier/templates/digest.html.hbs",
        "_crier/templates/partials/footer.txt.hbs",
        "_crier/subscribers/members.csv",
    ] {
        assert!(site.path().join(file).is_file(), "{file}");
        assert!(stdout.contains(&format!("created {file}")), "{stdout}");
    }
    assert_eq!(
        site.read("_crier/templates/digest.html.hbs"),
        std::fs::read_to_string(repo().join("templates/digest.html.hbs")).unwrap()
    );
    assert_eq!(site.read("_crier/subscribers/members.csv"), "email,name\n");
    for dir in ["_crier/state", "_crier/outbox", "_crier/preview"] {
        assert!(site.path().join(dir).is_dir(), "{dir}");
    }
    assert!(
        stdout.contains("subscriber lists go in _crier/subscribers/"),
        "{stdout}"
    );
    assert!(
        stdout.contains("edited  _config.yml: added crier.yaml to `exclude:`"),
        "{stdout}"
    );

    // crier check passes; Jekyll would publish none of crier's files but its feeds.
    let (code, stdout, _) = run(&site, &["check"]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("0 errors, 0 warnings"), "{stdout}");
    let (code, stdout, stderr) = run(&site, &["build"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let published = jekyll_published(site.path());
    assert!(
        published.contains(&PathBuf::from("feeds/atom.xml")),
        "{published:?}"
    );
    assert!(
        published
            .iter()
            .all(|p| p.starts_with("feeds") || p == Path::new("index.md")),
        "{published:?}"
    );
    // The feed links reproduce the live site's permalinks.
    let atom = site.read("feeds/atom.xml");
    assert!(
        atom.contains("https://harbour.example.org/blog/2026/10/october-talks/"),
        "{atom}"
    );
}

#[test]
#[ignore = "needs ../shared/reference (real Jekyll posts, not in the repository): cargo test -- --ignored"]
fn reference_jekyll_site_checks_clean_after_init() {
    let reference = repo().join("../shared/reference");
    crate::common::require_reference(&reference);
    let site = empty();
    copy_dir(&reference.join("posts"), &site.path().join("_posts"));
    std::fs::copy(
        reference.join("jekyll_config.yml"),
        site.path().join("_config.yml"),
    )
    .unwrap();
    make_writable(site.path());
    let (code, stdout, stderr) = run(&site, &["init"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let config = site.read("crier.yaml");
    assert!(config.contains("posts_dir: _posts\n"), "{config}");
    assert!(config.contains("permalink: pretty"), "{config}");
    assert!(config.contains("timezone: UTC   #"), "{config}");
    let (code, stdout, _) = run(&site, &["check"]);
    assert_eq!(code, 0, "{stdout}");
    assert!(!stdout.contains("would be published"), "{stdout}");
    assert!(stdout.contains(" 0 errors"), "{stdout}");
    let published = jekyll_published(site.path());
    assert!(published.is_empty(), "{published:?}");
}

fn make_writable(dir: &Path) {
    for file in files(dir) {
        let path = dir.join(file);
        let mut perms = std::fs::metadata(&path).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perms.set_readonly(false);
        std::fs::set_permissions(&path, perms).unwrap();
    }
}

#[test]
fn empty_folder_gets_a_starter_site_that_checks_and_builds() {
    let site = empty();
    std::fs::create_dir(site.path().join(".git")).unwrap();
    let (code, stdout, stderr) = run(&site, &["init"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("wrote a starter site"), "{stdout}");
    for file in [
        "crier.yaml",
        "posts/2026-11-25-welcome.md",
        "templates/digest.txt.hbs",
        "templates/style.css",
        "subscribers/members.csv",
        ".gitignore",
    ] {
        assert!(site.path().join(file).is_file(), "{file}");
    }
    assert!(site.read("crier.yaml").contains("https://example.com"));
    let (code, stdout, _) = run(&site, &["check"]);
    assert_eq!(code, 0, "{stdout}");
    assert!(
        stdout.contains("checked 1 post (1 published, 0 unpublished, 0 scheduled, 0 skipped): 0 errors, 0 warnings"),
        "{stdout}"
    );
    let (code, stdout, stderr) = run(&site, &["build"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(site.path().join("public/atom.xml").is_file());

    // A folder that does not exist yet works too.
    let parent = empty();
    let out = parent
        .crier(&["init"])
        .arg("--site")
        .arg(parent.path().join("new-site"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(parent.path().join("new-site/crier.yaml").is_file());
}

#[test]
fn init_never_overwrites_crier_yaml_without_force() {
    let site = jekyll_site();
    assert_eq!(run(&site, &["init"]).0, 0);
    site.write("crier.yaml", "# mine\n");
    site.write("_crier/templates/style.css", "/* edited */\n");
    let (code, stdout, stderr) = run(&site, &["init"]);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stderr.contains("crier.yaml already exists") && stderr.contains("--force"),
        "{stderr}"
    );
    assert_eq!(site.read("crier.yaml"), "# mine\n");

    let (code, stdout, stderr) = run(&site, &["init", "--force"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(site.read("crier.yaml").contains("Harbour Tech Talks"));
    assert!(
        stdout.contains("edited  crier.yaml: replaced (--force)"),
        "{stdout}"
    );
    assert_eq!(site.read("_crier/templates/style.css"), "/* edited */\n");
    assert!(
        stdout.contains("kept    _crier/templates/style.css"),
        "{stdout}"
    );
    // Already excluded: _config.yml is not edited twice, .gitignore gets no duplicates.
    assert_eq!(site.read("_config.yml").matches("crier.yaml").count(), 1);
    assert_eq!(site.read(".gitignore").matches("/_crier/state/").count(), 1);
}

#[test]
fn config_already_excluded_is_left_alone() {
    let site = empty();
    let config = "title: T\nurl: https://t.example\nexclude: [\"*.yaml\"]\n";
    site.write("_config.yml", config);
    site.write(".gitignore", "/_site\n");
    let (code, stdout, stderr) = run(&site, &["init"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(site.read("_config.yml"), config);
    assert!(site.read(".gitignore").starts_with("/_site\n\n# crier"));
    let (code, stdout, _) = run(&site, &["check"]);
    assert_eq!(code, 0, "{stdout}");
}

#[test]
fn init_refuses_other_folders_and_bad_usage() {
    let site = empty();
    site.write("notes.txt", "not a site\n");
    let (code, stdout, stderr) = run(&site, &["init"]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stderr.contains("neither a Jekyll site (no _config.yml) nor an empty folder"),
        "{stderr}"
    );
    assert!(!site.path().join("crier.yaml").exists());

    let site = empty();
    site.write("_config.yml", "title: [unclosed\n");
    let (code, _, stderr) = run(&site, &["init"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("_config.yml"), "{stderr}");
    assert!(!site.path().join("crier.yaml").exists());

    let (code, stdout, _) = run(&site, &["init", "--help"]);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("_crier/") && stdout.contains("--force") && stdout.contains("Exit codes"),
        "{stdout}"
    );
    assert_eq!(run(&site, &["init", "--frobnicate"]).0, 2);
}

/// With Jekyll installed (Debian's `jekyll`), a real build of the adopted site publishes crier's
/// feeds and none of its private files.
#[test]
fn a_real_jekyll_build_publishes_the_feeds_and_nothing_private() {
    if !crate::common::jekyll_available() {
        crate::common::skipped("jekyll is not installed");
        return;
    }
    let site = jekyll_site();
    // No plugins and no GFM parser: the test machine need not have those gems.
    site.write(
        "_config.yml",
        JEKYLL_CONFIG.replace("plugins:\n  - jekyll-feed\n", "") + "kramdown:\n  input: kramdown\n",
    );
    site.write("index.md", "---\ntitle: Home\n---\nHello\n");
    assert_eq!(run(&site, &["init"]).0, 0);
    site.write("_crier/subscribers/members.csv", "email\nada@example.com\n");
    assert_eq!(run(&site, &["build"]).0, 0);
    let out = std::process::Command::new("jekyll")
        .args(["build", "-q"])
        .current_dir(site.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let built = files(&site.path().join("_site"));
    assert!(
        built.contains(&PathBuf::from("feeds/atom.xml")),
        "{built:?}"
    );
    assert!(
        built.iter().all(|f| f.starts_with("feeds")
            || f.starts_with("2026")
            || f == Path::new("index.html")),
        "{built:?}"
    );
}
