//! Go benchmark result lines as samples: `metrics = "gobench"` reads what
//! `go test -bench` (or any program writing the format) prints, e.g.
//!
//! ```text
//! BenchmarkSort/variant=v3-8         42    27901234 ns/op    8028160 B/op    100001 allocs/op
//! ```
//!
//! Each line is one sample of its iterations; `B/op` and `allocs/op`
//! (`-benchmem`) become the allocation counts, every other unit (`MB/s`,
//! a `b.ReportMetric` unit) is kept per line. The format is Go's
//! "benchmark data format" (proposal 14313): whitespace-separated fields,
//! a name starting `Benchmark` followed by an upper-case letter or its
//! end, an iteration count, then value–unit pairs; the name's `-N`
//! suffix is GOMAXPROCS. Hand-rolled: that is the whole grammar, and no
//! maintained Rust crate reads it.

use crate::protocol::{AllocCounts, Sample};

/// One benchmark result line.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Line {
    /// The name without its `-GOMAXPROCS` suffix.
    pub name: String,
    pub iters: u64,
    pub values: Vec<(f64, String)>,
}

impl Line {
    fn value(&self, unit: &str) -> Option<f64> {
        self.values.iter().find(|(_, u)| u == unit).map(|(v, _)| *v)
    }
}

/// The line, if it is a benchmark result line.
pub(super) fn parse_line(line: &str) -> Option<Line> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    if fields.len() < 4 || !fields.len().is_multiple_of(2) {
        return None;
    }
    let rest = fields[0].strip_prefix("Benchmark")?;
    if rest.chars().next().is_some_and(char::is_lowercase) {
        return None;
    }
    let iters: u64 = fields[1].parse().ok()?;
    let values = fields[2..]
        .chunks(2)
        .map(|pair| {
            let value: f64 = pair[0].parse().ok().filter(|v: &f64| v.is_finite())?;
            Some((value, pair[1].to_string()))
        })
        .collect::<Option<Vec<_>>>()?;
    Some(Line {
        name: without_procs(fields[0]).to_string(),
        iters,
        values,
    })
}

/// `BenchmarkSort/variant=v3-8` → `BenchmarkSort/variant=v3`.
fn without_procs(name: &str) -> &str {
    match name.rsplit_once('-') {
        Some((base, procs)) if !procs.is_empty() && procs.bytes().all(|b| b.is_ascii_digit()) => {
            base
        }
        _ => name,
    }
}

/// What a process's benchmark lines measured.
#[derive(Debug, PartialEq)]
pub(super) struct Measured {
    pub benchmark: String,
    pub samples: Vec<Sample>,
    /// `None` unless every line had `B/op` and `allocs/op`.
    pub alloc: Option<AllocCounts>,
    pub units: Vec<(String, Vec<f64>)>,
}

