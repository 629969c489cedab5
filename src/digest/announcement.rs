//! Reading one closing sentence the way a member would: does this date announce a meetup
//! ("see you on", "join us again on") or look back ("on 3 March we had")? What is it about,
//! where is it, is it online, and which link is the RSVP?
//!
//! Each question looks only at a bounded window of the sentence around the date, so the cost
//! is linear in the text however long it is.

use super::blocks::Link;

/// How far before and after a date its cue words are looked for (bytes).
const CUE_BEFORE: usize = 160;
const CUE_AFTER: usize = 60;
/// How much of a sentence after its date is read for the "about" text (bytes).
const ABOUT_WINDOW: usize = 600;
/// Longest "about" text kept (characters).
const ABOUT_MAX: usize = 200;

/// How sure a sentence is that its date is a coming meetup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Cue {
    /// It looks back ("we had", "thanks to everyone who came"), or is not about our meetup
    /// ("the call for papers closes on").
    Against,
    /// Nothing either way.
    None,
    /// "is on", "will be", "takes place".
    Weak,
    /// "next meetup", "see you", "join us", "save the date", "RSVP".
    Strong,
}

const STRONG: [&str; 40] = [
    "next meetup",
    "next meet-up",
    "next event",
    "next session",
    "next one",
    "next edition",
    "next month",
    "our next",
    "save the date",
    "see you",
    "see y'all",
    "join us",
    "we'll be back",
    "we’ll be back",
    "we will be back",
    "we're back",
    "we’re back",
    "we are back",
    "back on",
    "back again",
    "rsvp",
    "sign up",
    "register",
    "tickets",
    "upcoming",
    "coming up",
    "meet again",
    "hope to see",
    "looking forward to seeing",
    "catch you",
    "don't miss",
    "don’t miss",
    "mark your calendar",
    "mark your calendars",
    "mark your diary",
    "mark your diaries",
    "in your diary",
    "come along",
    "next up",
    "book your",
];
const WEAK: [&str; 19] = [
    "will be",
    "'ll be",
    "’ll be",
    "will take place",
    "takes place",
    "is on",
    "is happening",
    "happens on",
    "we're at",
    "we’re at",
    "we are at",
    "is scheduled",
    "meetup is",
    "meetup on",
    "event is",
    "event on",
    "meet on",
    "we're meeting",
    "we are meeting",
];
const AGAINST: [&str; 33] = [
    "we had",
    "we were",
    "was",
    "were",
    "came",
    "joined us",
    "thanks to everyone",
    "thank you to everyone",
    "thanks for coming",
    "thank you for coming",
    "thanks to all who",
    "attended",
    "took place",
    "last",
    "happened",
    "held",
    "recorded",
    "ago",
    "enjoyed",
    "gave",
    "spoke",
    "talked",
    "presented",
    "hosted us",
    "met",
    "went",
    "closes",
    "close on",
    "deadline",
    "until",
    "due",
    "call for",
    "submissions",
];
/// Someone else's event ("our friends at X are running a meetup on..."): against, unless a
/// clear "see you"/"next meetup" of ours is nearer the date.
const THEIRS: [&str; 7] = [
    "are running",
    "is running",
    "are hosting",
    "is hosting",
    "are organising",
    "is organising",
    "their",
];
/// Cue words after a date ("On 3 March we had...", "9 April is our next meetup").
const AFTER_AGAINST: [&str; 6] = ["we had", "we were", "was", "were", "took place", "happened"];
const AFTER_STRONG: [&str; 3] = ["is our next", "is the next", "is the date"];
const AFTER_WEAK: [&str; 6] = ["we will", "we'll", "we’ll", "we are", "we're", "we’re"];
/// Words that make a cue-less date a meetup's ("talks", "speakers").
const MEETUP_WORDS: [&str; 6] = ["meetup", "meet-up", "event", "talks", "speakers", "session"];

const ONLINE: [&str; 18] = [
    "online",
    "on zoom",
    "via zoom",
    "on teams",
    "google meet",
    "virtual meetup",
    "virtual event",
    "virtually",
    "livestream",
    "live stream",
    "live-stream",
    "streamed live",
    "streaming live",
    "webinar",
    "remote event",
    "on youtube",
    "on twitch",
    "hybrid",
];
const NEGATIONS: [&str; 4] = ["no ", "not ", "without ", "non-"];

