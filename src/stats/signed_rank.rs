//! One-sample rank statistics on differences: the Wilcoxon signed-rank test
//! and the Hodges-Lehmann estimate (median of Walsh averages) with its
//! distribution-free interval. `paired` applies them to per-pair log ratios.
//!
//! Test (Wilcoxon 1945, "Individual comparisons by ranking methods",
//! Biometrics Bulletin 1): zero differences are dropped (Wilcoxon's rule,
//! as R's `wilcox.test` does), the rest are ranked by absolute value with
//! midranks for ties, and `T⁺` is the sum of the ranks of the positive ones.
//! - **Exact** p below 50 non-zero differences with no ties and no zeros:
//!   under H₀ each of the `2ⁿ` sign patterns is equally likely, and the
//!   number with `T⁺ = t` is the number of subsets of `{1..n}` summing to
//!   `t` (counted by dynamic programming, exactly in `u64`).
//! - **Normal approximation** otherwise, with mean `n(n+1)/4`, the
//!   tie-corrected variance `n(n+1)(2n+1)/24 − Σ(t³−t)/48` and a continuity
//!   correction of ½ (Hollander & Wolfe, "Nonparametric Statistical
//!   Methods", 3rd ed., §3.1; Conover, "Practical Nonparametric Statistics",
//!   3rd ed., §5.7).
//!
//! Estimate and interval (Hodges & Lehmann 1963, Ann. Math. Stat. 34;
//! Tukey 1949; Hollander & Wolfe §3.2–3.3): the median of the
//! `n(n+1)/2` Walsh averages `(dᵢ + dⱼ)/2, i ≤ j`, and the interval
//! `[W(k), W(M+1−k)]` of the sorted averages with `k − 1` the largest `c`
//! with `P(T⁺ ≤ c) ≤ (1 − confidence)/2` — exact below 50 values, from the
//! normal approximation above. Its achieved coverage `1 − 2·P(T⁺ ≤ k−1)`
//! is reported; it is exact for continuous, symmetric differences.

use super::sample::check_finite;
use super::{Interval, Sorted, StatsError};
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};
use statrs::function::erf::erfc;
use std::cell::RefCell;
use std::rc::Rc;

use super::mann_whitney::PMethod;

/// Below this many values the exact null distribution is used.
pub(crate) const EXACT_BELOW: usize = 50;

/// A two-sided Wilcoxon signed-rank test of "the differences are centred on 0".
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct SignedRank {
    /// Sum of the ranks of the positive differences.
    pub t_plus: f64,
    /// Non-zero differences (the test's n).
    pub n: usize,
    /// Zero differences, dropped.
    pub zeros: usize,
    /// Two-sided p-value, unadjusted.
    pub p: f64,
    pub method: PMethod,
    pub ties: bool,
}

/// The signed-rank test of `d`. Errors on an empty slice or a non-finite value.
pub(crate) fn signed_rank(d: &[f64]) -> Result<SignedRank, StatsError> {
    if d.is_empty() {
        return Err(StatsError::empty("a signed-rank test"));
    }
    check_finite(d)?;
    let (t_plus, n, ties) = statistic(d);
    let zeros = d.len() - n;
    let exact = ties.is_empty() && zeros == 0 && n < EXACT_BELOW;
    let (p, method) = if n == 0 {
        (1.0, PMethod::Normal)
    } else if exact {
        (
            TNull::cached(n).two_sided_p(t_plus as usize),
            PMethod::Exact,
        )
    } else {
        (normal_p(t_plus, n, &ties), PMethod::Normal)
    };
    Ok(SignedRank {
        t_plus,
        n,
        zeros,
        p,
        method,
        ties: !ties.is_empty(),
    })
}

/// `T⁺`, the number of non-zero values, and the sizes of tied groups.
fn statistic(d: &[f64]) -> (f64, usize, Vec<usize>) {
    let nonzero: Vec<f64> = d.iter().copied().filter(|x| *x != 0.0).collect();
    let (ranks, ties) = abs_ranks(&nonzero);
    let t_plus = nonzero
        .iter()
        .zip(&ranks)
        .filter(|(x, _)| **x > 0.0)
        .map(|(_, r)| r)
        .sum();
    (t_plus, nonzero.len(), ties)
}

