//! The worker protocol: what the runner sends a worker process (a
//! [`RunSpec`], JSON on stdin) and what a worker sends back (a
//! [`RunOutput`], JSON on stdout). Both carry [`PROTOCOL_VERSION`], so a
//! runner and a worker built from different versions of tuner refuse each
//! other with a clear error instead of misreading each other's fields.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::alloc::{AllocatorName, Evidence};
use crate::config::{MeasureSettings, Plan};
use crate::matrix::Point;
use crate::profile::ProfileRequest;

/// The version of the spec and output layouts; bump it when a field
/// changes meaning or a required one is added.
pub const PROTOCOL_VERSION: u32 = 3;

/// What the parent asks one worker process to do.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunSpec {
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
}

impl RunSpec {
    /// The spec of a run of `point` of `plan`: timed, or the profiling pass `profile`.
    pub fn new(plan: &Plan, point: &Point, profile: Option<ProfileRequest>) -> RunSpec {
        RunSpec {
            protocol: PROTOCOL_VERSION,
            workload: plan.workload.clone(),
            point: point.clone(),
            measure: plan.measure.clone(),
            profile,
            scratch: None,
        }
    }
}

/// One timed sample: `iters` runs of the workload took `ns` nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    pub iters: u64,
    pub ns: u64,
}

impl Sample {
    /// Nanoseconds per run of the workload.
    pub fn ns_per_run(&self) -> f64 {
        self.ns as f64 / self.iters as f64
    }
}

/// Allocation counters over the timed samples, all threads flushed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AllocCounts {
    /// Iterations the counts cover (every timed iteration).
    pub iters: u64,
    pub allocs: u64,
    pub bytes: u64,
    /// Live bytes when the samples started (the workload's standing data).
    pub live_before: i64,
    /// The most live bytes during the samples.
    pub peak_live: i64,
}

/// CPU use of the whole worker process over the timed samples (getrusage).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CpuUsage {
    pub user_ns: u64,
    pub system_ns: u64,
    pub voluntary_switches: u64,
    pub involuntary_switches: u64,
}

/// Threads the worker observed, to prove the knob took effect.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ThreadCheck {
    /// `rayon::current_num_threads()` inside the pool the workload ran in.
    pub rayon: usize,
    /// Workers of the tokio runtime, when the experiment uses one.
    pub tokio: Option<usize>,
    /// OS threads in the process while measuring (`/proc/self/status`).
    pub os_threads: usize,
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
    /// The worker's own peak resident set (`VmHWM` read at its end), in
    /// KiB; `None` from workers that could not read it.
    #[serde(default)]
    pub peak_rss_kib: Option<u64>,
    /// The allocator this process chose, and the allocators' own evidence.
    pub allocator: AllocatorName,
    pub evidence: Evidence,
    /// Digest of the workload's output, equal across variants when correct.
    pub digest: u64,
}

impl RunOutput {
    /// Each sample's nanoseconds per operation.
    pub fn ns_per_op(&self) -> Vec<f64> {
        self.samples
            .iter()
            .map(|s| s.ns_per_run() / self.ops_per_run as f64)
            .collect()
    }

    /// Operations the allocation counts cover.
    pub fn ops(&self) -> f64 {
        self.alloc.iters as f64 * self.ops_per_run as f64
    }

    /// The process's summary value: the median of its samples' ns/op.
    pub fn median_ns_per_op(&self) -> f64 {
        let mut v = self.ns_per_op();
        v.sort_by(f64::total_cmp);
        match v.len() {
            0 => f64::NAN,
            n if n % 2 == 1 => v[n / 2],
            n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
        }
    }
}
