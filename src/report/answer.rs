//! The report's answer, first thing a reviewer reads: per parameter group
//! the fastest point, every point tied with it and the change against the
//! baseline; then, axis by axis, which value to pick, where the others
//! cost or gain and by how much; then how each setting scales with
//! threads. Every sentence formats a figure of the [`Analysis`]; none is
//! canned.

use crate::table::Table;
use std::fmt::Write as _;

use super::escape::{md_cell, md_text};
use super::format::{achieved, duration_ns, ratio};
use super::Context;
use crate::analysis::{
    ratio_of, AxisFinding, AxisKind, BaselineState, Contrast, Group, ValueFinding,
};
use crate::stats::Comparison;

/// Settings listed one by one up to this many; beyond, a count and the range.
const LISTED: usize = 3;
/// Parameter groups and scaling rows shown before the rest is summarised.
const MAX_ROWS: usize = 12;

/// `-75.5% [-75.9, -74.9], 4.08× [4.06, 4.12] — faster: p = … and the whole
/// interval … is beyond the ±1% band`: a change with its interval, the
/// speed-up it means and the verdict in the rule's own words.
pub(super) fn change(c: &Comparison) -> String {
    let level = c
        .change
        .ci
        .as_ref()
        .map(|ci| achieved(ci, None))
        .unwrap_or_default();
    let speed = match ratio_of(c) {
        Some(r) => format!(", {} [{}, {}]", ratio(r.estimate), ratio(r.lo), ratio(r.hi)),
        None => String::new(),
    };
    format!("{}{level}{speed} — {}", c.change, c.explain())
}

pub(super) fn section(out: &mut String, cx: &Context) {
    let a = cx.analysis;
    let _ = writeln!(out, "## Answer\n");
    if a.points.iter().all(|p| p.succeeded() == 0) {
        let _ = writeln!(out, "No point produced results: see *Checks* for why.\n");
        return;
    }
    for g in a.groups.iter().take(MAX_ROWS) {
        group(out, cx, g);
    }
    if a.groups.len() > MAX_ROWS {
        let _ = writeln!(
            out,
            "- … and {} more parameter sets; every point is in the table below and in `results.json`.",
            a.groups.len() - MAX_ROWS
        );
    }
    let _ = writeln!(out);
    if !a.axes.is_empty() {
        let _ = writeln!(out, "### Axis by axis\n");
        for f in &a.axes {
            axis(out, cx, f);
        }
        let _ = writeln!(out);
    }
    scaling(out, cx);
}

fn group(out: &mut String, cx: &Context, g: &Group) {
    let a = cx.analysis;
    let Some(fastest) = g.fastest else {
        let _ = writeln!(out, "- {}no point produced results.", params_prefix(g));
        return;
    };
    let f = &a.points[fastest];
    let _ = write!(
        out,
        "- {}Fastest: **{}** at {}/op",
        params_prefix(g),
        md_text(&cx.knob_label(fastest)),
        duration_ns(f.median_ns())
    );
    if let Some(ci) = f.time.as_ref().and_then(|t| t.ci) {
        let _ = write!(out, " [{}, {}]", duration_ns(ci.lo), duration_ns(ci.hi));
    }
    let beyond = cx.beyond_cpus(cx.results.points[fastest].threads);
    let _ = writeln!(
        out,
        "{}.",
        beyond.map(|n| format!(" — {n}")).unwrap_or_default()
    );
    if g.ties.is_empty() {
        if g.points
            .iter()
            .filter(|&&id| a.points[id].succeeded() > 0)
            .count()
            > 1
        {
            let _ = writeln!(out, "  Every other point is shown slower than it.");
        }
    } else {
        let tied: Vec<String> = g
            .ties
            .iter()
            .take(LISTED)
            .map(|(id, c)| format!("{} ({})", md_text(&cx.knob_label(*id)), c.change))
            .collect();
        let more = if g.ties.len() > LISTED {
            format!(
                "; and {} more (the table of all points, `results.json`)",
                g.ties.len() - LISTED
            )
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "  Not shown slower than it, so tied for fastest ({}): {}{more}.",
            g.ties.len(),
            tied.join("; ")
        );
    }
    match (g.baseline, g.baseline_state) {
        (Some(b), BaselineState::Measured) if b == fastest => {
            let _ = writeln!(out, "  It is the baseline.");
        }
        (Some(b), BaselineState::Measured) => {
            if let Some(c) = &a.points[fastest].vs_baseline {
                let _ = writeln!(
                    out,
                    "  Against the baseline **{}** ({}/op): {}.",
                    md_text(&cx.knob_label(b)),
                    duration_ns(a.points[b].median_ns()),
                    change(c)
                );
            }
            confirmation(out, cx, b, fastest);
        }
        (Some(b), _) => {
            let _ = writeln!(
                out,
                "  ⚠ The baseline **{}** failed in every process: nothing is compared with it.",
                md_text(&cx.knob_label(b))
            );
        }
        (None, _) => {
            let _ = writeln!(
                out,
                "  No point has the baseline's settings with these parameters."
            );
        }
    }
}

