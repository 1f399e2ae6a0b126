//! The Go benchmark data format, so `benchstat base.txt head.txt` reads a
//! tuner run (the format: go.googlesource.com/proposal, design
//! 14313-benchmark-format.md; the reader: golang.org/x/perf/benchfmt).
//!
//! Layout: configuration lines (`key: value`, the key lower case without
//! spaces) describe everything below them: `goos`, `goarch`, `pkg`, `cpu`,
//! tuner's version, run id and commit, and every axis pinned to one value
//! (e.g. `threshold: 2048`), so benchstat shows what differs between files.
//! Then one result line per successful worker process:
//!
//! ```text
//! BenchmarkCompareThreshold/variant=v3/threads=2-2  3  18253914 ns/op  28306912 B/op  200126 allocs/op
//! ```
//!
//! The name is the experiment in CamelCase, the varying axes as
//! `/key=value` sub-benchmark configuration, and `-N` with the machine's
//! logical CPUs (what Go's GOMAXPROCS defaults to; the pool size under test
//! is the `threads` key). One line per *process*, not per sample, because
//! benchstat treats every line as an independent run and the process is
//! tuner's unit of replication: samples within a process share its heap
//! layout, CPU placement and calibration, so counting them as independent
//! would overstate the evidence. The line's value is the process's median
//! ns/op, its iteration count the timed operations of all its samples (as
//! Go's `b.N` counts operations), and every figure is per operation.

use std::fmt::Write as _;

use crate::analysis::ProcessMetrics;
use crate::matrix::{self, Point};
use crate::results::Results;

/// Every successful process of `results` as Go benchmark lines, with a
/// `#` line (which the format ignores) saying how many failed processes
/// have no line.
pub(crate) fn gobench(results: &Results) -> String {
    let mut out = String::new();
    for (key, value) in config_lines(results) {
        let _ = writeln!(out, "{key}: {value}");
    }
    let _ = writeln!(out);
    let varying = matrix::varying_axes(&results.plan.axes);
    let lines: Vec<(String, ProcessMetrics)> = results
        .runs
        .iter()
        .filter_map(|r| {
            let point = &results.points[r.point];
            let name = benchmark_name(
                &results.plan.name,
                point,
                &varying,
                results.environment.cores,
            );
            ProcessMetrics::of(r).map(|m| (name, m))
        })
        .collect();
    let failed = results.runs.len() - lines.len();
    if failed > 0 {
        let _ = writeln!(
            out,
            "# {failed} of {} processes failed and have no line here; `tuner report` lists them with their reasons.\n",
            results.runs.len()
        );
    }
    let width = lines.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    for (name, m) in lines {
        // A command's allocations are uncounted: no memory figures, not zeros.
        let memory = match (m.bytes_per_op, m.allocs_per_op) {
            (Some(b), Some(a)) => format!("\t{} B/op\t{} allocs/op", go_value(b), go_value(a)),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "{name:<width$}\t{}\t{} ns/op{memory}",
            m.ops,
            go_value(m.ns_per_op),
        );
    }
    out
}

fn config_lines(results: &Results) -> Vec<(String, String)> {
    let e = &results.environment;
    let goarch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    };
    let mut lines = vec![
        ("goos".to_string(), std::env::consts::OS.to_string()),
        ("goarch".to_string(), goarch.to_string()),
        ("pkg".to_string(), format!("tuner/{}", results.plan.name)),
        ("cpu".to_string(), e.cpu_model.clone()),
        ("tuner-version".to_string(), results.tuner_version.clone()),
        ("tuner-run".to_string(), results.run_id.clone()),
        ("tuner-workload".to_string(), results.plan.workload.clone()),
        ("commit".to_string(), e.git_commit.clone()),
    ];
    for axis in results.plan.axes.iter().filter(|a| a.len() == 1) {
        lines.push((config_key(axis.name()), axis.labels().remove(0)));
    }
    lines
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k, v.replace(['\n', '\r'], " ")))
        .collect()
}

