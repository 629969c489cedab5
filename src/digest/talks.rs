//! The talks a recap lists: titles, speakers and video links with their start times.
//!
//! Recaps list talks in a few shapes, all read here from the post's Markdown blocks:
//! - a paragraph or list item per talk: `**Ada Lovelace** (Example Ltd) opened with *"Title"*
//!   (starting at [04:10](https://youtu.be/...?t=250))`, or in prose, `Ada Lovelace from
//!   Example Ltd discussing Title (starting at 12:34)`, or `"Title" by Ada Lovelace — [video]`;
//! - a heading per talk, with a speaker line and a video link below it;
//! - a table with title, speaker and video columns.
//!
//! A talk needs a title found in the text; nothing is made up, so a recap that lists no talks
//! gets none. `talks:` front matter, when a post has it, wins over all of this.

use super::announcement::shorten;
use super::blocks::{self, Block, Kind, Link};
use super::reading::Doubt;
use super::vocabulary::{
    GENERIC_HEADINGS, NOT_NAMES, PARTICLES, SPEAKER_COLUMNS, SPEAKER_PREFIXES, TALK_MARKERS,
    TIMESTAMP_OPENINGS, TITLE_COLUMNS, VIDEO_COLUMNS, VIDEO_WORDS,
};
use super::Talk;
use crate::content::Post;
use crate::urls::{video_watch_url, youtube_id};

/// Most talks shown for one recap.
pub const MAX_TALKS: usize = 8;
/// Most speakers remembered from a whole recap, and bold spans looked at in one paragraph.
const MAX_ROSTER: usize = 32;
const MAX_BOLD: usize = 32;
/// Longest title and speaker line kept (characters).
const MAX_TITLE: usize = 160;
const MAX_SPEAKERS: usize = 160;
/// How far before a talk's video link or time stamp its title and speakers are looked for.
const LOOK_BACK: usize = 600;

/// A recap's talks and where they come from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listed {
    /// The talks, in order.
    pub talks: Vec<Talk>,
    /// From `talks:` front matter rather than the text.
    pub from_front_matter: bool,
    /// What is wrong with the `talks:` front matter.
    pub doubts: Vec<Doubt>,
}

/// The talks of a post: its `talks:` front matter when it has one, else the ones its `body`
/// lists.
pub fn for_post(post: &Post, body: &str) -> Listed {
    let (listed, doubts) = super::front_matter::talks(post);
    match listed {
        Some(talks) => Listed {
            talks,
            from_front_matter: true,
            doubts,
        },
        None => Listed {
            talks: find(body, post.video.as_deref()),
            from_front_matter: false,
            doubts,
        },
    }
}

/// A talk with its title and speakers cut to length, and the video at `seconds` (when the link
/// does not say where to start already).
pub fn talk(
    title: &str,
    speakers: Option<String>,
    video: Option<&str>,
    seconds: Option<u32>,
) -> Talk {
    let video = video.map(|v| video_at(v, seconds));
    let starts = video.as_deref().and_then(start_of).map(clock);
    Talk {
        title: shorten(title, MAX_TITLE),
        speakers: speakers.map(|s| shorten(&s, MAX_SPEAKERS)),
        video,
        video_at: starts,
    }
}

/// The talks a recap's Markdown `body` lists, in order, at most [`MAX_TALKS`]. `post_video` is
/// the recap's own video: a talk that gives only a time stamp ("starting at 09:30") links
/// there at that time.
pub fn find(body: &str, post_video: Option<&str>) -> Vec<Talk> {
    let blocks = blocks::parse(body);
    let roster: Vec<Speaker> = blocks
        .iter()
        .flat_map(|b| pairs(&b.text))
        .take(MAX_ROSTER)
        .collect();
    let mut found: Vec<(usize, Talk)> = Vec::new();
    let mut claimed = vec![false; blocks.len()];
    for (i, block) in blocks.iter().enumerate() {
        let talks = match block.kind {
            Kind::Heading(_) => continue,
            Kind::TableRow { header: true, .. } => continue,
            Kind::TableRow { table, .. } => table_talk(&blocks, i, table).map(|t| vec![t]),
            _ => block_talk(block, &roster, post_video).map(|t| vec![t]),
        };
        if let Some(talks) = talks {
            claimed[i] = true;
            found.extend(talks.into_iter().map(|t| (block.line, t)));
        }
    }
    found.extend(heading_talks(&blocks, &claimed, post_video));
    found.sort_by_key(|(line, _)| *line);
    let mut out: Vec<Talk> = Vec::new();
    for (_, mut talk) in found {
        if let Some(full) = talk.speakers.as_deref().and_then(|s| full_name(&blocks, s)) {
            talk.speakers = Some(full);
        }
        if !out.iter().any(|t| t.title == talk.title) && out.len() < MAX_TALKS {
            out.push(talk);
        }
    }
    out
}

