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
    let Some(ledger) = crate::ledger::Ledger::open_existing(&config.delivery.state_db)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for list in &lists.lists {
        for sub in &list.subscribers {
            if let Some(s) = ledger.suppressed(sub.email.as_str())? {
                out.push(crate::diagnostics::Diagnostic::warning(
                    &list.path,
                    1,
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
    diagnostics.extend(digest::check_events(&site.content.posts, config, settings));
    Ok(format!(
        "{} {}, {} {} (each address once)",
        lists.lists.len(),
        plural(lists.lists.len(), "list", "lists"),
        lists.recipients().len(),
        plural(lists.recipients().len(), "recipient", "recipients"),
    ))
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