/// Words that end a venue's name: a venue is "Example Hall", not "Example Hall on Tuesday".
const PLACE_NOUNS: [&str; 14] = [
    "offices", "office", "hq", "space", "building", "campus", "hall", "studios", "rooms", "room",
    "pub", "bar", "café", "cafe",
];
const NAME_JOINERS: [&str; 5] = ["of", "&", "and", "de", "la"];
/// Capitalised words after "at" that are not places.
const NOT_PLACES: [&str; 9] = [
    "rsvp",
    "meetup",
    "zoom",
    "youtube",
    "twitch",
    "teams",
    "google",
    "linkedin",
    "eventbrite",
];

/// Where a phrase occurs in `hay` as whole words, and where it ends.
fn phrase_positions<'a>(
    hay: &'a str,
    phrase: &'a str,
) -> impl Iterator<Item = (usize, usize)> + 'a {
    hay.match_indices(phrase).filter_map(move |(i, _)| {
        let end = i + phrase.len();
        let starts_word = !hay[..i].ends_with(|c: char| c.is_alphanumeric());
        let ends_word = !phrase.ends_with(char::is_alphanumeric)
            || !hay[end..].starts_with(|c: char| c.is_alphanumeric());
        (starts_word && ends_word).then_some((i, end))
    })
}

