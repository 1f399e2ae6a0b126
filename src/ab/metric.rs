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
//! So `auto` chooses per point: CPU time where every process of the point
//! (both builds) ran one thread that did work — the threads that ran as
//! the machine record counts them (any OS thread, `std::thread`s joined
//! inside the window included; the worker's per-thread count of those
//! alive at the window's edges in older records), measured not assumed —
//! and wall time otherwise. One choice per gate let a single
//! multi-threaded point switch every point to wall time.

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
    /// Per point: CPU time when every process ran one busy thread, else
    /// wall time.
    #[default]
    Auto,
}

impl Metric {
    /// `Auto` decided for point `point` of `run`; the others as they are.
    pub(crate) fn resolve(self, run: &AbRun, point: usize) -> Metric {
        if self != Metric::Auto {
            return self;
        }
        let mut processes = run
            .records
            .iter()
            .filter(|r| !r.probe && r.run.point == point)
            .filter_map(|r| Some((r.run.output()?, ProcessMetrics::of(&r.run)?)))
            .peekable();
        let single = processes.peek().is_some()
            && processes.all(|(o, m)| {
                let ran = o
                    .machine
                    .as_ref()
                    .and_then(|d| d.threads)
                    .map(|t| t.ran)
                    .or(m.threads.busy);
                ran.is_some_and(|n| n <= 1) && m.cpu_ns_per_op.is_some_and(|c| c > 0.0)
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

    /// The time table's first header; for a gate whose points were
    /// judged on different figures (`Auto`), each row names its own.
    pub(crate) fn column(self) -> &'static str {
        match self {
            Metric::Cpu => "cpu/op",
            Metric::Time => "time/op",
            Metric::Auto => "time or cpu/op",
        }
    }

    /// The figure's short name, as a mixed gate's rows say it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Metric::Cpu => "cpu",
            Metric::Time => "time",
            Metric::Auto => "auto",
        }
    }
}
