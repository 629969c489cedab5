//! What an e-mail says about its content in a few words: the suggested subject, the preheader
//! (the line an inbox shows after the subject), and the short names of recaps used in link
//! texts and alt texts.
//!
//! The From name already carries the site's name, so none of these repeats it.

use crate::digest::{Digest, EventView, Recap};

/// The longest suggested subject, in characters: inboxes cut longer ones anyway, and the
/// event's date must survive the cut.
pub const SUBJECT_MAX: usize = 90;

/// The longest preheader, in characters; inboxes show about this much after the subject.
const PREHEADER_MAX: usize = 150;

/// An "about" text shorter than this after truncation says too little to keep.
const ABOUT_MIN: usize = 16;

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// The digest's suggested subject: the next meetup first ("Next: Wed 7 April — speakers
/// from … · March recap"), a reminder when there are no new recaps ("Next meetup: Wed 7
/// April — …"), else the newest recap's title without the site's name.
pub fn digest_subject(digest: &Digest, site_title: &str) -> String {
    let tail = recaps_label(&digest.recaps)
        .map(|label| format!(" · {label}"))
        .unwrap_or_default();
    match &digest.event {
        Some(event) if event.event.cancelled => {
            format!("Cancelled: the {} meetup{tail}", event.date_short)
        }
        Some(event) => {
            let head = if digest.recaps.is_empty() {
                format!("Next meetup: {}", event.date_short)
            } else {
                format!("Next: {}", event.date_short)
            };
            let room = SUBJECT_MAX.saturating_sub(chars(&head) + chars(&tail) + chars(" — "));
            match about_phrase(event).and_then(|about| shorten(&about, room)) {
                Some(about) => format!("{head} — {about}{tail}"),
                None => format!("{head}{tail}"),
            }
        }
        None => match digest.recaps.as_slice() {
            [] => "No new recaps, and no meetup announced yet".to_owned(),
            [only] => post_subject(&only.title, site_title),
            [first, more @ ..] => {
                let title = post_subject(&first.title, site_title);
                let also = format!(
                    " · and {} more {}",
                    more.len(),
                    if more.len() == 1 { "recap" } else { "recaps" }
                );
                if chars(&title) + chars(&also) <= SUBJECT_MAX {
                    format!("{title}{also}")
                } else {
                    title
                }
            }
        },
    }
}

/// A post's subject: its title, less a leading site name ("Riverside Cloud Native, November
/// 2026: …" from "Riverside Cloud Native" becomes "November 2026: …"), which the From name
/// already shows.
pub fn post_subject(title: &str, site_title: &str) -> String {
    let title = crate::email::compose::one_line(title);
    let site = site_title.trim();
    let rest = title
        .get(..site.len())
        .filter(|head| !site.is_empty() && head.eq_ignore_ascii_case(site))
        .map(|_| &title[site.len()..])
        // The name must end at a word boundary: "Example Meetups are back" keeps its "s".
        .filter(|rest| !rest.starts_with(char::is_alphanumeric))
        .map(|rest| rest.trim_start_matches(|c: char| c.is_whitespace() || ",:-—–|·".contains(c)))
        .filter(|rest| chars(rest) >= 8);
    match rest {
        Some(rest) => {
            let mut chars = rest.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect())
                .unwrap_or_default()
        }
        None => title,
    }
}

/// The digest's preheader: what the subject leaves out (the newest recap's summary, or the
/// meetup's time and place when there is no recap).
pub fn digest_preheader(digest: &Digest) -> String {
    let text = match (&digest.event, digest.recaps.first()) {
        (Some(event), _) if event.event.cancelled => match digest.recaps.first() {
            Some(recap) => format!(
                "The {} meetup is cancelled. {}",
                event.date_short, recap.summary
            ),
            None => format!("The {} meetup is cancelled.", event.date_short),
        },
        (_, Some(recap)) => recap.summary.clone(),
        (Some(event), None) => {
            let place = event
                .place
                .as_deref()
                .map(|p| format!(", {p}"))
                .unwrap_or_default();
            let what = about_phrase(event).unwrap_or_else(|| event.event.title.clone());
            format!(
                "{}, {}{place}: {what}",
                event.date_display, event.time_display
            )
        }
        (None, None) => String::new(),
    };
    shorten(&crate::email::compose::one_line(&text), PREHEADER_MAX).unwrap_or_default()
}

