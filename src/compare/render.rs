//! Rendering a [`ComparisonReport`]: aligned text columns in the manner of
//! benchstat for a terminal, a markdown table for pull requests and
//! `$GITHUB_STEP_SUMMARY`, or the report itself as JSON.

use std::fmt::Write as _;

use super::build::{ComparisonReport, PointComparison};
use crate::report::format::{bytes, count, duration_ns};
use crate::stats::{signed_1dp, Comparison, ExactComparison, Summary, Verdict};

/// How `tuner compare` prints its findings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OutputFormat {
    #[default]
    Text,
    Markdown,
    Json,
}

/// The report in `format`.
pub fn render(report: &ComparisonReport, format: OutputFormat) -> String {
    match format {
        OutputFormat::Text => text(report),
        OutputFormat::Markdown => markdown(report),
        OutputFormat::Json => {
            let mut s = serde_json::to_string_pretty(report).expect("plain data serializes");
            s.push('\n');
            s
        }
    }
}

/// One rendered table: a header row and body rows of cells.
pub(crate) struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub(crate) fn new(header: &[&str]) -> Table {
        Table {
            header: header.iter().map(ToString::to_string).collect(),
            rows: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, row: Vec<String>) {
        self.rows.push(row);
    }

    /// Columns padded to their widest cell, two spaces apart.
    pub(crate) fn text(&self, out: &mut String) {
        let width = |i: usize| {
            std::iter::once(&self.header)
                .chain(&self.rows)
                .map(|r| r.get(i).map_or(0, |c| c.chars().count()))
                .max()
                .unwrap_or(0)
        };
        let widths: Vec<usize> = (0..self.header.len()).map(width).collect();
        for row in std::iter::once(&self.header).chain(&self.rows) {
            let cells: Vec<String> = row
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
                .collect();
            let _ = writeln!(out, "{}", cells.join("  ").trim_end());
        }
    }

    /// A markdown table; `right` marks right-aligned (numeric) columns.
    pub(crate) fn markdown(&self, right: &[bool], out: &mut String) {
        let _ = writeln!(out, "| {} |", self.header.join(" | "));
        let rule: Vec<&str> = right
            .iter()
            .map(|r| if *r { "--:" } else { "---" })
            .collect();
        let _ = writeln!(out, "|{}|", rule.join("|"));
        for row in &self.rows {
            let _ = writeln!(out, "| {} |", row.join(" | "));
        }
    }
}

/// `41.2 ms ± 1%`: the median and the half-width of its interval relative
/// to it, as benchstat prints it; `± ∞` when there are too few processes.
pub(crate) fn time_cell(s: &Summary) -> String {
    let spread = match s.ci {
        Some(ci) if s.median > 0.0 => {
            let half = (ci.hi - s.median).max(s.median - ci.lo) / s.median * 100.0;
            if half < 10.0 {
                format!("{half:.1}%")
            } else {
                format!("{half:.0}%")
            }
        }
        _ => "∞".to_string(),
    };
    format!("{} ± {spread}", duration_ns(s.median))
}

fn p_cell(c: &Comparison) -> String {
    p_text(c.p_adjusted)
}

/// An adjusted p-value as the tables print it.
pub(crate) fn p_text(p: Option<f64>) -> String {
    match p {
        None => "–".into(),
        Some(p) if p < 0.001 => "<0.001".into(),
        Some(p) => format!("{p:.3}"),
    }
}

fn time_row(p: &PointComparison, c: &Comparison, verdict: String) -> Vec<String> {
    vec![
        p.point.clone(),
        time_cell(&c.base),
        time_cell(&c.head),
        c.change.to_string(),
        verdict,
        p_cell(c),
        format!("{}+{}", c.base.n, c.head.n),
    ]
}

