//! One analysis of a run, computed once: per-process figures
//! ([`metrics`]), per-point summaries ([`point`]), parameter groups with
//! their baselines, fastest points and ties ([`groups`]), what each axis
//! teaches and how threads scale ([`knobs`]), and the checks ([`checks`]).
//! The report, its conclusions and charts, `compare` and `export` only
//! format what is here; none of them derives a figure of its own.
//!
//! Every test the report prints belongs to a named Holm family whose size
//! is recorded here ([`Families`]): each point against its group's baseline;
//! each point against its group's fastest (the tie family); each axis's
//! contrasts against its picked value; the scaling steps.

mod checks;
mod groups;
mod knobs;
pub mod metrics;
mod point;

use serde::Serialize;

pub use checks::Checks;
pub use groups::{BaselineState, Group};
pub use knobs::{
    ratio_of, AxisFinding, AxisKind, Contrast, Ratio, Scaling, ScalingStep, ValueFinding,
};
pub use metrics::ProcessMetrics;
pub use point::{FailedProcess, PointAnalysis};

use crate::results::Results;
use crate::stats::{self, CompareSettings, Comparison};

/// A set of tests corrected together with Holm's method.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Family {
    /// Comparisons in the family that had a test.
    pub size: usize,
}

impl Family {
    /// Applies Holm's correction across the comparisons of `items` and
    /// re-decides their verdicts.
    pub(crate) fn adjust<T>(
        items: &mut [T],
        mut get: impl FnMut(&mut T) -> &mut Comparison,
    ) -> Family {
        let mut family: Vec<Comparison> = items.iter_mut().map(|i| get(i).clone()).collect();
        stats::adjust_family(&mut family);
        let size = family.iter().filter(|c| c.test.is_some()).count();
        for (item, adjusted) in items.iter_mut().zip(family) {
            *get(item) = adjusted;
        }
        Family { size }
    }
}

/// The sizes of every family the report draws verdicts from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Families {
    pub vs_baseline: Family,
    pub ties: Family,
    pub scaling: Family,
}

/// Everything derived from one run's results.
#[derive(Clone, Debug, Serialize)]
pub struct Analysis {
    pub settings: CompareSettings,
    /// One per point, indexed by point id.
    pub points: Vec<PointAnalysis>,
    pub groups: Vec<Group>,
    /// One per axis with more than one value, in axis order.
    pub axes: Vec<AxisFinding>,
    pub scaling: Vec<Scaling>,
    pub families: Families,
    pub checks: Checks,
}

impl Analysis {
    pub fn of(results: &Results, settings: &CompareSettings) -> Analysis {
        let (mut groups, group_of) = groups::assign(results);
        let mut points: Vec<PointAnalysis> = results
            .points
            .iter()
            .map(|p| PointAnalysis::of(results, p.id, group_of[p.id]))
            .collect();
        let (vs_baseline, ties) = groups::compare(results, &mut groups, &mut points, settings);
        let axes = knobs::findings(results, &points, settings);
        let (scaling, scaling_family) = knobs::scaling(results, &points, settings);
        let checks = checks::checks(results, &points, &groups);
        Analysis {
            settings: *settings,
            families: Families {
                vs_baseline,
                ties,
                scaling: scaling_family,
            },
            points,
            groups,
            axes,
            scaling,
            checks,
        }
    }

    /// The group of the run's configured baseline (the first group without one).
    pub fn main_group(&self) -> Option<&Group> {
        self.groups
            .iter()
            .find(|g| g.baseline_state != BaselineState::Absent)
            .or(self.groups.first())
    }

    /// Processes the plan scheduled that never ran, over all points.
    pub fn missing(&self) -> u32 {
        self.points.iter().map(|p| p.missing).sum()
    }
}

/// The speed-up a change in time of `pct` percent means: base time ÷ head
/// time. The one definition every output uses.
pub fn speedup(pct: f64) -> f64 {
    100.0 / (100.0 + pct)
}
