//! Building the comparison of two runs: per shared point, time compared with
//! [`stats::compare`] and allocations and bytes per operation compared
//! exactly with [`stats::compare_exact`]; Holm's correction over every time
//! comparison in the report (the exact counts carry no test: any change is
//! real); and the geometric mean of the per-point time ratios.

use serde::{Deserialize, Serialize};

use super::error::CompareError;
use super::matching::{key, match_points, SettingChange};
use crate::analysis::ProcessMetrics;
use crate::results::Results;
use crate::stats::{
    self, CompareSettings, Comparison, ExactComparison, GeoMean, GeoMeanSettings, Verdict,
};

/// What the comparison says about a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    /// The file the run was read from.
    pub path: String,
    pub run_id: String,
    pub experiment: String,
    pub workload: String,
    /// Processes per point the config asked for.
    pub processes: u32,
    pub cpu_model: String,
    pub cores: usize,
    pub optimized: bool,
    pub git_commit: String,
    pub load_average: [f64; 3],
    pub date: String,
}

impl RunInfo {
    fn of(results: &Results, path: &str) -> RunInfo {
        let e = &results.environment;
        RunInfo {
            path: path.to_string(),
            run_id: results.run_id.clone(),
            experiment: results.plan.name.clone(),
            workload: results.plan.workload.clone(),
            processes: results.plan.measure.processes,
            cpu_model: e.cpu_model.clone(),
            cores: e.cores,
            optimized: e.optimized,
            git_commit: e.git_commit.clone(),
            load_average: e.load_average,
            date: e.date.clone(),
        }
    }
}

/// One shared point, head against base.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PointComparison {
    /// `variant=v3 threads=2`
    pub point: String,
    /// ns/op per process; `None` when either side has no usable process.
    pub time: Option<Comparison>,
    pub allocs_per_op: Option<ExactComparison>,
    pub bytes_per_op: Option<ExactComparison>,
    /// Why a metric is missing, e.g. every process of one side failed.
    pub notes: Vec<String>,
}

/// How many time comparisons ended in each verdict.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerdictCounts {
    pub faster: usize,
    pub slower: usize,
    pub equivalent: usize,
    pub not_shown: usize,
}

impl VerdictCounts {
    /// Counts `verdicts`.
    pub fn of(verdicts: impl IntoIterator<Item = Verdict>) -> VerdictCounts {
        let mut c = VerdictCounts::default();
        for v in verdicts {
            match v {
                Verdict::Faster => c.faster += 1,
                Verdict::Slower => c.slower += 1,
                Verdict::Equivalent => c.equivalent += 1,
                Verdict::NotShown => c.not_shown += 1,
            }
        }
        c
    }
}

/// Everything `tuner compare` reports: plain data, rendered by `render`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ComparisonReport {
    pub base: RunInfo,
    pub head: RunInfo,
    pub settings: CompareSettings,
    /// Axes that name the points.
    pub key_axes: Vec<String>,
    /// Settings pinned in both runs to different values: the change under test.
    pub changed: Vec<SettingChange>,
    pub points: Vec<PointComparison>,
    pub only_in_base: Vec<String>,
    pub only_in_head: Vec<String>,
    /// Geometric mean of head/base median times; `None` below two points.
    pub geomean: Option<GeoMean>,
    /// Time comparisons with a test: the size of the Holm family.
    pub family: usize,
    pub counts: VerdictCounts,
    pub warnings: Vec<String>,
}

/// Per-process values of one point: ns/op, allocations/op, bytes/op.
struct ProcessValues {
    ns: Vec<f64>,
    allocs: Vec<f64>,
    bytes: Vec<f64>,
}

fn process_values(results: &Results, point: usize) -> ProcessValues {
    let metrics: Vec<ProcessMetrics> = results
        .runs_of(point)
        .filter_map(ProcessMetrics::of)
        .collect();
    ProcessValues {
        ns: metrics.iter().map(|m| m.ns_per_op).collect(),
        allocs: metrics.iter().filter_map(|m| m.allocs_per_op).collect(),
        bytes: metrics.iter().filter_map(|m| m.bytes_per_op).collect(),
    }
}

