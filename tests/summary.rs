//! The summary a reviewer signs fits one screen: for every committed
//! report, re-rendered from its `results.json`, the first section is the
//! summary, it takes at most 40 lines and no line is wider than 160
//! columns; and it says what the machine delivered (or that the results
//! have no machine record).

mod common;

use std::path::{Path, PathBuf};

use common::markdown::files;

#[test]
fn every_committed_reports_summary_fits_one_screen() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let results: Vec<PathBuf> = [root.join("reports"), root.join("examples/logagg/reports")]
        .iter()
        .flat_map(|dir| files(dir, "results.json"))
        .collect();
    assert!(results.len() >= 10, "example reports: {}", results.len());
    for path in &results {
        let dir = path.parent().unwrap();
        let loaded = tuner::__private::results::Results::load(path).unwrap();
        let md = tuner::__private::report::render(dir, &loaded)
            .unwrap()
            .markdown;
        let first = md
            .lines()
            .find(|l| l.starts_with("## "))
            .unwrap_or_default();
        assert_eq!(first, "## Summary", "{}: the first section", path.display());
        let summary: Vec<&str> = md
            .split("## Summary")
            .nth(1)
            .unwrap()
            .split("\n## ")
            .next()
            .unwrap()
            .trim_end()
            .lines()
            .collect();
        // The heading line is counted too.
        assert!(
            summary.len() < 40,
            "{}: summary of {} lines",
            path.display(),
            summary.len() + 1
        );
        for line in &summary {
            assert!(
                line.chars().count() <= 160,
                "{}: a line of {} columns: {line}",
                path.display(),
                line.chars().count()
            );
        }
        let text = summary.join("\n");
        assert!(
            text.contains("- Machine: "),
            "{}: no machine health",
            path.display()
        );
        if loaded.points.len() > 1 && md.contains("vs baseline") {
            assert!(text.contains("Fastest"), "{}: no pick", path.display());
        }
    }
}
