//! `crier suppressions`: the addresses crier never mails again.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};

use super::{load_config, Cli};
use crate::clock::Clock;
use crate::ledger::Ledger;
use crate::service::subscriptions::Subscriptions;
use crate::service::suppressions;
use crate::subscribers::{Address, SuppressionReason};
use crate::util::input::Input;

/// Options of `crier suppressions`.
#[derive(Debug, Args)]
pub struct SuppressionsArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: SuppressionsCommand,
}

/// The subcommands of `crier suppressions`.
#[derive(Debug, Subcommand)]
pub enum SuppressionsCommand {
    /// Every suppressed address with why and when (tab-separated, or --json).
    List {
        /// One JSON object per address.
        #[arg(long)]
        json: bool,
    },
    /// Never mail an address again.
    Add {
        /// The address.
        address: String,
        /// Why.
        #[arg(long, value_enum, default_value = "unsubscribed")]
        reason: ReasonArg,
        /// A note kept with it.
        #[arg(long, default_value = "added with `crier suppressions add`")]
        detail: String,
    },
    /// Mail an address again (the person asked; the mailbox works again).
    Remove {
        /// The address.
        address: String,
    },
    /// Import a sending provider's suppression export (CSV from Amazon SES, Mailgun,
    /// SendGrid, Postmark...): an address column, and a reason and date when it has them.
    Import {
        /// The CSV file (a regular file; `-` reads standard input).
        file: PathBuf,
        /// The reason for rows that do not say.
        #[arg(long, value_enum, default_value = "bounced")]
        reason: ReasonArg,
    },
    /// The list as CSV on stdout (address, reason, at, detail).
    Export,
}

/// A suppression reason as the command line spells it.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ReasonArg {
    /// The person unsubscribed.
    Unsubscribed,
    /// The mailbox does not exist.
    Bounced,
    /// The person reported spam.
    Complained,
}

impl From<ReasonArg> for SuppressionReason {
    fn from(r: ReasonArg) -> Self {
        match r {
            ReasonArg::Unsubscribed => SuppressionReason::Unsubscribed,
            ReasonArg::Bounced => SuppressionReason::Bounced,
            ReasonArg::Complained => SuppressionReason::Complained,
        }
    }
}

/// Runs a `suppressions` subcommand.
pub fn run(cli: &Cli, args: &SuppressionsArgs, clock: &Clock) -> anyhow::Result<ExitCode> {
    let config = load_config(cli)?;
    let now = clock.now_utc();
    let mut out = std::io::stdout().lock();
    match &args.command {
        SuppressionsCommand::List { json } => {
            let Some(ledger) = crate::service::state::State::new(&config).read()? else {
                return Ok(ExitCode::SUCCESS);
            };
            for s in suppressions::list(&ledger)? {
                if *json {
                    serde_json::to_writer(&mut out, &s).map_err(std::io::Error::from)?;
                    writeln!(out)?;
                } else {
                    let at = s.at.format("%Y-%m-%d");
                    writeln!(out, "{}\t{}\t{at}\t{}", s.address, s.reason, s.detail)?;
                }
            }
        }
        SuppressionsCommand::Export => {
            let mut csv = csv::Writer::from_writer(out);
            csv.write_record(["address", "reason", "at", "detail"])?;
            if let Some(ledger) = crate::service::state::State::new(&config).read()? {
                for s in suppressions::list(&ledger)? {
                    let at = s.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
                    csv.write_record([s.address.as_str(), s.reason.as_str(), &at, &s.detail])?;
                }
            }
            csv.flush()?;
        }
        SuppressionsCommand::Add {
            address,
            reason,
            detail,
        } => {
            let address = Address::parse(address)
                .map_err(|why| anyhow::anyhow!("invalid address '{address}': {why}"))?;
            let mut ledger = Ledger::open(&crate::ledger::Place::of(&config))?;
            let reason = SuppressionReason::from(*reason);
            Subscriptions::new(&mut ledger, &config).suppress(&address, reason, detail, now)?;
            writeln!(out, "{address} is suppressed ({reason})")?;
        }
        SuppressionsCommand::Remove { address } => {
            let address = Address::unchecked(address);
            let mut ledger = Ledger::open(&crate::ledger::Place::of(&config))?;
            Subscriptions::new(&mut ledger, &config).unsuppress(&address)?;
            writeln!(out, "{address} is no longer suppressed")?;
        }
        SuppressionsCommand::Import { file, reason } => {
            let mut ledger = Ledger::open(&crate::ledger::Place::of(&config))?;
            let input = Input::from_arg(file);
            let done = suppressions::import(&mut ledger, &config, &input, (*reason).into(), now)?;
            for skipped in &done.skipped {
                eprintln!("{}: {skipped}", input.label());
            }
            writeln!(
                out,
                "{} addresses suppressed, {} rows skipped",
                done.suppressed,
                done.skipped.len()
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
