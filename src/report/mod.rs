//! The markdown report, derived from a results file and nothing else.

pub mod format;
mod markdown;
mod summary;
mod write;

pub use summary::{summarize, PointSummary};
pub use write::{write, COMPARISON_FILE};
