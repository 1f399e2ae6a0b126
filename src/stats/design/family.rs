//! Families shaped to the questions a report asks, each with intervals
//! adjusted to the family and verdicts read off them with one rule.
//!
//! - **Many-to-one** — every point against the baseline: Dunnett's
//!   single-step procedure (Dunnett 1955), the two-sided critical value of
//!   the family's maximum statistic (`dunnett`). A point's interval
//!   excludes 0 exactly when its adjusted p is below α.
//! - **Best** — which points could be the best: Hsu's constrained
//!   multiple comparisons with the best (Hsu 1984, "Constrained
//!   simultaneous confidence intervals for multiple comparisons with the
//!   best", Ann. Statist. 12; Hsu 1996, "Multiple Comparisons", §4.1.1,
//!   with the unequal-variance form). For each point `i`,
//!   `θ_i = μ_i − min_{j≠i} μ_j` (log time; ≤ 0 exactly when `i` is a
//!   best), with `d_i` the one-sided Dunnett value with `i` as control,
//!   `[min(0, max_j(ŷ_i − ŷ_j − d_i·se_ij)), max(0, max_j(ŷ_i − ŷ_j + d_j·se_ij))]`
//!   covers every `θ_i` together with probability ≥ 1 − α. A point whose
//!   lower bound is positive is shown not to be the best ("slower" than
//!   the best of the others); one whose upper bound is negative is shown
//!   the best. The bounds are clamped at 0 — that is the price of
//!   needing only k − 1 one-sided comparisons — so the interval beside a
//!   "slower" verdict starts at 0 rather than crossing it.
//! - **Declared** — one test per lesson the config declares: Bonferroni
//!   across them, each interval at level 1 − α/m.
//!
//! The verdict is the engine's rule (`verdict::decide_parts`) applied to
//! the family's interval: *equivalent* when it lies within the noise
//! band; *faster*/*slower* when it excludes 0 (the adjusted p < α) and
//! the estimate is beyond the band; otherwise not shown. So "equivalent"
//! never sits beside an interval leaving the band, and "faster"/"slower"
//! never beside one crossing 0.

use super::super::effect::to_pct;
use super::super::verdict::{decide_parts, Reason};
use super::super::{Better, Change, Decision, Interval, StatsError, Verdict, VerdictRule};
use super::dunnett::{Factors, Sides};
use super::model::{analyse, Contrast, Fitted, Method, CHOSEN};
use super::table::BlockTable;
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

/// The question a family of comparisons answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) enum Family {
    /// Every point against `baseline` (Dunnett).
    ManyToOne { baseline: usize },
    /// Which points could be the best (Hsu's constrained MCB).
    Best,
    /// Declared comparisons `(head, base)`, Bonferroni across them.
    Declared(Vec<(usize, usize)>),
}

/// One comparison of a family: `head` against `base`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct DesignComparison {
    pub head: usize,
    /// The baseline, the declared base, or (family `Best`) the best of the
    /// other points.
    pub base: usize,
    /// Head against base in percent, with the interval adjusted to the
    /// family (simultaneous at 1 − α; for `Best` the constrained MCB
    /// interval of head against the best of the others).
    pub change: Change,
    /// The p-value adjusted to the family.
    pub p_adjusted: f64,
    pub verdict: Verdict,
    pub reason: Reason,
    /// Standard error of the log change, and its degrees of freedom.
    pub se: f64,
    pub df: f64,
}

impl DesignComparison {
    /// The verdict with its reason; `Display` gives the sentence.
    pub(crate) fn explain(&self, rule: &VerdictRule) -> Decision {
        Decision {
            verdict: self.verdict,
            reason: self.reason,
            pct: self.change.pct,
            ci: self.change.ci,
            p: Some(self.p_adjusted),
            rule: *rule,
        }
    }
}

/// A family analysed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct FamilyAnalysis {
    pub family: Family,
    pub comparisons: Vec<DesignComparison>,
    pub rule: VerdictRule,
    /// The family's size (comparisons made).
    pub size: usize,
}

/// A fitted block design, ready to answer families.
#[derive(Clone, Debug)]
pub(crate) struct Design {
    fitted: Fitted,
}

impl Design {
    /// Fits `table` with the chosen analysis (`model::CHOSEN`).
    pub(crate) fn fit(table: &BlockTable) -> Result<Design, StatsError> {
        Design::with_method(table, CHOSEN)
    }

