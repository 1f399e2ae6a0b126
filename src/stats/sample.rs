//! Validated, sorted samples and the order statistics read from them
//! (median, median absolute deviation), plus the reduction of one process's
//! samples to its single value.
//!
//! The unit of replication is the process (DESIGN.md, "Measuring honestly"):
//! each process's samples are reduced to their median, and every test runs
//! across those per-process values. The scaled MAD (1.4826 · MAD, a consistent
//! estimator of the standard deviation under normality) follows Hampel (1974),
//! "The influence curve and its role in robust estimation", JASA 69.

use super::StatsError;

/// Factor that makes the median absolute deviation estimate σ for normal data.
pub(super) const MAD_SCALE: f64 = 1.4826;

/// A non-empty sample of finite values in ascending order.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Sorted(Vec<f64>);

impl Sorted {
    /// Sorts `values`, refusing an empty slice or any NaN or infinite value.
    pub(super) fn new(values: &[f64]) -> Result<Sorted, StatsError> {
        if values.is_empty() {
            return Err(StatsError::empty("a sample"));
        }
        check_finite(values)?;
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        Ok(Sorted(v))
    }

    pub(super) fn len(&self) -> usize {
        self.0.len()
    }

    pub(super) fn as_slice(&self) -> &[f64] {
        &self.0
    }

    pub(super) fn min(&self) -> f64 {
        self.0[0]
    }

    pub(super) fn max(&self) -> f64 {
        self.0[self.0.len() - 1]
    }

    /// The value of 1-based rank `rank`, clamped to 1..=n.
    pub(super) fn order_stat(&self, rank: usize) -> f64 {
        let i = rank.clamp(1, self.0.len()) - 1;
        self.0[i]
    }

    /// The sample median (mean of the two middle values when n is even).
    pub(super) fn median(&self) -> f64 {
        let n = self.0.len();
        if n % 2 == 1 {
            self.0[n / 2]
        } else {
            (self.0[n / 2 - 1] + self.0[n / 2]) / 2.0
        }
    }

    /// The raw median absolute deviation from the median (not scaled).
    pub(super) fn mad(&self) -> f64 {
        let m = self.median();
        let deviations: Vec<f64> = self.0.iter().map(|x| (x - m).abs()).collect();
        // Deviations of finite values are finite, so this cannot fail.
        Sorted::new(&deviations).map_or(0.0, |d| d.median())
    }
}

/// The median of `values`; an error for an empty slice or a non-finite value.
pub(crate) fn median(values: &[f64]) -> Result<f64, StatsError> {
    Ok(Sorted::new(values)?.median())
}

/// The scaled MAD (1.4826 · MAD): the standard deviation for normal data,
/// robust to a few far values (Hampel 1974); NaN for no finite values.
pub(crate) fn robust_sd(values: &[f64]) -> f64 {
    Sorted::new(values).map_or(f64::NAN, |s| MAD_SCALE * s.mad())
}

/// Reduces each process's samples to their median: one value per process.
pub(super) fn per_process_medians(samples: &[Vec<f64>]) -> Result<Vec<f64>, StatsError> {
    if samples.is_empty() {
        return Err(StatsError::empty("processes"));
    }
    samples.iter().map(|s| median(s)).collect()
}

pub(crate) fn check_finite(values: &[f64]) -> Result<(), StatsError> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(StatsError::NonFinite {
            index,
            value: values[index],
        }),
        None => Ok(()),
    }
}

pub(crate) fn check_positive(values: &[f64]) -> Result<(), StatsError> {
    check_finite(values)?;
    match values.iter().position(|v| *v <= 0.0) {
        Some(index) => Err(StatsError::NonPositive {
            index,
            value: values[index],
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_samples() {
        assert_eq!(median(&[3.0, 1.0, 2.0]).unwrap(), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]).unwrap(), 2.5);
    }

    #[test]
    fn mad_of_a_small_sample() {
        // Deviations from the median 3 are 2,1,0,1,6 → median 1.
        let s = Sorted::new(&[1.0, 2.0, 3.0, 4.0, 9.0]).unwrap();
        assert_eq!(s.mad(), 1.0);
    }

    #[test]
    fn refuses_empty_and_nan() {
        assert_eq!(median(&[]), Err(StatsError::empty("a sample")));
        let err = median(&[1.0, f64::NAN]).unwrap_err();
        assert!(matches!(err, StatsError::NonFinite { index: 1, .. }));
        let err = check_positive(&[1.0, 0.0]).unwrap_err();
        assert!(matches!(err, StatsError::NonPositive { index: 1, .. }));
    }

    #[test]
    fn one_value_per_process() {
        let samples = vec![vec![1.0, 5.0, 2.0], vec![10.0, 11.0]];
        assert_eq!(per_process_medians(&samples).unwrap(), vec![2.0, 10.5]);
    }
}
