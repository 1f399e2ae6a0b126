//! `tuner history check`: every series' segments (the last [`MAX_RUNS`]
//! runs of each) searched for change points (`edivisive`), each reported
//! with the commit range it lies in, the step as a percentage with its
//! interval, and the runs on each side.

use std::fmt::Write as _;

use super::edivisive::{self, ChangePoint, Settings};
use super::series::{History, Series};

/// The most recent runs of a segment searched: the search holds an n × n
/// table of distances (32 MB at this size) and takes O(n²) time, and a
/// nightly job cares about the recent past. Older runs are not searched.
pub(crate) const MAX_RUNS: usize = 2000;

/// A change point found in one segment of one series.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Finding {
    /// Index into [`History::series`], and the segment's.
    pub series: usize,
    pub segment: usize,
    /// Indices of the segment's entries the change point's parts cover
    /// (`cp` counts values checked; these count entries).
    pub before: (usize, usize),
    pub after: (usize, usize),
    /// Entries in the segment.
    pub of: usize,
    pub cp: ChangePoint,
}

impl Finding {
    /// The step as a percentage, with its interval.
    pub(super) fn percent(&self) -> (f64, (f64, f64)) {
        let pct = crate::stats::log_ratio_pct;
        (
            pct(self.cp.step),
            (pct(self.cp.interval.0), pct(self.cp.interval.1)),
        )
    }

    /// Whether the first run after the change is among the last `n` of
    /// its segment.
    pub(super) fn within_last(&self, n: usize) -> bool {
        self.after.0 + n >= self.of
    }
}

/// What was checked and what was found.
#[derive(Clone, Debug)]
pub(crate) struct CheckReport {
    pub findings: Vec<Finding>,
    /// Series checked (the reference points themselves are not).
    pub checked: usize,
    pub settings: Settings,
}

/// Checks every series of `history`.
pub(crate) fn check(history: &History, settings: &Settings) -> CheckReport {
    let mut findings = Vec::new();
    let mut checked = 0;
    for (si, series) in history.series.iter().enumerate() {
        if series.is_reference() {
            continue;
        }
        checked += 1;
        for (gi, segment) in series.segments.iter().enumerate() {
            // Entries with a value (a point whose every process failed has
            // none), the last MAX_RUNS of them.
            let mut kept: Vec<usize> = (0..segment.entries.len())
                .filter(|&i| {
                    let v = segment.entries[i].value();
                    v.is_finite() && v > 0.0
                })
                .collect();
            kept.drain(..kept.len().saturating_sub(MAX_RUNS));
            let logs: Vec<f64> = kept
                .iter()
                .map(|&i| segment.entries[i].value().ln())
                .collect();
            for cp in edivisive::change_points(&logs, settings) {
                findings.push(Finding {
                    series: si,
                    segment: gi,
                    before: (kept[cp.before.start], kept[cp.before.end - 1]),
                    after: (kept[cp.after.start], kept[cp.after.end - 1]),
                    of: segment.entries.len(),
                    cp,
                });
            }
        }
    }
    CheckReport {
        findings,
        checked,
        settings: *settings,
    }
}

/// The method line both renderings start with.
fn method(report: &CheckReport) -> String {
    let s = &report.settings;
    format!(
        "E-Divisive means (Matteson & James 2014) on log values, Student t-test p < {}, at least {} runs a side, {:.0}% intervals",
        s.alpha,
        s.min_size,
        s.level * 100.0
    )
}

/// The commits a change lies between: `last-before..first-after`.
pub(crate) fn commit_range(history: &History, series: &Series, f: &Finding) -> String {
    let entries = &series.segments[f.segment].entries;
    let before = &history.runs[entries[f.before.1].run];
    let after = &history.runs[entries[f.after.0].run];
    format!("{}..{}", before.short_commit(), after.short_commit())
}

/// Plain text for the terminal.
pub(crate) fn text(history: &History, report: &CheckReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} series, {} runs, {} processes; {}",
        report.checked,
        history.runs.len(),
        history.processes,
        method(report)
    );
    for (si, series) in history.series.iter().enumerate() {
        if series.is_reference() {
            continue;
        }
        let found: Vec<&Finding> = report.findings.iter().filter(|f| f.series == si).collect();
        let runs: usize = series.segments.iter().map(|g| g.entries.len()).sum();
        let _ = writeln!(
            out,
            "{} ({}; {} runs, {} segment{}): {}",
            series.name(),
            series.unit(),
            runs,
            series.segments.len(),
            if series.segments.len() == 1 { "" } else { "s" },
            match found.len() {
                0 => "no change".to_string(),
                1 => "1 change".to_string(),
                n => format!("{n} changes"),
            }
        );
        for f in found {
            let (pct, (lo, hi)) = f.percent();
            let entries = &series.segments[f.segment].entries;
            let first = &history.runs[entries[f.after.0].run];
            let _ = writeln!(
                out,
                "  {pct:+.2}% [{lo:+.2}, {hi:+.2}] at run {} of {} (commits {}{}), p = {:.1e}",
                f.after.0 + 1,
                f.of,
                commit_range(history, series, f),
                first
                    .message
                    .as_deref()
                    .map(|m| format!(": {}", one_line(m)))
                    .unwrap_or_default(),
                f.cp.p
            );
            let _ = writeln!(
                out,
                "    before: runs {}–{} ({}), after: runs {}–{} ({}); first run after: {}",
                f.before.0 + 1,
                f.before.1 + 1,
                f.cp.before.len(),
                f.after.0 + 1,
                f.after.1 + 1,
                f.cp.after.len(),
                first.run_id
            );
        }
    }
    out
}

