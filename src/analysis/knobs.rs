//! What each axis teaches: for every axis with more than one value, the
//! reference value (the one closest to the fastest across the settings of
//! the other axes) and, for every other value, the settings where it is
//! slower, faster or statistically tied with it. The reference is *the
//! pick* only when no other value is shown faster than it at any setting
//! ([`AxisFinding::settled`]); otherwise the pick depends on the setting
//! ([`AxisFinding::by_setting`]: at each, the value shown faster than the
//! reference with the lowest median, else the reference). Where memory
//! was measured, each setting's time × memory Pareto front
//! ([`AxisFinding::front`]) says which values trade time for memory;
//! and, for the threads axis, the speed-up
//! and parallel efficiency of each setting against its own fewest-threads
//! run. Each axis's comparisons form one Holm family, as do the scaling
//! comparisons; the report names each family and its size.

use serde::Serialize;

use super::point::PointAnalysis;
use super::{speedup, Family};
use crate::config::Axis;
use crate::matrix;
use crate::results::Results;
use crate::stats::{CompareSettings, Comparison, Verdict};

/// Whether an axis is a knob a user picks or a parameter of the work.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum AxisKind {
    /// threads, allocator, buffering: the same work under another setting.
    Knob,
    /// Another implementation of the same work.
    Variant,
    /// A workload parameter: possibly different work, so no value is "picked".
    Param,
}

/// One value of an axis against the pick, at one setting of the other axes.
#[derive(Clone, Debug, Serialize)]
pub struct Contrast {
    pub setting: Setting,
    /// The point with the picked value (the comparison's base).
    pub base: usize,
    /// The point with this value (the comparison's head).
    pub head: usize,
    pub comparison: Comparison,
}

/// One non-picked value of an axis.
#[derive(Clone, Debug, Serialize)]
pub struct ValueFinding {
    pub value: String,
    pub slower: Vec<Contrast>,
    pub faster: Vec<Contrast>,
    /// Neither shown slower nor faster (equivalent or inconclusive).
    pub tied: Vec<Contrast>,
}

/// What one axis teaches.
#[derive(Clone, Debug, Serialize)]
pub struct AxisFinding {
    pub axis: String,
    pub kind: AxisKind,
    /// The value closest to the fastest across the settings: the lowest
    /// mean over the settings it ran in of ln(its median ÷ the fastest).
    pub pick: String,
    /// Settings of the other axes with the pick and at least one other value measured.
    pub settings: usize,
    pub others: Vec<ValueFinding>,
    pub family: Family,
    /// No other value is shown faster than `pick` at any setting.
    pub settled: bool,
    /// The value to pick at each setting of the other axes (see the module docs).
    pub by_setting: Vec<(Setting, String)>,
    /// Per setting, the values no other value beats on both median time and
    /// peak memory (`None` where memory was not measured for every point).
    pub front: Option<Front>,
}

/// The time × memory Pareto front of an axis (see [`AxisFinding::front`]).
#[derive(Clone, Debug, Serialize)]
pub struct Front {
    /// What memory is: "peak RSS" or "peak live heap".
    pub memory: &'static str,
    /// Per setting, the front's values with (median ns, memory bytes),
    /// fastest first.
    pub settings: Vec<(Setting, Vec<FrontValue>)>,
}

/// A value on a front: its name, median ns and memory in bytes.
pub(crate) type FrontValue = (String, f64, f64);

impl Front {
    /// Whether any setting's front has more than one value: time and
    /// memory disagree on the pick somewhere.
    pub fn trades(&self) -> bool {
        self.settings.iter().any(|(_, f)| f.len() > 1)
    }
}

/// A speed-up with its interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Ratio {
    pub estimate: f64,
    pub lo: f64,
    pub hi: f64,
}

