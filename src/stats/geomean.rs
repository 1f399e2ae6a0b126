//! The geometric-mean row of a two-run comparison: the typical change across
//! the points both runs have, `exp(mean dᵢ) − 1`, where `dᵢ` is each point's
//! Hodges-Lehmann log shift (the same estimate as the point's own change
//! column), with an interval for it.
//!
//! Points are matched by key; points present in only one run are listed and
//! make the row carry a warning, since a geometric mean over different point
//! sets compares different things (Fleming & Wallace 1986, "How not to lie
//! with statistics: the correct way to summarize benchmark results", CACM 29,
//! for why ratios are summarised by the geometric mean).
//!
//! Interval. The points are fixed, not sampled: the uncertainty of the mean
//! comes from the processes within each point. So the interval combines
//! per-point standard errors: `Var(mean d) = Σ seᵢ² / k²`, and the interval
//! is `mean d ± z·√Var` (normal theory; each `dᵢ` is asymptotically normal,
//! Hodges & Lehmann 1963). Each `seᵢ` is read off the point's own
//! distribution-free interval, `seᵢ = (D_hi − D_lo) / (2·z_levelᵢ)` at that
//! interval's achieved level — the estimator of the Hodges-Lehmann
//! estimate's standard error proposed by Lehmann (1963, "Nonparametric
//! confidence intervals for a shift parameter", Ann. Math. Stat. 34) and
//! Sen (1966), robust to skewed noise and outlier processes. The level is
//! the nominal one (an approximation); the simulations check that it holds
//! (≥ 93%) at 6–8 points × 7 processes per side, where the percentile
//! bootstrap over points it replaces covered 86%. Withheld when a point has
//! too few processes for its own interval (6 per side).

use super::effect::{log_shift, to_pct};
use super::guard::MIN_FOR_INTERVAL;
use super::{Change, Guard, Interval, StatsError};
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};
use std::collections::BTreeMap;

/// Settings of the geometric-mean interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct GeoMeanSettings {
    pub confidence: f64,
}

impl Default for GeoMeanSettings {
    fn default() -> Self {
        GeoMeanSettings { confidence: 0.95 }
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

/// One point's log shift and, when it has an interval, its standard error.
struct PointShift {
    estimate: f64,
    se: Option<f64>,
    processes: usize,
}

/// Geometric-mean change of `head` over `base`, each a list of
/// `(point key, per-process values)` with positive values.
pub(crate) fn geomean_change(
    base: &[(String, Vec<f64>)],
    head: &[(String, Vec<f64>)],
    settings: &GeoMeanSettings,
) -> Result<GeoMean, StatsError> {
    StatsError::check_unit_open("confidence", settings.confidence)?;
    let base_map = keyed(base)?;
    let head_map = keyed(head)?;
    let shifts = base_map
        .iter()
        .filter_map(|(k, b)| {
            head_map
                .get(k)
                .map(|h| point_shift(b, h, settings.confidence))
        })
        .collect::<Result<Vec<PointShift>, StatsError>>()?;
    if shifts.is_empty() {
        return Err(StatsError::empty("a geometric mean (no points in common)"));
    }
    let k = shifts.len() as f64;
    let mean = shifts.iter().map(|s| s.estimate).sum::<f64>() / k;
    let (ci, guard) = combined_interval(&shifts, mean, settings.confidence);
    Ok(GeoMean {
        points: shifts.len(),
        change_pct: to_pct(mean),
        ci,
        guard,
        only_in_base: missing_from(&base_map, &head_map),
        only_in_head: missing_from(&head_map, &base_map),
    })
}

/// The geometric mean of changes already made (each with its own
/// interval, e.g. paired ones), combined as [`geomean_change`] combines
/// its points; `None` below two changes.
pub(crate) fn geomean_of(changes: &[&Change], confidence: f64) -> Option<GeoMean> {
    if changes.len() < 2 {
        return None;
    }
    let log = |pct: f64| (pct / 100.0).ln_1p();
    let std = Normal::standard();
    let shifts: Vec<PointShift> = changes
        .iter()
        .map(|c| PointShift {
            estimate: log(c.pct),
            se: c.ci.map(|ci| {
                (log(ci.hi) - log(ci.lo)) / (2.0 * std.inverse_cdf((1.0 + ci.level) / 2.0))
            }),
            processes: 0,
        })
        .collect();
    let mean = shifts.iter().map(|s| s.estimate).sum::<f64>() / shifts.len() as f64;
    let (ci, _) = combined_interval(&shifts, mean, confidence);
    Some(GeoMean {
        points: shifts.len(),
        change_pct: to_pct(mean),
        ci,
        guard: changes.iter().find_map(|c| c.guard.clone()),
        only_in_base: Vec::new(),
        only_in_head: Vec::new(),
    })
}

fn point_shift(base: &[f64], head: &[f64], confidence: f64) -> Result<PointShift, StatsError> {
    let shift = log_shift(base, head, confidence)?;
    let std = Normal::standard();
    let se = shift.ci.map(|ci| {
        let z = std.inverse_cdf((1.0 + ci.level) / 2.0);
        (ci.hi - ci.lo) / (2.0 * z)
    });
    Ok(PointShift {
        estimate: shift.estimate,
        se,
        processes: base.len().min(head.len()),
    })
}

/// `mean ± z·√(Σ seᵢ²)/k`, or the guard of the point without an interval.
fn combined_interval(
    shifts: &[PointShift],
    mean: f64,
    confidence: f64,
) -> (Option<Interval>, Option<Guard>) {
    if let Some(short) = shifts.iter().find(|s| s.se.is_none()) {
        let guard = Guard::NoInterval {
            have: short.processes,
            need: MIN_FOR_INTERVAL,
        };
        return (None, Some(guard));
    }
    let variance: f64 = shifts.iter().filter_map(|s| s.se).map(|se| se * se).sum();
    let half = Normal::standard().inverse_cdf((1.0 + confidence) / 2.0) * variance.sqrt()
        / shifts.len() as f64;
    let ci = Interval {
        lo: to_pct(mean - half),
        hi: to_pct(mean + half),
        level: confidence,
        nominal: confidence,
    };
    (Some(ci), None)
}

fn keyed(points: &[(String, Vec<f64>)]) -> Result<BTreeMap<String, Vec<f64>>, StatsError> {
    let mut map = BTreeMap::new();
    for (key, values) in points {
        if map.insert(key.clone(), values.clone()).is_some() {
            return Err(StatsError::DuplicateKey { key: key.clone() });
        }
    }
    Ok(map)
}

fn missing_from(a: &BTreeMap<String, Vec<f64>>, b: &BTreeMap<String, Vec<f64>>) -> Vec<String> {
    a.keys().filter(|k| !b.contains_key(*k)).cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::effect::hodges_lehmann_change;

    fn points(values: &[(&str, &[f64])]) -> Vec<(String, Vec<f64>)> {
        values
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_vec()))
            .collect()
    }

