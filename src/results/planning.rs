//! What a run started from, as its results record it.

use serde::{Deserialize, Serialize};

/// What a run started from: the estimate, and what a budget made of it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Planning {
    /// The estimated seconds for the run's scheduled processes (and its
    /// profiling passes).
    pub estimate_s: f64,
    /// Where the estimate came from, as a sentence's end.
    pub source: String,
    /// The budget, in seconds, if there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_s: Option<f64>,
    /// Processes per point the config asked for, and the ones planned.
    pub configured_processes: u32,
    pub planned_processes: u32,
}
