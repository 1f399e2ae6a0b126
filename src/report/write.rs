//! Writing a run directory's report files from its results.

use std::path::Path;

use anyhow::Context as _;

use super::markdown::Report;
use super::Context;
use crate::analysis::Analysis;
use crate::results::Results;
use crate::stats::CompareSettings;

/// The comparison `tuner run --baseline` writes beside the report.
pub const COMPARISON_FILE: &str = "compare.md";

/// Renders `report.md` and its charts into `dir` from `results` alone (and
/// the heap profiles it records), linking [`COMPARISON_FILE`] when the
/// directory holds one.
pub fn write(dir: &Path, results: &Results) -> anyhow::Result<()> {
    let analysis = Analysis::of(results, &CompareSettings::default());
    let cx = Context::new(results, &analysis);
    let charts = super::charts::write_all(dir, &cx)?;
    let comparison = dir
        .join(COMPARISON_FILE)
        .is_file()
        .then_some(COMPARISON_FILE);
    let text = Report::new(&cx)
        .with_charts(&charts)
        .linking_comparison(comparison)
        .render();
    let path = dir.join("report.md");
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))
}