/// The samples of `lines`, which must all be of one benchmark.
pub(super) fn measured(lines: &[Line]) -> Result<Measured, String> {
    let Some(first) = lines.first() else {
        return Err(
            "the command printed no Go benchmark result line (`BenchmarkName  N  123 ns/op`)"
                .into(),
        );
    };
    let mut names: Vec<&str> = lines.iter().map(|l| l.name.as_str()).collect();
    names.dedup();
    if names.iter().any(|n| *n != first.name) {
        names.sort_unstable();
        names.dedup();
        return Err(format!(
            "the command printed results of {} benchmarks ({}): a point's process must run one, \
             e.g. with -bench '^BenchmarkName/case$'",
            names.len(),
            names.join(", ")
        ));
    }
    let samples = lines
        .iter()
        .map(|l| {
            let ns = l
                .value("ns/op")
                .ok_or_else(|| format!("a line of {} has no ns/op figure", l.name))?;
            Ok(Sample {
                iters: l.iters.max(1),
                ns: (ns * l.iters.max(1) as f64).round() as u64,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Measured {
        benchmark: first.name.clone(),
        samples,
        alloc: alloc_counts(lines),
        units: other_units(lines),
    })
}

/// Totals over every line, when every line has both memory figures.
fn alloc_counts(lines: &[Line]) -> Option<AllocCounts> {
    let mut counts = AllocCounts::default();
    for l in lines {
        let total = |unit| l.value(unit).map(|v| (v * l.iters as f64).round() as u64);
        counts.iters += l.iters;
        counts.bytes += total("B/op")?;
        counts.allocs += total("allocs/op")?;
    }
    Some(counts)
}

/// Units other than time and memory, in order of appearance.
fn other_units(lines: &[Line]) -> Vec<(String, Vec<f64>)> {
    let mut units: Vec<(String, Vec<f64>)> = Vec::new();
    for l in lines {
        for (value, unit) in &l.values {
            if ["ns/op", "B/op", "allocs/op"].contains(&unit.as_str()) {
                continue;
            }
            match units.iter_mut().find(|(u, _)| u == unit) {
                Some((_, values)) => values.push(*value),
                None => units.push((unit.clone(), vec![*value])),
            }
        }
    }
    units
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUTPUT: &str = "goos: linux\ngoarch: amd64\npkg: tuner.example/gomergesort\n\
        BenchmarkSort/variant=v3-2         \t      40\t  27500000 ns/op\t 8028160 B/op\t  100001 allocs/op\t 12.5 MB/s\n\
        BenchmarkSort/variant=v3-2         \t      50\t  26000000.5 ns/op\t 8028160 B/op\t  100001 allocs/op\t 13 MB/s\n\
        PASS\nok  \ttuner.example/gomergesort\t3.1s\n";

    fn lines(text: &str) -> Vec<Line> {
        text.lines().filter_map(parse_line).collect()
    }

    #[test]
    fn go_test_output_becomes_one_sample_per_line() {
        let m = measured(&lines(OUTPUT)).unwrap();
        assert_eq!(m.benchmark, "BenchmarkSort/variant=v3");
        assert_eq!(
            m.samples,
            [
                Sample {
                    iters: 40,
                    ns: 1_100_000_000
                },
                Sample {
                    iters: 50,
                    ns: 1_300_000_025
                },
            ]
        );
        let alloc = m.alloc.unwrap();
        assert_eq!(
            (alloc.iters, alloc.bytes, alloc.allocs),
            (90, 90 * 8028160, 90 * 100001)
        );
        assert_eq!(m.units, [("MB/s".to_string(), vec![12.5, 13.0])]);
    }

    #[test]
    fn only_result_lines_parse() {
        for not in [
            "Benchmarking is fun 1 2",
            "Benchmarkfoo 10 5 ns/op",
            "BenchmarkX 10 5",
            "BenchmarkX ten 5 ns/op",
            "BenchmarkX 10 NaN ns/op",
            "--- BENCH: BenchmarkX",
            "PASS",
        ] {
            assert_eq!(parse_line(not), None, "{not}");
        }
        let bare = parse_line("Benchmark 1 3 ns/op").unwrap();
        assert_eq!((bare.name.as_str(), bare.iters), ("Benchmark", 1));
        assert_eq!(
            parse_line("BenchmarkA-x 1 3 ns/op").unwrap().name,
            "BenchmarkA-x"
        );
    }

    #[test]
    fn missing_memory_figures_leave_the_counts_absent() {
        let m = measured(&lines(
            "BenchmarkA-4 10 50 ns/op\nBenchmarkA-4 10 60 ns/op 3 B/op 1 allocs/op\n",
        ))
        .unwrap();
        assert_eq!(m.alloc, None);
        assert_eq!(m.samples.len(), 2);
    }

    #[test]
    fn no_lines_or_several_benchmarks_are_failures_that_say_so() {
        assert!(measured(&[])
            .unwrap_err()
            .contains("no Go benchmark result line"));
        let e = measured(&lines(
            "BenchmarkA 1 5 ns/op\nBenchmarkB 1 5 ns/op\nBenchmarkA 1 5 ns/op\n",
        ))
        .unwrap_err();
        assert!(e.contains("2 benchmarks (BenchmarkA, BenchmarkB)"), "{e}");
        let e = measured(&lines("BenchmarkA 1 5 MB/s\n")).unwrap_err();
        assert_eq!(e, "a line of BenchmarkA has no ns/op figure");
    }
}
