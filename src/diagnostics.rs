//! Problems found while loading a site, reported compiler-style as
//! `path:line:col: error|warning: message`.

use std::fmt;
use std::path::{Path, PathBuf};

/// How serious a problem is: errors make a post (or the whole config) unusable, warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The item was skipped or the command cannot succeed.
    Error,
    /// Worth the organiser's attention, but the item was still used.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// One problem, located in a file. Lines and columns are 1-based; a problem that concerns a
/// whole file (it is not UTF-8, say) points at 1:1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file the problem is in.
    pub path: PathBuf,
    /// 1-based line in the file.
    pub line: usize,
    /// 1-based column in the line.
    pub column: usize,
    /// Error or warning.
    pub severity: Severity,
    /// Lowercase, specific description of what was expected and what was found.
    pub message: String,
}

impl Diagnostic {
    /// An error at `line:column` of `path`.
    pub fn error(path: &Path, line: usize, column: usize, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, path, line, column, message)
    }

    /// A warning at `line:column` of `path`.
    pub fn warning(path: &Path, line: usize, column: usize, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, path, line, column, message)
    }

    fn new(
        severity: Severity,
        path: &Path,
        line: usize,
        column: usize,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            path: path.to_path_buf(),
            line: line.max(1),
            column: column.max(1),
            severity,
            message: message.into(),
        }
    }

    /// Whether this is an error (as opposed to a warning).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}: {}",
            self.path.display(),
            self.line,
            self.column,
            self.severity,
            self.message
        )
    }
}

/// Counts of errors and warnings, for the one-line summary at the end of `check` and `build`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    /// Number of errors.
    pub errors: usize,
    /// Number of warnings.
    pub warnings: usize,
}

impl Tally {
    /// Counts the diagnostics in `items`.
    pub fn of<'a>(items: impl IntoIterator<Item = &'a Diagnostic>) -> Self {
        items.into_iter().fold(Tally::default(), |mut t, d| {
            match d.severity {
                Severity::Error => t.errors += 1,
                Severity::Warning => t.warnings += 1,
            }
            t
        })
    }
}

impl fmt::Display for Tally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}, {} {}",
            self.errors,
            plural(self.errors, "error", "errors"),
            self.warnings,
            plural(self.warnings, "warning", "warnings")
        )
    }
}

/// Picks the singular or plural form of a noun for `n`.
pub fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_compiler_style() {
        let d = Diagnostic::error(
            Path::new("posts/a.md"),
            3,
            7,
            "field `title`: expected text",
        );
        assert_eq!(
            d.to_string(),
            "posts/a.md:3:7: error: field `title`: expected text"
        );
    }

    #[test]
    fn zero_positions_are_clamped_to_one() {
        let d = Diagnostic::warning(Path::new("x"), 0, 0, "m");
        assert_eq!((d.line, d.column), (1, 1));
    }

    #[test]
    fn tally_counts_and_pluralises() {
        let p = Path::new("x");
        let ds = [
            Diagnostic::error(p, 1, 1, "a"),
            Diagnostic::warning(p, 1, 1, "b"),
            Diagnostic::warning(p, 1, 1, "c"),
        ];
        assert_eq!(Tally::of(&ds).to_string(), "1 error, 2 warnings");
    }
}
