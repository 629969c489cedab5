//! The next event as the e-mail shows it: date and time with the site's time-zone name, the
//! place, and "add to calendar" links for Google Calendar and Outlook.com.

use chrono::{DateTime, FixedOffset, Utc};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::{Event, EventView};
use crate::config::{Config, NewsletterSettings};

/// Everything but RFC 3986's unreserved characters is encoded, so a value is safe in any query.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn enc(s: &str) -> String {
    utf8_percent_encode(s, COMPONENT).to_string()
}

/// The template view of an event.
pub fn view(event: Event, config: &Config, settings: &NewsletterSettings) -> EventView {
    let local = event.start.with_timezone(&config.site.timezone);
    let clock = format!("{} {}", local.format("%H:%M"), local.format("%Z"));
    // `event_time` always has a value (18:30 unless configured), so an unstated time is the
    // usual one, said as such.
    let time_display = if event.time_stated {
        clock
    } else {
        format!("{clock} (the usual time; to be confirmed)")
    };
    let place = place(&event);
    let details = details(&event, settings);
    let (google, outlook) = if event.cancelled {
        (String::new(), String::new())
    } else {
        (
            google_url(&event, &details, place.as_deref()),
            outlook_url(&event, &details, place.as_deref()),
        )
    };
    EventView {
        date_display: local.format("%A %-d %B %Y").to_string(),
        time_display,
        weekday: local.format("%A").to_string(),
        date_short: local.format("%a %-d %B").to_string(),
        place,
        google_calendar_url: google,
        outlook_calendar_url: outlook,
        event,
    }
}

/// "Online", the venue, "Example Hall and online" for a hybrid meetup, or nothing.
pub fn place(event: &Event) -> Option<String> {
    match (&event.location, event.online) {
        (Some(venue), true) => Some(format!("{venue} and online")),
        (Some(venue), false) => Some(venue.clone()),
        (None, true) => Some("Online".to_owned()),
        (None, false) => None,
    }
}

/// The calendar entry's description: what it is about, whether the time is confirmed, and the
/// RSVP link.
fn details(event: &Event, settings: &NewsletterSettings) -> String {
    let mut parts = Vec::new();
    if let Some(about) = &event.about {
        parts.push(about.clone());
    }
    if !event.time_stated {
        parts.push(format!(
            "Time to be confirmed (usually {}).",
            settings.event_time.format("%H:%M")
        ));
    }
    if let Some(rsvp) = &event.rsvp {
        parts.push(format!("RSVP: {rsvp}"));
    }
    parts.join("\n\n")
}

fn utc_compact(t: DateTime<FixedOffset>) -> String {
    t.with_timezone(&Utc).format("%Y%m%dT%H%M%SZ").to_string()
}

