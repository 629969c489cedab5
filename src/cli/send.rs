//! `crier send`: plan the send, then preview it (`--dry-run`), hand one message to one address
//! (`--to`), or freeze and deliver it. All three carry out the same plan.

use std::io::Write;
use std::process::ExitCode;

use chrono::{DateTime, FixedOffset};
use clap::Args;
use serde::Serialize;

use super::progress::for_stderr;
use super::{parse_now, print_diagnostics, Cli};
use crate::clock::Clock;
use crate::config::NewsletterSettings;
use crate::delivery::execute::{self, Delivery};
use crate::delivery::lock::SiteLock;
use crate::delivery::preview::{self, Preview, PreviewOptions};
use crate::delivery::sender::Outcome;
use crate::delivery::transport;
use crate::diagnostics::Severity;
use crate::email::{KeySource, Kit};
use crate::ledger::Ledger;
use crate::plan::{self, Basis, Plan, PlanError, Request, Skipped};
use crate::site::Site;

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
    let settings = plan::settings(&site)?;
    let request = match (&args.post, args.reminder) {
        (Some(slug), _) => Request::Post { slug: slug.clone() },
        (None, true) => Request::Reminder,
        (None, false) => Request::Digest { since: args.since },
    };
    let at = args.at.unwrap_or_else(|| clock.now());
    if args.dry_run {
        return dry_run(cli, args, &site, settings, &request, at);
    }
    let runtime = super::runtime()?;
    match &args.to {
        Some(to) => runtime.block_on(test_copy(&site, settings, &request, at, args, to)),
        None => runtime.block_on(send(&site, settings, &request, at, args, clock)),
    }
}

/// Plans, or prints why not.
fn make_plan(
    site: &Site,
    ledger: Option<&Ledger>,
    request: &Request,
    at: DateTime<FixedOffset>,
    args: &SendArgs,
) -> anyhow::Result<Plan> {
    let plan = plan::plan(site, ledger, request, at, args.skip_invalid);
    if let Err(PlanError::InvalidPosts(problems)) = &plan {
        print_diagnostics(&mut std::io::stderr().lock(), problems)?;
    }
    let plan = plan?;
    print_diagnostics(&mut std::io::stderr().lock(), &plan.warnings)?;
    Ok(plan)
}

