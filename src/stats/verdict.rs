//! The verdict of one comparison against a noise band: faster, slower,
//! equivalent or not shown, and the one sentence that explains it.
//!
//! Rule, in order (band = `noise_band_pct`, default 1%; α = `alpha`):
//! 1. **Equivalent** when the whole interval of the change lies inside
//!    `[−band, +band]` (bounds on the band count as inside): whatever the
//!    true change is, it is too small to matter. This is the
//!    interval-inclusion form of an equivalence test (Westlake 1976;
//!    Schuirmann 1987, "A comparison of the two one-sided tests
//!    procedure…", J. Pharmacokinet. Biopharm. 15). Using the two-sided
//!    (1 − α) interval, rather than TOST's (1 − 2α), makes it conservative.
//! 2. **Faster / Slower** when the (Holm-adjusted) p < α *and* the point
//!    estimate lies strictly beyond the band: the change is real after
//!    correcting for every comparison in the family, and its best estimate
//!    is large enough to matter. Which word depends on [`Better`].
//! 3. **Not shown** otherwise: not significant (p ≥ α, so p exactly α is
//!    not significant), significant but with the estimate inside the band
//!    (real but not shown to matter), or no test at all.
//!
//! What "slower" claims, and why not more. A slower verdict says "the
//! change is real and estimated beyond the band"; it does *not* say the
//! whole interval is beyond the band, and [`Decision`]'s sentence says
//! which of the two holds. Requiring the whole interval beyond the band
//! (a minimum-effect test) would make the band a margin the true change
//! must clear by the interval's half-width: a true change exactly at the
//! band would be called at most α/2 of the time however much data there
//! is, and a true 1.2% change against a 1% band would need a ±0.2%
//! interval. A CI gate with a 1% band would then be blind to 1–2%
//! regressions. Under this rule, by contrast, a true change beyond the band
//! is called with probability → 1 as data grow, a change on the band about
//! half the time, and a change inside it → 0; the false-alarm rate with no
//! change stays ≤ α (the significance condition alone bounds it). So the
//! band is the size at which detection is a coin flip: to catch a true
//! change of size X reliably, set the band to about X/2 (the paired
//! simulations show the numbers).

use serde::{Deserialize, Serialize};
use std::fmt;

use super::interval::signed_pct_against;
use super::{Change, Interval, StatsError};

/// The outcome of comparing head against base.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verdict {
    Faster,
    Slower,
    Equivalent,
    /// Neither a change beyond the band nor shown within it: the data do
    /// not decide (older results files say "inconclusive").
    #[serde(alias = "Inconclusive")]
    NotShown,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Faster => "faster",
            Verdict::Slower => "slower",
            Verdict::Equivalent => "equivalent",
            Verdict::NotShown => "not shown",
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

    /// The rule in one sentence, for a report's legend, e.g. "faster or
    /// slower: family-adjusted p < 0.05 and the estimate beyond the ±1% band;
    /// equivalent: the whole 95% interval within the band; inconclusive
    /// otherwise".
    pub fn describe(&self, confidence: f64) -> String {
        format!(
            "faster or slower: the family-adjusted p < {} and the estimate beyond the ±{}% band; \
             equivalent: the whole {}% interval within the band; not shown otherwise",
            self.alpha,
            self.noise_band_pct,
            confidence * 100.0
        )
    }
}

/// Which branch of the rule decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reason {
    /// The whole interval lies within the band.
    WithinBand,
    /// Significant and the estimate beyond the band; `interval_beyond` when
    /// the whole interval is beyond it too.
    Shown { interval_beyond: bool },
    /// Significant, but the estimate is within the band.
    EstimateWithinBand,
    /// p ≥ α.
    NotSignificant,
    /// No significance test could be made.
    Untested,
}

/// A verdict with everything its explanation needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub verdict: Verdict,
    pub reason: Reason,
    /// The change's estimate, percent.
    pub pct: f64,
    pub ci: Option<Interval>,
    /// The p-value the rule used (Holm-adjusted in a family).
    pub p: Option<f64>,
    pub rule: VerdictRule,
}