/// A configuration key: lower case, no spaces, never empty.
fn config_key(name: &str) -> String {
    let key: String = name
        .chars()
        .map(|c| {
            if c.is_whitespace() || c == ':' {
                '-'
            } else {
                c
            }
        })
        .flat_map(char::to_lowercase)
        .collect();
    match key.chars().next() {
        Some(c) if c.is_lowercase() => key,
        _ => format!("axis-{key}"),
    }
}

/// `BenchmarkMergesort/variant=v3/threads=2-8`: the experiment in
/// CamelCase, then `/axis=value` for each varying axis, then `-cores`.
pub(crate) fn benchmark_name(
    experiment: &str,
    point: &Point,
    varying: &[&str],
    cores: usize,
) -> String {
    let mut name = String::from("Benchmark");
    for word in experiment.split(|c: char| !c.is_alphanumeric()) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            name.extend(first.to_uppercase());
            name.push_str(chars.as_str());
        }
    }
    for (axis, value) in point
        .coords
        .iter()
        .filter(|(a, _)| varying.contains(&a.as_str()))
    {
        let _ = write!(
            name,
            "/{}={}",
            name_part(axis, true),
            name_part(value, false)
        );
    }
    let _ = write!(name, "-{cores}");
    name
}

/// Spaces and slashes (and `=` in keys) would split the name: replace them.
fn name_part(s: &str, is_key: bool) -> String {
    s.chars()
        .map(|c| match c {
            c if c.is_whitespace() || c == '/' => '_',
            '=' if is_key => '_',
            c => c,
        })
        .collect()
}

