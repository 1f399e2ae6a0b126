//! Renders a run's results as a markdown report that reads well on a
//! code-hosting site: the verdict first, then the tables, then the checks,
//! the environment and the config.

use std::fmt::Write as _;

use super::format::{bytes, count, duration_ns, ratio};
use super::summary::{best_per_group, param_group, PointSummary};
use crate::config::Axis;
use crate::matrix::{self, Point};
use crate::results::Results;
use crate::stats::{Comparison, ExactValue};

/// `-45.2% [-47.0, -43.1] **faster** (1.82×)`: the change in time against
/// the baseline with its interval and verdict, and the speed-up it implies.
fn versus(c: &Comparison) -> String {
    let speedup = 100.0 / (100.0 + c.change.pct);
    format!("{} **{}** ({})", c.change, c.verdict, ratio(speedup))
}

fn time_ci(p: &PointSummary) -> String {
    match p.time.as_ref().and_then(|t| t.ci) {
        Some(ci) => format!("[{}, {}]", duration_ns(ci.lo), duration_ns(ci.hi)),
        None => "–".into(),
    }
}

fn exact(e: Option<ExactValue>, fmt: fn(f64) -> String) -> String {
    match e {
        None => "–".into(),
        Some(e) if e.varies() => format!("{}–{} ⚠", fmt(e.min), fmt(e.max)),
        Some(e) => fmt(e.value),
    }
}

pub struct Report<'a> {
    results: &'a Results,
    summaries: &'a [PointSummary],
    conclusions: &'a [String],
    varying: Vec<&'a str>,
    /// A comparison with an earlier run written beside the report, if any.
    comparison: Option<&'a str>,
    charts: &'a [super::charts::Chart],
}

impl<'a> Report<'a> {
    pub fn new(
        results: &'a Results,
        summaries: &'a [PointSummary],
        conclusions: &'a [String],
    ) -> Self {
        Report {
            results,
            summaries,
            conclusions,
            varying: matrix::varying_axes(&results.plan.axes),
            comparison: None,
            charts: &[],
        }
    }

    /// Links the comparison with a baseline run at `file` (relative to the report).
    pub fn linking_comparison(mut self, file: Option<&'a str>) -> Self {
        self.comparison = file;
        self
    }

    /// The charts to embed (written beside the report).
    pub fn with_charts(mut self, charts: &'a [super::charts::Chart]) -> Self {
        self.charts = charts;
        self
    }

    fn label(&self, p: &Point) -> String {
        p.label(&self.varying)
    }

    fn baseline(&self) -> Option<&PointSummary> {
        self.results
            .baseline
            .map(|b| &self.summaries[b])
            .filter(|s| s.succeeded() > 0)
    }

    /// The fastest point among those doing the baseline's work (the same
    /// workload parameters); the fastest of all without a baseline.
    fn best(&self) -> Option<&PointSummary> {
        let group = self.results.baseline.map(|b| param_group(self.results, b));
        best_per_group(self.results, self.summaries)
            .into_iter()
            .find(|s| {
                group
                    .as_ref()
                    .is_none_or(|g| param_group(self.results, s.point) == *g)
            })
    }

    /// The point doing `s`'s work with the baseline's knob settings.
    fn group_baseline(&self, s: &PointSummary) -> Option<&PointSummary> {
        let base = &self.results.points[self.results.baseline?];
        let mut selection: Vec<(String, String)> = base
            .coords
            .iter()
            .filter(|(a, _)| {
                !param_group(self.results, base.id)
                    .iter()
                    .any(|(g, _)| g == a)
            })
            .cloned()
            .collect();
        selection.extend(param_group(self.results, s.point));
        let p = self.results.points.iter().find(|p| p.matches(&selection))?;
        Some(&self.summaries[p.id]).filter(|b| b.succeeded() > 0)
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        self.header(&mut out);
        self.best_section(&mut out);
        self.points_table(&mut out);
        self.pivots(&mut out);
        super::profiles::charts_section(&mut out, self.charts);
        super::profiles::profiles_section(&mut out, self.results, self.summaries);
        self.checks(&mut out);
        self.notes(&mut out);
        self.environment(&mut out);
        self.config(&mut out);
        self.conclusions(&mut out);
        out
    }

