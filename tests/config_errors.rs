//! Bad configs fail with exit code 2 and a message naming file, line and key.

mod common;

use common::{config, tuner};
use predicates::str::contains;

fn fails_with(body: &str, expected: &str) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), "bad.toml", body);
    let shown = format!("{}:{expected}", cfg.display());
    tuner()
        .arg("run")
        .arg(&cfg)
        .assert()
        .code(2)
        .stderr(contains(shown));
    assert!(!dir.path().join("reports").exists(), "nothing runs");
}

#[test]
fn unknown_key_names_its_table_and_line() {
    fails_with(
        "[experiment]\nworkload = \"mergesort\"\n[matrix]\nthreds = [1]\n",
        "4:1: `matrix.threds`: unknown field `threds`",
    );
}

#[test]
fn unknown_workload_variant_and_allocator_are_named() {
    fails_with(
        "[experiment]\nworkload = \"quicksort\"\n",
        "2:12: `experiment.workload`: unknown workload `quicksort`",
    );
    fails_with(
        "[experiment]\nworkload = \"mergesort\"\n[params]\nvariant = [\"v1\", \"v9\"]\n",
        "4:11: `params.variant`: `mergesort` has no variant `v9`",
    );
    fails_with(
        "[experiment]\nworkload = \"mergesort\"\n[matrix]\nallocator = [\"tcmalloc\"]\n",
        "4:13: `matrix.allocator`: unknown allocator \"tcmalloc\"",
    );
}

#[test]
fn wrong_types_and_ranges_are_named() {
    fails_with(
        "[experiment]\nworkload = \"mergesort\"\n[measure]\nprocesses = \"five\"\n",
        "4:13: `measure.processes`: invalid type",
    );
    fails_with(
        "[experiment]\nworkload = \"mergesort\"\n[params]\nsize = -4\n",
        "4:8: `params.size`: -4 is out of range",
    );
    fails_with(
        "[experiment]\nworkload = \"mergesort\"\n[matrix]\nthreads = [0]\n",
        "4:11: `matrix.threads`: expected a thread count",
    );
    fails_with(
        "[experiment]\nworkload = \"mergesort\"\n[measure]\nwarmup = \"soon\"\n",
        "4:10: `measure.warmup`: `soon` is not a duration",
    );
}

#[test]
fn exclusions_and_baselines_must_name_real_axis_values() {
    fails_with(
        "[experiment]\nworkload = \"mergesort\"\n[matrix]\nthreads = [1, 2]\nexclude = [{ threads = 3 }]\n",
        "5:24: `matrix.exclude.threads`: 3 is not on the threads axis (1, 2)",
    );
}

#[test]
fn toml_syntax_errors_point_at_the_line() {
    fails_with("[experiment]\nworkload = \"mergesort\n", "2:");
}

#[test]
fn a_missing_config_file_is_a_config_error() {
    tuner()
        .args(["run", "/nonexistent/x.toml"])
        .assert()
        .code(2)
        // The whole file is at fault: no `:0:0:` location, no empty key.
        .stderr(predicates::str::diff(
            "error: /nonexistent/x.toml: cannot read: No such file or directory (os error 2)\n",
        ));
}
