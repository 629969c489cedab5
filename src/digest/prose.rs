//! Reading the next meetup out of a recap's closing part, in whatever words the organisers
//! chose: every date there is a candidate with its evidence (see [`super::evidence`]); the one
//! clearly ours is announced, and everything else that looked like an announcement becomes a
//! doubt for the organiser. Two dates announced as clearly as each other, or none clearly
//! ours, and nothing is announced.

use chrono::{Duration, NaiveDate, NaiveTime};

use super::announcement;
use super::blocks::{self, section_title, Block, Kind, Link};
use super::event::{quote, uid, weekday_name, Event};
use super::evidence::{self, Evidence, Group, Objection};
use super::labels::{self, Field, Label};
use super::prose_date::{self, DateContext, DateOrder, ProseDate};
use super::reading::{Doubt, NoEvent};
use super::vocabulary::{
    DEADLINES, DISCOUNTS, GENERIC_HEADINGS, LOOKING_BACK, MONTHS, NEXT_HEADINGS, VENUE_FOLLOW,
};
use super::zone::{self, Placed};
use crate::config::{Config, NewsletterSettings};
use crate::content::dates::in_zone;
use crate::content::Post;
use crate::diagnostics::Diagnostic;

/// How many trailing blocks (paragraphs, list items, headings, table rows) count as the
/// closing part, besides any block that talks about the next meetup.
pub const CLOSING_BLOCKS: usize = 8;
/// Most dates looked at in one sentence, and in the closing part: real closing paragraphs
/// have a handful, and the bound keeps hostile input cheap.
const MAX_DATES_PER_UNIT: usize = 16;
const MAX_CANDIDATES: usize = 256;
/// A second date this close to the best one's score competes with it.
const COMPETE_MARGIN: i32 = 2;
/// Longest venue taken from a "Where:" field (characters).
const MAX_VENUE: usize = 120;

/// One date in the closing part, and what speaks for and against it.
#[derive(Debug)]
pub struct Candidate {
    /// Index of its block.
    pub block: usize,
    /// Byte range of its sentence (or line, or cell) in the block's text.
    pub unit: (usize, usize),
    /// The part of the unit about this date (when it has several: "Our next meetup is on 14
    /// October at Example Works, and our party is on 9 December"), relative to the unit.
    pub part: (usize, usize),
    /// The date; its span is relative to the unit.
    pub date: ProseDate,
    /// For and against.
    pub evidence: Evidence,
}

/// What was decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// This candidate is the next meetup.
    Winner(usize),
    /// These candidates (one per date) compete.
    Competing(Vec<usize>),
    /// None is clearly ours.
    Nothing,
}

/// A recap's closing part, read.
pub struct Recap<'a> {
    post: &'a Post,
    config: &'a Config,
    body_line: usize,
    blocks: Vec<Block>,
    closing: Vec<usize>,
    group: Group,
    /// Every date in the closing part that does not look back.
    pub candidates: Vec<Candidate>,
}

/// A sentence, line or cell to look for dates in.
struct Unit {
    range: (usize, usize),
    field: Option<Label>,
}

