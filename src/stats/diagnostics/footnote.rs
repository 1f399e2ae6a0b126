//! The footnotes, their settings, and `diagnose`, which runs every check
//! on one point's per-process samples.
//!
//! Each footnote fires only when its test rejects at `alpha` (1%) *and*
//! the effect is large enough to matter, so on data without the problem
//! it fires in at most about `alpha` of runs (the simulations check ≤ 5%
//! at 7 × 5 and 7 × 2):
//! - **High CV**: the lower (1 − α) bound of the spread between processes
//!   (outliers aside) is ≥ `cv_threshold_pct`.
//! - **Far extreme**: Grubbs' test flags the lowest or highest process
//!   *and* it is more than `extreme_min_pct` from the median.
//! - **Drift**: the seasonal Kendall test finds a trend within processes
//!   *and* the median half-to-half change is ≥ `drift_pct`.
//! - **Between ≫ within**: the random-effects F-test finds a process
//!   effect, its variance exceeds the within-process part of a process
//!   value's variance (σ²_w / samples), *and* the point is short of a
//!   ±`target_pct`% interval (the spread's estimate needs more processes
//!   than there are): more processes would help, more samples would not.
//!   Skipped without repeated samples.
//! - **More processes**: even the spread's lower (1 − α) bound needs more
//!   processes than there are for a ±`target_pct`% interval; the number
//!   shown is planned from the spread's estimate.

use super::drift::drift;
use super::outlier::grubbs;
use super::spread::{log_sd_to_cv, processes_needed, spread, Spread};
use super::variance::process_effect;
use crate::stats::interval::signed_1dp;
use crate::stats::sample::{check_positive, per_process_medians, MAD_SCALE};
use crate::stats::summary::DEFAULT_CONFIDENCE;
use crate::stats::{Sorted, StatsError};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Thresholds of the stability checks.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct DiagnosticSettings {
    pub cv_threshold_pct: f64,
    /// An outlier process must also be this far from the median.
    pub extreme_min_pct: f64,
    pub drift_pct: f64,
    /// Half-width, in percent, of the interval the process count is planned for.
    pub target_pct: f64,
    pub confidence: f64,
    /// Level of each check's test: the most a check fires without its problem.
    pub alpha: f64,
}

impl Default for DiagnosticSettings {
    fn default() -> Self {
        DiagnosticSettings {
            cv_threshold_pct: 10.0,
            extreme_min_pct: 5.0,
            drift_pct: 1.0,
            target_pct: 1.0,
            confidence: DEFAULT_CONFIDENCE,
            alpha: 0.01,
        }
    }
}

/// Which end of the process values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Extreme {
    Min,
    Max,
}

/// One stability warning.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Footnote {
    /// `cv_pct`: the spread between processes (outliers aside) as a CV.
    HighCv { cv_pct: f64, threshold_pct: f64 },
    /// `off_pct` is signed (value − median) / median; `mads` is how many
    /// scaled MADs from the median, `None` when the MAD is 0.
    FarExtreme {
        which: Extreme,
        off_pct: f64,
        mads: Option<f64>,
    },
    Drift {
        change_pct: f64,
        kendall_tau: f64,
        processes: usize,
    },
    /// `between_pct`: the process effect's SD as a CV; `within_pct`: the
    /// noise of one sample within a process, as a CV.
    BetweenExceedsWithin { between_pct: f64, within_pct: f64 },
    MoreProcesses {
        have: usize,
        need: usize,
        target_pct: f64,
    },
}

impl fmt::Display for Footnote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Footnote::HighCv {
                cv_pct,
                threshold_pct,
            } => write!(
                f,
                "unstable: processes vary by CV {cv_pct:.1}% (outliers aside), \
                 clearly above {threshold_pct}%"
            ),
            Footnote::FarExtreme { which, off_pct, .. } => {
                let (name, side) = match which {
                    Extreme::Min => ("lowest", "below"),
                    Extreme::Max => ("highest", "above"),
                };
                write!(
                    f,
                    "outlier: {name} process is {:.1}% {side} the median",
                    off_pct.abs()
                )
            }
            Footnote::Drift {
                change_pct,
                kendall_tau,
                processes,
            } => write!(
                f,
                "drift: samples move {}% from first to second half within a process \
                 (median of {processes}; mean Kendall τ {kendall_tau:.2})",
                signed_1dp(*change_pct)
            ),
            Footnote::BetweenExceedsWithin {
                between_pct,
                within_pct,
            } => write!(
                f,
                "processes differ by {between_pct:.1}% beyond their samples' noise \
                 ({within_pct:.1}% per sample): add processes rather than samples"
            ),
            Footnote::MoreProcesses {
                have,
                need,
                target_pct,
            } => write!(
                f,
                "a ±{target_pct}% interval needs ~{need} processes, have {have}"
            ),
        }
    }
}

