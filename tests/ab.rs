//! `tuner ab` end to end with the real binary: a known change found and
//! gated on, the raw pairs on disk, A/A with a copied binary, a saved gate
//! judged again, early stopping, two programs of a command workload as
//! the builds, and every way a gate can be refused (exit codes 2 and 3).
//! Short runs of the selfcheck spin loop.

mod common;

use std::path::{Path, PathBuf};

use common::{config, stdout, tuner};
use predicates::str::contains;

const SPIN: &str = r#"
[experiment]
name = "gate"
workload = "selfcheck"
[params]
variant = "spin"
steps = 2000
[matrix]
threads = [1]
allocator = ["system"]
[measure]
samples = 3
warmup = "5ms"
min_sample_time = "2ms"
seed = 7
"#;

/// Held by the tests whose verdicts rest on timing, so that the others'
/// gates (a 2-thread merge sort) do not run beside them: the test binary
/// runs its tests in parallel.
static TIMING: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn timing_turn() -> std::sync::MutexGuard<'static, ()> {
    TIMING.lock().unwrap_or_else(|e| e.into_inner())
}

/// `tuner ab <cfg>`, to which each test adds its flags.
fn ab(cfg: &Path) -> assert_cmd::Command {
    let mut cmd = tuner();
    cmd.arg("ab").arg(cfg);
    cmd
}

/// The one gate folder under `<dir>/reports/gate/`.
fn gate_dir(dir: &Path) -> PathBuf {
    common::run_dir(dir, "gate")
}

fn ab_json(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(gate_dir(dir).join("ab.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn a_known_slowdown_is_slower_fails_the_gate_and_every_pair_is_on_disk() {
    let _turn = timing_turn();
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), "gate.toml", SPIN);
    let summary = dir.path().join("summary.md");
    let out = stdout(
        ab(&cfg)
            .args([
                "--head-set",
                "steps=3000",
                "--pairs",
                "8",
                "--look-every",
                "0",
            ])
            .args(["--fail-on", "slower", "-q"])
            .env("GITHUB_STEP_SUMMARY", &summary)
            .assert()
            .code(1)
            .stderr(contains("error: the comparison fails --fail-on:"))
            .stderr(contains("spin: cpu/op +")),
    );
    let row = out.lines().find(|l| l.starts_with("spin ")).expect(&out);
    // 3000 steps for 2000 is 50% more work: CPU time per op shows it, even
    // on a loaded machine (at load 6, 2400 steps' +20% was once not called).
    let change: f64 = row
        .split_whitespace()
        .find_map(|t| t.strip_prefix('+')?.strip_suffix('%')?.parse().ok())
        .expect(row);
    assert!(
        (40.0..60.0).contains(&change) && row.contains(" slower "),
        "{row}"
    );
    assert!(out.contains("changed: steps 2000 → 3000"), "{out}");
    let json = ab_json(dir.path());
    let records = json["records"].as_array().unwrap();
    let (probes, pairs): (Vec<_>, Vec<_>) = records.iter().partition(|r| r["probe"] == true);
    assert_eq!((probes.len(), pairs.len()), (2, 16));
    for pair in 0..8 {
        let members: Vec<_> = pairs
            .iter()
            .filter(|r| r["run"]["process"] == pair)
            .collect();
        let builds: Vec<&str> = members
            .iter()
            .map(|r| r["build"].as_str().unwrap())
            .collect();
        assert!(
            builds.contains(&"base") && builds.contains(&"head"),
            "pair {pair}: {builds:?}"
        );
        // Adjacent, and at one layout offset.
        let seqs: Vec<u64> = members
            .iter()
            .map(|r| r["run"]["seq"].as_u64().unwrap())
            .collect();
        assert_eq!(seqs[0].abs_diff(seqs[1]), 1);
        assert_eq!(members[0]["offset"], members[1]["offset"]);
    }
    let base_first = pairs
        .iter()
        .filter(|r| r["build"] == "base" && r["position"] == 0)
        .count();
    assert_eq!(base_first, 4, "balanced order");
    assert_eq!(json["head"]["points"][0]["params"]["steps"], 3000);
    assert!(gate_dir(dir.path()).join("journal.jsonl").is_file());
    let md = std::fs::read_to_string(gate_dir(dir.path()).join("ab.md")).unwrap();
    assert!(md.starts_with("## Paired A/B: gate"));
    assert_eq!(std::fs::read_to_string(&summary).unwrap().trim(), md.trim());
}

