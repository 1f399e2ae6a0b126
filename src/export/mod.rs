//! Writing a run's raw results for other tools: the Go benchmark format
//! (so benchstat reads it), CSV and JSON with one row per worker process.

mod csv;
mod format;
mod gobench;
mod rows;

pub use csv::csv;
pub use format::{export, ExportFormat};
pub use gobench::{benchmark_name, go_value, gobench};
pub use rows::{rows, ProcessRow};