fn time_table(report: &ComparisonReport, bold: bool) -> Table {
    let mut t = Table::new(&[
        "time/op",
        "base",
        "head",
        "change [95% CI]",
        "verdict",
        "p (Holm)",
        "n",
    ]);
    for p in &report.points {
        match &p.time {
            Some(c) => {
                let v = match c.verdict {
                    Verdict::Faster | Verdict::Slower if bold => format!("**{}**", c.verdict),
                    v => v.to_string(),
                };
                t.push(time_row(p, c, v));
            }
            None => t.push(vec![
                p.point.clone(),
                "–".into(),
                "–".into(),
                p.notes.join("; "),
                "–".into(),
                "–".into(),
                "–".into(),
            ]),
        }
    }
    if let Some(g) = &report.geomean {
        let mut row = vec![String::new(); 7];
        row[0] = "geomean".into();
        row[3] = crate::stats::format_change(g.change_pct, g.ci.as_ref());
        row[6] = format!("{} points", g.points);
        t.push(row);
    }
    t
}

/// One point's exact count of one metric, as the exact tables read it.
pub(crate) type ExactRow<'a> = (&'a str, Option<ExactComparison>);

fn exact_table(rows: &[ExactRow], metric: &ExactMetric) -> Table {
    let fmt = metric.fmt;
    let mut t = Table::new(&[metric.name, "base", "head", "change"]);
    for (point, e) in rows {
        let Some(e) = e else { continue };
        let side = |v: &crate::stats::ExactValue| {
            if v.varies() {
                format!("{} ({}–{}) ⚠", fmt(v.value), fmt(v.min), fmt(v.max))
            } else {
                fmt(v.value)
            }
        };
        let change = match (e.changed, e.change_pct) {
            (false, _) => "unchanged".to_string(),
            (true, Some(pct)) => format!("{}%", signed_1dp(pct)),
            (true, None) => format!("{:+} from 0", e.delta),
        };
        t.push(vec![
            point.to_string(),
            side(&e.base),
            side(&e.head),
            change,
        ]);
    }
    t
}

/// The allocs/op and B/op sections: a table each, or one line when no
/// point's count changed or varied; `rows` gives a point's metric.
pub(crate) fn exact_sections<'a>(
    rows: impl Fn(ExactKind) -> Vec<ExactRow<'a>>,
    markdown: bool,
    out: &mut String,
) {
    for m in &EXACT_METRICS {
        let rows = rows(m.kind);
        let _ = writeln!(out);
        match (all_unchanged(&rows), markdown) {
            (Some(line), false) => {
                let _ = writeln!(out, "{}: {line}", m.name);
            }
            (Some(line), true) => {
                let _ = writeln!(out, "**{}:** {line}", m.name);
            }
            (None, false) => exact_table(&rows, m).text(out),
            (None, true) => exact_table(&rows, m).markdown(&[false, true, true, false], out),
        }
    }
}

/// The note on ⚠, when any exact count varied between processes of one side.
pub(crate) fn varies_note(any_varies: bool) -> Option<String> {
    any_varies.then(|| {
        "⚠ marks exact counts that differ between processes of one run (the median stands for them)"
            .into()
    })
}

fn summary_line(report: &ComparisonReport) -> String {
    let c = report.counts;
    let rule = report.settings.rule;
    format!(
        "{} slower, {} faster, {} equivalent, {} inconclusive (noise band ±{}%; Holm-adjusted p < {} over {} comparisons; {:.0}% intervals)",
        c.slower,
        c.faster,
        c.equivalent,
        c.inconclusive,
        rule.noise_band_pct,
        rule.alpha,
        report.family,
        report.settings.confidence * 100.0
    )
}

fn changed_line(report: &ComparisonReport, code: bool) -> Option<String> {
    if report.changed.is_empty() {
        return None;
    }
    let q = if code { "`" } else { "" };
    let parts: Vec<String> = report
        .changed
        .iter()
        .map(|c| format!("{q}{}{q} {} → {}", c.axis, c.base, c.head))
        .collect();
    Some(parts.join(", "))
}

/// Warnings plus the engine's reasons for missing intervals or tests.
fn all_warnings(report: &ComparisonReport) -> Vec<String> {
    let mut w = report.warnings.clone();
    let mut guards: Vec<String> = report
        .points
        .iter()
        .filter_map(|p| p.time.as_ref())
        .flat_map(|c| c.notes.iter().map(ToString::to_string))
        .collect();
    guards.sort();
    guards.dedup();
    w.extend(guards);
    w.extend(varies_note(
        report
            .points
            .iter()
            .flat_map(|p| [p.allocs_per_op, p.bytes_per_op])
            .any(|e| e.is_some_and(|e| e.varies)),
    ));
    w
}

