//! Helpers for the integration tests: configs in temp dirs, the real binary.
// Each test file uses a different subset of these helpers.
#![allow(dead_code)]

pub mod markdown;

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

/// What a finished command printed on standard output.
pub fn stdout(assert: assert_cmd::assert::Assert) -> String {
    String::from_utf8(assert.get_output().stdout.clone()).expect("UTF-8 output")
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
pub fn fake_results(
    config: &str,
    ns: &[Vec<f64>],
    allocs: u64,
) -> tuner::__private::results::Results {
    tuner::__private::fixtures::results_with(config, ns, allocs)
}

/// Saves `results` as `<dir>/<name>` and returns the path.
pub fn save(dir: &Path, name: &str, results: &tuner::__private::results::Results) -> PathBuf {
    let path = dir.join(name);
    results.save(&path).unwrap();
    path
}

/// Processes (other than `except`) whose environment holds `VAR=tag`:
/// a runner started with it set, its workers and whatever they started.
pub fn tagged_processes(var: &str, tag: &str, except: Option<u32>) -> Vec<u32> {
    let needle = format!("{var}={tag}\0");
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let environ = std::fs::read(entry.path().join("environ")).unwrap_or_default();
        let tagged = environ
            .windows(needle.len())
            .any(|w| w == needle.as_bytes());
        if tagged && Some(pid) != except {
            found.push(pid);
        }
    }
    found
}

/// Waits up to 3 s for every tagged process to be gone; the survivors.
pub fn survivors(var: &str, tag: &str) -> Vec<u32> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    loop {
        let left = tagged_processes(var, tag, None);
        if left.is_empty() || std::time::Instant::now() > deadline {
            return left;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// The `.toml` files of `folder` (relative to the repository), sorted.
pub fn committed_configs(folder: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(folder);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    paths
}

/// A committed config is documentation: it opens with a comment saying
/// what it teaches, says how long it takes, and shows the command that
/// runs it (`cargo run --release -- run <folder>/`).
pub fn assert_documented(path: &Path, text: &str, folder: &str) {
    let path = path.display();
    assert!(text.starts_with("# "), "{path} opens with what it teaches");
    assert!(
        text.contains("Takes about"),
        "{path} says how long it takes"
    );
    assert!(
        text.contains(&format!("cargo run --release -- run {folder}/")),
        "{path} shows how to run it"
    );
}

/// A check's tool is missing: under `CI=true` (where `.ci/run` installs
/// every tool) that fails the test; elsewhere it prints SKIPPED and why.
pub fn tool_missing(check: &str, why: &str) {
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{check}: {why}, and CI=true: .ci/run installs it"
    );
    eprintln!("SKIPPED {check}: {why}");
}
