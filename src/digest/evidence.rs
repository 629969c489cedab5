//! What speaks for and against a date in a recap being our group's next meetup.
//!
//! For: "next meetup" in so many words, a first-person invitation ("see you on", "join us"),
//! "our ... meetup", the group's name, a heading that announces the next meetup, an RSVP link
//! to the group's own event page. Against: another organisation's event, a deadline ("register
//! by"), a discount, a conference, a range of days, a section about sponsors or offers, a
//! time in a zone that is not the site's.
//!
//! Some objections settle it (a range of days is never our one-evening meetup); the others
//! weigh against the support. Only a date that is clearly ours is announced: see
//! [`Evidence::qualifies`].

use chrono::{Datelike, NaiveDate};

use super::announcement::{phrase_positions, window};
use super::blocks::Link;
use super::prose_date::ProseDate;
use super::vocabulary::{
    AFTER_LOOKING_BACK, AFTER_NEXT, AFTER_SCHEDULED, BOOKING, CONFERENCES, DEADLINES, DISCOUNTS,
    ELSEWHERE_HEADINGS, GROUP_HOSTS, HOSTING_US, INVITATIONS, LOOKING_BACK, MEETUP_WORDS, MONTHS,
    NAMES_NEXT, NEXT_HEADINGS, NEXT_MEETUP, NOT_SERIES, SCHEDULED, THEIRS, UPCOMING,
};

/// How far before and after a date its cue words are looked for (bytes).
const CUE_BEFORE: usize = 160;
const CUE_AFTER: usize = 60;
/// A date further ahead than this is doubtful; further than the second, refused.
const FAR_AHEAD_DAYS: i64 = 200;
const TOO_FAR_DAYS: i64 = 400;
/// The least score a date needs to be announced.
pub const ANNOUNCE_SCORE: i32 = 3;

/// Something that says a date is our next meetup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Support {
    /// "next meetup", "our next".
    NextMeetup,
    /// "see you on", "join us", "save the date".
    Invitation,
    /// "our May meetup", "our festive special".
    OurMeetup,
    /// The group's own name ("Riverside Cloud Native returns on...").
    GroupName,
    /// Under a heading that announces the next meetup ("Next meetup", "Riverside May").
    NextHeading,
    /// A "When:" line or cell of an announcement.
    Field,
    /// "upcoming", "next month".
    Upcoming,
    /// "our", "we", "us".
    FirstPerson,
    /// "will be", "is on".
    Scheduled,
    /// "RSVP", "tickets".
    Booking,
    /// An RSVP link to the group's own event page.
    OwnRsvp,
}

impl Support {
    fn weight(self) -> i32 {
        match self {
            Support::NextMeetup => 4,
            Support::Invitation => 3,
            Support::OurMeetup
            | Support::GroupName
            | Support::NextHeading
            | Support::Field
            | Support::Upcoming => 2,
            Support::FirstPerson | Support::Scheduled | Support::Booking | Support::OwnRsvp => 1,
        }
    }

    /// Whether it says whose meetup it is (ours), not only that something happens.
    fn is_ours(self) -> bool {
        !matches!(
            self,
            Support::Upcoming | Support::Scheduled | Support::Booking | Support::FirstPerson
        )
    }
}

/// Something that says a date is not our next meetup, or not one to trust.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Objection {
    /// Another organisation's event ("Acme are running...", "Example DevOps's meetup").
    OtherOrganisation(String),
    /// A deadline ("register by", "closes").
    Deadline(String),
    /// An offer ("20% off", "the code").
    Discount(String),
    /// A conference named before the date; `after` when named just after it.
    Conference {
        /// The word.
        word: String,
        /// Named after the date (weaker: "the week after KubeCon").
        after: bool,
    },
    /// A range of days ("6-8 October").
    DateRange,
    /// A section about other things ("Offers for our members").
    ElsewhereSection(String),
    /// The heading names another month ("Riverside May" over "see you on 9 April").
    HeadingMonth(String),
    /// A time that cannot be put on the site's clock.
    Zone(String),
    /// A time converted from another zone.
    ConvertedZone(String),
    /// A numeric date that reads both ways.
    Ambiguous,
    /// The weekday written is not the date's.
    WeekdayMismatch,
    /// No month: "the 14th" taken as the next 14th.
    MonthGuessed,
    /// Many months ahead.
    FarAhead(i64),
}

