//! The worker protocol: what the runner sends a worker process (a
//! [`RunSpec`], JSON on stdin) and what a worker sends back (a
//! [`RunOutput`], JSON on stdout). Both carry [`PROTOCOL_VERSION`], so a
//! runner and a worker built from different versions of tuner refuse each
//! other with a clear error instead of misreading each other's fields.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::alloc::{AllocatorName, Evidence};
use crate::config::{CommandPlan, MeasureSettings, Plan};
use crate::machine::Delivered;
use crate::matrix::Point;
mod command;
mod profile;

pub(crate) use command::CommandFacts;
pub(crate) use command::{ShimReport, ShimResult};
pub(crate) use profile::{
    point_dir, profile_passes, Diff, HeapSeries, HeapStats, Pass, ProfileOutcome, ProfileOutput,
    ProfileRecord, ProfileRequest, Profiling,
};

/// The version of the spec and output layouts; bump it when a field
/// changes meaning or a required one is added.
pub const PROTOCOL_VERSION: u32 = 3;

/// The exit code of a worker that refuses a spec of another protocol version.
pub(crate) const EXIT_PROTOCOL_MISMATCH: i32 = 3;

/// What the parent asks one worker process to do.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct RunSpec {
    /// [`PROTOCOL_VERSION`] of the runner that wrote the spec.
    pub protocol: u32,
    pub workload: String,
    pub point: Point,
    pub measure: MeasureSettings,
    /// A profiling pass to run instead of timed samples.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<ProfileRequest>,
    /// The workload's scratch folder, made (and removed after the process
    /// ends, however it ends) by the runner; `None`: the worker makes one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scratch: Option<PathBuf>,
    /// The external command that does the work, for a `[command]` plan:
    /// the worker runs it as its child and measures it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<CommandPlan>,
}

impl RunSpec {
    /// The spec of a run of `point` of `plan`: timed, or the profiling pass `profile`.
    pub(crate) fn new(plan: &Plan, point: &Point, profile: Option<ProfileRequest>) -> RunSpec {
        RunSpec {
            protocol: PROTOCOL_VERSION,
            workload: plan.workload.clone(),
            point: point.clone(),
            measure: plan.measure.clone(),
            profile,
            scratch: None,
            command: plan.command.clone(),
        }
    }
}

/// One timed sample: `iters` runs of the workload took `ns` nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    pub iters: u64,
    pub ns: u64,
}

/// Allocation counters over the timed samples, all threads flushed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AllocCounts {
    /// Iterations the counts cover: every timed iteration, the sum of the
    /// samples' `iters`.
    pub iters: u64,
    pub allocs: u64,
    pub bytes: u64,
    /// Live bytes when the samples started (the workload's standing data).
    pub live_before: i64,
    /// The most live bytes during the samples.
    pub peak_live: i64,
}

/// CPU use of the worker process, all threads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CpuUsage {
    /// User CPU over the sampling window (getrusage), untimed resets
    /// between iterations included.
    pub user_ns: u64,
    /// System CPU over the same window.
    pub system_ns: u64,
    /// Context switches over the same window.
    pub voluntary_switches: u64,
    pub involuntary_switches: u64,
    /// CPU time over the timed spans only, summed as the samples' `ns`
    /// are (process CPU clock read around each span): the figure for CPU
    /// per operation. `None` from workers before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timed_ns: Option<u64>,
}

/// Threads the worker observed, to prove the knob took effect.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ThreadCheck {
    /// `rayon::current_num_threads()` inside the pool the workload ran in
    /// (the configured size read back: it cannot disagree with the knob).
    pub rayon: usize,
    /// Workers of the tokio runtime, when the experiment uses one.
    pub tokio: Option<usize>,
    /// Distinct OS threads alive at the start or the end of the samples.
    pub os_threads: usize,
    /// Threads that ran work during the samples: each spent on a CPU at
    /// least 5% of the sampling window's wall time (per-thread CPU time
    /// from `/proc/self/task/<tid>/schedstat`). Any thread alive at the
    /// window's end: the main one, the pool's, a workload's own; threads
    /// born and gone within the window are not seen (their CPU is in
    /// `cpu`). `None` where `/proc` was unreadable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub busy: Option<u32>,
    /// Of the busy threads, the rayon pool's (named `rayon-<i>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub busy_rayon: Option<u32>,
    /// Of the busy threads, the tokio runtime's (named `tokio-…`); `None`
    /// without a runtime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub busy_tokio: Option<u32>,
}

