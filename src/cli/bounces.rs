//! `crier bounces import`: bounce and complaint reports from files, a Maildir or an mbox.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::{load_config, Cli};
use crate::clock::Clock;
use crate::email::tokens::KEY_ENV;
use crate::email::TokenKey;
use crate::ledger::Ledger;
use crate::service::bounces::{Action, Bounces};

/// Options of `crier bounces`.
#[derive(Debug, Args)]
pub struct BouncesArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: BouncesCommand,
}

/// The subcommands of `crier bounces`.
#[derive(Debug, Subcommand)]
pub enum BouncesCommand {
    /// Read bounce and complaint reports from .eml files, Maildirs or mboxes, and act on them
    /// (nothing is ever changed or deleted in the files).
    Import(ImportArgs),
}

/// Options of `crier bounces import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// .eml files, Maildir folders (cur/ and new/) or mbox files.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Decide what to do, change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// One JSON object per report and recipient: file, recipient, kind, status, reason,
    /// action.
    #[arg(long)]
    pub json: bool,
}

/// Runs a `bounces` subcommand.
pub fn run(cli: &Cli, args: &BouncesArgs, clock: &Clock) -> anyhow::Result<ExitCode> {
    let BouncesCommand::Import(args) = &args.command;
    let config = load_config(cli)?;
    let key_file = config
        .newsletter
        .as_ref()
        .and_then(|n| n.token_key_file.clone());
    let (key, _) = TokenKey::load(std::env::var(KEY_ENV).ok(), key_file.as_deref(), false)?;
    let mut ledger = if args.dry_run {
        Ledger::open_existing(&crate::ledger::Place::of(&config))?
    } else {
        Some(Ledger::open(&crate::ledger::Place::of(&config))?)
    };
    let now = clock.now_utc();
    let imported =
        Bounces::new(&config, &key).import(&mut ledger, &args.paths, args.dry_run, now)?;
    for skipped in &imported.skipped {
        tracing::warn!("skipped {skipped}");
    }
    let mut out = std::io::stdout().lock();
    for d in &imported.decisions {
        if args.json {
            serde_json::to_writer(&mut out, d).map_err(std::io::Error::from)?;
            writeln!(out)?;
        } else {
            writeln!(
                out,
                "{}\t{}\t{}\t{}\t{}\t{}",
                d.file,
                d.recipient.as_deref().unwrap_or("-"),
                d.kind,
                d.status.as_deref().unwrap_or("-"),
                d.reason,
                d.action.as_str()
            )?;
        }
    }
    let warned = imported
        .decisions
        .iter()
        .filter(|d| d.action == Action::Warn);
    for d in warned {
        eprintln!("warning: {} was refused for a reason about how the mail is sent, not about the address ({}: {}): check SPF, DKIM and DMARC for the From domain, the sending server's reverse DNS, and whether its address is on a block-list", d.recipient.as_deref().unwrap_or("a message"), d.reason, d.detail.chars().take(200).collect::<String>());
    }
    if !args.json {
        let verb = if args.dry_run {
            "would act on"
        } else {
            "acted on"
        };
        eprintln!(
            "{} reports: {verb} {} decisions ({} new), {} skipped",
            imported.decisions.len(),
            imported.decisions.len(),
            imported.applied,
            imported.skipped.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}
