//! Renders a run's [`Analysis`] as markdown that reads well at a
//! code-hosting site's width: the answer first, then the pivots and
//! charts, then the table of every point (narrow: one column per axis, the
//! interval folded into the time, rarely needed columns folded away), the
//! checks, the profiles and the background; the method last.

use crate::table::Table;
use std::fmt::Write as _;

use super::charts::Chart;
use super::escape::{md_cell, md_code, md_fence, md_text};
use super::format::{achieved, bytes, count, duration_ns, exact, ratio};
use super::Context;
use crate::analysis::{BaselineState, PointAnalysis};
use crate::config::Axis;

/// Past this many points the table lists a selection and leaves the rest
/// to results.json and `tuner export`.
const LISTED_POINTS: usize = 64;
/// Per group, the fastest points listed when the table is cut.
const LISTED_PER_GROUP: usize = 10;
/// Points named in the thread check before the rest are counted.
const LISTED_IDLE: usize = 10;
/// Pivot tables with more cells than this are left out.
const MAX_PIVOT_CELLS: usize = 100;

pub(super) struct Report<'a> {
    cx: &'a Context<'a>,
    /// A comparison with an earlier run written beside the report, if any.
    comparison: Option<&'a str>,
    charts: &'a [Chart],
}

impl<'a> Report<'a> {
    pub(super) fn new(cx: &'a Context<'a>) -> Self {
        Report {
            cx,
            comparison: None,
            charts: &[],
        }
    }

    /// Links the comparison with a baseline run at `file` (relative to the report).
    pub(super) fn linking_comparison(mut self, file: Option<&'a str>) -> Self {
        self.comparison = file;
        self
    }

    /// The charts to embed (written beside the report).
    pub(super) fn with_charts(mut self, charts: &'a [Chart]) -> Self {
        self.charts = charts;
        self
    }

    pub(super) fn render(&self) -> String {
        let mut out = String::new();
        self.header(&mut out);
        super::summary::section(&mut out, self.cx);
        super::answer::section(&mut out, self.cx);
        super::lessons::section(&mut out, self.cx);
        super::command::allocator_note(&mut out, self.cx);
        self.pivots(&mut out);
        super::profiles::charts_section(&mut out, self.charts);
        self.points_table(&mut out);
        self.checks(&mut out);
        super::adaptive::section(&mut out, self.cx);
        super::profiles::profiles_section(&mut out, self.cx);
        self.background(&mut out);
        self.environment(&mut out);
        self.config(&mut out);
        self.how_to_read(&mut out);
        out
    }

    fn header(&self, out: &mut String) {
        let r = self.cx.results;
        let m = &r.plan.measure;
        let _ = writeln!(out, "# {}: tuner report\n", md_text(&r.plan.name));
        if !r.plan.description.is_empty() {
            let _ = writeln!(out, "{}\n", md_text(&r.plan.description));
        }
        let wall: f64 = r.runs.iter().map(|x| x.wall_ms).sum::<f64>() / 1e3;
        let samples = self
            .cx
            .analysis
            .points
            .iter()
            .filter_map(|p| p.sample_ns)
            .reduce(|a, b| (a.0.min(b.0), a.1.max(b.1)));
        let samples = match samples {
            Some((lo, hi)) => format!(
                "samples of {}–{} (calibrated to ≥ {})",
                duration_ns(lo as f64),
                duration_ns(hi as f64),
                humantime::format_duration(m.min_sample_time)
            ),
            None => format!(
                "samples of ≥ {}",
                humantime::format_duration(m.min_sample_time)
            ),
        };
        if !super::command::header(out, self.cx) {
            let _ = writeln!(
                out,
                "Run {} of {} (workload {}): {} points × {} processes, {} timed samples per process after ≥ {} of warm-up, \
                 {samples}; {} worker processes in {:.0} s, order shuffled with seed {}.\n",
                md_code(&r.run_id),
                md_code(&r.config_path),
                md_code(&r.plan.workload),
                r.points.len(),
                m.processes,
                m.samples,
                humantime::format_duration(m.warmup),
                r.runs.len(),
                wall,
                m.seed,
            );
        }
        if let Some(why) = &r.interrupted {
            let _ = writeln!(out, "**⚠ Stopped before the end:** {why}.\n");
        }
        for note in crate::shards::notes::header_notes(r) {
            let _ = writeln!(out, "{note}\n");
        }
        let missing = self.cx.analysis.missing();
        if missing > 0 {
            let points: Vec<String> = self
                .cx
                .analysis
                .points
                .iter()
                .filter(|p| p.missing > 0)
                .map(|p| format!("{} ({} missing)", md_text(&self.cx.label(p.id)), p.missing))
                .collect();
            let _ = writeln!(
                out,
                "**⚠ Incomplete run:** {missing} of {} scheduled processes never ran: {}. {}\n",
                r.scheduled_total(),
                points.join(", "),
                crate::shards::notes::missing_advice(r)
            );
        }
        if let Some(file) = self.comparison {
            let _ = writeln!(
                out,
                "Compared with a baseline run (`tuner run --baseline`): see [{file}]({file}).\n"
            );
        }
    }

