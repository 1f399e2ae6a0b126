//! Weighted least squares for the additive two-way model
//! `y[i][r] = α_i + β_r + e[i][r]` (point `i`, block `r`) with missing
//! cells: the workhorse under every candidate analysis.
//!
//! Method: the block effects are solved from the reduced normal equations
//! of an incomplete block design (Yates 1936; John & Williams, "Cyclic and
//! Computer Generated Designs", 1995, §1.2): with cell weights `w`,
//! `W_i = Σ_r w_ir`, `V_r = Σ_i w_ir` and `a_ir = w_ir / W_i`,
//! `C β = q`, `C = diag(V) − Σ_i W_i a_i a_iᵀ`, `q_r = Σ_i w_ir (y_ir − ȳ_i)`,
//! with the first observed block as reference (`β = 0`), then
//! `α_i = ȳ_i − a_iᵀβ`. `ȳ_i` is uncorrelated with `q`, so with
//! `Var(e_ir) = 1/w_ir` (weights are inverse variances),
//! `Var(α_i − α_j) = 1/W_i + 1/W_j + (a_i − a_j)ᵀ C⁻¹ (a_i − a_j)`, and
//! the leverage of a cell is `h_ir = w_ir (1/W_i + (e_r − a_i)ᵀ C⁻¹ (e_r − a_i))`.
//! In a complete design `a_i` is the same for every point, so a contrast
//! is the difference of the points' weighted means and the blocks only
//! remove their variation from the residuals. `C` is factored once
//! (Cholesky, nalgebra); a design whose points cannot all be compared
//! through shared blocks (disconnected) is an error.

use super::super::StatsError;
use nalgebra::{DMatrix, DVector};

/// A fitted two-way model.
#[derive(Clone, Debug)]
pub(crate) struct TwoWay {
    /// `α_i`; NaN for a point without values.
    pub point: Vec<f64>,
    /// `β_r`; 0 for the reference block and blocks without values.
    pub block: Vec<f64>,
    /// `1/W_i` (infinite for a point without values).
    inv_weight: Vec<f64>,
    /// `L⁻¹ a_i` over the free blocks, per point (`C = L Lᵀ`).
    z: Vec<Vec<f64>>,
    /// `L⁻¹ e_r` per block (zero for the reference and unobserved blocks).
    u: Vec<Vec<f64>>,
}

impl TwoWay {
    /// Fits `y` (log values, `None` missing) with cell weights `w` (a
    /// missing cell's weight is ignored), with everything the variances
    /// and leverages need.
    pub(crate) fn fit(y: &[Vec<Option<f64>>], w: &[Vec<f64>]) -> Result<TwoWay, StatsError> {
        TwoWay::solve(y, w, true)
    }

    /// The effects alone (for the iterations of a robust fit):
    /// `contrast_var` and `leverage` must not be called on the result.
    pub(crate) fn fit_effects(
        y: &[Vec<Option<f64>>],
        w: &[Vec<f64>],
    ) -> Result<TwoWay, StatsError> {
        TwoWay::solve(y, w, false)
    }

