//! Checks on untrusted YAML (front matter, `crier.yaml`, Jekyll's `_config.yml`) that must
//! happen before, or instead of, building values with serde_yaml: nesting depth (deep flow nesting parses in quadratic time), the number of
//! `*alias` uses, and the size of the document once aliases are expanded (serde_yaml bounds
//! alias expansion by events, not bytes).
//!
//! The depth and alias scan is a small lexer, not a YAML parser: it follows quotes, comments,
//! block scalars and flow brackets well enough that a document it calls shallow is shallow. It
//! may over-count in odd corners (a plain scalar continued on a line starting with `[`), which
//! only matters for documents near the limit.

use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, Visitor};

/// What one YAML value costs in an expanded-size budget ([`expands_beyond`]) besides its text.
pub const YAML_NODE_COST: usize = 16;

/// The limits [`scan`] checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanLimits {
    /// Deepest nesting of lists and mappings.
    pub max_depth: usize,
    /// Most `*alias` uses.
    pub max_aliases: usize,
}

/// Which limit a document went over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exceeded {
    /// Lists and mappings nest deeper than this.
    Depth {
        /// The deepest nesting allowed.
        limit: usize,
    },
    /// More `*alias` uses than this.
    Aliases {
        /// The most alias uses allowed.
        limit: usize,
    },
}

/// A problem found by [`scan`], at a 1-based line and column of the YAML text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Line in the YAML text (not the file).
    pub line: usize,
    /// Column (1-based, in characters).
    pub column: usize,
    /// The limit it went over.
    pub kind: Exceeded,
}

/// Scans `yaml` for nesting deeper than `limits.max_depth` and more `*alias` uses than
/// `limits.max_aliases`. Linear in the length of the text.
///
/// One function on purpose: it is a single pass of a state machine whose state (open quote,
/// flow depth, block-scalar indent, the stack of block indents, aliases seen) carries from
/// character to character and line to line; split up, every piece would take all of it.
pub fn scan(yaml: &str, limits: ScanLimits) -> Result<(), Found> {
    let mut flow = 0usize;
    let mut block_depth = 0usize;
    let mut quote: Option<char> = None;
    let mut block_scalar: Option<usize> = None;
    let mut indents: Vec<usize> = Vec::new();
    let mut aliases = 0usize;
    // One buffer for every line's characters (a post's front matter has dozens of lines).
    let mut chars: Vec<char> = Vec::new();

    for (index, line) in yaml.lines().enumerate() {
        let line_no = index + 1;
        let content = line.trim_start_matches(' ');
        let indent = line.len() - content.len();
        if let Some(parent) = block_scalar {
            if content.trim().is_empty() || indent > parent {
                continue;
            }
            block_scalar = None;
        }
        chars.clear();
        chars.extend(line.chars());
        let mut i = chars.iter().take_while(|c| **c == ' ').count();
        if quote.is_none() && flow == 0 {
            let trimmed = content.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            while indents.last().is_some_and(|&last| last >= indent) {
                indents.pop();
            }
            indents.push(indent);
            block_depth = indents.len();
        }
        let too_deep = |column: usize| Found {
            line: line_no,
            column,
            kind: Exceeded::Depth {
                limit: limits.max_depth,
            },
        };
        if block_depth + flow > limits.max_depth {
            return Err(too_deep(i + 1));
        }
        // Whether a node may start here (so `'`, `"`, `[`, `*`, `|` are indicators, not text).
        let mut at_start = true;
        let mut after_space = true;
        while i < chars.len() {
            let c = chars[i];
            let next = chars.get(i + 1).copied();
            let next_is_space = next.is_none_or(|n| n == ' ' || n == '\t');
            if let Some(q) = quote {
                if q == '"' && c == '\\' {
                    i += 2;
                    continue;
                }
                if c == q {
                    if q == '\'' && next == Some('\'') {
                        i += 2;
                        continue;
                    }
                    quote = None;
                    at_start = false;
                }
                i += 1;
                continue;
            }
            let was_after_space = after_space;
            after_space = c == ' ' || c == '\t';
            match c {
                ' ' | '\t' => {}
                '#' if was_after_space => break,
                '"' | '\'' if at_start => quote = Some(c),
                '[' | '{' if at_start || flow > 0 => {
                    flow += 1;
                    if block_depth + flow > limits.max_depth {
                        return Err(too_deep(i + 1));
                    }
                    at_start = true;
                }
                ']' | '}' if flow > 0 => {
                    flow -= 1;
                    at_start = false;
                }
                ',' if flow > 0 => at_start = true,
                ':' if next_is_space || flow > 0 => at_start = true,
                '-' | '?' if at_start && next_is_space && flow == 0 => {
                    block_depth += 1;
                    if block_depth + flow > limits.max_depth {
                        return Err(too_deep(i + 1));
                    }
                }
                '*' if at_start => {
                    aliases += 1;
                    if aliases > limits.max_aliases {
                        return Err(Found {
                            line: line_no,
                            column: i + 1,
                            kind: Exceeded::Aliases {
                                limit: limits.max_aliases,
                            },
                        });
                    }
                    at_start = false;
                }
                '&' | '!' if at_start => {
                    // An anchor or a tag: its name runs to the next space; a node follows.
                    while i + 1 < chars.len() && !matches!(chars[i + 1], ' ' | '\t') {
                        i += 1;
                    }
                }
                '|' | '>' if at_start && flow == 0 => {
                    let rest: String = chars[i + 1..].iter().collect();
                    let header = rest.split(" #").next().unwrap_or("").trim();
                    if header.chars().all(|c| matches!(c, '-' | '+' | '0'..='9')) {
                        block_scalar = Some(indent);
                        break;
                    }
                    at_start = false;
                }
                _ => at_start = false,
            }
            i += 1;
        }
    }
    Ok(())
}

