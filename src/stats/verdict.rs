//! The verdict of one comparison against a noise band: faster, slower,
//! equivalent or inconclusive.
//!
//! Rules, in order (band = `noise_band_pct`, default 1%):
//! 1. **Equivalent** when the whole interval of the change lies inside
//!    `[−band, +band]`: whatever the true change is, it is too small to
//!    matter. This is the interval-inclusion form of an equivalence test
//!    (Westlake 1976; Schuirmann 1987, "A comparison of the two one-sided
//!    tests procedure…", J. Pharmacokinet. Biopharm. 15). Using the
//!    two-sided (1 − α) interval, rather than TOST's (1 − 2α), makes the
//!    claim conservative.
//! 2. **Faster / Slower** when the Holm-adjusted p < α *and* the point
//!    estimate lies outside the band: the change is real after correcting
//!    for every comparison in the report, and its best estimate is large
//!    enough to matter. Which of the two depends on whether lower or higher
//!    values of the metric are better.
//! 3. **Inconclusive** otherwise, including when there are too few processes
//!    for a test (the comparison's notes then say why).
//!
//! A significant change whose estimate is inside the band, but whose interval
//! reaches outside it, is inconclusive: real, but not shown to matter or not.

use serde::{Deserialize, Serialize};
use std::fmt;

use super::{Change, StatsError};

/// The outcome of comparing head against base.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verdict {
    Faster,
    Slower,
    Equivalent,
    Inconclusive,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Faster => "faster",
            Verdict::Slower => "slower",
            Verdict::Equivalent => "equivalent",
            Verdict::Inconclusive => "inconclusive",
        })
    }
}

/// Which direction of a metric is an improvement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Better {
    /// Times, ns/op: a decrease is "faster".
    Lower,
    /// Throughput, ops/s: an increase is "faster".
    Higher,
}

/// What a verdict is judged against.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct VerdictRule {
    /// Significance level applied to Holm-adjusted p-values.
    pub alpha: f64,
    /// Changes within ±this many percent are noise.
    pub noise_band_pct: f64,
    pub better: Better,
}

impl Default for VerdictRule {
    fn default() -> Self {
        VerdictRule {
            alpha: 0.05,
            noise_band_pct: 1.0,
            better: Better::Lower,
        }
    }
}

impl VerdictRule {
    pub fn validate(&self) -> Result<(), StatsError> {
        StatsError::check_unit_open("alpha", self.alpha)?;
        StatsError::check_non_negative("noise_band_pct", self.noise_band_pct)
    }
}

/// The verdict for a change with (adjusted) p-value `p_adjusted`; `None`
/// means no test could be made.
pub fn decide(p_adjusted: Option<f64>, change: &Change, rule: &VerdictRule) -> Verdict {
    let band = rule.noise_band_pct;
    if change.ci.is_some_and(|ci| ci.within(band)) {
        return Verdict::Equivalent;
    }
    let significant = p_adjusted.is_some_and(|p| p < rule.alpha);
    if !significant || change.pct.abs() <= band {
        return Verdict::Inconclusive;
    }
    let increased = change.pct > 0.0;
    match (increased, rule.better) {
        (true, Better::Lower) | (false, Better::Higher) => Verdict::Slower,
        (false, Better::Lower) | (true, Better::Higher) => Verdict::Faster,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Interval;

    fn change(pct: f64, lo: f64, hi: f64) -> Change {
        Change {
            pct,
            ci: Some(Interval {
                lo,
                hi,
                level: 0.95,
            }),
            guard: None,
        }
    }

    #[test]
    fn interval_inside_band_is_equivalent_even_if_significant() {
        let rule = VerdictRule::default();
        assert_eq!(
            decide(Some(0.001), &change(0.5, 0.2, 0.8), &rule),
            Verdict::Equivalent
        );
    }

    #[test]
    fn significant_and_outside_band_follows_direction() {
        let rule = VerdictRule::default();
        let slower = change(2.0, 1.2, 2.9);
        let faster = change(-2.0, -2.9, -1.2);
        assert_eq!(decide(Some(0.01), &slower, &rule), Verdict::Slower);
        assert_eq!(decide(Some(0.01), &faster, &rule), Verdict::Faster);
        let higher = VerdictRule {
            better: Better::Higher,
            ..rule
        };
        assert_eq!(decide(Some(0.01), &slower, &higher), Verdict::Faster);
    }

    #[test]
    fn not_significant_or_inside_band_or_untested_is_inconclusive() {
        let rule = VerdictRule::default();
        let big = change(3.0, -0.5, 6.0);
        assert_eq!(decide(Some(0.2), &big, &rule), Verdict::Inconclusive);
        assert_eq!(decide(None, &big, &rule), Verdict::Inconclusive);
        // Real but small: estimate inside the band, interval reaching out.
        let small = change(0.8, 0.1, 1.5);
        assert_eq!(decide(Some(0.001), &small, &rule), Verdict::Inconclusive);
        // Significant at 0.05 unadjusted but not after Holm (0.06).
        assert_eq!(
            decide(Some(0.06), &change(3.0, 1.0, 5.0), &rule),
            Verdict::Inconclusive
        );
    }

    #[test]
    fn rejects_bad_rules() {
        let bad = VerdictRule {
            alpha: 1.5,
            ..VerdictRule::default()
        };
        assert!(bad.validate().is_err());
        let bad = VerdictRule {
            noise_band_pct: -1.0,
            ..VerdictRule::default()
        };
        assert!(bad.validate().is_err());
    }
}
