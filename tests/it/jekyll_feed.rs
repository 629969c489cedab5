//! Switching a Jekyll blog from jekyll-feed to crier (issue 19): `crier init
//! --replace-jekyll-feed` writes the feeds into Jekyll's source folder, beside `_config.yml`,
//! where a real `jekyll build` publishes crier's `feed.xml` instead of jekyll-feed's; `check`
//! refuses feeds written into `_site/`; the daemon serves `/feed.xml` and nothing else of the
//! source folder, and `/healthz` says when a served feed file is gone.

use std::path::Path;
use std::time::{Duration, Instant};

use crier::adopt::jekyll::PublishRules;

use crate::common::daemon::Daemon;
use crate::common::{parse_feed, TempSite, CONFIG};

/// A Jekyll blog that uses jekyll-feed, with tag feeds, under a `baseurl`.
const JEKYLL_CONFIG: &str = "title: Harbour Tech Talks
url: https://harbour.example.org
baseurl: /blog
timezone: Europe/Dublin
permalink: /:year/:month/:title/
plugins:
  - jekyll-feed
feed:
  tags: true
kramdown:
  input: kramdown
";

/// An empty temporary folder to run `crier --site <it> ...` in.
fn empty() -> TempSite {
    TempSite {
        dir: tempfile::tempdir().unwrap(),
    }
}

fn blog() -> TempSite {
    let site = empty();
    site.write("_config.yml", JEKYLL_CONFIG);
    site.write(
        "_posts/2026-10-01-october-talks.md",
        "---\ntitle: October talks\ntags: [Talks]\n---\n\nTwo talks about caching.\n",
    );
    site.write(
        "_posts/2026-11-05-november-talks.md",
        "---\ntitle: November talks\ntags: [Talks, Cloud Native]\n---\n\nOne talk about queues.\n",
    );
    site.write("index.md", "---\ntitle: Home\n---\nHello\n");
    site
}