/// One step up in threads at one setting of the other axes.
#[derive(Clone, Debug, Serialize)]
pub struct ScalingStep {
    pub point: usize,
    pub threads: usize,
    /// Against the setting's fewest-threads point.
    pub comparison: Comparison,
    /// base time ÷ this time, from the comparison's change and interval.
    pub speedup: Option<Ratio>,
    /// speed-up ÷ (threads ÷ base threads).
    pub efficiency: Option<Ratio>,
}

/// How one setting scales with threads.
#[derive(Clone, Debug, Serialize)]
pub struct Scaling {
    pub setting: Setting,
    /// The fewest-threads point everything here is compared with.
    pub base: usize,
    pub base_threads: usize,
    pub steps: Vec<ScalingStep>,
}

/// The values of the other varying axes, e.g. `[("variant", "v3")]`.
pub(super) type Setting = Vec<(String, String)>;

/// The points along one axis at one setting of the others.
struct Slice {
    setting: Setting,
    points: Vec<usize>,
}

/// Points sharing every varying axis's value except `axis`'s.
fn slices_along(results: &Results, axis: &str) -> Vec<Slice> {
    let varying = matrix::varying_axes(&results.plan.axes);
    let mut out: Vec<Slice> = Vec::new();
    for p in &results.points {
        let setting: Setting = p
            .coords
            .iter()
            .filter(|(a, _)| a != axis && varying.contains(&a.as_str()))
            .cloned()
            .collect();
        match out.iter_mut().find(|s| s.setting == setting) {
            Some(s) => s.points.push(p.id),
            None => out.push(Slice {
                setting,
                points: vec![p.id],
            }),
        }
    }
    out
}

fn value_of<'a>(results: &'a Results, id: usize, axis: &str) -> &'a str {
    results.points[id].coord(axis).unwrap_or("")
}

/// Every axis's finding, in axis order.
pub(super) fn findings(
    results: &Results,
    points: &[PointAnalysis],
    settings: &CompareSettings,
) -> Vec<AxisFinding> {
    results
        .plan
        .axes
        .iter()
        .filter(|a| a.len() > 1)
        .filter_map(|axis| axis_finding(results, points, axis, settings))
        .collect()
}

fn axis_finding(
    results: &Results,
    points: &[PointAnalysis],
    axis: &Axis,
    settings: &CompareSettings,
) -> Option<AxisFinding> {
    let name = axis.name();
    let measured = |id: &usize| points[*id].succeeded() > 0;
    // Where no preload reaches the command's program, the allocator's
    // values ran the same program: nothing to compare (see checks).
    let inert = |s: &Slice| {
        matches!(axis, Axis::Allocator(_))
            && s.points
                .iter()
                .any(|&id| super::checks::allocator_inert(results, id))
    };
    let along: Vec<Slice> = slices_along(results, name)
        .into_iter()
        .filter(|s| !inert(s))
        .map(|s| Slice {
            points: s.points.into_iter().filter(measured).collect(),
            ..s
        })
        .filter(|s| s.points.len() > 1)
        .collect();
    let pick = pick(results, points, axis, &along)?;
    // Every value against the pick at each setting: one declared family.
    let mut candidates: Vec<(&Setting, usize, usize)> = Vec::new();
    for slice in &along {
        let ids = &slice.points;
        let Some(&base) = ids.iter().find(|&&id| value_of(results, id, name) == pick) else {
            continue;
        };
        for &head in ids.iter().filter(|&&id| id != base) {
            candidates.push((&slice.setting, base, head));
        }
    }
    let pairs: Vec<(usize, usize)> = candidates.iter().map(|&(_, b, h)| (b, h)).collect();
    let (compared, family) = super::design::declared_pairs(points, &pairs, settings);
    let contrasts: Vec<(String, Contrast)> = candidates
        .into_iter()
        .zip(compared)
        .filter_map(|((setting, base, head), comparison)| {
            Some((
                value_of(results, head, name).to_string(),
                Contrast {
                    setting: setting.clone(),
                    base,
                    head,
                    comparison: comparison?,
                },
            ))
        })
        .collect();
    let settings_with_pick = along
        .iter()
        .filter(|s| {
            s.points
                .iter()
                .any(|&id| value_of(results, id, name) == pick)
        })
        .count();
    let mut others: Vec<ValueFinding> = axis
        .labels()
        .into_iter()
        .filter(|v| *v != pick)
        .map(|value| ValueFinding {
            value,
            slower: Vec::new(),
            faster: Vec::new(),
            tied: Vec::new(),
        })
        .collect();
    for (value, c) in contrasts {
        let Some(f) = others.iter_mut().find(|f| f.value == value) else {
            continue;
        };
        match c.comparison.verdict {
            Verdict::Slower => f.slower.push(c),
            Verdict::Faster => f.faster.push(c),
            Verdict::Equivalent | Verdict::NotShown => f.tied.push(c),
        }
    }
    others.retain(|f| !(f.slower.is_empty() && f.faster.is_empty() && f.tied.is_empty()));
    let settled = others.iter().all(|f| f.faster.is_empty());
    let by_setting: Vec<(Setting, String)> = along
        .iter()
        .filter(|s| {
            s.points
                .iter()
                .any(|&id| value_of(results, id, name) == pick)
        })
        .map(|s| {
            let best = others
                .iter()
                .flat_map(|f| f.faster.iter())
                .filter(|c| c.setting == s.setting)
                .min_by(|a, b| {
                    points[a.head]
                        .median_ns()
                        .total_cmp(&points[b.head].median_ns())
                })
                .map_or_else(
                    || pick.clone(),
                    |c| value_of(results, c.head, name).to_string(),
                );
            (s.setting.clone(), best)
        })
        .collect();
    let front = front(results, points, name, &along);
    Some(AxisFinding {
        axis: name.to_string(),
        kind: match axis {
            Axis::Variant(_) => AxisKind::Variant,
            Axis::Param(..) => AxisKind::Param,
            _ => AxisKind::Knob,
        },
        pick,
        settings: settings_with_pick,
        others,
        family,
        settled,
        by_setting,
        front,
    })
}

