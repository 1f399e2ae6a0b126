//! The committed example reports: each re-renders from its `results.json`
//! to exactly the committed `report.md` and charts (so a change to the
//! report shows up here, and `scripts/rerender-reports.sh` + `git diff` is
//! the one command to review it), and every committed markdown file renders
//! as GitHub-flavoured markdown with consistent tables and links that
//! resolve to committed files.

use std::path::{Path, PathBuf};

use comrak::nodes::NodeValue;
use comrak::{parse_document, Arena, Options};

/// Where committed example reports live: tuner's own, and the reports of
/// the example crate tuned through the library.
fn report_dirs() -> [PathBuf; 2] {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    [root.join("reports"), root.join("examples/logagg/reports")]
}

/// Every file under `dir` whose name ends with `suffix`.
fn files(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files(&path, suffix));
        } else if path.to_string_lossy().ends_with(suffix) {
            out.push(path);
        }
    }
    out.sort();
    out
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

/// The cells of a raw markdown table row: `|` not escaped and not inside a
/// code span separates them.
fn cells(line: &str) -> usize {
    let (mut n, mut code, mut escaped) = (0, false, false);
    for c in line
        .trim()
        .trim_start_matches('|')
        .trim_end_matches('|')
        .chars()
    {
        match c {
            '\\' if !escaped => {
                escaped = true;
                continue;
            }
            '`' => code = !code,
            '|' if !code && !escaped => n += 1,
            _ => {}
        }
        escaped = false;
    }
    n + 1
}

/// Problems with one markdown file: tables whose rows have other cell
/// counts than their header, and links or images to files that are not there.
fn problems(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut options = Options::default();
    options.extension.table = true;
    options.extension.footnotes = true;
    options.extension.strikethrough = true;
    let arena = Arena::new();
    let root = parse_document(&arena, &text, &options);
    let mut found = Vec::new();
    for node in root.descendants() {
        let data = node.data.borrow();
        match &data.value {
            NodeValue::Table(_) => {
                let (start, end) = (data.sourcepos.start.line, data.sourcepos.end.line);
                let header = cells(lines[start - 1]);
                for (i, line) in lines[start - 1..end].iter().enumerate() {
                    if cells(line) != header {
                        found.push(format!(
                            "{}:{}: {} cells, the header has {header}",
                            path.display(),
                            start + i,
                            cells(line)
                        ));
                    }
                }
            }
            NodeValue::Link(link) | NodeValue::Image(link) => {
                let url = link.url.as_str();
                if url.starts_with("http://") || url.starts_with("https://") || url.starts_with('#')
                {
                    continue;
                }
                let file = url.split('#').next().unwrap_or(url);
                let target = path.parent().unwrap().join(file);
                if !target.exists() {
                    found.push(format!(
                        "{}:{}: link to {url}, which is not there",
                        path.display(),
                        data.sourcepos.start.line
                    ));
                }
            }
            _ => {}
        }
    }
    found
}

#[test]
fn committed_markdown_has_sound_tables_and_links() {
    let mut all: Vec<PathBuf> = report_dirs()
        .iter()
        .flat_map(|dir| files(dir, ".md"))
        .collect();
    all.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"));
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
