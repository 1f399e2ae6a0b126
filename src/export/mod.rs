//! Writing a run's raw results for other tools: the Go benchmark format
//! (so benchstat reads it), CSV and JSON with one row per worker process.

mod csv;
mod format;
mod gobench;
mod rows;

pub(crate) use csv::csv;
pub use format::{export, ExportFormat};
pub(crate) use gobench::gobench;
pub(crate) use rows::rows;