    /// One table per pair of varying axes, the other axes at the fastest
    /// point's values; a table that would be mostly excluded is left out.
    fn pivots(&self, out: &mut String) {
        let Some(best) = self.cx.analysis.main_group().and_then(|g| g.fastest) else {
            return;
        };
        let axes: Vec<&Axis> = self
            .cx
            .results
            .plan
            .axes
            .iter()
            .filter(|a| a.len() > 1 && super::command::pivot_shows(self.cx, a.name()))
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
        let _ = writeln!(out, "Median time per operation and the speed-up against the baseline of the same parameters (the same figure as in the table of all points); the axes not shown are held at the fastest point's values. Pairs of axes that would be mostly excluded, or have more than {MAX_PIVOT_CELLS} cells, are left out.\n");
        for t in tables {
            let _ = writeln!(out, "{t}");
        }
    }

    /// `rows` × `cols` with the other varying axes at `best`'s values.
    fn pivot(&self, rows: &Axis, cols: &Axis, best: usize) -> Option<String> {
        if rows.len() * cols.len() > MAX_PIVOT_CELLS {
            return None;
        }
        let r = self.cx.results;
        let fixed: Vec<(String, String)> = r.points[best]
            .coords
            .iter()
            .filter(|(a, _)| {
                a != rows.name() && a != cols.name() && self.cx.varying.contains(&a.as_str())
            })
            .cloned()
            .collect();
        let col_labels = cols.labels();
        let corner = format!("{} \\ {}", md_cell(rows.name()), md_cell(cols.name()));
        let col_headers: Vec<String> = col_labels.iter().map(|c| md_cell(c).into_owned()).collect();
        let mut headers = vec![corner.as_str()];
        headers.extend(col_headers.iter().map(String::as_str));
        let mut table = Table::new(&headers);
        let (mut excluded, mut cells) = (0, 0);
        for row in rows.labels() {
            let line: Vec<String> = col_labels
                .iter()
                .map(|col| {
                    let mut sel = fixed.clone();
                    sel.push((rows.name().to_string(), row.clone()));
                    sel.push((cols.name().to_string(), col.clone()));
                    cells += 1;
                    match r.points.iter().find(|p| p.matches(&sel)) {
                        Some(p) => self.pivot_cell(&self.cx.analysis.points[p.id], best),
                        None => {
                            excluded += 1;
                            "excluded".into()
                        }
                    }
                })
                .collect();
            let mut cells_of_row = vec![md_cell(&row).into_owned()];
            cells_of_row.extend(line);
            table.push(cells_of_row);
        }
        if 2 * excluded > cells {
            return None;
        }
        let held: Vec<String> = fixed
            .iter()
            .map(|(a, v)| md_text(&format!("{a}={v}")).into_owned())
            .collect();
        let held = if held.is_empty() {
            String::new()
        } else {
            format!(" ({})", held.join(" "))
        };
        let mut right = vec![true; col_labels.len() + 1];
        right[0] = false;
        let mut out = format!(
            "### {} × {}{held}\n\n",
            md_text(rows.name()),
            md_text(cols.name())
        );
        table.markdown(&right, &mut out);
        Some(out)
    }

