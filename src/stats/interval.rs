//! Confidence intervals and their text form, e.g. `-12.3% [-14.1, -10.2]`.
//!
//! `level` is always the coverage the method actually achieves for this
//! sample size (distribution-free intervals from order statistics cover
//! 98.4% at n = 7, not a nominal 95%), except where a method only has a
//! nominal level (normal approximations), which its module says. `nominal`
//! is the level that was asked for. The text helpers append the achieved
//! level when the two differ by more than half a percentage point, e.g.
//! `[19.1 ms, 20.2 ms] (98.4%)`, so a reader never takes a 98.4% interval
//! for a 95% one.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Achieved and nominal levels closer than this are not worth a note.
const LEVEL_NOTE_ABOVE: f64 = 0.005;

/// A two-sided interval `[lo, hi]` with its coverage probability.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    pub lo: f64,
    pub hi: f64,
    /// Coverage probability in 0..1 the method achieves here, e.g. 0.984.
    pub level: f64,
    /// Coverage that was asked for, e.g. 0.95.
    #[serde(default = "default_nominal")]
    pub nominal: f64,
}

fn default_nominal() -> f64 {
    0.95
}

impl Interval {
    /// True when the whole interval lies within `[-band, band]` (inclusive).
    pub fn within(&self, band: f64) -> bool {
        self.lo >= -band && self.hi <= band
    }

    /// True when the whole interval lies strictly beyond `±band` on one side.
    pub fn beyond(&self, band: f64) -> bool {
        self.lo > band || self.hi < -band
    }

    #[cfg(test)]
    pub(crate) fn contains(&self, x: f64) -> bool {
        self.lo <= x && x <= self.hi
    }

    /// The achieved level as text (`"98.4%"`) when it differs from the
    /// nominal one by more than half a percentage point.
    pub fn level_note(&self) -> Option<String> {
        ((self.level - self.nominal).abs() > LEVEL_NOTE_ABOVE)
            .then(|| format!("{:.1}%", self.level * 100.0))
    }

    /// `[lo, hi]` with each bound written by `bound`, followed by the
    /// achieved level when it differs: `[19.1 ms, 20.2 ms] (98.4%)`.
    pub fn format_with(&self, bound: impl Fn(f64) -> String) -> String {
        let text = format!("[{}, {}]", bound(self.lo), bound(self.hi));
        with_level_note(text, self)
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}, {}]", self.lo, self.hi)
    }
}

fn with_level_note(text: String, ci: &Interval) -> String {
    match ci.level_note() {
        Some(note) => format!("{text} ({note})"),
        None => text,
    }
}

/// A percentage with an explicit sign and one decimal, e.g. `+2.0`, `-12.3`.
/// Values that round to zero print as `+0.0`, never `-0.0`.
pub(crate) fn signed_1dp(pct: f64) -> String {
    signed_dp(pct, 1)
}

fn signed_dp(x: f64, decimals: usize) -> String {
    let scale = 10f64.powi(decimals as i32);
    let rounded = (x * scale).round() / scale;
    let rounded = if rounded == 0.0 { 0.0 } else { rounded };
    format!("{rounded:+.decimals$}")
}

/// A signed percentage with one decimal, or more when one decimal would
/// make it look equal to `threshold` (or `-threshold`) while it is not:
/// `+1.04` against a 1% band prints `+1.04`, not `+1.0`.
pub(crate) fn signed_pct_against(pct: f64, threshold: f64) -> String {
    (1..=4)
        .map(|d| signed_dp(pct, d))
        .find(|text| same_side(text, pct, threshold))
        .unwrap_or_else(|| signed_dp(pct, 4))
}

/// True when the value `text` shows sits on the same side of `±threshold`
/// as `x` (or on it, exactly when `x` is).
fn same_side(text: &str, x: f64, threshold: f64) -> bool {
    let shown: f64 = text.parse().unwrap_or(f64::NAN);
    let side = |v: f64| (v.abs().total_cmp(&threshold), v > 0.0);
    side(shown) == side(x) || (x.abs() < threshold && shown.abs() < threshold)
}

/// A change with its interval: `-12.3% [-14.1, -10.2]`, or `-12.3%` alone.
pub(crate) fn format_change(pct: f64, ci: Option<&Interval>) -> String {
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

    fn ci(lo: f64, hi: f64, level: f64) -> Interval {
        Interval {
            lo,
            hi,
            level,
            nominal: 0.95,
        }
    }

    #[test]
    fn formats_like_the_issue_example() {
        let c = ci(-14.06, -10.24, 0.95);
        assert_eq!(format_change(-12.34, Some(&c)), "-12.3% [-14.1, -10.2]");
        assert_eq!(format_change(4.0, None), "+4.0%");
        assert_eq!(signed_1dp(-0.04), "+0.0");
    }

    #[test]
    fn within_a_band_is_inclusive_and_beyond_is_strict() {
        let c = ci(-1.0, 0.5, 0.95);
        assert!(c.within(1.0));
        assert!(!c.within(0.9));
        assert!(!ci(1.0, 3.0, 0.95).beyond(1.0), "touching the band");
        assert!(ci(1.01, 3.0, 0.95).beyond(1.0));
        assert!(ci(-3.0, -1.01, 0.95).beyond(1.0));
    }

    /// n = 7: the order-statistic interval [min, max] covers 1 − 2/128.
    #[test]
    fn achieved_level_is_noted_only_when_it_differs_by_more_than_half_a_point() {
        let seven = ci(19.1, 20.2, 1.0 - 2.0 / 128.0);
        assert_eq!(seven.level_note().as_deref(), Some("98.4%"));
        let ms = |x: f64| format!("{x:.1} ms");
        assert_eq!(seven.format_with(ms), "[19.1 ms, 20.2 ms] (98.4%)");
        // 95.4% is within half a point of 95%: no note.
        let close = ci(19.1, 20.2, 0.954);
        assert_eq!(close.level_note(), None);
        assert_eq!(close.format_with(ms), "[19.1 ms, 20.2 ms]");
    }

    #[test]
    fn old_intervals_without_nominal_read_back_as_95() {
        let c: Interval = serde_json::from_str(r#"{"lo":1.0,"hi":2.0,"level":0.99}"#).unwrap();
        assert_eq!(c.nominal, 0.95);
    }

    #[test]
    fn percentages_near_a_threshold_keep_their_side() {
        assert_eq!(signed_pct_against(2.63, 1.0), "+2.6");
        assert_eq!(signed_pct_against(1.04, 1.0), "+1.04");
        assert_eq!(signed_pct_against(0.96, 1.0), "+0.96");
        assert_eq!(signed_pct_against(-1.004, 1.0), "-1.004");
        assert_eq!(signed_pct_against(1.0, 1.0), "+1.0");
        assert_eq!(signed_pct_against(0.3, 1.0), "+0.3");
    }
}
