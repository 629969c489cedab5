//! Feed fixes (issue 11): XML-forbidden characters, stale and colliding tag feeds, non-ASCII
//! tag URLs, empty bodies, video start times, extension-less images and `feeds.url`'s host.

use crate::common::{parse_feed, TempSite, CONFIG};

fn build(site: &TempSite) -> (bool, String) {
    let out = site.crier(&["build"]).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn characters_xml_forbids_are_removed_with_a_warning() {
    let site = TempSite::new();
    site.post(
        "2026-05-02-pasted.md",
        "title: \"Pasted\\ftitle\"\ndescription: \"odd\\u0001summary\"\n",
        "First line.\n\nA form\u{c}feed and a \u{1}start of heading.\n",
    );
    let (ok, stderr) = build(&site);
    assert!(ok, "{stderr}");
    // The body's line 7 in the file (front matter is lines 1-4), and the title's line 2.
    assert!(
        stderr.contains("2026-05-02-pasted.md:7:7: warning:"),
        "{stderr}"
    );
    assert!(stderr.contains("U+000C"), "{stderr}");
    assert!(stderr.contains("2026-05-02-pasted.md:2:"), "{stderr}");
    for file in ["rss.xml", "atom.xml", "feed.json"] {
        let text = site.read(&format!("public/{file}"));
        assert!(
            !text.contains(['\u{c}', '\u{1}'])
                && !text.contains("\\f")
                && !text.contains("\\u0001"),
            "{file}: {text}"
        );
    }
    let rss = site.read("public/rss.xml");
    assert!(rss.contains("<title>Pastedtitle</title>"), "{rss}");
    assert!(rss.contains("A formfeed and a start of heading."), "{rss}");
    site.crier(&["check"]).assert().success();
}

#[test]
fn feeds_of_tags_without_posts_are_removed_at_the_next_build() {
    let site = TempSite::new();
    site.post("2026-05-02-a.md", "title: A\ntags: [Old, Kept]\n", "x\n");
    site.write("public/tags/custom/index.html", "mine");
    site.write("public/tags/notes/readme.txt", "mine too");
    let (ok, stderr) = build(&site);
    assert!(ok, "{stderr}");
    assert!(site.path().join("public/tags/old/rss.xml").exists());
    site.write("public/tags/old/extra.txt", "someone else's file");
    site.post("2026-05-02-a.md", "title: A\ntags: [New, Kept]\n", "x\n");
    let (ok, stderr) = build(&site);
    assert!(ok, "{stderr}");
    let public = site.path().join("public/tags");
    assert!(public.join("new/rss.xml").exists());
    assert!(public.join("kept/atom.xml").exists());
    for file in ["rss.xml", "atom.xml", "feed.json"] {
        assert!(!public.join("old").join(file).exists(), "{file}");
    }
    // Only crier's three files go: a folder with other files stays, with them.
    assert!(public.join("old/extra.txt").exists());
    assert!(public.join("custom/index.html").exists());
    assert!(public.join("notes/readme.txt").exists());

    site.post("2026-05-02-a.md", "title: A\ntags: [Kept]\n", "x\n");
    let (ok, stderr) = build(&site);
    assert!(ok, "{stderr}");
    assert!(!public.join("new").exists(), "an emptied folder is removed");
}

#[test]
fn colliding_tag_slugs_get_distinct_feeds_and_a_warning() {
    let site = TempSite::new();
    site.post("2026-05-01-cpp.md", "title: Cpp\ntags: [C++]\n", "x\n");
    site.post("2026-05-02-cs.md", "title: Cs\ntags: [C#]\n", "x\n");
    site.post("2026-05-03-c.md", "title: C\ntags: [C]\n", "x\n");
    site.post(
        "2026-05-04-cn.md",
        "title: Cn\ntags: [Cloud Native]\n",
        "x\n",
    );
    site.post(
        "2026-05-05-cn2.md",
        "title: Cn2\ntags: [cloud-native]\n",
        "x\n",
    );
    let (ok, stderr) = build(&site);
    assert!(ok, "{stderr}");
    let tags = site.path().join("public/tags");
    let one = |dir: &str| {
        let feed = parse_feed(&tags.join(dir).join("atom.xml"));
        assert_eq!(feed.entries.len(), 1, "{dir}");
        feed.entries[0].title.as_ref().unwrap().content.clone()
    };
    assert_eq!(one("c-plus-plus"), "Cpp");
    assert_eq!(one("c-sharp"), "Cs");
    assert_eq!(one("c"), "C");
    // The older tag keeps the plain slug; the newer gets a suffix from a hash of its name.
    assert_eq!(one("cloud-native"), "Cn");
    let suffixed: Vec<_> = std::fs::read_dir(&tags)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("cloud-native-"))
        .collect();
    assert_eq!(suffixed.len(), 1, "{suffixed:?}");
    assert_eq!(one(&suffixed[0]), "Cn2");
    assert!(stderr.contains("warning:"), "{stderr}");
    assert!(
        stderr.contains("`cloud-native`") && stderr.contains("`Cloud Native`"),
        "{stderr}"
    );
    // Stable: a second build gives the same folder.
    build(&site);
    assert!(tags.join(&suffixed[0]).join("rss.xml").exists());
}

