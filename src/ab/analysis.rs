//! Judging a paired A/B from its records: per point, the complete pairs'
//! figures (wall or CPU time per operation, chosen per point, see
//! [`Metric`]; each process one value, derived by `ProcessMetrics`) go to [`stats::compare_paired`]
//! — the Wilcoxon signed-rank test and the Hodges-Lehmann change of the
//! per-pair log ratios — with Holm's correction over the points, or, in a
//! sequential gate, through the looks of [`super::sequential`];
//! allocations and bytes per operation are compared exactly; a geometric
//! mean sums the points up.
//!
//! The geometric mean is that of the paired changes: `exp(mean dᵢ) − 1`
//! over the points' Hodges-Lehmann log shifts `dᵢ`, its interval
//! `mean d ± z·√(Σ seᵢ²)/k` with each `seᵢ` read off the point's own
//! interval, `(D_hi − D_lo)/(2·z_levelᵢ)` — the method of
//! `stats::geomean` (Lehmann 1963), applied to paired shifts, which that
//! function (two samples per point) does not take.
//!
//! Diagnostics, for finding and fighting noise: the spread of one build's
//! processes and the spread of the pair ratios (scaled MAD of the logs,
//! Hampel 1974, so one disturbed process does not dominate), and the
//! position effect — how much faster a pair's second process runs than
//! its first, which the balanced order cancels from the change but which
//! still adds noise.
//!
//! What the machine delivered is read per point too
//! ([`crate::analysis::delivered`]): the CPUs each point's processes ran
//! on, and a note where a point's threads did not get the CPUs they could
//! use (pinned too narrow, or others took them), whose change is then the
//! machine's as much as the builds'.

use serde::{Deserialize, Serialize};

use super::metric::Metric;
use super::record::{AbRun, Pair};
use super::sequential::{self, Stop};
use super::side::{changed_axes, Build, Side};
use crate::analysis::delivered::{self, PointDelivered};
use crate::compare::{SettingChange, VerdictCounts};
use crate::machine::CpuSet;
use crate::stats::{
    self, Change, CompareSettings, ExactComparison, GeoMean, PairedComparison, Summary, Verdict,
    VerdictRule,
};

/// One side as the report names it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct SideInfo {
    pub build: Build,
    pub path: String,
    pub digest: String,
    pub settings: Vec<String>,
}

impl SideInfo {
    fn of(side: &Side) -> SideInfo {
        SideInfo {
            build: side.build,
            path: side.exe.path().display().to_string(),
            digest: side.exe.digest().to_string(),
            settings: side.settings.iter().map(ToString::to_string).collect(),
        }
    }
}

/// One point, head against base over its complete pairs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct AbPoint {
    /// `variant=v3 threads=2`
    pub point: String,
    /// The figure judged at this point (resolved: never `auto`).
    #[serde(default)]
    pub metric: Metric,
    /// The CPUs its processes were allowed to run on, each set once,
    /// from their machine records (empty: records of older workers).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cpus: Vec<CpuSet>,
    /// The judged figure of each build's processes in complete pairs.
    pub base: Option<Summary>,
    pub head: Option<Summary>,
    /// The fixed design's comparison over every complete pair (Holm-adjusted).
    pub time: Option<PairedComparison>,
    /// A sequential gate's: the look the point stopped at (or reached last).
    pub stop: Option<Stop>,
    pub allocs_per_op: Option<ExactComparison>,
    pub bytes_per_op: Option<ExactComparison>,
    pub noise: Option<Noise>,
    /// Why a figure is missing.
    pub notes: Vec<String>,
}

impl AbPoint {
    /// The time verdict, from the fixed comparison or the sequential look.
    pub(crate) fn verdict(&self) -> Option<Verdict> {
        match (&self.time, &self.stop) {
            (Some(c), _) => Some(c.verdict),
            (None, Some(s)) => Some(s.look.verdict),
            (None, None) => None,
        }
    }