#[test]
fn a_copied_binary_against_itself_passes_and_says_it_is_an_a_a_check() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), "gate.toml", SPIN);
    let copy = dir.path().join("tuner-copy");
    std::fs::copy(env!("CARGO_BIN_EXE_tuner"), &copy).unwrap();
    let out = stdout(
        ab(&cfg)
            .arg("--head")
            .arg(&copy)
            .args(["--pairs", "6", "--look-every", "0", "--noise", "10%"])
            .args(["--fail-on", "slower", "-q"])
            .assert()
            .success(),
    );
    assert!(out.contains("an A/A check"), "{out}");
    assert!(
        !out.contains("slower  ") && !out.contains(" faster "),
        "{out}"
    );
    let json = ab_json(dir.path());
    assert_eq!(
        json["head"]["exe"]["path"],
        copy.canonicalize().unwrap().display().to_string()
    );
    assert_eq!(json["head"]["exe"]["digest"], json["base"]["exe"]["digest"]);
}

#[test]
fn a_saved_gate_is_judged_again_without_running() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), "gate.toml", SPIN);
    ab(&cfg)
        .args([
            "--head-set",
            "steps=4000",
            "--pairs",
            "16",
            "--look-every",
            "8",
            "-q",
        ])
        .assert()
        .success();
    let json = ab_json(dir.path());
    // A doubling is clear at the first look: the gate stopped there.
    assert_eq!(json["records"].as_array().unwrap().len(), 2 + 16);
    let saved = gate_dir(dir.path()).join("ab.json");
    let again = stdout(
        tuner()
            .arg("ab")
            .arg(&saved)
            .args(["--format", "json", "--noise", "200%", "--metric", "time"])
            .assert()
            .success(),
    );
    let report: serde_json::Value = serde_json::from_str(&again).unwrap();
    assert_eq!(report["metric"], "time");
    assert_eq!(report["points"][0]["stop"]["look"]["pairs"], 8);
    assert_ne!(report["points"][0]["stop"]["look"]["verdict"], "Slower");
    // The journal of a gate reads back too.
    tuner()
        .arg("ab")
        .arg(gate_dir(dir.path()).join("journal.jsonl"))
        .assert()
        .success()
        .stdout(contains("slower"));
}

/// A build of another tuner version: its worker refuses this runner's
/// spec the way tuner's own worker does, with exit code 3.
fn older_build(dir: &Path) -> PathBuf {
    let path = dir.join("old-tuner");
    std::fs::write(
        &path,
        "#!/bin/sh\ncat >/dev/null\necho 'tuner worker: error: the runner speaks worker protocol 3, this worker 2: build both from one tuner version' >&2\nexit 3\n",
    )
    .unwrap();
    let mut perms = std::fs::metadata(&path).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&path, perms).unwrap();
    path
}

#[test]
fn a_build_speaking_another_protocol_cannot_be_compared() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), "gate.toml", SPIN);
    ab(&cfg)
        .arg("--base")
        .arg(older_build(dir.path()))
        .args(["--pairs", "6", "-q"])
        .assert()
        .code(3)
        .stderr(contains("cannot compare the builds: build base ("))
        .stderr(contains("cannot run this config: the worker stopped: the runner speaks worker protocol 3, this worker 2"));
    // The probe that found it is on disk.
    let json = ab_json(dir.path());
    assert_eq!(
        json["records"][0]["run"]["outcome"]["kind"],
        "protocol_version"
    );
}

#[test]
fn bad_builds_and_settings_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), "gate.toml", SPIN);
    let cases: [(&[&str], &str); 4] = [
        (
            &["--head", "/no/such/tuner"],
            "--head /no/such/tuner: No such file",
        ),
        (
            &["--head-set", "steps=0"],
            "--head-set steps=0: 0 is out of range 1..=1099511627776",
        ),
        (
            &["--base-set", "speed=3"],
            "--base-set speed=3: no axis `speed`; axes are variant, steps",
        ),
        (
            &["--pairs", "4"],
            "--look-every 12 with --pairs 4: the first look needs at least 6 pairs",
        ),
    ];
    for (args, message) in cases {
        ab(&cfg)
            .args(args)
            .assert()
            .code(2)
            .stderr(contains(message));
    }
    tuner()
        .args(["ab", "--head-set", "steps"])
        .arg(&cfg)
        .assert()
        .code(2)
        .stderr(contains("is not a setting like steps=1010"));
    assert!(!dir.path().join("reports").exists(), "nothing ran");
}

