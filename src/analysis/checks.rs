//! The checks a report prints, counted over what was tried, so each can
//! fail: whether the named allocator served every process, whether the
//! pool ran the point's thread count, whether every variant and knob
//! setting computed the same output, and which knobs the workload ignores.
//! For an external command: which library each allocator preloaded, and
//! which programs a preload cannot reach (the allocator axis has no
//! effect on them, and draws no verdict there).

use std::path::PathBuf;

use serde::Serialize;

use super::groups::Group;
use super::point::PointAnalysis;
use crate::alloc::AllocatorName;
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
    /// What only an external command's run has.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<CommandChecks>,
}

/// The checks of an external command's run.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CommandChecks {
    /// The library each preloading allocator on the axis loaded.
    pub preloads: Vec<(AllocatorName, PathBuf)>,
    /// Per variant, its program and whether a preload reaches it
    /// (`None`: tuner cannot tell), with why.
    pub programs: Vec<ProgramCheck>,
    /// The variables set to each point's thread count.
    pub threads_env: Vec<String>,
    /// Whether stdout digests were compared (`check_output`).
    pub output_checked: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProgramCheck {
    pub variant: String,
    pub program: String,
    pub preload_reaches: Option<bool>,
    pub why: String,
}

impl CommandChecks {
    /// Whether the allocator axis had no effect on every variant.
    pub fn allocator_inert_everywhere(&self) -> bool {
        !self.programs.is_empty()
            && self
                .programs
                .iter()
                .all(|p| p.preload_reaches == Some(false))
    }
}

/// Whether `point` runs a command whose program no preloaded allocator
/// reaches: along the allocator axis its points run the same program.
pub(super) fn allocator_inert(results: &Results, point: usize) -> bool {
    let Some(command) = &results.plan.command else {
        return false;
    };
    command
        .variant(&results.points[point].variant)
        .and_then(|v| v.program.as_ref())
        .is_some_and(|p| p.kind.preload_reaches() == Some(false))
}

fn command_checks(results: &Results) -> Option<CommandChecks> {
    let command = results.plan.command.as_ref()?;
    let variants: Vec<String> = results
        .plan
        .axes
        .first()
        .map(crate::config::Axis::labels)
        .unwrap_or_default();
    let programs = command
        .variants
        .iter()
        .filter(|v| variants.contains(&v.name))
        .map(|v| match &v.program {
            Some(p) => ProgramCheck {
                variant: v.name.clone(),
                program: v.argv[0].clone(),
                preload_reaches: p.kind.preload_reaches(),
                why: p.kind.describe(),
            },
            None => ProgramCheck {
                variant: v.name.clone(),
                program: v.argv[0].clone(),
                preload_reaches: None,
                why: "its program is a placeholder, filled in per point: tuner did not read it"
                    .into(),
            },
        })
        .collect();
    Some(CommandChecks {
        preloads: command.preload.clone(),
        programs,
        threads_env: command.threads_env.clone(),
        output_checked: command.check_output,
    })
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
        .chain(
            crate::knob::KNOBS
                .iter()
                .map(|k| (k.name(), k.used_by(&knobs))),
        )
        .filter(|(axis, used)| !used && varying.contains(axis))
        .map(|(axis, _)| axis)
        .collect(),
        command: command_checks(results),
    }
}
