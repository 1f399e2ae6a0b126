//! `tuner run` end to end on tiny configs: the report and results hold the
//! right values, failing points are recorded, and the run goes on.

mod common;

use common::{config, results, run_dir, tuner};
use predicates::str::contains;

const TINY_MERGESORT: &str = r#"
[experiment]
name = "tiny"
workload = "mergesort"
[params]
variant = ["sequential", "v3", "rayon"]
size = 20000
threshold = 512
[matrix]
threads = [1, 2]
allocator = ["system", "mimalloc", "jemalloc"]
[measure]
processes = 2
samples = 2
warmup = "1ms"
min_sample_time = "1ms"
seed = 7
"#;

#[test]
fn tiny_mergesort_run_writes_results_and_report_with_real_values() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), "tiny.toml", TINY_MERGESORT);
    tuner()
        .arg("run")
        .arg(&cfg)
        .assert()
        .success()
        .stdout(contains("report.md"));
    let run = run_dir(dir.path(), "tiny");
    let r = results(&run);
    assert_eq!(r["schema"], 1);
    let points = r["points"].as_array().unwrap();
    assert_eq!(points.len(), 3 * 2 * 3);
    let runs = r["runs"].as_array().unwrap();
    assert_eq!(runs.len(), points.len() * 2);
    for run in runs {
        let point = &points[run["point"].as_u64().unwrap() as usize];
        let out = &run["outcome"];
        assert_eq!(out["status"], "ok", "{run}");
        // The allocator named is the one whose own statistics moved.
        let allocator = point["allocator"].as_str().unwrap();
        assert_eq!(out["allocator"], allocator);
        let evidence = &out["evidence"];
        let moved: Vec<&str> = ["glibc", "mimalloc", "jemalloc"]
            .into_iter()
            .filter(|a| evidence[*a] == true)
            .collect();
        let expected = if allocator == "system" {
            "glibc"
        } else {
            allocator
        };
        assert_eq!(moved, [expected], "{evidence}");
        // The workload ran in a pool of exactly the point's threads, and the
        // process had that many pool threads beside its main thread.
        let threads = point["threads"].as_u64().unwrap();
        assert_eq!(out["threads"]["rayon"], threads);
        assert!(out["threads"]["os_threads"].as_u64().unwrap() > threads);
        // The seed's merge sort allocates one helper per merge: n - 1 per sort.
        let iters = out["alloc"]["iters"].as_u64().unwrap();
        let allocs = out["alloc"]["allocs"].as_u64().unwrap();
        if point["variant"] == "sequential" {
            assert_eq!(allocs, 19_999 * iters, "exact allocation count");
        }
        assert!(out["samples"].as_array().unwrap().len() == 2);
        assert!(run["max_rss_kib"].as_u64().unwrap() > 1000);
    }
    let digests: std::collections::BTreeSet<_> = runs
        .iter()
        .map(|r| r["outcome"]["digest"].as_u64().unwrap())
        .collect();
    assert_eq!(digests.len(), 1, "every variant sorts to the same output");

    let report = std::fs::read_to_string(run.join("report.md")).unwrap();
    assert!(report.contains("## Answer"));
    let base_row = report
        .lines()
        .find(|l| l.starts_with("| sequential | 1 | system |"))
        .unwrap();
    assert!(base_row.contains("| (baseline) |"), "{base_row}");
    // Every other point is compared with the baseline, with a verdict.
    let v3_row = report
        .lines()
        .find(|l| l.starts_with("| v3 | 1 | system |"))
        .unwrap();
    assert!(
        ["faster", "slower", "equivalent", "not shown"]
            .iter()
            .any(|v| v3_row.contains(v)),
        "{v3_row}"
    );
    assert!(
        report.contains("| 19,999 |"),
        "exact allocs/op in the table"
    );
    assert!(report.contains("### variant × threads"));
    assert!(report
        .contains("of 36 processes started, 36 succeeded and in 36 of them the named allocator"));
    assert!(report.contains("same output digest"));
    let journal = std::fs::read_to_string(run.join("journal.jsonl")).unwrap();
    assert_eq!(journal.lines().count(), 1 + runs.len());
}

