//! Simultaneous critical values for families whose statistics share one
//! point: many-to-one (Dunnett 1955, "A multiple comparison procedure for
//! comparing several treatments with a control", JASA 50) and
//! comparisons with the best (Hsu 1984, Ann. Statist. 12).
//!
//! The statistics `Z_j = (δ̂_j − δ_j)/se_j` of comparisons against one
//! common point `c` are jointly normal with correlation `λ_j λ_k`,
//! `λ_j = √(Var(c) / se_j²)` — the share of each comparison's variance
//! that comes from the common point. That one-factor structure makes the
//! probability of a rectangle a single integral (Dunnett 1955; Hsu 1996,
//! "Multiple Comparisons", §3.1.1.1):
//! `P(∩ |Z_j| < c) = ∫ φ(u) Π_j [Φ((c − λ_j u)/√(1 − λ_j²)) − Φ((−c − λ_j u)/√(1 − λ_j²))] du`,
//! and `Π_j Φ((c − λ_j u)/√(1 − λ_j²))` one-sided. The integral is taken by
//! Gauss-Hermite quadrature (nodes by Golub & Welsch 1969, the symmetric
//! eigenproblem of the Jacobi matrix), and the critical value by bisection
//! on it. Statistics with finite degrees of freedom enter through their
//! normal scores `Φ⁻¹(F_t(T; ν))`: exact marginally, an approximation
//! jointly that the simulations check.
//!
//! Rounding the λ's *down* keeps the answer conservative: the two-sided
//! probability increases in every `λ_j` (Šidák 1968, "On multivariate
//! normal probabilities of rectangles", Ann. Math. Statist. 39), the
//! one-sided one in every correlation (Slepian 1962). Many distinct λ's
//! are rounded down to a grid of 0.02 so a family of 200 costs a few
//! dozen factors per node.

use nalgebra::{DMatrix, SymmetricEigen};
use statrs::distribution::{ContinuousCDF, Normal};
use std::sync::OnceLock;

/// Which tails the family's statements cover.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Sides {
    Two,
    One,
}

/// Gauss-Hermite nodes for the standard normal weight.
const NODES: usize = 64;

fn hermite() -> &'static (Vec<f64>, Vec<f64>) {
    static RULE: OnceLock<(Vec<f64>, Vec<f64>)> = OnceLock::new();
    RULE.get_or_init(|| {
        let mut j = DMatrix::<f64>::zeros(NODES, NODES);
        for k in 1..NODES {
            let b = (k as f64).sqrt();
            j[(k, k - 1)] = b;
            j[(k - 1, k)] = b;
        }
        let eig = SymmetricEigen::new(j);
        let mut rule: Vec<(f64, f64)> = (0..NODES)
            .map(|k| (eig.eigenvalues[k], eig.eigenvectors[(0, k)].powi(2)))
            .collect();
        rule.sort_by(|a, b| a.0.total_cmp(&b.0));
        rule.into_iter().unzip()
    })
}

/// The λ's of a family, grouped: `(λ, how many)`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Factors {
    groups: Vec<(f64, usize)>,
}

/// Most distinct λ's kept exactly; beyond, λ's are rounded down.
const MAX_GROUPS: usize = 24;
const GRID: f64 = 0.02;

impl Factors {
    /// Groups `lambdas` (each clamped to [0, 0.999]).
    pub(crate) fn new(lambdas: &[f64]) -> Factors {
        let group = |values: Vec<f64>| {
            let mut v = values;
            v.sort_by(f64::total_cmp);
            let mut groups: Vec<(f64, usize)> = Vec::new();
            for x in v {
                match groups.last_mut() {
                    Some((l, n)) if *l == x => *n += 1,
                    _ => groups.push((x, 1)),
                }
            }
            groups
        };
        let clamped: Vec<f64> = lambdas.iter().map(|l| l.clamp(0.0, 0.999)).collect();
        let mut groups = group(clamped.clone());
        if groups.len() > MAX_GROUPS {
            groups = group(clamped.iter().map(|l| (l / GRID).floor() * GRID).collect());
        }
        Factors { groups }
    }

