//! Bounded reading (issue 18): imports take regular files only (or standard input as `-`),
//! within a size, a row and a zip-entry limit, and refuse a file without an address column;
//! `crier.yaml` has the limits of front matter; tags and slugs too long for a file name still
//! build. Each case runs the real binary under a memory cap and a hang guard, so a regression
//! fails instead of hanging or eating the machine; speed itself is measured in BENCHMARKS.md.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::TempSite;

/// Generous: only a guard against hangs. Before these bounds, `/dev/zero` and a FIFO never
/// finished, a 100,000-entry zip took 9 s and a 100,000-level `crier.yaml` 43 s (debug build).
const HANG_GUARD: Duration = Duration::from_secs(20);

/// The address space crier may use (`ulimit -v`, in KiB): an import of `/dev/zero` grew to
/// 2 GB before it was bounded.
const MEMORY_CAP_KIB: u64 = 1024 * 1024;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    /// Both streams: `check` prints its diagnostics on stdout, other commands on stderr.
    fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

/// Runs crier under [`MEMORY_CAP_KIB`] and [`HANG_GUARD`] (the process is killed and the test
/// fails if it runs longer), with `stdin` written from a thread.
fn run(site: &TempSite, args: &[&str], stdin: Option<Vec<u8>>) -> Run {
    let inner = site.crier_std(args);
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!("ulimit -v {MEMORY_CAP_KIB} && exec \"$0\" \"$@\""))
        .arg(inner.get_program())
        .args(inner.get_args());
    for (key, value) in inner.get_envs() {
        match value {
            Some(value) => cmd.env(key, value),
            None => cmd.env_remove(key),
        };
    }
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn crier");
    if let (Some(bytes), Some(mut pipe)) = (stdin, child.stdin.take()) {
        // crier may stop reading at its limit: a broken pipe here is expected.
        std::thread::spawn(move || pipe.write_all(&bytes));
    }
    let start = Instant::now();
    while child.try_wait().expect("wait").is_none() {
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

/// `subscribers import FILE --list members` plus `extra`.
fn import(site: &TempSite, file: &str, extra: &[&str], stdin: Option<Vec<u8>>) -> Run {
    let mut args = vec!["subscribers", "import", file, "--list", "members"];
    args.extend_from_slice(extra);
    run(site, &args, stdin)
}

/// How many people the store holds.
fn stored(site: &TempSite) -> usize {
    let out = run(site, &["subscribers", "export"], None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    out.stdout.lines().count().saturating_sub(1)
}

fn zip(files: &[(String, &str)]) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut writer = zip::ZipWriter::new(&mut buf);
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, text) in files {
        writer.start_file(name.as_str(), stored).unwrap();
        writer.write_all(text.as_bytes()).unwrap();
    }
    writer.finish().unwrap();
    buf.into_inner()
}

#[test]
fn an_import_of_dev_zero_is_refused_at_once() {
    let site = TempSite::example();
    for args in [
        vec!["subscribers", "import", "/dev/zero", "--list", "members"],
        vec!["suppressions", "import", "/dev/zero"],
    ] {
        let out = run(&site, &args, None);
        assert_eq!(out.code, 1, "{args:?}: {}", out.stderr);
        assert!(
            out.stderr
                .contains("/dev/zero: is a character device, not a regular file"),
            "{args:?}: {}",
            out.stderr
        );
    }
    assert_eq!(stored(&site), 0);
}

#[test]
fn an_import_from_a_fifo_is_refused_without_reading_it() {
    let site = TempSite::example();
    let fifo = site.path().join("members.csv");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    // A writer with 300 MB to give. It waits for a reader: the import if it (wrongly) opens
    // the FIFO, else the test's own reader below, which lets it finish; either way nothing
    // here waits for it.
    let path = fifo.clone();
    std::thread::spawn(move || -> std::io::Result<()> {
        let mut pipe = std::fs::OpenOptions::new().write(true).open(&path)?;
        pipe.write_all(b"email\n")?;
        let block: String = (0..10_000).map(|i| format!("p{i}@example.org\n")).collect();
        for _ in 0..(300_000_000 / block.len()) {
            pipe.write_all(block.as_bytes())?;
        }
        Ok(())
    });
    let out = import(&site, fifo.to_str().unwrap(), &[], None);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("members.csv: is a FIFO (named pipe), not a regular file"),
        "{}",
        out.stderr
    );
    assert_eq!(stored(&site), 0);
    // Release the writer: open the read end and close it (on its own thread, as it waits for
    // a writer that may be gone).
    std::thread::spawn(move || drop(std::fs::File::open(&fifo)));
}