    fn conclusions(&self, out: &mut String) {
        if self.conclusions.is_empty() {
            return;
        }
        let _ = writeln!(out, "\n## Conclusions\n");
        let _ = writeln!(out, "Drawn by tuner from this run's numbers (changes are Hodges-Lehmann estimates with 95% intervals; verdicts against a ±1% noise band).\n");
        for c in self.conclusions {
            let _ = writeln!(out, "- {c}");
        }
    }

    fn header(&self, out: &mut String) {
        let r = self.results;
        let m = &r.plan.measure;
        let _ = writeln!(out, "# {}: tuner report\n", r.plan.name);
        if !r.plan.description.is_empty() {
            let _ = writeln!(out, "{}\n", r.plan.description);
        }
        let wall: f64 = r.runs.iter().map(|x| x.wall_ms).sum::<f64>() / 1e3;
        let _ = writeln!(
            out,
            "Run `{}` of `{}` (workload `{}`): {} points × {} processes, {} timed samples per process after ≥ {} of warm-up, \
             samples of ≥ {} each; {} worker processes in {:.0} s, order shuffled with seed {}.\n",
            r.run_id,
            r.config_path,
            r.plan.workload,
            r.points.len(),
            m.processes,
            m.samples,
            humantime::format_duration(m.warmup),
            humantime::format_duration(m.min_sample_time),
            r.runs.len(),
            wall,
            m.seed,
        );
        if let Some(file) = self.comparison {
            let _ = writeln!(
                out,
                "Compared with a baseline run (`tuner run --baseline`): see [{file}]({file}).\n"
            );
        }
    }

    fn best_section(&self, out: &mut String) {
        let _ = writeln!(out, "## Best configuration\n");
        let bests = best_per_group(self.results, self.summaries);
        if bests.is_empty() {
            let _ = writeln!(out, "No point produced results.\n");
            return;
        }
        if bests.len() > 1 {
            let _ = writeln!(out, "Points with different workload parameters do different work, so each parameter set has its own best.\n");
        }
        for best in bests {
            let point = &self.results.points[best.point];
            let _ = write!(
                out,
                "- **{}**: {}/op, 95% CI {}",
                self.label(point),
                duration_ns(best.median_ns()),
                time_ci(best)
            );
            let base = self.group_baseline(best);
            let comparison = match (&best.vs_baseline, base) {
                (Some(c), Some(b)) if Some(b.point) == self.results.baseline => {
                    Some((c.clone(), b))
                }
                (_, Some(b)) if b.point != best.point => {
                    crate::stats::compare(&b.process_ns, &best.process_ns, &Default::default())
                        .ok()
                        .map(|c| (c, b))
                }
                _ => None,
            };
            let _ = match (comparison, base) {
                (Some((c, b)), _) => writeln!(
                    out,
                    "; against **{}** ({}/op): {}",
                    self.label(&self.results.points[b.point]),
                    duration_ns(b.median_ns()),
                    versus(&c)
                ),
                (None, Some(_)) => writeln!(out, "; the baseline settings are already the best"),
                (None, None) => writeln!(out),
            };
        }
        let _ = writeln!(out);
    }

