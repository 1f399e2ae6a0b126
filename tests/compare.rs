//! `tuner compare`, `tuner run --baseline` and `tuner export` end to end:
//! exit codes, formats, the step summary, on results files built in the
//! test with chosen per-process values (and one real pair of runs).

mod common;

use std::path::{Path, PathBuf};

use common::{config, fake_results, run_dir, save, stdout, tuner};
use predicates::str::contains;

const TWO_VARIANTS: &str = r#"
[experiment]
name = "tiny"
workload = "mergesort"
[params]
variant = ["sequential", "v3"]
threshold = 64
[matrix]
threads = [1]
allocator = ["system"]
"#;

/// Ten processes around 100 ns/op, times `factor`.
fn ten(factor: f64) -> Vec<f64> {
    [
        100.0, 101.0, 99.5, 100.4, 99.8, 100.9, 100.2, 99.1, 100.6, 99.9,
    ]
    .iter()
    .map(|v| v * factor)
    .collect()
}

/// Base: both points at 100 ns/op. Head: `v3` times `v3_factor`, with
/// `allocs` allocations per operation.
fn pair(dir: &Path, v3_factor: f64, allocs: u64) -> (PathBuf, PathBuf) {
    let base = fake_results(TWO_VARIANTS, &[ten(1.0), ten(1.0)], 1);
    let head = fake_results(TWO_VARIANTS, &[ten(1.0), ten(v3_factor)], allocs);
    (save(dir, "base.json", &base), save(dir, "head.json", &head))
}

#[test]
fn identical_runs_are_equivalent_and_exit_zero_even_when_failing_on_any_change() {
    let dir = tempfile::tempdir().unwrap();
    let (base, head) = pair(dir.path(), 1.0, 1);
    let text = stdout(
        tuner()
            .arg("compare")
            .args([&base, &head])
            .args(["--fail-on", "any-change"])
            .assert()
            .success(),
    );
    let rows: Vec<&str> = text.lines().filter(|l| l.starts_with("variant=")).collect();
    // Two time rows; the exact counts, all unchanged, in one line each.
    assert_eq!(rows.len(), 2, "{text}");
    assert!(
        rows[0].contains("100 ns ± ")
            && rows[0].contains("+0.0% [")
            && rows[0].contains("equivalent"),
        "{}",
        rows[0]
    );
    assert!(text.contains("\nallocs/op: unchanged at all 2 points\n"));
    assert!(text.contains("\nB/op: unchanged at all 2 points\n"));
    assert!(text.contains("geomean") && text.contains("+0.0%"));
    assert!(text.contains("verdicts: 0 slower, 0 faster, 2 equivalent, 0 not shown"));
}

#[test]
fn a_ten_percent_slowdown_is_slower_and_fails_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let (base, head) = pair(dir.path(), 1.10, 1);
    let text = stdout(
        tuner()
            .arg("compare")
            .args([&base, &head])
            .assert()
            .success(),
    );
    let v3 = text.lines().find(|l| l.starts_with("variant=v3")).unwrap();
    assert!(v3.contains("+10.0% [") && v3.contains(" slower "), "{v3}");
    // Two comparisons, fully separated at 10 + 10: Holm's p = 2 × 2/C(20,10).
    assert!(v3.contains("<0.001") && v3.ends_with("10+10"), "{v3}");
    tuner()
        .arg("compare")
        .args([&base, &head])
        .args(["--fail-on", "slower"])
        .assert()
        .code(1)
        .stderr(contains("variant=v3: time +10.0% ["))
        .stderr(contains("slower: p = 2.2e-5 < 0.05 and the whole interval [+9.3, +10.7] (95.7%) is beyond the ±1% band"));
    // A 20% noise band swallows a 10% change.
    tuner()
        .arg("compare")
        .args([&base, &head])
        .args(["--fail-on", "slower", "--noise", "20%"])
        .assert()
        .success()
        .stdout(contains("0 slower, 0 faster, 2 equivalent"));
}

#[test]
fn more_allocations_fail_a_regression_gate_but_not_a_slower_one() {
    let dir = tempfile::tempdir().unwrap();
    let (base, head) = pair(dir.path(), 1.0, 3);
    tuner()
        .arg("compare")
        .args([&base, &head])
        .args(["--fail-on", "slower"])
        .assert()
        .success();
    tuner()
        .arg("compare")
        .args([&base, &head])
        .args(["--fail-on", "regression"])
        .assert()
        .code(1)
        .stderr(contains("variant=v3: allocs/op 1 → 3 (+2, +200.0%)"))
        .stderr(contains("variant=sequential: B/op 64 → 192"));
    let text = stdout(
        tuner()
            .arg("compare")
            .args([&base, &head])
            .assert()
            .success(),
    );
    let allocs = text
        .lines()
        .skip_while(|l| !l.starts_with("allocs/op"))
        .nth(2)
        .unwrap();
    assert_eq!(
        allocs.split_whitespace().collect::<Vec<_>>(),
        ["variant=v3", "1", "3", "+200.0%"]
    );
}

