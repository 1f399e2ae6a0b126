//! One point's figures across its processes: the median time with its
//! interval, exact counts, the medians of the other per-process figures,
//! stability footnotes, failures and what never ran.

use std::collections::BTreeSet;

use serde::Serialize;

use super::metrics::{median, ProcessMetrics};
use crate::results::{FailureKind, Outcome, Results};
use crate::stats::{self, Comparison, DiagnosticSettings, ExactValue, Footnote, Summary};

/// A process of the point that failed, and why.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FailedProcess {
    pub process: u32,
    pub kind: FailureKind,
    pub reason: String,
}

/// Everything the outputs say about one point.
#[derive(Clone, Debug, Serialize)]
pub struct PointAnalysis {
    pub id: usize,
    /// Index of the point's parameter group in [`super::Analysis::groups`].
    pub group: usize,
    /// Each successful process, in run order.
    pub processes: Vec<ProcessMetrics>,
    pub failures: Vec<FailedProcess>,
    /// Processes the plan (or the shard's share of it) scheduled that
    /// never ran: an interrupted run, a missing shard.
    pub missing: u32,
    /// ns/op across processes; `None` without a successful process.
    pub time: Option<Summary>,
    /// Against the group's baseline (not for the baseline itself), with
    /// Holm's correction over every such comparison in the run.
    pub vs_baseline: Option<Comparison>,
    /// How `vs_baseline` treated machines, when the processes ran on
    /// several (results merged from shards).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub machines: Option<super::groups::MachineBlocks>,
    pub allocs_per_op: Option<ExactValue>,
    pub bytes_per_op: Option<ExactValue>,
    /// Medians over processes (`None` where no process had the figure).
    pub peak_live_bytes: Option<f64>,
    pub peak_rss_bytes: Option<f64>,
    pub cpu_ns_per_op: Option<f64>,
    pub first_use_ns: f64,
    pub ops_per_run: u64,
    /// The shortest and longest sample of any process, in ns.
    pub sample_ns: Option<(u64, u64)>,
    pub footnotes: Vec<Footnote>,
    pub digests: BTreeSet<u64>,
    /// Pool threads that ran work (median over processes that could tell).
    pub busy_threads: Option<usize>,
    /// A command's other Go benchmark units: the median over processes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub units: Vec<(String, f64)>,
}

/// Each unit's median over the processes that reported it, in order of
/// first appearance.
fn units(processes: &[ProcessMetrics]) -> Vec<(String, f64)> {
    let mut names: Vec<&str> = Vec::new();
    for (unit, _) in processes.iter().flat_map(|m| &m.units) {
        if !names.contains(&unit.as_str()) {
            names.push(unit);
        }
    }
    names
        .into_iter()
        .map(|unit| {
            let values: Vec<f64> = processes
                .iter()
                .flat_map(|m| m.units.iter().filter(|(u, _)| u == unit).map(|(_, v)| *v))
                .collect();
            (unit.to_string(), median(&values))
        })
        .collect()
}

impl PointAnalysis {
    pub(super) fn of(results: &Results, id: usize, group: usize) -> PointAnalysis {
        // A contended round run again is replaced by its re-run.
        let replaced = results.replaced();
        let runs: Vec<_> = results
            .runs_of(id)
            .filter(|r| !replaced.contains_key(&r.process))
            .collect();
        let processes: Vec<ProcessMetrics> =
            runs.iter().filter_map(|r| ProcessMetrics::of(r)).collect();
        let failures = runs
            .iter()
            .filter_map(|r| match &r.outcome {
                Outcome::Failed { kind, reason, .. } => Some(FailedProcess {
                    process: r.process,
                    kind: *kind,
                    reason: reason.clone(),
                }),
                Outcome::Ok(_) => None,
            })
            .collect();
        let values = |f: fn(&ProcessMetrics) -> f64| processes.iter().map(f).collect::<Vec<_>>();
        let ns = values(|m| m.ns_per_op);
        let samples: Vec<Vec<f64>> = processes
            .iter()
            .map(|m| m.sample_ns_per_op.clone())
            .collect();
        // The median of a figure some processes may lack; exact counts
        // only when every process has them.
        let some_median = |f: fn(&ProcessMetrics) -> Option<f64>| {
            let v: Vec<f64> = processes.iter().filter_map(f).collect();
            (!v.is_empty()).then(|| median(&v))
        };
        let exact = |f: fn(&ProcessMetrics) -> Option<f64>| {
            let v: Option<Vec<f64>> = processes.iter().map(f).collect();
            v.and_then(|v| ExactValue::of(&v).ok())
        };
        PointAnalysis {
            id,
            group,
            missing: results.scheduled_of(id).saturating_sub(runs.len() as u32),
            time: Summary::of(&ns).ok(),
            vs_baseline: None,
            machines: None,
            allocs_per_op: exact(|m| m.allocs_per_op),
            bytes_per_op: exact(|m| m.bytes_per_op),
            peak_live_bytes: some_median(|m| m.peak_live_bytes),
            peak_rss_bytes: some_median(|m| m.peak_rss_bytes),
            cpu_ns_per_op: some_median(|m| m.cpu_ns_per_op),
            first_use_ns: median(&values(|m| m.first_use_ns)),
            ops_per_run: processes.first().map_or(1, |m| m.ops_per_run),
            sample_ns: processes
                .iter()
                .map(|m| m.sample_ns)
                .reduce(|a, b| (a.0.min(b.0), a.1.max(b.1))),
            footnotes: stats::diagnose(&samples, &DiagnosticSettings::default())
                .unwrap_or_default(),
            digests: processes.iter().map(|m| m.digest).collect(),
            busy_threads: {
                let busy: Vec<f64> = processes
                    .iter()
                    .filter_map(|m| m.busy_pool_threads())
                    .map(|n| n as f64)
                    .collect();
                (!busy.is_empty()).then(|| median(&busy).round() as usize)
            },
            units: units(&processes),
            failures,
            processes,
        }
    }

    pub fn succeeded(&self) -> usize {
        self.processes.len()
    }

    /// Each successful process's value (its median ns/op).
    pub fn process_ns(&self) -> Vec<f64> {
        self.processes.iter().map(|m| m.ns_per_op).collect()
    }

    /// The median ns/op, NaN without results.
    pub fn median_ns(&self) -> f64 {
        self.time.as_ref().map_or(f64::NAN, |t| t.median)
    }
}