    fn points_table(&self, out: &mut String) {
        let _ = writeln!(out, "## All points\n");
        let _ = writeln!(out, "| point | time/op | 95% CI | vs baseline: change [95% CI] verdict (speed-up) | allocs/op | B/op | peak live | max RSS | CPU/op | first use | runs |");
        let _ = writeln!(out, "|---|--:|---|---|--:|--:|--:|--:|--:|--:|--:|");
        for s in self.summaries {
            let p = &self.results.points[s.point];
            let is_base = Some(s.point) == self.results.baseline;
            let vs = match &s.vs_baseline {
                _ if is_base => "(baseline)".to_string(),
                Some(c) => versus(c),
                None => "–".into(),
            };
            let runs = if s.failures.is_empty() {
                s.succeeded().to_string()
            } else {
                format!("{} ({} failed)", s.succeeded(), s.failures.len())
            };
            let notes = if s.footnotes.is_empty() {
                String::new()
            } else {
                format!(" [^p{}]", s.point)
            };
            let _ = writeln!(
                out,
                "| {}{notes} | {} | {} | {vs} | {} | {} | {} | {} | {} | {} | {runs} |",
                self.label(p),
                duration_ns(s.median_ns()),
                time_ci(s),
                exact(s.allocs_per_op, count),
                exact(s.bytes_per_op, bytes),
                bytes(s.peak_live),
                bytes(s.max_rss_bytes),
                duration_ns(s.cpu_ns_per_op),
                duration_ns(s.first_use_ns),
            );
        }
        let _ = writeln!(out);
        for s in self.summaries.iter().filter(|s| !s.footnotes.is_empty()) {
            let text: Vec<String> = s.footnotes.iter().map(ToString::to_string).collect();
            let _ = writeln!(
                out,
                "[^p{}]: {}: {}.",
                s.point,
                self.label(&self.results.points[s.point]),
                text.join("; ")
            );
        }
        let _ = writeln!(out);
    }

    /// One table per pair of varying axes, the other axes at the best
    /// point's values; a table that would be mostly excluded is left out.
    fn pivots(&self, out: &mut String) {
        let Some(best) = self.best() else { return };
        let axes: Vec<&Axis> = self
            .results
            .plan
            .axes
            .iter()
            .filter(|a| a.len() > 1)
            .collect();
        let tables: Vec<String> = axes
            .iter()
            .enumerate()
            .flat_map(|(i, rows)| axes[i + 1..].iter().map(move |cols| (*rows, *cols)))
            .filter_map(|(rows, cols)| self.pivot(rows, cols, best))
            .collect();
        if tables.is_empty() {
            return;
        }
        let _ = writeln!(out, "## By axis\n");
        let _ = writeln!(out, "Median time per operation (speed-up vs baseline); the axes not shown are held at the best point's values.\n");
        for t in tables {
            let _ = writeln!(out, "{t}");
        }
    }

    /// `rows` × `cols` with the other varying axes at `best`'s values.
    fn pivot(&self, rows: &Axis, cols: &Axis, best: &PointSummary) -> Option<String> {
        let fixed: Vec<(String, String)> = self.results.points[best.point]
            .coords
            .iter()
            .filter(|(a, _)| {
                a != rows.name() && a != cols.name() && self.varying.contains(&a.as_str())
            })
            .cloned()
            .collect();
        let base = self.baseline();
        let col_labels = cols.labels();
        let (mut body, mut excluded, mut cells) = (String::new(), 0, 0);
        for row in rows.labels() {
            let line: Vec<String> = col_labels
                .iter()
                .map(|col| {
                    let mut sel = fixed.clone();
                    sel.push((rows.name().to_string(), row.clone()));
                    sel.push((cols.name().to_string(), col.clone()));
                    cells += 1;
                    match self
                        .results
                        .points
                        .iter()
                        .find(|p| p.matches(&sel))
                        .map(|p| &self.summaries[p.id])
                    {
                        Some(s) if s.succeeded() > 0 => {
                            let vs = base
                                .map(|b| format!(" ({})", ratio(b.median_ns() / s.median_ns())))
                                .unwrap_or_default();
                            let star = if s.point == best.point { "**" } else { "" };
                            format!("{star}{}{star}{vs}", duration_ns(s.median_ns()))
                        }
                        Some(_) => "failed".into(),
                        None => {
                            excluded += 1;
                            "excluded".into()
                        }
                    }
                })
                .collect();
            let _ = writeln!(body, "| {row} | {} |", line.join(" | "));
        }
        if 2 * excluded > cells {
            return None;
        }
        let held = fixed
            .iter()
            .map(|(a, v)| format!("{a}={v}"))
            .collect::<Vec<_>>()
            .join(" ");
        let held = if held.is_empty() {
            String::new()
        } else {
            format!(" ({held})")
        };
        Some(format!(
            "### {} × {}{held}\n\n| {} \\ {} | {} |\n|---|{}\n{body}",
            rows.name(),
            cols.name(),
            rows.name(),
            cols.name(),
            col_labels.join(" | "),
            "--:|".repeat(col_labels.len())
        ))
    }

