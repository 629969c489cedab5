//! What an announcing sentence says besides its date, read the way a member would: what the
//! meetup is about, where it is, whether it is online, which link is the RSVP, and whether it
//! is a named edition ("our 6th anniversary", "the Xmas edition").
//!
//! Each question looks only at a bounded window of the sentence, so the cost is linear in the
//! text however long it is.

use super::blocks::Link;
use super::vocabulary::{
    ABOUT_MARKERS, ABOUT_STOPS, EDITION_NOUNS, LOGISTICS, MONTHS, NAME_JOINERS, NEGATIONS,
    NOT_ABOUT, NOT_PLACES, ONLINE, PLACE_NOUNS, RSVP_LABELS, RSVP_URLS, TOPIC_WORDS, WEEKDAYS,
};

/// How much of a sentence after its date is read for the "about" text (bytes).
const ABOUT_WINDOW: usize = 600;
/// Longest "about" text kept (characters).
pub const ABOUT_MAX: usize = 200;

/// Where a phrase occurs in `hay` as whole words, and where it ends. A phrase written with
/// `'` also matches `’`.
pub fn phrase_positions<'a>(
    hay: &'a str,
    phrase: &'a str,
) -> impl Iterator<Item = (usize, usize)> + 'a {
    let curly = phrase.contains('\'').then(|| phrase.replace('\'', "’"));
    let variants = std::iter::once(phrase.to_owned()).chain(curly);
    let mut found: Vec<(usize, usize)> = variants
        .flat_map(|p| {
            hay.match_indices(p.as_str())
                .map(|(i, m)| (i, i + m.len()))
                .collect::<Vec<_>>()
        })
        .filter(|&(i, end)| {
            let starts_word = !phrase.starts_with(char::is_alphanumeric)
                || !hay[..i].ends_with(|c: char| c.is_alphanumeric());
            let ends_word = !phrase.ends_with(char::is_alphanumeric)
                || !hay[end..].starts_with(|c: char| c.is_alphanumeric());
            starts_word && ends_word
        })
        .collect();
    found.sort_unstable();
    found.into_iter()
}

/// `s[from..to]` with both ends moved onto character boundaries, and where it starts.
pub fn window(s: &str, from: usize, to: usize) -> (usize, &str) {
    let mut from = from.min(s.len());
    while !s.is_char_boundary(from) {
        from -= 1;
    }
    let mut to = to.clamp(from, s.len());
    while !s.is_char_boundary(to) {
        to += 1;
    }
    (from, &s[from..to])
}

/// Whether the sentence says the meetup is online ("on Zoom", "livestream"), ignoring
/// negated mentions ("no livestream this time") and topics in the about text (`skip`):
/// "talks on virtual clusters".
pub fn says_online(lower: &str, skip: Option<(usize, usize)>) -> bool {
    ONLINE.iter().any(|p| {
        phrase_positions(lower, p).any(|(start, end)| {
            let (_, before) = window(lower, start.saturating_sub(12), start);
            let topic = skip.is_some_and(|(s, e)| start >= s && end <= e)
                && TOPIC_WORDS
                    .iter()
                    .any(|w| before.trim_end().ends_with(&format!(" {w}")));
            !topic && !NEGATIONS.iter().any(|n| before.contains(n))
        })
    })
}

/// The venue the sentence names: "at Example Hall", "back at the Example Library", "hosted
/// by Monzo", "hosted at Example Venue Co's riverside space". `not` lists names that are not
/// venues (the site and the meetup's own name: "join us at Riverside Cloud Native").
pub fn venue(sentence: &str, not: &[&str]) -> Option<String> {
    let lower = sentence.to_ascii_lowercase();
    let mut markers: Vec<(usize, usize)> = phrase_positions(&lower, "at")
        .chain(phrase_positions(&lower, "hosted by"))
        .take(64)
        .collect();
    markers.sort_unstable();
    let found = markers
        .into_iter()
        .find_map(|(_, end)| venue_after(&sentence[end..]));
    found.filter(|v| {
        let lv = v.to_lowercase();
        !lv.contains("meetup")
            && !not
                .iter()
                .any(|n| !n.is_empty() && n.to_lowercase().starts_with(&lv))
    })
}

