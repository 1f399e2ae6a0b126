//! The checks a report prints, counted over what was tried, so each can
//! fail: whether the named allocator served every process, whether as
//! many threads ran work as the point has threads, whether every variant and knob
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
    /// Successful processes in which as many threads ran work as the
    /// point has threads ([`threads_ran`]): at least as many OS threads
    /// (any: a pool's, a workload's own `std::thread`s, spawned and
    /// joined within the window) where the process recorded what the
    /// machine delivered; exactly as many pool threads in results of
    /// older tuners.
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

/// How many threads ran work in a process, and how that compares with
/// the point's thread count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ThreadsRan {
    /// OS threads that spent ≥ 5% of the window on a CPU (or of the
    /// process's CPU time, if less), threads that ended inside it
    /// included (`Delivered.threads.ran`).
    Os(usize),
    /// Pool threads (tokio's workers, else rayon's) that did, from
    /// workers before the machine record: `std::thread`s unseen.
    Pool(usize),
}

impl ThreadsRan {
    /// Whether the point's `threads` ran: at least that many OS threads
    /// (a driving thread may work beside the pool), or exactly that many
    /// pool threads.
    pub(crate) fn matches(self, threads: usize) -> bool {
        match self {
            ThreadsRan::Os(n) => n >= threads,
            ThreadsRan::Pool(n) => n == threads,
        }
    }
}

/// The threads that ran work in `output`'s process; `None` where it
/// could not tell.
pub(crate) fn threads_ran(output: &crate::protocol::RunOutput) -> Option<ThreadsRan> {
    if let Some(t) = output.machine.as_ref().and_then(|m| m.threads) {
        return Some(ThreadsRan::Os(t.ran as usize));
    }
    let t = &output.threads;
    t.busy_tokio
        .or(t.busy_rayon)
        .map(|n| ThreadsRan::Pool(n as usize))
}

pub(super) fn checks(results: &Results, points: &[PointAnalysis], groups: &[Group]) -> Checks {
    let processes = || points.iter().flat_map(|p| p.processes.iter());
    // Each successful process's threads, by its place in the run.
    let ran: std::collections::HashMap<(usize, u32, usize), Option<ThreadsRan>> = results
        .runs
        .iter()
        .filter_map(|r| Some(((r.point, r.process, r.seq), threads_ran(r.output()?))))
        .collect();
    let ran_of = |m: &crate::analysis::ProcessMetrics| {
        ran.get(&(m.point, m.process, m.seq)).copied().flatten()
    };
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
            .filter(|m| ran_of(m).is_some_and(|r| r.matches(results.points[m.point].threads)))
            .count(),
        threads_checked: processes().filter(|m| ran_of(m).is_some()).count(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::{Delivered, Of, Threads};
    use crate::results::Outcome;
    use crate::stats::CompareSettings;

    /// A machine record whose threads that ran work are `ran`.
    fn record(ran: u32) -> Delivered {
        Delivered {
            version: 1,
            of: Of::Process,
            wall_ns: 1_000_000_000,
            cpu_ns: 1_000_000_000,
            voluntary_switches: 0,
            involuntary_switches: 0,
            allowed: None,
            online: 2,
            threads: Some(Threads {
                ran,
                ..Threads::default()
            }),
            run_delay_ns: None,
            machine: None,
            steal_ns: None,
            throttle: None,
            pressure: None,
            freq_khz: None,
        }
    }

    /// lock-scope's report said "in 0 of 210 processes": its threads are
    /// `std::thread`s, which the pool count does not see.
    #[test]
    fn std_threads_are_judged_by_the_os_threads_that_ran() {
        let mut results = crate::fixtures::results_with(
            "[experiment]\nworkload = \"selfcheck\"\n[params]\nvariant = \"spin\"\n[matrix]\nthreads = [2]\n",
            &[vec![100.0, 101.0, 102.0, 103.0]],
            0,
        );
        // Every process: one pool thread busy (the one driving the runs).
        // Two carry a machine record: 2 and 3 OS threads ran (the spawned
        // pair, and the driver too); one says 1.
        for (i, run) in results.runs.iter_mut().enumerate() {
            let Outcome::Ok(o) = &mut run.outcome else {
                panic!()
            };
            o.threads.busy_rayon = Some(1);
            o.machine = [Some(record(2)), Some(record(3)), Some(record(1)), None][i]
                .clone()
                .map(Box::new);
        }
        let a = crate::analysis::Analysis::of(&results, &CompareSettings::default());
        assert_eq!((a.checks.threads_busy, a.checks.threads_checked), (2, 4));
        let ran: Vec<Option<ThreadsRan>> = results
            .runs
            .iter()
            .map(|r| threads_ran(r.output().unwrap()))
            .collect();
        assert_eq!(
            ran,
            [
                Some(ThreadsRan::Os(2)),
                Some(ThreadsRan::Os(3)),
                Some(ThreadsRan::Os(1)),
                Some(ThreadsRan::Pool(1))
            ]
        );
        // An old record's pool count must match exactly.
        assert!(ThreadsRan::Pool(2).matches(2) && !ThreadsRan::Pool(3).matches(2));
        assert!(ThreadsRan::Os(3).matches(2) && !ThreadsRan::Os(1).matches(2));
    }
}
