//! What a design can detect before it runs: for each family of
//! comparisons the report will draw verdicts from, the smallest true
//! change it calls with 80% power (`stats::DesignPower`), from the plan's
//! rounds and points, the family's size, α split over the parameter sets
//! as the analysis splits it, and one process's spread — the previous run
//! of the config's (as its analysis measured it), or a stated default.
//!
//! The same formula states, after a run, what that run could detect
//! (`Group::detectable_pct`), so the dry run's figure and the report's
//! differ only by the spread they rest on.

use std::fmt::Write as _;
use std::path::Path;

use super::design::POWER;
use super::Analysis;
use crate::config::{Axis, Plan};
use crate::matrix::Point;
use crate::results::Results;
use crate::stats::{CompareSettings, DesignPower, FamilyKind};

/// The spread assumed without an earlier run: 2% per process, what the
/// committed catalog configs measure on a quiet 2-core machine (0.5–3%).
pub(crate) const DEFAULT_SPREAD: f64 = 0.02;

/// A design that cannot call a doubling (+100%) against its baseline
/// answers no tuning question: `tuner run` refuses it without `--force`.
pub(crate) const REFUSE_ABOVE_PCT: f64 = 100.0;

/// What a plan can detect, family by family.
#[derive(Clone, Debug)]
pub(crate) struct PlanPower {
    /// Rounds the power is stated at (the config's `processes`).
    pub rounds: usize,
    /// `max_processes`, when the run is adaptive.
    pub most_rounds: Option<usize>,
    pub spread: f64,
    /// Where the spread comes from.
    pub spread_source: String,
    pub families: Vec<FamilyPower>,
    /// Parameter sets α is split over.
    pub groups: usize,
    /// What the design detects against its baseline at the least and the
    /// most spread several earlier runs of the config measured.
    pub between_runs: Option<BetweenRuns>,
}

/// How much one run's spread, and so what a design detects, varied
/// between earlier runs of the same config.
#[derive(Clone, Debug)]
pub(crate) struct BetweenRuns {
    pub runs: usize,
    /// The least and the most spread measured.
    pub spread: (f64, f64),
    /// The smallest change against the baseline called with 80% power at
    /// `rounds` at each, percent.
    pub detectable: (f64, f64),
}

/// One family's detectable change.
#[derive(Clone, Debug)]
pub(crate) struct FamilyPower {
    /// What the family compares, e.g. "each point against its baseline".
    pub what: String,
    /// Comparisons in the largest parameter set's family.
    pub size: usize,
    pub kind: FamilyKind,
    /// The smallest slowdown called with 80% power at `rounds`, percent;
    /// `None` with fewer than two rounds or nothing to compare.
    pub at_least: Option<f64>,
    /// The same at `most_rounds`.
    pub at_most: Option<f64>,
    /// Points in the largest parameter set.
    points: usize,
}

impl PlanPower {
    /// The power of `plan` over `points`, with the spread `previous`
    /// measured (the earlier run's results and their path) or the default.
    pub(crate) fn of(
        plan: &Plan,
        points: &[Point],
        previous: Option<(&Path, &Results)>,
    ) -> PlanPower {
        let settings = CompareSettings::default();
        let (spread, spread_source) = previous
            .and_then(|(path, results)| {
                let spread = measured_spread(results, &settings)?;
                Some((
                    spread,
                    format!(
                        "{:.1}% per process, measured by {}",
                        spread * 100.0,
                        path.display()
                    ),
                ))
            })
            .unwrap_or_else(|| {
                (
                    DEFAULT_SPREAD,
                    format!(
                        "{:.0}% per process, the default (no earlier run of this config to measure it)",
                        DEFAULT_SPREAD * 100.0
                    ),
                )
            });
        PlanPower::at(plan, points, spread, spread_source)
    }

    /// The power of `plan` over `points` at a given spread.
    fn at(plan: &Plan, points: &[Point], spread: f64, spread_source: String) -> PlanPower {
        let settings = CompareSettings::default();
        let sets = crate::matrix::param_groups(plan, points, None);
        let largest = sets.iter().map(|g| g.points.len()).max().unwrap_or(0);
        let groups = sets.len().max(1);
        let alpha = settings.rule.alpha / groups as f64;
        let mut families = vec![
            FamilyPower::new(
                "each point against its baseline (Dunnett)",
                FamilyKind::ManyToOne,
                largest,
                largest.saturating_sub(1),
            ),
            FamilyPower::new(
                "which points could be the fastest (Hsu's MCB)",
                FamilyKind::Best,
                largest,
                largest.saturating_sub(1),
            ),
        ];
        for axis in plan.axes.iter().filter(|a| a.len() > 1) {
            if matches!(axis, Axis::Param(..)) {
                continue;
            }
            // Each value but the pick against the pick, at every setting
            // of the other axes in a parameter set.
            let size = largest * (axis.len() - 1) / axis.len();
            families.push(FamilyPower::new(
                &format!(
                    "{} against its pick (declared pairs, Bonferroni)",
                    axis.name()
                ),
                FamilyKind::Declared,
                largest,
                size,
            ));
        }
        let rounds = plan.measure.processes as usize;
        let most_rounds = plan.measure.max_processes.map(|m| m as usize);
        for f in &mut families {
            let at = |rounds| f.power(rounds, alpha, spread).detectable_pct().ok();
            (f.at_least, f.at_most) = (at(rounds), most_rounds.and_then(at));
        }
        PlanPower {
            rounds,
            most_rounds,
            spread,
            spread_source,
            families,
            groups,
            between_runs: None,
        }
    }

