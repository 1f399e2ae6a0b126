//! tuner as a library: the logagg example (`examples/logagg`, a workspace
//! member) built as the `cargo bench` harness a user would write, then run
//! on tiny matrices the way `cargo bench --bench tune -- run x.toml` runs
//! it (the harness re-executes itself, from `target/*/deps/`, as the
//! worker). The values checked are the user's own: exact allocation counts
//! that differ between strategies, the allocators' proof, the thread pool,
//! failures and config errors naming the user's parameters. Then the
//! harness without a command, as `cargo bench` (each default matrix and a
//! table) and `cargo test --benches` (each point once) run it, on logagg
//! and on a default matrix that fails (`broken`, in `examples/faults.rs`).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use assert_cmd::Command as Cmd;
use common::{config, results, run_dir, stdout};
use predicates::str::contains;

/// Builds the example's bench target (a no-op when it is fresh) in this
/// test's profile and returns the executable cargo reports.
fn harness() -> &'static Path {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    EXE.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut build = Command::new(cargo);
        build
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["build", "--package", "logagg", "--bench", "tune"])
            .args(["--message-format", "json-render-diagnostics"]);
        if !cfg!(debug_assertions) {
            build.arg("--release");
        }
        let out = build.output().expect("running cargo");
        assert!(out.status.success(), "building the example harness failed");
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "tune")
            .find_map(|m| m["executable"].as_str().map(PathBuf::from))
            .expect("cargo names the harness executable")
    })
}

/// The harness with the flag `cargo bench` appends after the user's arguments.
fn cargo_bench(args: &[&str]) -> Cmd {
    let mut cmd = Cmd::new(harness());
    cmd.args(args).arg("--bench").env("CI", "true");
    cmd
}

const LOGAGG: &str = r#"
[experiment]
name = "logagg"
workload = "logagg"
[params]
variant = ["dynamic", "owned", "borrowed", "split"]
lines = 2000
routes = 40
[matrix]
threads = [1, 2]
allocator = ["system", "mimalloc", "jemalloc"]
buffering = ["unbuffered", "buffered"]
[measure]
processes = 1
samples = 2
warmup = "1ms"
min_sample_time = "1ms"
seed = 11
"#;

/// Allocations per operation of one successful run.
fn allocs_per_op(outcome: &serde_json::Value) -> u64 {
    let alloc = &outcome["alloc"];
    let (allocs, iters) = (
        alloc["allocs"].as_u64().unwrap(),
        alloc["iters"].as_u64().unwrap(),
    );
    assert_eq!(allocs % iters, 0, "the same count every iteration: {alloc}");
    allocs / iters
}

#[test]
fn a_user_harness_measures_the_users_workloads_with_every_knob() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), "logagg.toml", LOGAGG);
    cargo_bench(&["run", cfg.to_str().unwrap()])
        .assert()
        .success()
        .stdout(contains("report.md"));
    let run = run_dir(dir.path(), "logagg");
    let r = results(&run);
    let points = r["points"].as_array().unwrap();
    let runs = r["runs"].as_array().unwrap();
    assert_eq!(points.len(), 4 * 2 * 3 * 2);
    assert_eq!(runs.len(), points.len());

    // (variant, buffering) -> allocations per operation, from every run.
    let mut counts = std::collections::BTreeMap::<(String, String), Vec<u64>>::new();
    let mut digests = std::collections::BTreeSet::new();
    for run in runs {
        let point = &points[run["point"].as_u64().unwrap() as usize];
        let out = &run["outcome"];
        assert_eq!(out["status"], "ok", "{run}");
        // The allocator named is the one whose own statistics moved.
        let allocator = point["allocator"].as_str().unwrap();
        let proof = if allocator == "system" {
            "glibc"
        } else {
            allocator
        };
        for a in ["glibc", "mimalloc", "jemalloc"] {
            assert_eq!(
                out["evidence"][a],
                a == proof,
                "{allocator}: {}",
                out["evidence"]
            );
        }
        // The user's rayon code ran in a pool of exactly the point's size.
        assert_eq!(out["threads"]["rayon"], point["threads"]);
        let key = (
            point["variant"].as_str().unwrap().to_string(),
            match point["buffering"].as_str() {
                Some("unbuffered") => "unbuffered".to_string(),
                _ => "buffered".to_string(),
            },
        );
        counts.entry(key).or_default().push(allocs_per_op(out));
        digests.insert(out["digest"].as_u64().unwrap());
    }
    assert_eq!(digests.len(), 1, "every strategy returns the same totals");

    // Exact counts: the same under every allocator and thread count ...
    let count = |variant: &str, buffering: &str| {
        let all = &counts[&(variant.to_string(), buffering.to_string())];
        assert!(all.iter().all(|c| *c == all[0]), "{variant}: {all:?}");
        all[0]
    };
    let borrowed = count("borrowed", "unbuffered");
    // ... the borrowing strategies allocate only the tables, whatever the
    // log's length; owned Strings cost exactly three per line (level,
    // route, msg); a Value tree costs more again; BufWriter adds its buffer.
    assert!(borrowed < 64, "{borrowed}");
    assert_eq!(count("split", "unbuffered"), borrowed);
    assert_eq!(count("owned", "unbuffered"), borrowed + 3 * 2000);
    assert!(count("dynamic", "unbuffered") > borrowed + 6 * 2000);
    for variant in ["dynamic", "owned", "borrowed", "split"] {
        assert_eq!(count(variant, "buffered"), count(variant, "unbuffered") + 1);
    }

    let report = std::fs::read_to_string(run.join("report.md")).unwrap();
    assert!(report.contains("logagg"));
    let owned = (borrowed + 6000).to_string();
    let with_commas = format!(
        "{},{}",
        &owned[..owned.len() - 3],
        &owned[owned.len() - 3..]
    );
    assert!(
        report.contains(&with_commas),
        "the report shows owned's exact {with_commas} allocs/op"
    );
}

