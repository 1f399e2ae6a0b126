//! The markdown report, derived from a results file and nothing else.

mod conclusions;
pub mod format;
mod markdown;
mod summary;
mod write;

pub use summary::{best_per_group, param_group, summarize, PointSummary};
pub use write::{write, COMPARISON_FILE};
