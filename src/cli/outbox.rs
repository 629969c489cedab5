//! `crier outbox`: the messages written to the outbox (no SMTP server configured), newest
//! first, with their member links decoded so they can be opened.

use std::io::Write;
use std::process::ExitCode;

use clap::Args;

use super::{load_config, Cli};
use crate::clock::Clock;
use crate::service::outbox;

/// Options of `crier outbox`.
#[derive(Debug, Args)]
pub struct OutboxArgs {
    /// How many of the newest messages to show.
    #[arg(long, default_value_t = 10)]
    pub last: usize,
    /// Only messages to this address.
    #[arg(long, value_name = "ADDRESS")]
    pub to: Option<String>,
    /// One JSON object per message.
    #[arg(long)]
    pub json: bool,
}

/// Runs `crier outbox`.
pub fn run(cli: &Cli, args: &OutboxArgs, _clock: &Clock) -> anyhow::Result<ExitCode> {
    let config = load_config(cli)?;
    let dir = &config.delivery.outbox_dir;
    let mut out = std::io::stdout().lock();
    let messages = outbox::list(dir, Some(args.last), args.to.as_deref());
    if config.smtp.is_some() {
        eprintln!(
            "note: an SMTP server is configured, so new messages go there, not to {}",
            dir.display()
        );
    }
    if messages.is_empty() && !args.json {
        writeln!(out, "no messages in {}", dir.display())?;
    }
    for m in &messages {
        if args.json {
            serde_json::to_writer(&mut out, m).map_err(std::io::Error::from)?;
            writeln!(out)?;
            continue;
        }
        writeln!(
            out,
            "{}  {}  to {}: {}",
            m.written.format("%Y-%m-%d %H:%M:%S"),
            m.send,
            m.to,
            m.subject
        )?;
        for (what, url) in &m.links {
            writeln!(out, "  {what:<12} {url}")?;
            if let Some(local) = outbox::on_this_machine(url, config.server.bind) {
                writeln!(out, "  {:<12} {local}  (the daemon on this machine)", "")?;
            }
        }
        writeln!(out, "  file         {}", m.file.display())?;
    }
    Ok(ExitCode::SUCCESS)
}
