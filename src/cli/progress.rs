//! Showing a send's progress: a bar on a terminal, lines otherwise.

use std::io::IsTerminal;

use crate::delivery::sender::{Outcome, Progress};
use crate::delivery::transport::SendError;

/// A progress bar when stderr is a terminal, progress lines otherwise.
pub fn for_stderr() -> Box<dyn Progress> {
    if std::io::stderr().is_terminal() {
        Box::new(BarProgress(None))
    } else {
        Box::new(LineProgress {
            total: 0,
            done: 0,
            step: 1,
        })
    }
}

struct BarProgress(Option<indicatif::ProgressBar>);

impl Progress for BarProgress {
    fn start(&mut self, total: usize) {
        let bar = indicatif::ProgressBar::new(total as u64);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {msg} ({eta} left)")
        {
            bar.set_style(style);
        }
        self.0 = Some(bar);
    }
    fn advance(&mut self, address: &str, result: &Result<String, SendError>) {
        if let Some(bar) = &self.0 {
            bar.inc(1);
            if let Err(e) = result {
                bar.println(format!("{address}: {e}"));
            }
        }
    }
    fn finish(&mut self, _outcome: &Outcome) {
        if let Some(bar) = self.0.take() {
            bar.finish_and_clear();
        }
    }
}

struct LineProgress {
    total: usize,
    done: usize,
    step: usize,
}

impl Progress for LineProgress {
    fn start(&mut self, total: usize) {
        self.total = total;
        self.step = (total / 10).max(1);
        eprintln!("sending {total} messages");
    }
    fn advance(&mut self, address: &str, result: &Result<String, SendError>) {
        self.done += 1;
        if let Err(e) = result {
            eprintln!("{address}: {e}");
        }
        if self.done.is_multiple_of(self.step) || self.done == self.total {
            eprintln!("progress: {}/{}", self.done, self.total);
        }
    }
    fn finish(&mut self, _outcome: &Outcome) {}
}
