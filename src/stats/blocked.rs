//! Blocked comparison for results merged from several machines (issue 13):
//! when the processes of two points ran on different machines, compare
//! within each machine and combine, rather than pooling values whose
//! machine offsets would read as a change.
//!
//! Test: the van Elteren stratified rank-sum test (van Elteren 1960, "On
//! the combination of independent two-sample tests of Wilcoxon", Bull.
//! Int. Stat. Inst. 37; Lehmann, "Nonparametrics: Statistical Methods
//! Based on Ranks", 1975, §3.3). Per block `b` with `m_b` base and `n_b`
//! head values, `U_b` counts pairs with head > base (ties ½); the statistic
//! `S = Σ w_b (U_b − m_b n_b/2)` with van Elteren's locally most powerful
//! weights `w_b = 1/(m_b + n_b + 1)` has variance
//! `Σ w_b² · m_b n_b/12 · ((N_b+1) − Σ(t³−t)/(N_b(N_b−1)))` under H₀
//! (ties corrected within blocks). The p-value is **exact** when there are
//! no ties and the null distribution is small enough to tabulate: under H₀
//! the blocks' `U_b` are independent, each with the exact Mann-Whitney
//! distribution, so `S` (scaled to integers by the least common multiple
//! of the `N_b + 1`) has their weighted convolution as its distribution.
//! Otherwise `z = S/√Var` is referred to the normal distribution
//! (two-sided, no continuity correction: the weights make `S`'s steps
//! uneven).
//!
//! Estimate and interval: the Hodges-Lehmann principle (Hodges & Lehmann
//! 1963, Ann. Math. Stat. 34) applied to `S`: the log shift `d` at which
//! `S(d)`, computed on `ln head − d` against `ln base`, equals its null
//! mean. `S(d)` is the total weight of the within-block pairwise
//! differences `ln head − ln base` above `d`, minus half the total weight,
//! so the estimate is their weighted median (each pair weighted `w_b`),
//! and inverting the test (Bauer 1972, JASA 67) gives the interval between
//! the weighted quantiles at half the total weight ∓ `z₁₋α/₂·√Var`. Its
//! level is the nominal one (normal approximation). Both are reported as
//! percentages, like every change. With one usable block the comparison
//! is the plain one (`compare`: exact Mann-Whitney, exact-rank interval).

use super::effect::to_pct;
use super::guard::MIN_FOR_TEST;
use super::mann_whitney::UNull;
use super::multiple::Tested;
use super::sample::check_positive;
use super::verdict::decide;
use super::{compare, Change, CompareSettings, Guard, Interval, StatsError, Verdict, VerdictRule};
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};

/// How the blocked comparison's p-value was obtained.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum BlockedMethod {
    /// Van Elteren's stratified test over several blocks, exact.
    VanElterenExact,
    /// Van Elteren's stratified test, normal approximation.
    VanElteren,
    /// One usable block: the plain Mann-Whitney test.
    MannWhitney,
}

/// Head against base, compared within blocks (machines) and combined.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct BlockedComparison {
    /// Blocks with values on both sides (the ones used).
    pub blocks: usize,
    /// Indexes of blocks left out because one side had no values.
    pub dropped_blocks: Vec<usize>,
    pub change: Change,
    /// Two-sided p-value, unadjusted; `None` with a note below 4 values per side.
    pub p: Option<f64>,
    /// The standardised van Elteren statistic (several blocks only).
    pub z: Option<f64>,
    pub method: BlockedMethod,
    pub p_adjusted: Option<f64>,
    pub verdict: Verdict,
    pub rule: VerdictRule,
    pub notes: Vec<Guard>,
}

impl Tested for BlockedComparison {
    fn raw_p(&self) -> Option<f64> {
        self.p
    }

    fn set_adjusted(&mut self, p_adjusted: f64) {
        self.p_adjusted = Some(p_adjusted);
        self.verdict = decide(self.p_adjusted, &self.change, &self.rule);
    }
}

/// Compares head against base within each block `(base, head)` and
/// combines. Values must be finite and positive.
pub(crate) fn compare_blocked(
    blocks: &[(&[f64], &[f64])],
    settings: &CompareSettings,
) -> Result<BlockedComparison, StatsError> {
    settings.validate()?;
    for (base, head) in blocks {
        check_positive(base)?;
        check_positive(head)?;
    }
    let (used, dropped): (Vec<usize>, Vec<usize>) =
        (0..blocks.len()).partition(|&i| !blocks[i].0.is_empty() && !blocks[i].1.is_empty());
    let used: Vec<Stratum> = used.iter().map(|&i| Stratum::new(blocks[i])).collect();
    match used.as_slice() {
        [] => Err(StatsError::empty(
            "a blocked comparison (no block has values on both sides)",
        )),
        [one] => single_block(one, dropped, settings),
        _ => Ok(van_elteren(&used, dropped, settings)),
    }
}

