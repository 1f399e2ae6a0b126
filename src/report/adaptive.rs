//! The "How the rounds went" section: how each point's run ended in an
//! adaptive run (decided at round N, raced out at round N with the
//! evidence, stopped as futile or at the budget), the processes used
//! against the fixed design, and the rounds run again because the
//! machine contended for them. Absent from reports of runs with neither.

use std::fmt::Write as _;

use super::Context;
use crate::results::{Ending, How};
use crate::stats::{Spending, Verdict};

/// Appends the section when the run was adaptive, re-ran a round or had
/// contended processes.
pub(super) fn section(out: &mut String, cx: &Context) {
    let r = cx.results;
    let contended = r.runs.iter().filter(|x| x.contended.is_some()).count();
    let reruns = r.rounds.as_ref().map_or(&[][..], |x| &x.reruns[..]);
    let adaptive = r.adaptive();
    if adaptive.is_none() && reruns.is_empty() && contended == 0 {
        return;
    }
    out.push_str("## How the rounds went\n\n");
    if let Some(a) = adaptive {
        let points = r.points.len();
        let used = r.runs.len();
        let grid = points * a.max_rounds as usize;
        let fixed = points * a.min_rounds as usize;
        let _ = writeln!(
            out,
            "An adaptive run: {} rounds at least, a look every {} after them, {} at most{}; \
             each comparison spends its α over the looks by {}. It used **{used} processes**: {:.0}% of the full grid's {grid} ({points} points × {}), \
             against {fixed} for a fixed design of {} rounds.\n",
            a.min_rounds,
            plural(a.look_every as usize, "round"),
            a.max_rounds,
            if a.racing {
                ", racing out points shown slower than their group's best"
            } else {
                ""
            },
            spending_rule(a.spending),
            100.0 * used as f64 / grid.max(1) as f64,
            a.max_rounds,
            a.min_rounds
        );
        if !a.endings.is_empty() {
            endings(out, cx, &a.endings);
        }
    }
    if contended > 0 || !reruns.is_empty() {
        let _ = writeln!(
            out,
            "The machine contended for {contended} of {} processes (others' CPU, steal, throttling \
             or run delay beyond the point's own threads; `docs/interference-calibration.md`).",
            r.runs.len()
        );
        for x in reruns {
            let _ = writeln!(
                out,
                "- Round {} ({} contended) was run again as round {}; the analysis uses the re-run.",
                x.round + 1,
                x.contended,
                x.by + 1
            );
        }
        let limit = r.rounds.as_ref().map_or(0, |x| x.rerun_limit);
        if limit == 0 {
            out.push_str(
                "- Re-runs were off (`--rerun-contended`): the contended processes are kept, marked in results.json.\n",
            );
        } else if reruns.len() as u32 >= limit && contended > 0 {
            let _ = writeln!(
                out,
                "- Re-runs allowed: {limit}, all used; later contended processes are kept, marked in results.json."
            );
        }
        out.push('\n');
    }
}

/// The table of endings, grouped by how they ended.
fn endings(out: &mut String, cx: &Context, endings: &[Ending]) {
    let order = [
        How::Raced,
        How::Decided,
        How::Futile,
        How::Budget,
        How::Stopped,
        How::Nothing,
    ];
    let mut table = crate::table::Table::new(&["point", "ended", "rounds", "evidence"]);
    for how in order {
        for e in endings.iter().filter(|e| e.how == how) {
            table.push(vec![
                cx.label(e.point),
                describe(how).to_string(),
                e.rounds.to_string(),
                evidence(cx, e),
            ]);
        }
    }
    let counts: Vec<String> = order
        .iter()
        .filter_map(|&how| {
            let n = endings.iter().filter(|e| e.how == how).count();
            (n > 0).then(|| format!("{n} {}", describe(how)))
        })
        .collect();
    let _ = writeln!(out, "Points: {}.\n", counts.join(", "));
    table.markdown(&[false, false, true, false], out);
    out.push('\n');
}

fn describe(how: How) -> &'static str {
    match how {
        How::Decided => "decided",
        How::Raced => "raced out",
        How::Futile => "futile",
        How::Budget => "at the budget",
        How::Stopped => "run stopped",
        How::Nothing => "nothing to decide",
    }
}

/// `slower than variant=std threads=1: +23.4% [+18.1, +29.0], z 5.10 ≥ 3.20`.
fn evidence(cx: &Context, e: &Ending) -> String {
    let Some(x) = &e.evidence else {
        return String::new();
    };
    let verdict = match x.verdict {
        Verdict::Faster => "faster than",
        Verdict::Slower => "slower than",
        Verdict::Equivalent => "equivalent to",
        _ => "not shown against",
    };
    let ci =
        x.ci.filter(|(lo, hi)| *hi < 1e6 && *lo > -100.0)
            .map_or(String::new(), |(lo, hi)| format!(" [{lo:+.1}, {hi:+.1}]"));
    format!(
        "{verdict} {}: {:+.1}%{ci}, z {:.2} (critical {:.2})",
        cx.label(x.against),
        x.pct,
        x.z.abs(),
        x.critical_z
    )
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        word.to_string()
    } else {
        format!("{n} {word}s")
    }
}

/// The spending function as the report names it.
fn spending_rule(s: Spending) -> &'static str {
    match s {
        Spending::OBrienFleming => "an O'Brien-Fleming-type function (strict at the first looks)",
        Spending::Pocock => "a Pocock-type function (evenly)",
    }
}
