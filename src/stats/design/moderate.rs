//! Per-point spreads shrunk toward the pool: the empirical-Bayes moderated
//! variance of Smyth (2004), "Linear models and empirical Bayes methods for
//! assessing differential expression in microarray experiments", Stat.
//! Appl. Genet. Mol. Biol. 3(1), §6.2 (limma's `fitFDist`).
//!
//! Each point's residual variance `s_i²` on `d_i` degrees of freedom is
//! taken as a scaled χ² draw around a variance that itself varies between
//! points as a scaled inverse χ² with `d₀` degrees of freedom around `s₀²`.
//! The prior is fitted by moments of `ln s_i²` (whose mean and variance
//! involve the digamma and trigamma functions), and each point's posterior
//! variance is `s̃_i² = (d₀ s₀² + d_i s_i²)/(d₀ + d_i)` on `d₀ + d_i`
//! degrees of freedom. Points as spread as each other get `d₀ = ∞` (the
//! pool); one point five times noisier keeps most of its own spread.
//! statrs has digamma but not trigamma: the trigamma here is the standard
//! recurrence plus asymptotic series (Abramowitz & Stegun 6.4.12), a few
//! lines, checked against known values.

use statrs::distribution::{ChiSquared, ContinuousCDF, FisherSnedecor};
use statrs::function::gamma::digamma;

/// The fitted prior of the per-point variances.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Prior {
    /// Prior degrees of freedom `d₀`; infinite when the spreads agree.
    pub df: f64,
    /// Prior variance `s₀²`.
    pub var: f64,
}

impl Prior {
    /// The posterior variance and its degrees of freedom.
    pub(crate) fn posterior(&self, var: f64, df: f64) -> (f64, f64) {
        if self.df.is_infinite() {
            (self.var, f64::INFINITY)
        } else if df <= 0.0 {
            (self.var, self.df)
        } else {
            (
                (self.df * self.var + df * var) / (self.df + df),
                self.df + df,
            )
        }
    }
}

/// Fits the prior to variances `var[i]` on `df[i]` degrees of freedom
/// (entries with `df ≤ 0` or a non-finite variance are left out). Zero
/// variances are raised to 10⁻⁵ of the median, as limma does, so their
/// logarithm exists. `None` with fewer than two usable variances.
pub(crate) fn fit_prior(var: &[f64], df: &[f64]) -> Option<Prior> {
    let used: Vec<(f64, f64)> = var
        .iter()
        .zip(df)
        .filter(|(v, d)| **d > 0.0 && v.is_finite() && **v >= 0.0)
        .map(|(v, d)| (*v, *d))
        .collect();
    if used.len() < 2 {
        return None;
    }
    let mut sorted: Vec<f64> = used.iter().map(|u| u.0).collect();
    sorted.sort_by(f64::total_cmp);
    let floor = 1e-5 * sorted[sorted.len() / 2];
    if floor <= 0.0 {
        return None;
    }
    let e: Vec<f64> = used
        .iter()
        .map(|&(v, d)| v.max(floor).ln() - digamma(d / 2.0) + (d / 2.0).ln())
        .collect();
    let n = e.len() as f64;
    let mean = e.iter().sum::<f64>() / n;
    let spread = e.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)
        - used.iter().map(|&(_, d)| trigamma(d / 2.0)).sum::<f64>() / n;
    if spread > 0.0 {
        let d0 = 2.0 * inverse_trigamma(spread);
        Some(Prior {
            df: d0,
            var: (mean + digamma(d0 / 2.0) - (d0 / 2.0).ln()).exp(),
        })
    } else {
        Some(Prior {
            df: f64::INFINITY,
            var: mean.exp(),
        })
    }
}

/// Level below which a point's spread counts as outlying: its variance
/// is then its own, not borrowed.
const RELEASE: f64 = 0.05;

/// Each point's posterior variance and degrees of freedom, with points
/// whose spread is outlying released to their own (`None` prior: the
/// pool `fallback`). A point is outlying when its variance is in the
/// upper `RELEASE` tail of its prior-predictive distribution,
/// `s_i²/s₀² ~ F(d_i, d₀)`; the prior is refitted without the released
/// points until the set is stable. (The EB model assumes every point's
/// variance comes from one prior; a point five times noisier than the
/// rest does not, and shrinking it would understate its spread: the
/// hypervariable case of Phipson et al. 2016, "Robust hyperparameter
/// estimation protects against hypervariable genes and improves power
/// to detect differential expression", Ann. Appl. Stat. 10, here handled
/// by releasing such points rather than by their per-gene prior df.)
pub(crate) fn moderated(var: &[f64], df: &[f64], fallback: f64) -> Vec<(f64, f64)> {
    let n = var.len();
    let usable = |i: usize| df[i] > 1e-9 && var[i].is_finite();
    let mut released = vec![false; n];
    let mut prior = Prior {
        df: f64::INFINITY,
        var: fallback,
    };
    for _ in 0..10 {
        let keep: Vec<usize> = (0..n).filter(|&i| usable(i) && !released[i]).collect();
        let v: Vec<f64> = keep.iter().map(|&i| var[i]).collect();
        let d: Vec<f64> = keep.iter().map(|&i| df[i]).collect();
        prior = fit_prior(&v, &d).unwrap_or(Prior {
            df: f64::INFINITY,
            var: fallback,
        });
        let next: Vec<bool> = (0..n)
            .map(|i| usable(i) && prior.upper_tail(var[i], df[i]) < RELEASE)
            .collect();
        if next == released {
            break;
        }
        released = next;
    }
    (0..n)
        .map(|i| match (usable(i), released[i]) {
            (true, true) => (var[i], df[i]),
            (true, false) => prior.posterior(var[i], df[i]),
            (false, _) => prior.posterior(0.0, 0.0),
        })
        .collect()
}

