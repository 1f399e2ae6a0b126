//! The worker process, `tuner worker` (hidden): reads one [`RunSpec`] as
//! JSON on stdin, runs it and prints one [`RunOutput`] as JSON on stdout.
//!
//! Order matters: the allocator was fixed by the environment before the
//! first allocation; then the worker proves which allocator serves it,
//! builds a rayon pool (and a tokio runtime) of exactly the point's thread
//! count, builds the workload inside the pool, warms up, calibrates, and
//! takes the timed samples between two readings of the counters.

use std::io::Read;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{anyhow, Context as _};
use tuner_experiments::api::Context;

use crate::alloc;
use crate::measure;
use crate::results::{AllocCounts, RunOutput, RunSpec, ThreadCheck};

pub fn main() -> ExitCode {
    match read_spec().and_then(|spec| run(&spec)) {
        Ok(output) => match serde_json::to_string(&output) {
            Ok(json) => {
                println!("{json}");
                ExitCode::SUCCESS
            }
            Err(e) => fail(&anyhow!(e)),
        },
        Err(e) => fail(&e),
    }
}

fn fail(e: &anyhow::Error) -> ExitCode {
    eprintln!("tuner worker: error: {e:#}");
    ExitCode::FAILURE
}

fn read_spec() -> anyhow::Result<RunSpec> {
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .context("reading the run spec")?;
    serde_json::from_str(&input).context("parsing the run spec")
}

/// Runs one spec in this process.
pub fn run(spec: &RunSpec) -> anyhow::Result<RunOutput> {
    let evidence = alloc::probe();
    let experiment = tuner_experiments::find(&spec.workload)
        .ok_or_else(|| anyhow!("unknown workload `{}`", spec.workload))?;
    let threads = spec.point.threads;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("rayon-{i}"))
        .build()
        .context("building the rayon pool")?;
    let runtime = if experiment.knobs().tokio {
        Some(
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(threads)
                .on_thread_park(alloc::flush_thread)
                .enable_all()
                .build()
                .context("building the tokio runtime")?,
        )
    } else {
        None
    };
    let scratch = tempfile::Builder::new()
        .prefix("tuner-run-")
        .tempdir()
        .context("creating a scratch directory")?;
    let ctx = Context {
        threads,
        buffering: spec.point.buffering,
        tokio: runtime.as_ref().map(|r| r.handle().clone()),
        scratch_dir: scratch.path().to_path_buf(),
    };
    // Publishes every thread's pending counts: rayon's by a broadcast,
    // tokio's when its workers park, which they do within microseconds of
    // going idle; the short sleep lets them.
    let flush_all = || {
        if runtime.is_some() {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        pool.broadcast(|_| alloc::flush_thread());
        alloc::flush_thread();
    };
    pool.install(|| {
        let built = Instant::now();
        let mut workload = experiment
            .build(&spec.point.variant, &spec.point.params, &ctx)
            .map_err(|e| {
                anyhow!(
                    "building {} variant {}: {e}",
                    spec.workload,
                    spec.point.variant
                )
            })?;
        let build_ns = built.elapsed().as_nanos() as u64;
        let warmed = measure::warm_up(&mut *workload, &spec.measure).context("warming up")?;

        let mut samples = Vec::with_capacity(spec.measure.samples as usize);
        // Flushing allocates a little itself (rayon's broadcast jobs): read
        // that cost once and take it off the samples' counts.
        flush_all();
        let idle = alloc::snapshot();
        flush_all();
        let before = alloc::snapshot();
        let (flush_allocs, flush_bytes) = (before.allocs - idle.allocs, before.bytes - idle.bytes);
        alloc::start_peak_window();
        let cpu_before = measure::cpu_usage();
        measure::sample(
            &mut *workload,
            spec.measure.samples,
            warmed.iters,
            &mut samples,
        )
        .context("sampling")?;
        let cpu = measure::cpu_usage().since(&cpu_before);
        flush_all();
        let after = alloc::snapshot();

        let threads = ThreadCheck {
            rayon: rayon::current_num_threads(),
            tokio: runtime.as_ref().map(|r| r.metrics().num_workers()),
            os_threads: os_threads(),
        };
        Ok(RunOutput {
            alloc: AllocCounts {
                iters: warmed.iters * u64::from(spec.measure.samples),
                allocs: (after.allocs - before.allocs).saturating_sub(flush_allocs),
                bytes: (after.bytes - before.bytes).saturating_sub(flush_bytes),
                live_before: before.live,
                peak_live: after.peak,
            },
            samples,
            ops_per_run: workload.ops_per_run().max(1),
            build_ns,
            first_run_ns: warmed.first_run_ns,
            warmup_iters: warmed.warmup_iters,
            cpu,
            threads,
            allocator: alloc::active(),
            evidence,
            digest: workload
                .output_digest()
                .context("reading the output digest")?,
        })
    })
}

/// Threads in this process, from `/proc/self/status`.
fn os_threads() -> usize {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Threads:").map(|n| n.trim().parse().ok()))
        })
        .flatten()
        .unwrap_or(0)
}