#[test]
fn a_head_that_panics_fails_the_gate_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), "gate.toml", SPIN);
    let out = stdout(
        ab(&cfg)
            .args([
                "--head-set",
                "variant=panic",
                "--pairs",
                "6",
                "--look-every",
                "0",
                "-q",
            ])
            .assert()
            .code(1)
            .stderr(contains("processes of the gate failed")),
    );
    assert!(
        out.contains("head process(es) failed at spin, their pairs left out: panicked: selfcheck panics on run 1 as asked"),
        "{out}"
    );
}

/// A shell script at `dir/name` that logs its own name, then runs `body`.
fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(
        &path,
        format!("#!/bin/sh\necho {name} >> \"$LOG\"\n{body}\n"),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    path
}

#[test]
fn two_programs_of_a_command_workload_are_the_builds() {
    let dir = tempfile::tempdir().unwrap();
    let base = script(dir.path(), "base.sh", "exit 0");
    let head = script(dir.path(), "head.sh", "sleep 0.05");
    let cfg = config(
        dir.path(),
        "gate.toml",
        &format!(
            "[experiment]\nname = \"gate\"\n[command]\nargv = [\"./base.sh\", \"{{n}}\"]\nwarmup = 0\n\
             env = {{ LOG = \"{}\" }}\n[params]\nn = [\"1\"]\n[measure]\nprocesses = 1\n",
            dir.path().join("runs.log").display()
        ),
    );
    let out = stdout(
        ab(&cfg)
            .args(["--base".as_ref(), base.as_os_str()])
            .args(["--head".as_ref(), head.as_os_str()])
            .args([
                "--pairs",
                "6",
                "--look-every",
                "0",
                "--fail-on",
                "slower",
                "-q",
            ])
            .assert()
            .code(1),
    );
    // The head's 50 ms sleep is the change; wall time judges a command.
    assert!(out.lines().any(|l| l.contains(" slower ")), "{out}");
    let json = ab_json(dir.path());
    assert!(json["head"]["exe"]["path"]
        .as_str()
        .unwrap()
        .ends_with("head.sh"));
    assert_eq!(json["head"]["exe"]["kind"], "program");
    // Each side's program ran in each of its processes (and in its start-up probe).
    let log = std::fs::read_to_string(dir.path().join("runs.log")).unwrap();
    let count = |name: &str| log.lines().filter(|l| *l == name).count();
    assert_eq!((count("base.sh"), count("head.sh")), (7, 7), "{log}");
}

#[test]
fn a_program_build_needs_every_variant_to_start_one_program() {
    let dir = tempfile::tempdir().unwrap();
    let a = script(dir.path(), "a.sh", "exit 0");
    script(dir.path(), "b.sh", "exit 0");
    let cfg = config(
        dir.path(),
        "gate.toml",
        "[experiment]\nname = \"gate\"\n[command.variants]\none = [\"./a.sh\"]\ntwo = [\"./b.sh\"]\n",
    );
    ab(&cfg)
        .args(["--base".as_ref(), a.as_os_str()])
        .assert()
        .code(2)
        .stderr(contains("every variant's argv must start the same one"));
}

/// Merge sort v3 at 1 and 2 threads: the gate of a config with a
/// multi-threaded point (issue 19).
const THREADS: &str = r#"
[experiment]
name = "gate"
workload = "mergesort"
[params]
variant = "v3"
size = 20000
threshold = 2048
[matrix]
threads = [1, 2]
[measure]
samples = 3
warmup = "5ms"
min_sample_time = "2ms"
seed = 7
"#;

