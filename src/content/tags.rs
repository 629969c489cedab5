//! Tag names to folder names.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use sha2::{Digest, Sha256};

use super::Post;
use crate::util::names::bounded;

/// The folder name of a tag's feeds: lower-case letters and digits, other runs of characters
/// become one `-`. `+` and `#` after a letter or digit are spelt out (`C++` is `c-plus-plus`,
/// `C#` is `c-sharp`), so the usual language names do not all become `c`. A slug over
/// [`crate::util::names::MAX_NAME_BYTES`] bytes is cut and given a hash suffix ([`bounded`]), so every tag makes a
/// folder name the file system accepts (see [`shortened`]). `None` when nothing usable is left
/// (a tag of only punctuation).
pub fn tag_slug(tag: &str) -> Option<String> {
    full_slug(tag).map(|slug| bounded(&slug).into_owned())
}

/// A tag whose slug was too long for a folder name: the slug's length, and the folder name it
/// gets instead. `None` for every other tag.
pub fn shortened(tag: &str) -> Option<(usize, String)> {
    let full = full_slug(tag)?;
    match bounded(&full) {
        Cow::Owned(short) => Some((full.len(), short)),
        Cow::Borrowed(_) => None,
    }
}

/// [`tag_slug`] before it is bounded.
fn full_slug(tag: &str) -> Option<String> {
    let mut slug = String::with_capacity(tag.len());
    let mut after_word = false;
    for c in tag.chars() {
        let spelt = match c {
            '+' if after_word => Some("plus"),
            '#' if after_word => Some("sharp"),
            _ => None,
        };
        if let Some(word) = spelt {
            if !slug.ends_with('-') {
                slug.push('-');
            }
            slug.push_str(word);
            slug.push('-');
        } else if c.is_alphanumeric() {
            slug.extend(c.to_lowercase());
            after_word = true;
        } else {
            after_word = false;
            if !slug.is_empty() && !slug.ends_with('-') {
                slug.push('-');
            }
        }
    }
    slug.truncate(slug.trim_end_matches('-').len());
    (!slug.is_empty()).then_some(slug)
}

/// Tags whose folder names collide, and where each one went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlugCollision {
    /// The folder name they all make.
    pub slug: String,
    /// The tag that keeps it (as its newest post spells it).
    pub kept_by: String,
    /// The other tags and their folder names.
    pub moved: Vec<(String, String)>,
    /// Index (in the newest-first list) of the newest post with a moved tag.
    pub newest_post: usize,
}

/// The folder name of every tag (keyed by its lower-cased name), and the collisions found.
///
/// Tags that differ only in case are one tag. Distinct tags whose [`tag_slug`]s are equal
/// (`Cloud Native` and `cloud-native`) get distinct folders by a stable rule: the tag whose
/// oldest post is the oldest keeps the plain slug (ties: the lower-cased names in byte order),
/// and each other one gets `<slug>-<8 hex digits>`, the start of the SHA-256 of its lower-cased
/// name. New posts do not move an existing tag's feed, and a tag's suffix never depends on
/// which other tags exist.
pub fn assign_slugs(posts: &[Post]) -> (HashMap<String, String>, Vec<SlugCollision>) {
    // Lower-cased tag -> (oldest post index, newest post index, newest spelling).
    let mut tags: HashMap<String, (usize, usize, String)> = HashMap::new();
    for (index, post) in posts.iter().enumerate() {
        for tag in &post.tags {
            let key = tag.to_lowercase();
            tags.entry(key)
                .and_modify(|e| e.0 = index)
                .or_insert_with(|| (index, index, tag.clone()));
        }
    }
    let mut by_slug: BTreeMap<String, Vec<&String>> = BTreeMap::new();
    for key in tags.keys() {
        if let Some(slug) = tag_slug(key) {
            by_slug.entry(slug).or_default().push(key);
        }
    }
    let mut slugs = HashMap::with_capacity(tags.len());
    let mut collisions = Vec::new();
    for (slug, mut keys) in by_slug {
        // Oldest first: posts are newest first, so a larger index is older.
        keys.sort_by(|a, b| tags[*b].0.cmp(&tags[*a].0).then_with(|| a.cmp(b)));
        let (first, rest) = keys.split_first().expect("a slug has at least one tag");
        slugs.insert((*first).clone(), slug.clone());
        if rest.is_empty() {
            continue;
        }
        let mut moved = Vec::new();
        for key in rest {
            let digest = Sha256::digest(key.as_bytes());
            let suffix: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
            let dir = format!("{slug}-{suffix}");
            slugs.insert((*key).clone(), dir.clone());
            moved.push((tags[*key].2.clone(), dir));
        }
        collisions.push(SlugCollision {
            kept_by: tags[*first].2.clone(),
            newest_post: rest.iter().map(|k| tags[*k].1).min().unwrap_or(0),
            slug,
            moved,
        });
    }
    (slugs, collisions)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(tag_slug("Meetup").as_deref(), Some("meetup"));
        assert_eq!(
            tag_slug("Cloud Native / K8s!").as_deref(),
            Some("cloud-native-k8s")
        );
        assert_eq!(tag_slug("2019").as_deref(), Some("2019"));
        assert_eq!(tag_slug("Café").as_deref(), Some("café"));
        assert_eq!(tag_slug("../..").as_deref(), None);
        assert_eq!(tag_slug("").as_deref(), None);
    }

    #[test]
    fn long_tags_make_bounded_stable_folder_names() {
        use crate::util::names::MAX_NAME_BYTES;
        let tag = "Very Long Tag ".repeat(30);
        let slug = tag_slug(&tag).unwrap();
        assert!(slug.len() <= MAX_NAME_BYTES, "{}", slug.len());
        assert!(slug.starts_with("very-long-tag-very"), "{slug}");
        assert_eq!(tag_slug(&tag.to_uppercase()), Some(slug.clone()));
        assert_eq!(shortened(&tag), Some((419, slug)));
        assert_eq!(shortened("Meetup"), None);
        let other = format!("{tag}2");
        assert_ne!(tag_slug(&other), tag_slug(&tag));
    }

    #[test]
    fn plus_and_sharp_are_spelt_out() {
        assert_eq!(tag_slug("C++").as_deref(), Some("c-plus-plus"));
        assert_eq!(tag_slug("C#").as_deref(), Some("c-sharp"));
        assert_eq!(
            tag_slug("F# and C#").as_deref(),
            Some("f-sharp-and-c-sharp")
        );
        assert_eq!(tag_slug("Notepad++").as_deref(), Some("notepad-plus-plus"));
        assert_eq!(tag_slug("#kubernetes").as_deref(), Some("kubernetes"));
        assert_eq!(tag_slug("+").as_deref(), None);
    }
}
