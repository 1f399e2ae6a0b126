//! Effect size: the change from base to head as a ratio of medians in
//! percent, with a confidence interval, e.g. `-12.3% [-14.1, -10.2]`.
//!
//! Method: the Hodges-Lehmann shift estimator on log values (Hodges &
//! Lehmann 1963, "Estimates of location based on rank tests", Ann. Math.
//! Stat. 34): `d = median{ ln head_j − ln base_i }` over all `m·n` pairs.
//! Its interval is `[D(k), D(mn+1−k)]` of the sorted pairwise differences,
//! with `k` from the null distribution of the Mann-Whitney U statistic
//! (Bauer 1972, "Constructing confidence sets using rank statistics", JASA
//! 67; Hollander & Wolfe, "Nonparametric Statistical Methods", 3rd ed.,
//! §4.3). Both are converted back to a percentage: `(exp(d) − 1)·100`.
//!
//! Why logs: timings vary multiplicatively, and under a shift of the log
//! distribution `exp(d)` is exactly the ratio of the medians (indeed of any
//! quantiles), so the estimate is the "ratio of medians" the report promises,
//! and the interval is distribution-free. The achieved coverage is exact for
//! continuous data; ties make it approximate. Because this interval inverts
//! the same U test, a change whose unadjusted p < 1 − confidence has an
//! interval that excludes 0%.

use super::guard::MIN_FOR_INTERVAL;
use super::interval::format_change;
use super::mann_whitney::shift_ci_rank;
use super::sample::check_positive;
use super::{Guard, Interval, Sorted, StatsError};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The change of head relative to base, in percent (negative = head smaller).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// Hodges-Lehmann estimate of the ratio of medians, as a percentage change.
    pub pct: f64,
    /// Interval for `pct` with its achieved coverage; `None` with `guard` set
    /// when either side has too few processes.
    pub ci: Option<Interval>,
    pub guard: Option<Guard>,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_change(self.pct, self.ci.as_ref()))
    }
}

/// Hodges-Lehmann change of `head` relative to `base` with an interval at
/// `confidence`. All values must be finite and positive.
pub(crate) fn hodges_lehmann_change(
    base: &[f64],
    head: &[f64],
    confidence: f64,
) -> Result<Change, StatsError> {
    let shift = log_shift(base, head, confidence)?;
    let guard = shift.ci.is_none().then_some(Guard::NoInterval {
        have: base.len().min(head.len()),
        need: MIN_FOR_INTERVAL,
    });
    Ok(Change {
        pct: to_pct(shift.estimate),
        ci: shift.ci.map(|ci| Interval {
            lo: to_pct(ci.lo),
            hi: to_pct(ci.hi),
            ..ci
        }),
        guard,
    })
}

/// The Hodges-Lehmann shift on the log scale, with its interval (also on
/// the log scale) when both sides have enough values.
pub(crate) struct LogShift {
    pub estimate: f64,
    pub ci: Option<Interval>,
}

pub(crate) fn log_shift(
    base: &[f64],
    head: &[f64],
    confidence: f64,
) -> Result<LogShift, StatsError> {
    StatsError::check_unit_open("confidence", confidence)?;
    let diffs = log_differences(base, head)?;
    let (m, n) = (base.len(), head.len());
    let ci = (m.min(n) >= MIN_FOR_INTERVAL)
        .then(|| shift_ci_rank(m, n, confidence))
        .flatten()
        .map(|(k, level)| Interval {
            lo: diffs.order_stat(k),
            hi: diffs.order_stat(m * n + 1 - k),
            level,
            nominal: confidence,
        });
    Ok(LogShift {
        estimate: diffs.median(),
        ci,
    })
}