impl<'a> Recap<'a> {
    /// Reads the closing part of `body` (the post's Markdown after Liquid, starting on file
    /// line `body_line`).
    pub fn read(post: &'a Post, body: &str, body_line: usize, config: &'a Config) -> Recap<'a> {
        let blocks = blocks::parse(body);
        let closing = closing(&blocks);
        let mut recap = Recap {
            post,
            config,
            body_line,
            group: Group::new(&config.site.title, &post.title),
            blocks,
            closing,
            candidates: Vec::new(),
        };
        recap.candidates = recap.find_candidates();
        recap
    }

    fn post_day(&self) -> NaiveDate {
        self.post.date.date_naive()
    }

    /// The 1-based line of block `b` in the post's file.
    pub fn file_line(&self, b: usize) -> usize {
        self.body_line + self.blocks[b].line
    }

    /// A candidate's sentence, trimmed.
    pub fn text(&self, c: &Candidate) -> &str {
        self.blocks[c.block].text[c.unit.0..c.unit.1].trim()
    }

    fn find_candidates(&self) -> Vec<Candidate> {
        let ctx = DateContext {
            anchor: self.post_day(),
            order: DateOrder::for_language(&self.config.site.language),
        };
        let mut out = Vec::new();
        for &b in &self.closing {
            for unit in units(&self.blocks, b) {
                self.unit_candidates(b, &unit, &ctx, &mut out);
                if out.len() >= MAX_CANDIDATES {
                    out.truncate(MAX_CANDIDATES);
                    return out;
                }
            }
        }
        out
    }

    fn unit_candidates(&self, b: usize, unit: &Unit, ctx: &DateContext, out: &mut Vec<Candidate>) {
        let block = &self.blocks[b];
        let (start, end) = unit.range;
        let text = &block.text[start..end];
        let lower = text.to_ascii_lowercase();
        // The sentence's links, and those after it in its paragraph ("... 8 October.
        // [RSVP](...)"): whose page they are says whose event it is.
        let links: Vec<&Link> = block.links.iter().filter(|l| l.at >= start).collect();
        let dates: Vec<ProseDate> = prose_date::find_all_in(text, ctx)
            .into_iter()
            .take(MAX_DATES_PER_UNIT)
            .collect();
        let parts = parts(&lower, &dates);
        let mut previous = 0;
        for (date, part) in dates.into_iter().zip(parts) {
            let clause = evidence::clause_start(&lower, date.span, previous);
            previous = date.span.1;
            if evidence::looks_back(&lower, date.span, clause) {
                continue;
            }
            let reading = evidence::Reading {
                sentence: text,
                lower: &lower,
                clause: (clause, part.1),
                date: &date,
                links: &links,
                heading: section_title(&self.blocks, b),
                post_day: self.post_day(),
                field: unit.field == Some(Label::When),
            };
            let mut evidence = evidence::weigh(&reading, &self.group);
            check_zone(&date, self.config.site.timezone, &mut evidence);
            out.push(Candidate {
                block: b,
                unit: unit.range,
                part,
                date,
                evidence,
            });
        }
    }

    /// The candidate clearly ours, or the ones that compete, or nothing.
    pub fn decide(&self) -> Decision {
        // Per date: the best score, its candidate, and whether any sentence calls it the next
        // meetup ("next meetup", "see you on").
        let mut best: Vec<(NaiveDate, i32, usize, bool)> = Vec::new();
        for (i, c) in self.candidates.iter().enumerate() {
            if c.date.date <= self.post_day() || !c.evidence.qualifies() {
                continue;
            }
            let (score, next) = (c.evidence.score(), c.evidence.says_next());
            match best.iter_mut().find(|b| b.0 == c.date.date) {
                Some(b) => {
                    if score > b.1 {
                        (b.1, b.2) = (score, i);
                    }
                    b.3 |= next;
                }
                None => best.push((c.date.date, score, i, next)),
            }
        }
        best.sort_by_key(|b| (std::cmp::Reverse(b.1), b.0));
        let Some(&(_, top, winner, top_next)) = best.first() else {
            return Decision::Nothing;
        };
        // Two dates each called the next meetup compete, however clearly; otherwise a date
        // close to the best one's score does.
        let rivals: Vec<usize> = best
            .iter()
            .filter(|b| b.1 > top - COMPETE_MARGIN || (top_next && b.3))
            .map(|b| b.2)
            .collect();
        match rivals.len() {
            1 => Decision::Winner(winner),
            _ => Decision::Competing(rivals),
        }
    }

    /// Why nothing is announced.
    pub fn why_none(&self) -> NoEvent {
        let future = |c: &&Candidate| c.date.date > self.post_day();
        if self
            .candidates
            .iter()
            .filter(future)
            .any(|c| c.evidence.worth_telling())
        {
            return NoEvent::Unsure;
        }
        let strong = |c: &&Candidate| c.evidence.says_next();
        if let Some(stale) = self
            .candidates
            .iter()
            .rev()
            .filter(|c| !future(c))
            .find(strong)
        {
            return NoEvent::Stale {
                line: self.file_line(stale.block),
                sentence: quote(self.text(stale)),
                date: stale.date.date,
            };
        }
        let next = self
            .closing
            .iter()
            .rev()
            .find(|&&b| evidence::mentions_next(&self.blocks[b].text.to_ascii_lowercase()));
        match next {
            Some(&b) => NoEvent::NoDate {
                line: self.file_line(b),
                sentence: quote(&self.blocks[b].text),
            },
            None => NoEvent::NotAnnounced,
        }
    }

    /// The doubts about every candidate that looked like an announcement, given the
    /// decision, each with the warning `crier check` shows for it.
    pub fn doubts(&self, decision: &Decision) -> Vec<(Doubt, Diagnostic)> {
        let mut out: Vec<(Doubt, Diagnostic)> = Vec::new();
        let winner = match decision {
            Decision::Winner(w) => Some(&self.candidates[*w]),
            _ => None,
        };
        for (i, c) in self.candidates.iter().enumerate() {
            if c.date.date <= self.post_day() {
                continue;
            }
            let reasons: Vec<(String, String)> = match (decision, winner) {
                (Decision::Winner(w), _) if *w == i => c
                    .evidence
                    .objections
                    .iter()
                    .map(|o| {
                        (
                            format!("announced, but {}", o.why()),
                            format!("{}: {}", c.date.date, o.why()),
                        )
                    })
                    .collect(),
                (_, Some(w)) if w.date.date == c.date.date => Vec::new(),
                (Decision::Competing(list), _) if list.contains(&i) => {
                    let dates = self.competing_dates(list, c.date.date);
                    let why = format!("not announced: it competes with {dates}");
                    vec![(why.clone(), why)]
                }
                (_, Some(w)) if c.evidence.qualifies() => {
                    let why = format!("not announced: {} is announced more clearly", w.date.date);
                    vec![(why.clone(), why)]
                }
                _ if c.evidence.worth_telling() => vec![self.refusal(c)],
                _ => Vec::new(),
            };
            for (why, message) in reasons {
                let line = self.file_line(c.block);
                let sentence = quote(self.text(c));
                let doubt = Doubt {
                    line,
                    sentence: sentence.clone(),
                    why,
                };
                if out.iter().any(|(d, _)| d == &doubt) {
                    continue;
                }
                let message = format!("next event {message}: \"{sentence}\"");
                let diagnostic = Diagnostic::warning(&self.post.source, line, 1, message);
                out.push((doubt, diagnostic));
            }
        }
        out
    }

    fn competing_dates(&self, list: &[usize], own: NaiveDate) -> String {
        let others: Vec<String> = list
            .iter()
            .map(|&j| self.candidates[j].date.date)
            .filter(|d| *d != own)
            .map(|d| d.to_string())
            .collect();
        others.join(" and ")
    }

    /// Why a candidate that looked like an announcement was not announced: (for the reading,
    /// for the warning).
    fn refusal(&self, c: &Candidate) -> (String, String) {
        if let Some(Objection::WeekdayMismatch) = c.evidence.refused() {
            let stated = c.date.weekday.map_or("?", weekday_name);
            let message = format!(
                "says {stated} but {} is a {}",
                c.date.date.format("%-d %B %Y"),
                weekday_name(chrono::Datelike::weekday(&c.date.date))
            );
            return (format!("not announced: it {message}"), message);
        }
        let settled: Vec<String> = c
            .evidence
            .objections
            .iter()
            .filter(|o| o.settles())
            .map(Objection::why)
            .collect();
        let why = match settled.is_empty() {
            false => settled.join("; "),
            true => {
                let against: Vec<String> =
                    c.evidence.objections.iter().map(Objection::why).collect();
                match against.as_slice() {
                    [] => "it does not clearly say it is the group's own next meetup".to_owned(),
                    _ => format!(
                        "it is not clearly the group's own next meetup: {}",
                        against.join("; ")
                    ),
                }
            }
        };
        let why = format!("not announced: {why}");
        (why.clone(), why)
    }

    /// The event a candidate announces: its date and time, and from its sentence (and the
    /// sentence after it, and a "Where:/RSVP:" list beside it) what it is about, where, whether
    /// online, and the RSVP link.
    pub fn event(&self, c: &Candidate, settings: &NewsletterSettings) -> Event {
        let said = self.said(c);
        let time = c.date.time.or(said.time);
        let tz = self.config.site.timezone;
        let start = match time {
            Some(t) => zone::place(c.date.date, t, c.date.zone.as_deref(), tz)
                .map(|(start, _)| start)
                .unwrap_or_else(|_| in_zone(c.date.date.and_time(t), tz)),
            None => in_zone(c.date.date.and_time(settings.event_time), tz),
        };
        Event {
            title: self.title(c.block, c.date.date, said.edition.as_deref()),
            start,
            end: start + Duration::minutes(i64::from(settings.event_minutes)),
            location: said.venue,
            rsvp: said.rsvp,
            uid: uid(self.post, self.config),
            announced: self.post.date,
            sentence: self.text(c).to_owned(),
            about: said.about,
            online: said.online,
            time_stated: time.is_some(),
            cancelled: false,
        }
    }

    /// The title of the best candidate for `date`, if the closing part has one: for
    /// front matter that does not name its event.
    pub fn title_for(&self, date: NaiveDate) -> Option<String> {
        let c = self
            .candidates
            .iter()
            .filter(|c| c.date.date == date)
            .max_by_key(|c| c.evidence.score())?;
        let edition = announcement::edition(self.text(c));
        Some(self.title(c.block, date, edition.as_deref()))
    }

    /// The heading the announcement sits under ("Riverside Cloud Native December") when it
    /// names the group or a month; else the named edition ("Riverside Cloud Native: festive
    /// special"); else "<site>: next meetup".
    fn title(&self, b: usize, date: NaiveDate, edition: Option<&str>) -> String {
        let site = &self.config.site.title;
        let heading = section_title(&self.blocks, b).filter(|h| {
            let lower = h.to_lowercase();
            let generic = GENERIC_HEADINGS.contains(&lower.trim_end_matches(':'));
            let names = self.group.named_in(&lower) || MONTHS.iter().any(|m| lower.contains(m));
            let dated = prose_date::find(h, date).is_some();
            let announces = NEXT_HEADINGS.iter().any(|n| lower.starts_with(n));
            names && !generic && !dated && !announces
        });
        match (heading, edition) {
            (Some(h), _) => announcement::shorten(h, 120),
            (None, Some(e)) => format!("{site}: {e}"),
            (None, None) => super::event::default_title(self.config),
        }
    }

    /// What the announcement says besides its date.
    fn said(&self, c: &Candidate) -> Said {
        let block = &self.blocks[c.block];
        let unit = &block.text[c.unit.0..c.unit.1];
        // Only the part about this date: another date's venue or edition is not its own.
        let sentence = unit[c.part.0..c.part.1].trim_end_matches([',', ' ']);
        let sentence = sentence.strip_suffix(", and").unwrap_or(sentence);
        let date_end = c.date.span.1 - c.part.0;
        let follow = self.follow(c);
        let fields = self.section_fields(c.block);
        let field = |label: Label| {
            fields.iter().find(|f| f.label == label).map(|f| {
                let b = &self.blocks[f.block];
                b.text[f.value.0..f.value.1]
                    .trim()
                    .trim_end_matches(['.', ',', ';'])
            })
        };
        let about = announcement::about(sentence, date_end)
            .or_else(|| follow.and_then(|f| announcement::about(f, 0)))
            .map(|(text, range)| (text, Some(range)))
            .or_else(|| {
                field(Label::What)
                    .map(|w| (announcement::shorten(w, announcement::ABOUT_MAX), None))
            });
        let not_venues = [
            self.config.site.title.as_str(),
            section_title(&self.blocks, c.block).unwrap_or(""),
        ];
        let where_field = field(Label::Where);
        let online_field =
            where_field.is_some_and(|w| announcement::says_online(&w.to_ascii_lowercase(), None));
        let venue = announcement::venue(sentence, &not_venues)
            .or_else(|| {
                follow
                    .filter(|f| says_where(f))
                    .and_then(|f| announcement::venue(f, &not_venues))
            })
            .or_else(|| {
                where_field
                    .filter(|_| !online_field)
                    .map(|w| announcement::shorten(w, MAX_VENUE))
            });
        let about_range = about.as_ref().and_then(|(_, range)| *range);
        let online = announcement::says_online(&sentence.to_ascii_lowercase(), about_range)
            || follow.is_some_and(|f| announcement::says_online(&f.to_ascii_lowercase(), None))
            || online_field;
        Said {
            about: about.map(|(text, _)| text),
            venue,
            online,
            rsvp: self.rsvp(c, &fields),
            edition: announcement::edition(sentence),
            time: field(Label::Time).and_then(prose_date::parse_time),
        }
    }

    /// The sentence after the candidate's, when it has no date of its own: the next one in
    /// the block, or (after a heading, or at the end of its paragraph) the next block's first.
    fn follow(&self, c: &Candidate) -> Option<&str> {
        let block = &self.blocks[c.block];
        let next_in_block = blocks::sentences(&block.text)
            .into_iter()
            .find(|&(s, _)| s >= c.unit.1)
            .map(|(s, e)| &block.text[s..e]);
        let next_block = || {
            let next = self.blocks.get(c.block + 1)?;
            let same_section = next.section == block.section;
            let sentence = blocks::sentences(&next.text)
                .first()
                .map(|&(s, e)| &next.text[s..e])?;
            (same_section && !next.is_heading() && !matches!(next.kind, Kind::TableRow { .. }))
                .then_some(sentence)
        };
        let follow = if block.is_heading() {
            next_block()
        } else {
            next_in_block.or_else(next_block)
        };
        follow.filter(|f| prose_date::find(f, self.post_day()).is_none())
    }

    /// The "When:/Where:/RSVP:" fields of the candidate's section.
    fn section_fields(&self, b: usize) -> Vec<Field> {
        let section = self.blocks[b].section;
        self.closing
            .iter()
            .filter(|&&i| self.blocks[i].section == section)
            .flat_map(|&i| labels::fields(&self.blocks, i))
            .collect()
    }

    /// The RSVP link: one in the sentence, else an "RSVP:" field's, else one in the rest of
    /// the paragraph or the next one, but never one beside an offer or a deadline.
    fn rsvp(&self, c: &Candidate, fields: &[Field]) -> Option<String> {
        let block = &self.blocks[c.block];
        let (s, e) = c.unit;
        let in_sentence: Vec<&Link> = block
            .links
            .iter()
            .filter(|l| (s..e).contains(&l.at))
            .collect();
        let mut near: Vec<&Link> = fields
            .iter()
            .filter(|f| f.label == Label::Rsvp)
            .flat_map(|f| {
                let b = &self.blocks[f.block];
                b.links
                    .iter()
                    .filter(move |l| (f.value.0..=f.value.1).contains(&l.at))
            })
            .collect();
        near.extend(clean_links(block, |at| !(s..e).contains(&at)));
        if let Some(next) = self.blocks.get(c.block + 1) {
            let same_section = next.section == block.section && !next.is_heading();
            let dated = prose_date::find(&next.text, self.post_day()).is_some();
            if same_section && !dated {
                near.extend(clean_links(next, |_| true));
            }
        }
        announcement::pick_rsvp(&in_sentence, &near)
    }
}

