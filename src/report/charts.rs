//! The report's SVG charts, drawn with plotters: the scaling curve (median
//! time per operation against threads, one line per variant, interval
//! bars), allocations per operation per variant, and the live heap and
//! resident memory over time with one line per allocator setting — the
//! allocator and any environment axis such as jemalloc's decay (from the
//! heap profiles), with the memory-against-time trade-off in numbers. Each
//! chart is a file under `charts/` of the run directory, embedded in the
//! report.
//!
//! Data preparation is kept apart from drawing so both can be tested.

use std::collections::BTreeMap;
use std::path::Path;

use plotters::prelude::*;

use super::format;
use crate::analysis::Analysis;
use crate::config::Axis;
use crate::matrix::{self, Point};
use crate::profile;
use crate::protocol::{HeapSeries, Pass};
use crate::results::Results;

/// A chart written into the run directory.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Chart {
    /// Relative to the run directory.
    pub file: String,
    pub title: String,
    pub caption: String,
}

/// One line of a line chart: `(x, y)` points and optional `(x, lo, hi)` bars.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Line {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    pub bars: Vec<(f64, f64, f64)>,
}

/// One bar of a bar chart: group (x label), member (colour), value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Bar {
    pub group: String,
    pub member: String,
    pub value: f64,
}

const WIDTH: u32 = 760;
const HEIGHT: u32 = 420;

fn colour(i: usize) -> RGBColor {
    const COLOURS: [RGBColor; 8] = [
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
        RGBColor(214, 39, 40),
        RGBColor(148, 103, 189),
        RGBColor(140, 86, 75),
        RGBColor(227, 119, 194),
        RGBColor(127, 127, 127),
    ];
    COLOURS[i % COLOURS.len()]
}

fn err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("drawing a chart: {e}")
}

/// A line chart as SVG text; `log_y` draws the y axis in log scale.
pub(crate) fn line_svg(
    title: &str,
    x_desc: &str,
    y_desc: &str,
    lines: &[Line],
) -> anyhow::Result<String> {
    let xs = lines.iter().flat_map(|l| l.points.iter().map(|p| p.0));
    let ys = lines.iter().flat_map(|l| {
        l.points
            .iter()
            .map(|p| p.1)
            .chain(l.bars.iter().flat_map(|b| [b.1, b.2]))
    });
    let (x0, x1) = bounds(xs);
    let (_, y1) = bounds(ys);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(x0..x1, 0.0..y1 * 1.08)
            .map_err(err)?;
        // Whole-number axes (threads) get whole-number labels only.
        let whole = lines
            .iter()
            .all(|l| l.points.iter().all(|p| p.0.fract() == 0.0));
        let x_label = |x: &f64| match (whole, x.fract() == 0.0) {
            (true, true) => format!("{x:.0}"),
            (true, false) => String::new(),
            (false, _) => format!("{x}"),
        };
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc(y_desc)
            .x_label_formatter(&x_label)
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(err)?;
        for (i, line) in lines.iter().enumerate() {
            let c = colour(i);
            chart
                .draw_series(LineSeries::new(
                    line.points.iter().copied(),
                    c.stroke_width(2),
                ))
                .map_err(err)?
                .label(line.name.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2))
                });
            // Markers only where there are few points (not on heap series).
            if line.points.len() <= 40 {
                chart
                    .draw_series(line.points.iter().map(|&p| Circle::new(p, 3, c.filled())))
                    .map_err(err)?;
            }
            chart
                .draw_series(line.bars.iter().map(|&(x, lo, hi)| {
                    PathElement::new(vec![(x, lo), (x, hi)], c.stroke_width(1))
                }))
                .map_err(err)?;
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(err)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// A grouped bar chart on a log scale (counts spanning decades); zero
/// values sit on the axis.
pub(crate) fn bar_svg(title: &str, y_desc: &str, bars: &[Bar]) -> anyhow::Result<String> {
    let groups: Vec<&str> = unique(bars.iter().map(|b| b.group.as_str()));
    let members: Vec<&str> = unique(bars.iter().map(|b| b.member.as_str()));
    let positive = bars.iter().map(|b| b.value).filter(|v| *v > 0.0);
    let lo = positive.clone().fold(f64::INFINITY, f64::min);
    let hi = positive.fold(0.0, f64::max);
    let (lo, hi) = if hi > 0.0 {
        ((lo / 2.0).max(1e-3), hi * 2.0)
    } else {
        (0.1, 10.0)
    };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let n = groups.len().max(1) as f64;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(0.0..n, (lo..hi).log_scale())
            .map_err(err)?;
        let labels = groups.clone();
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(groups.len() * 2 + 1)
            .x_label_formatter(&|x| {
                let i = x.floor() as usize;
                if (x - x.floor() - 0.5).abs() < 0.01 && i < labels.len() {
                    labels[i].to_string()
                } else {
                    String::new()
                }
            })
            .y_desc(y_desc)
            .y_label_formatter(&|v| super::format::count(*v))
            .draw()
            .map_err(err)?;
        let width = 0.8 / members.len().max(1) as f64;
        for (m, member) in members.iter().enumerate() {
            let c = colour(m);
            let rects = bars.iter().filter(|b| b.member == *member).filter_map(|b| {
                let g = groups.iter().position(|g| *g == b.group)? as f64;
                let x = g + 0.1 + width * m as f64;
                Some(Rectangle::new(
                    [(x, lo), (x + width * 0.9, b.value.max(lo))],
                    c.filled(),
                ))
            });
            chart
                .draw_series(rects)
                .map_err(err)?
                .label(member.to_string())
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], c.filled()));
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(err)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

