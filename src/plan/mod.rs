//! The one planner every send goes through. Given the site, the ledger (read-only for a dry
//! run), the time and the request, [`plan`] returns a [`Plan`]: what kind of send, its id
//! (which every Message-ID derives from), the recaps and why they were chosen, the event, what
//! to compose, and who gets it ([`Audience`]). `send --dry-run` writes the plan's messages to
//! the preview folder, `send` freezes and delivers them, `send --to` hands one of them to a
//! single address, and the daemon's schedule does what `send` does: one decision, so the
//! preview is the send.

pub mod audience;
pub mod freeze;
pub mod notice;
pub mod outgoing;
pub mod reminder;
pub mod wording;

use chrono::{DateTime, FixedOffset, Timelike, Utc};
use serde::Serialize;

pub use audience::{Audience, Entry, SkipReason, Skipped, Tally, WalkError};
pub use notice::{Notice, NoticeKind};
pub use outgoing::{digest_summary, has_news};
pub use reminder::reminder_id;

use crate::archive;
use crate::config::NewsletterSettings;
use crate::content::PostError;
use crate::diagnostics::{Diagnostic, Severity};
use crate::digest;
use crate::email::Outgoing;
use crate::ledger::{Ledger, LedgerError, SendKind, SendRow, SendSummary};
use crate::site::Site;

/// What the organiser asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// The digest: recaps new since `since` (default: since the last digest in the ledger;
    /// the latest recap alone for the first digest), and the next event.
    Digest {
        /// Where "new" starts, overriding the ledger.
        since: Option<DateTime<FixedOffset>>,
    },
    /// One post, by slug.
    Post {
        /// The post's slug or file slug.
        slug: String,
        /// Send it although it was sent before (else that is refused: nothing is sent twice
        /// by accident, such as a second `crier send --post` while the first one runs).
        again: bool,
    },
    /// The reminder of the next event (once per event and start time).
    Reminder,
}

impl Request {
    /// The stream a send of this request belongs to.
    pub fn stream(&self) -> Stream {
        match self {
            Request::Digest { .. } => Stream::Digest,
            Request::Post { .. } => Stream::Post,
            Request::Reminder => Stream::Reminders,
        }
    }
}

/// Which kind of e-mail a send is, for the audience: people may opt out of one stream alone
/// (reminders, say) and keep the others. Every stream goes to the configured lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stream {
    /// The digest (and the updates and cancellations it carries).
    Digest,
    /// A single post.
    Post,
    /// The reminder before an event.
    Reminders,
    /// A sign-up's confirmation (transactional).
    Confirmation,
    /// The organisers' preview of a scheduled send.
    Preview,
}

impl Stream {
    /// The stream of a recorded send.
    pub fn of(kind: SendKind) -> Self {
        match kind {
            SendKind::Digest => Stream::Digest,
            SendKind::Post => Stream::Post,
            SendKind::Reminder => Stream::Reminders,
            SendKind::Confirmation => Stream::Confirmation,
            SendKind::Preview => Stream::Preview,
        }
    }
}

/// Why the recaps in a plan are the ones they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "basis", rename_all = "snake_case")]
pub enum Basis {
    /// Recaps published after the last digest.
    SinceLastDigest {
        /// That digest's id.
        id: String,
        /// The time it was composed for.
        at: DateTime<Utc>,
    },
    /// Recaps published after the time given with `--since`.
    SinceRequested {
        /// That time.
        since: DateTime<FixedOffset>,
    },
    /// No digest was sent yet: the latest recap only.
    FirstDigest,
    /// A single post.
    Post,
    /// The reminder of the next event.
    Reminder,
    /// A send frozen earlier and not finished: it is resumed as it was frozen.
    Resumed,
}

/// A recap or post as the organiser sees it in a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemLine {
    /// Title.
    pub title: String,
    /// Permalink.
    pub url: String,
    /// Publication date (RFC 3339).
    pub date: String,
}

/// The announced next event, as the organiser sees it in a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventLine {
    /// Title.
    pub title: String,
    /// Start (RFC 3339).
    pub start: String,
    /// Weekday of the start.
    pub weekday: String,
    /// RSVP link.
    pub rsvp: Option<String>,
    /// Place.
    pub location: Option<String>,
}

