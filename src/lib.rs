//! tuner: runs runtime-tuning experiments from TOML configs.
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

pub mod alloc;
pub mod catalog;
pub mod cli;
pub mod commands;
pub mod compare;
pub mod config;
pub mod environment;
pub mod export;
#[doc(hidden)]
pub mod fixtures;
pub mod matrix;
pub mod measure;
pub mod profile;
pub mod report;
pub mod results;
pub mod runner;
pub mod stats;
pub mod worker;
