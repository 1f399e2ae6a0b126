//! The plain data of profiling: what the parent asks a profiling worker
//! for, what it answers, and what the results file keeps of every pass.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::alloc::AllocatorName;
use crate::matrix::Point;

/// One profiling pass; each runs in a process of its own, because the
/// collectors distort one another (a span's time would include the CPU
/// profiler's signal handlers, a CPU profile would show the tracing layers).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pass {
    /// tracing spans → tracing-flame folded stacks → SVG flame graph.
    Spans,
    /// pprof-rs timer sampling → SVG flame graph and gzipped pprof protobuf.
    Cpu,
    /// tracing-chrome trace, one track per thread.
    Timeline,
    /// The counting allocator's live bytes, sampled on a fixed period.
    Heap,
}

/// The passes `plan` asks for, in the order they run.
pub(crate) fn profile_passes(plan: &crate::config::Plan) -> Vec<Pass> {
    let p = &plan.profile;
    [
        (Pass::Spans, p.spans),
        (Pass::Cpu, p.cpu),
        (Pass::Timeline, p.timeline),
        (Pass::Heap, p.heap),
    ]
    .into_iter()
    .filter_map(|(pass, on)| on.then_some(pass))
    .collect()
}

impl Pass {
    pub const ALL: [Pass; 4] = [Pass::Spans, Pass::Cpu, Pass::Timeline, Pass::Heap];

    pub fn name(self) -> &'static str {
        match self {
            Pass::Spans => "spans",
            Pass::Cpu => "cpu",
            Pass::Timeline => "timeline",
            Pass::Heap => "heap",
        }
    }
}

/// What the parent asks a profiling worker to do (in [`crate::protocol::RunSpec`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct ProfileRequest {
    pub pass: Pass,
    /// Where the artifacts go (created if missing).
    pub dir: PathBuf,
    /// The flame graphs' title: the experiment and the point.
    pub title: String,
    /// How long to run the workload with the collector on, after warm-up
    /// (at least one iteration).
    #[serde(with = "humantime_serde")]
    pub duration: Duration,
    /// Samples per second asked of the CPU profiler.
    pub cpu_frequency: u32,
}

/// Live heap over a heap pass, from the counting allocator.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HeapStats {
    /// The most live bytes during the pass (exact within threads × 64 KiB).
    pub peak_live: i64,
    /// Live bytes when the pass ended, the workload still built.
    pub final_live: i64,
    /// Samples taken.
    pub samples: usize,
}

/// What a profiling worker sends back.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProfileOutput {
    /// Iterations run with the collector on.
    pub iters: u64,
    /// Mean time per iteration with the collector on: compared with the
    /// timed runs, the collector's overhead.
    pub ns_per_op: f64,
    /// Files written, relative to the request's directory.
    pub files: Vec<String>,
    /// CPU samples in the profile.
    pub cpu_samples: Option<u64>,
    pub heap: Option<HeapStats>,
    /// What the machine delivered while the collector was on (the
    /// profiled runs only); `None` from workers before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine: Option<Box<crate::machine::Delivered>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ProfileOutcome {
    Ok(ProfileOutput),
    Failed { reason: String, stderr_tail: String },
}

/// One profiling process, as the results file keeps it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProfileRecord {
    pub point: usize,
    pub pass: Pass,
    /// The point's artifact directory, relative to the run directory.
    pub dir: String,
    pub wall_ms: f64,
    pub outcome: ProfileOutcome,
}

impl ProfileRecord {
    pub fn output(&self) -> Option<&ProfileOutput> {
        match &self.outcome {
            ProfileOutcome::Ok(o) => Some(o),
            ProfileOutcome::Failed { .. } => None,
        }
    }

    /// The path of `file` relative to the run directory.
    pub fn path(&self, file: &str) -> String {
        format!("{}/{file}", self.dir)
    }
}

/// A differential flame graph of one point against the baseline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Diff {
    pub point: usize,
    /// Whose folded stacks were compared (spans or cpu).
    pub pass: Pass,
    /// The SVG, relative to the run directory.
    pub file: String,
}

/// Everything profiling left in a run, kept in the results file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Profiling {
    pub records: Vec<ProfileRecord>,
    pub diffs: Vec<Diff>,
    /// Why asked-for artifacts are missing (e.g. a diff without a baseline).
    pub notes: Vec<String>,
}

impl Profiling {
    pub fn record(&self, point: usize, pass: Pass) -> Option<&ProfileRecord> {
        self.records
            .iter()
            .find(|r| r.point == point && r.pass == pass)
    }
}

/// A heap pass's samples, as `heap.json` holds them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct HeapSeries {
    pub allocator: AllocatorName,
    pub period_ms: f64,
    /// `(milliseconds since the sampler started, live bytes)`.
    pub samples: Vec<(f64, i64)>,
    /// `(milliseconds, resident bytes of the whole process)` at the same
    /// instants: what the allocator keeps from the OS, which does differ
    /// between allocators.
    #[serde(default)]
    pub resident: Vec<(f64, i64)>,
    /// When the workload was built and warmed up, in the same clock.
    pub built_ms: f64,
    pub warmed_ms: f64,
    pub stats: HeapStats,
}

/// `points/03-join-2-system`: the point's number and its varying values,
/// safe in paths and markdown links.
pub(crate) fn point_dir(point: &Point, varying: &[&str]) -> String {
    let mut name = format!("{:02}", point.id);
    for (axis, value) in &point.coords {
        if varying.contains(&axis.as_str()) {
            name.push('-');
            name.extend(value.chars().map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
                    c
                } else {
                    '_'
                }
            }));
        }
    }
    format!("points/{name}")
}

#[cfg(test)]
mod tests {
    use super::*;

    use tuner_api::Buffering;

    #[test]
    fn point_dirs_are_numbered_and_path_safe() {
        let point = Point {
            id: 3,
            variant: "join".into(),
            params: Default::default(),
            threads: 2,
            allocator: AllocatorName::System,
            buffering: Buffering::Buffered { capacity: 65536 },
            env: Vec::new(),
            runtime: Vec::new(),
            coords: vec![
                ("variant".into(), "join".into()),
                ("threads".into(), "2".into()),
                ("buffering".into(), "buffered:65536".into()),
                ("size".into(), "1000".into()),
            ],
        };
        assert_eq!(
            point_dir(&point, &["variant", "threads", "buffering"]),
            "points/03-join-2-buffered_65536"
        );
        assert_eq!(point_dir(&point, &[]), "points/03");
    }
}
