//! Dates and times in the wording organisers actually use: "Wednesday 7th April", "April 7th,
//! 2027", "the 2nd of June", "Thursday the 9th", "Our May meetup is on the 14th", "next month
//! on the 12th", "in September on the 10th", "Save the date: 11/06" (day first in en-GB,
//! month first in en-US, refused as ambiguous when the site says neither), "at 6:30pm",
//! "18:30-21:00", "11:59 PM (PT)"; and ranges of days ("6-8 October"), which a one-evening
//! meetup never has.
//!
//! Everything here is a single pass over the words of a text (plus a bounded look around each
//! date), so a megabyte of arbitrary input costs milliseconds and never panics.

use chrono::{Datelike, Duration, NaiveDate, NaiveTime, Weekday};

use super::vocabulary::{
    AFTER_BARE_DAY, DECEMBER_WORDS, MONTHS, MONTH_CONTEXT, MONTH_FIRST_LANGUAGES,
    MONTH_INTRODUCERS, RANGE_JOINERS, WEEKDAYS, ZONES, ZONE_NEEDS_SUFFIX, ZONE_SUFFIXES,
};

/// A date found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProseDate {
    /// The date, with the year inferred when the text has none.
    pub date: NaiveDate,
    /// The weekday the text states, if any (it may disagree with the date).
    pub weekday: Option<Weekday>,
    /// A time of day stated next to the date (`6:30pm`, `18:30`).
    pub time: Option<NaiveTime>,
    /// The time zone written after the time (`PT`, `uk time`, `utc+2`), lowercase.
    pub zone: Option<String>,
    /// Byte range of the date's words in the text, weekday included.
    pub span: (usize, usize),
    /// Written with digits only (`11/06`): callers want a clearer context.
    pub numeric: bool,
    /// Written with digits that read both ways on this site (`11/06` where the site's
    /// language does not say whether the day or the month comes first).
    pub ambiguous: bool,
    /// Part of a range of days ("6-8 October", "from 6 to 8 October").
    pub range: bool,
    /// No month written or implied: "the 14th" is taken as the next 14th after the anchor.
    pub month_guessed: bool,
}

/// Which part of a numeric date comes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOrder {
    /// `11/06` is 11 June (en-GB and most of the world).
    DayFirst,
    /// `11/06` is 6 November (en-US).
    MonthFirst,
    /// The site does not say (`en`): only dates that read one way are taken.
    Unknown,
}

impl DateOrder {
    /// The order a site's language tag (`en-GB`, `en-US`, `de`) implies.
    pub fn for_language(tag: &str) -> DateOrder {
        let tag = tag.trim().to_ascii_lowercase().replace('_', "-");
        if MONTH_FIRST_LANGUAGES.contains(&tag.as_str()) {
            DateOrder::MonthFirst
        } else if tag == "en" || tag.is_empty() {
            DateOrder::Unknown
        } else {
            DateOrder::DayFirst
        }
    }
}

/// What a text's dates are read against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateContext {
    /// The post's date: year-less dates are placed relative to it.
    pub anchor: NaiveDate,
    /// How numeric dates are read.
    pub order: DateOrder,
}

/// How long before the anchor a year-less date still counts as this year's (a stale or past
/// date) rather than next year's: a May post saying "2nd May" means this May, a December post
/// saying "8th January" means next January.
pub const PAST_GRACE_DAYS: i64 = 92;
/// How many words after (and before) a date are searched for its time.
const TIME_WORDS_AFTER: usize = 10;
const TIME_WORDS_BEFORE: usize = 8;

/// One word of a text and where it is.
#[derive(Debug, Clone, Copy)]
struct Token<'a> {
    text: &'a str,
    start: usize,
    end: usize,
}

fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            ',' | '('
                | ')'
                | '!'
                | '?'
                | ';'
                | '*'
                | '_'
                | '['
                | ']'
                | '"'
                | '“'
                | '”'
                | '<'
                | '>'
                | '{'
                | '}'
                | '|'
                | '—'
                | '…'
        )
}