#[test]
fn report_rerenders_the_same_markdown_from_results_or_journal() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        dir.path(),
        "tiny.toml",
        &TINY_MERGESORT.replace(
            "allocator = [\"system\", \"mimalloc\", \"jemalloc\"]",
            "allocator = [\"system\"]",
        ),
    );
    tuner().arg("run").arg(&cfg).assert().success();
    let run = run_dir(dir.path(), "tiny");
    let original = std::fs::read_to_string(run.join("report.md")).unwrap();
    std::fs::remove_file(run.join("report.md")).unwrap();
    tuner()
        .arg("report")
        .arg(run.join("results.json"))
        .assert()
        .success();
    assert_eq!(
        std::fs::read_to_string(run.join("report.md")).unwrap(),
        original
    );
    // An interrupted run's journal renders too.
    std::fs::remove_file(run.join("results.json")).unwrap();
    tuner()
        .arg("report")
        .arg(run.join("journal.jsonl"))
        .assert()
        .success();
    assert_eq!(
        std::fs::read_to_string(run.join("report.md")).unwrap(),
        original
    );
}

#[test]
fn failing_points_are_recorded_with_reasons_and_the_matrix_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        dir.path(),
        "faults.toml",
        r#"
[experiment]
name = "faults"
workload = "selfcheck"
[params]
variant = ["spin", "panic", "abort", "hang"]
fail_at = 2
[matrix]
threads = [1]
[measure]
processes = 1
samples = 2
warmup = "1ms"
min_sample_time = "1ms"
timeout = "2s"
"#,
    );
    // With a backtrace on, the saved stderr must still hold the message.
    tuner()
        .env("RUST_BACKTRACE", "1")
        .arg("run")
        .arg(&cfg)
        .assert()
        .code(1)
        .stderr(contains("3 of 4 runs failed"));
    let run = run_dir(dir.path(), "faults");
    let r = results(&run);
    let outcome = |variant: &str| {
        let id = r["points"]
            .as_array()
            .unwrap()
            .iter()
            .position(|p| p["variant"] == variant)
            .unwrap();
        let run = r["runs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["point"] == id)
            .unwrap();
        run["outcome"].clone()
    };
    let reason = |variant: &str| {
        outcome(variant)["reason"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    let kinds: Vec<_> = ["panic", "abort", "hang"]
        .map(|v| outcome(v)["kind"].as_str().unwrap().to_string())
        .to_vec();
    assert_eq!(kinds, ["panic", "signal", "timeout"]);
    let tail = outcome("panic")["stderr_tail"]
        .as_str()
        .unwrap()
        .to_string();
    // The panic line and message, then the last lines of the backtrace.
    assert!(
        tail.contains(" panicked at experiments/src/selfcheck.rs")
            && tail.contains("\nselfcheck panics on run 2 as asked\n…\n")
            && tail.lines().count() > 10,
        "{tail}"
    );
    assert_eq!(reason("spin"), "");
    assert_eq!(
        reason("panic"),
        "panicked: selfcheck panics on run 2 as asked"
    );
    assert!(
        reason("abort").starts_with("killed by signal 6"),
        "{}",
        reason("abort")
    );
    assert_eq!(reason("hang"), "timed out after 2s");
    let report = std::fs::read_to_string(run.join("report.md")).unwrap();
    assert!(
        report.contains(
            "**variant=panic failed 1 of 1 times**: process 0: panicked: selfcheck panics on run 2 as asked"
        ),
        "{report}"
    );
    let spin_row = report.lines().find(|l| l.starts_with("| spin |")).unwrap();
    assert!(spin_row.contains("| (baseline) |"), "{spin_row}");
}

#[test]
fn dry_run_prints_the_matrix_and_runs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), "tiny.toml", TINY_MERGESORT);
    tuner()
        .args(["run", "--dry-run"])
        .arg(&cfg)
        .assert()
        .success()
        .stdout(contains("18 points"))
        .stdout(contains(
            "variant=sequential threads=1 allocator=system  (baseline)",
        ))
        .stdout(contains("36 runs"))
        // What each family can detect, at the stated default spread with
        // no earlier run: 18 points in one parameter set, 17 against the
        // baseline.
        .stdout(contains("2% per process, the default"))
        .stdout(contains(
            "each point against its baseline (Dunnett): 17 comparisons",
        ));
    assert!(!dir.path().join("reports").exists());
}

