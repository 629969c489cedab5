//! The GitHub Pages workflow that `crier init --github-pages` writes into a Jekyll site: it
//! builds crier's feeds into the site's folder, then the site with Jekyll, and deploys it.
//! Its text is the manual's `docs/deploy/pages.yml`, so the manual shows byte for byte what
//! crier writes.

use std::path::Path;

use super::init::InitError;
use super::jekyll;

/// Where the workflow goes, relative to the site folder (the repository's top).
pub const WORKFLOW_PATH: &str = ".github/workflows/crier-pages.yml";

/// The workflow.
pub const WORKFLOW: &str = include_str!("../../docs/deploy/pages.yml");

/// What the organiser still has to do for the workflow to run, for `crier init` to say.
pub const SETTINGS_NOTE: &str = "for the workflow to run, in the repository's settings: set Pages' source to \"GitHub Actions\", and set the variables CRIER_GIT (the git URL of crier's source) and CRIER_REF (the tag or commit to install); see the comments at the top of the workflow";

/// Checks, before anything is written, that the workflow can be written into `root`: the
/// site is a Jekyll site (the workflow builds it with Jekyll, and in another folder Jekyll
/// would publish crier's private files), and no workflow is there already unless `force`.
pub fn check(root: &Path, force: bool) -> Result<(), InitError> {
    if jekyll::config_file(root).is_none() {
        return Err(InitError::PagesNeedsJekyll(root.to_path_buf()));
    }
    let path = root.join(WORKFLOW_PATH);
    if path.exists() && !force {
        return Err(InitError::WorkflowExists(path));
    }
    Ok(())
}
