//! Fuzzing every parser of untrusted input, with proptest on stable Rust: subscriber CSV, the
//! organiser's templates, prose dates in recaps, raw HTML in posts (feeds, e-mails, the recap
//! reader), crontab schedules and `crier.yaml`. (Front
//! matter and Markdown are in `loader_props.rs` and `hardening_props.rs`.) Seeds come from the
//! example site. `CRIER_FUZZ_CASES` sets the number of cases per target (CI runs more).

use std::path::Path;

use chrono::NaiveDate;
use crier::config;
use crier::content::{self, Post};
use crier::digest::prose_date::{DateContext, DateOrder};
use crier::digest::{event, prose_date, talks};
use crier::email::{Kind, Templates};
use crier::schedule::{next_action, History, Schedule};
use crier::subscribers::{self, Row};
use proptest::prelude::*;

fn cases() -> u32 {
    std::env::var("CRIER_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(96)
}

fn repo_file(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap()
}

/// Text built from pieces of `seed` and hostile fragments.
fn mutated(seed: String, hostile: Vec<&'static str>) -> impl Strategy<Value = String> {
    let lines: Vec<String> = seed.lines().map(str::to_owned).collect();
    let n = lines.len().max(1);
    prop::collection::vec((0..n, prop::sample::select(hostile), 0..4u8), 0..8).prop_map(
        move |edits| {
            let mut out = lines.clone();
            for (at, piece, how) in edits {
                let at = at.min(out.len().saturating_sub(1));
                match how {
                    0 if !out.is_empty() => {
                        out.remove(at);
                    }
                    1 => out.insert(at, piece.to_owned()),
                    2 if !out.is_empty() => out[at].push_str(piece),
                    _ => {
                        let line = out.get(at).cloned().unwrap_or_default();
                        out.insert(at, line);
                    }
                }
            }
            out.join("\n")
        },
    )
}

const CSV_PIECES: &[&str] = &[
    ",",
    "\"",
    "\"\"",
    "\r",
    "\r\n",
    "\u{feff}",
    "@",
    "a@b",
    " x@example.com ",
    "\0",
    "é@example.com",
    "email",
    "name",
    ",,,,,,",
    "\"unterminated",
    "<a@b>",
    "a@b,c@d",
    ";",
];

const TEMPLATE_PIECES: &[&str] = &[
    "{{",
    "}}",
    "{{{",
    "}}}",
    "{{#if recaps.0}}",
    "{{/if}}",
    "{{else}}",
    "{{#each recaps}}",
    "{{/each}}",
    "{{title}}",
    "{{> header}}",
    "{{#*inline \"x\"}}",
    "{{/inline}}",
    "{{> x}}",
    "{{site.title}}",
    "{{subscriber.name}}",
    "{{!-- c --}}",
    "{{lookup site \"title\"}}",
    "{{#with event}}",
    "{{/with}}",
    "\\{{",
    "{{@index}}",
    "{{../site.title}}",
];

/// Pieces of closing paragraphs and talk lists: dates in every wording, cue words, links,
/// Markdown and hostile characters.
const ANNOUNCE_PIECES: &[&str] = &[
    "See you on ",
    "Our next meetup is on ",
    "We had ",
    "Thanks to everyone who came on ",
    "Save the date: ",
    "11/06",
    "31/02/2027",
    "2026-02-30",
    "Thursday ",
    "the 14th",
    "the 31st of ",
    "February ",
    "May ",
    "9th ",
    "2027 ",
    "at 6:30pm",
    " at Example Hall",
    " online on Zoom",
    " for talks on eBPF",
    ", when we'll be joined by speakers from A, B and C",
    "[RSVP](https://www.meetup.com/x/events/1)",
    "[",
    "](",
    ")",
    "<a href=\"https://e.example.org\">",
    "</a>",
    "**Ada Lovelace**",
    " from Example Ltd",
    " discussing ",
    "*\"Title\"*",
    "(starting at [12:34](https://youtu.be/abcDEF12345?t=754))",
    "(1:02:03)",
    "| Talk | Speaker | Video |\n|---|---|---|\n| T | S | [v](https://youtu.be/abcDEF12345) |",
    "\n## Next up: 9 May\n",
    "\n- ",
    ". ",
    "! ",
    "é",
    "’s",
    "“Curly title”",
    "”",
    "İ",
    "K",
    "\u{202e}",
    "…",
    " ",
    // The reader of issue 16: fields, tables, zones, ranges, relative months, offers.
    "\n## Next meetup\n\n- When: ",
    "\n- Where: Example Works",
    "\n- RSVP: https://www.meetup.com/riverside/events/1",
    "\n| When | Where | RSVP |\n|---|---|---|\n| ",
    " | Example Works | [RSVP](https://e.example.org/1) |",
    "11:59 PM (PT)",
    " at 7pm GMT",
    " at 1pm ET",
    "UTC+14",
    "GMT-99",
    "6-8 October",
    " to ",
    "next month on the 12th",
    "in September on the 10th",
    "9/16",
    "our 6th anniversary",
    "the Xmas edition",
    "\n## Offers for our members\n\n",
    "Register by ",
    "20% off with the code RIVER20",
    "Example DevOps's next meetup",
    "Our friends at Acme have their ",
    " (the week after Kubecon), ",
    "(",
    " hosted by Sample Bank. ",
    "We'll be back at Example Works.",
    "<a href=\"https://e.example.org/x\">",
    "<br>",
    "**",
    "`",
    "> ",
    "```\n",
];

/// Raw HTML, well-formed and not: the tags crier rewrites, values in every quoting, character
/// references, comments, raw-text elements, foreign content and tags left open.
const HTML_PIECES: &[&str] = &[
    "<img src=\"/a b.png\" width=\"1600\" height=\"1067\">",
    "<IMG SRC='//cdn.example.org/p.png' style='border:0'/>",
    "<img src=x width=0>",
    "<img width=99999999999px height=5 alt=\"\" hidden>",
    "<a href=\"/x?a=1&amp;b=2\">",
    "<a href=/y>",
    "<a\nhref='rel'>",
    "</a>",
    "<a href='",
    "<a href=\"",
    "<iframe src=\"https://www.youtube.com/embed/abcdefghijk?start=20\">",
    "<iframe src=x>",
    "</iframe>",
    "<object data=\"/s.pdf\">",
    "</object>",
    "<h1 id=a>",
    "</h1>",
    "<H1>",
    "<video poster=p.jpg src=v.mp4>",
    "<p data=\"d\" class=\"href\">",
    "</p>",
    "<br>",
    "<div>",
    "</div>",
    "<!--",
    "-->",
    "<!-- <img src=x> -->",
    "<script>",
    "</script>",
    "<style>",
    "<textarea>",
    "<plaintext>",
    "<![CDATA[",
    "]]>",
    "<!doctype html>",
    "<?xml?>",
    "<svg><a href=\"/s\">",
    "</svg>",
    "<esi:include src=\"/e\"/>",
    "<meta charset=\"latin1\">",
    "<",
    ">",
    "</",
    "=",
    "\"",
    "'",
    "&",
    "&amp;",
    "&#x27;",
    "&#99999999;",
    "&nbsp;",
    "text",
    " ",
    "\n",
    "\n\n",
    "é",
    "\u{202e}",
    "[x](/y)",
    "**b**",
];

/// A site in Europe/London and a recap post published on `day`.
fn recap_post(day: NaiveDate) -> (config::Config, Post) {
    let root = Path::new("site");
    let text = "site:\n  title: T\n  url: https://example.com\n  author: A\n  timezone: Europe/London\nnewsletter:\n  from: { name: N, address: news@example.com }\n";
    let config = config::parse(root, &root.join("crier.yaml"), text).unwrap();
    let name = format!("{}-recap.md", day.format("%Y-%m-%d"));
    let file_name = content::post_file_name(Path::new(&name)).unwrap().unwrap();
    let post = content::parse_post(
        Path::new(&name),
        &file_name,
        "---\ntitle: R\ntags: [Meetup]\n---\n",
        &config,
    )
    .unwrap()
    .0;
    (config, post)
}

const DATE_WORDS: &[&str] = &[
    "11/06",
    "3/7/26",
    "2026-06-11",
    "of",
    "May",
    "14th",
    "next",
    "meetup",
    "on",
    "Wednesday",
    "Thursday",
    "7th",
    "9",
    "31st",
    "29th",
    "April",
    "February",
    "Dec",
    "2026",
    "2027",
    "99999",
    "at",
    "6:30pm",
    "18:30",
    "25:99",
    "12am",
    "the",
    "é",
    "0",
    "-1",
    "1st",
    "May",
    "May,",
    "(",
    ")",
    "RSVP",
    "14th",
    "of",
    "Sept",
];

const CONFIG_PIECES: &[&str] = &[
    "  url: ftp://x",
    "  timezone: Mars/Base",
    "  max_connections: 0",
    "  rate_per_second: .nan",
    "  timeout_seconds: 18446744073709551615",
    "  retry_base_seconds: -1",
    "limits:",
    "  tags_per_post: 99999999999999999999",
    "schedule: \"61 25 * * *\"",
    "  - list",
    "[",
    "{",
    ": :",
    "&a x",
    "*a",
    "newsletter:",
    "  from: x",
    "  port: 99999",
    "\t",
    "site: null",
    "  schedule: \"0 9 * * 8\"",
    "  bind: nonsense",
    "  subject: \"{{#if}}\"",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), .. ProptestConfig::default() })]

    #[test]
    fn subscriber_csv_rows_are_all_accounted_for(text in mutated(repo_file("subscribers/members.csv"), CSV_PIECES.to_vec())) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("members.csv");
        std::fs::write(&path, &text).unwrap();
        let mut valid = 0;
        let report = subscribers::read_rows(&path, "members", |row| {
            if let Row::Valid(sub) = &row {
                prop_assert!(subscribers::Address::parse(sub.email.as_str()).is_ok(), "{}", sub.email);
                prop_assert!(!sub.name.as_deref().unwrap_or("").contains(['\r', '\n']));
                valid += 1;
            }
            Ok(())
        })?;
        prop_assert_eq!(report.subscribers, valid);
    }

    #[test]
    fn subscriber_csv_of_any_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.csv");
        std::fs::write(&path, &bytes).unwrap();
        let _ = subscribers::read_rows(&path, "x", |_| Ok::<(), ()>(()));
    }

    #[test]
    fn templates_load_or_fail_cleanly_and_render_without_panics(
        html in prop::collection::vec(prop::sample::select(TEMPLATE_PIECES.to_vec()), 0..24),
        subject in prop::collection::vec(prop::sample::select(TEMPLATE_PIECES.to_vec()), 0..6),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        for name in ["digest.txt.hbs", "post.html.hbs", "post.txt.hbs", "style.css"] {
            std::fs::copy(repo.join(name), dir.path().join(name)).unwrap();
        }
        std::fs::create_dir_all(dir.path().join("partials")).unwrap();
        std::fs::write(dir.path().join("partials/header.html.hbs"), "<h1>{{site.title}}</h1>").unwrap();
        std::fs::write(dir.path().join("digest.html.hbs"), html.concat()).unwrap();
        if let Ok(templates) = Templates::load(dir.path(), &subject.concat()) {
            let data = serde_json::json!({
                "site": {"title": "T", "url": "https://example.com/"},
                "recaps": [{"title": "R"}],
                "event": {"title": "E"},
                "subscriber": {"name": "N", "email": "a@example.com"},
            });
            let _ = templates.html(Kind::Digest, &data);
            let _ = templates.subject(Kind::Digest, &data);
        }
    }

    #[test]
    fn prose_dates_without_a_year_are_never_long_before_the_post(
        words in prop::collection::vec(prop::sample::select(DATE_WORDS.to_vec()), 0..16),
        days in 0i64..4000,
    ) {
        let post = NaiveDate::from_ymd_opt(2019, 1, 1).unwrap() + chrono::Duration::days(days);
        // A stated year is taken as written; without one, the date is the nearest such date
        // that is at most a few months before the post (a stale paragraph), else the next one.
        let states_a_year = words.iter().any(|w| w.chars().filter(char::is_ascii_digit).count() >= 4);
        let earliest = post - chrono::Duration::days(prose_date::PAST_GRACE_DAYS);
        for found in prose_date::find_all(&words.join(" "), post) {
            prop_assert!(states_a_year || found.date >= earliest, "{:?} before {earliest}", found.date);
            prop_assert!(found.span.0 <= found.span.1);
        }
    }

    #[test]
    fn closing_paragraphs_of_any_wording_never_panic(
        paragraphs in prop::collection::vec(
            prop::collection::vec(prop::sample::select(ANNOUNCE_PIECES.to_vec()), 0..24),
            0..6,
        ),
        noise in "\\PC{0,80}",
        days in 0i64..4000,
    ) {
        let body: Vec<String> = paragraphs.iter().map(|p| p.concat()).collect();
        let body = format!("{}\n\n{noise}\n", body.join("\n\n"));
        let post_day = NaiveDate::from_ymd_opt(2019, 1, 1).unwrap() + chrono::Duration::days(days);
        let (config, post) = recap_post(post_day);
        let settings = config.newsletter.clone().unwrap();
        let found = event::find(&post, &body, 6, &config, &settings);
        if let Some(e) = &found.event {
            // Read from the text, an event is after the post (a converted time may move it
            // to the next day, never before).
            prop_assert!(e.start.date_naive() >= post_day, "{} not after {post_day}", e.start);
            prop_assert!(e.about.as_ref().is_none_or(|a| a.chars().count() <= 201));
            prop_assert!(found.none.is_none());
        } else {
            prop_assert!(found.none.is_some());
        }
        // Every doubt points into the body and quotes a sentence of bounded length.
        let lines = body.lines().count() + 7;
        for doubt in &found.doubts {
            prop_assert!(doubt.line >= 6 && doubt.line <= lines, "{doubt:?}");
            prop_assert!(doubt.sentence.chars().count() <= 163);
        }
        // The same body read twice gives the same reading.
        let again = event::find(&post, &body, 6, &config, &settings);
        prop_assert_eq!(&again.event, &found.event);
        prop_assert_eq!(&again.doubts, &found.doubts);
        for talk in talks::find(&body, Some("https://www.youtube.com/embed/abcDEF12345")) {
            prop_assert!(!talk.title.is_empty() && talk.title.chars().count() <= 161);
        }
    }

    #[test]
    fn raw_html_is_rewritten_without_panics_and_left_alone_where_nothing_applies(
        pieces in prop::collection::vec(prop::sample::select(HTML_PIECES.to_vec()), 0..40),
        days in 0i64..4000,
    ) {
        let html = pieces.concat();
        let lower = html.to_ascii_lowercase();
        // E-mail: only the tags it changes change.
        let mailed = crier::email::body::for_email(&html, 552);
        if !["<img", "<object", "<iframe", "<h1"].iter().any(|t| lower.contains(t)) {
            prop_assert_eq!(&mailed, &html);
        }
        // Feeds: URLs made absolute once are left as they are.
        let base = crier::urls::UrlBase { site_url: "https://example.com", baseurl: "/b", page_url: "https://example.com/b/p/" };
        let first = content::render_html(&html, &base, None);
        if !["href", "src", "data", "poster"].iter().any(|a| lower.contains(a)) {
            prop_assert_eq!(&first.html, &html);
        }
        prop_assert!(!first.excerpt_text.contains('\n'));
        let again = content::render_html(&first.html, &base, None);
        prop_assert_eq!(&again.html, &first.html);
        // Markdown around it, and the recap reader over it.
        let rendered = content::render_markdown(&html, &base, Some("<!--more-->"));
        prop_assert!(!rendered.excerpt_text.contains('\n'));
        let post_day = NaiveDate::from_ymd_opt(2019, 1, 1).unwrap() + chrono::Duration::days(days);
        let (config, post) = recap_post(post_day);
        let settings = config.newsletter.clone().unwrap();
        let _ = event::find(&post, &html, 6, &config, &settings);
    }

    #[test]
    fn numeric_dates_read_in_every_order_are_real_dates_near_the_post(
        words in prop::collection::vec(prop::sample::select(DATE_WORDS.to_vec()), 0..16),
        days in 0i64..4000,
        order in prop::sample::select(vec![DateOrder::DayFirst, DateOrder::MonthFirst, DateOrder::Unknown]),
    ) {
        let anchor = NaiveDate::from_ymd_opt(2019, 1, 1).unwrap() + chrono::Duration::days(days);
        let text = words.join(" ");
        let states_a_year = words.iter().any(|w| w.chars().filter(char::is_ascii_digit).count() >= 4);
        let earliest = anchor - chrono::Duration::days(prose_date::PAST_GRACE_DAYS);
        for found in prose_date::find_all_in(&text, &DateContext { anchor, order }) {
            prop_assert!(states_a_year || found.date >= earliest, "{:?} before {earliest}", found.date);
            prop_assert!(found.span.0 <= found.span.1 && found.span.1 <= text.len());
            // Only a site that says neither order leaves a numeric date ambiguous.
            prop_assert!(!found.ambiguous || (order == DateOrder::Unknown && found.numeric));
        }
    }

    #[test]
    fn any_text_is_read_without_panics(text in "\\PC{0,400}", days in 0i64..4000) {
        let post_day = NaiveDate::from_ymd_opt(2019, 1, 1).unwrap() + chrono::Duration::days(days);
        let _ = prose_date::find_all(&text, post_day);
        let _ = prose_date::parse_time(&text);
        let _ = talks::find(&text, None);
        let (config, post) = recap_post(post_day);
        let settings = config.newsletter.clone().unwrap();
        let _ = event::find(&post, &text, 1, &config, &settings);
    }

    #[test]
    fn schedules_that_parse_always_give_an_action(
        fields in prop::collection::vec("[0-9*/,\\-]{1,6}|MON|sun|Fri-Sat|7|0", 5),
        minutes in 0i64..2_000_000,
    ) {
        if let Ok(schedule) = Schedule::parse(&fields.join(" "), chrono_tz::Europe::London) {
            let now = chrono::DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z").unwrap()
                + chrono::Duration::minutes(minutes);
            let _ = next_action(&schedule, now, chrono::Duration::hours(12), History::default());
        }
    }

    #[test]
    fn crier_yaml_mutations_are_accepted_or_reported_inside_the_file(
        text in mutated(repo_file("crier.yaml"), CONFIG_PIECES.to_vec()),
    ) {
        let root = Path::new("site");
        let path = root.join("crier.yaml");
        let lines = text.lines().count().max(1);
        if let Err(problems) = config::parse(root, &path, &text) {
            prop_assert!(!problems.is_empty());
            for p in problems {
                prop_assert!(p.line >= 1 && p.line <= lines + 1, "{p}");
            }
        }
    }
}
