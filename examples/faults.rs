//! A tuner harness whose one experiment fails on purpose, in every way a
//! workload can: the fault matrix of `tests/faults.rs` runs it to check
//! that each failure is recorded with its kind and reason while the rest
//! of the matrix completes, and that nothing is left running or on disk.
//!
//! Built like a user's harness, with `tuner::main!`:
//!
//!     cargo run --example faults -- run my-faults.toml
//!
//! Beside it, `broken`, whose default matrix fails the smoke test a bench
//! target runs under `cargo test --benches` (`faults broken`, no command):
//! one variant panics, one computes something else.

use std::io::{self, Write};

use tuner::{
    Bench, Catalog, Context, Experiment, Info, ParamKind, ParamSpec, ParamValue, Params, Variant,
    Workload,
};

tuner::main!(Catalog::new().with(&Faults).bench(broken()));

/// Variants that fail quickly, as a smoke test must notice: one panics,
/// one sums one number fewer than the others.
fn broken() -> Bench {
    let mut bench =
        Bench::new("broken").about("a default matrix that fails: a panic and outputs that differ");
    let n = bench.param_in("n", 10u64, 1..=1000, "the numbers summed");
    bench
        .variant("right", move |p, _| {
            let n = p.get(n);
            move || (1..=n).sum::<u64>()
        })
        .variant("off_by_one", move |p, _| {
            let n = p.get(n);
            move || (1..n).sum::<u64>()
        })
        .variant("panics", |_, _| || -> u64 { panic!("broken on purpose") })
}

struct Faults;

const VARIANTS: &[Variant] = &[
    Variant::new(
        "healthy",
        "a short spin loop: the run that must still succeed",
    ),
    Variant::new("panic", "panics"),
    Variant::new("abort", "aborts the process (SIGABRT)"),
    Variant::new("segfault", "writes to a page it may not touch (SIGSEGV)"),
    Variant::new(
        "sleep",
        "sleeps forever (for the timeout, or to be killed with the runner)",
    ),
    Variant::new(
        "hang",
        "starts a `sleep` child, then sleeps forever: the timeout must take both",
    ),
    Variant::new(
        "oom",
        "allocates until an allocation fails (needs [measure] memory_limit)",
    ),
    Variant::new(
        "flood-stdout",
        "writes `mib` MiB on stdout, the protocol channel, then goes on",
    ),
    Variant::new("flood-stderr", "writes `mib` MiB on stderr, then panics"),
    Variant::new(
        "scratch",
        "writes a `mib` MiB file in its scratch folder, then sleeps forever",
    ),
    Variant::new(
        "garbage",
        "prints garbage on stdout and exits 0 before any result",
    ),
    Variant::new("old-protocol", "prints a result of protocol 1 and exits 0"),
];

const PARAMS: &[ParamSpec] = &[ParamSpec::new(
    "mib",
    ParamKind::Int {
        min: 1,
        max: 1 << 20,
    },
    ParamValue::Int(64),
    "MiB written by the flood and scratch faults",
)];

/// A hand-written [`Experiment`] (a `Bench` would do as well): the
/// definition is plain `const` data, the parameters are read by name.
const INFO: Info = Info::new(
    "faults",
    "workloads that fail on purpose: panic, abort, segfault, hang, out of memory, floods, a huge scratch file, garbage output",
    VARIANTS,
    PARAMS,
);

impl Experiment for Faults {
    fn info(&self) -> &'static Info {
        &INFO
    }

    fn build(
        &self,
        variant: &str,
        params: &Params,
        ctx: &Context,
    ) -> Result<Box<dyn Workload>, String> {
        if !VARIANTS.iter().any(|v| v.name == variant) {
            return Err(format!("unknown variant `{variant}`"));
        }
        Ok(Box::new(Fault {
            variant: variant.to_string(),
            bytes: params.usize("mib") << 20,
            scratch: ctx.scratch_dir.clone(),
            value: 1,
        }))
    }
}

struct Fault {
    variant: String,
    bytes: usize,
    scratch: std::path::PathBuf,
    value: u64,
}

impl Workload for Fault {
    fn run(&mut self) -> io::Result<()> {
        match self.variant.as_str() {
            "healthy" => {}
            "panic" => panic!("fault: panic as asked"),
            "abort" => std::process::abort(),
            "segfault" => segfault(),
            "sleep" => sleep_forever(),
            "hang" => {
                std::process::Command::new("sleep").arg("3600").spawn()?;
                sleep_forever()
            }
            "oom" => allocate_until_it_fails()?,
            "flood-stdout" => {
                flood(&mut io::stdout().lock(), self.bytes)?;
                // Only once: the worker goes on to print its result.
                self.variant = "healthy".into();
            }
            "flood-stderr" => {
                flood(&mut io::stderr().lock(), self.bytes)?;
                panic!("fault: flood then panic");
            }
            "scratch" => {
                let mut file = std::fs::File::create(self.scratch.join("huge.bin"))?;
                flood(&mut file, self.bytes)?;
                file.sync_all()?;
                sleep_forever()
            }
            "garbage" => {
                println!("this is not json");
                std::process::exit(0)
            }
            "old-protocol" => {
                println!("{{\"protocol\": 1, \"samples\": []}}");
                std::process::exit(0)
            }
            other => unreachable!("variant {other} was checked at build"),
        }
        for _ in 0..1000 {
            self.value = std::hint::black_box(self.value.wrapping_mul(6364136223846793005) ^ 1);
        }
        Ok(())
    }

    fn output_digest(&mut self) -> io::Result<u64> {
        Ok(0)
    }
}

fn sleep_forever() -> ! {
    loop {
        std::thread::sleep(std::time::Duration::from_secs(3600));
    }
}

/// A real memory fault: a write to a page mapped without any access.
fn segfault() {
    // SAFETY: maps one fresh page; the write below faults by design, and
    // the pointer is valid as far as the compiler is concerned.
    unsafe {
        let page = libc::mmap(
            std::ptr::null_mut(),
            4096,
            libc::PROT_NONE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        assert_ne!(page, libc::MAP_FAILED);
        std::ptr::write_volatile(page.cast::<u8>(), 1);
    }
}

/// Keeps allocating 64 MiB blocks until one fails (Rust then reports
/// "memory allocation of N bytes failed" and aborts). Only under an
/// address-space limit: without one it would take the whole machine.
fn allocate_until_it_fails() -> io::Result<()> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: fills in a plain struct.
    unsafe { libc::getrlimit(libc::RLIMIT_AS, &mut limit) };
    if limit.rlim_cur == libc::RLIM_INFINITY {
        return Err(io::Error::other(
            "the oom fault needs [measure] memory_limit",
        ));
    }
    let mut kept: Vec<Vec<u8>> = Vec::new();
    loop {
        let mut block = Vec::<u8>::with_capacity(64 << 20);
        // Touch one byte per page of the first MiB, so it is really used.
        block.resize(1 << 20, 1);
        kept.push(std::hint::black_box(block));
    }
}

/// Writes `bytes` of 1 KiB lines to `w`, 64 lines a write.
fn flood(w: &mut impl Write, bytes: usize) -> io::Result<()> {
    let mut block = Vec::with_capacity(64 << 10);
    while block.len() < 64 << 10 {
        block.extend_from_slice(&[b'x'; 1023]);
        block.push(b'\n');
    }
    for _ in 0..bytes.div_ceil(block.len()) {
        w.write_all(&block)?;
    }
    w.flush()
}
