//! The Mann-Whitney U test (Wilcoxon rank-sum test) of two independent
//! samples, two-sided.
//!
//! `U` counts the pairs `(base_i, head_j)` with `head_j > base_i`, ties
//! counting ½ (Mann & Whitney 1947, "On a test of whether one of two random
//! variables is stochastically larger than the other", Ann. Math. Stat. 18).
//!
//! p-value:
//! - **Exact** when there are no ties and both samples have fewer than 50
//!   values (the rule R's `wilcox.test` uses). Under H₀ every one of the
//!   `C(m+n, m)` orderings is equally likely; the number with `U = u` is the
//!   coefficient of `q^u` in the Gaussian binomial
//!   `[m+n choose m]_q = Π_{i=1..m} (1 − q^{n+i}) / (1 − q^i)`
//!   (Andrews, "The Theory of Partitions", 1976, Thm 3.1), computed exactly
//!   in `i128` by multiplying and dividing one factor at a time.
//!   Two-sided p = min(1, 2·min(P(U ≤ u), P(U ≥ u))).
//! - **Normal approximation** otherwise, with the tie-corrected variance
//!   `mn/12 · ((N+1) − Σ(t³−t) / (N(N−1)))` and a continuity correction of ½
//!   (Hollander & Wolfe, "Nonparametric Statistical Methods", 3rd ed., §4.1;
//!   Conover, "Practical Nonparametric Statistics", 3rd ed., §5.1).
//!
//! The same null distribution gives the critical values behind the
//! Hodges-Lehmann interval (see `effect`).

use super::sample::check_finite;
use super::StatsError;
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};
use statrs::function::erf::erfc;

/// Samples of this size or more (either side) use the normal approximation.
pub(super) const EXACT_BELOW: usize = 50;

/// How the p-value was obtained.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PMethod {
    /// From the exact permutation distribution of U (no ties, both n < 50).
    Exact,
    /// Normal approximation with tie and continuity corrections.
    Normal,
}

/// Result of a two-sided Mann-Whitney U test of `head` against `base`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MannWhitney {
    /// Pairs with head > base, ties counting ½. Ranges over 0..=n_base·n_head.
    pub u: f64,
    pub n_base: usize,
    pub n_head: usize,
    /// Two-sided p-value, unadjusted.
    pub p: f64,
    pub method: PMethod,
    /// True when some values are tied (across or within the samples).
    pub ties: bool,
}

/// Two-sided Mann-Whitney U test. Errors on an empty side or non-finite values.
pub(crate) fn mann_whitney(base: &[f64], head: &[f64]) -> Result<MannWhitney, StatsError> {
    if base.is_empty() || head.is_empty() {
        return Err(StatsError::empty(
            "a Mann-Whitney test (both sides need values)",
        ));
    }
    check_finite(base)?;
    check_finite(head)?;
    let u = u_statistic(base, head);
    let ties = tie_sizes(base, head);
    let (m, n) = (base.len(), head.len());
    let null = if ties.is_empty() {
        UNull::new(m, n)
    } else {
        None
    };
    let (p, method) = match null {
        Some(null) => (null.two_sided_p(u as usize), PMethod::Exact),
        None => (normal_p(u, m, n, &ties), PMethod::Normal),
    };
    Ok(MannWhitney {
        u,
        n_base: m,
        n_head: n,
        p,
        method,
        ties: !ties.is_empty(),
    })
}

/// Number of pairs with head > base, plus ½ per tied pair.
fn u_statistic(base: &[f64], head: &[f64]) -> f64 {
    let mut twice = 0u64;
    for h in head {
        for b in base {
            // Values are checked finite, so `partial_cmp` always answers;
            // unlike `total_cmp` it treats -0.0 and 0.0 as tied.
            twice += match h.partial_cmp(b) {
                Some(std::cmp::Ordering::Greater) => 2,
                Some(std::cmp::Ordering::Equal) => 1,
                _ => 0,
            };
        }
    }
    twice as f64 / 2.0
}

/// Sizes of the groups of equal values (only groups of 2 or more) in the pooled sample.
fn tie_sizes(base: &[f64], head: &[f64]) -> Vec<usize> {
    let mut pooled: Vec<f64> = base.iter().chain(head).copied().collect();
    pooled.sort_by(f64::total_cmp);
    pooled
        .chunk_by(|a, b| a == b)
        .map(<[f64]>::len)
        .filter(|&t| t > 1)
        .collect()
}

