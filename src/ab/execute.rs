//! Running a paired A/B: one probe process per build first (it checks
//! that the build speaks this runner's protocol and knows the workload,
//! and warms the file cache for the binary, so no build pays a cold start
//! inside a pair), then the pairs in the order of [`super::schedule`],
//! each process started through the layout path of its pair and on its
//! point's CPUs ([`super::layout`]) and journaled before the next starts. A time
//! budget ends the gate between rounds; Ctrl-C ends it between processes.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context as _;

use super::analysis::values;
use super::error::AbError;
use super::layout::{pin_thread, Paths};
use super::metric::Metric;
use super::record::{AbHeader, AbRun, PairRecord};
use super::schedule::{schedule, PairSlot};
use super::sequential::{self, Stopping};
use super::side::Build;
use crate::matrix;
use crate::protocol::RunSpec;
use crate::results::{FailureKind, Journal, Outcome, RunRecord, JOURNAL_FILE};
use crate::runner::{execute, Interrupt, Launcher, Progress, ProgressMode, ScratchRoot, WorkerExe};
use crate::stats::{SequentialPlan, VerdictRule};

/// What running the gate takes besides its header.
pub(crate) struct GateSession<'a> {
    pub dir: &'a Path,
    pub interrupt: &'a Interrupt,
    pub mode: ProgressMode,
    /// How a sequential gate judges each look.
    pub rule: VerdictRule,
    pub metric: Metric,
}

/// How the gate ended early, if it did.
enum End {
    Complete,
    OutOfTime,
    Stopped(i32),
}

/// Runs the gate planned in `header`, journaling into `session.dir`.
/// A build that cannot run the config is an [`AbError`]; what was
/// measured up to then is in the returned run either way.
pub(crate) fn run_gate(
    header: AbHeader,
    session: &GateSession,
) -> anyhow::Result<(AbRun, Option<AbError>)> {
    let started = Instant::now();
    let journal_path = session.dir.join(JOURNAL_FILE);
    let mut journal = Journal::create(&journal_path, &header)
        .with_context(|| format!("creating {}", journal_path.display()))?;
    let scratch = ScratchRoot::create().context("creating the scratch root")?;
    session
        .interrupt
        .set_scratch(Some(scratch.path().to_path_buf()));
    let paths = Paths::new(
        scratch
            .make("layout")
            .context("creating the layout folder")?,
        header.base.exe.worker_path(),
        header.head.exe.worker_path(),
    );
    let mut gate = Gate {
        run: AbRun {
            header,
            records: Vec::new(),
            wall_s: 0.0,
            stopped: None,
            warnings: Vec::new(),
        },
        journal: &mut journal,
        journal_path: &journal_path,
        workers: Workers {
            scratch: &scratch,
            interrupt: session.interrupt,
            paths: &paths,
        },
        seq: 0,
    };
    let refused = gate.probe()?;
    let end = match refused {
        Some(_) => End::Complete,
        None => gate.pairs(started, session)?,
    };
    let mut run = gate.run;
    // The runner's thread back on every CPU it had.
    let layout = &run.header.design.layout;
    if let (Some(_), Some(allowed)) = (&layout.pinned_within, &layout.allowed) {
        pin_thread(allowed).context("unpinning the runner")?;
    }
    run.stopped = stopped_line(&run, &end);
    run.wall_s = started.elapsed().as_secs_f64();
    session.interrupt.set_scratch(None);
    Ok((run, refused))
}

/// A gate while it runs: the records so far and where they go.
struct Gate<'a> {
    run: AbRun,
    journal: &'a mut Journal,
    journal_path: &'a Path,
    workers: Workers<'a>,
    seq: usize,
}

/// What starting a worker takes: its scratch root, the stop signal and
/// the layout paths the builds start through.
#[derive(Clone, Copy)]
struct Workers<'a> {
    scratch: &'a ScratchRoot,
    interrupt: &'a Interrupt,
    paths: &'a Paths,
}

