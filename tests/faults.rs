//! Nothing lost, nothing escapes: the fault matrix. The harness
//! `examples/faults.rs` (a user's harness in miniature, built by `cargo
//! test`) fails in every way a workload can — panic, abort, segfault,
//! hang, out of memory, floods of stdout and stderr, a huge scratch file,
//! garbage or an old protocol on its output — under every allocator at 1
//! and 2 threads, beside a healthy variant. Every failure is recorded
//! with its kind and reason, the healthy runs succeed, and afterwards no
//! process of the harness runs and no scratch file is left. Signals to
//! the runner alone take its worker with it.
//!
//! `cargo test --test faults -- --nocapture` prints the matrix.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use common::{config, run_dir};
use predicates::str::contains;

/// The environment variable that marks the processes of one test.
const TAG: &str = "TUNER_FAULTS_TAG";

const ALLOCATORS: [&str; 3] = ["system", "mimalloc", "jemalloc"];

/// Each fault, what the runner must record for it (kind, start of the
/// reason), and the parameters the matrix gives it.
const FAULTS: &[(&str, &str, &str)] = &[
    ("healthy", "ok", ""),
    ("panic", "panic", "panicked: fault: panic as asked"),
    ("abort", "signal", "killed by signal 6 (Aborted)"),
    ("segfault", "signal", "killed by signal 11 (Segmentation fault)"),
    ("hang", "timeout", "timed out after 1s"),
    (
        "oom",
        "out_of_memory",
        "out of memory: memory allocation of 67108864 bytes failed (memory_limit 1.0 GiB)",
    ),
    (
        "flood-stdout",
        "protocol",
        "the worker's output is not a result: more than 1048576 bytes",
    ),
    ("flood-stderr", "panic", "panicked: fault: flood then panic"),
    ("scratch", "timeout", "timed out after 1s"),
    (
        "garbage",
        "protocol",
        "the worker's output is not a result: expected ident at line 1 column 2; it began `this is not json`",
    ),
    (
        "old-protocol",
        "protocol_version",
        "the worker speaks protocol 1, this runner 3",
    ),
];

/// A temp dir for reports and for the runner's temp dir, and a tag in
/// the environment that every process of the harness inherits.
struct Sandbox {
    dir: tempfile::TempDir,
    tag: String,
}

