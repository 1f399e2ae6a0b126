//! `cargo bench` and `cargo test --benches` for a harness built with
//! `tuner::main!`, as criterion and divan do for theirs.
//!
//! Cargo runs a `harness = false` bench target with `--bench` under
//! `cargo bench` and with no argument at all under `cargo test --benches`
//! (or `--all-targets`). Without a tuner command, then:
//!
//! - [`Mode::Bench`] (`--bench` alone): each experiment's default matrix,
//!   what a config naming only `workload = "<name>"` gives, runs through
//!   tuner's real runner with the default measurement (processes,
//!   samples, warm-up) and one short table per experiment: each point's
//!   time per operation with its interval, the change against the
//!   baseline point with its interval, and the verdict, from the same
//!   [`Analysis`] a report reads.
//! - [`Mode::Smoke`] (no argument): every point runs once, in one process
//!   with one sample and no warm-up, and the target fails, with each
//!   failure's message, when a variant panics (or fails otherwise) or the
//!   variants' outputs differ.
//!
//! Positional arguments that are not tuner commands filter the
//! experiments by name, as `cargo bench -- <filter>` does for criterion
//! (cargo passes a filter to every bench target, so in `cargo bench` one
//! that matches nothing here runs nothing and is not an error); flags
//! libtest takes (`--nocapture`, `--quiet` …) are ignored.
//!
//! Runs go to a temporary folder, which is also the workers' and the
//! runner's temp dir (`TMPDIR`), so nothing is written outside it, and it
//! is removed at the end. The table is deliberately minimal: the report's
//! table renderer is the place for more.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use tuner_api::{Catalog, Experiment};

use crate::analysis::{Analysis, PointAnalysis};
use crate::config::Plan;
use crate::console::{errln, out};
use crate::exit::Failure;
use crate::results::Results;
use crate::runner::{Batch, Interrupt, ProgressMode, Session, WorkerExe};
use crate::stats::CompareSettings;
use crate::units::duration_ns;

/// What a harness does when it is given no tuner command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// `cargo bench`: each experiment's default matrix, measured.
    Bench,
    /// `cargo test --benches`: each point once, as a test.
    Smoke,
}

/// What a harness's command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Invocation {
    /// A tuner command, the program's name first (`--bench` dropped).
    Command(Vec<OsString>),
    /// No command: `mode` over the experiments whose names contain one of
    /// `filters` (every experiment when there is none).
    Default { mode: Mode, filters: Vec<String> },
}

/// The first words that make a tuner command line rather than a filter.
const COMMANDS: &[&str] = &[
    "run",
    "merge",
    "list",
    "report",
    "compare",
    "ab",
    "export",
    "worker",
    "help",
    "--help",
    "-h",
    "--version",
    "-V",
];

/// Reads a harness's arguments (the program's name first): a tuner
/// command, or a [`Mode`] with its filters.
pub(crate) fn invocation(args: impl IntoIterator<Item = OsString>) -> Invocation {
    let all: Vec<OsString> = args.into_iter().collect();
    let cargo_bench = all.iter().skip(1).any(|a| a == "--bench");
    let kept: Vec<OsString> = all.into_iter().filter(|a| a != "--bench").collect();
    let is_command = kept
        .get(1)
        .is_some_and(|first| COMMANDS.iter().any(|c| first == *c));
    if is_command {
        return Invocation::Command(kept);
    }
    Invocation::Default {
        mode: if cargo_bench {
            Mode::Bench
        } else {
            Mode::Smoke
        },
        filters: kept
            .iter()
            .skip(1)
            .map(|a| a.to_string_lossy().into_owned())
            // libtest's flags, which `cargo test -- …` passes to every target.
            .filter(|a| !a.starts_with('-'))
            .collect(),
    }
}

