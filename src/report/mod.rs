//! The markdown report and its charts, derived from a results file (and
//! the profiles it records) and nothing else.

pub mod charts;
mod conclusions;
pub mod format;
mod markdown;
mod profiles;
mod summary;
mod write;

pub use summary::{best_per_group, param_group, summarize, PointSummary};
pub use write::{write, COMPARISON_FILE};
