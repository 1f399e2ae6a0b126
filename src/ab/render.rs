//! Rendering an [`AbReport`] as `tuner compare` renders its comparison
//! (aligned text, a markdown table for pull requests and the step
//! summary, or JSON), sharing its table and exact-count sections; the time
//! table has a pair count and the noise figures in place of process counts,
//! and the CPUs each point ran on. Where points were judged on different
//! figures (`--metric auto`), each row names its own.

use std::fmt::Write as _;

use super::analysis::{AbPoint, AbReport, SideInfo};
use crate::compare::{
    changed_line, markdown_body, notes, p_text, text_body, time_cell, ExactCounts, ExactKind,
    OutputFormat,
};
use crate::stats::ExactComparison;
use crate::stats::{format_change, Verdict};
use crate::table::Table;

/// The report in `format`.
pub(crate) fn render(report: &AbReport, format: OutputFormat) -> String {
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

const HEADER: [&str; 9] = [
    "",
    "base",
    "head",
    "change [95% CI]",
    "verdict",
    "p (Holm)",
    "pairs",
    "spread proc/pair",
    "CPUs",
];

fn time_table(report: &AbReport, bold: bool) -> Table {
    let mut header = HEADER;
    header[0] = report.metric.column();
    if report.looks.is_some() {
        header[5] = "z / bound";
    }
    let mut t = Table::new(&header);
    let mixed = report.metric == crate::ab::Metric::Auto;
    for p in &report.points {
        let mut row = time_row(p, bold);
        if mixed {
            row[0] = format!("{} ({})", row[0], p.metric.name());
        }
        t.push(row);
    }
    if let Some(g) = &report.geomean {
        let mut row = vec![String::new(); HEADER.len()];
        row[0] = "geomean".into();
        row[3] = format_change(g.change_pct, g.ci.as_ref());
        row[6] = format!("{} points", g.points);
        t.push(row);
    }
    t
}

fn time_row(p: &AbPoint, bold: bool) -> Vec<String> {
    let dash = || "–".to_string();
    let cpus = if p.cpus.is_empty() {
        dash()
    } else {
        p.cpus
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" · ")
    };
    let (Some(verdict), Some(change)) = (p.verdict(), p.change()) else {
        let mut row = vec![dash(); HEADER.len()];
        row[0] = p.point.clone();
        row[3] = p.notes.join("; ");
        row[8] = cpus;
        return row;
    };
    let verdict = match verdict {
        Verdict::Faster | Verdict::Slower if bold => format!("**{verdict}**"),
        v => v.to_string(),
    };
    let test = match (&p.time, &p.stop) {
        (Some(c), _) => p_text(c.p_adjusted),
        (None, Some(s)) => format!(
            "{:.2} / {:.2} (look {}/{})",
            s.look.z.abs(),
            s.look.critical_z,
            s.look.look + 1,
            s.of
        ),
        (None, None) => dash(),
    };
    let spread = p.noise.map_or_else(dash, |n| {
        format!("{:.1}% / {:.1}%", n.process_pct, n.pair_pct)
    });
    vec![
        p.point.clone(),
        p.base.as_ref().map_or_else(dash, time_cell),
        p.head.as_ref().map_or_else(dash, time_cell),
        change.to_string(),
        verdict,
        test,
        p.pairs().to_string(),
        spread,
        cpus,
    ]
}

