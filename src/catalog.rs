//! Human-readable views of the catalog and of a plan: `tuner list` and
//! `tuner run --dry-run`.

use std::fmt::Write as _;

use tuner_api::Catalog;

use crate::config::Plan;
use crate::estimate::{floor_s, Estimate, Planning};
use crate::matrix;
use crate::shards::Shard;

/// Every experiment with its knobs, variants and parameters.
pub(crate) fn listing(catalog: &Catalog) -> String {
    let mut out = String::new();
    for exp in catalog.iter() {
        let k = exp.knobs();
        let knobs: Vec<&str> = [
            ("threads", k.threads),
            ("tokio", k.tokio),
            ("buffering", k.buffering),
        ]
        .into_iter()
        .filter_map(|(n, used)| used.then_some(n))
        .collect();
        let _ = writeln!(out, "{}: {}", exp.name(), exp.description());
        let _ = writeln!(
            out,
            "  knobs used: {}",
            if knobs.is_empty() {
                "allocator only".to_string()
            } else {
                format!("allocator, {}", knobs.join(", "))
            }
        );
        let _ = writeln!(out, "  variants:");
        for v in exp.variants() {
            let _ = writeln!(out, "    {:<20} {}", v.name, v.help);
        }
        let _ = writeln!(out, "  parameters:");
        for p in exp.params() {
            let _ = writeln!(
                out,
                "    {:<20} {} (default {}; {})",
                p.name,
                p.help,
                p.default,
                p.kind.describe()
            );
        }
        let _ = writeln!(out);
    }
    out
}

/// The matrix a plan expands to and what running it (or `shard`'s share
/// of it) costs by `estimate`, with what a budget planned.
pub fn dry_run(
    plan: &Plan,
    estimate: &Estimate,
    shard: Option<Shard>,
    planning: &Planning,
) -> String {
    let points = matrix::expand(plan);
    let varying = matrix::varying_axes(&plan.axes);
    let m = &plan.measure;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} ({}): {} points",
        plan.name,
        plan.workload,
        points.len()
    );
    for axis in &plan.axes {
        let _ = writeln!(out, "  {:<12} {}", axis.name(), axis.labels().join(", "));
    }
    let baseline = matrix::baseline(plan, &points);
    let _ = writeln!(out, "points:");
    for p in &points {
        let mark = if Some(p.id) == baseline {
            "  (baseline)"
        } else {
            ""
        };
        let _ = writeln!(out, "  {:>3}  {}{mark}", p.id, p.label(&varying));
    }
    if let Some(command) = &plan.command {
        out.push_str(&command.describe(points.len(), m));
        return out;
    }
    let runs = points.len() * m.processes as usize;
    let _ = writeln!(
        out,
        "{runs} runs ({} processes per point, {} samples each); a run is killed after {}.",
        m.processes,
        m.samples,
        humantime::format_duration(m.timeout),
    );
    let share = crate::results::share(plan, points.len(), shard);
    if let Some(s) = shard {
        let _ = writeln!(
            out,
            "shard {s} (split by {}): {} of the {runs} runs.",
            s.by.name(),
            share.len()
        );
    }
    let floor = share.len() as f64 * floor_s(m);
    let estimate_line = if estimate.measured() {
        format!(
            "estimate: about {}, {}; the floor is {}.",
            seconds(planning.estimate_s),
            estimate.describe(points.len()),
            seconds(floor)
        )
    } else {
        format!(
            "estimate: at least {}: {}.",
            seconds(planning.estimate_s),
            estimate.describe(points.len())
        )
    };
    let _ = writeln!(out, "{estimate_line}");
    if let Some(budget) = planning.budget_s {
        let _ = writeln!(out, "{}", budget_line(budget, planning, shard));
    }
    let p = &plan.profile;
    let kinds: Vec<&str> = [
        ("spans", p.spans),
        ("cpu", p.cpu),
        ("timeline", p.timeline),
        ("heap", p.heap),
    ]
    .into_iter()
    .filter_map(|(k, on)| on.then_some(k))
    .collect();
    if !kinds.is_empty() && shard.is_some_and(|s| s.index != 1) {
        let _ = writeln!(out, "the profiling passes run in shard 1.");
    } else if !kinds.is_empty() {
        let _ = writeln!(
            out,
            "then {} profiling processes ({} per point: {}), each running the workload for {} after its warm-up.",
            points.len() * kinds.len(),
            kinds.len(),
            kinds.join(", "),
            humantime::format_duration(p.duration),
        );
    }
    out
}

/// `0.8 s`, `79 s`, `12.5 min`.
fn seconds(s: f64) -> String {
    if s < 10.0 {
        format!("{s:.1} s")
    } else if s < 600.0 {
        format!("{s:.0} s")
    } else {
        format!("{:.1} min", s / 60.0)
    }
}

/// What a budget made of the plan.
fn budget_line(budget: f64, planning: &Planning, shard: Option<Shard>) -> String {
    let b = humantime::format_duration(std::time::Duration::from_secs_f64(budget));
    let (planned, configured) = (planning.planned_processes, planning.configured_processes);
    if shard.is_some() {
        format!("budget {b}: a shard keeps the config's processes per point (the shards of one run share one plan) and stops at the deadline.")
    } else if planned < configured {
        format!(
            "budget {b}: {planned} of the config's {configured} processes per point fit by the estimate; no run starts that would end past the budget.{}",
            if planned < 6 { " Fewer than 6 processes per point give no intervals." } else { "" }
        )
    } else {
        format!("budget {b}: the whole plan fits by the estimate; no run starts that would end past the budget.")
    }
}
