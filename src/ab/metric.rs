//! Which figure of each process the gate judges.
//!
//! Wall time per operation is what `run` and `compare` report, and on a
//! machine running nothing else it is the figure to judge. On a shared
//! machine it is not: a worker's samples also hold the time other
//! processes took the CPU from it, and that time is most of the spread
//! between processes (at a load of 3–5 on 2 cores, the spin loop's pair
//! ratios scattered by 30–50% in wall time and by 0.2–0.5% in CPU time).
//! The process's CPU time per operation (its CPU clock around the same
//! timed spans, `ProcessMetrics::cpu_ns_per_op`) leaves that time out,
//! and the hypervisor's steal time with it; it still holds what sharing
//! does to the work itself (caches, memory bandwidth).
//!
//! CPU time is the work's own time only while one thread does the work
//! and never waits: it misses time spent blocked (I/O, locks, sleep), and
//! with more threads it sums them (idle pool threads spinning included).
//! So `auto` judges CPU time when every process of the gate had at most
//! one busy thread (the worker's own per-thread CPU accounting, measured
//! not assumed), and wall time otherwise.

use serde::{Deserialize, Serialize};

use super::record::AbRun;
use crate::analysis::ProcessMetrics;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Metric {
    /// Wall time per operation.
    Time,
    /// CPU time per operation, all threads.
    Cpu,
    /// CPU time when every process ran one busy thread, else wall time.
    #[default]
    Auto,
}

impl Metric {
    /// `Auto` decided for `run`; the others as they are.
    pub(crate) fn resolve(self, run: &AbRun) -> Metric {
        if self != Metric::Auto {
            return self;
        }
        let mut processes = run
            .records
            .iter()
            .filter(|r| !r.probe)
            .filter_map(|r| ProcessMetrics::of(&r.run))
            .peekable();
        let single = processes.peek().is_some()
            && processes.all(|m| {
                m.threads.busy.is_some_and(|b| b <= 1) && m.cpu_ns_per_op.is_some_and(|c| c > 0.0)
            });
        if single {
            Metric::Cpu
        } else {
            Metric::Time
        }
    }

    /// The figure of one process (a resolved metric; `Auto` reads wall
    /// time). A process without CPU time reads NaN, which the paired
    /// comparison refuses with a note rather than judging.
    pub(crate) fn of(self, m: &ProcessMetrics) -> f64 {
        match self {
            Metric::Cpu => m.cpu_ns_per_op.unwrap_or(f64::NAN),
            Metric::Time | Metric::Auto => m.ns_per_op,
        }
    }

    /// The time table's first header.
    pub(crate) fn column(self) -> &'static str {
        match self {
            Metric::Cpu => "cpu/op",
            Metric::Time | Metric::Auto => "time/op",
        }
    }
}
