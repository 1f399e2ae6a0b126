//! Human-readable views of the catalog and of a plan: `tuner list` and
//! `tuner run --dry-run`.

use std::fmt::Write as _;

use tuner_api::Catalog;

use crate::config::Plan;
use crate::matrix;

/// Every experiment with its knobs, variants and parameters.
pub fn listing(catalog: &Catalog) -> String {
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

/// The matrix a plan expands to and what running it costs.
pub fn dry_run(plan: &Plan) -> String {
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
    // A process costs its start (~5 ms), at least the warm-up, and at least
    // `samples` samples of `min_sample_time`; slow operations cost more.
    let floor =
        0.005 + m.warmup.as_secs_f64() + f64::from(m.samples) * m.min_sample_time.as_secs_f64();
    let _ = writeln!(
        out,
        "{runs} runs ({} processes per point, {} samples each); at least {:.0} s in all, likely more for operations slower than {}; a run is killed after {}.",
        m.processes,
        m.samples,
        runs as f64 * floor,
        humantime::format_duration(m.min_sample_time),
        humantime::format_duration(m.timeout),
    );
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
    if !kinds.is_empty() {
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
