//! The CI gate: which findings make `tuner compare` (and `tuner ab`) exit
//! with code 1.

use serde::{Deserialize, Serialize};

use super::build::ComparisonReport;
use crate::stats::{ExactComparison, Verdict};

/// What counts as a failure of the comparison.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum FailOn {
    /// Never fail on the findings (only on errors).
    #[default]
    Never,
    /// A point whose time is *slower*: significant after Holm's correction
    /// and with its estimate beyond the noise band.
    Slower,
    /// *slower*, or more allocations or bytes per operation anywhere.
    Regression,
    /// Any *faster* or *slower* verdict, or any change of an exact count:
    /// for A/A checks and for changes that should be neutral.
    AnyChange,
}

/// One point as the gate reads it, from any kind of comparison.
pub(crate) struct GatePoint<'a> {
    pub point: &'a str,
    /// What the time verdict is about: `time`, `cpu/op`.
    pub metric: &'a str,
    /// The time verdict, and the change with the rule's sentence for it.
    pub time: Option<(Verdict, String)>,
    pub allocs_per_op: Option<ExactComparison>,
    pub bytes_per_op: Option<ExactComparison>,
}

impl FailOn {
    /// The findings that fail the gate, one line each; empty when it passes.
    pub(crate) fn failures(self, report: &ComparisonReport) -> Vec<String> {
        self.failures_of(report.points.iter().map(|p| {
            GatePoint {
                point: &p.point,
                metric: "time",
                time: p
                    .time
                    .as_ref()
                    .map(|c| (c.verdict, format!("{}, {}", c.change, c.explain()))),
                allocs_per_op: p.allocs_per_op,
                bytes_per_op: p.bytes_per_op,
            }
        }))
    }

    /// [`FailOn::failures`] over points of any comparison.
    pub(crate) fn failures_of<'a>(
        self,
        points: impl IntoIterator<Item = GatePoint<'a>>,
    ) -> Vec<String> {
        if self == FailOn::Never {
            return Vec::new();
        }
        let mut out = Vec::new();
        for p in points {
            if let Some((verdict, why)) = &p.time {
                let fails = match verdict {
                    Verdict::Slower => true,
                    Verdict::Faster => self == FailOn::AnyChange,
                    Verdict::Equivalent | Verdict::NotShown => false,
                };
                if fails {
                    out.push(format!("{}: {} {why}", p.point, p.metric));
                }
            }
            for (metric, e) in [("allocs/op", p.allocs_per_op), ("B/op", p.bytes_per_op)] {
                let Some(e) = e else { continue };
                if self.exact_fails(&e) {
                    out.push(format!("{}: {metric} {e}", p.point));
                }
            }
        }
        out
    }

    fn exact_fails(self, e: &ExactComparison) -> bool {
        match self {
            FailOn::Never | FailOn::Slower => false,
            FailOn::Regression => e.delta > 0.0,
            FailOn::AnyChange => e.changed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::compare_runs;
    use crate::fixtures::{output, results, TINY};
    use crate::results::Outcome;

    fn values(f: f64) -> Vec<Option<f64>> {
        (0..8).map(|i| Some(f * (100.0 + i as f64 * 0.1))).collect()
    }

    #[test]
    fn each_policy_fails_on_its_findings() {
        let base = results(TINY, &[&values(1.0), &values(1.0)]);
        let mut head = results(TINY, &[&values(0.8), &values(1.0)]);
        // v3 in head allocates twice per operation.
        for r in head.runs.iter_mut().filter(|r| r.point == 1) {
            r.outcome = Outcome::Ok(output(100.0 + r.process as f64 * 0.1, 2));
        }
        let report = compare_runs(&base, "b", &head, "h", &Default::default()).unwrap();
        assert_eq!(report.counts.faster, 1);
        assert!(FailOn::Never.failures(&report).is_empty());
        assert!(FailOn::Slower.failures(&report).is_empty());
        assert_eq!(
            FailOn::Regression.failures(&report),
            [
                "variant=v3: allocs/op 1 → 2 (+1, +100.0%)",
                "variant=v3: B/op 64 → 128 (+64, +100.0%)"
            ]
        );
        let any = FailOn::AnyChange.failures(&report);
        assert_eq!(any.len(), 3);
        // The rule's own sentence: significant, and how far beyond the band.
        assert!(
            any[0].starts_with("variant=sequential: time -20.0% [")
                && any[0].contains(", faster: p = ")
                && any[0].ends_with("is beyond the ±1% band"),
            "{}",
            any[0]
        );
    }
}
