//! What each command does, once the command line is parsed: run a plan
//! or resume a stopped run (and compare it with a baseline), re-render a
//! report, compare two runs, export a run, merge shards. Errors come back as
//! [`Failure`]s, which carry exit codes. Output goes through
//! `crate::console`, so a closed pipe never panics.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context as _;

use tuner_api::Catalog;

use crate::ab;
use crate::analysis::power::PlanPower;
use crate::compare::{self, CompareError, ComparisonReport, FailOn, OutputFormat};
use crate::config::{self, ProfileKind};
use crate::console::{errln, out, outln};
use crate::estimate::{Estimate, Planning};
use crate::exit::Failure;
use crate::export::{self, ExportFormat};
use crate::fsio::write_atomic;
use crate::results::Results;
use crate::runner::{self, Batch, Interrupt, ProgressMode, Resumable, Session, WorkerExe};
use crate::shards::{Shard, ShardArg, SplitBy};
use crate::stats::{CompareSettings, VerdictRule};

/// How two runs are judged: the engine's settings and the CI gate.
pub(crate) struct Judging {
    pub settings: CompareSettings,
    pub fail_on: FailOn,
}

impl Judging {
    pub(crate) fn new(noise_band_pct: f64, fail_on: FailOn) -> Judging {
        Judging {
            settings: CompareSettings {
                rule: VerdictRule {
                    noise_band_pct,
                    ..VerdictRule::default()
                },
                ..CompareSettings::default()
            },
            fail_on,
        }
    }
}

/// Where a run comes from: a config, or a stopped run to carry on.
pub(crate) enum RunSource {
    Config(PathBuf),
    Resume(PathBuf),
}

/// `tuner run`'s options, parsed.
pub(crate) struct RunOptions<'a> {
    pub source: RunSource,
    pub dry_run: bool,
    /// Run a design [`crate::analysis::power::PlanPower::refusal`] refuses.
    pub force: bool,
    pub quiet: bool,
    pub baseline: Option<&'a Path>,
    pub judging: Judging,
    pub profile: Option<&'a [ProfileKind]>,
    /// Run only this share of the schedule (`--shard`, `--shard-by`).
    pub shard: Option<(ShardArg, SplitBy)>,
    /// The machine's name to record (`--machine`).
    pub machine: Option<String>,
    /// Fit the run to this long (`--budget`; else the config's).
    pub budget: Option<Duration>,
    /// Stop after the first failed run.
    pub fail_fast: bool,
    /// Contended rounds to run again (`--rerun-contended`; `None`: auto).
    pub rerun_contended: Option<u32>,
    /// Confirm the pick in fresh pairs (`--confirm`).
    pub confirm: crate::runner::Confirm,
    /// Stop when the machine stays busy (`--require-quiet`, exit 4).
    pub require_quiet: bool,
    /// Also write report.html (`--html`).
    pub html: bool,
    /// Add the finished run to this history database (`--history`).
    pub history: Option<PathBuf>,
}