/// The full name the recap gives elsewhere for a speaker it calls by a first name ("Michael's
/// talk", with "[Michael Hausenblas](...)" in the introduction): a link text or bold text of
/// two to four capitalised words that starts with that name.
fn full_name(blocks: &[Block], first: &str) -> Option<String> {
    if first.contains(' ') || !capitalised(first) {
        return None;
    }
    let named = |text: &str| {
        let words: Vec<&str> = text.split_whitespace().collect();
        ((2..=4).contains(&words.len())
            && words[0] == first
            && words[1..]
                .iter()
                .all(|w| capitalised(w) || PARTICLES.contains(w)))
        .then(|| words.join(" "))
    };
    blocks.iter().take(256).find_map(|b| {
        let links = b.links.iter().map(|l| l.label.as_str());
        let bold = b.strong.iter().map(|&(s, e)| &b.text[s..e]);
        links.chain(bold).take(64).find_map(named)
    })
}

/// A speaker named as "Ada Lovelace from Example Ltd".
#[derive(Debug, Clone, PartialEq, Eq)]
struct Speaker {
    name: String,
    company: String,
    /// Byte range in the text it was found in.
    span: (usize, usize),
}

impl Speaker {
    fn display(&self) -> String {
        format!("{} ({})", self.name, self.company)
    }
}

fn capitalised(word: &str) -> bool {
    word.starts_with(|c: char| c.is_uppercase())
}

/// Every "Name Surname from Company" in a text.
fn pairs(text: &str) -> Vec<Speaker> {
    let mut out = Vec::new();
    for (at, _) in text.match_indices(" from ").take(64) {
        let window = tail(&text[..at], 80);
        let offset = at - window.len();
        let before = word_starts(window);
        let mut name: Vec<(usize, &str)> = Vec::new();
        for &(i, w) in before.iter().rev().take(4) {
            let ends_clause = w.ends_with([',', '.', ';', ':', '!', '?', ')']);
            if ends_clause || !(capitalised(w) || PARTICLES.contains(&w)) {
                break;
            }
            name.insert(0, (offset + i, w));
        }
        while name
            .first()
            .is_some_and(|(_, w)| !capitalised(w) || NOT_NAMES.contains(w))
        {
            name.remove(0);
        }
        if name.len() < 2 {
            continue;
        }
        let Some(company) = company_after(&text[at + 6..]) else {
            continue;
        };
        let words: Vec<&str> = name.iter().map(|(_, w)| *w).collect();
        out.push(Speaker {
            name: words.join(" "),
            company,
            span: (name[0].0, at + 6),
        });
    }
    out
}

/// Words and their byte offsets.
fn word_starts(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        match (start, c.is_whitespace()) {
            (None, false) => start = Some(i),
            (Some(s), true) => {
                out.push((s, &text[s..i]));
                start = None;
            }
            _ => {}
        }
    }
    out
}

/// "Cancer Research UK", "D2iQ", "Logical Clocks": capitalised words up to a lowercase word or
/// punctuation.
fn company_after(text: &str) -> Option<String> {
    let mut words = Vec::new();
    for w in text.split_whitespace().take(5) {
        let bare = w.trim_end_matches([',', '.', ';', ':', '!', '?', ')']);
        if bare.is_empty() || !capitalised(bare) {
            break;
        }
        words.push(bare);
        if bare.len() != w.len() {
            break;
        }
    }
    (!words.is_empty()).then(|| words.join(" "))
}

/// A time stamp such as "(starting at 30:37)", "(starting 1:24:50)", "(12:34)": seconds, and
/// where it starts.
fn timestamp(text: &str) -> Option<(u32, usize)> {
    text.match_indices('(').take(64).find_map(|(at, _)| {
        let inner = &text[at + 1..];
        let inner = TIMESTAMP_OPENINGS
            .iter()
            .find_map(|p| inner.strip_prefix(p))
            .unwrap_or(inner);
        let inner = inner.strip_prefix('[').unwrap_or(inner);
        let clock: String = inner
            .chars()
            .take(9)
            .take_while(|c| c.is_ascii_digit() || *c == ':')
            .collect();
        clock_seconds(&clock).map(|s| (s, at))
    })
}

/// `12:34` -> 754, `1:02:03` -> 3723.
pub(super) fn clock_seconds(clock: &str) -> Option<u32> {
    let parts: Vec<&str> = clock.split(':').collect();
    if !(2..=3).contains(&parts.len()) || parts.iter().any(|p| p.is_empty() || p.len() > 2) {
        return None;
    }
    if parts[1..].iter().any(|p| p.len() != 2) {
        return None;
    }
    let nums: Vec<u32> = parts
        .iter()
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    if nums[1..].iter().any(|n| *n >= 60) {
        return None;
    }
    Some(nums.iter().fold(0, |acc, n| acc * 60 + n))
}

fn is_video(url: &str) -> bool {
    youtube_id(url).is_some()
        || url.starts_with("https://vimeo.com/")
        || url.starts_with("https://player.vimeo.com/")
}

/// Whether a YouTube or Vimeo URL already says where to start.
fn has_start(url: &str) -> bool {
    url.contains("t=") || url.contains("start=")
}