fn utc_iso(t: DateTime<FixedOffset>) -> String {
    t.with_timezone(&Utc)
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// `https://calendar.google.com/calendar/render?action=TEMPLATE&text=...&dates=.../...`.
fn google_url(event: &Event, details: &str, place: Option<&str>) -> String {
    let mut url = format!(
        "https://calendar.google.com/calendar/render?action=TEMPLATE&text={}&dates={}/{}",
        enc(&event.title),
        utc_compact(event.start),
        utc_compact(event.end)
    );
    if !details.is_empty() {
        url.push_str(&format!("&details={}", enc(details)));
    }
    if let Some(place) = place {
        url.push_str(&format!("&location={}", enc(place)));
    }
    url
}

/// Outlook.com's compose deep link. The `path` value is percent-encoded too: a bare
/// `=/calendar/...` reads as a relative link to checkers of the plain-text part.
fn outlook_url(event: &Event, details: &str, place: Option<&str>) -> String {
    let mut url = format!(
        "https://outlook.live.com/calendar/0/deeplink/compose?path=%2Fcalendar%2Faction%2Fcompose&rru=addevent&subject={}&startdt={}&enddt={}",
        enc(&event.title),
        enc(&utc_iso(event.start)),
        enc(&utc_iso(event.end))
    );
    if !details.is_empty() {
        url.push_str(&format!("&body={}", enc(details)));
    }
    if let Some(place) = place {
        url.push_str(&format!("&location={}", enc(place)));
    }
    url
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use chrono::DateTime;

    use super::*;

    fn config() -> Config {
        let text = "site:\n  title: Riverside\n  url: https://meetup.example.com\n  author: Ada\n  timezone: Europe/London\nnewsletter:\n  from: { name: Riverside, address: news@example.com }\n  event_time: '18:30'\n";
        crate::config::parse(Path::new("site"), Path::new("site/crier.yaml"), text).unwrap()
    }

    fn event(start: &str, time_stated: bool) -> Event {
        let start = DateTime::parse_from_rfc3339(start).unwrap();
        Event {
            title: "Riverside & friends: May".into(),
            start,
            end: start + chrono::Duration::hours(3),
            location: None,
            rsvp: Some("https://events.example.org/5?ref=mail".into()),
            uid: "u@meetup.example.com".into(),
            sentence: String::new(),
            announced: start,
            about: Some("talks on eBPF, Wasm & more".into()),
            online: false,
            time_stated,
            cancelled: false,
        }
    }

    fn view_of(e: Event) -> EventView {
        let config = config();
        let settings = config.newsletter.clone().unwrap();
        view(e, &config, &settings)
    }

    #[test]
    fn times_carry_the_zone_and_an_unstated_time_says_so() {
        let summer = view_of(event("2026-05-13T19:00:00+01:00", true));
        assert_eq!(summer.time_display, "19:00 BST");
        assert_eq!(summer.date_display, "Wednesday 13 May 2026");
        assert_eq!(summer.date_short, "Wed 13 May");
        assert_eq!(summer.weekday, "Wednesday");
        let winter = view_of(event("2026-12-09T18:30:00+00:00", false));
        assert_eq!(
            winter.time_display,
            "18:30 GMT (the usual time; to be confirmed)"
        );
    }

    #[test]
    fn places() {
        let mut e = event("2026-05-13T19:00:00+01:00", true);
        assert_eq!(place(&e), None);
        e.online = true;
        assert_eq!(place(&e).as_deref(), Some("Online"));
        e.location = Some("Example Hall".into());
        assert_eq!(place(&e).as_deref(), Some("Example Hall and online"));
        e.online = false;
        assert_eq!(place(&e).as_deref(), Some("Example Hall"));
    }

    #[test]
    fn calendar_links_are_encoded_and_in_utc() {
        let mut e = event("2026-05-13T19:00:00+01:00", true);
        e.location = Some("Example Hall, 1 River St".into());
        let v = view_of(e);
        assert_eq!(
            v.google_calendar_url,
            "https://calendar.google.com/calendar/render?action=TEMPLATE&text=Riverside%20%26%20friends%3A%20May&dates=20260513T180000Z/20260513T210000Z&details=talks%20on%20eBPF%2C%20Wasm%20%26%20more%0A%0ARSVP%3A%20https%3A%2F%2Fevents.example.org%2F5%3Fref%3Dmail&location=Example%20Hall%2C%201%20River%20St"
        );
        assert_eq!(
            v.outlook_calendar_url,
            "https://outlook.live.com/calendar/0/deeplink/compose?path=%2Fcalendar%2Faction%2Fcompose&rru=addevent&subject=Riverside%20%26%20friends%3A%20May&startdt=2026-05-13T18%3A00%3A00Z&enddt=2026-05-13T21%3A00%3A00Z&body=talks%20on%20eBPF%2C%20Wasm%20%26%20more%0A%0ARSVP%3A%20https%3A%2F%2Fevents.example.org%2F5%3Fref%3Dmail&location=Example%20Hall%2C%201%20River%20St"
        );
        for url in [&v.google_calendar_url, &v.outlook_calendar_url] {
            assert!(url::Url::parse(url).is_ok(), "{url}");
        }
        let mut unstated = event("2026-05-13T18:30:00+01:00", false);
        unstated.about = None;
        unstated.rsvp = None;
        let v = view_of(unstated);
        assert!(v
            .google_calendar_url
            .ends_with("&details=Time%20to%20be%20confirmed%20%28usually%2018%3A30%29."));
        assert!(!v.google_calendar_url.contains("&location="));
    }

    #[test]
    fn a_cancelled_event_has_no_calendar_links() {
        let mut e = event("2026-05-13T19:00:00+01:00", true);
        e.cancelled = true;
        let v = view_of(e);
        assert_eq!(
            (
                v.google_calendar_url.as_str(),
                v.outlook_calendar_url.as_str()
            ),
            ("", "")
        );
    }
}
