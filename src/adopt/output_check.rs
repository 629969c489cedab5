//! Does the site generator wipe crier's feeds? Jekyll empties its destination (`_site/`) at
//! every build, but for `keep_files:`, and `jekyll clean` deletes its caches. Feeds written
//! there vanish at the next build, and GitHub Pages, which builds the site itself, never
//! deploys them: the feeds belong in the source, which Jekyll copies into `_site/`.

use std::path::Path;

use super::jekyll::PublishRules;
use super::publish_check::{detect, resolve, Generator};
use crate::config::{key_line, Config};
use crate::diagnostics::Diagnostic;

/// `crier check`'s errors: the feeds' output folder inside a folder Jekyll empties, located
/// at `feeds.output_dir` in `crier.yaml`.
pub fn check(config: &Config) -> Vec<Diagnostic> {
    let Some(Generator::Jekyll(rules)) = detect(&config.root) else {
        return Vec::new();
    };
    let Ok(rel) = resolve(&config.feeds.output_dir)
        .strip_prefix(resolve(&config.root))
        .map(Path::to_path_buf)
    else {
        // Outside the site folder: Jekyll never touches it.
        return Vec::new();
    };
    let Some(message) = wiped(&rules, &rel) else {
        return Vec::new();
    };
    let text = std::fs::read_to_string(&config.path).unwrap_or_default();
    let line = key_line(&text, &["feeds", "output_dir"])
        .or_else(|| key_line(&text, &["feeds"]))
        .unwrap_or(1);
    vec![Diagnostic::error(&config.path, line, 1, message)]
}

/// Why feeds written into `rel` (relative to the site folder) would vanish, if they would.
fn wiped(rules: &PublishRules, rel: &Path) -> Option<String> {
    let folder = rules.wiped_by(rel)?;
    let how = if folder == rules.destination {
        "Jekyll's destination, which every `jekyll build` empties and GitHub Pages never deploys"
    } else {
        "a cache folder that `jekyll clean` deletes"
    };
    Some(format!(
        "field `feeds.output_dir`: expected a folder in Jekyll's source, which Jekyll copies into {}/ at each build (`feeds`, or `.` beside _config.yml to take over jekyll-feed's feed.xml: `crier init --replace-jekyll-feed`), found `{}`, inside `{}/`, {how}: the feeds written there would vanish",
        rules.destination.display(),
        rel.display(),
        folder.display(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(yaml: &str) -> PublishRules {
        PublishRules::from_config(&serde_yaml::from_str(yaml).unwrap())
    }

    #[test]
    fn the_destination_and_caches_are_wiped_but_kept_files_and_the_source_are_not() {
        let r = rules("title: x\n");
        let m = wiped(&r, Path::new("_site")).unwrap();
        assert!(m.contains("found `_site`, inside `_site/`"), "{m}");
        assert!(m.contains("every `jekyll build` empties"), "{m}");
        assert!(wiped(&r, Path::new("_site/feeds")).is_some());
        assert!(wiped(&r, Path::new(".jekyll-cache/x"))
            .unwrap()
            .contains("jekyll clean"));
        assert!(wiped(&r, Path::new(".sass-cache")).is_some());
        assert_eq!(wiped(&r, Path::new("")), None, "the site folder itself");
        assert_eq!(wiped(&r, Path::new("feeds")), None);
        assert_eq!(wiped(&r, Path::new("_site_feeds")), None);
        let r = rules("destination: public\nkeep_files: [feeds]\nsource: src\n");
        assert!(wiped(&r, Path::new("public/tags")).is_some());
        assert_eq!(wiped(&r, Path::new("public/feeds")), None, "keep_files");
        assert!(wiped(&r, Path::new("src/.jekyll-cache")).is_some());
        assert_eq!(
            wiped(&r, Path::new("_site")),
            None,
            "not the destination here"
        );
    }
}