/// `Measured again in 10 of 10 fresh pairs …`: the pick against the baseline in the
/// pairs run after the rounds (`--confirm`), with why it could not be
/// judged when it could not.
fn confirmation(out: &mut String, cx: &Context, baseline: usize, pick: usize) {
    let Some(c) = cx.confirmed(baseline, pick) else {
        return;
    };
    let contended = match c.contended {
        0 => String::new(),
        n => format!(" ⚠ {n} of their processes were contended by the machine."),
    };
    let _ = match &c.comparison {
        Ok(cmp) => writeln!(
            out,
            "  Measured again in {} of {} fresh pairs (the pick and the baseline one after the other, each first in one of every two pairs; \
             the Hodges-Lehmann change of the per-pair ratios and the signed-rank test, a family of one): \
             {}, {}.{contended} The rounds chose the pick on the processes that measured it, which flatters it; \
             this is the figure to quote.",
            c.pairs,
            c.asked,
            cmp.change,
            cmp.explain()
        ),
        Err(why) => writeln!(
            out,
            "  ⚠ The confirmation in {} of {} fresh pairs could not be judged: {why}.",
            c.pairs, c.asked
        ),
    };
}

fn params_prefix(g: &Group) -> String {
    if g.params.is_empty() {
        String::new()
    } else {
        let p: Vec<String> = g
            .params
            .iter()
            .map(|(a, v)| md_text(&format!("{a}={v}")).into_owned())
            .collect();
        format!("At **{}**: ", p.join(" "))
    }
}

fn axis(out: &mut String, cx: &Context, f: &AxisFinding) {
    let (confounded, total) = cx.confounded_of(f);
    let lead = match f.kind {
        _ if confounded > 0 && confounded == total => format!(
            "- **{}**: no pick, every comparison is confounded.",
            md_text(&f.axis)
        ),
        AxisKind::Knob | AxisKind::Variant
            if f.settled && !f.front.as_ref().is_some_and(|fr| fr.trades()) =>
        {
            format!(
                "- **{}**: pick **{}** (no other value is shown faster than it across {}).",
                md_text(&f.axis),
                md_text(&f.pick),
                plural(
                    f.settings,
                    "setting of the other axes",
                    "settings of the other axes"
                )
            )
        }
        AxisKind::Knob | AxisKind::Variant => format!(
            "- {}. Against **{}** (closest to the fastest across {}):",
            super::summary::axis_line(f),
            md_text(&f.pick),
            plural(
                f.settings,
                "setting of the other axes",
                "settings of the other axes"
            )
        ),
        AxisKind::Param => format!(
            "- **{}** (a workload parameter: other values may do other work), against {}:",
            md_text(&f.axis),
            md_text(&format!("{}={}", f.axis, f.pick))
        ),
    };
    let _ = write!(out, "{lead}");
    let parts: Vec<String> = f.others.iter().map(|v| value(cx, &f.axis, v)).collect();
    if parts.is_empty() {
        let _ = writeln!(out, " No other value could be compared with it.");
    } else {
        let _ = writeln!(out, " {}", parts.join(" "));
    }
}