/// What a worker sends back from a successful run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunOutput {
    /// [`PROTOCOL_VERSION`] of the worker that measured.
    #[serde(default)]
    pub protocol: u32,
    pub samples: Vec<Sample>,
    /// Logical operations per run of the workload: the "op" in ns/op.
    pub ops_per_run: u64,
    /// Building the workload (set-up, e.g. eager initialisation).
    pub build_ns: u64,
    /// The first, cold run: with `build_ns`, the time to first use.
    pub first_run_ns: u64,
    pub warmup_iters: u64,
    pub alloc: AllocCounts,
    pub cpu: CpuUsage,
    pub threads: ThreadCheck,
    /// The worker's own peak resident set in KiB: `VmHWM` from
    /// `/proc/self/status`, read at the worker's end (build, warm-up,
    /// samples and digest included). Unlike `wait4`'s `ru_maxrss`, it has
    /// no floor at the runner's size. `None` where it could not be read.
    #[serde(default)]
    pub peak_rss_kib: Option<u64>,
    /// The allocator this process chose, and the allocators' own evidence.
    pub allocator: AllocatorName,
    pub evidence: Evidence,
    /// Digest of the workload's output, equal across variants when correct.
    pub digest: u64,
    /// What a run of an external command adds; `None` for tuner's own workloads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<Box<CommandFacts>>,
    /// What the machine delivered over the measured window: the
    /// sampling window of tuner's own workloads (flushes included), a
    /// command's timed execution from spawn to `wait4`. Versioned by its
    /// own `version`; `None` from workers before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine: Option<Box<Delivered>>,
}

/// Why a worker process failed, machine-readable.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// The workload panicked.
    Panic,
    /// Killed by a signal it did not ask for (abort, segfault, a kill).
    Signal,
    /// Still running at the timeout, and killed for it.
    Timeout,
    /// Exited with a non-zero code, without a panic.
    ExitCode,
    /// An allocation failed (under `memory_limit`, or the machine's).
    OutOfMemory,
    /// Exited 0 without a readable result on its output.
    Protocol,
    /// The allocators' own statistics show another allocator than asked.
    AllocatorMismatch,
    /// Runner and worker speak different protocol versions.
    ProtocolVersion,
    /// The worker process could not be started.
    Spawn,
    /// Recorded before kinds were (results files of older tuners).
    #[default]
    Unknown,
}

impl FailureKind {
    /// The kind as results files spell it.
    pub fn name(self) -> &'static str {
        match self {
            FailureKind::Panic => "panic",
            FailureKind::Signal => "signal",
            FailureKind::Timeout => "timeout",
            FailureKind::ExitCode => "exit_code",
            FailureKind::OutOfMemory => "out_of_memory",
            FailureKind::Protocol => "protocol",
            FailureKind::AllocatorMismatch => "allocator_mismatch",
            FailureKind::ProtocolVersion => "protocol_version",
            FailureKind::Spawn => "spawn",
            FailureKind::Unknown => "unknown",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_from_a_worker_without_the_new_fields_still_reads() {
        let mut json = serde_json::to_value(crate::fixtures::output(100.0, 0)).unwrap();
        json["cpu"]
            .as_object_mut()
            .unwrap()
            .insert("timed_ns".into(), 5.into());
        json["threads"]["busy"] = 2.into();
        let now: RunOutput = serde_json::from_value(json.clone()).unwrap();
        assert_eq!((now.cpu.timed_ns, now.threads.busy), (Some(5), Some(2)));
        json["cpu"].as_object_mut().unwrap().remove("timed_ns");
        json["threads"].as_object_mut().unwrap().remove("busy");
        let old: RunOutput = serde_json::from_value(json).unwrap();
        assert_eq!((old.cpu.timed_ns, old.threads.busy), (None, None));
    }
}
