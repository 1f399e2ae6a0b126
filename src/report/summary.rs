//! Per-point summaries derived from raw results: the process is the unit
//! of replication, so each process is first reduced to one value per metric
//! (median of its samples; exact counts per operation), then summarised
//! across processes.

use std::collections::BTreeSet;

use crate::results::{Results, RunOutput, ThreadCheck};
use crate::stats::Summary;

/// A per-operation count that should be the same in every process.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Exact {
    pub min: f64,
    pub max: f64,
}

impl Exact {
    fn of(values: impl Iterator<Item = f64>) -> Option<Exact> {
        values.fold(None, |acc, v| match acc {
            None => Some(Exact { min: v, max: v }),
            Some(e) => Some(Exact {
                min: e.min.min(v),
                max: e.max.max(v),
            }),
        })
    }

    /// Whether processes disagreed (allocation depends on timing or state).
    pub fn varies(&self) -> bool {
        self.min != self.max
    }
}

/// Everything the report says about one point.
#[derive(Clone, Debug)]
pub struct PointSummary {
    pub point: usize,
    /// Each successful process's median ns/op, in run order.
    pub process_ns: Vec<f64>,
    /// ns/op across processes.
    pub time: Summary,
    pub failures: Vec<String>,
    pub allocs_per_op: Option<Exact>,
    pub bytes_per_op: Option<Exact>,
    /// Median over processes of the peak live bytes while sampling.
    pub peak_live: f64,
    pub max_rss_bytes: f64,
    /// User + system CPU time per operation, all threads.
    pub cpu_ns_per_op: f64,
    /// Build plus first run: how long until the first result.
    pub first_use_ns: f64,
    pub digests: BTreeSet<u64>,
    pub threads: Option<ThreadCheck>,
}

impl PointSummary {
    pub fn succeeded(&self) -> usize {
        self.process_ns.len()
    }
}

pub fn summarize(results: &Results) -> Vec<PointSummary> {
    results
        .points
        .iter()
        .map(|p| summarize_point(results, p.id))
        .collect()
}

fn summarize_point(results: &Results, point: usize) -> PointSummary {
    let runs: Vec<_> = results.runs_of(point).collect();
    let outputs: Vec<&RunOutput> = runs.iter().filter_map(|r| r.output()).collect();
    let median_of = |f: &dyn Fn(&RunOutput) -> f64| {
        Summary::of(&outputs.iter().map(|o| f(o)).collect::<Vec<_>>()).median
    };
    let per_op = |x: u64, o: &RunOutput| x as f64 / o.alloc.iters as f64;
    let process_ns: Vec<f64> = outputs.iter().map(|o| o.median_ns_per_op()).collect();
    PointSummary {
        point,
        time: Summary::of(&process_ns),
        process_ns,
        failures: runs
            .iter()
            .filter_map(|r| match &r.outcome {
                crate::results::Outcome::Failed { reason, .. } => Some(reason.clone()),
                crate::results::Outcome::Ok(_) => None,
            })
            .collect(),
        allocs_per_op: Exact::of(outputs.iter().map(|o| per_op(o.alloc.allocs, o))),
        bytes_per_op: Exact::of(outputs.iter().map(|o| per_op(o.alloc.bytes, o))),
        peak_live: median_of(&|o| o.alloc.peak_live as f64),
        max_rss_bytes: Summary::of(
            &runs
                .iter()
                .filter(|r| r.output().is_some())
                .map(|r| r.max_rss_kib as f64 * 1024.0)
                .collect::<Vec<_>>(),
        )
        .median,
        cpu_ns_per_op: median_of(&|o| {
            (o.cpu.user_ns + o.cpu.system_ns) as f64 / o.alloc.iters as f64
        }),
        first_use_ns: median_of(&|o| (o.build_ns + o.first_run_ns) as f64),
        digests: outputs.iter().map(|o| o.digest).collect(),
        threads: outputs.first().map(|o| o.threads),
    }
}
