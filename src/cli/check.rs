//! `crier check`: load everything, report every problem, change nothing.

use std::io::Write;
use std::process::ExitCode;

use clap::Args;

use super::{print_diagnostics, Cli};
use crate::clock::Clock;
use crate::diagnostics::{plural, Tally};
use crate::email::Templates;
use crate::{digest, site, subscribers};

/// Options of `crier check`.
#[derive(Debug, Args)]
pub struct CheckArgs {}

/// Subscribers the ledger has suppressed (unsubscribed or bounced): they stay in the CSV but
/// are never mailed again.
fn suppressed(
    config: &crate::config::Config,
    lists: &subscribers::Lists,
) -> anyhow::Result<Vec<crate::diagnostics::Diagnostic>> {
    // A ledger that cannot be read is reported by `state_diagnostics`.
    let Ok(Some(ledger)) = crate::service::state::State::new(config).read() else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for list in &lists.lists {
        let mut lines = None;
        for sub in &list.subscribers {
            if let Some(s) = ledger.suppressed(sub.email.as_str())? {
                let lines = lines.get_or_insert_with(|| subscribers::row_lines(&list.path));
                let line = lines.get(sub.email.key()).copied().unwrap_or(1);
                out.push(crate::diagnostics::Diagnostic::warning(
                    &list.path,
                    line,
                    1,
                    format!(
                        "{} is suppressed ({}: {}) and will be skipped",
                        sub.email, s.reason, s.detail
                    ),
                ));
            }
        }
    }
    Ok(out)
}

