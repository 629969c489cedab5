//! `crier send --dry-run`: compose the digest (or one post) for every subscriber, change
//! nothing, and show the organiser what would go out.

use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context};
use chrono::{DateTime, FixedOffset};
use clap::Args;
use serde::Serialize;

use super::{parse_now, print_diagnostics, Cli};
use crate::clock::Clock;
use crate::delivery::campaign::{digest_outgoing, post_outgoing};
use crate::diagnostics::Severity;
use crate::digest::{self, Digest};
use crate::email::compose::{Parts, HTML_LIMIT};
use crate::email::{Composer, KeySource, Kind, Templates, TokenKey};
use crate::output::write_atomic;
use crate::subscribers::{self, Subscriber};

/// Options of `crier send`.
#[derive(Debug, Args)]
pub struct SendArgs {
    /// Compose everything and write a preview, but send nothing and change no state.
    #[arg(long)]
    pub dry_run: bool,
    /// Send one test copy of the digest (or `--post`) to this address only; records nothing.
    #[arg(long, value_name = "ADDRESS", conflicts_with = "dry_run")]
    pub to: Option<String>,
    /// Preview this post (by slug) as a single e-mail instead of the digest.
    #[arg(long, value_name = "SLUG")]
    pub post: Option<String>,
    /// Compose as if sent at this moment (RFC 3339): decides which recaps are new and which
    /// event is next.
    #[arg(long, value_name = "DATETIME", value_parser = parse_now)]
    pub at: Option<DateTime<FixedOffset>>,
    /// Recaps published after this moment are new (default: only the latest recap).
    #[arg(long, value_name = "DATETIME", value_parser = parse_since)]
    pub since: Option<DateTime<FixedOffset>>,
    /// Write only the first N .eml files (all are still composed).
    #[arg(long, value_name = "N")]
    pub sample: Option<usize>,
    /// Write no preview files at all (for timing a compose).
    #[arg(long)]
    pub no_files: bool,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

fn parse_since(raw: &str) -> Result<DateTime<FixedOffset>, String> {
    if let Ok(date) = chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        return Ok(date
            .and_time(chrono::NaiveTime::MIN)
            .and_utc()
            .fixed_offset());
    }
    parse_now(raw)
}

/// The summary printed at the end (and as `--json`).
#[derive(Debug, Serialize)]
struct Summary {
    kind: &'static str,
    at: String,
    subject: Option<String>,
    recaps: Vec<RecapLine>,
    event: Option<EventLine>,
    lists: BTreeMap<String, usize>,
    recipients: usize,
    composed: usize,
    skipped: Vec<String>,
    failures: Vec<String>,
    largest_message_bytes: usize,
    largest_html_bytes: usize,
    preview_dir: Option<String>,
    token_key: String,
}

#[derive(Debug, Serialize)]
struct RecapLine {
    title: String,
    url: String,
    date: String,
}

#[derive(Debug, Serialize)]
struct EventLine {
    title: String,
    start: String,
    weekday: String,
    rsvp: Option<String>,
    location: Option<String>,
}

/// Runs `crier send`: a preview with `--dry-run`, otherwise a real delivery.
pub fn run(cli: &Cli, args: &SendArgs, clock: &Clock) -> anyhow::Result<ExitCode> {
    if args.dry_run {
        dry_run(cli, args, clock)
    } else {
        super::deliver::run(cli, args, clock)
    }
}

