//! The markdown report, derived from a results file and nothing else.

mod conclusions;
pub mod format;
mod markdown;
mod summary;
#[cfg(test)]
pub(crate) mod testing;
mod write;

pub use summary::{best_per_group, param_group, summarize, PointSummary};
pub use write::write;