    /// The change with its interval (a repeated one for a sequential look).
    pub(crate) fn change(&self) -> Option<&Change> {
        match (&self.time, &self.stop) {
            (Some(c), _) => Some(&c.change),
            (None, Some(s)) => Some(&s.look.change),
            (None, None) => None,
        }
    }

    /// Pairs the verdict rests on.
    pub(crate) fn pairs(&self) -> usize {
        match (&self.time, &self.stop) {
            (Some(c), _) => c.pairs,
            (None, Some(s)) => s.look.pairs,
            (None, None) => 0,
        }
    }

    /// The verdict's reason in the rule's own words.
    pub(crate) fn explain(&self, rule: &VerdictRule) -> Option<String> {
        match (&self.time, &self.stop) {
            (Some(c), _) => Some(c.explain().to_string()),
            (None, Some(s)) => Some(s.explain(rule)),
            (None, None) => None,
        }
    }
}

/// Where one point's noise sits, in percent (robust SDs of logs × 100).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Noise {
    /// Between the base build's processes.
    pub process_pct: f64,
    /// Between the pairs' log ratios: what the paired test sees.
    pub pair_pct: f64,
    /// How much slower a pair's second process ran than its first
    /// (negative: faster), estimated from the balanced orders.
    pub second_pct: f64,
}

/// The paired comparison of two builds, plain data for the renderers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct AbReport {
    pub experiment: String,
    pub workload: String,
    pub run_id: String,
    pub base: SideInfo,
    pub head: SideInfo,
    /// Axes whose values the sides' settings made differ.
    pub changed: Vec<SettingChange>,
    pub settings: CompareSettings,
    /// The figure judged: the points' own when they all agree, else
    /// `auto` (each point says its own, [`AbPoint::metric`]).
    pub metric: Metric,
    pub points: Vec<AbPoint>,
    pub geomean: Option<GeoMean>,
    /// Points with a test: the size of the family Holm (fixed design) or
    /// Bonferroni (sequential) corrects over.
    pub family: usize,
    /// The looks of a sequential gate; `None` for the fixed design.
    pub looks: Option<Vec<usize>>,
    pub counts: VerdictCounts,
    /// Complete pairs over all points, and pairs planned.
    pub pairs: usize,
    pub planned: usize,
    pub failed: usize,
    pub wall_s: f64,
    pub load_average: [f64; 3],
    pub layout: String,
    pub warnings: Vec<String>,
}

/// Judges `run` on `metric` with `settings`.
pub(crate) fn analyse(run: &AbRun, settings: &CompareSettings, metric: Metric) -> AbReport {
    let h = &run.header;
    let asked = metric;
    let varying = crate::matrix::varying_axes(&h.plan.axes);
    let plan = h.design.stopping.as_ref().and_then(|s| s.plan().ok());
    let mut points: Vec<AbPoint> = h
        .base
        .points
        .iter()
        .map(|p| {
            let metric = asked.resolve(run, p.id);
            let mut point = point(p.label(&varying), &run.pairs(p.id), settings, metric);
            if let Some(plan) = &plan {
                sequential_verdict(
                    &mut point,
                    plan,
                    &values(&run.pairs(p.id), metric),
                    &settings.rule,
                );
            }
            machine_notes(&mut point, run, p.id);
            point
        })
        .collect();
    let metric = match points.first().map(|p| p.metric) {
        Some(first) if points.iter().all(|p| p.metric == first) => first,
        Some(_) => Metric::Auto,
        None => asked,
    };
    let family = match &plan {
        None => stats::adjust_within(&mut points, |p| p.time.as_mut()),
        Some(_) => points.iter().filter(|p| p.stop.is_some()).count(),
    };
    let changes: Vec<&Change> = points.iter().filter_map(AbPoint::change).collect();
    let geomean = stats::geomean_of(&changes, 0.95);
    let failed = run.failures().count();
    let mut warnings = run.warnings.clone();
    warnings.extend(notes(run));
    AbReport {
        experiment: h.plan.name.clone(),
        workload: h.plan.workload.clone(),
        run_id: h.run_id.clone(),
        base: SideInfo::of(&h.base),
        head: SideInfo::of(&h.head),
        changed: changed_axes(&h.base, &h.head),
        settings: *settings,
        metric,
        counts: VerdictCounts::of(points.iter().filter_map(AbPoint::verdict)),
        pairs: points.iter().map(AbPoint::pairs).sum(),
        planned: h.base.points.len() * h.design.pairs as usize,
        points,
        geomean,
        family,
        looks: h.design.stopping.as_ref().map(|s| s.looks.clone()),
        failed,
        wall_s: run.wall_s,
        load_average: h.environment.load_average,
        layout: layout_line(run),
        warnings,
    }
}

