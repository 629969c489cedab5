//! `crier status`: what the ledger says about recent sends.

use std::io::Write;
use std::process::ExitCode;

use clap::Args;

use super::{load_config, Cli};
use crate::clock::Clock;
use crate::service::report;

/// Options of `crier status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// How many recent sends to list.
    #[arg(long, default_value_t = 5)]
    pub last: usize,
    /// One JSON object per send.
    #[arg(long)]
    pub json: bool,
}

/// Prints the last sends with their counts, what came back, and the newest one's failures.
pub fn run(cli: &Cli, args: &StatusArgs, _clock: &Clock) -> anyhow::Result<ExitCode> {
    let config = load_config(cli)?;
    let mut out = std::io::stdout().lock();
    let Some(ledger) = crate::service::state::State::new(&config).read()? else {
        writeln!(
            out,
            "nothing sent yet ({} does not exist)",
            config.delivery.state_db.display()
        )?;
        return Ok(ExitCode::SUCCESS);
    };
    let reports = report::recent(&ledger, args.last)?;
    for r in &reports {
        if args.json {
            serde_json::to_writer(&mut out, r).map_err(std::io::Error::from)?;
            writeln!(out)?;
        } else {
            write!(out, "{r}")?;
        }
    }
    if let (Some(current), false) = (reports.first(), args.json) {
        for (address, reply) in ledger.failures(&current.id)? {
            writeln!(out, "  failed {address}: {reply}")?;
        }
    }
    if reports.is_empty() && !args.json {
        writeln!(out, "nothing sent yet")?;
    }
    Ok(ExitCode::SUCCESS)
}