/// All pairwise `ln head_j − ln base_i`, sorted.
fn log_differences(base: &[f64], head: &[f64]) -> Result<Sorted, StatsError> {
    if base.is_empty() || head.is_empty() {
        return Err(StatsError::empty("a change (both sides need values)"));
    }
    check_positive(base)?;
    check_positive(head)?;
    let log_base: Vec<f64> = base.iter().map(|b| b.ln()).collect();
    let diffs: Vec<f64> = head
        .iter()
        .flat_map(|h| log_base.iter().map(move |lb| h.ln() - lb))
        .collect();
    Sorted::new(&diffs)
}

/// A log-ratio as a percentage change.
pub(crate) fn to_pct(log_ratio: f64) -> f64 {
    log_ratio.exp_m1() * 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Hodges-Lehmann shift of `head` from `base` on the natural-log scale.
    fn hodges_lehmann_log_shift(base: &[f64], head: &[f64]) -> Result<f64, StatsError> {
        Ok(log_differences(base, head)?.median())
    }

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    /// By hand: the 9 ratios head/base for base {10, 20, 40}, head
    /// {5, 10, 20} are .125 .25 .25 .5 .5 .5 1 1 2; their median is .5,
    /// so the change is −50%.
    #[test]
    fn hand_computed_hodges_lehmann() {
        let c = hodges_lehmann_change(&[10.0, 20.0, 40.0], &[5.0, 10.0, 20.0], 0.95).unwrap();
        assert!(close(c.pct, -50.0, 1e-9), "pct = {}", c.pct);
        assert_eq!(c.ci, None);
        assert_eq!(c.guard, Some(Guard::NoInterval { have: 3, need: 6 }));
    }

    /// By hand, even count: base {1, 2}, head {2, 4} → ratios 1, 2, 2, 4
    /// (sorted 1 2 2 4); the log-median is the mean of ln 2 and ln 2 → +100%.
    #[test]
    fn even_number_of_pairs_averages_the_logs() {
        let d = hodges_lehmann_log_shift(&[1.0, 2.0], &[2.0, 4.0]).unwrap();
        assert!(close(d, 2f64.ln(), 1e-12));
    }

    /// A pure 10% scaling of the same values: every interval must contain
    /// +10%, and the rank k for 6 + 6 is 6 (critical U = 5), so the interval
    /// is the 6th and 31st of the 36 sorted log-ratios.
    #[test]
    fn interval_from_mann_whitney_critical_values() {
        let base = [100.0, 101.0, 99.0, 102.0, 98.0, 100.5];
        let head: Vec<f64> = base.iter().map(|b| b * 1.10).collect();
        let c = hodges_lehmann_change(&base, &head, 0.95).unwrap();
        assert!(close(c.pct, 10.0, 1e-9));
        let ci = c.ci.unwrap();
        assert!(ci.lo < 10.0 && ci.hi > 10.0);
        // 1 − 2·P(U ≤ 5) for 6 + 6 = 1 − 2·19/924 (counted by enumeration).
        assert!(close(ci.level, 1.0 - 38.0 / 924.0, 1e-12));
        let mut ratios: Vec<f64> = head
            .iter()
            .flat_map(|h| base.iter().map(move |b| h / b))
            .collect();
        ratios.sort_by(f64::total_cmp);
        assert!(close(ci.lo, (ratios[5] - 1.0) * 100.0, 1e-9));
        assert!(close(ci.hi, (ratios[30] - 1.0) * 100.0, 1e-9));
    }

    #[test]
    fn displays_as_percent_with_interval() {
        let c = Change {
            pct: -12.34,
            ci: Some(Interval {
                lo: -14.1,
                hi: -10.2,
                level: 0.957,
                nominal: 0.95,
            }),
            guard: None,
        };
        assert_eq!(c.to_string(), "-12.3% [-14.1, -10.2]");
    }

    #[test]
    fn refuses_zero_and_empty() {
        assert!(hodges_lehmann_change(&[1.0, 0.0], &[1.0], 0.95).is_err());
        assert!(hodges_lehmann_change(&[], &[1.0], 0.95).is_err());
    }
}