/// Every limit on one YAML document read whole (`crier.yaml`, Jekyll's `_config.yml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocumentLimits {
    /// Largest text, in bytes.
    pub max_bytes: usize,
    /// Nesting and alias limits.
    pub scan: ScanLimits,
    /// Largest size once aliases are expanded (see [`expands_beyond`]).
    pub max_expanded_bytes: usize,
}

/// Why a document was refused by [`check_document`], at a 1-based line and column. Its
/// message completes a sentence that starts with the file's name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentProblem {
    /// Too many bytes.
    #[error("is {size} bytes, over the limit of {limit} bytes: is this really the file meant?")]
    TooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Nested too deeply, or too many aliases, at a line and column.
    #[error("{}", describe(.0.kind))]
    Scan(Found),
    /// Too large once aliases are expanded.
    #[error("expands to more than {limit} bytes once its `*alias` references are replaced by their `&anchor` values (the limit): write the values out instead")]
    Expansion {
        /// The limit.
        limit: usize,
        /// The line of the first alias.
        line: usize,
    },
}

fn describe(kind: Exceeded) -> String {
    match kind {
        Exceeded::Depth { limit } => format!(
            "nests lists and mappings more than {limit} levels deep (the limit): is a `[` or `{{` left unclosed?"
        ),
        Exceeded::Aliases { limit } => format!(
            "uses more than {limit} `*alias` references (the limit): write the values out instead"
        ),
    }
}

impl DocumentProblem {
    /// Where it was found: (line, column), 1-based.
    pub fn position(&self) -> (usize, usize) {
        match self {
            DocumentProblem::TooLarge { .. } => (1, 1),
            DocumentProblem::Scan(found) => (found.line, found.column),
            DocumentProblem::Expansion { line, .. } => (*line, 1),
        }
    }
}

