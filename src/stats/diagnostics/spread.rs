//! The spread between processes, robust to an outlier process, and the
//! number of processes an interval of a given width needs.
//!
//! Spread: the standard deviation of the log process values after setting
//! aside the processes Grubbs' test flags (`outlier`), so one far process
//! is reported as an outlier instead of inflating the spread (it made the
//! old plain-SD estimate ask for ~285 processes where the rest of the data
//! needed 6). Screening then using the efficient SD, rather than the MAD
//! (37% efficient, Hampel 1974), keeps the estimate usable at 7 processes.
//! Its one-sided lower confidence bound `s·√(ν/χ²₁₋α,ν)` (normal theory,
//! ν = kept − 1) lets a footnote fire only when the data show the spread
//! is too large, not when it merely might be. As a CV: `√(exp(s²) − 1)`.
//!
//! Processes needed for a ±`target`% interval for the median: the smallest
//! `n ≥ 6` whose order-statistic interval `[X(k), X(n+1−k)]` (see
//! `summary`) has an expected half-width within the target, taking the
//! expected normal order statistic by Blom's approximation
//! `E[Z(i)] ≈ Φ⁻¹((i − 0.375)/(n + 0.25))` (Blom 1958, "Statistical
//! Estimates and Transformed Beta-Variables"). Unlike the asymptotic
//! `(z·√(π/2)·σ/target)²` (Kendall & Stuart vol. 1 §10.10), to which it
//! tends for large n, it sees that 7 and 8 processes give the wide
//! [min, max] interval (98.4%, 99.2%), so CV 1% needs 9, not 7.

use super::super::guard::MIN_FOR_INTERVAL;
use super::super::summary::median_ci_ranks;
use super::outlier::mean_sd;
use statrs::distribution::{ChiSquared, ContinuousCDF, Normal};

/// The spread between processes, outliers set aside.
pub(super) struct Spread {
    /// Point estimate, as a CV in percent.
    pub cv_pct: f64,
    /// One-sided (1 − α) lower bound of the log standard deviation.
    pub sd_lower: f64,
    /// The log standard deviation.
    pub sd: f64,
}

/// The spread of `logs` without the values at `outliers`; `None` below 3
/// kept values (too few for a bound).
pub(super) fn spread(logs: &[f64], outliers: &[usize], alpha: f64) -> Option<Spread> {
    let kept: Vec<f64> = (0..logs.len())
        .filter(|i| !outliers.contains(i))
        .map(|i| logs[i])
        .collect();
    if kept.len() < 3 {
        return None;
    }
    let (_, sd) = mean_sd(&kept);
    let df = (kept.len() - 1) as f64;
    let upper = ChiSquared::new(df).ok()?.inverse_cdf(1.0 - alpha);
    Some(Spread {
        cv_pct: log_sd_to_cv(sd) * 100.0,
        sd_lower: sd * (df / upper).sqrt(),
        sd,
    })
}

/// The CV of a log-normal variable whose log has standard deviation `sd`.
pub(super) fn log_sd_to_cv(sd: f64) -> f64 {
    (sd * sd).exp_m1().sqrt()
}

/// Above this asymptotic estimate the discreteness of the interval no
/// longer matters and the asymptotic figure is returned as is.
const EXACT_SEARCH_UP_TO: f64 = 300.0;

/// Processes needed for a ±`target_pct`% interval for the median at
/// `confidence`, for per-process values whose log standard deviation (≈ CV)
/// is `sd`.
pub(super) fn processes_needed(sd: f64, target_pct: f64, confidence: f64) -> usize {
    if !(sd.is_finite() && target_pct > 0.0 && confidence > 0.0 && confidence < 1.0) {
        return MIN_FOR_INTERVAL;
    }
    let std = Normal::standard();
    let z = std.inverse_cdf((1.0 + confidence) / 2.0);
    let per_root_n = z * std::f64::consts::FRAC_PI_2.sqrt() * sd.abs() * 100.0;
    let asymptotic = (per_root_n / target_pct).powi(2);
    if asymptotic > EXACT_SEARCH_UP_TO {
        return asymptotic.ceil().min(1e9) as usize;
    }
    let start = ((0.8 * asymptotic) as usize).max(MIN_FOR_INTERVAL);
    (start..=2 * EXACT_SEARCH_UP_TO as usize)
        .find(|&n| {
            half_width_factor(n, confidence).is_some_and(|h| h * sd.abs() * 100.0 <= target_pct)
        })
        .unwrap_or(asymptotic.ceil() as usize)
}

/// Expected half-width of the order-statistic interval for the median of
/// `n` standard normal values (Blom's approximation).
fn half_width_factor(n: usize, confidence: f64) -> Option<f64> {
    let (_, hi, _) = median_ci_ranks(n, confidence)?;
    let p = (hi as f64 - 0.375) / (n as f64 + 0.25);
    Some(Normal::standard().inverse_cdf(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// At n = 7 the interval is [X(1), X(7)]: E[Z(7)] ≈ Φ⁻¹(6.625/7.25)
    /// = 1.365 (the exact expected maximum of 7 normals is 1.352); at n = 9
    /// it is [X(2), X(8)]: Φ⁻¹(7.625/9.25) = 0.932. So a log SD of 1%
    /// needs 9 processes (7 and 8 give the wider [min, max]).
    #[test]
    fn processes_needed_sees_the_interval_s_discreteness() {
        assert!((half_width_factor(7, 0.95).unwrap() - 1.365).abs() < 1e-3);
        assert!((half_width_factor(9, 0.95).unwrap() - 0.932).abs() < 1e-3);
        assert_eq!(processes_needed(0.01, 1.0, 0.95), 9);
        assert_eq!(processes_needed(0.005, 1.0, 0.95), 6);
        // Large: the asymptotic (1.96 · 1.2533 · 5)² = 150.9 region, exact search.
        let n = processes_needed(0.05, 1.0, 0.95);
        assert!((150..=175).contains(&n), "{n}");
        // Very large: asymptotic (1.96 · 1.2533 · 20)² = 2414.
        assert_eq!(processes_needed(0.2, 1.0, 0.95), 2414);
        assert_eq!(processes_needed(f64::NAN, 1.0, 0.95), 6);
    }

    #[test]
    fn spread_sets_outliers_aside_and_bounds_from_below() {
        let logs = [0.0, 0.01, -0.01, 0.02, -0.02, 0.005, -0.005];
        let s = spread(&logs, &[], 0.01).unwrap();
        assert!((s.sd - mean_sd(&logs).1).abs() < 1e-15);
        // χ²(6) upper 1% quantile = 16.812: bound = sd·√(6/16.812).
        assert!((s.sd_lower - s.sd * (6.0f64 / 16.8119).sqrt()).abs() < 1e-6);
        let mut with_outlier = logs.to_vec();
        with_outlier.push(0.2);
        let screened = spread(&with_outlier, &[7], 0.01).unwrap();
        assert!((screened.sd - s.sd).abs() < 1e-15);
        assert!(spread(&logs[..3], &[0], 0.01).is_none());
    }
}