impl Objection {
    /// Its weight against the support; `None`: it settles the matter.
    fn weight(&self) -> Option<i32> {
        match self {
            Objection::ElsewhereSection(_) | Objection::HeadingMonth(_) => Some(3),
            Objection::Conference { after: true, .. } => Some(2),
            Objection::FarAhead(days) if *days <= TOO_FAR_DAYS => Some(2),
            Objection::ConvertedZone(_) | Objection::MonthGuessed => Some(1),
            _ => None,
        }
    }

    /// Whether it settles the matter against, whatever supports the date.
    pub fn settles(&self) -> bool {
        self.weight().is_none()
    }

    /// Why, in words for the organiser.
    pub fn why(&self) -> String {
        match self {
            Objection::OtherOrganisation(name) => format!("it is another organisation's event ({name})"),
            Objection::Deadline(word) => format!("it reads as a deadline (\"{word}\")"),
            Objection::Discount(word) => format!("it reads as an offer or discount (\"{word}\")"),
            Objection::Conference { word, .. } => format!("it names a conference (\"{word}\")"),
            Objection::DateRange => "it is a range of days, and a meetup is one evening".into(),
            Objection::ElsewhereSection(h) => format!("it is in the section \"{h}\", about other things"),
            Objection::HeadingMonth(h) => format!("the heading \"{h}\" names another month"),
            Objection::Zone(why) => format!("its time cannot be trusted: {why}"),
            Objection::ConvertedZone(zone) => format!("its time is given in {zone} and was converted"),
            Objection::Ambiguous => "the numeric date reads both ways (day/month or month/day); set `site.language` (en-GB, en-US) or write the month".into(),
            Objection::WeekdayMismatch => "the weekday does not match the date".into(),
            Objection::MonthGuessed => "it names no month, so the next such day after the post is assumed".into(),
            Objection::FarAhead(days) => format!("it is {days} days after the post"),
        }
    }
}

/// Everything found for and against one date.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Evidence {
    /// For.
    pub support: Vec<Support>,
    /// Against.
    pub objections: Vec<Objection>,
}

impl Evidence {
    /// The support's weight less the weighable objections'.
    pub fn score(&self) -> i32 {
        let support: i32 = self.support.iter().map(|s| s.weight()).sum();
        let against: i32 = self.objections.iter().filter_map(Objection::weight).sum();
        support - against
    }

    /// An objection that settles it against.
    pub fn refused(&self) -> Option<&Objection> {
        self.objections.iter().find(|o| o.settles())
    }

    /// Its sentence calls it the next meetup ("next meetup", "see you on").
    pub fn says_next(&self) -> bool {
        self.support
            .iter()
            .any(|s| matches!(s, Support::NextMeetup | Support::Invitation))
    }

    /// Something says whose meetup it is.
    pub fn says_ours(&self) -> bool {
        self.support.iter().any(|s| s.is_ours())
    }

    /// Clearly our next meetup: something says it is ours, nothing settles it against, and
    /// the support outweighs the doubts by [`ANNOUNCE_SCORE`].
    pub fn qualifies(&self) -> bool {
        self.refused().is_none() && self.says_ours() && self.score() >= ANNOUNCE_SCORE
    }

    /// Worth telling the organiser about when it is not announced: something reads as an
    /// announcement, or something settles it against (a deadline, another group's event).
    pub fn worth_telling(&self) -> bool {
        !self.support.is_empty() || self.refused().is_some()
    }

    fn add(&mut self, support: Support) {
        if !self.support.contains(&support) {
            self.support.push(support);
        }
    }
}