/// What an announcement says besides its date.
struct Said {
    about: Option<String>,
    venue: Option<String>,
    online: bool,
    rsvp: Option<String>,
    edition: Option<String>,
    time: Option<NaiveTime>,
}

/// A block's links (those `keep` accepts) outside sentences about offers or deadlines.
fn clean_links(block: &Block, keep: impl Fn(usize) -> bool) -> Vec<&Link> {
    let lower = block.text.to_ascii_lowercase();
    let tainted: Vec<(usize, usize)> = blocks::sentences(&block.text)
        .into_iter()
        .filter(|&(s, e)| {
            let sentence = &lower[s..e];
            DEADLINES
                .iter()
                .chain(DISCOUNTS.iter())
                .any(|w| sentence.contains(w))
        })
        .collect();
    block
        .links
        .iter()
        .filter(|l| keep(l.at) && !tainted.iter().any(|&(s, e)| (s..e).contains(&l.at)))
        .collect()
}

/// Whether a sentence after an announcement says where the meetup will be ("We'll be back at
/// Example Works"), not where the last one was ("Thanks to everyone at Example Ltd").
fn says_where(sentence: &str) -> bool {
    let lower = sentence.to_ascii_lowercase();
    let has = |list: &[&str]| {
        list.iter()
            .any(|w| announcement::phrase_positions(&lower, w).next().is_some())
    };
    has(&VENUE_FOLLOW) && !has(&LOOKING_BACK)
}