/// Compares `head` against `base` (read from the files named by the paths).
pub fn compare_runs(
    base: &Results,
    base_path: &str,
    head: &Results,
    head_path: &str,
    settings: &CompareSettings,
) -> Result<ComparisonReport, CompareError> {
    if base.plan.workload != head.plan.workload {
        return Err(CompareError::DifferentWorkloads {
            base: base.plan.workload.clone(),
            head: head.plan.workload.clone(),
        });
    }
    let matching = match_points(base, head);
    if matching.pairs.is_empty() {
        return Err(CompareError::NoOverlap {
            base: matching.only_in_base,
            head: matching.only_in_head,
        });
    }
    let mut points: Vec<PointComparison> = matching
        .pairs
        .iter()
        .map(|pair| {
            compare_point(
                &pair.key,
                &process_values(base, pair.base),
                &process_values(head, pair.head),
                settings,
            )
        })
        .collect();
    if points.iter().all(|p| p.time.is_none()) {
        return Err(CompareError::NoResults);
    }
    let family = stats::adjust_within(&mut points, |p| p.time.as_mut());
    let mut warnings = environment_warnings(base, head);
    warnings.extend(stability_warnings(&points));
    warnings.extend(matching.notes.iter().cloned());
    let geomean = geomean(base, head, &matching.key_axes, &mut warnings);
    Ok(ComparisonReport {
        base: RunInfo::of(base, base_path),
        head: RunInfo::of(head, head_path),
        settings: *settings,
        key_axes: matching.key_axes,
        changed: matching.changed,
        counts: counts(&points),
        points,
        only_in_base: matching.only_in_base,
        only_in_head: matching.only_in_head,
        geomean,
        family,
        warnings,
    })
}

fn compare_point(
    point: &str,
    base: &ProcessValues,
    head: &ProcessValues,
    settings: &CompareSettings,
) -> PointComparison {
    let mut notes = Vec::new();
    let mut note_err = |metric: &str, e: stats::StatsError| {
        notes.push(format!("{metric} not compared: {e}"));
    };
    let time = if base.ns.is_empty() || head.ns.is_empty() {
        let side = if base.ns.is_empty() { "base" } else { "head" };
        notes.push(format!("no successful process in {side}"));
        None
    } else {
        stats::compare(&base.ns, &head.ns, settings)
            .map_err(|e| note_err("time", e))
            .ok()
    };
    let exact = |b: &[f64], h: &[f64]| {
        (!b.is_empty() && !h.is_empty())
            .then(|| stats::compare_exact(b, h).ok())
            .flatten()
    };
    PointComparison {
        point: point.to_string(),
        time,
        allocs_per_op: exact(&base.allocs, &head.allocs),
        bytes_per_op: exact(&base.bytes, &head.bytes),
        notes,
    }
}

fn counts(points: &[PointComparison]) -> VerdictCounts {
    VerdictCounts::of(
        points
            .iter()
            .filter_map(|p| p.time.as_ref().map(|c| c.verdict)),
    )
}

/// The geometric mean over every point with results, so points present in
/// one run only make it warn.
fn geomean(
    base: &Results,
    head: &Results,
    key_axes: &[String],
    warnings: &mut Vec<String>,
) -> Option<GeoMean> {
    let per_process = |r: &Results| -> Vec<(String, Vec<f64>)> {
        r.points
            .iter()
            .filter_map(|p| {
                let ns = process_values(r, p.id).ns;
                (!ns.is_empty() && ns.iter().all(|v| *v > 0.0)).then(|| (key(p, key_axes), ns))
            })
            .collect()
    };
    let g = stats::geomean_change(
        &per_process(base),
        &per_process(head),
        &GeoMeanSettings::default(),
    )
    .ok()?;
    warnings.extend(g.warning());
    (g.points >= 2).then_some(g)
}

/// Coefficient of variation between processes above which a side is unstable.
const UNSTABLE_CV: f64 = 0.10;

/// A side whose processes scatter widely was disturbed (load from other
/// work, frequency changes): say so, since that noise, not the change under
/// test, then decides the verdicts, and load that differs between the runs
/// shifts them systematically, which no correction for many tests can undo.
fn stability_warnings(points: &[PointComparison]) -> Vec<String> {
    let timed: Vec<&Comparison> = points.iter().filter_map(|p| p.time.as_ref()).collect();
    let mut w = Vec::new();
    for side in ["base", "head"] {
        let unstable = timed
            .iter()
            .map(|c| if side == "base" { &c.base } else { &c.head })
            .filter(|s| s.cv.is_some_and(|cv| cv >= UNSTABLE_CV))
            .count();
        if unstable > 0 {
            w.push(format!(
                "{side} is unstable: at {unstable} of {} points its processes vary by ≥ {:.0}% (CV); \
                 the machine was likely busy — rerun on a quiet machine before trusting a verdict there",
                timed.len(),
                UNSTABLE_CV * 100.0
            ));
        }
    }
    w
}

