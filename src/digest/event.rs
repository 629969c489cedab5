//! The next meetup: from a post's `event:` front matter, or read out of the newest recap's
//! closing "next meetup" paragraph.

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, Weekday};
use serde::Serialize;

use super::prose_date;
use crate::config::{Config, NewsletterSettings};
use crate::content::dates::{in_zone, parse_date};
use crate::content::Post;
use crate::diagnostics::Diagnostic;

/// The next meetup, as a digest announces it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    /// What it is called ("Riverside Cloud Native December").
    pub title: String,
    /// When it starts.
    pub start: DateTime<FixedOffset>,
    /// When it ends (start plus the configured length).
    pub end: DateTime<FixedOffset>,
    /// Where, if known.
    pub location: Option<String>,
    /// The RSVP link, if the post has one.
    pub rsvp: Option<String>,
    /// Stable calendar UID: derived from the site and the post that announced the event, so a
    /// corrected time updates the same calendar entry.
    pub uid: String,
    /// The sentence it was read from (or `front matter`).
    pub sentence: String,
    /// When the post that announced it was published (the anchor of the UID).
    pub announced: DateTime<FixedOffset>,
    /// What it is about, in the source's own words (speakers, topics, sponsors), if it says.
    pub about: Option<String>,
    /// The source says the meetup is online.
    pub online: bool,
    /// The source states a start time; otherwise `start` uses the configured `event_time`
    /// (or midnight) and the e-mail marks the time as not confirmed.
    pub time_stated: bool,
    /// The organisers cancelled it (`event: {cancelled: true}`).
    pub cancelled: bool,
}

impl Event {
    /// The calendar `SEQUENCE` for a copy of this event published at `at`: the minutes since
    /// the announcing post. Every later publication of the same UID therefore carries a higher
    /// SEQUENCE, so a corrected time or place always replaces the entry in subscribers'
    /// calendars, without crier having to remember what it sent before. Every recipient of one
    /// digest gets the same value, because `at` is the digest's time.
    pub fn sequence(&self, at: DateTime<FixedOffset>) -> u32 {
        u32::try_from((at - self.announced).num_minutes().max(0)).unwrap_or(u32::MAX)
    }
}

/// What was found in one post.
#[derive(Debug, Default)]
pub struct Found {
    /// The event, if a date was found and it is after the post.
    pub event: Option<Event>,
    /// Warnings: weekday mismatch, stale date, no event.
    pub warnings: Vec<Diagnostic>,
}

/// Finds the next event a post announces. `body` is the post's Markdown after Liquid.
pub fn find(
    post: &Post,
    body: &str,
    body_line: usize,
    config: &Config,
    settings: &NewsletterSettings,
) -> Found {
    if let Some(value) = post.extra.get("event") {
        return from_front_matter(post, value, config, settings);
    }
    let mut found = Found::default();
    let Some((line, paragraph, heading)) = closing_paragraph(body) else {
        found.warnings.push(Diagnostic::warning(
            &post.source,
            1,
            1,
            "recap has no next event: no paragraph mentions the \"next meetup\" and there is no `event:` front matter",
        ));
        return found;
    };
    let at = body_line + line;
    let (plain, links) = strip_links(&paragraph);
    let post_day = post.date.date_naive();
    let Some(date) = prose_date::find(&plain, post_day) else {
        found.warnings.push(Diagnostic::warning(
            &post.source,
            at,
            1,
            format!(
                "recap has no next event date: found no day and month in \"{}\"",
                quote(&plain)
            ),
        ));
        return found;
    };
    let sentence = sentence_with_date(&plain);
    if let Some(stated) = date.weekday {
        if stated != date.date.weekday() {
            found.warnings.push(Diagnostic::warning(
                &post.source,
                at,
                1,
                format!(
                    "next event says {} but {} is a {}: \"{}\"",
                    weekday_name(stated),
                    date.date.format("%-d %B %Y"),
                    weekday_name(date.date.weekday()),
                    quote(&sentence)
                ),
            ));
        }
    }
    if date.date <= post_day {
        found.warnings.push(Diagnostic::warning(
            &post.source,
            at,
            1,
            format!(
                "next event date {} is not after the post's own date {} (a stale copied paragraph?): \"{}\"",
                date.date,
                post_day,
                quote(&sentence)
            ),
        ));
        return found;
    }
    let start = in_zone(
        date.date.and_time(date.time.unwrap_or(settings.event_time)),
        config.site.timezone,
    );
    found.event = Some(Event {
        title: heading.unwrap_or_else(|| format!("{}: next meetup", config.site.title)),
        start,
        end: start + Duration::minutes(i64::from(settings.event_minutes)),
        location: post.location.clone(),
        rsvp: pick_rsvp(&links),
        uid: uid(post, config),
        announced: post.date,
        sentence,
        about: None,
        online: false,
        time_stated: date.time.is_some(),
        cancelled: false,
    });
    found
}