/// `jemalloc: slower in 8 of 8 settings, by +6.6% to +10.4% (…)`; a
/// thread contrast whose points did not get their CPUs is counted as
/// confounded, not as a verdict.
fn value(cx: &Context, axis: &str, v: &ValueFinding) -> String {
    let total = v.slower.len() + v.faster.len() + v.tied.len();
    let answer = |c: &&Contrast| cx.confounded(c.base, c.head).is_none();
    let confounded = total
        - [&v.slower, &v.faster, &v.tied]
            .iter()
            .map(|cs| cs.iter().filter(answer).count())
            .sum::<usize>();
    let keep = |cs: &[Contrast]| -> Vec<Contrast> { cs.iter().filter(answer).cloned().collect() };
    let v = &ValueFinding {
        value: v.value.clone(),
        slower: keep(&v.slower),
        faster: keep(&v.faster),
        tied: keep(&v.tied),
    };
    let mut parts = Vec::new();
    if confounded > 0 {
        parts.push(format!(
            "⚠ confounded in {confounded} of {total} (the CPUs its threads could use were not delivered)"
        ));
    }
    if !v.slower.is_empty() {
        parts.push(format!(
            "slower in {} of {total} {}",
            v.slower.len(),
            contrasts(&v.slower)
        ));
    }
    if !v.faster.is_empty() {
        parts.push(format!(
            "faster in {} of {total} {}",
            v.faster.len(),
            contrasts(&v.faster)
        ));
    }
    if !v.tied.is_empty() {
        let what = if v.slower.is_empty() && v.faster.is_empty() {
            format!("tied in all {total} settings")
        } else {
            format!("tied in {}", v.tied.len())
        };
        parts.push(what);
    }
    format!(
        "{}: {}.",
        md_text(&format!("{}={}", axis, v.value)),
        parts.join("; ")
    )
}

/// The settings of `cs` with their changes: each listed when few, else the
/// range of the estimates and the one furthest from zero.
fn contrasts(cs: &[Contrast]) -> String {
    let label = |c: &Contrast| {
        let s: Vec<String> = c.setting.iter().map(|(a, v)| format!("{a}={v}")).collect();
        md_text(&s.join(" ")).into_owned()
    };
    if cs.len() <= LISTED {
        let listed: Vec<String> = cs
            .iter()
            .map(|c| {
                format!("{} {}", label(c), c.comparison.change)
                    .trim_start()
                    .to_string()
            })
            .collect();
        return format!("({})", listed.join("; "));
    }
    let pcts = cs.iter().map(|c| c.comparison.change.pct);
    let lo = pcts.clone().fold(f64::INFINITY, f64::min);
    let hi = pcts.fold(f64::NEG_INFINITY, f64::max);
    let largest = cs
        .iter()
        .max_by(|a, b| {
            a.comparison
                .change
                .pct
                .abs()
                .total_cmp(&b.comparison.change.pct.abs())
        })
        .expect("more than LISTED contrasts");
    format!(
        "settings, by {} to {} (largest at {}: {})",
        crate::stats::format_change(lo, None),
        crate::stats::format_change(hi, None),
        label(largest),
        largest.comparison.change
    )
}

