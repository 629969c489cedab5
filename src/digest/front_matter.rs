//! What organisers say themselves, in a post's front matter: `event:` (the next meetup) and
//! `talks:` (the talks of the meetup the recap is about). Both win over the readers; a
//! mistake in them is a warning that names the field, and the field is left out.

use chrono::Duration;

use super::event::{default_title, quote, uid, Event, FRONT_MATTER};
use super::reading::Doubt;
use super::{prose_date, Talk};
use crate::config::{Config, NewsletterSettings};
use crate::content::dates::{in_zone, parse_date};
use crate::content::Post;
use crate::diagnostics::Diagnostic;

/// Most talks taken from `talks:` front matter.
const MAX_TALKS: usize = 32;

/// `true`, `yes` (and YAML's booleans).
fn truthy(value: Option<&serde_json::Value>) -> bool {
    match value {
        Some(serde_json::Value::Bool(b)) => *b,
        Some(serde_json::Value::String(s)) => {
            matches!(
                s.trim().to_ascii_lowercase().as_str(),
                "true" | "yes" | "on"
            )
        }
        _ => false,
    }
}

/// A text field of a front-matter mapping, trimmed, without control characters.
fn field_text(value: &serde_json::Value, key: &str) -> Option<String> {
    value
        .get(key)
        .and_then(|v| match v {
            serde_json::Value::String(s) => Some(s.trim().to_owned()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
        .filter(|s| !s.is_empty() && !s.chars().any(char::is_control))
}

/// The event from `event:` front matter: `date` (required; with a time, or `time:` beside
/// it), `title`, `rsvp`, `location` (`Online` means online), `online`, `about`, `cancelled`.
/// Without `title`, `title_for` gives the title of the announcement in the post's own text
/// for that date, if it has one: a cancellation keeps the name of the meetup it cancels.
pub fn event(
    post: &Post,
    value: &serde_json::Value,
    config: &Config,
    settings: &NewsletterSettings,
    title_for: impl FnOnce(chrono::NaiveDate) -> Option<String>,
) -> (Option<Event>, Vec<Diagnostic>) {
    let mut warnings = Vec::new();
    let text = |key: &str| field_text(value, key);
    let warn = |message: String| Diagnostic::warning(&post.source, 1, 1, message);
    let Some(raw_date) = text("date") else {
        warnings.push(warn("field `event.date`: expected a date such as `2026-12-09 18:30`, found nothing; the event is ignored".to_owned()));
        return (None, warnings);
    };
    let time = text("time").and_then(|raw| {
        let parsed = prose_date::parse_time(&raw);
        if parsed.is_none() {
            warnings.push(warn(format!("field `event.time`: expected a time such as `18:30` or `6:30pm`, found `{}`; the usual time is used", quote(&raw))));
        }
        parsed
    });
    let date_has_time = raw_date.trim().len() > 10;
    let start = match parse_date(&raw_date, config.site.timezone) {
        Ok(start) if time.is_some() || !date_has_time => {
            let at = time.unwrap_or(settings.event_time);
            in_zone(start.date_naive().and_time(at), config.site.timezone)
        }
        Ok(start) => start,
        Err(why) => {
            warnings.push(warn(format!(
                "field `event.date`: {why}; the event is ignored"
            )));
            return (None, warnings);
        }
    };
    let location = text("location");
    let said_online = location
        .as_deref()
        .is_some_and(|l| l.eq_ignore_ascii_case("online"));
    let title = text("title")
        .or_else(|| title_for(start.date_naive()))
        .unwrap_or_else(|| default_title(config));
    let event = Event {
        title,
        start,
        end: start + Duration::minutes(i64::from(settings.event_minutes)),
        location: location.filter(|_| !said_online),
        rsvp: text("rsvp").filter(|u| u.starts_with("https://") || u.starts_with("http://")),
        uid: uid(post, config),
        announced: post.date,
        sentence: FRONT_MATTER.to_owned(),
        about: text("about").map(|a| super::announcement::shorten(&a, 500)),
        online: said_online || truthy(value.get("online")),
        time_stated: date_has_time || time.is_some(),
        cancelled: truthy(value.get("cancelled")),
    };
    (Some(event), warnings)
}

/// The talks in `talks:` front matter: a list of mappings with `title` (required),
/// `speakers` (text or a list), `video` (a URL, or a time such as `12:34` in the post's own
/// video) and `at` (a time in the video). `None` when the post has no usable `talks:` (the
/// talks are then read from the text), with what is wrong with it.
pub fn talks(post: &Post) -> (Option<Vec<Talk>>, Vec<Doubt>) {
    let Some(value) = post.extra.get("talks") else {
        return (None, Vec::new());
    };
    let doubt = |why: String| Doubt {
        line: 1,
        sentence: "talks:".to_owned(),
        why,
    };
    let Some(items) = value.as_array() else {
        let why = "field `talks`: expected a list of talks (`- title: ...`); the talks are read from the text";
        return (None, vec![doubt(why.to_owned())]);
    };
    let mut doubts = Vec::new();
    let mut out = Vec::new();
    for (i, item) in items.iter().take(MAX_TALKS).enumerate() {
        match talk(item, post.video.as_deref()) {
            Ok(talk) => out.push(talk),
            Err(why) => doubts.push(doubt(format!(
                "field `talks[{i}]`: {why}; that talk is left out"
            ))),
        }
    }
    (Some(out), doubts)
}

/// One talk of `talks:` front matter.
fn talk(item: &serde_json::Value, post_video: Option<&str>) -> Result<Talk, String> {
    let title = match item {
        serde_json::Value::String(s) => Some(s.trim().to_owned()),
        _ => field_text(item, "title"),
    }
    .filter(|t| !t.is_empty() && !t.chars().any(char::is_control))
    .ok_or("expected a `title`")?;
    let speakers = match item.get("speakers").or_else(|| item.get("speaker")) {
        Some(serde_json::Value::Array(names)) => {
            let names: Vec<&str> = names
                .iter()
                .filter_map(|n| n.as_str())
                .map(str::trim)
                .collect();
            (!names.is_empty()).then(|| super::talks::join_names(&names))
        }
        Some(_) => field_text(item, "speakers").or_else(|| field_text(item, "speaker")),
        None => None,
    };
    let video_field = field_text(item, "video");
    let at = field_text(item, "at").or_else(|| video_field.clone().filter(|v| !v.contains("://")));
    let seconds = match at.as_deref() {
        Some(clock) => Some(super::talks::clock_seconds(clock).ok_or_else(|| {
            format!(
                "expected a time in the video such as `12:34` or `1:02:03`, found `{}`",
                quote(clock)
            )
        })?),
        None => None,
    };
    let url = video_field
        .filter(|v| v.starts_with("https://") || v.starts_with("http://"))
        .or_else(|| seconds.and(post_video.map(str::to_owned)));
    Ok(super::talks::talk(
        &title,
        speakers,
        url.as_deref(),
        seconds,
    ))
}
