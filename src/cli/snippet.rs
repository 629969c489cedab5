//! `crier snippet`: HTML for an existing site's layouts.

use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::Cli;
use crate::adopt::snippet;
use crate::clock::Clock;

/// Options of `crier snippet`.
#[derive(Debug, Args)]
pub struct SnippetArgs {
    /// Which snippet.
    #[arg(value_enum)]
    pub what: What,
}

/// The snippets.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum What {
    /// The subscribe form (posts to `crier run`'s /subscribe).
    Form,
    /// `<link rel="alternate">` tags for the feeds, for the layout's <head>.
    Head,
}

/// Prints the snippet to stdout.
pub fn run(cli: &Cli, args: &SnippetArgs, _clock: &Clock) -> anyhow::Result<ExitCode> {
    let config = crate::config::load(&cli.site).map_err(|problems| {
        let _ = super::print_diagnostics(&mut std::io::stderr().lock(), &problems);
        anyhow::anyhow!("config is invalid")
    })?;
    match args.what {
        What::Head => print!("{}", snippet::head(&config)),
        What::Form => match snippet::form(&config) {
            Some(form) => print!("{form}"),
            None => anyhow::bail!(
                "the site has no `newsletter:` section, so there is nothing to subscribe to"
            ),
        },
    }
    Ok(ExitCode::SUCCESS)
}
