//! What each axis teaches: for every axis with more than one value, which
//! value to pick (the one fastest in the most settings of the other axes),
//! and, for every other value, the settings where it is slower, faster or
//! statistically tied with the pick; and, for the threads axis, the speed-up
//! and parallel efficiency of each setting against its own fewest-threads
//! run. Each axis's comparisons form one Holm family, as do the scaling
//! comparisons; the report names each family and its size.

use serde::Serialize;

use super::point::PointAnalysis;
use super::{speedup, Family};
use crate::config::Axis;
use crate::matrix;
use crate::results::Results;
use crate::stats::{self, CompareSettings, Comparison, Verdict};

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
    /// The other varying axes' values, e.g. `[("variant", "v3"), ("threads", "2")]`.
    pub setting: Vec<(String, String)>,
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
    /// The value fastest in the most settings (ties: the lower geometric
    /// mean of its medians).
    pub pick: String,
    /// Settings of the other axes with the pick and at least one other value measured.
    pub settings: usize,
    pub others: Vec<ValueFinding>,
    pub family: Family,
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
    pub setting: Vec<(String, String)>,
    /// The fewest-threads point everything here is compared with.
    pub base: usize,
    pub base_threads: usize,
    pub steps: Vec<ScalingStep>,
}

/// Points sharing every varying axis's value except `axis`, keyed by those values.
fn settings_along(results: &Results, axis: &str) -> Vec<(Vec<(String, String)>, Vec<usize>)> {
    let varying = matrix::varying_axes(&results.plan.axes);
    let mut out: Vec<(Vec<(String, String)>, Vec<usize>)> = Vec::new();
    for p in &results.points {
        let key: Vec<(String, String)> = p
            .coords
            .iter()
            .filter(|(a, _)| a != axis && varying.contains(&a.as_str()))
            .cloned()
            .collect();
        match out.iter_mut().find(|(k, _)| *k == key) {
            Some((_, ids)) => ids.push(p.id),
            None => out.push((key, vec![p.id])),
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
    let along: Vec<(Vec<(String, String)>, Vec<usize>)> = settings_along(results, name)
        .into_iter()
        .map(|(k, ids)| (k, ids.into_iter().filter(measured).collect::<Vec<_>>()))
        .filter(|(_, ids)| ids.len() > 1)
        .collect();
    let pick = pick(results, points, axis, &along)?;
    let mut contrasts: Vec<(String, Contrast)> = Vec::new();
    for (setting, ids) in &along {
        let Some(&base) = ids.iter().find(|&&id| value_of(results, id, name) == pick) else {
            continue;
        };
        for &head in ids.iter().filter(|&&id| id != base) {
            if let Ok(comparison) = stats::compare(
                &points[base].process_ns(),
                &points[head].process_ns(),
                settings,
            ) {
                let value = value_of(results, head, name).to_string();
                contrasts.push((
                    value,
                    Contrast {
                        setting: setting.clone(),
                        base,
                        head,
                        comparison,
                    },
                ));
            }
        }
    }
    let family = Family::adjust(&mut contrasts, |(_, c)| &mut c.comparison);
    let settings_with_pick = along
        .iter()
        .filter(|(_, ids)| ids.iter().any(|&id| value_of(results, id, name) == pick))
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
            Verdict::Equivalent | Verdict::Inconclusive => f.tied.push(c),
        }
    }
    others.retain(|f| !(f.slower.is_empty() && f.faster.is_empty() && f.tied.is_empty()));
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
    })
}

/// The value fastest in the most settings; ties go to the value with the
/// lower geometric mean of its medians over the settings it was measured in.
fn pick(
    results: &Results,
    points: &[PointAnalysis],
    axis: &Axis,
    along: &[(Vec<(String, String)>, Vec<usize>)],
) -> Option<String> {
    let name = axis.name();
    let labels = axis.labels();
    let mut wins = vec![0usize; labels.len()];
    let mut log_sum = vec![(0.0f64, 0usize); labels.len()];
    for (_, ids) in along {
        let fastest = ids
            .iter()
            .copied()
            .min_by(|&a, &b| points[a].median_ns().total_cmp(&points[b].median_ns()))?;
        for &id in ids {
            let i = labels
                .iter()
                .position(|l| l == value_of(results, id, name))?;
            let m = points[id].median_ns();
            if m > 0.0 {
                log_sum[i].0 += m.ln();
                log_sum[i].1 += 1;
            }
            if id == fastest {
                wins[i] += 1;
            }
        }
    }
    let geo = |i: usize| {
        let (s, n) = log_sum[i];
        if n == 0 {
            f64::INFINITY
        } else {
            s / n as f64
        }
    };
    (0..labels.len())
        .filter(|&i| log_sum[i].1 > 0)
        .max_by(|&a, &b| wins[a].cmp(&wins[b]).then(geo(b).total_cmp(&geo(a))))
        .map(|i| labels[i].clone())
}

/// Speed-up and efficiency of every thread count against the fewest
/// threads at the same setting of the other axes (one Holm family).
pub(super) fn scaling(
    results: &Results,
    points: &[PointAnalysis],
    settings: &CompareSettings,
) -> (Vec<Scaling>, Family) {
    let Some(Axis::Threads(values)) = results
        .plan
        .axes
        .iter()
        .find(|a| matches!(a, Axis::Threads(v) if v.len() > 1))
    else {
        return (Vec::new(), Family::default());
    };
    let _ = values;
    let mut out: Vec<Scaling> = Vec::new();
    for (setting, ids) in settings_along(results, "threads") {
        let mut ids: Vec<usize> = ids
            .into_iter()
            .filter(|&id| points[id].succeeded() > 0)
            .collect();
        ids.sort_by_key(|&id| results.points[id].threads);
        let Some((&base, rest)) = ids.split_first() else {
            continue;
        };
        if rest.is_empty() {
            continue;
        }
        let base_threads = results.points[base].threads;
        let steps = rest
            .iter()
            .filter_map(|&id| {
                let comparison = stats::compare(
                    &points[base].process_ns(),
                    &points[id].process_ns(),
                    settings,
                )
                .ok()?;
                Some(ScalingStep {
                    point: id,
                    threads: results.points[id].threads,
                    comparison,
                    speedup: None,
                    efficiency: None,
                })
            })
            .collect();
        out.push(Scaling {
            setting,
            base,
            base_threads,
            steps,
        });
    }
    let mut all: Vec<&mut ScalingStep> = out.iter_mut().flat_map(|s| s.steps.iter_mut()).collect();
    let family = Family::adjust(&mut all, |s| &mut s.comparison);
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
pub fn ratio_of(c: &Comparison) -> Option<Ratio> {
    let ci = c.change.ci?;
    Some(Ratio {
        estimate: speedup(c.change.pct),
        lo: speedup(ci.hi),
        hi: speedup(ci.lo),
    })
}
