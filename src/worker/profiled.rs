//! One profiling pass inside a worker process: the point is set up exactly
//! as for a timed run (allocator, pool, build, warm-up), then one
//! collector is turned on and the workload runs for the requested duration
//! in batches of the calibrated size. The batches are timed as samples are,
//! so their median time per operation, set against the timed runs', is the
//! collector's overhead; what the machine delivered over those runs
//! (`crate::machine`) says whether that overhead was measured on a quiet
//! machine.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use tuner_api::{Catalog, Workload};

use super::setup::Setup;
use crate::machine::{Scope, Snapshot, Window};
use crate::measure;
use crate::profile::{cpu, heap, spans, timeline};
use crate::protocol::RunSpec;
use crate::protocol::{Pass, ProfileOutput, ProfileRequest};

/// A collector that is on.
enum Collector {
    Spans(spans::Spans),
    Cpu(cpu::Cpu),
    Timeline(timeline::Timeline),
    /// The heap sampler runs from before the build, see [`run`].
    Heap,
}

/// Runs the pass `request` asks for on the point of `spec`.
pub(super) fn run(
    spec: &RunSpec,
    request: &ProfileRequest,
    catalog: &Catalog,
) -> anyhow::Result<ProfileOutput> {
    let dir = &request.dir;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let setup = Setup::new(spec, catalog)?;
    let mut sampler = match request.pass {
        Pass::Heap => Some(heap::start(
            spec.measure.warmup + request.duration + Duration::from_secs(1),
        )?),
        _ => None,
    };
    setup.pool.install(|| {
        let (mut workload, _) = setup.build(spec)?;
        if let Some(s) = &mut sampler {
            s.mark_built();
        }
        let warmed = measure::warm_up(&mut *workload, &spec.measure).context("warming up")?;
        if let Some(s) = &mut sampler {
            s.mark_warmed();
        }
        let collector = match request.pass {
            Pass::Spans => Collector::Spans(spans::start(dir)?),
            Pass::Cpu => Collector::Cpu(cpu::start(request.cpu_frequency)?),
            Pass::Timeline => Collector::Timeline(timeline::start(dir)?),
            Pass::Heap => Collector::Heap,
        };
        let max_iters = match request.pass {
            Pass::Timeline => timeline::MAX_ITERS,
            _ => u64::MAX,
        };
        let m0 = Snapshot::take(Scope::Process);
        let (iters, ns_per_op) =
            profiled_runs(&mut *workload, warmed.iters, request.duration, max_iters)
                .context("running the workload")?;
        let m1 = Snapshot::take(Scope::Process);
        setup.flush_all();
        let mut output = ProfileOutput {
            iters,
            ns_per_op,
            machine: Some(Box::new(Window::between(&m0, &m1))),
            ..ProfileOutput::default()
        };
        match collector {
            Collector::Spans(s) => output.files = s.finish(dir, &request.title)?,
            Collector::Cpu(c) => {
                let (files, samples) = c.finish(dir, &request.title)?;
                output.files = files;
                output.cpu_samples = Some(samples);
            }
            Collector::Timeline(t) => output.files = t.finish(),
            Collector::Heap => {}
        }
        if let Some(s) = sampler.take() {
            let (files, stats) = s.finish(dir)?;
            output.files.extend(files);
            output.heap = Some(stats);
        }
        Ok(output)
    })
}

/// Runs batches of `batch` iterations until `duration` has passed (at
/// least one batch) or `max_iters` have run; returns the iterations and
/// the median over batches of the time per operation (per run divided by
/// the workload's operations per run, as the timed runs' ns/op is).
fn profiled_runs(
    w: &mut dyn Workload,
    batch: u64,
    duration: Duration,
    max_iters: u64,
) -> std::io::Result<(u64, f64)> {
    let start = Instant::now();
    let mut iters = 0;
    let ops_per_run = w.ops_per_run().max(1) as f64;
    let mut per_op = Vec::new();
    while iters < max_iters && (iters == 0 || start.elapsed() < duration) {
        let n = batch.max(1).min(max_iters - iters);
        let took = measure::run_iters(w, n)?.wall;
        per_op.push(took.as_nanos() as f64 / n as f64 / ops_per_run);
        iters += n;
    }
    per_op.sort_by(f64::total_cmp);
    let mid = per_op.len() / 2;
    let median = if per_op.len() % 2 == 1 {
        per_op[mid]
    } else {
        (per_op[mid - 1] + per_op[mid]) / 2.0
    };
    Ok((iters, median))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A run of 1000 operations that sleeps 1 ms: 1 µs or more per operation.
    struct Batched;

    impl Workload for Batched {
        fn run(&mut self) -> std::io::Result<()> {
            std::thread::sleep(Duration::from_millis(1));
            Ok(())
        }
        fn ops_per_run(&self) -> u64 {
            1000
        }
        fn output_digest(&mut self) -> std::io::Result<u64> {
            Ok(0)
        }
    }

    #[test]
    fn overhead_is_per_operation_not_per_run() {
        let (iters, ns_per_op) =
            profiled_runs(&mut Batched, 2, Duration::from_millis(5), u64::MAX).unwrap();
        assert!(iters >= 2);
        // Each run lasts at least 1 ms, so ≥ 1 µs per operation; per run
        // (the bug) it would read ≥ 1,000,000 ns.
        assert!((1_000.0..100_000.0).contains(&ns_per_op), "{ns_per_op}");
    }
}