/// Judges a change with (adjusted) p-value `p_adjusted` by `rule`; `None`
/// means no test could be made.
pub(crate) fn judge(p_adjusted: Option<f64>, change: &Change, rule: &VerdictRule) -> Decision {
    let significant = p_adjusted.map(|p| p < rule.alpha);
    let (verdict, reason) = decide_parts(significant, change, rule);
    Decision {
        verdict,
        reason,
        pct: change.pct,
        ci: change.ci,
        p: p_adjusted,
        rule: *rule,
    }
}

/// The verdict alone: `judge(p_adjusted, change, rule).verdict`.
pub(crate) fn decide(p_adjusted: Option<f64>, change: &Change, rule: &VerdictRule) -> Verdict {
    judge(p_adjusted, change, rule).verdict
}

/// The rule itself, given whether the test was significant (`None`: no test).
pub(crate) fn decide_parts(
    significant: Option<bool>,
    change: &Change,
    rule: &VerdictRule,
) -> (Verdict, Reason) {
    let band = rule.noise_band_pct;
    if change.ci.is_some_and(|ci| ci.within(band)) {
        return (Verdict::Equivalent, Reason::WithinBand);
    }
    match significant {
        None => (Verdict::NotShown, Reason::Untested),
        Some(false) => (Verdict::NotShown, Reason::NotSignificant),
        Some(true) if change.pct.abs() <= band => (Verdict::NotShown, Reason::EstimateWithinBand),
        Some(true) => {
            let interval_beyond = change.ci.is_some_and(|ci| ci.beyond(band));
            (
                direction(change.pct, rule.better),
                Reason::Shown { interval_beyond },
            )
        }
    }
}

fn direction(pct: f64, better: Better) -> Verdict {
    match (pct > 0.0, better) {
        (true, Better::Lower) | (false, Better::Higher) => Verdict::Slower,
        (false, Better::Lower) | (true, Better::Higher) => Verdict::Faster,
    }
}

/// `p = ` a p-value with two significant digits, or as many as keep it on
/// the right side of `alpha` (`0.0499` is not printed as `0.050`); below
/// 1e-12, where floating point no longer resolves it, `p < 1e-12`.
pub(crate) fn format_p(p: f64, alpha: f64) -> String {
    format!("p {}", format_p_value(p, alpha))
}

fn format_p_value(p: f64, alpha: f64) -> String {
    if p < 1e-12 {
        return "< 1e-12".into();
    }
    if p < 1e-4 {
        return format!("= {p:.1e}");
    }
    let first = (2 - p.log10().floor() as i32 - 1).max(2) as usize;
    (first..first + 4)
        .map(|d| format!("{p:.d$}"))
        .find(|s| s.parse::<f64>().map(|v| v.total_cmp(&alpha)) == Ok(p.total_cmp(&alpha)))
        .map_or_else(|| format!("= {p}"), |s| format!("= {s}"))
}

impl Decision {
    fn estimate(&self) -> String {
        format!(
            "{}%",
            signed_pct_against(self.pct, self.rule.noise_band_pct)
        )
    }

    /// The interval with its bounds kept on their side of the band, and
    /// the achieved level when it differs from the nominal one.
    fn interval(&self) -> String {
        let band = self.rule.noise_band_pct;
        self.ci.map_or_else(String::new, |ci| {
            ci.format_with(|x| signed_pct_against(x, band))
        })
    }

    /// `", {before} [lo, hi] {after}"`, or `" (no interval)"`.
    fn interval_clause(&self, before: &str, after: &str) -> String {
        match self.ci {
            Some(_) => format!(", {before} {} {after}", self.interval()),
            None => " (no interval)".to_string(),
        }
    }

    /// Why the change is not equivalent either.
    fn not_within(&self) -> String {
        match self.ci {
            Some(_) => format!(
                "the interval {} is not within the ±{}% band",
                self.interval(),
                self.rule.noise_band_pct
            ),
            None => "there is no interval".to_string(),
        }
    }