fn normal_p(u: f64, m: usize, n: usize, ties: &[usize]) -> f64 {
    let (mf, nf) = (m as f64, n as f64);
    let big_n = mf + nf;
    let tie_term: f64 = ties.iter().map(|&t| (t as f64).powi(3) - t as f64).sum();
    let var = mf * nf / 12.0 * ((big_n + 1.0) - tie_term / (big_n * (big_n - 1.0)));
    if var <= 0.0 {
        return 1.0; // every value tied: no evidence of a difference
    }
    let z = ((u - mf * nf / 2.0).abs() - 0.5).max(0.0) / var.sqrt();
    erfc(z / std::f64::consts::SQRT_2).min(1.0)
}

/// The exact null distribution of U for sample sizes `m`, `n` (no ties).
#[derive(Clone, Debug)]
pub(super) struct UNull {
    counts: Vec<i128>,
    total: i128,
}

impl UNull {
    /// Builds the distribution for m, n < [`EXACT_BELOW`] (counts up to
    /// C(98, 49) ≈ 2.5·10²⁸ fit in `i128`); `None` for larger samples.
    pub(super) fn new(m: usize, n: usize) -> Option<UNull> {
        if m >= EXACT_BELOW || n >= EXACT_BELOW {
            return None;
        }
        let max_u = m * n;
        let mut poly = vec![0i128; max_u + 1];
        poly[0] = 1;
        for i in 1..=m {
            let step = n + i;
            for u in (step..=max_u).rev() {
                poly[u] -= poly[u - step];
            }
            for u in i..=max_u {
                poly[u] += poly[u - i];
            }
        }
        let total = poly.iter().sum();
        Some(UNull {
            counts: poly,
            total,
        })
    }

    /// P(U ≤ u).
    pub(super) fn cdf(&self, u: usize) -> f64 {
        let upto = u.min(self.counts.len() - 1);
        self.counts[..=upto].iter().sum::<i128>() as f64 / self.total as f64
    }

    /// P(U ≥ u).
    pub(super) fn sf(&self, u: usize) -> f64 {
        let from = u.min(self.counts.len());
        self.counts[from..].iter().sum::<i128>() as f64 / self.total as f64
    }

    /// Two-sided p-value of an observed U.
    pub(super) fn two_sided_p(&self, u: usize) -> f64 {
        (2.0 * self.cdf(u).min(self.sf(u))).min(1.0)
    }
}

/// The rank `k` (1-based) such that `[D(k), D(mn+1−k)]` of the sorted
/// pairwise differences is a confidence interval for a shift with coverage
/// at least `confidence`, and that achieved coverage `1 − 2·P(U ≤ k−1)`.
/// Exact below [`EXACT_BELOW`] per side, otherwise from the normal
/// approximation `k ≈ mn/2 − z·√(mn(m+n+1)/12)` (Hollander & Wolfe §4.3).
/// `None` when no such interval exists (samples too small).
pub(super) fn shift_ci_rank(m: usize, n: usize, confidence: f64) -> Option<(usize, f64)> {
    if m == 0 || n == 0 || !(confidence > 0.0 && confidence < 1.0) {
        return None;
    }
    match UNull::new(m, n) {
        Some(null) => exact_shift_rank(&null, m * n, confidence),
        None => normal_shift_rank(m, n, confidence),
    }
}

fn exact_shift_rank(null: &UNull, mn: usize, confidence: f64) -> Option<(usize, f64)> {
    let mut best = None;
    for k in 1..=mn.div_ceil(2) {
        let coverage = 1.0 - 2.0 * null.cdf(k - 1);
        if coverage < confidence {
            break;
        }
        best = Some((k, coverage));
    }
    best
}

