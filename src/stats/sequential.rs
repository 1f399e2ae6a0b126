//! A group-sequential stopping rule for paired comparisons: "add pairs
//! until the verdict is clear or the budget ends", looking at the data
//! after each batch without inflating the false-alarm rate.
//!
//! Testing at α after every batch would call an A/A run "changed" far more
//! often than α (Armitage, McPherson & Rowe 1969, "Repeated significance
//! tests on accumulating data", JRSS A 132; the simulation shows ≈ 3× at 8
//! looks). Instead the plan fixes the looks (pairs at each, the last being
//! the budget) and spends α over them with a Lan-DeMets spending function
//! (Lan & DeMets 1983, "Discrete sequential boundaries for clinical
//! trials", Biometrika 70): O'Brien-Fleming-type, each side spending
//! α/2 as `2 − 2Φ(z₁₋α/₄/√t)` (O'Brien & Fleming 1979, Biometrics 35:
//! almost nothing early, nearly α at the end) or Pocock-type `α(t) = α·ln(1 + (e−1)t)` (Pocock 1977,
//! Biometrika 64: even), with `t` the share of the budget's pairs seen.
//! Each look's critical `|z|` is found by recursive numerical integration
//! of the score process, which has independent normal increments
//! (Armitage et al. 1969; Jennison & Turnbull, "Group Sequential Methods
//! with Applications to Clinical Trials", 2000, ch. 19), using Simpson's
//! rule on a grid and bisection on the boundary.
//!
//! At each look the signed-rank statistic of the per-pair log ratios is
//! standardised (`z`, normal approximation; asymptotically the sequence
//! has the canonical joint distribution the boundaries assume, Sen,
//! "Sequential Nonparametrics", 1981) and compared with the look's
//! critical value; the change's interval is the Hodges-Lehmann interval at
//! the look's level `2Φ(c) − 1`, a repeated confidence interval (Jennison &
//! Turnbull 1989, "Interim analyses: the repeated confidence interval
//! approach", JRSS B 51): all of them cover the true change together with
//! probability ≥ 1 − α, so stopping because it fits inside the band is as
//! safe as stopping because the test crossed. The verdict uses the same
//! rule as every comparison (`verdict`); the run stops at the first look
//! whose verdict is faster, slower or equivalent, or at the budget.

use super::paired::{log_ratios, paired_change};
use super::signed_rank::z_score;
use super::verdict::decide_parts;
use super::{Change, StatsError, Verdict, VerdictRule};
use serde::{Deserialize, Serialize};
use statrs::distribution::{Continuous, ContinuousCDF, Normal};

/// How α is spent over the looks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Spending {
    /// Lan-DeMets O'Brien-Fleming type: conservative early, nearly α at the end.
    #[default]
    OBrienFleming,
    /// Lan-DeMets Pocock type: about even across looks.
    Pocock,
}

impl Spending {
    /// The spending functions a config may name, by name.
    pub(crate) const NAMED: [(&'static str, Spending); 2] = [
        ("obrien-fleming", Spending::OBrienFleming),
        ("pocock", Spending::Pocock),
    ];

    /// The default (O'Brien-Fleming type), left out of results files.
    pub(crate) fn is_default(&self) -> bool {
        *self == Spending::default()
    }

    /// Cumulative α spent by information fraction `t` in (0, 1].
    pub(crate) fn spent(self, alpha: f64, t: f64) -> f64 {
        let std = Normal::standard();
        match self {
            // Each side spends α/2 by the one-sided function 2 − 2Φ(z/√t).
            Spending::OBrienFleming => 4.0 * std.sf(std.inverse_cdf(1.0 - alpha / 4.0) / t.sqrt()),
            Spending::Pocock => alpha * (1.0 + (std::f64::consts::E - 1.0) * t).ln(),
        }
    }
}

/// The looks of a sequential paired run and their critical values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct SequentialPlan {
    /// Pairs seen at each look, increasing; the last is the budget.
    pub looks: Vec<usize>,
    pub alpha: f64,
    pub spending: Spending,
    /// Two-sided critical `|z|` at each look.
    pub critical_z: Vec<f64>,
}

/// What one look found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct SequentialLook {
    /// 0-based index of the look.
    pub look: usize,
    pub pairs: usize,
    /// Standardised signed-rank statistic of the log ratios.
    pub z: f64,
    pub critical_z: f64,
    /// The change with its repeated confidence interval (level `2Φ(c) − 1`).
    pub change: Change,
    pub verdict: Verdict,
    /// True when the run stops here: a clear verdict, or the budget.
    pub stop: bool,
}

/// Fewest pairs at the first look: the normal approximation and the
/// interval need some.
pub(super) const MIN_FIRST_LOOK: usize = 6;

