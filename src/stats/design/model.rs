//! The candidate analyses of the block design, and the one tuner uses.
//!
//! Every candidate fits the two-way model on log time (`fit`, unit cell
//! weights): rounds as blocks, so drift between rounds and a machine's
//! offset leave the residuals. They differ in two choices:
//!
//! - **Spread** — `Pooled`: one residual variance for every point, on the
//!   residual degrees of freedom of the whole table (the classical
//!   randomized-block analysis); `Moderated`: each point's own variance
//!   shrunk toward the pool by empirical Bayes (`moderate`, Smyth 2004),
//!   points with an outlying spread released to their own; `Own`: each
//!   point's own variance on its own residual degrees of freedom, the
//!   heteroscedasticity-consistent choice — a comparison is then a
//!   Welch-type test (Welch 1947, Biometrika 34; Satterthwaite 1946).
//! - **Robustness** — plain least squares, or Huber M-estimation (Huber
//!   1964, "Robust estimation of a location parameter", Ann. Math.
//!   Statist. 35; k = 1.345, 95% efficient at the normal) by iteratively
//!   reweighted least squares, each point's residuals clipped at ±k times
//!   its own scale, the scale re-estimated from the clipped residuals
//!   (Huber's "proposal 2", Huber 1981, "Robust Statistics", §7.7). Its
//!   inference uses pseudo-observations `ŷ + ψ(e)/m_i` (Bickel 1976;
//!   Huber 1981 §7.8; `m_i` the share of point `i`'s residuals inside the
//!   clip): least squares on them reproduces the M-estimates, and their
//!   spread gives the M-estimator's sandwich variance `E ψ² / (E ψ')²`,
//!   so a slow process counts as a winsorised value instead of dragging
//!   the mean and inflating the spread.
//!
//! A contrast `α_i − α_j` has variance `s_i²/n_i + s_j²/n_j` plus the
//! part through the block effects (zero in a complete design, taken at
//! the pooled spread otherwise), and Welch-Satterthwaite degrees of
//! freedom from the points' own (`d_i = Σ_r (1 − h_ir)`, the residual df a
//! point's cells carry; `d₀ + d_i` when moderated; the table's when
//! pooled). The cell weights stay 1: weighting points by their estimated
//! inverse variances let a point with a small estimate pull the block
//! effects onto its own values and collapse its spread to zero.
//!
//! **The choice** ([`CHOSEN`]: Huber, each point's own spread) is the
//! simulations' (`simulation::choice` and `simulation::best`; tables in
//! `docs/statistics-block-design.md`): own spreads are the only ones that
//! hold the level in every scenario and family tried — pooled spreads
//! false-alarm in 17–37% of A/A runs when one point is 5× noisier,
//! moderated ones in 8–11% when each point's CV is drawn from 1–5% — and
//! Huber keeps power against t₃ tails and slow processes that least
//! squares loses. The `(P − 1)/(P − 2)` guard on own spreads (`unbiased`)
//! is what makes Huber's small-sample sandwich hold at 6–12 points.

use super::super::StatsError;
use super::fit::TwoWay;
use super::moderate::moderated;
use super::table::BlockTable;
use serde::{Deserialize, Serialize};
use statrs::distribution::{Continuous, ContinuousCDF, Normal};

/// How the per-process spread is modelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Spread {
    /// One residual variance for every point.
    Pooled,
    /// Each point's variance shrunk toward the pool (empirical Bayes).
    Moderated,
    /// Each point's own variance (Welch-type comparisons).
    Own,
}

/// One candidate analysis.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Method {
    /// Huber M-estimation instead of least squares.
    pub robust: bool,
    pub spread: Spread,
}

/// The analysis tuner uses, chosen by simulation (see the module docs).
pub(crate) const CHOSEN: Method = Method {
    robust: true,
    spread: Spread::Own,
};

impl Method {
    /// A short name for tables: "OLS pooled", "Huber moderated", ...
    pub(crate) fn name(&self) -> &'static str {
        match (self.robust, self.spread) {
            (false, Spread::Pooled) => "OLS pooled",
            (false, Spread::Moderated) => "OLS moderated",
            (true, Spread::Pooled) => "Huber pooled",
            (true, Spread::Moderated) => "Huber moderated",
            (false, Spread::Own) => "OLS own",
            (true, Spread::Own) => "Huber own",
        }
    }
}

/// Huber's tuning constant: 95% efficiency at the normal.
const HUBER_K: f64 = 1.345;

