//! A timed run: build the workload inside the pool, warm up, calibrate,
//! and take the samples between two readings of the counters (allocations,
//! CPU, each thread's CPU, and what the machine delivered: `crate::machine`);
//! the process's own peak RSS last of all.

use anyhow::Context as _;
use tuner_api::{Catalog, Workload};

use super::setup::Setup;
use crate::alloc;
use crate::machine::{Delivered, Scope, Snapshot, Window};
use crate::measure;
use crate::protocol::{
    AllocCounts, CpuUsage, RunOutput, RunSpec, Sample, ThreadCheck, PROTOCOL_VERSION,
};

/// Runs one spec in this process.
pub(super) fn run(spec: &RunSpec, catalog: &Catalog) -> anyhow::Result<RunOutput> {
    let evidence = alloc::probe();
    let setup = Setup::new(spec, catalog)?;
    let mut output = setup.pool.install(|| {
        let (mut workload, build_ns) = setup.build(spec)?;
        let warmed = measure::warm_up(&mut *workload, &spec.measure).context("warming up")?;
        let sampled = sample_counted(&setup, &mut *workload, spec, warmed.iters)?;
        Ok::<_, anyhow::Error>(RunOutput {
            protocol: PROTOCOL_VERSION,
            peak_rss_kib: None,
            alloc: sampled.alloc,
            samples: sampled.samples,
            ops_per_run: workload.ops_per_run().max(1),
            build_ns,
            first_run_ns: warmed.first_run_ns,
            warmup_iters: warmed.warmup_iters,
            cpu: sampled.cpu,
            threads: sampled.threads,
            allocator: alloc::active(),
            evidence,
            digest: workload
                .output_digest()
                .context("reading the output digest")?,
            command: None,
            machine: Some(Box::new(sampled.delivered)),
        })
    })?;
    // A high-water mark: read last, it covers everything the worker did.
    output.peak_rss_kib = measure::peak_rss_kib();
    Ok(output)
}

/// The samples and what the counters saw while they ran.
struct Sampled {
    samples: Vec<Sample>,
    alloc: AllocCounts,
    cpu: CpuUsage,
    threads: ThreadCheck,
    delivered: Delivered,
}

/// Takes the samples between two readings of every counter. Reading the
/// threads and the machine allocates, so it happens outside the
/// allocation window; the machine's window holds the flushes too (a few
/// ms at most), whose threads are idle at its edges.
fn sample_counted(
    setup: &Setup,
    workload: &mut dyn Workload,
    spec: &RunSpec,
    iters: u64,
) -> anyhow::Result<Sampled> {
    let m0 = Snapshot::take(Scope::Process);
    let mut samples = Vec::with_capacity(spec.measure.samples as usize);
    let threads_before = measure::thread_times();
    // Flushing allocates a little itself (rayon's broadcast jobs): read
    // that cost once and take it off the samples' counts.
    setup.flush_all();
    let idle = alloc::snapshot();
    setup.flush_all();
    let before = alloc::snapshot();
    let (flush_allocs, flush_bytes) = (before.allocs - idle.allocs, before.bytes - idle.bytes);
    alloc::start_peak_window();
    let window = measure::cpu_usage();
    let timed = measure::sample(
        workload,
        spec.measure.samples,
        iters,
        spec.measure.min_sample_time,
        &mut samples,
    )
    .context("sampling")?;
    let cpu = CpuUsage {
        timed_ns: Some(timed.cpu_ns),
        ..measure::cpu_usage().since(&window)
    };
    setup.flush_all();
    let after = alloc::snapshot();
    let m1 = Snapshot::take(Scope::Process);
    let delivered = Window::between(&m0, &m1);
    let threads = thread_check(setup, threads_before, measure::thread_times());
    let alloc = AllocCounts {
        iters: samples.iter().map(|s| s.iters).sum(),
        allocs: (after.allocs - before.allocs).saturating_sub(flush_allocs),
        bytes: (after.bytes - before.bytes).saturating_sub(flush_bytes),
        live_before: before.live,
        peak_live: after.peak,
    };
    Ok(Sampled {
        samples,
        alloc,
        cpu,
        threads,
        delivered,
    })
}

/// The pool sizes read back, and the threads that really ran work.
fn thread_check(
    setup: &Setup,
    before: Option<measure::ThreadTimes>,
    after: Option<measure::ThreadTimes>,
) -> ThreadCheck {
    let runtime = setup.runtime.as_ref();
    let busy = before.zip(after).map(|(b, a)| a.busy_since(&b));
    ThreadCheck {
        rayon: rayon::current_num_threads(),
        tokio: runtime.map(|r| r.metrics().num_workers()),
        os_threads: busy.map_or_else(os_threads, |b| b.alive),
        busy: busy.map(|b| b.all),
        busy_rayon: busy.map(|b| b.rayon),
        busy_tokio: busy.filter(|_| runtime.is_some()).map(|b| b.tokio),
    }
}

/// Threads in this process, from `/proc/self/status`: the fallback when
/// `/proc/self/task` could not be read.
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