pub(crate) fn run(catalog: &Catalog, opts: &RunOptions) -> Result<(), Failure> {
    let started = Instant::now();
    let base = opts.baseline.map(load).transpose()?;
    let interrupt = Interrupt::install().map_err(|e| Failure::Other(e.into()))?;
    let exe = WorkerExe::current().map_err(|e| Failure::Other(e.into()))?;
    let mut session = Session {
        exe: &exe,
        interrupt: &interrupt,
        mode: if opts.quiet {
            ProgressMode::Quiet
        } else {
            ProgressMode::detect()
        },
        batch: Batch {
            machine: opts.machine.clone(),
            fail_fast: opts.fail_fast,
            rerun_limit: opts.rerun_contended,
            confirm: opts.confirm,
            require_quiet: opts.require_quiet,
            ..Batch::default()
        },
    };
    let finished = match &opts.source {
        RunSource::Config(path) => {
            let (mut plan, text) = read_plan(catalog, path, opts.profile)?;
            same_workload(base.as_ref(), &plan)?;
            let shard = resolve_shard(opts, &mut plan, &text)?;
            let points = crate::matrix::expand(&plan);
            let previous = crate::estimate::previous(&plan, &text);
            let estimate = Estimate::with_previous(&plan, &points, &text, previous.as_ref());
            let budget = opts.budget.or(plan.measure.budget);
            let planning = fit_to_budget(&mut plan, &estimate, budget, shard);
            let power = PlanPower::of(
                &plan,
                &points,
                previous.as_ref().map(|(p, r)| (p.as_path(), r)),
            );
            if opts.dry_run {
                // The previous run, when it is of this config, is the newest.
                let known = previous.as_ref().filter(|(_, r)| r.config_text == text);
                let more = crate::estimate::same_config(
                    &plan,
                    &text,
                    EARLIER_RUNS - usize::from(known.is_some()),
                    known.map(|(path, _)| path.as_path()),
                );
                let earlier: Vec<&Results> =
                    known.map(|(_, r)| r).into_iter().chain(&more).collect();
                let power = power.with_earlier(&earlier);
                out(&crate::catalog::dry_run(&plan, &estimate, shard, &planning));
                out(&power.describe());
                return Ok(());
            }
            if let Some(why) = power.refusal().filter(|_| !opts.force) {
                return Err(Failure::Usage(anyhow::anyhow!("{}: {why}", path.display())));
            }
            session.batch.shard = shard;
            session.batch.planning = Some(planning);
            session.batch.estimate = Some(estimate);
            session.batch.deadline = budget.map(|b| (started + b, b));
            runner::run(&plan, path, &text, &session)?
        }
        RunSource::Resume(dir) => {
            let resumable = Resumable::open(dir, catalog).map_err(Failure::Usage)?;
            same_workload(base.as_ref(), &resumable.results.plan)?;
            let r = &resumable.results;
            session.batch.estimate = Some(Estimate::of(&r.plan, &r.points, &r.config_text));
            session.batch.deadline = opts.budget.map(|b| (started + b, b));
            runner::resume(resumable, &session)?
        }
    };
    let concluded = conclude(
        &finished,
        base.as_ref().zip(opts.baseline),
        &opts.judging,
        opts.html,
    );
    // A whole run joins the history even when its gate or a process failed.
    if let Some(db) = opts.history.as_deref() {
        if finished.stopped_by.is_none() && finished.cut_short.is_none() {
            crate::history::commands::add_finished(db, &finished.dir, &finished.results)?;
        }
    }
    concluded?;
    // A signal after the last run: the run is whole, but say it was stopped.
    match interrupt.signal() {
        Some(signal) => Err(Failure::Stopped {
            signal,
            resume: None,
        }),
        None => Ok(()),
    }
}

/// The config at `path`, validated, with `--profile` applied; and its text.
fn read_plan(
    catalog: &Catalog,
    path: &Path,
    profile: Option<&[ProfileKind]>,
) -> Result<(config::Plan, String), Failure> {
    let text = config::read(path).map_err(Failure::Config)?;
    let mut plan = config::parse(path, &text, catalog).map_err(Failure::Config)?;
    if let Some(kinds) = profile {
        plan.profile.set_kinds(kinds);
    }
    Ok((plan, text))
}

/// The shard `--shard` names, checked against the plan; a config without
/// a seed gets one drawn from its text, so that every shard of it draws
/// the same schedule. An adaptive config's shards run the fixed design of
/// its most processes: a shard cannot see the other shards' rounds, so it
/// cannot look, and the full grid reaches every verdict the unsharded
/// adaptive run could.
fn resolve_shard(
    opts: &RunOptions,
    plan: &mut config::Plan,
    text: &str,
) -> Result<Option<Shard>, Failure> {
    let Some((arg, by)) = &opts.shard else {
        return Ok(None);
    };
    let shard = arg
        .resolve(*by, |name| std::env::var(name).ok())
        .map_err(Failure::Usage)?;
    if let Some(seed) = crate::shards::shared_seed(text) {
        plan.measure.seed = seed;
    }
    if let Some(most) = plan.measure.max_processes.take() {
        errln(&format!(
            "--shard: an adaptive run cannot look across machines, so each shard runs its share of the fixed design of \
             max_processes = {most} rounds (processes = {} is the least of an unsharded run){}",
            plan.measure.processes,
            if plan.measure.racing { ", without racing" } else { "" }
        ));
        plan.measure.processes = most;
        plan.measure.racing = false;
    }
    shard
        .check(crate::matrix::expand(plan).len(), plan.measure.processes)
        .map_err(Failure::Usage)?;
    Ok(Some(shard))
}

/// Earlier runs of a config whose spreads the dry run ranges over.
const EARLIER_RUNS: usize = 5;

