//! What the daemon is doing, for `/healthz`: rebuilds (and the last one's problem, if any),
//! the served feed files that are missing from the disk, and the scheduler's state. Monitoring sees a broken post or config without reading logs,
//! and tests wait for an event instead of sleeping.

use std::fmt::Write as _;
use std::sync::{Arc, Mutex, PoisonError};

/// The shared state. Cloning shares it.
#[derive(Debug, Clone, Default)]
pub struct Health(Arc<Mutex<State>>);

#[derive(Debug, Default)]
struct State {
    rebuilds: u64,
    rebuild_problem: Option<String>,
    broken: Vec<Broken>,
    scheduler: String,
    sends: u64,
    last_run: Option<Result<(), String>>,
    ledger_problem: Option<String>,
    pending_requests: usize,
    served: Option<Served>,
}

/// The feed files the last good rebuild wrote, which the daemon serves.
#[derive(Debug, Clone)]
struct Served {
    dir: std::path::PathBuf,
    files: Arc<Vec<String>>,
}

/// How many missing feed files `/healthz` names; the rest are counted.
const MISSING_SHOWN: usize = 10;

impl Health {
    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Records a rebuild: `problem` is `None` when the feeds were written.
    pub fn rebuilt(&self, problem: Option<String>) {
        self.with(|s| {
            s.rebuilds += 1;
            s.rebuild_problem = problem;
        });
    }

    /// Records the posts that failed to load at the last rebuild that read the posts.
    pub fn broken_posts(&self, broken: Vec<Broken>) {
        self.with(|s| s.broken = broken);
    }

    /// Records what the scheduler is doing.
    pub fn scheduler(&self, doing: impl Into<String>) {
        let doing = doing.into();
        self.with(|s| s.scheduler = doing);
    }

    /// Records that a scheduled firing finished (sent, skipped or failed).
    pub fn fired(&self) {
        self.with(|s| s.sends += 1);
    }

    /// Records whether the ledger can be trusted: `Some(problem)` while it is damaged or
    /// missing (nothing is sent meanwhile).
    pub fn ledger(&self, problem: Option<String>) {
        self.with(|s| s.ledger_problem = problem);
    }

    /// Records how many member requests wait in the journal for the ledger.
    pub fn pending_requests(&self, pending: usize) {
        self.with(|s| s.pending_requests = pending);
    }

    /// The ledger's problem, if it has one.
    pub fn ledger_problem(&self) -> Option<String> {
        self.with(|s| s.ledger_problem.clone())
    }

    /// Records how the last firing (scheduled send or start-up resume) ended.
    pub fn run_ended(&self, outcome: Result<(), String>) {
        self.with(|s| s.last_run = Some(outcome));
    }

    /// Records the feed files a rebuild wrote into `dir` (paths relative to it): they are
    /// served until the next good rebuild, and `/healthz` checks that they are still there.
    pub fn feed_files(&self, dir: std::path::PathBuf, files: Vec<String>) {
        let files = Arc::new(files);
        self.with(|s| s.served = Some(Served { dir, files }));
    }

    /// The served feed files that are gone from the disk (deleted by hand, by a deploy or by
    /// a site generator's clean-up): the daemon answers 404 for them until the next rebuild.
    fn missing_feed_files(&self) -> (usize, Vec<std::path::PathBuf>) {
        // Looked at outside the lock: thousands of files on a large site.
        let Some(served) = self.with(|s| s.served.clone()) else {
            return (0, Vec::new());
        };
        let missing = served
            .files
            .iter()
            .map(|file| served.dir.join(file))
            .filter(|path| !path.is_file())
            .collect();
        (served.files.len(), missing)
    }

