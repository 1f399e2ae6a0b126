//! A run as the randomized block design it is: round `r` ran one process
//! of every point in a shuffled order, so comparisons are made within
//! rounds (`stats::Design`, the analysis `docs/statistics-block-design.md`
//! chose by simulation) and in families shaped to the question — every
//! point against its baseline (Dunnett), which points could be the
//! fastest (Hsu's MCB), declared pairs (Bonferroni). Every comparison the
//! report prints comes from here as a [`Comparison`] whose interval is the
//! family's, so a verdict and the interval beside it always agree.
//!
//! A design needs two rounds with values on both sides of a comparison;
//! below that (or for a comparison the fit cannot make) the points are
//! compared as independent samples (`stats::compare`, Mann-Whitney with a
//! Hodges-Lehmann interval), Holm over the family, as before.

use super::PointAnalysis;
use crate::stats::{
    self, BlockTable, CompareSettings, Comparison, Design, DesignComparison, DesignPower, Family,
    FamilyKind, Summary,
};

/// A fitted design over some points of a run (`ids`, in this order).
pub(crate) struct PointsDesign<'a> {
    points: &'a [PointAnalysis],
    ids: Vec<usize>,
    rounds: usize,
    design: Option<Design>,
}

/// The power the report states a detectable change at.
pub(crate) const POWER: f64 = 0.8;

/// What a family of comparisons made of the run's processes.
pub(crate) struct Compared {
    /// `(head, comparison)` per head that could be compared.
    pub comparisons: Vec<(usize, Comparison)>,
    /// Comparisons in the family (its size for the report).
    pub size: usize,
}