    fn pivot_cell(&self, p: &PointAnalysis, best: usize) -> String {
        if p.succeeded() == 0 {
            return "failed".into();
        }
        let star = if p.id == best { "**" } else { "" };
        let vs = match &p.vs_baseline {
            Some(c) => format!(" ({})", ratio(crate::analysis::speedup(c.change.pct))),
            None if self.is_group_baseline(p) => " (baseline)".into(),
            None => String::new(),
        };
        format!("{star}{}{star}{vs}", duration_ns(p.median_ns()))
    }

    fn is_group_baseline(&self, p: &PointAnalysis) -> bool {
        self.cx.analysis.groups[p.group].baseline == Some(p.id)
    }

    /// The points the table lists: all of them, or past
    /// [`LISTED_POINTS`], a selection of at most that many: the baseline
    /// and fastest few of the baseline's parameter set, then each other
    /// set's baseline and fastest, then points with failures.
    fn listed(&self) -> Vec<usize> {
        let a = self.cx.analysis;
        if a.points.len() <= LISTED_POINTS {
            return (0..a.points.len()).collect();
        }
        let mut ids: Vec<usize> = Vec::new();
        let add = |id: usize, ids: &mut Vec<usize>| {
            if ids.len() < LISTED_POINTS && !ids.contains(&id) {
                ids.push(id);
            }
        };
        if let Some(main) = a.main_group() {
            let mut by_time: Vec<usize> = main
                .points
                .iter()
                .copied()
                .filter(|&id| a.points[id].succeeded() > 0)
                .collect();
            by_time.sort_by(|&x, &y| a.points[x].median_ns().total_cmp(&a.points[y].median_ns()));
            for id in main
                .baseline
                .into_iter()
                .chain(by_time.into_iter().take(LISTED_PER_GROUP))
            {
                add(id, &mut ids);
            }
        }
        for g in &a.groups {
            for id in g.baseline.into_iter().chain(g.fastest) {
                add(id, &mut ids);
            }
        }
        for p in a.points.iter().filter(|p| !p.failures.is_empty()) {
            add(p.id, &mut ids);
        }
        ids.sort_unstable();
        ids
    }

    fn points_table(&self, out: &mut String) {
        let a = self.cx.analysis;
        let nominal = a.settings.confidence;
        let listed = self.listed();

        let _ = writeln!(out, "## All points\n");
        if listed.len() < a.points.len() {
            let _ = writeln!(
                out,
                "{} of {} points: the baseline and the {} fastest of the baseline's parameters, each other parameter set's \
                 baseline and fastest, then points with failures, as far as room allows. \
                 Every point is in `results.json`; `tuner export results.json --format csv` lists them one row per process.\n",
                listed.len(),
                a.points.len(),
                LISTED_PER_GROUP
            );
        }
        let axes = &self.cx.varying;
        let points = || listed.iter().map(|&id| &a.points[id]);
        // One level per report: the nominal one. A median's interval from
        // order statistics covers at least it; the levels it reaches are
        // footnoted under the table.
        let reached: Vec<f64> = {
            let mut l: Vec<f64> = points()
                .filter_map(|p| p.time.as_ref()?.ci)
                .map(|ci| (ci.level * 1000.0).round() / 10.0)
                .collect();
            l.sort_by(f64::total_cmp);
            l.dedup();
            l
        };
        let change_level = Some(nominal);
        let header = |level: f64| format!("{:.1}% CI", level * 100.0).replace(".0%", "%");
        let time_header = format!(
            "time/op [{}{}]",
            header(nominal),
            if reached.is_empty() { "" } else { "¹" }
        );
        let change_header = format!("vs baseline [{}]", header(nominal));
        let axis_headers: Vec<String> = axes.iter().map(|a| md_cell(a).into_owned()).collect();
        let mut headers: Vec<&str> = axis_headers.iter().map(String::as_str).collect();
        headers.extend([
            time_header.as_str(),
            change_header.as_str(),
            "allocs/op",
            "B/op",
            "processes",
        ]);
        let mut table = Table::new(&headers);
        let mut right = vec![false; axes.len()];
        right.extend([true, false, true, true, true]);
        for &id in &listed {
            let p = &a.points[id];
            let coords: Vec<String> = axes
                .iter()
                .map(|axis| md_cell(self.cx.coord(id, axis)).into_owned())
                .collect();
            let time = match p.time.as_ref() {
                None => "–".into(),
                Some(t) => match t.ci {
                    Some(ci) => format!(
                        "{} [{}, {}]",
                        duration_ns(t.median),
                        duration_ns(ci.lo),
                        duration_ns(ci.hi)
                    ),
                    None => duration_ns(t.median),
                },
            };
            let vs = match &p.vs_baseline {
                _ if self.is_group_baseline(p) => "(baseline)".to_string(),
                Some(c) => {
                    let level = c.change.ci.map(|ci| achieved(&ci, change_level));
                    let confounded = p.machines == Some(crate::analysis::MachineBlocks::Confounded);
                    let mark = if confounded { " ⚠ confounded" } else { "" };
                    format!(
                        "{}{} {}{mark}",
                        c.change,
                        level.unwrap_or_default(),
                        c.verdict
                    )
                }
                None => "–".into(),
            };
            let mut processes = p.succeeded().to_string();
            if !p.failures.is_empty() {
                let _ = write!(processes, " ({} failed)", p.failures.len());
            }
            if p.missing > 0 {
                let _ = write!(processes, " ({} missing)", p.missing);
            }
            let note = if p.footnotes.is_empty() {
                String::new()
            } else {
                format!(" [^p{id}]")
            };
            let mut row = coords;
            row.extend([
                format!("{time}{note}"),
                vs,
                exact(p.allocs_per_op.as_ref(), count),
                exact(p.bytes_per_op.as_ref(), bytes),
                processes,
            ]);
            table.push(row);
        }
        table.markdown(&right, out);
        let _ = writeln!(out);
        if !reached.is_empty() {
            let levels: Vec<String> = reached.iter().map(|l| format!("{l:.1}%")).collect();
            let _ = writeln!(
                out,
                "¹ A median's distribution-free interval from order statistics covers at least {}; with these process counts it reaches {} \
                 (none below 6 processes).\n",
                header(nominal).replace(" CI", ""),
                levels.join(", ")
            );
        }
        super::command::units_table(out, self.cx, &listed);
        self.details_table(out, &listed);
        for &id in &listed {
            let p = &a.points[id];
            if p.footnotes.is_empty() {
                continue;
            }
            let text: Vec<String> = p.footnotes.iter().map(ToString::to_string).collect();
            let _ = writeln!(
                out,
                "[^p{id}]: {}: {}.",
                md_text(&self.cx.label(id)),
                text.join("; ")
            );
        }
        let _ = writeln!(out);
    }