    fn solve(y: &[Vec<Option<f64>>], w: &[Vec<f64>], full: bool) -> Result<TwoWay, StatsError> {
        let (points, blocks) = (y.len(), y.first().map_or(0, Vec::len));
        let wt: Vec<Vec<f64>> = y
            .iter()
            .zip(w)
            .map(|(yr, wr)| {
                yr.iter()
                    .zip(wr)
                    .map(|(v, &x)| if v.is_some() { x } else { 0.0 })
                    .collect()
            })
            .collect();
        let big_w: Vec<f64> = wt.iter().map(|r| r.iter().sum()).collect();
        let v: Vec<f64> = (0..blocks)
            .map(|r| wt.iter().map(|row| row[r]).sum())
            .collect();
        let observed: Vec<usize> = (0..blocks).filter(|&r| v[r] > 0.0).collect();
        // Free blocks: every observed one but the first (the reference).
        let free: Vec<usize> = observed.iter().skip(1).copied().collect();
        let nf = free.len();
        let mean: Vec<f64> = (0..points)
            .map(|i| {
                let s: f64 = (0..blocks)
                    .filter_map(|r| y[i][r].map(|x| wt[i][r] * x))
                    .sum();
                s / big_w[i]
            })
            .collect();
        let used: Vec<usize> = (0..points).filter(|&i| big_w[i] > 0.0).collect();
        // a_i over the free blocks.
        let a: Vec<Vec<f64>> = (0..points)
            .map(|i| {
                free.iter()
                    .map(|&r| {
                        if big_w[i] > 0.0 {
                            wt[i][r] / big_w[i]
                        } else {
                            0.0
                        }
                    })
                    .collect()
            })
            .collect();
        let mut c = DMatrix::<f64>::zeros(nf, nf);
        let mut q = DVector::<f64>::zeros(nf);
        for (k, &r) in free.iter().enumerate() {
            c[(k, k)] = v[r];
        }
        for &i in &used {
            let ai = &a[i];
            for k in (0..nf).filter(|&k| ai[k] != 0.0) {
                let scale = big_w[i] * ai[k];
                for l in 0..nf {
                    c[(k, l)] -= scale * ai[l];
                }
                let r = free[k];
                q[k] += wt[i][r] * (y[i][r].unwrap_or(0.0) - mean[i]);
            }
        }
        let chol = nalgebra::Cholesky::new(c.clone())
            .filter(|ch| (0..nf).all(|k| ch.l_dirty()[(k, k)].powi(2) > 1e-10 * c[(k, k)].abs()))
            .ok_or_else(|| StatsError::InvalidSetting {
                name: "blocks".into(),
                value: nf as f64,
                expected: "a connected design: points compared through blocks they share".into(),
            })?;
        let beta_free = chol.solve(&q);
        let mut block = vec![0.0; blocks];
        for (k, &r) in free.iter().enumerate() {
            block[r] = beta_free[k];
        }
        let mut point = vec![f64::NAN; points];
        for &i in &used {
            point[i] = mean[i]
                - a[i]
                    .iter()
                    .zip(beta_free.iter())
                    .map(|(x, b)| x * b)
                    .sum::<f64>();
        }
        let (mut z, mut u) = (Vec::new(), Vec::new());
        if full {
            let l = chol.l();
            let solve = |b: DVector<f64>| -> Vec<f64> {
                l.solve_lower_triangular(&b)
                    .expect("a Cholesky factor is invertible")
                    .iter()
                    .copied()
                    .collect()
            };
            z = vec![vec![0.0; nf]; points];
            for &i in &used {
                z[i] = solve(DVector::from_column_slice(&a[i]));
            }
            u = vec![vec![0.0; nf]; blocks];
            for (k, &r) in free.iter().enumerate() {
                let mut e = DVector::zeros(nf);
                e[k] = 1.0;
                u[r] = solve(e);
            }
        }
        Ok(TwoWay {
            point,
            block,
            inv_weight: big_w.iter().map(|&x| 1.0 / x).collect(),
            z,
            u,
        })
    }

    /// The fitted value of cell `(i, r)`.
    pub(crate) fn fitted(&self, i: usize, r: usize) -> f64 {
        self.point[i] + self.block[r]
    }

    /// `Var(α_i − α_j)` in units where `Var(e_ir) = 1/w_ir`.
    #[cfg(test)]
    pub(crate) fn contrast_var(&self, i: usize, j: usize) -> f64 {
        self.inv_weight[i] + self.inv_weight[j] + self.block_term(i, j)
    }

    /// The part of `Var(α_i − α_j)` that comes through the block effects,
    /// `(a_i − a_j)ᵀ C⁻¹ (a_i − a_j)`: zero in a complete design.
    pub(crate) fn block_term(&self, i: usize, j: usize) -> f64 {
        self.z[i]
            .iter()
            .zip(&self.z[j])
            .map(|(a, b)| (a - b).powi(2))
            .sum()
    }