/// Midranks of `|x|` (1-based) and the sizes of tied groups (≥ 2).
fn abs_ranks(x: &[f64]) -> (Vec<f64>, Vec<usize>) {
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&a, &b| x[a].abs().total_cmp(&x[b].abs()));
    let mut ranks = vec![0.0; x.len()];
    let mut ties = Vec::new();
    let mut start = 0;
    while start < order.len() {
        let value = x[order[start]].abs();
        let end = start
            + order[start..]
                .iter()
                .take_while(|&&i| x[i].abs() == value)
                .count();
        let midrank = (start + end + 1) as f64 / 2.0;
        order[start..end].iter().for_each(|&i| ranks[i] = midrank);
        if end - start > 1 {
            ties.push(end - start);
        }
        start = end;
    }
    (ranks, ties)
}

/// Mean and variance of `T⁺` under H₀, tie-corrected.
fn null_moments(n: usize, ties: &[usize]) -> (f64, f64) {
    let nf = n as f64;
    let tie_term: f64 = ties.iter().map(|&t| (t as f64).powi(3) - t as f64).sum();
    let var = nf * (nf + 1.0) * (2.0 * nf + 1.0) / 24.0 - tie_term / 48.0;
    (nf * (nf + 1.0) / 4.0, var)
}

fn normal_p(t_plus: f64, n: usize, ties: &[usize]) -> f64 {
    let (mean, var) = null_moments(n, ties);
    if var <= 0.0 {
        return 1.0;
    }
    let z = ((t_plus - mean).abs() - 0.5).max(0.0) / var.sqrt();
    erfc(z / std::f64::consts::SQRT_2).min(1.0)
}

/// The standardised statistic `(T⁺ − mean)/sd`, moved ½ towards 0 (the
/// continuity correction the normal p-value uses), for group-sequential
/// boundaries.
pub(crate) fn z_score(d: &[f64]) -> Result<f64, StatsError> {
    check_finite(d)?;
    let (t_plus, n, ties) = statistic(d);
    let (mean, var) = null_moments(n, &ties);
    if var <= 0.0 {
        return Ok(0.0);
    }
    let off = t_plus - mean;
    Ok(off.signum() * (off.abs() - 0.5).max(0.0) / var.sqrt())
}

/// The exact null distribution of `T⁺` for `n` values without ties or zeros.
#[derive(Clone, Debug)]
pub(crate) struct TNull {
    counts: Vec<u64>,
    /// `cumulative[t]` = number of subsets with sum ≤ t.
    cumulative: Vec<u64>,
    total: u64,
}

impl TNull {
    /// Counts of subsets of `{1..n}` by their sum; `n < 64` (so `2ⁿ` fits).
    pub(super) fn new(n: usize) -> TNull {
        assert!(n < 64, "exact signed-rank distribution needs n < 64");
        let max = n * (n + 1) / 2;
        let mut counts = vec![0u64; max + 1];
        counts[0] = 1;
        for k in 1..=n {
            for t in (k..=max).rev() {
                counts[t] += counts[t - k];
            }
        }
        let cumulative = counts
            .iter()
            .scan(0u64, |acc, c| {
                *acc += c;
                Some(*acc)
            })
            .collect();
        TNull {
            counts,
            cumulative,
            total: 1u64 << n,
        }
    }

    /// The distribution for `n < EXACT_BELOW`, built once per thread and
    /// size: simulations and large reports ask for the same few sizes often.
    pub(super) fn cached(n: usize) -> Rc<TNull> {
        thread_local! {
            static NULLS: RefCell<Vec<Option<Rc<TNull>>>> = RefCell::new(vec![None; EXACT_BELOW]);
        }
        NULLS.with(|cache| {
            cache.borrow_mut()[n]
                .get_or_insert_with(|| Rc::new(TNull::new(n)))
                .clone()
        })
    }

