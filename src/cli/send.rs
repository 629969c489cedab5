//! `crier send`: arguments and printing. The mailing service ([`crate::service::mailing`])
//! plans the send, and previews it (`--dry-run`), hands one message to one address (`--to`),
//! or freezes and delivers it: all three carry out the same plan.

use std::io::Write;
use std::process::ExitCode;

use chrono::{DateTime, FixedOffset};
use clap::Args;

use super::progress::for_stderr;
use super::{parse_now, print_diagnostics, Cli};
use crate::clock::Clock;
use crate::delivery::preview::PreviewOptions;
use crate::delivery::sender::Outcome;
use crate::ledger::{Counts, SendKind};
use crate::plan::{Plan, PlanError, Request};
use crate::service::mailing::{MailError, Mailer, WhenBusy};
use crate::service::summary::{basis_text, Summary};

/// Options of `crier send`.
#[derive(Debug, Args)]
pub struct SendArgs {
    /// Compose every message and write them to the preview folder, exactly as they would be
    /// sent; send nothing and change no state.
    #[arg(long)]
    pub dry_run: bool,
    /// Send the one message this address would get (a recipient's own, or a stand-in's) to
    /// this address only; records nothing.
    #[arg(long, value_name = "ADDRESS", conflicts_with = "dry_run")]
    pub to: Option<String>,
    /// Send this post (by slug) as a single e-mail instead of the digest.
    #[arg(long, value_name = "SLUG")]
    pub post: Option<String>,
    /// With --post: send the post again although it was sent before.
    #[arg(long, requires = "post")]
    pub again: bool,
    /// Send the reminder of the next event now instead of the digest (once per event and
    /// start time; the daemon sends it on its own at `newsletter.reminder`).
    #[arg(long, conflicts_with_all = ["post", "since"])]
    pub reminder: bool,
    /// Compose as if sent at this moment (RFC 3339): decides which recaps are new and which
    /// event is next.
    #[arg(long, value_name = "DATETIME", value_parser = parse_now)]
    pub at: Option<DateTime<FixedOffset>>,
    /// Recaps published after this moment are new (default: since the last digest sent; the
    /// latest recap alone for the first one).
    #[arg(long, value_name = "DATETIME", value_parser = parse_since)]
    pub since: Option<DateTime<FixedOffset>>,
    /// Send the digest even though some posts failed to load (they are left out).
    #[arg(long)]
    pub skip_invalid: bool,
    /// With --dry-run: write only the first N .eml files (all are still composed).
    #[arg(long, value_name = "N")]
    pub sample: Option<usize>,
    /// With --dry-run: write no preview files at all (for timing a compose).
    #[arg(long)]
    pub no_files: bool,
    /// Print the summary as JSON (skipped addresses are listed with -v).
    #[arg(long)]
    pub json: bool,
}

fn parse_since(raw: &str) -> Result<DateTime<FixedOffset>, super::TimeArgError> {
    if let Ok(date) = chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        return Ok(date
            .and_time(chrono::NaiveTime::MIN)
            .and_utc()
            .fixed_offset());
    }
    parse_now(raw)
}

/// Runs `crier send`.
pub fn run(cli: &Cli, args: &SendArgs, clock: &Clock) -> anyhow::Result<ExitCode> {
    let instead = if args.dry_run {
        "nothing was composed"
    } else {
        "nothing was sent"
    };
    let site = super::load_site(cli, clock, instead)?;
    let mailer = Mailer::new(site, *clock)?;
    let request = match (&args.post, args.reminder) {
        (Some(slug), _) => Request::Post {
            slug: slug.clone(),
            again: args.again,
        },
        (None, true) => Request::Reminder,
        (None, false) => Request::Digest { since: args.since },
    };
    let at = args.at.unwrap_or_else(|| clock.now());
    if args.dry_run {
        return dry_run(cli, args, &mailer, &request, at);
    }
    let runtime = super::runtime()?;
    match &args.to {
        Some(to) => runtime.block_on(test_copy(&mailer, &request, at, args, to)),
        None => runtime.block_on(send(&mailer, &request, at, args)),
    }
}

/// Prints the posts that stopped the plan, then passes the error on.
fn planned<T>(result: Result<T, MailError>) -> anyhow::Result<T> {
    if let Err(MailError::Plan(PlanError::InvalidPosts(problems))) = &result {
        print_diagnostics(&mut std::io::stderr().lock(), problems)?;
    }
    Ok(result?)
}