/// `s[from..to]` with both ends moved onto character boundaries.
fn window(s: &str, from: usize, to: usize) -> (usize, &str) {
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

/// How the words around a date (bytes `span` of `lower`, the lowercased sentence) read: the
/// nearest cue decides for or against; the strongest forward-looking cue decides how sure.
pub fn cue(lower: &str, span: (usize, usize)) -> Cue {
    let (from, before) = window(lower, span.0.saturating_sub(CUE_BEFORE), span.0);
    let (_, after) = window(lower, span.1, span.1 + CUE_AFTER);
    let nearest_before = |list: &[&str]| {
        list.iter()
            .filter_map(|p| phrase_positions(before, p).map(|(_, end)| end).last())
            .max()
            .map(|end| span.0 - (from + end))
    };
    let nearest_after = |list: &[&str]| {
        list.iter()
            .filter_map(|p| phrase_positions(after, p).map(|(start, _)| start).next())
            .min()
    };
    let strong = nearest_before(&STRONG).or(nearest_after(&AFTER_STRONG));
    let weak = [nearest_before(&WEAK), nearest_after(&AFTER_WEAK)]
        .into_iter()
        .flatten()
        .min();
    let against = [nearest_before(&AGAINST), nearest_after(&AFTER_AGAINST)]
        .into_iter()
        .flatten()
        .min();
    let theirs = nearest_before(&THEIRS);
    if theirs.is_some_and(|t| strong.is_none_or(|s| s > t)) {
        return Cue::Against;
    }
    let forward = [strong, weak].into_iter().flatten().min();
    match (forward, against) {
        (Some(f), Some(a)) if a < f => Cue::Against,
        (None, Some(_)) => Cue::Against,
        _ if strong.is_some() => Cue::Strong,
        _ if weak.is_some() => Cue::Weak,
        _ => Cue::None,
    }
}

/// Whether a sentence without cue words still reads as a meetup's ("Wednesday 9 April: three
/// talks on eBPF").
pub fn names_a_meetup(lower: &str) -> bool {
    MEETUP_WORDS
        .iter()
        .any(|w| phrase_positions(lower, w).next().is_some() || lower.contains(&format!("{w}s")))
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

/// Words before a topic ("talks on online safety").
const TOPIC_WORDS: [&str; 6] = ["on", "about", "of", "into", "around", "for"];

/// The venue the sentence names: "at Example Hall", "at the Example Library", "hosted at
/// Example Venue Co's riverside space". `not` lists names that are not venues (the site and
/// the meetup's own name: "join us at Riverside Cloud Native").
pub fn venue(sentence: &str, not: &[&str]) -> Option<String> {
    let lower = sentence.to_ascii_lowercase();
    let found = phrase_positions(&lower, "at")
        .take(32)
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
    super::prose_date::WEEKDAYS
        .iter()
        .any(|(day, _)| *day == lower)
        || super::prose_date::MONTHS.contains(&lower)
}

/// Phrases after which a sentence says what the meetup is about, and whether the phrase itself
/// belongs to the about text ("talks on eBPF" keeps "talks"; "joined by speakers" drops
/// "joined by").
const ABOUT_MARKERS: [(&str, bool); 16] = [
    ("joined by ", false),
    ("hear from ", false),
    ("hear about ", false),
    ("hear all about ", false),
    ("featuring ", false),
    ("talks from ", true),
    ("talks on ", true),
    ("talks about ", true),
    ("speakers from ", true),
    ("speakers on ", true),
    ("a talk on ", true),
    ("with ", false),
    ("for ", false),
    ("about ", false),
    (": ", false),
    (" — ", false),
];
/// Where an about text ends: the RSVP call and links are not part of it.
const ABOUT_STOPS: [&str; 9] = [
    "http",
    " rsvp",
    "rsvp ",
    " register",
    " sign up",
    " tickets",
    " see you",
    " [",
    " (rsvp",
];
/// First words of a clause about arrangements rather than content.
const LOGISTICS: [&str; 12] = [
    "we", "we're", "we'll", "we've", "it", "it's", "this", "that", "there", "doors", "details",
    "rsvp",
];
/// Openings that make a "with"/"for" phrase something other than content ("with us").
const NOT_ABOUT: [&str; 9] = [
    "us", "you", "more", "details", "free", "the date", "the next", "another", "all",
];

/// What the meetup is about, in the sentence's own words: the text after the date that follows
/// "joined by", "with", "for", a colon... ("speakers from A, B and C", "a night of eBPF
/// talks"), with its byte range in the sentence.
pub fn about(sentence: &str, date_end: usize) -> Option<(String, (usize, usize))> {
    let (from, tail) = window(sentence, date_end, date_end + ABOUT_WINDOW);
    let lower = tail.to_ascii_lowercase();
    let (start, _) = ABOUT_MARKERS
        .iter()
        .filter_map(|(m, keep)| {
            let at = lower.find(m)?;
            let start = if *keep { at } else { at + m.len() };
            let rest = lower[start..].trim_start();
            let useless = NOT_ABOUT.iter().any(|n| {
                rest.starts_with(n) && !rest[n.len()..].starts_with(char::is_alphanumeric)
            });
            (!useless).then_some((start, at))
        })
        .min_by_key(|&(_, at)| at)?;
    let text = &tail[start..];
    let stop = ABOUT_STOPS
        .iter()
        .filter_map(|s| text.to_ascii_lowercase().find(s))
        .min()
        .unwrap_or(text.len());
    let cut = text[..stop]
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
    // "…: we're online this time" is logistics, not what the meetup is about.
    if (words < 2 && cut.chars().count() < 8) || LOGISTICS.contains(&first.as_str()) {
        return None;
    }
    let begin = from + start + (text.len() - text.trim_start().len());
    let tidy = cut.split_whitespace().collect::<Vec<_>>().join(" ");
    Some((shorten(&tidy, ABOUT_MAX), (begin, begin + cut.len())))
}

/// `text` cut at a word boundary to at most `max` characters, with an ellipsis if cut.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max).collect();
    let at_word = cut.rfind(' ').map_or(cut.as_str(), |i| &cut[..i]);
    format!("{}…", at_word.trim_end_matches([',', ';', ':', ' ']))
}

/// Link texts and addresses that say "RSVP here".
const RSVP_LABELS: [&str; 10] = [
    "rsvp",
    "register",
    "sign up",
    "signup",
    "ticket",
    "book",
    "save the date",
    "attend",
    "meetup",
    "event",
];
const RSVP_URLS: [&str; 13] = [
    "meetup.com/",
    "eventbrite.",
    "lu.ma/",
    "luma.com/",
    "ti.to/",
    "tito.io/",
    "tickettailor.com/",
    "/events/",
    "/event/",
    "rsvp",
    "ticket",
    "register",
    "signup",
];

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

    fn cue_of(sentence: &str, date: &str) -> Cue {
        let at = sentence.find(date).unwrap();
        cue(&sentence.to_ascii_lowercase(), (at, at + date.len()))
    }

    #[test]
    fn cues_for_and_against() {
        for (s, d, want) in [
            (
                "Our next meetup will be on 9 April.",
                "9 April",
                Cue::Strong,
            ),
            (
                "See you all on Thursday 9th April",
                "Thursday 9th April",
                Cue::Strong,
            ),
            ("The spring social is on 9 April.", "9 April", Cue::Weak),
            ("9 April is our next meetup.", "9 April", Cue::Strong),
            ("On 3 March we had a packed room.", "3 March", Cue::Against),
            (
                "Thanks to everyone who came on 5 March; see you on 9 April!",
                "5 March",
                Cue::Against,
            ),
            (
                "Thanks to everyone who came on 5 March; see you on 9 April!",
                "9 April",
                Cue::Strong,
            ),
            (
                "The call for papers closes on 30 April.",
                "30 April",
                Cue::Against,
            ),
            ("Slides from 12 March are below.", "12 March", Cue::None),
            (
                "Our next meetup, hosted by Acme, is on 9 April.",
                "9 April",
                Cue::Strong,
            ),
            (
                "Our friends at Acme are running a free meetup on 9th April.",
                "9th April",
                Cue::Against,
            ),
            (
                "Acme are hosting their own day on 9 April, and see you on 16 April!",
                "16 April",
                Cue::Strong,
            ),
        ] {
            assert_eq!(cue_of(s, d), want, "{s} / {d}");
        }
    }

    #[test]
    fn about_is_the_sentences_own_words() {
        for (s, d, want) in [
            ("Our next meetup will be Wednesday 7th April, when we'll be joined by speakers from A, B and C!", "April", Some("speakers from A, B and C")),
            ("Join us again on 6 May for a night of eBPF talks.", "May", Some("a night of eBPF talks")),
            ("We'll be back on the 2nd of June with talks from Acme and Example Ltd.", "June", Some("talks from Acme and Example Ltd")),
            ("The next meetup is on Wednesday 8th July: observability war stories.", "July", Some("observability war stories")),
            ("The next meetup is on 14 October, with a talk on running databases on Kubernetes. RSVP now", "October", Some("a talk on running databases on Kubernetes")),
            ("Join us on 14 May when we'll hear about cost dashboards RSVP here", "May", Some("cost dashboards")),
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
        assert!(online(
            "see you on 22 april at 6:30pm: we're online on zoom this time"
        ));
        let s = "Join us online on 9 May for talks about virtual meetups";
        let skip = about(s, s.find("May").unwrap() + 3).map(|(_, r)| r);
        assert!(says_online(&s.to_ascii_lowercase(), skip));
        let s = "See you on 9 May for talks on online safety";
        let skip = about(s, s.find("May").unwrap() + 3).map(|(_, r)| r);
        assert!(!says_online(&s.to_ascii_lowercase(), skip));

        assert_eq!(
            venue(
                "Next month we're at Example Hall on Tuesday 8 September",
                &[]
            )
            .as_deref(),
            Some("Example Hall")
        );
        assert_eq!(
            venue("at the Example Library, featuring talks", &[]).as_deref(),
            Some("Example Library")
        );
        assert_eq!(
            venue("hosted at Example Venue Co's riverside space on 9 May", &[]).as_deref(),
            Some("Example Venue Co's riverside space")
        );
        assert_eq!(
            venue("at Bank of Example offices.", &[]).as_deref(),
            Some("Bank of Example offices")
        );
        assert_eq!(venue("Join us at 6:30pm at the next meetup", &[]), None);
        assert_eq!(
            venue(
                "Join us at Riverside Cloud Native May",
                &["Riverside Cloud Native May"]
            ),
            None
        );
        assert_eq!(venue("RSVP at Meetup", &[]), None);
        assert_eq!(venue("see you at Wednesday's meetup", &[]), None);
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