#[test]
fn a_panicking_user_workload_is_a_failed_run_and_the_matrix_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        dir.path(),
        "corrupt.toml",
        r#"
[experiment]
name = "corrupt"
workload = "logagg"
[params]
variant = ["owned", "split"]
lines = 2000
corrupt_line = [0, 1500]
[matrix]
threads = [2]
[measure]
processes = 1
samples = 2
warmup = "1ms"
min_sample_time = "1ms"
"#,
    );
    cargo_bench(&["run", cfg.to_str().unwrap()])
        .assert()
        .code(1)
        .stderr(contains("2 of 4 runs failed"));
    let r = results(&run_dir(dir.path(), "corrupt"));
    let points = r["points"].as_array().unwrap();
    for run in r["runs"].as_array().unwrap() {
        let point = &points[run["point"].as_u64().unwrap() as usize];
        let (variant, corrupt) = (&point["variant"], &point["params"]["corrupt_line"]);
        let outcome = &run["outcome"];
        if corrupt == 0 {
            assert_eq!(outcome["status"], "ok", "{run}");
            continue;
        }
        // The panic came from a rayon worker thread of the user's code.
        let reason = outcome["reason"].as_str().unwrap();
        let expected = if variant == "split" {
            "panicked: log line 1500: not a one-line JSON object"
        } else {
            "panicked: log line 1500: EOF while parsing"
        };
        assert!(reason.starts_with(expected), "{variant}: {reason}");
    }
}

#[test]
fn config_errors_name_the_users_parameters_by_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("bad.toml");
    let cases = [
        (
            "variant = \"split\"\nlines = 0\n",
            "bad.toml:5:9: `params.lines`: 0 is out of range 1..=10000000",
        ),
        (
            "variant = \"regex\"\n",
            "`logagg` has no variant `regex`; it has dynamic, owned, borrowed, split",
        ),
    ];
    for (params, error) in cases {
        let text = format!("[experiment]\nworkload = \"logagg\"\n[params]\n{params}");
        std::fs::write(&cfg, text).unwrap();
        cargo_bench(&["run", cfg.to_str().unwrap()])
            .assert()
            .code(2)
            .stderr(contains(error));
    }
}

#[test]
fn the_harness_lists_its_catalog() {
    let listing = stdout(cargo_bench(&["list"]).assert().success());
    assert!(listing.starts_with("logagg: parse a JSON-lines access log"));
    assert!(listing.contains("    owned                serde_json into a struct of owned Strings"));
    assert!(listing.contains(
        "    lines                log lines per run (default 20000; an integer in 1..=10000000)"
    ));
    assert!(listing.contains("\nmergesort: "));
}

/// A fresh temp dir (`TMPDIR`) and working directory for a harness run
/// without a command, which must leave both as they were.
struct Sandbox {
    tmp: tempfile::TempDir,
    cwd: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Sandbox {
        Sandbox {
            tmp: tempfile::tempdir().unwrap(),
            cwd: tempfile::tempdir().unwrap(),
        }
    }

