//! Running a whole plan: make the run folder (never one that exists),
//! expand, schedule, execute each slot in its own process, journal each
//! result before the next starts, run the profiling passes, then save the
//! results (the caller renders the report from them). A run stopped by a
//! signal saves what it has and says so; [`super::resume`] carries it on.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::interrupt::{signal_name, Interrupt};
use super::progress::{Progress, ProgressMode};
use super::scratch::ScratchRoot;
use super::spawn::{execute, Launcher, WorkerExe};
use crate::config::Plan;
use crate::matrix;
use crate::protocol::{RunSpec, PROTOCOL_VERSION};
use crate::results::{Journal, Results, JOURNAL_FILE, SCHEMA};

/// Where a run's files are, and whether a signal stopped it.
pub struct Finished {
    pub dir: PathBuf,
    pub results: Results,
    /// The signal that stopped the run before its end, if one did.
    pub stopped_by: Option<i32>,
}

/// What running takes besides the plan.
pub struct Session<'a> {
    pub exe: &'a WorkerExe,
    pub interrupt: &'a Interrupt,
    pub mode: ProgressMode,
}

/// Runs every point of `plan`, then its profiling passes, and writes
/// `journal.jsonl`, `results.json` and the profiles into a new run folder.
pub fn run(
    plan: &Plan,
    config_path: &Path,
    config_text: &str,
    session: &Session,
) -> anyhow::Result<Finished> {
    let points = matrix::expand(plan);
    anyhow::ensure!(
        !points.is_empty(),
        "{}: every point of the matrix is excluded",
        config_path.display()
    );
    let environment = crate::environment::capture(config_path);
    let parent = plan.report.dir.join(&plan.name);
    let (dir, run_id) = crate::fsio::create_unique_dir(&parent, &run_id(&environment.date))
        .with_context(|| format!("creating a run folder in {}", parent.display()))?;
    let results = Results {
        schema: SCHEMA,
        protocol: PROTOCOL_VERSION,
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
        interrupted: None,
    };
    let journal_path = dir.join(JOURNAL_FILE);
    let journal = Journal::create(&journal_path, &results)
        .with_context(|| format!("creating {}", journal_path.display()))?;
    carry_on(results, dir, journal, session)
}

/// Runs what the journal lacks, then the profiling passes, and saves.
pub(super) fn carry_on(
    mut results: Results,
    dir: PathBuf,
    mut journal: Journal,
    session: &Session,
) -> anyhow::Result<Finished> {
    let scratch = ScratchRoot::create().context("creating the scratch root")?;
    session
        .interrupt
        .set_scratch(Some(scratch.path().to_path_buf()));
    let launcher = Launcher {
        exe: session.exe,
        scratch: &scratch,
        interrupt: session.interrupt,
    };
    let mut complete = timed_runs(&mut results, &mut journal, &dir, &launcher, session.mode)?;
    if complete {
        // Profiles come from processes of their own, after every timed run.
        let (profiling, all) = super::profiles::run(&results, &dir, &launcher, session.mode);
        results.profiling = profiling;
        complete = all;
    }
    let stopped_by = session.interrupt.signal().filter(|_| !complete);
    results.interrupted = stopped_by.map(|s| stopped(&results, s));
    results.runs.sort_by_key(|r| r.seq);
    let results_path = dir.join("results.json");
    results
        .save(&results_path)
        .with_context(|| format!("writing {}", results_path.display()))?;
    session.interrupt.set_scratch(None);
    drop(scratch);
    Ok(Finished {
        dir,
        results,
        stopped_by,
    })
}

/// Runs, in schedule order, every slot the journal lacks; whether all ran.
fn timed_runs(
    results: &mut Results,
    journal: &mut Journal,
    dir: &Path,
    launcher: &Launcher,
    mode: ProgressMode,
) -> anyhow::Result<bool> {
    let plan = results.plan.clone();
    let order = matrix::schedule(
        results.points.len(),
        plan.measure.processes,
        plan.measure.seed,
    );
    let done: HashSet<(usize, u32)> = results.runs.iter().map(|r| (r.point, r.process)).collect();
    let varying = matrix::varying_axes(&plan.axes);
    let mut progress = Progress::new(mode, order.len());
    progress.skip(done.len());
    let todo = order
        .iter()
        .enumerate()
        .filter(|(_, s)| !done.contains(&(s.point, s.process)));
    for (seq, slot) in todo {
        let point = &results.points[slot.point];
        let label = point.label(&varying);
        progress.starting(&label);
        let spec = RunSpec::new(&plan, point, None);
        let record = match launcher.interrupt.signal() {
            None => execute(launcher, spec, slot.process, seq),
            Some(_) => None,
        };
        let Some(record) = record else {
            progress.finish();
            return Ok(false);
        };
        journal
            .append(&record)
            .with_context(|| format!("appending to {}", dir.join(JOURNAL_FILE).display()))?;
        progress.finished(&label, &record);
        results.runs.push(record);
    }
    progress.finish();
    Ok(true)
}

/// `stopped by SIGINT (Ctrl-C) after 12 of 36 runs`.
fn stopped(results: &Results, signal: i32) -> String {
    let total = results.points.len() * results.plan.measure.processes as usize;
    let done = results.runs.len();
    let during = if done == total {
        " (during the profiling passes)"
    } else {
        ""
    };
    format!(
        "stopped by {} after {done} of {total} runs{during}",
        signal_name(signal)
    )
}

/// `2026-11-27T23-59-01Z`: sortable, and safe in file names.
fn run_id(date: &str) -> String {
    date.replace(':', "-")
}