    /// P(T⁺ ≤ t).
    pub(super) fn cdf(&self, t: usize) -> f64 {
        self.cumulative[t.min(self.counts.len() - 1)] as f64 / self.total as f64
    }

    /// Two-sided p-value of an observed `T⁺` (the distribution is symmetric).
    pub(super) fn two_sided_p(&self, t: usize) -> f64 {
        let max = self.counts.len() - 1;
        (2.0 * self.cdf(t.min(max - t))).min(1.0)
    }
}

/// The rank `k` (1-based) of the Walsh-average interval `[W(k), W(M+1−k)]`
/// for `n` values and its achieved coverage; `None` when none exists.
pub(crate) fn walsh_ci_rank(n: usize, confidence: f64) -> Option<(usize, f64)> {
    if n == 0 || !(confidence > 0.0 && confidence < 1.0) {
        return None;
    }
    if n < EXACT_BELOW {
        let null = TNull::cached(n);
        let coverage = |k: usize| 1.0 - 2.0 * null.cdf(k - 1);
        return (1..=n * (n + 1) / 4 + 1)
            .take_while(|&k| coverage(k) >= confidence)
            .last()
            .map(|k| (k, coverage(k)));
    }
    let (mean, var) = null_moments(n, &[]);
    let std = Normal::standard();
    let z = std.inverse_cdf((1.0 + confidence) / 2.0);
    let k = (mean - z * var.sqrt()).floor();
    (k >= 1.0).then(|| {
        let tail = std.cdf((k - 1.0 + 0.5 - mean) / var.sqrt());
        (k as usize, 1.0 - 2.0 * tail)
    })
}

/// The Hodges-Lehmann estimate of the centre of `d` and, when one exists at
/// `confidence`, its distribution-free interval.
pub(crate) fn walsh_estimate(
    d: &[f64],
    confidence: f64,
) -> Result<(f64, Option<Interval>), StatsError> {
    StatsError::check_unit_open("confidence", confidence)?;
    if d.is_empty() {
        return Err(StatsError::empty("a Hodges-Lehmann estimate"));
    }
    check_finite(d)?;
    let walsh = walsh_averages(d)?;
    let ci = walsh_ci_rank(d.len(), confidence).map(|(k, level)| Interval {
        lo: walsh.order_stat(k),
        hi: walsh.order_stat(walsh.len() + 1 - k),
        level,
        nominal: confidence,
    });
    Ok((walsh.median(), ci))
}