/// A fitted design: effects and each point's spread on the log scale.
#[derive(Clone, Debug)]
pub(crate) struct Fitted {
    pub fit: TwoWay,
    /// Each point's variance per process, log scale (NaN without values).
    pub var: Vec<f64>,
    /// Degrees of freedom of each point's variance.
    pub df: Vec<f64>,
    /// Values per point.
    pub counts: Vec<usize>,
    /// The pooled per-process variance.
    pub pooled_var: f64,
}

/// A difference of two points' effects (log scale).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Contrast {
    pub estimate: f64,
    pub se: f64,
    pub df: f64,
}

impl Fitted {
    /// True when point `i` has values.
    pub(crate) fn has(&self, i: usize) -> bool {
        self.counts[i] > 0
    }

    /// The variance of point `i`'s own mean: its per-process variance
    /// over its values.
    pub(crate) fn point_var(&self, i: usize) -> f64 {
        self.var[i] * self.fit.own_var(i)
    }

    /// `α_i − α_j`; `None` when either point has no values or the two
    /// leave no degrees of freedom to judge it by. Its variance
    /// is each point's own part plus the part through the block effects
    /// (zero in a complete design), taken at the pooled spread.
    pub(crate) fn contrast(&self, i: usize, j: usize) -> Option<Contrast> {
        if !(self.has(i) && self.has(j)) {
            return None;
        }
        let (vi, vj) = (self.point_var(i), self.point_var(j));
        let blocks = self.pooled_var * self.fit.block_term(i, j);
        let c = Contrast {
            estimate: self.fit.point[i] - self.fit.point[j],
            se: (vi + vj + blocks).sqrt(),
            df: welch(vi, self.df[i], vj, self.df[j]),
        };
        (c.df > 0.0 && c.se.is_finite() && c.estimate.is_finite()).then_some(c)
    }

    /// The pooled per-process SD on the log scale: the root mean of the
    /// points' variances weighted by their degrees of freedom.
    pub(crate) fn pooled_sd(&self) -> f64 {
        let (mut s, mut n) = (0.0, 0.0);
        for (i, &v) in self.var.iter().enumerate().filter(|(_, v)| v.is_finite()) {
            let w = self.counts[i].saturating_sub(1).max(1) as f64;
            s += w * v;
            n += w;
        }
        (s / n).sqrt()
    }
}

/// Welch-Satterthwaite degrees of freedom of `v_i + v_j`.
fn welch(vi: f64, di: f64, vj: f64, dj: f64) -> f64 {
    let term = |v: f64, d: f64| if d.is_infinite() { 0.0 } else { v * v / d };
    let denominator = term(vi, di) + term(vj, dj);
    if denominator == 0.0 {
        f64::INFINITY
    } else {
        (vi + vj).powi(2) / denominator
    }
}

