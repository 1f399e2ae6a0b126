//! Comparison of exact metrics (allocations/op, bytes/op, peak live bytes).
//!
//! These are counts, not timings: with a deterministic workload every process
//! sees the same value, so any difference between base and head is a real
//! change and is reported as such, without intervals or tests (DESIGN.md,
//! "Exact counters … are exact: report them as such, not with error bars").
//! Values are compared with `==`; when they differ between processes of one
//! side (e.g. a one-time allocation amortised over a calibrated, varying
//! iteration count, or a non-deterministic workload) the comparison is
//! flagged, and the median of each side stands for it.

use super::{Sorted, StatsError};
use serde::{Deserialize, Serialize};
use std::fmt;

/// One side of an exact metric across processes.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExactValue {
    /// The value (the median, if processes disagree).
    pub value: f64,
    pub min: f64,
    pub max: f64,
    /// Number of processes.
    pub n: usize,
}

impl ExactValue {
    pub fn of(values: &[f64]) -> Result<ExactValue, StatsError> {
        let s = Sorted::new(values)?;
        Ok(ExactValue {
            value: s.median(),
            min: s.min(),
            max: s.max(),
            n: s.len(),
        })
    }

    /// True when processes did not all report the same value.
    pub fn varies(&self) -> bool {
        self.min != self.max
    }
}

/// An exact metric compared between base and head.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExactComparison {
    pub base: ExactValue,
    pub head: ExactValue,
    /// `head.value − base.value`.
    pub delta: f64,
    /// Percent change; `None` when base is 0 (any change from 0 is unbounded).
    pub change_pct: Option<f64>,
    /// True for any difference at all.
    pub changed: bool,
    /// True when either side varied between processes.
    pub varies: bool,
}

/// Compares per-process values of an exact metric.
pub(crate) fn compare_exact(base: &[f64], head: &[f64]) -> Result<ExactComparison, StatsError> {
    let base = ExactValue::of(base)?;
    let head = ExactValue::of(head)?;
    let delta = head.value - base.value;
    Ok(ExactComparison {
        base,
        head,
        delta,
        change_pct: (base.value != 0.0).then(|| delta / base.value.abs() * 100.0),
        changed: head.value != base.value,
        varies: base.varies() || head.varies(),
    })
}

impl fmt::Display for ExactComparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.changed {
            write!(f, "{} (unchanged)", self.head.value)?;
        } else {
            write!(
                f,
                "{} → {} ({:+}",
                self.base.value, self.head.value, self.delta
            )?;
            if let Some(pct) = self.change_pct {
                write!(f, ", {}%", super::interval::signed_1dp(pct))?;
            }
            f.write_str(")")?;
        }
        if self.varies {
            f.write_str(", varies between processes")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_change_is_reported_exactly() {
        let c = compare_exact(&[2.0; 6], &[3.0; 6]).unwrap();
        assert!(c.changed && !c.varies);
        assert_eq!(c.delta, 1.0);
        assert_eq!(c.change_pct, Some(50.0));
        assert_eq!(c.to_string(), "2 → 3 (+1, +50.0%)");
    }

    #[test]
    fn unchanged_and_from_zero() {
        let same = compare_exact(&[0.0; 3], &[0.0; 3]).unwrap();
        assert!(!same.changed);
        assert_eq!(same.to_string(), "0 (unchanged)");
        let from_zero = compare_exact(&[0.0; 3], &[1.0; 3]).unwrap();
        assert_eq!(from_zero.change_pct, None);
        assert_eq!(from_zero.to_string(), "0 → 1 (+1)");
    }

    #[test]
    fn variation_between_processes_is_flagged() {
        let c = compare_exact(&[2.0, 2.0, 2.5], &[2.0, 2.0, 2.0]).unwrap();
        assert!(c.varies && !c.changed);
        assert_eq!(c.base.value, 2.0);
        assert_eq!(c.base.max, 2.5);
        assert_eq!(c.to_string(), "2 (unchanged), varies between processes");
    }

    #[test]
    fn refuses_empty() {
        assert!(compare_exact(&[], &[1.0]).is_err());
    }
}
