//! Change points in one series by E-Divisive means: hierarchical
//! segmentation by the energy divergence of Matteson & James ("A
//! Nonparametric Approach for Multiple Change Point Analysis of
//! Multivariate Data", JASA 2014), as MongoDB uses it in its performance
//! CI (Daly et al., "The Use of Change Point Detection to Identify Software
//! Performance Regressions in a Continuous Integration System", ICPE 2020),
//! with the significance test Hunter/Apache Otava put in place of the
//! permutation test (Fleming et al., "Hunter: Using Change Point Detection
//! to Hunt for Performance Regressions", ICPE 2023): Student's two-sample
//! t-test, deterministic and O(n) instead of hundreds of re-runs. Pooled
//! variance, not Welch's: a short side whose few runs happen to agree
//! would otherwise claim a tiny standard error, and the search over every
//! split finds such a side in pure noise.
//!
//! Written here because no maintained Rust crate implements E-Divisive
//! (the `changepoint` crate does Bayesian online detection and PELT-like
//! methods, not energy statistics).
//!
//! The method, on the values `y` (tuner passes log values, so a step is
//! a ratio):
//! 1. In a segment `[s, e)`, find the split `τ` and end `κ` (Otava's
//!    truncated second part, which keeps a later step from muddying the
//!    first) that maximise Q̂(y[s..τ], y[τ..κ]) with α = 1, every part at
//!    least [`Settings::min_size`] long. O(n²) per segment with prefix sums
//!    of the distance matrix's rows.
//! 2. Keep `τ` when the t-test of `y[s..τ]` against `y[τ..κ]` gives
//!    p < [`Settings::alpha`]; then segment both sides the same way.
//! 3. Re-test every kept point against the segments between its
//!    neighbours, dropping the least significant failing one until all
//!    pass (Otava's final pass).
//!
//! Each change point's step is the difference of the two neighbouring
//! segments' means, with its t interval at [`Settings::level`].

use statrs::distribution::{ContinuousCDF, StudentsT};

/// The method's parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Settings {
    /// A change point is kept when its t-test's p-value is below this.
    pub alpha: f64,
    /// The fewest runs on each side of a change point (≥ 2).
    pub min_size: usize,
    /// The confidence of the step's interval.
    pub level: f64,
}

impl Default for Settings {
    /// α = 0.001 and 4 runs a side: what held false changes under one per
    /// config and month of nightly runs on the real between-run noise
    /// (`history::simulation`, reports/history/README.md).
    fn default() -> Settings {
        Settings {
            alpha: 0.001,
            min_size: 4,
            level: 0.95,
        }
    }
}

/// One change point of a series.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ChangePoint {
    /// The first value after the change.
    pub index: usize,
    /// The segments compared: from the previous change point (or the
    /// start) to this one, and from this one to the next (or the end).
    pub before: std::ops::Range<usize>,
    pub after: std::ops::Range<usize>,
    /// Mean after minus mean before, with its interval.
    pub step: f64,
    pub interval: (f64, f64),
    pub p: f64,
}

/// The change points of `y`, in order.
pub(crate) fn change_points(y: &[f64], settings: &Settings) -> Vec<ChangePoint> {
    let min = settings.min_size.max(2);
    let mut found = Vec::new();
    let mut segments = vec![(0, y.len())];
    while let Some((s, e)) = segments.pop() {
        let Some((tau, kappa)) = best_split(&y[s..e], min) else {
            continue;
        };
        let (tau, kappa) = (s + tau, s + kappa);
        if t_test(&y[s..tau], &y[tau..kappa]).p < settings.alpha {
            found.push(tau);
            segments.push((s, tau));
            segments.push((tau, e));
        }
    }
    found.sort_unstable();
    prune(y, found, settings)
}