    pub(crate) fn with_method(table: &BlockTable, method: Method) -> Result<Design, StatsError> {
        Ok(Design {
            fitted: analyse(table, method)?,
        })
    }

    /// The pooled per-process spread on the log scale (≈ the CV): what the
    /// next run's smallest detectable change is computed from.
    pub(crate) fn spread(&self) -> f64 {
        self.fitted.pooled_sd()
    }

    pub(crate) fn contrast(&self, i: usize, j: usize) -> Option<Contrast> {
        self.fitted.contrast(i, j)
    }

    pub(crate) fn fitted(&self) -> &Fitted {
        &self.fitted
    }

    /// Answers `family` under `rule` (its α is the family-wise level).
    pub(crate) fn family(
        &self,
        family: &Family,
        rule: &VerdictRule,
    ) -> Result<FamilyAnalysis, StatsError> {
        rule.validate()?;
        let points = self.fitted.counts.len();
        let check = |i: usize| -> Result<(), StatsError> {
            if i < points && self.fitted.has(i) {
                Ok(())
            } else {
                Err(StatsError::InvalidSetting {
                    name: "point".into(),
                    value: i as f64,
                    expected: format!("a point with values, below {points}"),
                })
            }
        };
        let comparisons = match family {
            Family::ManyToOne { baseline } => {
                check(*baseline)?;
                self.many_to_one(*baseline, rule)
            }
            Family::Best => self.best(rule),
            Family::Declared(pairs) => {
                for &(h, b) in pairs {
                    check(h)?;
                    check(b)?;
                }
                self.declared(pairs, rule)
            }
        };
        Ok(FamilyAnalysis {
            family: family.clone(),
            size: comparisons.len(),
            comparisons,
            rule: *rule,
        })
    }

    fn many_to_one(&self, base: usize, rule: &VerdictRule) -> Vec<DesignComparison> {
        let heads: Vec<(usize, Contrast)> = (0..self.fitted.counts.len())
            .filter(|&i| i != base)
            .filter_map(|i| self.contrast(i, base).map(|c| (i, c)))
            .collect();
        let own = self.fitted.point_var(base);
        let factors = Factors::new(
            &heads
                .iter()
                .map(|(_, c)| (own / (c.se * c.se)).sqrt())
                .collect::<Vec<_>>(),
        );
        let cz = factors.critical(rule.alpha, Sides::Two);
        heads
            .iter()
            .map(|&(head, c)| {
                let half = t_of_z(cz, c.df) * c.se;
                let p = factors.adjusted_p(z_of_t(c.estimate / c.se, c.df), Sides::Two);
                judged(
                    head,
                    base,
                    c,
                    (c.estimate - half, c.estimate + half),
                    p,
                    rule,
                )
            })
            .collect()
    }

    fn declared(&self, pairs: &[(usize, usize)], rule: &VerdictRule) -> Vec<DesignComparison> {
        let m = pairs.len() as f64;
        let cz = Normal::standard().inverse_cdf(1.0 - rule.alpha / (2.0 * m));
        pairs
            .iter()
            .filter_map(|&(head, base)| {
                let c = self.contrast(head, base)?;
                let half = t_of_z(cz, c.df) * c.se;
                let z = z_of_t(c.estimate / c.se, c.df);
                let p = (m * 2.0 * Normal::standard().sf(z.abs())).min(1.0);
                Some(judged(
                    head,
                    base,
                    c,
                    (c.estimate - half, c.estimate + half),
                    p,
                    rule,
                ))
            })
            .collect()
    }

