//! tuner: runs runtime-tuning experiments from TOML configs.
//!
//! As a library, tuner turns a crate's own workloads into a tuner binary:
//! write them against the workload interface re-exported here (from
//! `tuner-api`), put them in a [`Catalog`] and hand it to [`main!`]. That
//! binary then runs, lists, reports, compares and exports exactly as tuner
//! does, and re-executes itself as the worker.
//!
//! [`cli`] parses the command line and [`commands`] carries it out.
//! Data flow: [`config`] parses and validates a TOML file into a plan;
//! [`matrix`] expands it into points and a shuffled schedule; [`runner`]
//! executes each slot as a [`worker`] process (allocator from [`alloc`],
//! timing from [`measure`]) and journals the [`results`]; [`stats`] and
//! [`report`] turn raw results into a markdown report; [`profile`] runs
//! the profiling passes (flame graphs, CPU profiles, timelines, heap over
//! time) in processes of their own; [`compare`] judges two runs against
//! each other and [`export`] writes results for other tools (benchstat,
//! spreadsheets).

pub use tuner_api::*;

pub mod alloc;
pub mod catalog;
pub mod cli;
pub mod commands;
pub mod compare;
pub mod config;
pub(crate) mod console;
pub mod environment;
pub mod exit;
pub mod export;
#[doc(hidden)]
pub mod fixtures;
pub mod fsio;
pub mod matrix;
pub mod measure;
pub mod profile;
pub mod protocol;
pub mod report;
pub mod results;
pub mod runner;
pub mod stats;
pub mod worker;

/// Makes this binary a tuner over a [`Catalog`]: installs tuner's
/// switchable, counting global allocator and defines `main`, which parses
/// the command line (`run`, `list`, `report`, `compare`, `export` and the
/// hidden `worker` the runner re-executes this binary as).
#[macro_export]
macro_rules! main {
    ($catalog:expr) => {
        #[global_allocator]
        static TUNER_GLOBAL_ALLOCATOR: $crate::alloc::Switchable = $crate::alloc::Switchable;

        fn main() -> ::std::process::ExitCode {
            $crate::cli::main(&$catalog)
        }
    };
}
