//! `crier send` for real: freeze the digest in the ledger, then deliver it (or resume the one
//! an earlier run left unfinished).

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::bail;
use chrono::{DateTime, FixedOffset, Timelike};

use super::send::SendArgs;
use super::{print_diagnostics, Cli};
use crate::clock::Clock;
use crate::delivery::campaign::{
    digest_outgoing, digest_summary, due_digest, post_outgoing, settings as campaign_settings,
    Campaign,
};
use crate::delivery::ledger::DigestRow;
use crate::delivery::lock::SiteLock;
use crate::delivery::sender::{Outcome, Progress};
use crate::delivery::transport::{Outgoing as Wire, SendError};
use crate::delivery::Ledger;
use crate::digest;
use crate::email::{Composer, Outgoing};
use crate::site::Site;
use crate::subscribers::{self, Subscriber};

/// Runs a real send.
pub fn run(cli: &Cli, args: &SendArgs, clock: &Clock) -> anyhow::Result<ExitCode> {
    let site = super::load_site(cli, clock, "nothing was sent")?;
    let runtime = super::runtime()?;
    runtime.block_on(send(&site, args, clock))
}

async fn send(site: &Site, args: &SendArgs, clock: &Clock) -> anyhow::Result<ExitCode> {
    let config = &site.config;
    let campaign = Campaign::prepare(config)?;
    // Whole seconds: the time is shown to people and stored in the ledger.
    let at = args.at.unwrap_or_else(|| clock.now());
    let at = at.with_nanosecond(0).unwrap_or(at);

    if let Some(to) = &args.to {
        return test_copy(site, &campaign, args, at, to).await;
    }

    let state_dir = config.delivery.state_dir();
    let _lock = match SiteLock::try_acquire(&state_dir)? {
        Ok(lock) => lock,
        Err(busy) => {
            eprintln!("{busy}; waiting for it to finish");
            SiteLock::acquire(&state_dir)?
        }
    };
    let mut ledger = Ledger::open(&config.delivery.state_db)?;
    let shutdown = shutdown_signal();
    let mut progress = progress_for_stderr();

    if let Some(row) = ledger.unfinished()? {
        let counts = ledger.counts(&row.id)?;
        println!(
            "resuming {} {} (composed for {}): {} sent, {} to go",
            row.kind,
            row.id,
            row.at,
            counts.sent,
            counts.queued + counts.sending
        );
        let outcome = campaign
            .deliver(config, &ledger, &row, shutdown, progress.as_mut(), clock)
            .await?;
        return report(&ledger, &row, &outcome);
    }

    let (outgoing, summary, kind) = match &args.post {
        Some(slug) => (
            post_outgoing(&site.content.posts, config, slug)?,
            serde_json::json!({ "post": slug }),
            "post",
        ),
        None => {
            let digest = due_digest(&site.content.posts, config, &ledger, at, args.since)?;
            print_diagnostics(&mut std::io::stderr().lock(), &digest.warnings)?;
            describe(&digest);
            (
                digest_outgoing(&digest, config),
                digest_summary(&digest),
                "digest",
            )
        }
    };
    let (row, queued, problems) =
        campaign.freeze(config, &mut ledger, outgoing, kind, &summary, at, clock)?;
    print_diagnostics(&mut std::io::stderr().lock(), &problems)?;
    println!(
        "frozen {}: {queued} recipients queued (suppressed addresses left out)",
        row.id
    );
    let outcome = campaign
        .deliver(config, &ledger, &row, shutdown, progress.as_mut(), clock)
        .await?;
    report(&ledger, &row, &outcome)
}