fn environment_warnings(base: &Results, head: &Results) -> Vec<String> {
    let (b, h) = (&base.environment, &head.environment);
    let mut w = Vec::new();
    if b.cpu_model != h.cpu_model || b.cores != h.cores {
        w.push(format!(
            "the runs were measured on different machines: base on {} ({} CPUs), head on {} ({} CPUs)",
            b.cpu_model, b.cores, h.cpu_model, h.cores
        ));
    }
    for (side, e) in [("base", b), ("head", h)] {
        if !e.optimized {
            w.push(format!(
                "{side} was measured by a debug build of tuner: its numbers do not describe release code"
            ));
        }
    }
    let measure = |r: &Results| {
        let m = &r.plan.measure;
        (m.processes, m.samples, m.warmup, m.min_sample_time)
    };
    if measure(base) != measure(head) {
        w.push("the runs used different [measure] settings (processes, samples, warm-up or sample time)".to_string());
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{results, TINY};

    const BASE: [f64; 10] = [
        100.0, 101.0, 99.5, 100.4, 99.8, 100.9, 100.2, 99.1, 100.6, 99.9,
    ];

    fn scaled(f: f64) -> Vec<Option<f64>> {
        BASE.iter().map(|b| Some(b * f)).collect()
    }

    fn report(base: &Results, head: &Results) -> ComparisonReport {
        compare_runs(base, "b.json", head, "h.json", &CompareSettings::default()).unwrap()
    }

    #[test]
    fn a_slower_point_among_an_unchanged_one_after_holm() {
        let base = results(TINY, &[&scaled(1.0), &scaled(1.0)]);
        let head = results(TINY, &[&scaled(1.0), &scaled(1.10)]);
        let r = report(&base, &head);
        assert_eq!(r.family, 2);
        let verdicts: Vec<(&str, Verdict)> = r
            .points
            .iter()
            .map(|p| (p.point.as_str(), p.time.as_ref().unwrap().verdict))
            .collect();
        assert_eq!(
            verdicts,
            [
                ("variant=sequential", Verdict::Equivalent),
                ("variant=v3", Verdict::Slower)
            ]
        );
        let v3 = r.points[1].time.as_ref().unwrap();
        assert!((v3.change.pct - 10.0).abs() < 0.2, "{}", v3.change);
        // Fully separated, 10 + 10: raw p = 2/C(20,10); Holm doubles the smallest of two.
        assert!((v3.p_adjusted.unwrap() - 2.0 * 2.0 / 184_756.0).abs() < 1e-12);
        assert_eq!(
            r.counts,
            VerdictCounts {
                slower: 1,
                equivalent: 1,
                ..VerdictCounts::default()
            }
        );
        let g = r.geomean.as_ref().unwrap();
        assert!((g.change_pct - ((1.1f64).sqrt() - 1.0) * 100.0).abs() < 0.2);
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        assert!(!r.points[0].allocs_per_op.unwrap().changed);
    }

    /// Regression: allocations and bytes per operation divided by runs, not
    /// operations, when a run does many operations.
    #[test]
    fn exact_counts_are_per_operation_when_a_run_does_many() {
        let ns = vec![vec![9.0; 6], vec![9.0; 6]];
        let base = crate::fixtures::results_with_ops(TINY, &ns, 1, 100_000);
        let head = crate::fixtures::results_with_ops(TINY, &ns, 2, 100_000);
        let r = report(&base, &head);
        let allocs = r.points[0].allocs_per_op.unwrap();
        assert_eq!((allocs.base.value, allocs.head.value), (1.0, 2.0));
        assert_eq!(r.points[0].bytes_per_op.unwrap().head.value, 128.0);
        assert!((r.points[0].time.as_ref().unwrap().head.median - 9.0).abs() < 1e-9);
    }

    #[test]
    fn different_workloads_and_no_overlap_cannot_be_compared() {
        let base = results(TINY, &[&scaled(1.0), &scaled(1.0)]);
        let other = TINY.replace("mergesort", "selfcheck").replace(
            "variant = [\"sequential\", \"v3\"]\nthreshold = 64",
            "variant = [\"spin\"]",
        );
        let head = results(&other, &[&scaled(1.0)]);
        assert_eq!(
            compare_runs(&base, "b", &head, "h", &CompareSettings::default()),
            Err(CompareError::DifferentWorkloads {
                base: "mergesort".into(),
                head: "selfcheck".into()
            })
        );
        let disjoint = TINY.replace("[\"sequential\", \"v3\"]", "[\"v1\", \"v2\"]");
        let head = results(&disjoint, &[&scaled(1.0), &scaled(1.0)]);
        assert!(matches!(
            compare_runs(&base, "b", &head, "h", &CompareSettings::default()),
            Err(CompareError::NoOverlap { .. })
        ));
    }

    #[test]
    fn differing_point_sets_and_a_failed_side_are_warned_about() {
        let base = results(TINY, &[&scaled(1.0), &scaled(1.0)]);
        let three = TINY
            .replace(
                "[\"sequential\", \"v3\"]",
                "[\"sequential\", \"v3\", \"v2\"]",
            )
            .replace("threshold = 64", "threshold = 2048");
        let head = results(&three, &[&scaled(1.0), &[None, None], &scaled(1.0)]);
        let r = report(&base, &head);
        assert_eq!(r.changed.len(), 1);
        assert_eq!(r.only_in_head, ["variant=v2"]);
        assert_eq!(r.points[1].notes, ["no successful process in head"]);
        assert!(r.points[1].time.is_none());
        assert_eq!(r.family, 1);
        // One point in common with results: no geometric-mean row, but the warning.
        assert!(r.geomean.is_none());
        assert!(r
            .warnings
            .iter()
            .any(|w| w.starts_with("point sets differ")));
    }
}