    fn best(&self, rule: &VerdictRule) -> Vec<DesignComparison> {
        let sign = match rule.better {
            Better::Lower => 1.0,
            Better::Higher => -1.0,
        };
        let live: Vec<usize> = (0..self.fitted.counts.len())
            .filter(|&i| self.fitted.has(i))
            .collect();
        // Badness of i against j: sign · (α_i − α_j), larger is worse.
        let pair = |i: usize, j: usize| {
            let c = self.contrast(i, j).expect("both points have values");
            (sign * c.estimate, c)
        };
        let factors: Vec<Factors> = live
            .iter()
            .map(|&i| {
                let own = self.fitted.point_var(i);
                Factors::new(
                    &live
                        .iter()
                        .filter(|&&j| j != i)
                        .map(|&j| {
                            let se = self.contrast(i, j).expect("both points have values").se;
                            (own / (se * se)).sqrt()
                        })
                        .collect::<Vec<_>>(),
                )
            })
            .collect();
        let d: Vec<f64> = factors
            .iter()
            .map(|f| f.critical(rule.alpha, Sides::One))
            .collect();
        let observed_best = live
            .iter()
            .enumerate()
            .min_by(|a, b| {
                let (x, y) = (
                    sign * self.fitted.fit.point[*a.1],
                    sign * self.fitted.fit.point[*b.1],
                );
                x.total_cmp(&y)
            })
            .map(|(k, _)| k);
        live.iter()
            .enumerate()
            .map(|(k, &i)| {
                let others = live.iter().enumerate().filter(|&(l, _)| l != k);
                let (mut theta, mut closest) = (f64::NEG_INFINITY, i);
                let (mut lower, mut upper, mut z_max) =
                    (f64::NEG_INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY);
                for (l, &j) in others.clone() {
                    let (diff, c) = pair(i, j);
                    if diff > theta {
                        (theta, closest) = (diff, j);
                    }
                    lower = lower.max(diff - t_of_z(d[k], c.df) * c.se);
                    upper = upper.max(diff + t_of_z(d[l], c.df) * c.se);
                    z_max = z_max.max(z_of_t(diff / c.se, c.df));
                }
                let p = if Some(k) == observed_best {
                    // Shown the best: every other j shown worse with j as control.
                    others
                        .map(|(l, &j)| {
                            let (diff, c) = pair(j, i);
                            factors[l].adjusted_p(z_of_t(diff / c.se, c.df), Sides::One)
                        })
                        .fold(0.0, f64::max)
                } else {
                    factors[k].adjusted_p(z_max, Sides::One)
                };
                let c = self.contrast(i, closest).expect("both points have values");
                let bounds = (sign * lower.min(0.0), sign * upper.max(0.0));
                let bounds = (bounds.0.min(bounds.1), bounds.0.max(bounds.1));
                let estimate = Contrast {
                    estimate: sign * theta,
                    ..c
                };
                judged(i, closest, estimate, bounds, p, rule)
            })
            .collect()
    }
}

/// A comparison with its family interval `(lo, hi)` (log scale) judged
/// by the engine's rule; significant when the interval excludes 0 (or,
/// for a constrained interval clamped at 0, lies on one side of it with
/// the family's p below α).
fn judged(
    head: usize,
    base: usize,
    c: Contrast,
    (lo, hi): (f64, f64),
    p: f64,
    rule: &VerdictRule,
) -> DesignComparison {
    let level = 1.0 - rule.alpha;
    let change = Change {
        pct: to_pct(c.estimate),
        ci: Some(Interval {
            lo: to_pct(lo),
            hi: to_pct(hi),
            level,
            nominal: level,
        }),
        guard: None,
    };
    let significant = (lo > 0.0 || hi < 0.0) || ((lo >= 0.0 || hi <= 0.0) && p < rule.alpha);
    let (verdict, reason) = decide_parts(Some(significant), &change, rule);
    DesignComparison {
        head,
        base,
        change,
        p_adjusted: p,
        verdict,
        reason,
        se: c.se,
        df: c.df,
    }
}

/// The normal score of a t statistic on `df` degrees of freedom.
pub(crate) fn z_of_t(t: f64, df: f64) -> f64 {
    if !df.is_finite() || df > 1e6 {
        return t;
    }
    let tail = StudentsT::new(0.0, 1.0, df)
        .expect("positive degrees of freedom")
        .sf(t.abs());
    -Normal::standard().inverse_cdf(tail.max(1e-300)) * t.signum()
}