/// Runs `mode` over the experiments of `catalog` that `filters` pick.
pub(crate) fn run(catalog: &Catalog, mode: Mode, filters: &[String]) -> Result<(), Failure> {
    let chosen: Vec<&'static dyn Experiment> = catalog
        .iter()
        .filter(|e| filters.is_empty() || filters.iter().any(|f| e.name().contains(f.as_str())))
        .collect();
    if chosen.is_empty() {
        let names: Vec<&str> = catalog.iter().map(|e| e.name()).collect();
        let message = format!(
            "no experiment matches {}; this harness has {} (and the commands run, list, report, compare, ab, export, merge)",
            filters.join(", "),
            names.join(", ")
        );
        return match mode {
            // `cargo bench -- <filter>` gives every bench target the filter.
            Mode::Bench => {
                errln(&format!("tuner: {message}"));
                Ok(())
            }
            Mode::Smoke => Err(Failure::Usage(anyhow::anyhow!(message))),
        };
    }
    let temp =
        Temp::create().map_err(|e| Failure::Other(e.context("creating a temporary folder")))?;
    let interrupt = Interrupt::install().map_err(|e| Failure::Other(e.into()))?;
    let exe = WorkerExe::current().map_err(|e| Failure::Other(e.into()))?;
    let session = Session {
        exe: &exe,
        interrupt: &interrupt,
        mode: match (mode, ProgressMode::detect()) {
            (Mode::Bench, ProgressMode::Bar) => ProgressMode::Bar,
            _ => ProgressMode::Quiet,
        },
        batch: Batch::default(),
    };
    let mut failed = Vec::new();
    for exp in &chosen {
        let plan = default_plan(catalog, exp.name(), temp.path(), mode)?;
        let config = temp.path().join(format!("{}.toml", exp.name()));
        let text = config_text(exp.name());
        let finished = crate::runner::run(&plan, &config, &text, &session)?;
        if let Some(signal) = finished.stopped_by {
            return Err(Failure::Stopped {
                signal,
                resume: None,
            });
        }
        let results = &finished.results;
        let analysis = Analysis::of(results, &CompareSettings::default());
        let problems = Problems::of(results, &analysis);
        // A failed process fails the target; outputs that differ are a
        // warning in a measurement, as in a report, and fail a smoke test.
        let fails = !problems.failures.is_empty()
            || (mode == Mode::Smoke && !problems.outputs_differ.is_empty());
        match mode {
            Mode::Bench => out(&table(exp.name(), results, &analysis)),
            Mode::Smoke => out(&smoke_line(exp.name(), results, fails)),
        }
        for problem in problems.failures.iter().chain(&problems.outputs_differ) {
            errln(&format!("  {}: {problem}", exp.name()));
        }
        if fails {
            failed.push(exp.name());
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Failure::Other(anyhow::anyhow!(
            "{} of {} experiments failed: {}",
            failed.len(),
            chosen.len(),
            failed.join(", ")
        )))
    }
}

/// The config of an experiment's default matrix: the workload and
/// nothing else (a fixed run name, so any experiment name will do).
fn config_text(workload: &str) -> String {
    format!(
        "[experiment]\nname = \"default\"\nworkload = {}\n",
        toml::Value::from(workload)
    )
}

/// The plan of `workload`'s default matrix, its runs going into `dir`;
/// for a smoke test, one process per point with one sample, no warm-up.
fn default_plan(
    catalog: &Catalog,
    workload: &str,
    dir: &Path,
    mode: Mode,
) -> Result<Plan, Failure> {
    let path = dir.join(format!("{workload}.toml"));
    let mut plan =
        crate::config::parse(&path, &config_text(workload), catalog).map_err(Failure::Config)?;
    plan.report.dir = dir.join("runs");
    if mode == Mode::Smoke {
        let m = &mut plan.measure;
        m.processes = 1;
        m.samples = 1;
        m.warmup = Duration::ZERO;
        m.min_sample_time = Duration::ZERO;
    }
    Ok(plan)
}

/// What went wrong in a run, one line each.
#[derive(Debug, Default, PartialEq)]
struct Problems {
    /// A failed process: `<point>: <reason>`.
    failures: Vec<String>,
    /// A group of points doing the same work whose outputs differ.
    outputs_differ: Vec<String>,
}

