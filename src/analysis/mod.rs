//! One analysis of a run, computed once: per-process figures
//! ([`metrics`]), per-point summaries (`point`), parameter groups with
//! their baselines, fastest points and ties (`groups`), what each axis
//! teaches and how threads scale (`knobs`), the checks (`checks`), and
//! the pick's confirmation in fresh pairs (`confirm`).
//! The report, its conclusions and charts, `compare` and `export` only
//! format what is here; none of them derives a figure of its own.
//!
//! Every test the report prints belongs to a named Holm family whose size
//! is recorded here ([`Families`]): each point against its group's baseline;
//! each point against its group's fastest (the tie family); each axis's
//! contrasts against its picked value; the scaling steps.

mod checks;
mod confirm;
pub(crate) mod delivered;
mod design;
mod groups;
mod knobs;
mod lessons;
pub(crate) mod metrics;
mod point;
pub(crate) mod power;

use serde::Serialize;

pub(crate) use checks::{Checks, CommandChecks, ProgramCheck};
pub(crate) use confirm::Confirmed;
pub(crate) use groups::{BaselineState, Group, MachineBlocks};
pub(crate) use knobs::{ratio_of, AxisFinding, AxisKind, Contrast, Front, Scaling, ValueFinding};
pub use lessons::lesson_pairs;
pub(crate) use lessons::{Judgement, LessonFinding, LessonPair};
pub use metrics::ProcessMetrics;
pub(crate) use point::PointAnalysis;

use crate::results::Results;
use crate::stats::CompareSettings;

/// A set of tests corrected together with Holm's method.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Family {
    /// Comparisons in the family that had a test.
    pub size: usize,
}

/// The sizes of every family the report draws verdicts from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Families {
    pub vs_baseline: Family,
    pub ties: Family,
    pub scaling: Family,
    pub lessons: Family,
}

/// Everything derived from one run's results.
#[derive(Clone, Debug, Serialize)]
pub struct Analysis {
    pub settings: CompareSettings,
    /// One per point, indexed by point id.
    pub points: Vec<PointAnalysis>,
    pub groups: Vec<Group>,
    /// One per axis with more than one value, in axis order.
    pub axes: Vec<AxisFinding>,
    pub scaling: Vec<Scaling>,
    /// The experiment's declared lessons, judged against this run.
    pub lessons: Vec<LessonFinding>,
    pub families: Families,
    pub checks: Checks,
    /// The pick against its baseline in fresh pairs (`--confirm`).
    pub(crate) confirmed: Option<Confirmed>,
}

impl Analysis {
    pub fn of(results: &Results, settings: &CompareSettings) -> Analysis {
        let (mut groups, group_of) = groups::assign(results);
        let mut points: Vec<PointAnalysis> = results
            .points
            .iter()
            .map(|p| PointAnalysis::of(results, p.id, group_of[p.id]))
            .collect();
        let (vs_baseline, ties) = groups::compare(results, &mut groups, &mut points, settings);
        let axes = knobs::findings(results, &points, settings);
        let (scaling, scaling_family) = knobs::scaling(results, &points, settings);
        let (lessons, lesson_family) = lessons::findings(results, &points, settings);
        let checks = checks::checks(results, &points, &groups);
        Analysis {
            settings: *settings,
            families: Families {
                vs_baseline,
                ties,
                scaling: scaling_family,
                lessons: lesson_family,
            },
            lessons,
            points,
            groups,
            axes,
            scaling,
            checks,
            confirmed: confirm::confirmed(results, settings),
        }
    }

    /// The group of the run's configured baseline (the first group without one).
    pub fn main_group(&self) -> Option<&Group> {
        self.groups
            .iter()
            .find(|g| g.baseline_state != BaselineState::Absent)
            .or(self.groups.first())
    }