fn venue_after(text: &str) -> Option<String> {
    let text = text.trim_start();
    let text = text
        .strip_prefix("the ")
        .or_else(|| text.strip_prefix("The "))
        .unwrap_or(text);
    let mut words = Vec::new();
    let mut capitals = 0;
    for raw in text.split_whitespace().take(12) {
        let word = raw.trim_end_matches([',', '.', ';', ':', '!', '?', ')']);
        let stop = word.len() != raw.len();
        let lower = word.to_lowercase();
        let capital = word.starts_with(|c: char| c.is_uppercase());
        let bare = lower.trim_end_matches("'s").trim_end_matches("’s");
        if word.is_empty() || weekday_or_month(bare) || NOT_PLACES.contains(&bare) {
            break;
        }
        if capital || (capitals > 0 && NAME_JOINERS.contains(&lower.as_str())) {
            capitals += usize::from(capital);
            words.push(word);
        } else if capitals > 0 && PLACE_NOUNS.contains(&lower.as_str()) {
            words.push(word);
            break;
        } else if capitals > 0 && words.len() + 2 <= 12 && place_noun_follows(text, &words, word) {
            words.push(word);
        } else {
            break;
        }
        if stop {
            break;
        }
    }
    while words
        .last()
        .is_some_and(|w| NAME_JOINERS.contains(&w.to_lowercase().as_str()))
    {
        words.pop();
    }
    (capitals > 0).then(|| words.join(" "))
}

/// "Example Venue Co's riverside space": a lowercase word is part of the name when a place
/// noun comes right after it.
fn place_noun_follows(text: &str, words: &[&str], word: &str) -> bool {
    let next = text.split_whitespace().nth(words.len() + 1).map(|w| {
        w.trim_end_matches([',', '.', ';', ':', '!', '?', ')'])
            .to_lowercase()
    });
    word.chars().all(char::is_alphabetic) && next.is_some_and(|n| PLACE_NOUNS.contains(&n.as_str()))
}

fn weekday_or_month(lower: &str) -> bool {
    WEEKDAYS.iter().any(|(day, _)| *day == lower) || MONTHS.contains(&lower)
}

/// For each byte of `text`, whether it is outside brackets.
fn outside_brackets(text: &str) -> Vec<bool> {
    let mut depth = 0usize;
    let mut out = Vec::with_capacity(text.len() + 1);
    for c in text.chars() {
        if c == '(' {
            depth += 1;
        }
        out.extend(std::iter::repeat_n(depth == 0, c.len_utf8()));
        if c == ')' {
            depth = depth.saturating_sub(1);
        }
    }
    out.push(depth == 0);
    out
}

