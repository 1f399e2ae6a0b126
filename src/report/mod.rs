//! The markdown report and its charts: formatters of a run's
//! [`Analysis`], which is derived from the results file (and the profiles
//! it records) and nothing else.

mod adaptive;
mod answer;
pub(crate) mod charts;
mod command;
pub(crate) mod escape;
pub(crate) mod format;
pub(crate) mod html;
mod lessons;
mod markdown;
mod profiles;
pub(crate) mod summary;
mod write;

pub use write::{render, write};
pub(crate) use write::{write_with, Rendered, COMPARISON_FILE};

use crate::analysis::Analysis;
use crate::matrix;
use crate::results::Results;

/// What every part of the report reads: the results and their analysis,
/// and how points are named.
pub(crate) struct Context<'a> {
    pub results: &'a Results,
    pub analysis: &'a Analysis,
    /// Axes with more than one value: the ones a point's name needs.
    pub varying: Vec<&'a str>,
    /// The varying axes that are not workload parameters: a point's name
    /// within its parameter group.
    knob_axes: Vec<&'a str>,
    /// What the machine delivered to each point, by point id.
    pub delivered: Vec<crate::analysis::delivered::PointDelivered>,
}

impl<'a> Context<'a> {
    pub(crate) fn new(results: &'a Results, analysis: &'a Analysis) -> Context<'a> {
        let varying = matrix::varying_axes(&results.plan.axes);
        let params: Vec<&str> = results
            .plan
            .axes
            .iter()
            .filter(|a| matches!(a, crate::config::Axis::Param(..)))
            .map(|a| a.name())
            .collect();
        let knob_axes = varying
            .iter()
            .copied()
            .filter(|a| !params.contains(a))
            .collect();
        Context {
            results,
            analysis,
            varying,
            knob_axes,
            delivered: crate::analysis::delivered::delivered(results),
        }
    }

    /// Why a comparison of `base` and `head` is no answer, when they differ
    /// in threads and one of them did not get the CPUs its threads could
    /// use (`analysis::delivered`'s rule): the reason, else `None`.
    pub(crate) fn confounded(&self, base: usize, head: usize) -> Option<String> {
        let p = &self.results.points;
        if p[base].threads == p[head].threads {
            return None;
        }
        let (a, b) = (self.delivered.get(base)?, self.delivered.get(head)?);
        crate::analysis::delivered::thread_comparison_confounded(a, b)
            .map(|(d, c)| format!("{} threads: {}", d.threads, c.describe()))
    }

    /// ` — ⚠ confounded (…)` for [`Context::confounded`] comparisons, else empty.
    pub(crate) fn confounded_note(&self, base: usize, head: usize) -> String {
        self.confounded(base, head)
            .map(|why| format!(" — ⚠ *confounded*: {why}"))
            .unwrap_or_default()
    }

    /// The confirmation (`--confirm`) when it measured `pick` against `baseline`.
    pub(crate) fn confirmed(
        &self,
        baseline: usize,
        pick: usize,
    ) -> Option<&crate::analysis::Confirmed> {
        let c = self.analysis.confirmed.as_ref()?;
        ((c.baseline, c.pick) == (baseline, pick)).then_some(c)
    }

    /// How many of an axis's comparisons are [`Context::confounded`], of
    /// how many.
    pub(crate) fn confounded_of(&self, f: &crate::analysis::AxisFinding) -> (usize, usize) {
        let contrasts = f
            .others
            .iter()
            .flat_map(|v| v.slower.iter().chain(&v.faster).chain(&v.tied));
        contrasts.fold((0, 0), |(c, t), x| {
            let hit = self.confounded(x.base, x.head).is_some();
            (c + usize::from(hit), t + 1)
        })
    }

    /// `⚠ 8 threads on 2 CPUs: …` when a point's threads outnumber the
    /// CPUs this run had (`environment.cores`): its time is of threads
    /// sharing fewer CPUs, which says nothing of a machine with one each.
    pub(crate) fn beyond_cpus(&self, threads: usize) -> Option<String> {
        let cores = self.results.environment.cores;
        (threads > cores.max(1)).then(|| {
            format!(
                "⚠ {threads} threads on {cores} CPU{}: not transferable to a bigger machine",
                if cores == 1 { "" } else { "s" }
            )
        })
    }

    /// `variant=v3 threads=2`: every varying axis.
    pub(crate) fn label(&self, point: usize) -> String {
        self.results.points[point].label(&self.varying)
    }

    /// The point's name within its parameter group (its knobs and variant).
    pub(crate) fn knob_label(&self, point: usize) -> String {
        self.results.points[point].label(&self.knob_axes)
    }

    /// The point's value on `axis`.
    pub(crate) fn coord(&self, point: usize, axis: &str) -> &str {
        self.results.points[point].coord(axis).unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use crate::fixtures;

    /// A pool-like run: 1,000 operations per run, one process of `v3`
    /// failed, one point missing a process (an interrupted run).
    fn pool_like() -> crate::results::Results {
        let config =
            fixtures::TINY.replace("[matrix]", "[measure]\nprocesses = 6\nseed = 7\n[matrix]");
        let mut r = fixtures::results_with_ops(&config, &[vec![9.0; 6], vec![4.5; 5]], 1, 1000);
        r.runs.push(fixtures::record(
            1,
            5,
            r.runs.len(),
            crate::results::Outcome::Failed {
                kind: crate::results::FailureKind::Panic,
                reason: "panicked: as asked".into(),
                stderr_tail: String::new(),
            },
        ));
        r.runs.retain(|x| !(x.point == 0 && x.process == 5));
        r
    }

    /// Regression: a 2,000-point run rendered a 700 KB, 5,660-line report.
    #[test]
    fn a_big_matrix_gets_a_summary_not_a_listing() {
        let sizes: Vec<String> = (0..100).map(|i| (1000 + i).to_string()).collect();
        let config = format!(
            "[experiment]\nworkload = \"mergesort\"\n[params]\nsize = [{}]\n[matrix]\nthreads = [1, 2, 4]\n[measure]\nprocesses = 6\nseed = 1\n",
            sizes.join(", ")
        );
        let r = fixtures::results_by(
            &config,
            |p| p.params.int("size") as f64 * (1.0 + p.threads as f64 / 10.0),
            |_| 1,
        );
        assert!(r.points.len() >= 2000, "{}", r.points.len());
        let dir = tempfile::tempdir().unwrap();
        let md = super::render(dir.path(), &r).unwrap().markdown;
        std::fs::write("/tmp/big.md", &md).unwrap();
        assert!(md.len() < 60_000, "{} bytes", md.len());
        assert!(md.lines().count() < 400, "{} lines", md.lines().count());
        assert!(md.contains("Every point is in `results.json`"));
        assert!(md.contains("more parameter sets"));
    }

    /// A baseline that failed in every process is said to have failed,
    /// and nothing claims a change against it.
    #[test]
    fn a_baseline_that_failed_everywhere_is_named_and_compared_with_nothing() {
        let config = "[experiment]\nworkload = \"mergesort\"\n[params]\nvariant = [\"sequential\", \"v3\"]\n\
                      [measure]\nprocesses = 3\n";
        let r = fixtures::results(
            config,
            &[&[None, None, None], &[Some(5.0), Some(5.1), Some(5.2)]],
        );
        let dir = tempfile::tempdir().unwrap();
        let md = super::render(dir.path(), &r).unwrap().markdown;
        assert!(
            md.contains("⚠ The baseline **variant=sequential** failed in every process: nothing is compared with it."),
            "{md}"
        );
        assert!(!md.contains("Against the baseline"), "{md}");
    }

    /// Regression: the answer said 4.12× where the conclusions said 4.08×
    /// for one comparison. The speed-up is derived once, from the change.
    #[test]
    fn one_comparison_has_one_speedup_everywhere_it_is_printed() {
        let config = "[experiment]\nworkload = \"mergesort\"\n[params]\nvariant = [\"sequential\", \"v3\"]\n\
                      [matrix]\nthreads = [1, 2]\n[measure]\nprocesses = 8\nseed = 3\n";
        let r = fixtures::results_by(
            config,
            |p| {
                if p.variant == "v3" && p.threads == 2 {
                    41.0e6
                } else {
                    169.0e6
                }
            },
            |_| 1,
        );
        let dir = tempfile::tempdir().unwrap();
        let md = super::render(dir.path(), &r).unwrap().markdown;
        let analysis = crate::analysis::Analysis::of(&r, &Default::default());
        let fastest = analysis.groups[0].fastest.unwrap();
        let change = analysis.points[fastest]
            .vs_baseline
            .as_ref()
            .unwrap()
            .change
            .pct;
        let speedup = super::format::ratio(crate::analysis::speedup(change));
        // The answer's line and the pivot's cell print the same figure.
        let answer = md
            .lines()
            .find(|l| l.contains("Against the baseline"))
            .unwrap();
        assert!(answer.contains(&format!(", {speedup} [")), "{answer}");
        let pivot = md
            .lines()
            .find(|l| l.starts_with("| v3 |") && l.contains("**"))
            .unwrap();
        assert!(pivot.contains(&format!("({speedup})")), "{pivot}");
    }

    #[test]
    fn report_of_a_many_ops_run_with_failures_and_gaps() {
        let dir = tempfile::tempdir().unwrap();
        let rendered = super::render(dir.path(), &pool_like()).unwrap();
        insta::assert_snapshot!(rendered.markdown);
    }
}