    /// `1/W_i`: the variance of point `i`'s own weighted mean.
    pub(crate) fn own_var(&self, i: usize) -> f64 {
        self.inv_weight[i]
    }

    /// The leverage of cell `(i, r)` with weight `w`.
    pub(crate) fn leverage(&self, i: usize, r: usize, w: f64) -> f64 {
        let d: f64 = self.u[r]
            .iter()
            .zip(&self.z[i])
            .map(|(a, b)| (a - b).powi(2))
            .sum();
        w * (self.inv_weight[i] + d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn some(rows: &[&[f64]]) -> Vec<Vec<Option<f64>>> {
        rows.iter()
            .map(|r| r.iter().map(|&x| Some(x)).collect())
            .collect()
    }

    fn ones(y: &[Vec<Option<f64>>]) -> Vec<Vec<f64>> {
        y.iter().map(|r| vec![1.0; r.len()]).collect()
    }

    /// An exactly additive complete table is fitted exactly; a contrast's
    /// variance is 1/R + 1/R and the leverages add up to the parameters.
    #[test]
    fn additive_complete_table_is_recovered() {
        let alpha = [1.0, 2.5, -0.5];
        let beta = [0.0, 0.3, -0.2, 0.7];
        let y: Vec<Vec<Option<f64>>> = alpha
            .iter()
            .map(|a| beta.iter().map(|b| Some(a + b)).collect())
            .collect();
        let f = TwoWay::fit(&y, &ones(&y)).unwrap();
        for (i, row) in y.iter().enumerate() {
            for (r, v) in row.iter().enumerate() {
                assert!((f.fitted(i, r) - v.unwrap()).abs() < 1e-12);
            }
        }
        assert!((f.point[1] - f.point[0] - 1.5).abs() < 1e-12);
        assert!((f.contrast_var(0, 2) - 0.5).abs() < 1e-12);
        let h: f64 = (0..3)
            .flat_map(|i| (0..4).map(move |r| (i, r)))
            .map(|(i, r)| f.leverage(i, r, 1.0))
            .sum();
        assert!((h - (3.0 + 4.0 - 1.0)).abs() < 1e-9, "{h}");
    }

    /// A missing cell: the block effect is carried by the other points, so
    /// the estimate is still exact on additive data, and the contrast's
    /// variance grows: by hand for 2 points × 2 blocks with one hole,
    /// point 1 has one value, `Var(α_1 − α_0) = 1 + 1/2 + ...`; here we
    /// check it against brute force: the variance of the estimator is
    /// `Σ c_k²` over its linear weights on the data.
    #[test]
    fn missing_cells_keep_additive_estimates_and_widen_the_variance() {
        let mut y = some(&[&[1.0, 1.4, 0.9], &[2.0, 2.4, 1.9], &[0.0, 0.4, -0.1]]);
        y[1][2] = None;
        let f = TwoWay::fit(&y, &ones(&y)).unwrap();
        assert!((f.point[1] - f.point[0] - 1.0).abs() < 1e-12);
        // Linear weights of α_1 − α_0 on the data, by perturbing each cell.
        let base = f.point[1] - f.point[0];
        let mut var = 0.0;
        for i in 0..3 {
            for r in 0..3 {
                if let Some(x) = y[i][r] {
                    let mut yy = y.clone();
                    yy[i][r] = Some(x + 1.0);
                    let g = TwoWay::fit(&yy, &ones(&yy)).unwrap();
                    var += (g.point[1] - g.point[0] - base).powi(2);
                }
            }
        }
        assert!((f.contrast_var(1, 0) - var).abs() < 1e-9, "{var}");
        assert!(f.contrast_var(1, 0) > 1.0 / 3.0 + 1.0 / 2.0);
    }

    #[test]
    fn a_disconnected_design_is_an_error() {
        let y = vec![
            vec![Some(1.0), Some(1.1), None, None],
            vec![None, None, Some(2.0), Some(2.1)],
        ];
        let f = TwoWay::fit(&y, &ones(&y));
        assert!(f.is_err(), "{f:?}");
    }
}
