//! End-to-end tests of hostile input (issue 8): out-of-range dates, posts built to exhaust time
//! or memory, recursive templates and absurd config numbers. Every case must end with a located
//! error (exit code 1), never a panic (101), an abort (134) or a hang.

use std::time::{Duration, Instant};

use crate::common::{TempSite, CONFIG};

/// Generous: only a guard against hangs (the old code took 37 s to 139 s on these inputs).
const HANG_GUARD: Duration = Duration::from_secs(10);

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs crier with a hang guard: the process is killed and the test fails if it runs too long.
fn run(site: &TempSite, args: &[&str]) -> Run {
    let mut cmd = site.crier_std(args);
    cmd.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("spawn crier");
    let start = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if start.elapsed() > HANG_GUARD {
            let _ = child.kill();
            let _ = child.wait();
            panic!("crier {args:?} still running after {HANG_GUARD:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("output");
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(
        !run.stderr.contains("panicked") && run.code != 101 && run.code != -1,
        "crier {args:?} crashed (code {}):\n{}",
        run.code,
        run.stderr
    );
    run
}

/// Asserts a diagnostic line `<file>:<line>:<col>: error: ...<needle>...` is in `text`.
fn assert_error(text: &str, file: &str, line: usize, needle: &str) {
    let found = text.lines().any(|l| {
        l.contains(&format!("{file}:{line}:")) && l.contains(": error: ") && l.contains(needle)
    });
    assert!(
        found,
        "expected `{file}:{line}:..: error: ...{needle}...` in:\n{text}"
    );
}

#[test]
fn out_of_range_dates_are_post_errors_in_check_and_build() {
    let site = TempSite::new();
    site.post("2026-01-10-good.md", "title: Good\n", "Fine.\n");
    site.post(
        "2026-01-11-negative.md",
        "title: Negative\ndate: -0001-01-01\n",
        "x\n",
    );
    site.post(
        "2026-01-12-updated.md",
        "title: Updated\ntags: [a]\nlast_modified_at: 0000-06-01 10:00\n",
        "x\n",
    );
    site.post(
        "2026-01-13-far.md",
        "title: Far\nupdated: \"99999-01-01\"\n",
        "x\n",
    );
    site.post("0000-01-01-year-zero.md", "title: Zero\n", "x\n");

    let check = run(&site, &["check"]);
    assert_eq!(check.code, 1, "{}", check.stdout);
    assert_error(&check.stdout, "2026-01-11-negative.md", 3, "1000 to 9998");
    assert_error(&check.stdout, "2026-01-12-updated.md", 4, "1000 to 9998");
    assert_error(&check.stdout, "2026-01-13-far.md", 3, "date");
    assert_error(&check.stdout, "0000-01-01-year-zero.md", 1, "1000 to 9998");

    let out = site.path().join("out");
    let build = run(&site, &["build", "--out", out.to_str().unwrap()]);
    assert_eq!(build.code, 1, "{}\n{}", build.stdout, build.stderr);
    assert_error(&build.stderr, "2026-01-11-negative.md", 3, "1000 to 9998");
    // The good post was still built.
    let rss = std::fs::read_to_string(out.join("rss.xml")).unwrap();
    assert!(rss.contains("Good"), "{rss}");
}

#[test]
fn deep_flow_nesting_is_refused_quickly() {
    let site = TempSite::new();
    site.post(
        "2026-01-10-deep.md",
        &format!("title: Deep\ntags: {}\n", "[".repeat(200_000)),
        "x\n",
    );
    site.post(
        "2026-01-11-deep-closed.md",
        &format!(
            "title: Deep\nx:\n  y: {}{}\n",
            "{a: [".repeat(50),
            "]}".repeat(50)
        ),
        "x\n",
    );
    let start = Instant::now();
    let check = run(&site, &["check"]);
    assert!(start.elapsed() < HANG_GUARD);
    assert_eq!(check.code, 1, "{}", check.stdout);
    assert_error(
        &check.stdout,
        "2026-01-10-deep.md",
        3,
        "more than 64 levels",
    );
    assert_error(
        &check.stdout,
        "2026-01-11-deep-closed.md",
        4,
        "more than 64 levels",
    );
    let build = run(&site, &["build"]);
    assert_eq!(build.code, 1);
}

#[test]
fn alias_expansion_is_bounded_in_bytes_and_uses() {
    let site = TempSite::new();
    // 64 KB aliased 200 times: 12.8 MB once expanded (the limit is 8 MiB).
    let anchor = "x".repeat(64 * 1024);
    site.post(
        "2026-01-10-bomb.md",
        &format!(
            "title: Bomb\nbig: &big {anchor}\ncopies: [{}]\n",
            ["*big"; 200].join(", ")
        ),
        "x\n",
    );
    site.post(
        "2026-01-11-many.md",
        &format!(
            "title: Many\nsmall: &s x\ncopies:\n{}",
            "  - *s\n".repeat(1_001)
        ),
        "x\n",
    );
    site.post(
        "2026-01-12-fine.md",
        "title: Fine\nbase: &b {a: 1}\nother: *b\n",
        "x\n",
    );
    let check = run(&site, &["check"]);
    assert_eq!(check.code, 1, "{}", check.stdout);
    assert_error(&check.stdout, "2026-01-10-bomb.md", 4, "8388608 bytes");
    assert_error(
        &check.stdout,
        "2026-01-11-many.md",
        1_005,
        "more than 1000 `*alias`",
    );
    assert!(
        !check.stdout.contains("2026-01-12-fine.md"),
        "{}",
        check.stdout
    );
}

#[test]
fn oversized_front_matter_and_posts_are_refused() {
    let site = TempSite::new();
    site.post(
        "2026-01-10-long.md",
        &format!("title: Long\ndescription: {}\n", "word ".repeat(60_000)),
        "x\n",
    );
    let check = run(&site, &["check"]);
    assert_eq!(check.code, 1, "{}", check.stdout);
    assert_error(
        &check.stdout,
        "2026-01-10-long.md",
        1,
        "over the limit of 262144 bytes",
    );
}

#[test]
fn thousands_of_tags_are_capped_with_a_warning_and_build_stays_small() {
    let site = TempSite::new();
    let tags: Vec<String> = (0..10_000).map(|i| format!("t{i}")).collect();
    site.post(
        "2026-01-10-tags.md",
        &format!("title: Tags\ndescription: d\ntags: [{}]\n", tags.join(", ")),
        &"Body text. ".repeat(500),
    );
    let check = run(&site, &["check"]);
    assert!(
        check
            .stdout
            .lines()
            .any(|l| l.contains("2026-01-10-tags.md:4:")
                && l.contains("warning")
                && l.contains("10000 entries, over the limit of 100")),
        "{}",
        check.stdout
    );
    let out = site.path().join("out");
    let build = run(&site, &["build", "--out", out.to_str().unwrap()]);
    assert_eq!(build.code, 0, "{}\n{}", build.stdout, build.stderr);
    let tag_feeds = std::fs::read_dir(out.join("tags")).unwrap().count();
    assert_eq!(tag_feeds, 100);
}

/// The example site with one template replaced.
fn example_with_template(rel: &str, text: &str) -> TempSite {
    let site = TempSite::example();
    site.write(&format!("templates/{rel}"), text);
    site
}

#[test]
fn recursive_templates_are_errors_not_aborts() {
    for (rel, text, file, line) in [
        (
            "digest.html.hbs",
            "<p>\n{{#*inline \"r\"}}{{> r}}{{/inline}}{{> r}}</p>",
            "digest.html.hbs",
            2,
        ),
        (
            "partials/footer.html.hbs",
            "x\n{{> footer}}",
            "footer.html.hbs",
            2,
        ),
        ("partials/footer.txt.hbs", "{{> loop}}", "loop.txt.hbs", 1),
    ] {
        let site = example_with_template(rel, text);
        site.write(
            "templates/partials/loop.txt.hbs",
            "{{#if x}}{{> footer}}{{/if}}",
        );
        let check = run(&site, &["check"]);
        assert_eq!(check.code, 1, "{rel}: {}\n{}", check.stdout, check.stderr);
        let all = format!("{}{}", check.stdout, check.stderr);
        assert_error(&all, file, line, "includes itself");
        let send = run(
            &site,
            &["send", "--dry-run", "--at", "2026-11-25T09:00:00Z"],
        );
        assert_eq!(send.code, 1, "{rel}: {}\n{}", send.stdout, send.stderr);
        assert!(send.stderr.contains("includes itself"), "{}", send.stderr);
    }
}

#[test]
fn huge_templates_are_refused_quickly() {
    let site = example_with_template("digest.html.hbs", &"{{site.title}} ".repeat(100_000));
    let check = run(&site, &["check"]);
    assert_eq!(check.code, 1, "{}", check.stdout);
    let all = format!("{}{}", check.stdout, check.stderr);
    assert!(
        all.lines()
            .any(|l| l.contains("digest.html.hbs") && l.contains("bytes")),
        "{all}"
    );
    let site = example_with_template("digest.html.hbs", &"{{site.title}}".repeat(20_000));
    let check = run(&site, &["check"]);
    assert_eq!(check.code, 1, "{}", check.stdout);
    let all = format!("{}{}", check.stdout, check.stderr);
    assert_error(&all, "digest.html.hbs", 1, "4000 `{{...}}` expressions");
}

#[test]
fn delivery_numbers_are_validated_with_key_line_and_range() {
    for (section, key, value, range) in [
        (
            "smtp",
            "timeout_seconds",
            "18446744073709551615",
            "from 1 to 3600",
        ),
        ("smtp", "timeout_seconds", "0", "from 1 to 3600"),
        (
            "smtp",
            "rate_per_second",
            "1e-300",
            "from 0.001 to 10000, or 0",
        ),
        ("smtp", "rate_per_second", ".inf", "found infinity"),
        ("smtp", "rate_per_second", "-1", "found -1"),
        ("smtp", "max_connections", "0", "from 1 to 64"),
        ("smtp", "max_connections", "100000", "from 1 to 64"),
        ("smtp", "port", "70000", "from 1 to 65535"),
        ("smtp", "timeout_seconds", "2.5", "whole number"),
        ("delivery", "retry_base_seconds", ".nan", "found NaN"),
        ("delivery", "retry_base_seconds", "-5", "from 0 to 3600"),
        ("delivery", "retry_base_seconds", "-.inf", "minus infinity"),
        ("delivery", "max_attempts", "0", "from 1 to 100"),
        ("delivery", "max_attempts", "4294967296", "from 1 to 100"),
    ] {
        let host = if section == "smtp" {
            "  host: smtp.example.com\n"
        } else {
            ""
        };
        // The key is on the last line.
        let config = format!("{CONFIG}{section}:\n{host}  {key}: {value}\n");
        let line = config.lines().count();
        let site = TempSite::with_config(&config);
        let check = run(&site, &["check"]);
        assert_eq!(check.code, 1, "{key}: {value}: {}", check.stdout);
        let all = format!("{}{}", check.stdout, check.stderr);
        assert!(
            all.lines().any(|l| l.contains(&format!("crier.yaml:{line}:"))
                && l.contains(&format!("{section}.{key}"))
                && l.contains(range)),
            "{key}: {value}: expected line {line} naming `{section}.{key}` and `{range}` in:\n{all}"
        );
    }
    // Values in range still load.
    let site = TempSite::with_config(&format!(
        "{CONFIG}smtp:\n  host: smtp.example.com\n  timeout_seconds: 3600\n  rate_per_second: 0\n  max_connections: 64\ndelivery:\n  retry_base_seconds: 0.05\n  max_attempts: 100\n"
    ));
    let check = run(&site, &["check"]);
    assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);
}

#[test]
fn a_237_character_address_can_be_previewed() {
    let site = TempSite::example();
    // Valid: a 64-character local part and labels of at most 63 characters.
    let address = format!(
        "{}@{}.{}.{}.example.com",
        "a".repeat(64),
        "b".repeat(63),
        "c".repeat(63),
        "d".repeat(32)
    );
    assert_eq!(address.len(), 237);
    site.write(
        "subscribers/members.csv",
        format!("email,name,company\n{address},Long Address,\n"),
    );
    let send = run(
        &site,
        &["send", "--dry-run", "--at", "2026-11-25T09:00:00Z"],
    );
    assert_eq!(send.code, 0, "{}\n{}", send.stdout, send.stderr);
    assert!(!send.stderr.contains("warning"), "{}", send.stderr);
    let previews: Vec<String> = std::fs::read_dir(site.path().join("preview/eml"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        previews
            .iter()
            .any(|n| n.contains("aaaaaaaa") && n.len() < 200),
        "{previews:?}"
    );
}