impl Problems {
    fn of(results: &Results, analysis: &Analysis) -> Problems {
        let varying = crate::matrix::varying_axes(&results.plan.axes);
        let label = |id: usize| point_label(results, id, &varying);
        // Each point's distinct reasons, counted: a point fails alike in
        // every process more often than not.
        let mut failures = Vec::new();
        for p in &analysis.points {
            let mut reasons: Vec<(&str, usize)> = Vec::new();
            for f in &p.failures {
                match reasons.iter_mut().find(|(r, _)| *r == f.reason) {
                    Some((_, n)) => *n += 1,
                    None => reasons.push((&f.reason, 1)),
                }
            }
            let tried = p.failures.len() + p.processes.len();
            for (reason, n) in reasons {
                let count = if tried == 1 {
                    String::new()
                } else {
                    format!(" ({n} of {tried} processes)")
                };
                failures.push(format!("{}: {reason}{count}", label(p.id)));
            }
        }
        let outputs_differ = analysis
            .checks
            .digests_differ
            .iter()
            .map(|&g| {
                let digests: Vec<String> = analysis.groups[g]
                    .points
                    .iter()
                    .filter(|&&id| !analysis.points[id].digests.is_empty())
                    .map(|&id| {
                        let d: Vec<String> = analysis.points[id]
                            .digests
                            .iter()
                            .map(|d| format!("{d:016x}"))
                            .collect();
                        format!("{} {}", label(id), d.join("/"))
                    })
                    .collect();
                format!(
                    "the variants' outputs differ (digests: {}): they do not compute the same thing",
                    digests.join(", ")
                )
            })
            .collect();
        Problems {
            failures,
            outputs_differ,
        }
    }
}

/// `variant=owned threads=2`, or the variant alone when nothing varies.
fn point_label(results: &Results, id: usize, varying: &[&str]) -> String {
    results.points[id].label(varying)
}

/// `smoke test: logagg, 4 points ... ok`.
fn smoke_line(name: &str, results: &Results, failed: bool) -> String {
    let points = results.points.len();
    let verdict = if failed { "FAILED" } else { "ok" };
    format!(
        "smoke test: {name}, {points} point{} ... {verdict}\n",
        if points == 1 { "" } else { "s" }
    )
}