fn bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    match (lo.is_finite(), hi.is_finite()) {
        (true, true) if hi > lo => (lo, hi),
        (true, true) => (lo - 1.0, hi + 1.0),
        _ => (0.0, 1.0),
    }
}

fn unique<'a>(items: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for i in items {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

/// The points that differ from `anchor` only on the `free` axes.
fn slice<'a>(results: &'a Results, anchor: &Point, free: &[&str]) -> Vec<&'a Point> {
    let held: Vec<(String, String)> = anchor
        .coords
        .iter()
        .filter(|(a, _)| !free.contains(&a.as_str()))
        .cloned()
        .collect();
    results.points.iter().filter(|p| p.matches(&held)).collect()
}

/// The fastest point of the baseline's parameter group: the other axes
/// are held at its values.
fn best(analysis: &Analysis) -> Option<usize> {
    analysis.main_group().and_then(|g| g.fastest)
}

/// Median ns/op against threads, one line per variant; bars are the 95%
/// CI of the median, or the range of the processes when too few for one.
pub(crate) fn scaling_lines(results: &Results, analysis: &Analysis) -> Vec<Line> {
    let Some(best) = best(analysis) else {
        return Vec::new();
    };
    let anchor = &results.points[best];
    let mut lines: BTreeMap<usize, Line> = BTreeMap::new();
    let variants = variant_order(results);
    for p in slice(results, anchor, &["variant", "threads"]) {
        let s = &analysis.points[p.id];
        if s.succeeded() == 0 {
            continue;
        }
        let (lo, hi) = match s.time.as_ref().and_then(|t| t.ci) {
            Some(ci) => (ci.lo, ci.hi),
            None => s
                .process_ns()
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                    (lo.min(*v), hi.max(*v))
                }),
        };
        let key = variants.iter().position(|v| *v == p.variant).unwrap_or(0);
        let line = lines.entry(key).or_insert_with(|| Line {
            name: p.variant.clone(),
            ..Line::default()
        });
        let x = p.threads as f64;
        line.points.push((x, s.median_ns() / 1e6));
        line.bars.push((x, lo / 1e6, hi / 1e6));
    }
    let mut lines: Vec<Line> = lines.into_values().collect();
    for l in &mut lines {
        l.points.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    lines
}