#[test]
fn json_holds_the_verdicts_and_the_family() {
    let dir = tempfile::tempdir().unwrap();
    let (base, head) = pair(dir.path(), 0.9, 1);
    let json: serde_json::Value = serde_json::from_str(&stdout(
        tuner()
            .arg("compare")
            .args([&base, &head])
            .args(["--format", "json"])
            .assert()
            .success(),
    ))
    .unwrap();
    let verdicts: Vec<&str> = json["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["time"]["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(verdicts, ["Equivalent", "Faster"]);
    assert_eq!(json["points"][1]["point"], "variant=v3");
    assert_eq!(json["family"], 2);
    assert_eq!(json["counts"]["faster"], 1);
    assert_eq!(json["changed"], serde_json::json!([]));
    let pct = json["points"][1]["time"]["change"]["pct"].as_f64().unwrap();
    assert!((pct + 10.0).abs() < 0.01, "{pct}");
    assert_eq!(json["settings"]["rule"]["noise_band_pct"], 1.0);
}

#[test]
fn markdown_goes_to_stdout_the_output_file_and_the_step_summary() {
    let dir = tempfile::tempdir().unwrap();
    let (base, head) = pair(dir.path(), 1.10, 1);
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "# earlier step\n").unwrap();
    let md_file = dir.path().join("out.md");
    let md = stdout(
        tuner()
            .arg("compare")
            .args([&base, &head])
            .args(["--format", "md", "--output"])
            .arg(&md_file)
            .env("GITHUB_STEP_SUMMARY", &summary)
            .assert()
            .success(),
    );
    assert!(md.starts_with("## Comparison: tiny\n"));
    assert!(md.contains("| time/op | base | head | change [95% CI] | verdict | p (Holm) | n |"));
    assert!(md.contains("|---|--:|--:|---|---|--:|--:|"));
    let v3 = md
        .lines()
        .find(|l| l.starts_with("| variant=v3 |"))
        .unwrap();
    assert!(v3.contains("| **slower** |"), "{v3}");
    assert!(md.contains("**Time:** 1 slower, 0 faster, 1 equivalent, 0 not shown"));
    assert_eq!(std::fs::read_to_string(&md_file).unwrap(), md);
    let appended = std::fs::read_to_string(&summary).unwrap();
    assert_eq!(appended, format!("# earlier step\n{md}\n"));
}

#[test]
fn runs_that_cannot_be_compared_exit_three() {
    let dir = tempfile::tempdir().unwrap();
    let (base, _) = pair(dir.path(), 1.0, 1);
    let spin =
        "[experiment]\nname = \"tiny\"\nworkload = \"selfcheck\"\n[params]\nvariant = [\"spin\"]\n";
    let other = save(
        dir.path(),
        "other.json",
        &fake_results(spin, &[ten(1.0)], 0),
    );
    tuner()
        .arg("compare")
        .args([&base, &other])
        .assert()
        .code(3)
        .stderr(contains(
            "cannot compare: base runs workload `mergesort`, head runs workload `selfcheck`",
        ));
    let disjoint = TWO_VARIANTS.replace("[\"sequential\", \"v3\"]", "[\"v1\", \"v2\"]");
    let disjoint = save(
        dir.path(),
        "disjoint.json",
        &fake_results(&disjoint, &[ten(1.0), ten(1.0)], 1),
    );
    tuner()
        .arg("compare")
        .args([&base, &disjoint])
        .assert()
        .code(3)
        .stderr(contains("no point in common (base has variant=sequential, variant=v3; head has variant=v1, variant=v2)"));
}

#[test]
fn bad_paths_files_and_options_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (base, head) = pair(dir.path(), 1.0, 1);
    tuner()
        .arg("compare")
        .arg(&base)
        .arg(dir.path().join("missing.json"))
        .assert()
        .code(2)
        .stderr(contains("cannot read"))
        .stderr(contains("missing.json"));
    let junk = dir.path().join("junk.json");
    std::fs::write(&junk, "{}").unwrap();
    tuner()
        .arg("compare")
        .args([&junk, &head])
        .assert()
        .code(2)
        .stderr(contains("junk.json:1:2: not a tuner results file"));
    tuner()
        .arg("compare")
        .args([&base, &head])
        .args(["--noise", "lots"])
        .assert()
        .code(2)
        .stderr(contains("`lots` is not a percentage"));
    tuner()
        .arg("compare")
        .args([&base, &head])
        .args(["--fail-on", "faster"])
        .assert()
        .code(2);
}

#[test]
fn help_documents_the_exit_codes() {
    tuner()
        .args(["compare", "--help"])
        .assert()
        .success()
        .stdout(contains("3  the runs cannot be compared"))
        .stdout(contains("any-change"));
}

