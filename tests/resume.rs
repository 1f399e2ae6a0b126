//! Nothing lost: a run stopped by SIGKILL (at random points), Ctrl-C or a
//! line cut off mid-write carries on with `tuner run --resume` to results
//! in which every scheduled (point, process) slot appears exactly once, at
//! its place in the recorded schedule; and folders that cannot be resumed
//! are refused with a clear error.
//!
//! `cargo test --test resume -- --nocapture` prints the log of kills and
//! resumes.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{config, results, run_dir, tuner};
use predicates::str::contains;
use rand::{Rng, SeedableRng};

const TAG: &str = "TUNER_RESUME_TAG";

/// 6 points × 4 processes of a short spin loop.
const SPIN: &str = r#"
[experiment]
name = "spin"
workload = "selfcheck"
[params]
variant = "spin"
steps = [20, 200, 2000]
[matrix]
threads = [1, 2]
[measure]
processes = 4
samples = 2
warmup = "1ms"
min_sample_time = "5ms"
seed = 11
"#;

/// The tuner binary as a plain command, tagged so its processes can be found.
fn runner(dir: &Path, tag: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tuner"));
    cmd.env("CI", "true")
        .env("TMPDIR", dir.join("tmp"))
        .env(TAG, tag)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

/// A temp dir with a `tmp` folder for the runner, and the tag that marks
/// the processes of the runs made in it.
fn sandbox() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("tmp")).unwrap();
    let tag = format!("{}", dir.path().display());
    (dir, tag)
}

/// Starts a run of [`SPIN`] in `dir` and waits until `runs` are journaled.
fn start_until_journaled(dir: &Path, tag: &str, runs: usize) -> (std::process::Child, PathBuf) {
    let cfg = config(dir, "spin.toml", SPIN);
    let mut child = runner(dir, tag).arg("run").arg(&cfg).spawn().unwrap();
    loop {
        if dir.join("reports/spin").is_dir() {
            let run = run_dir(dir, "spin");
            if journal_runs(&run).0 >= runs {
                return (child, run);
            }
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the run ended first: {status}");
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn journal_runs(run: &Path) -> (usize, bool) {
    let text = std::fs::read(run.join("journal.jsonl")).unwrap_or_default();
    let lines = text.iter().filter(|&&b| b == b'\n').count();
    (
        lines.saturating_sub(1),
        !text.is_empty() && !text.ends_with(b"\n"),
    )
}

/// Checks that `run`'s results hold every slot of the schedule once, in order.
fn assert_every_slot_once(run: &Path) {
    let r = results(run);
    let runs = r["runs"].as_array().unwrap();
    let points = r["points"].as_array().unwrap().len();
    let processes = r["plan"]["measure"]["processes"].as_u64().unwrap() as u32;
    let seed = r["plan"]["measure"]["seed"].as_u64().unwrap();
    let order = tuner::__private::matrix::schedule(points, processes, seed);
    assert_eq!(runs.len(), order.len(), "every slot, none twice");
    let mut slots = BTreeSet::new();
    for (i, run) in runs.iter().enumerate() {
        let slot = &order[i];
        assert_eq!(run["seq"], i, "runs in schedule order");
        assert_eq!(
            (
                run["point"].as_u64().unwrap() as usize,
                run["process"].as_u64().unwrap() as u32
            ),
            (slot.point, slot.process),
            "seq {i} is the recorded schedule's slot"
        );
        assert_eq!(run["outcome"]["status"], "ok", "{run}");
        assert!(slots.insert((slot.point, slot.process)));
    }
    assert!(
        r.get("interrupted").is_none(),
        "finished: {}",
        r["interrupted"]
    );
    let (journaled, partial) = journal_runs(run);
    assert_eq!((journaled, partial), (order.len(), false));
    assert!(run.join("report.md").is_file());
}

#[test]
fn sigkill_at_random_points_then_resume_until_done() {
    let (dir, tag) = sandbox();
    let cfg = config(dir.path(), "spin.toml", SPIN);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2026);
    let mut run: Option<PathBuf> = None;
    let mut log = Vec::new();
    for attempt in 1..=12 {
        let mut cmd = runner(dir.path(), &tag);
        match &run {
            None => cmd.arg("run").arg(&cfg),
            Some(run) => cmd.args(["run", "--resume"]).arg(run),
        };
        let delay = Duration::from_millis(rng.gen_range(100..700));
        let started = Instant::now();
        let mut child = cmd.spawn().unwrap();
        let finished = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break Some(status);
            }
            if started.elapsed() >= delay {
                break None;
            }
            std::thread::sleep(Duration::from_millis(2));
        };
        let what = match finished {
            Some(status) => format!("ended by itself ({status})"),
            None => {
                child.kill().unwrap();
                child.wait().unwrap();
                format!("SIGKILL after {} ms", delay.as_millis())
            }
        };
        let survivors = common::survivors(TAG, &tag);
        assert_eq!(survivors, Vec::<u32>::new(), "a worker outlived its runner");
        if run.is_none() && dir.path().join("reports/spin").is_dir() {
            run = Some(run_dir(dir.path(), "spin"));
        }
        let (journaled, partial) = run.as_deref().map_or((0, false), journal_runs);
        let saved = run
            .as_ref()
            .is_some_and(|r| r.join("results.json").is_file());
        log.push(format!(
            "{attempt:>2}. {:<9} {what}: journal {journaled:>2}/24 runs{}{}",
            if attempt == 1 { "run" } else { "--resume" },
            if partial { " + a cut line" } else { "" },
            if saved { ", results.json saved" } else { "" },
        ));
        if saved {
            break;
        }
    }
    let run = run.expect("a run folder");
    if !run.join("results.json").is_file() {
        let mut cmd = runner(dir.path(), &tag);
        let status = cmd.args(["run", "--resume"]).arg(&run).status().unwrap();
        log.push(format!("    final --resume: {status}"));
        assert!(status.success());
    }
    if !run.join("report.md").is_file() {
        // Killed after saving results.json, before the report: finished.
        let mut cmd = runner(dir.path(), &tag);
        let status = cmd.args(["run", "--resume"]).arg(&run).status().unwrap();
        log.push(format!("--resume of a saved run exits {status} (refused)"));
        assert_eq!(status.code(), Some(2));
        tuner()
            .arg("report")
            .arg(run.join("results.json"))
            .assert()
            .success();
    }
    println!("kills and resumes (seed 2026):\n{}", log.join("\n"));
    assert_every_slot_once(&run);
    // The last runner removed its scratch root and every stale one.
    assert_eq!(
        std::fs::read_dir(dir.path().join("tmp")).unwrap().count(),
        0
    );
}

