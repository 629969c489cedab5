//! Resource limits on untrusted input: post files, their front matter, and the organiser's
//! templates. The limits themselves are part of the config (`limits:` in crier.yaml, see
//! [`crate::config::Limits`]); their defaults are below.
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

pub use crate::config::limits::{Limits, MAX_POST_BYTES, YAML_NODE_COST};
