//! Tag names to folder names.

/// The folder name of a tag's feeds: lower-case letters and digits, other runs of characters
/// become one `-`. `None` when nothing usable is left (a tag of only punctuation).
pub fn tag_slug(tag: &str) -> Option<String> {
    let mut slug = String::with_capacity(tag.len());
    for c in tag.chars() {
        if c.is_alphanumeric() {
            slug.extend(c.to_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-').to_owned();
    (!slug.is_empty()).then_some(slug)
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
}