impl SequentialPlan {
    /// Plans `looks` (pairs at each, strictly increasing, the first ≥ 6)
    /// spending `alpha` two-sided.
    pub(crate) fn new(looks: &[usize], alpha: f64, spending: Spending) -> Result<Self, StatsError> {
        StatsError::check_unit_open("alpha", alpha)?;
        check_looks(looks)?;
        let budget = *looks.last().expect("checked non-empty") as f64;
        let times: Vec<f64> = looks.iter().map(|&n| n as f64 / budget).collect();
        let spend: Vec<f64> = times.iter().map(|&t| spending.spent(alpha, t)).collect();
        Ok(SequentialPlan {
            looks: looks.to_vec(),
            alpha,
            spending,
            critical_z: boundaries(&times, &spend),
        })
    }

    /// The two-sided level at which look `look` tests: `2(1 − Φ(c))`.
    pub(crate) fn nominal_alpha(&self, look: usize) -> f64 {
        2.0 * Normal::standard().sf(self.critical_z[look])
    }

    /// Analyses the first `looks[look]` pairs, `(base, head)` each.
    pub(crate) fn look(
        &self,
        look: usize,
        pairs: &[(f64, f64)],
        rule: &VerdictRule,
    ) -> Result<SequentialLook, StatsError> {
        let want = *self
            .looks
            .get(look)
            .ok_or_else(|| StatsError::InvalidSetting {
                name: "look".into(),
                value: look as f64,
                expected: format!("a look index below {}", self.looks.len()),
            })?;
        if pairs.len() != want {
            return Err(StatsError::InvalidSetting {
                name: "pairs".into(),
                value: pairs.len() as f64,
                expected: format!("the {want} pairs planned for look {}", look + 1),
            });
        }
        let d = log_ratios(pairs)?;
        let z = z_score(&d)?;
        let critical_z = self.critical_z[look];
        let change = paired_change(&d, 1.0 - self.nominal_alpha(look))?;
        let (verdict, _) = decide_parts(Some(z.abs() >= critical_z), &change, rule);
        let last = look + 1 == self.looks.len();
        Ok(SequentialLook {
            look,
            pairs: want,
            z,
            critical_z,
            stop: last || verdict != Verdict::NotShown,
            change,
            verdict,
        })
    }
}

fn check_looks(looks: &[usize]) -> Result<(), StatsError> {
    let increasing = looks.windows(2).all(|w| w[0] < w[1]);
    match looks.first() {
        Some(&first) if first >= MIN_FIRST_LOOK && increasing => Ok(()),
        _ => Err(StatsError::InvalidSetting {
            name: "looks".into(),
            value: looks.first().map_or(0.0, |&n| n as f64),
            expected: format!("pair counts that strictly increase and start at ≥ {MIN_FIRST_LOOK}"),
        }),
    }
}

/// Points of the Simpson grid across one continuation region.
const GRID: usize = 401;

/// The continuation region's sub-density of the score `S = Z·√t` on a grid.
struct SubDensity {
    s: Vec<f64>,
    f: Vec<f64>,
    step: f64,
}

impl SubDensity {
    /// Simpson's rule over the grid of `g(s)·f(s)`.
    fn integrate(&self, g: impl Fn(f64) -> f64) -> f64 {
        let n = self.s.len();
        let sum: f64 = (0..n)
            .map(|i| {
                let w = if i == 0 || i == n - 1 {
                    1.0
                } else if i % 2 == 1 {
                    4.0
                } else {
                    2.0
                };
                w * self.f[i] * g(self.s[i])
            })
            .sum();
        sum * self.step / 3.0
    }
}

/// Critical `|z|` per look for information times `times` and cumulative
/// spending `spend` (symmetric two-sided boundaries).
pub(crate) fn boundaries(times: &[f64], spend: &[f64]) -> Vec<f64> {
    let std = Normal::standard();
    let first = std.inverse_cdf(1.0 - spend[0] / 2.0);
    let mut critical = vec![first];
    let mut density = grid_density(first * times[0].sqrt(), |s| {
        std.pdf(s / times[0].sqrt()) / times[0].sqrt()
    });
    for k in 1..times.len() {
        let sd = (times[k] - times[k - 1]).sqrt();
        let target = (spend[k] - spend[k - 1]).max(0.0);
        // P(continue so far and |S_k| ≥ b) = 2∫ f(u) Φ̄((b − u)/sd) du.
        let crossing = |b: f64| 2.0 * density.integrate(|u| std.sf((b - u) / sd));
        let b = bisect(crossing, target);
        critical.push(b / times[k].sqrt());
        density = grid_density(b, |s| density.integrate(|u| std.pdf((s - u) / sd) / sd));
    }
    critical
}

/// Tabulates `f` on the Simpson grid over `[−b, b]`.
fn grid_density(b: f64, f: impl Fn(f64) -> f64) -> SubDensity {
    let step = 2.0 * b / (GRID - 1) as f64;
    let s: Vec<f64> = (0..GRID).map(|i| -b + step * i as f64).collect();
    let f = s.iter().map(|&x| f(x)).collect();
    SubDensity { s, f, step }
}

