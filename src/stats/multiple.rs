//! Correction for many comparisons: Holm-Bonferroni adjusted p-values.
//!
//! Holm (1979), "A simple sequentially rejective multiple test procedure",
//! Scand. J. Statist. 6: sort the m p-values ascending, multiply the i-th
//! smallest by (m − i + 1), cap at 1, and make the sequence monotone
//! non-decreasing (each adjusted value is the running maximum). Rejecting
//! where the adjusted p < α controls the family-wise error rate at α under
//! any dependence between the tests, and is uniformly more powerful than
//! plain Bonferroni. We chose it over Benjamini-Hochberg because a report's
//! verdicts are read one by one as "this changed": a false "slower" anywhere
//! in a report is what we want to bound, not the expected share of them.
//!
//! The family is every point × metric compared in one report. Every kind
//! of comparison (independent, paired, blocked) implements [`Tested`], so
//! one [`adjust_family`] corrects and re-decides any of them.

/// A comparison with a raw p-value whose verdict depends on the adjusted one.
pub(crate) trait Tested {
    /// The unadjusted p-value; `None` when no test was made.
    fn raw_p(&self) -> Option<f64>;
    /// Records the adjusted p-value and re-decides the verdict with it.
    fn set_adjusted(&mut self, p_adjusted: f64);
}

/// Applies Holm's correction across every comparison that has a test, then
/// re-decides each one's verdict with its adjusted p-value.
pub(crate) fn adjust_family<T: Tested>(family: &mut [T]) {
    let tested: Vec<(usize, f64)> = family
        .iter()
        .enumerate()
        .filter_map(|(i, c)| c.raw_p().map(|p| (i, p)))
        .collect();
    let raw: Vec<f64> = tested.iter().map(|(_, p)| *p).collect();
    for ((i, _), adjusted) in tested.iter().zip(holm(&raw)) {
        family[*i].set_adjusted(adjusted);
    }
}

/// Holm-adjusted p-values, in the order given. A NaN p-value is treated as
/// 1 (no evidence), so it can never produce a rejection.
/// Holm over the comparisons `get` finds inside `items`, adjusted in
/// place; the family's size (the comparisons that had a test). Every
/// report family — points against a baseline, two runs, two builds —
/// goes through here.
pub(crate) fn adjust_within<I, T: Tested>(
    items: &mut [I],
    get: impl FnMut(&mut I) -> Option<&mut T>,
) -> usize {
    let mut family: Vec<&mut T> = items.iter_mut().filter_map(get).collect();
    adjust_family(&mut family);
    family.iter().filter(|c| c.raw_p().is_some()).count()
}

impl<T: Tested> Tested for &mut T {
    fn raw_p(&self) -> Option<f64> {
        (**self).raw_p()
    }

    fn set_adjusted(&mut self, p_adjusted: f64) {
        (**self).set_adjusted(p_adjusted)
    }
}

pub(crate) fn holm(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let clean = |x: f64| if x.is_nan() { 1.0 } else { x.clamp(0.0, 1.0) };
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| clean(p[a]).total_cmp(&clean(p[b])));
    let mut adjusted = vec![1.0; m];
    let mut running = 0.0f64;
    for (i, &idx) in order.iter().enumerate() {
        let scaled = ((m - i) as f64 * clean(p[idx])).min(1.0);
        running = running.max(scaled);
        adjusted[idx] = running;
    }
    adjusted
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-12)
    }

    /// The worked example on Wikipedia's "Holm–Bonferroni method" page
    /// (p = 0.01, 0.04, 0.03, 0.005; at α = 0.05 reject H1 and H4 only);
    /// R's `p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm")` gives
    /// 0.03 0.06 0.06 0.02.
    #[test]
    fn known_vector() {
        let adj = holm(&[0.01, 0.04, 0.03, 0.005]);
        assert!(close(&adj, &[0.03, 0.06, 0.06, 0.02]), "{adj:?}");
        let rejected: Vec<bool> = adj.iter().map(|p| *p < 0.05).collect();
        assert_eq!(rejected, vec![true, false, false, true]);
    }

    #[test]
    fn caps_at_one_and_keeps_order_monotone() {
        let adj = holm(&[0.5, 0.4, 0.001]);
        assert!(close(&adj, &[0.8, 0.8, 0.003]), "{adj:?}");
        assert!(close(&holm(&[0.9, 0.8]), &[1.0, 1.0]));
    }

    #[test]
    fn nan_counts_as_no_evidence_and_empty_is_empty() {
        let adj = holm(&[f64::NAN, 0.01]);
        assert!(close(&adj, &[1.0, 0.02]), "{adj:?}");
        assert!(holm(&[]).is_empty());
    }
}
