//! Why a post could not be loaded, and where in its file.

use std::path::{Path, PathBuf};

use crate::diagnostics::Diagnostic;

/// A problem that makes a post unusable, located in its file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}:{column}: {kind}", path.display())]
pub struct PostError {
    /// The post file.
    pub path: PathBuf,
    /// 1-based line in the file.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What went wrong.
    pub kind: PostErrorKind,
}

impl PostError {
    /// An error at a position in `path`.
    pub fn new(path: &Path, line: usize, column: usize, kind: PostErrorKind) -> Self {
        PostError {
            path: path.to_path_buf(),
            line,
            column,
            kind,
        }
    }

    /// An error about the file as a whole (reported at 1:1).
    pub fn at_file(path: &Path, kind: PostErrorKind) -> Self {
        Self::new(path, 1, 1, kind)
    }
}

impl From<PostError> for Diagnostic {
    fn from(err: PostError) -> Self {
        Diagnostic::error(&err.path, err.line, err.column, err.kind.to_string())
    }
}

/// The kinds of post errors. Messages say what was expected, what was found, and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PostErrorKind {
    /// The file could not be read.
    #[error("cannot read post: {0}")]
    Io(String),
    /// The file is not UTF-8 text.
    #[error("file is not valid UTF-8 (invalid byte at offset {offset}): save it as UTF-8")]
    NotUtf8 {
        /// Byte offset of the first invalid byte.
        offset: usize,
    },
    /// The file is too large to be a post.
    #[error("post is {size} bytes, over the limit of {limit} bytes: is this really a post?")]
    TooLarge {
        /// Actual size in bytes.
        size: u64,
        /// The limit in bytes.
        limit: u64,
    },
    /// The front matter alone is too large.
    #[error("front matter is {size} bytes, over the limit of {limit} bytes: move long text into the post's body")]
    FrontMatterTooLarge {
        /// Its size in bytes.
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// Lists and mappings are nested too deeply.
    #[error("front matter nests lists and mappings more than {limit} levels deep (the limit): is a `[` or `{{` left unclosed?")]
    TooDeep {
        /// The deepest nesting allowed.
        limit: usize,
    },
    /// Too many `*alias` uses.
    #[error("front matter uses more than {limit} `*alias` references (the limit): write the values out instead")]
    TooManyAliases {
        /// The most alias uses allowed.
        limit: usize,
    },
    /// Expanding aliases would make the front matter too large.
    #[error("front matter expands to more than {limit} bytes once its `*alias` references are replaced by their `&anchor` values (the limit): write the values out instead")]
    AliasExpansion {
        /// The largest expanded size allowed, in bytes.
        limit: usize,
    },
    /// The file has no bytes (or only whitespace).
    #[error(
        "file is empty: a post needs front matter between `---` lines with at least a `title`"
    )]
    Empty,
    /// The file does not start with `---`.
    #[error("no front matter: expected the file to start with a `---` line, found `{found}` (did you forget the opening `---`?)")]
    NoFrontMatter {
        /// The start of the first line.
        found: String,
    },
    /// The front matter has an opening `---` but no closing one.
    #[error("front matter is never closed: expected a second `---` line after the opening one")]
    Unclosed,
    /// The YAML itself is malformed.
    #[error("invalid YAML in front matter: {0}")]
    Yaml(String),
    /// The YAML is valid but not a mapping.
    #[error("front matter must be `key: value` lines (a mapping), found {found}")]
    NotMapping {
        /// What the YAML was instead (a list, a string...).
        found: String,
    },
    /// The file name has no `YYYY-MM-DD-` prefix.
    #[error("file name `{name}` does not start with a date: expected `YYYY-MM-DD-slug.md` as Jekyll posts are named")]
    NoDateInName {
        /// The file name.
        name: String,
    },
    /// The file name's date does not exist.
    #[error("file name date `{date}` is not a real date: {why}")]
    BadDateInName {
        /// The date part of the name.
        date: String,
        /// Why it is invalid.
        why: String,
    },
    /// The file name has a date but nothing after it.
    #[error("file name `{name}` has no slug after the date: expected `YYYY-MM-DD-slug.md`")]
    NoSlug {
        /// The file name.
        name: String,
    },
    /// A front-matter field has the wrong type or value.
    #[error("field `{field}`: expected {expected}, found {found}")]
    Field {
        /// The key.
        field: String,
        /// What a valid value looks like.
        expected: String,
        /// What the file has.
        found: String,
    },
    /// Another post already has this permalink.
    #[error("permalink {url} is also used by {other}: change one post's slug or `permalink`")]
    DuplicatePermalink {
        /// The clashing URL.
        url: String,
        /// The other post's file.
        other: String,
    },
}
