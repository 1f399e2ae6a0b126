//! Results built in memory for tests: a config's points and worker
//! processes with chosen values, no workload run.

use std::path::Path;

use crate::alloc::{AllocatorName, Evidence};
use crate::environment::Environment;
#[cfg(test)]
use crate::machine::{BusySource, CpuSet, Delivered, MachineCpu, Of, Threads};
use crate::matrix::Point;
use crate::protocol::{AllocCounts, CpuUsage, RunOutput, Sample, ThreadCheck, PROTOCOL_VERSION};
use crate::results::{Outcome, Results, RunRecord, SCHEMA};

/// A successful process: three samples of 10 iterations at `ns_per_op`,
/// `allocs_per_op` allocations of 64 bytes each per operation, CPU time
/// equal to the samples' wall time.
pub(crate) fn output(ns_per_op: f64, allocs_per_op: u64) -> RunOutput {
    output_with_ops(ns_per_op, allocs_per_op, 1)
}

/// [`output`] for a workload doing `ops_per_run` operations per run.
pub(crate) fn output_with_ops(ns_per_op: f64, allocs_per_op: u64, ops_per_run: u64) -> RunOutput {
    let sample = Sample {
        iters: 10,
        ns: (ns_per_op * (10 * ops_per_run) as f64).round() as u64,
    };
    let ops = 30 * ops_per_run;
    RunOutput {
        protocol: PROTOCOL_VERSION,
        peak_rss_kib: Some(2048),
        samples: vec![sample; 3],
        ops_per_run,
        build_ns: 0,
        first_run_ns: 0,
        warmup_iters: 0,
        alloc: AllocCounts {
            iters: 30,
            allocs: allocs_per_op * ops,
            bytes: allocs_per_op * ops * 64,
            ..AllocCounts::default()
        },
        cpu: CpuUsage {
            user_ns: (ns_per_op * ops as f64).round() as u64,
            timed_ns: Some((ns_per_op * ops as f64).round() as u64),
            ..CpuUsage::default()
        },
        threads: ThreadCheck {
            rayon: 1,
            tokio: None,
            os_threads: 2,
            busy: Some(1),
            busy_rayon: Some(1),
            busy_tokio: None,
        },
        allocator: AllocatorName::System,
        evidence: Evidence {
            glibc: true,
            jemalloc: false,
            mimalloc: false,
        },
        digest: 0,
        command: None,
        machine: None,
    }
}

/// The results of `config` (a TOML body) where point `i`'s processes have
/// the ns/op values `per_point[i]` (`None`: the process failed), each with
/// one allocation per operation.
pub(crate) fn results(config: &str, per_point: &[&[Option<f64>]]) -> Results {
    assemble(config, |points| {
        let mut runs = Vec::new();
        for (point, values) in per_point.iter().enumerate().take(points.len()) {
            for (process, v) in values.iter().enumerate() {
                let outcome = match v {
                    Some(ns) => Outcome::Ok(output(*ns, 1)),
                    None => Outcome::Failed {
                        kind: crate::results::FailureKind::Panic,
                        reason: "panicked: as asked".into(),
                        stderr_tail: String::new(),
                    },
                };
                runs.push(record(point, process, runs.len(), outcome));
            }
        }
        runs
    })
}

/// The results of `config` where point `i` has one successful process per
/// value in `ns[i]` (its ns/op), each with `allocs` allocations per op.
pub fn results_with(config: &str, ns: &[Vec<f64>], allocs: u64) -> Results {
    results_with_ops(config, ns, allocs, 1)
}

/// [`results_with`] for a workload doing `ops_per_run` operations per run.
pub(crate) fn results_with_ops(
    config: &str,
    ns: &[Vec<f64>],
    allocs: u64,
    ops_per_run: u64,
) -> Results {
    assemble(config, |points| {
        let mut runs = Vec::new();
        for (point, values) in ns.iter().enumerate().take(points.len()) {
            for (process, v) in values.iter().enumerate() {
                runs.push(record(
                    point,
                    process,
                    runs.len(),
                    Outcome::Ok(output_with_ops(*v, allocs, ops_per_run)),
                ));
            }
        }
        runs
    })
}

