//! The geometric-mean row of a two-run comparison: the typical change across
//! all points, `exp(mean ln(head/base)) − 1`, with a bootstrap interval.
//!
//! Points are matched by key; points present in only one run are listed and
//! make the row carry a warning, since a geometric mean over different point
//! sets compares different things (Fleming & Wallace 1986, "How not to lie
//! with statistics: the correct way to summarize benchmark results", CACM 29,
//! for why ratios are summarised by the geometric mean).
//!
//! Interval: percentile bootstrap over points (Efron & Tibshirani, "An
//! Introduction to the Bootstrap", 1993, ch. 13), resampling the per-point
//! log-ratios with replacement from a fixed-seed ChaCha8 generator so a
//! report is reproducible. It describes the variation *across points*, not
//! the measurement noise within them, and its `level` is the nominal one (the
//! bootstrap has no exact coverage). Withheld below 6 points.

use super::effect::to_pct;
use super::guard::MIN_FOR_INTERVAL;
use super::sample::check_positive;
use super::{Guard, Interval, Sorted, StatsError};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Settings of the bootstrap.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct GeoMeanSettings {
    pub confidence: f64,
    pub resamples: usize,
    pub seed: u64,
}

impl Default for GeoMeanSettings {
    fn default() -> Self {
        GeoMeanSettings {
            confidence: 0.95,
            resamples: 2000,
            seed: 0x0074_756e_6572, // "tuner" in ASCII
        }
    }
}

/// The geometric mean of head/base ratios over the points both runs share.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GeoMean {
    /// Number of points in common.
    pub points: usize,
    /// Geometric-mean change in percent.
    pub change_pct: f64,
    pub ci: Option<Interval>,
    pub guard: Option<Guard>,
    pub only_in_base: Vec<String>,
    pub only_in_head: Vec<String>,
}

impl GeoMean {
    pub fn sets_differ(&self) -> bool {
        !self.only_in_base.is_empty() || !self.only_in_head.is_empty()
    }

    /// A one-line warning when the runs' point sets differ.
    pub fn warning(&self) -> Option<String> {
        self.sets_differ().then(|| {
            format!(
                "point sets differ: the geometric mean covers the {} points in common; \
                 only in base: {}; only in head: {}",
                self.points,
                list_or_none(&self.only_in_base),
                list_or_none(&self.only_in_head)
            )
        })
    }
}

fn list_or_none(keys: &[String]) -> String {
    if keys.is_empty() {
        "none".to_string()
    } else {
        keys.join(", ")
    }
}

/// Geometric-mean change of `head` over `base`, each a list of
/// `(point key, value)` with positive values (typically per-point medians).
pub fn geomean_change(
    base: &[(String, f64)],
    head: &[(String, f64)],
    settings: &GeoMeanSettings,
) -> Result<GeoMean, StatsError> {
    StatsError::check_unit_open("confidence", settings.confidence)?;
    let base_map = keyed(base)?;
    let head_map = keyed(head)?;
    let log_ratios: Vec<f64> = base_map
        .iter()
        .filter_map(|(k, b)| head_map.get(k).map(|h| (h / b).ln()))
        .collect();
    if log_ratios.is_empty() {
        return Err(StatsError::empty("a geometric mean (no points in common)"));
    }
    let (ci, guard) = bootstrap_ci(&log_ratios, settings);
    Ok(GeoMean {
        points: log_ratios.len(),
        change_pct: to_pct(mean(&log_ratios)),
        ci,
        guard,
        only_in_base: missing_from(&base_map, &head_map),
        only_in_head: missing_from(&head_map, &base_map),
    })
}

fn keyed(points: &[(String, f64)]) -> Result<BTreeMap<String, f64>, StatsError> {
    let values: Vec<f64> = points.iter().map(|(_, v)| *v).collect();
    check_positive(&values)?;
    let mut map = BTreeMap::new();
    for (key, value) in points {
        if map.insert(key.clone(), *value).is_some() {
            return Err(StatsError::DuplicateKey { key: key.clone() });
        }
    }
    Ok(map)
}

