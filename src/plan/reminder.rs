//! The reminder before the next event: planned like any send, but its id depends only on the
//! event and its start, so the ledger refuses a second one for the same event and start
//! (whoever asks: the daemon after a restart, or `crier send --reminder` again). If the event
//! moves, the new start gets its own reminder.

use chrono::{DateTime, FixedOffset};
use chrono_tz::Tz;
use sha2::{Digest as _, Sha256};

use super::notice::{event_summary, Notice, NoticeKind};
use super::{Audience, Basis, Plan, PlanError};
use crate::config::NewsletterSettings;
use crate::digest::{self, Event, EventView};
use crate::email::views::{EmailView, ReminderMeta, ReminderView, SiteView};
use crate::email::{ics, Outgoing};
use crate::ledger::{Ledger, SendKind, SendSummary};
use crate::site::Site;

/// The preview line: where and what, complementing the subject's "Tomorrow: <title>".
fn preheader(view: &EventView) -> String {
    let mut parts = vec![format!("{}, {}", view.date_display, view.time_display)];
    parts.extend(view.place.clone());
    parts.extend(
        view.event
            .rsvp
            .as_ref()
            .map(|_| "RSVP on the event page".to_owned()),
    );
    parts.join(" · ")
}

/// Longest "about" text in a subject, in characters (the rest is in the message).
const SUBJECT_ABOUT: usize = 70;