    fn checks(&self, out: &mut String) {
        let _ = writeln!(out, "## Checks\n");
        let r = self.results;
        let ok: Vec<_> = r
            .runs
            .iter()
            .filter_map(|x| x.output().map(|o| (x, o)))
            .collect();
        let verified = ok
            .iter()
            .filter(|(x, o)| o.evidence.served_by() == Some(r.points[x.point].allocator))
            .count();
        let _ = writeln!(out, "- Allocator: in {verified} of {} successful processes the named allocator's own statistics saw a test allocation (glibc `mallinfo2`, jemalloc `stats.allocated`, mimalloc `mi_is_in_heap_region`).", ok.len());
        let threads_ok = ok
            .iter()
            .filter(|(x, o)| o.threads.rayon == r.points[x.point].threads)
            .count();
        let _ = writeln!(out, "- Threads: in {threads_ok} of {} processes the workload saw a rayon pool of exactly the point's thread count.", ok.len());
        self.digest_check(out);
        let failures: Vec<_> = self
            .summaries
            .iter()
            .filter(|s| !s.failures.is_empty())
            .collect();
        if failures.is_empty() {
            let _ = writeln!(out, "- Failures: none.");
        } else {
            for s in failures {
                let _ = writeln!(
                    out,
                    "- **{} failed {} time(s)**: {}",
                    self.label(&r.points[s.point]),
                    s.failures.len(),
                    s.failures.join("; ")
                );
            }
        }
        for s in self
            .summaries
            .iter()
            .filter(|s| s.allocs_per_op.is_some_and(|e| e.varies()))
        {
            let _ = writeln!(
                out,
                "- ⚠ {}: allocations per operation differ between processes.",
                self.label(&r.points[s.point])
            );
        }
        if !r.environment.optimized {
            let _ = writeln!(out, "- ⚠ tuner was built without optimisations: these numbers do not describe release code.");
        }
        self.unused_knobs(out);
        self.verdict_power(out);
        let _ = writeln!(out);
    }

    /// Points that differ only in knobs and variant must compute the same output.
    fn digest_check(&self, out: &mut String) {
        let r = self.results;
        let mut groups: std::collections::BTreeMap<String, std::collections::BTreeSet<u64>> =
            Default::default();
        for s in self.summaries {
            let key = serde_json::to_string(&r.points[s.point].params).unwrap_or_default();
            groups.entry(key).or_default().extend(&s.digests);
        }
        let bad = groups.values().filter(|d| d.len() > 1).count();
        if bad == 0 {
            let _ = writeln!(out, "- Output: every variant and knob setting produced the same output digest for the same parameters.");
        } else {
            let _ = writeln!(out, "- ⚠ **Output differs** between variants or knob settings in {bad} parameter set(s): some variant computes something else.");
        }
    }

    /// Warns when no comparison could reach significance at all: with `n`
    /// processes a side, Mann-Whitney's smallest two-sided p is
    /// 2 / C(2n, n), and Holm needs it below alpha / comparisons.
    fn verdict_power(&self, out: &mut String) {
        let m = self
            .summaries
            .iter()
            .filter(|s| s.vs_baseline.is_some())
            .count();
        let n = self
            .summaries
            .iter()
            .map(PointSummary::succeeded)
            .filter(|&n| n > 0)
            .min()
            .unwrap_or(0);
        if m == 0 || n == 0 {
            return;
        }
        let central: f64 = (1..=n).map(|k| (n + k) as f64 / k as f64).product();
        let min_p = 2.0 / central;
        if min_p * m as f64 > 0.05 {
            let _ = writeln!(
                out,
                "- ⚠ With {n} processes per point the smallest possible p-value is {min_p:.4}; Holm's correction over {m} comparisons \
                 needs {:.4}: no point can be called faster or slower. Run more processes.",
                0.05 / m as f64
            );
        }
    }

