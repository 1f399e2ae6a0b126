//! Summary of one point's per-process values: the median with a
//! distribution-free confidence interval from order statistics, plus mean,
//! standard deviation and coefficient of variation for diagnostics (never
//! shown as an error bar).
//!
//! The interval `[X(k), X(n+1-k)]` covers the population median with
//! probability `1 − 2·P(B ≤ k−1)`, `B ~ Binomial(n, ½)`, whatever the
//! distribution (Hollander & Wolfe, "Nonparametric Statistical Methods",
//! 3rd ed., §3.6; Conover, "Practical Nonparametric Statistics", 3rd ed.,
//! §3.2). We take the largest `k` whose coverage is at least the requested
//! confidence and report that achieved coverage, not the nominal one.

use super::guard::MIN_FOR_INTERVAL;
use super::{Guard, Interval, Sorted, StatsError};
use serde::{Deserialize, Serialize};
use statrs::distribution::{Binomial, DiscreteCDF};

/// Default confidence for intervals.
pub(super) const DEFAULT_CONFIDENCE: f64 = 0.95;

/// The summary of one point × metric across processes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Number of processes (values).
    pub n: usize,
    pub median: f64,
    /// Distribution-free interval for the median; `None` with `guard` set
    /// when there are too few processes.
    pub ci: Option<Interval>,
    pub guard: Option<Guard>,
    pub mean: f64,
    /// Sample standard deviation (n − 1 denominator); 0 for a single value.
    pub stddev: f64,
    pub min: f64,
    pub max: f64,
    /// `stddev / |mean|`; `None` when the mean is 0.
    pub cv: Option<f64>,
}

impl Summary {
    /// Summarises `values` with a 95% interval for the median.
    pub fn of(values: &[f64]) -> Result<Summary, StatsError> {
        Summary::with_confidence(values, DEFAULT_CONFIDENCE)
    }

    /// Summarises `values` with an interval at `confidence` (0..1).
    pub fn with_confidence(values: &[f64], confidence: f64) -> Result<Summary, StatsError> {
        StatsError::check_unit_open("confidence", confidence)?;
        let sorted = Sorted::new(values)?;
        let n = sorted.len();
        let (ci, guard) = match median_ci(&sorted, confidence) {
            Some(ci) => (Some(ci), None),
            None => (None, Some(interval_guard(n, confidence))),
        };
        let (mean, stddev) = mean_stddev(sorted.as_slice());
        Ok(Summary {
            n,
            median: sorted.median(),
            ci,
            guard,
            mean,
            stddev,
            min: sorted.min(),
            max: sorted.max(),
            cv: (mean != 0.0).then(|| stddev / mean.abs()),
        })
    }
}

/// 1-based ranks `(k, n+1−k)` of the order statistics bounding a
/// distribution-free interval for the median, and its achieved coverage.
/// `None` when even `[min, max]` covers less than `confidence`.
pub(super) fn median_ci_ranks(n: usize, confidence: f64) -> Option<(usize, usize, f64)> {
    if n == 0 || !(confidence > 0.0 && confidence < 1.0) {
        return None;
    }
    let binomial = Binomial::new(0.5, n as u64).ok()?;
    let coverage = |k: usize| 1.0 - 2.0 * binomial.cdf(k as u64 - 1);
    let mut best = None;
    for k in 1..=n.div_ceil(2) {
        let c = coverage(k);
        if c < confidence {
            break;
        }
        best = Some((k, n + 1 - k, c));
    }
    best
}

/// The fewest processes for which an interval exists at `confidence`,
/// never fewer than [`MIN_FOR_INTERVAL`].
pub(super) fn min_processes_for_interval(confidence: f64) -> usize {
    (MIN_FOR_INTERVAL..=128)
        .find(|&n| median_ci_ranks(n, confidence).is_some())
        .unwrap_or(128)
}