/// Runs crier; (exit code, stdout and stderr together).
fn run(site: &TempSite, args: &[&str]) -> (i32, String) {
    let out = site.crier(args).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// The generator and the entry ids of a feed.
fn generator_and_ids(path: &Path) -> (String, Vec<String>) {
    let feed = parse_feed(path);
    let generator = feed.generator.map(|g| g.content).unwrap_or_default();
    (generator, feed.entries.into_iter().map(|e| e.id).collect())
}

#[test]
fn replace_jekyll_feed_writes_feed_xml_beside_config_yml_and_jekyll_publishes_crier_s() {
    let site = blog();
    let (code, out) = run(&site, &["init", "--replace-jekyll-feed"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("crier now writes jekyll-feed's feed.xml"),
        "{out}"
    );
    let config = site.read("crier.yaml");
    for line in [
        "  output_dir: .   #",
        "  url: https://harbour.example.org/blog/   #",
        "  ids: jekyll-feed   #",
        "  paths: jekyll-feed   #",
    ] {
        assert!(config.contains(line), "missing {line:?} in:\n{config}");
    }
    let (code, out) = run(&site, &["check"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(" 0 errors"), "{out}");
    let (code, out) = run(&site, &["build"]);
    assert_eq!(code, 0, "{out}");

    // Beside _config.yml, with jekyll-feed's ids and its URL as the self link.
    let (generator, ids) = generator_and_ids(&site.path().join("feed.xml"));
    assert_eq!(generator, "crier");
    assert_eq!(
        ids,
        [
            "https://harbour.example.org/blog/2026/11/november-talks",
            "https://harbour.example.org/blog/2026/10/october-talks",
        ]
    );
    let self_link = parse_feed(&site.path().join("feed.xml"))
        .links
        .into_iter()
        .find(|l| l.rel.as_deref() == Some("self"))
        .unwrap();
    assert_eq!(self_link.href, "https://harbour.example.org/blog/feed.xml");
    assert_eq!(
        generator_and_ids(&site.path().join("feed/by_tag/Talks.xml")).1,
        ids
    );
    // Jekyll's rules publish the feeds, and still none of crier's private files.
    let rules = PublishRules::of_site(site.path());
    for public in [
        "feed.xml",
        "feed/by_tag/Talks.xml",
        "atom.xml",
        "tags/talks/rss.xml",
    ] {
        assert!(
            rules.publishes(Path::new(public), false).is_some(),
            "{public}"
        );
    }
    for private in [
        "crier.yaml",
        "_crier/subscribers/members.csv",
        "_crier/state/crier.db",
    ] {
        assert!(
            rules.publishes(Path::new(private), false).is_none(),
            "{private}"
        );
    }
    jekyll_build_publishes_crier_s_feeds(&site, &ids);
}

/// With Jekyll and jekyll-feed installed, `jekyll build` copies crier's feeds into `_site/`
/// and jekyll-feed writes none of its own over them.
fn jekyll_build_publishes_crier_s_feeds(site: &TempSite, ids: &[String]) {
    if !crate::common::jekyll_available() {
        crate::common::skipped("the `jekyll build` half: jekyll with jekyll-feed is not installed (apt-get install jekyll ruby-jekyll-feed)");
        return;
    }
    let jekyll = std::process::Command::new("jekyll")
        .args(["build", "--quiet"])
        .current_dir(site.path())
        .output()
        .unwrap();
    assert!(
        jekyll.status.success(),
        "{}",
        String::from_utf8_lossy(&jekyll.stderr)
    );
    let built = site.path().join("_site");
    for feed in ["feed.xml", "feed/by_tag/Talks.xml"] {
        let (generator, published_ids) = generator_and_ids(&built.join(feed));
        assert_eq!(generator, "crier", "_site/{feed} is jekyll-feed's");
        assert_eq!(published_ids, ids, "_site/{feed}");
        assert_eq!(
            std::fs::read(built.join(feed)).unwrap(),
            std::fs::read(site.path().join(feed)).unwrap(),
            "_site/{feed} is a copy of crier's"
        );
    }
    assert!(built.join("2026/10/october-talks/index.html").is_file());
    for private in ["crier.yaml", "_crier"] {
        assert!(!built.join(private).exists(), "{private} was published");
    }
}

#[test]
fn plain_init_suggests_the_switch_which_then_edits_only_the_feeds_keys() {
    let site = blog();
    // jekyll-feed declared in the Gemfile only, as GitHub Pages sites often do.
    site.write(
        "_config.yml",
        JEKYLL_CONFIG.replace("plugins:\n  - jekyll-feed\n", ""),
    );
    site.write(
        "Gemfile",
        "source \"https://rubygems.org\"\n\ngroup :jekyll_plugins do\n  gem \"jekyll-feed\", \"~> 0.17\"\nend\n",
    );
    let (code, out) = run(&site, &["init"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("jekyll-feed (line 4 of the Gemfile) still publishes https://harbour.example.org/blog/feed.xml")
            && out.contains("run `crier init --replace-jekyll-feed`"),
        "{out}"
    );
    assert!(site.read("crier.yaml").contains("  output_dir: feeds\n"));
    // The organiser's own edits to crier.yaml survive the switch.
    let mine = site
        .read("crier.yaml")
        .replace("  recap_tag: Meetup", "  recap_tag: Talks   # my edit");
    site.write("crier.yaml", &mine);
    assert_eq!(run(&site, &["build"]).0, 0);

    let (code, out) = run(&site, &["init", "--replace-jekyll-feed"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("switched the feeds of"), "{out}");
    assert!(
        out.contains("edited  crier.yaml: `feeds:` take over jekyll-feed's URLs"),
        "{out}"
    );
    assert!(
        out.contains("crier no longer writes into feeds/ (published at https://harbour.example.org/blog/feeds/)"),
        "{out}"
    );
    let switched = site.read("crier.yaml");
    assert!(
        switched.contains("  recap_tag: Talks   # my edit"),
        "{switched}"
    );
    assert!(switched.contains("  output_dir: .   #"), "{switched}");
    assert!(!switched.contains("output_dir: feeds"), "{switched}");
    // init's comments about feeds/ went with it; the takeover's own explain the new keys.
    assert!(
        !switched.contains("# jekyll-feed keeps writing"),
        "{switched}"
    );
    assert!(
        !switched.contains("into feeds/ in the site folder"),
        "{switched}"
    );
    assert!(
        switched.contains("  # crier takes over jekyll-feed's URLs"),
        "{switched}"
    );
    // Every line outside `feeds:` is as it was.
    let unchanged = |text: &str| -> Vec<String> {
        let (before, rest) = text.split_once("\nfeeds:\n").unwrap();
        let after = &rest[rest.find("\n\n").unwrap()..];
        before
            .lines()
            .chain(after.lines())
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(
        unchanged(&switched),
        unchanged(&mine),
        "only the feeds keys changed"
    );
    assert_eq!(site.read("_config.yml").matches("crier.yaml").count(), 1);
    let (code, out) = run(&site, &["check"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(run(&site, &["build"]).0, 0);
    assert_eq!(generator_and_ids(&site.path().join("feed.xml")).0, "crier");
    // Once more: nothing left to change.
    let (code, out) = run(&site, &["init", "--replace-jekyll-feed"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("already take over"), "{out}");
    assert_eq!(site.read("crier.yaml"), switched);
}

#[test]
fn replace_jekyll_feed_refuses_sites_it_cannot_switch_and_others_feed_files() {
    let (code, out) = run(&empty(), &["init", "--replace-jekyll-feed"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("has no _config.yml"), "{out}");

    let site = blog();
    site.write("_config.yml", "title: No plugins\n");
    let (code, out) = run(&site, &["init", "--replace-jekyll-feed"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("does not use jekyll-feed"), "{out}");
    assert!(!site.path().join("crier.yaml").exists());

    // A hand-written Liquid feed at one of crier's names: a build would replace it.
    let site = blog();
    let theirs = "---\nlayout: null\n---\n<feed>{{ site.title }}</feed>\n";
    site.write("atom.xml", theirs);
    let (code, out) = run(&site, &["init", "--replace-jekyll-feed"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("atom.xml: crier did not write this file") && out.contains("--force"),
        "{out}"
    );
    assert!(!site.path().join("crier.yaml").exists());
    assert_eq!(site.read("atom.xml"), theirs);
    let (code, out) = run(&site, &["init", "--replace-jekyll-feed", "--force"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(run(&site, &["build"]).0, 0);
    assert_eq!(generator_and_ids(&site.path().join("atom.xml")).0, "crier");
}

#[test]
fn check_refuses_feeds_written_where_jekyll_wipes_them() {
    // The old recipe wrote into _site/, which every `jekyll build` empties.
    let feeds = |dir: &str| {
        format!("{CONFIG}feeds:\n  output_dir: {dir}\n  url: https://meetup.example.com/\n  ids: jekyll-feed\n  paths: jekyll-feed\n")
    };
    let site = TempSite::with_config(&feeds("_site"));
    site.write(
        "_config.yml",
        "title: x\nexclude: [crier.yaml, posts, subscribers, state, outbox, preview]\n",
    );
    let (code, out) = run(&site, &["check"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("crier.yaml:9:1: error: field `feeds.output_dir`: expected a folder in Jekyll's source")
            && out.contains("found `_site`, inside `_site/`, Jekyll's destination, which every `jekyll build` empties"),
        "{out}"
    );
    assert!(out.contains("1 error"), "{out}");

    // A destination of its own name, and a feeds folder inside it.
    site.write("crier.yaml", feeds("public/feeds"));
    site.write(
        "_config.yml",
        "destination: public\nexclude: [crier.yaml, posts, subscribers, state, outbox, preview]\n",
    );
    let (code, out) = run(&site, &["check"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("found `public/feeds`, inside `public/`"),
        "{out}"
    );

    // In the source folder (here beside _config.yml) it is right.
    site.write("crier.yaml", feeds("."));
    let (code, out) = run(&site, &["check"]);
    assert_eq!(code, 0, "{out}");
}

/// Polls `/healthz` until it starts with `status`; returns the body.
fn wait_for_status(daemon: &Daemon, status: &str) -> String {
    let started = Instant::now();
    loop {
        let (_, _, body) = daemon.get("/healthz");
        if body.starts_with(status) {
            return body;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "/healthz never said {status:?}; it says:\n{body}"
        );
        std::thread::sleep(Duration::from_millis(25));
    }
}

#[test]
fn the_daemon_serves_feed_xml_only_its_feeds_and_healthz_names_a_missing_one() {
    let site = blog();
    assert_eq!(run(&site, &["init", "--replace-jekyll-feed"]).0, 0);
    let daemon = Daemon::start(&site);
    let feed = site.path().join("feed.xml");

    let (status, headers, body) = daemon.get("/blog/feed.xml");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, site.read("feed.xml"));
    let content_type = headers.iter().find(|(k, _)| k == "content-type");
    assert_eq!(
        content_type.map(|(_, v)| v.as_str()),
        Some("application/atom+xml; charset=utf-8")
    );
    assert_eq!(daemon.get("/blog/feed/by_tag/Talks.xml").0, 200);
    assert_eq!(daemon.get("/blog/tags/talks/atom.xml").0, 200);
    // The feeds folder is the site's source folder: nothing else of it is served.
    for private in [
        "/blog/crier.yaml",
        "/blog/_config.yml",
        "/blog/_crier/subscribers/members.csv",
        "/blog/_posts/2026-10-01-october-talks.md",
        "/blog/index.md",
        "/blog/Gemfile",
    ] {
        assert_eq!(daemon.get(private).0, 404, "{private}");
    }
    assert!(wait_for_status(&daemon, "ok\n").contains("rebuilds: 1"));

    std::fs::remove_file(&feed).unwrap();
    let health = wait_for_status(&daemon, "degraded\n");
    assert!(health.contains("missing feed files: 1 of "), "{health}");
    assert!(
        health.contains(&format!("  {}\n", feed.display())),
        "{health}"
    );
    assert_eq!(daemon.get("/blog/feed.xml").0, 404);

    // A new post: the daemon rebuilds, and writes the feed again.
    site.write(
        "_posts/2026-11-20-december-preview.md",
        "---\ntitle: December preview\ntags: [Talks]\n---\n\nSoon.\n",
    );
    let health = wait_for_status(&daemon, "ok\n");
    assert!(!health.contains("missing"), "{health}");
    let (status, _, body) = daemon.get("/blog/feed.xml");
    assert_eq!(status, 200);
    assert!(body.contains("December preview"), "{body}");
}