/// The `b` where the decreasing `crossing(b)` equals `target`.
fn bisect(crossing: impl Fn(f64) -> f64, target: f64) -> f64 {
    let (mut lo, mut hi) = (0.0, 40.0);
    for _ in 0..100 {
        let mid = (lo + hi) / 2.0;
        if crossing(mid) > target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (lo + hi) / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn equal_looks(k: usize) -> Vec<usize> {
        (1..=k).map(|i| 10 * i).collect()
    }

    /// Lan-DeMets O'Brien-Fleming-type boundaries for 5 equally spaced
    /// looks at two-sided α = 0.05, as published (e.g. Jennison & Turnbull
    /// 2000, §7.2; R `ldbounds`/`gsDesign`): 4.877, 3.357, 2.680, 2.290, 2.031.
    #[test]
    fn obrien_fleming_type_boundaries_match_published_values() {
        let plan = SequentialPlan::new(&equal_looks(5), 0.05, Spending::OBrienFleming).unwrap();
        let published = [4.877, 3.357, 2.680, 2.290, 2.031];
        for (c, p) in plan.critical_z.iter().zip(published) {
            assert!((c - p).abs() < 2e-3, "{:?}", plan.critical_z);
        }
    }

    /// Pocock-type spending at 5 equal looks: published 2.438, 2.427,
    /// 2.410, 2.397, 2.386 (same sources). One look is the plain test.
    #[test]
    fn pocock_type_boundaries_match_published_values_and_one_look_is_plain() {
        let plan = SequentialPlan::new(&equal_looks(5), 0.05, Spending::Pocock).unwrap();
        let published = [2.438, 2.427, 2.410, 2.397, 2.386];
        for (c, p) in plan.critical_z.iter().zip(published) {
            assert!((c - p).abs() < 2e-3, "{:?}", plan.critical_z);
        }
        let one = SequentialPlan::new(&[40], 0.05, Spending::Pocock).unwrap();
        assert!((one.critical_z[0] - 1.959964).abs() < 1e-5);
        assert!((one.nominal_alpha(0) - 0.05).abs() < 1e-9);
    }

    #[test]
    fn bad_looks_and_pair_counts_are_errors() {
        assert!(SequentialPlan::new(&[], 0.05, Spending::Pocock).is_err());
        assert!(SequentialPlan::new(&[5, 10], 0.05, Spending::Pocock).is_err());
        assert!(SequentialPlan::new(&[10, 10], 0.05, Spending::Pocock).is_err());
        assert!(SequentialPlan::new(&[10, 20], 1.0, Spending::Pocock).is_err());
        let plan = SequentialPlan::new(&[10, 20], 0.05, Spending::Pocock).unwrap();
        let pairs = vec![(1.0, 1.0); 12];
        assert!(plan.look(0, &pairs, &VerdictRule::default()).is_err());
        assert!(plan.look(2, &pairs[..10], &VerdictRule::default()).is_err());
    }

    #[test]
    fn a_clear_change_stops_early_and_an_unclear_one_runs_to_the_budget() {
        let plan = SequentialPlan::new(&equal_looks(4), 0.05, Spending::OBrienFleming).unwrap();
        let rule = VerdictRule::default();
        // Every pair 5% slower, with a small distinct wiggle.
        let pairs: Vec<(f64, f64)> = (0..40)
            .map(|i| (100.0, 105.0 * (1.0 + 0.0001 * i as f64)))
            .collect();
        let first = plan.look(0, &pairs[..10], &rule).unwrap();
        // All 10 positive: z = (55 − 27.5 − ½)/√96.25 = 2.75 < 4.33 (look 1 of 4).
        assert!(
            (first.z - 27.0 / 96.25f64.sqrt()).abs() < 1e-12,
            "{}",
            first.z
        );
        assert!(!first.stop && first.verdict == Verdict::NotShown);
        let second = plan.look(1, &pairs[..20], &rule).unwrap();
        assert!(second.z > second.critical_z, "{second:?}");
        assert_eq!((second.verdict, second.stop), (Verdict::Slower, true));
        let ci = second.change.ci.unwrap();
        assert!(ci.level > 0.99, "a repeated interval is wider: {ci:?}");
        // No change but ±10% noise per pair: nothing is clear at any look.
        let noisy: Vec<(f64, f64)> = (0..40)
            .map(|i| (100.0, 100.0 * (0.1 * (2.3 * i as f64).sin()).exp()))
            .collect();
        let looks: Vec<SequentialLook> = (0..4)
            .map(|k| plan.look(k, &noisy[..plan.looks[k]], &rule).unwrap())
            .collect();
        assert!(looks[..3].iter().all(|l| !l.stop), "{looks:?}");
        assert_eq!((looks[3].verdict, looks[3].stop), (Verdict::NotShown, true));
    }
}
