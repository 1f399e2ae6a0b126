//! The worker process, `tuner worker` (hidden): reads one [`RunSpec`] as
//! JSON on stdin, runs it and prints one [`RunOutput`] as JSON on stdout.
//!
//! Order matters: the allocator was fixed by the environment before the
//! first allocation; then the worker proves which allocator serves it,
//! builds a rayon pool (and a tokio runtime) of exactly the point's thread
//! count, builds the workload inside the pool, warms up, calibrates, and
//! takes the timed samples between two readings of the counters. A spec
//! that carries a profile request runs a profiling pass instead
//! ([`crate::profile::pass`]), with the same set-up ([`Setup`]).

use std::io::Read;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{anyhow, Context as _};
use tuner_experiments::api::Context;
use tuner_experiments::{Experiment, Workload};

use crate::alloc;
use crate::measure;
use crate::results::{AllocCounts, RunOutput, RunSpec, ThreadCheck};

pub fn main() -> ExitCode {
    let json = read_spec().and_then(|spec| match &spec.profile {
        None => Ok(serde_json::to_string(&run(&spec)?)?),
        Some(request) => Ok(serde_json::to_string(&crate::profile::pass::run(
            &spec, request,
        )?)?),
    });
    match json {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
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

/// What every worker process sets up before it builds a workload: the
/// rayon pool (and tokio runtime) of the point's size, a scratch directory
/// and the context the workload sees.
pub struct Setup {
    pub experiment: &'static dyn Experiment,
    pub pool: rayon::ThreadPool,
    pub runtime: Option<tokio::runtime::Runtime>,
    pub ctx: Context,
    _scratch: tempfile::TempDir,
}

impl Setup {
    pub fn new(spec: &RunSpec) -> anyhow::Result<Setup> {
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
        Ok(Setup {
            experiment,
            pool,
            runtime,
            ctx,
            _scratch: scratch,
        })
    }

    /// Publishes every thread's pending allocation counts: rayon's by a
    /// broadcast, tokio's when its workers park, which they do within
    /// microseconds of going idle; the short sleep lets them.
    pub fn flush_all(&self) {
        if self.runtime.is_some() {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        self.pool.broadcast(|_| alloc::flush_thread());
        alloc::flush_thread();
    }

    /// Builds the point's workload (call inside the pool); returns it with
    /// the time building took.
    pub fn build(&self, spec: &RunSpec) -> anyhow::Result<(Box<dyn Workload>, u64)> {
        let built = Instant::now();
        let workload = self
            .experiment
            .build(&spec.point.variant, &spec.point.params, &self.ctx)
            .map_err(|e| {
                anyhow!(
                    "building {} variant {}: {e}",
                    spec.workload,
                    spec.point.variant
                )
            })?;
        Ok((workload, built.elapsed().as_nanos() as u64))
    }
}

/// Runs one spec in this process.
pub fn run(spec: &RunSpec) -> anyhow::Result<RunOutput> {
    let evidence = alloc::probe();
    let setup = Setup::new(spec)?;
    let pool = &setup.pool;
    let runtime = &setup.runtime;
    let flush_all = || setup.flush_all();
    pool.install(|| {
        let (mut workload, build_ns) = setup.build(spec)?;
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
