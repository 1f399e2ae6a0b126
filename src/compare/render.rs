//! Rendering a [`ComparisonReport`]: aligned text columns in the manner of
//! benchstat for a terminal, a markdown table for pull requests and
//! `$GITHUB_STEP_SUMMARY`, or the report itself as JSON.

use std::fmt::Write as _;

use super::build::{ComparisonReport, PointComparison};
use super::matching::SettingChange;
use crate::stats::{signed_1dp, Comparison, ExactComparison, Summary, Verdict};
use crate::table::Table;
use crate::units::{bytes, count, duration_ns};

/// How `tuner compare` prints its findings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum OutputFormat {
    #[default]
    Text,
    Markdown,
    Json,
}

/// The report in `format`.
pub(crate) fn render(report: &ComparisonReport, format: OutputFormat) -> String {
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

/// A point with exact counts, as the exact tables read it.
pub(crate) trait ExactCounts {
    fn label(&self) -> &str;
    fn count(&self, kind: ExactKind) -> Option<ExactComparison>;
}

impl ExactCounts for PointComparison {
    fn label(&self) -> &str {
        &self.point
    }

    fn count(&self, kind: ExactKind) -> Option<ExactComparison> {
        match kind {
            ExactKind::Allocs => self.allocs_per_op,
            ExactKind::Bytes => self.bytes_per_op,
        }
    }
}

fn exact_table<P: ExactCounts>(points: &[P], metric: &ExactMetric) -> Table {
    let fmt = metric.fmt;
    let mut t = Table::new(&[metric.name, "base", "head", "change"]);
    for p in points {
        let Some(e) = p.count(metric.kind) else {
            continue;
        };
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
            p.label().to_string(),
            side(&e.base),
            side(&e.head),
            change,
        ]);
    }
    t
}

/// The allocs/op and B/op sections: a table each, or one line when no
/// point's count changed or varied.
fn exact_sections<P: ExactCounts>(points: &[P], markdown: bool, out: &mut String) {
    for m in &EXACT_METRICS {
        let _ = writeln!(out);
        match (all_unchanged(points, m.kind), markdown) {
            (Some(line), false) => {
                let _ = writeln!(out, "{}: {line}", m.name);
            }
            (Some(line), true) => {
                let _ = writeln!(out, "**{}:** {line}", m.name);
            }
            (None, false) => exact_table(points, m).text(out),
            (None, true) => exact_table(points, m).markdown(&[false, true, true, false], out),
        }
    }
}

fn summary_line(report: &ComparisonReport) -> String {
    let c = report.counts;
    let rule = report.settings.rule;
    format!(
        "{} slower, {} faster, {} equivalent, {} not shown (noise band ±{}%; Holm-adjusted p < {} over {} comparisons; {:.0}% intervals)",
        c.slower,
        c.faster,
        c.equivalent,
        c.not_shown,
        rule.noise_band_pct,
        rule.alpha,
        report.family,
        report.settings.confidence * 100.0
    )
}

/// The changed settings as one line, names in code quotes for markdown.
pub(crate) fn changed_line(changed: &[SettingChange], code: bool) -> Option<String> {
    if changed.is_empty() {
        return None;
    }
    let q = if code { "`" } else { "" };
    let parts: Vec<String> = changed
        .iter()
        .map(|c| format!("{q}{}{q} {} → {}", c.axis, c.base, c.head))
        .collect();
    Some(parts.join(", "))
}

/// The notes under a comparison: its warnings, then the engine's reasons
/// for missing intervals or tests (each once), then what ⚠ means when an
/// exact count varied between processes.
pub(crate) fn notes<P: ExactCounts>(
    warnings: &[String],
    guards: impl IntoIterator<Item = String>,
    points: &[P],
) -> Vec<String> {
    let mut w = warnings.to_vec();
    let mut guards: Vec<String> = guards.into_iter().collect();
    guards.sort();
    guards.dedup();
    w.extend(guards);
    let varies = points.iter().any(|p| {
        [ExactKind::Allocs, ExactKind::Bytes]
            .iter()
            .any(|&k| p.count(k).is_some_and(|e| e.varies))
    });
    if varies {
        w.push("⚠ marks exact counts that differ between processes of one run (the median stands for them)".into());
    }
    w
}

fn all_warnings(report: &ComparisonReport) -> Vec<String> {
    let guards = report
        .points
        .iter()
        .filter_map(|p| p.time.as_ref())
        .flat_map(|c| c.notes.iter().map(ToString::to_string));
    notes(&report.warnings, guards, &report.points)
}

/// A text rendering after its header lines: the time table, the exact
/// counts, the verdicts line and the notes.
pub(crate) fn text_body<P: ExactCounts>(
    table: &Table,
    points: &[P],
    summary: &str,
    notes: &[String],
    out: &mut String,
) {
    table.text(out);
    exact_sections(points, false, out);
    let _ = writeln!(out, "\nverdicts: {summary}");
    for w in notes {
        let _ = writeln!(out, "warning: {w}");
    }
}

/// A markdown rendering after its header: the verdicts line, the time
/// table (`right`: its right-aligned columns), the exact counts, the notes.
pub(crate) fn markdown_body<P: ExactCounts>(
    summary: &str,
    (table, right): (&Table, &[bool]),
    points: &[P],
    notes: &[String],
    out: &mut String,
) {
    let _ = writeln!(out, "**Time:** {summary}.\n");
    table.markdown(right, out);
    exact_sections(points, true, out);
    if !notes.is_empty() {
        let _ = writeln!(out, "\n**Notes**\n");
        for w in notes {
            let _ = writeln!(out, "- {w}");
        }
    }
}

/// Aligned text for a terminal.
pub(crate) fn text(report: &ComparisonReport) -> String {
    let mut out = String::new();
    for (side, r) in [("base", &report.base), ("head", &report.head)] {
        let _ = writeln!(
            out,
            "{side}: {} (run {}, {} processes per point, load {:.2})",
            r.path, r.run_id, r.processes, r.load_average[0]
        );
    }
    if let Some(changed) = changed_line(&report.changed, false) {
        let _ = writeln!(out, "changed: {changed}");
    }
    let _ = writeln!(out);
    let table = time_table(report, false);
    text_body(
        &table,
        &report.points,
        &summary_line(report),
        &all_warnings(report),
        &mut out,
    );
    out
}

/// `unchanged at all 42 points` when no point's count changed or varied
/// between processes (a table of identical rows says nothing more).
fn all_unchanged<P: ExactCounts>(points: &[P], kind: ExactKind) -> Option<String> {
    let values: Vec<ExactComparison> = points.iter().filter_map(|p| p.count(kind)).collect();
    let quiet = !values.is_empty() && values.iter().all(|e| !e.changed && !e.varies);
    quiet.then(|| format!("unchanged at all {} points", values.len()))
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
    if let Some(changed) = changed_line(&report.changed, true) {
        let _ = writeln!(out, "**Changed between the runs:** {changed}.\n");
    }
    let table = time_table(report, true);
    let right = [false, true, true, false, false, true, true];
    markdown_body(
        &summary_line(report),
        (&table, &right),
        &report.points,
        &all_warnings(report),
        &mut out,
    );
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