/// The watch page, at `seconds` when the link does not say where to start.
fn video_at(url: &str, seconds: Option<u32>) -> String {
    let watch = video_watch_url(url);
    match seconds {
        Some(s) if !has_start(url) => {
            let sep = if watch.contains('?') { '&' } else { '?' };
            if youtube_id(url).is_some() {
                format!("{watch}{sep}t={s}s")
            } else {
                format!("{watch}#t={s}s")
            }
        }
        _ => watch,
    }
}

/// A talk from a paragraph or list item, if it names one.
fn block_talk(block: &Block, roster: &[Speaker], post_video: Option<&str>) -> Option<Talk> {
    let text = block.text.as_str();
    let stamp = timestamp(text);
    let video_link = block.links.iter().find(|l| is_video(&l.url));
    let anchor = [stamp.map(|(_, at)| at), video_link.map(|l| l.at)]
        .into_iter()
        .flatten()
        .min();
    let seconds = stamp.map(|(s, _)| s);
    let video = match (video_link, stamp) {
        (Some(link), _) => Some(link.url.as_str()),
        (None, Some(_)) => post_video.filter(|v| is_video(v)),
        (None, None) => None,
    };
    let pairs_here = pairs(text);
    let (title, speakers) = match anchor {
        Some(anchor) => anchored(text, anchor, video_link, &pairs_here)?,
        None => unanchored(text, &pairs_here)?,
    };
    let until = anchor.unwrap_or(text.len());
    let speakers = speakers
        .or_else(|| bold_names(block, until))
        .or_else(|| join_speakers(&pairs_here))
        .or_else(|| roster_match(text, until, roster));
    Some(talk(&title, speakers, video, seconds))
}

/// Title (and speakers, when a "by" line gives them) of a talk whose video link or time stamp
/// starts at `anchor`.
fn anchored(
    text: &str,
    anchor: usize,
    video_link: Option<&Link>,
    pairs_here: &[Speaker],
) -> Option<(String, Option<String>)> {
    let before = tail(&text[..anchor], LOOK_BACK);
    if let Some(label) = video_link
        .map(|l| l.label.trim())
        .filter(|l| is_title_label(l))
    {
        return Some((clean_title(label)?, None));
    }
    if let Some((title, by)) = by_line(before) {
        return Some((title, by));
    }
    if let Some(quoted) = quoted(before) {
        return Some((quoted, None));
    }
    if let Some(title) = after_marker(before) {
        return Some((title, None));
    }
    if has_word(&before.to_lowercase(), "panel") {
        return Some(("Panel".to_owned(), None));
    }
    // Prose without a marker ("...kicking us off for the evening Building Hopsworks, a
    // feature store (starting at 30:37)"): from the last capitalised word after a lowercase one.
    text.contains("(starting")
        .then(|| capital_run(before))
        .flatten()
        .filter(|t| {
            !pairs_here
                .iter()
                .any(|p| t.starts_with(&p.name) || t.starts_with(&p.company))
        })
        .map(|t| (t, None))
}

/// A talk without a video or time: `"Title" by Ada Lovelace`, `"Title" - Ada's talk`, or
/// `Ada Lovelace from Example Ltd discussing <title>`.
fn unanchored(text: &str, pairs_here: &[Speaker]) -> Option<(String, Option<String>)> {
    let trimmed = text.trim_start();
    if trimmed.starts_with(['"', '“']) {
        let title = quoted(trimmed)?;
        let rest =
            trimmed[trimmed.find(&title)? + title.len()..].trim_start_matches(['"', '”', ' ']);
        // "by Ada Lovelace (Example Ltd)" names the speakers; "- Ada's demo of..." names one.
        let speakers = match rest.strip_prefix("by ") {
            Some(by) => speaker_line(by),
            None => name_run(
                ["- ", "– ", "— "]
                    .iter()
                    .find_map(|p| rest.strip_prefix(p))?,
            ),
        };
        return capitalised(&speakers).then_some((title, Some(speakers)));
    }
    // "Ada Lovelace from Example Ltd told us about eBPF, showing how..."
    let pair = pairs_here.first()?;
    let after = text[pair.span.1..].to_ascii_lowercase();
    let (marker, keep) = TALK_MARKERS
        .iter()
        .filter_map(|(m, keep)| after.find(m).map(|at| (at, m, keep)))
        .filter(|(at, _, _)| after[..*at].split_whitespace().count() <= 4)
        .min_by_key(|(at, _, _)| *at)
        .map(|(at, m, keep)| (at + if *keep { 0 } else { m.len() }, *keep))?;
    let rest = &text[pair.span.1 + marker..];
    let title = clean_title(&rest[..prose_title_end(rest)])?;
    let title = if keep { title } else { capitalise(&title) };
    Some((title, Some(pair.display())))
}

