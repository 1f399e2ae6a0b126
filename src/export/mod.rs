//! Writing a run's raw results for other tools: the Go benchmark format
//! (so benchstat reads it), CSV and JSON with one row per worker process,
//! Bencher's metric format and an Apache Otava CSV row.

mod bmf;
mod csv;
mod format;
mod gobench;
mod otava;
mod rows;

pub use bmf::bmf;
pub use csv::csv;
pub use format::{export, ExportFormat};
pub use gobench::{benchmark_name, go_value, gobench};
pub use otava::otava;
pub use rows::{rows, ProcessRow};