fn normal_shift_rank(m: usize, n: usize, confidence: f64) -> Option<(usize, f64)> {
    let (mf, nf) = (m as f64, n as f64);
    let sd = (mf * nf * (mf + nf + 1.0) / 12.0).sqrt();
    let std = Normal::standard();
    let z = std.inverse_cdf((1.0 + confidence) / 2.0);
    let k = (mf * nf / 2.0 - z * sd).floor();
    if k < 1.0 {
        return None;
    }
    // P(U ≤ k−1) with continuity correction.
    let tail = std.cdf((k - 1.0 + 0.5 - mf * nf / 2.0) / sd);
    Some((k as usize, 1.0 - 2.0 * tail))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    /// Hollander & Wolfe (1973), p. 69: permeability constants of the human
    /// chorioamnion at term (x) and at 12–26 weeks (y); reproduced in R's
    /// `?wilcox.test`, whose output is `W = 35, p-value = 0.1272` for
    /// alternative "greater" (exact), so the two-sided exact p is 0.2544;
    /// with `exact = FALSE, correct = FALSE` the one-sided p is 0.1103.
    const X: [f64; 10] = [0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46];
    const Y: [f64; 5] = [1.15, 0.88, 0.90, 0.74, 1.21];

    #[test]
    fn textbook_example_exact() {
        let r = mann_whitney(&Y, &X).unwrap();
        assert_eq!(r.u, 35.0);
        assert_eq!(r.method, PMethod::Exact);
        // P(U ≥ 35) = 382 / 3003 = 0.12721 (n = 10, 5).
        assert!(close(r.p, 2.0 * 382.0 / 3003.0, 1e-12), "p = {}", r.p);
        assert!(close(r.p / 2.0, 0.1272, 5e-5));
    }

    #[test]
    fn textbook_example_normal_without_continuity() {
        // z = (35 − 25) / √(50·16/12) = 1.2247 → one-sided 0.1103.
        // Our normal p uses the continuity correction: z = 9.5 / 8.165.
        let p = normal_p(35.0, 5, 10, &[]);
        let z: f64 = 9.5 / (50.0f64 * 16.0 / 12.0).sqrt();
        assert!(close(p, erfc(z / std::f64::consts::SQRT_2), 1e-12));
        let p_uncorrected = erfc(10.0 / (800.0f64 / 12.0).sqrt() / std::f64::consts::SQRT_2);
        assert!(close(p_uncorrected / 2.0, 0.1103, 5e-5));
    }

    #[test]
    fn null_distribution_is_the_gaussian_binomial() {
        // m = n = 2: orderings give U = 0,1,2,2,3,4 → counts 1,1,2,1,1.
        let d = UNull::new(2, 2).unwrap();
        assert_eq!(d.counts, vec![1, 1, 2, 1, 1]);
        assert_eq!(d.total, 6);
        // Totals are C(m+n, m); C(98, 49) ≈ 2.5e28 must not overflow.
        assert_eq!(UNull::new(10, 10).unwrap().total, 184_756);
        let big = UNull::new(49, 49).unwrap();
        assert_eq!(big.total, 25_477_612_258_980_856_902_730_428_600);
        assert!(big.counts.iter().all(|&c| c > 0));
        assert!(UNull::new(50, 3).is_none());
    }

    /// Published two-sided α = 0.05 critical values of U (reject when
    /// U ≤ c), e.g. Siegel & Castellan (1988) Table J / Zar Table B.11:
    /// c = 2 (5,5), 5 (6,6), 8 (7,7), 13 (8,8), 17 (9,9), 23 (10,10), 127 (20,20).
    #[test]
    fn critical_values_match_tables() {
        for (n, c) in [
            (5, 2),
            (6, 5),
            (7, 8),
            (8, 13),
            (9, 17),
            (10, 23),
            (20, 127),
        ] {
            let (k, level) = shift_ci_rank(n, n, 0.95).unwrap();
            assert_eq!(k - 1, c, "n = {n}");
            assert!(level >= 0.95, "n = {n}: level {level}");
        }
        assert_eq!(shift_ci_rank(3, 3, 0.95), None);
    }

    #[test]
    fn normal_rank_agrees_with_exact_near_the_switch() {
        let null = UNull::new(40, 40).unwrap();
        let (exact, _) = exact_shift_rank(&null, 1600, 0.95).unwrap();
        let (approx, level) = normal_shift_rank(40, 40, 0.95).unwrap();
        assert!(
            exact.abs_diff(approx) <= 1,
            "exact {exact}, normal {approx}"
        );
        assert!(close(level, 0.95, 0.005));
    }

    #[test]
    fn ties_switch_to_the_normal_approximation() {
        let r = mann_whitney(&[1.0, 2.0, 2.0, 3.0], &[2.0, 3.0, 4.0, 5.0]).unwrap();
        assert_eq!(r.method, PMethod::Normal);
        assert!(r.ties);
        // Pairs head > base, ties ½: head 2 → 1 + ½ + ½; 3 → 3 + ½; 4 → 4; 5 → 4.
        assert_eq!(r.u, 2.0 + 3.5 + 4.0 + 4.0);
        // Ties {2,2,2}, {3,3}: Σ(t³−t) = 24 + 6 = 30; var = 16/12·(9 − 30/56).
        let var: f64 = 16.0 / 12.0 * (9.0 - 30.0 / 56.0);
        let z = (13.5f64 - 8.0 - 0.5) / var.sqrt();
        assert!(close(r.p, erfc(z / std::f64::consts::SQRT_2), 1e-12));
    }

    #[test]
    fn all_tied_gives_p_one_and_empty_is_an_error() {
        let r = mann_whitney(&[1.0; 5], &[1.0; 5]).unwrap();
        assert_eq!(r.p, 1.0);
        assert!(mann_whitney(&[], &[1.0]).is_err());
        assert!(mann_whitney(&[f64::NAN], &[1.0]).is_err());
    }
}
