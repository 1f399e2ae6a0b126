//! What results merged from shards record about their sources.

use serde::{Deserialize, Serialize};

use crate::matrix::{Shard, SplitBy};

/// One shard of merged results, as it was read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MergeSource {
    /// `None`: a run of the whole schedule.
    pub shard: Option<Shard>,
    /// The file it was read from, as given.
    pub path: String,
    pub run_id: String,
    pub machine: Option<String>,
    /// Runs it held.
    pub runs: usize,
    pub cpu_model: String,
    pub load_average: [f64; 3],
    /// Why the shard stopped before its end, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interrupted: Option<String>,
}

/// How merged results were put together.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MergeInfo {
    /// Shards in the run, and how its schedule was split.
    pub count: u32,
    pub by: SplitBy,
    /// The shards merged, by index.
    pub sources: Vec<MergeSource>,
    /// Shard indexes no input held: their processes are missing.
    pub missing: Vec<u32>,
    /// Inputs left out because another input held the same shard.
    pub left_out: Vec<String>,
}

impl MergeInfo {
    /// Distinct machines the merged processes ran on.
    pub fn machines(&self) -> Vec<&str> {
        let mut seen: Vec<&str> = Vec::new();
        for m in self.sources.iter().filter_map(|s| s.machine.as_deref()) {
            if !seen.contains(&m) {
                seen.push(m);
            }
        }
        seen
    }
}