    fn unused_knobs(&self, out: &mut String) {
        let knobs = self.results.plan.info.knobs;
        for (axis, used) in [
            ("threads", knobs.threads || knobs.tokio),
            ("buffering", knobs.buffering),
        ] {
            if !used && self.varying.contains(&axis) {
                let _ = writeln!(out, "- Note: `{}` does not use the {axis} knob; differences along that axis are noise.", self.results.plan.workload);
            }
        }
    }

    fn notes(&self, out: &mut String) {
        let notes = &self.results.plan.info.notes;
        if !notes.is_empty() {
            let _ = writeln!(out, "## Background\n\n{notes}\n");
        }
    }

    fn environment(&self, out: &mut String) {
        let e = &self.results.environment;
        let _ = writeln!(out, "## Environment\n");
        let _ = writeln!(out, "| | |\n|---|---|");
        let rows = [
            ("CPU", format!("{} ({} logical CPUs)", e.cpu_model, e.cores)),
            ("memory", format!("{} GiB", e.memory_gib)),
            ("kernel", e.kernel.clone()),
            ("rustc", e.rustc.clone()),
            (
                "tuner",
                format!(
                    "{}{}",
                    e.tuner_version,
                    if e.optimized { "" } else { " (debug build)" }
                ),
            ),
            ("git commit", e.git_commit.clone()),
            (
                "load average at start",
                format!(
                    "{:.2} {:.2} {:.2}",
                    e.load_average[0], e.load_average[1], e.load_average[2]
                ),
            ),
            ("date", e.date.clone()),
        ];
        for (k, v) in rows {
            let _ = writeln!(out, "| {k} | {v} |");
        }
        let _ = writeln!(out);
    }

    fn config(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "## Config\n\n```toml\n{}\n```\n",
            self.results.config_text.trim_end()
        );
        let _ = writeln!(
            out,
            "## How to read this report\n\n\
             Each point ran in {} separate processes, interleaved with the other points in a shuffled order. \
             A process's value is the median of its samples; the table shows the median across processes with a \
             distribution-free 95% confidence interval (order statistics; none below 6 processes). \
             Each point is compared with the baseline: the change is a Hodges-Lehmann estimate of the ratio of medians \
             with its 95% interval, the verdict (faster, slower, equivalent within ±1%, inconclusive) comes from a \
             Mann-Whitney test Holm-corrected over every comparison in the report, and the speed-up in brackets is \
             1 / (1 + change). \
             Allocations and bytes per operation are exact counts (⚠ marks processes that disagreed). \
             Peak live is the most heap in use while sampling; max RSS is the whole process's peak; CPU/op sums \
             user and system time of all threads; first use is building the workload plus its first run.",
            self.results.plan.measure.processes
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::results_by;
    use crate::report::summarize;
    use crate::stats::CompareSettings;

    fn render(processes: u32) -> String {
        let config = format!(
            "[experiment]\nworkload = \"mergesort\"\n[params]\nvariant = [\"sequential\", \"v3\"]\n\
             [matrix]\nthreads = [1, 2]\nallocator = [\"system\", \"mimalloc\"]\n[measure]\nprocesses = {processes}\n"
        );
        // v3 on 2 threads halves the time; everything else is equal.
        let r = results_by(
            &config,
            |p| {
                if p.variant == "v3" && p.threads == 2 {
                    50e6
                } else {
                    100e6
                }
            },
            |_| 1,
        );
        let s = summarize(&r, &CompareSettings::default());
        Report::new(&r, &s, &[]).render()
    }

    #[test]
    fn too_few_processes_for_any_verdict_is_said_and_enough_give_verdicts() {
        let few = render(5);
        assert!(
            few.contains("With 5 processes per point the smallest possible p-value is 0.0079"),
            "{few}"
        );
        assert!(!few.contains("**faster**"));
        let enough = render(8);
        assert!(!enough.contains("smallest possible p-value"));
        // v3 at 2 threads, both allocators: -50% and faster.
        assert_eq!(enough.matches("**faster**").count(), 2 + 1, "{enough}");
    }
}
