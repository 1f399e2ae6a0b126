//! Adaptive runs end to end (issue 18): a run of a small real config with a
//! large built-in difference stops its points before `max_processes`, and
//! a run killed after a look carries on with `--resume` keeping every
//! recorded look as it was (a decision is never made again).

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{config, results, run_dir};

/// Two commands, one sleeping 3× as long as the other: a difference no
/// busy test machine hides (sleeping takes no CPU). The baseline is
/// `short` (every axis's first value).
const SLEEPS: &str = r#"
[experiment]
name = "sleeps"
[command.variants]
short = ["sleep", "0.004"]
long = ["sleep", "0.012"]
[measure]
processes = 3
max_processes = 12
look_every = 1
seed = 3
"#;

/// Sleeps 10% apart: the run goes on for several looks.
const CLOSE: &str = r#"
[experiment]
name = "sleeps"
[command.variants]
short = ["sleep", "0.010"]
long = ["sleep", "0.011"]
[measure]
processes = 3
max_processes = 12
look_every = 1
seed = 3
"#;

fn tuner_cmd(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tuner"));
    cmd.env("CI", "true")
        .env("TMPDIR", dir.join("tmp"))
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

fn sandbox() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("tmp")).unwrap();
    dir
}

#[test]
fn a_large_difference_stops_points_before_the_most() {
    let dir = sandbox();
    let cfg = config(dir.path(), "sleeps.toml", SLEEPS);
    let status = tuner_cmd(dir.path()).arg("run").arg(&cfg).status().unwrap();
    assert!(status.success(), "{status}");
    let run = run_dir(dir.path(), "sleeps");
    let r = results(&run);
    let runs = r["runs"].as_array().unwrap();
    let adaptive = &r["rounds"]["adaptive"];
    let endings = adaptive["endings"].as_array().unwrap();
    assert_eq!(endings.len(), 2);
    // long against the baseline: decided slower, before round 12.
    let long = &endings[1];
    assert_eq!(long["how"], "decided", "{long}");
    assert_eq!(long["evidence"]["verdict"], "Slower", "{long}");
    assert_eq!(long["evidence"]["against"], 0, "{long}");
    assert!(long["rounds"].as_u64().unwrap() < 12, "{long}");
    assert!(runs.len() < 2 * 12, "{} processes", runs.len());
    // Each point got what its ending says, and at least `processes`.
    for e in endings {
        let point = e["point"].as_u64().unwrap();
        let got = runs.iter().filter(|x| x["point"] == point).count() as u64;
        assert_eq!(got, e["rounds"].as_u64().unwrap(), "{e}");
        assert!(got >= 3);
    }
    let report = std::fs::read_to_string(run.join("report.md")).unwrap();
    assert!(report.contains("## How the rounds went"), "{report}");
    assert!(report.contains("| variant=long | decided |"), "{report}");
}

