//! Running one spec in a fresh worker process ([`super::child`]) with a
//! scratch folder of its own, removed after the process ends, and turning
//! however it ended into a record ([`super::classify`], or
//! [`super::command`] when the worker ran an external command for it). A run stopped by
//! Ctrl-C has no record: it is not a failure of its point, and runs again
//! when the run is resumed.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use super::child::{self, Ended, Limits};
use super::classify;
use super::interrupt::Interrupt;
use super::scratch::{self, ScratchRoot};
use crate::alloc::{AllocatorName, ENV_VAR};
use crate::protocol::RunSpec;
use crate::protocol::{ProfileOutcome, ProfileRecord};
use crate::results::{FailureKind, Outcome, RunRecord};

/// The binary that runs `worker`: normally tuner itself.
#[derive(Clone, Debug)]
pub(crate) struct WorkerExe(pub PathBuf);

impl WorkerExe {
    pub(crate) fn current() -> std::io::Result<WorkerExe> {
        std::env::current_exe().map(WorkerExe)
    }
}

/// What starting a worker takes: the binary, the run's scratch root and
/// the stop signal.
pub(crate) struct Launcher<'a> {
    pub exe: &'a WorkerExe,
    pub scratch: &'a ScratchRoot,
    pub interrupt: &'a Interrupt,
}

/// How a launch went: ended (however), stopped by a signal, or never started.
enum Launch {
    Ended(Box<Ended>),
    Stopped,
    NotStarted(String),
}

/// Runs the timed `spec` (replicate `process`, `seq` in the run order).
/// `None`: the run was stopped.
pub(crate) fn execute(
    launcher: &Launcher,
    mut spec: RunSpec,
    process: u32,
    seq: usize,
) -> Option<RunRecord> {
    let point = spec.point.id;
    let record = |wall: Duration, max_rss_kib: u64, outcome| RunRecord {
        point,
        process,
        seq,
        wall_ms: wall.as_secs_f64() * 1e3,
        max_rss_kib,
        outcome,
        machine: None,
        contended: None,
    };
    match launch(launcher, &mut spec, &format!("run-{seq}")) {
        Launch::Ended(ended) => {
            let outcome = match spec.command {
                Some(_) => super::command_outcome::classify(&ended, &spec),
                None => classify::timed(&ended, &spec),
            };
            Some(record(ended.wall, ended.rusage.ru_maxrss as u64, outcome))
        }
        Launch::Stopped => None,
        Launch::NotStarted(reason) => Some(record(
            Duration::ZERO,
            0,
            Outcome::Failed {
                kind: FailureKind::Spawn,
                reason,
                stderr_tail: String::new(),
            },
        )),
    }
}

/// Runs the profiling pass in `spec.profile`; `dir` is the point's
/// artifact folder relative to the run folder. `None`: the run was stopped.
pub(crate) fn execute_profile(
    launcher: &Launcher,
    mut spec: RunSpec,
    point: usize,
    dir: &str,
) -> Option<ProfileRecord> {
    let pass = spec.profile.as_ref()?.pass;
    let record = |wall: Duration, outcome| ProfileRecord {
        point,
        pass,
        dir: dir.to_string(),
        wall_ms: wall.as_secs_f64() * 1e3,
        outcome,
    };
    let scratch = format!("profile-{point}-{}", pass.name());
    match launch(launcher, &mut spec, &scratch) {
        Launch::Ended(ended) => {
            let outcome = match classify::profile(&ended, &spec) {
                Ok(out) => ProfileOutcome::Ok(out),
                Err((_, reason)) => ProfileOutcome::Failed {
                    reason,
                    stderr_tail: ended.stderr.excerpt(),
                },
            };
            Some(record(ended.wall, outcome))
        }
        Launch::Stopped => None,
        Launch::NotStarted(reason) => Some(record(
            Duration::ZERO,
            ProfileOutcome::Failed {
                reason,
                stderr_tail: String::new(),
            },
        )),
    }
}

/// Makes the scratch folder, runs the worker, removes the folder.
fn launch(launcher: &Launcher, spec: &mut RunSpec, scratch_name: &str) -> Launch {
    let dir = match launcher.scratch.make(scratch_name) {
        Ok(dir) => dir,
        Err(e) => return Launch::NotStarted(format!("could not create a scratch folder: {e}")),
    };
    spec.scratch = Some(dir.clone());
    let ended = spawn(launcher, spec);
    scratch::remove(&dir);
    match ended {
        Ok(ended) if ended.interrupted => Launch::Stopped,
        Ok(ended) => Launch::Ended(Box::new(ended)),
        Err(e) => Launch::NotStarted(format!("could not start the worker: {e}")),
    }
}

fn spawn(launcher: &Launcher, spec: &RunSpec) -> std::io::Result<Ended> {
    let input = serde_json::to_vec(spec).map_err(std::io::Error::other)?;
    let mut cmd = Command::new(&launcher.exe.0);
    cmd.arg("worker");
    if spec.command.is_some() {
        // The worker only supervises the command, which gets the point's
        // environment and preloaded allocator from it.
        cmd.env(ENV_VAR, AllocatorName::System.as_str());
    } else {
        // Set in the worker itself: its allocators read their variables
        // when they start.
        cmd.env(ENV_VAR, spec.point.allocator.as_str())
            .envs(spec.point.env.iter().map(|(k, v)| (k, v)));
    }
    let limits = Limits {
        timeout: spec.measure.timeout,
        memory: spec.measure.memory_limit,
    };
    child::run(cmd, input, limits, launcher.interrupt)
}