/// One block's log values and its share of the statistic.
struct Stratum {
    base: Vec<f64>,
    head: Vec<f64>,
    weight: f64,
}

impl Stratum {
    fn new((base, head): (&[f64], &[f64])) -> Stratum {
        Stratum {
            weight: 1.0 / (base.len() + head.len() + 1) as f64,
            base: base.iter().map(|x| x.ln()).collect(),
            head: head.iter().map(|x| x.ln()).collect(),
        }
    }

    fn mn(&self) -> f64 {
        (self.base.len() * self.head.len()) as f64
    }

    /// Pairs with head > base, ties counting ½.
    fn u(&self) -> f64 {
        self.pairs()
            .map(|d| 0.5 + 0.5 * d.signum() * f64::from(d != 0.0))
            .sum()
    }

    /// Null variance of `U`, corrected for ties.
    fn u_variance(&self) -> f64 {
        let mut pooled: Vec<f64> = self.base.iter().chain(&self.head).copied().collect();
        pooled.sort_by(f64::total_cmp);
        let big_n = pooled.len() as f64;
        let tie_term: f64 = pooled
            .chunk_by(|a, b| a == b)
            .map(|g| (g.len() as f64).powi(3) - g.len() as f64)
            .sum();
        let correction = if big_n > 1.0 {
            tie_term / (big_n * (big_n - 1.0))
        } else {
            0.0
        };
        self.mn() / 12.0 * ((big_n + 1.0) - correction)
    }

    /// True when no two values in the block are equal.
    fn untied(&self) -> bool {
        let mut pooled: Vec<f64> = self.base.iter().chain(&self.head).copied().collect();
        pooled.sort_by(f64::total_cmp);
        pooled.windows(2).all(|w| w[0] != w[1])
    }

    /// Every `ln head − ln base` in the block.
    fn pairs(&self) -> impl Iterator<Item = f64> + '_ {
        self.head
            .iter()
            .flat_map(|h| self.base.iter().map(move |b| h - b))
    }
}

fn single_block(
    block: &Stratum,
    dropped_blocks: Vec<usize>,
    settings: &CompareSettings,
) -> Result<BlockedComparison, StatsError> {
    let exp = |v: &[f64]| v.iter().map(|x| x.exp()).collect::<Vec<f64>>();
    let c = compare(&exp(&block.base), &exp(&block.head), settings)?;
    Ok(BlockedComparison {
        blocks: 1,
        dropped_blocks,
        p: c.p(),
        z: None,
        method: BlockedMethod::MannWhitney,
        p_adjusted: c.p_adjusted,
        verdict: c.verdict,
        rule: c.rule,
        notes: c.notes,
        change: c.change,
    })
}

fn van_elteren(
    strata: &[Stratum],
    dropped_blocks: Vec<usize>,
    settings: &CompareSettings,
) -> BlockedComparison {
    let s: f64 = strata
        .iter()
        .map(|b| b.weight * (b.u() - b.mn() / 2.0))
        .sum();
    let var: f64 = strata
        .iter()
        .map(|b| b.weight.powi(2) * b.u_variance())
        .sum();
    let z = if var > 0.0 { s / var.sqrt() } else { 0.0 };
    let have = |side: fn(&Stratum) -> usize| strata.iter().map(side).sum::<usize>();
    let have = have(|b| b.base.len()).min(have(|b| b.head.len()));
    let tested = have >= MIN_FOR_TEST;
    let exact = exact_p(strata);
    let method = if exact.is_some() {
        BlockedMethod::VanElterenExact
    } else {
        BlockedMethod::VanElteren
    };
    let p = tested.then(|| exact.unwrap_or_else(|| 2.0 * Normal::standard().sf(z.abs())));
    let notes = (!tested)
        .then_some(Guard::NoSignificance {
            have,
            need: MIN_FOR_TEST,
        })
        .into_iter()
        .collect();
    let change = weighted_change(strata, var, settings.confidence);
    BlockedComparison {
        blocks: strata.len(),
        dropped_blocks,
        p,
        z: Some(z),
        method,
        p_adjusted: p,
        verdict: decide(p, &change, &settings.rule),
        rule: settings.rule,
        notes,
        change,
    }
}

/// Largest table (values × work) the exact distribution may take.
const EXACT_BUDGET: usize = 2_000_000;