    /// `exe` with `args` (and nothing else: no `CI`, whose progress lines
    /// would be the runner's), in the sandbox.
    fn run(&self, exe: &Path, args: &[&str]) -> Cmd {
        let mut cmd = Cmd::new(exe);
        cmd.args(args)
            .env_remove("CI")
            .env("TMPDIR", self.tmp.path())
            .current_dir(self.cwd.path());
        cmd
    }

    /// Fails unless both folders are empty again.
    fn assert_untouched(&self) {
        for dir in [self.tmp.path(), self.cwd.path()] {
            let left: Vec<_> = std::fs::read_dir(dir).unwrap().collect();
            assert!(left.is_empty(), "{} holds {left:?}", dir.display());
        }
    }
}

#[test]
fn cargo_bench_runs_each_default_matrix_and_prints_a_table() {
    let sandbox = Sandbox::new();
    // What `cargo bench -- logagg` passes: the filter, then `--bench`.
    let out = stdout(
        sandbox
            .run(harness(), &["logagg", "--bench"])
            .assert()
            .success(),
    );
    sandbox.assert_untouched();
    // The default matrix of `workload = "logagg"`: the four variants, with
    // the default measurement (7 processes of 5 samples), as a table.
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0], "logagg: 4 points, 7 processes × 5 samples each",
        "{out}"
    );
    let header: Vec<&str> = lines[1].split("  ").filter(|c| !c.is_empty()).collect();
    assert_eq!(
        header.iter().map(|c| c.trim()).collect::<Vec<_>>(),
        [
            "point",
            "time/op [98.4% interval]",
            "vs variant=dynamic",
            "verdict"
        ],
        "{out}"
    );
    let row = |variant: &str| {
        let line = lines
            .iter()
            .find(|l| l.trim_start().starts_with(&format!("variant={variant} ")))
            .unwrap_or_else(|| panic!("no row for {variant}: {out}"));
        line.split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(String::from)
            .collect::<Vec<_>>()
    };
    // A time with its interval: `53.2 ms [43.6 ms, 75.6 ms]`, the median inside.
    let time = |cell: &str| -> (f64, f64, f64) {
        let ms = |t: &str| {
            let (v, unit) = t.trim().split_once(' ').unwrap();
            let scale = match unit {
                "µs" => 1e-3,
                "ms" => 1.0,
                "s" => 1e3,
                other => panic!("unit {other} in {cell}"),
            };
            v.parse::<f64>().unwrap() * scale
        };
        let (median, ci) = cell.split_once(" [").unwrap();
        let (lo, hi) = ci.trim_end_matches(']').split_once(", ").unwrap();
        (ms(lo), ms(median), ms(hi))
    };
    let dynamic = row("dynamic");
    assert_eq!(dynamic[2], "baseline", "{out}");
    let (lo, median, hi) = time(&dynamic[1]);
    assert!(lo <= median && median <= hi, "{out}");
    for variant in ["owned", "borrowed", "split"] {
        let cells = row(variant);
        let (lo, median, hi) = time(&cells[1]);
        assert!(lo <= median && median <= hi, "{out}");
        // The change against dynamic with its interval, and a verdict.
        assert!(
            cells[2].starts_with('-') && cells[2].contains(" ["),
            "{out}"
        );
        assert!(
            ["faster", "slower", "equivalent", "inconclusive"].contains(&cells[3].as_str()),
            "{out}"
        );
    }
    // Borrowing skips a Value tree's 19 allocations per line: faster by far.
    assert_eq!(row("borrowed")[3], "faster", "{out}");
    assert_eq!(
        out.trim_end().lines().count(),
        6,
        "mergesort was filtered out: {out}"
    );
}

#[test]
fn cargo_test_benches_runs_every_point_once_as_a_test() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let tmp = tempfile::tempdir().unwrap();
    let logagg = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/logagg");
    let files = |dir: &Path| -> Vec<PathBuf> {
        walk(dir)
            .into_iter()
            .filter(|p| !p.starts_with(logagg.join("target")))
            .collect()
    };
    let before = files(&logagg);
    let mut test = Command::new(cargo);
    test.current_dir(&logagg)
        .args(["test", "--package", "logagg", "--benches"])
        .env_remove("CI")
        .env("TMPDIR", tmp.path());
    if !cfg!(debug_assertions) {
        test.arg("--release");
    }
    let out = test.output().expect("running cargo test");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Every point of each default matrix, once: logagg's four variants and
    // mergesort's seven.
    assert!(
        stdout.contains(
            "smoke test: logagg, 4 points ... ok\nsmoke test: mergesort, 7 points ... ok\n"
        ),
        "{stdout}"
    );
    assert_eq!(files(&logagg), before, "the harness wrote into its package");
    assert!(std::fs::read_dir(tmp.path()).unwrap().next().is_none());
}