fn median_ci(sorted: &Sorted, confidence: f64) -> Option<Interval> {
    if sorted.len() < MIN_FOR_INTERVAL {
        return None;
    }
    let (lo, hi, level) = median_ci_ranks(sorted.len(), confidence)?;
    Some(Interval {
        lo: sorted.order_stat(lo),
        hi: sorted.order_stat(hi),
        level,
        nominal: confidence,
    })
}

fn interval_guard(n: usize, confidence: f64) -> Guard {
    Guard::NoInterval {
        have: n,
        need: min_processes_for_interval(confidence),
    }
}

/// Mean and sample standard deviation (0 for fewer than two values).
pub(crate) fn mean_stddev(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    if values.is_empty() {
        return (0.0, 0.0);
    }
    let mean = values.iter().sum::<f64>() / n;
    if values.len() < 2 {
        return (mean, 0.0);
    }
    let ss: f64 = values.iter().map(|x| (x - mean).powi(2)).sum();
    (mean, (ss / (n - 1.0)).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    /// Published ranks: Hollander & Wolfe, 3rd ed., Table A.5 / Conover
    /// Table A3 (binomial, p = ½). Coverages are 1 − 2·P(B ≤ k−1):
    /// n = 6: 1 − 2/64; n = 10: 1 − 22/1024; n = 20: 1 − 2·21700/2²⁰.
    #[test]
    fn order_statistic_ranks_for_6_10_20() {
        let (lo, hi, c) = median_ci_ranks(6, 0.95).unwrap();
        assert_eq!((lo, hi), (1, 6));
        assert!(close(c, 1.0 - 2.0 / 64.0, 1e-9), "n=6 coverage {c}");
        let (lo, hi, c) = median_ci_ranks(10, 0.95).unwrap();
        assert_eq!((lo, hi), (2, 9));
        assert!(close(c, 1.0 - 22.0 / 1024.0, 1e-9), "n=10 coverage {c}");
        let (lo, hi, c) = median_ci_ranks(20, 0.95).unwrap();
        assert_eq!((lo, hi), (6, 15));
        assert!(close(c, 1.0 - 2.0 * 21700.0 / 1048576.0, 1e-9), "n=20 {c}");
    }

    #[test]
    fn no_95_interval_below_six() {
        assert_eq!(median_ci_ranks(5, 0.95), None);
        assert_eq!(min_processes_for_interval(0.95), 6);
        // At 99%: n = 7 gives 1 − 2/128 = 0.984 < 0.99, n = 8 gives 0.992.
        assert_eq!(min_processes_for_interval(0.99), 8);
    }

    #[test]
    fn summary_of_ten_values() {
        let v = [5.0, 3.0, 9.0, 1.0, 7.0, 2.0, 8.0, 4.0, 10.0, 6.0];
        let s = Summary::of(&v).unwrap();
        assert_eq!(s.n, 10);
        assert_eq!(s.median, 5.5);
        let ci = s.ci.unwrap();
        assert_eq!((ci.lo, ci.hi), (2.0, 9.0));
        assert!(close(ci.level, 0.978515625, 1e-9));
        assert_eq!(s.mean, 5.5);
        // Sample variance of 1..=10 is 55/6.
        assert!(close(s.stddev, (55.0f64 / 6.0).sqrt(), 1e-12));
        assert!(close(s.cv.unwrap(), (55.0f64 / 6.0).sqrt() / 5.5, 1e-12));
        assert_eq!((s.min, s.max), (1.0, 10.0));
    }

    #[test]
    fn summary_of_four_values_has_a_guard_not_an_interval() {
        let s = Summary::of(&[1.0, 2.0, 3.0, 4.0]).unwrap();
        assert_eq!(s.ci, None);
        let g = s.guard.unwrap();
        assert_eq!(g.to_string(), "needs ≥ 6 processes for an interval, have 4");
    }

    #[test]
    fn summary_refuses_nan_and_bad_confidence() {
        assert!(Summary::of(&[1.0, f64::NAN]).is_err());
        assert!(Summary::of(&[]).is_err());
        assert!(Summary::with_confidence(&[1.0], 1.0).is_err());
    }
}
