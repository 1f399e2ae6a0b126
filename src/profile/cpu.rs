//! The CPU pass: pprof-rs sampling on a `SIGPROF` interval timer (these
//! machines have no hardware counters; the kernel caps the rate near 250
//! samples/s whatever is asked), written as `cpu.pb.gz` (the gzipped pprof
//! protobuf that `pprof -http` and `go tool pprof` read), `cpu.folded`
//! and `cpu.svg`, rendered with our inferno (not pprof's `flamegraph`
//! feature, which would bring a second inferno). The folded stacks (and so
//! the SVG) drop generic arguments from names and leave out frames that only
//! forward a call — closures, `call_once`, `catch_unwind` and the like, see
//! [`FORWARDERS`] — which otherwise make up most of a rayon stack's depth;
//! every sample is kept. The protobuf keeps every frame, whole.
//!
//! The unwinder is framehop (`framehop-unwinder`). pprof's default
//! (`backtrace`, i.e. libgcc's `_Unwind_Backtrace`) is not
//! async-signal-safe (tikv/pprof-rs#36): it may take the loader's lock or
//! allocate inside the handler, and a signal landing inside our global
//! allocator (or in code holding that lock) can then deadlock.
//! `frame-pointer` needs the whole binary built with frame pointers, which
//! would change the code the timed runs measure, and charges a leaf's time
//! to its caller. framehop reads `.eh_frame` without locks or allocation
//! during the unwind (`MustNotAllocateDuringUnwind`) and checks every stack
//! read. Its one unsafe moment is its lazy set-up, which pprof runs in the
//! handler on the first sample and which allocates: [`start`] therefore
//! spins, allocating nothing, until that first sample has been taken, so
//! the set-up cannot interrupt an allocator. Those priming samples are left
//! out of `cpu.folded` and `cpu.svg` (they stay in the protobuf, under
//! `prime_unwinder`). libc is not blocklisted: that would drop glibc
//! malloc's samples and skew an allocator comparison.

use std::io::Write as _;
use std::path::Path;
use std::time::Duration;

use anyhow::{anyhow, Context as _};
use pprof::protos::Message as _;

use super::flame::{self, Folded};

pub(crate) const PROTO: &str = "cpu.pb.gz";
pub(crate) const FOLDED: &str = "cpu.folded";
pub(crate) const SVG: &str = "cpu.svg";

/// Frames that only forward a call, left out of the folded stacks (pprof's
/// `-hide`): std's and rayon's plumbing between two frames of real work.
const FORWARDERS: &[&str] = &[
    "call_once",
    "call_mut",
    "call",
    "do_call",
    "catch_unwind",
    "halt_unwinding",
    "run_inline",
    "in_scope",
    "__rust_begin_short_backtrace",
    "<alloc::boxed::Box as core::ops::function::FnOnce>::call_once",
];

/// Whether a (short) frame name only forwards a call.
fn forwards(name: &str) -> bool {
    let closure = name.starts_with("{closure#") && name.ends_with('}');
    closure || FORWARDERS.contains(&name)
}

/// The frame that marks the priming samples.
const PRIME: &str = "prime_unwinder";

pub(crate) struct Cpu {
    guard: pprof::ProfilerGuard<'static>,
}

/// Starts the profiler and waits (spinning) for its first sample.
pub(crate) fn start(frequency: u32) -> anyhow::Result<Cpu> {
    let frequency = i32::try_from(frequency).unwrap_or(i32::MAX);
    let guard = pprof::ProfilerGuardBuilder::default()
        .frequency(frequency)
        .build()
        .map_err(|e| anyhow!("starting the CPU profiler: {e}"))?;
    // At the kernel's ~250 Hz cap a sample comes every ~4 ms of CPU time.
    for _ in 0..50 {
        prime_unwinder(Duration::from_millis(10));
        let taken = guard
            .report()
            .build_unresolved()
            .map(|r| !r.data.is_empty())
            .unwrap_or(false);
        if taken {
            break;
        }
    }
    Ok(Cpu { guard })
}

/// Burns `cpu` of this thread's CPU time without allocating.
#[inline(never)]
fn prime_unwinder(cpu: Duration) {
    let start = thread_cpu();
    let mut x = 0u64;
    while thread_cpu().saturating_sub(start) < cpu {
        for i in 0..1000 {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
        }
    }
}

fn thread_cpu() -> Duration {
    // SAFETY: timespec is plain data that clock_gettime fills.
    let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

impl Cpu {
    /// Stops sampling and writes the profile; returns the files written
    /// and the number of samples.
    pub(crate) fn finish(self, dir: &Path, title: &str) -> anyhow::Result<(Vec<String>, u64)> {
        let report = self
            .guard
            .report()
            .build()
            .map_err(|e| anyhow!("building the CPU report: {e}"))?;
        drop(self.guard);
        let profile = report
            .pprof()
            .map_err(|e| anyhow!("encoding the CPU profile: {e}"))?;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&profile.encode_to_vec())?;
        crate::fsio::write_atomic(&dir.join(PROTO), gz.finish()?).context("writing cpu.pb.gz")?;

        let mut folded = Folded::new();
        let mut samples = 0u64;
        for (frames, count) in &report.data {
            let count = u64::try_from(*count).unwrap_or(0);
            samples += count;
            let mut stack = vec![flame::frame_name(&frames.thread_name_or_id())];
            for frame in frames.frames.iter().rev() {
                for symbol in frame.iter().rev() {
                    let name = flame::short_name(&symbol.name());
                    if !forwards(&name) {
                        stack.push(flame::frame_name(&name));
                    }
                }
            }
            if stack.iter().any(|f| f.contains(PRIME)) {
                continue;
            }
            *folded.entry(stack.join(";")).or_default() += count;
        }
        crate::fsio::write_atomic(&dir.join(FOLDED), flame::to_text(&folded))
            .context("writing cpu.folded")?;
        let mut files = vec![PROTO.to_string(), FOLDED.to_string()];
        if !folded.is_empty() {
            let svg =
                flame::svg(&folded, title, "samples").context("drawing the CPU flame graph")?;
            crate::fsio::write_atomic(&dir.join(SVG), svg).context("writing cpu.svg")?;
            files.push(SVG.to_string());
        }
        Ok((files, samples))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarding_frames_are_recognised_and_work_is_not() {
        for f in ["{closure#0}", "call_once", "catch_unwind", "halt_unwinding"] {
            assert!(forwards(f), "{f}");
        }
        for f in [
            "merge",
            "join",
            "join_context",
            "tuner_experiments::mergesort::merge",
            "{closure#0}::x",
        ] {
            assert!(!forwards(f), "{f}");
        }
    }
}
