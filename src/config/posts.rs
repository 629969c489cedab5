//! The top-level post keys: `posts_dir`, `permalink`, `excerpt_separator`, `future`.

/// Expands Jekyll's built-in permalink styles; other patterns get a leading `/` as Jekyll does.
pub(super) fn permalink(raw: &str, problem: &mut impl FnMut(&[&str], String)) -> String {
    let pattern = match raw.trim() {
        "pretty" => "/:categories/:year/:month/:day/:title/",
        "date" => "/:categories/:year/:month/:day/:title:output_ext",
        "ordinal" => "/:categories/:year/:y_day/:title:output_ext",
        "weekdate" => "/:categories/:year/W:week/:short_day/:title:output_ext",
        "none" => "/:categories/:title:output_ext",
        other => other,
    };
    if !pattern.contains(":title") && !pattern.contains(":slug") {
        problem(
            &["permalink"],
            format!("field `permalink`: expected `pretty`, `date`, `ordinal`, `none` or a pattern containing `:title` or `:slug`, found `{raw}`"),
        );
        return String::new();
    }
    if let Err(why) = crate::content::check_placeholders(pattern) {
        problem(&["permalink"], format!("field `permalink`: {why}"));
        return String::new();
    }
    if pattern.starts_with('/') {
        pattern.to_owned()
    } else {
        format!("/{pattern}")
    }
}