/// Fits the processes per point to `budget` by `estimate` (a shard keeps
/// the config's: the shards of one run must share one plan, so a budget
/// only stops a shard at its deadline); what the run starts from.
fn fit_to_budget(
    plan: &mut config::Plan,
    estimate: &Estimate,
    budget: Option<Duration>,
    shard: Option<Shard>,
) -> Planning {
    let configured = plan.measure.processes;
    if let (Some(budget), None) = (budget, shard) {
        plan.measure.processes = estimate.fit(budget, configured);
    }
    let points = crate::matrix::expand(plan).len();
    let share = crate::results::share(plan, points, shard);
    let profiling = if shard.is_none_or(|s| s.index == 1) {
        estimate.profiling
    } else {
        0.0
    };
    Planning {
        estimate_s: estimate.slots_s(share.into_iter().map(|(_, s)| s)) + profiling,
        source: estimate.describe(points),
        budget_s: budget.map(|b| b.as_secs_f64()),
        configured_processes: configured,
        planned_processes: plan.measure.processes,
    }
}

/// A baseline of another workload cannot be compared: say so before running.
fn same_workload(base: Option<&Results>, plan: &config::Plan) -> Result<(), Failure> {
    match base {
        Some(base) if base.plan.workload != plan.workload => {
            Err(Failure::Incomparable(CompareError::DifferentWorkloads {
                base: base.plan.workload.clone(),
                head: plan.workload.clone(),
            }))
        }
        _ => Ok(()),
    }
}

/// After a run: compare it with the baseline, write the report, and say
/// how it went (stopped, failed runs, the gate).
fn conclude(
    finished: &runner::Finished,
    baseline: Option<(&Results, &Path)>,
    judging: &Judging,
    html: bool,
) -> Result<(), Failure> {
    let failed = finished
        .results
        .runs
        .iter()
        .filter(|r| r.output().is_none())
        .count();
    // The gate's verdict waits until the report is written: a failed or
    // impossible comparison must not cost the run its report.
    let gate = match baseline {
        Some((base, base_path)) if finished.stopped_by.is_none() => {
            compare_with_baseline(base, base_path, finished, judging)
        }
        _ => Ok(()),
    };
    // After the comparison, so report.md links compare.md when there is one.
    crate::report::write_with(&finished.dir, &finished.results, html)?;
    say_written(&finished.dir, &finished.results, html);
    if let Some(error) = crate::shards::notes::estimate_error(&finished.results) {
        errln(&error);
    }
    if let Some(signal) = finished.stopped_by {
        return Err(Failure::Stopped {
            signal,
            resume: Some(format!("tuner run --resume {}", finished.dir.display())),
        });
    }
    if let Some(runner::CutShort::Busy(why)) = &finished.cut_short {
        return Err(Failure::Busy(format!(
            "{why}; `tuner run --resume {}` carries on when it is quiet",
            finished.dir.display()
        )));
    }
    if let Some(cut) = &finished.cut_short {
        let r = &finished.results;
        errln(&format!(
            "{cut}: {} of {} runs are in the report, which says what is missing; `tuner run --resume {}` finishes the run",
            r.runs.len(),
            r.scheduled_total(),
            finished.dir.display()
        ));
    }
    if failed > 0 {
        return Err(Failure::Other(anyhow::anyhow!(
            "{failed} of {} runs failed; see the report",
            finished.results.runs.len()
        )));
    }
    gate
}

/// Compares a finished run with `base`, writes `compare.md` beside it and
/// applies the `--fail-on` gate.
fn compare_with_baseline(
    base: &Results,
    base_path: &Path,
    finished: &runner::Finished,
    judging: &Judging,
) -> Result<(), Failure> {
    let head_path = finished.dir.join(crate::results::RESULTS_FILE);
    let report = judge(base, base_path, &finished.results, &head_path, judging)?;
    let md = finished.dir.join(crate::report::COMPARISON_FILE);
    write_atomic(&md, compare::markdown(&report))
        .with_context(|| format!("writing {}", md.display()))?;
    out(&compare::text(&report));
    outln(&format!("compare: {}", md.display()));
    publish(&report, None)?;
    gate(&report, judging.fail_on)
}