    /// Adds what the design detects at the least and the most spread that
    /// `earlier` runs of the same config measured (at least two of them):
    /// one run's spread moves with the machine's noise, and the dry run
    /// says by how much.
    pub(crate) fn with_earlier(mut self, earlier: &[&Results]) -> PlanPower {
        let settings = CompareSettings::default();
        let spreads: Vec<f64> = earlier
            .iter()
            .filter_map(|r| measured_spread(r, &settings))
            .collect();
        if spreads.len() < 2 {
            return self;
        }
        let lo = spreads.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = spreads.iter().copied().fold(0.0, f64::max);
        let Some(f) = self.against_baseline() else {
            return self;
        };
        let at = |spread| {
            f.power(self.rounds, self.alpha(), spread)
                .detectable_pct()
                .ok()
        };
        if let (Some(a), Some(b)) = (at(lo), at(hi)) {
            self.between_runs = Some(BetweenRuns {
                runs: spreads.len(),
                spread: (lo, hi),
                detectable: (a, b),
            });
        }
        self
    }

    /// Each parameter set's α, split as the analysis splits it.
    fn alpha(&self) -> f64 {
        CompareSettings::default().rule.alpha / self.groups as f64
    }

    /// Against the baseline: the family a design must be able to answer.
    pub(crate) fn against_baseline(&self) -> Option<&FamilyPower> {
        self.families
            .iter()
            .find(|f| f.kind == FamilyKind::ManyToOne && f.size > 0)
    }

    /// Why `tuner run` refuses this design, with what would work; `None`
    /// when it can call a doubling against its baseline (or compares
    /// nothing, or is a single round: a smoke run compares nothing and
    /// says so).
    pub(crate) fn refusal(&self) -> Option<String> {
        let f = self.against_baseline()?;
        let best = f.at_most.or(f.at_least)?;
        if best <= REFUSE_ABOVE_PCT {
            return None;
        }
        let needed = f
            .power(self.rounds, self.alpha(), self.spread)
            .rounds_for(10.0, 1000)
            .ok()
            .flatten();
        Some(format!(
            "this design cannot call even a doubling against its baseline: with {} processes per point, {} points per parameter set and a spread of {}, \
             the smallest change it calls with 80% power is {best:.0}%. {}; or fewer points; or `--force` to run anyway",
            self.most_rounds.unwrap_or(self.rounds),
            f.points,
            self.spread_source,
            match needed {
                Some(r) => format!("processes = {r} would call a 10% change"),
                None => "more processes".to_string(),
            }
        ))
    }

    /// The dry run's lines.
    pub(crate) fn describe(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "detectable with 80% power (spread {}; α split over {} parameter set(s)):",
            self.spread_source, self.groups
        );
        for f in &self.families {
            let at = |pct: Option<f64>| pct.map_or("–".to_string(), |p| format!("{p:.1}%"));
            let most = match (self.most_rounds, f.at_most) {
                (Some(r), Some(_)) => format!(", {} at {r}", at(f.at_most)),
                _ => String::new(),
            };
            let _ = writeln!(
                out,
                "  {}: {} comparisons, {} at {} processes{most}",
                f.what,
                f.size,
                at(f.at_least),
                self.rounds
            );
        }
        if let Some(b) = &self.between_runs {
            let _ = writeln!(
                out,
                "  the last {} runs of this config measured spreads of {:.1}–{:.1}% per process, so against the baseline {:.1}–{:.1}% at {} processes:\n  \
                 one run's spread moves with the machine's noise, and the figures above with it",
                b.runs,
                b.spread.0 * 100.0,
                b.spread.1 * 100.0,
                b.detectable.0,
                b.detectable.1,
                self.rounds
            );
        }
        if self.rounds < 2 {
            let _ = writeln!(
                out,
                "  one process per point: nothing is compared (a smoke run)"
            );
        }
        out
    }
}