/// Runs every check on per-process samples (positive values); footnotes
/// in a fixed order.
pub(crate) fn diagnose(
    samples: &[Vec<f64>],
    settings: &DiagnosticSettings,
) -> Result<Vec<Footnote>, StatsError> {
    let values = per_process_medians(samples)?;
    samples.iter().try_for_each(|p| check_positive(p))?;
    let logs: Vec<f64> = values.iter().map(|v| v.ln()).collect();
    let (low, high) = grubbs(&logs, settings.alpha);
    let outliers: Vec<usize> = low.into_iter().chain(high).collect();
    let spread = spread(&logs, &outliers, settings.alpha);
    let mut notes: Vec<Footnote> = spread
        .as_ref()
        .and_then(|s| high_cv(s, settings))
        .into_iter()
        .collect();
    notes.extend(far_extremes(&values, low, high, settings));
    notes.extend(drift_note(samples, settings));
    let short = spread.as_ref().is_some_and(|s| {
        processes_needed(s.sd, settings.target_pct, settings.confidence) > values.len()
    });
    notes.extend(between_within(samples, settings).filter(|_| short));
    notes.extend(spread.and_then(|s| more_processes(&s, values.len(), settings)));
    Ok(notes)
}

fn high_cv(s: &Spread, settings: &DiagnosticSettings) -> Option<Footnote> {
    (log_sd_to_cv(s.sd_lower) * 100.0 >= settings.cv_threshold_pct).then_some(Footnote::HighCv {
        cv_pct: s.cv_pct,
        threshold_pct: settings.cv_threshold_pct,
    })
}

fn far_extremes(
    values: &[f64],
    low: Option<usize>,
    high: Option<usize>,
    settings: &DiagnosticSettings,
) -> Vec<Footnote> {
    let Ok(sorted) = Sorted::new(values) else {
        return Vec::new();
    };
    let (median, scale) = (sorted.median(), MAD_SCALE * sorted.mad());
    [(Extreme::Min, low), (Extreme::Max, high)]
        .into_iter()
        .filter_map(|(which, i)| {
            let x = values[i?];
            let off_pct = (x - median) / median * 100.0;
            let mads = (scale > 0.0).then(|| (x - median).abs() / scale);
            (off_pct.abs() > settings.extreme_min_pct).then_some(Footnote::FarExtreme {
                which,
                off_pct,
                mads,
            })
        })
        .collect()
}

fn drift_note(samples: &[Vec<f64>], settings: &DiagnosticSettings) -> Option<Footnote> {
    let d = drift(samples)?;
    (d.p < settings.alpha && d.change_pct.abs() >= settings.drift_pct).then_some(Footnote::Drift {
        change_pct: d.change_pct,
        kendall_tau: d.kendall_tau,
        processes: d.processes,
    })
}

fn between_within(samples: &[Vec<f64>], settings: &DiagnosticSettings) -> Option<Footnote> {
    let logs: Vec<Vec<f64>> = samples
        .iter()
        .map(|p| p.iter().map(|x| x.ln()).collect())
        .collect();
    let e = process_effect(&logs)?;
    let dominates = e.between_var > e.within_var / e.samples;
    (e.p < settings.alpha && dominates).then(|| Footnote::BetweenExceedsWithin {
        between_pct: log_sd_to_cv(e.between_var.sqrt()) * 100.0,
        within_pct: log_sd_to_cv(e.within_var.sqrt()) * 100.0,
    })
}

