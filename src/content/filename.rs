//! Jekyll post file names: `YYYY-MM-DD-slug.md`.

use chrono::NaiveDate;

use super::error::PostErrorKind;

/// Extensions Jekyll treats as Markdown (its `markdown_ext` default, plus `mdown`).
const MARKDOWN_EXTENSIONS: &[&str] = &["md", "markdown", "mkdown", "mkdn", "mkd", "mdown"];

/// Extensions of HTML posts: their body is published as it is (after Liquid), as Jekyll does.
const HTML_EXTENSIONS: &[&str] = &["html", "htm"];

/// Whether the post at `path` is an HTML post (its body is HTML, not Markdown).
pub fn is_html(path: &std::path::Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| HTML_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// The date and slug a post's file name carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostFileName {
    /// The date before the slug.
    pub date: NaiveDate,
    /// The rest of the name, without the extension: `cloud-native-london-july`.
    pub slug: String,
}

/// What a file in the posts folder is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileKind {
    /// Not Markdown (an image, a `.txt`, a backup): silently ignored, as Jekyll does.
    NotAPost,
    /// A Markdown file: either a well-named post or an error explaining the name.
    Post(Result<PostFileName, PostErrorKind>),
}

/// Decides whether `name` is a post (Markdown or HTML) and parses its date and slug.
pub fn classify(name: &str) -> FileKind {
    let Some((stem, ext)) = name.rsplit_once('.') else {
        return FileKind::NotAPost;
    };
    let ext = ext.to_ascii_lowercase();
    if !MARKDOWN_EXTENSIONS.contains(&ext.as_str()) && !HTML_EXTENSIONS.contains(&ext.as_str()) {
        return FileKind::NotAPost;
    }
    FileKind::Post(parse_stem(name, stem))
}

fn parse_stem(name: &str, stem: &str) -> Result<PostFileName, PostErrorKind> {
    let no_date = || PostErrorKind::NoDateInName {
        name: name.to_owned(),
    };
    let date_part = stem.get(..10).ok_or_else(no_date)?;
    let shape_ok = date_part.bytes().enumerate().all(|(i, b)| match i {
        4 | 7 => b == b'-',
        _ => b.is_ascii_digit(),
    });
    if !shape_ok {
        return Err(no_date());
    }
    let date = NaiveDate::parse_from_str(date_part, "%Y-%m-%d").map_err(|_| {
        PostErrorKind::BadDateInName {
            date: date_part.to_owned(),
            why: "no such day in the calendar (check the month and day)".to_owned(),
        }
    })?;
    let date = super::dates::check_range(date).map_err(|why| PostErrorKind::BadDateInName {
        date: date_part.to_owned(),
        why: why.to_string(),
    })?;
    let slug = stem[10..].strip_prefix('-').unwrap_or("").trim();
    if slug.is_empty() {
        return Err(PostErrorKind::NoSlug {
            name: name.to_owned(),
        });
    }
    Ok(PostFileName {
        date,
        slug: slug.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(name: &str) -> Result<PostFileName, PostErrorKind> {
        match classify(name) {
            FileKind::Post(p) => p,
            FileKind::NotAPost => panic!("{name} should be a post"),
        }
    }

    #[test]
    fn parses_date_and_slug() {
        let p = post("2017-07-05-cloud-native-london-july.md").unwrap();
        assert_eq!(p.date, NaiveDate::from_ymd_opt(2017, 7, 5).unwrap());
        assert_eq!(p.slug, "cloud-native-london-july");
        assert!(post("2019-12-10-x.markdown").is_ok());
        assert!(post("2019-12-10-x.MD").is_ok());
        assert!(post("2019-12-10-x.html").is_ok());
        assert!(is_html(std::path::Path::new("posts/2019-12-10-x.HTML")));
        assert!(!is_html(std::path::Path::new("posts/2019-12-10-x.md")));
    }

    #[test]
    fn other_files_are_not_posts() {
        for name in [
            "photo.png",
            "notes.txt",
            "post.md~",
            "post.md.swp",
            "README",
            "x.md.bak",
        ] {
            assert_eq!(classify(name), FileKind::NotAPost, "{name}");
        }
    }

    #[test]
    fn impossible_dates_are_errors() {
        let err = post("2021-02-30-oops.md").unwrap_err();
        assert!(err.to_string().contains("2021-02-30"), "{err}");
        assert!(matches!(err, PostErrorKind::BadDateInName { .. }));
    }

    #[test]
    fn out_of_range_years_are_errors() {
        for name in ["0000-01-01-x.md", "0999-12-31-x.md", "9999-01-01-x.md"] {
            let err = post(name).unwrap_err();
            assert!(matches!(err, PostErrorKind::BadDateInName { .. }), "{err}");
            assert!(err.to_string().contains("1000 to 9998"), "{err}");
        }
        assert!(post("1000-01-01-x.md").is_ok());
        assert!(post("9998-12-31-x.md").is_ok());
    }

    #[test]
    fn undated_names_are_errors() {
        assert!(matches!(
            post("about.md"),
            Err(PostErrorKind::NoDateInName { .. })
        ));
        assert!(matches!(
            post("2021-1-3-x.md"),
            Err(PostErrorKind::NoDateInName { .. })
        ));
        assert!(matches!(
            post("2021-01-03.md"),
            Err(PostErrorKind::NoSlug { .. })
        ));
        assert!(matches!(
            post("€€€€€€€€€€€.md"),
            Err(PostErrorKind::NoDateInName { .. })
        ));
    }
}