/// One send, decided.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Digest, post or reminder.
    pub kind: SendKind,
    /// Which stream it goes out on (whose opt-outs apply).
    pub stream: Stream,
    /// The send's id: kind, content and time. Message-IDs derive from it, so the preview and
    /// the send (and a resumed send) give every recipient the same Message-ID.
    pub id: String,
    /// The send time, in whole seconds (the `Date:` header).
    pub at: DateTime<FixedOffset>,
    /// Why these recaps.
    pub basis: Basis,
    /// The recaps (digest) or the post, newest first.
    pub items: Vec<ItemLine>,
    /// The next event, if announced.
    pub event: Option<EventLine>,
    /// What the message says first about the event: what changed, or that it is cancelled.
    pub notice: Vec<String>,
    /// What it says, for the ledger and `only_if_new`.
    pub summary: SendSummary,
    /// What the last digest said (for `only_if_new`).
    pub previous: Option<SendSummary>,
    /// What to compose.
    pub outgoing: Outgoing,
    /// Who gets it.
    pub audience: Audience,
    /// Problems that do not stop the send (event warnings, posts left out with
    /// `--skip-invalid`).
    pub warnings: Vec<Diagnostic>,
}

impl Plan {
    /// A plan of what was decided; the organiser's lines (`items`, `event`, `notice`) are
    /// filled in from what will be composed, and `previous` by the planner.
    pub fn new(
        kind: SendKind,
        id: String,
        at: DateTime<FixedOffset>,
        basis: Basis,
        summary: SendSummary,
        outgoing: Outgoing,
        audience: Audience,
    ) -> Self {
        let mut plan = Plan {
            kind,
            stream: Stream::of(kind),
            id,
            at,
            basis,
            items: Vec::new(),
            event: None,
            notice: Vec::new(),
            summary,
            previous: None,
            outgoing,
            audience,
            warnings: Vec::new(),
        };
        fill_lines(&mut plan);
        plan
    }

    /// The plan, with problems that do not stop it.
    pub fn with_warnings(mut self, warnings: Vec<Diagnostic>) -> Self {
        self.warnings = warnings;
        self
    }

    /// Whether this send resumes one frozen earlier.
    pub fn is_resumed(&self) -> bool {
        self.basis == Basis::Resumed
    }

    /// Whether a scheduled digest has anything to say since the last one.
    pub fn has_news(&self) -> bool {
        has_news(&self.summary, self.previous.as_ref())
    }
}

/// Why no plan could be made.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The site has no `newsletter:` section.
    #[error("{0} has no `newsletter:` section: add one with at least `from: {{ name: ..., address: ... }}` (see docs/src/configuration.md)")]
    NoNewsletter(std::path::PathBuf),
    /// `--post` names no published post.
    #[error("no published post with slug `{0}` (the slug is the file name without the date and extension)")]
    NoSuchPost(String),
    /// The post could not be rendered.
    #[error(transparent)]
    Post(#[from] PostError),
    /// The ledger failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// A reminder was asked for, but no event is announced.
    #[error("no upcoming event is announced after {0}: there is nothing to remind people of")]
    NoEvent(DateTime<FixedOffset>),
    /// A reminder was asked for a cancelled event.
    #[error("{0} is cancelled: no reminder is sent for it")]
    EventCancelled(String),
    /// The reminder for this event and start time is in the ledger already.
    #[error("the reminder for {title} on {start} was already sent ({id}); a reminder goes out once per event and start time")]
    ReminderSent {
        /// Its send id.
        id: String,
        /// The event's title.
        title: String,
        /// The event's start.
        start: DateTime<FixedOffset>,
    },
    /// The post was sent before.
    #[error("the post {slug} was sent already ({id}, {at}); pass --again to send it once more")]
    PostSent {
        /// The post's file slug.
        slug: String,
        /// The earlier send.
        id: String,
        /// When it was frozen.
        at: DateTime<Utc>,
    },
    /// Some posts failed to load; one of them may be a recap the digest would leave out.
    #[error("{} post(s) could not be loaded, so the digest could leave out a recap; fix them (see `crier check`) or pass --skip-invalid to send without them:\n{}", .0.len(), .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    InvalidPosts(Vec<Diagnostic>),
}

/// The newsletter settings, or the error that says how to add them.
pub fn settings(site: &Site) -> Result<&NewsletterSettings, PlanError> {
    site.config
        .newsletter
        .as_ref()
        .ok_or_else(|| PlanError::NoNewsletter(site.config.path.clone()))
}

