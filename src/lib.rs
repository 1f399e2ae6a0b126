//! tuner: runs runtime-tuning experiments from TOML configs.
//!
//! # Tune your own code
//!
//! As a library, tuner turns a crate's own workloads into a tuner binary:
//! write them against the workload interface re-exported here (from
//! `tuner-api`), put them in a [`Catalog`] and hand it to [`main!`]. That
//! binary then runs, lists, reports, compares and exports exactly as tuner
//! does, and re-executes itself as the worker, so the allocator switch and
//! its exact counts, the thread pool, the buffering sink, process isolation
//! and the profiling passes all apply to the crate's code.
//!
//! ```toml
//! # Cargo.toml
//! [dev-dependencies]
//! tuner = { git = "…" }        # or { path = "…" }
//!
//! [[bench]]
//! name = "tune"
//! harness = false
//! ```
//!
//! `benches/tune.rs` defines the workloads ([`Bench`]): each parameter is
//! declared once and read through its typed handle ([`Param`]), and each
//! variant's set-up closure returns the timed operation:
//!
//! ```no_run
//! use tuner::{Bench, Catalog};
//!
//! fn join() -> Bench {
//!     let mut bench = Bench::new("join").about("join words into one string");
//!     let words = bench.param_in("words", 1_000usize, 1..=1_000_000, "words to join");
//!     bench
//!         .variant("push_str", move |p, _ctx| {
//!             let words = p.get(words); // a usize, read once per process
//!             move || {
//!                 let mut s = String::new();
//!                 (0..words).for_each(|_| s.push_str("word "));
//!                 s
//!             }
//!         })
//!         .variant("repeat", move |p, _ctx| {
//!             let words = p.get(words);
//!             move || "word ".repeat(words)
//!         })
//! }
//!
//! tuner::main!(Catalog::new().bench(join()));
//! ```
//!
//! A misspelt parameter or a value read as the wrong type does not
//! compile; a default outside its range or a name used twice stops the
//! harness when it starts, naming the bench and the parameter.
//!
//! `cargo bench` then runs every experiment's default matrix (what a
//! config naming only `workload = "join"` gives) through tuner's runner in
//! a temporary folder and prints a table: time per operation with its
//! interval, the change against the first point and its verdict. `cargo
//! test --benches` runs every point once, one process each, and fails if a
//! variant panics or the variants' outputs differ. A config names the
//! workload as it would a catalog entry (`workload = "join"`, `[params]
//! words = [100, 10_000]`, the `[matrix]` knobs), and `cargo bench --bench
//! tune -- run configs/join.toml` runs it (`-- list`, `-- report …`, `--
//! compare …` work the same). Workloads with state to restore between runs
//! implement [`Workload`] and join through [`Bench::variant_workload`], or
//! implement [`Experiment`] whole. A workload is an ordinary value, so its
//! own tests can build and run it:
//!
//! ```
//! use tuner::{Bench, Buffering, Context, ParamValue};
//!
//! let mut bench = Bench::new("join");
//! let words = bench.param_in("words", 3usize, 1..=100, "words to join");
//! let join = bench
//!     .variant("repeat", move |p, _ctx| {
//!         let words = p.get(words);
//!         move || "word ".repeat(words)
//!     })
//!     .leak();
//! let mut params = join.default_params();
//! assert_eq!(params.0["words"], ParamValue::Int(3));
//! params.0.insert("words".into(), ParamValue::Int(2));
//! let ctx = Context::new(1, Buffering::Unbuffered, std::env::temp_dir());
//! let mut workload = join.build("repeat", &params, &ctx).unwrap();
//! workload.run().unwrap();
//! // The digest every variant must agree on: a hash of what the run returned.
//! let mut expected = tuner::Digest::default();
//! std::hash::Hash::hash("word word ", &mut expected);
//! assert_eq!(workload.output_digest().unwrap(), std::hash::Hasher::finish(&expected));
//! ```
//!
//! `examples/logagg` in tuner's repository is a whole crate built this way.
//!
//! # Inside
//!
//! Everything else is the instrument's own (`pub(crate)`): the layers,
//! from the TOML config to the report, are laid out in `ARCHITECTURE.md`.

// `pub` only where the interface (or `__private`) reaches; `pub(crate)`
// elsewhere, so the compiler tells what is dead.
#![cfg_attr(not(tuner_sealed), warn(unreachable_pub))]

pub use tuner_api::*;

pub(crate) mod ab;
pub(crate) mod alloc;
pub(crate) mod analysis;
pub(crate) mod catalog;
pub(crate) mod cli;
pub(crate) mod commands;
pub(crate) mod compare;
pub(crate) mod config;
pub(crate) mod console;
pub(crate) mod elf;
pub(crate) mod environment;
pub(crate) mod estimate;
pub(crate) mod exit;
pub(crate) mod export;
// Test fixtures load tuner's catalog, so a harness built without it
// (`default-features = false`) leaves them out.
#[cfg(any(test, feature = "catalog"))]
#[cfg_attr(not(test), allow(dead_code))] // outside tests only `results_with` is used
pub(crate) mod fixtures;
pub(crate) mod fsio;
pub(crate) mod harness;
pub(crate) mod history;
pub(crate) mod knob;
pub(crate) mod machine;
pub(crate) mod matrix;
pub(crate) mod measure;
pub(crate) mod profile;
pub(crate) mod protocol;
pub(crate) mod report;
pub(crate) mod results;
pub(crate) mod runner;
pub(crate) mod shards;
pub(crate) mod stats;
mod sys;
pub(crate) mod table;
pub(crate) mod units;
pub(crate) mod worker;

