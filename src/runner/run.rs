//! Running a whole plan: make the run folder (never one that exists),
//! expand, schedule, execute each slot in its own process, journal each
//! result before the next starts, confirm the pick in fresh pairs when
//! asked (`super::confirm`), run the profiling passes, then save the
//! results (the caller renders the report from them). A run stopped by a
//! signal saves what it has and says so; [`super::resume`] carries it on.
//!
//! A [`Batch`] narrows and bounds the run: a shard runs only its share of
//! the schedule (every run keeps its place in the whole schedule, so
//! shards merge by it); a deadline (`--budget`) does not start a run it
//! expects to end past it, and `--fail-fast` stops after the first failed
//! run. Both end the run as a signal does: what was measured is saved,
//! the results say why they are short, and `--resume` can finish them.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context as _;

use super::confirm::Confirm;
use super::interrupt::{signal_name, Interrupt};
use super::progress::{Progress, ProgressMode};
use super::rounds::{self, Control};
use super::scratch::ScratchRoot;
use super::spawn::{execute, Launcher, WorkerExe};
use crate::config::Plan;
use crate::estimate::Estimate;
use crate::matrix;
use crate::matrix::{Point, Shard};
use crate::protocol::{RunSpec, PROTOCOL_VERSION};
use crate::results::{Journal, Planning, Results, RunRecord, JOURNAL_FILE, SCHEMA};

/// Where a run's files are, and whether a signal stopped it.
pub(crate) struct Finished {
    pub dir: PathBuf,
    pub results: Results,
    /// The signal that stopped the run before its end, if one did.
    pub stopped_by: Option<i32>,
    /// The budget or `--fail-fast` that ended the run early, if one did.
    pub cut_short: Option<CutShort>,
}

/// What running takes besides the plan.
pub(crate) struct Session<'a> {
    pub exe: &'a WorkerExe,
    pub interrupt: &'a Interrupt,
    pub mode: ProgressMode,
    pub batch: Batch,
}

/// How a run is narrowed and bounded: its shard, its machine, its deadline.
#[derive(Clone, Debug, Default)]
pub(crate) struct Batch {
    /// Run only this share of the schedule.
    pub shard: Option<Shard>,
    /// The machine's name to record (`None`: this machine's identity).
    pub machine: Option<String>,
    /// The estimate the run starts from (and the processes a budget fitted).
    pub planning: Option<Planning>,
    /// The estimate's per-point costs, to keep to the deadline.
    pub estimate: Option<Estimate>,
    /// Start no run expected to end past this (`--budget`).
    pub deadline: Option<(Instant, Duration)>,
    /// Stop after the first failed run.
    pub fail_fast: bool,
    /// Contended rounds a run may run again (`None`: a quarter of its
    /// most rounds; `Some(0)`: none).
    pub rerun_limit: Option<u32>,
    /// Stop when the machine stays busy (`--require-quiet`).
    pub require_quiet: bool,
    /// Confirm the pick against the baseline in fresh pairs (`--confirm`).
    pub confirm: Confirm,
}

impl Batch {
    /// Whether work expected to take `seconds` ends before the deadline
    /// (always, without one).
    pub(super) fn fits(&self, seconds: f64) -> bool {
        self.deadline.is_none_or(|(deadline, _)| {
            Instant::now() + Duration::from_secs_f64(seconds) <= deadline
        })
    }
}

/// Why a run ended before its schedule did, other than a signal.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum CutShort {
    /// The next run would have ended past the budget.
    Budget(Duration),
    /// A run failed and `--fail-fast` was given.
    FailFast,
    /// The machine stayed busy and `--require-quiet` was given.
    Busy(String),
}

/// Runs every point of `plan`, then its profiling passes, and writes
/// `journal.jsonl`, `results.json` and the profiles into a new run folder.
pub(crate) fn run(
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
    if let Some(shard) = session.batch.shard {
        shard.check(points.len(), plan.measure.processes)?;
    }
    let machine = crate::environment::machine::identity(session.batch.machine.as_deref())?;
    let environment = crate::environment::capture(config_path);
    let parent = plan.report.dir.join(&plan.name);
    let name = match session.batch.shard {
        Some(s) => format!(
            "{}-shard-{}of{}",
            run_id(&environment.date),
            s.index,
            s.count
        ),
        None => run_id(&environment.date),
    };
    let (dir, run_id) = crate::fsio::create_unique_dir(&parent, &name)
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
        shard: session.batch.shard,
        machine: Some(machine),
        merged: None,
        planning: session.batch.planning.clone(),
        elapsed_s: None,
        rounds: None,
    };
    let mut results = results;
    let limit = session
        .batch
        .rerun_limit
        .unwrap_or_else(|| rounds::default_rerun_limit(plan));
    results.rounds = rounds::start(
        plan,
        &results.points,
        results.baseline,
        session.batch.shard,
        limit,
    )
    .with_context(|| config_path.display().to_string())?;
    let journal_path = dir.join(JOURNAL_FILE);
    let journal = Journal::create(&journal_path, &results)
        .with_context(|| format!("creating {}", journal_path.display()))?;
    carry_on(results, dir, journal, session)
}

