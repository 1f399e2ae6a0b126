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
//! `benches/tune.rs` names the workloads, one set-up closure per variant
//! ([`Bench`]); the closure it returns is the timed operation:
//!
//! ```no_run
//! use tuner::{Bench, Catalog};
//!
//! tuner::main!(Catalog::new().bench(
//!     Bench::new("join")
//!         .param_int("words", 1_000, 1..=1_000_000, "words to join")
//!         .variant("push_str", |p, _ctx| {
//!             let words = p.usize("words");
//!             move || {
//!                 let mut s = String::new();
//!                 (0..words).for_each(|_| s.push_str("word "));
//!                 s
//!             }
//!         })
//!         .variant("repeat", |p, _ctx| {
//!             let words = p.usize("words");
//!             move || "word ".repeat(words)
//!         }),
//! ));
//! ```
//!
//! A config names the workload as it would a catalog entry
//! (`workload = "join"`, `[params] words = [100, 10_000]`, the `[matrix]`
//! knobs), and `cargo bench --bench tune -- run configs/join.toml` runs it
//! (`cargo bench` adds `--bench`, which [`main!`] drops; `-- list`,
//! `-- report …`, `-- compare …` work the same). Workloads with state to
//! restore between runs implement [`Workload`] and join through
//! [`Bench::variant_workload`], or implement [`Experiment`] whole. A
//! workload is an ordinary value, so its own tests can build and run it:
//!
//! ```
//! use tuner::{Bench, Buffering, Context, Params, ParamValue};
//!
//! let join = Bench::new("join")
//!     .param_int("words", 3, 1..=100, "words to join")
//!     .variant("repeat", |p, _ctx| {
//!         let words = p.usize("words");
//!         move || "word ".repeat(words)
//!     })
//!     .leak();
//! let params = Params([("words".to_string(), ParamValue::Int(3))].into());
//! let ctx = Context {
//!     threads: 1,
//!     buffering: Buffering::Unbuffered,
//!     tokio: None,
//!     scratch_dir: std::env::temp_dir(),
//! };
//! let mut workload = join.build("repeat", &params, &ctx).unwrap();
//! workload.run().unwrap();
//! // The digest every variant must agree on: a hash of what the run returned.
//! let mut expected = tuner::Digest::default();
//! std::hash::Hash::hash("word word word ", &mut expected);
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
    pub use crate::harness_main;

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

/// What [`main!`] runs: checks the catalog, drops the `--bench` flag that
/// `cargo bench` adds, and hands the rest to the command line.
#[doc(hidden)]
pub fn harness_main(catalog: &Catalog) -> std::process::ExitCode {
    if let Some(mistake) = catalog_mistake(catalog) {
        eprintln!("error: {mistake}");
        return std::process::ExitCode::from(2);
    }
    match without_cargo_bench_flag(std::env::args_os()) {
        Some(args) => cli::main_from(catalog, args),
        None => {
            eprintln!(
                "tuner: `cargo bench` ran this harness without a command; give one after `--`, \
                 e.g. `cargo bench --bench <name> -- run <config.toml>` (or `-- list`)"
            );
            std::process::ExitCode::SUCCESS
        }
    }
}

/// What makes `catalog` unusable: a name two experiments share, which a
/// config could not tell apart.
fn catalog_mistake(catalog: &Catalog) -> Option<String> {
    let name = catalog.duplicate()?;
    Some(format!(
        "two experiments in this binary's catalog are called `{name}`"
    ))
}

/// The arguments without the `--bench` flag `cargo bench` appends (the
/// libtest convention; no tuner command takes it), or `None` when that
/// flag was all there was: a plain `cargo bench` over every bench target.
fn without_cargo_bench_flag(
    args: impl IntoIterator<Item = std::ffi::OsString>,
) -> Option<Vec<std::ffi::OsString>> {
    let all: Vec<_> = args.into_iter().collect();
    let kept: Vec<_> = all.iter().filter(|a| *a != "--bench").cloned().collect();
    if kept.len() == 1 && all.len() > 1 {
        None
    } else {
        Some(kept)
    }
}

#[cfg(test)]
mod tests {
    use super::{catalog_mistake, without_cargo_bench_flag};
    use crate::{Bench, Catalog};
    use std::ffi::OsString;

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

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn cargo_bench_flag_is_dropped_wherever_cargo_put_it() {
        assert_eq!(
            without_cargo_bench_flag(args(&["tune", "run", "x.toml", "--bench"])),
            Some(args(&["tune", "run", "x.toml"]))
        );
        assert_eq!(
            without_cargo_bench_flag(args(&["tune", "--bench", "list"])),
            Some(args(&["tune", "list"]))
        );
    }

    #[test]
    fn other_arguments_pass_untouched() {
        let plain = args(&["tuner", "run", "x.toml", "--dry-run"]);
        assert_eq!(without_cargo_bench_flag(plain.clone()), Some(plain));
        assert_eq!(
            without_cargo_bench_flag(args(&["tuner"])),
            Some(args(&["tuner"]))
        );
    }

    #[test]
    fn a_lone_cargo_bench_flag_means_nothing_to_run() {
        assert_eq!(without_cargo_bench_flag(args(&["tune", "--bench"])), None);
    }
}
