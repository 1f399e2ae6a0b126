//! Stability diagnostics for one point × metric, as short footnotes.
//!
//! Input is every process's samples; each check says in one line what looks
//! unstable and, where it can, what to do about it:
//! - **High CV**: the coefficient of variation (sd / mean) of the
//!   per-process values is ≥ 10%.
//! - **Far extreme**: the lowest or highest process value is more than 3
//!   scaled MADs (1.4826 · MAD, Hampel 1974) *and* more than 5% from the
//!   median: an outlier process, not just the tail of tight data.
//! - **Drift**: within processes, the median of the second half of the
//!   samples differs from the first half's by ≥ 1% (median over processes),
//!   a sign of too little warm-up, throttling or a growing heap. Kendall's τ
//!   between sample index and value (Kendall 1938, Biometrika 30), averaged
//!   over processes, is given as a descriptive measure of monotone trend.
//! - **Between ≫ within**: the spread between process values (relative
//!   scaled MAD) is more than twice the typical spread within a process:
//!   layout, ASLR or frequency effects fixed per process dominate, so more
//!   processes help and more samples do not.
//! - **More processes**: how many processes a ±1% interval for the median
//!   needs, from the normal-theory approximation
//!   `n ≈ (z · √(π/2) · CV / 1%)²` — the sample median's asymptotic variance
//!   is π/2 · σ²/n for normal data (Kendall & Stuart, "The Advanced Theory
//!   of Statistics", vol. 1, §10.10) — and never fewer than 6, below which
//!   no interval exists. It is a planning figure, not a guarantee: the
//!   order-statistic interval's discreteness widens it at small n.

use super::guard::MIN_FOR_INTERVAL;
use super::sample::{per_process_medians, MAD_SCALE};
use super::summary::{mean_stddev, DEFAULT_CONFIDENCE};
use super::{Sorted, StatsError};
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};
use std::fmt;

/// Thresholds of the stability checks.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct DiagnosticSettings {
    pub cv_threshold_pct: f64,
    pub extreme_mads: f64,
    pub extreme_min_pct: f64,
    pub drift_pct: f64,
    pub spread_ratio: f64,
    /// Half-width, in percent, of the interval the process count is planned for.
    pub target_pct: f64,
    pub confidence: f64,
}