    /// The `/healthz` body: `ok`, or `degraded` while the served feeds are not those of the
    /// current files (the last rebuild failed, or a post is broken), a served feed file is
    /// missing from the disk, or the ledger is damaged (nothing is sent); then details,
    /// including how the last scheduled run ended. A failed run does not make the status
    /// `degraded`: it may have failed on something transient (a post being saved) and stays
    /// the last run until the next slot, days later; its own line says what went wrong.
    /// Blocking: it looks for the served files on disk.
    pub fn report(&self) -> String {
        let (served, missing) = self.missing_feed_files();
        self.with(|s| {
            let degraded = s.rebuild_problem.is_some()
                || !s.broken.is_empty()
                || s.ledger_problem.is_some()
                || !missing.is_empty();
            let mut out = String::from(if degraded { "degraded\n" } else { "ok\n" });
            if let Some(problem) = &s.ledger_problem {
                let _ = writeln!(out, "ledger: {problem}");
            }
            if s.pending_requests > 0 {
                let _ = writeln!(
                    out,
                    "member requests waiting for the ledger: {}",
                    s.pending_requests
                );
            }
            write_feeds(&mut out, s, served, &missing);
            write_runs(&mut out, s);
            out
        })
    }
}

/// The rebuilds, broken posts and missing feed files of the report.
fn write_feeds(out: &mut String, s: &State, served: usize, missing: &[std::path::PathBuf]) {
    let _ = writeln!(out, "rebuilds: {}", s.rebuilds);
    if let Some(problem) = &s.rebuild_problem {
        let _ = writeln!(
            out,
            "last rebuild: {problem}; the previous feeds are served"
        );
    }
    if !missing.is_empty() {
        let _ = writeln!(
            out,
            "missing feed files: {} of {served} (answered with 404 until the next rebuild writes them)",
            missing.len()
        );
        for path in missing.iter().take(MISSING_SHOWN) {
            let _ = writeln!(out, "  {}", path.display());
        }
        if missing.len() > MISSING_SHOWN {
            let _ = writeln!(out, "  and {} more", missing.len() - MISSING_SHOWN);
        }
    }
    if !s.broken.is_empty() {
        let _ = writeln!(out, "broken posts: {}", s.broken.len());
        for b in &s.broken {
            let served = if b.kept {
                "its last good version is served"
            } else {
                "left out: no good version seen"
            };
            let _ = writeln!(out, "  {} ({served})", b.problem);
        }
    }
}

/// The scheduler's part of the report.
fn write_runs(out: &mut String, s: &State) {
    let _ = writeln!(out, "scheduled runs: {}", s.sends);
    match &s.last_run {
        Some(Ok(())) => out.push_str("last scheduled run: done\n"),
        Some(Err(e)) => {
            let _ = writeln!(out, "last scheduled run: failed: {e}");
        }
        None => {}
    }
    if !s.scheduler.is_empty() {
        let _ = writeln!(out, "scheduler: {}", s.scheduler);
    }
}

/// A post that failed to load at this rebuild.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    /// The post's file.
    pub path: std::path::PathBuf,
    /// `path:line: message`.
    pub problem: String,
    /// Whether its last good version is served in its place.
    pub kept: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_served_feed_file_degrades_the_report_and_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let health = Health::default();
        std::fs::write(dir.path().join("feed.xml"), "<feed/>").unwrap();
        std::fs::write(dir.path().join("atom.xml"), "<feed/>").unwrap();
        let files = vec!["feed.xml".to_owned(), "atom.xml".to_owned()];
        health.feed_files(dir.path().to_path_buf(), files);
        assert!(health.report().starts_with("ok\n"), "{}", health.report());
        std::fs::remove_file(dir.path().join("feed.xml")).unwrap();
        let report = health.report();
        assert!(report.starts_with("degraded\n"), "{report}");
        assert!(report.contains("missing feed files: 1 of 2"), "{report}");
        let named = format!("  {}\n", dir.path().join("feed.xml").display());
        assert!(report.contains(&named), "{report}");
        std::fs::write(dir.path().join("feed.xml"), "<feed/>").unwrap();
        assert!(health.report().starts_with("ok\n"));
    }
}
