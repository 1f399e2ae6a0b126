//! tuner as a library: the logagg example (`examples/logagg`, a workspace
//! member) built as the `cargo bench` harness a user would write, then run
//! on tiny matrices the way `cargo bench --bench tune -- run x.toml` runs
//! it (the harness re-executes itself, from `target/*/deps/`, as the
//! worker). The values checked are the user's own: exact allocation counts
//! that differ between strategies, the allocators' proof, the thread pool,
//! failures and config errors naming the user's parameters.

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
fn the_harness_lists_its_catalog_and_tolerates_a_bare_cargo_bench() {
    let listing = stdout(cargo_bench(&["list"]).assert().success());
    assert!(listing.starts_with("logagg: parse a JSON-lines access log"));
    assert!(listing.contains("    owned                serde_json into a struct of owned Strings"));
    assert!(listing.contains("\nmergesort: "));
    // `cargo bench` with no arguments runs every bench target with only
    // `--bench`: nothing to do is not a failure.
    cargo_bench(&[])
        .assert()
        .success()
        .stderr(contains("cargo bench --bench <name> -- run <config.toml>"));
    // Without the flag, a missing command is the usual usage error.
    Cmd::new(harness()).assert().code(2);
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
