//! What a run of an external command reports besides the figures every
//! run has.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{FailureKind, RunOutput};
use crate::config::Metrics;

/// The command side of a [`crate::protocol::RunOutput`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CommandFacts {
    pub metrics: Metrics,
    /// The timed execution's argv, every placeholder filled.
    pub argv: Vec<String>,
    /// The library preloaded (`LD_PRELOAD`) for the point's allocator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preload: Option<PathBuf>,
    /// Untimed executions before the timed one.
    pub warmup_runs: u32,
    /// Go benchmark output: the benchmark the samples are of (without
    /// its `-GOMAXPROCS` suffix).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub benchmark: Option<String>,
    /// Whether the allocation counts are measured: every benchmark line
    /// had `B/op` and `allocs/op` (`-benchmem`). Never for wall metrics.
    #[serde(default)]
    pub allocs_counted: bool,
    /// Go benchmark output: every other unit (`MB/s`, custom metrics), a
    /// value per line.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub units: Vec<(String, Vec<f64>)>,
}

/// What the worker of a command run prints.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct ShimReport {
    pub protocol: u32,
    #[serde(flatten)]
    pub result: ShimResult,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub(crate) enum ShimResult {
    Ok { output: Box<RunOutput> },
    Failed { kind: FailureKind, reason: String },
}