/// The words of `text` with their byte offsets, stripped of surrounding `.:'-/` and quotes.
fn tokens(text: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        match (start, is_separator(c)) {
            (None, false) => start = Some(i),
            (Some(s), true) => {
                push_trimmed(&mut out, text, s, i);
                start = None;
            }
            _ => {}
        }
    }
    out
}

fn push_trimmed<'a>(out: &mut Vec<Token<'a>>, text: &'a str, start: usize, end: usize) {
    let raw = &text[start..end];
    let trim = |c: char| matches!(c, '.' | ':' | '\'' | '’' | '‘' | '-' | '–' | '/');
    let left = raw.trim_start_matches(trim);
    let word = left.trim_end_matches(trim);
    if word.is_empty() {
        return;
    }
    let s = start + (raw.len() - left.len());
    out.push(Token {
        text: word,
        start: s,
        end: s + word.len(),
    });
}

fn month(word: &str) -> Option<u32> {
    if word.len() < 3 || word.len() > 9 {
        return None;
    }
    let w = word.to_ascii_lowercase();
    let w = w.strip_suffix('.').unwrap_or(&w);
    MONTHS
        .iter()
        .position(|m| {
            *m == w || (w.len() == 3 && m.starts_with(w)) || (w == "sept" && *m == "september")
        })
        .map(|i| i as u32 + 1)
}

/// A month name that is surely a month: "May" the month is capitalised, "may" the verb is not.
fn month_strict(word: &str) -> Option<u32> {
    month(word).filter(|&m| m != 5 || word.starts_with('M'))
}

fn weekday(word: &str) -> Option<Weekday> {
    if word.len() < 3 || word.len() > 9 {
        return None;
    }
    let w = word.to_ascii_lowercase();
    // Three-letter forms ("Sun", "Wed") only capitalised: "sun" and "wed" are words too.
    let short_ok = word.starts_with(|c: char| c.is_ascii_uppercase());
    WEEKDAYS
        .iter()
        .find(|(name, _)| *name == w || (w.len() == 3 && short_ok && name.starts_with(&w)))
        .map(|(_, d)| *d)
}

/// `7`, `7th`, `21st`, `2nd`, `3rd` -> 7, 21, 2, 3; with whether it had a suffix.
fn day(word: &str) -> Option<(u32, bool)> {
    if word.is_empty() || word.len() > 4 {
        return None;
    }
    let lower = word.to_ascii_lowercase();
    let stripped = ["st", "nd", "rd", "th"]
        .iter()
        .find_map(|s| lower.strip_suffix(s));
    let digits = stripped.unwrap_or(&lower);
    if digits.is_empty() || digits.len() > 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u32 = digits.parse().ok()?;
    (1..=31).contains(&n).then_some((n, stripped.is_some()))
}

/// `6-8`, `6th–8th`: the first day of a range of days written as one word.
fn day_range(word: &str) -> Option<u32> {
    let (a, b) = word.split_once(['-', '–'])?;
    let (first, _) = day(a)?;
    let (last, _) = day(b)?;
    (first < last).then_some(first)
}

fn year(word: &str) -> Option<i32> {
    (word.len() == 4 && word.bytes().all(|b| b.is_ascii_digit()))
        .then(|| word.parse().ok())
        .flatten()
        .filter(|y| (1990..=2200).contains(y))
}

/// The year-less `day month` nearest the anchor: this year's unless that is more than
/// [`PAST_GRACE_DAYS`] before the anchor, then next year's.
fn infer_year(m: u32, d: u32, anchor: NaiveDate) -> Option<NaiveDate> {
    match NaiveDate::from_ymd_opt(anchor.year(), m, d) {
        Some(date)
            if anchor
                .checked_sub_signed(Duration::days(PAST_GRACE_DAYS))
                .is_none_or(|earliest| date >= earliest) =>
        {
            Some(date)
        }
        _ => NaiveDate::from_ymd_opt(anchor.year() + 1, m, d),
    }
}