fn point(label: String, pairs: &[Pair], settings: &CompareSettings, metric: Metric) -> AbPoint {
    let mut p = AbPoint {
        point: label,
        metric,
        cpus: Vec::new(),
        base: None,
        head: None,
        time: None,
        stop: None,
        allocs_per_op: None,
        bytes_per_op: None,
        noise: None,
        notes: Vec::new(),
    };
    if pairs.is_empty() {
        p.notes.push("no complete pair (see the failures)".into());
        return p;
    }
    let ns = values(pairs, metric);
    let side = |f: fn(&(f64, f64)) -> f64| ns.iter().map(f).collect::<Vec<f64>>();
    p.base = Summary::with_confidence(&side(|v| v.0), settings.confidence).ok();
    p.head = Summary::with_confidence(&side(|v| v.1), settings.confidence).ok();
    match stats::compare_paired(&ns, settings) {
        Ok(c) => p.time = Some(c),
        Err(e) => p.notes.push(format!("time not compared: {e}")),
    }
    // Exact counts only when every process of both builds has them (a
    // command workload has none).
    let exact = |f: fn(&Pair, Build) -> Option<f64>| {
        let of = |b| pairs.iter().map(|q| f(q, b)).collect::<Option<Vec<f64>>>();
        stats::compare_exact(&of(Build::Base)?, &of(Build::Head)?).ok()
    };
    p.allocs_per_op = exact(|q, b| q.metrics(b).allocs_per_op);
    p.bytes_per_op = exact(|q, b| q.metrics(b).bytes_per_op);
    p.noise = noise(&ns, pairs);
    p
}

/// The `(base, head)` figure of each pair.
pub(super) fn values(pairs: &[Pair], metric: Metric) -> Vec<(f64, f64)> {
    pairs
        .iter()
        .map(|q| (metric.of(&q.base), metric.of(&q.head)))
        .collect()
}

/// A sequential gate's verdict replaces the fixed comparison: the look
/// the point stopped at, or the last it reached.
fn sequential_verdict(
    point: &mut AbPoint,
    plan: &stats::SequentialPlan,
    values: &[(f64, f64)],
    rule: &VerdictRule,
) {
    point.time = None;
    match sequential::judge(plan, values, rule) {
        Ok(Some(stop)) => point.stop = Some(stop),
        Ok(None) => point.notes.push(format!(
            "{} complete pairs: fewer than the first look's {}",
            values.len(),
            plan.looks[0]
        )),
        Err(e) => point.notes.push(format!("time not compared: {e}")),
    }
}

impl Pair {
    fn metrics(&self, build: Build) -> &crate::analysis::ProcessMetrics {
        match build {
            Build::Base => &self.base,
            Build::Head => &self.head,
        }
    }
}

