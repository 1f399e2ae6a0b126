//! Parameter groups: points with the same workload parameters do the same
//! work and are compared with each other only. Each group has its own
//! baseline (the configured baseline's knob settings with the group's
//! parameters), its fastest point, and the points not shown slower than
//! the fastest.
//!
//! In results merged from shards whose processes ran on several machines,
//! a point is compared with its baseline within each machine both ran on,
//! and the machines combined (`stats::compare_blocked`, van Elteren), so a
//! machine's offset neither reads as a change nor widens the interval;
//! points that share no machine are compared pooled and marked
//! confounded.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

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
    /// The point with the lowest median time.
    pub fastest: Option<usize>,
    /// Every other point not shown slower than the fastest (Holm over the
    /// group's comparisons with its fastest), with that comparison.
    pub ties: Vec<(usize, Comparison)>,
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
    let mut groups: Vec<Group> = Vec::new();
    let mut of_point = Vec::with_capacity(results.points.len());
    for p in &results.points {
        let params = params_of(p, &axes);
        let index = match groups.iter().position(|g| g.params == params) {
            Some(i) => i,
            None => {
                groups.push(Group {
                    params,
                    points: Vec::new(),
                    baseline: None,
                    baseline_state: BaselineState::Absent,
                    fastest: None,
                    ties: Vec::new(),
                });
                groups.len() - 1
            }
        };
        groups[index].points.push(p.id);
        of_point.push(index);
    }
    (groups, of_point)
}

/// The point of `group` with the configured baseline's knob settings.
fn group_baseline(results: &Results, group: &Group) -> Option<usize> {
    let base = &results.points[results.baseline?];
    let axes = param_axes(results);
    let mut selection: Vec<(String, String)> = base
        .coords
        .iter()
        .filter(|(a, _)| !axes.contains(&a.as_str()))
        .cloned()
        .collect();
    selection.extend(group.params.iter().cloned());
    group
        .points
        .iter()
        .copied()
        .find(|&id| results.points[id].matches(&selection))
}

/// Sets each group's baseline, compares every point with its group's
/// baseline (one Holm family over the run), and finds each group's fastest
/// point and the points not shown slower than it (a Holm family per group,
/// [`stats::best_and_ties`]); returns the two families' sizes.
pub(super) fn compare(
    results: &Results,
    groups: &mut [Group],
    points: &mut [PointAnalysis],
    settings: &CompareSettings,
) -> (Family, Family) {
    let mut vs_baseline = Vec::new();
    let mut tie_tests = 0;
    let machines = machines_by_seq(results);
    for g in groups.iter_mut() {
        g.baseline = group_baseline(results, g);
        g.baseline_state = match g.baseline {
            None => BaselineState::Absent,
            Some(b) if points[b].succeeded() > 0 => BaselineState::Measured,
            Some(_) => BaselineState::Failed,
        };
        if let Some(b) = g.baseline.filter(|&b| points[b].succeeded() > 0) {
            let heads: Vec<usize> = g
                .points
                .iter()
                .copied()
                .filter(|&id| id != b && points[id].succeeded() > 0)
                .collect();
            for id in heads {
                if let Ok((c, blocks)) = against(&points[b], &points[id], &machines, settings) {
                    vs_baseline.push((id, c));
                    points[id].machines = blocks;
                }
            }
        }
        let values: Vec<Vec<f64>> = g.points.iter().map(|&id| points[id].process_ns()).collect();
        if let Ok(set) = stats::best_and_ties(&values, settings) {
            g.fastest = Some(g.points[set.best]);
            tie_tests += set
                .comparisons
                .iter()
                .flatten()
                .filter(|c| c.test.is_some())
                .count();
            g.ties = set
                .ties
                .iter()
                .filter_map(|&i| Some((g.points[i], set.comparisons[i].clone()?)))
                .collect();
        }
    }
    let baseline_family = Family::adjust(&mut vs_baseline, |x| &mut x.1);
    for (id, c) in vs_baseline {
        points[id].vs_baseline = Some(c);
    }
    (baseline_family, Family { size: tie_tests })
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

/// `head` against `base`: within machines when they ran on several
/// (`machines` not empty), pooled otherwise.
fn against(
    base: &PointAnalysis,
    head: &PointAnalysis,
    machines: &HashMap<usize, &str>,
    settings: &CompareSettings,
) -> Result<(Comparison, Option<MachineBlocks>), stats::StatsError> {
    let pooled = stats::compare(&base.process_ns(), &head.process_ns(), settings)?;
    if machines.is_empty() {
        return Ok((pooled, None));
    }
    let mut by_machine: BTreeMap<&str, (Vec<f64>, Vec<f64>)> = BTreeMap::new();
    for (side, point) in [(0, base), (1, head)] {
        for m in &point.processes {
            let machine = machines.get(&m.seq).copied().unwrap_or("");
            let entry = by_machine.entry(machine).or_default();
            if side == 0 {
                &mut entry.0
            } else {
                &mut entry.1
            }
            .push(m.ns_per_op);
        }
    }
    let blocks: Vec<(&[f64], &[f64])> = by_machine
        .values()
        .map(|(b, h)| (b.as_slice(), h.as_slice()))
        .collect();
    if !blocks.iter().any(|(b, h)| !b.is_empty() && !h.is_empty()) {
        return Ok((pooled, Some(MachineBlocks::Confounded)));
    }
    let blocked = stats::compare_blocked(&blocks, settings)?;
    let used = blocked.blocks;
    Ok((
        with_blocked(pooled, blocked),
        Some(MachineBlocks::Blocked(used)),
    ))
}

/// The pooled comparison's summaries with the blocked change, p-value
/// and verdict: the test keeps its pooled `U` and carries van Elteren's
/// p, which Holm's correction then adjusts with the rest.
fn with_blocked(mut c: Comparison, b: stats::BlockedComparison) -> Comparison {
    c.change = b.change;
    c.verdict = b.verdict;
    c.p_adjusted = b.p_adjusted;
    c.notes = b.notes;
    match (c.test.as_mut(), b.p) {
        (Some(test), Some(p)) => {
            test.p = p;
            test.method = match b.method {
                stats::BlockedMethod::VanElterenExact => stats::PMethod::Exact,
                _ => stats::PMethod::Normal,
            };
        }
        (_, None) => c.test = None,
        (None, Some(_)) => {}
    }
    c
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
