//! Helpers for the integration tests: configs in temp dirs, the real binary.
// Each test file uses a different subset of these helpers.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// Writes `body` as a config whose reports go into the temp dir.
pub fn config(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    let text = format!(
        "{body}\n[report]\ndir = \"{}\"\n",
        dir.join("reports").display()
    );
    std::fs::write(&path, text).unwrap();
    path
}

pub fn tuner() -> Command {
    let mut cmd = Command::cargo_bin("tuner").unwrap();
    cmd.env("CI", "true");
    cmd
}

/// The single run directory under `<dir>/reports/<name>/`.
pub fn run_dir(dir: &Path, name: &str) -> PathBuf {
    let parent = dir.join("reports").join(name);
    let mut runs: Vec<_> = std::fs::read_dir(&parent)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(runs.len(), 1, "{runs:?}");
    runs.pop().unwrap()
}

pub fn results(run_dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(run_dir.join("results.json")).unwrap()).unwrap()
}

/// A results file built without running anything: `config` (a TOML body)
/// expanded to its points, point `i` with one successful process per value
/// in `ns[i]` (its ns/op) and `allocs` allocations of 64 bytes per op.
pub fn fake_results(config: &str, ns: &[Vec<f64>], allocs: u64) -> tuner::results::Results {
    use tuner::results::*;
    let plan = tuner::config::parse(Path::new("fake.toml"), config).unwrap();
    let points = tuner::matrix::expand(&plan);
    let mut runs = Vec::new();
    for (point, values) in ns.iter().enumerate() {
        for (process, v) in values.iter().enumerate() {
            let sample = Sample {
                iters: 100,
                ns: (v * 100.0).round() as u64,
            };
            let output = RunOutput {
                samples: vec![sample; 3],
                build_ns: 0,
                first_run_ns: 0,
                warmup_iters: 0,
                alloc: AllocCounts {
                    iters: 300,
                    allocs: allocs * 300,
                    bytes: allocs * 300 * 64,
                    ..AllocCounts::default()
                },
                cpu: CpuUsage::default(),
                threads: ThreadCheck::default(),
                allocator: tuner::alloc::AllocatorName::System,
                evidence: tuner::alloc::Evidence {
                    glibc: true,
                    jemalloc: false,
                    mimalloc: false,
                },
                digest: 0,
            };
            runs.push(RunRecord {
                point,
                process: process as u32,
                seq: runs.len(),
                wall_ms: 1.0,
                max_rss_kib: 1024,
                outcome: Outcome::Ok(output),
            });
        }
    }
    Results {
        schema: SCHEMA,
        tuner_version: "0.1.0".into(),
        run_id: "fake-run".into(),
        config_path: "fake.toml".into(),
        config_text: config.into(),
        baseline: tuner::matrix::baseline(&plan, &points),
        plan,
        points,
        environment: tuner::environment::Environment {
            cpu_model: "Test CPU".into(),
            cores: 2,
            optimized: true,
            ..Default::default()
        },
        runs,
    }
}

/// Saves `results` as `<dir>/<name>` and returns the path.
pub fn save(dir: &Path, name: &str, results: &tuner::results::Results) -> PathBuf {
    let path = dir.join(name);
    results.save(&path).unwrap();
    path
}
