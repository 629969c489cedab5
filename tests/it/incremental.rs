//! The daemon's incremental rebuilds give the same bytes as a full `crier build`: posts are
//! edited (also twice in a row with the same length), added, deleted, unpublished, dated in
//! the future, re-tagged and broken then fixed through the running daemon, and after each
//! step every served feed is compared with a fresh build of the same files.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::daemon::Daemon;
use crate::common::TempSite;

const NEWEST: &str = "posts/2026-11-20-sponsorship-2027.md";
const NOVEMBER: &str = "posts/2026-11-12-riverside-cloud-native-november-2026.md";
const OCTOBER: &str = "posts/2026-10-15-riverside-cloud-native-october-2026.md";
const MAY: &str = "posts/2026-05-14-riverside-cloud-native-may-2026.md";

/// Every feed file under `dir` (relative path -> text).
fn feed_files(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "xml" || e == "json") {
                let rel = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                // A stale tag feed may be removed while the daemon rebuilds: the next
                // comparison sees the result.
                if let Ok(text) = std::fs::read_to_string(&path) {
                    out.insert(rel, text);
                }
            }
        }
    }
    out
}

/// What differs between the daemon's feeds (served, and in its output folder) and those of a
/// fresh `crier build` of the site's current files; empty when they are the same.
fn differences(site: &TempSite, daemon: &Daemon) -> Vec<String> {
    let fresh = site.path().join("fresh");
    let _ = std::fs::remove_dir_all(&fresh);
    let out = site
        .crier(&["build", "--out", fresh.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.code().is_some(), "crier build ran");
    let expected = feed_files(&fresh);
    assert!(expected.contains_key("rss.xml"), "{expected:?}");
    let on_disk = feed_files(&site.path().join("public"));
    let mut problems = Vec::new();
    if on_disk.keys().ne(expected.keys()) {
        problems.push(format!(
            "files differ: daemon {:?}, build {:?}",
            on_disk.keys().collect::<Vec<_>>(),
            expected.keys().collect::<Vec<_>>()
        ));
    }
    for (rel, bytes) in &expected {
        let (status, _, served) = daemon.get(&format!("/{rel}"));
        if status != 200 || served != *bytes {
            problems.push(format!("/{rel}: status {status}, served bytes differ"));
        }
    }
    problems
}

/// Waits (at most 10 s) until the daemon serves exactly what a fresh build makes.
fn assert_same_as_build(site: &TempSite, daemon: &Daemon, step: &str) {
    let started = Instant::now();
    loop {
        let problems = differences(site, daemon);
        if problems.is_empty() {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "after {step}, the daemon's feeds are not those of a full build:\n{}",
            problems.join("\n")
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn edit(site: &TempSite, rel: &str, from: &str, to: &str) {
    let text = site.read(rel);
    assert!(text.contains(from), "{rel} has {from:?}");
    site.write(rel, text.replacen(from, to, 1));
}

#[test]
fn incremental_rebuilds_serve_the_bytes_of_a_full_build() {
    let site = TempSite::example();
    // Five items per feed: edits move posts in and out of the feeds' windows.
    let config = site.read("crier.yaml").replace("limit: 20", "limit: 5");
    site.write("crier.yaml", config);
    let daemon = Daemon::start(&site);
    assert_same_as_build(&site, &daemon, "start-up");

    let title = |rel: &str| {
        let text = site.read(rel);
        let line = text.lines().find(|l| l.starts_with("title:")).unwrap();
        line.to_owned()
    };

    // A title edited, then edited again at once with one of the same length.
    let newest = title(NEWEST);
    edit(&site, NEWEST, &newest, "title: \"Edited once AAAA\"");
    edit(&site, NEWEST, "Edited once AAAA", "Edited twice BBB");
    assert_same_as_build(&site, &daemon, "two quick edits of one length");
    edit(&site, NEWEST, "Edited twice BBB", "Edited thrice CC");
    assert_same_as_build(&site, &daemon, "a third edit of that length");

    // A body edited (only the rendering changes).
    let body = site.read(NOVEMBER) + "\nA paragraph added while the daemon runs.\n";
    site.write(NOVEMBER, body);
    assert_same_as_build(&site, &daemon, "a body edit");

    // A new post, newest of all, with a new tag; then one of its tags removed.
    site.post(
        "2026-11-24-added-while-running.md",
        "title: Added while running\ntags: [Meetup, Brand New Tag]\n",
        "Fresh **news**.\n",
    );
    assert_same_as_build(&site, &daemon, "a post added with a new tag");
    site.post(
        "2026-11-24-added-while-running.md",
        "title: Added while running\ntags: [Meetup]\n",
        "Fresh **news**.\n",
    );
    assert_same_as_build(&site, &daemon, "the new tag removed (its feeds go)");

    // A post deleted: an older one comes back into the five-item window.
    std::fs::remove_file(site.path().join(OCTOBER)).unwrap();
    assert_same_as_build(&site, &daemon, "a post deleted");

    // Unpublished, then published again.
    let may = site.read(MAY);
    site.write(MAY, may.replacen("---\n", "---\npublished: false\n", 1));
    assert_same_as_build(&site, &daemon, "a post unpublished");
    site.write(MAY, &may);
    assert_same_as_build(&site, &daemon, "a post published again");

    // A post dated in the future is left out, as by a build.
    site.post(
        "2026-12-24-christmas-special.md",
        "title: Christmas special\ntags: [Meetup]\n",
        "Not yet.\n",
    );
    assert_same_as_build(&site, &daemon, "a future-dated post added");

    // A post broken: the daemon serves its last good version (a build leaves it out), so
    // wait for the daemon to see it, fix it differently, and compare.
    let november = site.read(NOVEMBER);
    site.write(NOVEMBER, november.replacen("title:", "title: [unclosed", 1));
    daemon.wait_for_health(&["broken posts: 1"]);
    site.write(
        NOVEMBER,
        november.replacen("title:", "title: Fixed after a break #", 1),
    );
    daemon.wait_for_health(&["ok\n"]);
    assert_same_as_build(&site, &daemon, "a broken post fixed");

    // A config change: everything is read and rendered again.
    let config = site.read("crier.yaml").replace("limit: 5", "limit: 3");
    site.write("crier.yaml", config);
    assert_same_as_build(&site, &daemon, "the feed limit changed");
    let config = site
        .read("crier.yaml")
        .replace("permalink: pretty", "permalink: date");
    site.write("crier.yaml", config);
    assert_same_as_build(&site, &daemon, "the permalink style changed");

    assert_eq!(daemon.stop(), Some(0));
}
