//! The checks a report prints, counted over what was tried, so each can
//! fail: whether the named allocator served every process, whether the
//! pool ran the point's thread count, whether every variant and knob
//! setting computed the same output, and which knobs the workload ignores.

use serde::Serialize;

use super::groups::Group;
use super::point::PointAnalysis;
use crate::results::{FailureKind, Results};

/// Counts over every process that was started.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Checks {
    /// Processes started (successful or not).
    pub tried: usize,
    /// Successful processes whose named allocator's own statistics saw a
    /// test allocation.
    pub allocator_served: usize,
    /// Processes refused because another allocator served them.
    pub allocator_mismatched: usize,
    /// Successful processes in which as many pool threads ran work (spent
    /// ≥ 5% of the sampling window on a CPU) as the point has threads.
    pub threads_busy: usize,
    /// Successful processes that could say how many threads ran work.
    pub threads_checked: usize,
    pub succeeded: usize,
    /// Groups (by index) in which points produced different output digests.
    pub digests_differ: Vec<usize>,
    /// Axes that vary although the workload does not use that knob.
    pub unused_knobs: Vec<&'static str>,
}

pub(super) fn checks(results: &Results, points: &[PointAnalysis], groups: &[Group]) -> Checks {
    let processes = || points.iter().flat_map(|p| p.processes.iter());
    let knobs = results.plan.info.knobs;
    let varying = crate::matrix::varying_axes(&results.plan.axes);
    Checks {
        tried: results.runs.len(),
        succeeded: processes().count(),
        allocator_served: processes()
            .filter(|m| m.evidence.served_by() == Some(results.points[m.point].allocator))
            .count(),
        allocator_mismatched: points
            .iter()
            .flat_map(|p| &p.failures)
            .filter(|f| f.kind == FailureKind::AllocatorMismatch)
            .count(),
        threads_busy: processes()
            .filter(|m| m.busy_pool_threads() == Some(results.points[m.point].threads))
            .count(),
        threads_checked: processes()
            .filter(|m| m.busy_pool_threads().is_some())
            .count(),
        digests_differ: groups
            .iter()
            .enumerate()
            .filter(|(_, g)| {
                let mut all = g.points.iter().flat_map(|&id| points[id].digests.iter());
                all.next().is_some_and(|first| all.any(|d| d != first))
            })
            .map(|(i, _)| i)
            .collect(),
        unused_knobs: [
            ("threads", knobs.threads || knobs.tokio),
            ("buffering", knobs.buffering),
        ]
        .into_iter()
        .filter(|(axis, used)| !used && varying.contains(axis))
        .map(|(axis, _)| axis)
        .collect(),
    }
}
