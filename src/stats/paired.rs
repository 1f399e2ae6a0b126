//! Paired comparison of two builds run in adjacent pairs (issue 12: a CI
//! gate runs base and head one after the other, pair after pair, so drift
//! of the machine between moments is shared by both members of a pair and
//! cancels in their ratio).
//!
//! Input is one `(base, head)` value per pair (each already reduced to the
//! median of its samples); the analysis runs on the per-pair log ratios
//! `ln(head/base)`: the Wilcoxon signed-rank test, and the Hodges-Lehmann
//! estimate (median of Walsh averages) with its distribution-free interval
//! (see `signed_rank` for the methods and citations), both turned into a
//! percentage change `(exp(d) − 1)·100`. The verdict follows the same rule
//! as every other comparison (`verdict`), and a family of paired
//! comparisons is Holm-corrected by the same `adjust_family`. The signed
//! rank test assumes the log ratios are symmetric about their centre under
//! H₀, which holds when base and head are exchangeable within a pair (an
//! A/A run); `sequential` adds a stopping rule for adding pairs.

use super::effect::to_pct;
use super::guard::{PairNeed, MIN_PAIRS};
use super::multiple::Tested;
use super::sample::check_positive;
use super::signed_rank::{signed_rank, walsh_ci_rank, walsh_estimate, SignedRank};
use super::verdict::{decide, judge};
use super::{Change, CompareSettings, Decision, Guard, Interval, StatsError, Verdict, VerdictRule};
use serde::{Deserialize, Serialize};

/// Head against base over adjacent pairs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct PairedComparison {
    pub pairs: usize,
    /// Hodges-Lehmann change of the per-pair ratios, percent, with its interval.
    pub change: Change,
    /// The signed-rank test; `None` below 6 pairs.
    pub test: Option<SignedRank>,
    /// p after correction for the family; the raw p until `adjust_family` runs.
    pub p_adjusted: Option<f64>,
    pub verdict: Verdict,
    pub rule: VerdictRule,
    /// Why an interval or test is missing, if one is.
    pub notes: Vec<Guard>,
}

impl PairedComparison {
    /// The unadjusted two-sided p-value, if a test was made.
    pub(crate) fn p(&self) -> Option<f64> {
        self.test.as_ref().map(|t| t.p)
    }

    /// The verdict with its reason; `Display` gives the sentence to print.
    pub(crate) fn explain(&self) -> Decision {
        judge(self.p_adjusted, &self.change, &self.rule)
    }
}

impl Tested for PairedComparison {
    fn raw_p(&self) -> Option<f64> {
        self.p()
    }

    fn set_adjusted(&mut self, p_adjusted: f64) {
        self.p_adjusted = Some(p_adjusted);
        self.verdict = decide(self.p_adjusted, &self.change, &self.rule);
    }
}

/// Compares head against base over `pairs` of `(base, head)` values (a
/// family of one: call `adjust_family` for more). Values must be finite
/// and positive.
pub(crate) fn compare_paired(
    pairs: &[(f64, f64)],
    settings: &CompareSettings,
) -> Result<PairedComparison, StatsError> {
    settings.validate()?;
    let d = log_ratios(pairs)?;
    let change = paired_change(&d, settings.confidence)?;
    let test = (d.len() >= MIN_PAIRS)
        .then(|| signed_rank(&d))
        .transpose()?;
    let mut notes: Vec<Guard> = change.guard.iter().cloned().collect();
    if test.is_none() {
        notes.push(Guard::FewPairs {
            have: d.len(),
            need: MIN_PAIRS,
            what: PairNeed::Test,
        });
    }
    let p = test.as_ref().map(|t| t.p);
    Ok(PairedComparison {
        pairs: d.len(),
        verdict: decide(p, &change, &settings.rule),
        change,
        test,
        p_adjusted: p,
        rule: settings.rule,
        notes,
    })
}

/// `ln(head/base)` per pair; errors name the pair of a bad value.
pub(crate) fn log_ratios(pairs: &[(f64, f64)]) -> Result<Vec<f64>, StatsError> {
    if pairs.is_empty() {
        return Err(StatsError::empty("a paired comparison (no pairs)"));
    }
    let base: Vec<f64> = pairs.iter().map(|p| p.0).collect();
    let head: Vec<f64> = pairs.iter().map(|p| p.1).collect();
    check_positive(&base)?;
    check_positive(&head)?;
    Ok(pairs.iter().map(|(b, h)| (h / b).ln()).collect())
}

