//! The report's first section, one screen a reviewer signs: at most
//! [`MAX_LINES`] lines of at most [`MAX_COLUMNS`] columns. The pick of
//! each parameter set with its change against the baseline, each axis's
//! pick — or what it depends on, or the time × memory trade — the
//! lessons' verdicts counted, the smallest change this run could detect,
//! and what the machine delivered. Every figure is the [`Analysis`]'s or
//! `analysis::delivered`'s; longer lists are cut with "…" and point to the
//! sections below.

use std::fmt::Write as _;

use super::escape::md_text;
use super::format::{bytes, duration_ns};
use super::Context;
use crate::analysis::delivered::PointDelivered;
use crate::analysis::{AxisFinding, AxisKind, BaselineState, Judgement};

/// The most lines the section may take, its heading included.
pub(crate) const MAX_LINES: usize = 40;
/// The widest line the section may print, in characters.
pub(crate) const MAX_COLUMNS: usize = 160;
/// Parameter sets listed one line each before the rest are counted.
const LISTED_SETS: usize = 6;
/// Axes listed one line each before the rest are counted.
const LISTED_AXES: usize = 8;

pub(super) fn section(out: &mut String, cx: &Context) {
    let mut lines: Vec<String> = vec!["## Summary".into(), String::new()];
    let a = cx.analysis;
    if a.points.iter().all(|p| p.succeeded() == 0) {
        lines.push("No point produced results: see *Checks* for why.".into());
    } else {
        picks(&mut lines, cx);
        axes(&mut lines, cx);
        lessons(&mut lines, cx);
        detectable(&mut lines, cx);
    }
    machine(&mut lines, cx);
    lines.push(String::new());
    lines.push(format!(
        "Verdicts are *faster*, *slower*, *equivalent* or *not shown*; every change's interval is {:.0}% for its family (see *How to read*).",
        a.settings.confidence * 100.0
    ));
    lines.truncate(MAX_LINES - 1);
    for line in lines {
        let _ = writeln!(out, "{}", fit(&line));
    }
    let _ = writeln!(out);
}

/// `line` cut to [`MAX_COLUMNS`] characters, ending in "…" when cut.
pub(crate) fn fit(line: &str) -> String {
    if line.chars().count() <= MAX_COLUMNS {
        return line.to_string();
    }
    let mut cut: String = line.chars().take(MAX_COLUMNS - 1).collect();
    // Never leave a bold or code span open.
    if cut.matches("**").count() % 2 == 1 {
        cut.truncate(cut.rfind("**").unwrap_or(cut.len()));
    }
    if cut.matches('`').count() % 2 == 1 {
        cut.truncate(cut.rfind('`').unwrap_or(cut.len()));
    }
    format!("{}…", cut.trim_end())
}

