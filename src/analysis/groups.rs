//! Parameter groups: points with the same workload parameters do the same
//! work and are compared with each other only. Each group has its own
//! baseline (the configured baseline's knob settings with the group's
//! parameters), its fastest point, and the points not shown slower than
//! the fastest.
//!
//! In results merged from shards whose processes ran on several machines,
//! each round ran on one machine, so the design's rounds block the
//! machines too: a machine's offset neither reads as a change nor widens
//! the interval. Points that share no machine are marked confounded.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

use super::design::PointsDesign;
use super::point::PointAnalysis;
use super::Family;
use crate::config::Axis;
use crate::matrix::Point;
use crate::results::Results;
use crate::stats::{self, CompareSettings, Comparison};

/// How a group's baseline fared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum BaselineState {
    /// It ran and has results.
    Measured,
    /// It is in the matrix, but every process failed (or none ran).
    Failed,
    /// The matrix has no point with the baseline's settings for this group.
    Absent,
}

/// How a comparison with the baseline treated the machines its processes
/// ran on (results merged from shards on several machines).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum MachineBlocks {
    /// Compared within each of this many machines, then combined.
    Blocked(usize),
    /// The two points ran on no machine in common: their difference may
    /// be the machines'.
    Confounded,
}

/// Points doing the same work.
#[derive(Clone, Debug, Serialize)]
pub struct Group {
    /// The varying parameters' values, e.g. `[("size", "1000")]`; empty
    /// when no parameter varies.
    pub params: Vec<(String, String)>,
    /// Point ids, in matrix order.
    pub points: Vec<usize>,
    pub baseline: Option<usize>,
    pub baseline_state: BaselineState,
    /// The point the block design estimates fastest.
    pub fastest: Option<usize>,
    /// Every other point not shown slower than the fastest (Hsu's MCB over
    /// the group), with that comparison.
    pub ties: Vec<(usize, Comparison)>,
    /// One process's spread on the log scale (≈ its CV) that the group's
    /// block design found; what a next run's detectable change rests on.
    pub spread: Option<f64>,
    /// The smallest slowdown against the baseline (percent) this design
    /// calls with 80% power, from its rounds and `spread` (Dunnett over
    /// the group, at the group's share of α).
    pub detectable_pct: Option<f64>,
}

/// The varying parameter axes: they split points into groups.
pub(super) fn param_axes(results: &Results) -> Vec<&str> {
    results
        .plan
        .axes
        .iter()
        .filter(|a| matches!(a, Axis::Param(..)) && a.len() > 1)
        .map(Axis::name)
        .collect()
}

fn params_of(point: &Point, axes: &[&str]) -> Vec<(String, String)> {
    point
        .coords
        .iter()
        .filter(|(a, _)| axes.contains(&a.as_str()))
        .cloned()
        .collect()
}

/// Groups in order of first appearance, and each point's group index.
pub(super) fn assign(results: &Results) -> (Vec<Group>, Vec<usize>) {
    let axes = param_axes(results);
    let mut of_point = vec![0; results.points.len()];
    // One rule for the runner's looks and the analysis: `matrix::param_groups`.
    let groups = crate::matrix::param_groups(&results.plan, &results.points, results.baseline)
        .into_iter()
        .enumerate()
        .map(|(index, g)| {
            for &id in &g.points {
                of_point[id] = index;
            }
            Group {
                params: params_of(&results.points[g.points[0]], &axes),
                points: g.points,
                baseline: g.baseline,
                baseline_state: BaselineState::Absent,
                fastest: None,
                ties: Vec::new(),
                spread: None,
                detectable_pct: None,
            }
        })
        .collect();
    (groups, of_point)
}

/// Sets each group's baseline, compares every point with its group's
/// baseline and finds each group's fastest point and the points not shown
/// slower than it, each group in a block design of its own (`design`).
/// α is split over the groups (Bonferroni), so every "faster" or "slower"
/// of either kind in the run holds together at the configured α; returns
/// the two families' sizes over the run.
pub(super) fn compare(
    results: &Results,
    groups: &mut [Group],
    points: &mut [PointAnalysis],
    settings: &CompareSettings,
) -> (Family, Family) {
    let machines = machines_by_seq(results);
    let mut per_group = *settings;
    per_group.rule.alpha = settings.rule.alpha / groups.len().max(1) as f64;
    let (mut vs_baseline, mut ties) = (Vec::new(), 0);
    let mut blocks = Vec::new();
    for g in groups.iter_mut() {
        g.baseline_state = match g.baseline {
            None => BaselineState::Absent,
            Some(b) if points[b].succeeded() > 0 => BaselineState::Measured,
            Some(_) => BaselineState::Failed,
        };
        let design = PointsDesign::of(points, &g.points);
        g.spread = design.spread();
        g.detectable_pct = design.detectable_against_baseline(&per_group);
        if let Some(b) = g.baseline.filter(|&b| points[b].succeeded() > 0) {
            let compared = design.against(b, &g.points, &per_group);
            for (id, _) in &compared.comparisons {
                blocks.push((*id, machine_blocks(&points[b], &points[*id], &machines)));
            }
            vs_baseline.push(compared);
        }
        if let Some((best, compared)) = design.best(&per_group) {
            g.fastest = Some(best);
            ties += compared.size;
            g.ties = compared
                .comparisons
                .into_iter()
                .filter(|(_, c)| c.verdict != stats::Verdict::Slower)
                .collect();
        }
    }
    let size = vs_baseline.iter().map(|c| c.size).sum();
    for (id, c) in vs_baseline.into_iter().flat_map(|c| c.comparisons) {
        points[id].vs_baseline = Some(c);
    }
    for (id, b) in blocks {
        points[id].machines = b;
    }
    (Family { size }, Family { size: ties })
}