fn dry_run(
    cli: &Cli,
    args: &SendArgs,
    mailer: &Mailer,
    request: &Request,
    at: DateTime<FixedOffset>,
) -> anyhow::Result<ExitCode> {
    let settings = crate::plan::settings(mailer.site())?;
    let options = PreviewOptions {
        dir: (!args.no_files).then(|| settings.preview_dir.clone()),
        sample: args.sample,
    };
    let previewed = planned(mailer.preview(request, at, args.skip_invalid, &options))?;
    print_diagnostics(&mut std::io::stderr().lock(), &previewed.plan.warnings)?;
    let dir = options.dir.as_ref().map(|d| d.display().to_string());
    let summary = Summary::new(&previewed, cli.verbose > 0, dir);
    let mut out = std::io::stdout().lock();
    if args.json {
        // As an io::Error, so a closed pipe (`| head`) ends quietly.
        serde_json::to_writer_pretty(&mut out, &summary).map_err(std::io::Error::from)?;
        writeln!(out)?;
    } else {
        write!(out, "{summary}")?;
    }
    Ok(if summary.failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn test_copy(
    mailer: &Mailer,
    request: &Request,
    at: DateTime<FixedOffset>,
    args: &SendArgs,
    to: &str,
) -> anyhow::Result<ExitCode> {
    let copy = planned(mailer.test_copy(request, at, args.skip_invalid, to).await)?;
    print_diagnostics(&mut std::io::stderr().lock(), &copy.plan.warnings)?;
    describe(&copy.plan);
    let whose = if copy.is_recipient {
        format!("exactly the message it gets on list {}", copy.list)
    } else {
        format!(
            "not a recipient, so the message for a stand-in on list {}",
            copy.list
        )
    };
    println!(
        "test copy sent to {to} ({whose}); nothing recorded: {}",
        copy.reply
    );
    Ok(ExitCode::SUCCESS)
}

async fn send(
    mailer: &Mailer,
    request: &Request,
    at: DateTime<FixedOffset>,
    args: &SendArgs,
) -> anyhow::Result<ExitCode> {
    let prepared = planned(mailer.prepare(request, at, args.skip_invalid, WhenBusy::Wait))?;
    let plan = &prepared.plan;
    print_diagnostics(&mut std::io::stderr().lock(), &plan.warnings)?;
    describe(plan);
    for s in &prepared.frozen.skipped {
        eprintln!("skipped {} ({}): {}", s.address, s.reason, s.detail);
    }
    if !plan.is_resumed() {
        println!(
            "frozen {}: {} recipients queued, {} skipped",
            plan.id,
            prepared.frozen.queued,
            prepared.frozen.skipped.len()
        );
    }
    let shutdown = crate::util::shutdown::on_signal();
    let mut progress = for_stderr();
    let sent = prepared.deliver(shutdown, progress.as_mut()).await?;
    report(plan, &sent.outcome, &sent.counts, &sent.failures)
}

fn report(
    plan: &Plan,
    outcome: &Outcome,
    counts: &Counts,
    failures: &[(String, String)],
) -> anyhow::Result<ExitCode> {
    println!(
        "{}: {} sent, {} failed, {} pending (this run: {} sent, {} failed, {} deferred, {} skipped as unsubscribed since freezing)",
        plan.id,
        counts.sent,
        counts.failed,
        counts.pending(),
        outcome.sent,
        outcome.failed,
        outcome.deferred,
        outcome.skipped
    );
    for (address, reply) in failures {
        println!("  failed {address}: {reply}");
    }
    if outcome.interrupted {
        println!("stopped on request; `crier send` resumes where it stopped");
        // Stopping on request is what was asked for: exit 0, like the daemon.
        return Ok(ExitCode::SUCCESS);
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

/// Says what is about to go out.
fn describe(plan: &Plan) {
    if plan.is_resumed() {
        println!(
            "resuming {} {} (composed for {}): it was interrupted and is finished first; run `crier send` again afterwards for anything else",
            plan.kind,
            plan.id,
            plan.at.to_rfc3339()
        );
    } else {
        println!(
            "{} {} for {}: {}",
            plan.kind,
            plan.id,
            plan.at.to_rfc3339(),
            basis_text(&plan.basis)
        );
    }
    for item in &plan.items {
        println!("  - {} <{}>", item.title, item.url);
    }
    for line in &plan.notice {
        println!("  notice: {line}");
    }
    if plan.kind != SendKind::Post {
        match &plan.event {
            Some(e) => println!(
                "  next meetup: {} {} ({}), RSVP: {}",
                e.weekday,
                e.start,
                e.title,
                e.rsvp.as_deref().unwrap_or("no link")
            ),
            None => println!("  no upcoming meetup announced"),
        }
    }
}
