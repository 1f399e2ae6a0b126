//! One flat row per worker process: the unit of replication, with its
//! point's coordinates and its per-process values, for CSV and JSON.

use serde::{Serialize, Serializer};

use crate::matrix;
use crate::results::{Outcome, Results};

/// What one worker process measured, flattened.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProcessRow {
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
    /// Timed iterations over all samples.
    pub iters: u64,
    /// The median of the process's samples.
    pub ns_per_op: Option<f64>,
    pub allocs_per_op: Option<f64>,
    pub bytes_per_op: Option<f64>,
    pub peak_live_bytes: Option<i64>,
    /// User + system CPU time per operation, all threads.
    pub cpu_ns_per_op: Option<f64>,
    pub max_rss_kib: u64,
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
pub fn rows(results: &Results) -> Vec<ProcessRow> {
    let varying = matrix::varying_axes(&results.plan.axes);
    results
        .runs
        .iter()
        .map(|r| {
            let point = &results.points[r.point];
            let out = r.output();
            let per_op = |x: u64| out.map(|o| x as f64 / o.alloc.iters as f64);
            let iters = out.map_or(0, |o| o.samples.iter().map(|s| s.iters).sum());
            ProcessRow {
                run_id: results.run_id.clone(),
                point: point.label(&varying),
                coords: point.coords.clone(),
                process: r.process,
                seq: r.seq,
                status: if out.is_some() { "ok" } else { "failed" },
                samples: out.map_or(0, |o| o.samples.len()),
                iters,
                ns_per_op: out.map(|o| o.median_ns_per_op()),
                allocs_per_op: out.and_then(|o| per_op(o.alloc.allocs)),
                bytes_per_op: out.and_then(|o| per_op(o.alloc.bytes)),
                peak_live_bytes: out.map(|o| o.alloc.peak_live),
                cpu_ns_per_op: out.and_then(|o| per_op(o.cpu.user_ns + o.cpu.system_ns)),
                max_rss_kib: r.max_rss_kib,
                wall_ms: r.wall_ms,
                reason: match &r.outcome {
                    Outcome::Failed { reason, .. } => Some(reason.clone()),
                    Outcome::Ok(_) => None,
                },
            }
        })
        .collect()
}