/// The names the group goes by: the site's title and the series its recaps are titled after
/// ("Cloud Native London" from "Cloud Native London March 2021: ..."), lowercase, and the same
/// squashed to letters and digits for comparing with addresses.
#[derive(Debug, Clone, Default)]
pub struct Group {
    names: Vec<String>,
    squashed: Vec<String>,
}

impl Group {
    /// From the site's title and the recap's title.
    pub fn new(site_title: &str, post_title: &str) -> Group {
        let mut names = vec![site_title.trim().to_lowercase()];
        names.extend(series(post_title));
        names.retain(|n| n.chars().filter(|c| c.is_alphanumeric()).count() >= 4);
        names.dedup();
        let squashed = names.iter().map(|n| squash(n)).collect();
        Group { names, squashed }
    }

    /// Whether `lower` (lowercase text) names the group.
    pub fn named_in(&self, lower: &str) -> bool {
        self.names
            .iter()
            .any(|n| phrase_positions(lower, n).next().is_some())
    }

    /// Whether a name (any case) is one of the group's.
    fn is_ours(&self, name: &str) -> bool {
        let s = squash(name);
        !s.is_empty()
            && self
                .squashed
                .iter()
                .any(|n| n.contains(&s) || s.contains(n.as_str()))
    }

    /// For an RSVP link: `Some(true)` when it goes to the group's own page, `Some(false)` when
    /// it goes to another group's page on a site that names groups (meetup.com), `None` when
    /// the address does not say.
    pub fn owns(&self, url: &str) -> Option<bool> {
        let parsed = url::Url::parse(url).ok()?;
        let host = parsed.host_str()?.to_ascii_lowercase();
        let path = squash(parsed.path());
        if GROUP_HOSTS.contains(&host.as_str()) {
            let slug = parsed.path_segments()?.next()?.to_owned();
            return Some(self.is_ours(&slug));
        }
        (!self.squashed.is_empty() && self.squashed.iter().any(|n| path.contains(n.as_str())))
            .then_some(true)
    }
}

/// Letters and digits, lowercase.
fn squash(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The series a recap's title names: the title before its first separator, less a trailing
/// month, year or "recap".
fn series(title: &str) -> Option<String> {
    let head = [":", " - ", " – ", " — ", ",", " | "]
        .iter()
        .filter_map(|s| title.find(s))
        .min()
        .map_or(title, |at| &title[..at]);
    let mut words: Vec<&str> = head.split_whitespace().collect();
    while let Some(last) = words.last() {
        let lower = last.to_lowercase();
        let dated = MONTHS.contains(&lower.as_str()) || lower.parse::<u32>().is_ok();
        if dated || NOT_SERIES.contains(&lower.as_str()) {
            words.pop();
        } else {
            break;
        }
    }
    (words.len() >= 2).then(|| words.join(" ").to_lowercase())
}

/// One date in one sentence, as [`weigh`] reads it.
pub struct Reading<'a> {
    /// The sentence (or "When:" line), as written.
    pub sentence: &'a str,
    /// The same, ASCII-lowercased (same byte offsets).
    pub lower: &'a str,
    /// Where the date's clause starts (after the previous date or a `;`/`—`) and where its
    /// part of the sentence ends (where the next date's starts).
    pub clause: (usize, usize),
    /// The date.
    pub date: &'a ProseDate,
    /// The links of the sentence and of the rest of its paragraph.
    pub links: &'a [&'a Link],
    /// The heading of its section.
    pub heading: Option<&'a str>,
    /// The date of the post.
    pub post_day: NaiveDate,
    /// It comes from a "When:" field.
    pub field: bool,
}

/// Where the clause holding the date at `span` starts: after the previous date (`after`) or
/// the last `;` or ` — ` before it.
pub fn clause_start(lower: &str, span: (usize, usize), after: usize) -> usize {
    let before = &lower[after.min(span.0)..span.0];
    // A break right before the date ("Save the date — 14 October") joins rather than parts.
    let cut = [";", " — ", " – "]
        .iter()
        .filter_map(|b| before.rfind(b).map(|i| i + b.len()))
        .filter(|&i| !before[i..].trim().is_empty())
        .max()
        .unwrap_or(0);
    after.min(span.0) + cut
}