fn more_processes(s: &Spread, have: usize, settings: &DiagnosticSettings) -> Option<Footnote> {
    let (target, confidence) = (settings.target_pct, settings.confidence);
    (processes_needed(s.sd_lower, target, confidence) > have).then(|| Footnote::MoreProcesses {
        have,
        need: processes_needed(s.sd, target, confidence),
        target_pct: target,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A within-process wiggle of ±0.2% with no trend.
    const WIGGLE: [f64; 10] = [0.0, 1.0, -1.0, 2.0, -2.0, 1.0, -1.0, 0.0, 2.0, -2.0];

    fn process(center: f64) -> Vec<f64> {
        WIGGLE.iter().map(|w| center * (1.0 + 0.001 * w)).collect()
    }

    fn run(centers: &[f64]) -> Vec<Vec<f64>> {
        centers.iter().map(|&c| process(c)).collect()
    }

    fn notes(samples: &[Vec<f64>]) -> Vec<Footnote> {
        diagnose(samples, &DiagnosticSettings::default()).unwrap()
    }

    #[test]
    fn stable_point_has_no_footnotes() {
        let centers = [
            100.0, 100.1, 99.9, 100.2, 99.8, 100.0, 100.1, 99.9, 100.0, 100.05,
        ];
        assert_eq!(notes(&run(&centers)), vec![]);
    }

    /// The spread must be clearly above the threshold: CV 13% from 10
    /// processes has a 99% lower bound of 8.3%, so it is not flagged.
    #[test]
    fn a_spread_only_possibly_above_the_threshold_is_not_high() {
        let centers = [
            80.0, 90.0, 100.0, 110.0, 120.0, 85.0, 95.0, 105.0, 115.0, 100.0,
        ];
        let n = notes(&run(&centers));
        assert!(
            !n.iter().any(|f| matches!(f, Footnote::HighCv { .. })),
            "{n:?}"
        );
        assert!(
            n.iter()
                .any(|f| matches!(f, Footnote::MoreProcesses { .. })),
            "{n:?}"
        );
    }

    #[test]
    fn high_spread_is_flagged_with_a_planning_figure() {
        let centers = [
            60.0, 80.0, 100.0, 120.0, 140.0, 70.0, 90.0, 110.0, 130.0, 100.0,
        ];
        let n = notes(&run(&centers));
        let Some(Footnote::HighCv { cv_pct, .. }) = n.first() else {
            panic!("expected HighCv first, got {n:?}");
        };
        let logs: Vec<f64> = centers.iter().map(|c: &f64| c.ln()).collect();
        let sd = crate::stats::summary::mean_stddev(&logs).1;
        assert!(
            (cv_pct - log_sd_to_cv(sd) * 100.0).abs() < 0.05,
            "cv {cv_pct}"
        );
        assert!(*cv_pct > 25.0, "{cv_pct}");
        assert!(n
            .iter()
            .any(|f| matches!(f, Footnote::MoreProcesses { need, .. } if *need > 200)));
    }

    /// Issue 8 #11: one outlier process among tight ones made the plain-SD
    /// estimate ask for ~285 processes. Now the outlier is reported as
    /// such, and the spread of the rest needs no more processes.
    #[test]
    fn one_outlier_process_is_flagged_and_does_not_inflate_the_processes_needed() {
        let centers = [100.0, 100.1, 99.9, 100.2, 99.8, 100.0, 120.0];
        let n = notes(&run(&centers));
        assert_eq!(
            n.iter().map(Footnote::to_string).collect::<Vec<_>>(),
            vec!["outlier: highest process is 20.0% above the median"],
            "{n:?}"
        );
    }

    #[test]
    fn drift_within_processes_is_flagged() {
        // Every process rises linearly by 5% over its 10 samples.
        let rising: Vec<f64> = (0..10).map(|i| 100.0 * (1.0 + 0.005 * i as f64)).collect();
        let n = notes(&vec![rising; 8]);
        let Some(Footnote::Drift {
            change_pct,
            kendall_tau,
            processes,
        }) = n.iter().find(|f| matches!(f, Footnote::Drift { .. }))
        else {
            panic!("expected drift in {n:?}");
        };
        // Halves 100..102 and 102.5..104.5: medians 101 and 103.5 → +2.475%.
        assert!((change_pct - 250.0 / 101.0).abs() < 1e-9, "{change_pct}");
        assert_eq!((*kendall_tau, *processes), (1.0, 8));
    }

    #[test]
    fn spread_between_processes_is_flagged() {
        // Within ±0.2%, between 98..102.
        let centers = [98.0, 102.0, 99.0, 101.0, 100.0, 98.5, 101.5, 100.0];
        let n = notes(&run(&centers));
        let Some(Footnote::BetweenExceedsWithin {
            between_pct,
            within_pct,
        }) = n
            .iter()
            .find(|f| matches!(f, Footnote::BetweenExceedsWithin { .. }))
        else {
            panic!("expected spread in {n:?}");
        };
        assert!(*between_pct > 1.0 && *within_pct < 0.2, "{n:?}");
    }

    #[test]
    fn refuses_empty_and_non_positive() {
        assert!(diagnose(&[vec![1.0], vec![]], &DiagnosticSettings::default()).is_err());
        assert!(diagnose(&[], &DiagnosticSettings::default()).is_err());
        assert!(diagnose(&[vec![1.0, 0.0]], &DiagnosticSettings::default()).is_err());
    }
}
