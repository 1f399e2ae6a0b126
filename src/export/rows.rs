//! One flat row per worker process: the unit of replication, with its
//! point's coordinates and its per-process values, for CSV and JSON.

use serde::{Serialize, Serializer};

use crate::analysis::ProcessMetrics;
use crate::matrix;
use crate::results::{Outcome, Results};

/// What one worker process measured, flattened.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct ProcessRow {
    pub run_id: String,
    /// `variant=v3 threads=2`: the varying axes.
    pub point: String,
    /// Every axis's value, in axis order.
    #[serde(serialize_with = "ordered_map")]
    pub coords: Vec<(String, String)>,
    /// Which replicate of the point.
    pub process: u32,
    /// Position in the run order.
    pub seq: usize,
    /// `ok` or `failed`.
    pub status: &'static str,
    pub samples: usize,
    /// Timed operations over all samples.
    pub ops: u64,
    /// The median of the process's samples.
    pub ns_per_op: Option<f64>,
    pub allocs_per_op: Option<f64>,
    pub bytes_per_op: Option<f64>,
    pub peak_live_bytes: Option<i64>,
    /// User + system CPU time per operation, all threads.
    pub cpu_ns_per_op: Option<f64>,
    /// The worker's own peak resident set.
    pub peak_rss_bytes: Option<f64>,
    pub wall_ms: f64,
    /// Why a failed process failed.
    pub reason: Option<String>,
}

/// Coordinates as a JSON object in axis order (serde_json writes map
/// entries in the order given).
fn ordered_map<S: Serializer>(coords: &[(String, String)], s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(coords.iter().map(|(a, v)| (a, v)))
}

/// Every process of `results`, in run order.
pub(crate) fn rows(results: &Results) -> Vec<ProcessRow> {
    let varying = matrix::varying_axes(&results.plan.axes);
    results
        .runs
        .iter()
        .map(|r| {
            let point = &results.points[r.point];
            let m = ProcessMetrics::of(r);
            let m = m.as_ref();
            ProcessRow {
                run_id: results.run_id.clone(),
                point: point.label(&varying),
                coords: point.coords.clone(),
                process: r.process,
                seq: r.seq,
                status: if m.is_some() { "ok" } else { "failed" },
                samples: m.map_or(0, |m| m.sample_ns_per_op.len()),
                ops: m.map_or(0, |m| m.ops),
                ns_per_op: m.map(|m| m.ns_per_op),
                allocs_per_op: m.and_then(|m| m.allocs_per_op),
                bytes_per_op: m.and_then(|m| m.bytes_per_op),
                peak_live_bytes: m.and_then(|m| m.peak_live_bytes).map(|b| b as i64),
                cpu_ns_per_op: m.and_then(|m| m.cpu_ns_per_op),
                peak_rss_bytes: m.and_then(|m| m.peak_rss_bytes),
                wall_ms: r.wall_ms,
                reason: match &r.outcome {
                    Outcome::Failed { reason, .. } => Some(reason.clone()),
                    Outcome::Ok(_) => None,
                },
            }
        })
        .collect()
}
