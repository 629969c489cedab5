//! `crier run`: starts the daemon (see [`crate::daemon`]) and prints where it listens.

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Args;

use super::Cli;
use crate::clock::Clock;
use crate::daemon::{shutdown, Daemon};

/// Options of `crier run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Listen on this address instead of `server.bind` (port 0 picks a free port).
    #[arg(long, value_name = "ADDR")]
    pub bind: Option<SocketAddr>,
}

/// Runs the daemon until SIGTERM or SIGINT.
pub fn run(cli: &Cli, args: &RunArgs, clock: &Clock) -> anyhow::Result<ExitCode> {
    let site = super::load_site(cli, clock, "the daemon did not start")?;
    let daemon = Daemon {
        root: cli.site.clone(),
        bind: args.bind.unwrap_or(site.config.server.bind),
        site,
        clock: *clock,
    };
    super::runtime()?.block_on(async {
        let stop = shutdown::on_signal();
        daemon
            .run(stop, |local| println!("listening on http://{local}"))
            .await
    })?;
    Ok(ExitCode::SUCCESS)
}