/// Fits `table` by `method`.
pub(crate) fn analyse(table: &BlockTable, method: Method) -> Result<Fitted, StatsError> {
    let y = table.logs();
    let counts: Vec<usize> = (0..table.points()).map(|i| table.count(i)).collect();
    if counts.iter().filter(|&&c| c > 0).count() < 2 {
        return Err(StatsError::empty(
            "a block design (fewer than two points have values)",
        ));
    }
    let ones: Vec<Vec<f64>> = y.iter().map(|r| vec![1.0; r.len()]).collect();
    let ols = TwoWay::fit(&y, &ones)?;
    let d = residual_df(&y, &ols);
    let residual_df: f64 = d.iter().sum();
    if residual_df < 0.5 {
        return Err(StatsError::empty(
            "a block design (no residual degrees of freedom: one round, or no point in two)",
        ));
    }
    let per_df = |ss: Vec<f64>, scale: f64| -> Vec<f64> {
        ss.iter().zip(&d).map(|(s, d)| s / (d * scale)).collect()
    };
    let own = per_df(residual_sums(&y, &ols, |e, _| e * e), 1.0);
    let (mut var, mut df) = spread(&own, &d, &counts, method.spread, residual_df);
    if !method.robust {
        return Ok(Fitted {
            pooled_var: pooled(&own, &d),
            fit: ols,
            var,
            df,
            counts,
        });
    }
    // Huber: clip each point's residuals at k times its scale, re-estimate
    // the scale from the clipped residuals (proposal 2), a few rounds.
    let beta_k = huber_consistency(HUBER_K);
    let mut fit = ols;
    for _ in 0..4 {
        fit = huber_irls(&y, fit, &var)?;
        let clip = |e: f64, i: usize| e.clamp(-HUBER_K * var[i].sqrt(), HUBER_K * var[i].sqrt());
        let own = per_df(residual_sums(&y, &fit, |e, i| clip(e, i).powi(2)), beta_k);
        var = spread(&own, &d, &counts, method.spread, residual_df).0;
    }
    // Pseudo-observations ŷ + ψ(e)/m_i, m_i the share of point i's
    // residuals inside the clip: least squares on them gives the
    // M-estimates and their spread the sandwich variance.
    let limit: Vec<f64> = var.iter().map(|v| HUBER_K * v.sqrt()).collect();
    let shares: Vec<(usize, usize)> = y
        .iter()
        .enumerate()
        .map(|(i, row)| {
            row.iter()
                .enumerate()
                .filter_map(|(r, v)| v.map(|v| (v - fit.fitted(i, r)).abs() <= limit[i]))
                .fold((0usize, 0usize), |(a, n), inside| {
                    (a + usize::from(inside), n + 1)
                })
        })
        .collect();
    let m: Vec<f64> = shares
        .iter()
        .map(|&(a, n)| (a as f64 / n.max(1) as f64).max(MIN_INSIDE))
        .collect();
    let pseudo: Vec<Vec<Option<f64>>> = y
        .iter()
        .enumerate()
        .map(|(i, row)| {
            row.iter()
                .enumerate()
                .map(|(r, v)| {
                    v.map(|v| {
                        let f = fit.fitted(i, r);
                        f + (v - f).clamp(-limit[i], limit[i]) / m[i]
                    })
                })
                .collect()
        })
        .collect();
    let fit = TwoWay::fit(&pseudo, &ones)?;
    let own = per_df(residual_sums(&pseudo, &fit, |e, _| e * e), 1.0);
    (var, df) = spread(&own, &d, &counts, method.spread, residual_df);
    Ok(Fitted {
        pooled_var: pooled(&own, &d),
        fit,
        var,
        df,
        counts,
    })
}

/// Least share of a point's residuals counted inside the clip, so one
/// wild point cannot divide by nearly zero.
const MIN_INSIDE: f64 = 0.3;

/// The degrees-of-freedom-weighted mean of the points' variances.
fn pooled(own: &[f64], d: &[f64]) -> f64 {
    let (s, n) = own
        .iter()
        .zip(d)
        .filter(|(v, d)| **d > 1e-9 && v.is_finite())
        .fold((0.0, 0.0), |(s, n), (v, d)| (s + v * d, n + d));
    s / n
}

/// Per point: the sum of `f(residual, point)` over its cells.
fn residual_sums(y: &[Vec<Option<f64>>], fit: &TwoWay, f: impl Fn(f64, usize) -> f64) -> Vec<f64> {
    y.iter()
        .enumerate()
        .map(|(i, row)| {
            row.iter()
                .enumerate()
                .filter_map(|(r, v)| v.map(|v| f(v - fit.fitted(i, r), i)))
                .sum()
        })
        .collect()
}

/// Per point: the residual degrees of freedom its cells carry, `Σ (1 − h)`.
fn residual_df(y: &[Vec<Option<f64>>], fit: &TwoWay) -> Vec<f64> {
    y.iter()
        .enumerate()
        .map(|(i, row)| {
            row.iter()
                .enumerate()
                .filter(|(_, v)| v.is_some())
                .map(|(r, _)| 1.0 - fit.leverage(i, r, 1.0))
                .sum()
        })
        .collect()
}

/// The least variance on the log scale a point is given: a spread of one
/// part per million, below any clock's resolution. Identical values (a
/// synthetic table, or a counter that does not vary) would otherwise give
/// Huber's weights 0/0; at the floor, any real difference is decided and
/// none is invented.
const VAR_FLOOR: f64 = 1e-12;

/// Each point's variance and its degrees of freedom under `spread`.
fn spread(
    own: &[f64],
    d: &[f64],
    counts: &[usize],
    spread: Spread,
    residual_df: f64,
) -> (Vec<f64>, Vec<f64>) {
    let (var, df) = unfloored_spread(own, d, counts, spread, residual_df);
    (var.into_iter().map(|v| v.max(VAR_FLOOR)).collect(), df)
}

