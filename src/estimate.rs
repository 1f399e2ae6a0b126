//! What a run will cost before it starts: `--dry-run`'s estimate and the
//! plan a `--budget` fits. When an earlier run of the workload is in the
//! report folder (`<dir>/<name>/*/results.json`, the newest with the same
//! config text, else the newest of the same workload), each point costs
//! what its processes measured there (`RunRecord::wall_ms`, the median
//! over processes), rescaled to this plan's samples, sample time and
//! warm-up, plus the runner's own time per run that the earlier run's
//! elapsed time shows. Without one, only the floor is known: process
//! start, warm-up and samples of `min_sample_time`; slower operations
//! cost more. Every run records its estimate ([`Planning`]), so its report
//! can state the estimate's error.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::config::{MeasureSettings, Plan};
use crate::matrix::{Point, Slot};
pub use crate::results::Planning;
use crate::results::{Results, RunRecord};

/// Seconds a worker process takes to start and exit, at the least.
use crate::config::PROCESS_START_S;
/// The runner's own time per run when no earlier run tells (journal sync, spawn).
const DEFAULT_OVERHEAD_S: f64 = 0.01;
/// Earlier runs looked at, newest first.
const LOOK_BACK: usize = 20;

/// Where the per-point costs come from.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    /// An earlier run; `same_config` when its config text is this one's.
    Previous {
        path: PathBuf,
        same_config: bool,
        /// Points of this plan it measured (the rest cost the floor).
        matched: usize,
    },
    /// No earlier run: the floor only.
    Floor,
}

/// Seconds each part of a run is expected to take.
#[derive(Clone, Debug)]
pub struct Estimate {
    /// One worker process of each point.
    pub per_process: Vec<f64>,
    /// The runner's time per run besides the worker's.
    pub overhead: f64,
    /// Every profiling pass together.
    pub profiling: f64,
    pub source: Source,
}

impl Estimate {
    /// The estimate for `plan` (whose config is `text`), from the newest
    /// fitting run in its report folder, or the floor.
    pub fn of(plan: &Plan, points: &[Point], text: &str) -> Estimate {
        Estimate::with_previous(plan, points, text, previous(plan, text).as_ref())
    }

    /// The estimate from `previous`, the run [`previous`] found (read
    /// once by a caller that needs it for more than the estimate).
    pub(crate) fn with_previous(
        plan: &Plan,
        points: &[Point],
        text: &str,
        previous: Option<&(PathBuf, Results)>,
    ) -> Estimate {
        let floor = floor_s(&plan.measure);
        let passes = crate::protocol::profile_passes(plan).len();
        let pass_floor = PROCESS_START_S
            + plan.measure.warmup.as_secs_f64()
            + plan.profile.duration.as_secs_f64();
        let mut estimate = Estimate {
            per_process: vec![floor; points.len()],
            overhead: DEFAULT_OVERHEAD_S,
            profiling: (points.len() * passes) as f64 * pass_floor,
            source: Source::Floor,
        };
        if let Some((path, earlier)) = previous {
            estimate.learn(plan, points, earlier, path.clone(), text);
        }
        estimate
    }

    /// Takes per-point costs from `earlier` where it measured the point.
    fn learn(
        &mut self,
        plan: &Plan,
        points: &[Point],
        earlier: &Results,
        path: PathBuf,
        text: &str,
    ) {
        let mut matched = 0;
        for (i, p) in points.iter().enumerate() {
            let Some(old) = earlier.points.iter().find(|o| Point::same_work(o, p)) else {
                continue;
            };
            let walls: Vec<f64> = earlier
                .runs_of(old.id)
                .filter(|r| r.wall_ms > 0.0)
                .map(|r| rescale(r, &earlier.plan.measure, &plan.measure))
                .collect();
            if !walls.is_empty() {
                self.per_process[i] = crate::stats::median(&walls)
                    .unwrap_or(f64::NAN)
                    .max(PROCESS_START_S);
                matched += 1;
            }
        }
        if let Some(overhead) = overhead_of(earlier) {
            self.overhead = overhead;
        }
        let pass_walls: Vec<f64> = earlier
            .profiling
            .records
            .iter()
            .map(|r| r.wall_ms / 1e3)
            .collect();
        if !pass_walls.is_empty() && self.profiling > 0.0 {
            let passes = crate::protocol::profile_passes(plan).len();
            let scale =
                plan.profile.duration.as_secs_f64() - earlier.plan.profile.duration.as_secs_f64();
            let each = (crate::stats::median(&pass_walls).unwrap_or(f64::NAN) + scale)
                .max(PROCESS_START_S);
            self.profiling = (points.len() * passes) as f64 * each;
        }
        self.source = Source::Previous {
            path,
            same_config: earlier.config_text == text,
            matched,
        };
    }