fn dry_run(cli: &Cli, args: &SendArgs, clock: &Clock) -> anyhow::Result<ExitCode> {
    let site = super::load_site(cli, clock, "nothing was composed")?;
    let config = &site.config;
    let Some(settings) = &config.newsletter else {
        bail!("{} has no `newsletter:` section: add one with at least `from: {{ name: ..., address: ... }}` (see README)", config.path.display());
    };
    let at = args.at.unwrap_or_else(|| clock.now());
    let templates = match Templates::load(&settings.templates_dir, &settings.subject) {
        Ok(t) => t,
        Err(problems) => {
            print_diagnostics(&mut std::io::stderr().lock(), &problems)?;
            bail!("templates have errors; nothing was composed");
        }
    };
    let (list_files, list_problems) =
        subscribers::list_files(&settings.subscribers_dir, &settings.lists);
    let env_key = std::env::var(crate::email::tokens::KEY_ENV).ok();
    let (key, source) = TokenKey::load(env_key, settings.token_key_file.as_deref(), false)
        .context("cannot load the unsubscribe token key")?;

    let mut summary = Summary {
        kind: if args.post.is_some() {
            "post"
        } else {
            "digest"
        },
        at: at.to_rfc3339(),
        subject: None,
        recaps: Vec::new(),
        event: None,
        lists: BTreeMap::new(),
        recipients: 0,
        composed: 0,
        skipped: list_problems.iter().map(ToString::to_string).collect(),
        failures: Vec::new(),
        largest_message_bytes: 0,
        largest_html_bytes: 0,
        preview_dir: None,
        token_key: match &source {
            KeySource::Env => "from CRIER_TOKEN_KEY".into(),
            KeySource::File(p) => format!("from {}", p.display()),
            KeySource::Ephemeral => {
                "none yet: preview links use a temporary key (the first real send creates one)"
                    .into()
            }
        },
    };
    let (outgoing, warnings) = match &args.post {
        Some(slug) => (
            post_outgoing(&site.content.posts, config, slug)?,
            Vec::new(),
        ),
        None => {
            let digest = digest::build(&site.content.posts, config, settings, at, args.since);
            describe(&digest, &mut summary);
            let outgoing = digest_outgoing(&digest, config);
            (outgoing, digest.warnings)
        }
    };
    summary.failures.extend(
        warnings
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(ToString::to_string),
    );
    print_diagnostics(&mut std::io::stderr().lock(), &warnings)?;

    let preview = (!args.no_files).then(|| settings.preview_dir.clone());
    if let Some(dir) = &preview {
        prepare_preview(dir)?;
        summary.preview_dir = Some(dir.display().to_string());
    }
    let kind = outgoing.kind;
    let dkim = match settings
        .dkim
        .as_ref()
        .map(crate::email::dkim::load)
        .transpose()
    {
        Ok(d) => d,
        Err(why) => bail!("{why}"),
    };
    let mut composer =
        Composer::new(settings, &templates, &key, outgoing, at).with_dkim(dkim.as_ref());
    let mut recipients = Recipients {
        composer: &mut composer,
        summary: &mut summary,
        preview: preview.as_deref(),
        kind,
        sample_limit: args.sample.unwrap_or(usize::MAX),
        seen: HashSet::new(),
    };
    // Lists are streamed row by row: memory does not grow with the number of subscribers
    // (beyond the set of addresses already mailed, which stops duplicates across lists).
    let mut reports = Vec::new();
    for file in &list_files {
        let report = subscribers::read_list(&file.path, &file.name, |sub| recipients.visit(sub))?;
        reports.push((file.name.clone(), report));
    }
    for (name, report) in reports {
        summary.lists.insert(name, report.subscribers);
        summary
            .skipped
            .extend(report.diagnostics.iter().map(ToString::to_string));
    }
    if summary.largest_html_bytes > HTML_LIMIT {
        summary.failures.push(format!(
            "the HTML part is {} KB: Gmail clips messages over about 100 KB (shorten the templates or include fewer recaps)",
            summary.largest_html_bytes / 1024
        ));
    }
    print_summary(&summary, args.json)?;
    Ok(if summary.failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The per-recipient part of a dry run: compose, measure, write the preview sample.
struct Recipients<'r, 'c> {
    composer: &'r mut Composer<'c>,
    summary: &'r mut Summary,
    preview: Option<&'r Path>,
    kind: Kind,
    sample_limit: usize,
    seen: HashSet<u128>,
}

impl Recipients<'_, '_> {
    fn visit(&mut self, sub: Subscriber) -> anyhow::Result<()> {
        if !self.seen.insert(subscribers::address_key(&sub.email)) {
            return Ok(());
        }
        let index = self.summary.recipients;
        self.summary.recipients += 1;
        if let (0, Some(dir)) = (index, self.preview) {
            match self.composer.parts(&sub) {
                Ok(parts) => write_parts(dir, self.kind, &parts)?,
                Err(diagnostic) => self.summary.failures.push(diagnostic.to_string()),
            }
        }
        match self.composer.compose(&sub) {
            Ok(message) => {
                let s = &mut *self.summary;
                s.composed += 1;
                s.subject.get_or_insert_with(|| message.subject.clone());
                s.largest_message_bytes = s.largest_message_bytes.max(message.bytes.len());
                s.largest_html_bytes = s.largest_html_bytes.max(message.html_size);
                if let Some(dir) = self.preview.filter(|_| index < self.sample_limit) {
                    let name = format!(
                        "{:05}-{}.eml",
                        index + 1,
                        crate::output::address_file_name(&message.to)
                    );
                    write_atomic(&dir.join("eml").join(name), &message.bytes)?;
                }
            }
            Err(diagnostic) => self.summary.failures.push(diagnostic.to_string()),
        }
        Ok(())
    }
}

fn describe(digest: &Digest, summary: &mut Summary) {
    summary.recaps = digest
        .recaps
        .iter()
        .map(|r| RecapLine {
            title: r.title.clone(),
            url: r.url.clone(),
            date: r.date.clone(),
        })
        .collect();
    summary.event = digest.event.as_ref().map(|e| EventLine {
        title: e.event.title.clone(),
        start: e.event.start.to_rfc3339(),
        weekday: e.weekday.clone(),
        rsvp: e.event.rsvp.clone(),
        location: e.event.location.clone(),
    });
}

/// Removes the previous preview's .eml files (only those), so old messages never linger.
fn prepare_preview(dir: &Path) -> anyhow::Result<()> {
    let eml = dir.join("eml");
    if let Ok(entries) = std::fs::read_dir(&eml) {
        for entry in entries.flatten() {
            if entry.path().extension().is_some_and(|e| e == "eml") {
                std::fs::remove_file(entry.path())
                    .with_context(|| format!("cannot clear {}", eml.display()))?;
            }
        }
    }
    Ok(())
}

/// Writes the first recipient's HTML and text as `digest.html` / `digest.txt` (or `post.*`)
/// so they can be opened directly in a browser or editor.
fn write_parts(dir: &Path, kind: Kind, parts: &Parts) -> anyhow::Result<()> {
    let stem = match kind {
        Kind::Digest => "digest",
        Kind::Post => "post",
    };
    write_atomic(&dir.join(format!("{stem}.html")), parts.html.as_bytes())?;
    write_atomic(&dir.join(format!("{stem}.txt")), parts.text.as_bytes())?;
    Ok(())
}

fn print_summary(s: &Summary, as_json: bool) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if as_json {
        serde_json::to_writer_pretty(&mut out, s)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(out, "dry run: nothing was sent and no state was changed")?;
    writeln!(out, "{} as of {}", s.kind, s.at)?;
    writeln!(
        out,
        "subject: {}",
        s.subject.as_deref().unwrap_or("(no message composed)")
    )?;
    if s.kind == "digest" {
        writeln!(out, "recaps: {}", s.recaps.len())?;
        for r in &s.recaps {
            writeln!(out, "  - {} <{}>", r.title, r.url)?;
        }
        match &s.event {
            Some(e) => writeln!(
                out,
                "next event: {} on {} ({}), RSVP: {}",
                e.title,
                e.start,
                e.weekday,
                e.rsvp.as_deref().unwrap_or("no link")
            )?,
            None => writeln!(out, "next event: none announced after {}", s.at)?,
        }
    }
    for (list, n) in &s.lists {
        writeln!(out, "list {list}: {n} subscribers")?;
    }
    writeln!(
        out,
        "recipients: {} (each address once), composed: {}",
        s.recipients, s.composed
    )?;
    writeln!(
        out,
        "largest message: {} bytes (HTML part {} bytes)",
        s.largest_message_bytes, s.largest_html_bytes
    )?;
    writeln!(out, "token key: {}", s.token_key)?;
    if !s.skipped.is_empty() {
        writeln!(
            out,
            "skipped addresses and list problems: {}",
            s.skipped.len()
        )?;
        for line in &s.skipped {
            writeln!(out, "  {line}")?;
        }
    }
    if let Some(dir) = &s.preview_dir {
        writeln!(out, "preview written to {dir}")?;
    }
    if !s.failures.is_empty() {
        writeln!(out, "failures: {}", s.failures.len())?;
        for f in &s.failures {
            writeln!(out, "  {f}")?;
        }
    }
    Ok(())
}
