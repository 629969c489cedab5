//! The paths a build writes inside the output folder. When that folder holds other files too
//! (Jekyll's source folder, with `feeds.paths: jekyll-feed`), the daemon serves only these.

use super::{ATOM_FILE, JEKYLL_FEED_FILE, JEKYLL_FEED_TAGS_DIR, JSON_FILE, RSS_FILE, TAGS_DIR};
use crate::config::FeedPaths;

/// Whether a build with `paths` may write `rel`, a `/`-separated path relative to the output
/// folder: the three formats at the top and in `tags/<slug>/`, and with jekyll-feed's paths
/// also `feed.xml` and `feed/by_tag/<tag>.xml`.
pub fn is_feed_file(rel: &str, paths: FeedPaths) -> bool {
    let formats = [RSS_FILE, ATOM_FILE, JSON_FILE];
    let jekyll = paths == FeedPaths::JekyllFeed;
    if let Some(name) = rel.strip_prefix(JEKYLL_FEED_TAGS_DIR).filter(|_| jekyll) {
        return !name.contains('/') && name.len() > ".xml".len() && name.ends_with(".xml");
    }
    match rel.split('/').collect::<Vec<_>>().as_slice() {
        [name] => formats.contains(name) || (jekyll && *name == JEKYLL_FEED_FILE),
        [dir, slug, name] => *dir == TAGS_DIR && !slug.is_empty() && formats.contains(name),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_names_a_build_writes() {
        let crier = FeedPaths::Crier;
        let jekyll = FeedPaths::JekyllFeed;
        for rel in ["rss.xml", "atom.xml", "feed.json", "tags/meetup/atom.xml"] {
            assert!(
                is_feed_file(rel, crier) && is_feed_file(rel, jekyll),
                "{rel}"
            );
        }
        for rel in ["feed.xml", "feed/by_tag/Meetup.xml"] {
            assert!(
                !is_feed_file(rel, crier) && is_feed_file(rel, jekyll),
                "{rel}"
            );
        }
        for rel in [
            "crier.yaml",
            "_config.yml",
            "_crier/subscribers/members.csv",
            "_posts/2026-01-01-draft.md",
            "index.html",
            "tags/meetup/index.html",
            "tags//rss.xml",
            "tags/a/b/rss.xml",
            "feed/by_tag/.xml",
            "feed/by_tag/a/b.xml",
            "feed/by_tag/Meetup.html",
        ] {
            assert!(!is_feed_file(rel, jekyll), "{rel}");
        }
    }
}
