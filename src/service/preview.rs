//! The organisers' preview of a scheduled send: `newsletter.preview_hours` before a digest or
//! reminder goes out, the organisers (`newsletter.preview_to`) get the exact message it will
//! be, as a member gets it (only the address and its own links differ), with a note on top:
//! what crier read, any doubt, when it goes out, and how to correct or hold it back. When the
//! recap reader was unsure, the note says so in its first line.
//!
//! The preview is a send of its own (`preview-<digest|reminder>-<send time>` in the ledger),
//! delivered by the same sender as every message, once per scheduled send.

use chrono::{DateTime, FixedOffset};
use tokio::sync::watch;

use super::mailing::{deliver, Carrier, MailError, Mailer};
use crate::delivery::sender::Logged;
use crate::digest::{NoEvent, Reading};
use crate::email::note::Note;
use crate::email::Kit;
use crate::ledger::{SendKind, SendSummary};
use crate::plan::freeze;
use crate::plan::{self, Audience, Basis, Plan, Request};
use crate::subscribers::{Address, Subscriber};

/// What a preview is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreviewOf {
    /// The scheduled digest.
    Digest,
    /// The reminder before the next meetup.
    Reminder,
}

impl PreviewOf {
    fn word(self) -> &'static str {
        match self {
            PreviewOf::Digest => "digest",
            PreviewOf::Reminder => "reminder",
        }
    }
}

/// What asking for a preview did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Previewed {
    /// Sent (or deferred, to be retried) to the organisers.
    Sent {
        /// The preview's send id.
        id: String,
        /// The reader was unsure: the message goes out without an event block.
        unsure: bool,
    },
    /// Nothing to preview, and why (no organisers configured, already sent, nothing new).
    Nothing(String),
}

/// The preview's send id: one per scheduled send.
pub fn preview_id(of: PreviewOf, send_at: DateTime<FixedOffset>) -> String {
    format!(
        "preview-{}-{}",
        of.word(),
        send_at.to_utc().format("%Y%m%dT%H%M%SZ")
    )
}

impl Mailer {
    /// Mails the organisers the preview of the `of` send due at `send_at` (planned exactly as
    /// it will be then, from the posts as they are now), unless it was sent already.
    pub async fn send_preview(
        &self,
        of: PreviewOf,
        send_at: DateTime<FixedOffset>,
        shutdown: watch::Receiver<bool>,
    ) -> Result<Previewed, MailError> {
        let settings = self.settings();
        if settings.preview_to.is_empty() {
            return Ok(Previewed::Nothing("no `newsletter.preview_to`".into()));
        }
        let Some(mut ledger) = self.trusted_ledger(true)? else {
            return Ok(Previewed::Nothing("no ledger".into()));
        };
        let id = preview_id(of, send_at);
        if ledger.exists(&id)? {
            return Ok(Previewed::Nothing(format!("{id} was sent already")));
        }
        let request = match of {
            PreviewOf::Digest => Request::Digest { since: None },
            PreviewOf::Reminder => Request::Reminder,
        };
        let planned = plan::plan(self.site(), Some(&ledger), &request, send_at, false)?;
        if planned.is_resumed() {
            return Ok(Previewed::Nothing(
                "an interrupted send is finished first".into(),
            ));
        }
        if of == PreviewOf::Digest && settings.only_if_new && !planned.has_news() {
            return Ok(Previewed::Nothing(
                "nothing new: no digest will go out, so there is nothing to preview".into(),
            ));
        }
        let members = planned
            .audience
            .walk(Some(&ledger), |_| Ok::<(), MailError>(()))?
            .recipients;
        let readings = crate::digest::read_newest(
            &self.site().content.posts,
            self.config(),
            settings,
            send_at,
            1,
        );
        let (note, unsure) = note(of, &planned, &readings, members, send_at, self);
        let preview = self.preview_plan(&planned, id.clone(), note);
        freeze::freeze(&preview, &mut ledger, &self.clock())?;
        let kit = Kit::load(settings, &self.config().limits, true)?;
        let transport = self.transport()?;
        let carrier = Carrier {
            config: self.config(),
            settings,
            kit: &kit,
            transport: &transport,
            clock: self.clock(),
            fence: None,
        };
        let (send_id, outgoing) = (&preview.id, &preview.outgoing);
        let mut progress = Logged::default();
        deliver(
            &carrier,
            &ledger,
            send_id,
            SendKind::Preview,
            outgoing,
            preview.at,
            shutdown,
            &mut progress,
        )
        .await?;
        Ok(Previewed::Sent { id, unsure })
    }

