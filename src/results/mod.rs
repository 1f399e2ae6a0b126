//! A run's raw results: the journal records of every worker process and
//! the versioned results file every report, comparison and export is
//! re-derived from. [`journal`] appends records as they arrive; [`load`]
//! reads a results file or a journal back.

mod journal;
mod load;

use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::config::Plan;
use crate::environment::Environment;
use crate::matrix::Point;
use crate::profile::Profiling;
use crate::protocol::RunOutput;

pub use journal::Journal;
pub use load::{Form, LoadError, MAX_RESULTS_BYTES};

/// The version of [`Results`]' layout; bump it when a field changes meaning.
pub const SCHEMA: u32 = 1;

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
    /// Damage found when the results were read back (e.g. a journal line
    /// that could not be parsed): the report prints each one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl Results {
    pub fn runs_of(&self, point: usize) -> impl Iterator<Item = &RunRecord> {
        self.runs.iter().filter(move |r| r.point == point)
    }

    pub fn save(&self, path: &Path) -> io::Result<()> {
        let json = serde_json::to_string_pretty(self).map_err(io::Error::other)?;
        std::fs::write(path, json)
    }
}