impl ExactCounts for AbPoint {
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

fn summary_line(report: &AbReport) -> String {
    let c = report.counts;
    let rule = report.settings.rule;
    let method = match &report.looks {
        None => format!(
            "Holm-adjusted p < {} over {} comparisons; {:.0}% intervals",
            rule.alpha,
            report.family,
            report.settings.confidence * 100.0
        ),
        Some(looks) => format!(
            "sequential: looks at {} pairs, α {} split over {} points (Pocock spending); repeated intervals",
            looks.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
            rule.alpha,
            report.points.len()
        ),
    };
    format!(
        "{} slower, {} faster, {} equivalent, {} not shown (noise band ±{}%; {method})",
        c.slower, c.faster, c.equivalent, c.not_shown, rule.noise_band_pct,
    )
}

fn side_line(s: &SideInfo) -> String {
    let settings = if s.settings.is_empty() {
        String::new()
    } else {
        format!(", {}", s.settings.join(" "))
    };
    format!("{} (binary {}{settings})", s.path, s.digest)
}

fn gate_line(report: &AbReport) -> String {
    format!(
        "{} of {} pairs in {:.1} s; layout {}; load {:.2} at start",
        report.pairs, report.planned, report.wall_s, report.layout, report.load_average[0]
    )
}

/// Warnings plus the engine's reasons for missing intervals, tests or looks.
fn all_warnings(report: &AbReport) -> Vec<String> {
    let guards = report
        .points
        .iter()
        .filter_map(|p| p.time.as_ref())
        .flat_map(|c| c.notes.iter().map(ToString::to_string))
        .chain(
            report
                .points
                .iter()
                .filter(|p| p.verdict().is_some())
                .flat_map(|p| p.notes.clone()),
        );
    notes(&report.warnings, guards, &report.points)
}

/// Aligned text for a terminal.
pub(crate) fn text(report: &AbReport) -> String {
    let mut out = String::new();
    for s in [&report.base, &report.head] {
        let _ = writeln!(out, "{}: {}", s.build, side_line(s));
    }
    if let Some(changed) = changed_line(&report.changed, false) {
        let _ = writeln!(out, "changed: {changed}");
    }
    let _ = writeln!(out, "gate: {}", gate_line(report));
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

/// Markdown for a pull request or a CI job summary.
pub(crate) fn markdown(report: &AbReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## Paired A/B: {}\n", report.experiment);
    let mut sides = Table::new(&["", "build", "binary", "settings"]);
    for s in [&report.base, &report.head] {
        sides.push(vec![
            s.build.to_string(),
            format!("`{}`", s.path),
            format!("`{}`", s.digest),
            s.settings
                .iter()
                .map(|x| format!("`{x}`"))
                .collect::<Vec<_>>()
                .join(" "),
        ]);
    }
    sides.markdown(&[false; 4], &mut out);
    let _ = writeln!(out);
    if let Some(changed) = changed_line(&report.changed, true) {
        let _ = writeln!(out, "**Changed between the builds:** {changed}.\n");
    }
    let _ = writeln!(out, "**Gate:** {}.\n", gate_line(report));
    let table = time_table(report, true);
    let right = [false, true, true, false, false, true, true, true, false];
    markdown_body(
        &summary_line(report),
        (&table, &right),
        &report.points,
        &all_warnings(report),
        &mut out,
    );
    let _ = writeln!(
        out,
        "\nEvery point ran under both builds in adjacent pairs (which build went first balanced and \
         random, pairs interleaved and shuffled across points), one process each; each process is \
         one value, the median of its samples. The change is the Hodges-Lehmann estimate of the \
         per-pair ratios head/base with its distribution-free interval; the test is the Wilcoxon \
         signed-rank test on the log ratios: with a p Holm-adjusted over the points, or, in a \
         sequential gate, its z against the look's bound (α split over the points) with a \
         repeated interval. *faster*/*slower*: significant and beyond the noise band; \
         *equivalent*: the whole interval inside the band. \
         Spread: robust SD between one build's processes / between the pairs' ratios. CPUs: the \
         CPUs the point's processes were allowed to run on (`--pin`: as many as its threads). \
         Allocations and bytes per operation are exact counts: any change is real."
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ab::sequential::Stopping;
    use crate::ab::testing::{drifting, gate, header, TWO_POINTS};
    use crate::ab::{analyse, Metric};
    use crate::stats::CompareSettings;

    fn report(stopping: Option<Stopping>) -> AbReport {
        let mut h = header(TWO_POINTS, &["allocator=mimalloc"]);
        h.design.stopping = stopping;
        let run = gate(h, &[drifting(12, 100.0, 1.0), drifting(12, 200.0, 1.02)]);
        let mut settings = CompareSettings::default();
        settings.rule.noise_band_pct = 0.5;
        analyse(&run, &settings, Metric::Auto)
    }

    #[test]
    fn text_shows_sides_rows_exact_counts_and_verdicts() {
        let text = text(&report(None));
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[0].starts_with("base: /") && lines[0].contains("(binary "),
            "{}",
            lines[0]
        );
        assert!(lines[1].ends_with(", allocator=mimalloc)"), "{}", lines[1]);
        assert_eq!(lines[2], "changed: allocator system → mimalloc");
        assert!(lines[3].starts_with("gate: 24 of 24 pairs in 1.5 s; layout paired (ASLR off)"));
        let header = lines[5];
        assert!(
            header.starts_with("cpu/op") && header.contains("p (Holm)"),
            "{header}"
        );
        let slow = lines.iter().find(|l| l.starts_with("steps=200")).unwrap();
        assert!(
            slow.contains("+2.0% [") && slow.contains(" slower ") && slow.contains(" 12 "),
            "{slow}"
        );
        assert!(lines
            .iter()
            .any(|l| l.starts_with("geomean") && l.contains("2 points")));
        assert!(text.contains("\nallocs/op: unchanged at all 2 points\n"));
        assert!(text.contains(
            "verdicts: 1 slower, 0 faster, 1 equivalent, 0 not shown (noise band ±0.5%; \
             Holm-adjusted p < 0.05 over 2 comparisons; 95% intervals)"
        ));
    }

    #[test]
    fn a_sequential_gate_shows_its_looks() {
        let r = report(Stopping::new(6, 12, 2, 0.05));
        let md = markdown(&r);
        assert!(md.starts_with("## Paired A/B: gate\n"));
        assert!(
            md.contains("| cpu/op | base | head | change [95% CI] | verdict | z / bound | pairs |")
        );
        assert!(md.contains("**slower**"));
        assert!(md.contains("(look 2/2)"), "{md}");
        assert!(md.contains("sequential: looks at 6, 12 pairs, α 0.05 split over 2 points"));
        let json: serde_json::Value =
            serde_json::from_str(&render(&r, OutputFormat::Json)).unwrap();
        assert_eq!(json["points"][1]["stop"]["look"]["verdict"], "Slower");
    }
}