/// The subscriber store's lists a digest or post goes to: the lists people can join
/// (`audience.lists`), limited to `newsletter.lists` when that names any.
pub fn store_lists(config: &crate::config::Config, settings: &NewsletterSettings) -> Vec<String> {
    config
        .audience
        .lists
        .iter()
        .map(|l| l.name.clone())
        .filter(|name| settings.lists.is_empty() || settings.lists.contains(name))
        .collect()
}

/// Who a send of `stream` goes to now: the lists, the store's members, minus whoever left.
/// The plan, `crier check`, `crier status` and `crier subscribers count` all count this one.
pub fn audience(
    config: &crate::config::Config,
    settings: &NewsletterSettings,
    stream: Stream,
    ledger: Option<&Ledger>,
) -> Result<Audience, LedgerError> {
    Audience::from_lists(
        &settings.subscribers_dir,
        &settings.lists,
        &store_lists(config, settings),
        (stream == Stream::Reminders).then_some(crate::config::REMINDERS),
        ledger,
    )
}

/// Plans the send due at `at`: the unfinished send in the ledger if there is one (it is
/// resumed, whatever was asked), else what `request` asks for. `skip_invalid` lets a digest go
/// out although some posts failed to load.
pub fn plan(
    site: &Site,
    ledger: Option<&Ledger>,
    request: &Request,
    at: DateTime<FixedOffset>,
    skip_invalid: bool,
) -> Result<Plan, PlanError> {
    let settings = settings(site)?;
    if let Some(row) = ledger.map(Ledger::unfinished).transpose()?.flatten() {
        return Ok(resume(row, &site.config.site.timezone));
    }
    let at = at.with_nanosecond(0).unwrap_or(at);
    let previous = ledger.map(Ledger::last_digest).transpose()?.flatten();
    let audience = audience(&site.config, settings, request.stream(), ledger)?;
    let mut plan = match request {
        Request::Digest { since } => {
            let context = DigestContext {
                since: *since,
                previous: previous.as_ref(),
                skip_invalid,
            };
            plan_digest(site, settings, ledger, at, context, audience)?
        }
        Request::Post { slug, again } => plan_post(site, ledger, slug, *again, at, audience)?,
        Request::Reminder => reminder::plan_reminder(site, settings, ledger, at, audience)?,
    };
    plan.previous = previous.map(|p| p.summary);
    Ok(plan)
}

/// What a digest's recaps depend on besides the posts.
struct DigestContext<'a> {
    since: Option<DateTime<FixedOffset>>,
    previous: Option<&'a SendRow>,
    skip_invalid: bool,
}

fn plan_digest(
    site: &Site,
    settings: &NewsletterSettings,
    ledger: Option<&Ledger>,
    at: DateTime<FixedOffset>,
    context: DigestContext<'_>,
    audience: Audience,
) -> Result<Plan, PlanError> {
    let invalid: Vec<Diagnostic> = site
        .content
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .cloned()
        .collect();
    if !invalid.is_empty() && !context.skip_invalid {
        return Err(PlanError::InvalidPosts(invalid));
    }
    let mut warnings = invalid;
    let (basis, from) = match (context.since, context.previous) {
        (Some(since), _) => (Basis::SinceRequested { since }, Some(since)),
        (None, Some(last)) => (
            Basis::SinceLastDigest {
                id: last.id.clone(),
                at: last.at,
            },
            Some(last.at.fixed_offset()),
        ),
        (None, None) => (Basis::FirstDigest, None),
    };
    let digest = digest::build(&site.content.posts, &site.config, settings, at, from);
    warnings.extend(digest.warnings.iter().cloned());
    let id = unique_id(ledger, &format!("digest-{}", digest.id), at)?;
    let previous = context.previous.map(|row| &row.summary);
    let notice = notice::for_digest(&digest, previous, site.config.site.timezone);
    // A cancelled event is shown only in the cancellation itself (see `digest_outgoing`).
    let cancelling = notice
        .as_ref()
        .is_some_and(|n| n.kind == NoticeKind::Cancellation);
    let about = archive::About {
        first_recap_url: digest.recaps.first().map(|r| r.url.as_str()),
        notice: notice.as_ref().map(|n| n.kind.as_str()),
        has_event: digest
            .event
            .as_ref()
            .is_some_and(|e| !e.event.cancelled || cancelling),
    };
    let page = archive::new_page_name(&site.config, ledger, at, &about)?;
    let archive_url = Some(archive::page_url(&site.config, &page));
    let outgoing = outgoing::digest_outgoing(
        &digest,
        &site.config,
        settings,
        &id,
        notice.as_ref(),
        archive_url,
    );
    let summary = digest_summary(&digest);
    let plan = Plan::new(SendKind::Digest, id, at, basis, summary, outgoing, audience);
    Ok(plan.with_warnings(warnings))
}