/// The exact two-sided p-value of van Elteren's statistic, or `None` with
/// ties or when the distribution is too large to tabulate.
fn exact_p(strata: &[Stratum]) -> Option<f64> {
    let nulls: Vec<UNull> = strata
        .iter()
        .map(|b| {
            b.untied()
                .then(|| UNull::new(b.base.len(), b.head.len()))
                .flatten()
        })
        .collect::<Option<_>>()?;
    let lcm = strata.iter().try_fold(1usize, |l, b| {
        let n = b.base.len() + b.head.len() + 1;
        l.checked_mul(n / gcd(l, n))
    })?;
    let steps: Vec<usize> = strata
        .iter()
        .map(|b| lcm / (b.base.len() + b.head.len() + 1))
        .collect();
    let max: usize = strata
        .iter()
        .zip(&steps)
        .map(|(b, c)| c * b.mn() as usize)
        .sum();
    let work: usize = strata.iter().map(|b| b.mn() as usize + 1).sum::<usize>() * (max + 1);
    if work > EXACT_BUDGET {
        return None;
    }
    let mut dist = vec![1.0];
    for (null, &step) in nulls.iter().zip(&steps) {
        dist = convolve(&dist, &null.pmf(), step);
    }
    let observed: usize = strata
        .iter()
        .zip(&steps)
        .map(|(b, c)| c * b.u() as usize)
        .sum();
    let below: f64 = dist[..=observed].iter().sum();
    let above: f64 = dist[observed..].iter().sum();
    Some((2.0 * below.min(above)).min(1.0))
}