/// All `(dᵢ + dⱼ)/2` for `i ≤ j`, sorted.
fn walsh_averages(d: &[f64]) -> Result<Sorted, StatsError> {
    let averages: Vec<f64> = (0..d.len())
        .flat_map(|i| (i..d.len()).map(move |j| (i, j)))
        .map(|(i, j)| (d[i] + d[j]) / 2.0)
        .collect();
    Sorted::new(&averages)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    /// Hollander & Wolfe (3rd ed., Example 3.1; also R's `?wilcox.test`):
    /// Hamilton depression scale factor IV before (x) and after (y) a
    /// tranquilizer, 9 patients. R: `wilcox.test(x, y, paired = TRUE,
    /// alternative = "greater")` gives V = 40, p = 0.01953 (exact).
    const X: [f64; 9] = [1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30];
    #[allow(clippy::approx_constant)] // 3.14 is a patient's score, not π
    const Y: [f64; 9] = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29];

    fn differences() -> Vec<f64> {
        X.iter().zip(Y).map(|(x, y)| x - y).collect()
    }

    #[test]
    fn textbook_signed_rank_test() {
        let t = signed_rank(&differences()).unwrap();
        assert_eq!((t.t_plus, t.n, t.zeros), (40.0, 9, 0));
        assert_eq!(t.method, PMethod::Exact);
        // P(T⁺ ≥ 40) = P(T⁺ ≤ 5) = 10/512.
        assert!(close(t.p, 2.0 * 10.0 / 512.0, 1e-15), "p = {}", t.p);
        assert!(close(t.p / 2.0, 0.01953, 5e-6));
    }

    /// The same data: the Hodges-Lehmann estimate is 0.46 and the 96.1%
    /// interval [0.010, 0.786] (H&W Examples 3.3–3.4: k = 6 of 45 Walsh
    /// averages, coverage 1 − 2·10/512).
    #[test]
    fn textbook_hodges_lehmann_estimate_and_interval() {
        let (est, ci) = walsh_estimate(&differences(), 0.95).unwrap();
        assert!(close(est, 0.46, 1e-12), "estimate {est}");
        let ci = ci.unwrap();
        assert!(
            close(ci.lo, 0.010, 1e-12) && close(ci.hi, 0.786, 1e-12),
            "{ci:?}"
        );
        assert!(close(ci.level, 1.0 - 20.0 / 512.0, 1e-15));
    }

    /// Published two-sided α = 0.05 critical values of T (reject when
    /// T ≤ c): Zar, "Biostatistical Analysis", Table B.12; Siegel &
    /// Castellan Table H: n = 6: 0, 7: 2, 8: 3, 9: 5, 10: 8, 15: 25, 20: 52.
    #[test]
    fn critical_values_match_tables() {
        for (n, c) in [(6, 0), (7, 2), (8, 3), (9, 5), (10, 8), (15, 25), (20, 52)] {
            let (k, level) = walsh_ci_rank(n, 0.95).unwrap();
            assert_eq!(k - 1, c, "n = {n}");
            assert!(level >= 0.95);
        }
        assert_eq!(walsh_ci_rank(5, 0.95), None);
    }

    #[test]
    fn normal_rank_agrees_with_exact_near_the_switch() {
        let exact = {
            let null = TNull::new(49);
            (1..)
                .take_while(|&k| 1.0 - 2.0 * null.cdf(k - 1) >= 0.95)
                .last()
                .unwrap()
        };
        let (approx, level) = walsh_ci_rank(50, 0.95).unwrap();
        // n = 50's normal rank sits just above n = 49's exact one.
        assert!(approx > exact && approx - exact < 30, "{exact} vs {approx}");
        assert!(close(level, 0.95, 0.003), "{level}");
    }

    #[test]
    fn null_distribution_counts_subsets() {
        // n = 3: sums 0,1,2,3,3,4,5,6 → counts 1,1,1,2,1,1,1.
        let d = TNull::new(3);
        assert_eq!(d.counts, vec![1, 1, 1, 2, 1, 1, 1]);
        assert_eq!(d.total, 8);
        assert_eq!(TNull::new(49).counts.iter().sum::<u64>(), 1u64 << 49);
    }

    /// Ties and zeros: d = 0, 1, 1, −2, 3. The zero is dropped; |d| ranks
    /// 1.5, 1.5, 3, 4; T⁺ = 1.5 + 1.5 + 4 = 7; var = 4·5·9/24 − 6/48.
    #[test]
    fn ties_and_zeros_use_the_corrected_normal_approximation() {
        let t = signed_rank(&[0.0, 1.0, 1.0, -2.0, 3.0]).unwrap();
        assert_eq!((t.t_plus, t.n, t.zeros, t.ties), (7.0, 4, 1, true));
        assert_eq!(t.method, PMethod::Normal);
        let var: f64 = 4.0 * 5.0 * 9.0 / 24.0 - 6.0 / 48.0;
        let z = (7.0f64 - 5.0 - 0.5) / var.sqrt();
        assert!(close(t.p, erfc(z / std::f64::consts::SQRT_2), 1e-12));
    }

    #[test]
    fn all_zero_empty_and_nan() {
        let t = signed_rank(&[0.0; 4]).unwrap();
        assert_eq!((t.n, t.p), (0, 1.0));
        assert!(signed_rank(&[]).is_err());
        assert!(signed_rank(&[f64::NAN]).is_err());
        assert!(walsh_estimate(&[1.0, f64::INFINITY], 0.95).is_err());
    }
}