/// Aligned text for a terminal.
pub fn text(report: &ComparisonReport) -> String {
    let mut out = String::new();
    for (side, r) in [("base", &report.base), ("head", &report.head)] {
        let _ = writeln!(
            out,
            "{side}: {} (run {}, {} processes per point, load {:.2})",
            r.path, r.run_id, r.processes, r.load_average[0]
        );
    }
    if let Some(changed) = changed_line(report, false) {
        let _ = writeln!(out, "changed: {changed}");
    }
    let _ = writeln!(out);
    time_table(report, false).text(&mut out);
    exact_sections(|k| exact_rows(report, k), false, &mut out);
    let _ = writeln!(out, "\nverdicts: {}", summary_line(report));
    for w in all_warnings(report) {
        let _ = writeln!(out, "warning: {w}");
    }
    out
}

/// `unchanged at all 42 points` when no point's count changed or varied
/// between processes (a table of identical rows says nothing more).
fn all_unchanged(rows: &[ExactRow]) -> Option<String> {
    let values: Vec<&ExactComparison> = rows.iter().filter_map(|(_, e)| e.as_ref()).collect();
    let quiet = !values.is_empty() && values.iter().all(|e| !e.changed && !e.varies);
    quiet.then(|| format!("unchanged at all {} points", values.len()))
}

fn exact_rows(report: &ComparisonReport, kind: ExactKind) -> Vec<ExactRow<'_>> {
    report
        .points
        .iter()
        .map(|p| {
            let e = match kind {
                ExactKind::Allocs => p.allocs_per_op,
                ExactKind::Bytes => p.bytes_per_op,
            };
            (p.point.as_str(), e)
        })
        .collect()
}

/// Which exact count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ExactKind {
    Allocs,
    Bytes,
}

/// An exact count as the tables show it.
struct ExactMetric {
    name: &'static str,
    kind: ExactKind,
    fmt: fn(f64) -> String,
}

const EXACT_METRICS: [ExactMetric; 2] = [
    ExactMetric {
        name: "allocs/op",
        kind: ExactKind::Allocs,
        fmt: count,
    },
    ExactMetric {
        name: "B/op",
        kind: ExactKind::Bytes,
        fmt: bytes,
    },
];

/// Markdown for a pull request or a CI job summary.
pub fn markdown(report: &ComparisonReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## Comparison: {}\n", report.head.experiment);
    let _ = writeln!(
        out,
        "| | run | file | commit | CPU | load at start |\n|---|---|---|---|---|---|"
    );
    for (side, r) in [("base", &report.base), ("head", &report.head)] {
        let _ = writeln!(
            out,
            "| {side} | `{}` | `{}` | `{}` | {} ({} CPUs) | {:.2} |",
            r.run_id, r.path, r.git_commit, r.cpu_model, r.cores, r.load_average[0]
        );
    }
    let _ = writeln!(out);
    if let Some(changed) = changed_line(report, true) {
        let _ = writeln!(out, "**Changed between the runs:** {changed}.\n");
    }
    let _ = writeln!(out, "**Time:** {}.\n", summary_line(report));
    time_table(report, true).markdown(&[false, true, true, false, false, true, true], &mut out);
    exact_sections(|k| exact_rows(report, k), true, &mut out);
    let warnings = all_warnings(report);
    if !warnings.is_empty() {
        let _ = writeln!(out, "\n**Notes**\n");
        for w in warnings {
            let _ = writeln!(out, "- {w}");
        }
    }
    let _ = writeln!(
        out,
        "\nEach process is one value (the median of its samples). The change is the Hodges-Lehmann \
         estimate of the ratio of medians with its distribution-free interval; p is the Mann-Whitney \
         test's, Holm-adjusted over every time comparison above. *faster*/*slower*: significant and \
         beyond the noise band; *equivalent*: the whole interval inside the band. Allocations and \
         bytes per operation are exact counts: any change is real."
    );
    out
}
