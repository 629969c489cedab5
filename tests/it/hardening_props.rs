//! Property test over the whole library pipeline (issue 8): the example site's posts, mutated
//! and laced with hostile pieces (out-of-range dates, huge numbers, deep YAML, many tags,
//! anchors and aliases), go through `load_posts` and `feeds::build`. Nothing may panic, and
//! every post the loader accepted must build into every feed format.

use std::path::{Path, PathBuf};

use crier::clock::Clock;
use crier::config::{self, Config};
use crier::content::load_posts;
use crier::diagnostics::Severity;
use proptest::prelude::*;

fn example_posts() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("posts");
    let mut posts: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let path = e.ok()?.path();
            let name = path.file_name()?.to_str()?.to_owned();
            if !name.ends_with(".md") || name.len() < 12 {
                return None;
            }
            Some((name, std::fs::read_to_string(&path).ok()?))
        })
        .collect();
    posts.sort();
    assert!(!posts.is_empty());
    posts
}

fn config(root: &Path) -> Config {
    let text = "site:\n  title: T\n  url: https://example.com\n  author: A\n  timezone: Europe/London\nfeeds:\n  tags: true\nnewsletter:\n  from: { name: N, address: news@example.com }\n  recap_tag: Meetup\n";
    config::parse(root, &root.join("crier.yaml"), text).expect("valid test config")
}

/// Front-matter lines that have broken crier before, or could.
pub(crate) fn hostile_line() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "date: -0001-01-01",
            "date: 0000-01-01",
            "date: 9999-12-31 23:59:59 -1200",
            "date: 99999-01-01",
            "date: +10000-01-01",
            "date: 1970-01-01T00:00:00+23:59",
            "last_modified_at: -5000-01-01",
            "updated: 0001-01-01",
            "date: 18446744073709551615",
            "title: 1e400",
            "title: .nan",
            "tags: 18446744073709551616",
            "published: 0",
            "event: {date: -0001-01-01, title: x}",
            "event: {date: 9999-12-31}",
            "event: {date: 2026-12-09, cancelled: yes}",
            "talks: [{title: x, at: '99:99'}, {speakers: [a, 1]}, 5, [], {title: ''}]",
            "talks: {title: not a list}",
            "talks: [{title: \"\\u202e\", video: 'javascript:alert(1)'}]",
            "permalink: /:year/:month/:day/:title/",
            "slug: ''",
        ])
        .prop_map(str::to_owned),
        (1usize..300).prop_map(|n| format!("tags: {}{}", "[".repeat(n), "]".repeat(n))),
        (1usize..300).prop_map(|n| format!("x: {}", "{a: ".repeat(n))),
        (1usize..3000).prop_map(|n| format!(
            "tags: [{}]",
            (0..n)
                .map(|i| format!("t{i}"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        (1usize..2000, 1usize..400).prop_map(|(size, uses)| format!(
            "big: &a {}\ncopies: [{}]",
            "x".repeat(size * 40),
            vec!["*a"; uses].join(", ")
        )),
    ]
}

#[derive(Debug, Clone)]
pub(crate) enum Mutation {
    /// Insert a hostile line after line `at` of the front matter.
    Inject(usize, String),
    /// Overwrite one byte.
    Byte(usize, u8),
    /// Delete a line.
    DeleteLine(usize),
    /// Duplicate a line.
    DuplicateLine(usize),
}

pub(crate) fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (1usize..6, hostile_line()).prop_map(|(at, l)| Mutation::Inject(at, l)),
        1 => (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Mutation::Byte(at, b)),
        1 => any::<usize>().prop_map(Mutation::DeleteLine),
        1 => any::<usize>().prop_map(Mutation::DuplicateLine),
    ]
}

pub(crate) fn apply(text: &str, mutation: &Mutation) -> Vec<u8> {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    match mutation {
        Mutation::Inject(at, line) => lines.insert((*at).min(lines.len()), line.clone()),
        Mutation::Byte(at, byte) => {
            let mut bytes = text.as_bytes().to_vec();
            if !bytes.is_empty() {
                let i = at % bytes.len();
                bytes[i] = *byte;
            }
            return bytes;
        }
        Mutation::DeleteLine(at) if !lines.is_empty() => {
            let i = at % lines.len();
            lines.remove(i);
        }
        Mutation::DuplicateLine(at) if !lines.is_empty() => {
            let i = at % lines.len();
            lines.insert(i, lines[i].clone());
        }
        _ => {}
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out.into_bytes()
}

/// File names with dates at and beyond the edges of the supported range.
fn file_date() -> impl Strategy<Value = Option<&'static str>> {
    prop::option::weighted(
        0.3,
        prop::sample::select(vec![
            "0000-01-01",
            "0999-12-31",
            "1000-01-01",
            "9998-12-31",
            "9999-12-31",
            "2024-02-29",
        ]),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn mutated_example_posts_load_and_build_without_panics(
        picks in prop::collection::vec((any::<prop::sample::Index>(), prop::collection::vec(mutation(), 1..4), file_date()), 1..4)
    ) {
        let posts = example_posts();
        let dir = tempfile::tempdir().unwrap();
        let posts_dir = dir.path().join("posts");
        std::fs::create_dir_all(&posts_dir).unwrap();
        let mut written: Vec<PathBuf> = Vec::new();
        for (n, (index, mutations, date)) in picks.iter().enumerate() {
            let (name, text) = &posts[index.index(posts.len())];
            let mut bytes = text.clone().into_bytes();
            for m in mutations {
                bytes = apply(&String::from_utf8_lossy(&bytes), m);
            }
            let name = match date {
                Some(date) => format!("{date}-{n}{}", &name[10..]),
                None => format!("{}{n}-{}", &name[..11], &name[11..]),
            };
            let path = posts_dir.join(name);
            std::fs::write(&path, bytes).unwrap();
            written.push(path);
        }
        let config = config(dir.path());
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-25T12:00:00Z").unwrap();
        let report = load_posts(&config, &Clock::fixed(now));
        let built = crier::feeds::build(&report.posts, &config, now);
        // Every post the loader accepted renders: no post is dropped at build time.
        prop_assert!(built.diagnostics.is_empty(), "{:?}", built.diagnostics);
        for post in &report.posts {
            let errors = report.diagnostics.iter().any(|d| d.path == post.source && d.severity == Severity::Error);
            prop_assert!(!errors, "{} loaded despite errors", post.source.display());
        }
        prop_assert!(built.files.iter().any(|f| f.path == "rss.xml"));
        // The recap reader reads every mutated post without panicking, and says something
        // about each: an event or why none.
        let settings = config.newsletter.clone().unwrap();
        for reading in crier::digest::read_newest(&report.posts, &config, &settings, now, 8) {
            prop_assert!(!reading.to_string().is_empty());
        }
        let digest = crier::digest::build(&report.posts, &config, &settings, now, None);
        prop_assert!(digest.event.as_ref().is_none_or(|e| e.event.start > now));
        let _ = crier::digest::check_events(&report.posts, &config, &settings);
        prop_assert!(report.posts.iter().all(|p| p.tags.len() <= 100));
        let _ = written;
    }
}
