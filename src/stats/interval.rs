//! Confidence intervals and their text form, e.g. `-12.3% [-14.1, -10.2]`.
//!
//! `level` is always the coverage the method actually achieves for this
//! sample size (distribution-free intervals from order statistics cover
//! 97.85% at n = 10, not a nominal 95%), except where a method only has a
//! nominal level (the bootstrap), which its module says.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A two-sided interval `[lo, hi]` with its coverage probability.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    pub lo: f64,
    pub hi: f64,
    /// Coverage probability in 0..1, e.g. 0.9785.
    pub level: f64,
}

impl Interval {
    /// True when the whole interval lies within `[-band, band]`.
    pub fn within(&self, band: f64) -> bool {
        self.lo >= -band && self.hi <= band
    }

    pub fn contains(&self, x: f64) -> bool {
        self.lo <= x && x <= self.hi
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}, {}]", self.lo, self.hi)
    }
}

/// A percentage with an explicit sign and one decimal, e.g. `+2.0`, `-12.3`.
/// Values that round to zero print as `+0.0`, never `-0.0`.
pub fn signed_1dp(pct: f64) -> String {
    let rounded = (pct * 10.0).round() / 10.0;
    let rounded = if rounded == 0.0 { 0.0 } else { rounded };
    format!("{rounded:+.1}")
}

/// A change with its interval: `-12.3% [-14.1, -10.2]`, or `-12.3%` alone.
pub fn format_change(pct: f64, ci: Option<&Interval>) -> String {
    match ci {
        Some(ci) => format!(
            "{}% [{}, {}]",
            signed_1dp(pct),
            signed_1dp(ci.lo),
            signed_1dp(ci.hi)
        ),
        None => format!("{}%", signed_1dp(pct)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_the_issue_example() {
        let ci = Interval {
            lo: -14.06,
            hi: -10.24,
            level: 0.95,
        };
        assert_eq!(format_change(-12.34, Some(&ci)), "-12.3% [-14.1, -10.2]");
        assert_eq!(format_change(4.0, None), "+4.0%");
        assert_eq!(signed_1dp(-0.04), "+0.0");
    }

    #[test]
    fn within_a_band_is_inclusive() {
        let ci = Interval {
            lo: -1.0,
            hi: 0.5,
            level: 0.95,
        };
        assert!(ci.within(1.0));
        assert!(!ci.within(0.9));
    }
}