fn from_front_matter(
    post: &Post,
    value: &serde_json::Value,
    config: &Config,
    settings: &NewsletterSettings,
) -> Found {
    let mut found = Found::default();
    let line = 1;
    let text = |key: &str| {
        value
            .get(key)
            .and_then(|v| match v {
                serde_json::Value::String(s) => Some(s.trim().to_owned()),
                serde_json::Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .filter(|s| !s.is_empty() && !s.chars().any(char::is_control))
    };
    let Some(raw_date) = text("date") else {
        found.warnings.push(Diagnostic::warning(&post.source, line, 1, "field `event.date`: expected a date such as `2026-12-09 18:30`, found nothing; the event is ignored"));
        return found;
    };
    let start = match parse_date(&raw_date, config.site.timezone) {
        Ok(start) if raw_date.trim().len() <= 10 => in_zone(
            start.date_naive().and_time(settings.event_time),
            config.site.timezone,
        ),
        Ok(start) => start,
        Err(why) => {
            found.warnings.push(Diagnostic::warning(
                &post.source,
                line,
                1,
                format!("field `event.date`: {why}; the event is ignored"),
            ));
            return found;
        }
    };
    let rsvp = text("rsvp").filter(|u| u.starts_with("https://") || u.starts_with("http://"));
    found.event = Some(Event {
        title: text("title").unwrap_or_else(|| format!("{}: next meetup", config.site.title)),
        start,
        end: start + Duration::minutes(i64::from(settings.event_minutes)),
        location: text("location").or_else(|| post.location.clone()),
        rsvp,
        uid: uid(post, config),
        announced: post.date,
        sentence: "front matter".to_owned(),
        about: text("about"),
        online: false,
        time_stated: raw_date.trim().len() > 10,
        cancelled: value.get("cancelled").and_then(serde_json::Value::as_bool) == Some(true),
    });
    found
}

/// `next-meetup-2026-11-12-november-recap@meetup.example.com`.
fn uid(post: &Post, config: &Config) -> String {
    format!(
        "next-meetup-{}-{}@{}",
        post.date.format("%Y-%m-%d"),
        post.file_slug,
        config.site.host()
    )
}

/// The last paragraph that talks about the next meetup, with its 0-based line within the body
/// and the heading above it.
fn closing_paragraph(body: &str) -> Option<(usize, String, Option<String>)> {
    let mut best = None;
    let mut heading: Option<String> = None;
    let mut current = String::new();
    let mut start = 0;
    let mut in_fence = false;
    let lines: Vec<&str> = body.lines().collect();
    for (i, line) in lines.iter().chain(std::iter::once(&"")).enumerate() {
        let trimmed = line.trim();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        if trimmed.is_empty() || trimmed.starts_with('#') {
            if mentions_next(&current) {
                best = Some((start, std::mem::take(&mut current), heading.clone()));
            }
            current.clear();
            if let Some(h) = trimmed.strip_prefix('#') {
                heading =
                    Some(h.trim_start_matches('#').trim().to_owned()).filter(|h| !h.is_empty());
            }
            continue;
        }
        if current.is_empty() {
            start = i;
        } else {
            current.push(' ');
        }
        current.push_str(trimmed);
    }
    best
}

fn mentions_next(text: &str) -> bool {
    let lower = text.to_lowercase();
    ["next meetup", "next meet-up", "next event", "next session"]
        .iter()
        .any(|p| lower.contains(p))
}

/// Replaces `[text](url)` with `text` and returns the links.
fn strip_links(text: &str) -> (String, Vec<(String, String)>) {
    let mut plain = String::with_capacity(text.len());
    let mut links = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        plain.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let parsed = after.find("](").and_then(|close| {
            let url_part = &after[close + 2..];
            url_part.find(')').map(|end| (close, end, url_part))
        });
        match parsed {
            Some((close, end, url_part)) => {
                let label = &after[..close];
                let url = url_part[..end]
                    .trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>');
                plain.push_str(label);
                links.push((
                    label.to_owned(),
                    url.split_whitespace().next().unwrap_or("").to_owned(),
                ));
                rest = &url_part[end + 1..];
            }
            None => {
                plain.push('[');
                rest = after;
            }
        }
    }
    plain.push_str(rest);
    (plain, links)
}

/// The link whose text says RSVP (or register, tickets...), else the first http(s) link.
fn pick_rsvp(links: &[(String, String)]) -> Option<String> {
    let web = |url: &String| url.starts_with("https://") || url.starts_with("http://");
    let words = [
        "rsvp",
        "register",
        "sign up",
        "ticket",
        "book",
        "save the date",
    ];
    links
        .iter()
        .find(|(label, url)| web(url) && words.iter().any(|w| label.to_lowercase().contains(w)))
        .or_else(|| links.iter().find(|(_, url)| web(url)))
        .map(|(_, url)| crate::urls::encode_illegal(url))
}

fn sentence_with_date(text: &str) -> String {
    let sentences = text.split_inclusive(['.', '!', '?']);
    let mut best = None;
    for s in sentences {
        if (1..=12).any(|m| month_in(s, m)) {
            best = Some(s.trim().to_owned());
            break;
        }
    }
    best.unwrap_or_else(|| text.trim().to_owned())
}

fn month_in(s: &str, m: u32) -> bool {
    let name = NaiveDate::from_ymd_opt(2000, m, 1)
        .map(|d| d.format("%B").to_string().to_lowercase())
        .unwrap_or_default();
    s.to_lowercase().contains(&name)
}

fn quote(s: &str) -> String {
    let s: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if s.chars().count() > 160 {
        format!("{}...", s.chars().take(160).collect::<String>())
    } else {
        s
    }
}

fn weekday_name(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closing_paragraph_is_the_last_one_about_the_next_meetup() {
        let body = "Intro about the next meetup.\n\n## Riverside January\n\nOur next meetup will be on\nWednesday 14th January. [RSVP](https://e.example.org/1)\n\nBye!\n";
        let (line, text, heading) = closing_paragraph(body).unwrap();
        assert_eq!(line, 4);
        assert_eq!(
            text,
            "Our next meetup will be on Wednesday 14th January. [RSVP](https://e.example.org/1)"
        );
        assert_eq!(heading.as_deref(), Some("Riverside January"));
    }

    #[test]
    fn links_are_stripped_and_rsvp_preferred() {
        let (plain, links) = strip_links("speakers from [Acme](https://acme.example.com). [RSVP and save the date now!](https://events.example.org/2)!");
        assert_eq!(plain, "speakers from Acme. RSVP and save the date now!!");
        assert_eq!(
            pick_rsvp(&links).as_deref(),
            Some("https://events.example.org/2")
        );
        assert_eq!(
            pick_rsvp(&[("here".into(), "https://x.example.org".into())]).as_deref(),
            Some("https://x.example.org")
        );
        assert_eq!(
            pick_rsvp(&[("mail".into(), "mailto:a@example.com".into())]),
            None
        );
    }
}
