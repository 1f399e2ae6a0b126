//! The committed example reports: each re-renders from its `results.json`
//! to exactly the committed `report.md` and charts (so a change to the
//! report shows up here, and `scripts/rerender-reports.sh` + `git diff` is
//! the one command to review it), and every committed markdown file renders
//! as GitHub-flavoured markdown with consistent tables and links that
//! resolve to committed files (the checker: `tests/common/markdown.rs`).

mod common;

use std::path::{Path, PathBuf};

use common::markdown::{files, problems};

/// Where committed example reports live: tuner's own, and the reports of
/// the example crate tuned through the library.
fn report_dirs() -> [PathBuf; 2] {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    [root.join("reports"), root.join("examples/logagg/reports")]
}

#[test]
fn every_committed_report_rerenders_from_its_results() {
    let results: Vec<PathBuf> = report_dirs()
        .iter()
        .flat_map(|dir| files(dir, "results.json"))
        .collect();
    assert!(results.len() >= 10, "example reports: {}", results.len());
    let mut stale = Vec::new();
    for path in &results {
        let dir = path.parent().unwrap();
        let loaded = tuner::__private::results::Results::load(path).unwrap();
        let rendered = tuner::__private::report::render(dir, &loaded).unwrap();
        let committed = std::fs::read_to_string(dir.join("report.md")).unwrap_or_default();
        if rendered.markdown != committed {
            stale.push(dir.join("report.md"));
        }
        for (file, svg) in &rendered.charts {
            if std::fs::read_to_string(dir.join(file)).ok().as_deref() != Some(svg.as_str()) {
                stale.push(dir.join(file));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "these committed files differ from what their results.json renders to; \
         run scripts/rerender-reports.sh and review the change with git diff:\n{}",
        stale
            .iter()
            .map(|p| format!("  {}", p.display()))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn committed_markdown_has_sound_tables_and_links() {
    // README.md and the book: tests/docs.rs.
    let all: Vec<PathBuf> = report_dirs()
        .iter()
        .flat_map(|dir| files(dir, ".md"))
        .collect();
    assert!(all.len() >= 10);
    let found: Vec<String> = all.iter().flat_map(|p| problems(p)).collect();
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn the_checker_finds_ragged_tables_and_broken_links() {
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("r.md");
    std::fs::write(
        &md,
        "| a | b |\n|---|---|\n| 1 | 2 | 3 |\n| `x|y` | 2 |\n\n![chart](charts/missing.svg) [ok](r.md)\n",
    )
    .unwrap();
    let found = problems(&md);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found[0].ends_with(":3: 3 cells, the header has 2"),
        "{}",
        found[0]
    );
    assert!(found[1].contains("charts/missing.svg"), "{}", found[1]);
}