/// A value holds meaningfully less memory than another below this share
/// of it: peak RSS moves by a few MiB between allocators and processes,
/// which is no trade.
const LESS_MEMORY: f64 = 0.8;

/// Each setting's time × memory Pareto front by medians: the fastest
/// value, then each slower value that holds less than [`LESS_MEMORY`] of
/// the least memory of every faster value on the front. Memory is peak RSS
/// where every point has it, else peak live heap; `None` without either.
fn front(
    results: &Results,
    points: &[PointAnalysis],
    axis: &str,
    along: &[Slice],
) -> Option<Front> {
    let all = || {
        along
            .iter()
            .flat_map(|s| s.points.iter().map(|&id| &points[id]))
    };
    let (memory, of): (&'static str, fn(&PointAnalysis) -> Option<f64>) =
        if all().all(|p| p.peak_rss_bytes.is_some()) {
            ("peak RSS", |p| p.peak_rss_bytes)
        } else if all().all(|p| p.peak_live_bytes.is_some()) {
            ("peak live heap", |p| p.peak_live_bytes)
        } else {
            return None;
        };
    if along.is_empty() {
        return None;
    }
    let settings = along
        .iter()
        .map(|s| {
            let cells: Vec<(String, f64, f64)> = s
                .points
                .iter()
                .map(|&id| {
                    let p = &points[id];
                    (
                        value_of(results, id, axis).to_string(),
                        p.median_ns(),
                        of(p).unwrap_or(0.0),
                    )
                })
                .collect();
            let mut by_time = cells;
            by_time.sort_by(|a, b| a.1.total_cmp(&b.1));
            let mut on: Vec<(String, f64, f64)> = Vec::new();
            for cell in by_time {
                let least = on.iter().map(|c| c.2).fold(f64::INFINITY, f64::min);
                if cell.2 < LESS_MEMORY * least {
                    on.push(cell);
                }
            }
            (s.setting.clone(), on)
        })
        .collect();
    Some(Front { memory, settings })
}

/// The value closest to the fastest across the settings: the lowest mean,
/// over the settings it was measured in, of ln(its median ÷ the setting's
/// fastest median). A value that is fastest wherever it runs scores 0.
fn pick(
    results: &Results,
    points: &[PointAnalysis],
    axis: &Axis,
    along: &[Slice],
) -> Option<String> {
    let name = axis.name();
    let labels = axis.labels();
    let mut score = vec![(0.0f64, 0usize); labels.len()];
    for slice in along {
        let fastest = slice
            .points
            .iter()
            .map(|&id| points[id].median_ns())
            .fold(f64::INFINITY, f64::min);
        for &id in &slice.points {
            let i = labels
                .iter()
                .position(|l| l == value_of(results, id, name))?;
            score[i].0 += (points[id].median_ns() / fastest).ln();
            score[i].1 += 1;
        }
    }
    let mean = |i: usize| score[i].0 / score[i].1 as f64;
    (0..labels.len())
        .filter(|&i| score[i].1 > 0)
        .min_by(|&a, &b| {
            mean(a)
                .total_cmp(&mean(b))
                .then(score[b].1.cmp(&score[a].1))
        })
        .map(|i| labels[i].clone())
}

/// Speed-up and efficiency of every thread count against the fewest
/// threads at the same setting of the other axes (one Holm family).
pub(super) fn scaling(
    results: &Results,
    points: &[PointAnalysis],
    settings: &CompareSettings,
) -> (Vec<Scaling>, Family) {
    if !results
        .plan
        .axes
        .iter()
        .any(|a| matches!(a, Axis::Threads(v) if v.len() > 1))
    {
        return (Vec::new(), Family::default());
    }
    // Each setting's fewest-threads point and the points with more.
    let mut settings_steps: Vec<(Setting, usize, Vec<usize>)> = Vec::new();
    for Slice {
        setting,
        points: ids,
    } in slices_along(results, "threads")
    {
        let mut ids: Vec<usize> = ids
            .into_iter()
            .filter(|&id| points[id].succeeded() > 0)
            .collect();
        ids.sort_by_key(|&id| results.points[id].threads);
        if let Some((&base, rest)) = ids.split_first() {
            if !rest.is_empty() {
                settings_steps.push((setting, base, rest.to_vec()));
            }
        }
    }
    // Every step of every setting: one declared family.
    let pairs: Vec<(usize, usize)> = settings_steps
        .iter()
        .flat_map(|(_, base, rest)| rest.iter().map(move |&id| (*base, id)))
        .collect();
    let (compared, family) = super::design::declared_pairs(points, &pairs, settings);
    let mut compared = compared.into_iter();
    let mut out: Vec<Scaling> = Vec::new();
    for (setting, base, rest) in settings_steps {
        let steps: Vec<ScalingStep> = rest
            .iter()
            .filter_map(|&id| {
                Some(ScalingStep {
                    point: id,
                    threads: results.points[id].threads,
                    comparison: compared.next().flatten()?,
                    speedup: None,
                    efficiency: None,
                })
            })
            .collect();
        if !steps.is_empty() {
            out.push(Scaling {
                setting,
                base,
                base_threads: results.points[base].threads,
                steps,
            });
        }
    }
    for s in &mut out {
        let base_threads = s.base_threads as f64;
        for step in &mut s.steps {
            step.speedup = ratio_of(&step.comparison);
            let scale = step.threads as f64 / base_threads;
            step.efficiency = step.speedup.map(|r| Ratio {
                estimate: r.estimate / scale,
                lo: r.lo / scale,
                hi: r.hi / scale,
            });
        }
    }
    (out, family)
}

/// The speed-up a comparison implies, with its interval (the interval's
/// ends swap: the largest slow-down is the smallest speed-up).
pub(crate) fn ratio_of(c: &Comparison) -> Option<Ratio> {
    let ci = c.change.ci?;
    Some(Ratio {
        estimate: speedup(c.change.pct),
        lo: speedup(ci.hi),
        hi: speedup(ci.lo),
    })
}