fn unfloored_spread(
    own: &[f64],
    d: &[f64],
    counts: &[usize],
    spread: Spread,
    residual_df: f64,
) -> (Vec<f64>, Vec<f64>) {
    let usable = |i: usize| d[i] > 1e-9 && own[i].is_finite();
    let pooled = {
        let (s, n) = (0..own.len())
            .filter(|&i| usable(i))
            .fold((0.0, 0.0), |(s, n), i| (s + own[i] * d[i], n + d[i]));
        s / n
    };
    match spread {
        Spread::Pooled => (vec![pooled; own.len()], vec![residual_df; own.len()]),
        Spread::Own => {
            let own = unbiased(own, d, counts);
            (0..own.len())
                .map(|i| {
                    if usable(i) {
                        (own[i], d[i])
                    } else {
                        (pooled, residual_df)
                    }
                })
                .unzip()
        }
        Spread::Moderated => moderated(own, d, pooled)
            .into_iter()
            .map(|(v, df)| {
                if df.is_infinite() {
                    (v, residual_df)
                } else {
                    (v, df)
                }
            })
            .unzip(),
    }
}

/// Each point's own variance, made safe when the points' variances
/// differ. In a complete `P × R` two-way table the residual sum of squares
/// of point `i` has expectation `(R − 1)[σ_i²(P − 2)/P + Σ_j σ_j²/P²]`
/// (Grubbs 1948, "On estimating precision of measuring instruments and
/// product variability", JASA 43; Russell & Bradley 1958, Biometrika 45),
/// so dividing it by its homoscedastic degrees of freedom understates a
/// point much noisier than the rest by up to a factor `(P − 2)/(P − 1)`
/// (1/5 at P = 6). Grubbs' unbiased estimators subtract the others' sums
/// and go near zero or negative for quiet points beside a noisy one (the
/// simulations' false alarms rose to 23%), so instead every variance is
/// scaled by `(P − 1)/(P − 2)`: its expectation is then at least `σ_i²`
/// whatever the other points' spreads. With fewer than three points the
/// plain estimates already sum to an unbiased contrast variance.
fn unbiased(own: &[f64], d: &[f64], counts: &[usize]) -> Vec<f64> {
    let p = (0..own.len())
        .filter(|&i| counts[i] > 1 && d[i] > 1e-9 && own[i].is_finite())
        .count() as f64;
    let scale = if p >= 3.0 { (p - 1.0) / (p - 2.0) } else { 1.0 };
    own.iter().map(|v| v * scale).collect()
}

/// Huber IRLS from `start` with fixed per-point scales `√var`. The cell
/// weights are Huber's alone, not the points' inverse variances: a point
/// weighted by a small estimated variance would pull the block effects
/// onto its own values, shrink its residuals and its variance further,
/// and collapse.
fn huber_irls(y: &[Vec<Option<f64>>], start: TwoWay, var: &[f64]) -> Result<TwoWay, StatsError> {
    let mut fit = start;
    for _ in 0..50 {
        let w: Vec<Vec<f64>> = y
            .iter()
            .enumerate()
            .map(|(i, row)| {
                let s = var[i].sqrt();
                row.iter()
                    .enumerate()
                    .map(|(r, v)| {
                        let e = v.map_or(0.0, |v| (v - fit.fitted(i, r)).abs());
                        (HUBER_K * s / e).min(1.0)
                    })
                    .collect()
            })
            .collect();
        let next = TwoWay::fit_effects(y, &w)?;
        let moved = next
            .point
            .iter()
            .zip(&fit.point)
            .filter(|(a, _)| a.is_finite())
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        fit = next;
        if moved < 1e-8 {
            break;
        }
    }
    Ok(fit)
}