fn dry_run(
    cli: &Cli,
    args: &SendArgs,
    site: &Site,
    settings: &NewsletterSettings,
    request: &Request,
    at: DateTime<FixedOffset>,
) -> anyhow::Result<ExitCode> {
    let ledger = Ledger::open_existing(&site.config.delivery.state_db)?;
    let plan = make_plan(site, ledger.as_ref(), request, at, args)?;
    let kit = Kit::load(settings, &site.config.limits, false)?;
    let mut composer = kit.composer(settings, plan.outgoing.clone(), plan.at);
    let options = PreviewOptions {
        dir: (!args.no_files).then(|| settings.preview_dir.clone()),
        sample: args.sample,
    };
    let preview = preview::write(&plan, &mut composer, ledger.as_ref(), &options)?;
    let mut summary = Summary::new(&plan, &preview, &kit.key_source, cli.verbose > 0);
    summary.preview_dir = options.dir.as_ref().map(|d| d.display().to_string());
    summary.failures.extend(
        plan.warnings
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(ToString::to_string),
    );
    summary.print(args.json)?;
    Ok(if summary.failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn test_copy(
    site: &Site,
    settings: &NewsletterSettings,
    request: &Request,
    at: DateTime<FixedOffset>,
    args: &SendArgs,
    to: &str,
) -> anyhow::Result<ExitCode> {
    let config = &site.config;
    let ledger = Ledger::open_existing(&config.delivery.state_db)?;
    let plan = make_plan(site, ledger.as_ref(), request, at, args)?;
    describe(&plan);
    let (subscriber, is_recipient) = execute::test_recipient(&plan, ledger.as_ref(), to)?;
    // The real key: the test copy's links must work like the real ones.
    let kit = Kit::load(settings, &config.limits, true)?;
    let transport =
        transport::from_settings(config.smtp.as_ref(), config.delivery.outbox_dir.clone())?;
    let reply =
        execute::send_test_copy(&plan, &kit, settings, transport.as_ref(), &subscriber).await?;
    let whose = if is_recipient {
        format!("exactly the message it gets on list {}", subscriber.list)
    } else {
        format!(
            "not a recipient, so the message for a stand-in on list {}",
            subscriber.list
        )
    };
    println!("test copy sent to {to} ({whose}); nothing recorded: {reply}");
    Ok(ExitCode::SUCCESS)
}

async fn send(
    site: &Site,
    settings: &NewsletterSettings,
    request: &Request,
    at: DateTime<FixedOffset>,
    args: &SendArgs,
    clock: &Clock,
) -> anyhow::Result<ExitCode> {
    let config = &site.config;
    let state_dir = config.delivery.state_dir();
    let _lock = match SiteLock::try_acquire(&state_dir)? {
        Ok(lock) => lock,
        Err(busy) => {
            eprintln!("{busy}; waiting for it to finish");
            SiteLock::acquire(&state_dir)?
        }
    };
    let mut ledger = Ledger::open(&config.delivery.state_db)?;
    let plan = make_plan(site, Some(&ledger), request, at, args)?;
    describe(&plan);
    let kit = Kit::load(settings, &config.limits, true)?;
    let transport =
        transport::from_settings(config.smtp.as_ref(), config.delivery.outbox_dir.clone())?;
    let frozen = execute::freeze(&plan, &mut ledger, clock)?;
    for s in &frozen.skipped {
        eprintln!("skipped {} ({}): {}", s.address, s.reason, s.detail);
    }
    if !plan.is_resumed() {
        println!(
            "frozen {}: {} recipients queued, {} skipped",
            plan.id,
            frozen.queued,
            frozen.skipped.len()
        );
    }
    let shutdown = crate::util::shutdown::on_signal();
    let delivery = Delivery {
        config,
        settings,
        kit: &kit,
        ledger: &ledger,
        transport,
        clock: *clock,
    };
    let mut progress = for_stderr();
    let outcome = delivery.run(&plan, shutdown, progress.as_mut()).await?;
    report(&ledger, &plan, &outcome)
}

fn report(ledger: &Ledger, plan: &Plan, outcome: &Outcome) -> anyhow::Result<ExitCode> {
    let counts = ledger.counts(&plan.id)?;
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
    for (address, reply) in ledger.failures(&plan.id)? {
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
    if plan.kind != crate::ledger::SendKind::Post {
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

fn basis_text(basis: &Basis) -> String {
    match basis {
        Basis::SinceLastDigest { id, at } => {
            format!("recaps published after the last digest ({id}, {at})")
        }
        Basis::SinceRequested { since } => format!("recaps published after {since} (--since)"),
        Basis::FirstDigest => "the first digest: the latest recap".to_owned(),
        Basis::Post => "one post".to_owned(),
        Basis::Reminder => "the reminder of the next event".to_owned(),
        Basis::Resumed => "resumed as frozen".to_owned(),
    }
}

/// The dry run's summary (printed, or as `--json`).
#[derive(Debug, Serialize)]
struct Summary<'p> {
    kind: crate::ledger::SendKind,
    id: &'p str,
    at: String,
    #[serde(flatten)]
    basis: &'p Basis,
    resumed: bool,
    has_news: bool,
    subject: Option<String>,
    recaps: &'p [plan::ItemLine],
    event: &'p Option<plan::EventLine>,
    notice: &'p [String],
    lists: std::collections::BTreeMap<String, usize>,
    recipients: usize,
    composed: usize,
    skipped: std::collections::BTreeMap<plan::SkipReason, usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    skipped_addresses: Option<&'p [Skipped]>,
    warnings: Vec<String>,
    failures: Vec<String>,
    largest_message_bytes: usize,
    largest_html_bytes: usize,
    preview_dir: Option<String>,
    token_key: String,
}

impl<'p> Summary<'p> {
    fn new(plan: &'p Plan, preview: &'p Preview, key: &KeySource, verbose: bool) -> Self {
        Summary {
            kind: plan.kind,
            id: &plan.id,
            at: plan.at.to_rfc3339(),
            basis: &plan.basis,
            resumed: plan.is_resumed(),
            has_news: plan.has_news(),
            subject: preview.subject.clone(),
            recaps: &plan.items,
            event: &plan.event,
            notice: &plan.notice,
            lists: preview.tally.lists.clone(),
            recipients: preview.tally.recipients,
            composed: preview.composed,
            skipped: preview.tally.skipped.clone(),
            skipped_addresses: verbose.then_some(preview.skipped.as_slice()),
            warnings: plan
                .warnings
                .iter()
                .filter(|d| d.severity != Severity::Error)
                .map(ToString::to_string)
                .collect(),
            failures: preview.failures.clone(),
            largest_message_bytes: preview.largest_message_bytes,
            largest_html_bytes: preview.largest_html_bytes,
            preview_dir: None,
            token_key: match key {
                KeySource::Env => "from CRIER_TOKEN_KEY".into(),
                KeySource::File(p) => format!("from {}", p.display()),
                KeySource::Ephemeral => {
                    "none yet: preview links use a temporary key, so they differ from the real send (the first real send creates the key)"
                        .into()
                }
            },
        }
    }

    fn print(&self, as_json: bool) -> anyhow::Result<()> {
        let mut out = std::io::stdout().lock();
        if as_json {
            // As an io::Error, so a closed pipe (`| head`) ends quietly.
            serde_json::to_writer_pretty(&mut out, self).map_err(std::io::Error::from)?;
            writeln!(out)?;
            return Ok(());
        }
        Ok(self.print_text(&mut out)?)
    }

    /// What the send says: why, the recaps, the event and the notice.
    fn print_contents(&self, out: &mut impl Write) -> std::io::Result<()> {
        use crate::ledger::SendKind;
        if self.kind == SendKind::Post {
            return Ok(());
        }
        writeln!(out, "{}", basis_text(self.basis))?;
        let digest = self.kind == SendKind::Digest;
        if digest {
            writeln!(out, "recaps: {}", self.recaps.len())?;
            for r in self.recaps {
                writeln!(out, "  - {} <{}>", r.title, r.url)?;
            }
        }
        match self.event {
            Some(e) => writeln!(
                out,
                "next event: {} on {} ({}), RSVP: {}",
                e.title,
                e.start,
                e.weekday,
                e.rsvp.as_deref().unwrap_or("no link")
            )?,
            None => writeln!(out, "next event: none announced after {}", self.at)?,
        }
        for line in self.notice {
            writeln!(out, "notice: {line}")?;
        }
        if digest && !self.has_news {
            writeln!(out, "nothing new since the last digest: a scheduled send with only_if_new would skip it")?;
        }
        Ok(())
    }

    fn print_text(&self, out: &mut impl Write) -> std::io::Result<()> {
        writeln!(out, "dry run: nothing was sent and no state was changed")?;
        let resumed = if self.resumed {
            " (resumes an interrupted send)"
        } else {
            ""
        };
        writeln!(out, "{} {} as of {}{resumed}", self.kind, self.id, self.at)?;
        writeln!(
            out,
            "subject: {}",
            self.subject.as_deref().unwrap_or("(no message composed)")
        )?;
        self.print_contents(out)?;
        for (list, n) in &self.lists {
            writeln!(out, "list {list}: {n} recipients")?;
        }
        writeln!(
            out,
            "recipients: {} (each address once), composed: {}",
            self.recipients, self.composed
        )?;
        for (reason, n) in &self.skipped {
            writeln!(out, "skipped, {reason}: {n}")?;
        }
        if let Some(skipped) = self.skipped_addresses {
            for s in skipped {
                writeln!(out, "  {} ({}): {}", s.address, s.reason, s.detail)?;
            }
        } else if !self.skipped.is_empty() {
            writeln!(out, "  (-v lists the addresses)")?;
        }
        writeln!(
            out,
            "largest message: {} bytes (HTML part {} bytes)",
            self.largest_message_bytes, self.largest_html_bytes
        )?;
        writeln!(out, "token key: {}", self.token_key)?;
        if let Some(dir) = &self.preview_dir {
            writeln!(out, "preview written to {dir}")?;
        }
        if !self.failures.is_empty() {
            writeln!(out, "failures: {}", self.failures.len())?;
            for f in &self.failures {
                writeln!(out, "  {f}")?;
            }
        }
        Ok(())
    }
}
