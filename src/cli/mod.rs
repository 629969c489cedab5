//! The `crier` command line: argument parsing, logging set-up, exit codes.
//!
//! Exit codes follow the usual convention: 0 success, 1 failure (including any error
//! diagnostic), 2 bad usage.

mod bounces;
mod build;
mod check;
mod init;
mod outbox;
mod progress;
mod run;
mod send;
mod snippet;
mod state;
mod status;
mod subscribers;
mod suppressions;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{DateTime, FixedOffset};
use clap::{Parser, Subcommand};

use crate::clock::Clock;
use crate::diagnostics::Diagnostic;

/// Feed and newsletter publisher for Markdown (Jekyll) blogs.
#[derive(Debug, Parser)]
#[command(name = "crier", version, about, long_about = None)]
pub struct Cli {
    /// The site folder (holding crier.yaml).
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        default_value = ".",
        env = "CRIER_SITE",
        value_name = "DIR"
    )]
    pub site: PathBuf,

    /// Pretend the current time is this RFC 3339 instant (e.g. 2026-03-02T09:00:00Z);
    /// decides which future-dated posts are published.
    #[arg(long, global = true, help_heading = "Global options", env = "CRIER_NOW", value_name = "DATETIME", value_parser = parse_now)]
    pub now: Option<DateTime<FixedOffset>>,

    /// More logging (-v: debug, -vv: trace).
    #[arg(short, long, global = true, help_heading = "Global options", action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Only log errors.
    #[arg(
        short,
        long,
        global = true,
        help_heading = "Global options",
        conflicts_with = "verbose"
    )]
    pub quiet: bool,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build RSS, Atom and JSON feeds from the posts into the output folder.
    Build(build::BuildArgs),
    /// Check the config and every post; print each problem as path:line:col.
    Check(check::CheckArgs),
    /// Set crier up in a Jekyll site (from _config.yml), or write a starter site into an empty folder.
    #[command(long_about = init::LONG_ABOUT)]
    Init(init::InitArgs),
    /// Send the digest (or one post) to every subscriber; `--dry-run` previews it.
    Send(send::SendArgs),
    /// Show the last digests and the current one's sent / pending / failed counts.
    Status(status::StatusArgs),
    /// Run the daemon: serve feeds and unsubscribe links, rebuild on change, send on schedule.
    Run(run::RunArgs),
    /// Manage the subscriber store: list, add, remove, import, export, count.
    Subscribers(subscribers::SubscribersArgs),
    /// Print HTML for a Jekyll layout: the subscribe form, or the feeds' <link> tags.
    Snippet(snippet::SnippetArgs),
    /// Take bounce and complaint reports from files, a Maildir or an mbox.
    Bounces(bounces::BouncesArgs),
    /// The addresses never mailed again: list, add, remove, import a provider's list.
    Suppressions(suppressions::SuppressionsArgs),
    /// The ledger: check it, back it up, restore a backup, start over.
    State(state::StateArgs),
    /// The messages in the outbox (no SMTP server configured), with their links decoded.
    Outbox(outbox::OutboxArgs),
}

/// A command-line time that is not RFC 3339.
#[derive(Debug, thiserror::Error)]
#[error("expected an RFC 3339 date-time such as 2026-03-02T09:00:00Z ({0})")]
pub struct TimeArgError(#[from] chrono::ParseError);

fn parse_now(raw: &str) -> Result<DateTime<FixedOffset>, TimeArgError> {
    Ok(DateTime::parse_from_rfc3339(raw)?)
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(2));
        }
    };
    init_logging(cli.verbose, cli.quiet);
    let clock = cli.now.map_or_else(Clock::system, Clock::fixed);
    // A panic is a bug, but the documented exit codes still hold: it is reported (by the
    // panic hook, with its location) and the command fails with 1, not Rust's 101.
    let outcome = std::panic::catch_unwind(|| match &cli.command {
        Command::Build(args) => build::run(&cli, args, &clock),
        Command::Check(args) => check::run(&cli, args, &clock),
        Command::Init(args) => init::run(&cli, args, &clock),
        Command::Send(args) => send::run(&cli, args, &clock),
        Command::Status(args) => status::run(&cli, args, &clock),
        Command::Run(args) => run::run(&cli, args, &clock),
        Command::Subscribers(args) => subscribers::run(&cli, args, &clock),
        Command::Snippet(args) => snippet::run(&cli, args, &clock),
        Command::Bounces(args) => bounces::run(&cli, args, &clock),
        Command::Suppressions(args) => suppressions::run(&cli, args, &clock),
        Command::State(args) => state::run(&cli, args, &clock),
        Command::Outbox(args) => outbox::run(&cli, args, &clock),
    });
    let Ok(result) = outcome else {
        eprintln!(
            "error: crier hit an internal error (a bug; please report it with the message above)"
        );
        return ExitCode::FAILURE;
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(verbose: u8, quiet: bool) {
    let default = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "info",
        (false, 1) => "debug",
        (false, _) => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("CRIER_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("crier={default}")));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .without_time()
        .try_init();
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Prints diagnostics, one per line, to `out`.
fn print_diagnostics(out: &mut impl Write, diagnostics: &[Diagnostic]) -> std::io::Result<()> {
    for d in diagnostics {
        writeln!(out, "{d}")?;
    }
    Ok(())
}

/// Loads `crier.yaml`, or prints its problems and fails.
fn load_config(cli: &Cli) -> anyhow::Result<crate::config::Config> {
    crate::config::load(&cli.site).or_else(|problems| {
        print_diagnostics(&mut std::io::stderr().lock(), &problems)?;
        anyhow::bail!(
            "config is invalid ({})",
            crate::diagnostics::Tally::of(&problems)
        )
    })
}

/// Loads the site, or prints the config problems and fails with `what happened instead`.
fn load_site(cli: &Cli, clock: &Clock, instead: &str) -> anyhow::Result<crate::site::Site> {
    crate::site::load(&cli.site, clock).or_else(|problems| {
        print_diagnostics(&mut std::io::stderr().lock(), &problems)?;
        anyhow::bail!(
            "config is invalid ({}); {instead}",
            crate::diagnostics::Tally::of(&problems)
        )
    })
}

/// The async runtime for commands that talk to the network (two cores, like the machines
/// crier is made for).
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| anyhow::anyhow!("cannot start the async runtime: {e}"))
}
