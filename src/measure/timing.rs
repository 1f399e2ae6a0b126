//! Timing a workload: the first run, warm-up, calibration and samples.
//!
//! The first run is timed on its own (with the build, the time to first
//! use) and counts towards warm-up. Warm-up then runs batches that double
//! up to about [`BATCH`] (at the fastest rate any batch has shown) and
//! stay there until warm-up has lasted `warmup`.
//! Calibration takes the time per iteration of the fastest batch among
//! those long enough to dwarf timer overhead (at least [`LONG_BATCH`], or a
//! quarter of the longest batch when warm-up is shorter), and sizes one
//! sample to last [`MARGIN`] × `min_sample_time`.
//!
//! Not the last batch, as before: it is whatever remained of the warm-up,
//! can be a handful of iterations dominated by the ~25 ns of an `Instant`
//! pair, and put processes 4.5× apart with samples of 2 ms under a 10 ms
//! minimum (issue 8). The fastest, because timer overhead, a cold start
//! and preemption only ever make a batch slower, and a sample too long is
//! harmless where one too short is not; many short batches, because on a
//! shared CPU some 0.5 ms batch runs undisturbed where a 25 ms one never
//! does.
//!
//! Every sample's real length is checked: one that came in under
//! `min_sample_time` makes the following samples grow (recalibrated from
//! it), and each sample records the iterations it really ran.
//!
//! The process CPU clock is read around the same spans as the wall clock,
//! so CPU time, like wall time, leaves out a workload's untimed reset.
//! Workloads that need a reset are timed one iteration at a time.

use std::io;
use std::ops::AddAssign;
use std::time::{Duration, Instant};

use tuner_api::Workload;

use super::cpu;
use crate::config::MeasureSettings;
use crate::protocol::Sample;

/// The most iterations one sample may run, whatever calibration says.
const MAX_ITERS: u64 = 1 << 32;

/// Samples are sized to last this much longer than `min_sample_time`, so
/// the ordinary jitter of a few percent does not bring them under it.
const MARGIN: f64 = 1.1;

/// What a warm-up batch is sized to last once the time per iteration is
/// known.
const BATCH: Duration = Duration::from_micros(500);

/// Warm-up batches that lasted this long are long enough to calibrate
/// from: timer overhead is 0.003% of them.
const LONG_BATCH: Duration = Duration::from_micros(250);

/// With a warm-up too short for a [`LONG_BATCH`], batches that lasted
/// this share of the longest one.
const LONG_BATCH_SHARE: f64 = 0.25;

/// Wall and CPU time of timed spans.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Span {
    pub wall: Duration,
    /// CPU time of every thread of the process during the spans.
    pub cpu_ns: u64,
}

impl AddAssign for Span {
    fn add_assign(&mut self, other: Span) {
        self.wall += other.wall;
        self.cpu_ns += other.cpu_ns;
    }
}

/// Timings of one process before its samples.
pub(crate) struct Warmed {
    pub first_run_ns: u64,
    pub warmup_iters: u64,
    /// Iterations for the first timed sample.
    pub iters: u64,
}

/// Runs `f` between readings of the wall clock and the CPU clock.
#[inline]
fn timed(f: impl FnOnce() -> io::Result<()>) -> io::Result<Span> {
    let cpu = cpu::process_ns();
    let start = Instant::now();
    f()?;
    let wall = start.elapsed();
    let cpu_ns = cpu::process_ns().saturating_sub(cpu);
    Ok(Span { wall, cpu_ns })
}

/// Runs the workload `iters` times; returns the time spent in `run`
/// (each `reset` is outside the spans).
pub(crate) fn run_iters(w: &mut dyn Workload, iters: u64) -> io::Result<Span> {
    if w.needs_reset() {
        let mut total = Span::default();
        for _ in 0..iters {
            w.reset();
            total += timed(|| w.run())?;
        }
        Ok(total)
    } else {
        timed(|| {
            for _ in 0..iters {
                w.run()?;
            }
            Ok(())
        })
    }
}

/// Iterations so that one sample lasts at least `target`.
fn calibrate(ns_per_iter: f64, target: Duration) -> u64 {
    let wanted = target.as_nanos() as f64 / ns_per_iter.max(1.0);
    (wanted.ceil() as u64).clamp(1, MAX_ITERS)
}

/// What a sample is sized to last.
fn target(min_sample: Duration) -> Duration {
    min_sample.mul_f64(MARGIN)
}

/// One warm-up batch: `iters` iterations in `wall`.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Batch {
    iters: u64,
    wall: Duration,
}

impl Batch {
    fn ns_per_iter(&self) -> f64 {
        self.wall.as_nanos() as f64 / self.iters as f64
    }
}

/// The warm-up's batches: how many iterations the next one runs, and the
/// time per iteration they tell. Apart from the workload, so that the
/// plan can be checked against simulated clocks.
struct WarmUp {
    duration: Duration,
    spent: Duration,
    iters: u64,
    batches: Vec<Batch>,
}