/// The event's "about" text as a phrase for a subject: trimmed, without closing punctuation.
fn about_phrase(event: &EventView) -> Option<String> {
    let about = event.event.about.as_deref()?;
    let about = crate::email::compose::one_line(about);
    let about = about.trim_end_matches(['.', '!', ',', ';', ':', ' ']);
    (!about.is_empty()).then(|| about.to_owned())
}

/// The event's "about" text as a sentence for the e-mail body: capital first letter, closing
/// punctuation.
pub fn about_sentence(about: &str) -> String {
    let about = crate::email::compose::one_line(about);
    let mut chars = about.chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => return about,
    };
    if !out.ends_with(['.', '!', '?', '…']) {
        out.push('.');
    }
    out
}

/// "March recap", "March and February recaps", "3 recaps"; `None` without recaps.
fn recaps_label(recaps: &[Recap]) -> Option<String> {
    match recaps {
        [] => None,
        [only] => Some(format!("{} recap", recap_month(only))),
        [a, b] if recap_month(a) != recap_month(b) => {
            Some(format!("{} and {} recaps", recap_month(a), recap_month(b)))
        }
        many => Some(format!("{} recaps", many.len())),
    }
}

/// The month a recap is about: the first month its title names, else its publication month.
fn recap_month(recap: &Recap) -> &'static str {
    let named = recap
        .title
        .split(|c: char| !c.is_alphabetic())
        .find_map(|word| MONTHS.iter().find(|m| **m == word));
    named.copied().unwrap_or_else(|| {
        chrono::DateTime::parse_from_rfc3339(&recap.date)
            .ok()
            .and_then(|d| MONTHS.get(chrono::Datelike::month0(&d) as usize).copied())
            .unwrap_or("Latest")
    })
}

/// Short names for recaps in link and alt texts: the title before its first ": "
/// ("Riverside Cloud Native, November 2026"), or the whole title when the short names of
/// two recaps would be the same (link texts must tell the links apart).
pub fn short_titles(recaps: &[Recap]) -> Vec<String> {
    let short: Vec<&str> = recaps.iter().map(|r| short_title(&r.title)).collect();
    let distinct = short
        .iter()
        .enumerate()
        .all(|(i, s)| !short[..i].contains(s));
    if distinct {
        short.into_iter().map(str::to_owned).collect()
    } else {
        recaps.iter().map(|r| r.title.clone()).collect()
    }
}

/// The title up to its first separator (": ", " — ", " – ", " - "), without a closing "recap"
/// (templates say "Read the … recap"); the whole title when that leaves too little.
fn short_title(title: &str) -> &str {
    let title = title.trim();
    let cut = [": ", " — ", " – ", " - "]
        .iter()
        .filter_map(|sep| title.find(sep).map(|i| (i, sep.len())))
        .min();
    let head = match cut {
        Some((i, len)) if !title[i + len..].trim().is_empty() => title[..i].trim(),
        _ => title,
    };
    let head = strip_suffix_ignore_case(head, " recap")
        .unwrap_or(head)
        .trim_end();
    if chars(head) >= 3 && !head.eq_ignore_ascii_case("recap") {
        head
    } else {
        title
    }
}

fn strip_suffix_ignore_case<'a>(s: &'a str, suffix: &str) -> Option<&'a str> {
    let at = s.len().checked_sub(suffix.len())?;
    s.get(at..)
        .filter(|tail| tail.eq_ignore_ascii_case(suffix))
        .map(|_| &s[..at])
}

/// Words a shortened phrase should not end on.
const DANGLING: [&str; 14] = [
    "a", "an", "and", "at", "by", "for", "from", "in", "of", "on", "or", "the", "to", "with",
];

