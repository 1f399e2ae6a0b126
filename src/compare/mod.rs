//! Comparing two runs of one experiment (`tuner compare base head`): match
//! their points, compare each shared point's time with the statistics
//! engine (Holm across the whole family) and its exact counts exactly, sum
//! up with a geometric mean, render text, markdown or JSON, and decide
//! whether the comparison fails a CI gate.

mod build;
mod error;
mod gate;
mod matching;
mod render;

pub use build::compare_runs;
pub(crate) use build::{ComparisonReport, VerdictCounts};
pub(crate) use error::CompareError;
pub(crate) use gate::FailOn;
pub(crate) use gate::GatePoint;
pub(crate) use matching::SettingChange;
pub use render::markdown;
pub(crate) use render::{
    changed_line, markdown_body, notes, p_text, text_body, time_cell, ExactCounts, ExactKind,
};
pub(crate) use render::{render, text, OutputFormat};
