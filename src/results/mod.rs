//! A run's raw results: the journal records of every worker process and
//! the versioned results file every report, comparison and export is
//! re-derived from. `journal` appends records as they arrive; `load`
//! reads a results file or a journal back.

mod journal;
mod load;
mod merge_info;
mod planning;
mod rounds;

use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::config::Plan;
use crate::environment::Environment;
use crate::matrix::Shard;
use crate::matrix::{Point, Slot};
pub(crate) use crate::protocol::FailureKind;
use crate::protocol::Profiling;
use crate::protocol::RunOutput;

pub(crate) use journal::{Journal, JOURNAL_FILE};

/// The results file in a run folder.
pub(crate) const RESULTS_FILE: &str = "results.json";
pub use load::Form;
pub(crate) use merge_info::{MergeInfo, MergeSource};
pub use planning::Planning;
pub(crate) use rounds::RoundEvent;
pub(crate) use rounds::{AdaptiveGroup, AdaptiveRun, Ending, Evidence, How, Look, Rerun, Rounds};
pub(crate) use rounds::{Confirmation, PairedRun};

/// The slots of `plan`'s schedule (of a matrix of `points` points) that
/// `shard` runs (all of them without one), with their places in it.
pub(crate) fn share(plan: &Plan, points: usize, shard: Option<Shard>) -> Vec<(usize, Slot)> {
    let m = &plan.measure;
    crate::matrix::schedule(points, m.processes, m.seed)
        .into_iter()
        .enumerate()
        .filter(|(_, s)| shard.is_none_or(|shard| shard.owns(*s, points)))
        .collect()
}

/// The version of [`Results`]' layout; bump it when a field changes meaning.
pub(crate) const SCHEMA: u32 = 1;

/// How one worker process ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    Ok(RunOutput),
    Failed {
        /// What went wrong, for counting (`unknown` in files older than it).
        #[serde(default)]
        kind: FailureKind,
        /// What went wrong, for reading: the panic message, the signal ...
        reason: String,
        /// The panic or allocation message and the last lines of stderr.
        stderr_tail: String,
    },
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
    /// The machine the process ran on, in results merged from shards
    /// (`None`: the results' own [`Results::machine`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine: Option<String>,
    /// Why the machine did not deliver what the point asked for over the
    /// process's window (others' CPU, steal, throttling, run delay beyond
    /// its own threads'), when it did not: the process is kept, and its
    /// round may be run again (`Results::replaced`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contended: Option<String>,
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
    /// The worker protocol of the tuner that ran it (`0`: older than the field).
    #[serde(default)]
    pub protocol: u32,
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
    /// Damage found when the results were read back (e.g. a journal line
    /// that could not be parsed): the report prints each one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Set when the run stopped before its schedule did (Ctrl-C, SIGTERM):
    /// what stopped it and how far it got. `tuner run --resume` finishes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interrupted: Option<String>,
    /// The share of the schedule this run holds (`tuner run --shard`);
    /// `None`: all of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
    /// The machine the run was measured on (host name and hashed machine
    /// id, or `--machine`); `None` in merged results and older files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine: Option<String>,
    /// Set in results merged from shards: where each shard came from, and
    /// the shards missing or given twice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged: Option<MergeInfo>,
    /// The cost estimate the run started with, and the processes a budget
    /// fitted to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub planning: Option<Planning>,
    /// Seconds from the run's start to its results being saved (the last
    /// session's, for a resumed run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elapsed_s: Option<f64>,
    /// Rounds run again because the machine contended for them, and an
    /// adaptive run's looks and endings (`None`: older tuners, shards).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) rounds: Option<Rounds>,
}

impl Results {
    pub fn runs_of(&self, point: usize) -> impl Iterator<Item = &RunRecord> {
        self.runs.iter().filter(move |r| r.point == point)
    }

    /// The slots these results are meant to hold, with their places in the
    /// run order: the plan's whole schedule, or the shard's share of it.
    pub fn scheduled(&self) -> Vec<(usize, Slot)> {
        share(&self.plan, self.points.len(), self.shard)
    }

    /// Processes of `point` these results are meant to hold.
    pub fn scheduled_of(&self, point: usize) -> u32 {
        let processes = self.plan.measure.processes;
        match self.shard {
            None => processes + self.extra_rounds_of(point, processes),
            Some(s) => s.processes_of(point, self.points.len(), processes),
        }
    }

    /// Processes these results are meant to hold, over all points.
    pub fn scheduled_total(&self) -> usize {
        (0..self.points.len())
            .map(|p| self.scheduled_of(p) as usize)
            .sum()
    }

    /// The machine `run` was measured on, if recorded.
    pub fn machine_of<'a>(&'a self, run: &'a RunRecord) -> Option<&'a str> {
        run.machine.as_deref().or(self.machine.as_deref())
    }

    /// Writes the results to `path` atomically: a reader (or a kill)
    /// sees the old file or the new one, never a truncated one. Compact,
    /// one line (pretty-printed files are half whitespace; `jq .` shows
    /// them laid out), ending in a newline.
    pub fn save(&self, path: &Path) -> io::Result<()> {
        let mut json = serde_json::to_string(self).map_err(io::Error::other)?;
        json.push('\n');
        crate::fsio::write_atomic(path, json)
    }
}