#[test]
fn ctrl_c_saves_a_partial_run_that_resume_finishes() {
    let (dir, tag) = sandbox();
    let (mut child, run) = start_until_journaled(dir.path(), &tag, 3);
    // SAFETY: plain syscall to our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let partial = results(&run);
    let done = partial["runs"].as_array().unwrap().len();
    assert!((3..24).contains(&done), "{done}");
    assert_eq!(
        partial["interrupted"],
        format!("stopped by SIGINT (Ctrl-C) after {done} of 24 runs")
    );
    assert!(run.join("report.md").is_file());
    assert_eq!(journal_runs(&run), (done, false));
    assert!(partial["runs"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["outcome"]["status"] == "ok"));

    tuner()
        .env("TMPDIR", dir.path().join("tmp"))
        .args(["run", "--resume"])
        .arg(&run)
        .assert()
        .success()
        .stdout(contains("report: "));
    assert_every_slot_once(&run);
    tuner()
        .args(["run", "--resume"])
        .arg(&run)
        .assert()
        .code(2)
        .stderr(contains("is a finished run"))
        .stderr(contains("nothing to resume"));
}

#[test]
fn two_ctrl_c_in_a_row_exit_at_once_and_keep_the_journal() {
    let (dir, tag) = sandbox();
    let (mut child, run) = start_until_journaled(dir.path(), &tag, 2);
    for _ in 0..2 {
        // SAFETY: plain syscall to our own child.
        unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(child.wait().unwrap().code(), Some(130));
    assert_eq!(common::survivors(TAG, &tag), Vec::<u32>::new());
    assert_eq!(
        std::fs::read_dir(dir.path().join("tmp")).unwrap().count(),
        0
    );
    // Whichever signal won, the journal holds whole runs and resumes.
    let (journaled, _) = journal_runs(&run);
    assert!(journaled >= 2);
    let _ = std::fs::remove_file(run.join("results.json"));
    tuner()
        .args(["run", "--resume"])
        .arg(&run)
        .assert()
        .success();
    assert_every_slot_once(&run);
}

#[test]
fn a_cut_line_is_dropped_and_its_run_measured_again() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), "spin.toml", SPIN);
    tuner().arg("run").arg(&cfg).assert().success();
    let run = run_dir(dir.path(), "spin");
    // As a power cut would leave it: 5 whole runs, half of the sixth.
    let text = std::fs::read_to_string(run.join("journal.jsonl")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut cut = lines[..6].join("\n");
    cut.push('\n');
    cut.push_str(&lines[6][..lines[6].len() / 2]);
    std::fs::write(run.join("journal.jsonl"), cut).unwrap();
    std::fs::remove_file(run.join("results.json")).unwrap();
    std::fs::remove_file(run.join("report.md")).unwrap();
    tuner()
        .args(["run", "--resume"])
        .arg(&run)
        .assert()
        .success();
    assert_every_slot_once(&run);
    let r = results(&run);
    assert!(
        r.get("warnings").is_none(),
        "a cut line is not damage: {}",
        r["warnings"]
    );
    // The five kept runs are the ones journaled before the cut.
    for (i, line) in lines[1..6].iter().enumerate() {
        let kept: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(r["runs"][i], kept);
    }
}

#[test]
fn folders_that_cannot_be_resumed_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    tuner()
        .args(["run", "--resume"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(contains("is not a run folder: it has no journal.jsonl"));

    let cfg = config(dir.path(), "spin.toml", SPIN);
    tuner().arg("run").arg(&cfg).assert().success();
    let run = run_dir(dir.path(), "spin");
    std::fs::remove_file(run.join("results.json")).unwrap();
    // A journal written by a tuner of another worker protocol.
    let text = std::fs::read_to_string(run.join("journal.jsonl")).unwrap();
    let (header, rest) = text.split_once('\n').unwrap();
    let mut header: serde_json::Value = serde_json::from_str(header).unwrap();
    header["protocol"] = 1.into();
    std::fs::write(run.join("journal.jsonl"), format!("{header}\n{rest}")).unwrap();
    tuner()
        .args(["run", "--resume"])
        .arg(&run)
        .assert()
        .code(2)
        .stderr(contains("speaking worker protocol 1, this one speaks 3"));
    // A journal whose runs are not where its seed's schedule puts them.
    header["protocol"] = 3.into();
    header["plan"]["measure"]["seed"] = 12.into();
    std::fs::write(run.join("journal.jsonl"), format!("{header}\n{rest}")).unwrap();
    tuner()
        .args(["run", "--resume"])
        .arg(&run)
        .assert()
        .code(2)
        .stderr(contains("where the schedule of its plan and seed has"));
    // --resume takes no config.
    tuner()
        .args(["run", "--resume"])
        .arg(&run)
        .arg(&cfg)
        .assert()
        .code(2);
}
