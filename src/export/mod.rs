//! Writing a run's raw results for other tools: the Go benchmark format
//! (so benchstat reads it), CSV and JSON with one row per worker process,
//! Bencher's metric format and an Apache Otava CSV row.

mod bmf;
mod csv;
mod format;
mod gobench;
mod otava;
mod rows;

pub(crate) use bmf::bmf;
pub(crate) use csv::csv;
pub use format::{export, ExportFormat};
pub(crate) use gobench::gobench;
pub(crate) use otava::otava;
pub(crate) use rows::rows;