impl Gate<'_> {
    /// One process of `build` at `slot`; `None` when a signal stopped it.
    fn one(
        &mut self,
        build: Build,
        slot: &PairSlot,
        position: u8,
        probe: bool,
    ) -> anyhow::Result<Option<PairRecord>> {
        let Workers {
            scratch,
            interrupt,
            paths,
        } = self.workers;
        if interrupt.signal().is_some() {
            return Ok(None);
        }
        let exe = WorkerExe(
            paths
                .exe(build, slot.offset)
                .context("making the layout path of a worker")?,
        );
        let launcher = Launcher {
            exe: &exe,
            scratch,
            interrupt,
        };
        let header = &self.run.header;
        let side = header.side(build);
        let point = &side.points[slot.point];
        if let Some(cpus) = header.design.layout.cpus_for(point.threads) {
            pin_thread(&cpus).context("pinning a worker")?;
        }
        let mut spec = RunSpec::new(&header.plan, point, None);
        if let Some(command) = &side.command {
            spec.command = Some(command.clone());
        }
        let Some(run) = execute(&launcher, spec, slot.pair, self.seq) else {
            return Ok(None);
        };
        self.seq += 1;
        let record = PairRecord {
            build,
            position,
            offset: slot.offset,
            probe,
            run,
        };
        self.journal
            .append(&record)
            .with_context(|| format!("appending to {}", self.journal_path.display()))?;
        self.run.records.push(record.clone());
        Ok(Some(record))
    }

    /// Runs each build once on the first point; the error of the first
    /// build that cannot run the config.
    fn probe(&mut self) -> anyhow::Result<Option<AbError>> {
        let slot = PairSlot {
            point: 0,
            pair: 0,
            first: Build::Base,
            offset: 0,
        };
        for build in Build::BOTH {
            let Some(record) = self.one(build, &slot, 0, true)? else {
                return Ok(None);
            };
            if let Some(reason) = incompatible(&record.run) {
                return Ok(Some(AbError::Incompatible {
                    build,
                    path: self.run.header.side(build).exe.worker_path().to_path_buf(),
                    reason,
                }));
            }
        }
        Ok(None)
    }

    /// Runs the pairs, round after round, until the plan, the time budget
    /// or a signal ends them; a sequential gate drops each point whose
    /// verdict is clear after the round.
    fn pairs(&mut self, started: Instant, session: &GateSession) -> anyhow::Result<End> {
        let header = &self.run.header;
        let design = header.design.clone();
        let points = header.base.points.len();
        let labels = labels(header);
        let rounds = schedule(
            points,
            design.pairs,
            design.layout.mode.offsets(),
            design.seed,
        );
        let mut progress = Progress::new(session.mode, points * design.pairs as usize * 2);
        let mut active = vec![true; points];
        let plan = design.stopping.as_ref().map(Stopping::plan).transpose()?;
        for round in &rounds {
            if design.max_time.is_some_and(|t| started.elapsed() >= t) {
                progress.finish();
                return Ok(End::OutOfTime);
            }
            for slot in round.iter().filter(|s| active[s.point]) {
                for (position, build) in slot.order().into_iter().enumerate() {
                    let label = format!("{} [{build}]", labels[slot.point]);
                    progress.starting(&label);
                    let Some(record) = self.one(build, slot, position as u8, false)? else {
                        progress.finish();
                        let signal = self.workers.interrupt.signal().unwrap_or(libc::SIGINT);
                        return Ok(End::Stopped(signal));
                    };
                    progress.finished(&label, &record.run);
                }
            }
            if let Some(plan) = &plan {
                let done = self.settled(plan, session, &active)?;
                for point in done {
                    active[point] = false;
                    progress.skip(2 * (design.pairs as usize - round[0].pair as usize - 1));
                }
                if !active.contains(&true) {
                    break;
                }
            }
        }
        progress.finish();
        Ok(End::Complete)
    }

    /// The active points whose looks have reached a clear verdict.
    fn settled(
        &self,
        plan: &SequentialPlan,
        session: &GateSession,
        active: &[bool],
    ) -> anyhow::Result<Vec<usize>> {
        let mut done = Vec::new();
        for point in (0..active.len()).filter(|&p| active[p]) {
            let metric = session.metric.resolve(&self.run, point);
            let values = values(&self.run.pairs(point), metric);
            if sequential::judge(plan, &values, &session.rule)?.is_some_and(|s| s.stopped) {
                done.push(point);
            }
        }
        Ok(done)
    }
}

/// The points' labels as progress lines show them.
fn labels(header: &AbHeader) -> Vec<String> {
    let varying = matrix::varying_axes(&header.plan.axes);
    header
        .base
        .points
        .iter()
        .map(|p| p.label(&varying))
        .collect()
}

/// Why a probe's failure means the build cannot run this config at all:
/// another protocol, output that is not a result, a binary that cannot
/// start, or a catalog without the workload. A workload that panics or
/// crashes is a finding of the gate, not a reason to refuse it.
fn incompatible(run: &RunRecord) -> Option<String> {
    let Outcome::Failed { kind, reason, .. } = &run.outcome else {
        return None;
    };
    let refused = matches!(
        kind,
        FailureKind::ProtocolVersion | FailureKind::Protocol | FailureKind::Spawn
    ) || reason.contains("unknown workload");
    refused.then(|| reason.clone())
}

/// The line `ab.json` keeps when something other than its plan ended
/// the gate: a build that cannot run the config, the time budget, a signal.
fn stopped_line(run: &AbRun, end: &End) -> Option<String> {
    let planned = run.header.base.points.len() * run.header.design.pairs as usize * 2;
    let done = run.records.iter().filter(|r| !r.probe).count();
    let probed = run.records.iter().any(|r| r.probe);
    let why = match end {
        End::Complete if done > 0 || !probed => return None,
        End::Complete => "a build could not run the config".to_string(),
        End::OutOfTime => format!(
            "the time budget ({}) ran out",
            humantime::format_duration(run.header.design.max_time.unwrap_or_default())
        ),
        End::Stopped(signal) => format!("stopped by signal {signal}"),
    };
    Some(format!("{why} after {done} of {planned} processes"))
}

/// The gate's run folder: `<report dir>/<experiment>/ab-<date>`.
pub(crate) fn run_folder(header: &AbHeader) -> anyhow::Result<(PathBuf, String)> {
    let parent = header.plan.report.dir.join(&header.plan.name);
    let name = format!("ab-{}", header.environment.date.replace(':', "-"));
    crate::fsio::create_unique_dir(&parent, &name)
        .with_context(|| format!("creating a run folder in {}", parent.display()))
}
