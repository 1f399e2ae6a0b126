//! The heap pass: a sampler thread reads the counting allocator's live
//! bytes ([`crate::alloc::snapshot`]) every [`PERIOD`] while the point is
//! built, warmed up and run, and writes the series as `heap.json` — the
//! Rust counterpart of the seed's GOGC heap pictures. Live bytes are the
//! bytes the program holds (what it asked for and has not freed), the same
//! under every allocator: the allocators differ in how fast the curve is
//! traversed. Beside it, the process's resident memory (`/proc/self/statm`)
//! shows what each allocator keeps from the OS for the same live bytes.
//! The sampler leaves its own buffers out of the live figures and reads
//! without allocating.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::Context as _;

use crate::alloc;
use crate::protocol::{HeapSeries, HeapStats};

pub(crate) const JSON: &str = "heap.json";

/// How often the sampler reads the live bytes.
pub(crate) const PERIOD: Duration = Duration::from_millis(1);

type Samples = Vec<(f64, i64)>;

/// Resident bytes of this process, read from an open `/proc/self/statm`
/// into a stack buffer (no allocation, so the live figures stay clean).
fn resident_bytes(statm: &std::fs::File) -> i64 {
    use std::os::unix::fs::FileExt as _;
    let mut buf = [0u8; 128];
    let n = statm.read_at(&mut buf, 0).unwrap_or(0);
    let pages = std::str::from_utf8(&buf[..n])
        .ok()
        .and_then(|s| s.split_whitespace().nth(1))
        .and_then(|p| p.parse::<i64>().ok())
        .unwrap_or(0);
    // SAFETY: sysconf has no preconditions.
    pages * unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as i64
}

pub(crate) struct Sampler {
    start: Instant,
    stop: Arc<AtomicBool>,
    handle: JoinHandle<(Samples, Samples)>,
    built_ms: f64,
    warmed_ms: f64,
}

/// Starts sampling; `expected` sizes the buffer so it rarely grows.
pub(crate) fn start(expected: Duration) -> anyhow::Result<Sampler> {
    let start = Instant::now();
    alloc::start_peak_window();
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let capacity = (expected.as_secs_f64() / PERIOD.as_secs_f64()) as usize + 64;
    let statm = std::fs::File::open("/proc/self/statm").context("opening /proc/self/statm")?;
    let handle = std::thread::Builder::new()
        .name("heap-sampler".into())
        .spawn(move || {
            let mut samples: Samples = Vec::with_capacity(capacity);
            let mut resident: Samples = Vec::with_capacity(capacity);
            while !flag.load(Ordering::Relaxed) {
                let own = ((samples.capacity() + resident.capacity())
                    * std::mem::size_of::<(f64, i64)>()) as i64;
                let live = alloc::snapshot().live - own;
                let ms = start.elapsed().as_secs_f64() * 1e3;
                samples.push((ms, live));
                resident.push((ms, resident_bytes(&statm)));
                std::thread::sleep(PERIOD);
            }
            (samples, resident)
        })
        .context("starting the heap sampler")?;
    Ok(Sampler {
        start,
        stop,
        handle,
        built_ms: 0.0,
        warmed_ms: 0.0,
    })
}

impl Sampler {
    pub(crate) fn mark_built(&mut self) {
        self.built_ms = self.start.elapsed().as_secs_f64() * 1e3;
    }

    pub(crate) fn mark_warmed(&mut self) {
        self.warmed_ms = self.start.elapsed().as_secs_f64() * 1e3;
    }

    /// Stops sampling (all threads flushed by the caller) and writes
    /// `heap.json`; returns the files written and the figures.
    pub(crate) fn finish(self, dir: &Path) -> anyhow::Result<(Vec<String>, HeapStats)> {
        let end = alloc::snapshot();
        self.stop.store(true, Ordering::Relaxed);
        let (samples, resident) = self
            .handle
            .join()
            .map_err(|_| anyhow::anyhow!("the heap sampler panicked"))?;
        let stats = HeapStats {
            peak_live: end.peak,
            final_live: end.live,
            samples: samples.len(),
        };
        let series = HeapSeries {
            allocator: alloc::active(),
            period_ms: PERIOD.as_secs_f64() * 1e3,
            samples,
            resident,
            built_ms: self.built_ms,
            warmed_ms: self.warmed_ms,
            stats,
        };
        let json = serde_json::to_vec(&series)?;
        crate::fsio::write_atomic(&dir.join(JSON), json).context("writing heap.json")?;
        Ok((vec![JSON.to_string()], stats))
    }
}

/// Reads a `heap.json`.
pub(crate) fn read_series(path: &Path) -> anyhow::Result<HeapSeries> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not a heap series", path.display()))
}