/// Issue 19: `--pin auto` ran a 2-thread point on one CPU, the gate
/// measuring another experiment than the config's. Each point now runs
/// on as many CPUs as its threads (the machine records say which), and
/// `--metric auto` judges the 1-thread point's CPU time but the 2-thread
/// point's wall time.
#[test]
fn each_point_runs_on_as_many_cpus_as_its_threads_and_auto_chooses_per_point() {
    let allowed = std::thread::available_parallelism().unwrap().get();
    if allowed < 2 {
        eprintln!("one CPU: no point can have two");
        return;
    }
    let _turn = timing_turn();
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), "gate.toml", THREADS);
    let out = stdout(
        ab(&cfg)
            .args(["--pairs", "3", "--look-every", "0", "--noise", "200%"])
            .args(["--format", "json", "-q"])
            .assert()
            .success(),
    );
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let run = ab_json(dir.path());
    // The CPUs each process was allowed, by point, from its own record.
    let mut sets: Vec<std::collections::BTreeSet<String>> = vec![Default::default(); 2];
    for r in run["records"].as_array().unwrap() {
        let o = &r["run"]["outcome"];
        let point = r["run"]["point"].as_u64().unwrap() as usize;
        sets[point].insert(o["machine"]["allowed"].as_str().unwrap().to_string());
    }
    let pool = run["design"]["layout"]["pinned_within"].as_str().unwrap();
    let last = pool.rsplit([',', '-']).next().unwrap();
    let len = |set: &str| -> usize {
        set.split(',')
            .map(|part| match part.split_once('-') {
                Some((a, b)) => b.parse::<usize>().unwrap() - a.parse::<usize>().unwrap() + 1,
                None => 1,
            })
            .sum()
    };
    assert_eq!(sets[0].len(), 1, "{sets:?}");
    assert_eq!(sets[0].first().unwrap(), last, "1 thread: the last CPU");
    assert_eq!(sets[1].len(), 1, "{sets:?}");
    assert_eq!(
        len(sets[1].first().unwrap()),
        2,
        "2 threads: 2 CPUs, {sets:?}"
    );
    assert!(sets[1].first().unwrap().ends_with(last), "{sets:?}");
    // The report names them, per point.
    let points = report["points"].as_array().unwrap();
    assert_eq!(points[0]["cpus"], serde_json::json!([last]));
    assert_eq!(points[1]["cpus"][0], sets[1].first().unwrap().as_str());
    // auto: CPU time where one thread ran, wall time at the 2-thread point.
    assert_eq!(
        (
            &points[0]["metric"],
            &points[1]["metric"],
            &report["metric"]
        ),
        (&"cpu".into(), &"time".into(), &"auto".into()),
        "{report}"
    );
    let md = std::fs::read_to_string(gate_dir(dir.path()).join("ab.md")).unwrap();
    let row = md
        .lines()
        .find(|l| l.starts_with("| threads=2 (time) |"))
        .expect(&md);
    assert!(
        row.ends_with(&format!("| {} |", sets[1].first().unwrap())),
        "{row}"
    );
    assert!(md.contains("| time or cpu/op | base | head |"), "{md}");
}

/// A point is never pinned to fewer CPUs than its threads while the gate
/// may use more: refused before anything runs (exit 2), naming the point.
#[test]
fn pinning_a_two_thread_point_to_one_cpu_is_refused() {
    if std::thread::available_parallelism().unwrap().get() < 2 {
        eprintln!("one CPU: nothing to refuse");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), "gate.toml", THREADS);
    ab(&cfg)
        .args(["--pin", "0", "--pairs", "2", "--look-every", "0", "-q"])
        .assert()
        .code(2)
        .stderr(contains(
            "--pin 0 gives the point `threads=2` 1 CPU for its 2 threads",
        ))
        .stderr(contains("pin to at least 2 CPUs"));
    assert!(!dir.path().join("reports").exists(), "nothing ran");
    // Without the 2-thread point the same pin is fine.
    let one = config(
        dir.path(),
        "one.toml",
        &THREADS.replace("threads = [1, 2]", "threads = [1]"),
    );
    let out = stdout(
        ab(&one)
            .args(["--pin", "0", "--pairs", "2", "--look-every", "0"])
            .args(["--noise", "200%", "--format", "json", "-q"])
            .assert()
            .success(),
    );
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["points"][0]["cpus"], serde_json::json!(["0"]));
}
