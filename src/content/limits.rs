//! Resource limits on untrusted input: post files, their front matter, and the organiser's
//! templates. Every limit lives here so that they can be read from the config later; until
//! then [`Limits::default`] is what every loader uses.
//!
//! Each limit exists because something measurably went wrong without it (debug build, 2 cores):
//!
//! * deep flow nesting (`[[[[...`) makes serde_yaml quadratic: 200 KB took 37 s;
//! * serde_yaml expands aliases without counting bytes: one 1 MB anchor aliased 1,000 times
//!   took 2 GB;
//! * every tag gets its own feed holding the whole post: 10,000 tags on a 69 KB post took
//!   10.5 GB in `build`;
//! * handlebars compiles in time quadratic in the number of `{{...}}` expressions (100,000
//!   took 139 s, 4,000 take about 0.3 s) and recurses once per nested block or partial (a
//!   few thousand levels overflow the stack and abort the process).

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
}

/// What one YAML value costs in [`Limits::max_yaml_expanded_bytes`] besides its text.
pub const YAML_NODE_COST: usize = 16;

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
        }
    }
}
