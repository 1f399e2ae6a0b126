//! A CSV that Apache Otava reads (its `csv` test type, docs/CSV.md):
//! one row per run — `time` (the run's RFC 3339 date), the `commit`
//! attribute, `run_id`, then one column per point holding the median over
//! the run's processes of their ns/op. Rows of successive runs of one
//! config share the header, so a nightly job appends them
//! (`tail -n +2`) and points Otava at the file:
//!
//! ```yaml
//! tests:
//!   selfcheck:
//!     type: csv
//!     file: selfcheck.csv
//!     time_column: time
//!     attributes: [commit, run_id]
//!     metrics: ["steps=5", "steps=10"]
//! ```

use crate::analysis::ProcessMetrics;
use crate::matrix;
use crate::results::Results;

/// The run as a header and one row.
pub(crate) fn otava(results: &Results) -> String {
    let varying = matrix::varying_axes(&results.plan.axes);
    let mut header = vec!["time".to_string(), "commit".into(), "run_id".into()];
    let mut row = vec![
        results.environment.date.clone(),
        results.environment.git_commit.clone(),
        results.run_id.clone(),
    ];
    for point in &results.points {
        header.push(point.label(&varying));
        let ns: Vec<f64> = results
            .runs_of(point.id)
            .filter_map(ProcessMetrics::of)
            .map(|m| m.ns_per_op)
            .collect();
        row.push(if ns.is_empty() {
            String::new()
        } else {
            crate::analysis::metrics::median(&ns).to_string()
        });
    }
    format!("{}\n{}\n", line(&header), line(&row))
}

/// Comma-separated, a field quoted (with `"`, doubled inside) when it
/// holds a comma, a quote or a line break.
fn line(cells: &[String]) -> String {
    let quoted: Vec<String> = cells
        .iter()
        .map(|c| {
            if c.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                c.clone()
            }
        })
        .collect();
    quoted.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_is_one_row_with_a_column_per_point() {
        let config = "[experiment]\nname = \"t\"\nworkload = \"selfcheck\"\n[params]\nvariant = \"spin\"\nsteps = [5, 10]\n[matrix]\nthreads = [1]\nallocator = [\"system\"]\n[measure]\nprocesses = 3\n";
        let mut results =
            crate::fixtures::results_with(config, &[vec![10.0, 11.0, 12.0], vec![20.0, 30.0]], 0);
        results.environment.date = "2026-01-02T03:04:05Z".into();
        results.environment.git_commit = "abc,def".into();
        assert_eq!(
            otava(&results),
            "time,commit,run_id,steps=5,steps=10\n2026-01-02T03:04:05Z,\"abc,def\",2026-01-01T00-00-00Z,11,25\n"
        );
    }
}
