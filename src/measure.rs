//! Timing a workload inside a worker: warm-up, calibration, samples.
//!
//! The first run is timed on its own (with the build, the time to first
//! use) and counts towards warm-up. Warm-up then continues in growing
//! batches until it has lasted `warmup`; its last batch estimates the time
//! per iteration, from which calibration picks how many iterations make one
//! sample last at least `min_sample_time`, so timer overhead (~25 ns per
//! `Instant` pair) vanishes even for 20 ns operations. Workloads that need
//! an untimed reset between iterations are timed one iteration at a time.

use std::io;
use std::time::{Duration, Instant};

use tuner_api::Workload;

use crate::config::MeasureSettings;
use crate::protocol::{CpuUsage, Sample};

/// The most iterations one sample may run, whatever calibration says.
const MAX_ITERS: u64 = 1 << 32;

/// Timings of one process, before the samples' counters are read.
pub struct Warmed {
    pub first_run_ns: u64,
    pub warmup_iters: u64,
    /// Iterations per timed sample.
    pub iters: u64,
}

/// Runs the workload `iters` times and returns the time spent in `run`.
pub fn run_iters(w: &mut dyn Workload, iters: u64) -> io::Result<Duration> {
    if w.needs_reset() {
        let mut total = Duration::ZERO;
        for _ in 0..iters {
            w.reset();
            let start = Instant::now();
            w.run()?;
            total += start.elapsed();
        }
        Ok(total)
    } else {
        let start = Instant::now();
        for _ in 0..iters {
            w.run()?;
        }
        Ok(start.elapsed())
    }
}

/// Iterations per sample so that one sample lasts at least `min_sample`.
pub fn calibrate(ns_per_iter: f64, min_sample: Duration) -> u64 {
    let wanted = min_sample.as_nanos() as f64 / ns_per_iter.max(1.0);
    (wanted.ceil() as u64).clamp(1, MAX_ITERS)
}

/// The first run, the warm-up and the calibration.
pub fn warm_up(w: &mut dyn Workload, settings: &MeasureSettings) -> io::Result<Warmed> {
    let first = run_iters(w, 1)?;
    let mut spent = first;
    let mut iters = 1;
    let mut last = (1, first);
    while spent < settings.warmup {
        let per_iter = last.1.as_nanos() as f64 / last.0 as f64;
        let remaining = (settings.warmup - spent).as_nanos() as f64;
        // Grow geometrically, but do not overshoot the warm-up by much.
        let batch = ((last.0 * 2) as f64)
            .min(remaining / per_iter.max(1.0))
            .max(1.0) as u64;
        let took = run_iters(w, batch)?;
        spent += took;
        iters += batch;
        last = (batch, took);
    }
    let ns_per_iter = last.1.as_nanos() as f64 / last.0 as f64;
    Ok(Warmed {
        first_run_ns: first.as_nanos() as u64,
        warmup_iters: iters,
        iters: calibrate(ns_per_iter, settings.min_sample_time),
    })
}

/// Appends `samples` timed samples of `iters` iterations to `out`, which
/// the caller sizes beforehand so that sampling itself allocates nothing.
pub fn sample(
    w: &mut dyn Workload,
    samples: u32,
    iters: u64,
    out: &mut Vec<Sample>,
) -> io::Result<()> {
    for _ in 0..samples {
        let took = run_iters(w, iters)?;
        out.push(Sample {
            iters,
            ns: took.as_nanos() as u64,
        });
    }
    Ok(())
}

/// This process's CPU time and context switches so far (getrusage).
pub fn cpu_usage() -> CpuUsage {
    // SAFETY: rusage is plain data, and getrusage fills it.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    cpu_from_rusage(&ru)
}

/// The CPU fields of a `rusage`.
pub fn cpu_from_rusage(ru: &libc::rusage) -> CpuUsage {
    let ns = |tv: libc::timeval| tv.tv_sec as u64 * 1_000_000_000 + tv.tv_usec as u64 * 1_000;
    CpuUsage {
        user_ns: ns(ru.ru_utime),
        system_ns: ns(ru.ru_stime),
        voluntary_switches: ru.ru_nvcsw as u64,
        involuntary_switches: ru.ru_nivcsw as u64,
    }
}

impl CpuUsage {
    /// The usage between `earlier` and `self`.
    pub fn since(&self, earlier: &CpuUsage) -> CpuUsage {
        CpuUsage {
            user_ns: self.user_ns.saturating_sub(earlier.user_ns),
            system_ns: self.system_ns.saturating_sub(earlier.system_ns),
            voluntary_switches: self
                .voluntary_switches
                .saturating_sub(earlier.voluntary_switches),
            involuntary_switches: self
                .involuntary_switches
                .saturating_sub(earlier.involuntary_switches),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calibration_makes_samples_last_the_minimum() {
        let min = Duration::from_millis(10);
        // A 20 ns operation runs half a million times per 10 ms sample,
        // so timer overhead is below 0.001% of the sample.
        assert_eq!(calibrate(20.0, min), 500_000);
        assert_eq!(calibrate(3.0e6, min), 4);
        assert_eq!(calibrate(80.0e6, min), 1);
        assert_eq!(calibrate(0.0, min), 10_000_000);
    }

    /// A workload whose runs only count themselves.
    struct Counter {
        runs: u64,
        resets: u64,
        reset: bool,
    }

    impl Workload for Counter {
        fn needs_reset(&self) -> bool {
            self.reset
        }
        fn reset(&mut self) {
            self.resets += 1;
        }
        fn run(&mut self) -> io::Result<()> {
            self.runs += 1;
            std::hint::black_box(self.runs);
            Ok(())
        }
        fn output_digest(&mut self) -> io::Result<u64> {
            Ok(self.runs)
        }
    }

    #[test]
    fn warm_up_runs_for_its_duration_then_samples_run_calibrated_batches() {
        let settings = MeasureSettings {
            warmup: Duration::from_millis(5),
            min_sample_time: Duration::from_millis(2),
            ..Default::default()
        };
        let mut w = Counter {
            runs: 0,
            resets: 0,
            reset: false,
        };
        let warmed = warm_up(&mut w, &settings).unwrap();
        assert_eq!(w.runs, warmed.warmup_iters);
        assert!(
            warmed.warmup_iters > 1000,
            "a trivial op warms up many times: {}",
            warmed.warmup_iters
        );
        let mut samples = Vec::new();
        sample(&mut w, 3, warmed.iters, &mut samples).unwrap();
        assert_eq!(samples.len(), 3);
        assert_eq!(w.runs, warmed.warmup_iters + 3 * warmed.iters);
        assert!(samples.iter().all(|s| s.iters == warmed.iters));
        assert_eq!(w.resets, 0);
    }

    #[test]
    fn reset_workloads_reset_before_every_iteration() {
        let mut w = Counter {
            runs: 0,
            resets: 0,
            reset: true,
        };
        run_iters(&mut w, 7).unwrap();
        assert_eq!((w.runs, w.resets), (7, 7));
    }
}
