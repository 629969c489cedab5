//! `crier check`: load everything, report every problem, change nothing.

use std::io::Write;
use std::process::ExitCode;

use clap::Args;

use super::{print_diagnostics, Cli};
use crate::clock::Clock;
use crate::diagnostics::{plural, Tally};
use crate::site;

/// Options of `crier check`.
#[derive(Debug, Args)]
pub struct CheckArgs {}

/// Prints every problem to stdout as `path:line:col: severity: message`, then a summary.
/// Exit 1 if there is any error.
pub fn run(cli: &Cli, _args: &CheckArgs, clock: &Clock) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    let site = match site::load(&cli.site, clock) {
        Ok(site) => site,
        Err(config_problems) => {
            print_diagnostics(&mut out, &config_problems)?;
            writeln!(out, "config is invalid: {}", Tally::of(&config_problems))?;
            return Ok(ExitCode::FAILURE);
        }
    };
    let report = &site.content;
    print_diagnostics(&mut out, &report.diagnostics)?;
    let tally = Tally::of(&report.diagnostics);
    let loaded = report.posts.len() + report.unpublished + report.scheduled;
    writeln!(
        out,
        "checked {} {} ({} published, {} unpublished, {} scheduled, {} skipped): {tally}",
        loaded + report.skipped,
        plural(loaded + report.skipped, "post", "posts"),
        report.posts.len(),
        report.unpublished,
        report.scheduled,
        report.skipped,
    )?;
    Ok(if tally.errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
