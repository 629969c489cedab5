//! A site: its config and its posts, loaded together.

use std::path::Path;

use crate::clock::Clock;
use crate::config::{self, Config};
use crate::content::{self, LoadReport};
use crate::diagnostics::Diagnostic;

/// A loaded site: the config plus every post that loaded (and the problems with the rest).
#[derive(Debug)]
pub struct Site {
    /// The validated config.
    pub config: Config,
    /// The posts and the diagnostics from loading them.
    pub content: LoadReport,
}

/// Loads the site in `root`. Fails only if the config itself is unusable; bad posts are
/// reported in [`Site::content`] and skipped.
pub fn load(root: &Path, clock: &Clock) -> Result<Site, Vec<Diagnostic>> {
    let config = config::load(root)?;
    let content = content::load_posts(&config, clock);
    Ok(Site { config, content })
}

/// Small sites for the library's unit tests (the integration tests have `tests/it/common`).
#[cfg(test)]
pub(crate) mod test_support;