/// Checks a whole YAML document against `limits` before serde_yaml builds values from it.
pub fn check_document(text: &str, limits: &DocumentLimits) -> Result<(), DocumentProblem> {
    if text.len() > limits.max_bytes {
        return Err(DocumentProblem::TooLarge {
            size: text.len(),
            limit: limits.max_bytes,
        });
    }
    scan(text, limits.scan).map_err(DocumentProblem::Scan)?;
    if expands_beyond(text, limits.max_expanded_bytes) {
        let line = text
            .lines()
            .position(|l| l.contains('*'))
            .map_or(1, |i| i + 1);
        return Err(DocumentProblem::Expansion {
            limit: limits.max_expanded_bytes,
            line,
        });
    }
    Ok(())
}

/// Whether `yaml`, with every alias expanded, is larger than `limit` bytes (scalar bytes plus
/// [`YAML_NODE_COST`] per value). Walks serde_yaml's events without building values, and stops
/// as soon as the budget is spent, so it is cheap however large the expansion would be.
/// Malformed YAML is not this function's business: it returns `false` and lets the real parse
/// report it.
pub fn expands_beyond(yaml: &str, limit: usize) -> bool {
    // Without an alias nothing is repeated: a value takes at least one byte of text (with
    // room to spare, two values per byte), so the budget bounds the expanded size from the
    // text's length alone, and the usual front matter is never parsed twice.
    let bound = (yaml.len() + 1).saturating_mul(2 * (YAML_NODE_COST + 1));
    if !yaml.contains('*') && bound <= limit {
        return false;
    }
    walk_exceeds(yaml, limit)
}

/// Whether walking `yaml`'s events spends more than `limit` (see [`expands_beyond`]).
fn walk_exceeds(yaml: &str, limit: usize) -> bool {
    let budget = Budget {
        left: Cell::new(limit),
        exceeded: Cell::new(false),
    };
    let _ = Measure(&budget).deserialize(serde_yaml::Deserializer::from_str(yaml));
    budget.exceeded.get()
}

struct Budget {
    left: Cell<usize>,
    exceeded: Cell<bool>,
}

#[derive(Clone, Copy)]
struct Measure<'b>(&'b Budget);

impl Measure<'_> {
    fn spend<E: de::Error>(self, bytes: usize) -> Result<(), E> {
        let cost = bytes.saturating_add(YAML_NODE_COST);
        match self.0.left.get().checked_sub(cost) {
            Some(left) => {
                self.0.left.set(left);
                Ok(())
            }
            None => {
                self.0.exceeded.set(true);
                Err(E::custom("expanded size limit exceeded"))
            }
        }
    }
}

