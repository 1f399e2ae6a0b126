//! Reading results back: a `results.json`, or the `journal.jsonl` of a run
//! that was interrupted.

use std::path::Path;

use super::{Results, SCHEMA};

impl Results {
    /// Reads a `results.json`, or a `journal.jsonl` left by an interrupted run.
    pub fn load(path: &Path) -> anyhow::Result<Results> {
        use anyhow::Context as _;
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let results: Results = if path.extension().is_some_and(|e| e == "jsonl") {
            from_journal(&text)
                .with_context(|| format!("{} is not a tuner journal", path.display()))?
        } else {
            serde_json::from_str(&text)
                .with_context(|| format!("{} is not a tuner results file", path.display()))?
        };
        anyhow::ensure!(
            results.schema == SCHEMA,
            "{} has results schema {}, this tuner reads schema {SCHEMA}",
            path.display(),
            results.schema
        );
        Ok(results)
    }
}

/// A journal is the results header on its first line, then one run per line.
fn from_journal(text: &str) -> anyhow::Result<Results> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let mut results: Results = serde_json::from_str(lines.next().unwrap_or(""))?;
    for line in lines {
        // A run cut off mid-write leaves a partial last line: keep the rest.
        if let Ok(run) = serde_json::from_str(line) {
            results.runs.push(run);
        }
    }
    Ok(results)
}
