//! The confirmation of the pick (`tuner run --confirm`): the pick against
//! its baseline over the fresh adjacent pairs run after the rounds,
//! judged as `tuner ab` judges a gate (`stats::compare_paired`: the
//! Hodges-Lehmann change of the per-pair ratios with the signed-rank
//! test, a family of one).

use serde::Serialize;

use super::ProcessMetrics;
use crate::results::Results;
use crate::stats::{self, CompareSettings, PairedComparison};

/// The pick against the baseline in fresh pairs.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Confirmed {
    pub pick: usize,
    pub baseline: usize,
    /// Pairs asked for.
    pub asked: u32,
    /// Pairs with both processes finished.
    pub pairs: usize,
    /// Processes of those pairs the machine contended for.
    pub contended: usize,
    /// The paired comparison, or why there is none (too few pairs, a bad value).
    pub comparison: Result<PairedComparison, String>,
}

/// The run's confirmation, judged; `None` when none was run.
pub(crate) fn confirmed(results: &Results, settings: &CompareSettings) -> Option<Confirmed> {
    let c = results.confirmation()?;
    let pairs = c.complete_pairs();
    let values: Vec<(f64, f64)> = pairs
        .iter()
        .filter_map(|(base, pick)| {
            Some((
                ProcessMetrics::of(base)?.ns_per_op,
                ProcessMetrics::of(pick)?.ns_per_op,
            ))
        })
        .collect();
    let contended = pairs
        .iter()
        .flat_map(|(b, p)| [b, p])
        .filter(|r| r.contended.is_some())
        .count();
    let comparison = if values.is_empty() {
        Err("no pair finished".to_string())
    } else {
        stats::compare_paired(&values, settings).map_err(|e| e.to_string())
    };
    Some(Confirmed {
        pick: c.pick,
        baseline: c.baseline,
        asked: c.pairs,
        pairs: values.len(),
        contended,
        comparison,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{Confirmation, Outcome, PairedRun, Rounds, RunRecord};
    use crate::stats::Verdict;

    fn record(point: usize, pair: u32, ns: f64) -> PairedRun {
        let seq = 100 + 2 * pair as usize + point;
        let ok = Outcome::Ok(crate::fixtures::output(ns, 1));
        let record: RunRecord = crate::fixtures::record(point, pair as usize, seq, ok);
        PairedRun { pair, record }
    }

    fn with_pairs(runs: Vec<PairedRun>) -> Results {
        let mut r = crate::fixtures::results(
            "[experiment]\nworkload = \"selfcheck\"\n[params]\nvariant = [\"spin\", \"panic\"]\n",
            &[&[Some(100.0); 5], &[Some(80.0); 5]],
        );
        let mut rounds = Rounds::fixed();
        rounds.confirmation = Some(Confirmation {
            pick: 1,
            baseline: 0,
            pairs: 8,
            runs,
        });
        r.rounds = Some(rounds);
        r
    }

    #[test]
    fn the_pick_is_judged_on_its_complete_pairs_only() {
        // Eight pairs whose pick is 20% ± 1% faster, and one half pair.
        let mut runs = Vec::new();
        for pair in 0..8 {
            let wobble = 1.0 + (pair as f64 - 3.5) * 0.003;
            runs.push(record(0, pair, 100.0 * wobble));
            runs.push(record(1, pair, 80.0 * wobble * (1.0 + 0.001 * pair as f64)));
        }
        runs.push(record(1, 8, 10.0));
        let c = confirmed(&with_pairs(runs), &CompareSettings::default()).unwrap();
        assert_eq!((c.pick, c.baseline, c.asked, c.pairs), (1, 0, 8, 8));
        let cmp = c.comparison.unwrap();
        assert_eq!(cmp.verdict, Verdict::Faster);
        assert!((cmp.change.pct + 19.7).abs() < 0.5, "{}", cmp.change.pct);
        // Eight pairs all one way: the signed-rank test's smallest p.
        assert!((cmp.p().unwrap() - 2.0 / 256.0).abs() < 1e-9);
    }

    #[test]
    fn no_finished_pair_says_so() {
        let c = confirmed(&with_pairs(vec![record(0, 0, 100.0)]), &Default::default()).unwrap();
        assert_eq!(c.pairs, 0);
        assert!(c.comparison.is_err());
    }
}