/// Words that start the part of a sentence about another date ("..., and our party is on 9
/// December").
const PART_BREAKS: [&str; 6] = [", and ", ", but ", ", while ", "; ", " — ", " – "];

/// For each date of a unit (`lower`, lowercased), the byte range of the part about it: from
/// the last break before it (after the previous date) to where the next date's part starts.
fn parts(lower: &str, dates: &[ProseDate]) -> Vec<(usize, usize)> {
    let mut starts = Vec::with_capacity(dates.len());
    let mut previous = 0;
    for d in dates {
        let between = &lower[previous.min(d.span.0)..d.span.0];
        let cut = PART_BREAKS
            .iter()
            .filter_map(|b| between.rfind(b).map(|i| i + b.len()))
            .filter(|&i| !between[i..].trim().is_empty())
            .max()
            .unwrap_or(0);
        starts.push(previous.min(d.span.0) + cut);
        previous = d.span.1;
    }
    (0..dates.len())
        .map(|k| {
            let end = starts.get(k + 1).copied().unwrap_or(lower.len());
            (starts[k], end.max(dates[k].span.1))
        })
        .collect()
}

/// A time in another zone is converted, or the date refused when it cannot be.
fn check_zone(date: &ProseDate, site: chrono_tz::Tz, evidence: &mut Evidence) {
    let (Some(time), Some(zone)) = (date.time, date.zone.as_deref()) else {
        return;
    };
    match zone::place(date.date, time, Some(zone), site) {
        Ok((_, Placed::Site)) => {}
        Ok((_, Placed::Converted { from })) => {
            evidence.objections.push(Objection::ConvertedZone(from))
        }
        Err(why) => evidence.objections.push(Objection::Zone(why)),
    }
}

