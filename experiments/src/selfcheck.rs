//! Self-checks of the instrument, not lessons: a busy loop of known length
//! to check timing, and workloads that fail on purpose (panic, abort, hang)
//! to check that a failing point is recorded while the matrix goes on.

use std::hash::Hasher;
use std::io;

use tuner_api::{Bench, Context, Digest, Expect, Lesson, Params, Workload};

/// The `selfcheck` experiment: each variant is a [`Spin`], which counts its
/// runs (to fail on the asked one) and chains its value across them.
pub fn bench() -> Bench {
    let mut bench = Bench::new("selfcheck")
        .about("checks of the instrument itself: a spin loop of known length, and points that panic, abort or hang")
        // Not the workshop's: the instrument's own claim that time per
        // operation follows the work done, checked where one step is a few
        // nanoseconds.
        .lesson(Lesson::new(
            "(instrument) a spin loop twice as long takes measurably longer per operation",
            &[("variant", "spin"), ("steps", "20")],
            &[("steps", "40")],
            Expect::Slower,
        ));
    let steps = bench.param_in("steps", 20u64, 1..=1 << 40, "operations in the spin loop");
    let fail_at = bench.param_in(
        "fail_at",
        1u64,
        1..=i64::MAX as u64,
        "the run on which a failing variant fails (1 = the first)",
    );
    let spin = move |fault| {
        move |p: &Params, _: &Context| Spin {
            steps: p.get(steps),
            fail_at: p.get(fail_at),
            fault,
            runs: 0,
            value: 0,
        }
    };
    bench
        .variant_workload("spin", spin(None))
        .help("a dependent chain of `steps` integer operations")
        .variant_workload("panic", spin(Some(Fault::Panic)))
        .help("panics on run number `fail_at`")
        .variant_workload("abort", spin(Some(Fault::Abort)))
        .help("aborts the process on run number `fail_at`")
        .variant_workload("hang", spin(Some(Fault::Hang)))
        .help("sleeps forever from run number `fail_at` (for the timeout)")
}

#[derive(Clone, Copy)]
enum Fault {
    Panic,
    Abort,
    Hang,
}

struct Spin {
    steps: u64,
    fail_at: u64,
    fault: Option<Fault>,
    runs: u64,
    value: u64,
}

impl Workload for Spin {
    fn run(&mut self) -> io::Result<()> {
        self.runs += 1;
        if self.runs >= self.fail_at {
            match self.fault {
                Some(Fault::Panic) => panic!("selfcheck panics on run {} as asked", self.runs),
                Some(Fault::Abort) => std::process::abort(),
                Some(Fault::Hang) => loop {
                    std::thread::sleep(std::time::Duration::from_secs(3600));
                },
                None => {}
            }
        }
        // A dependent chain the optimiser cannot shorten: each step needs the
        // last, and xor-shift-multiply (not affine) cannot be folded across
        // unrolled steps. About 5 cycles a step.
        let mut x = std::hint::black_box(self.value) | 1;
        for _ in 0..std::hint::black_box(self.steps) {
            x = (x ^ (x >> 29)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        }
        self.value = x;
        Ok(())
    }

    fn output_digest(&mut self) -> io::Result<u64> {
        let mut d = Digest::default();
        d.write_u64(self.steps);
        Ok(d.finish())
    }
}

#[cfg(test)]
mod tests {
    use crate::testing;
    use tuner_api::ParamValue;

    #[test]
    fn spin_runs_and_panic_fails_on_the_asked_run() {
        let dir = std::env::temp_dir();
        let ctx = testing::context(1, tuner_api::Buffering::Unbuffered, &dir);
        let selfcheck = testing::experiment("selfcheck");
        let params = testing::params(selfcheck, &[("fail_at", ParamValue::Int(3))]);
        let mut spin = selfcheck.build("spin", &params, &ctx).unwrap();
        for _ in 0..5 {
            spin.run().unwrap();
        }
        let mut p = selfcheck.build("panic", &params, &ctx).unwrap();
        p.run().unwrap();
        p.run().unwrap();
        let third = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| p.run()));
        assert!(third.is_err());
    }

    #[test]
    fn every_variant_agrees_before_its_failing_run() {
        let selfcheck = testing::experiment("selfcheck");
        let params = |steps, fail_at| {
            testing::params(
                selfcheck,
                &[
                    ("steps", ParamValue::Int(steps)),
                    ("fail_at", ParamValue::Int(fail_at)),
                ],
            )
        };
        // One run each, failing from the second: abort and hang never act.
        let digest = testing::common_digest(selfcheck, &params(30, 2));
        assert_ne!(digest, testing::common_digest(selfcheck, &params(31, 2)));
    }
}
