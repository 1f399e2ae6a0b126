//! The report's charts and profiles sections: the SVG charts embedded,
//! and a table linking every point's profiling artifacts, with the heap
//! figures and each collector's overhead against the timed runs.

use crate::table::Table;
use std::fmt::Write as _;

use super::charts::Chart;
use super::escape::{md_cell, md_text, md_url};
use super::format::{bytes, duration_ns, ratio};
use super::Context;
use crate::protocol::{Pass, ProfileOutcome, ProfileRecord};

/// Heap charts embedded inline; the others are linked.
const EMBEDDED_HEAP_CHARTS: usize = 4;

/// `## Charts`: every chart as an image with its caption.
pub(super) fn charts_section(out: &mut String, charts: &[Chart]) {
    if charts.is_empty() {
        return;
    }
    let _ = writeln!(out, "## Charts\n");
    let mut heap = 0;
    let mut linked = Vec::new();
    for chart in charts {
        if chart.file.starts_with("charts/heap-") {
            heap += 1;
            if heap > EMBEDDED_HEAP_CHARTS {
                linked.push(format!(
                    "[{}]({})",
                    md_text(&chart.title),
                    md_url(&chart.file)
                ));
                continue;
            }
        }
        let _ = writeln!(
            out,
            "### {}\n\n![{}]({})\n\n{}\n",
            md_text(&chart.title),
            md_text(&chart.title),
            md_url(&chart.file),
            md_text(&chart.caption)
        );
    }
    if !linked.is_empty() {
        let _ = writeln!(out, "More heap charts: {}.\n", linked.join(", "));
    }
}

fn link(record: &ProfileRecord, file: &str, text: &str) -> Option<String> {
    let output = record.output()?;
    output
        .files
        .iter()
        .any(|f| f == file)
        .then(|| format!("[{text}]({})", md_url(&record.path(file))))
}

fn cell(parts: Vec<Option<String>>) -> String {
    let parts: Vec<String> = parts.into_iter().flatten().collect();
    if parts.is_empty() {
        "–".into()
    } else {
        parts.join(" · ")
    }
}

/// `## Profiles`: where profiles come from, and per point the links.
pub(super) fn profiles_section(out: &mut String, cx: &Context) {
    let results = cx.results;
    let profiling = &results.profiling;
    if profiling.records.is_empty() && profiling.notes.is_empty() {
        return;
    }
    let p = &results.plan.profile;
    let _ = writeln!(out, "## Profiles\n");
    let _ = writeln!(
        out,
        "Profiles come from separate profiling processes, one per point and kind, run after all the timed runs: \
         no timing in this report ran with a collector on. Each profiling process repeats the point's set-up \
         and warm-up, then runs the workload for {} with one collector on (the timeline records at most 3 \
         iterations). *Overhead* is the median time per operation in the profiling process divided by the \
         timed median (one process against {}: differences of a few percent are noise).\n",
        humantime::format_duration(p.duration),
        results.plan.measure.processes,
    );
    let _ = writeln!(
        out,
        "Open `cpu.pb.gz` with `go tool pprof -http=: cpu.pb.gz` (or `pprof -http=:`), `timeline.json` in \
         Perfetto (ui.perfetto.dev, *Open trace file*) or `chrome://tracing`; the SVG flame graphs open in a \
         browser (click to zoom). Diffs are against the baseline: red where the point spends a larger share.\n"
    );
    let mut table = Table::new(&[
        "point",
        "spans",
        "CPU",
        "timeline",
        "heap peak",
        "heap final",
        "diff vs baseline",
        "overhead",
    ]);
    let profiled = results
        .points
        .iter()
        .filter(|p| profiling.records.iter().any(|r| r.point == p.id));
    for point in profiled {
        let rec = |pass| profiling.record(point.id, pass);
        let spans = rec(Pass::Spans).map_or_else(
            || "–".into(),
            |r| {
                cell(vec![
                    link(r, "spans.svg", "svg"),
                    link(r, "spans.folded", "folded"),
                ])
            },
        );
        let cpu = rec(Pass::Cpu).map_or_else(
            || "–".into(),
            |r| {
                let samples = r
                    .output()
                    .and_then(|o| o.cpu_samples)
                    .map(|n| format!("{n} samples"));
                cell(vec![
                    link(r, "cpu.svg", "svg"),
                    link(r, "cpu.pb.gz", "pb.gz"),
                    link(r, "cpu.folded", "folded"),
                    samples,
                ])
            },
        );
        let timeline = rec(Pass::Timeline)
            .and_then(|r| link(r, "timeline.json", "json"))
            .unwrap_or_else(|| "–".into());
        let heap = rec(Pass::Heap)
            .and_then(|r| r.output())
            .and_then(|o| o.heap);
        let (peak, last) = match heap {
            Some(h) => (bytes(h.peak_live as f64), bytes(h.final_live as f64)),
            None => ("–".into(), "–".into()),
        };
        let diffs = cell(
            profiling
                .diffs
                .iter()
                .filter(|d| d.point == point.id)
                .map(|d| Some(format!("[{}]({})", d.pass.name(), md_url(&d.file))))
                .collect(),
        );
        let timed = cx.analysis.points[point.id].median_ns();
        let overhead = cell(
            Pass::ALL
                .iter()
                .filter_map(|&pass| rec(pass))
                .map(|r| {
                    r.output().map(|o| {
                        format!(
                            "{} {}",
                            r.pass.name(),
                            if timed.is_finite() && timed > 0.0 {
                                ratio(o.ns_per_op / timed)
                            } else {
                                duration_ns(o.ns_per_op)
                            }
                        )
                    })
                })
                .collect(),
        );
        let mark = if Some(point.id) == results.baseline {
            " (baseline)"
        } else {
            ""
        };
        table.push(vec![
            format!("{}{mark}", md_cell(&cx.label(point.id))),
            spans,
            cpu,
            timeline,
            peak,
            last,
            diffs,
            overhead,
        ]);
    }
    table.markdown(&[false, false, false, false, true, true, false, false], out);
    let _ = writeln!(out);
    for r in &profiling.records {
        if let ProfileOutcome::Failed { reason, .. } = &r.outcome {
            let _ = writeln!(
                out,
                "- **{} profile of {} failed**: {}",
                r.pass.name(),
                md_text(&cx.label(r.point)),
                md_text(reason)
            );
        }
        let empty_spans = r.pass == Pass::Spans
            && r.output()
                .is_some_and(|o| !o.files.iter().any(|f| f == "spans.svg"));
        if empty_spans {
            let _ = writeln!(
                out,
                "- Note: the spans profile of {} recorded no span (nothing reached the workload's span threshold), so it has no flame graph.",
                md_text(&cx.label(r.point))
            );
        }
    }
    for note in &profiling.notes {
        let _ = writeln!(out, "- Note: {note}");
    }
    let _ = writeln!(out);
}
