//! Drives the real binary through a profiled run of a small mergesort and
//! reads every artifact back: folded stacks and flame graphs name the
//! workload's sections, the CPU protobuf decodes with samples, the
//! timeline has a track per pool thread, the heap chart a line per
//! allocator, and the report links them all.

use std::collections::BTreeSet;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use pprof::protos::Message as _;

const CONFIG: &str = r#"
[experiment]
name = "tiny"
workload = "mergesort"

[params]
variant = "join"
size = 200_000
threshold = 2048
span_threshold = 10_000

[matrix]
threads = [1, 2]
allocator = ["system", "jemalloc"]

[measure]
processes = 1
samples = 1
warmup = "10ms"
min_sample_time = "1ms"
seed = 7

[report]
dir = "out"

[profile]
duration = "200ms"
"#;

fn tuner() -> Command {
    Command::cargo_bin("tuner").expect("the tuner binary")
}

/// The single run directory under `out/tiny/`.
fn run_dir(root: &Path) -> PathBuf {
    let runs: Vec<_> = std::fs::read_dir(root.join("out/tiny"))
        .expect("a run directory")
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(runs.len(), 1, "{runs:?}");
    runs[0].clone()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn a_profiled_run_leaves_artifacts_that_read_back() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("tiny.toml"), CONFIG).unwrap();
    tuner()
        .current_dir(tmp.path())
        .args([
            "run",
            "tiny.toml",
            "-q",
            "--profile",
            "spans,cpu,timeline,heap,diff",
        ])
        .assert()
        .success();
    let dir = run_dir(tmp.path());
    // Points in matrix order: threads 1 then 2, system then jemalloc.
    let points = [
        "00-1-system",
        "01-1-jemalloc",
        "02-2-system",
        "03-2-jemalloc",
    ];
    for p in points {
        let point = dir.join("points").join(p);

        let folded = read(&point.join("spans.folded"));
        assert!(
            folded
                .lines()
                .any(|l| l.contains(";merge ") || l.contains(";merge;")),
            "{p}: {folded}"
        );
        assert!(folded.contains("split"), "{p}");
        assert!(read(&point.join("spans.svg")).contains("merge"), "{p}");

        let mut gz =
            flate2::read::GzDecoder::new(std::fs::File::open(point.join("cpu.pb.gz")).unwrap());
        let mut bytes = Vec::new();
        gz.read_to_end(&mut bytes).expect("cpu.pb.gz gunzips");
        let profile = pprof::protos::Profile::decode(bytes.as_slice()).expect("a pprof profile");
        assert!(!profile.sample.is_empty(), "{p}: no CPU samples");
        assert!(
            profile.string_table.iter().any(|s| s.contains("merge")),
            "{p}: merge not in the CPU profile"
        );
        assert!(read(&point.join("cpu.svg")).contains("merge"), "{p}");

        let heap: serde_json::Value =
            serde_json::from_str(&read(&point.join("heap.json"))).unwrap();
        assert!(
            heap["samples"].as_array().unwrap().len() > 10,
            "{p}: too few heap samples"
        );
        // The input and its working copy stay live: 2 × 200,000 × 8 bytes.
        let final_live = heap["stats"]["final_live"].as_i64().unwrap();
        assert!(final_live >= 3_200_000, "{p}: {}", heap["stats"]);
        // Resident memory sampled at the same instants holds at least that.
        let resident = heap["resident"].as_array().unwrap();
        assert_eq!(
            resident.len(),
            heap["samples"].as_array().unwrap().len(),
            "{p}"
        );
        let last_resident = resident.last().unwrap()[1].as_i64().unwrap();
        assert!(
            last_resident > final_live,
            "{p}: resident {last_resident} < live {final_live}"
        );
    }

    // Timelines: a track per pool thread, each with span events.
    for (p, threads) in [("00-1-system", 1), ("02-2-system", 2), ("03-2-jemalloc", 2)] {
        let trace: serde_json::Value =
            serde_json::from_str(&read(&dir.join("points").join(p).join("timeline.json")))
                .expect("timeline JSON parses");
        let tids: BTreeSet<i64> = trace
            .as_array()
            .expect("an array of events")
            .iter()
            .filter(|e| e["ph"] == "B" || e["ph"] == "E" || e["ph"] == "X")
            .filter_map(|e| e["tid"].as_i64())
            .collect();
        assert!(
            tids.len() >= threads,
            "{p}: span events on {tids:?}, want ≥ {threads} threads"
        );
    }

    // Diffs against the baseline (threads=1, system) for the others.
    for p in &points[1..] {
        let diff = read(&dir.join("points").join(p).join("diff-cpu.svg"));
        assert!(diff.contains("<svg"), "{p}");
        assert!(
            read(&dir.join("points").join(p).join("diff-spans.svg")).contains("merge"),
            "{p}"
        );
    }
    assert!(!dir.join("points/00-1-system/diff-cpu.svg").exists());

    // One heap chart per thread count, a line (and legend entry) per allocator.
    for chart in ["charts/heap-00-1.svg", "charts/heap-02-2.svg"] {
        let svg = read(&dir.join(chart));
        for allocator in ["system", "jemalloc"] {
            assert!(
                svg.contains(&format!("\n{allocator}\n")),
                "{chart} lacks {allocator}"
            );
        }
    }
    let resident = read(&dir.join("charts/resident-02-2.svg"));
    assert!(resident.contains("\nsystem\n") && resident.contains("\njemalloc\n"));
    assert!(read(&dir.join("charts/scaling.svg")).contains("join"));
    assert!(dir.join("charts/allocs.svg").exists());

    let report = read(&dir.join("report.md"));
    assert!(report.contains("separate profiling processes"));
    assert!(report.contains("(points/02-2-system/cpu.pb.gz)"));
    assert!(report.contains("(points/03-2-jemalloc/timeline.json)"));
    assert!(report.contains("(points/01-1-jemalloc/diff-cpu.svg)"));
    assert!(report.contains("![Scaling: time vs threads](charts/scaling.svg)"));

    // Re-rendering from results.json alone keeps the charts and links.
    std::fs::remove_dir_all(dir.join("charts")).unwrap();
    tuner()
        .arg("report")
        .arg(dir.join("results.json"))
        .assert()
        .success();
    assert!(dir.join("charts/heap-02-2.svg").exists());
    assert_eq!(read(&dir.join("report.md")), report);
}

