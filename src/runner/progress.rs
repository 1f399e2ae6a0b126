//! Progress while a matrix runs: an indicatif bar on a terminal, one plain
//! line per finished run otherwise (CI logs, pipes).

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

use crate::results::{Outcome, RunRecord};
use crate::units::duration_ns;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ProgressMode {
    Bar,
    Lines,
    Quiet,
}

impl ProgressMode {
    /// A bar on an interactive terminal outside CI, lines otherwise.
    pub(crate) fn detect() -> ProgressMode {
        let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false");
        if std::io::stderr().is_terminal() && !ci {
            ProgressMode::Bar
        } else {
            ProgressMode::Lines
        }
    }
}

pub(crate) struct Progress {
    mode: ProgressMode,
    bar: Option<ProgressBar>,
    total: usize,
    done: usize,
}

impl Progress {
    pub(crate) fn new(mode: ProgressMode, total: usize) -> Progress {
        let bar = (mode == ProgressMode::Bar).then(|| {
            let bar = ProgressBar::new(total as u64);
            bar.set_style(
                ProgressStyle::with_template(
                    "{bar:30.cyan/blue} {pos}/{len} runs, ETA {eta} | {wide_msg}",
                )
                .expect("valid template"),
            );
            bar
        });
        Progress {
            mode,
            bar,
            total,
            done: 0,
        }
    }

    /// Counts `n` units as done before this session (a resumed run).
    pub(crate) fn skip(&mut self, n: usize) {
        self.done += n;
        if let Some(bar) = &self.bar {
            bar.set_position(self.done as u64);
        }
    }

    pub(crate) fn starting(&self, label: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(label.to_string());
        }
    }

    pub(crate) fn finished(&mut self, label: &str, run: &RunRecord) {
        let line = match &run.outcome {
            Outcome::Ok(_) => {
                let ns = crate::analysis::ProcessMetrics::of(run).map_or(f64::NAN, |m| m.ns_per_op);
                format!("{}/op", duration_ns(ns))
            }
            Outcome::Failed { kind, reason, .. } => format!("FAILED ({}): {reason}", kind.name()),
        };
        self.finished_line(label, &line, run.output().is_none());
    }

    /// One unit of work done, described by `line`.
    pub(crate) fn finished_line(&mut self, label: &str, line: &str, failed: bool) {
        self.done += 1;
        match (&self.bar, self.mode) {
            (Some(bar), _) => {
                if failed {
                    bar.println(format!("{label}: {line}"));
                }
                bar.inc(1);
            }
            (None, ProgressMode::Lines) => {
                let width = self.total.to_string().len();
                crate::console::errln(&format!(
                    "[{:>width$}/{}] {label}: {line}",
                    self.done, self.total
                ));
            }
            _ => {}
        }
    }

    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Progress {
    /// Raises the total to `total` (an adaptive run's, or a re-run round's).
    pub(crate) fn grow(&mut self, total: usize) {
        if total > self.total {
            self.total = total;
            if let Some(bar) = &self.bar {
                bar.set_length(total as u64);
            }
        }
    }
}
