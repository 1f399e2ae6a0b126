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

use tuner::{
    Catalog, Context, Experiment, Info, Knobs, ParamKind, ParamSpec, ParamValue, Params, Variant,
    Workload,
};

tuner::main!(Catalog::new()
    .with(&Touch)
    .with(&ResetHeavy)
    .with(&tuner_experiments::selfcheck::SelfCheck)
    .with(&Threads));

const ONLY: &[Variant] = &[Variant {
    name: "probe",
    help: "the probe",
}];

const fn int(name: &'static str, default: i64, help: &'static str) -> ParamSpec {
    ParamSpec {
        name,
        kind: ParamKind::Int {
            min: 0,
            max: 1 << 30,
        },
        default: ParamValue::Int(default),
        help,
    }
}

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

const fn info(
    name: &'static str,
    variants: &'static [Variant],
    params: &'static [ParamSpec],
    knobs: Knobs,
) -> Info {
    Info {
        name,
        description: "a measurement probe",
        variants,
        params,
        knobs,
        notes: "",
        lessons: &[],
    }
}

struct Touch;

const TOUCH_PARAMS: &[ParamSpec] = &[int("mib", 1, "MiB to hold")];

impl Experiment for Touch {
    fn info(&self) -> &'static Info {
        const INFO: Info = info("touch", ONLY, TOUCH_PARAMS, Knobs::NONE);
        &INFO
    }
    fn build(&self, _: &str, params: &Params, _: &Context) -> Result<Box<dyn Workload>, String> {
        // vec! of a non-zero byte writes every page.
        let held = vec![1u8; params.usize("mib") << 20];
        Ok(Box::new(Held { held, sum: 0 }))
    }
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

struct ResetHeavy;

const RESET_PARAMS: &[ParamSpec] = &[
    int("reset_us", 1000, "CPU burnt by each untimed reset"),
    int("run_us", 100, "CPU burnt by each timed run"),
];

impl Experiment for ResetHeavy {
    fn info(&self) -> &'static Info {
        const INFO: Info = info("reset-heavy", ONLY, RESET_PARAMS, Knobs::NONE);
        &INFO
    }
    fn build(&self, _: &str, params: &Params, _: &Context) -> Result<Box<dyn Workload>, String> {
        Ok(Box::new(Burner {
            reset_us: params.int("reset_us") as u64,
            run_us: params.int("run_us") as u64,
        }))
    }
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

struct Threads;

const THREAD_PARAMS: &[ParamSpec] = &[int("work_us", 500, "CPU burnt by each half")];

const THREAD_VARIANTS: &[Variant] = &[
    Variant {
        name: "sequential",
        help: "both halves on the calling thread",
    },
    Variant {
        name: "parallel",
        help: "the halves in a rayon::join",
    },
    Variant {
        name: "spawned",
        help: "the halves on two std::threads spawned and joined per run",
    },
];

impl Experiment for Threads {
    fn info(&self) -> &'static Info {
        const INFO: Info = info(
            "threads",
            THREAD_VARIANTS,
            THREAD_PARAMS,
            Knobs {
                threads: true,
                tokio: false,
                buffering: false,
            },
        );
        &INFO
    }
    fn build(
        &self,
        variant: &str,
        params: &Params,
        _: &Context,
    ) -> Result<Box<dyn Workload>, String> {
        Ok(Box::new(Halves {
            how: variant.to_string(),
            work_us: params.int("work_us") as u64,
        }))
    }
}

struct Halves {
    how: String,
    work_us: u64,
}

impl Workload for Halves {
    fn run(&mut self) -> io::Result<()> {
        let half = || burn(self.work_us);
        match self.how.as_str() {
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