/// The Hodges-Lehmann change of log ratios `d` as a percentage, with the
/// interval at `confidence` or a guard saying how many pairs it needs.
pub(crate) fn paired_change(d: &[f64], confidence: f64) -> Result<Change, StatsError> {
    let (estimate, ci) = walsh_estimate(d, confidence)?;
    let guard = ci.is_none().then(|| Guard::FewPairs {
        have: d.len(),
        need: min_pairs_for_interval(confidence),
        what: PairNeed::Interval,
    });
    Ok(Change {
        pct: to_pct(estimate),
        ci: ci.map(|ci| Interval {
            lo: to_pct(ci.lo),
            hi: to_pct(ci.hi),
            ..ci
        }),
        guard,
    })
}

/// The fewest pairs for which a Walsh-average interval exists at `confidence`.
fn min_pairs_for_interval(confidence: f64) -> usize {
    (1..64)
        .find(|&n| walsh_ci_rank(n, confidence).is_some())
        .unwrap_or(64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::adjust_family;
    use crate::stats::verdict::Reason;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    /// Ten pairs whose head is 2% slower, with drift shared by each pair:
    /// every ratio is 1.02 × a small per-pair wiggle.
    fn drifting_pairs(factor: f64) -> Vec<(f64, f64)> {
        let wiggle = [
            1.0, 0.999, 1.001, 0.998, 1.002, 1.0005, 0.9995, 1.0002, 1.0015, 0.9985,
        ];
        wiggle
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let drift = 100.0 * (1.0 + 0.05 * i as f64); // the machine slows 50%
                (drift, drift * factor * w)
            })
            .collect()
    }

    #[test]
    fn drift_cancels_within_pairs() {
        let c = compare_paired(&drifting_pairs(1.02), &CompareSettings::default()).unwrap();
        let t = c.test.as_ref().unwrap();
        // All ten ratios are above 1: T⁺ = 55, exact p = 2/1024.
        assert_eq!(t.t_plus, 55.0);
        assert!(close(c.p().unwrap(), 2.0 / 1024.0, 1e-15));
        assert!(close(c.change.pct, 2.0, 0.05), "{}", c.change.pct);
        let ci = c.change.ci.unwrap();
        assert!(ci.lo > 1.7 && ci.hi < 2.3, "{ci:?}");
        // n = 10: k − 1 = 8, coverage 1 − 2·25/1024.
        assert!(close(ci.level, 1.0 - 50.0 / 1024.0, 1e-15));
        assert_eq!(c.verdict, Verdict::Slower);
        assert_eq!(
            c.explain().reason,
            Reason::Shown {
                interval_beyond: true
            }
        );
        // The same values unpaired: the drift swamps the 2%.
        let base: Vec<f64> = drifting_pairs(1.02).iter().map(|p| p.0).collect();
        let head: Vec<f64> = drifting_pairs(1.02).iter().map(|p| p.1).collect();
        let unpaired = crate::stats::compare(&base, &head, &CompareSettings::default()).unwrap();
        assert_eq!(unpaired.verdict, Verdict::NotShown);
    }

    #[test]
    fn identical_builds_are_equivalent() {
        let c = compare_paired(&drifting_pairs(1.0), &CompareSettings::default()).unwrap();
        assert!(c.change.pct.abs() < 0.1);
        assert_eq!(c.verdict, Verdict::Equivalent);
    }

    #[test]
    fn few_pairs_get_guards_not_numbers() {
        let c = compare_paired(&drifting_pairs(1.1)[..5], &CompareSettings::default()).unwrap();
        assert_eq!(c.test, None);
        assert_eq!(c.change.ci, None);
        let notes: Vec<String> = c.notes.iter().map(Guard::to_string).collect();
        assert_eq!(
            notes,
            vec![
                "needs ≥ 6 pairs for an interval, have 5",
                "needs ≥ 6 pairs for a significance test, have 5"
            ]
        );
        assert_eq!(c.verdict, Verdict::NotShown);
    }

    #[test]
    fn a_family_of_paired_comparisons_is_holm_corrected() {
        // Six pairs all slower: exact p = 2/64 = 0.03125, alone "slower";
        // in a family of two, Holm doubles it to 0.0625.
        let one = compare_paired(&drifting_pairs(1.05)[..6], &CompareSettings::default()).unwrap();
        assert!(close(one.p().unwrap(), 0.03125, 1e-15));
        assert_eq!(one.verdict, Verdict::Slower);
        let mut family = vec![one.clone(), one];
        adjust_family(&mut family);
        assert!(close(family[0].p_adjusted.unwrap(), 0.0625, 1e-15));
        assert!(family.iter().all(|c| c.verdict == Verdict::NotShown));
    }

    #[test]
    fn bad_values_are_errors() {
        let s = CompareSettings::default();
        assert!(compare_paired(&[], &s).is_err());
        let err = compare_paired(&[(1.0, 1.0), (1.0, 0.0)], &s).unwrap_err();
        assert!(
            matches!(err, StatsError::NonPositive { index: 1, .. }),
            "{err:?}"
        );
        assert!(compare_paired(&[(f64::NAN, 1.0)], &s).is_err());
    }
}