impl Default for DiagnosticSettings {
    fn default() -> Self {
        DiagnosticSettings {
            cv_threshold_pct: 10.0,
            extreme_mads: 3.0,
            extreme_min_pct: 5.0,
            drift_pct: 1.0,
            spread_ratio: 2.0,
            target_pct: 1.0,
            confidence: DEFAULT_CONFIDENCE,
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
    HighCv {
        cv_pct: f64,
        threshold_pct: f64,
    },
    /// `off_pct` is signed (value − median) / median; `mads` is `None` when
    /// the MAD is 0.
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
    BetweenExceedsWithin {
        between_pct: f64,
        within_pct: f64,
    },
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
            } => {
                write!(
                    f,
                    "unstable: CV {cv_pct:.1}% ≥ {threshold_pct}% across processes"
                )
            }
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
                super::interval::signed_1dp(*change_pct)
            ),
            Footnote::BetweenExceedsWithin {
                between_pct,
                within_pct,
            } => write!(
                f,
                "spread between processes ({between_pct:.1}%) exceeds that within \
                 ({within_pct:.1}%): add processes rather than samples"
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

/// Runs every check on per-process samples; footnotes in a fixed order.
pub fn diagnose(
    samples: &[Vec<f64>],
    settings: &DiagnosticSettings,
) -> Result<Vec<Footnote>, StatsError> {
    let values = per_process_medians(samples)?;
    let sorted = Sorted::new(&values)?;
    let mut notes: Vec<Footnote> = high_cv(&values, settings).into_iter().collect();
    notes.extend(far_extremes(&sorted, settings));
    notes.extend(drift(samples, settings));
    notes.extend(between_within(samples, &sorted, settings));
    notes.extend(more_processes(&values, settings));
    Ok(notes)
}

/// Processes needed for a ±`target_pct`% interval for the median at
/// `confidence`, given the coefficient of variation `cv` (a fraction).
pub fn processes_needed(cv: f64, target_pct: f64, confidence: f64) -> usize {
    if !(cv.is_finite() && target_pct > 0.0 && confidence > 0.0 && confidence < 1.0) {
        return MIN_FOR_INTERVAL;
    }
    let z = Normal::standard().inverse_cdf((1.0 + confidence) / 2.0);
    let half_width_per_root_n = z * std::f64::consts::FRAC_PI_2.sqrt() * cv.abs() * 100.0;
    let n = (half_width_per_root_n / target_pct).powi(2).ceil().min(1e9);
    (n as usize).max(MIN_FOR_INTERVAL)
}

/// Kendall's τ-a between sample index and value: +1 for a strictly rising
/// sequence, −1 for a falling one, 0 for fewer than two values.
pub fn kendall_tau(values: &[f64]) -> f64 {
    let n = values.len();
    if n < 2 {
        return 0.0;
    }
    let mut score = 0i64;
    for i in 0..n {
        for j in i + 1..n {
            score += match values[j].partial_cmp(&values[i]) {
                Some(std::cmp::Ordering::Greater) => 1,
                Some(std::cmp::Ordering::Less) => -1,
                _ => 0,
            };
        }
    }
    score as f64 / (n * (n - 1) / 2) as f64
}

fn high_cv(values: &[f64], s: &DiagnosticSettings) -> Option<Footnote> {
    let (mean, sd) = mean_stddev(values);
    let cv_pct = sd / mean.abs() * 100.0;
    (mean != 0.0 && cv_pct >= s.cv_threshold_pct).then_some(Footnote::HighCv {
        cv_pct,
        threshold_pct: s.cv_threshold_pct,
    })
}

fn far_extremes(sorted: &Sorted, s: &DiagnosticSettings) -> Vec<Footnote> {
    let median = sorted.median();
    if sorted.len() < 3 || median == 0.0 {
        return Vec::new();
    }
    let scale = MAD_SCALE * sorted.mad();
    [(Extreme::Min, sorted.min()), (Extreme::Max, sorted.max())]
        .into_iter()
        .filter_map(|(which, x)| {
            let off_pct = (x - median) / median.abs() * 100.0;
            let mads = (scale > 0.0).then(|| (x - median).abs() / scale);
            let far = mads.is_none_or(|m| m > s.extreme_mads);
            (far && off_pct.abs() > s.extreme_min_pct).then_some(Footnote::FarExtreme {
                which,
                off_pct,
                mads,
            })
        })
        .collect()
}

/// Second-half median relative to first-half median, in percent.
fn half_change_pct(samples: &[f64]) -> Option<f64> {
    let half = samples.len() / 2;
    if half < 2 {
        return None;
    }
    let first = Sorted::new(&samples[..half]).ok()?.median();
    let second = Sorted::new(&samples[samples.len() - half..]).ok()?.median();
    (first != 0.0).then(|| (second - first) / first.abs() * 100.0)
}

fn drift(samples: &[Vec<f64>], s: &DiagnosticSettings) -> Option<Footnote> {
    let changes: Vec<f64> = samples.iter().filter_map(|p| half_change_pct(p)).collect();
    let change_pct = Sorted::new(&changes).ok()?.median();
    let taus: Vec<f64> = samples
        .iter()
        .filter(|p| p.len() >= 4)
        .map(|p| kendall_tau(p))
        .collect();
    let kendall_tau = taus.iter().sum::<f64>() / taus.len().max(1) as f64;
    (change_pct.abs() >= s.drift_pct).then_some(Footnote::Drift {
        change_pct,
        kendall_tau,
        processes: changes.len(),
    })
}

/// Relative scaled MAD in percent, `None` for fewer than 2 values or median 0.
fn relative_spread_pct(values: &[f64]) -> Option<f64> {
    let s = Sorted::new(values).ok()?;
    let median = s.median();
    (s.len() >= 2 && median != 0.0).then(|| MAD_SCALE * s.mad() / median.abs() * 100.0)
}

fn between_within(
    samples: &[Vec<f64>],
    process_values: &Sorted,
    s: &DiagnosticSettings,
) -> Option<Footnote> {
    if process_values.len() < 3 {
        return None;
    }
    let within: Vec<f64> = samples
        .iter()
        .filter_map(|p| relative_spread_pct(p))
        .collect();
    let within_pct = Sorted::new(&within).ok()?.median();
    let between_pct = relative_spread_pct(process_values.as_slice())?;
    (between_pct > 0.0 && between_pct > s.spread_ratio * within_pct).then_some(
        Footnote::BetweenExceedsWithin {
            between_pct,
            within_pct,
        },
    )
}

fn more_processes(values: &[f64], s: &DiagnosticSettings) -> Option<Footnote> {
    let (mean, sd) = mean_stddev(values);
    if mean == 0.0 {
        return None;
    }
    let need = processes_needed(sd / mean, s.target_pct, s.confidence);
    (need > values.len()).then_some(Footnote::MoreProcesses {
        have: values.len(),
        need,
        target_pct: s.target_pct,
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
    fn processes_needed_follows_the_formula() {
        // (1.96 · 1.2533 · CV/1%)²: CV 1% → 6.03 → 7; CV 5% → 150.9 → 151.
        assert_eq!(processes_needed(0.01, 1.0, 0.95), 7);
        assert_eq!(processes_needed(0.05, 1.0, 0.95), 151);
        assert_eq!(processes_needed(0.001, 1.0, 0.95), 6);
        assert_eq!(processes_needed(0.02, 2.0, 0.95), 7);
    }

    #[test]
    fn kendall_tau_of_known_orders() {
        assert_eq!(kendall_tau(&[1.0, 2.0, 3.0, 4.0]), 1.0);
        assert_eq!(kendall_tau(&[4.0, 3.0, 2.0, 1.0]), -1.0);
        // 5 concordant, 1 discordant of 6 pairs.
        assert!((kendall_tau(&[1.0, 3.0, 2.0, 4.0]) - 4.0 / 6.0).abs() < 1e-12);
    }

    #[test]
    fn stable_point_has_no_footnotes() {
        let centers = [
            100.0, 100.1, 99.9, 100.2, 99.8, 100.0, 100.1, 99.9, 100.0, 100.05,
        ];
        assert_eq!(notes(&run(&centers)), vec![]);
    }

    #[test]
    fn high_cv_is_flagged() {
        let centers = [
            80.0, 90.0, 100.0, 110.0, 120.0, 85.0, 95.0, 105.0, 115.0, 100.0,
        ];
        let n = notes(&run(&centers));
        let Some(Footnote::HighCv { cv_pct, .. }) = n.first() else {
            panic!("expected HighCv first, got {n:?}");
        };
        // sd = √(1500/9) = 12.91 around a mean of 100.
        assert!((cv_pct - 12.9099).abs() < 1e-3, "cv {cv_pct}");
        assert!(n
            .iter()
            .any(|f| matches!(f, Footnote::MoreProcesses { need, .. } if *need > 200)));
    }

    #[test]
    fn one_outlier_process_is_flagged() {
        let centers = [
            100.0, 100.1, 99.9, 100.2, 99.8, 100.0, 100.1, 99.9, 100.0, 120.0,
        ];
        let n = notes(&run(&centers));
        let far: Vec<&Footnote> = n
            .iter()
            .filter(|f| matches!(f, Footnote::FarExtreme { .. }))
            .collect();
        assert_eq!(far.len(), 1, "{n:?}");
        assert_eq!(
            far[0].to_string(),
            "outlier: highest process is 20.0% above the median"
        );
    }

    #[test]
    fn drift_within_processes_is_flagged() {
        // Every process rises linearly by 5% over its 10 samples.
        let rising: Vec<f64> = (0..10).map(|i| 100.0 * (1.0 + 0.005 * i as f64)).collect();
        let samples = vec![rising; 8];
        let n = notes(&samples);
        let drift = n.iter().find(|f| matches!(f, Footnote::Drift { .. }));
        // Halves 100..102 and 102.5..104.5: medians 101 and 103.5 → +2.5/101 = +2.475%.
        let Some(Footnote::Drift {
            change_pct,
            kendall_tau,
            processes,
        }) = drift
        else {
            panic!("expected drift in {n:?}");
        };
        assert!((change_pct - 250.0 / 101.0).abs() < 1e-9, "{change_pct}");
        assert_eq!((*kendall_tau, *processes), (1.0, 8));
    }

    #[test]
    fn spread_between_processes_is_flagged() {
        // Within ±0.2%, between 98..102.
        let centers = [98.0, 102.0, 99.0, 101.0, 100.0, 98.5, 101.5, 100.0];
        let n = notes(&run(&centers));
        let f = n
            .iter()
            .find(|f| matches!(f, Footnote::BetweenExceedsWithin { .. }))
            .unwrap_or_else(|| panic!("expected spread in {n:?}"));
        let Footnote::BetweenExceedsWithin {
            between_pct,
            within_pct,
        } = f
        else {
            unreachable!()
        };
        assert!(*between_pct > 1.0 && *within_pct < 0.2, "{f:?}");
    }

    #[test]
    fn refuses_an_empty_process() {
        assert!(diagnose(&[vec![1.0], vec![]], &DiagnosticSettings::default()).is_err());
        assert!(diagnose(&[], &DiagnosticSettings::default()).is_err());
    }
}