impl WarmUp {
    /// A warm-up of `duration` whose first run (one iteration) took `first`.
    fn new(duration: Duration, first: Duration) -> WarmUp {
        WarmUp {
            duration,
            spent: first,
            iters: 1,
            batches: vec![Batch {
                iters: 1,
                wall: first,
            }],
        }
    }

    /// Iterations for the next batch, `None` once warm-up has lasted its
    /// duration: double the last batch up to about [`BATCH`] at the
    /// fastest rate seen in any batch, and stop near the end. Sized from
    /// every batch, not only long ones: each reading is an upper bound on
    /// the time per iteration, so a batch preempted early cannot shrink
    /// the later ones below [`LONG_BATCH`] for good.
    fn next(&self) -> Option<u64> {
        let remaining = self
            .duration
            .checked_sub(self.spent)
            .filter(|r| !r.is_zero())?;
        let ns_per_iter = self
            .batches
            .iter()
            .map(Batch::ns_per_iter)
            .min_by(f64::total_cmp)
            .unwrap_or(1.0)
            .max(1.0);
        let fits = |d: Duration| d.as_nanos() as f64 / ns_per_iter;
        let last = self.batches[self.batches.len() - 1].iters;
        Some(
            ((last * 2) as f64)
                .min(fits(BATCH).ceil())
                .min(fits(remaining))
                .max(1.0) as u64,
        )
    }

    fn record(&mut self, iters: u64, wall: Duration) {
        self.batches.push(Batch { iters, wall });
        self.spent += wall;
        self.iters += iters;
    }

    /// The time per iteration to calibrate from: the fastest of the
    /// batches that lasted at least [`LONG_BATCH`] (or [`LONG_BATCH_SHARE`]
    /// of the longest, if shorter).
    fn ns_per_iter(&self) -> f64 {
        let longest = self
            .batches
            .iter()
            .map(|b| b.wall)
            .max()
            .unwrap_or_default();
        let long_enough = LONG_BATCH.min(longest.mul_f64(LONG_BATCH_SHARE));
        self.batches
            .iter()
            .filter(|b| b.wall >= long_enough)
            .map(Batch::ns_per_iter)
            .min_by(f64::total_cmp)
            .unwrap_or(1.0)
    }
}

/// The first run, the warm-up and the calibration.
pub(crate) fn warm_up(w: &mut dyn Workload, settings: &MeasureSettings) -> io::Result<Warmed> {
    let first = run_iters(w, 1)?.wall;
    let mut plan = WarmUp::new(settings.warmup, first);
    while let Some(iters) = plan.next() {
        let wall = run_iters(w, iters)?.wall;
        plan.record(iters, wall);
    }
    Ok(Warmed {
        first_run_ns: first.as_nanos() as u64,
        warmup_iters: plan.iters,
        iters: calibrate(plan.ns_per_iter(), target(settings.min_sample_time)),
    })
}

/// Iterations for the sample after one of `iters` that took `took`: the
/// same, or more if it came in under `min_sample`.
fn next_iters(iters: u64, took: Duration, min_sample: Duration) -> u64 {
    if took >= min_sample {
        return iters;
    }
    let ns_per_iter = took.as_nanos() as f64 / iters as f64;
    iters.max(calibrate(ns_per_iter, target(min_sample)))
}