/// Otava's last pass: while some change point fails its test against the
/// segments between its neighbours, drop the least significant one.
fn prune(y: &[f64], mut cps: Vec<usize>, settings: &Settings) -> Vec<ChangePoint> {
    loop {
        let tested: Vec<ChangePoint> = (0..cps.len())
            .map(|i| {
                let start = if i == 0 { 0 } else { cps[i - 1] };
                let end = cps.get(i + 1).copied().unwrap_or(y.len());
                let (before, after) = (start..cps[i], cps[i]..end);
                let w = t_test(&y[before.clone()], &y[after.clone()]);
                let (lo, hi) = w.interval(settings.level);
                ChangePoint {
                    index: cps[i],
                    before,
                    after,
                    step: w.difference,
                    interval: (lo, hi),
                    p: w.p,
                }
            })
            .collect();
        let weakest = tested
            .iter()
            .enumerate()
            .filter(|(_, c)| c.p >= settings.alpha)
            .max_by(|a, b| a.1.p.total_cmp(&b.1.p))
            .map(|(i, _)| i);
        match weakest {
            Some(i) => {
                cps.remove(i);
            }
            None => return tested,
        }
    }
}

/// The `(τ, κ)` maximising Q̂ over `z` with both parts at least `min`
/// long, or `None` when `z` is too short.
fn best_split(z: &[f64], min: usize) -> Option<(usize, usize)> {
    let n = z.len();
    if n < 2 * min {
        return None;
    }
    // prefix[r][k]: the sum of |z_r − z_i| over i < k.
    let prefix: Vec<Vec<f64>> = z
        .iter()
        .map(|&zr| {
            let mut row = Vec::with_capacity(n + 1);
            let mut acc = 0.0;
            row.push(0.0);
            for &zi in z {
                acc += (zr - zi).abs();
                row.push(acc);
            }
            row
        })
        .collect();
    let pairs = |m: usize| (m * (m - 1) / 2) as f64;
    let mut best: Option<(f64, usize, usize)> = None;
    // Sum of distances within z[..τ], kept as τ grows.
    let mut within_x = 0.0;
    for tau in 1..=n - min {
        within_x += prefix[tau - 1][tau - 1];
        if tau < min {
            continue;
        }
        let nx = tau as f64;
        let (mut within_y, mut between) = (0.0, 0.0);
        for kappa in tau + 1..=n {
            let j = kappa - 1;
            within_y += prefix[j][j] - prefix[j][tau];
            between += prefix[j][tau];
            let m = kappa - tau;
            if m < min {
                continue;
            }
            let ny = m as f64;
            let energy = 2.0 * between / (nx * ny) - within_x / pairs(tau) - within_y / pairs(m);
            let q = nx * ny / (nx + ny) * energy;
            if best.is_none_or(|(b, _, _)| q > b) {
                best = Some((q, tau, kappa));
            }
        }
    }
    best.map(|(_, tau, kappa)| (tau, kappa))
}

/// Student's two-sample t-test (pooled variance) of `b`'s mean against `a`'s.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TTest {
    /// mean(b) − mean(a).
    pub difference: f64,
    pub se: f64,
    pub df: f64,
    /// Two-sided.
    pub p: f64,
}

impl TTest {
    /// The two-sided interval of the difference at `level`.
    pub(super) fn interval(&self, level: f64) -> (f64, f64) {
        if self.se == 0.0 || !self.df.is_finite() {
            return (self.difference, self.difference);
        }
        let t = StudentsT::new(0.0, 1.0, self.df).expect("df > 0");
        let half = t.inverse_cdf(0.5 + level / 2.0) * self.se;
        (self.difference - half, self.difference + half)
    }
}

pub(crate) fn t_test(a: &[f64], b: &[f64]) -> TTest {
    let (ma, va) = mean_var(a);
    let (mb, vb) = mean_var(b);
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let difference = mb - ma;
    let df = na + nb - 2.0;
    let pooled = ((na - 1.0) * va + (nb - 1.0) * vb) / df;
    let se = (pooled * (1.0 / na + 1.0 / nb)).sqrt();
    if se == 0.0 {
        // No spread at all: any difference is certain, none is nothing.
        let p = if difference == 0.0 { 1.0 } else { 0.0 };
        return TTest {
            difference,
            se,
            df: f64::INFINITY,
            p,
        };
    }
    let t = StudentsT::new(0.0, 1.0, df).expect("df > 0");
    let p = 2.0 * t.sf((difference / se).abs());
    TTest {
        difference,
        se,
        df,
        p,
    }
}

