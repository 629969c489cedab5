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
        next_digest(&mut out, &config, args.json)?;
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
    drop(ledger);
    next_digest(&mut out, &config, args.json)?;
    Ok(ExitCode::SUCCESS)
}

/// The next digest's audience, counted as the dry run counts it (not in `--json`, whose lines
/// are sends).
fn next_digest(
    out: &mut impl Write,
    config: &crate::config::Config,
    json: bool,
) -> anyhow::Result<()> {
    if json {
        return Ok(());
    }
    if let Some(tally) = crate::service::audience::next_digest(config)? {
        writeln!(out, "next digest: {}", tally.describe())?;
    }
    Ok(())
}
