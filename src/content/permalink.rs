//! Jekyll permalink patterns: `/:categories/:year/:month/:day/:title/` and friends.

use chrono::{DateTime, Datelike, FixedOffset, Timelike};

/// What a pattern's placeholders are filled from.
#[derive(Debug, Clone, Copy)]
pub struct PermalinkParts<'a> {
    /// The post's date, in the site's time zone.
    pub date: DateTime<FixedOffset>,
    /// `:title` / `:slug`.
    pub slug: &'a str,
    /// `:categories`, joined with `/` after lower-casing, as Jekyll does.
    pub categories: &'a [String],
}

pub use crate::config::{check_placeholders, PLACEHOLDERS};

/// Fills in `pattern`. Unknown placeholders are kept literally; repeated slashes (from empty
/// categories) collapse into one.
pub fn expand(pattern: &str, parts: &PermalinkParts<'_>) -> String {
    let d = parts.date;
    let mut out = String::with_capacity(pattern.len() + parts.slug.len());
    let mut rest = pattern;
    while let Some(i) = rest.find(':') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let name_len = after
            .find(|c: char| !(c.is_ascii_lowercase() || c == '_'))
            .unwrap_or(after.len());
        let name = &after[..name_len];
        let value = match name {
            "year" => format!("{:04}", d.year()),
            "short_year" => format!("{:02}", d.year() % 100),
            "month" => format!("{:02}", d.month()),
            "i_month" => d.month().to_string(),
            "short_month" => d.format("%b").to_string(),
            "long_month" => d.format("%B").to_string(),
            "day" => format!("{:02}", d.day()),
            "i_day" => d.day().to_string(),
            "y_day" => format!("{:03}", d.ordinal()),
            "week" => format!("{:02}", d.iso_week().week()),
            "short_day" => d.format("%a").to_string(),
            "long_day" => d.format("%A").to_string(),
            "hour" => format!("{:02}", d.hour()),
            "minute" => format!("{:02}", d.minute()),
            "second" => format!("{:02}", d.second()),
            "title" | "slug" => parts.slug.to_owned(),
            "categories" => categories(parts.categories),
            "output_ext" => ".html".to_owned(),
            _ => format!(":{name}"),
        };
        out.push_str(&value);
        rest = &after[name_len..];
    }
    out.push_str(rest);
    collapse_slashes(&out)
}

fn categories(list: &[String]) -> String {
    let mut seen: Vec<String> = Vec::new();
    for c in list {
        let lower = c.to_lowercase();
        if !seen.contains(&lower) {
            seen.push(lower);
        }
    }
    seen.join("/")
}

fn collapse_slashes(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if !(c == '/' && out.ends_with('/')) {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2019-12-10T18:30:05+00:00").unwrap()
    }

    #[test]
    fn pretty_without_categories() {
        let parts = PermalinkParts {
            date: date(),
            slug: "december-recap",
            categories: &[],
        };
        assert_eq!(
            expand("/:categories/:year/:month/:day/:title/", &parts),
            "/2019/12/10/december-recap/"
        );
    }

    #[test]
    fn categories_are_lowercased_and_deduplicated() {
        let cats = vec![
            "Meetups".to_owned(),
            "London".to_owned(),
            "meetups".to_owned(),
        ];
        let parts = PermalinkParts {
            date: date(),
            slug: "x",
            categories: &cats,
        };
        assert_eq!(
            expand("/:categories/:title:output_ext", &parts),
            "/meetups/london/x.html"
        );
    }

    #[test]
    fn other_placeholders() {
        let parts = PermalinkParts {
            date: date(),
            slug: "x",
            categories: &[],
        };
        assert_eq!(
            expand(
                "/:short_year/:i_month/:i_day/:y_day/:hour:minute/:slug",
                &parts
            ),
            "/19/12/10/344/1830/x"
        );
        assert_eq!(expand("/:unknown/:title", &parts), "/:unknown/x");
    }

    #[test]
    fn unknown_placeholders_are_named() {
        assert!(
            check_placeholders("/:categories/:year/W:week/:short_day/:title:output_ext").is_ok()
        );
        assert!(check_placeholders("/blog/:title/").is_ok());
        let err = check_placeholders("/:yaer/:title/").unwrap_err();
        assert!(
            err.to_string().starts_with("unknown placeholder `:yaer`"),
            "{err}"
        );
        assert!(
            err.to_string().ends_with(":categories :output_ext"),
            "{err}"
        );
        assert!(check_placeholders("/:title:outputext").is_err());
    }
}