/// Where a title written in prose ends: at a comma, colon, semicolon or full stop, but a
/// bracket is kept whole ("eBPF (extended Berkeley Packet Filter)") and so is an apposition
/// ("Ballerina, a programming language").
fn prose_title_end(rest: &str) -> usize {
    let mut from = 0;
    for _ in 0..8 {
        let stop = rest[from..]
            .find(['(', ',', ':', ';'])
            .into_iter()
            .chain(rest[from..].find(". "))
            .min()
            .map(|i| from + i);
        let Some(stop) = stop else {
            return rest.len();
        };
        let after = &rest[stop + 1..];
        // After "?" a bracket is a remark, not part of the title.
        let ended = rest[..stop].trim_end().ends_with(['?', '!', '.']);
        let bracket = after
            .find(')')
            .filter(|&c| c <= 80 && !after[..c].contains('(') && !ended);
        match (&rest[stop..=stop], bracket) {
            ("(", Some(close)) => from = stop + 1 + close + 1,
            (",", _) if after.starts_with(" a ") || after.starts_with(" an ") => from = stop + 1,
            _ => return stop,
        }
    }
    from.min(rest.len())
}

/// The capitalised words at the start of `text`, without a possessive: "Michael's talk on" ->
/// "Michael".
fn name_run(text: &str) -> String {
    let mut words = Vec::new();
    for w in text.split_whitespace().take(4) {
        let possessive = w.ends_with("'s") || w.ends_with("’s");
        let bare = w
            .trim_end_matches("'s")
            .trim_end_matches("’s")
            .trim_end_matches([',', '.', ':', ';']);
        if !(capitalised(bare) || (!words.is_empty() && PARTICLES.contains(&bare))) {
            break;
        }
        words.push(bare);
        if possessive || bare.len() != w.len() {
            break;
        }
    }
    words.join(" ")
}

/// The last `n` bytes of `s` (on a character boundary).
fn tail(s: &str, n: usize) -> &str {
    let mut from = s.len().saturating_sub(n);
    while !s.is_char_boundary(from) {
        from += 1;
    }
    &s[from..]
}

fn has_word(lower: &str, word: &str) -> bool {
    lower
        .split(|c: char| !c.is_alphanumeric())
        .any(|w| w == word)
}

/// A link text that is a talk's title: not a time stamp and not "video".
fn is_title_label(label: &str) -> bool {
    let lower = label.to_lowercase();
    clock_seconds(label).is_none()
        && !label.starts_with("http")
        && !VIDEO_WORDS.contains(&lower.as_str())
        && label.chars().filter(|c| c.is_alphabetic()).count() >= 3
}

