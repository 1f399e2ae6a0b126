//! Self-checks of the instrument, not lessons: a busy loop of known length
//! to check timing, and workloads that fail on purpose (panic, abort, hang)
//! to check that a failing point is recorded while the matrix goes on.

use std::hash::Hasher;
use std::io;

use tuner_api::{
    Context, Digest, Expect, Experiment, Info, Knobs, Lesson, ParamKind, ParamSpec, ParamValue,
    Params, Variant, Workload,
};

pub struct SelfCheck;

const VARIANTS: &[Variant] = &[
    Variant {
        name: "spin",
        help: "a dependent chain of `steps` integer operations",
    },
    Variant {
        name: "panic",
        help: "panics on run number `fail_at`",
    },
    Variant {
        name: "abort",
        help: "aborts the process on run number `fail_at`",
    },
    Variant {
        name: "hang",
        help: "sleeps forever from run number `fail_at` (for the timeout)",
    },
];

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "steps",
        kind: ParamKind::Int {
            min: 1,
            max: 1 << 40,
        },
        default: ParamValue::Int(20),
        help: "operations in the spin loop",
    },
    ParamSpec {
        name: "fail_at",
        kind: ParamKind::Int {
            min: 1,
            max: i64::MAX,
        },
        default: ParamValue::Int(1),
        help: "the run on which a failing variant fails (1 = the first)",
    },
];

/// Not the workshop's: the instrument's own claim that time per operation
/// follows the work done, checked where one step is a few nanoseconds.
const LESSONS: &[Lesson] = &[Lesson {
    claim: "(instrument) a spin loop twice as long takes measurably longer per operation",
    base: &[("variant", "spin"), ("steps", "20")],
    head: &[("steps", "40")],
    expect: Expect::Slower,
    rust_note: None,
}];

const INFO: Info = Info {
    name: "selfcheck",
    description: "checks of the instrument itself: a spin loop of known length, and points that panic, abort or hang",
    variants: VARIANTS,
    params: PARAMS,
    knobs: Knobs::NONE,
    notes: "",
    lessons: LESSONS,
};

impl Experiment for SelfCheck {
    fn info(&self) -> &'static Info {
        &INFO
    }
    fn build(
        &self,
        variant: &str,
        params: &Params,
        _ctx: &Context,
    ) -> Result<Box<dyn Workload>, String> {
        let fault = match variant {
            "spin" => None,
            "panic" => Some(Fault::Panic),
            "abort" => Some(Fault::Abort),
            "hang" => Some(Fault::Hang),
            other => return Err(format!("unknown variant `{other}`")),
        };
        Ok(Box::new(Spin {
            steps: params.int("steps") as u64,
            fail_at: params.int("fail_at") as u64,
            fault,
            runs: 0,
            value: 0,
        }))
    }
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
    use super::*;
    use crate::testing;

    #[test]
    fn spin_runs_and_panic_fails_on_the_asked_run() {
        let dir = std::env::temp_dir();
        let ctx = testing::context(1, tuner_api::Buffering::Unbuffered, &dir);
        let params = testing::params(&SelfCheck, &[("fail_at", ParamValue::Int(3))]);
        let mut spin = SelfCheck.build("spin", &params, &ctx).unwrap();
        for _ in 0..5 {
            spin.run().unwrap();
        }
        let mut p = SelfCheck.build("panic", &params, &ctx).unwrap();
        p.run().unwrap();
        p.run().unwrap();
        let third = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| p.run()));
        assert!(third.is_err());
    }
}
