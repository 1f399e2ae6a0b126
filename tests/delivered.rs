//! What the machine delivered, end to end through `tuner run` (issue 19):
//! every process of a catalog workload and of an external command carries
//! its versioned record in results.json; and the files of a run are
//! readable as the user's umask says, as any file they make.

mod common;

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use common::{config, results, run_dir, tuner};
use serde_json::Value;

/// Every successful process's outcome in `results`.
fn outcomes(results: &Value) -> Vec<&Value> {
    results["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["outcome"])
        .filter(|o| o["status"] == "ok")
        .collect()
}

/// Runs `tuner run <cfg> -q` under `umask`, which must succeed.
fn run_with_umask(cfg: &Path, umask: &str) {
    let tuner = assert_cmd::cargo::cargo_bin("tuner");
    tuner_in_shell(&format!(
        "umask {umask} && exec '{}' run '{}' -q",
        tuner.display(),
        cfg.display()
    ))
    .assert()
    .success();
}

fn tuner_in_shell(script: &str) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::new("sh");
    cmd.args(["-c", script]).env("CI", "true");
    cmd
}

const SPIN: &str = "[experiment]\nname = \"spin\"\nworkload = \"selfcheck\"\n\
    [params]\nvariant = \"spin\"\nsteps = 200\n\
    [measure]\nprocesses = 2\nsamples = 2\nwarmup = \"2ms\"\nmin_sample_time = \"2ms\"\n";

#[test]
fn a_catalog_workloads_processes_record_what_the_machine_delivered() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), "spin.toml", SPIN);
    tuner().args(["run", "-q"]).arg(&cfg).assert().success();
    let r = results(&run_dir(dir.path(), "spin"));
    let ok = outcomes(&r);
    assert_eq!(ok.len(), 2);
    for o in ok {
        let m = &o["machine"];
        assert_eq!(
            (&m["version"], &m["of"]),
            (&1.into(), &"process".into()),
            "{m}"
        );
        let (wall, cpu) = (
            m["wall_ns"].as_u64().unwrap(),
            m["cpu_ns"].as_u64().unwrap(),
        );
        let sampled: u64 = o["samples"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["ns"].as_u64().unwrap())
            .sum();
        assert!(wall >= sampled, "{wall} < {sampled}");
        // The spin loop runs on one thread: it is the one that ran work.
        assert_eq!(m["threads"]["ran"], 1, "{m}");
        assert!(cpu as f64 <= wall as f64 * 1.01 + 1e6, "one thread: {m}");
        assert!(m["allowed"].as_str().is_some_and(|a| !a.is_empty()), "{m}");
    }
}

#[test]
fn a_commands_processes_record_what_the_machine_delivered_to_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        dir.path(),
        "busy.toml",
        "[experiment]\nname = \"busy\"\n\
         [command]\nargv = [\"sh\", \"-c\", \"i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done\"]\nwarmup = 0\n\
         [measure]\nprocesses = 2\n",
    );
    tuner().args(["run", "-q"]).arg(&cfg).assert().success();
    let r = results(&run_dir(dir.path(), "busy"));
    let ok = outcomes(&r);
    assert_eq!(ok.len(), 2);
    for o in ok {
        let m = &o["machine"];
        assert_eq!(
            (&m["version"], &m["of"]),
            (&1.into(), &"child".into()),
            "{m}"
        );
        // The child's CPU is its wait4 rusage, the same as the process's.
        let rusage =
            o["cpu"]["user_ns"].as_u64().unwrap() + o["cpu"]["system_ns"].as_u64().unwrap();
        assert_eq!(m["cpu_ns"].as_u64().unwrap(), rusage, "{m}");
        assert!(rusage > 0, "a shell counting to 20,000 takes CPU time");
        // From spawn to wait4, around the one timed execution.
        let (wall, sample) = (
            m["wall_ns"].as_u64().unwrap(),
            o["samples"][0]["ns"].as_u64().unwrap(),
        );
        assert!(
            wall >= sample && wall < sample + 50_000_000,
            "{wall} vs {sample}"
        );
        assert!(
            m.get("threads").is_none(),
            "a child's threads are not read: {m}"
        );
    }
}

/// Issue 19 #6: results.json, the journal and the report were 0600 (the
/// temporary file's mode) whatever the umask said.
#[test]
fn run_files_have_the_umasks_mode_not_the_temporary_files() {
    for (umask, want) in [("027", 0o640), ("002", 0o664)] {
        let dir = tempfile::tempdir().unwrap();
        let cfg = config(dir.path(), "spin.toml", SPIN);
        run_with_umask(&cfg, umask);
        let run = run_dir(dir.path(), "spin");
        for file in ["results.json", "journal.jsonl", "report.md"] {
            let mode = std::fs::metadata(run.join(file))
                .unwrap()
                .permissions()
                .mode()
                & 0o777;
            assert_eq!(mode, want, "{file} under umask {umask}: {mode:o}");
        }
    }
}
