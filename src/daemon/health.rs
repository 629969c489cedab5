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
    scheduler: String,
    sends: u64,
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

    /// Records what the scheduler is doing.
    pub fn scheduler(&self, doing: impl Into<String>) {
        let doing = doing.into();
        self.with(|s| s.scheduler = doing);
    }

    /// Records that a scheduled firing finished (sent, skipped or failed).
    pub fn fired(&self) {
        self.with(|s| s.sends += 1);
    }

    /// The `/healthz` body: `ok`, or `degraded` while the last rebuild failed, then details.
    pub fn report(&self) -> String {
        self.with(|s| {
            let mut out = String::from(if s.rebuild_problem.is_some() {
                "degraded\n"
            } else {
                "ok\n"
            });
            let _ = writeln!(out, "rebuilds: {}", s.rebuilds);
            if let Some(problem) = &s.rebuild_problem {
                let _ = writeln!(
                    out,
                    "last rebuild: {problem}; the previous feeds are served"
                );
            }
            let _ = writeln!(out, "scheduled runs: {}", s.sends);
            if !s.scheduler.is_empty() {
                let _ = writeln!(out, "scheduler: {}", s.scheduler);
            }
            out
        })
    }
}
