//! Running a whole plan: expand, schedule, execute each slot in its own
//! process, journal as results arrive, then save the results (the report
//! is rendered from them by the caller).

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::progress::{Progress, ProgressMode};
use super::spawn::{execute, WorkerExe};
use crate::config::Plan;
use crate::matrix;
use crate::protocol::{RunSpec, PROTOCOL_VERSION};
use crate::results::{Journal, Results, SCHEMA};

/// Where a finished run's files are.
pub struct Finished {
    pub dir: PathBuf,
    pub results: Results,
}

/// Runs every point of `plan`, then its profiling passes, and writes
/// `journal.jsonl`, `results.json`, `report.md`, the charts and the
/// profiles into a new run directory.
pub fn run(
    plan: &Plan,
    config_path: &Path,
    config_text: &str,
    exe: &WorkerExe,
    mode: ProgressMode,
) -> anyhow::Result<Finished> {
    let points = matrix::expand(plan);
    anyhow::ensure!(
        !points.is_empty(),
        "{}: every point of the matrix is excluded",
        config_path.display()
    );
    let environment = crate::environment::capture(config_path);
    let run_id = run_id(&environment.date);
    let dir = plan.report.dir.join(&plan.name).join(&run_id);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut results = Results {
        schema: SCHEMA,
        tuner_version: env!("CARGO_PKG_VERSION").to_string(),
        run_id,
        config_path: config_path.display().to_string(),
        config_text: config_text.to_string(),
        plan: plan.clone(),
        baseline: matrix::baseline(plan, &points),
        points,
        environment,
        runs: Vec::new(),
        profiling: Default::default(),
        warnings: Vec::new(),
    };
    let journal_path = dir.join("journal.jsonl");
    let mut journal = Journal::create(&journal_path, &results)
        .with_context(|| format!("creating {}", journal_path.display()))?;

    let varying = matrix::varying_axes(&plan.axes);
    let order = matrix::schedule(
        results.points.len(),
        plan.measure.processes,
        plan.measure.seed,
    );
    let mut progress = Progress::new(mode, order.len());
    for (seq, slot) in order.iter().enumerate() {
        let point = &results.points[slot.point];
        let label = point.label(&varying);
        progress.starting(&label);
        let spec = RunSpec {
            protocol: PROTOCOL_VERSION,
            workload: plan.workload.clone(),
            point: point.clone(),
            measure: plan.measure.clone(),
            profile: None,
        };
        let record = execute(exe, &spec, slot.process, seq);
        journal
            .append(&record)
            .with_context(|| format!("appending to {}", journal_path.display()))?;
        progress.finished(&label, &record);
        results.runs.push(record);
    }
    progress.finish();
    // Profiles come from processes of their own, after every timed run.
    results.profiling = super::profiles::run(&results, &dir, exe, mode);

    let results_path = dir.join("results.json");
    results
        .save(&results_path)
        .with_context(|| format!("writing {}", results_path.display()))?;
    Ok(Finished { dir, results })
}

/// `2026-11-27T23-59-01Z`: sortable, and safe in file names.
fn run_id(date: &str) -> String {
    date.replace(':', "-")
}