/// The t quantile on `df` degrees of freedom with the normal tail of `z`.
pub(crate) fn t_of_z(z: f64, df: f64) -> f64 {
    if !df.is_finite() || df > 1e6 {
        return z;
    }
    let tail = Normal::standard().sf(z.abs());
    -StudentsT::new(0.0, 1.0, df)
        .expect("positive degrees of freedom")
        .inverse_cdf(tail)
        * z.signum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Eight points × seven rounds, per-process noise ≈ 1% by a fixed
    /// pattern, point 0 the baseline; points 1 and 2 are +5% and −8%,
    /// point 3 is +0.2%, the rest equal.
    fn table() -> BlockTable {
        let shifts = [1.0, 1.05, 0.92, 1.002, 1.0, 1.0, 1.0, 1.0];
        let drift = [1.0, 1.03, 0.98, 1.01, 0.97, 1.02, 1.0];
        let rows: Vec<Vec<f64>> = shifts
            .iter()
            .enumerate()
            .map(|(i, s)| {
                (0..7)
                    .map(|r| {
                        let wiggle = 0.008 * (((i * 7 + r) as f64) * 1.7).sin();
                        1000.0 * s * drift[r] * wiggle.exp()
                    })
                    .collect()
            })
            .collect();
        BlockTable::complete(&rows).unwrap()
    }

    #[test]
    fn many_to_one_calls_the_changes_and_agrees_with_its_intervals() {
        let design = Design::fit(&table()).unwrap();
        let rule = VerdictRule::default();
        let f = design
            .family(&Family::ManyToOne { baseline: 0 }, &rule)
            .unwrap();
        assert_eq!(f.size, 7);
        let v: Vec<Verdict> = f.comparisons.iter().map(|c| c.verdict).collect();
        assert_eq!(v[0], Verdict::Slower, "{:?}", f.comparisons[0]);
        assert_eq!(v[1], Verdict::Faster, "{:?}", f.comparisons[1]);
        assert!((f.comparisons[0].change.pct - 5.0).abs() < 1.0);
        for c in &f.comparisons {
            let ci = c.change.ci.unwrap();
            let excludes = ci.lo > 0.0 || ci.hi < 0.0;
            assert_eq!(excludes, c.p_adjusted < 0.05, "{c:?}");
            if c.verdict == Verdict::Equivalent {
                assert!(ci.within(1.0));
            }
        }
    }

    #[test]
    fn best_family_crowns_the_fast_point_and_excludes_the_slow_one() {
        let design = Design::fit(&table()).unwrap();
        let f = design
            .family(&Family::Best, &VerdictRule::default())
            .unwrap();
        let fast = &f.comparisons[2];
        assert_eq!(fast.verdict, Verdict::Faster, "{fast:?}");
        assert!(fast.change.ci.unwrap().hi <= 0.0);
        let slow = &f.comparisons[1];
        assert_eq!((slow.verdict, slow.base), (Verdict::Slower, 2), "{slow:?}");
        assert_eq!(slow.change.ci.unwrap().lo, 0.0);
        // Each point is ≥ 8% slower than point 2, the best of the others.
        for c in f.comparisons.iter().filter(|c| c.head != 2) {
            assert_eq!(c.base, 2);
            assert!(c.change.pct > 7.0 && c.p_adjusted < 0.05, "{c:?}");
        }
    }

    #[test]
    fn declared_tests_use_bonferroni() {
        let design = Design::fit(&table()).unwrap();
        let rule = VerdictRule::default();
        let one = design
            .family(&Family::Declared(vec![(3, 0)]), &rule)
            .unwrap();
        let two = design
            .family(&Family::Declared(vec![(3, 0), (1, 0)]), &rule)
            .unwrap();
        let (a, b) = (&one.comparisons[0], &two.comparisons[0]);
        assert!((b.p_adjusted - (2.0 * a.p_adjusted).min(1.0)).abs() < 1e-12);
        let (wa, wb) = (a.change.ci.unwrap(), b.change.ci.unwrap());
        assert!(wb.hi - wb.lo > wa.hi - wa.lo);
        assert!(design
            .family(&Family::Declared(vec![(9, 0)]), &rule)
            .is_err());
    }

    #[test]
    fn normal_scores_of_t() {
        assert!((z_of_t(2.0, f64::INFINITY) - 2.0).abs() < 1e-15);
        // t = 2.447 on 6 df is the 97.5% point: z = 1.96.
        assert!((z_of_t(2.446_911_851, 6.0) - 1.959_964).abs() < 1e-5);
        assert!((t_of_z(1.959_964, 6.0) - 2.446_912).abs() < 1e-5);
        assert!((t_of_z(z_of_t(-3.0, 10.0), 10.0) + 3.0).abs() < 1e-9);
    }
}