/// Whether the words nearest before the date look back ("we had", "thanks to everyone who came
/// on"), or the words just after it do ("On 3 March we had..."), more closely than anything
/// looks forward.
pub fn looks_back(lower: &str, span: (usize, usize), clause: usize) -> bool {
    let (from, before) = window(lower, span.0.saturating_sub(CUE_BEFORE).max(clause), span.0);
    let (_, after) = window(lower, span.1, span.1 + CUE_AFTER);
    let nearest = |list: &[&str]| {
        list.iter()
            .filter_map(|p| phrase_positions(before, p).map(|(_, end)| end).last())
            .max()
            .map(|end| span.0 - (from + end))
    };
    let back_after = AFTER_LOOKING_BACK
        .iter()
        .filter_map(|p| phrase_positions(after, p).map(|(start, _)| start).next())
        .min();
    let forward = [
        nearest(&NEXT_MEETUP),
        nearest(&INVITATIONS),
        nearest(&UPCOMING),
        nearest(&SCHEDULED),
        nearest(&BOOKING),
    ]
    .into_iter()
    .flatten()
    .min();
    match (nearest(&LOOKING_BACK).or(back_after), forward) {
        (Some(back), Some(fwd)) => back < fwd,
        (Some(_), None) => true,
        (None, _) => false,
    }
}

/// Weighs one date: what its clause, its sentence's links and its section say.
pub fn weigh(r: &Reading<'_>, group: &Group) -> Evidence {
    let mut e = Evidence::default();
    let clause = r.clause.0.min(r.date.span.0);
    let (from, before) = window(
        r.lower,
        r.date.span.0.saturating_sub(CUE_BEFORE).max(clause),
        r.date.span.0,
    );
    let after_end = (r.date.span.1 + CUE_AFTER).min(r.clause.1.max(r.date.span.1));
    let (_, after) = window(r.lower, r.date.span.1, after_end);
    support(before, after, group, &mut e);
    if r.field {
        e.add(Support::Field);
    }
    theirs(r, before, from, group, &mut e);
    objections(before, after, &mut e);
    links(r, group, &mut e);
    heading(r, group, &mut e);
    date_itself(r, &mut e);
    e
}

/// The first phrase of `list` in `text`.
fn first_of(text: &str, list: &[&str]) -> Option<String> {
    list.iter()
        .find(|p| phrase_positions(text, p).next().is_some())
        .map(|p| (*p).to_owned())
}

/// What the words of the date's clause (`before`) and just after it say for it.
fn support(before: &str, after: &str, group: &Group, e: &mut Evidence) {
    let has = |text: &str, list: &[&str]| first_of(text, list).is_some();
    if has(before, &NEXT_MEETUP) || has(after, &AFTER_NEXT) {
        e.add(Support::NextMeetup);
    }
    if has(before, &INVITATIONS) {
        e.add(Support::Invitation);
    }
    if has(before, &UPCOMING) {
        e.add(Support::Upcoming);
    }
    if has(before, &SCHEDULED) || has(after, &AFTER_SCHEDULED) {
        e.add(Support::Scheduled);
    }
    if has(before, &BOOKING) || has(after, &BOOKING) {
        e.add(Support::Booking);
    }
    if our_meetup(before) {
        e.add(Support::OurMeetup);
    } else if has(before, &["our", "we", "we're", "we'll", "us"]) {
        e.add(Support::FirstPerson);
    }
    if group.named_in(before) || group.named_in(after) {
        e.add(Support::GroupName);
    }
}

