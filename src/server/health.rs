//! What the daemon is doing, for `/healthz`: rebuilds (and the last one's problem, if any)
//! and the scheduler's state. Monitoring sees a broken post or config without reading logs,
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
}

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

    /// The `/healthz` body: `ok`, or `degraded` while the served feeds are not those of the
    /// current files (the last rebuild failed, or a post is broken) or the ledger is damaged
    /// (nothing is sent); then details, including
    /// how the last scheduled run ended. A failed run does not make the status `degraded`: it
    /// may have failed on something transient (a post being saved) and stays the last run
    /// until the next slot, days later; its own line says what went wrong.
    pub fn report(&self) -> String {
        self.with(|s| {
            let degraded =
                s.rebuild_problem.is_some() || !s.broken.is_empty() || s.ledger_problem.is_some();
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
            let _ = writeln!(out, "rebuilds: {}", s.rebuilds);
            if let Some(problem) = &s.rebuild_problem {
                let _ = writeln!(
                    out,
                    "last rebuild: {problem}; the previous feeds are served"
                );
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
            out
        })
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