fn plan_post(
    site: &Site,
    ledger: Option<&Ledger>,
    slug: &str,
    again: bool,
    at: DateTime<FixedOffset>,
    audience: Audience,
) -> Result<Plan, PlanError> {
    let post = site
        .content
        .posts
        .iter()
        .find(|p| p.slug == slug || p.file_slug == slug)
        .ok_or_else(|| PlanError::NoSuchPost(slug.to_owned()))?;
    if !again {
        if let Some(sent) = ledger
            .map(|l| l.post_send(&post.file_slug))
            .transpose()?
            .flatten()
        {
            return Err(PlanError::PostSent {
                slug: post.file_slug.clone(),
                id: sent.id,
                at: sent.created,
            });
        }
    }
    // A post's file name may be 255 bytes, too long for an id that names folders (the outbox
    // adds the time and an address): 64 bytes keep the id whole in every name made from it.
    let slug = crate::util::names::bounded_to(&post.file_slug, 64);
    let id = unique_id(ledger, &format!("post-{slug}"), at)?;
    let summary = SendSummary {
        post: Some(post.file_slug.clone()),
        ..SendSummary::default()
    };
    let outgoing = outgoing::post_outgoing(post, &site.config, &id)?;
    let basis = Basis::Post;
    Ok(Plan::new(
        SendKind::Post,
        id,
        at,
        basis,
        summary,
        outgoing,
        audience,
    ))
}

/// The plan of a send frozen earlier: the same id, content and time; its pending recipients.
pub fn resume(row: SendRow, tz: &chrono_tz::Tz) -> Plan {
    let audience = Audience::Frozen {
        send_id: row.id.clone(),
    };
    let at = row.at.with_timezone(tz).fixed_offset();
    let (basis, summary) = (Basis::Resumed, row.summary);
    Plan::new(row.kind, row.id, at, basis, summary, row.outgoing, audience)
}

/// `<base>-<time>`, with `-2`, `-3`... if the ledger already has that id (two sends of the
/// same content in the same second).
fn unique_id(
    ledger: Option<&Ledger>,
    base: &str,
    at: DateTime<FixedOffset>,
) -> Result<String, LedgerError> {
    let base = format!("{base}-{}", at.with_timezone(&Utc).format("%Y%m%dT%H%M%SZ"));
    let Some(ledger) = ledger else {
        return Ok(base);
    };
    let mut id = base.clone();
    for n in 2.. {
        if !ledger.exists(&id)? {
            break;
        }
        id = format!("{base}-{n}");
    }
    Ok(id)
}

/// The organiser's view of the items and the event, read from what will be composed (so a
/// resumed send shows what it was frozen with).
fn fill_lines(plan: &mut Plan) {
    let data = &plan.outgoing.data;
    let line = |v: &serde_json::Value| ItemLine {
        title: text(&v["title"]),
        url: text(&v["url"]),
        date: text(&v["date"]),
    };
    plan.items = match plan.outgoing.kind {
        crate::email::Kind::Digest => data["recaps"]
            .as_array()
            .map(|a| a.iter().map(line).collect())
            .unwrap_or_default(),
        crate::email::Kind::Post => vec![line(&data["post"])],
        crate::email::Kind::Reminder | crate::email::Kind::Confirmation => Vec::new(),
    };
    plan.notice = data["notice"]["lines"]
        .as_array()
        .map(|lines| lines.iter().map(text).collect())
        .unwrap_or_default();
    let event = &data["event"];
    plan.event = event.is_object().then(|| EventLine {
        title: text(&event["title"]),
        // The same form as everywhere else in the summary (`+00:00`, not `Z`).
        start: DateTime::parse_from_rfc3339(&text(&event["start"]))
            .map(|t| t.to_rfc3339())
            .unwrap_or_else(|_| text(&event["start"])),
        weekday: text(&event["weekday"]),
        rsvp: event["rsvp"].as_str().map(str::to_owned),
        location: event["location"].as_str().map(str::to_owned),
    });
}

fn text(v: &serde_json::Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

#[cfg(test)]
mod tests;
