//! A tuner harness holding probe workloads of known cost, for the
//! measurement tests (`tests/measure.rs`): built with `tuner::main!` as a
//! user's harness is, so `measure_probe worker` is a real worker.
//!
//! - `touch`: holds `mib` MiB, every page written at build.
//! - `reset-heavy`: a reset that burns `reset_us` of CPU, a run `run_us`.
//! - `selfcheck` (tuner's own): `spin` is a chain of `steps` operations.
//! - `threads`: `sequential` burns `work_us` twice on one thread,
//!   `parallel` burns them in the two halves of a `rayon::join`.
//!
//! Costs are burnt against the thread's CPU clock, so a run's CPU time is
//! known whatever else the machine is doing.

use std::io;

use tuner::{Bench, Catalog, Workload};

tuner::main!(Catalog::new()
    .bench(touch())
    .bench(reset_heavy())
    .bench(tuner_experiments::selfcheck::bench())
    .bench(threads()));

/// The most any probe parameter may be.
const MAX: u64 = 1 << 30;

/// Burns at least `us` microseconds of this thread's CPU time.
fn burn(us: u64) {
    let start = thread_cpu_ns();
    let mut x = 1u64;
    while thread_cpu_ns() - start < us * 1000 {
        x = std::hint::black_box(x.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    }
}

fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes the timespec it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// `touch`: holds `mib` MiB.
fn touch() -> Bench {
    let mut bench = Bench::new("touch").about("a measurement probe");
    let mib = bench.param_in("mib", 1usize, 0..=MAX as usize, "MiB to hold");
    bench
        .variant_workload("probe", move |p, _| Held {
            // vec! of a non-zero byte writes every page.
            held: vec![1u8; p.get(mib) << 20],
            sum: 0,
        })
        .help("the probe")
}

struct Held {
    held: Vec<u8>,
    sum: u64,
}

impl Workload for Held {
    fn run(&mut self) -> io::Result<()> {
        // Read one byte per page: cheap, and keeps the block alive.
        self.sum = self.held.iter().step_by(4096).map(|&b| u64::from(b)).sum();
        Ok(())
    }
    fn output_digest(&mut self) -> io::Result<u64> {
        Ok(self.sum)
    }
}

/// `reset-heavy`: a costly untimed reset before each short timed run.
fn reset_heavy() -> Bench {
    let mut bench = Bench::new("reset-heavy").about("a measurement probe");
    let reset_us = bench.param_in(
        "reset_us",
        1000u64,
        0..=MAX,
        "CPU burnt by each untimed reset",
    );
    let run_us = bench.param_in("run_us", 100u64, 0..=MAX, "CPU burnt by each timed run");
    bench
        .variant_workload("probe", move |p, _| Burner {
            reset_us: p.get(reset_us),
            run_us: p.get(run_us),
        })
        .help("the probe")
}

struct Burner {
    reset_us: u64,
    run_us: u64,
}

impl Workload for Burner {
    fn needs_reset(&self) -> bool {
        true
    }
    fn reset(&mut self) {
        burn(self.reset_us);
    }
    fn run(&mut self) -> io::Result<()> {
        burn(self.run_us);
        Ok(())
    }
    fn output_digest(&mut self) -> io::Result<u64> {
        Ok(0)
    }
}

/// `threads`: the same work on one thread or split over two.
fn threads() -> Bench {
    let mut bench = Bench::new("threads")
        .about("a measurement probe")
        .uses_threads();
    let work_us = bench.param_in("work_us", 500u64, 0..=MAX, "CPU burnt by each half");
    let halves = move |how: &'static str| {
        move |p: &tuner::Params, _: &tuner::Context| Halves {
            how,
            work_us: p.get(work_us),
        }
    };
    bench
        .variant_workload("sequential", halves("sequential"))
        .help("both halves on the calling thread")
        .variant_workload("parallel", halves("parallel"))
        .help("the halves in a rayon::join")
        .variant_workload("spawned", halves("spawned"))
        .help("the halves on two std::threads spawned and joined per run")
}

struct Halves {
    how: &'static str,
    work_us: u64,
}

impl Workload for Halves {
    fn run(&mut self) -> io::Result<()> {
        let half = || burn(self.work_us);
        match self.how {
            "parallel" => {
                rayon::join(half, half);
            }
            "spawned" => std::thread::scope(|s| {
                s.spawn(half);
                s.spawn(half);
            }),
            _ => {
                half();
                half();
            }
        }
        Ok(())
    }
    fn output_digest(&mut self) -> io::Result<u64> {
        Ok(0)
    }
}
