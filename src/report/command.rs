//! What a report says differently when the workload is an external
//! command: how each process ran it, which library each allocator
//! preloaded, where the allocator axis had no effect (and so draws no
//! verdict), that the thread variables cannot be checked from outside,
//! and whether stdout was compared.

use crate::table::Table;
use std::fmt::Write as _;

use super::escape::{md_cell, md_code, md_text};
use super::format::duration_ns;
use super::Context;
use crate::analysis::{CommandChecks, ProgramCheck};
use crate::config::{CommandPlan, Metrics};

fn plan_and_checks<'a>(cx: &'a Context) -> Option<(&'a CommandPlan, &'a CommandChecks)> {
    Some((
        cx.results.plan.command.as_ref()?,
        cx.analysis.checks.command.as_ref()?,
    ))
}

/// The run line of a command's report; `false` for tuner's own workloads.
pub(super) fn header(out: &mut String, cx: &Context) -> bool {
    let Some((plan, _)) = plan_and_checks(cx) else {
        return false;
    };
    let r = cx.results;
    let m = &r.plan.measure;
    let mut argvs: Vec<String> = Vec::new();
    for v in &plan.variants {
        let shown = md_code(&plan.shown(&v.name));
        if !argvs.contains(&shown) {
            argvs.push(shown);
        }
    }
    let warmup = match plan.warmup {
        0 => String::new(),
        1 => " after 1 untimed execution".into(),
        n => format!(" after {n} untimed executions"),
    };
    let samples = match plan.metrics {
        Metrics::Wall => format!(
            "each process times one execution of the command, spawn to exit{warmup}"
        ),
        Metrics::Gobench => format!(
            "each process runs the command once{warmup} and its Go benchmark result lines are the samples"
        ),
    };
    let wall: f64 = r.runs.iter().map(|x| x.wall_ms).sum::<f64>() / 1e3;
    let _ = writeln!(
        out,
        "Run {} of {} (command {}, in {}): {} points × {} processes; {samples}; {} processes in {:.0} s, \
         order shuffled with seed {}.\n",
        md_code(&r.run_id),
        md_code(&r.config_path),
        argvs.join(", "),
        md_code(&plan.cwd.display().to_string()),
        r.points.len(),
        m.processes,
        r.runs.len(),
        wall,
        m.seed,
    );
    true
}

/// Says where the allocator axis had no effect, right after the answer.
pub(super) fn allocator_note(out: &mut String, cx: &Context) {
    let Some((_, checks)) = plan_and_checks(cx) else {
        return;
    };
    if checks.preloads.is_empty() {
        return;
    }
    let inert = programs(&checks.programs, |p| p.preload_reaches == Some(false));
    if inert.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "**The allocator axis had no effect** where no preloaded library can reach the program: {}. \
         There its allocator values ran the same program again, so the report draws no allocator verdict for them.\n",
        inert.join("; ")
    );
}

/// `` `./prog` (variants a, b) is … ``: each program once, with the
/// variants that run it.
fn programs(all: &[ProgramCheck], keep: impl Fn(&ProgramCheck) -> bool) -> Vec<String> {
    let mut seen: Vec<(&ProgramCheck, Vec<&str>)> = Vec::new();
    for p in all.iter().filter(|p| keep(p)) {
        match seen
            .iter_mut()
            .find(|(q, _)| q.program == p.program && q.why == p.why)
        {
            Some((_, variants)) => variants.push(&p.variant),
            None => seen.push((p, vec![&p.variant])),
        }
    }
    seen.into_iter()
        .map(|(p, variants)| {
            let noun = if variants.len() == 1 {
                "variant"
            } else {
                "variants"
            };
            format!(
                "{} ({noun} {}) is {}",
                md_code(&p.program),
                md_text(&variants.join(", ")),
                p.why
            )
        })
        .collect()
}

/// Whether the pivot tables show `axis`: not an allocator axis that had
/// no effect anywhere.
pub(super) fn pivot_shows(cx: &Context, axis: &str) -> bool {
    !(axis == "allocator"
        && plan_and_checks(cx).is_some_and(|(_, c)| c.allocator_inert_everywhere()))
}

/// The allocator, thread and output lines of the checks; `false` for
/// tuner's own workloads (whose lines say other things).
pub(super) fn checks(out: &mut String, cx: &Context) -> bool {
    let Some((plan, c)) = plan_and_checks(cx) else {
        return false;
    };
    let preloads: Vec<String> = c
        .preloads
        .iter()
        .map(|(a, file)| {
            format!(
                "{} preloaded {}",
                md_code(&a.to_string()),
                md_code(&file.display().to_string())
            )
        })
        .collect();
    let programs = programs(&c.programs, |_| true);
    let _ = writeln!(
        out,
        "- Allocator: `system` ran the program as it is{}. {}.",
        if preloads.is_empty() {
            String::new()
        } else {
            format!("; through LD_PRELOAD, {}", preloads.join(", "))
        },
        programs.join("; ")
    );
    if !c.threads_env.is_empty() {
        let _ = writeln!(
            out,
            "- Threads: each point's thread count was set in {}; tuner cannot see inside a command, so whether the program used them is not checked.",
            md_text(&c.threads_env.join(", "))
        );
    }
    let a = &cx.analysis.checks;
    if !c.output_checked {
        let _ = writeln!(out, "- Output: not compared (`[command] check_output = true` compares a digest of stdout across knob settings).");
    } else if a.digests_differ.is_empty() {
        let _ = writeln!(out, "- Output: every variant and knob setting printed the same stdout (by digest) for the same parameters.");
    } else {
        let _ = writeln!(out, "- ⚠ **Output differs** between variants or knob settings in {} parameter set(s): the program prints something else under some setting.", a.digests_differ.len());
    }
    let first_use = cx
        .analysis
        .points
        .iter()
        .filter_map(|p| p.time.as_ref().map(|_| p.first_use_ns))
        .fold(f64::NAN, f64::max);
    if plan.warmup > 0 && first_use.is_finite() {
        let _ = writeln!(
            out,
            "- Warm-up: the first (untimed) execution of a process took up to {}; *first use* in the details is its median per point.",
            duration_ns(first_use)
        );
    }
    true
}

/// The other units a command's Go benchmark lines reported, per point.
pub(super) fn units_table(out: &mut String, cx: &Context, listed: &[usize]) {
    let a = cx.analysis;
    let mut units: Vec<&str> = Vec::new();
    for p in listed.iter().map(|&id| &a.points[id]) {
        for (u, _) in &p.units {
            if !units.contains(&u.as_str()) {
                units.push(u);
            }
        }
    }
    if units.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "The benchmark's other units (median of each process's lines, then over processes):\n"
    );
    let unit_headers: Vec<String> = units.iter().map(|u| md_cell(u).into_owned()).collect();
    let mut headers = vec!["point"];
    headers.extend(unit_headers.iter().map(String::as_str));
    let mut table = Table::new(&headers);
    for &id in listed {
        let cells: Vec<String> = units
            .iter()
            .map(|u| {
                a.points[id]
                    .units
                    .iter()
                    .find(|(name, _)| name == u)
                    .map_or_else(|| "–".into(), |(_, v)| super::format::sig3(*v))
            })
            .collect();
        let mut row = vec![md_cell(&cx.label(id)).into_owned()];
        row.extend(cells);
        table.push(row);
    }
    let mut right = vec![true; units.len() + 1];
    right[0] = false;
    table.markdown(&right, out);
    let _ = writeln!(out);
}
