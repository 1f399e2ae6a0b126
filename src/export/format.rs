//! Choosing an export format.

use super::{bmf, csv, gobench, otava, rows};
use crate::results::Results;

/// The formats `tuner export` writes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ExportFormat {
    /// The Go benchmark data format, one result line per process.
    #[default]
    Gobench,
    /// One row per process, the point's coordinates as columns.
    Csv,
    /// The CSV's rows as an array of JSON objects.
    Json,
    /// Bencher's metric format: a benchmark per point.
    Bmf,
    /// A CSV row per run, a column per point, for Apache Otava.
    Otava,
}

/// `results` in `format`.
pub fn export(results: &Results, format: ExportFormat) -> String {
    match format {
        ExportFormat::Gobench => gobench(results),
        ExportFormat::Csv => csv(results),
        ExportFormat::Bmf => bmf(results),
        ExportFormat::Otava => otava(results),
        ExportFormat::Json => {
            let mut s =
                serde_json::to_string_pretty(&rows(results)).expect("plain data serializes");
            s.push('\n');
            s
        }
    }
}
