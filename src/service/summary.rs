//! What a dry run found, as data: printed by `crier send --dry-run` as text or JSON.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::diagnostics::Severity;
use crate::email::KeySource;
use crate::ledger::SendKind;
use crate::plan::{self, Basis, SkipReason, Skipped};

use super::mailing::Previewed;

/// The dry run's summary.
#[derive(Debug, Serialize)]
pub struct Summary<'p> {
    /// Digest, post or reminder.
    pub kind: SendKind,
    /// The send's id.
    pub id: &'p str,
    /// The time it is composed for.
    pub at: String,
    /// Why these recaps.
    #[serde(flatten)]
    pub basis: &'p Basis,
    /// It resumes an interrupted send.
    pub resumed: bool,
    /// A scheduled send with `only_if_new` would go out.
    pub has_news: bool,
    /// The first recipient's subject.
    pub subject: Option<String>,
    /// The recaps (or the post).
    pub recaps: &'p [plan::ItemLine],
    /// The next event.
    pub event: &'p Option<plan::EventLine>,
    /// The notice's lines.
    pub notice: &'p [String],
    /// Recipients per list.
    pub lists: BTreeMap<String, usize>,
    /// Recipients in all.
    pub recipients: usize,
    /// Messages composed.
    pub composed: usize,
    /// Left out, per reason.
    pub skipped: BTreeMap<SkipReason, usize>,
    /// Who was left out (with `-v`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped_addresses: Option<&'p [Skipped]>,
    /// Problems that do not stop the send.
    pub warnings: Vec<String>,
    /// Problems that would make the send fail or go out wrong.
    pub failures: Vec<String>,
    /// The largest message, in bytes.
    pub largest_message_bytes: usize,
    /// The largest HTML part, in bytes.
    pub largest_html_bytes: usize,
    /// Where the preview was written.
    pub preview_dir: Option<String>,
    /// Where the token key came from.
    pub token_key: String,
    /// What the newest recaps were read to say, as `crier check` prints it.
    pub readings: Vec<String>,
}

impl<'p> Summary<'p> {
    /// The summary of a dry run; `verbose` lists the skipped addresses.
    pub fn new(previewed: &'p Previewed, verbose: bool, preview_dir: Option<String>) -> Self {
        let (plan, preview) = (&previewed.plan, &previewed.preview);
        let mut failures = preview.failures.clone();
        failures.extend(
            plan.warnings
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .map(ToString::to_string),
        );
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
            failures,
            largest_message_bytes: preview.largest_message_bytes,
            largest_html_bytes: preview.largest_html_bytes,
            preview_dir,
            token_key: key_text(&previewed.key_source),
            readings: previewed.readings.iter().map(ToString::to_string).collect(),
        }
    }
}

fn key_text(key: &KeySource) -> String {
    match key {
        KeySource::Env => "from CRIER_TOKEN_KEY".into(),
        KeySource::File(p) => format!("from {}", p.display()),
        KeySource::Ephemeral => {
            "none yet: preview links use a temporary key, so they differ from the real send (the first real send creates the key)"
                .into()
        }
    }
}

/// Why the recaps are the ones they are, in words.
pub fn basis_text(basis: &Basis) -> String {
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

/// What the send says: why, the recaps, the event and the notice.
fn write_contents(out: &mut std::fmt::Formatter<'_>, s: &Summary<'_>) -> std::fmt::Result {
    if s.kind == SendKind::Post {
        return Ok(());
    }
    writeln!(out, "{}", basis_text(s.basis))?;
    let digest = s.kind == SendKind::Digest;
    if digest {
        writeln!(out, "recaps: {}", s.recaps.len())?;
        for r in s.recaps {
            writeln!(out, "  - {} <{}>", r.title, r.url)?;
        }
    }
    match s.event {
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
    for line in s.notice {
        writeln!(out, "notice: {line}")?;
    }
    if digest && !s.has_news {
        writeln!(
            out,
            "nothing new since the last digest: a scheduled send with only_if_new would skip it"
        )?;
    }
    Ok(())
}

impl std::fmt::Display for Summary<'_> {
    /// The dry run's report for people, as `crier send --dry-run` prints it.
    fn fmt(&self, out: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self;
        writeln!(out, "dry run: nothing was sent and no state was changed")?;
        if !s.readings.is_empty() {
            writeln!(out, "what the newest recaps say:")?;
            for reading in &s.readings {
                write!(out, "{reading}")?;
            }
        }
        let resumed = if s.resumed {
            " (resumes an interrupted send)"
        } else {
            ""
        };
        writeln!(out, "{} {} as of {}{resumed}", s.kind, s.id, s.at)?;
        writeln!(
            out,
            "subject: {}",
            s.subject.as_deref().unwrap_or("(no message composed)")
        )?;
        write_contents(out, s)?;
        for (list, n) in &s.lists {
            writeln!(out, "list {list}: {n} recipients")?;
        }
        writeln!(
            out,
            "recipients: {} (each address once), composed: {}",
            s.recipients, s.composed
        )?;
        for (reason, n) in &s.skipped {
            writeln!(out, "skipped, {reason}: {n}")?;
        }
        if let Some(skipped) = s.skipped_addresses {
            for k in skipped {
                writeln!(out, "  {} ({}): {}", k.address, k.reason, k.detail)?;
            }
        } else if !s.skipped.is_empty() {
            writeln!(out, "  (-v lists the addresses)")?;
        }
        writeln!(
            out,
            "largest message: {} bytes (HTML part {} bytes)",
            s.largest_message_bytes, s.largest_html_bytes
        )?;
        writeln!(out, "token key: {}", s.token_key)?;
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
}
