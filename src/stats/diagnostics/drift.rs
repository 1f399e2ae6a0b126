//! Drift within processes: the seasonal Kendall test, with processes as
//! seasons (Hirsch, Slack & Smith 1982, "Techniques of trend analysis for
//! monthly water quality data", Water Resources Research 18).
//!
//! Each process contributes Mann-Kendall's `S_p = Σ_{i<j} sign(x_j − x_i)`
//! over its samples in order (Mann 1945; Kendall 1938, Biometrika 30),
//! with null variance `[n(n−1)(2n+5) − Σ t(t−1)(2t+5)]/18` (ties of size
//! t); summing over processes gives `S` with the summed variance, and
//! `z = (|S| − 1)/√Var` (continuity correction) is referred to the normal
//! distribution. It works from 2 samples per process. The size of the
//! drift is the median over processes of the change from the first half's
//! median to the second half's, and Kendall's τ (S_p over its pairs),
//! averaged, describes how monotone it is.

use super::super::Sorted;
use statrs::function::erf::erfc;

/// What the trend test found.
pub(super) struct Drift {
    pub change_pct: f64,
    pub kendall_tau: f64,
    pub processes: usize,
    pub p: f64,
}

/// The test over every process with at least 2 samples; `None` without one.
pub(super) fn drift(samples: &[Vec<f64>]) -> Option<Drift> {
    let used: Vec<&Vec<f64>> = samples.iter().filter(|p| p.len() >= 2).collect();
    if used.is_empty() {
        return None;
    }
    let s: f64 = used.iter().map(|p| mann_kendall_s(p)).sum();
    let var: f64 = used.iter().map(|p| s_variance(p)).sum();
    let z = if var > 0.0 {
        (s.abs() - 1.0).max(0.0) / var.sqrt()
    } else {
        0.0
    };
    let changes: Vec<f64> = used.iter().filter_map(|p| half_change_pct(p)).collect();
    let taus = used.iter().map(|p| kendall_tau(p));
    Some(Drift {
        change_pct: Sorted::new(&changes).ok()?.median(),
        kendall_tau: taus.sum::<f64>() / used.len() as f64,
        processes: used.len(),
        p: erfc(z / std::f64::consts::SQRT_2),
    })
}

/// Mann-Kendall's S: concordant minus discordant pairs in sample order.
fn mann_kendall_s(x: &[f64]) -> f64 {
    let mut s = 0i64;
    for i in 0..x.len() {
        for j in i + 1..x.len() {
            s += match x[j].partial_cmp(&x[i]) {
                Some(std::cmp::Ordering::Greater) => 1,
                Some(std::cmp::Ordering::Less) => -1,
                _ => 0,
            };
        }
    }
    s as f64
}

/// Null variance of S for one process, corrected for ties.
fn s_variance(x: &[f64]) -> f64 {
    let term = |n: f64| n * (n - 1.0) * (2.0 * n + 5.0);
    let mut sorted = x.to_vec();
    sorted.sort_by(f64::total_cmp);
    let ties: f64 = sorted
        .chunk_by(|a, b| a == b)
        .map(|g| term(g.len() as f64))
        .sum();
    (term(x.len() as f64) - ties) / 18.0
}

/// Kendall's τ-a between sample index and value.
fn kendall_tau(x: &[f64]) -> f64 {
    let pairs = (x.len() * (x.len() - 1) / 2) as f64;
    mann_kendall_s(x) / pairs
}

/// Second-half median relative to first-half median, in percent.
fn half_change_pct(x: &[f64]) -> Option<f64> {
    let half = x.len() / 2;
    let first = Sorted::new(&x[..half]).ok()?.median();
    let second = Sorted::new(&x[x.len() - half..]).ok()?.median();
    (first != 0.0).then(|| (second - first) / first.abs() * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kendall_statistics_of_known_orders() {
        assert_eq!(mann_kendall_s(&[1.0, 2.0, 3.0, 4.0]), 6.0);
        assert_eq!(kendall_tau(&[4.0, 3.0, 2.0, 1.0]), -1.0);
        // 5 concordant, 1 discordant of 6 pairs.
        assert!((kendall_tau(&[1.0, 3.0, 2.0, 4.0]) - 4.0 / 6.0).abs() < 1e-12);
        // n = 5: 5·4·15/18; a tie of 2 removes 2·1·9/18 = 1.
        assert!((s_variance(&[1.0, 2.0, 3.0, 4.0, 5.0]) - 300.0 / 18.0).abs() < 1e-12);
        assert!((s_variance(&[1.0, 2.0, 2.0, 4.0, 5.0]) - 282.0 / 18.0).abs() < 1e-12);
    }

    /// Seven processes of 5 rising samples: S = 7·10 = 70, Var = 7·300/18,
    /// z = 69/√116.67 = 6.39.
    #[test]
    fn rising_processes_are_a_significant_drift() {
        let rising: Vec<f64> = (0..5).map(|i| 100.0 + i as f64).collect();
        let d = drift(&vec![rising; 7]).unwrap();
        let z = 69.0 / (7.0f64 * 300.0 / 18.0).sqrt();
        assert!((d.p - erfc(z / std::f64::consts::SQRT_2)).abs() < 1e-15);
        assert_eq!((d.kendall_tau, d.processes), (1.0, 7));
        // Halves {100, 101} and {103, 104}: medians 100.5 → 103.5.
        assert!((d.change_pct - 300.0 / 100.5).abs() < 1e-9);
        assert!(drift(&[vec![1.0], vec![2.0]]).is_none());
    }
}