/// The first `d`th of a month strictly after the anchor ("on the 14th").
fn next_day_of_month(d: u32, anchor: NaiveDate) -> Option<NaiveDate> {
    let (mut y, mut m) = (anchor.year(), anchor.month());
    for _ in 0..14 {
        if let Some(date) = NaiveDate::from_ymd_opt(y, m, d).filter(|date| *date > anchor) {
            return Some(date);
        }
        (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    }
    None
}

/// A date's words: the day and month (month may be unknown for "the 14th"), and the index of
/// the last word used.
#[derive(Debug, Default)]
struct Parts {
    day: u32,
    month: Option<u32>,
    year: Option<i32>,
    last: usize,
    numeric: bool,
    range: bool,
    /// A numeric date's other reading (day, month), when it has one.
    other: Option<(u32, u32)>,
}

fn lower_is(t: Option<&Token<'_>>, word: &str) -> bool {
    t.is_some_and(|t| t.text.eq_ignore_ascii_case(word))
}

/// Tries every date shape that starts at word `i`.
fn parts_at(words: &[Token<'_>], i: usize, order: DateOrder) -> Option<Parts> {
    let w = words[i].text;
    if let Some(first) = day_range(w) {
        let m = words.get(i + 1).and_then(|t| month(t.text))?;
        return Some(Parts {
            range: true,
            ..with_year(words, first, m, i + 1)
        });
    }
    if let Some((d, ordinal)) = day(w) {
        if let Some(m) = words.get(i + 1).and_then(|t| month(t.text)) {
            return Some(with_year(words, d, m, i + 1));
        }
        if lower_is(words.get(i + 1), "of") {
            if let Some(m) = words.get(i + 2).and_then(|t| month(t.text)) {
                return Some(with_year(words, d, m, i + 2));
            }
        }
        return bare_day(words, i, d, ordinal);
    }
    if let Some(m) = month_strict(w) {
        return month_first(words, i, m);
    }
    numeric(words, i, order)
}

/// "April 7th", "April the 7th", "October 6-8".
fn month_first(words: &[Token<'_>], i: usize, m: u32) -> Option<Parts> {
    let next = if lower_is(words.get(i + 1), "the") {
        i + 2
    } else {
        i + 1
    };
    let word = words.get(next)?.text;
    if let Some(first) = day_range(word) {
        return Some(Parts {
            range: true,
            ..with_year(words, first, m, next)
        });
    }
    let (d, _) = day(word)?;
    Some(with_year(words, d, m, next))
}

fn with_year(words: &[Token<'_>], day: u32, month: u32, last: usize) -> Parts {
    let year = words.get(last + 1).and_then(|t| year(t.text));
    Parts {
        day,
        month: Some(month),
        year,
        last: if year.is_some() { last + 1 } else { last },
        ..Parts::default()
    }
}

/// "on the 14th", "Thursday the 9th": an ordinal after "the", after "on" or a weekday, and not
/// followed by a noun ("the 2nd floor", "the 3rd talk", "the 6th anniversary").
fn bare_day(words: &[Token<'_>], i: usize, d: u32, ordinal: bool) -> Option<Parts> {
    let the = i.checked_sub(1).map(|j| &words[j]);
    let before = i.checked_sub(2).map(|j| &words[j]);
    let introduced = lower_is(the, "the")
        && before.is_some_and(|t| t.text.eq_ignore_ascii_case("on") || weekday(t.text).is_some());
    let next_ok = words.get(i + 1).is_none_or(|t| {
        let lower = t.text.to_ascii_lowercase();
        !t.text.starts_with(|c: char| c.is_ascii_lowercase())
            || AFTER_BARE_DAY.contains(&lower.as_str())
    });
    (ordinal && introduced && next_ok).then_some(Parts {
        day: d,
        last: i,
        ..Parts::default()
    })
}

/// Words before a numeric date that make it one ("on 11/06", "Save the date: 11/06").
const NUMERIC_INTRODUCERS: [&str; 4] = ["on", "date", "when", "meetup"];

/// `11/06`, `11/6/26`, `11/06/2026` after "on", "date", "when" or a weekday, read in the
/// site's order unless only one order gives a date; `2026-06-11` anywhere.
fn numeric(words: &[Token<'_>], i: usize, order: DateOrder) -> Option<Parts> {
    let w = words[i].text;
    if w.len() > 10
        || !w
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'/' || b == b'-')
    {
        return None;
    }
    let num = |s: &str| -> Option<u32> {
        (!s.is_empty() && s.len() <= 4)
            .then(|| s.parse().ok())
            .flatten()
    };
    let parts: Vec<&str> = w.split(['/', '-']).collect();
    if w.contains('-') {
        let [y, m, d] = parts[..] else { return None };
        if y.len() != 4 || m.len() > 2 || d.len() > 2 {
            return None;
        }
        return Some(Parts {
            day: num(d)?,
            month: Some(num(m)?),
            year: Some(i32::try_from(num(y)?).ok()?),
            last: i,
            ..Parts::default()
        });
    }
    let introduced = i.checked_sub(1).is_some_and(|j| {
        let t = words[j].text;
        NUMERIC_INTRODUCERS
            .iter()
            .any(|w| t.eq_ignore_ascii_case(w))
            || weekday(t).is_some()
    });
    if !introduced || parts.len() > 3 || parts.iter().take(2).any(|p| p.len() > 2) {
        return None;
    }
    let (a, b) = (num(parts[0])?, num(parts.get(1)?)?);
    let y = match parts.get(2) {
        None => None,
        Some(y) if y.len() == 2 => Some(2000 + i32::try_from(num(y)?).ok()?),
        Some(y) if y.len() == 4 => Some(year(y)?),
        Some(_) => return None,
    };
    let (d, m, other) = day_and_month(a, b, order)?;
    Some(Parts {
        day: d,
        month: Some(m),
        year: y,
        last: i,
        numeric: true,
        other,
        ..Parts::default()
    })
}

/// A day and a month.
type DayMonth = (u32, u32);

/// The day and month of a numeric date `a/b`, and its other reading when it reads both ways:
/// in the site's order, unless only one order gives a date (`9/16`).
fn day_and_month(a: u32, b: u32, order: DateOrder) -> Option<(u32, u32, Option<DayMonth>)> {
    let (day_first, month_first) = ((1..=12).contains(&b), (1..=12).contains(&a) && b <= 31);
    Some(match (day_first, month_first, order) {
        (true, true, _) if a == b => (a, b, None),
        (true, true, DateOrder::MonthFirst) => (b, a, Some((a, b))),
        (true, true, _) => (a, b, Some((b, a))),
        (true, false, _) => (a, b, None),
        (false, true, _) => (b, a, None),
        (false, false, _) => return None,
    })
}

/// Words that give a month to a bare "the 14th" in the same text: "our May meetup", "in
/// September", "next month", "our Xmas edition". (word index, month).
fn month_contexts(words: &[Token<'_>], anchor: NaiveDate) -> Vec<(usize, u32)> {
    let mut out = Vec::new();
    for (i, w) in words.iter().enumerate() {
        let lower = w.text.to_ascii_lowercase();
        let next = words.get(i + 1).map(|t| t.text.to_ascii_lowercase());
        let next = next.as_deref().unwrap_or("");
        if let Some(m) = month_strict(w.text) {
            let noun = next.strip_suffix('s').unwrap_or(next);
            let before = i.checked_sub(1).map(|j| words[j].text.to_ascii_lowercase());
            let introduced = before.is_some_and(|b| MONTH_INTRODUCERS.contains(&b.as_str()));
            if MONTH_CONTEXT.contains(&noun) || introduced {
                out.push((i, m));
            }
        } else if lower == "next" && next == "month" {
            out.push((i, anchor.month() % 12 + 1));
        } else if DECEMBER_WORDS.contains(&lower.as_str()) {
            out.push((i, 12));
        }
    }
    out
}

/// The weekday stated just before word `first` ("Thursday 9 April", "Thursday the 9th",
/// "Thu, 9 Apr").
fn weekday_before(words: &[Token<'_>], first: usize) -> Option<(Weekday, usize)> {
    let j = first.checked_sub(1)?;
    if let Some(d) = weekday(words[j].text) {
        return Some((d, j));
    }
    let k = j.checked_sub(1)?;
    if lower_is(Some(&words[j]), "the") {
        return weekday(words[k].text).map(|d| (d, k));
    }
    None
}

/// Every date in `text`, in order, with numeric dates read day first (see [`find_all_in`]).
pub fn find_all(text: &str, anchor: NaiveDate) -> Vec<ProseDate> {
    find_all_in(
        text,
        &DateContext {
            anchor,
            order: DateOrder::DayFirst,
        },
    )
}

/// Every date in `text`, in order. Year-less dates are placed relative to the anchor (the
/// post's date): see [`infer_year`]; "the 14th" takes its month from the text ("next month",
/// "in September", "our May meetup"), else it is the next 14th after the anchor.
pub fn find_all_in(text: &str, ctx: &DateContext) -> Vec<ProseDate> {
    let words = tokens(text);
    let contexts = month_contexts(&words, ctx.anchor);
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let Some(parts) = parts_at(&words, i, ctx.order) else {
            i += 1;
            continue;
        };
        let first = if parts.month.is_none() && i > 0 {
            i - 1
        } else {
            i
        };
        if let Some(found) = read_parts(&words, text, &parts, first, &contexts, ctx) {
            out.push(found);
        }
        i = parts.last + 1;
    }
    mark_ranges(text, &mut out);
    out
}

/// The date that parts found at word `first` make, with its weekday, time and zone.
fn read_parts(
    words: &[Token<'_>],
    text: &str,
    parts: &Parts,
    first: usize,
    contexts: &[(usize, u32)],
    ctx: &DateContext,
) -> Option<ProseDate> {
    let anchor = ctx.anchor;
    let context = context_month(contexts, first);
    let dated = |d: u32, m: u32| match parts.year {
        Some(y) => NaiveDate::from_ymd_opt(y, m, d),
        None => infer_year(m, d, anchor),
    };
    let (mut date, month_guessed) = match (parts.month, context) {
        (Some(m), _) => (dated(parts.day, m)?, false),
        (None, Some(m)) => (infer_year(m, parts.day, anchor)?, false),
        (None, None) => (next_day_of_month(parts.day, anchor)?, true),
    };
    let (weekday, from) = match weekday_before(words, first) {
        Some((d, j)) => (Some(d), j),
        None => (None, first),
    };
    let mut ambiguous = parts.other.is_some() && ctx.order == DateOrder::Unknown;
    // A stated weekday settles a numeric date that reads both ways.
    if let (Some(stated), Some((d, m))) = (weekday, parts.other) {
        let other = dated(d, m);
        if date.weekday() != stated && other.is_some_and(|o| o.weekday() == stated) {
            date = other?;
            ambiguous = false;
        } else if date.weekday() == stated {
            ambiguous = false;
        }
    }
    let (time, zone) =
        time_near(words, from, parts.last).map_or((None, None), |(t, z)| (Some(t), z));
    Some(ProseDate {
        date,
        weekday,
        time,
        zone,
        span: (words[from].start, words[parts.last].end),
        numeric: parts.numeric,
        ambiguous,
        range: parts.range || range_before(words, text, from),
        month_guessed,
    })
}

/// Whether the date starting at word `first` ends a range: "6 to 8 October", "6 - 8 Oct".
fn range_before(words: &[Token<'_>], text: &str, first: usize) -> bool {
    let Some(j) = first.checked_sub(1) else {
        return false;
    };
    let prev = &words[j];
    let lower = prev.text.to_ascii_lowercase();
    if RANGE_JOINERS.contains(&lower.as_str()) || lower == "and" || lower == "&" {
        return j
            .checked_sub(1)
            .is_some_and(|k| day(words[k].text).is_some());
    }
    // A dash on its own is not a word: look at the text between.
    day(prev.text).is_some() && text[prev.end..words[first].start].contains(['-', '–', '—'])
}

/// Dates joined by "to", a dash or "and" ("from 6 October to 8 October") are a range.
fn mark_ranges(text: &str, dates: &mut [ProseDate]) {
    for i in 1..dates.len() {
        let (a, b) = (dates[i - 1].span.1, dates[i].span.0);
        let gap = text.get(a..b).unwrap_or("").trim().to_ascii_lowercase();
        // "6 and 7 October" is two days of one event; "14 October and 11 November" is a list.
        let listed = gap == "and" || gap == "&";
        let close = (dates[i].date - dates[i - 1].date).num_days().abs() <= 7;
        if RANGE_JOINERS.contains(&gap.as_str()) || (listed && close) {
            dates[i - 1].range = true;
            dates[i].range = true;
        }
    }
}

/// The month of the nearest month word before word `i`, else the first after it.
fn context_month(contexts: &[(usize, u32)], i: usize) -> Option<u32> {
    let after = contexts.partition_point(|(j, _)| *j < i);
    after
        .checked_sub(1)
        .map(|k| contexts[k].1)
        .or_else(|| contexts.get(after).map(|c| c.1))
}

/// The first date in `text` (see [`find_all`]).
pub fn find(text: &str, anchor: NaiveDate) -> Option<ProseDate> {
    find_all(text, anchor).into_iter().next()
}

/// The time stated within a few words after the date (`at 6:30pm`), else just before it
/// (`doors at 7pm on 9 Dec`), with the zone written after it.
fn time_near(
    words: &[Token<'_>],
    first: usize,
    last: usize,
) -> Option<(NaiveTime, Option<String>)> {
    let after = (last + 1).min(words.len());
    let after_end = (last + 1 + TIME_WORDS_AFTER).min(words.len());
    let before_start = first.saturating_sub(TIME_WORDS_BEFORE);
    let (time, at) = time_in(&words[after..after_end])
        .map(|(t, i)| (t, after + i))
        .or_else(|| time_in(&words[before_start..first]).map(|(t, i)| (t, before_start + i)))?;
    Some((time, zone_after(words, at + 1)))
}

/// A time of day written as `18:30`, `6:30pm`, `6.30 pm`, `7pm`, `6:30-9pm`, `noon`.
pub fn parse_time(text: &str) -> Option<NaiveTime> {
    time_in(&tokens(text)).map(|(t, _)| t)
}

/// The first time among `words`, and the index of its last word.
fn time_in(words: &[Token<'_>]) -> Option<(NaiveTime, usize)> {
    words.iter().enumerate().find_map(|(i, w)| {
        let lower = w.text.to_ascii_lowercase();
        if lower == "noon" || lower == "midday" {
            return NaiveTime::from_hms_opt(12, 0, 0).map(|t| (t, i));
        }
        let next = words.get(i + 1).map(|n| n.text.to_ascii_lowercase());
        one_time(&lower, next.as_deref()).map(|(t, used_next)| (t, i + usize::from(used_next)))
    })
}

/// A zone written at word `i` ("PT", "BST", "UK time", "UTC+2"), lowercase. Abbreviations
/// count only in capitals ("7pm ET", not "et al").
fn zone_after(words: &[Token<'_>], i: usize) -> Option<String> {
    let word = words.get(i)?.text;
    let lower = word.to_ascii_lowercase();
    if super::zone::fixed_offset(&lower).is_some() {
        return Some(lower);
    }
    if !ZONES.iter().any(|(z, _)| *z == lower) {
        return None;
    }
    if ZONE_NEEDS_SUFFIX.contains(&lower.as_str()) {
        let suffix = words.get(i + 1).map(|t| t.text.to_ascii_lowercase())?;
        return ZONE_SUFFIXES
            .contains(&suffix.as_str())
            .then(|| format!("{lower} {suffix}"));
    }
    (word.chars().all(|c| c.is_ascii_uppercase())).then_some(lower)
}

/// `pm`/`am`, with or without dots.
fn meridiem(s: &str) -> Option<(&str, bool)> {
    for (suffix, pm) in [("pm", true), ("p.m", true), ("am", false), ("a.m", false)] {
        if let Some(body) = s.strip_suffix(suffix) {
            return Some((body.trim_end_matches([' ', '.']), pm));
        }
    }
    None
}

/// A time in `word` (with `next` as its am/pm, "6:30 pm"), and whether `next` was used.
fn one_time(word: &str, next: Option<&str>) -> Option<(NaiveTime, bool)> {
    // "6:30-9pm": the range's end lends its am/pm to its start.
    let mut pieces = word.split(['-', '–']);
    let first = pieces.next()?;
    let last = pieces.next_back();
    let mut used_next = false;
    let (body, pm) = match meridiem(first) {
        Some((body, pm)) => (body, Some(pm)),
        None => {
            let own = last.and_then(meridiem);
            let lent = own.or_else(|| {
                let n = next.and_then(|n| meridiem(n).filter(|(b, _)| b.is_empty()));
                used_next = n.is_some();
                n
            });
            (first, lent.map(|(_, pm)| pm))
        }
    };
    let (h, m) = match body.split_once([':', '.']) {
        Some((h, m)) if m.len() == 2 && (body.contains(':') || pm.is_some()) => (h, m),
        None if pm.is_some() => (body, "00"),
        _ => return None,
    };
    if h.is_empty() || h.len() > 2 || !h.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (mut h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    match pm {
        Some(_) if !(1..=12).contains(&h) => return None,
        Some(true) if h < 12 => h += 12,
        Some(false) if h == 12 => h = 0,
        // Without am/pm only a 24-hour time is unambiguous: "6:30" is left unstated.
        None if !(8..=23).contains(&h) => return None,
        _ => {}
    }
    NaiveTime::from_hms_opt(h, m, 0).map(|t| (t, used_next))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn t(h: u32, m: u32) -> Option<NaiveTime> {
        NaiveTime::from_hms_opt(h, m, 0)
    }

    fn date_of(text: &str, anchor: NaiveDate) -> Option<NaiveDate> {
        find(text, anchor).map(|p| p.date)
    }

    #[test]
    fn organisers_wordings() {
        let post = d(2021, 3, 3);
        let found = find(
            "Our next meetup will be Wednesday 7th April, when we'll be joined by",
            post,
        )
        .unwrap();
        assert_eq!(found.date, d(2021, 4, 7));
        assert_eq!(found.weekday, Some(Weekday::Wed));
        assert_eq!(found.span, (24, 43));
        let found = find("The next meetup is on Wednesday 6 February", d(2019, 1, 10)).unwrap();
        assert_eq!(found.date, d(2019, 2, 6));
        let found = find(
            "Join us at the next meetup on Wednesday, April 7th at 6:30pm.",
            post,
        )
        .unwrap();
        assert_eq!((found.date, found.time), (d(2021, 4, 7), t(18, 30)));
        let found = find("next meetup on 7 November", d(2018, 10, 9)).unwrap();
        assert_eq!((found.date, found.weekday), (d(2018, 11, 7), None));
    }

    #[test]
    fn day_of_month_thursday_the_and_abbreviations() {
        let post = d(2026, 5, 1);
        assert_eq!(
            date_of("We'll be back on the 2nd of June with talks", post),
            Some(d(2026, 6, 2))
        );
        let found = find("See you all on Thursday the 9th of July!", post).unwrap();
        assert_eq!(
            (found.date, found.weekday),
            (d(2026, 7, 9), Some(Weekday::Thu))
        );
        let found = find("next up: Tue 8 Sept", post).unwrap();
        assert_eq!(
            (found.date, found.weekday),
            (d(2026, 9, 8), Some(Weekday::Tue))
        );
        assert_eq!(
            date_of("see you on June 11th, 2027", post),
            Some(d(2027, 6, 11))
        );
        assert_eq!(
            date_of("the event on 2026-06-11 is open", post),
            Some(d(2026, 6, 11))
        );
    }

    #[test]
    fn a_bare_ordinal_takes_its_month_from_context_or_is_the_next_one() {
        let post = d(2026, 4, 20);
        assert_eq!(
            date_of("Our May meetup is on the 14th.", post),
            Some(d(2026, 5, 14))
        );
        // No month: the next 14th after the post.
        assert_eq!(date_of("see you on the 14th", post), Some(d(2026, 5, 14)));
        assert_eq!(
            date_of("see you on the 24th at 7pm", post),
            Some(d(2026, 4, 24))
        );
        assert_eq!(
            date_of("see you on the 31st", d(2026, 4, 1)),
            Some(d(2026, 5, 31))
        );
        // A December post's bare "the 8th" is in January.
        assert_eq!(
            date_of("back on the 8th", d(2026, 12, 10)),
            Some(d(2027, 1, 8))
        );
        // Ordinals that are not dates.
        assert_eq!(date_of("the talk on the 2nd floor", post), None);
        assert_eq!(date_of("the 3rd talk was the best", post), None);
        assert_eq!(date_of("we may meet on the 14", post), None);
    }

    #[test]
    fn numeric_dates_are_day_first_and_need_an_introduction() {
        let post = d(2026, 5, 20);
        let found = find("Save the date: 11/06 for our summer social", post).unwrap();
        assert_eq!((found.date, found.numeric), (d(2026, 6, 11), true));
        assert_eq!(
            date_of("on 3/7/26 at Example Hall", post),
            Some(d(2026, 7, 3))
        );
        assert_eq!(
            date_of("Thursday 2/7/2026 it is", post),
            Some(d(2026, 7, 2))
        );
        assert_eq!(date_of("24/7 support and 1/2 price pizza", post), None);
        assert_eq!(date_of("on 13/13", post), None);
        assert_eq!(date_of("on 11/06/123", post), None);
    }

    #[test]
    fn december_posts_roll_into_january_and_recent_past_stays_past() {
        assert_eq!(
            date_of(
                "Join us at the next meetup on Wednesday 8th January",
                d(2019, 12, 10)
            ),
            Some(d(2020, 1, 8))
        );
        assert_eq!(
            date_of("see you on 14 January", d(2026, 12, 2)),
            Some(d(2027, 1, 14))
        );
        // A date shortly before the post is this year's (a stale paragraph), not next year's.
        assert_eq!(
            date_of(
                "Our next meetup will be on Wednesday 3rd May",
                d(2023, 5, 3)
            ),
            Some(d(2023, 5, 3))
        );
        assert_eq!(
            date_of("next meetup on 2 May", d(2023, 5, 3)),
            Some(d(2023, 5, 2))
        );
    }

    #[test]
    fn explicit_years_are_kept_and_times_parsed() {
        let found = find("on Thursday 3 March 2022 from 18:00", d(2021, 12, 1)).unwrap();
        assert_eq!((found.date, found.time), (d(2022, 3, 3), t(18, 0)));
        assert_eq!(
            find("doors at 7pm on 9 Dec", d(2026, 11, 1)).unwrap().time,
            t(19, 0)
        );
        for (text, time) in [
            ("6:30pm", t(18, 30)),
            ("6.30 pm", t(18, 30)),
            ("7 p.m.", t(19, 0)),
            ("6:30-9pm", t(18, 30)),
            ("18:30–21:00", t(18, 30)),
            ("12pm", t(12, 0)),
            ("12am", t(0, 0)),
            ("noon", t(12, 0)),
            ("19:00 BST", t(19, 0)),
            ("6:30", None),
            ("11.06", None),
            ("30:37", None),
            ("1:01:08", None),
            ("13pm", None),
            ("at 25:00", None),
        ] {
            assert_eq!(parse_time(text), time, "{text}");
        }
    }

    #[test]
    fn no_date_means_none() {
        for text in [
            "Looking forward to the next event in August!",
            "may the force be with you",
            "",
            "on 31st February",
            "(starting at 30:37)",
            "The Sun 9 rays",
        ] {
            assert_eq!(date_of(text, d(2017, 7, 5)), None, "{text}");
        }
    }

    #[test]
    fn every_date_of_a_text_in_order() {
        let all = find_all(
            "We met on 3 March; next is 7 April, then the 5th of May.",
            d(2026, 3, 10),
        );
        let dates: Vec<_> = all.iter().map(|p| p.date).collect();
        assert_eq!(dates, [d(2026, 3, 3), d(2026, 4, 7), d(2026, 5, 5)]);
    }
}