#[test]
fn a_file_without_an_address_column_fails_naming_its_columns() {
    let site = TempSite::example();
    let csv = site.write("members.csv", "name,phone\nAda,0123\nLinus,0456\n");
    let out = import(&site, csv.to_str().unwrap(), &[], None);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.stderr.contains(
            "members.csv: no e-mail column; found columns: name, phone (expected one of: email, e-mail, Email Address"
        ),
        "{}",
        out.stderr
    );
    // Meetup's export with its e-mail column removed, and a Mailchimp zip one of whose files
    // lost it: the file of people who left must never be passed over.
    let meetup = site.write(
        "meetup.csv",
        "Name,Member ID,Joined Group on\nKai,101,11/20/2019\n",
    );
    let out = import(
        &site,
        meetup.to_str().unwrap(),
        &["--format", "meetup"],
        None,
    );
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains(
            "meetup.csv: no e-mail column; found columns: Name, Member ID, Joined Group on"
        ),
        "{}",
        out.stderr
    );
    site.write(
        "audience.zip",
        zip(&[
            (
                "subscribed.csv".into(),
                "Email Address,First Name\nkai@example.org,Kai\n",
            ),
            (
                "unsubscribed.csv".into(),
                "First Name,UNSUB_TIME\nLeft,2024-01-01 00:00:00\n",
            ),
        ]),
    );
    let zip_path = site.path().join("audience.zip");
    let out = import(
        &site,
        zip_path.to_str().unwrap(),
        &["--format", "mailchimp"],
        None,
    );
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains(
            "audience.zip:unsubscribed.csv: no e-mail column; found columns: First Name, UNSUB_TIME"
        ),
        "{}",
        out.stderr
    );
    let suppressions = run(
        &site,
        &["suppressions", "import", csv.to_str().unwrap()],
        None,
    );
    assert_eq!(suppressions.code, 1);
    assert!(
        suppressions
            .stderr
            .contains("members.csv: no e-mail column; found columns: name, phone"),
        "{}",
        suppressions.stderr
    );
    assert_eq!(stored(&site), 0, "nothing imported from the zip either");
}

#[test]
fn a_zip_of_100000_entries_is_refused_before_anything_is_inflated() {
    let site = TempSite::example();
    let files: Vec<(String, &str)> = (0..100_000)
        .map(|i| (format!("part-{i}.csv"), "email\n"))
        .collect();
    site.write("many.zip", zip(&files));
    let path = site.path().join("many.zip");
    let out = import(
        &site,
        path.to_str().unwrap(),
        &["--format", "mailchimp"],
        None,
    );
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.stderr
            .contains("many.zip: the zip holds 100000 entries, over the limit of 1000"),
        "{}",
        out.stderr
    );
}

#[test]
fn an_import_over_the_row_or_size_limit_is_refused_and_imports_nobody() {
    let site = TempSite::example();
    let config = site.read("crier.yaml");
    site.write(
        "crier.yaml",
        format!("{config}\nlimits:\n  import_rows: 3\n  import_mib: 1\n"),
    );
    let rows = site.write(
        "rows.csv",
        "email\na@example.org\nb@example.org\nc@example.org\nd@example.org\ne@example.org\n",
    );
    let out = import(&site, rows.to_str().unwrap(), &[], None);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.stderr
            .contains("rows.csv:5: more than 3 rows (the limit, `limits.import_rows`)"),
        "{}",
        out.stderr
    );
    let out = run(
        &site,
        &["suppressions", "import", rows.to_str().unwrap()],
        None,
    );
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("rows.csv:5: more than 3 rows"),
        "{}",
        out.stderr
    );
    let big = format!("email,notes\na@example.org,{}\n", "x".repeat(1 << 20));
    let big_path = site.write("big.csv", &big);
    let out = import(&site, big_path.to_str().unwrap(), &[], None);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("big.csv: larger than the limit of 1048576 bytes (limits.import_mib)"),
        "{}",
        out.stderr
    );
    // Standard input has no size to check beforehand, and is bounded all the same.
    let out = import(&site, "-", &[], Some(big.into_bytes()));
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("<stdin>: larger than the limit of 1048576 bytes"),
        "{}",
        out.stderr
    );
    assert_eq!(stored(&site), 0);
    let out = run(&site, &["suppressions", "list"], None);
    assert_eq!(out.stdout, "", "no suppression was recorded");
}

