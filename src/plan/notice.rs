//! What a send must say about the event besides the usual: the event moved or changed place
//! since the last digest announced it ("Updated:"), it was cancelled ("Cancelled:"), or it is
//! tomorrow (a reminder). A notice goes into the template data as `notice`: its `lines` are
//! shown first, and its `subject` replaces (or its `subject_prefix` goes before) the
//! configured subject (see [`crate::email::Templates::subject`]).

pub use crate::email::views::{Notice, NoticeKind};
use chrono::{DateTime, FixedOffset};
use chrono_tz::Tz;

use crate::digest::{Digest, Event, EventView};
use crate::ledger::{EventSummary, SendSummary};

/// The notice a digest carries: a cancellation the first time it sees its event cancelled,
/// or an update when the event the last digest announced (the same calendar UID) has a new
/// date, time or place. `None` for a new event or an unchanged one.
pub fn for_digest(digest: &Digest, previous: Option<&SendSummary>, tz: Tz) -> Option<Notice> {
    let view = digest.event.as_ref()?;
    let event = &view.event;
    let before = previous
        .and_then(|p| p.event.as_ref())
        .filter(|b| b.uid == event.uid);
    if event.cancelled {
        if before.is_some_and(|b| b.cancelled) {
            return None;
        }
        return Some(cancellation(view));
    }
    let before = before?;
    let mut lines = Vec::new();
    if before.cancelled {
        lines.push(format!(
            "{} is on after all: {}.",
            event.title, view.date_display
        ));
    }
    lines.extend(changes(before, event, tz));
    (!lines.is_empty()).then(|| Notice {
        kind: NoticeKind::Update,
        lines,
        subject: None,
        subject_prefix: Some("Updated: ".to_owned()),
    })
}

fn cancellation(view: &EventView) -> Notice {
    let event = &view.event;
    Notice {
        kind: NoticeKind::Cancellation,
        lines: vec![format!(
            "Cancelled: {} on {} will not take place.",
            event.title, view.date_display
        )],
        subject: Some(format!("Cancelled: {}, {}", event.title, view.date_short)),
        subject_prefix: None,
    }
}

/// "New date: ...", "New time: ...", "New place: ..." between what was announced and now.
fn changes(before: &EventSummary, now: &Event, tz: Tz) -> Vec<String> {
    let mut lines = Vec::new();
    let local = |t: DateTime<FixedOffset>| t.with_timezone(&tz);
    let new = local(now.start);
    if let Ok(old) = DateTime::parse_from_rfc3339(&before.start).map(local) {
        let day = |t: &DateTime<Tz>| t.format("%A %-d %B %Y").to_string();
        let time = |t: &DateTime<Tz>| t.format("%H:%M").to_string();
        if old.date_naive() != new.date_naive() {
            let (new_time, old_time) = if old.time() == new.time() {
                (String::new(), String::new())
            } else {
                (format!(", {}", time(&new)), format!(", {}", time(&old)))
            };
            lines.push(format!(
                "New date: {}{new_time} (was {}{old_time})",
                day(&new),
                day(&old)
            ));
        } else if old.time() != new.time() {
            lines.push(format!("New time: {} (was {})", time(&new), time(&old)));
        }
    }
    let place = |online: bool, location: Option<&str>| {
        if online {
            Some("Online".to_owned())
        } else {
            location.map(str::to_owned)
        }
    };
    let old_place = place(before.online, before.location.as_deref());
    let new_place = place(now.online, now.location.as_deref());
    if old_place != new_place {
        lines.push(format!(
            "New place: {} (was {})",
            new_place.as_deref().unwrap_or("to be confirmed"),
            old_place.as_deref().unwrap_or("not given")
        ));
    }
    lines
}