/// The short table of one experiment's run.
fn table(name: &str, results: &Results, analysis: &Analysis) -> String {
    let varying = crate::matrix::varying_axes(&results.plan.axes);
    let baseline = results.baseline;
    let base_label = baseline.map_or_else(|| "–".into(), |b| point_label(results, b, &varying));
    // Every interval of a run shares its level (the same processes per
    // point), so the header says it once.
    let level = crate::report::format::common_level(
        analysis.points.iter().filter_map(|p| p.time.as_ref()?.ci),
    );
    let heading = match level {
        Some(l) => format!("time/op [{:.1}% interval]", l * 100.0),
        None => "time/op [interval]".to_string(),
    };
    let mut rows = vec![[
        "point".to_string(),
        heading,
        format!("vs {base_label}"),
        "verdict".to_string(),
    ]];
    for p in &analysis.points {
        rows.push(row(results, p, baseline, &varying, level));
    }
    let widths: Vec<usize> = (0..4)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let m = &results.plan.measure;
    let mut text = format!(
        "{name}: {} points, {} processes × {} samples each\n",
        results.points.len(),
        m.processes,
        m.samples
    );
    for r in &rows {
        let mut line = String::from("  ");
        for (c, cell) in r.iter().enumerate() {
            let _ = write!(line, "{cell:<w$}  ", w = widths[c]);
        }
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text.push('\n');
    text
}

/// One point's cells: label, time with interval, change, verdict.
fn row(
    results: &Results,
    p: &PointAnalysis,
    baseline: Option<usize>,
    varying: &[&str],
    level: Option<f64>,
) -> [String; 4] {
    let label = point_label(results, p.id, varying);
    let failed = if p.failures.is_empty() {
        String::new()
    } else {
        format!(
            "{} of {} processes failed",
            p.failures.len(),
            p.failures.len() + p.processes.len()
        )
    };
    let Some(time) = &p.time else {
        return [label, "–".into(), String::new(), failed];
    };
    let time = match &time.ci {
        Some(ci) => format!(
            "{} {}",
            duration_ns(time.median),
            crate::report::format::interval(ci, level, duration_ns)
        ),
        None => duration_ns(time.median),
    };
    let (change, verdict) = match (&p.vs_baseline, Some(p.id) == baseline) {
        (_, true) => ("baseline".to_string(), String::new()),
        (Some(c), false) => (c.change.to_string(), c.verdict.to_string()),
        (None, false) => (String::new(), String::new()),
    };
    let verdict = [verdict, failed]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    [label, time, change, verdict]
}

/// The run's temporary folder, also the process's temp dir (`TMPDIR`),
/// so the runner's scratch roots and every worker's files land in it;
/// removed, with all of that, when dropped.
struct Temp {
    dir: tempfile::TempDir,
}

impl Temp {
    fn create() -> anyhow::Result<Temp> {
        let dir = tempfile::Builder::new().prefix("tuner-bench-").tempdir()?;
        let tmp = dir.path().join("tmp");
        std::fs::create_dir(&tmp)?;
        // Before any thread of ours starts: the runner's scratch roots and
        // the workers (which inherit it) use the temp dir from here on.
        std::env::set_var("TMPDIR", &tmp);
        Ok(Temp { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    fn default(mode: Mode, filters: &[&str]) -> Invocation {
        Invocation::Default {
            mode,
            filters: filters.iter().map(|f| f.to_string()).collect(),
        }
    }

    #[test]
    fn cargo_bench_alone_benches_and_no_argument_is_a_smoke_test() {
        assert_eq!(
            invocation(args(&["tune", "--bench"])),
            default(Mode::Bench, &[])
        );
        assert_eq!(invocation(args(&["tune"])), default(Mode::Smoke, &[]));
    }

    #[test]
    fn a_command_passes_to_the_command_line_without_cargos_flag() {
        assert_eq!(
            invocation(args(&["tune", "run", "x.toml", "--bench"])),
            Invocation::Command(args(&["tune", "run", "x.toml"]))
        );
        assert_eq!(
            invocation(args(&["tune", "--bench", "list"])),
            Invocation::Command(args(&["tune", "list"]))
        );
        assert_eq!(
            invocation(args(&["tune", "worker"])),
            Invocation::Command(args(&["tune", "worker"]))
        );
        assert_eq!(
            invocation(args(&["tune", "--help"])),
            Invocation::Command(args(&["tune", "--help"]))
        );
    }

    #[test]
    fn other_words_filter_the_experiments_and_libtest_flags_are_ignored() {
        assert_eq!(
            invocation(args(&["tune", "log", "--bench"])),
            default(Mode::Bench, &["log"])
        );
        // The first word decides: a command's name later is a filter.
        assert_eq!(
            invocation(args(&["tune", "--nocapture", "sort", "list"])),
            default(Mode::Smoke, &["sort", "list"])
        );
    }

    #[test]
    fn the_default_matrix_is_a_config_naming_only_the_workload() {
        let text = config_text("a \"quoted\" name");
        let value: toml::Value = toml::from_str(&text).unwrap();
        assert_eq!(
            value["experiment"]["workload"].as_str(),
            Some("a \"quoted\" name")
        );
        let catalog = tuner_experiments_free_catalog();
        let dir = Path::new("/tmp/x");
        let plan = default_plan(&catalog, "sum", dir, Mode::Bench)
            .ok()
            .unwrap();
        let defaults = crate::config::MeasureSettings::default();
        assert_eq!(plan.measure.processes, defaults.processes);
        assert_eq!(plan.report.dir, dir.join("runs"));
        assert_eq!(crate::matrix::expand(&plan).len(), 2);
        let smoke = default_plan(&catalog, "sum", dir, Mode::Smoke)
            .ok()
            .unwrap();
        let m = &smoke.measure;
        assert_eq!((m.processes, m.samples), (1, 1));
        assert_eq!(
            (m.warmup, m.min_sample_time),
            (Duration::ZERO, Duration::ZERO)
        );
    }

    fn tuner_experiments_free_catalog() -> Catalog {
        let mut bench = tuner_api::Bench::new("sum");
        let n = bench.param_in("n", 10u64, 1..=100, "how many");
        Catalog::new().bench(
            bench
                .variant("loop", move |p, _| {
                    let n = p.get(n);
                    move || (1..=n).sum::<u64>()
                })
                .variant("formula", move |p, _| {
                    let n = p.get(n);
                    move || n * (n + 1) / 2
                }),
        )
    }
}