    /// Seconds for `slot`: its point's process and the runner's share.
    pub fn slot_s(&self, slot: Slot) -> f64 {
        self.per_process[slot.point] + self.overhead
    }

    /// Seconds for every slot of `slots`.
    pub fn slots_s(&self, slots: impl IntoIterator<Item = Slot>) -> f64 {
        slots.into_iter().map(|s| self.slot_s(s)).sum()
    }

    /// Seconds for one round: every point once.
    pub fn round_s(&self) -> f64 {
        self.per_process.iter().map(|s| s + self.overhead).sum()
    }

    /// Whether the costs are measured ones (for some point at least).
    pub fn measured(&self) -> bool {
        matches!(&self.source, Source::Previous { matched, .. } if *matched > 0)
    }

    /// Where the estimate comes from, as the end of a sentence.
    pub fn describe(&self, points: usize) -> String {
        match &self.source {
            Source::Previous {
                path,
                same_config,
                matched,
            } => {
                let which = if *same_config {
                    "the previous run of this config"
                } else {
                    "the previous run of this workload"
                };
                let partly = if *matched < points {
                    format!(
                        "; {} of {points} points it did not measure cost the floor",
                        points - matched
                    )
                } else {
                    String::new()
                };
                format!("from the processes of {which}, {}{partly}", path.display())
            }
            Source::Floor => "the floor: process start, warm-up and samples; no earlier run of this config to measure from, so operations slower than the sample time cost more".into(),
        }
    }

    /// Processes per point that fit `budget` (at least 1, at most
    /// `configured`), keeping room for the profiling passes.
    pub fn fit(&self, budget: Duration, configured: u32) -> u32 {
        let room = budget.as_secs_f64() * (1.0 - RESERVE) - self.profiling;
        let rounds = (room / self.round_s().max(1e-9)).floor();
        (rounds.max(1.0) as u32).min(configured)
    }
}

/// The share of a budget kept for saving the results and the report.
pub(crate) const RESERVE: f64 = 0.02;

/// A process at the least: start, warm-up and `samples` of `min_sample_time`.
pub(crate) fn floor_s(m: &MeasureSettings) -> f64 {
    m.floor_s()
}

/// `run`'s wall time in seconds had it run under `new` instead of `old`:
/// its samples rescaled to the new count and sample time, the warm-up
/// moved by the difference (a failed process counts as it was).
fn rescale(run: &RunRecord, old: &MeasureSettings, new: &MeasureSettings) -> f64 {
    let wall = run.wall_ms / 1e3;
    let Some(out) = run.output() else {
        return wall;
    };
    if out.samples.is_empty() {
        return wall;
    }
    let taken: f64 = out.samples.iter().map(|s| s.ns as f64 / 1e9).sum();
    let mean = taken / out.samples.len() as f64;
    let iteration = out
        .samples
        .iter()
        .map(|s| s.ns as f64 / 1e9 / s.iters.max(1) as f64)
        .fold(f64::INFINITY, f64::min);
    let target = |m: &MeasureSettings| m.min_sample_time.as_secs_f64().max(iteration);
    let each = mean * target(new) / target(old);
    let warmup = new.warmup.as_secs_f64() - old.warmup.as_secs_f64();
    (wall - taken + f64::from(new.samples) * each + warmup).max(PROCESS_START_S)
}