/// A value as Go's testing package prints one: integers exactly, others
/// with the decimals its `prettyPrint` uses for their magnitude.
pub(crate) fn go_value(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        return format!("{}", x as i64);
    }
    let decimals = match x.abs() {
        y if y >= 999.95 => 0,
        y if y >= 99.995 => 1,
        y if y >= 9.9995 => 2,
        y if y >= 0.99995 => 3,
        y if y >= 0.099995 => 4,
        y if y >= 0.0099995 => 5,
        y if y >= 0.00099995 => 6,
        _ => 7,
    };
    format!("{x:.decimals$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader of the Go benchmark format, written from the proposal's
    /// rules (and benchfmt's reader): configuration lines, result lines
    /// with an even number of ≥ 4 fields, an integer iteration count and
    /// float/unit pairs; other lines ignored.
    #[derive(Debug, Default)]
    struct Parsed {
        config: Vec<(String, String)>,
        results: Vec<BenchLine>,
    }

    /// Name, iterations, and value/unit pairs.
    type BenchLine = (String, u64, Vec<(f64, String)>);

    fn parse(text: &str) -> Result<Parsed, String> {
        let mut p = Parsed::default();
        for (n, line) in text.lines().enumerate() {
            if let Some(rest) = line.strip_prefix("Benchmark") {
                let fields: Vec<&str> = line.split_whitespace().collect();
                if fields.len() < 4 || !fields.len().is_multiple_of(2) {
                    return Err(format!("line {n}: {} fields", fields.len()));
                }
                if rest.starts_with(|c: char| c.is_lowercase()) {
                    return Err(format!("line {n}: lower case after Benchmark"));
                }
                let iters = fields[1].parse().map_err(|e| format!("line {n}: {e}"))?;
                let values = fields[2..]
                    .chunks(2)
                    .map(|c| {
                        Ok((
                            c[0].parse::<f64>().map_err(|e| format!("{e}"))?,
                            c[1].into(),
                        ))
                    })
                    .collect::<Result<_, String>>()?;
                p.results.push((fields[0].to_string(), iters, values));
            } else if let Some((key, value)) = line.split_once(':') {
                let valid = key.starts_with(|c: char| c.is_lowercase())
                    && !key.chars().any(|c| c.is_whitespace() || c.is_uppercase())
                    && (value.is_empty() || value.starts_with([' ', '\t']));
                if valid {
                    p.config
                        .push((key.to_string(), value.trim_start().to_string()));
                }
            }
        }
        Ok(p)
    }

    fn point(coords: &[(&str, &str)]) -> Point {
        crate::fixtures::point(0, coords)
    }

    #[test]
    fn names_carry_the_varying_axes_as_keys_and_the_cores() {
        let p = point(&[
            ("variant", "v3"),
            ("size", "1000000"),
            ("threads", "2"),
            ("buffering", "buffered:64 KiB/x"),
        ]);
        let name = benchmark_name("lock-scope", &p, &["variant", "threads", "buffering"], 8);
        assert_eq!(
            name,
            "BenchmarkLockScope/variant=v3/threads=2/buffering=buffered:64_KiB_x-8"
        );
    }

    #[test]
    fn values_print_as_go_prints_them() {
        assert_eq!(go_value(19999.0), "19999");
        assert_eq!(go_value(652431.4), "652431");
        assert_eq!(go_value(20.456), "20.46");
        assert_eq!(go_value(1.5), "1.500");
        assert_eq!(go_value(0.00125), "0.001250");
    }

    #[test]
    fn config_keys_are_lower_case_without_spaces() {
        assert_eq!(config_key("record_size"), "record_size");
        assert_eq!(config_key("Odd Key"), "odd-key");
        assert_eq!(config_key("9lives"), "axis-9lives");
    }

    /// Regression: per-op figures divided by runs, not operations, so a
    /// pool workload (100,000 operations per run, one 8-byte buffer each)
    /// exported `800000 B/op  100000 allocs/op`.
    #[test]
    fn figures_are_per_operation_when_a_run_does_many() {
        let results = crate::fixtures::results_with_ops(
            crate::fixtures::TINY,
            &[vec![9.0, 9.0], vec![9.0]],
            1,
            100_000,
        );
        let parsed = parse(&gobench(&results)).unwrap();
        let (_, ops, values) = &parsed.results[0];
        assert_eq!(*ops, 3_000_000, "b.N counts operations");
        assert_eq!(values[0], (9.0, "ns/op".to_string()));
        assert_eq!(values[1], (64.0, "B/op".to_string()));
        assert_eq!(values[2], (1.0, "allocs/op".to_string()));
        let csv = crate::export::export(&results, crate::export::ExportFormat::Csv);
        let row = csv.lines().nth(1).unwrap();
        assert!(
            row.contains(",9,1,64,"),
            "ns, allocs and bytes per op: {row}"
        );
    }

    #[test]
    fn failed_processes_are_counted_in_a_line_the_format_ignores() {
        let results =
            crate::fixtures::results(crate::fixtures::TINY, &[&[Some(10.0), None], &[None]]);
        let text = gobench(&results);
        assert!(
            text.contains("# 2 of 3 processes failed and have no line here"),
            "{text}"
        );
        assert_eq!(parse(&text).unwrap().results.len(), 1);
    }

    #[test]
    fn a_run_exports_to_lines_the_format_reads_back() {
        let tiny = crate::fixtures::TINY;
        let results =
            crate::fixtures::results(tiny, &[&[Some(10.0), Some(12.0)], &[Some(11.0), None]]);
        let text = gobench(&results);
        let parsed = parse(&text).unwrap();
        let config: Vec<&str> = parsed.config.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            config[..7],
            [
                "goos",
                "goarch",
                "pkg",
                "cpu",
                "tuner-version",
                "tuner-run",
                "tuner-workload"
            ]
        );
        assert!(parsed
            .config
            .contains(&("threshold".to_string(), "64".to_string())));
        // One line per successful process (the failed one is left out).
        assert_eq!(parsed.results.len(), 3);
        let (name, iters, values) = &parsed.results[0];
        assert_eq!(name, "BenchmarkTiny/variant=sequential-2");
        assert_eq!(*iters, 30);
        let units: Vec<&str> = values.iter().map(|(_, u)| u.as_str()).collect();
        assert_eq!(units, ["ns/op", "B/op", "allocs/op"]);
        // The first process: 10 ns/op, one 64-byte allocation per op.
        assert_eq!(values[0].0, 10.0);
        assert_eq!(values[1].0, 64.0);
        assert_eq!(values[2].0, 1.0);
        assert_eq!(parsed.results[2].0, "BenchmarkTiny/variant=v3-2");
        assert_eq!(parsed.results[2].2[0].0, 11.0);
    }
}