/// One line per parameter set: its pick, with the change against the baseline.
fn picks(lines: &mut Vec<String>, cx: &Context) {
    let a = cx.analysis;
    for g in a.groups.iter().take(LISTED_SETS) {
        let Some(fastest) = g.fastest else { continue };
        let prefix = if g.params.is_empty() {
            String::new()
        } else {
            let p: Vec<String> = g.params.iter().map(|(a, v)| format!("{a}={v}")).collect();
            format!("at {}, ", md_text(&p.join(" ")))
        };
        let tied = if g.ties.is_empty() {
            String::new()
        } else {
            format!(" ({} tied with it)", g.ties.len())
        };
        let name = md_text(&cx.knob_label(fastest)).into_owned();
        let time = duration_ns(a.points[fastest].median_ns());
        let head = format!(
            "- Fastest {prefix}**{}**{tied} at {time}/op",
            name_or_all(&name)
        );
        let fresh = g
            .baseline
            .and_then(|b| cx.confirmed(b, fastest))
            .and_then(|c| Some((c.pairs, c.comparison.as_ref().ok()?)));
        let vs_baseline = &a.points[fastest].vs_baseline;
        // The change against the baseline: after the time, or on a line
        // of its own (the confirmation always, as the headline; the
        // rounds' change when the line would be cut).
        let own_line = "; against the baseline:".to_string();
        let (inline, below) = match (g.baseline, g.baseline_state, vs_baseline, fresh) {
            (Some(b), BaselineState::Measured, _, _) if b == fastest => {
                (" — the baseline itself".to_string(), None)
            }
            (Some(b), BaselineState::Measured, Some(c), Some((pairs, cmp))) => (
                own_line,
                Some(format!(
                    "**{} {}** in {pairs} fresh pairs run after the rounds (the rounds that chose it: {:+.1}%){}",
                    cmp.change,
                    cmp.verdict,
                    c.change.pct,
                    cx.confounded_note(b, fastest)
                )),
            ),
            (Some(b), BaselineState::Measured, Some(c), None) => {
                let note = cx.confounded_note(b, fastest);
                let inline = format!(": {} against the baseline, **{}**{note}", c.change, c.verdict);
                if head.chars().count() + inline.chars().count() < MAX_COLUMNS {
                    (inline, None)
                } else {
                    (own_line, Some(format!("{}, **{}**{note}", c.change, c.verdict)))
                }
            }
            (Some(_), ..) => (": its baseline failed".into(), None),
            _ => (String::new(), None),
        };
        match below {
            Some(below) => lines.extend([format!("{head}{inline}"), format!("  {below}.")]),
            None => lines.push(format!("{head}{inline}.")),
        }
        lines.extend(
            cx.beyond_cpus(cx.results.points[fastest].threads)
                .map(|note| format!("  {note}.")),
        );
    }
    if a.groups.len() > LISTED_SETS {
        lines.push(format!(
            "- … and {} more parameter sets (*Answer* below, `results.json`).",
            a.groups.len() - LISTED_SETS
        ));
    }
}

fn name_or_all(name: &str) -> &str {
    if name.is_empty() {
        "the one point"
    } else {
        name
    }
}

/// One line per knob or variant axis: its pick, what the pick depends on,
/// or the time × memory trade.
fn axes(lines: &mut Vec<String>, cx: &Context) {
    let shown: Vec<&AxisFinding> = cx
        .analysis
        .axes
        .iter()
        .filter(|f| f.kind != AxisKind::Param)
        .collect();
    if shown.is_empty() {
        return;
    }
    lines.push("- Picks by axis (a value is the pick only where no other value is shown faster at any setting):".into());
    for f in shown.iter().take(LISTED_AXES) {
        let (confounded, total) = cx.confounded_of(f);
        if confounded > 0 && confounded == total {
            lines.push(format!(
                "  - {}: no pick — ⚠ all {total} comparisons *confounded* (threads not given their CPUs)",
                md_text(&f.axis)
            ));
            continue;
        }
        let (line, memory) = axis_lines(f);
        let beyond = match f.pick.parse() {
            Ok(threads) if f.axis == "threads" && f.settled => cx.beyond_cpus(threads),
            _ => None,
        };
        let beyond = match confounded {
            0 => beyond.map(|note| format!(" — {note}")).unwrap_or_default(),
            n => format!(" — ⚠ {n} of {total} comparisons *confounded*"),
        };
        lines.push(format!("  - {line}{beyond}"));
        lines.extend(memory.map(|m| format!("    {m}")));
    }
    if shown.len() > LISTED_AXES {
        lines.push(format!(
            "  - … and {} more axes (*Axis by axis* below).",
            shown.len() - LISTED_AXES
        ));
    }
}

/// `variant: **std** (4 settings)`, `variant: depends — par_sort at
/// distinct=1000; hash at distinct=100000`, or the Pareto front.
pub(crate) fn axis_line(f: &AxisFinding) -> String {
    match axis_lines(f) {
        (line, Some(memory)) => format!("{line} {memory}"),
        (line, None) => line,
    }
}

/// The axis's line and, where memory trades against time, a second line
/// with the trade.
fn axis_lines(f: &AxisFinding) -> (String, Option<String>) {
    let axis = md_text(&f.axis).into_owned();
    let time = if f.settled {
        format!(
            "**{}** by time (none shown faster in {} setting{})",
            md_text(&f.pick),
            f.settings,
            if f.settings == 1 { "" } else { "s" }
        )
    } else {
        depends(f)
    };
    match f.front.as_ref().filter(|fr| fr.trades()) {
        Some(front) => (
            format!("{axis}: {time}; slower values hold less memory:"),
            Some(trades(&f.axis, front)),
        ),
        None => (format!("{axis}: {time}"), None),
    }
}