/// `text` if it has at most `max` characters, else cut at the last word boundary that leaves
/// room for "…"; `None` when what is left would be too short to say anything.
fn shorten(text: &str, max: usize) -> Option<String> {
    if chars(text) <= max {
        return (!text.is_empty()).then(|| text.to_owned());
    }
    let limit = max.checked_sub(1)?;
    let cut: String = text.chars().take(limit + 1).collect();
    let end = cut
        .char_indices()
        .rfind(|(_, c)| c.is_whitespace())
        .map(|(i, _)| i)?;
    let punctuation = |c: char| c.is_whitespace() || ",;:—–-&".contains(c);
    let mut kept = cut[..end].trim_end_matches(punctuation);
    // "speakers from Example Ltd on…" reads better as "speakers from Example Ltd…".
    while let Some((head, last)) = kept.rsplit_once(' ') {
        if !DANGLING.contains(&last.to_lowercase().as_str()) {
            break;
        }
        kept = head.trim_end_matches(punctuation);
    }
    (chars(kept) >= ABOUT_MIN.min(max / 2)).then(|| format!("{kept}…"))
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;

    use super::*;
    use crate::digest::Event;

    fn recap(title: &str, date: &str) -> Recap {
        Recap {
            title: title.into(),
            date: date.into(),
            date_display: String::new(),
            url: format!(
                "https://meetup.example.com/{}/",
                date.get(..10).unwrap_or("x")
            ),
            image: None,
            image_alt: title.into(),
            summary: format!("Summary of {title}."),
            location: None,
            video: None,
            tags: vec![],
            talks: vec![],
        }
    }

    fn event(about: Option<&str>, cancelled: bool) -> EventView {
        let start = DateTime::parse_from_rfc3339("2027-04-07T18:30:00+01:00").unwrap();
        EventView {
            event: Event {
                title: "Example Meetup April".into(),
                start,
                end: start,
                location: None,
                rsvp: Some("https://events.example.org/april".into()),
                uid: "u@example.com".into(),
                sentence: String::new(),
                announced: start,
                about: about.map(str::to_owned),
                online: true,
                time_stated: true,
                cancelled,
            },
            date_display: "Wednesday 7 April 2027".into(),
            time_display: "18:30 BST".into(),
            weekday: "Wednesday".into(),
            date_short: "Wed 7 April".into(),
            place: Some("Online".into()),
            google_calendar_url: String::new(),
            outlook_calendar_url: String::new(),
        }
    }

    fn digest(recaps: Vec<Recap>, event: Option<EventView>) -> Digest {
        Digest {
            id: "x".into(),
            at: DateTime::parse_from_rfc3339("2027-03-20T09:00:00Z").unwrap(),
            recaps,
            event,
            warnings: vec![],
        }
    }

    const SITE: &str = "Example Meetup";

    fn digest_subject_of(digest: &Digest) -> String {
        digest_subject(digest, SITE)
    }

    const ABOUT: &str = "speakers from Example Ltd, Sample Systems and Demo Cloud!";

    #[test]
    fn the_subject_names_the_next_meetup_then_the_recap() {
        let march = recap(
            "Example Meetup March 2027: lots of YAML",
            "2027-03-11T09:00:00Z",
        );
        let s = digest_subject_of(&digest(
            vec![march.clone()],
            Some(event(Some(ABOUT), false)),
        ));
        assert_eq!(
            s,
            "Next: Wed 7 April — speakers from Example Ltd, Sample Systems and Demo Cloud · March recap"
        );
        assert!(s.chars().count() <= SUBJECT_MAX, "{s}");
        // No new recap: a reminder.
        let s = digest_subject_of(&digest(vec![], Some(event(Some(ABOUT), false))));
        assert!(
            s.starts_with("Next meetup: Wed 7 April — speakers from"),
            "{s}"
        );
        // No event: the recap's title, without the site's name the From name shows.
        assert_eq!(
            digest_subject_of(&digest(vec![march.clone()], None)),
            "March 2027: lots of YAML"
        );
        // No about text.
        assert_eq!(
            digest_subject_of(&digest(vec![march], Some(event(None, false)))),
            "Next: Wed 7 April · March recap"
        );
    }

    #[test]
    fn a_long_about_text_is_cut_at_a_word() {
        let long = "speakers from Example Ltd, Sample Systems, Demo Cloud, Placeholder Networks and Test Harness Inc, plus pizza";
        let recaps = vec![
            recap("Example Meetup, March 2027: a", "2027-03-11T09:00:00Z"),
            recap("Example Meetup, February 2027: b", "2027-02-11T09:00:00Z"),
        ];
        let s = digest_subject_of(&digest(recaps, Some(event(Some(long), false))));
        assert!(s.chars().count() <= SUBJECT_MAX, "{s}");
        assert!(
            s.starts_with("Next: Wed 7 April — speakers from Example Ltd"),
            "{s}"
        );
        assert!(s.ends_with("… · March and February recaps"), "{s}");
        let cut = s.split(" — ").nth(1).unwrap().split('…').next().unwrap();
        assert!(long.starts_with(cut), "cut inside a word: {s}");
        assert!(
            long[cut.len()..].starts_with([' ', ',']),
            "cut inside a word: {s}"
        );
        // A single word longer than the room is dropped, not cut.
        let s = digest_subject_of(&digest(vec![], Some(event(Some(&"x".repeat(200)), false))));
        assert_eq!(s, "Next meetup: Wed 7 April");
    }

    #[test]
    fn cancellations_and_several_recaps_have_their_own_subjects() {
        let s = digest_subject_of(&digest(vec![], Some(event(Some(ABOUT), true))));
        assert_eq!(s, "Cancelled: the Wed 7 April meetup");
        let many: Vec<Recap> = (1..=3)
            .map(|i| recap(&format!("Example Meetup {i}"), "2027-03-11T09:00:00Z"))
            .collect();
        assert_eq!(
            digest_subject_of(&digest(many.clone(), None)),
            "Example Meetup 1 · and 2 more recaps"
        );
        assert!(digest_subject_of(&digest(many, Some(event(None, false)))).ends_with("· 3 recaps"));
    }

    #[test]
    fn the_preheader_complements_the_subject() {
        let march = recap(
            "Example Meetup March 2027: lots of YAML",
            "2027-03-11T09:00:00Z",
        );
        let with_recap = digest(vec![march.clone()], Some(event(Some(ABOUT), false)));
        assert_eq!(digest_preheader(&with_recap), march.summary);
        let reminder = digest(vec![], Some(event(Some(ABOUT), false)));
        assert_eq!(
            digest_preheader(&reminder),
            "Wednesday 7 April 2027, 18:30 BST, Online: speakers from Example Ltd, Sample Systems and Demo Cloud"
        );
        assert_eq!(digest_preheader(&digest(vec![], None)), "");
    }

    #[test]
    fn short_titles_are_distinct() {
        let a = recap("Example Meetup, March 2027: YAML", "2027-03-11T09:00:00Z");
        let b = recap(
            "Example Meetup, February 2027: JSON",
            "2027-02-11T09:00:00Z",
        );
        assert_eq!(
            short_titles(&[a.clone(), b]),
            [
                "Example Meetup, March 2027",
                "Example Meetup, February 2027"
            ]
        );
        let c = recap("Example Meetup, March 2027: TOML", "2027-03-25T09:00:00Z");
        assert_eq!(
            short_titles(&[a.clone(), c.clone()]),
            [a.title.clone(), c.title]
        );
        assert_eq!(
            short_titles(&[recap("News: x", "2027-01-01T00:00:00Z")]),
            ["News"]
        );
        // Other separators, and no "recap recap" in "Read the … recap".
        for (title, short) in [
            ("March recap: signing & more", "March"),
            ("April recap — café & Kubernetes", "April"),
            (
                "Example Meetup, July 2017 - Red Hat",
                "Example Meetup, July 2017",
            ),
            ("Recap: x", "Recap: x"),
            ("Ab: c", "Ab: c"),
        ] {
            assert_eq!(
                short_titles(&[recap(title, "2027-01-01T00:00:00Z")]),
                [short]
            );
        }
    }

    #[test]
    fn post_subjects_are_titles_without_the_site_name() {
        assert_eq!(post_subject("Call for speakers", SITE), "Call for speakers");
        assert_eq!(
            post_subject("Example Meetup, November 2027: eBPF", SITE),
            "November 2027: eBPF"
        );
        assert_eq!(
            post_subject("example meetup — Venue news", SITE),
            "Venue news"
        );
        // Kept whole when what is left would not stand alone.
        assert_eq!(post_subject("Example Meetup 12", SITE), "Example Meetup 12");
        assert_eq!(
            post_subject("Example Meetups are back", SITE),
            "Example Meetups are back"
        );
        assert_eq!(post_subject("Example Meetup", SITE), "Example Meetup");
        assert_eq!(post_subject("Ça\r\nBcc: x", ""), "Ça Bcc: x");
    }

    #[test]
    fn about_sentences_read_as_sentences() {
        assert_eq!(about_sentence("speakers on GitOps"), "Speakers on GitOps.");
        assert_eq!(about_sentence("Talks!"), "Talks!");
        assert_eq!(about_sentence(""), "");
    }
}