/// `tuner merge`: joins shards into `output` (a new or empty folder), writes
/// its results and report, and fails (exit 1, after writing) when shards
/// or processes are missing.
pub(crate) fn merge(inputs: &[PathBuf], output: &Path) -> Result<(), Failure> {
    let merged = crate::shards::merge(inputs).map_err(Failure::Usage)?;
    let results_path = output.join(crate::results::RESULTS_FILE);
    if results_path.exists() {
        return Err(Failure::Usage(anyhow::anyhow!(
            "{} holds a results.json already: merge into a new folder",
            output.display()
        )));
    }
    std::fs::create_dir_all(output).with_context(|| format!("creating {}", output.display()))?;
    if let Some(from) = &merged.profiles_from {
        crate::shards::copy_profiles(from, output).with_context(|| {
            format!(
                "copying the profiles of {} to {}",
                from.display(),
                output.display()
            )
        })?;
    }
    let r = &merged.results;
    r.save(&results_path)
        .with_context(|| format!("writing {}", results_path.display()))?;
    crate::report::write(output, r)?;
    for w in &merged.warnings {
        errln(&format!("warning: {w}"));
    }
    let info = r.merged.as_ref().expect("merged results say so");
    let total = r.scheduled_total();
    outln(&format!(
        "merged {} of {} shards ({} of {total} runs, {} machines): {}",
        info.sources.len(),
        info.count,
        r.runs.len(),
        info.machines().len(),
        results_path.display()
    ));
    say_written(output, r, false);
    if r.runs.len() < total {
        return Err(Failure::Other(anyhow::anyhow!(
            "the merged run is incomplete: {} of {total} scheduled processes are missing",
            total - r.runs.len()
        )));
    }
    Ok(())
}

/// `tuner report`: re-renders the report of a results file, a journal or
/// the run folder holding one (its results.json, else its journal.jsonl).
pub(crate) fn report(path: &Path, html: bool) -> Result<(), Failure> {
    let (dir, path) = if path.is_dir() {
        let results = path.join(crate::results::RESULTS_FILE);
        let file = if results.exists() {
            results
        } else {
            path.join("journal.jsonl")
        };
        (path, file)
    } else {
        (path.parent().unwrap_or(Path::new(".")), path.to_path_buf())
    };
    let results = load(&path)?;
    crate::report::write_with(dir, &results, html)?;
    say_written(dir, &results, html);
    Ok(())
}

/// `report: …/report.md`, and the page when one was written.
fn say_written(dir: &Path, results: &Results, html: bool) {
    outln(&format!("report: {}", dir.join("report.md").display()));
    if html || results.plan.report.html {
        outln(&format!(
            "report: {}",
            dir.join(crate::report::html::FILE).display()
        ));
    }
}

pub(crate) fn compare(
    base_path: &Path,
    head_path: &Path,
    judging: &Judging,
    format: OutputFormat,
    output: Option<&Path>,
) -> Result<(), Failure> {
    let base = load(base_path)?;
    let head = load(head_path)?;
    let report = judge(&base, base_path, &head, head_path, judging)?;
    out(&compare::render(&report, format));
    publish(&report, output)?;
    gate(&report, judging.fail_on)
}

pub(crate) fn export(
    path: &Path,
    format: ExportFormat,
    output: Option<&Path>,
) -> Result<(), Failure> {
    let results = load(path)?;
    let text = export::export(&results, format);
    match output {
        Some(path) => write_atomic(path, text)
            .with_context(|| format!("writing {}", path.display()))
            .map_err(Failure::Other),
        None => {
            out(&text);
            Ok(())
        }
    }
}

/// A results file named on the command line; unreadable or invalid is a
/// usage error, and damage that could be left out is said on stderr.
fn load(path: &Path) -> Result<Results, Failure> {
    let results = Results::load(path).map_err(Failure::Usage)?;
    for warning in &results.warnings {
        crate::console::errln(&format!("warning: {}: {warning}", path.display()));
    }
    Ok(results)
}

fn judge(
    base: &Results,
    base_path: &Path,
    head: &Results,
    head_path: &Path,
    judging: &Judging,
) -> Result<ComparisonReport, Failure> {
    Ok(compare::compare_runs(
        base,
        &base_path.display().to_string(),
        head,
        &head_path.display().to_string(),
        &judging.settings,
    )?)
}

/// Writes the markdown to `output`, and appends it to `$GITHUB_STEP_SUMMARY` when set.
fn publish(report: &ComparisonReport, output: Option<&Path>) -> Result<(), Failure> {
    publish_markdown(&compare::markdown(report), output)
}