/// Strips quotes, brackets and trailing punctuation; `None` if nothing title-like is left.
fn clean_title(raw: &str) -> Option<String> {
    // A link whose brackets were mistyped leaves its address in the text: "[Title]https://...".
    let raw = ["]http", "](http", " http"]
        .iter()
        .filter_map(|m| raw.find(m))
        .min()
        .map_or(raw, |at| &raw[..at]);
    let t = raw
        .trim()
        .trim_matches(|c: char| matches!(c, '"' | '“' | '”' | '[' | ']' | '*' | '_' | ' '))
        .trim_end_matches([',', ';', ':', '.', '-', '—', '–', ' '])
        .trim();
    let letters = t.chars().filter(|c| c.is_alphabetic()).count();
    (letters >= 3 && t.len() <= 2_000).then(|| t.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// The first quoted string ("..." or “...”) of title length in `text`.
fn quoted(text: &str) -> Option<String> {
    let mut rest = text;
    for _ in 0..16 {
        let open = rest.find(['"', '“'])?;
        let after = &rest[open + rest[open..].chars().next()?.len_utf8()..];
        let close = after.find(['"', '”'])?;
        let inner = &after[..close];
        if (3..=MAX_TITLE * 4).contains(&inner.len()) {
            if let Some(title) = clean_title(inner) {
                return Some(title);
            }
        }
        rest = &after[close + after[close..].chars().next()?.len_utf8()..];
    }
    None
}

/// `"Title" by Ada Lovelace (Example Ltd)` or `Title by Ada Lovelace` before the anchor.
fn by_line(before: &str) -> Option<(String, Option<String>)> {
    let at = before.find(" by ")?;
    let (left, right) = (&before[..at], &before[at + 4..]);
    if !right.trim_start().starts_with(|c: char| c.is_uppercase()) {
        return None;
    }
    let title = match quoted(left) {
        Some(q) => q,
        // An unquoted title is a short line, not a sentence of prose.
        None if !left.contains(". ") && left.split_whitespace().count() <= 16 => clean_title(left)?,
        None => return None,
    };
    Some((title, Some(speaker_line(right))))
}

/// "Ada Lovelace (Example Ltd) and Grace Hopper — video" -> "Ada Lovelace (Example Ltd) and
/// Grace Hopper".
fn speaker_line(text: &str) -> String {
    let end = [
        " - ",
        " – ",
        " — ",
        " | ",
        " [",
        " http",
        ". ",
        "; ",
        " (starting",
        " (",
    ]
    .iter()
    .filter_map(|s| text.find(s))
    .chain(text.find(") ").map(|i| i + 1))
    .min()
    .unwrap_or(text.len());
    // Keep a company in brackets: "Ada (Example Ltd)".
    let end = match text[..end].rfind('(') {
        None => text[end..]
            .strip_prefix(" (")
            .and_then(|r| r.find(')').filter(|&c| c <= 80).map(|c| end + 2 + c + 1))
            .filter(|_| !text[end..].starts_with(" (starting"))
            .unwrap_or(end),
        Some(_) => end,
    };
    text[..end]
        .trim()
        .trim_end_matches([',', ';', ':', '.'])
        .trim_end_matches("'s")
        .trim_end_matches("’s")
        .to_owned()
}

/// The title after the last "discussing", "a talk on"... before the anchor.
fn after_marker(before: &str) -> Option<String> {
    let lower = before.to_ascii_lowercase();
    let (at, len, keep) = TALK_MARKERS
        .iter()
        .filter_map(|(m, keep)| lower.rfind(m).map(|at| (at, m.len(), *keep)))
        .max_by_key(|(at, len, _)| (*at, *len))?;
    let start = if keep { at } else { at + len };
    clean_title(before.get(start..)?).map(|t| capitalise(&t))
}

/// "introducing Kudo" -> "Introducing Kudo".
fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    // "eBPF" and "iOS" keep their case.
    let odd_case = text
        .split_whitespace()
        .next()
        .is_some_and(|w| w.chars().skip(1).any(char::is_uppercase));
    match chars.next() {
        Some(first) if first.is_lowercase() && !odd_case && text.split_whitespace().count() > 1 => {
            first.to_uppercase().chain(chars).collect()
        }
        _ => text.to_owned(),
    }
}

/// The text from the last capitalised word that follows a lowercase word.
fn capital_run(before: &str) -> Option<String> {
    let words = word_starts(before);
    let start = words.windows(2).rev().find_map(|pair| {
        let (prev, word) = (pair[0].1, pair[1]);
        let prev_lower =
            prev.starts_with(|c: char| c.is_lowercase()) && !prev.ends_with([',', '.', ':', ';']);
        (prev_lower && capitalised(word.1)).then_some(word.0)
    })?;
    let title = clean_title(&before[start..])?;
    (title.split_whitespace().count() >= 2).then_some(title)
}

/// `**Ada Lovelace**` (and `**Ada**, **Grace** and **Alan**`) before the anchor, with the
/// bracket right after a single name: "Ada Lovelace (platform lead at Example)".
fn bold_names(block: &Block, anchor: usize) -> Option<String> {
    let text = block.text.as_str();
    let mut spans = block.strong.clone();
    spans.sort_unstable();
    let mut names: Vec<&str> = Vec::new();
    let mut after_last = "";
    for &(start, end) in spans.iter().take(MAX_BOLD) {
        if start >= anchor || names.len() >= 8 {
            break;
        }
        let name = text[start..end].trim();
        if name.len() <= 60 && capitalised(name) && !name.contains(['"', '“']) {
            names.push(name);
            after_last = &text[end..];
        }
    }
    let bracket = after_last
        .strip_prefix(" (")
        .and_then(|r| r.find(')').filter(|&c| c <= 80).map(|c| &r[..c]))
        .filter(|b| clock_seconds(b).is_none() && !b.starts_with("starting"));
    match (names.as_slice(), bracket) {
        ([], _) => None,
        ([one], Some(b)) => Some(format!("{one} ({b})")),
        (many, _) => Some(join_names(many)),
    }
}

pub(super) fn join_names(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn join_speakers(pairs: &[Speaker]) -> Option<String> {
    let shown: Vec<String> = pairs.iter().take(6).map(Speaker::display).collect();
    let refs: Vec<&str> = shown.iter().map(String::as_str).collect();
    (!refs.is_empty()).then(|| join_names(&refs))
}

/// Speakers the recap named elsewhere ("our speakers were Ada Lovelace from Example Ltd...")
/// and this paragraph calls by first or full name ("First up, Ada was introducing...").
fn roster_match(text: &str, anchor: usize, roster: &[Speaker]) -> Option<String> {
    let before = tail(&text[..anchor.min(text.len())], LOOK_BACK);
    let mut matched: Vec<&Speaker> = Vec::new();
    for speaker in roster {
        let first = speaker.name.split(' ').next().unwrap_or("");
        let named = has_exact_word(before, first);
        if named && !matched.iter().any(|m| m.name == speaker.name) {
            matched.push(speaker);
        }
    }
    let shown: Vec<Speaker> = matched.into_iter().cloned().collect();
    join_speakers(&shown)
}

fn has_exact_word(text: &str, word: &str) -> bool {
    !word.is_empty()
        && text
            .split(|c: char| !c.is_alphanumeric())
            .any(|w| w == word)
}

/// Where a video link says to start, in seconds: `t=250`, `t=754s`, `t=1h2m3s`, `#t=60s`,
/// `start=30`.
fn start_of(url: &str) -> Option<u32> {
    let (_, query) = url.split_once(['?', '#'])?;
    query.split(['&', '#', '?']).find_map(|pair| {
        let value = pair
            .strip_prefix("t=")
            .or_else(|| pair.strip_prefix("start="))?;
        duration_seconds(value)
    })
}

/// `250`, `754s`, `1h2m3s` -> seconds.
fn duration_seconds(value: &str) -> Option<u32> {
    let mut total: u32 = 0;
    let mut number = String::new();
    for c in value.chars().take(16) {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            'h' => 3600,
            'm' => 60,
            's' => 1,
            _ => return None,
        };
        let n: u32 = number.parse().ok()?;
        total = total.checked_add(n.checked_mul(unit)?)?;
        number.clear();
    }
    if !number.is_empty() {
        total = total.checked_add(number.parse().ok()?)?;
    }
    Some(total)
}

/// 754 -> "12:34", 3723 -> "1:02:03".
fn clock(seconds: u32) -> String {
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// A heading per talk: the heading is the title when the blocks under it (up to the next
/// heading) give a video link or a speaker line and no talk of their own.
fn heading_talks(
    blocks: &[Block],
    claimed: &[bool],
    post_video: Option<&str>,
) -> Vec<(usize, Talk)> {
    let mut out = Vec::new();
    for (i, heading) in blocks.iter().enumerate().filter(|(_, b)| b.is_heading()) {
        let Some(title) = heading_title(&heading.text) else {
            continue;
        };
        let section: Vec<usize> = (i + 1..blocks.len())
            .take_while(|&j| !blocks[j].is_heading())
            .take(4)
            .collect();
        if section.iter().any(|&j| claimed[j]) {
            continue;
        }
        let video = section.iter().find_map(|&j| {
            let b = &blocks[j];
            let seconds = timestamp(&b.text).map(|(s, _)| s);
            let own = b
                .links
                .iter()
                .find(|l| is_video(&l.url))
                .map(|l| l.url.as_str());
            own.or_else(|| seconds.and(post_video.filter(|v| is_video(v))))
                .map(|url| (url, seconds))
        });
        let speakers = section.iter().find_map(|&j| speaker_of_section(&blocks[j]));
        if video.is_some() || speakers.is_some() {
            let (url, seconds) = video.map_or((None, None), |(u, s)| (Some(u), s));
            out.push((heading.line, talk(&title, speakers, url, seconds)));
        }
    }
    out
}

/// A heading's text as a talk title: "Talk 2: Title" -> "Title"; `None` for headings that are
/// parts of a recap or carry a date (the next meetup's).
fn heading_title(text: &str) -> Option<String> {
    let lower = text.to_lowercase();
    if GENERIC_HEADINGS.contains(&lower.trim_end_matches(':')) {
        return None;
    }
    let dated = super::prose_date::find(text, chrono::NaiveDate::from_ymd_opt(2000, 1, 1)?);
    if dated.is_some() || lower.contains("meetup") || lower.contains("next ") {
        return None;
    }
    let stripped = match text.split_once(':') {
        Some((head, rest)) if head.to_lowercase().starts_with("talk") && head.len() <= 10 => rest,
        _ => text,
    };
    clean_title(stripped)
}

/// "by Ada Lovelace (Example Ltd)", "Speaker: Ada Lovelace", "**Ada Lovelace**, Example Ltd",
/// or "Ada Lovelace from Example Ltd" as the line under a talk's heading.
fn speaker_of_section(block: &Block) -> Option<String> {
    let trimmed = block.text.trim();
    let lower = trimmed.to_ascii_lowercase();
    for prefix in SPEAKER_PREFIXES {
        if lower.starts_with(prefix) {
            return Some(speaker_line(&trimmed[prefix.len()..])).filter(|s| !s.is_empty());
        }
    }
    if block.strong.iter().any(|&(s, _)| s == 0) {
        return bold_names(block, block.text.len());
    }
    join_speakers(&pairs(&block.text))
}

/// A talk from a row of a table whose head names a title column and a speaker or video
/// column.
fn table_talk(blocks: &[Block], i: usize, table: usize) -> Option<Talk> {
    let head = blocks[..i].iter().rev().take(MAX_TALKS * 4 + 1).find(|b| {
        b.kind
            == Kind::TableRow {
                table,
                header: true,
            }
    })?;
    let header: Vec<String> = (0..head.cells.len())
        .map(|c| head.cell(c).unwrap_or("").to_lowercase())
        .collect();
    let col = |names: &[&str]| {
        header
            .iter()
            .position(|h| names.iter().any(|n| has_word(h, n)))
    };
    let title_col = col(&TITLE_COLUMNS)?;
    let speaker_col = col(&SPEAKER_COLUMNS);
    if speaker_col.is_none() && col(&VIDEO_COLUMNS).is_none() {
        return None;
    }
    let row = &blocks[i];
    let title = clean_title(row.cell(title_col)?)?;
    let speakers = speaker_col
        .and_then(|c| row.cell(c))
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    let video = row.cells.iter().find_map(|&(s, e)| {
        let seconds = row.text[s..e]
            .split_whitespace()
            .find_map(|w| clock_seconds(w.trim_matches(|c: char| !c.is_ascii_digit())));
        row.links
            .iter()
            .filter(|l| (s..=e).contains(&l.at))
            .find(|l| is_video(&l.url))
            .map(|l| (l.url.as_str(), seconds))
    });
    let (url, seconds) = video.map_or((None, None), |(u, s)| (Some(u), s));
    Some(talk(&title, speakers, url, seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn talk(title: &str, speakers: Option<&str>, video: Option<&str>) -> Talk {
        Talk {
            title: title.into(),
            speakers: speakers.map(Into::into),
            video: video.map(Into::into),
            video_at: video.and_then(start_of).map(clock),
        }
    }

    #[test]
    fn bold_speakers_and_quoted_titles_with_time_stamp_links() {
        let body = "Intro.\n\n### The talks\n\n**Ada Lovelace** (analyst at Example Ltd) opened with *\"Engines that weave\"* (starting at [04:10](https://youtu.be/abcDEF12345?t=250)). Her points:\n\n* Looms are computers.\n* So are you.\n\n**Grace Hopper** followed with *\"Bugs, literally\"* (starting at [38:55](https://youtu.be/abcDEF12345?t=2335)).\n\nA panel with **Alan Turing**, **Joan Clarke** and **Tommy Flowers** closed the evening (starting at [1:02:03](https://youtu.be/abcDEF12345?t=3723)).\n";
        assert_eq!(
            find(body, None),
            [
                talk(
                    "Engines that weave",
                    Some("Ada Lovelace (analyst at Example Ltd)"),
                    Some("https://www.youtube.com/watch?v=abcDEF12345&t=250")
                ),
                talk(
                    "Bugs, literally",
                    Some("Grace Hopper"),
                    Some("https://www.youtube.com/watch?v=abcDEF12345&t=2335")
                ),
                talk(
                    "Panel",
                    Some("Alan Turing, Joan Clarke and Tommy Flowers"),
                    Some("https://www.youtube.com/watch?v=abcDEF12345&t=3723")
                ),
            ]
        );
    }

    #[test]
    fn prose_recaps_with_speakers_from_companies_and_plain_time_stamps() {
        let body = "Our speakers tonight were Ada Lovelace from Example Ltd and Charles Babbage from Difference Engines.\n\nFirst up, Ada was introducing Analytical Engines (starting at 12:34). She said:\n\nThen Charles Babbage from Difference Engines wrapped up with a talk on Why my engine was never finished (starting 1:02:03).\n\nFinally Mary Somerville from Example Society discussing [Connexion of the sciences](https://www.youtube.com/watch?v=xyz98765432&t=1h2m3s).\n\nAnd Edward Example from Acme Corp told us about tabulating, showing how it scales.\n";
        let video = "https://www.youtube.com/embed/xyz98765432";
        assert_eq!(
            find(body, Some(video)),
            [
                talk(
                    "Introducing Analytical Engines",
                    Some("Ada Lovelace (Example Ltd)"),
                    Some("https://www.youtube.com/watch?v=xyz98765432&t=754s")
                ),
                talk(
                    "Why my engine was never finished",
                    Some("Charles Babbage (Difference Engines)"),
                    Some("https://www.youtube.com/watch?v=xyz98765432&t=3723s")
                ),
                talk(
                    "Connexion of the sciences",
                    Some("Mary Somerville (Example Society)"),
                    Some("https://www.youtube.com/watch?v=xyz98765432&t=1h2m3s")
                ),
                talk("tabulating", Some("Edward Example (Acme Corp)"), None),
            ]
        );
    }

    #[test]
    fn prose_without_a_marker_takes_the_capitalised_title_before_the_time_stamp() {
        let body = "Our first speaker was Ada Lovelace from Example Ltd, opening the evening Weaving Numbers, a history of punched cards (starting at [02:00](https://youtu.be/abcDEF12345?t=120)).\n";
        assert_eq!(
            find(body, None),
            [talk(
                "Weaving Numbers, a history of punched cards",
                Some("Ada Lovelace (Example Ltd)"),
                Some("https://www.youtube.com/watch?v=abcDEF12345&t=120")
            )]
        );
    }

    #[test]
    fn lists_with_by_lines_and_time_stamps_on_untimed_links() {
        let body = "## Videos\n\n1. \"Engines that weave\" by Ada Lovelace (Example Ltd) — [watch](https://www.youtube.com/watch?v=abcDEF12345) (12:34)\n2. [Bugs, literally](https://vimeo.com/123456) by Grace Hopper\n3. *\"Lace and logic\"* - Ada's second talk\n- A takeaway that mentions nothing.\n";
        assert_eq!(
            find(body, None),
            [
                talk(
                    "Engines that weave",
                    Some("Ada Lovelace (Example Ltd)"),
                    Some("https://www.youtube.com/watch?v=abcDEF12345&t=754s")
                ),
                talk("Bugs, literally", None, Some("https://vimeo.com/123456")),
                talk("Lace and logic", Some("Ada"), None),
            ]
        );
    }

    #[test]
    fn a_heading_per_talk() {
        let body = "Thanks all.\n\n## Talk 1: Engines that weave\n\nby Ada Lovelace (Example Ltd)\n\n[Video](https://youtu.be/abcDEF12345?t=5)\n\n## Bugs, literally\n\n**Grace Hopper**, Example Navy\n\nNotes follow.\n\n## Cloud Native Riverside May\n\nOur next meetup will be on 13 May, with speakers from Acme.\n";
        assert_eq!(
            find(body, None),
            [
                talk(
                    "Engines that weave",
                    Some("Ada Lovelace (Example Ltd)"),
                    Some("https://www.youtube.com/watch?v=abcDEF12345&t=5")
                ),
                talk("Bugs, literally", Some("Grace Hopper"), None),
            ]
        );
    }

    #[test]
    fn a_table_of_talks() {
        let body = "| Talk | Speaker | Video |\n|---|:---|---|\n| Engines that weave | Ada Lovelace | [watch](https://youtu.be/abcDEF12345) 12:34 |\n| *Bugs, literally* | Grace Hopper | |\n\n| Tool | What it showed |\n|------|----|\n| `bpftrace` | one-liners |\n";
        assert_eq!(
            find(body, None),
            [
                talk(
                    "Engines that weave",
                    Some("Ada Lovelace"),
                    Some("https://www.youtube.com/watch?v=abcDEF12345&t=754s")
                ),
                talk("Bugs, literally", Some("Grace Hopper"), None),
            ]
        );
    }

    #[test]
    fn nothing_is_invented() {
        for body in [
            "",
            "A lovely evening. Thanks to [Acme](https://acme.example.com) for the pizza.\n\n* Takeaway one.\n* Takeaway two by the way.\n",
            "The full video is on [YouTube](https://www.youtube.com/watch?v=abcDEF12345).\n",
            "Slides at https://slides.example.org/x (12:34 into the video).\n",
            "## The talks\n\n## Photos\n\n![x](/x.jpg)\n",
        ] {
            assert_eq!(find(body, None), [], "{body}");
        }
    }

    #[test]
    fn talks_are_capped_in_number_and_length() {
        let long = "word ".repeat(100);
        let mut body = format!("**Ada Lovelace** gave *\"{long}\"* (starting at [01:00](https://youtu.be/abcDEF12345?t=60)).\n\n");
        for i in 0..12 {
            body.push_str(&format!("**Speaker {i}** gave *\"Talk number {i}\"* (starting at [0{i}:00](https://youtu.be/abcDEF12345?t={i}))\n\n"));
        }
        let talks = find(&body, None);
        assert_eq!(talks.len(), MAX_TALKS);
        assert!(
            talks[0].title.chars().count() <= MAX_TITLE + 1 && talks[0].title.ends_with('…'),
            "{:?}",
            talks[0]
        );
        assert_eq!(talks[1].title, "Talk number 0");
    }

    #[test]
    fn first_names_get_the_full_name_the_recap_gives_elsewhere() {
        let body = "With [Ada Lovelace](https://x.example.org/ada) and **Grace Hopper** speaking.\n\n* \"Engines that weave\" - Ada's talk on looms.\n* \"Bugs, literally\" - Grace's demo.\n";
        assert_eq!(
            find(body, None),
            [
                talk("Engines that weave", Some("Ada Lovelace"), None),
                talk("Bugs, literally", Some("Grace Hopper"), None),
            ]
        );
    }

    #[test]
    fn prose_titles_keep_brackets_and_appositions() {
        let body = "Ada Lovelace from Example Ltd told us about eBPF (extended Berkeley Packet Filter), showing how.\n\nGrace Hopper from Example Navy gave a live demo of Cobol, a language for business, and more.\n\nAlan Turing from Example Lab was asking Can machines think? (no video this time).\n";
        let titles: Vec<String> = find(body, None).into_iter().map(|t| t.title).collect();
        assert_eq!(
            titles,
            [
                "eBPF (extended Berkeley Packet Filter)",
                "Cobol, a language for business",
                "Can machines think?"
            ]
        );
    }

    #[test]
    fn video_start_times_for_link_texts() {
        for (url, want) in [
            (
                "https://www.youtube.com/watch?v=abcDEF12345&t=754s",
                Some("12:34"),
            ),
            ("https://youtu.be/abcDEF12345?t=3723", Some("1:02:03")),
            (
                "https://www.youtube.com/watch?v=abcDEF12345&t=1h2m3s",
                Some("1:02:03"),
            ),
            ("https://vimeo.com/123456#t=60s", Some("1:00")),
            ("https://www.youtube.com/watch?v=abcDEF12345", None),
            ("https://www.youtube.com/watch?v=x&t=99999999999999", None),
        ] {
            assert_eq!(start_of(url).map(clock).as_deref(), want, "{url}");
        }
    }

    #[test]
    fn time_stamps() {
        assert_eq!(timestamp("x (starting at 30:37)"), Some((1837, 2)));
        assert_eq!(timestamp("(starting 1:24:50)"), Some((5090, 0)));
        assert_eq!(timestamp("(12:34)"), Some((754, 0)));
        assert_eq!(
            timestamp("(at [07:05](https://youtu.be/x))"),
            Some((425, 0))
        );
        assert_eq!(timestamp("(12:75) (1:2) (123:00) (no)"), None);
    }
}