    /// The preview's own send: the planned message, with the note, to the organisers (each
    /// on the first list the send goes to, so their links are their own).
    fn preview_plan(&self, planned: &Plan, id: String, note: Note) -> Plan {
        let list = plan::store_lists(self.config(), self.settings())
            .into_iter()
            .next()
            .or_else(|| self.settings().lists.first().cloned())
            .unwrap_or_else(|| "members".to_owned());
        let organisers = self
            .settings()
            .preview_to
            .iter()
            .map(|a| Subscriber {
                email: Address::unchecked(a),
                name: None,
                attrs: Default::default(),
                list: list.clone(),
            })
            .collect();
        let mut outgoing = planned.outgoing.clone();
        outgoing.scope = id.clone();
        outgoing.note = Some(note);
        let (kind, summary) = (SendKind::Preview, SendSummary::default());
        let audience = Audience::Chosen(organisers);
        Plan::new(
            kind,
            id,
            planned.at,
            Basis::Post,
            summary,
            outgoing,
            audience,
        )
    }
}

/// The note on top of a preview, and whether the reader was unsure (then its first line
/// says so).
fn note(
    of: PreviewOf,
    planned: &Plan,
    readings: &[Reading],
    members: usize,
    send_at: DateTime<FixedOffset>,
    mailer: &Mailer,
) -> (Note, bool) {
    let tz = mailer.config().site.timezone;
    let when = send_at
        .with_timezone(&tz)
        .format("%A %-d %B at %H:%M %Z")
        .to_string();
    let unsure = readings.first().and_then(|r| match &r.event {
        Err(why @ (NoEvent::Unsure | NoEvent::Competing(_))) => Some(why.to_string()),
        _ => None,
    });
    let mut lines = Vec::new();
    match (&unsure, of) {
        (Some(why), _) => lines.push(format!(
            "crier was unsure which date is the next meetup, so this digest goes out on {when} WITHOUT a next-meetup section: {why}. Add `event:` front matter to the recap to announce it."
        )),
        (None, PreviewOf::Digest) => lines.push(format!(
            "Preview: this digest goes to {members} members on {when}."
        )),
        (None, PreviewOf::Reminder) => lines.push(format!(
            "Preview: this reminder goes to {members} members on {when}."
        )),
    }
    if unsure.is_some() {
        lines.push(format!("It goes to {members} members."));
    }
    // Posts are named from the site's folder, as the organiser knows them.
    let root = format!("{}/", mailer.config().root.display());
    for reading in readings {
        let said = reading.to_string().replace(&root, "");
        lines.extend(
            said.lines()
                .map(|l| l.trim().to_owned())
                .filter(|l| !l.is_empty()),
        );
    }
    for warning in &planned.warnings {
        lines.push(format!("Warning: {}", warning.message));
    }
    lines.push(
        "To correct it, edit the post (or its `event:` front matter) before then: the send is planned again when it goes out. To hold it back, remove `newsletter.schedule` from crier.yaml or stop the daemon.".to_owned(),
    );
    let note = Note {
        subject_prefix: format!("[Preview, goes out {}] ", short(send_at, tz)),
        lines,
    };
    (note, unsure.is_some())
}

fn short(at: DateTime<FixedOffset>, tz: chrono_tz::Tz) -> String {
    at.with_timezone(&tz).format("%a %-d %b %H:%M").to_string()
}