#[test]
fn export_writes_gobench_csv_and_json_per_process() {
    let dir = tempfile::tempdir().unwrap();
    let (base, _) = pair(dir.path(), 1.0, 1);
    let text = stdout(
        tuner()
            .args(["export", "--format", "gobench"])
            .arg(&base)
            .assert()
            .success(),
    );
    assert!(text.starts_with("goos: "));
    assert!(text.contains("\npkg: tuner/tiny\n"));
    assert!(text.contains("\nthreshold: 64\n"));
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("Benchmark"))
        .collect();
    assert_eq!(lines.len(), 20);
    let fields: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(
        fields,
        [
            "BenchmarkTiny/variant=sequential-2",
            "30",
            "100",
            "ns/op",
            "64",
            "B/op",
            "1",
            "allocs/op"
        ]
    );
    let csv_path = dir.path().join("runs.csv");
    tuner()
        .args(["export", "--format", "csv", "--output"])
        .arg(&csv_path)
        .arg(&base)
        .assert()
        .success();
    let csv = std::fs::read_to_string(&csv_path).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 21);
    assert!(
        rows[0].starts_with(
            "run_id,point,variant,size,threshold,span_threshold,seed,threads,allocator,buffering,process,seq,status,"
        ),
        "{}",
        rows[0]
    );
    assert!(
        rows[1].starts_with(
            "2026-01-01T00-00-00Z,variant=sequential,sequential,1000000,64,65536,1,1,system,"
        ),
        "{}",
        rows[1]
    );
    let json: serde_json::Value = serde_json::from_str(&stdout(
        tuner()
            .args(["export", "--format", "json"])
            .arg(&base)
            .assert()
            .success(),
    ))
    .unwrap();
    assert_eq!(json.as_array().unwrap().len(), 20);
    assert_eq!(json[19]["coords"]["variant"], "v3");
    assert_eq!(json[19]["ns_per_op"], 99.9);
}

const SPIN: &str = r#"
[experiment]
name = "spin"
workload = "selfcheck"
[params]
variant = ["spin"]
steps = STEPS
[matrix]
threads = [1]
[measure]
processes = 6
samples = 2
warmup = "1ms"
min_sample_time = "2ms"
seed = 3
"#;

#[test]
fn run_with_a_baseline_compares_links_and_gates() {
    let dir = tempfile::tempdir().unwrap();
    let base_dir = dir.path().join("base");
    std::fs::create_dir(&base_dir).unwrap();
    let cfg = config(&base_dir, "spin.toml", &SPIN.replace("STEPS", "2000"));
    tuner().args(["run", "-q"]).arg(&cfg).assert().success();
    let base = run_dir(&base_dir, "spin").join("results.json");

    let head_dir = dir.path().join("head");
    std::fs::create_dir(&head_dir).unwrap();
    // Ten times the work per operation: unmistakably slower.
    let cfg = config(&head_dir, "spin.toml", &SPIN.replace("STEPS", "20000"));
    let text = stdout(
        tuner()
            .args(["run", "-q", "--fail-on", "slower", "--baseline"])
            .arg(&base)
            .arg(&cfg)
            .assert()
            .code(1)
            .stderr(contains("all: time +")),
    );
    assert!(text.contains("changed: steps 2000 → 20000"), "{text}");
    assert!(text.contains("verdicts: 1 slower, 0 faster"), "{text}");
    let run = run_dir(&head_dir, "spin");
    let compare = std::fs::read_to_string(run.join("compare.md")).unwrap();
    assert!(compare.contains("**Changed between the runs:** `steps` 2000 → 20000."));
    assert!(compare.contains("| all | "));
    let report = std::fs::read_to_string(run.join("report.md")).unwrap();
    assert!(report.contains("see [compare.md](compare.md)"));

    // A baseline of another workload is refused before anything runs.
    let (other, _) = pair(dir.path(), 1.0, 1);
    tuner()
        .args(["run", "--baseline"])
        .arg(&other)
        .arg(&cfg)
        .assert()
        .code(3);
    assert_eq!(
        std::fs::read_dir(head_dir.join("reports/spin"))
            .unwrap()
            .count(),
        1
    );
}

#[test]
fn a_baseline_with_no_point_in_common_exits_3_but_the_run_keeps_its_report() {
    let dir = tempfile::tempdir().unwrap();
    // A baseline of the same workload whose points are other variants.
    let other = SPIN
        .replace("[\"spin\"]", "[\"panic\", \"hang\"]")
        .replace("STEPS", "20");
    let base = save(
        dir.path(),
        "base.json",
        &fake_results(&other, &[vec![1.0; 6], vec![1.0; 6]], 0),
    );
    let cfg = config(dir.path(), "spin.toml", &SPIN.replace("STEPS", "20"));
    tuner()
        .args(["run", "-q", "--baseline"])
        .arg(&base)
        .arg(&cfg)
        .assert()
        .code(3)
        .stderr(contains("no point in common"));
    let run = run_dir(dir.path(), "spin");
    let report = std::fs::read_to_string(run.join("report.md")).unwrap();
    assert!(report.contains("## Answer"));
    assert!(!run.join("compare.md").exists());
}