/// Not an interface: what [`main!`] expands to, and the internals that
/// tuner's own integration tests, fuzz targets and test harnesses reach.
/// Anything here may change in any release.
#[doc(hidden)]
pub mod __private {
    pub use crate::alloc::Switchable;
    pub use crate::{binary_main, harness_main};

    // What tuner's own integration tests, fuzz targets and test harnesses
    // reach. `--cfg tuner_sealed` leaves it out, so the compiler sees every
    // item nothing but a test uses (`.ci/run` checks the crate that way).
    #[cfg(not(tuner_sealed))]
    pub use self::internals::*;

    #[cfg(not(tuner_sealed))]
    mod internals {
        pub mod alloc {
            pub use crate::alloc::ENV_VAR;
        }
        pub mod analysis {
            pub use crate::analysis::{lesson_pairs, Analysis, ProcessMetrics};
        }
        pub mod catalog {
            pub use crate::catalog::dry_run;
        }
        pub mod compare {
            pub use crate::compare::{compare_runs, markdown};
        }
        pub mod config {
            pub use crate::config::{parse, LessonInfo, MeasureSettings};
        }
        pub mod elf {
            pub use crate::elf::{inspect, ProgramKind};
        }
        pub mod estimate {
            pub use crate::estimate::{Estimate, Planning};
        }
        pub mod export {
            pub use crate::export::{export, ExportFormat};
        }
        #[cfg(feature = "catalog")]
        pub mod fixtures {
            pub use crate::fixtures::results_with;
        }
        pub mod matrix {
            pub use crate::matrix::{expand, schedule, Point};
        }
        pub mod protocol {
            pub use crate::protocol::{RunOutput, Sample, PROTOCOL_VERSION};
        }
        pub mod report {
            pub use crate::report::{render, write};
            pub mod html {
                pub use crate::report::html::CSP;
            }
        }
        pub mod results {
            pub use crate::results::{Form, Outcome, Results, RunRecord};
        }
        pub mod stats {
            pub use crate::stats::CompareSettings;
        }
    }
}

/// Makes this binary a tuner over a [`Catalog`]: installs tuner's
/// switchable, counting global allocator and defines `main`, which parses
/// the command line (`run`, `list`, `report`, `compare`, `export` and the
/// hidden `worker` the runner re-executes this binary as).
///
/// Call it once, at the top level of a binary or of a `harness = false`
/// bench target; the crate must not declare a `#[global_allocator]` of its
/// own. The catalog expression is evaluated when the program starts.
///
/// See the crate documentation for a whole harness.
#[macro_export]
macro_rules! main {
    ($catalog:expr) => {
        #[global_allocator]
        static TUNER_GLOBAL_ALLOCATOR: $crate::__private::Switchable =
            $crate::__private::Switchable;

        fn main() -> ::std::process::ExitCode {
            $crate::__private::harness_main(&$catalog)
        }
    };
}

/// What [`main!`] runs: checks the catalog, then either hands a tuner
/// command (`run`, `list`, the `worker` the runner starts …) to the
/// command line, dropping the `--bench` flag `cargo bench` appends, or,
/// without one, does what `cargo bench` (`--bench` alone: each
/// experiment's default matrix and a table) or `cargo test --benches` (no
/// argument: each point once, as a test) expects of a bench target.
#[doc(hidden)]
pub fn harness_main(catalog: &Catalog) -> std::process::ExitCode {
    if let Some(mistake) = catalog_mistake(catalog) {
        eprintln!("error: {mistake}");
        return std::process::ExitCode::from(2);
    }
    match harness::invocation(std::env::args_os()) {
        harness::Invocation::Command(args) => cli::main_from(catalog, args),
        harness::Invocation::Default { mode, filters } => {
            match harness::run(catalog, mode, &filters) {
                Ok(()) => std::process::ExitCode::SUCCESS,
                Err(failure) => {
                    failure.report();
                    std::process::ExitCode::from(failure.code())
                }
            }
        }
    }
}

/// What the `tuner` binary runs: its command line as given (without a
/// command, clap's usage error), over its catalog.
#[doc(hidden)]
pub fn binary_main(catalog: &Catalog) -> std::process::ExitCode {
    if let Some(mistake) = catalog_mistake(catalog) {
        eprintln!("error: {mistake}");
        return std::process::ExitCode::from(2);
    }
    cli::main_from(catalog, std::env::args_os())
}

/// What makes `catalog` unusable: a name two experiments share, which a
/// config could not tell apart.
fn catalog_mistake(catalog: &Catalog) -> Option<String> {
    let name = catalog.duplicate()?;
    Some(format!(
        "two experiments in this binary's catalog are called `{name}`"
    ))
}

#[cfg(test)]
mod tests {
    use super::catalog_mistake;
    use crate::{Bench, Catalog};

    #[test]
    fn a_catalog_naming_two_experiments_alike_is_refused() {
        let sum = || Bench::new("sum").variant("one", |_, _| || 1u8);
        let one = Catalog::new().bench(sum());
        assert_eq!(catalog_mistake(&one), None);
        assert_eq!(
            catalog_mistake(&one.bench(sum())).as_deref(),
            Some("two experiments in this binary's catalog are called `sum`")
        );
    }
}