/// The runner's own seconds per run in `earlier`, when it recorded its
/// elapsed time.
fn overhead_of(earlier: &Results) -> Option<f64> {
    let elapsed = earlier.elapsed_s?;
    let runs = earlier.runs.len();
    if runs == 0 {
        return None;
    }
    let workers: f64 = earlier.runs.iter().map(|r| r.wall_ms / 1e3).sum::<f64>()
        + earlier
            .profiling
            .records
            .iter()
            .map(|r| r.wall_ms / 1e3)
            .sum::<f64>();
    Some(((elapsed - workers) / runs as f64).max(0.0))
}

/// The newest earlier run with the same config text, else the newest of
/// the same workload, among the last [`LOOK_BACK`] in the plan's folder.
pub(crate) fn previous(plan: &Plan, text: &str) -> Option<(PathBuf, Results)> {
    let mut fallback = None;
    for path in run_files(plan) {
        let Some(results) = load_quietly(&path) else {
            continue;
        };
        if results.plan.workload != plan.workload || results.runs.is_empty() {
            continue;
        }
        if results.config_text == text {
            return Some((path, results));
        }
        if fallback.is_none() {
            fallback = Some((path, results));
        }
    }
    fallback
}

/// Up to `n` earlier runs of exactly this config text, newest first,
/// besides the one at `known` (already read: [`previous`]'s).
pub(crate) fn same_config(plan: &Plan, text: &str, n: usize, known: Option<&Path>) -> Vec<Results> {
    run_files(plan)
        .iter()
        .filter(|path| Some(path.as_path()) != known)
        .filter_map(|path| load_quietly(path))
        .filter(|r| r.config_text == text && !r.runs.is_empty())
        .take(n)
        .collect()
}

/// The last [`LOOK_BACK`] results files in the plan's report folder,
/// newest first.
fn run_files(plan: &Plan) -> Vec<PathBuf> {
    let folder = plan.report.dir.join(&plan.name);
    let Ok(entries) = std::fs::read_dir(&folder) else {
        return Vec::new();
    };
    let mut runs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path().join(crate::results::RESULTS_FILE)))
        .filter(|p| p.is_file())
        .collect();
    // Run ids are dates: the newest sorts last.
    runs.sort();
    runs.into_iter().rev().take(LOOK_BACK).collect()
}