/// The distribution of `X + step·U` for independent `X ~ dist`, `U ~ pmf`.
fn convolve(dist: &[f64], pmf: &[f64], step: usize) -> Vec<f64> {
    let mut out = vec![0.0; dist.len() + step * (pmf.len() - 1)];
    for (u, &q) in pmf.iter().enumerate() {
        for (x, &p) in dist.iter().enumerate() {
            out[x + step * u] += p * q;
        }
    }
    out
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// The weighted median of within-block log differences and the interval
/// between the weighted quantiles at half the weight ∓ z·√Var.
fn weighted_change(strata: &[Stratum], var: f64, confidence: f64) -> Change {
    let mut pairs: Vec<(f64, f64)> = strata
        .iter()
        .flat_map(|b| b.pairs().map(move |d| (d, b.weight)))
        .collect();
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = pairs.iter().map(|p| p.1).sum();
    let z = Normal::standard().inverse_cdf((1.0 + confidence) / 2.0);
    let reach = z * var.sqrt();
    Change {
        pct: to_pct(weighted_median(&pairs, total)),
        ci: Some(Interval {
            lo: to_pct(weighted_quantile(&pairs, total / 2.0 - reach)),
            hi: to_pct(weighted_quantile(&pairs, total / 2.0 + reach)),
            level: confidence,
            nominal: confidence,
        }),
        guard: None,
    }
}

/// The first value whose cumulative weight reaches `target` (clamped to
/// the first and last value).
fn weighted_quantile(sorted: &[(f64, f64)], target: f64) -> f64 {
    let mut cumulative = 0.0;
    for &(value, weight) in sorted {
        cumulative += weight;
        if cumulative >= target - 1e-12 * target.abs().max(1.0) {
            return value;
        }
    }
    sorted.last().map_or(f64::NAN, |p| p.0)
}

/// The weighted median: the value where the cumulative weight reaches
/// half the total, averaged with the next one when it lands exactly on it.
fn weighted_median(sorted: &[(f64, f64)], total: f64) -> f64 {
    let half = total / 2.0;
    let mut cumulative = 0.0;
    for (i, &(value, weight)) in sorted.iter().enumerate() {
        cumulative += weight;
        if (cumulative - half).abs() <= 1e-12 * total {
            return sorted
                .get(i + 1)
                .map_or(value, |next| (value + next.0) / 2.0);
        }
        if cumulative > half {
            return value;
        }
    }
    sorted.last().map_or(f64::NAN, |p| p.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    /// By hand. Block A: base {1,2,3}, head {4,5,6}: U = 9, w = 1/7,
    /// var = 9·7/12. Block B: base {10,30}, head {20,40,50}: U = 5,
    /// w = 1/6, var = 6·6/12. S = 4.5/7 + 2/6, Var = 5.25/49 + 3/36,
    /// z = 2.2367, p = 0.0253.
    #[test]
    fn hand_computed_van_elteren() {
        let blocks: [(&[f64], &[f64]); 2] = [
            (&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]),
            (&[10.0, 30.0], &[20.0, 40.0, 50.0]),
        ];
        let c = compare_blocked(&blocks, &CompareSettings::default()).unwrap();
        let s = 4.5 / 7.0 + 2.0 / 6.0;
        let var: f64 = 5.25 / 49.0 + 3.0 / 36.0;
        assert!(close(c.z.unwrap(), s / var.sqrt(), 1e-12), "{:?}", c.z);
        assert!(close(c.z.unwrap(), 2.2367, 1e-4));
        // Exact: 42·S' = 6·U_A + 7·U_B with U_A over 20 orderings (counts
        // of 0..9: 1 1 2 3 3 3 3 2 1 1), U_B over 10 (0..6: 1 1 2 2 2 1 1).
        // Observed 6·9 + 7·5 = 89; at least as large: U_A = 9 with U_B ≥ 5
        // (1/20 · 2/10) or U_A = 8 with U_B = 6 (1/20 · 1/10) → 3/200,
        // two-sided 0.03.
        assert_eq!(c.method, BlockedMethod::VanElterenExact);
        assert!(close(c.p.unwrap(), 0.03, 1e-12), "{:?}", c.p);
    }

    /// The estimate is the weighted median of within-block ratios. Block A
    /// (w = 1/7): 4/3, 5/3, 2, 2, 2.5, 3, 4, 5, 6; block B (w = 1/6): 2/3,
    /// 4/3, 5/3, 2, 4, 5. Total weight 9/7 + 1, half 1.1429; cumulative
    /// from the bottom: 2/3 .167, 4/3 .310 .476, 5/3 .619 .786, 2 .929
    /// 1.071 1.238 — first past half at the ratio 2: +100%.
    #[test]
    fn estimate_is_the_weighted_median_of_within_block_ratios() {
        let blocks: [(&[f64], &[f64]); 2] = [
            (&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]),
            (&[10.0, 30.0], &[20.0, 40.0, 50.0]),
        ];
        let c = compare_blocked(&blocks, &CompareSettings::default()).unwrap();
        assert!(close(c.change.pct, 100.0, 1e-9), "{}", c.change.pct);
        let ci = c.change.ci.unwrap();
        assert!(ci.lo < 100.0 && ci.hi > 100.0 && ci.level == 0.95, "{ci:?}");
    }

    #[test]
    fn one_block_is_the_plain_comparison() {
        let base = [100.0, 101.0, 99.5, 100.4, 99.8, 100.9, 100.2];
        let head: Vec<f64> = base.iter().map(|b| b * 1.05).collect();
        let settings = CompareSettings::default();
        let plain = compare(&base, &head, &settings).unwrap();
        let empty: &[f64] = &[];
        let blocks: [(&[f64], &[f64]); 2] = [(&base, &head), (&[1.0], empty)];
        let c = compare_blocked(&blocks, &settings).unwrap();
        assert_eq!(c.method, BlockedMethod::MannWhitney);
        assert_eq!((c.blocks, c.dropped_blocks.clone()), (1, vec![1]));
        assert_eq!(c.p, plain.p());
        assert!(close(c.change.pct, plain.change.pct, 1e-9));
        assert_eq!(c.change.ci.unwrap().level, plain.change.ci.unwrap().level);
        assert_eq!(c.verdict, Verdict::Slower);
    }

    /// Two machines, the second 20% slower; head ran mostly on the slow
    /// one. Pooled, head looks slower; within machines it is not.
    #[test]
    fn a_machine_offset_is_not_a_change() {
        let fast_base = [100.0, 100.4, 99.7, 100.2, 99.9];
        let fast_head = [100.1, 99.8];
        let slow_base = [120.2, 119.8];
        let slow_head = [120.0, 120.3, 119.7, 120.1, 119.9];
        let settings = CompareSettings::default();
        let pooled_base: Vec<f64> = fast_base.iter().chain(&slow_base).copied().collect();
        let pooled_head: Vec<f64> = fast_head.iter().chain(&slow_head).copied().collect();
        let pooled = compare(&pooled_base, &pooled_head, &settings).unwrap();
        assert!(pooled.change.pct > 15.0, "{}", pooled.change.pct);
        let blocks: [(&[f64], &[f64]); 2] = [(&fast_base, &fast_head), (&slow_base, &slow_head)];
        let c = compare_blocked(&blocks, &settings).unwrap();
        assert!(c.change.pct.abs() < 0.3, "{}", c.change.pct);
        assert!(c.p.unwrap() > 0.5, "{:?}", c.p);
        assert_ne!(c.verdict, Verdict::Slower);
    }

    #[test]
    fn few_values_and_bad_values() {
        let blocks: [(&[f64], &[f64]); 2] = [(&[1.0], &[2.0]), (&[1.0, 1.1], &[2.0])];
        let c = compare_blocked(&blocks, &CompareSettings::default()).unwrap();
        assert_eq!(c.p, None);
        assert_eq!(c.notes, vec![Guard::NoSignificance { have: 2, need: 4 }]);
        assert_eq!(c.verdict, Verdict::Inconclusive);
        let bad: [(&[f64], &[f64]); 1] = [(&[1.0, -1.0], &[2.0])];
        assert!(compare_blocked(&bad, &CompareSettings::default()).is_err());
        let none: [(&[f64], &[f64]); 1] = [(&[1.0], &[])];
        assert!(compare_blocked(&none, &CompareSettings::default()).is_err());
    }
}