/// `E ψ_k(Z)²` for a standard normal `Z`: makes the clipped residuals'
/// variance estimate the normal variance.
fn huber_consistency(k: f64) -> f64 {
    let n = Normal::standard();
    (2.0 * n.cdf(k) - 1.0) - 2.0 * k * n.pdf(k) + 2.0 * k * k * n.sf(k)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Method; 6] = [
        Method {
            robust: false,
            spread: Spread::Pooled,
        },
        Method {
            robust: false,
            spread: Spread::Moderated,
        },
        Method {
            robust: true,
            spread: Spread::Pooled,
        },
        Method {
            robust: true,
            spread: Spread::Moderated,
        },
        Method {
            robust: false,
            spread: Spread::Own,
        },
        Method {
            robust: true,
            spread: Spread::Own,
        },
    ];

    /// Five points, seven rounds with strong round drift, point 3 +5%:
    /// every candidate recovers the 5% (log 0.0488) to within the noise,
    /// and the drift does not enter the spread (≈ 1%, not the 10% drift).
    #[test]
    fn every_candidate_removes_round_drift() {
        let noise: [f64; 35] = [
            0.004, -0.008, 0.011, -0.002, 0.006, -0.012, 0.001, 0.009, -0.005, 0.0, -0.01, 0.007,
            0.003, -0.004, 0.012, -0.009, 0.002, 0.005, -0.006, 0.008, -0.001, 0.01, -0.011, 0.004,
            -0.003, 0.006, -0.007, 0.002, 0.009, -0.008, 0.001, -0.002, 0.011, -0.004, 0.003,
        ];
        let drift = [1.0, 1.1, 0.95, 1.05, 0.9, 1.08, 1.0];
        let rows: Vec<Vec<f64>> = (0..5)
            .map(|i| {
                let shift = if i == 3 { 1.05 } else { 1.0 };
                (0..7)
                    .map(|r| 1000.0 * shift * drift[r] * noise[i * 7 + r].exp())
                    .collect()
            })
            .collect();
        let table = BlockTable::complete(&rows).unwrap();
        for m in ALL {
            let f = analyse(&table, m).unwrap();
            let c = f.contrast(3, 0).unwrap();
            assert!(
                (c.estimate - 1.05f64.ln()).abs() < 0.01,
                "{}: {c:?}",
                m.name()
            );
            assert!(c.se < 0.01 && c.se > 0.002, "{}: {c:?}", m.name());
            assert!(f.pooled_sd() < 0.015, "{}: {}", m.name(), f.pooled_sd());
        }
    }

    /// One slow process (+30%) among 8 × 7 values at ~1% noise: least
    /// squares moves that point's estimate by ≈ 30%/7 ≈ 3.8%; Huber keeps
    /// it within 1.5%.
    #[test]
    fn huber_resists_a_slow_process() {
        let rows: Vec<Vec<f64>> = (0..8)
            .map(|i| {
                (0..7)
                    .map(|r| {
                        let wiggle = 0.01 * (((i * 7 + r) as f64) * 2.3).sin();
                        let slow = if i == 2 && r == 4 { 1.3 } else { 1.0 };
                        1000.0 * slow * wiggle.exp()
                    })
                    .collect()
            })
            .collect();
        let table = BlockTable::complete(&rows).unwrap();
        let ols = analyse(&table, ALL[0]).unwrap().contrast(2, 0).unwrap();
        let huber = Method {
            robust: true,
            spread: Spread::Own,
        };
        let hub = analyse(&table, huber).unwrap().contrast(2, 0).unwrap();
        assert!(ols.estimate > 0.03, "{ols:?}");
        assert!(hub.estimate.abs() < 0.015, "{hub:?}");
        assert!(hub.se < ols.se, "{hub:?} {ols:?}");
    }

    /// Found by the choice simulation: with each point weighted by its
    /// own variance, point 1's variance collapsed to 0 (its weight pulled
    /// the block effects onto its values) and the fit failed as
    /// "disconnected". The variances stay positive now.
    #[test]
    fn a_quiet_point_does_not_collapse_its_own_spread() {
        let rows: [[f64; 5]; 8] = [
            [964.68, 1010.60, 984.31, 957.65, 1005.65],
            [1064.08, 1052.73, 1050.90, 1081.95, 1055.74],
            [1003.32, 989.49, 961.31, 1017.07, 991.51],
            [1036.02, 1078.39, 1079.86, 1054.66, 1052.49],
            [1015.28, 1006.37, 964.43, 964.54, 1002.21],
            [1253.61, 1035.61, 1011.67, 1018.68, 1032.54],
            [981.32, 1020.13, 1008.66, 993.45, 993.17],
            [1030.58, 1052.19, 1069.11, 1361.66, 1077.66],
        ];
        let table = BlockTable::complete(&rows.map(|r| r.to_vec())).unwrap();
        for m in ALL {
            let f = analyse(&table, m).unwrap();
            assert!(f.var.iter().all(|&v| v > 1e-6), "{}: {:?}", m.name(), f.var);
        }
    }

    #[test]
    fn huber_consistency_matches_the_normal_integral() {
        // E ψ²(Z) at k = 1.345 is 0.7102 (numerical integration).
        assert!((huber_consistency(1.345) - 0.7102).abs() < 1e-3);
        assert!((huber_consistency(40.0) - 1.0).abs() < 1e-9);
    }
}
