//! An outlier process: Grubbs' test on log process values.
//!
//! Grubbs (1950, Ann. Math. Stat. 21; 1969, "Procedures for detecting
//! outlying observations in samples", Technometrics 11): for the largest
//! value, `G = (x₍ₙ₎ − x̄)/s`, which is an outlier at level α when
//! `G > (n−1)/√n · √(t²/(n−2+t²))`, `t` the upper `α/n` quantile of
//! Student's t with `n − 2` degrees of freedom (the same for the smallest
//! value). Testing each end at α/2 bounds the chance of flagging a process
//! in normal data at α. On log values, so a process 20% slow is as far as
//! one 1/1.2 fast. Limitation: two outliers on one side can mask each other.

use statrs::distribution::{ContinuousCDF, StudentsT};

/// The index (into `logs`) of each end flagged as an outlier at `alpha`
/// (split over both ends): `(lowest, highest)`.
pub(super) fn grubbs(logs: &[f64], alpha: f64) -> (Option<usize>, Option<usize>) {
    let n = logs.len();
    if n < 3 {
        return (None, None);
    }
    let (mean, sd) = mean_sd(logs);
    let Some(critical) = critical_g(n, alpha / 2.0) else {
        return (None, None);
    };
    let by = |ord: std::cmp::Ordering| {
        (0..n).reduce(|a, b| {
            if logs[b].total_cmp(&logs[a]) == ord {
                b
            } else {
                a
            }
        })
    };
    let flagged =
        |i: Option<usize>| i.filter(|&i| sd > 0.0 && (logs[i] - mean).abs() / sd > critical);
    (
        flagged(by(std::cmp::Ordering::Less)),
        flagged(by(std::cmp::Ordering::Greater)),
    )
}

/// Grubbs' one-sided critical value for `n` values at level `alpha`.
fn critical_g(n: usize, alpha: f64) -> Option<f64> {
    let df = (n - 2) as f64;
    let t = StudentsT::new(0.0, 1.0, df)
        .ok()?
        .inverse_cdf(1.0 - alpha / n as f64);
    let nf = n as f64;
    Some((nf - 1.0) / nf.sqrt() * (t * t / (df + t * t)).sqrt())
}

/// Mean and sample standard deviation (0 for fewer than two values).
pub(super) fn mean_sd(values: &[f64]) -> (f64, f64) {
    super::super::summary::mean_stddev(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Published one-sided critical values of Grubbs' G (ASTM E178,
    /// Table 1; Grubbs 1969): n = 7 at 2.5%: 2.020, at 0.5%: 2.139;
    /// n = 10 at 2.5%: 2.290.
    #[test]
    fn critical_values_match_tables() {
        assert!((critical_g(7, 0.025).unwrap() - 2.020).abs() < 1e-3);
        assert!((critical_g(7, 0.005).unwrap() - 2.139).abs() < 1e-3);
        assert!((critical_g(10, 0.025).unwrap() - 2.290).abs() < 1e-3);
    }

    #[test]
    fn flags_one_far_process_and_not_tight_data() {
        let tight = [0.0, 0.001, -0.001, 0.002, -0.002, 0.0005, -0.0005];
        assert_eq!(grubbs(&tight, 0.01), (None, None));
        let mut far = tight;
        far[3] = 0.2;
        assert_eq!(grubbs(&far, 0.01), (None, Some(3)));
        far[3] = -0.2;
        assert_eq!(grubbs(&far, 0.01), (Some(3), None));
        assert_eq!(grubbs(&[0.0, 1.0], 0.01), (None, None));
    }
}