    /// `P(all statistics within c)`: `|Z_j| < c` two-sided, `Z_j < c` one-sided.
    pub(crate) fn coverage(&self, c: f64, sides: Sides) -> f64 {
        let n = Normal::standard();
        let (nodes, weights) = hermite();
        let mut total = 0.0;
        for (&u, &w) in nodes.iter().zip(weights) {
            let mut log_p = 0.0;
            for &(l, count) in &self.groups {
                let s = (1.0 - l * l).sqrt();
                let p = match sides {
                    Sides::Two => n.cdf((c - l * u) / s) - n.cdf((-c - l * u) / s),
                    Sides::One => n.cdf((c - l * u) / s),
                };
                log_p += count as f64 * p.max(1e-300).ln();
            }
            total += w * log_p.exp();
        }
        total.clamp(0.0, 1.0)
    }

    /// The `c` with `coverage(c) = 1 − alpha`.
    pub(crate) fn critical(&self, alpha: f64, sides: Sides) -> f64 {
        let (mut lo, mut hi) = (0.0, 12.0);
        for _ in 0..60 {
            let mid = (lo + hi) / 2.0;
            if self.coverage(mid, sides) < 1.0 - alpha {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        hi
    }

    /// The family-adjusted p-value of a statistic with normal score `z`
    /// (its absolute value when two-sided).
    pub(crate) fn adjusted_p(&self, z: f64, sides: Sides) -> f64 {
        let z = match sides {
            Sides::Two => z.abs(),
            Sides::One => z,
        };
        (1.0 - self.coverage(z, sides)).clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn equi(m: usize) -> Factors {
        Factors::new(&vec![0.5f64.sqrt(); m])
    }

    /// Dunnett's tables to their two decimals (df = ∞, α = 0.05, ρ = 0.5,
    /// 1 to 9 comparisons; Dunnett 1955, Table 1a/1b; Hochberg & Tamhane
    /// 1987, "Multiple Comparison Procedures", Table 4).
    #[test]
    fn matches_dunnetts_tables() {
        let two = [1.96, 2.21, 2.35, 2.44, 2.51, 2.57, 2.61, 2.65, 2.69];
        let one = [1.64, 1.92, 2.06, 2.16, 2.23, 2.29, 2.34, 2.38, 2.42];
        for m in 1..=9 {
            let c2 = equi(m).critical(0.05, Sides::Two);
            let c1 = equi(m).critical(0.05, Sides::One);
            assert!((c2 - two[m - 1]).abs() <= 0.005, "two-sided m={m}: {c2}");
            assert!((c1 - one[m - 1]).abs() <= 0.0051, "one-sided m={m}: {c1}");
        }
    }

    /// Independence (λ = 0) is Šidák's product exactly; a big family lies
    /// between the equicorrelated value and Bonferroni.
    #[test]
    fn independent_and_large_families() {
        let m = 199;
        let indep = Factors::new(&vec![0.0; m]);
        let c = indep.critical(0.05, Sides::Two);
        let n = Normal::standard();
        let sidak = n.inverse_cdf(1.0 - (1.0 - 0.95f64.powf(1.0 / m as f64)) / 2.0);
        assert!((c - sidak).abs() < 1e-3, "{c} {sidak}");
        let dep = equi(m).critical(0.05, Sides::Two);
        let bonferroni = n.inverse_cdf(1.0 - 0.05 / (2.0 * m as f64));
        assert!(
            dep < sidak && sidak < bonferroni,
            "{dep} {sidak} {bonferroni}"
        );
        let p = equi(m).adjusted_p(dep, Sides::Two);
        assert!((p - 0.05).abs() < 1e-6, "{p}");
    }

    /// Quadrature against Monte Carlo for mixed λ's (40 comparisons).
    #[test]
    fn mixed_lambdas_agree_with_monte_carlo() {
        use rand::{Rng, SeedableRng};
        let lambdas: Vec<f64> = (0..40).map(|j| 0.2 + 0.015 * j as f64).collect();
        let f = Factors::new(&lambdas);
        let c = 2.9;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let mut normal = || {
            let u1: f64 = 1.0 - rng.gen::<f64>();
            let u2: f64 = rng.gen();
            (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
        };
        let trials = 40_000;
        let mut inside = 0;
        for _ in 0..trials {
            let u = normal();
            inside += usize::from(
                lambdas
                    .iter()
                    .all(|&l| (l * u + (1.0 - l * l).sqrt() * normal()).abs() < c),
            );
        }
        let mc = inside as f64 / trials as f64;
        let q = f.coverage(c, Sides::Two);
        assert!((mc - q).abs() < 0.006, "{mc} {q}");
    }
}