fn variant_order(results: &Results) -> Vec<String> {
    results
        .plan
        .axes
        .iter()
        .find_map(|a| match a {
            crate::config::Axis::Variant(v) => Some(v.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

/// Allocations per operation per variant, one bar per thread count.
pub(crate) fn alloc_bars(results: &Results, analysis: &Analysis) -> Vec<Bar> {
    let Some(best) = best(analysis) else {
        return Vec::new();
    };
    let anchor = &results.points[best];
    let order = variant_order(results);
    let mut points = slice(results, anchor, &["variant", "threads"]);
    points.sort_by_key(|p| (order.iter().position(|v| *v == p.variant), p.threads));
    points
        .into_iter()
        .filter_map(|p| {
            let e = analysis.points[p.id].allocs_per_op?;
            Some(Bar {
                group: p.variant.clone(),
                member: format!(
                    "{} thread{}",
                    p.threads,
                    if p.threads == 1 { "" } else { "s" }
                ),
                value: e.min,
            })
        })
        .collect()
}

/// One line of a memory chart: a heap profile and the memory settings it
/// ran under.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct MemorySeries {
    /// The values of the memory axes that vary (`jemalloc`,
    /// `dirty_decay_ms:0`), or the allocator when none does.
    pub name: String,
    /// The point the heap profile ran at.
    pub point: usize,
    pub series: HeapSeries,
}

/// The axes that set how memory is managed — the allocator and every
/// environment axis (an allocator's own tuning: `_RJEM_MALLOC_CONF`,
/// `MIMALLOC_PURGE_DELAY`, `GLIBC_TUNABLES`, `GOGC`) — which a memory chart
/// draws as its lines rather than as separate charts.
fn memory_axes(results: &Results) -> Vec<&str> {
    results
        .plan
        .axes
        .iter()
        .filter(|a| matches!(a, Axis::Allocator(_) | Axis::Env(..)))
        .map(Axis::name)
        .collect()
}

/// Heap profiles grouped by the point without its memory axes: each group
/// becomes one chart with a line per memory setting.
pub(crate) fn heap_groups(results: &Results, dir: &Path) -> Vec<(Point, Vec<MemorySeries>)> {
    let memory = memory_axes(results);
    let varying = matrix::varying_axes(&results.plan.axes);
    let mut groups: Vec<(Point, Vec<MemorySeries>)> = Vec::new();
    for record in results
        .profiling
        .records
        .iter()
        .filter(|r| r.pass == Pass::Heap)
    {
        let Some(out) = record.output() else { continue };
        let Some(file) = out.files.iter().find(|f| f.ends_with(".json")) else {
            continue;
        };
        let Ok(series) = profile::read_heap_series(&dir.join(record.path(file))) else {
            continue;
        };
        let point = &results.points[record.point];
        let key = |p: &Point| {
            p.coords
                .iter()
                .filter(|(a, _)| !memory.contains(&a.as_str()))
                .cloned()
                .collect::<Vec<_>>()
        };
        let names: Vec<&str> = point
            .coords
            .iter()
            .filter(|(a, _)| memory.contains(&a.as_str()) && varying.contains(&a.as_str()))
            .map(|(_, v)| v.as_str())
            .collect();
        let line = MemorySeries {
            name: if names.is_empty() {
                series.allocator.to_string()
            } else {
                names.join(" ")
            },
            point: record.point,
            series,
        };
        match groups.iter_mut().find(|(p, _)| key(p) == key(point)) {
            Some((_, list)) => list.push(line),
            None => groups.push((point.clone(), vec![line])),
        }
    }
    groups
}

/// Heap lines in MiB against milliseconds, one per memory setting.
pub(crate) fn heap_lines(series: &[MemorySeries]) -> Vec<Line> {
    mib_lines(series, |s| &s.samples)
}

/// Resident-memory lines in MiB against milliseconds, one per memory setting.
pub(crate) fn resident_lines(series: &[MemorySeries]) -> Vec<Line> {
    mib_lines(series, |s| &s.resident)
}

fn mib_lines(
    series: &[MemorySeries],
    values: impl Fn(&HeapSeries) -> &Vec<(f64, i64)>,
) -> Vec<Line> {
    series
        .iter()
        .filter(|s| !values(&s.series).is_empty())
        .map(|s| Line {
            name: s.name.clone(),
            points: values(&s.series)
                .iter()
                .map(|&(t, bytes)| (t, bytes as f64 / (1024.0 * 1024.0)))
                .collect(),
            bars: Vec::new(),
        })
        .collect()
}

/// The trade-off a resident chart shows, in numbers: per line, the mean and
/// the peak of the resident samples (the sampler ticks evenly, so the mean
/// of the samples is the mean over time) and the point's median time per
/// operation from the timed processes.
pub(crate) fn resident_tradeoff(series: &[MemorySeries], analysis: &Analysis) -> String {
    let parts: Vec<String> = series
        .iter()
        .filter(|s| !s.series.resident.is_empty())
        .map(|s| {
            let r = &s.series.resident;
            let mean = r.iter().map(|&(_, b)| b as f64).sum::<f64>() / r.len() as f64;
            let peak = r.iter().map(|&(_, b)| b).max().unwrap_or(0) as f64;
            let time = analysis.points[s.point]
                .time
                .as_ref()
                .map_or("no time".to_string(), |t| {
                    format!("{}/op", format::duration_ns(t.median))
                });
            format!(
                "{}: {} mean, {} peak, {time}",
                s.name,
                format::bytes(mean),
                format::bytes(peak)
            )
        })
        .collect();
    if parts.len() < 2 {
        return String::new();
    }
    format!(
        " Resident memory (mean and peak of the samples) against the point's median time per operation \
         (intervals and verdicts: All points) — {}.",
        parts.join("; ")
    )
}

/// Draws every chart the results support (reading the heap profiles from
/// the run directory `dir`): each with its SVG text, to be written at its
/// `file` relative to `dir`.
pub(crate) fn draw_all(dir: &Path, cx: &super::Context) -> anyhow::Result<Vec<(Chart, String)>> {
    let (results, analysis) = (cx.results, cx.analysis);
    let mut charts = Vec::new();
    let mut save =
        |name: String, svg: String, title: String, caption: String| -> anyhow::Result<()> {
            charts.push((
                Chart {
                    file: format!("charts/{name}"),
                    title,
                    caption,
                },
                svg,
            ));
            Ok(())
        };
    let varying = matrix::varying_axes(&results.plan.axes);
    let held = |free: &[&str]| -> String {
        let Some(b) = best(analysis) else {
            return String::new();
        };
        let held: Vec<String> = results.points[b]
            .coords
            .iter()
            .filter(|(a, _)| varying.contains(&a.as_str()) && !free.contains(&a.as_str()))
            .map(|(a, v)| format!("{a}={v}"))
            .collect();
        if held.is_empty() {
            String::new()
        } else {
            format!(
                " Other axes at the best point's values: {}.",
                held.join(", ")
            )
        }
    };
    let lines = scaling_lines(results, analysis);
    if lines.iter().any(|l| l.points.len() > 1) {
        let svg = line_svg(
            "Time per operation vs threads",
            "threads",
            "ms per operation",
            &lines,
        )?;
        save(
            "scaling.svg".into(),
            svg,
            "Scaling: time vs threads".into(),
            format!(
                "Median time per operation for each variant; bars are the 95% confidence interval of the median, \
                 or the range of the processes when there are too few for one.{}",
                held(&["variant", "threads"])
            ),
        )?;
    }
    let bars = alloc_bars(results, analysis);
    if !bars.is_empty() {
        let svg = bar_svg(
            "Allocations per operation",
            "allocations per op (log)",
            &bars,
        )?;
        save(
            "allocs.svg".into(),
            svg,
            "Allocations per operation".into(),
            format!(
                "{}, log scale.{}",
                alloc_source(results),
                held(&["variant", "threads"])
            ),
        )?;
    }
    let memory = memory_axes(results);
    let without_alloc: Vec<&str> = varying
        .iter()
        .copied()
        .filter(|a| !memory.contains(a))
        .collect();
    for (point, series) in heap_groups(results, dir) {
        let label = point.label(&without_alloc);
        let name = format!(
            "heap-{}.svg",
            crate::protocol::point_dir(&point, &without_alloc).trim_start_matches("points/")
        );
        let svg = line_svg(
            &format!("Live heap: {label}"),
            "ms since the process started sampling",
            "live MiB",
            &heap_lines(&series),
        )?;
        save(
            name.clone(),
            svg,
            format!("Live heap over time: {label}"),
            "Live bytes (allocated, not yet freed) sampled every millisecond in the heap profiling process, \
             through build, warm-up and the profiled runs; one line per allocator setting."
                .into(),
        )?;
        let resident = resident_lines(&series);
        if !resident.is_empty() {
            let svg = line_svg(
                &format!("Resident memory: {label}"),
                "ms since the process started sampling",
                "resident MiB",
                &resident,
            )?;
            save(
                name.replacen("heap-", "resident-", 1),
                svg,
                format!("Resident memory over time: {label}"),
                format!(
                    "The whole process's resident set (/proc/self/statm) at the same instants: what each allocator \
                     setting holds from the OS for the same live bytes — the counterpart of the seed's GOGC heap \
                     pictures.{}",
                    resident_tradeoff(&series, analysis)
                ),
            )?;
        }
    }
    Ok(charts)
}

/// Where a run's allocation figures come from, as a caption says it:
/// tuner's counting allocator counts every allocation exactly; a Go
/// benchmark's `-benchmem` columns are averages over its `b.N` loop.
pub(crate) fn alloc_source(results: &Results) -> &'static str {
    match results.plan.command.as_ref().map(|c| c.metrics) {
        Some(crate::config::Metrics::Gobench) => {
            "Averages per operation as Go's benchmark reported them (-benchmem), not exact counts"
        }
        _ => "Exact counts from the counting allocator",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alloc::AllocatorName;
    use crate::protocol::HeapStats;

    fn series(allocator: AllocatorName, scale: f64) -> MemorySeries {
        MemorySeries {
            name: allocator.to_string(),
            point: 0,
            series: series_of(allocator, scale),
        }
    }

    fn series_of(allocator: AllocatorName, scale: f64) -> HeapSeries {
        HeapSeries {
            allocator,
            period_ms: 1.0,
            samples: (0..50)
                .map(|i| (i as f64 * scale, ((i % 10) * 1_000_000) as i64))
                .collect(),
            resident: (0..50)
                .map(|i| (i as f64 * scale, (40 + i) * 1_000_000))
                .collect(),
            built_ms: 1.0,
            warmed_ms: 2.0,
            stats: HeapStats::default(),
        }
    }

    /// The text of every `<text>` element.
    fn texts(svg: &str) -> Vec<String> {
        svg.split("<text")
            .skip(1)
            .filter_map(|t| {
                let body = &t[t.find('>')? + 1..];
                Some(body[..body.find("</text>")?].trim().to_string())
            })
            .collect()
    }

    /// Polylines stroked in `colour` (e.g. `#1F77B4`).
    fn polylines(svg: &str, colour: &str) -> usize {
        svg.split("<polyline")
            .skip(1)
            .filter(|p| p.contains(&format!("stroke=\"{colour}\"")))
            .count()
    }

    #[test]
    fn heap_chart_has_one_line_per_allocator() {
        let lines = heap_lines(&[
            series(AllocatorName::System, 1.0),
            series(AllocatorName::Jemalloc, 0.8),
        ]);
        assert_eq!(lines.len(), 2);
        let svg = line_svg("Live heap", "ms", "MiB", &lines).unwrap();
        // Each allocator: its line and its legend mark, in its own colour.
        assert_eq!(polylines(&svg, "#1F77B4"), 2);
        assert_eq!(polylines(&svg, "#FF7F0E"), 2);
        let texts = texts(&svg);
        assert!(texts.contains(&"system".to_string()), "{texts:?}");
        assert!(texts.contains(&"jemalloc".to_string()), "{texts:?}");
    }

    #[test]
    fn resident_chart_has_one_line_per_allocator_in_mib() {
        let lines = resident_lines(&[
            series(AllocatorName::System, 1.0),
            series(AllocatorName::Mimalloc, 1.0),
        ]);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1].name, "mimalloc");
        assert!((lines[0].points[49].1 - 89e6 / (1024.0 * 1024.0)).abs() < 1e-9);
        // Series from before resident memory was recorded draw nothing.
        let mut old = series(AllocatorName::System, 1.0);
        old.series.resident.clear();
        assert!(resident_lines(&[old]).is_empty());
    }

    /// The resident chart's caption reads the mean and peak of each line's
    /// samples and its point's median time: here 40–89 MB (mean 64.5 MB)
    /// against 3.01 ms (the median of 3 ms × 1.000–1.004), and half of that against 4.01 ms.
    #[test]
    fn resident_tradeoff_states_memory_against_time() {
        let config = "[experiment]\nworkload = \"mergesort\"\n[matrix]\nallocator = [\"system\", \"jemalloc\"]\n[measure]\nprocesses = 5\n";
        let r = crate::fixtures::results_by(config, |p| if p.id == 0 { 3e6 } else { 4e6 }, |_| 1);
        let a = Analysis::of(&r, &crate::stats::CompareSettings::default());
        let mut small = series(AllocatorName::Jemalloc, 1.0);
        small.point = 1;
        for sample in &mut small.series.resident {
            sample.1 /= 2;
        }
        let text = resident_tradeoff(&[series(AllocatorName::System, 1.0), small], &a);
        let mib = |b: f64| format::bytes(b);
        assert!(
            text.contains(&format!(
                "system: {} mean, {} peak, 3.01 ms/op",
                mib(64.5e6),
                mib(89e6)
            )),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "jemalloc: {} mean, {} peak, 4.01 ms/op",
                mib(32.25e6),
                mib(44.5e6)
            )),
            "{text}"
        );
        // One line alone has nothing to trade against.
        assert_eq!(
            resident_tradeoff(&[series(AllocatorName::System, 1.0)], &a),
            ""
        );
    }

    #[test]
    fn line_chart_draws_interval_bars() {
        let line = Line {
            name: "join".into(),
            points: vec![(1.0, 20.0), (2.0, 11.0)],
            bars: vec![(1.0, 19.0, 21.0), (2.0, 10.0, 12.5)],
        };
        let svg = line_svg("scaling", "threads", "ms", &[line]).unwrap();
        assert!(texts(&svg).contains(&"join".to_string()));
        // One polyline for the series, one per bar, one for the legend mark.
        assert_eq!(polylines(&svg, "#1F77B4"), 1 + 2 + 1);
    }

    #[test]
    fn bar_chart_labels_groups_and_members() {
        let bars = vec![
            Bar {
                group: "sequential".into(),
                member: "1 thread".into(),
                value: 1_048_575.0,
            },
            Bar {
                group: "std".into(),
                member: "1 thread".into(),
                value: 1.0,
            },
            Bar {
                group: "std".into(),
                member: "2 threads".into(),
                value: 0.0,
            },
        ];
        let svg = bar_svg("allocs", "allocs/op", &bars).unwrap();
        let texts = texts(&svg);
        for name in ["sequential", "std", "1 thread", "2 threads"] {
            assert!(
                texts.contains(&name.to_string()),
                "{name} missing from {texts:?}"
            );
        }
        assert!(svg.matches("<rect").count() >= 3);
    }

    #[test]
    fn charts_survive_empty_and_single_values() {
        assert!(line_svg("empty", "x", "y", &[]).is_ok());
        let one = Line {
            name: "a".into(),
            points: vec![(1.0, 5.0)],
            bars: vec![],
        };
        assert!(line_svg("one", "x", "y", &[one]).is_ok());
        assert!(bar_svg("none", "y", &[]).is_ok());
    }
}