    fn p_text(&self) -> String {
        self.p
            .map_or_else(String::new, |p| format_p(p, self.rule.alpha))
    }
}

/// The explanation every renderer prints, e.g. "slower: p = 0.0031 < 0.05
/// and the estimate +2.6% is beyond the ±1% band, though the interval
/// [+0.6, +4.3] reaches into it".
impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (alpha, band) = (self.rule.alpha, self.rule.noise_band_pct);
        let (p, est, ci) = (self.p_text(), self.estimate(), self.interval());
        write!(f, "{}: ", self.verdict)?;
        match self.reason {
            Reason::WithinBand => write!(f, "the whole interval {ci} is within the ±{band}% band"),
            Reason::Shown {
                interval_beyond: true,
            } => write!(
                f,
                "{p} < {alpha} and the whole interval {ci} is beyond the ±{band}% band"
            ),
            Reason::Shown {
                interval_beyond: false,
            } => write!(
                f,
                "{p} < {alpha} and the estimate {est} is beyond the ±{band}% band{}",
                self.interval_clause("though the interval", "reaches into it")
            ),
            Reason::EstimateWithinBand => write!(
                f,
                "{p} < {alpha}, but the estimate {est} is within the ±{band}% band{}",
                self.interval_clause("and the interval", "reaches beyond it")
            ),
            Reason::NotSignificant => {
                write!(f, "{p} is not below {alpha}, and {}", self.not_within())
            }
            Reason::Untested => write!(
                f,
                "no significance test (too few values), and {}",
                self.not_within()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(pct: f64, lo: f64, hi: f64) -> Change {
        Change {
            pct,
            ci: Some(Interval {
                lo,
                hi,
                level: 0.95,
                nominal: 0.95,
            }),
            guard: None,
        }
    }

    fn said(p: Option<f64>, c: &Change) -> String {
        judge(p, c, &VerdictRule::default()).to_string()
    }

    #[test]
    fn interval_inside_band_is_equivalent_even_if_significant() {
        let rule = VerdictRule::default();
        let c = change(0.5, 0.2, 0.8);
        assert_eq!(decide(Some(0.001), &c, &rule), Verdict::Equivalent);
        assert_eq!(
            said(Some(0.001), &c),
            "equivalent: the whole interval [+0.2, +0.8] is within the ±1% band"
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

    /// Issue 8 #6: vec-growth printed "+2.6% [+0.6, +4.3] slower … beyond
    /// the ±1% band" when only the estimate was beyond it. The sentence
    /// now says which part is beyond the band.
    #[test]
    fn the_sentence_says_whether_the_estimate_or_the_interval_is_beyond_the_band() {
        let vec_growth = change(2.6, 0.6, 4.3);
        let d = judge(Some(0.0031), &vec_growth, &VerdictRule::default());
        assert_eq!(
            (d.verdict, d.reason),
            (
                Verdict::Slower,
                Reason::Shown {
                    interval_beyond: false
                }
            )
        );
        assert_eq!(
            d.to_string(),
            "slower: p = 0.0031 < 0.05 and the estimate +2.6% is beyond the ±1% band, \
             though the interval [+0.6, +4.3] reaches into it"
        );
        let clear = change(4.0, 3.1, 5.0);
        assert_eq!(
            said(Some(0.0004), &clear),
            "slower: p = 0.00040 < 0.05 and the whole interval [+3.1, +5.0] is beyond the ±1% band"
        );
    }

    #[test]
    fn estimate_exactly_on_the_band_is_not_beyond_it() {
        let on = change(1.0, 0.2, 1.8);
        let d = judge(Some(0.001), &on, &VerdictRule::default());
        assert_eq!(
            (d.verdict, d.reason),
            (Verdict::NotShown, Reason::EstimateWithinBand)
        );
        assert_eq!(
            d.to_string(),
            "not shown: p = 0.0010 < 0.05, but the estimate +1.0% is within the ±1% band, \
             and the interval [+0.2, +1.8] reaches beyond it"
        );
        // Just past the band: called, and printed with enough digits to show it.
        let past = change(1.004, 0.2, 1.8);
        assert_eq!(
            said(Some(0.001), &past),
            "slower: p = 0.0010 < 0.05 and the estimate +1.004% is beyond the ±1% band, \
             though the interval [+0.2, +1.8] reaches into it"
        );
    }

    #[test]
    fn an_interval_touching_the_band_is_within_it_not_beyond_it() {
        let rule = VerdictRule::default();
        // Upper end exactly on the band: inside (equivalent).
        assert_eq!(
            decide(Some(0.2), &change(0.0, -0.9, 1.0), &rule),
            Verdict::Equivalent
        );
        // Lower end exactly on the band: not "the whole interval beyond".
        let d = judge(Some(0.001), &change(2.0, 1.0, 3.0), &rule);
        assert_eq!(
            d.reason,
            Reason::Shown {
                interval_beyond: false
            }
        );
        let d = judge(Some(0.001), &change(2.0, 1.001, 3.0), &rule);
        assert_eq!(
            d.reason,
            Reason::Shown {
                interval_beyond: true
            }
        );
    }

    #[test]
    fn a_test_without_an_interval_says_so() {
        let c = Change {
            pct: 5.0,
            ci: None,
            guard: None,
        };
        assert_eq!(
            said(Some(0.03), &c),
            "slower: p = 0.030 < 0.05 and the estimate +5.0% is beyond the ±1% band (no interval)"
        );
    }

    #[test]
    fn significant_but_inside_is_not_shown() {
        let small = change(0.8, 0.1, 1.5);
        let d = judge(Some(0.001), &small, &VerdictRule::default());
        assert_eq!(
            (d.verdict, d.reason),
            (Verdict::NotShown, Reason::EstimateWithinBand)
        );
    }

    #[test]
    fn p_exactly_alpha_is_not_significant() {
        let big = change(3.0, 1.0, 5.0);
        let d = judge(Some(0.05), &big, &VerdictRule::default());
        assert_eq!(
            (d.verdict, d.reason),
            (Verdict::NotShown, Reason::NotSignificant)
        );
        assert_eq!(
            d.to_string(),
            "not shown: p = 0.050 is not below 0.05, and the interval [+1.0, +5.0] \
             is not within the ±1% band"
        );
        // Just below alpha prints with enough digits to show it is below.
        assert_eq!(format_p(0.04996, 0.05), "p = 0.04996");
        assert_eq!(format_p(0.0, 0.05), "p < 1e-12");
        assert_eq!(
            decide(Some(0.04996), &big, &VerdictRule::default()),
            Verdict::Slower
        );
    }

    #[test]
    fn no_test_is_not_shown_and_says_so() {
        let c = Change {
            pct: 30.0,
            ci: None,
            guard: None,
        };
        let d = judge(None, &c, &VerdictRule::default());
        assert_eq!((d.verdict, d.reason), (Verdict::NotShown, Reason::Untested));
        assert_eq!(
            d.to_string(),
            "not shown: no significance test (too few values), and there is no interval"
        );
    }

    #[test]
    fn not_significant_or_after_holm_is_not_shown() {
        let rule = VerdictRule::default();
        let big = change(3.0, -0.5, 6.0);
        assert_eq!(decide(Some(0.2), &big, &rule), Verdict::NotShown);
        // Significant at 0.05 unadjusted but not after Holm (0.06).
        assert_eq!(
            decide(Some(0.06), &change(3.0, 1.0, 5.0), &rule),
            Verdict::NotShown
        );
    }

    #[test]
    fn the_rule_describes_itself() {
        assert_eq!(
            VerdictRule::default().describe(0.95),
            "faster or slower: the family-adjusted p < 0.05 and the estimate beyond the ±1% band; \
             equivalent: the whole 95% interval within the band; not shown otherwise"
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