impl Sandbox {
    fn new() -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("tmp")).unwrap();
        let tag = format!("{}-{}", std::process::id(), dir.path().display());
        Sandbox { dir, tag }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The harness, as the runner, inside the sandbox.
    fn harness(&self) -> Command {
        let exe = harness_exe();
        let mut cmd = Command::new(exe);
        cmd.env("CI", "true")
            .env("TMPDIR", self.path().join("tmp"))
            .env(TAG, &self.tag)
            .env("RUST_BACKTRACE", "0")
            .current_dir(self.path());
        cmd
    }

    /// Processes (other than `except`) carrying the tag: the runner's
    /// workers and whatever they started.
    fn processes(&self, except: Option<u32>) -> Vec<u32> {
        common::tagged_processes(TAG, &self.tag, except)
    }

    /// Waits up to 3 s for every tagged process to be gone; the survivors.
    fn survivors(&self) -> Vec<u32> {
        common::survivors(TAG, &self.tag)
    }

    /// What is left in the runner's temp dir.
    fn scratch_left(&self) -> Vec<PathBuf> {
        std::fs::read_dir(self.path().join("tmp"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect()
    }
}

/// `target/debug/examples/faults`, which `cargo test` builds.
fn harness_exe() -> PathBuf {
    let deps = std::env::current_exe().unwrap();
    let exe = deps
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .join("examples/faults");
    assert!(
        exe.is_file(),
        "{} is missing: `cargo test` builds it (or `cargo build --example faults`)",
        exe.display()
    );
    exe
}

/// The runner's exit, with its peak resident memory read from /proc
/// while it ran.
struct Watched {
    status: ExitStatus,
    peak_rss_kib: u64,
    stderr: String,
}

fn run_watching_memory(mut cmd: Command, dir: &Path) -> Watched {
    let err = dir.join("runner.stderr");
    cmd.stdout(Stdio::null())
        .stderr(std::fs::File::create(&err).unwrap());
    let mut child = cmd.spawn().unwrap();
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        let status = std::fs::read_to_string(&status_path).unwrap_or_default();
        if let Some(kib) = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        {
            peak = kib;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Watched {
        status,
        peak_rss_kib: peak,
        stderr: std::fs::read_to_string(err).unwrap(),
    }
}

#[test]
fn every_fault_is_recorded_with_its_kind_and_nothing_is_left() {
    let sandbox = Sandbox::new();
    let variants: Vec<String> = FAULTS.iter().map(|f| format!("\"{}\"", f.0)).collect();
    let cfg = config(
        sandbox.path(),
        "faults.toml",
        &format!(
            r#"
[experiment]
name = "faults"
workload = "faults"
[params]
variant = [{}]
mib = 128
[matrix]
threads = [1, 2]
allocator = ["system", "mimalloc", "jemalloc"]
[measure]
processes = 1
samples = 1
warmup = "1ms"
min_sample_time = "1ms"
timeout = "1s"
memory_limit = "1GiB"
seed = 9
"#,
            variants.join(", ")
        ),
    );
    let started = Instant::now();
    let mut cmd = sandbox.harness();
    cmd.arg("run").arg(&cfg);
    let watched = run_watching_memory(cmd, sandbox.path());
    let wall = started.elapsed();
    let total = FAULTS.len() * 6;
    assert_eq!(watched.status.code(), Some(1), "{}", watched.stderr);
    assert!(
        watched
            .stderr
            .contains(&format!("{} of {total} runs failed", total - 6)),
        "{}",
        watched.stderr
    );

    let run = run_dir(sandbox.path(), "faults");
    let results = common::results(&run);
    let report = std::fs::read_to_string(run.join("report.md")).unwrap();
    let points = results["points"].as_array().unwrap();
    let runs = results["runs"].as_array().unwrap();
    assert_eq!(runs.len(), total);

    println!("fault matrix ({total} runs, {:.1} s):", wall.as_secs_f64());
    println!("| fault | allocator | threads | recorded kind | reason |");
    println!("|---|---|---|---|---|");
    for &(fault, kind, reason) in FAULTS {
        for allocator in ALLOCATORS {
            for threads in [1, 2] {
                let id = points
                    .iter()
                    .position(|p| {
                        p["variant"] == fault
                            && p["allocator"] == allocator
                            && p["threads"] == threads
                    })
                    .unwrap();
                let record = runs.iter().find(|r| r["point"] == id).unwrap();
                let outcome = &record["outcome"];
                let (got_kind, got_reason) = match outcome["status"].as_str() {
                    Some("ok") => ("ok", String::new()),
                    _ => (
                        outcome["kind"].as_str().unwrap(),
                        outcome["reason"].as_str().unwrap().to_string(),
                    ),
                };
                println!("| {fault} | {allocator} | {threads} | {got_kind} | {got_reason} |");
                assert_eq!(got_kind, kind, "{fault} {allocator} {threads}: {outcome}");
                assert!(
                    got_reason.starts_with(reason),
                    "{fault} {allocator} {threads}: {got_reason}"
                );
                if kind != "ok" {
                    // The report escapes markdown in a reason (a backtick
                    // becomes \`): read it without the escapes.
                    assert!(
                        report.replace('\\', "").contains(&got_reason),
                        "the report says why: {got_reason}"
                    );
                }
                if fault == "flood-stderr" {
                    // The message survives the flood; the tail stays small.
                    let tail = outcome["stderr_tail"].as_str().unwrap();
                    assert!(tail.contains("fault: flood then panic"), "{tail}");
                    assert!(tail.len() < 16 << 10, "{} bytes kept", tail.len());
                }
            }
        }
    }
    let survivors = sandbox.survivors();
    let scratch = sandbox.scratch_left();
    println!(
        "left afterwards: {} processes of the harness, {} entries in the runner's temp dir; runner peak RSS {} KiB (floods of 128 MiB)",
        survivors.len(),
        scratch.len(),
        watched.peak_rss_kib
    );
    assert_eq!(survivors, Vec::<u32>::new(), "processes left running");
    assert_eq!(scratch, Vec::<PathBuf>::new(), "scratch left on disk");
    assert!(
        watched.peak_rss_kib > 0 && watched.peak_rss_kib < 64 << 10,
        "a flood grew the runner to {} KiB",
        watched.peak_rss_kib
    );
}

/// A run of one `sleep` point that never ends by itself.
fn sleeping_config(sandbox: &Sandbox) -> PathBuf {
    config(
        sandbox.path(),
        "sleep.toml",
        r#"
[experiment]
name = "sleep"
workload = "faults"
[params]
variant = "sleep"
[measure]
processes = 2
samples = 1
warmup = "1ms"
min_sample_time = "1ms"
timeout = "60s"
seed = 1
"#,
    )
}

/// Starts the runner on `cfg` and waits until its worker runs.
fn start_until_worker(sandbox: &Sandbox, cfg: &Path) -> (std::process::Child, u32) {
    let mut cmd = sandbox.harness();
    cmd.arg("run")
        .arg(cfg)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut runner = cmd.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    // A worker process, not the `git` the runner asks for its commit
    // before it makes the run's folders.
    let is_worker = |pid: &u32| {
        std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c.ends_with(b"worker\0"))
    };
    let worker = loop {
        if let Some(&worker) = sandbox
            .processes(Some(runner.id()))
            .iter()
            .find(|p| is_worker(p))
        {
            break worker;
        }
        if Instant::now() > deadline {
            let _ = runner.kill();
            let _ = runner.wait();
            panic!("no worker started");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    (runner, worker)
}

#[test]
fn workers_die_with_their_runner_whatever_signal_takes_it() {
    for (signal, name) in [
        (libc::SIGKILL, "SIGKILL"),
        (libc::SIGTERM, "SIGTERM"),
        (libc::SIGINT, "SIGINT"),
    ] {
        let sandbox = Sandbox::new();
        let cfg = sleeping_config(&sandbox);
        let (mut runner, worker) = start_until_worker(&sandbox, &cfg);
        // SAFETY: plain syscall to our own child.
        unsafe { libc::kill(runner.id() as i32, signal) };
        let status = runner.wait().unwrap();
        let survivors = sandbox.survivors();
        println!(
            "{name} to the runner: it ended with {status}; worker {worker} survivors {survivors:?}"
        );
        assert_eq!(
            survivors,
            Vec::<u32>::new(),
            "{name}: a worker outlived its runner"
        );
        if signal == libc::SIGKILL {
            // The runner could not clean up; the next runner sweeps its root.
            let left = sandbox.scratch_left();
            assert_eq!(left.len(), 1, "{left:?}");
            let mut cmd = sandbox.harness();
            let healthy = config(
                sandbox.path(),
                "healthy.toml",
                "[experiment]\nname = \"healthy\"\nworkload = \"faults\"\n[params]\nvariant = \"healthy\"\n[measure]\nprocesses = 1\nsamples = 1\nwarmup = \"1ms\"\nmin_sample_time = \"1ms\"\n",
            );
            let out = cmd.arg("run").arg(&healthy).output().unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert_eq!(sandbox.scratch_left(), Vec::<PathBuf>::new());
            continue;
        }
        assert_eq!(status.code(), Some(128 + signal), "{name}");
        assert_eq!(sandbox.scratch_left(), Vec::<PathBuf>::new(), "{name}");
        // The stopped run is not a failure of its point: nothing journaled.
        let run = run_dir(sandbox.path(), "sleep");
        let journal = std::fs::read_to_string(run.join("journal.jsonl")).unwrap();
        assert_eq!(journal.lines().count(), 1, "{journal}");
        let results = common::results(&run);
        assert_eq!(
            results["interrupted"],
            format!(
                "stopped by {} after 0 of 2 runs",
                if signal == libc::SIGINT {
                    "SIGINT (Ctrl-C)"
                } else {
                    "SIGTERM"
                }
            )
        );
        assert!(run.join("report.md").is_file());
    }
}

#[test]
fn a_bad_memory_limit_is_a_config_error() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        dir.path(),
        "bad.toml",
        "[experiment]\nworkload = \"selfcheck\"\n[measure]\nmemory_limit = \"lots\"\n",
    );
    common::tuner()
        .arg("run")
        .arg(&cfg)
        .assert()
        .code(2)
        .stderr(contains("bad.toml:4"))
        .stderr(contains("measure.memory_limit"))
        .stderr(contains("`lots` is not a size"));
}