/// The results of `config` where process `k` of each point (as many as
/// `[measure] processes`) measured `ns(point) * (1 + 0.001 k)` ns/op and
/// `allocs(point)` allocations per operation.
pub(crate) fn results_by(
    config: &str,
    ns: impl Fn(&Point) -> f64,
    allocs: impl Fn(&Point) -> u64,
) -> Results {
    let processes = crate::config::parse(
        Path::new("fixture.toml"),
        config,
        &tuner_experiments::catalog(),
    )
    .expect("valid config")
    .measure
    .processes;
    assemble(config, |points| {
        let mut runs = Vec::new();
        for p in points {
            for k in 0..processes as usize {
                let out = output(ns(p) * (1.0 + 0.001 * k as f64), allocs(p));
                runs.push(record(p.id, k, runs.len(), Outcome::Ok(out)));
            }
        }
        runs
    })
}

/// A journal record of process `process` of `point`.
pub(crate) fn record(point: usize, process: usize, seq: usize, outcome: Outcome) -> RunRecord {
    RunRecord {
        point,
        process: process as u32,
        seq,
        wall_ms: 1.0,
        max_rss_kib: 1024,
        outcome,
        machine: None,
        contended: None,
    }
}

fn assemble(config: &str, runs: impl FnOnce(&[Point]) -> Vec<RunRecord>) -> Results {
    let plan = crate::config::parse(
        Path::new("fixture.toml"),
        config,
        &tuner_experiments::catalog(),
    )
    .expect("valid config");
    let points = crate::matrix::expand(&plan);
    let runs = runs(&points);
    Results {
        schema: SCHEMA,
        protocol: crate::protocol::PROTOCOL_VERSION,
        tuner_version: "0.1.0".into(),
        run_id: "2026-01-01T00-00-00Z".into(),
        config_path: "fixture.toml".into(),
        config_text: config.into(),
        baseline: crate::matrix::baseline(&plan, &points),
        plan,
        points,
        environment: Environment {
            cpu_model: "Test CPU".into(),
            cores: 2,
            optimized: true,
            ..Environment::default()
        },
        runs,
        profiling: Default::default(),
        warnings: Vec::new(),
        interrupted: None,
        shard: None,
        machine: None,
        merged: None,
        planning: None,
        elapsed_s: None,
        rounds: None,
    }
}

/// A point with the given `(axis, value)` coordinates and default knobs.
pub(crate) fn point(id: usize, coords: &[(&str, &str)]) -> Point {
    Point {
        id,
        variant: String::new(),
        params: Default::default(),
        threads: 1,
        allocator: AllocatorName::System,
        buffering: tuner_api::Buffering::Unbuffered,
        env: Vec::new(),
        runtime: Vec::new(),
        coords: coords
            .iter()
            .map(|(a, v)| (a.to_string(), v.to_string()))
            .collect(),
    }
}

/// Two mergesort variants, threshold pinned to 64.
pub(crate) const TINY: &str = "[experiment]\nname = \"tiny\"\nworkload = \"mergesort\"\n[params]\nvariant = [\"sequential\", \"v3\"]\nthreshold = 64\n[matrix]\nthreads = [1]\nallocator = [\"system\"]\n";

/// What the machine delivered over a 1 s window on CPUs 0-1 of a 2-CPU
/// machine: `cpu_ms` of the process's own CPU, `busy_ms` of every task's
/// busy time, `delay_ms` of run delay, `ran` threads that ran work.
#[cfg(test)]
pub(crate) fn delivered_window(cpu_ms: u64, busy_ms: u64, delay_ms: u64, ran: u32) -> Delivered {
    Delivered {
        version: 1,
        of: Of::Process,
        wall_ns: 1_000_000_000,
        cpu_ns: cpu_ms * 1_000_000,
        voluntary_switches: 0,
        involuntary_switches: 0,
        allowed: Some(CpuSet::of([0, 1])),
        online: 2,
        threads: Some(Threads {
            ran,
            seen: ran + 1,
            ..Threads::default()
        }),
        run_delay_ns: Some(delay_ms * 1_000_000),
        machine: Some(MachineCpu {
            source: BusySource::Cpuacct,
            busy_ns: busy_ms * 1_000_000,
            observer_ns: 0,
            resolution_ns: 0,
        }),
        steal_ns: Some(0),
        throttle: None,
        pressure: None,
        freq_khz: None,
    }
}