/// Each run's machine by its place in the run order; empty when every
/// process ran on one machine (or none says where).
fn machines_by_seq(results: &Results) -> HashMap<usize, &str> {
    let map: HashMap<usize, &str> = results
        .runs
        .iter()
        .filter_map(|r| Some((r.seq, results.machine_of(r)?)))
        .collect();
    let mut distinct: Vec<&str> = map.values().copied().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() > 1 {
        map
    } else {
        HashMap::new()
    }
}

/// Which machines `head`'s comparison with `base` rested on: within each
/// machine both ran on (a round runs on one machine, so the design's
/// rounds are machines too), or none in common.
fn machine_blocks(
    base: &PointAnalysis,
    head: &PointAnalysis,
    machines: &HashMap<usize, &str>,
) -> Option<MachineBlocks> {
    if machines.is_empty() {
        return None;
    }
    let on = |p: &PointAnalysis| -> BTreeSet<&str> {
        p.processes
            .iter()
            .map(|m| machines.get(&m.seq).copied().unwrap_or(""))
            .collect()
    };
    let shared = on(base).intersection(&on(head)).count();
    Some(if shared == 0 {
        MachineBlocks::Confounded
    } else {
        MachineBlocks::Blocked(shared)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;

    const SPIN: &str = "[experiment]\nworkload = \"selfcheck\"\n[params]\nvariant = \"spin\"\nsteps = 10\n[matrix]\nthreads = [1, 2]\n[measure]\nprocesses = 8\nseed = 1\n";

    /// Point 1 is 2% slower than point 0; processes 0-3 ran on machine
    /// `a`, 4-7 on `b`, which is 30% slower, with some noise.
    fn merged(split: bool) -> Results {
        let mut r = fixtures::results_by(SPIN, |p| if p.id == 0 { 1000.0 } else { 1020.0 }, |_| 1);
        for run in &mut r.runs {
            let on_b = if split {
                run.point == 1
            } else {
                run.process >= 4
            };
            run.machine = Some(if on_b { "b" } else { "a" }.into());
            let noise = 1.0 + 0.002 * f64::from(run.process % 4);
            let slow = if on_b { 1.3 } else { 1.0 };
            if let crate::results::Outcome::Ok(out) = &mut run.outcome {
                for s in &mut out.samples {
                    s.ns = (s.ns as f64 * slow * noise).round() as u64;
                }
            }
        }
        r
    }

    #[test]
    fn a_machines_offset_is_blocked_out_not_pooled_in() {
        let r = merged(false);
        let a = crate::analysis::Analysis::of(&r, &CompareSettings::default());
        let p = &a.points[1];
        assert_eq!(p.machines, Some(MachineBlocks::Blocked(2)));
        let c = p.vs_baseline.as_ref().unwrap();
        assert!((c.change.pct - 2.0).abs() < 0.3, "{}", c.change);
        // Pooled, machine b's 30% would spread the interval over tens of
        // percent; within machines it stays near the 2%.
        let ci = c.change.ci.unwrap();
        assert!(ci.hi - ci.lo < 2.0, "{ci:?}");
        assert_eq!(c.verdict, stats::Verdict::Slower);
        // The same processes on one machine: no blocks.
        let mut one = r.clone();
        one.runs.iter_mut().for_each(|x| x.machine = None);
        let a = crate::analysis::Analysis::of(&one, &CompareSettings::default());
        assert_eq!(a.points[1].machines, None);
    }

    #[test]
    fn points_on_different_machines_are_marked_confounded() {
        let a = crate::analysis::Analysis::of(&merged(true), &CompareSettings::default());
        assert_eq!(a.points[1].machines, Some(MachineBlocks::Confounded));
        // The machines' 30% shows as the points' difference: hence the mark.
        assert!(a.points[1].vs_baseline.as_ref().unwrap().change.pct > 25.0);
    }
}