/// An earlier results file, or nothing when it cannot be read.
fn load_quietly(path: &Path) -> Option<Results> {
    Results::load(path).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;

    const CONFIG: &str = "[experiment]\nname = \"spin\"\nworkload = \"selfcheck\"\n[params]\nvariant = \"spin\"\nsteps = [10, 20]\n[measure]\nprocesses = 4\nsamples = 3\nwarmup = \"20ms\"\nmin_sample_time = \"10ms\"\nseed = 1\n";

    fn plan(text: &str, dir: &Path) -> Plan {
        let text = format!("{text}[report]\ndir = \"{}\"\n", dir.display());
        crate::config::parse(Path::new("x.toml"), &text, &tuner_experiments::catalog()).unwrap()
    }

    /// An earlier run in `dir` whose processes took `wall_ms`, with
    /// samples of 10 ms (the fixture's: 3 samples of 10 iterations).
    fn earlier(dir: &Path, text: &str, wall_ms: f64, elapsed_s: Option<f64>) -> Results {
        let mut r = fixtures::results_with(text, &[vec![1e6; 4], vec![1e6; 4]], 1);
        r.plan = plan(text, dir);
        r.config_text = format!("{text}[report]\ndir = \"{}\"\n", dir.display());
        for run in &mut r.runs {
            run.wall_ms = wall_ms;
        }
        r.elapsed_s = elapsed_s;
        r
    }

    fn save(dir: &Path, id: &str, r: &Results) {
        let run = dir.join("spin").join(id);
        std::fs::create_dir_all(&run).unwrap();
        r.save(&run.join("results.json")).unwrap();
    }

    #[test]
    fn without_an_earlier_run_the_floor_is_all_there_is() {
        let dir = tempfile::tempdir().unwrap();
        let p = plan(CONFIG, dir.path());
        let points = crate::matrix::expand(&p);
        let e = Estimate::of(&p, &points, CONFIG);
        assert_eq!(e.source, Source::Floor);
        // 5 ms start + 20 ms warm-up + 3 × 10 ms samples.
        assert!(
            (e.per_process[0] - 0.055).abs() < 1e-9,
            "{}",
            e.per_process[0]
        );
        assert!(e.describe(2).starts_with("the floor"));
    }

    #[test]
    fn an_earlier_run_of_the_config_gives_each_point_its_measured_cost() {
        let dir = tempfile::tempdir().unwrap();
        let p = plan(CONFIG, dir.path());
        let text = format!("{CONFIG}[report]\ndir = \"{}\"\n", dir.path().display());
        // 4 processes × 2 points of 200 ms each, in 2 s: 50 ms a run besides.
        save(
            dir.path(),
            "2026-01-01T00-00-00Z",
            &earlier(dir.path(), CONFIG, 200.0, Some(2.0)),
        );
        let points = crate::matrix::expand(&p);
        let e = Estimate::of(&p, &points, &text);
        assert!(matches!(
            e.source,
            Source::Previous {
                same_config: true,
                matched: 2,
                ..
            }
        ));
        assert!((e.per_process[1] - 0.2).abs() < 1e-9, "{:?}", e.per_process);
        assert!((e.overhead - 0.05).abs() < 1e-9, "{}", e.overhead);
        assert!((e.round_s() - 0.5).abs() < 1e-9);
        assert!(
            e.describe(2).contains("previous run of this config"),
            "{}",
            e.describe(2)
        );
        // 1.3 s fits two rounds of 0.5 s, never more than configured.
        assert_eq!(e.fit(Duration::from_millis(1300), 4), 2);
        assert_eq!(e.fit(Duration::from_secs(100), 4), 4);
        assert_eq!(e.fit(Duration::from_millis(10), 4), 1);
    }

    #[test]
    fn more_samples_cost_more_and_the_newest_same_config_wins() {
        let dir = tempfile::tempdir().unwrap();
        let doubled = CONFIG.replace("samples = 3", "samples = 6");
        let p = plan(&doubled, dir.path());
        let text = format!("{doubled}[report]\ndir = \"{}\"\n", dir.path().display());
        // An older run of another config of the workload: 200 ms a process,
        // of which 3 samples × 10 ms; six samples add 30 ms.
        save(
            dir.path(),
            "2026-01-01T00-00-00Z",
            &earlier(dir.path(), CONFIG, 200.0, None),
        );
        let points = crate::matrix::expand(&p);
        let e = Estimate::of(&p, &points, &text);
        assert!(matches!(
            e.source,
            Source::Previous {
                same_config: false,
                ..
            }
        ));
        assert!(
            (e.per_process[0] - 0.23).abs() < 1e-6,
            "{:?}",
            e.per_process
        );
        assert_eq!(e.overhead, DEFAULT_OVERHEAD_S);
        // A newer run of another workload is passed over; an older one of the
        // same config is preferred over a newer one of another config.
        let mut same = earlier(dir.path(), &doubled, 90.0, None);
        same.config_text = text.clone();
        save(dir.path(), "2025-12-31T00-00-00Z", &same);
        let e = Estimate::of(&p, &points, &text);
        assert!(matches!(
            e.source,
            Source::Previous {
                same_config: true,
                ..
            }
        ));
        // 90 ms, of which 3 samples of 10 ms; six samples add 30 ms.
        assert!(
            (e.per_process[0] - 0.12).abs() < 1e-6,
            "{:?}",
            e.per_process
        );
    }
}