/// The look lines of a journal, as written.
fn looks(run: &Path) -> Vec<String> {
    std::fs::read_to_string(run.join("journal.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter(|l| l.starts_with(r#"{"event":"look""#))
        .map(str::to_string)
        .collect()
}

#[test]
fn a_run_killed_after_a_look_resumes_to_the_same_decisions() {
    let dir = sandbox();
    let cfg = config(dir.path(), "sleeps.toml", CLOSE);
    let mut child = tuner_cmd(dir.path()).arg("run").arg(&cfg).spawn().unwrap();
    // Kill it once the first look is journaled.
    let journaled = || {
        let parent = dir.path().join("reports/sleeps");
        parent
            .is_dir()
            .then(|| run_dir(dir.path(), "sleeps"))
            .filter(|run| !looks(run).is_empty())
    };
    let run = loop {
        if let Some(run) = journaled() {
            break Some(run);
        }
        // A run that ended between the two checks: its looks are there.
        if child.try_wait().unwrap().is_some() {
            break journaled();
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    let _ = child.kill();
    child.wait().unwrap();
    let run = run.expect("the run journaled a look before it ended");
    let before = looks(&run);
    if !run.join("results.json").is_file() {
        let status = tuner_cmd(dir.path())
            .args(["run", "--resume"])
            .arg(&run)
            .status()
            .unwrap();
        assert!(status.success(), "{status}");
    }
    let after = looks(&run);
    assert!(after.len() >= before.len());
    // The looks made before the kill are kept as they were.
    assert_eq!(after[..before.len()], before[..]);
    // The results hold the journal's decisions, each look once.
    let r = results(&run);
    let adaptive = &r["rounds"]["adaptive"];
    let recorded: Vec<u64> = adaptive["looks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["after_round"].as_u64().unwrap())
        .collect();
    let mut unique = recorded.clone();
    unique.dedup();
    assert_eq!(recorded, unique);
    assert_eq!(recorded.len(), after.len());
    assert_eq!(adaptive["endings"].as_array().unwrap().len(), 2);
    assert!(r.get("interrupted").is_none());
}

/// A run that stopped its points early confirms its pick: with the slow
/// variant first (the baseline), the fast one is the pick, and it runs again
/// against the baseline in fresh adjacent pairs whose change heads the
/// report (`--confirm auto`, the default).
#[test]
fn a_run_that_stopped_early_confirms_its_pick_in_fresh_pairs() {
    let dir = sandbox();
    // The baseline is the first variant: the slow one.
    let body = SLEEPS.replace(
        "short = [\"sleep\", \"0.004\"]\nlong = [\"sleep\", \"0.012\"]",
        "long = [\"sleep\", \"0.012\"]\nshort = [\"sleep\", \"0.004\"]",
    );
    assert_ne!(body, SLEEPS);
    let cfg = config(dir.path(), "sleeps.toml", &body);
    let status = tuner_cmd(dir.path()).arg("run").arg(&cfg).status().unwrap();
    assert!(status.success(), "{status}");
    let run = run_dir(dir.path(), "sleeps");
    let r = results(&run);
    let c = &r["rounds"]["confirmation"];
    assert_eq!(
        (c["pick"].as_u64(), c["baseline"].as_u64()),
        (Some(1), Some(0)),
        "{c}"
    );
    assert_eq!(c["pairs"], 10);
    let runs = c["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 20);
    // Each pair is one process of each side, one right after the other,
    // after every timed run.
    let timed = r["runs"].as_array().unwrap().len() as u64;
    for pair in runs.chunks(2) {
        let points: Vec<u64> = pair
            .iter()
            .map(|p| p["record"]["point"].as_u64().unwrap())
            .collect();
        let seqs: Vec<u64> = pair
            .iter()
            .map(|p| p["record"]["seq"].as_u64().unwrap())
            .collect();
        assert_eq!(pair[0]["pair"], pair[1]["pair"]);
        assert!(points.contains(&0) && points.contains(&1), "{points:?}");
        assert_eq!(seqs[1], seqs[0] + 1);
        assert!(seqs[0] >= timed);
    }
    // Each side goes first in one of every two pairs.
    let firsts: Vec<u64> = runs
        .iter()
        .step_by(2)
        .map(|p| p["record"]["point"].as_u64().unwrap())
        .collect();
    for block in firsts.chunks(2) {
        assert!(block.contains(&0) && block.contains(&1), "{firsts:?}");
    }
    let report = std::fs::read_to_string(run.join("report.md")).unwrap();
    assert!(
        report.contains("Measured again in 10 of 10 fresh pairs"),
        "{report}"
    );
    assert!(
        report.contains(" faster** in 10 fresh pairs run after the rounds"),
        "{report}"
    );

    // --confirm off runs none.
    let dir = sandbox();
    let cfg = config(dir.path(), "sleeps.toml", &body);
    let status = tuner_cmd(dir.path())
        .args(["run", "--confirm", "off"])
        .arg(&cfg)
        .status()
        .unwrap();
    assert!(status.success(), "{status}");
    let r = results(&run_dir(dir.path(), "sleeps"));
    assert!(r["rounds"].get("confirmation").is_none(), "{}", r["rounds"]);
}

/// The confirmation keeps to `--budget`: no pair starts that would end
/// past it, the run is not cut short for it, and the report says how
/// many of the pairs asked for ran.
#[test]
fn the_confirmation_keeps_to_the_budget() {
    let dir = sandbox();
    let body = r#"
[experiment]
name = "sleeps"
[command.variants]
long = ["sleep", "0.15"]
short = ["sleep", "0.05"]
[measure]
processes = 3
"#;
    let cfg = config(dir.path(), "sleeps.toml", body);
    let status = tuner_cmd(dir.path())
        .args(["run", "--confirm", "10", "--budget", "2s"])
        .arg(&cfg)
        .status()
        .unwrap();
    assert!(status.success(), "{status}");
    let run = run_dir(dir.path(), "sleeps");
    let r = results(&run);
    assert_eq!(r["runs"].as_array().unwrap().len(), 6, "the rounds all ran");
    assert!(r.get("interrupted").is_none());
    // Six rounds' processes take about 0.6 s; a pair about 0.2 s more.
    let paired = r["rounds"]["confirmation"]["runs"]
        .as_array()
        .unwrap()
        .len();
    assert!((2..20).contains(&paired), "{paired} processes of 10 pairs");
    let report = std::fs::read_to_string(run.join("report.md")).unwrap();
    let ran = format!("Measured again in {} of 10 fresh pairs", paired / 2);
    assert!(report.contains(&ran), "{report}");
}
