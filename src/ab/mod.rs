//! `tuner ab`: a paired A/B of two builds, the CI gate that sees 1%.
//!
//! Every point of a config runs under a base and a head build in adjacent
//! pairs — which build goes first balanced and random, pairs interleaved
//! and shuffled across points (`schedule`) — each process its own worker,
//! as in `tuner run`, with the same knobs and exact counts. Drift of the
//! machine between moments is shared by a pair and cancels in its ratio;
//! the layout of memory is shared by a pair too and varied across pairs
//! (`layout`). A build is a binary that runs the workload (`side`: a
//! tuner, a user's harness; settings such as `steps=1010` can differ per
//! side). `execute` runs and journals the gate, `record` is its raw data
//! (`ab.json`), `analysis` judges it with paired statistics and `render`
//! prints it as `tuner compare` prints a comparison; `plan` turns the
//! command line into a gate.

mod analysis;
mod error;
mod execute;
mod layout;
mod metric;
mod plan;
mod record;
mod render;
mod schedule;
mod sequential;
mod side;
#[cfg(test)]
mod testing;

pub(crate) use analysis::{analyse, AbReport};
pub(crate) use execute::{run_folder, run_gate, GateSession};
pub(crate) use layout::{LayoutMode, Pin};
pub(crate) use metric::Metric;
pub(crate) use plan::{is_saved, plan, AbOptions};
pub(crate) use record::{AbRun, AB_FILE};
pub(crate) use render::{markdown, render};
pub(crate) use side::Setting;
