//! The plain data that crosses process and file boundaries: the run spec a
//! worker receives, the raw output it sends back, the journal records and
//! the versioned results file the report is re-derived from.

use std::io::{self, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::alloc::{AllocatorName, Evidence};
use crate::config::{MeasureSettings, Plan};
use crate::environment::Environment;
use crate::matrix::Point;
use crate::profile::{ProfileRequest, Profiling};

/// The version of [`Results`]' layout; bump it when a field changes meaning.
pub const SCHEMA: u32 = 1;

/// What the parent asks one worker process to do.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunSpec {
    pub workload: String,
    pub point: Point,
    pub measure: MeasureSettings,
    /// A profiling pass to run instead of timed samples.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<ProfileRequest>,
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

/// How one worker process ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    Ok(RunOutput),
    Failed { reason: String, stderr_tail: String },
}

/// One finished worker process, as journaled.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub point: usize,
    /// Which replicate of the point (the round it ran in).
    pub process: u32,
    /// Position in the run order.
    pub seq: usize,
    pub wall_ms: f64,
    /// Peak resident set of the whole process (wait4), in KiB.
    pub max_rss_kib: u64,
    pub outcome: Outcome,
}

impl RunRecord {
    pub fn output(&self) -> Option<&RunOutput> {
        match &self.outcome {
            Outcome::Ok(o) => Some(o),
            Outcome::Failed { .. } => None,
        }
    }
}

/// Everything a report is derived from: the plan, the environment and
/// every raw sample grouped by process.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Results {
    pub schema: u32,
    pub tuner_version: String,
    pub run_id: String,
    pub config_path: String,
    pub config_text: String,
    pub plan: Plan,
    pub points: Vec<Point>,
    pub baseline: Option<usize>,
    pub environment: Environment,
    pub runs: Vec<RunRecord>,
    /// The profiling passes' records and artifacts (none when profiling is off).
    #[serde(default)]
    pub profiling: Profiling,
}

impl Results {
    pub fn runs_of(&self, point: usize) -> impl Iterator<Item = &RunRecord> {
        self.runs.iter().filter(move |r| r.point == point)
    }

    pub fn save(&self, path: &Path) -> io::Result<()> {
        let json = serde_json::to_string_pretty(self).map_err(io::Error::other)?;
        std::fs::write(path, json)
    }

    /// Reads a `results.json`, or a `journal.jsonl` left by an interrupted run.
    pub fn load(path: &Path) -> anyhow::Result<Results> {
        use anyhow::Context as _;
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let results: Results = if path.extension().is_some_and(|e| e == "jsonl") {
            from_journal(&text)
                .with_context(|| format!("{} is not a tuner journal", path.display()))?
        } else {
            serde_json::from_str(&text)
                .with_context(|| format!("{} is not a tuner results file", path.display()))?
        };
        anyhow::ensure!(
            results.schema == SCHEMA,
            "{} has results schema {}, this tuner reads schema {SCHEMA}",
            path.display(),
            results.schema
        );
        Ok(results)
    }
}

/// A journal is the results header on its first line, then one run per line.
fn from_journal(text: &str) -> anyhow::Result<Results> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let mut results: Results = serde_json::from_str(lines.next().unwrap_or(""))?;
    for line in lines {
        // A run cut off mid-write leaves a partial last line: keep the rest.
        if let Ok(run) = serde_json::from_str(line) {
            results.runs.push(run);
        }
    }
    Ok(results)
}

/// Appends each finished run to disk before the next one starts.
pub struct Journal {
    file: std::fs::File,
}

impl Journal {
    /// Creates the journal with `header` (the results without runs).
    pub fn create(path: &Path, header: &Results) -> io::Result<Journal> {
        let mut file = std::fs::File::create(path)?;
        serde_json::to_writer(&mut file, header).map_err(io::Error::other)?;
        file.write_all(b"\n")?;
        file.sync_data()?;
        Ok(Journal { file })
    }

    pub fn append(&mut self, run: &RunRecord) -> io::Result<()> {
        let mut line = serde_json::to_vec(run).map_err(io::Error::other)?;
        line.push(b'\n');
        self.file.write_all(&line)?;
        self.file.sync_data()
    }
}
