//! Per-process figures, derived in one place from a run record: every
//! per-operation number a report, chart, comparison or export prints comes
//! from [`ProcessMetrics`]. An *operation* is one logical unit of the
//! workload (`ops_per_run` of them per run of the workload), so every
//! "per op" figure divides by runs × `ops_per_run`, never by runs alone.

use serde::Serialize;

use crate::alloc::{AllocatorName, Evidence};
use crate::protocol::{RunOutput, ThreadCheck};
use crate::results::RunRecord;

/// What one successful worker process measured, per operation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProcessMetrics {
    pub point: usize,
    /// Which replicate of the point.
    pub process: u32,
    /// Position in the run order.
    pub seq: usize,
    /// The process's value: the median of its samples' ns/op.
    pub ns_per_op: f64,
    /// Each sample's ns/op, in the order taken.
    pub sample_ns_per_op: Vec<f64>,
    /// The shortest and longest sample, in ns of wall time.
    pub sample_ns: (u64, u64),
    /// The fewest and most iterations (runs of the workload) in a sample.
    pub sample_iters: (u64, u64),
    /// Exact allocations per operation; `None` where nothing counted them
    /// (an external command, unless its Go benchmark lines report them).
    pub allocs_per_op: Option<f64>,
    pub bytes_per_op: Option<f64>,
    /// The most heap in use while sampling (bytes, not per op); `None`
    /// for an external command, whose heap tuner does not see.
    pub peak_live_bytes: Option<f64>,
    /// The worker's own peak resident set; `None` for workers that did not
    /// report it (the parent's `wait4` figure is not the worker's own).
    pub peak_rss_bytes: Option<f64>,
    /// CPU time per operation, all threads, over the timed spans only (the
    /// whole sampling window, untimed resets included, for workers that
    /// predate the timed figure); `None` for a command's Go benchmark
    /// lines, which are only part of the process's CPU time.
    pub cpu_ns_per_op: Option<f64>,
    /// Building the workload plus its first run: time to the first result.
    pub first_use_ns: f64,
    pub ops_per_run: u64,
    /// Timed operations the counts cover.
    pub ops: u64,
    pub digest: u64,
    pub threads: ThreadCheck,
    pub allocator: AllocatorName,
    pub evidence: Evidence,
    /// A command's other Go benchmark units (`MB/s`, custom metrics): the
    /// median of the process's lines, per unit.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub units: Vec<(String, f64)>,
}

impl ProcessMetrics {
    /// The metrics of `record`, or `None` when its process failed.
    pub fn of(record: &RunRecord) -> Option<ProcessMetrics> {
        record.output().map(|o| Self::of_output(record, o))
    }

    fn of_output(record: &RunRecord, o: &RunOutput) -> ProcessMetrics {
        let ops_per_run = o.ops_per_run.max(1);
        let per_op_of_sample =
            |ns: u64, iters: u64| ns as f64 / (iters.max(1) * ops_per_run) as f64;
        let sample_ns_per_op: Vec<f64> = o
            .samples
            .iter()
            .map(|s| per_op_of_sample(s.ns, s.iters))
            .collect();
        let ops = o.alloc.iters * ops_per_run;
        let per_op = |x: u64| {
            if ops > 0 {
                x as f64 / ops as f64
            } else {
                f64::NAN
            }
        };
        let range = |f: fn(&crate::protocol::Sample) -> u64| {
            let values = o.samples.iter().map(f);
            (values.clone().min().unwrap_or(0), values.max().unwrap_or(0))
        };
        let command = o.command.as_ref();
        let counted = command.is_none_or(|c| c.allocs_counted);
        let cpu_ns = match (o.cpu.timed_ns, command) {
            (Some(timed), _) => Some(timed),
            (None, None) => Some(o.cpu.user_ns + o.cpu.system_ns),
            (None, Some(_)) => None,
        };
        ProcessMetrics {
            point: record.point,
            process: record.process,
            seq: record.seq,
            ns_per_op: median(&sample_ns_per_op),
            sample_ns: range(|s| s.ns),
            sample_iters: range(|s| s.iters),
            sample_ns_per_op,
            allocs_per_op: counted.then(|| per_op(o.alloc.allocs)),
            bytes_per_op: counted.then(|| per_op(o.alloc.bytes)),
            peak_live_bytes: command.is_none().then_some(o.alloc.peak_live as f64),
            peak_rss_bytes: o.peak_rss_kib.map(|kib| kib as f64 * 1024.0),
            cpu_ns_per_op: cpu_ns.map(per_op),
            first_use_ns: (o.build_ns + o.first_run_ns) as f64,
            ops_per_run,
            ops,
            digest: o.digest,
            threads: o.threads,
            allocator: o.allocator,
            evidence: o.evidence,
            units: command
                .map(|c| {
                    c.units
                        .iter()
                        .map(|(u, v)| (u.clone(), median(v)))
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

impl ProcessMetrics {
    /// The pool threads that ran work: tokio's workers for async
    /// workloads, rayon's otherwise; `None` where the worker could not tell.
    pub fn busy_pool_threads(&self) -> Option<usize> {
        self.threads
            .busy_tokio
            .or(self.threads.busy_rayon)
            .map(|n| n as usize)
    }
}

/// The median of `values` (NaN for none): the one definition every
/// per-process reduction uses.
pub(crate) fn median(values: &[f64]) -> f64 {
    crate::stats::median(values).unwrap_or(f64::NAN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;

    #[test]
    fn cpu_per_op_reads_the_timed_spans_and_falls_back_to_the_window() {
        let mut out = fixtures::output(100.0, 0);
        out.cpu.user_ns = 28_000;
        out.cpu.system_ns = 2_000;
        out.cpu.timed_ns = None;
        let cpu = |out: &RunOutput| {
            let record = fixtures::record(0, 0, 0, crate::results::Outcome::Ok(out.clone()));
            ProcessMetrics::of(&record).unwrap().cpu_ns_per_op.unwrap()
        };
        // 30 operations: the window's 30 µs is 1000 ns/op.
        assert_eq!(cpu(&out), 1000.0);
        out.cpu.timed_ns = Some(3_000);
        assert_eq!(cpu(&out), 100.0);
    }

    #[test]
    fn per_op_figures_divide_by_operations_not_runs() {
        // A pool-like workload: 100,000 operations per run, one 8-byte
        // allocation per operation, 9 ns per operation.
        let out = fixtures::output_with_ops(9.0, 1, 100_000);
        let record = fixtures::record(0, 0, 0, crate::results::Outcome::Ok(out));
        let m = ProcessMetrics::of(&record).unwrap();
        assert_eq!(m.ops_per_run, 100_000);
        assert!((m.ns_per_op - 9.0).abs() < 1e-9, "{}", m.ns_per_op);
        assert_eq!(m.allocs_per_op, Some(1.0));
        assert_eq!(m.bytes_per_op, Some(64.0));
        let cpu = m.cpu_ns_per_op.unwrap();
        assert!((cpu - 9.0).abs() < 1e-9, "{cpu}");
    }
}
