//! A timed run: build the workload inside the pool, warm up, calibrate,
//! and take the samples between two readings of the counters.

use anyhow::Context as _;
use tuner_api::Catalog;

use super::setup::Setup;
use crate::alloc;
use crate::measure;
use crate::protocol::{AllocCounts, RunOutput, RunSpec, ThreadCheck, PROTOCOL_VERSION};

/// Runs one spec in this process.
pub fn run(spec: &RunSpec, catalog: &Catalog) -> anyhow::Result<RunOutput> {
    let evidence = alloc::probe();
    let setup = Setup::new(spec, catalog)?;
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
            protocol: PROTOCOL_VERSION,
            peak_rss_kib: None,
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