/// `depends on the setting — par_sort at distinct=1000; hash at distinct=100000`.
fn depends(f: &AxisFinding) -> String {
    let mut by_value: Vec<(String, Vec<String>)> = Vec::new();
    for (setting, value) in &f.by_setting {
        let label = setting_label(setting);
        match by_value.iter_mut().find(|(v, _)| v == value) {
            Some((_, s)) => s.push(label),
            None => by_value.push((value.clone(), vec![label])),
        }
    }
    let parts: Vec<String> = by_value
        .iter()
        .map(|(v, settings)| {
            let at = if settings.len() <= 2 {
                settings.join(", ")
            } else {
                format!("{} settings, e.g. {}", settings.len(), settings[0])
            };
            format!("**{}** at {}", md_text(v), md_text(&at))
        })
        .collect();
    format!("depends on the setting — {}", parts.join("; "))
}

fn setting_label(setting: &[(String, String)]) -> String {
    if setting.is_empty() {
        "(all)".to_string()
    } else {
        setting
            .iter()
            .map(|(a, v)| format!("{a}={v}"))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// `peak RSS at variant=v3: off 76.7 MiB; 100 20.1 MiB (and 6 more settings)`:
/// the first trading settings, the fastest value first.
fn trades(axis: &str, front: &crate::analysis::Front) -> String {
    let trading: Vec<_> = front.settings.iter().filter(|(_, f)| f.len() > 1).collect();
    let parts: Vec<String> = trading
        .iter()
        .take(2)
        .map(|(setting, cells)| {
            let cells: Vec<String> = cells
                .iter()
                .map(|(v, _, m)| format!("{} {}", md_text(&format!("{axis}={v}")), bytes(*m)))
                .collect();
            let at = if setting.is_empty() {
                String::new()
            } else {
                format!(" at {}", md_text(&setting_label(setting)))
            };
            format!("{at}: {}", cells.join(", "))
        })
        .collect();
    let more = if trading.len() > 2 {
        format!(" (and {} more settings)", trading.len() - 2)
    } else {
        String::new()
    };
    format!("{}{}{more}", front.memory, parts.join(";"))
}

fn lessons(lines: &mut Vec<String>, cx: &Context) {
    let a = cx.analysis;
    let judged: Vec<_> = a.lessons.iter().filter(|f| !f.pairs.is_empty()).collect();
    if a.lessons.is_empty() {
        return;
    }
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for f in &judged {
        let word = f.overall().map_or("mixed", Judgement::name);
        match counts.iter_mut().find(|(w, _)| *w == word) {
            Some((_, n)) => *n += 1,
            None => counts.push((word, 1)),
        }
    }
    let listed: Vec<String> = counts.iter().map(|(w, n)| format!("{n} {w}")).collect();
    let unjudged = a.lessons.len() - judged.len();
    lines.push(format!(
        "- Lessons: {}{} (*Lessons* below).",
        if listed.is_empty() {
            "none judged".to_string()
        } else {
            listed.join(", ")
        },
        if unjudged > 0 {
            format!("; {unjudged} not judged in this matrix")
        } else {
            String::new()
        }
    ));
}

/// The smallest change against the baseline this run detects with 80% power.
fn detectable(lines: &mut Vec<String>, cx: &Context) {
    let a = cx.analysis;
    let found: Vec<f64> = a
        .groups
        .iter()
        .filter(|g| g.baseline_state == BaselineState::Measured)
        .filter_map(|g| g.detectable_pct)
        .collect();
    let Some(&first) = found.first() else {
        return;
    };
    let (lo, hi) = found
        .iter()
        .fold((first, first), |(lo, hi), &d| (lo.min(d), hi.max(d)));
    let size = if hi - lo < 0.05 {
        format!("{lo:.1}%")
    } else {
        format!("{lo:.1}%–{hi:.1}% (by parameter set)")
    };
    lines.push(format!(
        "- Smallest change against a baseline this run detects with 80% power: {}{size}; smaller true changes read *not shown*.",
        if lo > 10.0 { "⚠ " } else { "" }
    ));
}

/// What the machine delivered: contended processes and why, the CPUs the
/// processes of each thread count used, what others took.
fn machine(lines: &mut Vec<String>, cx: &Context) {
    let d = &cx.delivered;
    let recorded: usize = d.iter().map(|p| p.recorded).sum();
    if recorded == 0 {
        lines.push(
            "- Machine: no machine record (results of an older tuner): contention and the CPUs delivered are unknown.".into(),
        );
        return;
    }
    let contended: usize = d.iter().map(|p| p.contended).sum();
    let mut reasons: Vec<(&str, usize)> = Vec::new();
    for p in d {
        for (r, n) in &p.reasons {
            match reasons.iter_mut().find(|(w, _)| *w == r.describe()) {
                Some((_, m)) => *m += n,
                None => reasons.push((r.describe(), *n)),
            }
        }
    }
    let why = if reasons.is_empty() {
        String::new()
    } else {
        let r: Vec<String> = reasons.iter().map(|(w, n)| format!("{w} {n}")).collect();
        format!(" ({})", r.join(", "))
    };
    let others = crate::stats::median(&d.iter().filter_map(|p| p.others_share).collect::<Vec<_>>())
        .ok()
        .map(|s| {
            format!(
                "; other processes took a median {:.1}% of the CPUs",
                s * 100.0
            )
        })
        .unwrap_or_default();
    lines.push(format!(
        "- Machine: {contended} of {recorded} processes contended{why}{others}."
    ));
    lines.push(format!(
        "  CPUs used by the median process, by threads asked: {}.",
        cpus_by_threads(d)
    ));
    let confounded = d.iter().filter(|p| p.confounded.is_some()).count();
    if confounded > 0 {
        lines.push(format!(
            "  ⚠ {confounded} point(s) did not get the CPUs their threads could use: their thread comparisons read *confounded*."
        ));
    }
}

/// `1 thread 0.99; 2 threads 1.55–1.95; 8 threads 1.98`.
fn cpus_by_threads(d: &[PointDelivered]) -> String {
    let mut threads: Vec<usize> = d
        .iter()
        .filter(|p| p.recorded > 0)
        .map(|p| p.threads)
        .collect();
    threads.sort_unstable();
    threads.dedup();
    threads
        .iter()
        .map(|&t| {
            let used: Vec<f64> = d
                .iter()
                .filter(|p| p.threads == t)
                .filter_map(|p| p.cpus_used)
                .collect();
            let lo = used.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = used.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let range = if used.is_empty() {
                "–".to_string()
            } else if hi - lo < 0.005 {
                format!("{lo:.2}")
            } else {
                format!("{lo:.2}–{hi:.2}")
            };
            format!("{t} thread{} {range}", if t == 1 { "" } else { "s" })
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use crate::analysis::Analysis;
    use crate::fixtures::delivered_window;
    use crate::results::Outcome;
    use crate::stats::CompareSettings;

    /// The rendered report of `r`, and its summary section.
    fn rendered(r: &crate::results::Results) -> (String, String) {
        let a = Analysis::of(r, &CompareSettings::default());
        let cx = super::super::Context::new(r, &a);
        let md = super::super::markdown::Report::new(&cx).render();
        let summary = md.split("## Summary").nth(1).unwrap();
        let summary = summary.split("\n## ").next().unwrap().to_string();
        (md, summary)
    }

    /// A pick whose line would be cut before its verdict gets its change
    /// against the baseline on a line of its own; a short one keeps it inline.
    #[test]
    fn a_long_pick_line_breaks_before_its_change_not_through_it() {
        let summary = |variant: &str| {
            let config = format!(
                "[experiment]\nname = \"x\"\n[command.variants]\nslow = [\"true\"]\n{variant} = [\"true\"]\n[measure]\nprocesses = 6\n"
            );
            let r =
                crate::fixtures::results_by(&config, |p| if p.id == 0 { 2e6 } else { 1e6 }, |_| 1);
            rendered(&r).1
        };
        let short = summary("fast");
        assert!(
            short.contains("**variant=fast** at 1.00 ms/op: -50.0% [-50.0, -50.0] against the baseline, **faster**."),
            "{short}"
        );
        let long = summary(&"fastvariant".repeat(7));
        assert!(
            long.contains(
                "at 1.00 ms/op; against the baseline:\n  -50.0% [-50.0, -50.0], **faster**."
            ),
            "{long}"
        );
        for line in long.lines() {
            assert!(line.chars().count() <= super::MAX_COLUMNS, "{line}");
        }
    }

    /// A pick with more threads than the machine's CPUs is flagged: its
    /// time is of threads sharing CPUs, not of a machine with one per thread.
    #[test]
    fn a_pick_with_more_threads_than_cpus_is_not_transferable() {
        let config = "[experiment]\nworkload = \"mergesort\"\n[params]\nvariant = \"v3\"\n[matrix]\nthreads = [1, 2, 8]\n[measure]\nprocesses = 6\n";
        let mut r = crate::fixtures::results_by(config, |p| 1e7 / p.threads as f64, |_| 1);
        let summary = |r: &crate::results::Results| rendered(r).1;
        r.environment.cores = 2;
        let two = summary(&r);
        let note = "⚠ 8 threads on 2 CPUs: not transferable to a bigger machine";
        assert!(two.contains("**threads=8** at 1.25 ms/op"), "{two}");
        assert_eq!(
            two.matches(note).count(),
            2,
            "the pick and the threads axis: {two}"
        );
        r.environment.cores = 8;
        assert!(!summary(&r).contains("not transferable"));
    }

    /// v3 on 1 and 2 threads; the 2-thread processes shared 2 CPUs with a
    /// neighbour loop (left 1.33 CPUs): the summary says so, and the
    /// thread step reads confounded, not a verdict.
    #[test]
    fn a_starved_two_thread_point_is_confounded_and_the_summary_says_what_the_machine_delivered() {
        let config = "[experiment]\nworkload = \"mergesort\"\n[params]\nvariant = \"v3\"\n[matrix]\nthreads = [1, 2]\n[measure]\nprocesses = 8\n";
        let mut r =
            crate::fixtures::results_by(config, |p| if p.threads == 2 { 6e6 } else { 1e7 }, |_| 1);
        let threads: Vec<usize> = r.points.iter().map(|p| p.threads).collect();
        for run in &mut r.runs {
            if let Outcome::Ok(o) = &mut run.outcome {
                o.machine = Some(Box::new(if threads[run.point] == 2 {
                    delivered_window(1333, 2000, 0, 2)
                } else {
                    delivered_window(1000, 1020, 0, 1)
                }));
            }
        }
        let (md, summary) = rendered(&r);
        assert!(
            summary
                .contains("- Machine: 8 of 16 processes contended (other processes' CPU time 8)"),
            "{summary}"
        );
        assert!(
            summary.contains("by threads asked: 1 thread 1.00; 2 threads 1.33."),
            "{summary}"
        );
        assert!(
            summary.contains("⚠ 1 point(s) did not get the CPUs"),
            "{summary}"
        );
        // No thread count is picked on confounded comparisons.
        assert!(
            summary.contains("  - threads: no pick — ⚠ all 1 comparisons *confounded*"),
            "{summary}"
        );
        let threads = md.split("### Threads").nth(1).unwrap();
        assert!(
            threads.contains(
                "⚠ confounded: 2 threads: it could use 2.0 CPUs; other processes left it 1.33"
            ),
            "{threads}"
        );
        assert!(threads.contains("No setting is shown slower"), "{threads}");
        for line in summary.lines() {
            assert!(line.chars().count() <= super::MAX_COLUMNS, "{line}");
        }
    }

    #[test]
    fn a_long_line_is_cut_without_leaving_bold_open() {
        let long = format!("- **{}**", "x".repeat(200));
        let cut = super::fit(&long);
        assert_eq!(cut, "-…");
        let plain = "y".repeat(170);
        assert_eq!(super::fit(&plain).chars().count(), super::MAX_COLUMNS);
    }
}
