//! Per-point summaries derived from raw results with the statistics engine:
//! each process is reduced to one value per metric (median of its samples;
//! exact counts per operation), then summarised across processes, and every
//! point is compared with the baseline as one Holm-corrected family.

use std::collections::BTreeSet;

use crate::protocol::{RunOutput, ThreadCheck};
use crate::results::{Outcome, Results};
use crate::stats::{
    self, CompareSettings, Comparison, DiagnosticSettings, ExactValue, Footnote, Summary,
};

/// Everything the report says about one point.
#[derive(Clone, Debug)]
pub struct PointSummary {
    pub point: usize,
    /// Each successful process's samples in ns/op, in run order.
    pub process_samples: Vec<Vec<f64>>,
    /// Each successful process's median ns/op.
    pub process_ns: Vec<f64>,
    /// ns/op across processes; `None` without a successful process.
    pub time: Option<Summary>,
    /// This point against the baseline (not for the baseline itself).
    pub vs_baseline: Option<Comparison>,
    /// Stability warnings about this point's timings.
    pub footnotes: Vec<Footnote>,
    pub failures: Vec<String>,
    pub allocs_per_op: Option<ExactValue>,
    pub bytes_per_op: Option<ExactValue>,
    /// Median over processes of the peak live bytes while sampling.
    pub peak_live: f64,
    pub max_rss_bytes: f64,
    /// User + system CPU time per operation, all threads.
    pub cpu_ns_per_op: f64,
    /// Build plus first run: how long until the first result.
    pub first_use_ns: f64,
    /// Logical operations per run of the workload (the first use is one run).
    pub ops_per_run: f64,
    pub digests: BTreeSet<u64>,
    pub threads: Option<ThreadCheck>,
}

impl PointSummary {
    pub fn succeeded(&self) -> usize {
        self.process_ns.len()
    }

    /// The median ns/op, NaN without results.
    pub fn median_ns(&self) -> f64 {
        self.time.as_ref().map_or(f64::NAN, |t| t.median)
    }
}

/// Summaries of every point, compared with the baseline under `settings`.
pub fn summarize(results: &Results, settings: &CompareSettings) -> Vec<PointSummary> {
    let mut all: Vec<PointSummary> = results
        .points
        .iter()
        .map(|p| summarize_point(results, p.id))
        .collect();
    let Some(base) = results.baseline.filter(|b| all[*b].succeeded() > 0) else {
        return all;
    };
    let base_ns = all[base].process_ns.clone();
    let compared: Vec<usize> = all
        .iter()
        .filter(|s| s.point != base && s.succeeded() > 0)
        .map(|s| s.point)
        .collect();
    let mut family: Vec<Comparison> = Vec::with_capacity(compared.len());
    let mut kept = Vec::with_capacity(compared.len());
    for id in compared {
        if let Ok(c) = stats::compare(&base_ns, &all[id].process_ns, settings) {
            family.push(c);
            kept.push(id);
        }
    }
    stats::adjust_family(&mut family);
    for (id, c) in kept.into_iter().zip(family) {
        all[id].vs_baseline = Some(c);
    }
    all
}

fn summarize_point(results: &Results, point: usize) -> PointSummary {
    let runs: Vec<_> = results.runs_of(point).collect();
    let outputs: Vec<&RunOutput> = runs.iter().filter_map(|r| r.output()).collect();
    let median_of = |values: Vec<f64>| stats::median(&values).unwrap_or(f64::NAN);
    let per_op = |x: u64, o: &RunOutput| x as f64 / o.ops();
    let process_samples: Vec<Vec<f64>> = outputs.iter().map(|o| o.ns_per_op()).collect();
    let process_ns: Vec<f64> = outputs.iter().map(|o| o.median_ns_per_op()).collect();
    PointSummary {
        point,
        time: Summary::of(&process_ns).ok(),
        footnotes: stats::diagnose(&process_samples, &DiagnosticSettings::default())
            .unwrap_or_default(),
        process_samples,
        process_ns,
        vs_baseline: None,
        failures: runs
            .iter()
            .filter_map(|r| match &r.outcome {
                Outcome::Failed { reason, .. } => Some(reason.clone()),
                Outcome::Ok(_) => None,
            })
            .collect(),
        allocs_per_op: ExactValue::of(
            &outputs
                .iter()
                .map(|o| per_op(o.alloc.allocs, o))
                .collect::<Vec<_>>(),
        )
        .ok(),
        bytes_per_op: ExactValue::of(
            &outputs
                .iter()
                .map(|o| per_op(o.alloc.bytes, o))
                .collect::<Vec<_>>(),
        )
        .ok(),
        peak_live: median_of(outputs.iter().map(|o| o.alloc.peak_live as f64).collect()),
        max_rss_bytes: median_of(
            runs.iter()
                .filter(|r| r.output().is_some())
                .map(|r| r.max_rss_kib as f64 * 1024.0)
                .collect(),
        ),
        cpu_ns_per_op: median_of(
            outputs
                .iter()
                .map(|o| (o.cpu.user_ns + o.cpu.system_ns) as f64 / o.ops())
                .collect(),
        ),
        first_use_ns: median_of(
            outputs
                .iter()
                .map(|o| (o.build_ns + o.first_run_ns) as f64)
                .collect(),
        ),
        ops_per_run: median_of(outputs.iter().map(|o| o.ops_per_run as f64).collect()),
        digests: outputs.iter().map(|o| o.digest).collect(),
        threads: outputs.first().map(|o| o.threads),
    }
}

/// The workload parameters a point was run with, as `(axis, value)` pairs
/// of the parameter axes that vary: points are comparable (the same work)
/// only within one such group.
pub fn param_group(results: &Results, point: usize) -> Vec<(String, String)> {
    let varying_params: Vec<&str> = results
        .plan
        .axes
        .iter()
        .filter(|a| matches!(a, crate::config::Axis::Param(..)) && a.len() > 1)
        .map(|a| a.name())
        .collect();
    results.points[point]
        .coords
        .iter()
        .filter(|(a, _)| varying_params.contains(&a.as_str()))
        .cloned()
        .collect()
}

/// The fastest point of each parameter group, in matrix order of the groups.
pub fn best_per_group<'a>(
    results: &Results,
    summaries: &'a [PointSummary],
) -> Vec<&'a PointSummary> {
    let mut best: Vec<(Vec<(String, String)>, &PointSummary)> = Vec::new();
    for s in summaries.iter().filter(|s| s.succeeded() > 0) {
        let group = param_group(results, s.point);
        match best.iter_mut().find(|(g, _)| *g == group) {
            Some((_, b)) if s.median_ns() < b.median_ns() => *b = s,
            Some(_) => {}
            None => best.push((group, s)),
        }
    }
    best.into_iter().map(|(_, s)| s).collect()
}