/// What the meetup is about, in the sentence's own words: the text after the date that follows
/// "joined by", "with", "for", a colon... ("speakers from A, B and C", "a night of eBPF
/// talks"), with its byte range in the sentence. A bracket is kept whole or left out: the text
/// never starts or ends inside one.
pub fn about(sentence: &str, date_end: usize) -> Option<(String, (usize, usize))> {
    let (from, tail) = window(sentence, date_end, date_end + ABOUT_WINDOW);
    let lower = tail.to_ascii_lowercase();
    let outside = outside_brackets(tail);
    let (start, _) = ABOUT_MARKERS
        .iter()
        .filter_map(|(m, keep)| {
            let at = marker_positions(&lower, m).find(|&i| outside[i])?;
            let start = if *keep { at } else { at + m.len() };
            let rest = lower[start..].trim_start();
            let useless = NOT_ABOUT.iter().any(|n| {
                rest.starts_with(n) && !rest[n.len()..].starts_with(char::is_alphanumeric)
            });
            (!useless).then_some((start, at))
        })
        .min_by_key(|&(_, at)| at)?;
    let text = &tail[start..];
    let text_lower = &lower[start..];
    let stop = ABOUT_STOPS
        .iter()
        .filter_map(|s| {
            text_lower
                .match_indices(s)
                .map(|(i, _)| i)
                .find(|&i| outside[start + i])
        })
        .min()
        .unwrap_or(text.len());
    let cut = close_brackets(&text[..stop]);
    let cut = cut
        .trim()
        .trim_end_matches([',', ';', ':', '.', '!', '?', '—', '-', '(', ' '])
        .trim_end_matches(" and")
        .trim();
    let words = cut.split_whitespace().count();
    let first = cut
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_lowercase()
        .replace('’', "'");
    // "…: we're online this time" and "for a 7pm start" are logistics, not what the meetup
    // is about.
    let opening: String = cut.split_whitespace().take(2).collect::<Vec<_>>().join(" ");
    let timing = super::prose_date::parse_time(&opening).is_some();
    if (words < 2 && cut.chars().count() < 8) || LOGISTICS.contains(&first.as_str()) || timing {
        return None;
    }
    let begin = from + start + (text.len() - text.trim_start().len());
    let tidy = cut.split_whitespace().collect::<Vec<_>>().join(" ");
    Some((shorten(&tidy, ABOUT_MAX), (begin, begin + cut.len())))
}

/// Where an about marker occurs: words at a word's start ("for " is not in "before "),
/// punctuation ("`: `") anywhere.
fn marker_positions<'a>(lower: &'a str, marker: &'a str) -> impl Iterator<Item = usize> + 'a {
    let word = marker.starts_with(char::is_alphanumeric);
    lower
        .match_indices(marker)
        .map(|(i, _)| i)
        .filter(move |&i| !word || !lower[..i].ends_with(char::is_alphanumeric))
}