/// Runs what the journal lacks, then the confirmation and the profiling
/// passes, and saves.
pub(super) fn carry_on(
    mut results: Results,
    dir: PathBuf,
    mut journal: Journal,
    session: &Session,
) -> anyhow::Result<Finished> {
    let started = Instant::now();
    let scratch = ScratchRoot::create().context("creating the scratch root")?;
    session
        .interrupt
        .set_scratch(Some(scratch.path().to_path_buf()));
    let launcher = Launcher {
        exe: session.exe,
        scratch: &scratch,
        interrupt: session.interrupt,
    };
    // A run resumed on another machine records it on each new run.
    let here = crate::environment::machine::identity(session.batch.machine.as_deref())?;
    let elsewhere = (results.machine.as_deref() != Some(here.as_str())).then_some(here);
    let timed = timed_runs(
        &mut results,
        (&mut journal, &dir),
        &launcher,
        session,
        elsewhere.as_deref(),
    )?;
    let mut complete = timed == Timed::All;
    if complete {
        complete = super::confirm::run(&mut results, &mut journal, &launcher, session)
            .with_context(|| format!("{}", dir.join(JOURNAL_FILE).display()))?;
    }
    if complete && profiles_here(&results, &session.batch) {
        // Profiles come from processes of their own, after every timed run.
        let (profiling, all) = super::profiles::run(&results, &dir, &launcher, session.mode);
        results.profiling = profiling;
        complete = all;
    }
    let stopped_by = session.interrupt.signal().filter(|_| !complete);
    let cut_short = match timed {
        Timed::Cut(why) if stopped_by.is_none() => Some(why),
        _ => None,
    };
    results.interrupted = match (stopped_by, &cut_short) {
        (Some(s), _) => Some(stopped(&results, &format!("stopped by {}", signal_name(s)))),
        (None, Some(why)) => Some(stopped(&results, &why.to_string())),
        (None, None) => None,
    };
    results.runs.sort_by_key(|r| r.seq);
    results.elapsed_s = Some(started.elapsed().as_secs_f64());
    let results_path = dir.join(crate::results::RESULTS_FILE);
    results
        .save(&results_path)
        .with_context(|| format!("writing {}", results_path.display()))?;
    session.interrupt.set_scratch(None);
    drop(scratch);
    Ok(Finished {
        dir,
        results,
        stopped_by,
        cut_short,
    })
}

impl std::fmt::Display for CutShort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CutShort::Budget(budget) => write!(
                f,
                "stopped at the budget of {}: the next run would have ended past it",
                humantime::format_duration(*budget)
            ),
            CutShort::FailFast => write!(f, "stopped at the first failed run (--fail-fast)"),
            CutShort::Busy(why) => write!(f, "stopped by --require-quiet: {why}"),
        }
    }
}

/// Whether the timed runs all ran, or what stopped them.
#[derive(Debug, PartialEq)]
enum Timed {
    All,
    Signal,
    Cut(CutShort),
}

/// The profiling passes run once per run: in the first shard of a
/// sharded one (`merge` takes them from there), and only when the budget
/// leaves room for them.
fn profiles_here(results: &Results, batch: &Batch) -> bool {
    // The results' shard, not the batch's: a resumed shard has it there only.
    if results.shard.is_some_and(|s| s.index != 1) {
        return false;
    }
    match &batch.estimate {
        Some(e) if e.profiling > 0.0 => {
            let fits = batch.fits(e.profiling);
            if !fits && !crate::protocol::profile_passes(&results.plan).is_empty() {
                crate::console::errln(
                    "the profiling passes do not fit in what is left of the budget: skipped",
                );
            }
            fits
        }
        _ => true,
    }
}

/// Runs round after round (`rounds::Control` says which points each
/// holds) every slot of the run's share that the journal lacks, until the
/// rounds end, or a signal, the deadline, a failure (with `--fail-fast`)
/// or a busy machine (with `--require-quiet`) stops it.
fn timed_runs(
    results: &mut Results,
    (journal, dir): (&mut Journal, &Path),
    launcher: &Launcher,
    session: &Session,
    elsewhere: Option<&str>,
) -> anyhow::Result<Timed> {
    let plan = results.plan.clone();
    let in_journal = |e: anyhow::Error| e.context(format!("{}", dir.join(JOURNAL_FILE).display()));
    let mut control = Control::new(results, journal).map_err(in_journal)?;
    let varying = matrix::varying_axes(&plan.axes);
    let mut progress = Progress::new(session.mode, results.scheduled_total());
    progress.skip(results.runs.len());
    let result = loop {
        let Some(round) = control.next_round(results, journal).map_err(in_journal)? else {
            break Timed::All;
        };
        progress.grow(results.runs.len() + round.slots.len());
        if let Some(cut) = run_round(
            results,
            journal,
            (&round, &varying),
            launcher,
            session,
            elsewhere,
            &mut progress,
        )? {
            break cut;
        }
        if session.batch.require_quiet {
            if let Some(why) = rounds::busy(results, Some(round.index)) {
                break Timed::Cut(CutShort::Busy(why));
            }
        }
    };
    progress.finish();
    if result != Timed::All {
        control.stop(results);
    }
    Ok(result)
}

