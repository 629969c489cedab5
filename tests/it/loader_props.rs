//! Property tests over the parsers of untrusted input: post files, file names, Liquid and
//! Markdown. Whatever the bytes, loading returns a post or a located error; it never panics.

use std::path::Path;

use crier::config::{self, Config};
use crier::content::{classify, parse_post, render_markdown, substitute, FileKind, PostFileName};
use crier::urls::UrlBase;
use proptest::prelude::*;

fn config() -> Config {
    let text = "site:\n  title: T\n  url: https://example.com\n  baseurl: /b\n  author: A\n  timezone: Europe/London\n";
    config::parse(Path::new("."), Path::new("crier.yaml"), text).expect("valid test config")
}

fn name() -> PostFileName {
    PostFileName {
        date: chrono::NaiveDate::from_ymd_opt(2026, 1, 10).unwrap(),
        slug: "post".into(),
    }
}

/// Text shaped like a post: front matter lines drawn from plausible and hostile pieces.
fn post_like() -> impl Strategy<Value = String> {
    let key = prop::sample::select(vec![
        "title",
        "date",
        "tags",
        "published",
        "image",
        "video",
        "description",
        "id",
        "slug",
        "permalink",
        "categories",
        "redirect_from",
        "last_modified_at",
        "x",
    ]);
    let value = prop::sample::select(vec![
        "Hello",
        "",
        "no",
        "off",
        "[a, b",
        "[a, [b]]",
        "{a: 1}",
        "2021-02-30",
        "2024-01-15 10:00 +0100",
        "\"a\\r\\nb\"",
        "- x",
        "|\n  multi\n  line",
        "!!binary aGk=",
        "&a x",
        "*a",
        "'unterminated",
        "/images/a b.png",
        "//cdn.example.org/x",
        "https://www.youtube.com/embed/x",
        "99999999999999999999",
        "::",
        "\u{0}",
        "é€𝄞",
    ]);
    let line = (key, value).prop_map(|(k, v)| format!("{k}: {v}\n"));
    (
        prop::collection::vec(line, 0..8),
        ".{0,200}",
        prop::bool::ANY,
    )
        .prop_map(|(lines, body, close)| {
            let mut s = String::from("---\n");
            s.extend(lines);
            if close {
                s.push_str("---\n");
            }
            s.push_str(&body);
            s
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    #[test]
    fn parse_post_never_panics_on_post_like_text(text in post_like()) {
        let _ = parse_post(Path::new("p.md"), &name(), &text, &config());
    }

    #[test]
    fn parse_post_never_panics_on_any_text(text in any::<String>()) {
        let _ = parse_post(Path::new("p.md"), &name(), &text, &config());
    }

    #[test]
    fn errors_point_inside_the_file(text in post_like()) {
        if let Err(err) = parse_post(Path::new("p.md"), &name(), &text, &config()) {
            let lines = text.lines().count().max(1);
            prop_assert!(err.line >= 1 && err.line <= lines + 1, "line {} of {} in {:?}: {}", err.line, lines, text, err);
            prop_assert!(err.column >= 1);
        }
    }

    #[test]
    fn titles_that_load_are_single_lines(text in post_like()) {
        if let Ok((post, _)) = parse_post(Path::new("p.md"), &name(), &text, &config()) {
            prop_assert!(!post.title.is_empty());
            prop_assert!(!post.title.chars().any(char::is_control));
            prop_assert!(post.url.starts_with("https://example.com/b/"));
            prop_assert!(!post.url.contains(' '));
        }
    }

    #[test]
    fn schedules_and_configs_never_panic(expr in "[0-9*/,a-zA-Z é-]{0,30}( [0-9*/,a-zA-Zé-]{1,8}){0,6}", text in ".{0,200}") {
        let _ = crier::schedule::Schedule::parse(&expr, chrono_tz::Europe::London);
        let _ = config::parse(Path::new("."), Path::new("crier.yaml"), &text);
    }

    #[test]
    fn file_names_never_panic(name in ".{0,40}") {
        if let FileKind::Post(Ok(parsed)) = classify(&name) {
            prop_assert!(!parsed.slug.is_empty());
        }
    }

    #[test]
    fn markdown_with_link_like_pieces_never_panics(pieces in prop::collection::vec(prop::sample::select(vec![
        "www.", "https://", "http://", "](", "[x]", "(", ")", " ", "\n", "![a](/b c.png)", "<a href='/x'>", "{{ site.url }}",
        "{% raw %}", "{% endraw %}", "{%}", "{{}}", "{{", "%}", "```\n", "*", "_", "~", ".", "é", "<!--more-->", "[^1]", "[^1]: n\n", "|a|b|\n|-|-|\n",
    ]), 0..40)) {
        let body: String = pieces.concat();
        let base = UrlBase { site_url: "https://example.com", baseurl: "/b", page_url: "https://example.com/b/p/" };
        let (text, _) = substitute(&body, &config().site);
        let _ = render_markdown(&text, &base, Some("<!--more-->"));
    }

    #[test]
    fn markdown_and_liquid_never_panic(body in ".{0,300}") {
        let cfg = config();
        let (text, _) = substitute(&body, &cfg.site);
        let base = UrlBase { site_url: "https://example.com", baseurl: "/b", page_url: "https://example.com/b/p/" };
        let rendered = render_markdown(&text, &base, Some("<!--more-->"));
        prop_assert!(!rendered.excerpt_text.contains('\n'));
    }
}

#[test]
fn arbitrary_bytes_on_disk_are_read_or_refused_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let mut runner = proptest::test_runner::TestRunner::default();
    runner
        .run(&prop::collection::vec(any::<u8>(), 0..512), |bytes| {
            let path = dir.path().join("2026-01-10-x.md");
            std::fs::write(&path, &bytes).unwrap();
            match crier::content::read_post_file(&path) {
                Ok(text) => {
                    let _ = parse_post(&path, &name(), &text, &config());
                }
                Err(err) => prop_assert!(err.line >= 1),
            }
            Ok(())
        })
        .unwrap();
}