/// The ledger's health, its backups, and member requests waiting for it.
fn state_diagnostics(
    config: &crate::config::Config,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<crate::diagnostics::Diagnostic> {
    use crate::diagnostics::Diagnostic;
    let report = crate::service::state::State::new(config).check();
    let at = &config.delivery.state_db;
    let mut out = Vec::new();
    if let Some(problem) = &report.problem {
        out.push(Diagnostic::error(at, 1, 1, problem.clone()));
        return out;
    }
    if !report.exists {
        return out;
    }
    let every = config
        .delivery
        .backups
        .every
        .map_or(chrono::Duration::days(7), |e| {
            chrono::Duration::from_std(e * 2).unwrap_or(chrono::Duration::MAX)
        });
    match report.newest_backup() {
        None => out.push(Diagnostic::warning(
            at,
            1,
            1,
            "the ledger has no backup yet: `crier run` takes one every `delivery.backups.every_hours`; take one now with `crier state backup`",
        )),
        Some(newest) if now - newest.taken > every => out.push(Diagnostic::warning(
            at,
            1,
            1,
            format!(
                "the newest backup of the ledger is from {} ({}): take one with `crier state backup`, and check that `crier run` is running",
                newest.taken.format("%Y-%m-%d"),
                newest.path.display()
            ),
        )),
        Some(_) => {}
    }
    if report.pending_requests > 0 {
        out.push(Diagnostic::warning(
            at,
            1,
            1,
            format!(
                "{} member request(s) (unsubscribes, preference changes) wait in the journal for the ledger; they are applied before the next send",
                report.pending_requests
            ),
        ));
    }
    out
}

/// How many of the newest recaps `crier check` shows the reading of.
const READINGS: usize = 3;

/// What the recap reader read in the newest recaps: the event each would announce or why
/// none, its talks, and its doubts.
fn print_readings(
    out: &mut impl Write,
    posts: &[crate::content::Post],
    config: &crate::config::Config,
    settings: &crate::config::NewsletterSettings,
    clock: &Clock,
) -> std::io::Result<()> {
    let readings = digest::read_newest(posts, config, settings, clock.now(), READINGS);
    if readings.is_empty() {
        return Ok(());
    }
    writeln!(out, "what the newest recaps announce:")?;
    for reading in readings {
        write!(out, "{reading}")?;
    }
    Ok(())
}

/// Prints every problem to stdout as `path:line:col: severity: message`, then a summary.
/// Exit 1 if there is any error.
pub fn run(cli: &Cli, _args: &CheckArgs, clock: &Clock) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    let site = match site::load(&cli.site, clock) {
        Ok(site) => site,
        Err(config_problems) => {
            print_diagnostics(&mut out, &config_problems)?;
            writeln!(out, "config is invalid: {}", Tally::of(&config_problems))?;
            return Ok(ExitCode::FAILURE);
        }
    };
    let report = &site.content;
    let mut diagnostics = report.diagnostics.clone();
    diagnostics.extend(crate::adopt::publish_check::check(&site.config));
    diagnostics.extend(crate::adopt::output_check::check(&site.config));
    diagnostics.extend(crate::adopt::publish_check::check_tracked(&site.config));
    let newsletter = match &site.config.newsletter {
        Some(settings) => Some(newsletter_checks(&site, settings, &mut diagnostics)?),
        None => None,
    };
    print_diagnostics(&mut out, &diagnostics)?;
    if let Some(line) = newsletter {
        writeln!(out, "newsletter: {line}")?;
    }
    if let Some(settings) = &site.config.newsletter {
        print_readings(&mut out, &report.posts, &site.config, settings, clock)?;
        print_schedule(&mut out, &site.config, settings, clock)?;
    }
    let tally = Tally::of(&diagnostics);
    let loaded = report.posts.len() + report.unpublished + report.scheduled;
    writeln!(
        out,
        "checked {} {} ({} published, {} unpublished, {} scheduled, {} skipped): {tally}",
        loaded + report.skipped,
        plural(loaded + report.skipped, "post", "posts"),
        report.posts.len(),
        report.unpublished,
        report.scheduled,
        report.skipped,
    )?;
    Ok(if tally.errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The newsletter's problems (templates rendered against sample data, subscriber lists,
/// suppressed rows, event wording), and its one-line summary.
fn newsletter_checks(
    site: &site::Site,
    settings: &crate::config::NewsletterSettings,
    diagnostics: &mut Vec<crate::diagnostics::Diagnostic>,
) -> anyhow::Result<String> {
    let config = &site.config;
    match Templates::load_with(&settings.templates_dir, &settings.subject, &config.limits) {
        Ok(templates) => diagnostics.extend(templates.check_samples()),
        Err(problems) => diagnostics.extend(problems),
    }
    let lists = subscribers::load(
        &settings.subscribers_dir,
        &settings.lists,
        &crate::plan::store_lists(config, settings),
    );
    diagnostics.extend(lists.diagnostics.iter().cloned());
    diagnostics.extend(suppressed(config, &lists)?);
    // Backups are named by the wall clock, whatever `--now` says.
    diagnostics.extend(state_diagnostics(config, chrono::Utc::now()));
    diagnostics.extend(digest::check_events(&site.content.posts, config, settings));
    // Counted as the dry run counts it: the lists and the subscriber store, minus whoever
    // left. A ledger that cannot be read is an error above; then the lists alone.
    let summary = match crate::service::audience::next_digest(config) {
        Ok(Some(tally)) => format!(
            "{} {}, {}",
            tally.lists.len(),
            plural(tally.lists.len(), "list", "lists"),
            tally.describe()
        ),
        _ => format!(
            "{} {}, {} {} on the lists (each address once; the subscriber store could not be read)",
            lists.lists.len(),
            plural(lists.lists.len(), "list", "lists"),
            lists.recipients().len(),
            plural(lists.recipients().len(), "recipient", "recipients"),
        ),
    };
    Ok(summary)
}

/// The next sends on the schedule, in the site's time zone.
fn print_schedule(
    out: &mut impl Write,
    config: &crate::config::Config,
    settings: &crate::config::NewsletterSettings,
    clock: &Clock,
) -> std::io::Result<()> {
    let Some(schedule) = &settings.schedule else {
        return Ok(());
    };
    let tz = config.site.timezone;
    let times: Vec<String> = schedule
        .upcoming(clock.now(), 3)
        .iter()
        .map(|t| {
            t.with_timezone(&tz)
                .format("%a %Y-%m-%d %H:%M %Z")
                .to_string()
        })
        .collect();
    writeln!(
        out,
        "schedule `{}` ({tz}): next sends {}",
        schedule.source,
        times.join(", ")
    )
}