/// Runs the slots of `round`; what stopped it, if something did.
fn run_round(
    results: &mut Results,
    journal: &mut Journal,
    (round, varying): (&rounds::Round, &[&str]),
    launcher: &Launcher,
    session: &Session,
    elsewhere: Option<&str>,
    progress: &mut Progress,
) -> anyhow::Result<Option<Timed>> {
    let plan = &results.plan;
    for &(seq, slot) in &round.slots {
        if let Some((_, budget)) = session.batch.deadline {
            if !session
                .batch
                .fits(expected_s(&session.batch, &results.runs, slot))
            {
                return Ok(Some(Timed::Cut(CutShort::Budget(budget))));
            }
        }
        let point = &results.points[slot.point];
        let label = point.label(varying);
        let Some(mut record) =
            run_process(launcher, plan, point, (slot.process, seq), &label, progress)
        else {
            return Ok(Some(Timed::Signal));
        };
        record.machine = elsewhere.map(str::to_string);
        journal
            .append(&record)
            .context("appending to the journal")?;
        progress.finished(&label, &record);
        let failed = record.output().is_none();
        results.runs.push(record);
        if failed && session.batch.fail_fast {
            return Ok(Some(Timed::Cut(CutShort::FailFast)));
        }
        if session.batch.require_quiet {
            if let Some(why) = rounds::busy(results, None) {
                return Ok(Some(Timed::Cut(CutShort::Busy(why))));
            }
        }
    }
    Ok(None)
}

/// Runs process `process` of `point` at `seq` in the run order, shown in
/// `progress` as `label`, with whether the machine contended for it;
/// `None` when a signal came first.
pub(super) fn run_process(
    launcher: &Launcher,
    plan: &Plan,
    point: &Point,
    (process, seq): (u32, usize),
    label: &str,
    progress: &mut Progress,
) -> Option<RunRecord> {
    progress.starting(label);
    if launcher.interrupt.signal().is_some() {
        return None;
    }
    let mut record = execute(launcher, RunSpec::new(plan, point, None), process, seq)?;
    record.contended = contended(&record, point.threads);
    Some(record)
}

/// Why the machine contended for `record`'s window, if it did: the
/// classifier's rule (`machine::classify`), which counts only other
/// tasks' demand, for a point that asked for `threads` threads.
pub(super) fn contended(record: &RunRecord, threads: usize) -> Option<String> {
    let delivered = record.output()?.machine.as_deref()?;
    let asked = u32::try_from(threads).unwrap_or(u32::MAX).max(1);
    match crate::machine::classify(delivered, asked) {
        crate::machine::Contention::Quiet => None,
        crate::machine::Contention::Contended { reason, figures } => {
            let share = match reason {
                crate::machine::Reason::Throttled => figures.throttled_share,
                crate::machine::Reason::Steal => figures.steal_share,
                crate::machine::Reason::OthersCpu => figures.others_cpu_share,
                crate::machine::Reason::RunDelay => figures.unexplained_delay,
            };
            Some(match share {
                Some(s) => format!("{} ({:.0}%)", reason.describe(), s * 100.0),
                None => reason.describe().to_string(),
            })
        }
    }
}

/// Seconds the run of `slot` is expected to take: the estimate, or what
/// the point's runs so far took when that is more (an estimate from the
/// floor knows nothing of slow operations).
pub(super) fn expected_s(batch: &Batch, runs: &[RunRecord], slot: matrix::Slot) -> f64 {
    let estimated = batch.estimate.as_ref().map_or(0.0, |e| e.slot_s(slot));
    let seen: Vec<f64> = runs
        .iter()
        .filter(|r| r.point == slot.point)
        .map(|r| r.wall_ms / 1e3)
        .collect();
    let observed = if seen.is_empty() {
        0.0
    } else {
        crate::stats::median(&seen).unwrap_or(f64::NAN)
            + batch.estimate.as_ref().map_or(0.0, |e| e.overhead)
    };
    estimated.max(observed)
}

/// `stopped by SIGINT (Ctrl-C) after 12 of 36 runs`.
fn stopped(results: &Results, why: &str) -> String {
    let done = results.runs.len();
    // An adaptive run, or one with re-run rounds, may run more than the
    // fixed design's processes before its end.
    let total = results
        .scheduled_total()
        .max(done + usize::from(results.adaptive().is_some()));
    let during = if done == total {
        " (during the profiling passes)"
    } else {
        ""
    };
    format!("{why} after {done} of {total} runs{during}")
}

/// `2026-11-27T23-59-01Z`: sortable, and safe in file names.
fn run_id(date: &str) -> String {
    date.replace(':', "-")
}