#[test]
fn list_shows_every_experiment_with_variants_and_parameters() {
    tuner()
        .arg("list")
        .assert()
        .success()
        .stdout(contains("mergesort: "))
        .stdout(contains("    v3 "))
        .stdout(contains("    threshold "))
        .stdout(contains("buffering: "))
        .stdout(contains("    record_size "));
}

#[test]
fn runs_started_in_the_same_second_get_folders_of_their_own() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        dir.path(),
        "same.toml",
        "[experiment]\nname = \"same\"\nworkload = \"selfcheck\"\n[params]\nvariant = \"spin\"\nsteps = [20, 40]\n[measure]\nprocesses = 2\nsamples = 1\nwarmup = \"1ms\"\nmin_sample_time = \"1ms\"\n",
    );
    // The folders runs started in the next half minute would take are
    // taken: both runs must make new ones, never reuse one.
    let parent = dir.path().join("reports/same");
    let now = std::time::SystemTime::now();
    let mut taken = Vec::new();
    for k in 0..30 {
        let at = now + std::time::Duration::from_secs(k);
        let id = humantime::format_rfc3339_seconds(at)
            .to_string()
            .replace(':', "-");
        std::fs::create_dir_all(parent.join(&id)).unwrap();
        std::fs::write(parent.join(&id).join("marker"), "taken").unwrap();
        taken.push(id);
    }
    let start = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_tuner"))
            .env("CI", "true")
            .arg("run")
            .arg(&cfg)
            .output()
            .unwrap()
    };
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(start);
        let b = s.spawn(start);
        (a.join().unwrap(), b.join().unwrap())
    });
    let report_dir = |out: &std::process::Output| {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let path = text
            .lines()
            .find_map(|l| l.strip_prefix("report: "))
            .unwrap();
        std::path::PathBuf::from(path)
            .parent()
            .unwrap()
            .to_path_buf()
    };
    let (da, db) = (report_dir(&a), report_dir(&b));
    assert_ne!(da, db, "two runs, one folder");
    for run in [&da, &db] {
        let name = run.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            taken.iter().any(|t| name.starts_with(&format!("{t}-"))),
            "{name} is a suffixed id"
        );
        let r = results(run);
        assert_eq!(r["run_id"], name.as_str());
        assert_eq!(r["runs"].as_array().unwrap().len(), 4);
        let journal = std::fs::read_to_string(run.join("journal.jsonl")).unwrap();
        assert_eq!(
            journal.lines().count(),
            1 + 4,
            "one run's journal: {journal}"
        );
    }
    for id in &taken {
        let entries: Vec<_> = std::fs::read_dir(parent.join(id))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(entries, ["marker"], "{id} was reused");
    }
}

#[test]
fn a_closed_stdout_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        dir.path(),
        "pipe.toml",
        "[experiment]\nname = \"pipe\"\nworkload = \"selfcheck\"\n[params]\nvariant = \"spin\"\n[measure]\nprocesses = 1\nsamples = 1\nwarmup = \"1ms\"\nmin_sample_time = \"1ms\"\n",
    );
    for args in [vec!["run", cfg.to_str().unwrap()], vec!["list"]] {
        // `tuner run … | true`: the reader is gone before tuner writes.
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tuner"))
            .env("CI", "true")
            .args(&args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {}: {stderr}", out.status);
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    assert!(run_dir(dir.path(), "pipe").join("report.md").is_file());
}
