//! Synthetic results for the report's tests: a real plan and matrix, with
//! runs whose timings follow a given function of the point.

use std::path::Path;

use crate::alloc::{AllocatorName, Evidence};
use crate::matrix::{self, Point};
use crate::results::{
    AllocCounts, CpuUsage, Outcome, Results, RunOutput, RunRecord, Sample, ThreadCheck, SCHEMA,
};

/// Results of `config` where process `k` of each point measured
/// `ns(point) * (1 + 0.001 * k)` per op and `allocs(point)` allocations per op.
pub fn results(
    config: &str,
    ns: impl Fn(&Point) -> f64,
    allocs: impl Fn(&Point) -> u64,
) -> Results {
    let plan = crate::config::parse(Path::new("synthetic.toml"), config).expect("valid config");
    let points = matrix::expand(&plan);
    let mut runs = Vec::new();
    for p in &points {
        for k in 0..plan.measure.processes {
            let per_op = ns(p) * (1.0 + 0.001 * f64::from(k));
            let output = RunOutput {
                samples: vec![
                    Sample {
                        iters: 10,
                        ns: (per_op * 10.0) as u64
                    };
                    3
                ],
                ops_per_run: 1,
                build_ns: 1000,
                first_run_ns: per_op as u64,
                warmup_iters: 1,
                alloc: AllocCounts {
                    iters: 30,
                    allocs: allocs(p) * 30,
                    bytes: allocs(p) * 30 * 64,
                    live_before: 0,
                    peak_live: 1 << 20,
                },
                cpu: CpuUsage {
                    user_ns: (per_op * 30.0) as u64,
                    ..Default::default()
                },
                threads: ThreadCheck {
                    rayon: p.threads,
                    tokio: None,
                    os_threads: p.threads + 1,
                },
                allocator: p.allocator,
                evidence: Evidence {
                    glibc: p.allocator == AllocatorName::System,
                    mimalloc: p.allocator == AllocatorName::Mimalloc,
                    jemalloc: p.allocator == AllocatorName::Jemalloc,
                },
                digest: 42,
            };
            runs.push(RunRecord {
                point: p.id,
                process: k,
                seq: runs.len(),
                wall_ms: 1.0,
                max_rss_kib: 4096,
                outcome: Outcome::Ok(output),
            });
        }
    }
    Results {
        schema: SCHEMA,
        tuner_version: "test".into(),
        run_id: "test-run".into(),
        config_path: "synthetic.toml".into(),
        config_text: config.into(),
        baseline: matrix::baseline(&plan, &points),
        plan,
        points,
        environment: Default::default(),
        runs,
    }
}