/// What the words around the date say against it: a deadline, an offer, a conference.
fn objections(before: &str, after: &str, e: &mut Evidence) {
    if let Some(word) = first_of(before, &DEADLINES).or_else(|| first_of(after, &DEADLINES)) {
        e.objections.push(Objection::Deadline(word));
    }
    if let Some(word) = first_of(before, &DISCOUNTS).or_else(|| first_of(after, &DISCOUNTS)) {
        e.objections.push(Objection::Discount(word));
    }
    if let Some(word) = first_of(before, &CONFERENCES) {
        e.objections
            .push(Objection::Conference { word, after: false });
    } else if let Some(word) = first_of(after, &CONFERENCES) {
        e.objections
            .push(Objection::Conference { word, after: true });
    }
}

/// "our May meetup", "our festive special": "our" and a meetup word in the same few words
/// (not "our next meetup", which says more).
fn our_meetup(before: &str) -> bool {
    phrase_positions(before, "our").any(|(_, end)| {
        let (_, next) = window(before, end, end + 40);
        let words: Vec<&str> = next
            .split_whitespace()
            .take(4)
            .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
            .collect();
        let noun = words
            .iter()
            .position(|w| MEETUP_WORDS.iter().any(|m| w.starts_with(m)));
        noun.is_some_and(|n| !words[..n].contains(&"next"))
    })
}

/// Another organisation's event: "Acme are running", "their", "Example DevOps's meetup",
/// unless a first-person announcement is nearer the date ("...and see you on 16 April").
fn theirs(r: &Reading<'_>, before: &str, from: usize, group: &Group, e: &mut Evidence) {
    let nearest = |list: &[&str]| {
        list.iter()
            .filter_map(|p| {
                phrase_positions(before, p)
                    .filter(|&(_, end)| !hosting_us(before, p, end))
                    .map(|(_, end)| end)
                    .last()
            })
            .max()
    };
    // Only a first-person announcement nearer the date overrides: in "our friends at X:
    // next meetup 15 October" the next meetup is still theirs.
    let ours = [nearest(&["our next"]), nearest(&INVITATIONS)]
        .into_iter()
        .flatten()
        .max();
    if let Some(at) = nearest(&THEIRS).filter(|t| ours.is_none_or(|o| o < *t)) {
        // "our friends at London DevOps" names them after the phrase, "Acme are running"
        // before it.
        let named_after = before[..at].ends_with(" at") || before[..at].ends_with(" from");
        let name = match named_after {
            true => name_after(&r.sentence[from + at..]),
            false => name_before(&r.sentence[from..from + at]),
        };
        let name = name.unwrap_or_else(|| "their own".into());
        if !group.is_ours(&name) {
            e.objections.push(Objection::OtherOrganisation(name));
        }
        return;
    }
    if let Some(name) = possessive_owner(&r.sentence[from..from + before.len()]) {
        if group.is_ours(&name) {
            e.add(Support::GroupName);
        } else {
            e.objections.push(Objection::OtherOrganisation(name));
        }
    }
}

/// "Acme are hosting us" is ours, and so is "Acme, at their offices": a hosting phrase
/// followed by "us", or "their" not followed by an event of theirs, is no other
/// organisation's event.
fn hosting_us(before: &str, phrase: &str, end: usize) -> bool {
    if phrase == "their" {
        let owned: Vec<&str> = before[end..].split_whitespace().take(2).collect();
        return !owned.iter().any(|w| {
            let w = w.trim_matches(|c: char| !c.is_alphanumeric());
            w == "next"
                || w == "own"
                || MEETUP_WORDS
                    .iter()
                    .chain(CONFERENCES.iter())
                    .any(|m| w.starts_with(m))
        });
    }
    phrase.contains("hosting")
        && before[end..]
            .split_whitespace()
            .next()
            .is_some_and(|w| HOSTING_US.contains(&w.trim_matches(|c: char| !c.is_alphanumeric())))
}

