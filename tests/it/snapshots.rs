//! Snapshot tests of the three feed formats for a small fixed site and a fixed clock. Any change
//! to the output shows up as a reviewable diff (`cargo insta review`).

use crate::common::{copy_dir, repo, TempSite};

fn built_fixture() -> TempSite {
    let site = TempSite::with_config(
        &std::fs::read_to_string(repo().join("tests/fixtures/snapshot-site/crier.yaml")).unwrap(),
    );
    copy_dir(
        &repo().join("tests/fixtures/snapshot-site/posts"),
        &site.path().join("posts"),
    );
    site.crier(&["build"]).assert().success();
    site
}

#[test]
fn feeds_match_snapshots() {
    let site = built_fixture();
    insta::assert_snapshot!("rss", site.read("public/rss.xml"));
    insta::assert_snapshot!("atom", site.read("public/atom.xml"));
    insta::assert_snapshot!("json", site.read("public/feed.json"));
    insta::assert_snapshot!("tag_rss", site.read("public/tags/meetup/rss.xml"));
}
