//! Batch jobs at scale (issue 13): three shards run as separate processes
//! "on three machines" (their own working folders, TMPDIRs and machine
//! names) merge into one run holding every scheduled process once, whose
//! report has an unsharded run's structure and verdicts; merging a
//! missing, duplicated or foreign shard says which; a budget stops a run
//! in time and its report says what is missing; `--fail-fast` stops at the
//! first failure; `--shard auto` reads Kubernetes' and Slurm's variables.
//!
//! `cargo test --test shards -- --nocapture` prints the 3-shard vs
//! unsharded table.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Instant;

use common::tuner;
use predicates::str::contains;

/// Two sorts 3× apart in cost (v1 spawns a thread at every split), 6
/// processes each; reports go to
/// `reports/` under the working folder, so every "machine" writes its own.
const SORTS: &str = r#"
[experiment]
name = "sorts"
workload = "mergesort"
[params]
variant = ["sequential", "v1"]
size = 2000
[matrix]
threads = [1]
allocator = ["system"]
[measure]
processes = 6
samples = 2
warmup = "1ms"
min_sample_time = "5ms"
seed = 4242
"#;

/// The tuner binary started in `cwd` with a TMPDIR of its own, as if on
/// a machine of its own.
fn on_machine(cwd: &Path) -> Command {
    let tmp = cwd.join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tuner"));
    cmd.current_dir(cwd)
        .env("CI", "true")
        .env("TMPDIR", tmp)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

fn ok(output: Output) -> Output {
    assert!(
        output.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// The one run folder under `<cwd>/reports/sorts/`.
fn only_run(cwd: &Path) -> PathBuf {
    let runs: Vec<PathBuf> = std::fs::read_dir(cwd.join("reports/sorts"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(runs.len(), 1, "{runs:?}");
    runs[0].clone()
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// `## Answer`, `### Threads` ...: a report's structure.
/// A report's headings, without "How the rounds went": that section
/// appears when a process was contended, which depends on what else the
/// machine ran at the time, not on sharding.
fn headings(report: &Path) -> Vec<String> {
    std::fs::read_to_string(report)
        .unwrap()
        .lines()
        .filter(|l| l.starts_with('#') && *l != "## How the rounds went")
        .map(str::to_string)
        .collect()
}

/// The analysis' median ns/op of each point.
fn medians(results: &Path) -> Vec<f64> {
    let r = tuner::__private::results::Results::load(results).unwrap();
    let a = tuner::__private::analysis::Analysis::of(&r, &Default::default());
    a.points.iter().map(|p| p.median_ns()).collect()
}

fn verdict(results: &Path) -> (String, f64) {
    let r = tuner::__private::results::Results::load(results).unwrap();
    let a = tuner::__private::analysis::Analysis::of(&r, &Default::default());
    let c = a.points[1].vs_baseline.as_ref().expect("v1 vs sequential");
    (c.verdict.to_string(), c.change.pct)
}

/// The tests that time things run one at a time: at once, on this
/// 2-core machine, they would slow each other down.
static TIMED: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn three_shards_on_three_machines_merge_into_the_unsharded_runs_report() {
    let _one_at_a_time = TIMED.lock().unwrap_or_else(|e| e.into_inner());
    let root = tempfile::tempdir().unwrap();
    let config = root.path().join("sorts.toml");
    std::fs::write(&config, SORTS).unwrap();
    // Three machines, one after the other: run at once on this 2-core
    // box they would slow each other down, which separate machines do not.
    let machines: Vec<PathBuf> = (1..=3).map(|i| root.path().join(format!("m{i}"))).collect();
    let shards: Vec<_> = machines
        .iter()
        .enumerate()
        .map(|(i, dir)| {
            on_machine(dir)
                .arg("run")
                .arg(&config)
                .args([
                    "--shard",
                    &format!("{}/3", i + 1),
                    "--machine",
                    &format!("m{}", i + 1),
                ])
                .output()
                .unwrap()
        })
        .collect();
    let folders: Vec<PathBuf> = shards
        .into_iter()
        .zip(&machines)
        .map(|(out, dir)| {
            ok(out);
            only_run(dir)
        })
        .collect();
    let single_dir = root.path().join("single");
    ok(on_machine(&single_dir)
        .arg("run")
        .arg(&config)
        .args(["--machine", "solo"])
        .output()
        .unwrap());
    let single = only_run(&single_dir).join("results.json");

    let merged = root.path().join("merged");
    let out = ok(Command::new(env!("CARGO_BIN_EXE_tuner"))
        .arg("merge")
        .args(&folders)
        .arg("-o")
        .arg(&merged)
        .output()
        .unwrap());
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(
        stdout.contains("merged 3 of 3 shards (12 of 12 runs, 3 machines)"),
        "{stdout}"
    );

    // Every scheduled run exactly once, at its place, with its machine.
    let r = json(&merged.join("results.json"));
    let runs = r["runs"].as_array().unwrap();
    let seqs: Vec<u64> = runs.iter().map(|x| x["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, (0..12).collect::<Vec<_>>());
    let slots: BTreeSet<(u64, u64)> = runs
        .iter()
        .map(|x| (x["point"].as_u64().unwrap(), x["process"].as_u64().unwrap()))
        .collect();
    assert_eq!(slots.len(), 12);
    for x in runs {
        let process = x["process"].as_u64().unwrap();
        assert_eq!(x["machine"], format!("m{}", process % 3 + 1), "{x}");
    }
    // The same schedule as the unsharded run: same slots in the same order.
    let s = json(&single);
    let order = |v: &serde_json::Value| -> Vec<(u64, u64)> {
        v["runs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| (x["point"].as_u64().unwrap(), x["process"].as_u64().unwrap()))
            .collect()
    };
    assert_eq!(order(&r), order(&s));

    // The report has the unsharded one's structure, and says it is merged.
    assert_eq!(
        headings(&merged.join("report.md")),
        headings(&single.with_file_name("report.md"))
    );
    let md = std::fs::read_to_string(merged.join("report.md")).unwrap();
    assert!(
        md.contains("**Merged** from 3 of 3 shards (split by rounds) on 3 machines"),
        "{md}"
    );
    assert!(!md.contains("Incomplete run"), "{md}");

    // Verdicts agree; medians agree within the noise of a machine other
    // helpers share (a mix-up of points would be off 3×, the sorts' ratio).
    let (m, u) = (medians(&merged.join("results.json")), medians(&single));
    let (vm, vu) = (verdict(&merged.join("results.json")), verdict(&single));
    println!("| point | unsharded ns/op | 3 shards ns/op | ratio |");
    println!("|---|---|---|---|");
    for (i, (a, b)) in u.iter().zip(&m).enumerate() {
        println!("| {i} | {a:.0} | {b:.0} | {:.3} |", b / a);
        assert!((0.5..2.0).contains(&(b / a)), "point {i}: {a} vs {b}");
    }
    println!(
        "v1 vs sequential: unsharded {} {:+.1}%, 3 shards (blocked by machine) {} {:+.1}%",
        vu.0, vu.1, vm.0, vm.1
    );
    assert_eq!(vm.0, vu.0);
    assert!(
        vm.1 > 100.0 && vu.1 > 100.0,
        "v1 costs over twice the sequential sort"
    );
    assert_eq!(
        vm.0, "slower",
        "a thread per split costs several times the sort"
    );

    missing_duplicated_and_foreign_shards_are_named(root.path(), &folders);
}

/// Merging the shards of the test above with one missing, one twice, and
/// one of another config or seed.
fn missing_duplicated_and_foreign_shards_are_named(root: &Path, folders: &[PathBuf]) {
    let merge = |inputs: &[&Path], out: &str| {
        let mut cmd = tuner();
        cmd.arg("merge").args(inputs).arg("-o").arg(root.join(out));
        cmd.assert()
    };
    // Missing shard 2, shard 1 given twice: merged anyway, exit 1, both named.
    merge(&[&folders[0], &folders[2], &folders[0]], "partial")
        .code(1)
        .stderr(contains(format!(
            "warning: shard 1/3 was given twice: kept {0} (4 runs), left out {0} (4 runs)",
            folders[0].display()
        )))
        .stderr(contains(
            "warning: shard 2/3 is missing: its 4 processes are counted as missing",
        ))
        .stderr(contains(
            "the merged run is incomplete: 4 of 12 scheduled processes are missing",
        ));
    let md = std::fs::read_to_string(root.join("partial/report.md")).unwrap();
    assert!(
        md.contains("**⚠ Incomplete run:** 4 of 12 scheduled processes never ran"),
        "{md}"
    );
    assert!(
        md.contains("Run the missing shards and merge again."),
        "{md}"
    );

    // A shard of another config, and one of another seed: refused, exit 2.
    let foreign = root.join("foreign.json");
    let mut other = json(&folders[1].join("results.json"));
    other["config_text"] = other["config_text"]
        .as_str()
        .unwrap()
        .replace("size = 2000", "size = 3000")
        .into();
    std::fs::write(&foreign, other.to_string()).unwrap();
    merge(&[&folders[0], &foreign], "refused")
        .code(2)
        .stderr(contains(format!(
            "{} cannot be merged with {}: it is a run of another config",
            foreign.display(),
            folders[0].display()
        )))
        .stderr(contains(
            "config line 7 is `size = 3000` there and `size = 2000` here",
        ));
    let mut other = json(&folders[1].join("results.json"));
    other["plan"]["measure"]["seed"] = 7.into();
    std::fs::write(&foreign, other.to_string()).unwrap();
    merge(&[&folders[0], &foreign], "refused")
        .code(2)
        .stderr(contains(
            "it was scheduled with seed 7, the other with seed 4242",
        ));
    assert!(!root.join("refused/results.json").exists());
}

/// A spin long enough that the floor estimate is far too low, so the
/// deadline, not the plan, has to stop the run.
const SLOW: &str = r#"
[experiment]
name = "slow"
workload = "selfcheck"
[params]
variant = "spin"
steps = 12000000
[matrix]
allocator = ["system", "mimalloc"]
[measure]
processes = 40
samples = 2
warmup = "1ms"
min_sample_time = "1ms"
seed = 5
"#;

#[test]
fn a_budget_run_stops_within_five_percent_of_its_budget_and_says_what_is_missing() {
    let _one_at_a_time = TIMED.lock().unwrap_or_else(|e| e.into_inner());
    let root = tempfile::tempdir().unwrap();
    let config = common::config(root.path(), "slow.toml", SLOW);
    let budget = 3.0;
    let started = Instant::now();
    tuner()
        .arg("run")
        .arg(&config)
        .args(["--budget", "3s"])
        .assert()
        .success()
        .stderr(contains("stopped at the budget of 3s"));
    let took = started.elapsed().as_secs_f64();
    println!("budget {budget} s, took {took:.2} s");
    assert!(
        took <= budget * 1.05,
        "took {took:.2} s of a {budget} s budget"
    );
    let run = common::run_dir(root.path(), "slow");
    let r = common::results(&run);
    let ran = r["runs"].as_array().unwrap().len();
    assert!(ran > 0 && ran < 80, "{ran} runs");
    assert!(r["interrupted"]
        .as_str()
        .unwrap()
        .starts_with("stopped at the budget of 3s"));
    let md = std::fs::read_to_string(run.join("report.md")).unwrap();
    assert!(
        md.contains("**⚠ Stopped before the end:** stopped at the budget of 3s"),
        "{md}"
    );
    assert!(
        md.contains(&format!(
            "**⚠ Incomplete run:** {} of 80 scheduled processes never ran",
            80 - ran
        )),
        "{md}"
    );
}

#[test]
fn fail_fast_stops_at_the_first_failed_run() {
    let root = tempfile::tempdir().unwrap();
    let config = common::config(
        root.path(),
        "fails.toml",
        "[experiment]\nname = \"fails\"\nworkload = \"selfcheck\"\n[params]\nvariant = [\"spin\", \"panic\"]\n[measure]\nprocesses = 3\nsamples = 1\nwarmup = \"1ms\"\nmin_sample_time = \"1ms\"\nseed = 3\n",
    );
    tuner()
        .arg("run")
        .arg(&config)
        .arg("--fail-fast")
        .assert()
        .code(1)
        .stderr(contains("stopped at the first failed run (--fail-fast)"));
    let r = common::results(&common::run_dir(root.path(), "fails"));
    let runs = r["runs"].as_array().unwrap();
    let failed: Vec<bool> = runs
        .iter()
        .map(|x| x["outcome"]["status"] == "failed")
        .collect();
    // Exactly one failure, and it is the last run: nothing ran after it.
    assert_eq!(failed.iter().filter(|f| **f).count(), 1, "{failed:?}");
    assert_eq!(failed.last(), Some(&true));
    assert!(runs.len() < 6);
}

#[test]
fn shards_come_from_the_engines_variables() {
    let root = tempfile::tempdir().unwrap();
    let config = common::config(root.path(), "sorts.toml", SORTS);
    let dry = |args: &[&str], vars: &[(&str, &str)]| {
        let mut cmd = tuner();
        cmd.arg("run").arg(&config).arg("--dry-run").args(args);
        for (k, v) in vars {
            cmd.env(k, v);
        }
        cmd.assert()
    };
    dry(&["--shard", "auto/3"], &[("JOB_COMPLETION_INDEX", "1")])
        .success()
        .stdout(contains("shard 2/3 (split by rounds): 4 of the 12 runs."));
    dry(
        &["--shard", "auto"],
        &[
            ("SLURM_ARRAY_TASK_ID", "4"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "6"),
        ],
    )
    .success()
    .stdout(contains("shard 4/6 (split by rounds): 2 of the 12 runs."));
    dry(&["--shard", "auto"], &[])
        .code(2)
        .stderr(contains("neither JOB_COMPLETION_INDEX"));
    dry(&["--shard", "2/7"], &[]).code(2).stderr(contains(
        "6 processes per point cannot be split 7 ways by rounds",
    ));
    dry(&["--shard", "2/2", "--shard-by", "points"], &[])
        .success()
        .stdout(contains("shard 2/2 (split by points): 6 of the 12 runs."));
}

/// A shard cannot look at the other shards' rounds: an adaptive config's
/// shards run their share of the fixed design of its most processes (and
/// say so), not of its least.
#[test]
fn an_adaptive_config_shards_the_fixed_design_of_its_most_processes() {
    let root = tempfile::tempdir().unwrap();
    let adaptive = SORTS.replace(
        "processes = 6",
        "processes = 3\nmax_processes = 9\nlook_every = 1\nracing = true",
    );
    let config = common::config(root.path(), "sorts.toml", &adaptive);
    tuner()
        .arg("run")
        .arg(&config)
        .args(["--dry-run", "--shard", "1/3"])
        .assert()
        .success()
        .stdout(contains("shard 1/3 (split by rounds): 6 of the 18 runs."))
        .stderr(contains(
            "each shard runs its share of the fixed design of max_processes = 9 rounds",
        ))
        .stderr(contains("without racing"));
    // Unsharded, the same config plans its least.
    tuner()
        .arg("run")
        .arg(&config)
        .arg("--dry-run")
        .assert()
        .success()
        .stdout(contains("6 runs (3 processes per point"));
}