#[test]
fn standard_input_is_read_when_asked_for_with_a_dash() {
    let site = TempSite::example();
    let csv = b"email,name\nada@example.org,Ada\n".to_vec();
    let out = import(&site, "-", &[], Some(csv));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("members: 1 added"), "{}", out.stdout);
    let out = run(
        &site,
        &["suppressions", "import", "-"],
        Some(b"email\ngone@example.org\n".to_vec()),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let list = run(&site, &["suppressions", "list"], None);
    assert!(
        list.stdout.contains("gone@example.org\tbounced"),
        "{}",
        list.stdout
    );
    assert!(
        list.stdout.contains("imported from stdin"),
        "{}",
        list.stdout
    );
}

#[test]
fn a_deeply_nested_crier_yaml_is_refused_quickly_with_its_line() {
    let site = TempSite::example();
    let config = site.read("crier.yaml");
    let line = config.lines().count() + 2;
    site.write(
        "crier.yaml",
        format!(
            "{config}\nextra: {}{}\n",
            "[".repeat(100_000),
            "]".repeat(100_000)
        ),
    );
    for command in ["check", "build"] {
        let out = run(&site, &[command], None);
        assert_eq!(out.code, 1, "{command}: {}", out.stdout);
        let expected = format!("crier.yaml:{line}:");
        let text = out.all();
        assert!(
            text.lines().any(|l| l.contains(&expected)
                && l.contains(
                    ": error: crier.yaml nests lists and mappings more than 64 levels deep"
                )),
            "{command}: {text}"
        );
    }
    // A config too large to be one is refused before it is parsed.
    site.write(
        "crier.yaml",
        format!("{config}\n# {}\n", "x".repeat(300 * 1024)),
    );
    let out = run(&site, &["check"], None);
    assert_eq!(out.code, 1);
    assert!(
        out.all()
            .contains("crier.yaml is over the limit of 262144 bytes"),
        "{}",
        out.all()
    );
}

#[test]
fn a_300_byte_tag_and_slug_build_feeds_that_parse_and_check_says_where_they_went() {
    let site = TempSite::example();
    let tag = "verylongtag".repeat(28);
    let accented = "Ünïcödé tag ".repeat(25);
    let slug = "a-very-long-slug-".repeat(18);
    let title = "A very long title ".repeat(17);
    site.post(
        "2026-11-20-long.md",
        &format!("title: {title}\nslug: {slug}\ntags: [Meetup, {tag}, \"{accented}\"]\n"),
        "Hello.\n",
    );
    let check = run(&site, &["check"], None);
    let text = check.all();
    assert_eq!(check.code, 0, "{text}");
    assert!(
        text.lines().any(|l| l.contains("2026-11-20-long.md:")
            && l.contains("warning: field `tags`: tag `verylongtag")
            && l.contains("makes a feed folder name of 308 bytes, over the limit of 100")),
        "{text}"
    );
    let build = run(&site, &["build"], None);
    assert_eq!(build.code, 0, "{}", build.stderr);
    let tags_dir = site.path().join("public/tags");
    let folders: Vec<String> = std::fs::read_dir(&tags_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let long: Vec<&String> = folders.iter().filter(|f| f.len() > 50).collect();
    assert_eq!(long.len(), 2, "{folders:?}");
    for folder in long {
        assert!(folder.len() <= 100, "{folder}");
        for file in ["rss.xml", "atom.xml", "feed.json"] {
            let bytes = std::fs::read(tags_dir.join(folder).join(file)).unwrap();
            let feed = feed_rs::parser::parse(&bytes[..])
                .unwrap_or_else(|e| panic!("{folder}/{file}: {e}"));
            assert_eq!(feed.entries.len(), 1, "{folder}/{file}");
            let link = &feed.entries[0].links[0].href;
            assert!(link.contains(&slug), "the post keeps its slug: {link}");
        }
    }
    // The same folder names on the next build: links stay stable.
    run(&site, &["build"], None);
    let again: Vec<String> = std::fs::read_dir(&tags_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(again.len(), folders.len());
}

#[test]
fn a_post_whose_file_name_is_near_255_bytes_can_be_sent_alone() {
    let site = TempSite::example();
    let slug = "x".repeat(238);
    site.post(
        &format!("2026-11-20-{slug}.md"),
        "title: Long file name\ntags: [Meetup]\n",
        "Hello.\n",
    );
    let out = run(&site, &["send", "--post", &slug], None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains(" sent, 0 failed, 0 pending"),
        "{}",
        out.stdout
    );
    let folders: Vec<String> = std::fs::read_dir(site.path().join("outbox"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        folders.iter().all(|f| f.len() <= 100) && !folders.is_empty(),
        "{folders:?}"
    );
}