impl<'de> DeserializeSeed<'de> for Measure<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Measure<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.spend(0)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.spend(0)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.spend(0)
    }
    fn visit_i128<E: de::Error>(self, _: i128) -> Result<(), E> {
        self.spend(0)
    }
    fn visit_u128<E: de::Error>(self, _: u128) -> Result<(), E> {
        self.spend(0)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.spend(0)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.spend(v.len())
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<(), E> {
        self.spend(v.len())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.spend(0)
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.spend(0)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.spend::<A::Error>(0)?;
        while seq.next_element_seed(self)?.is_some() {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.spend::<A::Error>(0)?;
        while map.next_key_seed(self)?.is_some() {
            map.next_value_seed(self)?;
        }
        Ok(())
    }
    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<(), A::Error> {
        use serde::de::VariantAccess;
        let ((), variant) = data.variant_seed(self)?;
        variant.newtype_variant_seed(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: ScanLimits = ScanLimits {
        max_depth: 64,
        max_aliases: 1_000,
    };

    fn depth_error(yaml: &str) -> Option<(usize, usize)> {
        match scan(yaml, LIMITS) {
            Err(Found {
                line,
                column,
                kind: Exceeded::Depth { .. },
            }) => Some((line, column)),
            Err(other) => panic!("unexpected {other:?}"),
            Ok(()) => None,
        }
    }

    #[test]
    fn ordinary_front_matter_passes() {
        let yaml = "title: It's [not] a list\ntags: [a, b, {c: [d]}]\ndescription: |\n  [[[[[ '\n  \"\nlist:\n  - a\n  - - b\n    - c\nquote: 'it''s' # [[[[\nurl: \"a\\\"[[[\"\n";
        assert_eq!(scan(yaml, LIMITS), Ok(()));
    }

    #[test]
    fn deep_flow_nesting_is_found_with_its_position() {
        let yaml = format!("title: x\ntags: {}", "[".repeat(100_000));
        assert_eq!(depth_error(&yaml), Some((2, 7 + 63)));
        let yaml = format!("a:\n  {}", "{a: ".repeat(100));
        assert!(depth_error(&yaml).is_some());
        assert!(depth_error(&format!("a: {}", "[".repeat(60))).is_none());
    }

    #[test]
    fn deep_block_nesting_is_found() {
        assert!(depth_error(&format!("a:\n{}x", "- ".repeat(100))).is_some());
        let mut yaml = String::new();
        for i in 0..100 {
            yaml.push_str(&format!("{}k:\n", " ".repeat(i)));
        }
        assert_eq!(depth_error(&yaml), Some((65, 65)));
    }

    #[test]
    fn quoted_brackets_are_text() {
        let yaml = format!("a: '{}'\nb: \"{}\"\n", "[".repeat(100), "{".repeat(100));
        assert_eq!(depth_error(&yaml), None);
    }

    #[test]
    fn alias_uses_are_counted() {
        let yaml = format!("a: &x y\nb: [{}]\n", vec!["*x"; 1001].join(", "));
        let err = scan(&yaml, LIMITS).unwrap_err();
        assert_eq!(err.line, 2);
        assert!(matches!(err.kind, Exceeded::Aliases { .. }));
        let yaml = format!("a: &x y\nb: [{}]\n", ["*x"; 10].join(", "));
        assert_eq!(scan(&yaml, LIMITS), Ok(()));
    }

    #[test]
    fn expansion_is_measured_in_bytes() {
        let big = "x".repeat(100_000);
        let yaml = format!("a: &a {big}\nb: [{}]\n", vec!["*a"; 100].join(", "));
        assert!(expands_beyond(&yaml, 8 * 1024 * 1024));
        let yaml = format!("a: &a {big}\nb: [{}]\n", ["*a"; 10].join(", "));
        assert!(!expands_beyond(&yaml, 8 * 1024 * 1024));
        // Nested aliases are measured after expansion too: 10 x 10 x 100 KB.
        let mut yaml = format!("a0: &a0 {big}\n");
        for i in 1..3 {
            yaml.push_str(&format!(
                "a{i}: &a{i} [{}]\n",
                vec![format!("*a{}", i - 1); 10].join(", ")
            ));
        }
        assert!(expands_beyond(&yaml, 8 * 1024 * 1024));
        assert!(!expands_beyond(&yaml, 16 * 1024 * 1024));
        assert!(!expands_beyond("title: x\ntags: !t [a]\n", 1024));
        assert!(!expands_beyond("title: [unclosed\n", 1024));
        // Without aliases, only a budget smaller than the text's own bound needs the walk.
        let flat = "[".to_owned() + &"[],".repeat(300) + "]";
        assert!(expands_beyond(&flat, 300 * YAML_NODE_COST));
        assert!(!expands_beyond(
            &flat,
            2 * flat.len() * (YAML_NODE_COST + 1)
        ));
    }

    proptest::proptest! {
        /// The shortcut for text without aliases is sound: such text never spends more than
        /// its bound when walked.
        #[test]
        fn text_without_aliases_stays_within_its_bound(s in "[-\\[\\]{}:, \n#a'\"|>!&?]{0,200}") {
            let bound = (s.len() + 1) * 2 * (YAML_NODE_COST + 1);
            proptest::prop_assert!(!walk_exceeds(&s, bound));
        }
    }
}