impl<'a> PointsDesign<'a> {
    /// Fits the design of `ids` (points with no process take no part).
    pub(crate) fn of(points: &'a [PointAnalysis], ids: &[usize]) -> PointsDesign<'a> {
        let ids: Vec<usize> = ids
            .iter()
            .copied()
            .filter(|&id| points[id].succeeded() > 0)
            .collect();
        let rounds = ids
            .iter()
            .flat_map(|&id| points[id].processes.iter().map(|m| m.process as usize + 1))
            .max()
            .unwrap_or(0);
        let values: Vec<Vec<Option<f64>>> = ids
            .iter()
            .map(|&id| {
                let mut row = vec![None; rounds];
                for m in &points[id].processes {
                    row[m.process as usize] = Some(m.ns_per_op);
                }
                row
            })
            .collect();
        let design = (ids.len() >= 2)
            .then(|| BlockTable::new(values).ok())
            .flatten()
            .and_then(|table| Design::fit(&table).ok());
        PointsDesign {
            points,
            ids,
            rounds,
            design,
        }
    }

    /// The per-process spread on the log scale the fit found (≈ the CV).
    pub(crate) fn spread(&self) -> Option<f64> {
        self.design
            .as_ref()
            .map(Design::spread)
            .filter(|s| s.is_finite())
    }

    /// The smallest slowdown (percent) every point against `base` would be
    /// called with [`POWER`] at this design's rounds and measured spread
    /// (`stats::DesignPower`): what this run could see, and what a rerun
    /// of it would.
    pub(crate) fn detectable_against_baseline(&self, settings: &CompareSettings) -> Option<f64> {
        DesignPower {
            points: self.ids.len(),
            rounds: self.rounds,
            family: FamilyKind::ManyToOne,
            family_size: self.ids.len().checked_sub(1)?,
            alpha: settings.rule.alpha,
            power: POWER,
            spread: self.spread()?,
            noise_band_pct: settings.rule.noise_band_pct,
        }
        .detectable_pct()
        .ok()
    }

    fn index(&self, id: usize) -> Option<usize> {
        self.ids.iter().position(|&i| i == id)
    }

    /// Every point of `heads` against `base`, one family (Dunnett).
    pub(crate) fn against(
        &self,
        base: usize,
        heads: &[usize],
        settings: &CompareSettings,
    ) -> Compared {
        let heads: Vec<usize> = heads
            .iter()
            .copied()
            .filter(|&h| h != base && self.index(h).is_some())
            .collect();
        let family = self
            .design
            .as_ref()
            .zip(self.index(base))
            .and_then(|(d, b)| {
                d.family(&Family::ManyToOne { baseline: b }, &settings.rule)
                    .ok()
            });
        match family {
            Some(f) => self.collect(f.comparisons, &heads, settings),
            None => self.independent(heads.iter().map(|&h| (base, h)), settings),
        }
    }

    /// Declared pairs `(base, head)`, one family (Bonferroni): each pair's
    /// comparison, in the pairs' order (`None` where none could be made),
    /// and the family's size.
    pub(crate) fn declared(
        &self,
        pairs: &[(usize, usize)],
        settings: &CompareSettings,
    ) -> (Vec<Option<Comparison>>, usize) {
        let indexed: Option<Vec<(usize, usize)>> = pairs
            .iter()
            .map(|&(b, h)| Some((self.index(h)?, self.index(b)?)))
            .collect();
        let family = self
            .design
            .as_ref()
            .zip(indexed)
            .and_then(|(d, pairs)| d.family(&Family::Declared(pairs), &settings.rule).ok());
        match family {
            Some(f) if f.comparisons.len() == pairs.len() => (
                f.comparisons
                    .iter()
                    .zip(pairs)
                    .map(|(c, &(b, h))| Some(self.comparison(b, h, c, settings)))
                    .collect(),
                f.size,
            ),
            _ => {
                let mut out: Vec<Option<Comparison>> = pairs
                    .iter()
                    .map(|&(b, h)| {
                        stats::compare(
                            &self.points[b].process_ns(),
                            &self.points[h].process_ns(),
                            settings,
                        )
                        .ok()
                    })
                    .collect();
                let size = stats::adjust_within(&mut out, Option::as_mut);
                (out, size)
            }
        }
    }

    /// The fastest point and every point against the best of the others
    /// (Hsu's constrained MCB): a point is tied unless shown slower.
    /// Without a design (one point, or too few rounds) the fastest is the
    /// lowest median and the others are compared with it as independent
    /// samples.
    pub(crate) fn best(&self, settings: &CompareSettings) -> Option<(usize, Compared)> {
        let Some(f) = self
            .design
            .as_ref()
            .and_then(|d| d.family(&Family::Best, &settings.rule).ok())
        else {
            let sign = better_sign(settings);
            let median =
                |id: usize| stats::median(&self.points[id].process_ns()).unwrap_or(f64::NAN);
            let best = *self
                .ids
                .iter()
                .min_by(|&&a, &&b| (sign * median(a)).total_cmp(&(sign * median(b))))?;
            let others = self.ids.iter().filter(|&&h| h != best).map(|&h| (best, h));
            return Some((best, self.independent(others, settings)));
        };
        let sign = better_sign(settings);
        // The best: every other point's comparison runs against it, and
        // its own against the runner-up is the only one with a negative
        // (better) estimate.
        let best = f
            .comparisons
            .iter()
            .min_by(|a, b| (sign * a.change.pct).total_cmp(&(sign * b.change.pct)))
            .map(|c| self.ids[c.head])?;
        let comparisons = f
            .comparisons
            .iter()
            .filter(|c| self.ids[c.head] != best)
            .map(|c| {
                let (b, h) = (self.ids[c.base], self.ids[c.head]);
                (h, self.comparison(b, h, c, settings))
            })
            .collect();
        Some((
            best,
            Compared {
                comparisons,
                size: f.size.saturating_sub(1),
            },
        ))
    }

    fn collect(
        &self,
        family: Vec<DesignComparison>,
        heads: &[usize],
        settings: &CompareSettings,
    ) -> Compared {
        let size = family.len();
        let comparisons = family
            .iter()
            .filter(|c| heads.contains(&self.ids[c.head]))
            .map(|c| {
                let (b, h) = (self.ids[c.base], self.ids[c.head]);
                (h, self.comparison(b, h, c, settings))
            })
            .collect();
        Compared { comparisons, size }
    }

    /// A design comparison with both points' summaries, as every report
    /// row prints it.
    fn comparison(
        &self,
        base: usize,
        head: usize,
        c: &DesignComparison,
        settings: &CompareSettings,
    ) -> Comparison {
        let summary = |id: usize| {
            Summary::with_confidence(&self.points[id].process_ns(), settings.confidence)
                .expect("a point in a design has values")
        };
        Comparison {
            base: summary(base),
            head: summary(head),
            change: c.change.clone(),
            test: None,
            p_adjusted: Some(c.p_adjusted),
            verdict: c.verdict,
            rule: settings.rule,
            notes: Vec::new(),
        }
    }

    /// Independent samples, Holm over the family: too few rounds for a design.
    fn independent(
        &self,
        pairs: impl Iterator<Item = (usize, usize)>,
        settings: &CompareSettings,
    ) -> Compared {
        let mut comparisons: Vec<(usize, Comparison)> = pairs
            .filter_map(|(b, h)| {
                let c = stats::compare(
                    &self.points[b].process_ns(),
                    &self.points[h].process_ns(),
                    settings,
                )
                .ok()?;
                Some((h, c))
            })
            .collect();
        let size = stats::adjust_within(&mut comparisons, |(_, c)| Some(c));
        Compared { comparisons, size }
    }
}

/// 1 when lower is better, −1 when higher is: `sign × value` is least for
/// the best.
fn better_sign(settings: &CompareSettings) -> f64 {
    match settings.rule.better {
        stats::Better::Lower => 1.0,
        stats::Better::Higher => -1.0,
    }
}

/// Declared pairs `(base, head)` of any points of the run, one family in
/// the design of the points they name; with the family.
pub(crate) fn declared_pairs(
    points: &[PointAnalysis],
    pairs: &[(usize, usize)],
    settings: &CompareSettings,
) -> (Vec<Option<Comparison>>, super::Family) {
    let mut ids: Vec<usize> = pairs.iter().flat_map(|&(b, h)| [b, h]).collect();
    ids.sort_unstable();
    ids.dedup();
    let (compared, size) = PointsDesign::of(points, &ids).declared(pairs, settings);
    (compared, super::Family { size })
}