    /// The columns a reader rarely needs, folded away.
    fn details_table(&self, out: &mut String, listed: &[usize]) {
        let a = self.cx.analysis;
        let _ = writeln!(
            out,
            "<details><summary>Memory, CPU, first use and samples per point</summary>\n"
        );
        let mut table = Table::new(&[
            "point",
            "peak live heap",
            "peak RSS",
            "CPU/op",
            "first use",
            "ops per run",
            "sample length",
        ]);
        for &id in listed {
            let p = &a.points[id];
            if p.succeeded() == 0 {
                continue;
            }
            let samples = match p.sample_ns {
                Some((lo, hi)) if lo == hi => duration_ns(lo as f64),
                Some((lo, hi)) => format!("{}–{}", duration_ns(lo as f64), duration_ns(hi as f64)),
                None => "–".into(),
            };
            table.push(vec![
                md_cell(&self.cx.label(id)).into_owned(),
                p.peak_live_bytes.map_or_else(|| "–".into(), bytes),
                p.peak_rss_bytes.map_or_else(|| "–".into(), bytes),
                p.cpu_ns_per_op.map_or_else(|| "–".into(), duration_ns),
                duration_ns(p.first_use_ns),
                count(p.ops_per_run as f64),
                samples,
            ]);
        }
        table.markdown(&[false, true, true, true, true, true, true], out);
        let _ = writeln!(out, "\n</details>\n");
    }

