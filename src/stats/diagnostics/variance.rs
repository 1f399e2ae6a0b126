//! A process effect: the one-way random-effects analysis of variance of
//! log samples grouped by process (Searle, Casella & McCulloch, "Variance
//! Components", 1992, §3.5–3.6; Snedecor & Cochran, "Statistical Methods",
//! §13.4).
//!
//! `F = MS_between / MS_within` with `(P − 1, N − P)` degrees of freedom
//! tests H₀: no variance between processes beyond what their samples'
//! noise explains; it is exact for normal noise and needs at least one
//! process with 2 samples. The variance components are
//! `σ²_w = MS_within` and `σ²_b = (MS_between − MS_within)/n₀`, with
//! `n₀ = (N − Σnₚ²/N)/(P − 1)` for unequal sample counts.

use statrs::distribution::{ContinuousCDF, FisherSnedecor};

/// The two variance components (log scale) and the test's p-value.
pub(super) struct ProcessEffect {
    pub between_var: f64,
    pub within_var: f64,
    /// Mean samples per process.
    pub samples: f64,
    pub p: f64,
}

/// The analysis of the log samples of each process; `None` when the data
/// cannot separate the components (fewer than 2 processes, or no process
/// with 2 samples, or no variation within processes at all).
pub(super) fn process_effect(log_samples: &[Vec<f64>]) -> Option<ProcessEffect> {
    let groups: Vec<&Vec<f64>> = log_samples.iter().filter(|g| !g.is_empty()).collect();
    let p = groups.len();
    let n: usize = groups.iter().map(|g| g.len()).sum();
    if p < 2 || n <= p {
        return None;
    }
    let mean = |g: &[f64]| g.iter().sum::<f64>() / g.len() as f64;
    let grand = groups.iter().flat_map(|g| g.iter()).sum::<f64>() / n as f64;
    let ss_between: f64 = groups
        .iter()
        .map(|g| g.len() as f64 * (mean(g) - grand).powi(2))
        .sum();
    let ss_within: f64 = groups
        .iter()
        .map(|g| {
            let m = mean(g);
            g.iter().map(|x| (x - m).powi(2)).sum::<f64>()
        })
        .sum();
    let (df_b, df_w) = ((p - 1) as f64, (n - p) as f64);
    let (ms_b, ms_w) = (ss_between / df_b, ss_within / df_w);
    if ms_w <= 0.0 {
        return None;
    }
    let sum_sq: f64 = groups.iter().map(|g| (g.len() as f64).powi(2)).sum();
    let n0 = (n as f64 - sum_sq / n as f64) / df_b;
    let f = FisherSnedecor::new(df_b, df_w).ok()?;
    Some(ProcessEffect {
        between_var: ((ms_b - ms_w) / n0).max(0.0),
        within_var: ms_w,
        samples: n as f64 / p as f64,
        p: f.sf(ms_b / ms_w),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three processes of 2 samples: {1, 3}, {2, 4}, {6, 8}. Means 2, 3, 7,
    /// grand 4; SS_b = 2·(4 + 1 + 9) = 28, SS_w = 6 · 1 = 6 (each group's
    /// two values are ±1 from its mean); MS_b = 14, MS_w = 2, F = 7 on
    /// (2, 3) df; n₀ = 2, σ²_b = 6.
    #[test]
    fn hand_computed_anova() {
        let g = vec![vec![1.0, 3.0], vec![2.0, 4.0], vec![6.0, 8.0]];
        let e = process_effect(&g).unwrap();
        assert_eq!((e.between_var, e.within_var, e.samples), (6.0, 2.0, 2.0));
        // P(F(2, 3) > 7) = 0.0740 (tables; = (1 + 2·7/3)^(−3/2) exactly).
        let exact = (1.0f64 + 2.0 * 7.0 / 3.0).powf(-1.5);
        assert!((e.p - exact).abs() < 1e-9, "{} vs {exact}", e.p);
    }

    #[test]
    fn cannot_separate_without_repeated_samples() {
        assert!(process_effect(&[vec![1.0], vec![2.0]]).is_none());
        assert!(process_effect(&[vec![1.0, 2.0]]).is_none());
        assert!(process_effect(&[vec![1.0, 1.0], vec![2.0, 2.0]]).is_none());
    }
}