    /// The points a reviewer reads about, in matrix order: each parameter
    /// set's baseline and its fastest point (the pick), and the first pair
    /// of each lesson — the points whose flame graphs a report links.
    pub fn reviewed_points(&self) -> Vec<usize> {
        let mut ids = Vec::new();
        for g in &self.groups {
            ids.extend(g.baseline);
            ids.extend(g.fastest);
        }
        for lesson in &self.lessons {
            if let Some(pair) = lesson.pairs.first() {
                ids.extend([pair.base, pair.head]);
            }
        }
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// Processes the plan scheduled that never ran, over all points.
    pub fn missing(&self) -> u32 {
        self.points.iter().map(|p| p.missing).sum()
    }
}

/// The speed-up a change in time of `pct` percent means: base time ÷ head
/// time. The one definition every output uses.
pub(crate) fn speedup(pct: f64) -> f64 {
    100.0 / (100.0 + pct)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::results_by;
    use crate::stats::Verdict;

    const SORTS: &str = "[experiment]\nworkload = \"mergesort\"\n[params]\nvariant = [\"sequential\", \"v1\", \"v3\"]\nsize = [1000, 2000]\n[matrix]\nthreads = [1, 2]\nallocator = [\"system\", \"jemalloc\"]\n[measure]\nprocesses = 8\n";

    fn analyse(config: &str, ns: impl Fn(&crate::matrix::Point) -> f64) -> (Results, Analysis) {
        let r = results_by(config, ns, |_| 1);
        let a = Analysis::of(&r, &CompareSettings::default());
        (r, a)
    }

    /// A synthetic world: size 2000 costs twice size 1000; jemalloc costs
    /// 10%; v3 halves with 2 threads, v1 gets 20% slower; sequential
    /// ignores threads.
    fn world(p: &crate::matrix::Point) -> f64 {
        let mut ns = 1e6 * p.params.int("size") as f64 / 1000.0;
        if p.allocator == crate::alloc::AllocatorName::Jemalloc {
            ns *= 1.10;
        }
        match (p.variant.as_str(), p.threads) {
            ("v3", 2) => ns * 0.5,
            ("v1", 1) => ns * 1.5,
            ("v1", 2) => ns * 1.8,
            _ => ns,
        }
    }

    #[test]
    fn each_parameter_set_is_compared_with_its_own_baseline() {
        let (r, a) = analyse(SORTS, world);
        assert_eq!(a.groups.len(), 2);
        for g in &a.groups {
            let base = g.baseline.expect("every group has the baseline's settings");
            let p = &r.points[base];
            assert_eq!((p.variant.as_str(), p.threads), ("sequential", 1));
            assert_eq!(p.coord("size"), Some(g.params[0].1.as_str()));
            // Same work, same knobs but the variant: sequential at threads=2
            // is the same time, so no point is "2× faster" from its size.
            for &id in &g.points {
                if let Some(c) = &a.points[id].vs_baseline {
                    assert!(c.change.pct > -60.0 && c.change.pct < 100.0, "{}", c.change);
                }
            }
        }
        // 24 points, 2 baselines: 22 comparisons in the family.
        assert_eq!(a.families.vs_baseline.size, 22);
    }

    #[test]
    fn ties_with_the_fastest_are_listed_not_crowned() {
        // v3 at 2 threads is fastest under both allocators' system... and
        // sequential at 1 and 2 threads are equal: the fastest of size=1000
        // is v3 threads=2 system; nothing else is within noise of it.
        let (r, a) = analyse(SORTS, world);
        let g = &a.groups[0];
        let f = &r.points[g.fastest.unwrap()];
        assert_eq!((f.variant.as_str(), f.threads), ("v3", 2));
        assert!(
            g.ties.is_empty(),
            "{:?}",
            g.ties.iter().map(|t| t.0).collect::<Vec<_>>()
        );
        // Make v3 threads=2 jemalloc equal to system: now it ties.
        let (r, a) = analyse(SORTS, |p| {
            if p.variant == "v3" && p.threads == 2 {
                1e6 * p.params.int("size") as f64 / 2000.0
            } else {
                world(p)
            }
        });
        let tied: Vec<String> = a.groups[0]
            .ties
            .iter()
            .map(|(id, _)| r.points[*id].allocator.to_string())
            .collect();
        assert_eq!(tied, ["jemalloc"]);
    }

    #[test]
    fn axes_say_what_to_pick_and_where_the_rest_costs() {
        let (_, a) = analyse(SORTS, world);
        let alloc = a.axes.iter().find(|f| f.axis == "allocator").unwrap();
        assert_eq!(alloc.pick, "system");
        let je = &alloc.others[0];
        assert_eq!(je.value, "jemalloc");
        // Slower everywhere: 3 variants × 2 thread counts × 2 sizes.
        assert_eq!(
            (je.slower.len(), je.tied.len(), je.faster.len()),
            (12, 0, 0)
        );
        assert!(je
            .slower
            .iter()
            .all(|c| (c.comparison.change.pct - 10.0).abs() < 0.5));
        let threads = a.axes.iter().find(|f| f.axis == "threads").unwrap();
        assert_eq!(threads.pick, "2");
        let one = &threads.others[0];
        // v3 gains from 2 threads (1 is slower there), v1 loses (1 is faster),
        // sequential does not care (tied).
        assert_eq!(
            (one.slower.len(), one.faster.len(), one.tied.len()),
            (4, 4, 4)
        );
        assert_eq!(
            a.axes.iter().find(|f| f.axis == "size").unwrap().kind,
            AxisKind::Param
        );
    }

    #[test]
    fn scaling_is_against_the_same_settings_one_thread_run_with_an_interval() {
        let (r, a) = analyse(SORTS, world);
        let v1 = a
            .scaling
            .iter()
            .find(|s| r.points[s.base].variant == "v1")
            .unwrap();
        assert_eq!(v1.base_threads, 1);
        let step = &v1.steps[0];
        assert_eq!(step.comparison.verdict, Verdict::Slower);
        let speedup = step.speedup.unwrap();
        assert!((speedup.estimate - 1.5 / 1.8).abs() < 0.01, "{speedup:?}");
        assert!(speedup.lo <= speedup.estimate && speedup.estimate <= speedup.hi);
        let v3 = a
            .scaling
            .iter()
            .find(|s| r.points[s.base].variant == "v3")
            .unwrap();
        let eff = v3.steps[0].efficiency.unwrap();
        assert!((eff.estimate - 1.0).abs() < 0.01, "{eff:?}");
    }

    #[test]
    fn reviewed_points_are_each_baseline_its_fastest_and_each_lessons_first_pair() {
        let (r, a) = analyse(SORTS, world);
        let label = |id: usize| {
            let p = &r.points[id];
            format!(
                "{} {} {} {}",
                p.coord("size").unwrap(),
                p.variant,
                p.threads,
                p.allocator
            )
        };
        let reviewed: Vec<String> = a.reviewed_points().into_iter().map(label).collect();
        let mut expected: Vec<usize> = Vec::new();
        for g in &a.groups {
            expected.extend(g.baseline);
            expected.extend(g.fastest);
        }
        for l in &a.lessons {
            if let Some(p) = l.pairs.first() {
                expected.extend([p.base, p.head]);
            }
        }
        expected.sort_unstable();
        expected.dedup();
        assert_eq!(
            reviewed,
            expected.into_iter().map(label).collect::<Vec<_>>()
        );
        // Per size: the baseline (sequential, 1 thread, system) and the
        // fastest (v3 on 2 threads), and the lessons' pairs (v1 on 1 and 2
        // threads, v2 against sequential) where the world has them.
        assert!(
            reviewed.contains(&"1000 sequential 1 system".to_string()),
            "{reviewed:?}"
        );
        assert!(
            reviewed.contains(&"2000 v3 2 system".to_string()),
            "{reviewed:?}"
        );
        assert!(
            !reviewed.iter().any(|p| p.ends_with("jemalloc")),
            "jemalloc costs 10% everywhere and no lesson names it: {reviewed:?}"
        );
    }

    /// The pool lesson, judged on synthetic results that hold it and that
    /// flip it: the judgement follows the numbers, never the claim.
    #[test]
    fn a_lesson_holds_or_is_reversed_as_the_numbers_say() {
        let config = "[experiment]\nworkload = \"pool\"\n[params]\nvariant = [\"fresh\", \"mutex_pool\", \"thread_local_pool\"]\n\
                      [matrix]\nthreads = [1, 2]\n[measure]\nprocesses = 8\nseed = 1\n";
        let judge = |mutex_ns: f64| {
            let (_, a) = analyse(config, |p| match (p.variant.as_str(), p.threads) {
                ("mutex_pool", 1) => mutex_ns,
                ("thread_local_pool", _) => 9.0,
                ("mutex_pool", 2) => 170.0,
                _ => 17.0,
            });
            a.lessons
                .iter()
                .map(|f| f.overall().map(Judgement::name).unwrap_or("mixed"))
                .collect::<Vec<_>>()
        };
        // The three pool lessons: thread-local vs fresh at 1 thread (the
        // workshop's f2 vs f1), thread-local vs fresh at 2 threads (scales
        // under load), and a shared Mutex list not faster than fresh at 2.
        assert_eq!(judge(12.0), ["holds", "holds", "holds"]);
        let (_, a) = analyse(config, |p| match (p.variant.as_str(), p.threads) {
            ("thread_local_pool", 1) => 25.0,
            ("thread_local_pool", 2) => 17.0,
            ("mutex_pool", 2) => 9.0,
            _ => 17.0,
        });
        let judged: Vec<&str> = a
            .lessons
            .iter()
            .map(|f| f.overall().map(Judgement::name).unwrap_or("mixed"))
            .collect();
        assert_eq!(judged, ["reversed", "no gain", "reversed"]);
    }

    #[test]
    fn a_failed_or_excluded_baseline_is_said_to_be_one() {
        // Every process of the baseline failed.
        let tiny = crate::fixtures::TINY;
        let r = crate::fixtures::results(tiny, &[&[None, None], &[Some(1.0); 6]]);
        let a = Analysis::of(&r, &CompareSettings::default());
        assert_eq!(a.groups[0].baseline_state, BaselineState::Failed);
        assert!(a.points[1].vs_baseline.is_none());
    }

    #[test]
    fn points_that_never_ran_are_missing_not_failed() {
        let tiny = crate::fixtures::TINY.replace("[matrix]", "[measure]\nprocesses = 6\n[matrix]");
        let r = crate::fixtures::results(&tiny, &[&[Some(1.0); 6], &[Some(1.0); 2]]);
        let a = Analysis::of(&r, &CompareSettings::default());
        assert_eq!((a.points[0].missing, a.points[1].missing), (0, 4));
        assert!(a.points[1].failures.is_empty());
        assert_eq!(a.missing(), 4);
    }
}