/// The closing part: the last [`CLOSING_BLOCKS`] blocks, any block that talks about the next
/// meetup, and every block under a heading that announces it.
fn closing(blocks: &[Block]) -> Vec<usize> {
    let tail_from = blocks.len().saturating_sub(CLOSING_BLOCKS);
    (0..blocks.len())
        .filter(|&i| {
            i >= tail_from
                || evidence::mentions_next(&blocks[i].text.to_ascii_lowercase())
                || section_title(blocks, i).is_some_and(|h| {
                    let lower = h.to_lowercase();
                    NEXT_HEADINGS
                        .iter()
                        .any(|w| announcement::phrase_positions(&lower, w).next().is_some())
                })
        })
        .collect()
}

/// Where to look for dates in block `b`: its sentences; or its lines, when it is a "When: /
/// Where:" list; or its cells, when it is a table row.
fn units(blocks: &[Block], b: usize) -> Vec<Unit> {
    let block = &blocks[b];
    let fields = labels::fields(blocks, b);
    if matches!(block.kind, Kind::TableRow { .. }) {
        if !fields.is_empty() {
            return fields
                .iter()
                .map(|f| Unit {
                    range: f.value,
                    field: Some(f.label),
                })
                .collect();
        }
        return block
            .cells
            .iter()
            .map(|&c| Unit {
                range: c,
                field: None,
            })
            .collect();
    }
    if !fields.is_empty() {
        return block
            .lines()
            .into_iter()
            .map(|line| Unit {
                range: line,
                field: fields.iter().find(|f| f.line == line).map(|f| f.label),
            })
            .collect();
    }
    blocks::sentences(&block.text)
        .into_iter()
        .map(|range| Unit { range, field: None })
        .collect()
}