    fn checks(&self, out: &mut String) {
        let _ = writeln!(out, "## Checks\n");
        let r = self.cx.results;
        let a = self.cx.analysis;
        if !super::command::checks(out, self.cx) {
            self.knob_checks(out);
        }
        let failed: Vec<&PointAnalysis> =
            a.points.iter().filter(|p| !p.failures.is_empty()).collect();
        if failed.is_empty() {
            let _ = writeln!(out, "- Failures: none.");
        }
        for p in failed {
            let reasons: Vec<String> = p
                .failures
                .iter()
                .map(|f| format!("process {}: {}", f.process, md_text(&f.reason)))
                .collect();
            let _ = writeln!(
                out,
                "- **{} failed {} of {} times**: {}",
                md_text(&self.cx.label(p.id)),
                p.failures.len(),
                p.failures.len() + p.succeeded(),
                reasons.join("; ")
            );
        }
        for g in a
            .groups
            .iter()
            .filter(|g| g.baseline_state == BaselineState::Failed)
        {
            if let Some(b) = g.baseline {
                let _ = writeln!(out, "- ⚠ The baseline {} has no successful process: its parameter set has no comparisons.", md_text(&self.cx.label(b)));
            }
        }
        for p in a
            .points
            .iter()
            .filter(|p| p.allocs_per_op.is_some_and(|e| e.varies()))
        {
            let _ = writeln!(
                out,
                "- ⚠ {}: allocations per operation differ between processes ({}).",
                md_text(&self.cx.label(p.id)),
                exact(p.allocs_per_op.as_ref(), count)
            );
        }
        if !r.environment.optimized {
            let _ = writeln!(out, "- ⚠ tuner was built without optimisations: these numbers do not describe release code.");
        }
        for axis in &a.checks.unused_knobs {
            let _ = writeln!(
                out,
                "- Note: {} does not use the {axis} knob; differences along that axis are noise.",
                md_code(&r.plan.workload)
            );
        }
        self.verdict_power(out);
        for w in &r.warnings {
            let _ = writeln!(out, "- ⚠ {w}");
        }
        let _ = writeln!(out);
    }

    /// The allocator, thread and output checks of tuner's own workloads.
    fn knob_checks(&self, out: &mut String) {
        let r = self.cx.results;
        let a = self.cx.analysis;
        let c = &a.checks;
        let _ = writeln!(
            out,
            "- Allocator: of {} processes started, {} succeeded and in {} of them the named allocator's own statistics saw a test allocation \
             (glibc `mallinfo2`, jemalloc `stats.allocated`, mimalloc `mi_is_in_heap_region`); {} were refused because another allocator served them.",
            c.tried, c.succeeded, c.allocator_served, c.allocator_mismatched
        );
        let _ = writeln!(
            out,
            "- Threads: in {} of {} successful processes as many pool threads ran work (≥ 5% of the sampling window on a CPU) as the point has threads{}.",
            c.threads_busy,
            c.succeeded,
            if c.threads_checked < c.succeeded {
                format!(" ({} processes could not tell)", c.succeeded - c.threads_checked)
            } else {
                String::new()
            }
        );
        let idle: Vec<String> = a
            .points
            .iter()
            .filter_map(|p| {
                let busy = p.busy_threads?;
                let threads = r.points[p.id].threads;
                (busy < threads)
                    .then(|| format!("{} ({busy} of {threads})", md_text(&self.cx.label(p.id))))
            })
            .collect();
        if !idle.is_empty() {
            let more = idle.len().saturating_sub(LISTED_IDLE);
            let _ = writeln!(
                out,
                "  Fewer pool threads did work (median over processes) at: {}{}.",
                idle[..idle.len().min(LISTED_IDLE)].join(", "),
                if more > 0 {
                    format!(" and {more} more points")
                } else {
                    String::new()
                }
            );
        }
        if c.digests_differ.is_empty() {
            let _ = writeln!(out, "- Output: every variant and knob setting produced the same output digest for the same parameters.");
        } else {
            let _ = writeln!(out, "- ⚠ **Output differs** between variants or knob settings in {} parameter set(s): some variant computes something else.", c.digests_differ.len());
        }
    }

