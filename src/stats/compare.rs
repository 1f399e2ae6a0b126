//! Comparison of one point × metric between two runs (or two points):
//! summaries of both sides, the Hodges-Lehmann change with its interval, a
//! Mann-Whitney test, and a verdict. Holm's correction across a report is
//! `multiple::adjust_family`.
//!
//! Inputs are per-process values (each process already reduced to the median
//! of its samples, see `sample::per_process_medians`): the process is the unit
//! of replication. Guards: no interval below 6 processes per side, no test
//! below 4 (see `guard`).

use super::effect::hodges_lehmann_change;
use super::guard::MIN_FOR_TEST;
use super::mann_whitney::mann_whitney;
use super::multiple::Tested;
use super::summary::DEFAULT_CONFIDENCE;
use super::verdict::{decide, judge};
use super::{Change, Decision, Guard, MannWhitney, StatsError, Summary, Verdict, VerdictRule};
use serde::{Deserialize, Serialize};

/// How comparisons are computed and judged.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompareSettings {
    /// Confidence of the intervals (medians and change), e.g. 0.95.
    pub confidence: f64,
    pub rule: VerdictRule,
}

impl Default for CompareSettings {
    fn default() -> Self {
        CompareSettings {
            confidence: DEFAULT_CONFIDENCE,
            rule: VerdictRule::default(),
        }
    }
}

impl CompareSettings {
    pub fn validate(&self) -> Result<(), StatsError> {
        StatsError::check_unit_open("confidence", self.confidence)?;
        self.rule.validate()
    }
}

/// One point × metric compared: head against base.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub base: Summary,
    pub head: Summary,
    /// Head relative to base in percent, with its interval.
    pub change: Change,
    /// The Mann-Whitney test; `None` below 4 processes per side.
    pub test: Option<MannWhitney>,
    /// p after correction for the family; equals the raw p until
    /// [`super::adjust_family`] runs.
    pub p_adjusted: Option<f64>,
    pub verdict: Verdict,
    /// The rule the verdict was judged by.
    pub rule: VerdictRule,
    /// Why an interval or test is missing, if one is.
    pub notes: Vec<Guard>,
}

impl Comparison {
    /// The unadjusted two-sided p-value, if a test was made.
    pub fn p(&self) -> Option<f64> {
        self.test.as_ref().map(|t| t.p)
    }

    /// The verdict with the reason for it; its `Display` is the sentence
    /// every renderer prints.
    pub fn explain(&self) -> Decision {
        judge(self.p_adjusted, &self.change, &self.rule)
    }
}

/// Compares per-process values of `head` against `base` (a family of one:
/// call [`super::adjust_family`] when a report holds more comparisons).
pub(crate) fn compare(
    base: &[f64],
    head: &[f64],
    settings: &CompareSettings,
) -> Result<Comparison, StatsError> {
    settings.validate()?;
    let change = hodges_lehmann_change(base, head, settings.confidence)?;
    let have = base.len().min(head.len());
    let test = if have >= MIN_FOR_TEST {
        Some(mann_whitney(base, head)?)
    } else {
        None
    };
    let mut notes: Vec<Guard> = change.guard.iter().cloned().collect();
    if test.is_none() {
        notes.push(Guard::NoSignificance {
            have,
            need: MIN_FOR_TEST,
        });
    }
    let p = test.as_ref().map(|t| t.p);
    Ok(Comparison {
        base: Summary::with_confidence(base, settings.confidence)?,
        head: Summary::with_confidence(head, settings.confidence)?,
        verdict: decide(p, &change, &settings.rule),
        change,
        test,
        p_adjusted: p,
        rule: settings.rule,
        notes,
    })
}

impl Tested for Comparison {
    fn raw_p(&self) -> Option<f64> {
        self.p()
    }

    fn set_adjusted(&mut self, p_adjusted: f64) {
        self.p_adjusted = Some(p_adjusted);
        self.verdict = decide(self.p_adjusted, &self.change, &self.rule);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::adjust_family;

    const BASE: [f64; 10] = [
        100.0, 101.0, 99.5, 100.4, 99.8, 100.9, 100.2, 99.1, 100.6, 99.9,
    ];

    fn scaled(f: f64) -> Vec<f64> {
        BASE.iter().map(|b| b * f).collect()
    }

    #[test]
    fn clear_slowdown_is_slower() {
        // Head is 5% slower and fully separated: U = 100 of 100, exact p = 2/C(20,10).
        let c = compare(&BASE, &scaled(1.05), &CompareSettings::default()).unwrap();
        assert_eq!(c.test.as_ref().unwrap().u, 100.0);
        assert!((c.p().unwrap() - 2.0 / 184_756.0).abs() < 1e-15);
        assert!((c.change.pct - 5.0).abs() < 1e-9);
        assert_eq!(c.verdict, Verdict::Slower);
        assert!(c.notes.is_empty());
    }

    #[test]
    fn identical_tight_runs_are_equivalent() {
        let c = compare(&BASE, &BASE, &CompareSettings::default()).unwrap();
        assert_eq!(c.change.pct, 0.0);
        assert!(c.change.ci.unwrap().within(1.0));
        assert_eq!(c.verdict, Verdict::Equivalent);
    }

    #[test]
    fn three_processes_are_not_shown_with_both_guards() {
        let c = compare(&BASE[..3], &scaled(1.5)[..3], &CompareSettings::default()).unwrap();
        assert_eq!(c.verdict, Verdict::NotShown);
        assert!(c.test.is_none());
        let msgs: Vec<String> = c.notes.iter().map(Guard::to_string).collect();
        assert_eq!(
            msgs,
            vec![
                "needs ≥ 6 processes for an interval, have 3",
                "needs ≥ 4 processes per side for a significance test, have 3"
            ]
        );
    }

    #[test]
    fn family_adjustment_can_withdraw_a_verdict() {
        // Five processes a side, fully separated: p = 2/C(10,5) = 0.0079;
        // alone "slower"; in a family of 12 Holm multiplies by 12 → 0.095.
        let base = &BASE[..5];
        let head = &scaled(1.05)[..5];
        let single = compare(base, head, &CompareSettings::default()).unwrap();
        assert_eq!(single.verdict, Verdict::Slower);
        let mut family = vec![single; 12];
        adjust_family(&mut family);
        assert!((family[0].p_adjusted.unwrap() - 12.0 * 2.0 / 252.0).abs() < 1e-12);
        assert!(family.iter().all(|c| c.verdict == Verdict::NotShown));
    }

    #[test]
    fn round_trips_through_json() {
        let c = compare(&BASE, &scaled(0.97), &CompareSettings::default()).unwrap();
        let json = serde_json::to_string(&c).unwrap();
        assert!(json.contains("\"verdict\":\"Faster\""), "{json}");
        // serde_json parses floats to within an ulp (exact only with its
        // `float_roundtrip` feature), so compare the structure, not the bits.
        let back: Comparison = serde_json::from_str(&json).unwrap();
        assert_eq!((back.verdict, back.test.is_some()), (c.verdict, true));
        assert!((back.change.pct - c.change.pct).abs() < 1e-12);
        assert_eq!(back.rule, c.rule);
    }

    #[test]
    fn bad_settings_and_values_are_errors() {
        let bad = CompareSettings {
            confidence: 0.0,
            ..CompareSettings::default()
        };
        assert!(compare(&BASE, &BASE, &bad).is_err());
        assert!(compare(&BASE, &[1.0, f64::INFINITY], &CompareSettings::default()).is_err());
    }
}