/// [`publish`] for any markdown.
fn publish_markdown(md: &str, output: Option<&Path>) -> Result<(), Failure> {
    if let Some(path) = output {
        write_atomic(path, md).with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(summary) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|s| !s.is_empty()) {
        let path = PathBuf::from(summary);
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut f| writeln!(f, "{md}"))
            .with_context(|| format!("appending to $GITHUB_STEP_SUMMARY ({})", path.display()))?;
    }
    Ok(())
}

fn gate(report: &ComparisonReport, fail_on: FailOn) -> Result<(), Failure> {
    let findings = fail_on.failures(report);
    if findings.is_empty() {
        Ok(())
    } else {
        Err(Failure::Gate(findings))
    }
}

/// `tuner ab`'s options, parsed.
pub(crate) struct AbCommand {
    pub options: ab::AbOptions,
    pub judging: Judging,
    pub metric: ab::Metric,
    pub format: OutputFormat,
    pub output: Option<PathBuf>,
    pub quiet: bool,
}

/// Runs a paired A/B gate (or judges a saved one again), writes `ab.json`
/// and `ab.md`, prints the table and applies `--fail-on`.
pub(crate) fn ab(catalog: &Catalog, cmd: &AbCommand) -> Result<(), Failure> {
    let path = &cmd.options.config;
    let (run, dir, ended) = if ab::is_saved(path) {
        (ab::AbRun::load(path).map_err(Failure::Usage)?, None, Ok(()))
    } else {
        let (run, dir, ended) = run_ab(catalog, cmd)?;
        (run, Some(dir), ended)
    };
    let report = ab::analyse(&run, &cmd.judging.settings, cmd.metric);
    let md = ab::markdown(&report);
    if let Some(dir) = &dir {
        let file = dir.join("ab.md");
        write_atomic(&file, &md).with_context(|| format!("writing {}", file.display()))?;
    }
    out(&ab::render(&report, cmd.format));
    if let Some(dir) = &dir {
        crate::console::errln(&format!("ab: {}", dir.join("ab.md").display()));
    }
    publish_markdown(&md, cmd.output.as_deref())?;
    ended?;
    ab_gate(&report, cmd.judging.fail_on)
}

/// Runs the gate into a new run folder and saves `ab.json`; how it ended
/// (a build that cannot run the config, a signal) comes back apart, so
/// what was measured is still judged and written first.
fn run_ab(
    catalog: &Catalog,
    cmd: &AbCommand,
) -> Result<(ab::AbRun, PathBuf, Result<(), Failure>), Failure> {
    let mut header = ab::plan(catalog, &cmd.options)?;
    let (dir, run_id) = ab::run_folder(&header)?;
    header.run_id = run_id;
    let interrupt = Interrupt::install().map_err(|e| Failure::Other(e.into()))?;
    let session = ab::GateSession {
        dir: &dir,
        interrupt: &interrupt,
        rule: cmd.judging.settings.rule,
        metric: cmd.metric,
        mode: if cmd.quiet {
            ProgressMode::Quiet
        } else {
            ProgressMode::detect()
        },
    };
    let (run, refused) = ab::run_gate(header, &session)?;
    let file = dir.join(ab::AB_FILE);
    run.save(&file)
        .with_context(|| format!("writing {}", file.display()))?;
    let ended = match (refused, interrupt.signal()) {
        (Some(e), _) => Err(e.into()),
        (None, Some(signal)) => Err(Failure::Stopped {
            signal,
            resume: None,
        }),
        (None, None) => Ok(()),
    };
    Ok((run, dir, ended))
}

/// `--fail-on` over the paired report, then failed processes.
fn ab_gate(report: &ab::AbReport, fail_on: FailOn) -> Result<(), Failure> {
    let rule = report.settings.rule;
    let findings = fail_on.failures_of(report.points.iter().map(|p| {
        compare::GatePoint {
            point: &p.point,
            metric: p.metric.column(),
            time: p
                .verdict()
                .zip(p.change())
                .map(|(v, c)| (v, format!("{c}, {}", p.explain(&rule).unwrap_or_default()))),
            allocs_per_op: p.allocs_per_op,
            bytes_per_op: p.bytes_per_op,
        }
    }));
    if !findings.is_empty() {
        return Err(Failure::Gate(findings));
    }
    if report.failed > 0 {
        return Err(Failure::Other(anyhow::anyhow!(
            "{} processes of the gate failed; see the notes",
            report.failed
        )));
    }
    Ok(())
}
