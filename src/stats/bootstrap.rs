//! Percentile bootstrap of a ratio of medians over processes (Efron &
//! Tibshirani, "An Introduction to the Bootstrap", 1993, ch. 13): each
//! replicate resamples both groups' process values with replacement.

use rand::{Rng, SeedableRng};

use super::Interval;

/// Replicates per interval; the percentile endpoints are stable to ~0.5%.
const REPLICATES: usize = 2000;

/// The interval of `median(num) / median(den)` at `level`, with a fixed
/// seed so a report re-rendered from the same results says the same.
/// `None` when either group has fewer than 2 values.
pub fn ratio_of_medians(num: &[f64], den: &[f64], level: f64) -> Option<Interval> {
    if num.len() < 2 || den.len() < 2 {
        return None;
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0x7475_6e65_72);
    let mut scratch = Vec::with_capacity(num.len().max(den.len()));
    let mut ratios: Vec<f64> = (0..REPLICATES)
        .map(|_| {
            resampled_median(num, &mut rng, &mut scratch)
                / resampled_median(den, &mut rng, &mut scratch)
        })
        .filter(|r| r.is_finite())
        .collect();
    ratios.sort_by(f64::total_cmp);
    let at = |q: f64| ratios[((ratios.len() - 1) as f64 * q).round() as usize];
    let tail = (1.0 - level) / 2.0;
    Some(Interval {
        lo: at(tail),
        hi: at(1.0 - tail),
        level,
    })
}

fn resampled_median(values: &[f64], rng: &mut impl Rng, scratch: &mut Vec<f64>) -> f64 {
    scratch.clear();
    scratch.extend((0..values.len()).map(|_| values[rng.gen_range(0..values.len())]));
    scratch.sort_by(f64::total_cmp);
    let n = scratch.len();
    if n % 2 == 1 {
        scratch[n / 2]
    } else {
        (scratch[n / 2 - 1] + scratch[n / 2]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_brackets_the_true_ratio() {
        let base: Vec<f64> = (0..10).map(|i| 100.0 + i as f64).collect();
        let head: Vec<f64> = base.iter().map(|x| x / 2.0).collect();
        let ci = ratio_of_medians(&base, &head, 0.95).unwrap();
        assert!(ci.lo < 2.0 && ci.hi > 2.0, "{ci:?}");
        assert!(ci.lo > 1.85 && ci.hi < 2.15, "{ci:?}");
        // Identical groups: the interval is centred on 1.
        let ci = ratio_of_medians(&base, &base, 0.95).unwrap();
        assert!(
            ci.lo < 1.0 && ci.hi > 1.0 && (ci.lo * ci.hi - 1.0).abs() < 0.01,
            "{ci:?}"
        );
    }

    #[test]
    fn too_few_values_give_no_interval() {
        assert_eq!(ratio_of_medians(&[1.0], &[1.0, 2.0], 0.95), None);
    }
}
