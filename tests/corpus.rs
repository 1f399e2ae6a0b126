//! Hostile input through the real binary: every case of
//! `tests/corpus/cases.toml` — bad configs and damaged results files — runs
//! in a fresh directory and must exit with its code, say its words, never
//! panic, and leave nothing behind but what it is expected to write.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    case: Vec<Case>,
}

/// One command on one or two inputs.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    /// The command line; the inputs go after its first word, e.g.
    /// `run --dry-run` runs `tuner run <input> --dry-run`.
    command: String,
    /// Corpus files, copied into the case's directory under their names.
    #[serde(default)]
    files: Vec<String>,
    /// An input made at test time instead (see [`special`]).
    special: Option<String>,
    code: i32,
    /// Words standard error must contain.
    #[serde(default)]
    stderr: Vec<String>,
    #[serde(default)]
    stdout: Vec<String>,
    /// Entries a successful command adds to its directory.
    #[serde(default)]
    creates: Vec<String>,
}

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

fn entries(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

/// Makes an input that cannot be committed: a symlink to `/dev/zero`, a
/// directory, a file that does not exist, a config over the size cap.
fn special(kind: &str, dir: &Path) -> String {
    let name = "input.toml";
    let path = dir.join(name);
    match kind {
        "dev-zero" => std::os::unix::fs::symlink("/dev/zero", &path).unwrap(),
        "directory" => std::fs::create_dir(&path).unwrap(),
        "missing" => {}
        "oversize" => {
            let mut text = "[experiment]\nworkload = \"selfcheck\"\n".to_string();
            text.push_str(&"# padding\n".repeat(110_000));
            std::fs::write(&path, text).unwrap();
        }
        other => panic!("unknown special input {other}"),
    }
    name.to_string()
}

/// Runs one case; returns what went wrong, if anything.
fn check(case: &Case) -> Result<(), String> {
    // The case runs in root/work: a name escaping by `..` would show in root.
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let mut inputs = Vec::new();
    for file in &case.files {
        let name = Path::new(file).file_name().unwrap().to_string_lossy();
        std::fs::copy(corpus().join(file), work.join(&*name)).unwrap();
        inputs.push(name.into_owned());
    }
    if let Some(kind) = &case.special {
        inputs.push(special(kind, &work));
    }
    let before = entries(&work);
    let mut words = case.command.split_whitespace();
    let mut args: Vec<String> = words.next().into_iter().map(String::from).collect();
    args.extend(inputs);
    args.extend(words.map(String::from));
    let out = common::tuner()
        .current_dir(&work)
        .args(&args)
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut problems = Vec::new();
    if out.status.code() != Some(case.code) {
        problems.push(format!(
            "exit {:?}, expected {}",
            out.status.code(),
            case.code
        ));
    }
    // "panicked at" is Rust's panic message; a worker's recorded failure
    // ("FAILED: panicked: ...") is not tuner panicking.
    if out.status.code() == Some(101) || stderr.contains("panicked at") {
        problems.push("panicked".into());
    }
    for word in &case.stderr {
        if !stderr.contains(word.as_str()) {
            problems.push(format!("stderr lacks {word:?}"));
        }
    }
    for word in &case.stdout {
        if !stdout.contains(word.as_str()) {
            problems.push(format!("stdout lacks {word:?}"));
        }
    }
    let mut expected = before;
    expected.extend(case.creates.iter().cloned());
    let after = entries(&work);
    if after != expected {
        problems.push(format!("left {after:?}, expected {expected:?}"));
    }
    if entries(tmp.path()) != BTreeSet::from(["work".to_string()]) {
        problems.push(format!(
            "wrote beside its directory: {:?}",
            entries(tmp.path())
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "tuner {}: {}\n  stderr: {}",
            args.join(" "),
            problems.join("; "),
            stderr.trim()
        ))
    }
}

#[test]
fn every_corpus_case_exits_as_expected_without_panics_or_leftovers() {
    let text = std::fs::read_to_string(corpus().join("cases.toml")).unwrap();
    let manifest: Manifest = toml::from_str(&text).unwrap();
    let failures: Vec<String> = manifest
        .case
        .iter()
        .filter_map(|case| check(case).err())
        .collect();
    let total = manifest.case.len();
    println!("corpus: {} of {total} cases pass", total - failures.len());
    assert!(total >= 60, "the corpus has {total} cases");
    assert!(
        failures.is_empty(),
        "{} of {total} corpus cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every corpus file is used by some case, so none rots unexercised.
#[test]
fn every_corpus_file_has_a_case() {
    let text = std::fs::read_to_string(corpus().join("cases.toml")).unwrap();
    let manifest: Manifest = toml::from_str(&text).unwrap();
    let used: BTreeSet<&str> = manifest
        .case
        .iter()
        .flat_map(|c| c.files.iter().map(String::as_str))
        .collect();
    for sub in ["configs", "results"] {
        for name in entries(&corpus().join(sub)) {
            let file = format!("{sub}/{name}");
            assert!(used.contains(file.as_str()), "{file} has no case");
        }
    }
}
