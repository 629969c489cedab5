//! `crier run`: starts the daemon (see [`crate::daemon`]) and prints where it listens.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Args;

use super::Cli;
use crate::clock::Clock;
use crate::daemon::Daemon;
use crate::util::shutdown;

/// Options of `crier run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Listen on this address instead of `server.bind` (port 0 picks a free port).
    #[arg(long, value_name = "ADDR")]
    pub bind: Option<SocketAddr>,
    /// Serve the feeds and subscriber endpoints and rebuild on change, but send nothing (no
    /// schedule, no resume of an interrupted send).
    #[arg(long)]
    pub no_send: bool,
}

/// Runs the daemon until SIGTERM or SIGINT.
pub fn run(cli: &Cli, args: &RunArgs, clock: &Clock) -> anyhow::Result<ExitCode> {
    let site = super::load_site(cli, clock, "the daemon did not start")?;
    let feeds = crate::server::feeds_path(&site.config.feeds.url);
    let sends = match (&site.config.newsletter, args.no_send) {
        (_, true) => "off (--no-send)".to_owned(),
        (None, false) => "off (no newsletter: section)".to_owned(),
        (Some(n), false) => match &n.schedule {
            Some(s) => format!("on the schedule `{}`", s.source),
            None => "none scheduled (no newsletter.schedule)".to_owned(),
        },
    };
    let daemon = Daemon {
        root: cli.site.clone(),
        bind: args.bind.unwrap_or(site.config.server.bind),
        site,
        clock: *clock,
        send: !args.no_send,
    };
    super::runtime()?.block_on(async {
        let stop = shutdown::on_signal();
        daemon
            .run(stop, |at| {
                let local = at.http;
                // The first line is what scripts wait for; the rest is for people. A closed
                // stdout must not stop the daemon, so write errors are ignored.
                let mut out = std::io::stdout().lock();
                let _ = writeln!(
                    out,
                    "listening on http://{local}\n  home:        http://{local}/ (subscribe form, feeds, archive)\n  feeds:       http://{local}{feeds}rss.xml, atom.xml, feed.json (tags under {feeds}tags/)\n  unsubscribe: http://{local}/unsubscribe\n  health:      http://{local}/healthz\n  sending:     {sends}"
                );
                if let Some(bounces) = at.bounces {
                    let _ = writeln!(out, "  bounces:     smtp://{bounces}");
                }
            })
            .await
    })?;
    Ok(ExitCode::SUCCESS)
}
