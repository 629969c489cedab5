//! `crier build`: write the feeds from every valid post.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::{print_diagnostics, Cli};
use crate::clock::Clock;
use crate::diagnostics::{plural, Tally};
use crate::feeds;

/// Options of `crier build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Write into this folder instead of the configured `feeds.output_dir`.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// Builds the feeds, and the archive of sent digests when the ledger exists (it is never
/// created here). Invalid posts are reported on stderr and left out; the feeds from the
/// valid ones are still written, and the exit code is then 1.
pub fn run(cli: &Cli, args: &BuildArgs, clock: &Clock) -> anyhow::Result<ExitCode> {
    let site = super::load_site(cli, clock, "nothing was built")?;
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| site.config.feeds.output_dir.clone());
    let built = feeds::build_and_write(&site.content.posts, &site.config, clock.now(), &out_dir)?;
    let mut diagnostics = site.content.diagnostics.clone();
    diagnostics.extend(built.diagnostics.iter().cloned());
    print_diagnostics(&mut std::io::stderr().lock(), &diagnostics)?;
    let skipped = site.content.skipped + built.diagnostics.len();
    let posts = site.content.posts.len();
    writeln!(
        std::io::stdout().lock(),
        "built {} {} ({} files, {} changed) in {} from {posts} {}; {skipped} {} skipped; {}",
        built.feeds,
        plural(built.feeds, "feed", "feeds"),
        built.files,
        built.changed,
        out_dir.display(),
        plural(posts, "post", "posts"),
        plural(skipped, "post", "posts"),
        Tally::of(&diagnostics),
    )?;
    if let Some(archive) = crate::archive::publish_existing(&site.config, &out_dir)? {
        writeln!(
            std::io::stdout().lock(),
            "archive: {} {} ({} files changed) in {}",
            archive.pages,
            plural(archive.pages, "digest", "digests"),
            archive.changed,
            archive.dir.display()
        )?;
    }
    Ok(if skipped > 0 || Tally::of(&diagnostics).errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