fn report(ledger: &Ledger, row: &DigestRow, outcome: &Outcome) -> anyhow::Result<ExitCode> {
    let counts = ledger.counts(&row.id)?;
    println!(
        "{}: {} sent, {} failed, {} pending (this run: {} sent, {} failed, {} deferred)",
        row.id,
        counts.sent,
        counts.failed,
        counts.queued + counts.sending,
        outcome.sent,
        outcome.failed,
        outcome.deferred
    );
    for (address, reply) in ledger.failures(&row.id)? {
        println!("  failed {address}: {reply}");
    }
    if outcome.interrupted {
        println!("stopped on request; `crier send` resumes where it stopped");
    }
    if outcome.deferred > 0 {
        println!("{} messages could not be delivered yet (server unavailable?); run `crier send` again to retry them", outcome.deferred);
    }
    Ok(if outcome.finished {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn test_copy(
    site: &Site,
    campaign: &Campaign,
    args: &SendArgs,
    at: DateTime<FixedOffset>,
    to: &str,
) -> anyhow::Result<ExitCode> {
    subscribers::validate_address(to).map_err(|why| anyhow::anyhow!("--to {to}: {why}"))?;
    let config = &site.config;
    let settings = campaign_settings(config)?;
    let outgoing = match &args.post {
        Some(slug) => post_outgoing(&site.content.posts, config, slug)?,
        None => {
            let digest = digest::build(&site.content.posts, config, settings, at, args.since);
            print_diagnostics(&mut std::io::stderr().lock(), &digest.warnings)?;
            describe(&digest);
            digest_outgoing(&digest, config)
        }
    };
    let scope = format!("test-{}", outgoing.scope);
    let mut composer = Composer::new(
        settings,
        &campaign.templates,
        &campaign.key,
        Outgoing { scope, ..outgoing },
        at,
    )
    .with_dkim(campaign.dkim.as_ref());
    let subscriber = Subscriber {
        email: to.to_owned(),
        name: None,
        attrs: Default::default(),
        list: "test".into(),
    };
    let message = composer
        .compose(&subscriber)
        .map_err(|d| anyhow::anyhow!("{d}"))?;
    let wire = Wire {
        from: settings.from.email.as_ref(),
        to,
        bytes: &message.bytes,
        file_stem: format!("test/{}", message.message_id.trim_matches(['<', '>'])),
    };
    match campaign.transport.send(wire).await {
        Ok(reply) => {
            println!("test copy sent to {to} (nothing recorded): {reply}");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => bail!("test copy to {to} failed: {}", e.message),
    }
}

fn describe(digest: &digest::Digest) {
    println!(
        "digest for {}: {} new {}",
        digest.at.to_rfc3339(),
        digest.recaps.len(),
        if digest.recaps.len() == 1 {
            "recap"
        } else {
            "recaps"
        }
    );
    for recap in &digest.recaps {
        println!("  - {} <{}>", recap.title, recap.url);
    }
    match &digest.event {
        Some(e) => println!(
            "  next meetup: {} ({}), RSVP: {}",
            e.date_display,
            e.event.title,
            e.event.rsvp.as_deref().unwrap_or("no link")
        ),
        None => println!("  no upcoming meetup announced"),
    }
}

/// A watch channel that turns true on SIGINT or SIGTERM.
pub(super) fn shutdown_signal() -> tokio::sync::watch::Receiver<bool> {
    let (tx, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        let term = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term => {}
        }
        tracing::info!("shutdown requested: finishing messages in flight");
        let _ = tx.send(true);
    });
    rx
}

pub(super) fn progress_for_stderr() -> Box<dyn Progress> {
    if std::io::stderr().is_terminal() {
        Box::new(BarProgress(None))
    } else {
        Box::new(LineProgress {
            total: 0,
            done: 0,
            step: 1,
        })
    }
}

struct BarProgress(Option<indicatif::ProgressBar>);

impl Progress for BarProgress {
    fn start(&mut self, total: usize) {
        let bar = indicatif::ProgressBar::new(total as u64);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {msg} ({eta} left)")
        {
            bar.set_style(style);
        }
        self.0 = Some(bar);
    }
    fn advance(&mut self, address: &str, result: &Result<String, SendError>) {
        if let Some(bar) = &self.0 {
            bar.inc(1);
            if let Err(e) = result {
                bar.println(format!("{address}: {}", e.message));
            }
        }
    }
    fn finish(&mut self, _outcome: &Outcome) {
        if let Some(bar) = self.0.take() {
            bar.finish_and_clear();
        }
    }
}

struct LineProgress {
    total: usize,
    done: usize,
    step: usize,
}

impl Progress for LineProgress {
    fn start(&mut self, total: usize) {
        self.total = total;
        self.step = (total / 10).max(1);
        eprintln!("sending {total} messages");
    }
    fn advance(&mut self, address: &str, result: &Result<String, SendError>) {
        self.done += 1;
        if let Err(e) = result {
            eprintln!("{address}: {}", e.message);
        }
        if self.done.is_multiple_of(self.step) || self.done == self.total {
            eprintln!("progress: {}/{}", self.done, self.total);
        }
    }
    fn finish(&mut self, _outcome: &Outcome) {}
}