/// Every file under `dir`.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// `examples/faults.rs`, a harness whose `broken` experiment's default
/// matrix fails: one variant panics, one computes something else.
fn faults() -> &'static Path {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    EXE.get_or_init(|| {
        escargot::CargoBuild::new()
            .manifest_path(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
            .example("faults")
            .current_release()
            .run()
            .expect("building examples/faults.rs")
            .path()
            .to_path_buf()
    })
}

#[test]
fn a_smoke_test_fails_on_a_panic_and_on_outputs_that_differ() {
    let sandbox = Sandbox::new();
    let assert = sandbox.run(faults(), &["broken"]).assert().code(1);
    sandbox.assert_untouched();
    let out = assert.get_output();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "smoke test: broken, 3 points ... FAILED\n"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    // One process per point: the panic's message, once.
    assert!(
        stderr.contains("  broken: variant=panics: panicked: broken on purpose\n"),
        "{stderr}"
    );
    let digest = |n: u64| {
        let mut d = tuner::Digest::default();
        std::hash::Hash::hash(&n, &mut d);
        format!("{:016x}", std::hash::Hasher::finish(&d))
    };
    assert!(
        stderr.contains(&format!(
            "  broken: the variants' outputs differ (digests: variant=right {}, variant=off_by_one {}): ",
            digest(55),
            digest(45)
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("error: 1 of 1 experiments failed: broken"),
        "{stderr}"
    );
}

#[test]
fn a_failing_variant_fails_cargo_bench_after_its_table() {
    let sandbox = Sandbox::new();
    let assert = sandbox
        .run(faults(), &["broken", "--bench"])
        .assert()
        .code(1);
    sandbox.assert_untouched();
    let out = assert.get_output();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let panics = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("variant=panics "))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(panics.ends_with("7 of 7 processes failed"), "{stdout}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("broken: variant=panics: panicked: broken on purpose (7 of 7 processes)"),
        "{stderr}"
    );
}

#[test]
fn a_filter_that_matches_nothing_runs_nothing() {
    let sandbox = Sandbox::new();
    // `cargo bench -- other` gives every bench target the filter.
    sandbox
        .run(harness(), &["other", "--bench"])
        .assert()
        .success()
        .stdout("")
        .stderr(contains(
            "no experiment matches other; this harness has logagg, mergesort",
        ));
    // Asked directly, it is a usage error.
    sandbox.run(harness(), &["other"]).assert().code(2);
    sandbox.assert_untouched();
}

#[test]
fn the_tuner_binary_without_a_command_prints_its_usage() {
    // Not a bench target: no smoke test, the usual usage error.
    Cmd::cargo_bin("tuner")
        .unwrap()
        .assert()
        .code(2)
        .stderr(contains("Usage: tuner"));
}

#[test]
fn the_harness_worker_refuses_a_runner_of_another_protocol_version() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        dir.path(),
        "one.toml",
        &LOGAGG
            .replace("name = \"logagg\"", "name = \"one\"")
            .replace(
                "[\"dynamic\", \"owned\", \"borrowed\", \"split\"]",
                "\"split\"",
            )
            .replace("[1, 2]", "[1]")
            .replace("[\"system\", \"mimalloc\", \"jemalloc\"]", "[\"system\"]")
            .replace("[\"unbuffered\", \"buffered\"]", "[\"buffered\"]"),
    );
    cargo_bench(&["run", cfg.to_str().unwrap()])
        .assert()
        .success();
    let r = results(&run_dir(dir.path(), "one"));
    // The spec the runner sent, rebuilt from what the run recorded.
    let spec = |protocol: u32| {
        serde_json::json!({
            "protocol": protocol,
            "workload": "logagg",
            "point": r["points"][0],
            "measure": r["plan"]["measure"],
        })
        .to_string()
    };
    let worker = |input: String| {
        Cmd::new(harness())
            .arg("worker")
            .write_stdin(input)
            .assert()
    };
    let ours = tuner::__private::protocol::PROTOCOL_VERSION;
    let out = stdout(worker(spec(ours)).success());
    let output: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(output["protocol"], ours);
    assert_eq!(output["digest"], r["runs"][0]["outcome"]["digest"]);
    worker(spec(ours + 1)).code(3).stderr(contains(format!(
        "the runner speaks worker protocol {}, this worker {ours}",
        ours + 1
    )));
}