fn missing_from(a: &BTreeMap<String, f64>, b: &BTreeMap<String, f64>) -> Vec<String> {
    a.keys().filter(|k| !b.contains_key(*k)).cloned().collect()
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

fn bootstrap_ci(log_ratios: &[f64], s: &GeoMeanSettings) -> (Option<Interval>, Option<Guard>) {
    let k = log_ratios.len();
    if k < MIN_FOR_INTERVAL || s.resamples == 0 {
        let guard = Guard::FewPoints {
            have: k,
            need: MIN_FOR_INTERVAL,
        };
        return (None, Some(guard));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(s.seed);
    let means: Vec<f64> = (0..s.resamples)
        .map(|_| (0..k).map(|_| log_ratios[rng.gen_range(0..k)]).sum::<f64>() / k as f64)
        .collect();
    let Ok(sorted) = Sorted::new(&means) else {
        return (None, None);
    };
    let tail = (1.0 - s.confidence) / 2.0;
    let rank = |q: f64| (q * s.resamples as f64).round() as usize;
    let interval = Interval {
        lo: to_pct(sorted.order_stat(rank(tail).max(1))),
        hi: to_pct(sorted.order_stat(rank(1.0 - tail))),
        level: s.confidence,
        nominal: s.confidence,
    };
    (Some(interval), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(values: &[(&str, f64)]) -> Vec<(String, f64)> {
        values.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn geometric_mean_of_ratios() {
        // Ratios 2 and 0.5 → geometric mean 1 → 0%; ratios 2 and 8 → 4 → +300%.
        let base = points(&[("a", 1.0), ("b", 4.0)]);
        let g = geomean_change(
            &base,
            &points(&[("a", 2.0), ("b", 2.0)]),
            &Default::default(),
        )
        .unwrap();
        assert!(g.change_pct.abs() < 1e-12);
        let g = geomean_change(
            &base,
            &points(&[("a", 2.0), ("b", 32.0)]),
            &Default::default(),
        )
        .unwrap();
        assert!((g.change_pct - 300.0).abs() < 1e-9);
        assert_eq!(g.ci, None);
        assert_eq!(g.guard, Some(Guard::FewPoints { have: 2, need: 6 }));
        assert!(!g.sets_differ() && g.warning().is_none());
    }

    #[test]
    fn differing_point_sets_warn_and_use_the_common_points() {
        let base = points(&[("a", 1.0), ("b", 1.0), ("c", 1.0)]);
        let head = points(&[("b", 1.1), ("c", 1.1), ("d", 1.0)]);
        let g = geomean_change(&base, &head, &Default::default()).unwrap();
        assert_eq!(g.points, 2);
        assert!((g.change_pct - 10.0).abs() < 1e-9);
        assert_eq!(g.only_in_base, vec!["a"]);
        assert_eq!(g.only_in_head, vec!["d"]);
        assert_eq!(
            g.warning().unwrap(),
            "point sets differ: the geometric mean covers the 2 points in common; \
             only in base: a; only in head: d"
        );
    }

    #[test]
    fn bootstrap_interval_brackets_the_estimate_and_is_reproducible() {
        let keys = ["a", "b", "c", "d", "e", "f", "g", "h"];
        let base: Vec<(String, f64)> = keys.iter().map(|k| (k.to_string(), 100.0)).collect();
        let factors = [0.90, 0.92, 0.95, 0.97, 1.00, 0.93, 0.96, 0.94];
        let head: Vec<(String, f64)> = keys
            .iter()
            .zip(factors)
            .map(|(k, f)| (k.to_string(), 100.0 * f))
            .collect();
        let s = GeoMeanSettings::default();
        let g = geomean_change(&base, &head, &s).unwrap();
        let expected = (factors.iter().map(|f: &f64| f.ln()).sum::<f64>() / 8.0).exp_m1() * 100.0;
        assert!((g.change_pct - expected).abs() < 1e-9);
        let ci = g.ci.unwrap();
        assert!(ci.lo < g.change_pct && g.change_pct < ci.hi, "{ci:?}");
        // Bounded by the smallest and largest single ratio.
        assert!(ci.lo >= -10.0 - 1e-9 && ci.hi <= 0.0 + 1e-9, "{ci:?}");
        assert_eq!(geomean_change(&base, &head, &s).unwrap(), g);
    }

    #[test]
    fn duplicates_no_overlap_and_zero_are_errors() {
        let s = GeoMeanSettings::default();
        let dup = points(&[("a", 1.0), ("a", 2.0)]);
        assert!(matches!(
            geomean_change(&dup, &dup, &s),
            Err(StatsError::DuplicateKey { .. })
        ));
        assert!(geomean_change(&points(&[("a", 1.0)]), &points(&[("b", 1.0)]), &s).is_err());
        assert!(geomean_change(&points(&[("a", 0.0)]), &points(&[("a", 1.0)]), &s).is_err());
    }
}