#[test]
fn an_unknown_profile_kind_is_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("tiny.toml"), CONFIG).unwrap();
    tuner()
        .current_dir(tmp.path())
        .args(["run", "tiny.toml", "--profile", "cpu,flames"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("unknown profile kind `flames`"));
    assert!(!tmp.path().join("out").exists(), "nothing ran");
}

#[test]
fn a_zero_profile_duration_is_a_config_error() {
    let tmp = tempfile::tempdir().unwrap();
    let config = CONFIG.replace("duration = \"200ms\"", "duration = \"0s\"");
    std::fs::write(tmp.path().join("tiny.toml"), config).unwrap();
    tuner()
        .current_dir(tmp.path())
        .args(["run", "tiny.toml", "--dry-run"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("profile.duration"));
}

/// `[profile] points = "reviewed"` profiles each parameter set's baseline
/// and each variant's fastest point, not the whole matrix.
#[test]
fn reviewed_profiling_covers_the_baseline_and_the_fastest_apart_from_the_timed_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let config = CONFIG
        .replace("variant = \"join\"", "variant = [\"sequential\", \"join\"]")
        .replace("size = 200_000", "size = 50_000")
        .replace(
            "duration = \"200ms\"",
            "duration = \"50ms\"\nspans = true\npoints = \"reviewed\"",
        );
    let dir = run_quietly(tmp.path(), &config);
    let results: serde_json::Value =
        serde_json::from_str(&read(&dir.join("results.json"))).unwrap();
    let records = results["profiling"]["records"].as_array().unwrap();
    let profiled: BTreeSet<u64> = records
        .iter()
        .map(|r| r["point"].as_u64().unwrap())
        .collect();
    // 8 points (2 variants × 2 threads × 2 allocators): the baseline
    // (point 0: sequential, 1 thread, system) and the fastest point; no
    // lesson of merge sort pairs these two variants.
    assert!(profiled.contains(&0), "{profiled:?}");
    assert!((1..=2).contains(&profiled.len()), "{profiled:?}");
    let note = format!("profiled {} of 8 points", profiled.len());
    assert!(read(&dir.join("report.md")).contains(&note), "{note}");
    // No timed value came from a profiled process: the timed runs are
    // exactly points × processes, each with its samples and no profile,
    // and the profiles are records of their own, one per point and pass.
    let processes = results["plan"]["measure"]["processes"].as_u64().unwrap();
    let runs = results["runs"].as_array().unwrap();
    assert_eq!(runs.len() as u64, 8 * processes);
    for run in runs {
        let out = &run["outcome"];
        assert_eq!(out["status"], "ok", "{run}");
        assert!(!out["samples"].as_array().unwrap().is_empty(), "{run}");
        assert!(
            out.get("profile").is_none() && out.get("heap").is_none(),
            "{run}"
        );
    }
    let passes = 1; // spans
    assert_eq!(records.len(), profiled.len() * passes);
    assert!(
        records.iter().all(|r| r.get("seq").is_none()),
        "not timed runs"
    );
}

#[test]
fn a_spans_profile_that_recorded_nothing_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    // 5,000 elements never reach the 10,000-element span threshold.
    let config = CONFIG
        .replace("size = 200_000", "size = 5_000")
        .replace("threads = [1, 2]", "threads = [1]")
        .replace(
            "allocator = [\"system\", \"jemalloc\"]",
            "allocator = [\"system\"]",
        )
        .replace("duration = \"200ms\"", "duration = \"20ms\"\nspans = true");
    let dir = run_quietly(tmp.path(), &config);
    let report = read(&dir.join("report.md"));
    assert!(
        report.contains("recorded no span (nothing reached the workload's span threshold)"),
        "{report}"
    );
    let svgs = walk(&dir)
        .into_iter()
        .filter(|p| {
            p.to_string_lossy().contains("spans") && p.extension().is_some_and(|e| e == "svg")
        })
        .count();
    assert_eq!(svgs, 0, "no flame graph of nothing");
}

/// Runs `config` as `tiny.toml` in `root`; the run's folder.
fn run_quietly(root: &Path, config: &str) -> PathBuf {
    std::fs::write(root.join("tiny.toml"), config).unwrap();
    tuner()
        .current_dir(root)
        .args(["run", "tiny.toml", "-q"])
        .assert()
        .success();
    run_dir(root)
}

/// Every file below `dir`.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}
