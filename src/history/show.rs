//! `tuner history show <point>`: a point's series as a table, run by run,
//! with the change points found marked between the runs they separate.

use std::fmt::Write as _;

use super::check::{commit_range, CheckReport};
use super::series::{History, Series};

/// The series of `history` whose point matches `selection` (and whose
/// experiment is `experiment`, when given).
pub(crate) fn matching<'h>(
    history: &'h History,
    selection: &[(String, String)],
    experiment: Option<&str>,
) -> Vec<(usize, &'h Series)> {
    history
        .series
        .iter()
        .enumerate()
        .filter(|(_, s)| s.matches(selection) && experiment.is_none_or(|e| s.experiment == e))
        .collect()
}

/// Every series' name, for an error that found none.
pub(crate) fn names(history: &History) -> String {
    let mut names: Vec<String> = history.series.iter().map(Series::name).collect();
    names.dedup();
    names.join(", ")
}

/// The series at `index` as text, with `report`'s change points.
pub(crate) fn text(history: &History, index: usize, report: &CheckReport) -> String {
    let series = &history.series[index];
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} ({}), config {}",
        series.name(),
        series.unit(),
        &series.config_digest[..12]
    );
    for (gi, segment) in series.segments.iter().enumerate() {
        let first = &history.runs[segment.entries[0].run];
        let _ = writeln!(
            out,
            "segment {} ({}, {}, {}; fingerprint {}):",
            gi + 1,
            first.cpu_model,
            first.kernel,
            first.rustc,
            &segment.fingerprint[..12]
        );
        let _ = writeln!(
            out,
            "  {:>4}  {:<12}  {:<20}  {:>12}  {:>8}  {:>5}  message",
            "run",
            "commit",
            "date",
            history.metric.unit(),
            "ratio",
            "procs"
        );
        let changes: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.series == index && f.segment == gi)
            .collect();
        for (i, e) in segment.entries.iter().enumerate() {
            if let Some(f) = changes.iter().find(|f| f.after.0 == i) {
                let (pct, (lo, hi)) = f.percent();
                let _ = writeln!(
                    out,
                    "  ---- change {pct:+.2}% [{lo:+.2}, {hi:+.2}] in {}, p = {:.1e} ----",
                    commit_range(history, series, f),
                    f.cp.p
                );
            }
            let run = &history.runs[e.run];
            let _ = writeln!(
                out,
                "  {:>4}  {:<12}  {:<20}  {:>12.3}  {:>8}  {:>5}  {}",
                i + 1,
                run.short_commit(),
                run.date,
                e.ns_per_op,
                e.relative.map_or("-".to_string(), |r| format!("{r:.4}")),
                if e.failed > 0 {
                    format!("{}+{}✗", e.processes, e.failed)
                } else {
                    e.processes.to_string()
                },
                run.message
                    .as_deref()
                    .and_then(|m| m.lines().next())
                    .unwrap_or("")
            );
        }
    }
    out
}