    /// What this run could call against its baselines: the smallest
    /// slowdown each parameter set's block design detects with 80% power,
    /// from its own rounds and measured spread (`analysis::Group`).
    fn verdict_power(&self, out: &mut String) {
        let a = self.cx.analysis;
        let found: Vec<(f64, f64)> = a
            .groups
            .iter()
            .filter(|g| g.baseline_state == crate::analysis::BaselineState::Measured)
            .filter_map(|g| Some((g.detectable_pct?, g.spread?)))
            .collect();
        let Some(&(first, spread)) = found.first() else {
            return;
        };
        let (lo, hi) = found
            .iter()
            .fold((first, first), |(lo, hi), &(d, _)| (lo.min(d), hi.max(d)));
        let detectable = if found.len() == 1 || hi - lo < 0.05 {
            format!("{lo:.1}%")
        } else {
            format!("{lo:.1}%–{hi:.1}% (by parameter set)")
        };
        let _ = writeln!(
            out,
            "- {}This run calls a change against the baseline of {detectable} or more with 80% power: its {} rounds, the spread of one \
             process it measured ({:.1}%{}), Dunnett over each parameter set's points at α {} split over {} set(s). Smaller true changes read *not shown*.",
            if lo > 10.0 { "⚠ " } else { "" },
            self.cx.results.plan.measure.processes,
            spread * 100.0,
            if found.len() > 1 { " in the first set" } else { "" },
            a.settings.rule.alpha,
            a.groups.len(),
        );
    }

    fn background(&self, out: &mut String) {
        let notes = &self.cx.results.plan.info.notes;
        if !notes.is_empty() {
            let _ = writeln!(
                out,
                "## Background\n\n*The experiment's notes: explanations, not figures this run measured; \
                 where they give figures, they say whose.*\n\n{notes}\n"
            );
        }
    }

    fn environment(&self, out: &mut String) {
        let e = &self.cx.results.environment;
        let _ = writeln!(out, "## Environment\n");
        let mut table = Table::new(&["", ""]);
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
            table.push(vec![k.to_string(), md_cell(&v).into_owned()]);
        }
        table.markdown(&[false, false], out);
        let _ = writeln!(out);
    }

    fn config(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "## Config\n\n{}",
            md_fence(self.cx.results.config_text.trim_end(), "toml")
        );
    }

    fn how_to_read(&self, out: &mut String) {
        let a = self.cx.analysis;
        let rule = &a.settings.rule;
        let _ = writeln!(
            out,
            "## How to read this report\n\n\
             Each point ran in {} separate processes, in rounds: a round runs one process of every point in a shuffled order, \
             so every point meets the machine's state of that moment once per round and a round is a block. \
             A process's value is the median of its samples' time per operation; a point's time is the median across its processes \
             with a distribution-free confidence interval from order statistics that covers at least the report's one nominal level, {:.0}% (the levels it reaches are footnoted under the table; none below 6 processes). Every interval in this report is stated at that level. \
             Points with the same workload parameters do the same work and are compared only with each other; each such set has its own baseline \
             (the configured baseline's knob settings). Comparisons use the block design: a two-way model of log time (point + round), \
             fitted robustly (Huber) with each point's own spread, so a slow round or a slow process neither reads as a change nor hides one. \
             A change is the ratio of two points' fitted levels; its interval is adjusted to the same family as its p, so a verdict and the \
             interval beside it always agree. The speed-up is 1 / (1 + change), with the interval's ends swapped. \
             Verdicts against a ±{}% noise band — {}. \
             The families, α split evenly over the parameter sets: each point against its baseline (Dunnett; {}); within each parameter set, \
             whether each point could be the fastest (Hsu's MCB; {} in all), where \"tied\" means not shown slower than the fastest; \
             each axis's values against its pick (declared pairs, Bonferroni, one family per axis: {}); the thread-scaling steps (Bonferroni; {}). \
             Where a pair has fewer than two rounds with values on both sides, it is compared as independent samples instead \
             (Mann-Whitney with a Hodges-Lehmann interval, Holm). \
             Allocations and bytes per operation are exact counts (⚠ and the exact range when processes disagreed). \
             Peak live heap is the most heap in use while sampling; peak RSS is the worker's own high-water mark; CPU/op sums user and \
             system time of all threads over the timed work; first use is building the workload plus its first run.\n",
            self.cx.results.plan.measure.processes,
            a.settings.confidence * 100.0,
            rule.noise_band_pct,
            rule.describe(a.settings.confidence),
            tests(a.families.vs_baseline.size),
            tests(a.families.ties.size),
            a.axes.iter().map(|f| format!("{} {}", f.axis, tests(f.family.size))).collect::<Vec<_>>().join(", "),
            tests(a.families.scaling.size),
        );
    }
}

/// `1 test`, `3 tests`.
fn tests(n: usize) -> String {
    if n == 1 {
        "1 test".into()
    } else {
        format!("{n} tests")
    }
}
