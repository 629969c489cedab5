//! The `limits:` section: resource limits on untrusted input (posts, front matter,
//! templates, subscriber imports). Their reasons are in [`crate::content::limits`] and, for
//! imports, in [`crate::subscribers::import`]. The ones a real site may need
//! to raise are configurable within a safe range; the rest (YAML nesting, aliases) are not.

use serde::Deserialize;

/// Largest post file crier reads by default; anything bigger is almost certainly not a
/// hand-written post (a pasted log, a binary saved as `.md`) and would only slow every build.
pub const MAX_POST_BYTES: u64 = 2 * 1024 * 1024;

/// Limits on what crier reads. The defaults are generous for hand-written sites.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest post file, in bytes.
    pub max_post_bytes: u64,
    /// Largest front matter (the YAML between the `---` lines), in bytes.
    pub max_front_matter_bytes: usize,
    /// Deepest nesting of lists and mappings in front matter, checked before the YAML parser
    /// sees the text.
    pub max_yaml_depth: usize,
    /// Most `*alias` uses in one front matter.
    pub max_yaml_aliases: usize,
    /// Largest front matter once aliases are expanded: the bytes of every scalar plus
    /// [`YAML_NODE_COST`] per value, counting each alias use as a full copy of its anchor.
    pub max_yaml_expanded_bytes: usize,
    /// Most tags (and, separately, categories) on one post; the rest are ignored, with a
    /// warning.
    pub max_tags: usize,
    /// Largest template file (or subject template), in bytes.
    pub max_template_bytes: usize,
    /// Most `{{...}}` expressions in one template.
    pub max_template_expressions: usize,
    /// Deepest nesting of blocks (`{{#if}}`, `{{#each}}`...) and partials, counted along every
    /// chain of partials from a top-level template.
    pub max_template_depth: usize,
    /// Largest import file (subscribers or suppressions), in bytes; for a zip, also the most
    /// CSV text its files may inflate to.
    pub max_import_bytes: u64,
    /// Most rows one import reads (every CSV of a zip together).
    pub max_import_rows: usize,
    /// Most entries in an imported zip, counted from its central directory before anything is
    /// inflated.
    pub max_zip_entries: u64,
}

/// The default for [`Limits::max_import_bytes`]: a 100,000-member Mailchimp export is about
/// 30 MB.
pub const MAX_IMPORT_BYTES: u64 = 64 * 1024 * 1024;

/// What one YAML value costs in [`Limits::max_yaml_expanded_bytes`] besides its text.
pub use crate::util::yaml_guard::YAML_NODE_COST;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_post_bytes: MAX_POST_BYTES,
            max_front_matter_bytes: 256 * 1024,
            max_yaml_depth: 64,
            max_yaml_aliases: 1_000,
            max_yaml_expanded_bytes: 8 * 1024 * 1024,
            max_tags: 100,
            max_template_bytes: 512 * 1024,
            max_template_expressions: 4_000,
            max_template_depth: 100,
            max_import_bytes: MAX_IMPORT_BYTES,
            max_import_rows: 250_000,
            max_zip_entries: 1_000,
        }
    }
}

impl Limits {
    /// The front-matter limits, for a whole YAML document such as `crier.yaml`.
    pub fn yaml_document(&self) -> crate::util::yaml_guard::DocumentLimits {
        crate::util::yaml_guard::DocumentLimits {
            max_bytes: self.max_front_matter_bytes,
            scan: self.yaml_scan(),
            max_expanded_bytes: self.max_yaml_expanded_bytes,
        }
    }

    /// The nesting and alias limits, for [`crate::util::yaml_guard::scan`].
    pub fn yaml_scan(&self) -> crate::util::yaml_guard::ScanLimits {
        crate::util::yaml_guard::ScanLimits {
            max_depth: self.max_yaml_depth,
            max_aliases: self.max_yaml_aliases,
        }
    }
}

/// `limits:` as written: each key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLimits {
    /// Largest post file, in KiB (default 2048, at most 65536).
    post_kib: Option<u64>,
    /// Largest front matter, in KiB (default 256, at most 4096).
    front_matter_kib: Option<usize>,
    /// Most tags per post (default 100, at most 1000).
    tags_per_post: Option<usize>,
    /// Largest template, in KiB (default 512, at most 4096).
    template_kib: Option<usize>,
    /// Most `{{...}}` expressions in one template (default 4000, at most 20000).
    template_expressions: Option<usize>,
    /// Largest import file, in MiB (default 64, at most 1024).
    import_mib: Option<u64>,
    /// Most rows in one import (default 250000, at most 10000000).
    import_rows: Option<usize>,
}

/// Validates `limits:`: each value within its range, or an error naming the key and range.
pub(super) fn validate(raw: RawLimits, problem: &mut impl FnMut(&[&str], String)) -> Limits {
    let mut limits = Limits::default();
    let mut check = |key: &str, value: Option<u64>, range: std::ops::RangeInclusive<u64>| {
        let value = value?;
        if range.contains(&value) {
            Some(value)
        } else {
            problem(
                &["limits", key],
                format!(
                    "field `limits.{key}`: expected a whole number from {} to {}, found {value}",
                    range.start(),
                    range.end()
                ),
            );
            None
        }
    };
    let widen = |v: usize| v as u64;
    if let Some(kib) = check("post_kib", raw.post_kib, 16..=65_536) {
        limits.max_post_bytes = kib * 1024;
    }
    if let Some(kib) = check(
        "front_matter_kib",
        raw.front_matter_kib.map(widen),
        4..=4_096,
    ) {
        limits.max_front_matter_bytes = kib as usize * 1024;
    }
    if let Some(n) = check("tags_per_post", raw.tags_per_post.map(widen), 1..=1_000) {
        limits.max_tags = n as usize;
    }
    if let Some(kib) = check("template_kib", raw.template_kib.map(widen), 16..=4_096) {
        limits.max_template_bytes = kib as usize * 1024;
    }
    if let Some(n) = check(
        "template_expressions",
        raw.template_expressions.map(widen),
        100..=20_000,
    ) {
        limits.max_template_expressions = n as usize;
    }
    if let Some(mib) = check("import_mib", raw.import_mib, 1..=1_024) {
        limits.max_import_bytes = mib * 1024 * 1024;
    }
    if let Some(n) = check("import_rows", raw.import_rows.map(widen), 1..=10_000_000) {
        limits.max_import_rows = n as usize;
    }
    limits
}