impl FamilyPower {
    /// The family's design at `rounds`.
    fn power(&self, rounds: usize, alpha: f64, spread: f64) -> DesignPower {
        DesignPower {
            points: self.points,
            rounds,
            family: self.kind,
            family_size: self.size,
            alpha,
            power: POWER,
            spread,
            noise_band_pct: CompareSettings::default().rule.noise_band_pct,
        }
    }

    fn new(what: &str, kind: FamilyKind, points: usize, size: usize) -> FamilyPower {
        FamilyPower {
            what: what.to_string(),
            size,
            kind,
            at_least: None,
            at_most: None,
            points,
        }
    }
}

/// The spread an earlier run's analysis measured: the median over its
/// parameter sets.
fn measured_spread(results: &Results, settings: &CompareSettings) -> Option<f64> {
    let analysis = Analysis::of(results, settings);
    let mut spreads: Vec<f64> = analysis.groups.iter().filter_map(|g| g.spread).collect();
    spreads.sort_by(f64::total_cmp);
    spreads.get(spreads.len() / 2).copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn plan(text: &str) -> (Plan, Vec<Point>) {
        let plan =
            crate::config::parse(Path::new("t.toml"), text, &tuner_experiments::catalog()).unwrap();
        let points = crate::matrix::expand(&plan);
        (plan, points)
    }

    const SORTS: &str = "[experiment]\nworkload = \"mergesort\"\n[params]\nvariant = [\"sequential\", \"v1\", \"v2\", \"v3\"]\n[matrix]\nthreads = [1, 2]\nallocator = [\"system\", \"mimalloc\"]\n[measure]\nprocesses = 5\n";

    #[test]
    fn a_bigger_family_or_fewer_processes_detect_less() {
        let (p, pts) = plan(SORTS);
        let five = PlanPower::of(&p, &pts, None);
        let f = five.against_baseline().unwrap();
        assert_eq!((f.points, f.size), (16, 15));
        let d5 = f.at_least.unwrap();
        // At the default 2% spread, 5 rounds of 16 points call well under
        // an 80% difference (the old rank design called nothing here).
        assert!(d5 > 2.0 && d5 < 15.0, "{d5}");
        let (p, pts) = plan(&SORTS.replace("processes = 5", "processes = 10"));
        let d10 = PlanPower::of(&p, &pts, None)
            .against_baseline()
            .unwrap()
            .at_least
            .unwrap();
        assert!(d10 < d5, "{d10} vs {d5}");
        assert!(five.refusal().is_none());
        assert!(five.describe().contains("each point against its baseline"));
    }

    #[test]
    fn two_rounds_of_a_noisy_workload_are_refused_and_told_what_works() {
        let (p, pts) = plan(&SORTS.replace("processes = 5", "processes = 2"));
        let power = PlanPower::at(&p, &pts, 0.3, "30% per process, assumed".into());
        let why = power
            .refusal()
            .expect("a 30% spread over 2 rounds calls nothing");
        assert!(
            why.contains("--force") && why.contains("processes = "),
            "{why}"
        );
        // The same spread over 10 rounds calls a doubling.
        let (p, pts) = plan(&SORTS.replace("processes = 5", "processes = 10"));
        assert!(PlanPower::at(&p, &pts, 0.3, String::new())
            .refusal()
            .is_none());
    }

    /// Two earlier runs, one with a 1% and one with a 4% wiggle between
    /// rounds: the dry run ranges over what the design detects at each,
    /// and one earlier run gives no range.
    #[test]
    fn earlier_runs_range_what_the_design_detects() {
        let (p, pts) = plan(SORTS);
        let run = |cv: f64| {
            let ns: Vec<Vec<f64>> = (0..pts.len())
                .map(|i| {
                    (0..7)
                        .map(|r| 1e6 * (cv * ((i * 7 + r * 3) as f64 * 1.7).sin()).exp())
                        .collect()
                })
                .collect();
            crate::fixtures::results_with(SORTS, &ns, 1)
        };
        let (quiet, noisy) = (run(0.01), run(0.04));
        let one = PlanPower::of(&p, &pts, None).with_earlier(&[&quiet]);
        assert!(one.between_runs.is_none());
        let both = PlanPower::of(&p, &pts, None).with_earlier(&[&quiet, &noisy]);
        let b = both.between_runs.as_ref().expect("two runs give a range");
        assert_eq!(b.runs, 2);
        assert!(b.spread.1 > 2.0 * b.spread.0, "{b:?}");
        assert!(b.detectable.1 > 1.5 * b.detectable.0, "{b:?}");
        assert!(
            both.describe().contains("the last 2 runs of this config"),
            "{}",
            both.describe()
        );
    }

    #[test]
    fn one_round_is_a_smoke_run_not_a_refusal() {
        let (p, pts) = plan(&SORTS.replace("processes = 5", "processes = 1"));
        let power = PlanPower::of(&p, &pts, None);
        assert!(power.refusal().is_none());
        assert!(power.describe().contains("smoke run"));
    }
}
