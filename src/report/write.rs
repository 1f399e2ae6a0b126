//! Rendering a run directory's report files from its results, and writing them.

use std::path::Path;

use anyhow::Context as _;

use super::charts::Chart;
use super::markdown::Report;
use super::Context;
use crate::analysis::Analysis;
use crate::results::Results;
use crate::stats::CompareSettings;

/// The comparison `tuner run --baseline` writes beside the report.
pub(crate) const COMPARISON_FILE: &str = "compare.md";

/// A report ready to write: `report.md` and the charts it embeds.
pub struct Rendered {
    pub markdown: String,
    /// Each chart's SVG text, at its path relative to the run directory.
    pub charts: Vec<(String, String)>,
}

/// Renders the report of `results`, whose run directory is `dir` (read for
/// the heap profiles and whether `compare.md` is there to link).
pub fn render(dir: &Path, results: &Results) -> anyhow::Result<Rendered> {
    let analysis = Analysis::of(results, &CompareSettings::default());
    let cx = Context::new(results, &analysis);
    let (charts, svgs): (Vec<Chart>, Vec<String>) =
        super::charts::draw_all(dir, &cx)?.into_iter().unzip();
    let comparison = dir
        .join(COMPARISON_FILE)
        .is_file()
        .then_some(COMPARISON_FILE);
    let markdown = Report::new(&cx)
        .with_charts(&charts)
        .linking_comparison(comparison)
        .render();
    Ok(Rendered {
        markdown,
        charts: charts.into_iter().map(|c| c.file).zip(svgs).collect(),
    })
}

/// Renders `report.md` and its charts into `dir` from `results` alone,
/// each file written atomically (a kill mid-write leaves the old one), and
/// `report.html` when the config asks (`[report] html = true`).
pub fn write(dir: &Path, results: &Results) -> anyhow::Result<()> {
    write_with(dir, results, false)
}

/// [`write()`], and `report.html` also when `html` (`--html`) asks.
pub(crate) fn write_with(dir: &Path, results: &Results, html: bool) -> anyhow::Result<()> {
    let rendered = render(dir, results)?;
    for (file, svg) in &rendered.charts {
        let path = dir.join(file);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        crate::fsio::write_atomic(&path, svg.as_bytes())
            .with_context(|| format!("writing {}", path.display()))?;
    }
    let path = dir.join("report.md");
    crate::fsio::write_atomic(&path, rendered.markdown.as_bytes())
        .with_context(|| format!("writing {}", path.display()))?;
    if html || results.plan.report.html {
        super::html::write(dir, results, &rendered)?;
    }
    Ok(())
}