/// The reminder's send id: `reminder-<hash of the UID>-<start in UTC>`.
pub fn reminder_id(event: &Event) -> String {
    let hash: String = Sha256::digest(event.uid.as_bytes())[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!(
        "reminder-{hash}-{}",
        event.start.to_utc().format("%Y%m%dT%H%M%SZ")
    )
}

/// The next event to remind people of at `at`, if one is announced (cancelled ones too: the
/// caller decides).
pub fn next_event(
    site: &Site,
    settings: &NewsletterSettings,
    at: DateTime<FixedOffset>,
) -> (Option<EventView>, Vec<crate::diagnostics::Diagnostic>) {
    // No recap is "new" since `at` itself: only the event is looked for.
    let digest = digest::build(&site.content.posts, &site.config, settings, at, Some(at));
    (digest.event, digest.warnings)
}

/// Plans the reminder of the next event, at `at`.
pub(super) fn plan_reminder(
    site: &Site,
    settings: &NewsletterSettings,
    ledger: Option<&Ledger>,
    at: DateTime<FixedOffset>,
    audience: Audience,
) -> Result<Plan, PlanError> {
    let (view, warnings) = next_event(site, settings, at);
    let view = view.ok_or_else(|| PlanError::NoEvent(at))?;
    if view.event.cancelled {
        return Err(PlanError::EventCancelled(view.event.title.clone()));
    }
    let id = reminder_id(&view.event);
    if ledger.map(|l| l.exists(&id)).transpose()? == Some(true) {
        return Err(PlanError::ReminderSent {
            id,
            title: view.event.title.clone(),
            start: view.event.start,
        });
    }
    let summary = SendSummary {
        event: Some(event_summary(&view.event)),
        ..SendSummary::default()
    };
    let outgoing = outgoing(&view, site, settings, &id, at);
    let basis = Basis::Reminder;
    let plan = Plan::new(
        SendKind::Reminder,
        id,
        at,
        basis,
        summary,
        outgoing,
        audience,
    );
    Ok(plan.with_warnings(warnings))
}

/// The reminder's view and calendar file.
fn outgoing(
    view: &EventView,
    site: &Site,
    settings: &NewsletterSettings,
    scope: &str,
    at: DateTime<FixedOffset>,
) -> Outgoing {
    let config = &site.config;
    let tz = config.site.timezone;
    let when = When::of(&view.event, at, tz);
    let notice = Notice {
        kind: NoticeKind::Reminder,
        lines: Vec::new(),
        subject: Some(subject(&when, &view.event)),
        subject_prefix: None,
    };
    let ics = ics::calendar(
        &view.event,
        &ics::Calendar {
            method: ics::Method::Publish,
            sequence: view.event.sequence(at),
            stamp: at,
            product: &config.site.title,
            organizer: &settings.from,
        },
    );
    let reminder = ReminderView {
        site: SiteView::of(&config.site),
        event: Some(super::outgoing::event_card(view)),
        subject: notice.subject.clone().unwrap_or_default(),
        preheader: preheader(view),
        notice: Some(notice),
        reminder: ReminderMeta {
            when: when.subject,
            when_lower: when.sentence,
            time_zone: view.event.start.with_timezone(&tz).format("%Z").to_string(),
        },
        archive_url: None,
    };
    Outgoing::new(&EmailView::Reminder(Box::new(reminder)), scope, Some(ics))
}

/// When the event is, said from the send time.
struct When {
    /// "Tomorrow", "Today", or "Wed 9 December".
    subject: String,
    /// "tomorrow", "today", or "on Wednesday 9 December".
    sentence: String,
}

impl When {
    fn of(event: &Event, at: DateTime<FixedOffset>, tz: Tz) -> Self {
        let start = event.start.with_timezone(&tz);
        let days = (start.date_naive() - at.with_timezone(&tz).date_naive()).num_days();
        let (subject, sentence) = match days {
            0 => ("Today".to_owned(), "today".to_owned()),
            1 => ("Tomorrow".to_owned(), "tomorrow".to_owned()),
            _ => (
                start.format("%a %-d %B").to_string(),
                start.format("on %A %-d %B").to_string(),
            ),
        };
        When { subject, sentence }
    }
}

/// "Tomorrow: <title> — <about>", the about text cut at a word if it is long.
fn subject(when: &When, event: &Event) -> String {
    let mut subject = format!("{}: {}", when.subject, event.title);
    if let Some(about) = event
        .about
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
    {
        subject.push_str(" — ");
        if about.chars().count() <= SUBJECT_ABOUT {
            subject.push_str(about);
        } else {
            let cut: String = about.chars().take(SUBJECT_ABOUT).collect();
            let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
            subject.push_str(cut.trim_end_matches([',', ';', ':', ' ']));
            subject.push('…');
        }
    }
    subject
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::London;

    fn event(about: Option<&str>) -> Event {
        let start = DateTime::parse_from_rfc3339("2026-12-09T18:30:00Z").unwrap();
        Event {
            title: "Riverside December".into(),
            start,
            end: start + chrono::Duration::hours(3),
            location: None,
            rsvp: None,
            uid: "next-meetup-2026-11-12-november@meetup.example.com".into(),
            sentence: String::new(),
            announced: DateTime::parse_from_rfc3339("2026-11-12T19:00:00Z").unwrap(),
            about: about.map(str::to_owned),
            online: false,
            time_stated: true,
            cancelled: false,
        }
    }

    fn at(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    #[test]
    fn the_id_depends_on_the_event_and_its_start_only() {
        let e = event(None);
        assert_eq!(reminder_id(&e), reminder_id(&e.clone()));
        assert!(
            reminder_id(&e).ends_with("-20261209T183000Z"),
            "{}",
            reminder_id(&e)
        );
        let mut moved = e.clone();
        moved.start += chrono::Duration::days(1);
        assert_ne!(reminder_id(&moved), reminder_id(&e));
        let mut other = e.clone();
        other.uid = "another@meetup.example.com".into();
        assert_ne!(reminder_id(&other), reminder_id(&e));
    }

    #[test]
    fn subjects_say_when_and_what() {
        let e = event(Some("speakers on GitOps at scale"));
        let tomorrow = When::of(&e, at("2026-12-08T09:00:00Z"), London);
        assert_eq!(
            subject(&tomorrow, &e),
            "Tomorrow: Riverside December — speakers on GitOps at scale"
        );
        let today = When::of(&e, at("2026-12-09T08:00:00Z"), London);
        assert_eq!(subject(&today, &event(None)), "Today: Riverside December");
        let early = When::of(&e, at("2026-12-06T09:00:00Z"), London);
        assert_eq!(early.subject, "Wed 9 December");
        assert_eq!(early.sentence, "on Wednesday 9 December");
        let long = event(Some(
            "a long evening of talks from speakers at Example Ltd, Sample Corp, Demo Industries and Placeholder Group",
        ));
        let s = subject(&tomorrow, &long);
        assert!(s.ends_with('…') && !s.contains("Placeholder"), "{s}");
        assert!(s.chars().count() < 110, "{s}");
    }
}
