//! `crier status`: what the ledger says about recent sends.

use std::process::ExitCode;

use clap::Args;

use super::{print_diagnostics, Cli};
use crate::clock::Clock;
use crate::config;
use crate::ledger::Ledger;

/// Options of `crier status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// How many recent sends to list.
    #[arg(long, default_value_t = 5)]
    pub last: usize,
}

/// Prints the last sends with their counts, and the newest one's failures.
pub fn run(cli: &Cli, args: &StatusArgs, _clock: &Clock) -> anyhow::Result<ExitCode> {
    let config = match config::load(&cli.site) {
        Ok(c) => c,
        Err(problems) => {
            print_diagnostics(&mut std::io::stderr().lock(), &problems)?;
            anyhow::bail!("config is invalid");
        }
    };
    let Some(ledger) = Ledger::open_existing(&config.delivery.state_db)? else {
        println!(
            "nothing sent yet ({} does not exist)",
            config.delivery.state_db.display()
        );
        return Ok(ExitCode::SUCCESS);
    };
    let recent = ledger.recent(args.last)?;
    for row in &recent {
        let c = ledger.counts(&row.id)?;
        let skipped = if c.skipped > 0 {
            format!(", {} skipped (suppressed after freezing)", c.skipped)
        } else {
            String::new()
        };
        println!(
            "{} {} ({}, composed for {}): {} sent, {} pending, {} failed{skipped}",
            row.id,
            row.kind,
            row.status,
            row.at,
            c.sent,
            c.pending(),
            c.failed
        );
    }
    if let Some(current) = recent.first() {
        for (address, reply) in ledger.failures(&current.id)? {
            println!("  failed {address}: {reply}");
        }
    }
    if recent.is_empty() {
        println!("nothing sent yet");
    }
    Ok(ExitCode::SUCCESS)
}