#[test]
fn non_ascii_tag_slugs_are_percent_encoded_in_urls() {
    let site = TempSite::new();
    site.post("2026-05-02-cafe.md", "title: Café\ntags: [Café]\n", "x\n");
    let (ok, stderr) = build(&site);
    assert!(ok, "{stderr}");
    let dir = site.path().join("public/tags/café");
    assert!(dir.join("rss.xml").exists());
    let rss = std::fs::read_to_string(dir.join("rss.xml")).unwrap();
    assert!(
        rss.contains("href=\"https://meetup.example.com/tags/caf%C3%A9/rss.xml\""),
        "{rss}"
    );
    let atom = std::fs::read_to_string(dir.join("atom.xml")).unwrap();
    assert!(!atom.contains("tags/café"), "{atom}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("feed.json")).unwrap()).unwrap();
    assert_eq!(
        json["feed_url"],
        "https://meetup.example.com/tags/caf%C3%A9/feed.json"
    );
}

#[test]
fn a_post_with_an_empty_body_is_a_valid_json_feed_item() {
    let site = TempSite::new();
    site.post("2026-05-02-empty.md", "title: Empty\n", "");
    let (ok, stderr) = build(&site);
    assert!(ok, "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&site.read("public/feed.json")).unwrap();
    let item = &json["items"][0];
    let has_content = |key: &str| item[key].as_str().is_some_and(|s| !s.trim().is_empty());
    assert!(
        has_content("content_html") || has_content("content_text"),
        "{item}"
    );
}

#[test]
fn a_video_start_time_is_kept_in_the_watch_link() {
    let site = TempSite::new();
    site.post(
        "2026-05-02-talk.md",
        "title: Talk\nvideo: https://www.youtube.com/embed/abc_DEF-123?start=20\n",
        "x\n",
    );
    let (ok, stderr) = build(&site);
    assert!(ok, "{stderr}");
    let rss = site.read("public/rss.xml");
    assert!(
        rss.contains("https://www.youtube.com/watch?v=abc_DEF-123&amp;t=20"),
        "{rss}"
    );
}

#[test]
fn an_image_without_extension_has_no_media_element_but_appears_in_content() {
    let site = TempSite::new();
    site.post(
        "2026-05-02-photo.md",
        "title: Photo\nimage: https://images.example.org/photo/abc123\n",
        "Text only.\n",
    );
    let (ok, stderr) = build(&site);
    assert!(ok, "{stderr}");
    let rss = site.read("public/rss.xml");
    assert!(!rss.contains("media:content"), "{rss}");
    let atom = parse_feed(&site.path().join("public/atom.xml"));
    assert!(atom.entries[0]
        .links
        .iter()
        .all(|l| l.rel.as_deref() != Some("enclosure")));
    let html = atom.entries[0]
        .content
        .as_ref()
        .and_then(|c| c.body.clone())
        .unwrap();
    assert!(
        html.contains("<img src=\"https://images.example.org/photo/abc123\""),
        "{html}"
    );
}

#[test]
fn feeds_url_on_another_host_gets_a_warning() {
    let site = TempSite::with_config(&format!(
        "{CONFIG}feeds:\n  url: https://www.example.com/feeds/\n"
    ));
    let out = site
        .crier(&["check"])
        .assert()
        .success()
        .get_output()
        .clone();
    // `check` reports on stdout.
    let stderr = String::from_utf8_lossy(&out.stdout);
    assert!(stderr.contains("crier.yaml:9:"), "{stderr}");
    assert!(stderr.contains("warning:"), "{stderr}");
    assert!(stderr.contains("www.example.com"), "{stderr}");
    assert!(stderr.contains("meetup.example.com"), "{stderr}");

    let site = TempSite::with_config(&format!(
        "{CONFIG}feeds:\n  url: https://meetup.example.com/feeds/\n"
    ));
    let out = site
        .crier(&["check"])
        .assert()
        .success()
        .get_output()
        .clone();
    // `check` reports on stdout.
    let stderr = String::from_utf8_lossy(&out.stdout);
    assert!(!stderr.contains("warning:"), "{stderr}");
}
