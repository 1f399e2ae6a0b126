//! Writing a run directory's report files from its results.

use std::path::Path;

use anyhow::Context as _;

use super::markdown::Report;
use super::summary::summarize;
use crate::results::Results;

/// Renders `report.md` and its charts into `dir` from `results` alone
/// (and the heap profiles it records).
pub fn write(dir: &Path, results: &Results) -> anyhow::Result<()> {
    let summaries = summarize(results);
    let charts = super::charts::write_all(dir, results, &summaries)?;
    let text = Report::new(results, &summaries)
        .with_charts(&charts)
        .render();
    let path = dir.join("report.md");
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))
}