/// Mean and unbiased variance.
fn mean_var(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    (mean, var)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Normal noise by Box-Muller.
    fn noisy(n: usize, sd: f64, seed: u64) -> Vec<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..n)
            .map(|_| {
                let (u, v): (f64, f64) = (rng.gen::<f64>().max(f64::MIN_POSITIVE), rng.gen());
                sd * (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
            })
            .collect()
    }

    /// Q̂ by its definition, for checking the prefix-sum version.
    fn q_direct(x: &[f64], y: &[f64]) -> f64 {
        let (nx, ny) = (x.len() as f64, y.len() as f64);
        let between: f64 = x
            .iter()
            .flat_map(|a| y.iter().map(move |b| (a - b).abs()))
            .sum();
        let within = |v: &[f64]| {
            let mut s = 0.0;
            for i in 0..v.len() {
                for j in i + 1..v.len() {
                    s += (v[i] - v[j]).abs();
                }
            }
            s / (v.len() * (v.len() - 1) / 2) as f64
        };
        nx * ny / (nx + ny) * (2.0 * between / (nx * ny) - within(x) - within(y))
    }

    #[test]
    fn the_best_split_is_the_one_the_definition_gives() {
        let mut z = noisy(30, 1.0, 7);
        for v in &mut z[17..] {
            *v += 1.5;
        }
        let (tau, kappa) = best_split(&z, 3).unwrap();
        let mut best = (f64::MIN, 0, 0);
        for t in 3..=27 {
            for k in t + 3..=30 {
                let q = q_direct(&z[..t], &z[t..k]);
                if q > best.0 {
                    best = (q, t, k);
                }
            }
        }
        assert_eq!((tau, kappa), (best.1, best.2));
    }

    #[test]
    fn three_steps_are_found_where_they_are() {
        let mut y = noisy(200, 0.003, 3);
        for (at, step) in [(50, 0.01), (100, 0.02), (150, 0.05)] {
            for v in &mut y[at..] {
                *v += step;
            }
        }
        let cps = change_points(&y, &Settings::default());
        let at: Vec<usize> = cps.iter().map(|c| c.index).collect();
        assert_eq!(at.len(), 3, "{cps:?}");
        for (found, truth) in at.iter().zip([50, 100, 150]) {
            assert!(found.abs_diff(truth) <= 1, "{at:?}");
        }
        let last = &cps[2];
        assert!((last.step - 0.05).abs() < 0.005, "{last:?}");
        assert!(last.interval.0 < 0.05 && 0.05 < last.interval.1, "{last:?}");
        assert_eq!(last.before, cps[1].index..150);
        assert_eq!(last.after, 150..200);
    }

    #[test]
    fn noise_alone_has_no_change_point() {
        for seed in 0..20 {
            let y = noisy(60, 0.01, 100 + seed);
            assert_eq!(
                change_points(&y, &Settings::default()),
                vec![],
                "seed {seed}"
            );
        }
    }

    #[test]
    fn too_short_a_series_has_none() {
        assert!(change_points(&[1.0, 2.0, 3.0], &Settings::default()).is_empty());
        assert!(change_points(&[], &Settings::default()).is_empty());
    }

    #[test]
    fn the_t_test_matches_a_worked_example() {
        // By hand: pooled variance 15/7, se 0.98198, t = 4.5826 on 7 df;
        // the t distribution's tail (numerical integration of its density)
        // gives p = 0.0025360 and the 97.5% quantile 2.36462 (the tables'
        // 2.365), so the interval is [2.1780, 6.8220].
        let w = t_test(&[2.0, 3.0, 4.0, 5.0], &[6.0, 7.0, 8.0, 9.0, 10.0]);
        assert!((w.difference - 4.5).abs() < 1e-12);
        assert!((w.difference / w.se - 4.5826).abs() < 1e-3, "{w:?}");
        assert_eq!(w.df, 7.0);
        assert!((w.p - 0.0025360).abs() < 1e-6, "{w:?}");
        let (lo, hi) = w.interval(0.95);
        assert!(
            (lo - 2.1780).abs() < 1e-3 && (hi - 6.8220).abs() < 1e-3,
            "{lo} {hi}"
        );
    }
}