/// Markdown for a job summary.
pub(crate) fn markdown(history: &History, report: &CheckReport) -> String {
    let mut out = String::from("## tuner history check\n\n");
    let _ = writeln!(
        out,
        "{} series, {} runs, {} processes. Method: {}.\n",
        report.checked,
        history.runs.len(),
        history.processes,
        method(report)
    );
    if report.findings.is_empty() {
        out.push_str("No change point.\n");
        return out;
    }
    out.push_str(
        "| point | value | step | interval | at run | commits | runs before / after | p |\n",
    );
    out.push_str("|---|---|---:|---|---:|---|---|---:|\n");
    for f in &report.findings {
        let series = &history.series[f.series];
        let (pct, (lo, hi)) = f.percent();
        let _ = writeln!(
            out,
            "| {} | {} | {pct:+.2}% | [{lo:+.2}, {hi:+.2}] | {} of {} | `{}` | {} / {} | {:.1e} |",
            md_cell(&series.name()),
            md_cell(&series.unit()),
            f.after.0 + 1,
            f.of,
            commit_range(history, series, f),
            f.cp.before.len(),
            f.cp.after.len(),
            f.cp.p
        );
    }
    out
}

fn one_line(text: &str) -> String {
    text.lines().next().unwrap_or("").to_string()
}

/// A table cell: pipes escaped, one line.
fn md_cell(text: &str) -> String {
    one_line(text).replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::series::{Entry, Metric, Run, Segment};

    fn run(i: usize) -> Run {
        Run {
            id: i as i64,
            run_id: format!("r{i}"),
            experiment: "e".into(),
            config_digest: "d".repeat(64),
            fingerprint: "f".repeat(64),
            cpu_model: "cpu".into(),
            kernel: "k".into(),
            rustc: "rustc".into(),
            machine: None,
            date: String::new(),
            commit: Some(format!("c{i}")),
            parent: None,
            message: None,
            position: i as f64,
            reference: None,
            report: None,
        }
    }

    /// A history of one series of `n` runs: 100 ns/op with a little
    /// noise, times 1.05 from each run in `steps` on.
    fn history(n: usize, steps: &[usize]) -> History {
        let entries = (0..n)
            .map(|i| {
                let level: f64 = steps.iter().filter(|&&s| i >= s).map(|_| 1.05).product();
                Entry {
                    run: i,
                    ns_per_op: 100.0 * level * (1.0 + 0.001 * ((i * 7 % 5) as f64 - 2.0)),
                    relative: None,
                    processes: 5,
                    failed: 0,
                }
            })
            .collect();
        History {
            runs: (0..n).map(run).collect(),
            series: vec![Series {
                experiment: "e".into(),
                config_digest: "d".repeat(64),
                label: "x=1".into(),
                coords: vec![("x".into(), "1".into())],
                reference: None,
                segments: vec![Segment {
                    fingerprint: "f".repeat(64),
                    entries,
                }],
                metric: Metric::Time,
            }],
            processes: n * 5,
            metric: Metric::Time,
        }
    }

    #[test]
    fn a_change_is_reported_with_its_runs_and_commits() {
        let h = history(30, &[18]);
        let report = check(&h, &Settings::default());
        assert_eq!(report.findings.len(), 1, "{:?}", report.findings);
        let f = &report.findings[0];
        assert_eq!((f.before, f.after, f.of), ((0, 17), (18, 29), 30));
        let (pct, (lo, hi)) = f.percent();
        assert!(
            (pct - 5.0).abs() < 0.2 && lo < 5.0 && 5.0 < hi,
            "{pct} [{lo}, {hi}]"
        );
        assert_eq!(commit_range(&h, &h.series[0], f), "c17..c18");
        assert!(f.within_last(12) && !f.within_last(11));
        let text = text(&h, &report);
        assert!(
            text.contains("at run 19 of 30 (commits c17..c18)"),
            "{text}"
        );
    }

    #[test]
    fn only_the_most_recent_runs_are_searched() {
        let n = MAX_RUNS + 100;
        let h = history(n, &[50, n - 30]);
        let report = check(&h, &Settings::default());
        let at: Vec<usize> = report.findings.iter().map(|f| f.after.0).collect();
        assert_eq!(
            at,
            vec![n - 30],
            "the step at run 51 is older than the last {MAX_RUNS}"
        );
    }
}