/// The noise figures of a point's `values` (`(base, head)` per pair, of
/// `pairs`); `None` below 4 pairs.
fn noise(values: &[(f64, f64)], pairs: &[Pair]) -> Option<Noise> {
    if values.len() < 4 {
        return None;
    }
    let ratio = |(b, h): &(f64, f64)| (h / b).ln();
    let ratios: Vec<f64> = values.iter().map(ratio).collect();
    let by_order = |base_first: bool| -> Vec<f64> {
        values
            .iter()
            .zip(pairs)
            .filter(|(_, q)| q.base_first == base_first)
            .map(|(v, _)| ratio(v))
            .collect()
    };
    let (base_first, head_first) = (by_order(true), by_order(false));
    // ln(head/base) = Δ + s when base runs first, Δ − s when head does.
    let second = match (stats::median(&base_first), stats::median(&head_first)) {
        (Ok(b), Ok(h)) => (b - h) / 2.0,
        _ => f64::NAN,
    };
    Some(Noise {
        process_pct: stats::robust_sd(&values.iter().map(|v| v.0.ln()).collect::<Vec<_>>()) * 100.0,
        pair_pct: stats::robust_sd(&ratios) * 100.0,
        second_pct: stats::log_ratio_pct(second),
    })
}

/// The CPUs `point`'s processes ran on, and a note where its threads did
/// not get the CPUs they could use (both builds' processes together, or
/// each build's where a side's settings changed its thread count).
fn machine_notes(point: &mut AbPoint, run: &AbRun, id: usize) {
    let records: Vec<_> = run
        .records
        .iter()
        .filter(|r| !r.probe && r.run.point == id)
        .filter_map(|r| Some((r.run.output()?.machine.as_deref()?, r.build)))
        .collect();
    let threads = |build| run.header.side(build).points[id].threads;
    let groups: Vec<(Option<Build>, usize)> = if threads(Build::Base) == threads(Build::Head) {
        vec![(None, threads(Build::Base))]
    } else {
        Build::BOTH.iter().map(|&b| (Some(b), threads(b))).collect()
    };
    for (build, threads) in groups {
        let of: Vec<_> = records
            .iter()
            .filter(|(_, b)| build.is_none_or(|x| x == *b))
            .map(|(d, _)| *d)
            .collect();
        let d: PointDelivered = delivered::point(id, threads, &of);
        for set in &d.allowed {
            if !point.cpus.contains(set) {
                point.cpus.push(set.clone());
            }
        }
        if let Some(why) = d.confounded {
            let whose = build.map_or(String::new(), |b| format!("{b}'s "));
            point.notes.push(format!(
                "{}: {whose}processes did not get the CPUs their {} thread{} could use ({} of {} short: {}); the change is the machine's as much as the builds'",
                point.point,
                d.threads,
                if d.threads == 1 { "" } else { "s" },
                d.short,
                d.recorded,
                why.describe()
            ));
        }
    }
}

fn layout_line(run: &AbRun) -> String {
    let l = &run.header.design.layout;
    let aslr = if l.aslr_off { "ASLR off" } else { "ASLR on" };
    let pin = l.describe_pin().map_or(String::new(), |p| format!(", {p}"));
    let mode = format!("{:?}", l.mode).to_lowercase();
    format!("{mode} ({aslr}{pin})")
}

/// One line per build, point and reason of failure.
fn failure_notes(run: &AbRun) -> Vec<String> {
    let varying = crate::matrix::varying_axes(&run.header.plan.axes);
    let mut groups: std::collections::BTreeMap<(Build, usize, &str), usize> = Default::default();
    for r in run.failures() {
        if let crate::results::Outcome::Failed { reason, .. } = &r.run.outcome {
            *groups
                .entry((r.build, r.run.point, reason.as_str()))
                .or_default() += 1;
        }
    }
    groups
        .into_iter()
        .map(|((build, point, reason), n)| {
            let label = run.header.base.points[point].label(&varying);
            format!("{n} {build} process(es) failed at {label}, their pairs left out: {reason}")
        })
        .collect()
}