/// The capitalised words just before the end of `text` ("Our friends at Orkes are running"
/// gives the name before "are running": here, the last capitalised run).
fn name_before(text: &str) -> Option<String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut run: Vec<&str> = Vec::new();
    for w in words.iter().rev().skip(1) {
        let bare = w.trim_matches(|c: char| !c.is_alphanumeric());
        if bare.starts_with(|c: char| c.is_uppercase()) && !bare.eq_ignore_ascii_case("our") {
            run.insert(0, bare);
        } else if !run.is_empty() {
            break;
        }
        if run.len() >= 4 {
            break;
        }
    }
    (!run.is_empty()).then(|| run.join(" "))
}

/// The capitalised words at the start of `text` ("London DevOps: next meetup").
fn name_after(text: &str) -> Option<String> {
    let mut run: Vec<&str> = Vec::new();
    for w in text.split_whitespace().take(4) {
        let bare = w.trim_matches(|c: char| !c.is_alphanumeric());
        if !bare.starts_with(|c: char| c.is_uppercase()) {
            break;
        }
        run.push(bare);
        if bare.len() + 1 < w.len() || w.ends_with([',', ':', ';', '.']) {
            break;
        }
    }
    (!run.is_empty()).then(|| run.join(" "))
}

/// "Example DevOps's next meetup", "Acme’s conference": the owner named before a meetup word.
fn possessive_owner(text: &str) -> Option<String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    for (i, w) in words.iter().enumerate().rev() {
        let Some(bare) = w.strip_suffix("'s").or_else(|| w.strip_suffix("’s")) else {
            continue;
        };
        let owns_a_meetup = words[i + 1..].iter().take(3).any(|n| {
            let n = n.to_lowercase();
            MEETUP_WORDS
                .iter()
                .chain(CONFERENCES.iter())
                .any(|m| n.starts_with(m))
        });
        if !owns_a_meetup || !bare.starts_with(|c: char| c.is_uppercase()) {
            continue;
        }
        let mut name = vec![bare];
        let mut before = None;
        for prev in words[..i].iter().rev().take(4) {
            if prev.starts_with(|c: char| c.is_uppercase()) && !prev.eq_ignore_ascii_case("our") {
                name.insert(0, prev);
            } else {
                before = Some(prev.to_lowercase());
                break;
            }
        }
        // "our New Year's meetup" is ours.
        if before.as_deref() == Some("our") {
            return None;
        }
        return Some(name.join(" "));
    }
    None
}

/// What the sentence's RSVP-like links say about whose event it is: a link to the group's
/// own page supports it; a link to the page of another organisation the sentence names
/// ("Example DevOps ... meetup.com/example-devops") settles it against. A page of a group
/// the sentence does not name says nothing: groups' page names are not always their names.
fn links(r: &Reading<'_>, group: &Group, e: &mut Evidence) {
    for link in r.links.iter().filter(|l| super::announcement::rsvp_like(l)) {
        match group.owns(&link.url) {
            Some(true) => e.add(Support::OwnRsvp),
            Some(false) => {
                let slug = url::Url::parse(&link.url)
                    .ok()
                    .and_then(|u| u.path_segments()?.next().map(squash))
                    .unwrap_or_default();
                if let Some(name) = named_owner(r.sentence, &slug, group) {
                    e.objections.push(Objection::OtherOrganisation(name));
                }
            }
            None => {}
        }
    }
}

/// A run of capitalised words in `sentence`, not the group's, that is the name in a page's
/// address (`slug`, squashed).
fn named_owner(sentence: &str, slug: &str, group: &Group) -> Option<String> {
    if slug.len() < 4 {
        return None;
    }
    let mut run: Vec<&str> = Vec::new();
    let words = sentence
        .split_whitespace()
        .map(Some)
        .chain(std::iter::once(None));
    for word in words.take(200) {
        let bare = word.map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()));
        match bare {
            Some(w) if w.starts_with(|c: char| c.is_uppercase()) => run.push(w),
            _ => {
                for from in 0..run.len() {
                    let name = run[from..].join(" ");
                    let squashed = squash(&name);
                    let same = squashed.len() >= 4
                        && (slug.contains(&squashed) || squashed.contains(slug));
                    if same && !group.is_ours(&name) {
                        return Some(name);
                    }
                }
                run.clear();
            }
        }
    }
    None
}

