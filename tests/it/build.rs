//! End-to-end tests of `crier build`: the real binary on temporary sites, its feeds parsed back
//! by independent parsers (feed-rs, and Python's feedparser when available).

use std::collections::BTreeMap;
use std::path::Path;

use crate::common::{feed_files, feedparser_python, html_urls, parse_feed, TempSite, CONFIG};
use feed_rs::model::FeedType;

fn build_ok(site: &TempSite) {
    site.crier(&["build"]).assert().success();
}

fn snapshot_dir(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    feed_files(dir)
        .into_iter()
        .map(|p| {
            (
                p.strip_prefix(dir).unwrap().display().to_string(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect()
}

#[test]
fn example_site_builds_feeds_that_parse_with_absolute_urls() {
    let site = TempSite::example();
    build_ok(&site);
    let files = feed_files(&site.path().join("public"));
    assert!(
        files.len() >= 9 && files.len().is_multiple_of(3),
        "{files:?}"
    );
    for file in &files {
        let feed = parse_feed(file);
        assert!(
            !feed.entries.is_empty(),
            "{} has no entries",
            file.display()
        );
        for entry in &feed.entries {
            let html = entry
                .content
                .as_ref()
                .and_then(|c| c.body.clone())
                .unwrap_or_default();
            assert!(
                !html.is_empty(),
                "{}: entry without content",
                file.display()
            );
            for url in html_urls(&html) {
                assert!(
                    url.starts_with("https://") || url.starts_with("mailto:"),
                    "{}: relative or odd URL {url:?}",
                    file.display()
                );
                assert!(
                    !url.contains(' '),
                    "{}: unencoded space in {url:?}",
                    file.display()
                );
            }
        }
    }
    let rss = parse_feed(&site.path().join("public/rss.xml"));
    assert_eq!(rss.feed_type, FeedType::RSS2);
    assert_eq!(rss.entries.len(), 10, "draft post must not be published");
    assert!(rss
        .entries
        .iter()
        .all(|e| !e.title.as_ref().unwrap().content.contains("Sponsoring")));
    let atom = parse_feed(&site.path().join("public/atom.xml"));
    assert_eq!(atom.feed_type, FeedType::Atom);
    let json = parse_feed(&site.path().join("public/feed.json"));
    assert_eq!(json.feed_type, FeedType::JSON);
    assert!(site.path().join("public/tags/meetup/rss.xml").exists());
}

#[test]
fn same_input_and_clock_give_byte_identical_output() {
    let site = TempSite::example();
    let (one, two) = (site.path().join("one"), site.path().join("two"));
    site.crier(&["build", "--out", one.to_str().unwrap()])
        .assert()
        .success();
    // Touch every post: modification times must not leak into the output.
    for entry in std::fs::read_dir(site.path().join("posts")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read(&path).unwrap();
        std::fs::write(&path, text).unwrap();
    }
    site.crier(&["build", "--out", two.to_str().unwrap()])
        .assert()
        .success();
    let one = snapshot_dir(&one);
    let two = snapshot_dir(&two);
    assert!(!one.is_empty());
    assert_eq!(one, two);
}

#[test]
fn a_bad_post_is_reported_and_skipped_but_the_rest_are_published() {
    let site = TempSite::new();
    site.post("2026-01-10-good.md", "title: Good one\n", "Hello.\n");
    site.post(
        "2026-02-10-also-good.md",
        "title: Good two\n",
        "Hello again.\n",
    );
    site.post("2026-03-10-bad.md", "title: [unclosed\n", "Broken.\n");
    let out = site.crier(&["build"]).assert().code(1).get_output().clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("2026-03-10-bad.md:2:"), "{stderr}");
    assert!(
        stderr.contains("error: invalid YAML in front matter"),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("1 post skipped"), "{stdout}");
    let feed = parse_feed(&site.path().join("public/rss.xml"));
    let titles: Vec<_> = feed
        .entries
        .iter()
        .map(|e| e.title.clone().unwrap().content)
        .collect();
    assert_eq!(titles, ["Good two", "Good one"]);
}

#[test]
fn writes_are_atomic_and_unchanged_files_are_left_alone() {
    let site = TempSite::new();
    site.post("2026-01-10-a.md", "title: A\n", "Body.\n");
    build_ok(&site);
    let rss = site.path().join("public/rss.xml");
    let before = std::fs::metadata(&rss).unwrap().modified().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    build_ok(&site);
    assert_eq!(std::fs::metadata(&rss).unwrap().modified().unwrap(), before);
    let names: Vec<_> = std::fs::read_dir(site.path().join("public"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.contains(".tmp")), "{names:?}");
}

#[test]
fn feeds_are_newest_first_and_limited() {
    let site = TempSite::with_config(&format!("{CONFIG}feeds:\n  limit: 3\n"));
    for month in 1..=5 {
        site.post(
            &format!("2026-0{month}-01-post-{month}.md"),
            &format!("title: Post {month}\ntags: [Meetup]\n"),
            "Text.\n",
        );
    }
    build_ok(&site);
    for file in [
        "public/rss.xml",
        "public/atom.xml",
        "public/feed.json",
        "public/tags/meetup/feed.json",
    ] {
        let feed = parse_feed(&site.path().join(file));
        let titles: Vec<_> = feed
            .entries
            .iter()
            .map(|e| e.title.clone().unwrap().content)
            .collect();
        assert_eq!(titles, ["Post 5", "Post 4", "Post 3"], "{file}");
    }
    let all = TempSite::with_config(&format!("{CONFIG}feeds:\n  limit: 0\n"));
    for month in 1..=5 {
        all.post(
            &format!("2026-0{month}-01-post-{month}.md"),
            &format!("title: Post {month}\n"),
            "Text.\n",
        );
    }
    build_ok(&all);
    assert_eq!(
        parse_feed(&all.path().join("public/atom.xml"))
            .entries
            .len(),
        5
    );
}

#[test]
fn tags_that_differ_only_in_case_share_one_feed() {
    let site = TempSite::new();
    site.post(
        "2026-01-10-a.md",
        "title: A\ntags: [Meetup, Cloud Native]\n",
        "x\n",
    );
    site.post("2026-02-10-b.md", "title: B\ntags: meetup\n", "x\n");
    build_ok(&site);
    let feed = parse_feed(&site.path().join("public/tags/meetup/atom.xml"));
    assert_eq!(feed.entries.len(), 2);
    assert!(feed.title.unwrap().content.ends_with(": meetup"));
    assert_eq!(
        parse_feed(&site.path().join("public/tags/cloud-native/rss.xml"))
            .entries
            .len(),
        1
    );
}

#[test]
fn unicode_and_markup_characters_in_titles_survive_a_round_trip() {
    let title = r#"Café <&> "quotes" — 東京 & ampersands &amp; tags <b>"#;
    let site = TempSite::new();
    site.post(
        "2026-01-10-special.md",
        &format!("title: '{}'\n", title.replace('\'', "''")),
        "Body.\n",
    );
    build_ok(&site);
    for file in ["rss.xml", "atom.xml", "feed.json"] {
        let feed = parse_feed(&site.path().join("public").join(file));
        assert_eq!(
            feed.entries[0].title.as_ref().unwrap().content,
            title,
            "{file}"
        );
    }
}

fn atom_ids(site: &TempSite) -> Vec<String> {
    parse_feed(&site.path().join("public/atom.xml"))
        .entries
        .into_iter()
        .map(|e| e.id)
        .collect()
}

#[test]
fn atom_ids_survive_edits_permalink_changes_and_https_moves() {
    let site = TempSite::with_config(&CONFIG.replace("https://", "http://"));
    site.post("2026-01-10-recap.md", "title: Recap\n", "First version.\n");
    site.post(
        "2026-02-10-other.md",
        "title: Other\nid: urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427\n",
        "x\n",
    );
    build_ok(&site);
    let before = atom_ids(&site);
    assert_eq!(
        before,
        [
            "urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427",
            "tag:meetup.example.com,2026-01-10:recap"
        ]
    );

    site.write(
        "crier.yaml",
        format!("{CONFIG}permalink: /blog/:year/:title.html\n"),
    );
    site.post(
        "2026-01-10-recap.md",
        "title: Recap (edited)\nslug: renamed\ncategories: [news]\n",
        "Edited.\n",
    );
    build_ok(&site);
    assert_eq!(atom_ids(&site), before);
    let link = &parse_feed(&site.path().join("public/atom.xml")).entries[1].links[0].href;
    assert_eq!(link, "https://meetup.example.com/blog/2026/renamed.html");
}

#[test]
fn relative_urls_become_absolute_and_valid() {
    let site = TempSite::with_config(&CONFIG.replace("  author:", "  baseurl: /blog\n  author:"));
    site.post(
        "2026-01-10-urls.md",
        "title: URLs\nimage: /images/Cover Photo.jpg\nvideo: https://www.youtube.com/embed/abc_DEF-123\n",
        "![Group]({{ site.baseurl }}/images/Group Photo July.png)\n\n[rel](other/) [root](/about/) [proto](//cdn.example.org/x.js) <img src=\"/raw.png\">\n",
    );
    build_ok(&site);
    let rss = site.read("public/rss.xml");
    assert!(
        rss.contains("https://meetup.example.com/blog/images/Group%20Photo%20July.png"),
        "{rss}"
    );
    assert!(
        rss.contains("https://meetup.example.com/blog/2026/01/10/urls/other/"),
        "{rss}"
    );
    assert!(
        rss.contains("https://meetup.example.com/blog/about/"),
        "{rss}"
    );
    assert!(rss.contains("https://cdn.example.org/x.js"), "{rss}");
    assert!(
        rss.contains("https://meetup.example.com/blog/raw.png"),
        "{rss}"
    );
    assert!(
        rss.contains(r#"<media:content medium="image" type="image/jpeg" url="https://meetup.example.com/blog/images/Cover%20Photo.jpg">"#),
        "{rss}"
    );
    assert!(
        rss.contains("<atom:link href=\"https://meetup.example.com/blog/rss.xml\" rel=\"self\""),
        "{rss}"
    );
    let json: serde_json::Value = serde_json::from_str(&site.read("public/feed.json")).unwrap();
    assert_eq!(
        json["items"][0]["image"],
        "https://meetup.example.com/blog/images/Cover%20Photo.jpg"
    );
    assert_eq!(
        json["feed_url"],
        "https://meetup.example.com/blog/feed.json"
    );
    let atom = parse_feed(&site.path().join("public/atom.xml"));
    let related: Vec<_> = atom.entries[0]
        .links
        .iter()
        .filter(|l| l.rel.as_deref() == Some("related"))
        .collect();
    assert_eq!(
        related[0].href,
        "https://www.youtube.com/watch?v=abc_DEF-123"
    );
}

#[test]
fn rss_has_what_strict_readers_need() {
    let site = TempSite::new();
    site.post(
        "2026-03-11-march.md",
        "title: March\ndate: 2026-03-11 19:30:00 +0000\ndescription: The March recap.\nimage: /images/m.png\ntags: [Meetup, Video]\n",
        "Full *body* here.\n",
    );
    build_ok(&site);
    let rss = site.read("public/rss.xml");
    for needle in [
        "<guid>https://meetup.example.com/2026/03/11/march/</guid>",
        "<pubDate>Wed, 11 Mar 2026 19:30:00 +0000</pubDate>",
        "<lastBuildDate>Wed, 11 Mar 2026 19:30:00 +0000</lastBuildDate>",
        "<category>Meetup</category>",
        "<description><![CDATA[The March recap.]]></description>",
        "<content:encoded><![CDATA[<p>Full <em>body</em> here.</p>",
        "type=\"image/png\"",
        "<dc:creator>Test Organisers</dc:creator>",
    ] {
        assert!(rss.contains(needle), "missing {needle} in\n{rss}");
    }
    let atom = site.read("public/atom.xml");
    for needle in [
        "<published>2026-03-11T19:30:00+00:00</published>",
        "<updated>2026-03-11T19:30:00+00:00</updated>",
        "<summary type=\"html\">The March recap.</summary>",
        "<content type=\"html\">",
        "rel=\"self\"",
        "rel=\"alternate\"",
        "<name>Test Organisers</name>",
    ] {
        assert!(atom.contains(needle), "missing {needle} in\n{atom}");
    }
}

#[test]
fn future_posts_wait_unless_future_is_enabled() {
    let site = TempSite::new();
    site.post("2026-01-10-past.md", "title: Past\n", "x\n");
    site.post("2027-01-10-future.md", "title: Future\n", "x\n");
    build_ok(&site);
    assert_eq!(
        parse_feed(&site.path().join("public/rss.xml"))
            .entries
            .len(),
        1
    );
    site.write("crier.yaml", format!("{CONFIG}future: true\n"));
    build_ok(&site);
    assert_eq!(
        parse_feed(&site.path().join("public/rss.xml"))
            .entries
            .len(),
        2
    );
}

#[test]
fn a_site_without_posts_still_gets_valid_feeds_dated_now() {
    let site = TempSite::new();
    build_ok(&site);
    let atom = site.read("public/atom.xml");
    assert!(
        atom.contains("<updated>2026-11-25T12:00:00+00:00</updated>"),
        "{atom}"
    );
    for file in feed_files(&site.path().join("public")) {
        assert!(parse_feed(&file).entries.is_empty());
    }
}

fn assert_feedparser_clean(python: &str, dir: &Path) {
    // feedparser reads RSS and Atom; JSON Feed is checked by feed-rs and serde_json.
    let files: Vec<String> = feed_files(dir)
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .map(|p| p.display().to_string())
        .collect();
    assert!(!files.is_empty());
    let script = r#"
import sys, feedparser
bad = []
for path in sys.argv[1:]:
    d = feedparser.parse(path)
    if d.bozo:
        bad.append("%s: %r" % (path, d.bozo_exception))
    for e in d.entries:
        if not (e.get("title") and e.get("link") and e.get("id")):
            bad.append("%s: entry without title/link/id" % path)
print("\n".join(bad))
sys.exit(1 if bad else 0)
"#;
    let out = std::process::Command::new(python)
        .arg("-c")
        .arg(script)
        .args(&files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "feedparser: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn feedparser_reads_every_feed_without_errors() {
    let Some(python) = feedparser_python() else {
        return;
    };
    let site = TempSite::example();
    build_ok(&site);
    assert_feedparser_clean(&python, &site.path().join("public"));
}

#[test]
#[ignore = "needs ../shared/reference (real Jekyll posts, not in the repository): cargo test -- --ignored"]
fn real_jekyll_posts_load_unchanged_when_available() {
    let reference = crate::common::repo().join("../shared/reference/posts");
    crate::common::require_reference(&reference);
    let site = TempSite::with_config(&format!("{CONFIG}posts_dir: {}\n", reference.display()));
    let out = site
        .crier(&["build"])
        .assert()
        .success()
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("error"), "{stderr}");
    let rss = parse_feed(&site.path().join("public/rss.xml"));
    assert!(rss.entries.len() >= 5);
    for file in feed_files(&site.path().join("public")) {
        let feed = parse_feed(&file);
        for entry in feed.entries {
            let html = entry.content.and_then(|c| c.body).unwrap_or_default();
            for url in html_urls(&html) {
                assert!(
                    url.starts_with("http") || url.starts_with("mailto:"),
                    "{url}"
                );
                assert!(!url.contains(' '), "{url}");
            }
        }
    }
    if let Some(python) = feedparser_python() {
        assert_feedparser_clean(&python, &site.path().join("public"));
    }
}