/// `text` without a bracket left open at its end: "talks (and pizza" -> "talks".
fn close_brackets(text: &str) -> &str {
    let mut depth = 0usize;
    let mut open_at = None;
    for (i, c) in text.char_indices() {
        match c {
            '(' => {
                if depth == 0 {
                    open_at = Some(i);
                }
                depth += 1;
            }
            ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    match (depth, open_at) {
        (d, Some(at)) if d > 0 => &text[..at],
        _ => text,
    }
}

/// `text` cut at a word boundary to at most `max` characters, with an ellipsis if cut; a
/// bracket opened and not closed before the cut goes too.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max).collect();
    let at_word = cut.rfind(' ').map_or(cut.as_str(), |i| &cut[..i]);
    let whole = close_brackets(at_word);
    format!("{}…", whole.trim_end_matches([',', ';', ':', ' ']))
}

/// A named edition of the meetup in the sentence: "our 6th anniversary", "the Xmas edition",
/// "our festive special", "our New Year's meetup". Not "our next meetup" or "our May meetup".
pub fn edition(sentence: &str) -> Option<String> {
    let lower = sentence.to_ascii_lowercase();
    let starts: Vec<(usize, usize)> = phrase_positions(&lower, "our")
        .chain(phrase_positions(&lower, "the"))
        .take(32)
        .collect();
    starts.into_iter().find_map(|(_, end)| {
        let words: Vec<&str> = sentence[end..].split_whitespace().take(4).collect();
        let noun = words.iter().position(|w| {
            let bare = w
                .trim_end_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase();
            EDITION_NOUNS.contains(&bare.as_str())
        })?;
        let named = &words[..noun];
        let plain = |w: &&str| {
            let bare = w
                .trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase();
            [
                "next", "monthly", "usual", "regular", "last", "first", "upcoming", "own",
            ]
            .contains(&bare.as_str())
                || MONTHS.contains(&bare.as_str())
        };
        let meetup = words[noun].to_lowercase().starts_with("meetup");
        let special = named
            .iter()
            .any(|w| w.starts_with(|c: char| c.is_uppercase() || c.is_ascii_digit()));
        if named.is_empty()
            || named.iter().any(plain)
            || named.iter().any(|w| w.ends_with([',', ';', ':']))
            || (meetup && !special)
        {
            return None;
        }
        let phrase = words[..=noun].join(" ");
        Some(
            phrase
                .trim_end_matches(|c: char| !c.is_alphanumeric())
                .to_owned(),
        )
    })
}

fn web(url: &str) -> bool {
    url.starts_with("https://") || url.starts_with("http://")
}

/// Whether a link is an RSVP/ticket link by its text or address.
pub fn rsvp_like(link: &Link) -> bool {
    let label = link.label.to_lowercase();
    let url = link.url.to_ascii_lowercase();
    web(&link.url)
        && (RSVP_LABELS.iter().any(|w| {
            // At a word's start: "tickets" and "booking" count, "Facebook" does not.
            label
                .match_indices(w)
                .any(|(i, _)| !label[..i].ends_with(char::is_alphanumeric))
        }) || RSVP_URLS.iter().any(|w| url.contains(w)))
}

/// A link that may be the RSVP even though it does not say so: not a sponsor's or speaker's
/// name ("[Acme](...)"), but "here" or "the next event in August".
fn generic(link: &Link) -> bool {
    web(&link.url)
        && (link.label == link.url
            || link
                .label
                .split_whitespace()
                .any(|w| w.starts_with(|c: char| c.is_lowercase())))
}

/// The RSVP link: an RSVP-like link in the sentence, else in the nearby text (`near`, in order
/// of preference), else a generic link in the sentence. The URL is made valid.
pub fn pick_rsvp(sentence: &[&Link], near: &[&Link]) -> Option<String> {
    sentence
        .iter()
        .chain(near)
        .find(|l| rsvp_like(l))
        .or_else(|| sentence.iter().find(|l| generic(l)))
        .map(|l| crate::urls::encode_illegal(&l.url))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn about_is_the_sentences_own_words() {
        for (s, d, want) in [
            ("Our next meetup will be Wednesday 7th April, when we'll be joined by speakers from A, B and C!", "April", Some("speakers from A, B and C")),
            ("Join us again on 6 May for a night of eBPF talks.", "May", Some("a night of eBPF talks")),
            ("We'll be back on the 2nd of June with talks from Acme and Example Ltd.", "June", Some("talks from Acme and Example Ltd")),
            ("The next meetup is on Wednesday 8th July: observability war stories.", "July", Some("observability war stories")),
            ("The next meetup is on 14 October, with a talk on running databases on Kubernetes. RSVP now", "October", Some("a talk on running databases on Kubernetes")),
            ("Join us on 14 May when we'll hear about cost dashboards RSVP here", "May", Some("cost dashboards")),
            ("Our next meetup is on 6 October (the week after the big conference, with lots to talk about), when we'll be joined by speakers from A and B.", "October", Some("speakers from A and B")),
            ("See you on 6 October for talks on storage (and a quiz, with prizes) RSVP", "October", Some("talks on storage (and a quiz, with prizes)")),
            ("See you on 6 October for talks on storage (and a quiz with prizes [RSVP](x)", "October", Some("talks on storage")),
            ("See you on 9 April with us.", "April", None),
            ("See you on 9 April!", "April", None),
        ] {
            let end = s.find(d).unwrap() + d.len();
            assert_eq!(about(s, end).map(|(a, _)| a).as_deref(), want, "{s}");
        }
        let long = format!("See you on 9 April for {}", "talks ".repeat(100));
        let (text, _) = about(&long, 18).unwrap();
        assert!(
            text.ends_with("talks…") && text.chars().count() <= 201,
            "{text}"
        );
        assert_eq!(shorten("a b (c d e f g h", 9), "a b…");
    }

    #[test]
    fn online_and_venue_from_the_sentence() {
        let online = |s: &str| says_online(&s.to_ascii_lowercase(), None);
        assert!(online("See you on 9 April on Zoom"));
        assert!(online("Join us online on 9 April"));
        assert!(online("streamed on the livestream as usual"));
        assert!(!online("No livestream this time, so come along!"));
        assert!(!online("see you in person on 9 April"));
        assert!(!online("talks on virtual clusters"));
        let s = "Join us online on 9 May for talks about virtual meetups";
        let skip = about(s, s.find("May").unwrap() + 3).map(|(_, r)| r);
        assert!(says_online(&s.to_ascii_lowercase(), skip));
        let s = "See you on 9 May for talks on online safety";
        let skip = about(s, s.find("May").unwrap() + 3).map(|(_, r)| r);
        assert!(!says_online(&s.to_ascii_lowercase(), skip));

        for (sentence, want) in [
            (
                "Next month we're at Example Hall on Tuesday 8 September",
                Some("Example Hall"),
            ),
            (
                "at the Example Library, featuring talks",
                Some("Example Library"),
            ),
            (
                "hosted at Example Venue Co's riverside space on 9 May",
                Some("Example Venue Co's riverside space"),
            ),
            (
                "at Bank of Example offices.",
                Some("Bank of Example offices"),
            ),
            (
                "We'll be back at Example Works for this one.",
                Some("Example Works"),
            ),
            (
                "This time we're hosted by Sample Bank, thank you!",
                Some("Sample Bank"),
            ),
            ("Join us at 6:30pm at the next meetup", None),
            ("RSVP at Meetup", None),
            ("see you at Wednesday's meetup", None),
        ] {
            assert_eq!(venue(sentence, &[]).as_deref(), want, "{sentence}");
        }
        assert_eq!(
            venue(
                "Join us at Riverside Cloud Native May",
                &["Riverside Cloud Native May"]
            ),
            None
        );
    }

    #[test]
    fn named_editions() {
        for (s, want) in [
            (
                "Our next meetup will be our 6th anniversary on 8 July",
                Some("6th anniversary"),
            ),
            (
                "Join us for the Xmas edition on the 10th",
                Some("Xmas edition"),
            ),
            (
                "on Wednesday 9th December, our festive special, when",
                Some("festive special"),
            ),
            (
                "our New Year’s meetup, on Wednesday 5th January",
                Some("New Year’s meetup"),
            ),
            ("Our next meetup is on 9 April", None),
            ("Our May meetup is on the 13th", None),
            ("our usual monthly meetup", None),
            ("the meetup", None),
        ] {
            assert_eq!(edition(s).as_deref(), want, "{s}");
        }
    }

    #[test]
    fn rsvp_links_are_preferred_over_sponsors() {
        let link = |label: &str, url: &str| Link {
            label: label.into(),
            url: url.into(),
            at: 0,
        };
        let acme = link("Acme", "https://acme.example.com");
        let rsvp = link(
            "RSVP and save the date now!",
            "https://events.example.org/2",
        );
        let meetup = link("here", "https://www.meetup.com/example/events/1");
        let here = link("here", "https://x.example.org");
        assert_eq!(
            pick_rsvp(&[&acme, &rsvp], &[]).as_deref(),
            Some("https://events.example.org/2")
        );
        assert_eq!(
            pick_rsvp(&[&acme], &[&meetup]).as_deref(),
            Some("https://www.meetup.com/example/events/1")
        );
        assert_eq!(
            pick_rsvp(&[&here], &[]).as_deref(),
            Some("https://x.example.org")
        );
        assert_eq!(pick_rsvp(&[&acme], &[]), None);
        assert_eq!(
            pick_rsvp(&[&link("mail", "mailto:a@example.com")], &[]),
            None
        );
    }
}