/// Appends `samples` timed samples to `out`, the first of `iters`
/// iterations, and returns their total wall and CPU time. The caller sizes
/// `out` beforehand so that sampling itself allocates nothing.
pub(crate) fn sample(
    w: &mut dyn Workload,
    samples: u32,
    iters: u64,
    min_sample: Duration,
    out: &mut Vec<Sample>,
) -> io::Result<Span> {
    let mut iters = iters;
    let mut total = Span::default();
    for _ in 0..samples {
        let took = run_iters(w, iters)?;
        out.push(Sample {
            iters,
            ns: took.wall.as_nanos() as u64,
        });
        total += took;
        iters = next_iters(iters, took.wall, min_sample);
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calibration_sizes_samples_for_the_target() {
        let min = Duration::from_millis(10);
        // A 20 ns operation runs half a million times per 10 ms sample,
        // so timer overhead is below 0.001% of the sample.
        assert_eq!(calibrate(20.0, min), 500_000);
        assert_eq!(calibrate(3.0e6, min), 4);
        assert_eq!(calibrate(80.0e6, min), 1);
        assert_eq!(calibrate(0.0, min), 10_000_000);
        assert_eq!(target(min), Duration::from_millis(11));
    }

    /// A warm-up plan holding `batches` as (iterations, nanoseconds).
    fn plan(batches: &[(u64, u64)]) -> WarmUp {
        let mut plan = WarmUp::new(Duration::from_secs(1), Duration::ZERO);
        plan.batches.clear();
        for &(iters, ns) in batches {
            plan.record(iters, Duration::from_nanos(ns));
        }
        plan
    }

    /// Warm-up of a 7 ns operation as issue 8 saw it: the first run and
    /// small batches carry ~25 ns of timer overhead each, and the last
    /// batch is the 3 iterations that remained of the warm-up.
    #[test]
    fn calibration_reads_the_long_batches_not_the_last_one() {
        let mut batches = vec![(1, 320), (2, 60), (4, 75)];
        let mut n = 8;
        while n <= 1 << 22 {
            // Every batch from 1 ms up was preempted for a while but one.
            let preempted = if n * 7 > 1_000_000 && n != 1 << 18 {
                2_000_000
            } else {
                0
            };
            batches.push((n, n * 7 + 25 + preempted));
            n *= 2;
        }
        batches.push((3, 45));
        let estimate = plan(&batches).ns_per_iter();
        assert!((estimate - 7.0).abs() < 0.01, "{estimate}");
        let (iters, ns) = batches[batches.len() - 1];
        let last = ns as f64 / iters as f64;
        assert!(last > 14.0, "the last batch alone would read {last} ns");
        // Short batches are not long enough, however fast they look.
        batches.push((100, 100));
        assert!((plan(&batches).ns_per_iter() - 7.0).abs() < 0.01);
    }

    #[test]
    fn a_short_warm_up_calibrates_from_its_longest_batches() {
        let p = plan(&[(1, 500), (2, 300), (4, 400), (8, 700)]);
        // 400 ns and 700 ns are both ≥ a quarter of the longest: 87.5 ns/iter.
        assert_eq!(p.ns_per_iter(), 87.5);
        assert_eq!(plan(&[(1, 80_000_000)]).ns_per_iter(), 80_000_000.0);
    }

    /// Runs a 50 ms warm-up on a simulated clock: `ns` per iteration plus
    /// 25 ns of timer overhead per batch, plus `preempted(batch index)`.
    fn simulate(ns: u64, preempted: impl Fn(usize) -> u64) -> WarmUp {
        let mut plan = WarmUp::new(Duration::from_millis(50), Duration::from_nanos(ns + 2_000));
        while let Some(iters) = plan.next() {
            let wall = iters * ns + 25 + preempted(plan.batches.len());
            plan.record(iters, Duration::from_nanos(wall));
        }
        plan
    }

    #[test]
    fn batches_double_to_half_a_millisecond_then_hold() {
        let plan = simulate(10, |_| 0);
        let sizes: Vec<u64> = plan.batches.iter().map(|b| b.iters).collect();
        assert_eq!(sizes[..5], [1, 2, 4, 8, 16]);
        // 10 ns per iteration: about 50,000 make 0.5 ms.
        let held = sizes[sizes.len() / 2];
        assert!((49_000..=50_001).contains(&held), "{sizes:?}");
        assert!(plan.spent >= Duration::from_millis(50));
        assert!(plan.spent < Duration::from_millis(51), "{:?}", plan.spent);
        assert!((plan.ns_per_iter() - 10.0).abs() < 0.01);
    }

    /// A 10 ms preemption of a 57 µs batch made that batch the longest:
    /// sized from it alone, the next batches were 2 µs long and never long
    /// enough to calibrate from (seen on a loaded machine: one process's
    /// samples 100× shorter than its neighbours').
    #[test]
    fn a_preempted_early_batch_does_not_stick() {
        let plan = simulate(14, |batch| if batch == 12 { 10_000_000 } else { 0 });
        assert!(
            (plan.ns_per_iter() - 14.0).abs() < 0.1,
            "{}",
            plan.ns_per_iter()
        );
        // Every other batch preempted for 2 ms: the undisturbed ones tell.
        let plan = simulate(14, |batch| if batch % 2 == 0 { 2_000_000 } else { 0 });
        assert!(
            (plan.ns_per_iter() - 14.0).abs() < 0.1,
            "{}",
            plan.ns_per_iter()
        );
    }

    #[test]
    fn operations_slower_than_a_batch_run_one_at_a_time() {
        let plan = simulate(3_000_000, |_| 0);
        assert!(plan.batches.iter().all(|b| b.iters == 1));
        assert_eq!(plan.ns_per_iter(), 3_000_025.0);
    }

    #[test]
    fn a_short_sample_makes_the_next_ones_grow() {
        let min = Duration::from_millis(10);
        // Long enough: unchanged.
        assert_eq!(next_iters(1000, Duration::from_millis(10), min), 1000);
        assert_eq!(next_iters(1000, Duration::from_millis(30), min), 1000);
        // 5 ms for 1000: 5 µs each, so 11 ms needs 2200.
        assert_eq!(next_iters(1000, Duration::from_millis(5), min), 2200);
        // Just short: grows by the margin.
        assert_eq!(next_iters(1000, Duration::from_micros(9_999), min), 1101);
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
    fn warm_up_runs_for_its_duration_then_samples_record_their_iterations() {
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
        let total = sample(
            &mut w,
            3,
            warmed.iters,
            settings.min_sample_time,
            &mut samples,
        )
        .unwrap();
        assert_eq!(samples.len(), 3);
        assert_eq!(samples[0].iters, warmed.iters);
        let sampled: u64 = samples.iter().map(|s| s.iters).sum();
        assert_eq!(w.runs, warmed.warmup_iters + sampled);
        let ns: u64 = samples.iter().map(|s| s.ns).sum();
        assert_eq!(total.wall.as_nanos() as u64, ns);
        assert!(total.cpu_ns > 0);
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