    const SPREAD: [f64; 7] = [1.0, 1.01, 0.99, 1.02, 0.98, 1.005, 0.995];

    fn scaled(f: f64) -> Vec<f64> {
        SPREAD.iter().map(|s| 100.0 * f * s).collect()
    }

    #[test]
    fn geometric_mean_of_ratios() {
        // Ratios 2 and 0.5 → geometric mean 1 → 0%; ratios 2 and 8 → 4 → +300%.
        let base = points(&[("a", &[1.0]), ("b", &[4.0])]);
        let even = points(&[("a", &[2.0]), ("b", &[2.0])]);
        let g = geomean_change(&base, &even, &Default::default()).unwrap();
        assert!(g.change_pct.abs() < 1e-12);
        let up = points(&[("a", &[2.0]), ("b", &[32.0])]);
        let g = geomean_change(&base, &up, &Default::default()).unwrap();
        assert!((g.change_pct - 300.0).abs() < 1e-9);
        assert_eq!(g.ci, None);
        assert_eq!(g.guard, Some(Guard::NoInterval { have: 1, need: 6 }));
        assert!(!g.sets_differ() && g.warning().is_none());
    }

    #[test]
    fn differing_point_sets_warn_and_use_the_common_points() {
        let base = points(&[("a", &[1.0]), ("b", &[1.0]), ("c", &[1.0])]);
        let head = points(&[("b", &[1.1]), ("c", &[1.1]), ("d", &[1.0])]);
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

    /// Two points, 7 processes a side: the centre is the mean of the
    /// points' own Hodges-Lehmann log shifts, and the half-width is
    /// z·√(se₁² + se₂²)/2 with each se read off that point's interval.
    #[test]
    fn interval_combines_the_points_own_intervals() {
        let base = vec![
            ("a".to_string(), scaled(1.0)),
            ("b".to_string(), scaled(1.0)),
        ];
        let head = vec![
            ("a".to_string(), scaled(1.04)),
            ("b".to_string(), scaled(0.98)),
        ];
        let g = geomean_change(&base, &head, &GeoMeanSettings::default()).unwrap();
        let std = Normal::standard();
        let own: Vec<_> = [1.04, 0.98]
            .iter()
            .map(|&f| hodges_lehmann_change(&scaled(1.0), &scaled(f), 0.95).unwrap())
            .collect();
        let log = |pct: f64| (pct / 100.0).ln_1p();
        let mean = (log(own[0].pct) + log(own[1].pct)) / 2.0;
        assert!((g.change_pct - to_pct(mean)).abs() < 1e-9);
        let se = |c: &crate::stats::Change| {
            let ci = c.ci.unwrap();
            (log(ci.hi) - log(ci.lo)) / (2.0 * std.inverse_cdf((1.0 + ci.level) / 2.0))
        };
        let half = 1.959964 * (se(&own[0]).powi(2) + se(&own[1]).powi(2)).sqrt() / 2.0;
        let ci = g.ci.unwrap();
        assert!((ci.lo - to_pct(mean - half)).abs() < 1e-4, "{ci:?}");
        assert!((ci.hi - to_pct(mean + half)).abs() < 1e-4, "{ci:?}");
        assert_eq!((ci.level, ci.nominal), (0.95, 0.95));
        // Exactly +1% overall, since the shifts are exact scalings.
        assert!((g.change_pct - ((1.04f64 * 0.98).sqrt() - 1.0) * 100.0).abs() < 1e-9);
    }

    #[test]
    fn duplicates_no_overlap_and_zero_are_errors() {
        let s = GeoMeanSettings::default();
        let dup = points(&[("a", &[1.0]), ("a", &[2.0])]);
        assert!(matches!(
            geomean_change(&dup, &dup, &s),
            Err(StatsError::DuplicateKey { .. })
        ));
        let a = points(&[("a", &[1.0])]);
        assert!(geomean_change(&a, &points(&[("b", &[1.0])]), &s).is_err());
        assert!(geomean_change(&points(&[("a", &[0.0])]), &a, &s).is_err());
    }
}
