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
    if let Err(why) = check_placeholders(pattern) {
        problem(&["permalink"], format!("field `permalink`: {why}"));
        return String::new();
    }
    if pattern.starts_with('/') {
        pattern.to_owned()
    } else {
        format!("/{pattern}")
    }
}

/// The placeholders a permalink pattern may use, in the order the manual lists them
/// (docs/src/configuration.md).
pub const PLACEHOLDERS: &[&str] = &[
    "year",
    "month",
    "day",
    "i_month",
    "i_day",
    "short_year",
    "y_day",
    "week",
    "short_month",
    "long_month",
    "short_day",
    "long_day",
    "hour",
    "minute",
    "second",
    "title",
    "slug",
    "categories",
    "output_ext",
];

/// The `:name` placeholders in `pattern` (a name is lower-case letters and `_`, as in
/// Jekyll's `:([a-z_]+)`).
fn placeholders(pattern: &str) -> impl Iterator<Item = &str> {
    pattern.split(':').skip(1).map(|after| {
        let len = after
            .find(|c: char| !(c.is_ascii_lowercase() || c == '_'))
            .unwrap_or(after.len());
        &after[..len]
    })
}

/// Checks that every placeholder in `pattern` is one Jekyll knows. The error names the first
/// unknown one and lists the valid ones.
pub fn check_placeholders(pattern: &str) -> Result<(), UnknownPlaceholder> {
    match placeholders(pattern).find(|name| !name.is_empty() && !PLACEHOLDERS.contains(name)) {
        None => Ok(()),
        Some(unknown) => Err(UnknownPlaceholder {
            name: unknown.to_owned(),
            pattern: pattern.to_owned(),
        }),
    }
}

/// A permalink pattern uses a placeholder Jekyll does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown placeholder `:{name}` in `{pattern}`; the placeholders are {}", PLACEHOLDERS.iter().map(|p| format!(":{p}")).collect::<Vec<_>>().join(" "))]
pub struct UnknownPlaceholder {
    /// The placeholder, without its `:`.
    pub name: String,
    /// The pattern it is in.
    pub pattern: String,
}