/// What a send says about its event, for the ledger (and so for the next digest's notice).
pub fn event_summary(event: &Event) -> EventSummary {
    EventSummary {
        uid: event.uid.clone(),
        start: event.start.to_rfc3339(),
        rsvp: event.rsvp.clone(),
        location: event.location.clone(),
        online: event.online,
        cancelled: event.cancelled,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::London;

    fn event(start: &str, location: Option<&str>) -> Event {
        let start = DateTime::parse_from_rfc3339(start).unwrap();
        Event {
            title: "Riverside December".into(),
            start,
            end: start + chrono::Duration::hours(3),
            location: location.map(str::to_owned),
            rsvp: None,
            uid: "next-meetup-2026-11-12-november@meetup.example.com".into(),
            sentence: String::new(),
            announced: DateTime::parse_from_rfc3339("2026-11-12T19:00:00Z").unwrap(),
            about: None,
            online: false,
            time_stated: true,
            cancelled: false,
        }
    }

    fn digest_of(event: Event) -> Digest {
        let view = EventView {
            date_display: event.start.format("%A %-d %B %Y").to_string(),
            time_display: event.start.format("%H:%M").to_string(),
            weekday: event.start.format("%A").to_string(),
            date_short: event.start.format("%a %-d %B").to_string(),
            place: event.location.clone(),
            google_calendar_url: String::new(),
            outlook_calendar_url: String::new(),
            event,
        };
        Digest {
            id: "d".into(),
            at: DateTime::parse_from_rfc3339("2026-11-30T09:00:00Z").unwrap(),
            recaps: Vec::new(),
            event: Some(view),
            warnings: Vec::new(),
        }
    }

    fn sent(event: &Event) -> SendSummary {
        SendSummary {
            event: Some(event_summary(event)),
            ..SendSummary::default()
        }
    }

    const BRIDGE: Option<&str> = Some("London Bridge");

    #[test]
    fn a_new_or_unchanged_event_has_no_notice() {
        let first = event("2026-12-09T18:30:00Z", BRIDGE);
        assert_eq!(for_digest(&digest_of(first.clone()), None, London), None);
        let same = digest_of(first.clone());
        assert_eq!(for_digest(&same, Some(&sent(&first)), London), None);
        let mut other = first.clone();
        other.uid = "another@meetup.example.com".into();
        other.start = first.start + chrono::Duration::days(30);
        assert_eq!(
            for_digest(&digest_of(other), Some(&sent(&first)), London),
            None,
            "a different meetup is news, not an update"
        );
    }

    #[test]
    fn a_moved_event_says_what_changed() {
        let before = sent(&event("2026-12-09T18:30:00Z", BRIDGE));
        let moved = |start: &str, place: Option<&str>| {
            for_digest(&digest_of(event(start, place)), Some(&before), London).unwrap()
        };
        let n = moved("2026-12-10T18:30:00Z", BRIDGE);
        assert_eq!(n.kind, NoticeKind::Update);
        assert_eq!(n.subject_prefix.as_deref(), Some("Updated: "));
        assert_eq!(
            n.lines,
            ["New date: Thursday 10 December 2026 (was Wednesday 9 December 2026)"]
        );
        assert_eq!(
            moved("2026-12-10T19:00:00Z", BRIDGE).lines,
            ["New date: Thursday 10 December 2026, 19:00 (was Wednesday 9 December 2026, 18:30)"]
        );
        assert_eq!(
            moved("2026-12-09T19:15:00Z", Some("Tower Hill")).lines,
            [
                "New time: 19:15 (was 18:30)",
                "New place: Tower Hill (was London Bridge)"
            ]
        );
        let mut online = event("2026-12-09T18:30:00Z", BRIDGE);
        online.online = true;
        let n = for_digest(&digest_of(online), Some(&before), London).unwrap();
        assert_eq!(n.lines, ["New place: Online (was London Bridge)"]);
    }

    #[test]
    fn the_same_instant_written_with_another_offset_is_no_change() {
        let mut before = sent(&event("2026-12-09T18:30:00Z", BRIDGE));
        before.event.as_mut().unwrap().start = "2026-12-09T19:30:00+01:00".into();
        let now = digest_of(event("2026-12-09T18:30:00Z", BRIDGE));
        assert_eq!(for_digest(&now, Some(&before), London), None);
    }

    #[test]
    fn a_cancellation_is_announced_once() {
        let announced = event("2026-12-09T18:30:00Z", BRIDGE);
        let mut cancelled = announced.clone();
        cancelled.cancelled = true;
        let n = for_digest(
            &digest_of(cancelled.clone()),
            Some(&sent(&announced)),
            London,
        )
        .unwrap();
        assert_eq!(n.kind, NoticeKind::Cancellation);
        assert_eq!(
            n.subject.as_deref(),
            Some("Cancelled: Riverside December, Wed 9 December")
        );
        assert_eq!(
            n.lines,
            ["Cancelled: Riverside December on Wednesday 9 December 2026 will not take place."]
        );
        assert_eq!(
            for_digest(
                &digest_of(cancelled.clone()),
                Some(&sent(&cancelled)),
                London
            ),
            None,
            "already told"
        );
        let back = for_digest(&digest_of(announced), Some(&sent(&cancelled)), London).unwrap();
        assert_eq!(back.kind, NoticeKind::Update);
        assert_eq!(
            back.lines,
            ["Riverside December is on after all: Wednesday 9 December 2026."]
        );
    }
}