/// What the section's heading says: the next meetup, another month, or other things.
fn heading(r: &Reading<'_>, group: &Group, e: &mut Evidence) {
    let Some(heading) = r.heading else {
        return;
    };
    let lower = heading.to_lowercase();
    let month = MONTHS
        .iter()
        .position(|m| phrase_positions(&lower, m).next().is_some())
        .map(|i| i as u32 + 1);
    let names_us = group.named_in(&lower) || MEETUP_WORDS.iter().any(|w| lower.contains(w));
    let announces = NEXT_HEADINGS
        .iter()
        .any(|w| phrase_positions(&lower, w).next().is_some());
    let elsewhere = ELSEWHERE_HEADINGS.iter().any(|w| lower.contains(w));
    match month {
        Some(m) if names_us && m == r.date.date.month() => e.add(Support::NextHeading),
        Some(m) if names_us && m != r.date.date.month() && !announces => e
            .objections
            .push(Objection::HeadingMonth(heading.to_owned())),
        _ if announces && !elsewhere => e.add(Support::NextHeading),
        _ => {}
    }
    if elsewhere && !announces {
        e.objections
            .push(Objection::ElsewhereSection(heading.to_owned()));
    }
}

/// What the date's own writing says: a range, a weekday that does not match, a numeric date
/// that reads both ways, no month, far ahead.
fn date_itself(r: &Reading<'_>, e: &mut Evidence) {
    let d = r.date;
    if d.range {
        e.objections.push(Objection::DateRange);
    }
    if d.ambiguous {
        e.objections.push(Objection::Ambiguous);
    }
    if d.weekday.is_some_and(|w| w != d.date.weekday()) {
        e.objections.push(Objection::WeekdayMismatch);
    }
    if d.month_guessed {
        e.objections.push(Objection::MonthGuessed);
    }
    let days = (d.date - r.post_day).num_days();
    if days > FAR_AHEAD_DAYS {
        e.objections.push(Objection::FarAhead(days));
    }
}

/// Whether a text talks about the next meetup in so many words ("next meetup", "next
/// event"; not "next time").
pub fn mentions_next(lower: &str) -> bool {
    NAMES_NEXT
        .iter()
        .any(|p| phrase_positions(lower, p).next().is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_names_come_from_recap_titles() {
        assert_eq!(
            series("Cloud Native London March 2021: Logical Clocks").as_deref(),
            Some("cloud native london")
        );
        assert_eq!(
            series("Riverside Cloud Native, November 2026").as_deref(),
            Some("riverside cloud native")
        );
        assert_eq!(series("Recap").as_deref(), None);
        assert_eq!(series("May 2026 recap").as_deref(), None);
    }

    #[test]
    fn rsvp_links_say_whose_page_they_are() {
        let group = Group::new("Riverside Cloud Native", "Cloud Native London May 2023");
        for (url, want) in [
            (
                "https://www.meetup.com/Cloud-Native-London/events/1/",
                Some(true),
            ),
            (
                "https://www.meetup.com/riverside-cloud-native/events/1/",
                Some(true),
            ),
            (
                "https://www.meetup.com/example-devops/events/1/",
                Some(false),
            ),
            (
                "https://events.example.org/riverside-cloud-native/2026-05",
                Some(true),
            ),
            ("https://www.eventbrite.co.uk/e/12345", None),
            ("not a url", None),
        ] {
            assert_eq!(group.owns(url), want, "{url}");
        }
    }

    #[test]
    fn owners_are_named_before_the_meetup() {
        assert_eq!(
            possessive_owner("Example DevOps's next meetup is on").as_deref(),
            Some("Example DevOps")
        );
        assert_eq!(possessive_owner("at Acme's offices on"), None);
        assert_eq!(possessive_owner("will be our New Year’s meetup, on"), None);
        assert_eq!(
            name_before("In addition, Orkes are running").as_deref(),
            Some("Orkes")
        );
    }
}
