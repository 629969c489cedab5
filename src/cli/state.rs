//! `crier state`: checking the ledger, backing it up, restoring a backup, starting over.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::{load_config, Cli};
use crate::clock::Clock;
use crate::ledger::backup::Kind;
use crate::service::state::State;

/// Options of `crier state`.
#[derive(Debug, Args)]
pub struct StateArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: StateCommand,
}

/// The subcommands of `crier state`.
#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// Check the ledger thoroughly (every page and stored value), list the backups and the
    /// member requests waiting; exit 1 when the ledger is damaged or missing.
    Check,
    /// Copy the ledger into the backups folder now (checked, private); prints the file.
    Backup,
    /// The backups, oldest first (tab-separated: time, why, file).
    List,
    /// Put a backup in place of the ledger (checked first; what was in place is kept aside).
    /// Member requests made since the backup are applied again.
    Restore {
        /// The backup file.
        file: PathBuf,
        /// Restore even though the ledger in place changed after the backup.
        #[arg(long)]
        force: bool,
    },
    /// Start a new, empty ledger where the one in place is missing or damaged (its files
    /// are kept aside); the member-request journal is applied to it.
    Init {
        /// Required: says you mean to start over rather than restore a backup.
        #[arg(long, required = true)]
        new: bool,
    },
    /// Bring the ledger's schema up to date (a backup is taken first).
    Migrate,
}

/// Runs a `state` subcommand.
pub fn run(cli: &Cli, args: &StateArgs, _clock: &Clock) -> anyhow::Result<ExitCode> {
    let config = load_config(cli)?;
    let state = State::new(&config);
    let mut out = std::io::stdout().lock();
    match &args.command {
        StateCommand::Check => return check(&state, &mut out),
        StateCommand::Backup => {
            let taken = state.backup(Kind::Manual)?;
            writeln!(out, "{}", taken.path.display())?;
        }
        StateCommand::List => {
            for b in crate::ledger::backup::list(&state.place().backups) {
                let taken = b.taken.format("%Y-%m-%d %H:%M:%S UTC");
                writeln!(out, "{taken}\t{}\t{}", b.label, b.path.display())?;
            }
        }
        StateCommand::Restore { file, force } => {
            let (restored, replayed) = state.restore(file, *force)?;
            writeln!(out, "restored {}", restored.from.display())?;
            if let Some(aside) = &restored.set_aside {
                writeln!(
                    out,
                    "the ledger that was in place is kept at {}",
                    aside.display()
                )?;
            }
            writeln!(
                out,
                "{replayed} member request(s) made since the backup applied again"
            )?;
        }
        StateCommand::Init { .. } => {
            let (aside, replayed) = state.init_new()?;
            writeln!(
                out,
                "a new, empty ledger is in place at {}",
                state.place().db.display()
            )?;
            if let Some(aside) = aside {
                writeln!(out, "the damaged ledger is kept at {}", aside.display())?;
            }
            writeln!(out, "{replayed} member request(s) from the journal applied")?;
        }
        StateCommand::Migrate => {
            if state.migrate()? {
                writeln!(out, "the ledger's schema is up to date")?;
            } else {
                writeln!(out, "there is no ledger yet (this site has never sent)")?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn check(state: &State<'_>, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    let report = state.check();
    match (&report.problem, report.exists) {
        (Some(problem), _) => writeln!(out, "ledger: DAMAGED: {problem}")?,
        (None, true) => writeln!(out, "ledger: {} is sound", report.ledger)?,
        (None, false) => writeln!(out, "ledger: none yet (this site has never sent)")?,
    }
    writeln!(out, "member requests waiting: {}", report.pending_requests)?;
    match report.newest_backup() {
        Some(b) => writeln!(
            out,
            "backups: {}, the newest {} ({})",
            report.backups.len(),
            b.taken.format("%Y-%m-%d %H:%M:%S UTC"),
            b.path.display()
        )?,
        None => writeln!(out, "backups: none")?,
    }
    Ok(if report.problem.is_some() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