/// Speed-up and parallel efficiency of each setting against its own
/// fewest-threads run, and the settings that more threads slow down.
fn scaling(out: &mut String, cx: &Context) {
    let a = cx.analysis;
    if a.scaling.is_empty() {
        return;
    }
    let mut counts: Vec<usize> = a
        .scaling
        .iter()
        .flat_map(|s| s.steps.iter().map(|t| t.threads))
        .collect();
    counts.sort_unstable();
    counts.dedup();
    let _ = writeln!(out, "### Threads\n");
    let slowed: Vec<String> = a
        .scaling
        .iter()
        .filter_map(|s| {
            let worse: Vec<String> = s
                .steps
                .iter()
                .filter(|t| t.comparison.verdict == crate::stats::Verdict::Slower)
                .filter(|t| cx.confounded(s.base, t.point).is_none())
                .map(|t| format!("{} threads {}", t.threads, t.comparison.change))
                .collect();
            (!worse.is_empty())
                .then(|| format!("{} ({})", md_text(&setting(&s.setting)), worse.join(", ")))
        })
        .collect();
    if slowed.is_empty() {
        let _ = writeln!(
            out,
            "No setting is shown slower with more threads than with {}.\n",
            a.scaling[0].base_threads
        );
    } else {
        let more = slowed.len().saturating_sub(LISTED);
        let _ = writeln!(
            out,
            "More threads make {} **slower** than their own {}-thread run: {}{}.\n",
            if more > 0 {
                format!("{} settings", slowed.len())
            } else {
                "these".into()
            },
            a.scaling[0].base_threads,
            slowed[..slowed.len().min(LISTED)].join("; "),
            if more > 0 {
                format!("; and {more} more (the table below)")
            } else {
                String::new()
            }
        );
    }
    let _ = writeln!(
        out,
        "Speed-up over the same setting's fewest-threads run (time ÷ time, with its {:.0}% interval), parallel efficiency (speed-up ÷ thread ratio) and verdict; one family of {} declared steps (Bonferroni). A step whose processes did not get the CPUs their threads could use reads *confounded*, not a verdict.\n",
        a.settings.confidence * 100.0,
        a.families.scaling.size
    );
    let header: Vec<String> = counts.iter().map(|t| format!("{t} threads")).collect();
    let mut headers = vec!["setting"];
    headers.extend(header.iter().map(String::as_str));
    let mut table = Table::new(&headers);
    for s in a.scaling.iter().take(MAX_ROWS * 2) {
        let cells: Vec<String> = counts
            .iter()
            .map(|t| match s.steps.iter().find(|x| x.threads == *t) {
                Some(step) if cx.confounded(s.base, step.point).is_some() => format!(
                    "{} ⚠ confounded: {}",
                    step.speedup.map(|r| ratio(r.estimate)).unwrap_or_default(),
                    cx.confounded(s.base, step.point).unwrap_or_default()
                ),
                Some(step) => match (step.speedup, step.efficiency) {
                    (Some(r), Some(e)) => format!(
                        "{} [{}, {}], eff. {:.2} [{:.2}, {:.2}] {}",
                        ratio(r.estimate),
                        ratio(r.lo),
                        ratio(r.hi),
                        e.estimate,
                        e.lo,
                        e.hi,
                        step.comparison.verdict
                    ),
                    _ => format!("{} {}", step.comparison.change, step.comparison.verdict),
                },
                None => "–".into(),
            })
            .collect();
        let mut row = vec![md_cell(&setting(&s.setting)).into_owned()];
        row.extend(cells);
        table.push(row);
    }
    table.markdown(&vec![false; counts.len() + 1], out);
    if a.scaling.len() > MAX_ROWS * 2 {
        let _ = writeln!(
            out,
            "\n{} more settings are in `results.json`.",
            a.scaling.len() - MAX_ROWS * 2
        );
    }
    let _ = writeln!(out);
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

fn setting(s: &[(String, String)]) -> String {
    if s.is_empty() {
        "(all)".into()
    } else {
        s.iter()
            .map(|(a, v)| format!("{a}={v}"))
            .collect::<Vec<_>>()
            .join(" ")
    }
}
