//! Writing a run directory's report files from its results.

use std::path::Path;

use anyhow::Context as _;

use super::conclusions::conclusions;
use super::markdown::Report;
use super::summary::summarize;
use crate::results::Results;
use crate::stats::CompareSettings;

/// Renders `report.md` into `dir` from `results` alone.
pub fn write(dir: &Path, results: &Results) -> anyhow::Result<()> {
    let settings = CompareSettings::default();
    let summaries = summarize(results, &settings);
    let conclusions = conclusions(results, &summaries, &settings);
    let text = Report::new(results, &summaries, &conclusions).render();
    let path = dir.join("report.md");
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))
}