impl Prior {
    /// `P(s² ≥ var)` for a variance on `df` degrees of freedom drawn
    /// under this prior.
    fn upper_tail(&self, var: f64, df: f64) -> f64 {
        let ratio = var / self.var;
        if self.df.is_infinite() || self.df > 1e6 {
            ChiSquared::new(df).map_or(1.0, |c| c.sf(ratio * df))
        } else {
            FisherSnedecor::new(df, self.df).map_or(1.0, |f| f.sf(ratio))
        }
    }
}

/// ψ'(x) for x > 0.
pub(crate) fn trigamma(mut x: f64) -> f64 {
    let mut acc = 0.0;
    while x < 12.0 {
        acc += 1.0 / (x * x);
        x += 1.0;
    }
    let x2 = 1.0 / (x * x);
    acc + 1.0 / x
        + x2 / 2.0
        + (1.0 / 6.0 - x2 * (1.0 / 30.0 - x2 * (1.0 / 42.0 - x2 / 30.0))) * x2 / x
}

/// The `y > 0` with ψ'(y) = `v` (ψ' decreases from ∞ to 0), by bisection
/// on the log scale.
fn inverse_trigamma(v: f64) -> f64 {
    let (mut lo, mut hi) = (-30.0f64, 30.0f64);
    for _ in 0..200 {
        let mid = (lo + hi) / 2.0;
        if trigamma(mid.exp()) > v {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    ((lo + hi) / 2.0).exp()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ψ'(1) = π²/6, ψ'(1/2) = π²/2, ψ'(10) = 0.10516633568168575.
    #[test]
    fn trigamma_known_values() {
        let pi2 = std::f64::consts::PI.powi(2);
        assert!((trigamma(1.0) - pi2 / 6.0).abs() < 1e-12);
        assert!((trigamma(0.5) - pi2 / 2.0).abs() < 1e-12);
        assert!((trigamma(10.0) - 0.105_166_335_681_685_75).abs() < 1e-13);
        assert!((inverse_trigamma(trigamma(3.7)) - 3.7).abs() < 1e-9);
    }

    /// Equal variances: the spreads agree, `d₀ = ∞` and every point gets
    /// the pooled (geometric-mean) variance. One point 25× the variance
    /// of the others (5× the spread): the prior has finite df and that
    /// point keeps most of its own variance.
    #[test]
    fn equal_spreads_pool_and_an_outlying_spread_mostly_stays() {
        // limma's pooled value undoes the log's bias, E ln s² = ln σ² +
        // ψ(d/2) − ln(d/2): identical s² = 1 on 6 df give e^{ln 3 − ψ(3)}.
        let p = fit_prior(&[1.0; 6], &[6.0; 6]).unwrap();
        let want = (3.0f64.ln() - digamma(3.0)).exp();
        assert!(p.df.is_infinite() && (p.var - want).abs() < 1e-12, "{p:?}");
        let var = [1.0, 1.3, 0.7, 0.9, 1.1, 25.0, 0.8, 1.2];
        let p = fit_prior(&var, &[6.0; 8]).unwrap();
        assert!(p.df.is_finite() && p.df > 0.0, "{p:?}");
        let (noisy, df) = p.posterior(25.0, 6.0);
        assert!(
            noisy > 8.0 && noisy < 25.0 && df > 6.0,
            "{noisy} {df} {p:?}"
        );
        assert!(fit_prior(&[1.0], &[3.0]).is_none());
    }

    /// limma's estimator is consistent: variances drawn as s₀²·χ²_d/d with
    /// a scaled inverse-χ² prior on d₀ = 8 recover d₀ roughly.
    #[test]
    fn recovers_the_prior_degrees_of_freedom() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let mut chi2 = |k: usize| -> f64 {
            (0..k)
                .map(|_| {
                    let u1: f64 = 1.0 - rng.gen::<f64>();
                    let u2: f64 = rng.gen();
                    ((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()).powi(2)
                })
                .sum()
        };
        let (d0, d) = (8usize, 6usize);
        let var: Vec<f64> = (0..4000)
            .map(|_| {
                let sigma2 = d0 as f64 / chi2(d0);
                sigma2 * chi2(d) / d as f64
            })
            .collect();
        let p = fit_prior(&var, &vec![d as f64; var.len()]).unwrap();
        assert!(
            (p.df - 8.0).abs() < 1.5 && (p.var - 1.0).abs() < 0.1,
            "{p:?}"
        );
    }
}
