//! Parameter groups: points with the same workload parameters do the same
//! work and are compared with each other only. Each group has its own
//! baseline (the configured baseline's knob settings with the group's
//! parameters), its fastest point, and the points not shown slower than
//! the fastest.

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
    for g in groups.iter_mut() {
        g.baseline = group_baseline(results, g);
        g.baseline_state = match g.baseline {
            None => BaselineState::Absent,
            Some(b) if points[b].succeeded() > 0 => BaselineState::Measured,
            Some(_) => BaselineState::Failed,
        };
        if let Some(b) = g.baseline.filter(|&b| points[b].succeeded() > 0) {
            for &id in g
                .points
                .iter()
                .filter(|&&id| id != b && points[id].succeeded() > 0)
            {
                if let Ok(c) =
                    stats::compare(&points[b].process_ns(), &points[id].process_ns(), settings)
                {
                    vs_baseline.push((id, c));
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