/// How many of the gate's processes other tasks contended, and why
/// ([`crate::machine::classify`]); `None` when none was.
fn contention_note(run: &AbRun) -> Option<String> {
    let mut recorded = 0;
    let mut reasons: Vec<(crate::machine::Reason, usize)> = Vec::new();
    for r in run.records.iter().filter(|r| !r.probe) {
        let Some(d) = r.run.output().and_then(|o| o.machine.as_deref()) else {
            continue;
        };
        recorded += 1;
        let threads = run.header.side(r.build).points[r.run.point].threads;
        let asked = u32::try_from(threads).unwrap_or(u32::MAX);
        if let crate::machine::Contention::Contended { reason, .. } =
            crate::machine::classify(d, asked)
        {
            match reasons.iter_mut().find(|(x, _)| *x == reason) {
                Some((_, n)) => *n += 1,
                None => reasons.push((reason, 1)),
            }
        }
    }
    let contended: usize = reasons.iter().map(|(_, n)| n).sum();
    (contended > 0).then(|| {
        let why: Vec<String> = reasons
            .iter()
            .map(|(reason, n)| format!("{} {n}", reason.describe()))
            .collect();
        format!(
            "the machine was busy: other tasks contended {contended} of {recorded} processes ({}); a pair shares its moment, so the ratios hold up better than the times",
            why.join(", ")
        )
    })
}

/// Warnings about the gate as a whole.
fn notes(run: &AbRun) -> Vec<String> {
    let h = &run.header;
    let mut w = Vec::new();
    if let Some(stopped) = &run.stopped {
        w.push(format!("the gate stopped early: {stopped}"));
    }
    w.extend(failure_notes(run));
    w.extend(contention_note(run));
    if !h.environment.optimized {
        w.push(
            "measured by a debug build of tuner: its numbers do not describe release code".into(),
        );
    }
    if h.base.exe.digest() == h.head.exe.digest() && h.base.settings == h.head.settings {
        w.push("base and head are the same binary with the same settings: an A/A check".into());
    }
    if h.design.layout.mode != super::layout::LayoutMode::Random && !h.design.layout.aslr_off {
        w.push("the kernel refused to turn ASLR off: layouts were random per process".into());
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ab::sequential::Stopping;
    use crate::ab::testing::{drifting, gate, header, TWO_POINTS};

    fn judge(run: &AbRun, band: f64) -> AbReport {
        let settings = CompareSettings {
            rule: VerdictRule {
                noise_band_pct: band,
                ..VerdictRule::default()
            },
            ..CompareSettings::default()
        };
        analyse(run, &settings, Metric::Auto)
    }

    #[test]
    fn a_slower_point_beside_an_unchanged_one_after_holm() {
        let run = gate(
            header(TWO_POINTS, &["allocator=mimalloc"]),
            &[drifting(12, 100.0, 1.0), drifting(12, 200.0, 1.02)],
        );
        let r = judge(&run, 0.5);
        assert_eq!(r.metric, Metric::Cpu, "single-threaded processes");
        let verdicts: Vec<(&str, Option<Verdict>)> = r
            .points
            .iter()
            .map(|p| (p.point.as_str(), p.verdict()))
            .collect();
        assert_eq!(
            verdicts,
            [
                ("steps=100", Some(Verdict::Equivalent)),
                ("steps=200", Some(Verdict::Slower))
            ]
        );
        let slow = r.points[1].time.as_ref().unwrap();
        assert!((slow.change.pct - 2.0).abs() < 0.1, "{}", slow.change);
        // Twelve ratios all above 1: exact p = 2/4096, doubled by Holm.
        assert!((slow.p_adjusted.unwrap() - 2.0 * 2.0 / 4096.0).abs() < 1e-12);
        assert_eq!((r.family, r.pairs, r.planned, r.failed), (2, 24, 24, 0));
        assert_eq!(r.counts.slower + r.counts.equivalent, 2);
        let g = r.geomean.as_ref().unwrap();
        assert!((g.change_pct - 1.0).abs() < 0.1, "{g:?}");
        assert!(g.ci.unwrap().contains(1.0));
        assert!(!r.points[1].allocs_per_op.unwrap().changed);
        assert_eq!(
            r.changed,
            [SettingChange {
                axis: "allocator".into(),
                base: "system".into(),
                head: "mimalloc".into()
            }]
        );
        // The drift of up to 4% between pairs is gone from the pair spread.
        let noise = r.points[1].noise.unwrap();
        assert!(noise.process_pct > 1.0 && noise.pair_pct < 0.3, "{noise:?}");
    }

    #[test]
    fn incomplete_pairs_are_left_out_and_counted() {
        let mut pairs = drifting(12, 100.0, 1.0);
        pairs[3].1 = None;
        let run = gate(header(TWO_POINTS, &[]), &[pairs, drifting(12, 200.0, 1.0)]);
        let r = judge(&run, 0.5);
        assert_eq!((r.points[0].pairs(), r.failed), (11, 1));
        assert!(
            r.warnings.contains(
                &"1 head process(es) failed at steps=100, their pairs left out: panicked: as asked"
                    .to_string()
            ),
            "{:?}",
            r.warnings
        );
        assert!(r
            .warnings
            .iter()
            .any(|w| w.contains("same binary with the same settings: an A/A check")));
    }

    #[test]
    fn balanced_orders_cancel_a_slower_second_process() {
        // Whichever build runs second is 3% slower; head equals base.
        let pairs: Vec<(Option<f64>, Option<f64>)> = (0..12)
            .map(|i| {
                let wiggle = 1.0 + 0.0005 * (i % 5) as f64;
                let (first, second) = (100.0 * wiggle, 103.0 * wiggle);
                if i % 2 == 0 {
                    (Some(first), Some(second))
                } else {
                    (Some(second), Some(first))
                }
            })
            .collect();
        let run = gate(header(TWO_POINTS, &[]), &[pairs.clone(), pairs]);
        let p = &judge(&run, 5.0).points[0];
        let noise = p.noise.unwrap();
        assert!((noise.second_pct - 3.0).abs() < 0.01, "{noise:?}");
        assert!(p.change().unwrap().pct.abs() < 0.1, "{:?}", p.change());
        assert_eq!(p.verdict(), Some(Verdict::Equivalent));
    }

    #[test]
    fn auto_judges_wall_time_when_a_process_ran_more_threads() {
        let mut run = gate(
            header(TWO_POINTS, &[]),
            &[drifting(8, 100.0, 1.0), drifting(8, 100.0, 1.0)],
        );
        // CPU time twice the wall time in one process: it is not judged.
        if let Outcome::Ok(o) = &mut run.records[5].run.outcome {
            o.threads.busy = Some(2);
            o.cpu.timed_ns = o.cpu.timed_ns.map(|t| t * 2);
        }
        assert_eq!(Metric::Auto.resolve(&run, 0), Metric::Time);
        assert_eq!(Metric::Cpu.resolve(&run, 0), Metric::Cpu);
        // Per point: the other point's processes ran one thread each.
        assert_eq!(Metric::Auto.resolve(&run, 1), Metric::Cpu);
        let r = judge(&run, 0.5);
        assert_eq!(
            (r.metric, r.points[0].metric, r.points[1].metric),
            (Metric::Auto, Metric::Time, Metric::Cpu)
        );
    }

    #[test]
    fn a_sequential_gate_takes_the_verdict_of_the_look_it_stopped_at() {
        let mut h = header(TWO_POINTS, &[]);
        h.design.stopping = Stopping::new(6, 12, 2, 0.05);
        let run = gate(h, &[drifting(12, 100.0, 1.10), drifting(7, 100.0, 1.0)]);
        let r = judge(&run, 0.5);
        let stop = r.points[0].stop.as_ref().unwrap();
        assert_eq!((stop.look.look, stop.look.pairs), (1, 12));
        assert_eq!(r.points[0].verdict(), Some(Verdict::Slower));
        assert!(r.points[0].time.is_none());
        assert_eq!(r.looks.as_deref(), Some(&[6, 12][..]));
        // Seven pairs: only the first look (6) is reached, and it is unclear.
        let second = r.points[1].stop.as_ref().unwrap();
        assert_eq!((second.look.pairs, second.stopped), (6, false));
        assert_eq!(r.family, 2);
    }

    use crate::results::Outcome;
}
