//! External commands as workloads, end to end through the real binary:
//! placeholders that stay one argument, the command's own peak RSS,
//! timeouts that kill the whole group, failures with their stderr, Go
//! benchmark lines as samples, environment knobs, preloaded allocators
//! and the note when they cannot have an effect. The programs are tiny
//! C programs built here with `cc` (each test says so and passes when
//! `cc` is missing) or `/bin/sh`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{config, results, run_dir, tuner};
use serde_json::Value;

/// Builds `source` as `dir/name` with `cc` (and `flags`); `None`, with a
/// notice, when `cc` cannot build that way (`-static` needs the C
/// library's static archive). A plain build must succeed: Rust links with
/// `cc`, so a machine that runs these tests has one, and a test that
/// skipped there would pass without testing anything.
fn cc(dir: &Path, name: &str, source: &str, flags: &[&str]) -> Option<PathBuf> {
    let src = dir.join(format!("{name}.c"));
    std::fs::write(&src, source).unwrap();
    let out = dir.join(name);
    let built = std::process::Command::new("cc")
        .args(["-O2", "-o"])
        .arg(&out)
        .arg(&src)
        .args(flags)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(built || !flags.is_empty(), "`cc` could not build {name}");
    if !built {
        eprintln!(
            "notice: skipped: `cc {}` could not build {name}",
            flags.join(" ")
        );
        return None;
    }
    Some(out)
}

/// Runs the config `body` (named `name`) to its end; the run folder.
fn run(dir: &Path, name: &str, body: &str) -> PathBuf {
    run_exiting(dir, name, body, 0)
}

/// [`run`] of a config some of whose runs fail: tuner exits 1.
fn run_exiting(dir: &Path, name: &str, body: &str, code: i32) -> PathBuf {
    let body = if body.contains("[experiment]") {
        body.to_string()
    } else {
        format!("[experiment]\nname = \"{name}\"\n{body}")
    };
    let path = config(dir, &format!("{name}.toml"), &body);
    tuner()
        .arg("run")
        .arg(&path)
        .arg("--quiet")
        .assert()
        .code(code);
    run_dir(dir, name)
}

/// Every process's outcome, with its point's coordinates.
fn outcomes(results: &Value) -> Vec<(Value, Value)> {
    let points = results["points"].as_array().unwrap();
    results["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let coords = points[r["point"].as_u64().unwrap() as usize]["coords"].clone();
            (coords, r["outcome"].clone())
        })
        .collect()
}

fn coord<'a>(coords: &'a Value, axis: &str) -> &'a str {
    coords
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c[0] == axis)
        .and_then(|c| c[1].as_str())
        .unwrap()
}

const ARGV_LOG: &str = r#"
#include <stdio.h>
/* Appends its argument count and each argument, NUL-terminated, to argv.log. */
int main(int argc, char **argv) {
    FILE *f = fopen("argv.log", "a");
    fprintf(f, "%d", argc - 1);
    fputc(0, f);
    for (int i = 1; i < argc; i++) { fputs(argv[i], f); fputc(0, f); }
    return fclose(f) != 0;
}
"#;

#[test]
fn a_hostile_parameter_value_stays_one_argument() {
    let dir = tempfile::tempdir().unwrap();
    let Some(_) = cc(dir.path(), "argv-log", ARGV_LOG, &[]) else {
        return;
    };
    let hostile = [
        "a b; touch pwned",
        "$(touch pwned) `touch pwned` | touch pwned && touch pwned",
        "'\"quoted\"' \\ * ?",
        "tab\there\nnewline",
        "{value}",
        "",
        "--flag=-x",
    ];
    let values: Vec<String> = hostile
        .iter()
        .map(|v| toml::Value::String(v.to_string()).to_string())
        .collect();
    run(
        dir.path(),
        "hostile",
        &format!(
            "[command]\nargv = [\"./argv-log\", \"{{value}}\", \"pre {{value}} post\"]\nwarmup = 0\n\
             [params]\nvalue = [{}]\n[measure]\nprocesses = 1\n",
            values.join(", ")
        ),
    );
    let log = std::fs::read(dir.path().join("argv.log")).unwrap();
    let fields: Vec<String> = log
        .split(|&b| b == 0)
        .map(|f| String::from_utf8(f.to_vec()).unwrap())
        .collect();
    let mut seen: Vec<Vec<String>> = fields[..fields.len() - 1]
        .chunks(3)
        .map(<[String]>::to_vec)
        .collect();
    seen.sort();
    let mut expected: Vec<Vec<String>> = hostile
        .iter()
        .map(|v| vec!["2".to_string(), v.to_string(), format!("pre {v} post")])
        .collect();
    expected.sort();
    assert_eq!(seen, expected, "each execution saw exactly two arguments");
    assert!(!dir.path().join("pwned").exists(), "no shell ran a value");
}

/// Peak RSS (KiB) of one of `pid`'s lifetime, sampled until it exits.
fn run_watching_rss(path: &Path) -> u64 {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tuner"))
        .arg("run")
        .arg(path)
        .arg("--quiet")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let status = format!("/proc/{}/status", child.id());
    let mut hwm = 0;
    while child.try_wait().unwrap().is_none() {
        let text = std::fs::read_to_string(&status).unwrap_or_default();
        if let Some(kib) = text
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            hwm = hwm.max(kib);
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    hwm
}

#[test]
fn peak_rss_is_the_commands_own_not_the_runners() {
    let dir = tempfile::tempdir().unwrap();
    let nothing = cc(dir.path(), "nothing", "int main(void) { return 0; }\n", &[]);
    let touch = cc(
        dir.path(),
        "touch64",
        "#include <stdio.h>\n#include <stdlib.h>\n\
         int main(void) { size_t n = 64u << 20; volatile char *p = malloc(n); long sum = 0;\n\
         for (size_t i = 0; i < n; i += 4096) p[i] = 1;\n\
         for (size_t i = 0; i < n; i += 4096) sum += p[i];\n\
         printf(\"%ld\\n\", sum); return 0; }\n",
        &[],
    );
    if nothing.is_none() || touch.is_none() {
        return;
    }
    let path = config(
        dir.path(),
        "rss.toml",
        "[experiment]\nname = \"rss\"\n[command.variants]\nnothing = [\"./nothing\"]\ntouch64 = [\"./touch64\"]\n[command]\nwarmup = 0\n[measure]\nprocesses = 3\n",
    );
    let runner_kib = run_watching_rss(&path);
    let r = results(&run_dir(dir.path(), "rss"));
    let rss = |variant: &str| -> Vec<u64> {
        outcomes(&r)
            .iter()
            .filter(|(c, _)| coord(c, "variant") == variant)
            .map(|(_, o)| o["peak_rss_kib"].as_u64().unwrap())
            .collect()
    };
    let (idle, touched) = (rss("nothing"), rss("touch64"));
    assert_eq!((idle.len(), touched.len()), (3, 3));
    // The floor is the small process the command is spawned from: ~3 MiB
    // in a release build, ~6.5 MiB in this debug one (its code is larger),
    // against a runner of ~8 and ~14 MiB.
    for kib in &idle {
        assert!(
            *kib * 3 < runner_kib * 2,
            "a command that does nothing read {kib} KiB; the runner peaked at {runner_kib} KiB"
        );
    }
    for kib in &touched {
        assert!(
            (64 * 1024..64 * 1024 + 8 * 1024).contains(kib),
            "touching 64 MiB read {kib} KiB"
        );
    }
    eprintln!("peak RSS: nothing {idle:?} KiB, touch64 {touched:?} KiB, runner ≥ {runner_kib} KiB");
}

#[test]
fn a_timeout_kills_the_commands_whole_process_group() {
    let dir = tempfile::tempdir().unwrap();
    let tag = format!("cmd-timeout-{}", std::process::id());
    let started = Instant::now();
    let run_dir = run_exiting(
        dir.path(),
        "sleepy",
        &format!(
            "[command]\nargv = [\"sh\", \"-c\", \"sleep 30 & sleep 30\"]\nwarmup = 0\nenv = {{ CMDTEST_TAG = \"{tag}\" }}\n\
             [measure]\nprocesses = 1\ntimeout = \"300ms\"\n"
        ),
        1,
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    let (_, outcome) = outcomes(&results(&run_dir)).remove(0);
    assert_eq!(outcome["kind"], "timeout");
    assert_eq!(outcome["reason"], "timed out after 300ms");
    let left = common::survivors("CMDTEST_TAG", &tag);
    assert!(left.is_empty(), "processes outlived the timeout: {left:?}");
}

#[test]
fn failures_are_recorded_with_their_kind_and_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let run_dir = run_exiting(
        dir.path(),
        "failing",
        "[experiment]\nname = \"failing\"\n[command.variants]\n\
         ok = [\"sh\", \"-c\", \"echo fine >&2\"]\n\
         exit3 = [\"sh\", \"-c\", \"echo first >&2; echo the disk is full >&2; exit 3\"]\n\
         segv = [\"sh\", \"-c\", \"kill -SEGV $$\"]\n\
         [command]\nwarmup = 0\n[measure]\nprocesses = 1\n",
        1,
    );
    let outcomes = outcomes(&results(&run_dir));
    let of = |variant: &str| {
        outcomes
            .iter()
            .find(|(c, _)| coord(c, "variant") == variant)
            .map(|(_, o)| o.clone())
            .unwrap()
    };
    assert_eq!(of("ok")["status"], "ok");
    let exit3 = of("exit3");
    assert_eq!(exit3["kind"], "exit_code");
    assert_eq!(
        exit3["reason"],
        "the command exited with code 3: the disk is full"
    );
    assert!(exit3["stderr_tail"].as_str().unwrap().contains("first"));
    let segv = of("segv");
    assert_eq!(segv["kind"], "signal");
    assert!(
        segv["reason"]
            .as_str()
            .unwrap()
            .starts_with("the command was killed by signal 11"),
        "{segv}"
    );
    let report = std::fs::read_to_string(run_dir.join("report.md")).unwrap();
    assert!(report.contains("the command exited with code 3: the disk is full"));
}

#[test]
fn go_benchmark_lines_are_the_samples_with_their_memory_figures() {
    let dir = tempfile::tempdir().unwrap();
    let script = "printf 'goos: linux\\nBenchmarkSort/variant=%s-2 \\t 100\\t 250.5 ns/op\\t 64 B/op\\t 2 allocs/op\\t 7 items/op\\n' {variant}; \
                  printf 'BenchmarkSort/variant=%s-2 \\t 300\\t 249.5 ns/op\\t 64 B/op\\t 2 allocs/op\\t 9 items/op\\nPASS\\n' {variant}";
    let run_dir = run(
        dir.path(),
        "bench",
        &format!(
            "[experiment]\nname = \"bench\"\n[command]\nargv = [\"sh\", \"-c\", \"{script}\"]\nmetrics = \"gobench\"\n\
             [params]\nvariant = [\"v3\"]\n[measure]\nprocesses = 2\n"
        ),
    );
    let r = results(&run_dir);
    let (_, o) = outcomes(&r).remove(0);
    assert_eq!(
        o["samples"],
        serde_json::json!([{ "iters": 100, "ns": 25050 }, { "iters": 300, "ns": 74850 }])
    );
    assert_eq!(o["command"]["benchmark"], "BenchmarkSort/variant=v3");
    assert_eq!(
        o["command"]["units"],
        serde_json::json!([["items/op", [7.0, 9.0]]])
    );
    let csv = common::stdout(
        tuner()
            .args(["export", "--format", "csv"])
            .arg(run_dir.join("results.json"))
            .assert()
            .success(),
    );
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let row: Vec<&str> = csv.lines().nth(1).unwrap().split(',').collect();
    let field = |name: &str| row[header.iter().position(|h| *h == name).unwrap()];
    assert_eq!((field("allocs_per_op"), field("bytes_per_op")), ("2", "64"));
    assert_eq!(
        field("cpu_ns_per_op"),
        "",
        "the lines are part of the process's CPU"
    );
    let ns: f64 = field("ns_per_op").parse().unwrap();
    assert_eq!(ns, 250.0, "the median of 250.5 and 249.5 ns/op");
    let report = std::fs::read_to_string(run_dir.join("report.md")).unwrap();
    assert!(
        report.contains("| point | items/op |\n|---|--:|\n| v3 | 8.00 |"),
        "{report}"
    );
}

#[test]
fn a_wall_timed_command_has_no_allocation_counts_rather_than_zeros() {
    let dir = tempfile::tempdir().unwrap();
    let run_dir = run(
        dir.path(),
        "true",
        "[command]\nargv = [\"sh\", \"-c\", \"exit 0\"]\n[measure]\nprocesses = 2\n",
    );
    let gobench = common::stdout(
        tuner()
            .args(["export", "--format", "gobench"])
            .arg(run_dir.join("results.json"))
            .assert()
            .success(),
    );
    let line = gobench
        .lines()
        .find(|l| l.starts_with("Benchmark"))
        .unwrap();
    assert!(
        line.contains("ns/op") && !line.contains("allocs/op"),
        "{line}"
    );
    let report = std::fs::read_to_string(run_dir.join("report.md")).unwrap();
    let row = report
        .lines()
        .find(|l| l.starts_with("| ") && l.contains("(baseline)"))
        .unwrap();
    assert!(row.ends_with("| – | – | 2 |"), "{row}");
}

#[test]
fn environment_knobs_prepare_cleanup_and_stdin_reach_the_command() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("in.txt"), "from stdin").unwrap();
    let lib = dir.path().join("fake-jemalloc.so");
    std::fs::write(&lib, "not a library").unwrap();
    let run_dir = run(
        dir.path(),
        "env",
        "[experiment]\nname = \"env\"\n[command]\n\
         argv = [\"sh\", \"-c\", \"echo run $GOMAXPROCS $RAYON_NUM_THREADS $GOGC $SIZE ${{LD_PRELOAD:-none}} $(cat) >> env.log\"]\n\
         env = { SIZE = \"size={size}\" }\nstdin = \"in.txt\"\nwarmup = 1\n\
         prepare = [\"sh\", \"-c\", \"echo prepare $GOGC >> env.log\"]\n\
         cleanup = [\"sh\", \"-c\", \"echo cleanup >> env.log\"]\n\
         [command.preload]\njemalloc = \"fake-jemalloc.so\"\n\
         [params]\nsize = 7\n[matrix]\nthreads = [1, 2]\nallocator = [\"system\", \"jemalloc\"]\n\
         [matrix.env]\nGOGC = [\"50\", \"off\"]\n[measure]\nprocesses = 1\n",
    );
    let log = std::fs::read_to_string(dir.path().join("env.log")).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    // Each of 8 points: warm-up then timed, each as prepare, run, cleanup.
    assert_eq!(lines.len(), 8 * 2 * 3, "{log}");
    for chunk in lines.chunks(3) {
        assert!(
            chunk[0].starts_with("prepare ")
                && chunk[1].starts_with("run ")
                && chunk[2] == "cleanup"
        );
        assert_eq!(
            chunk[0]["prepare ".len()..],
            chunk[1].split(' ').nth(3).unwrap().to_string()
        );
    }
    let mut runs: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.starts_with("run "))
        .collect();
    runs.sort();
    runs.dedup();
    let fake = lib.display().to_string();
    let expected: Vec<String> = [
        ("1", "50", "none"),
        ("1", "50", fake.as_str()),
        ("1", "off", "none"),
        ("1", "off", fake.as_str()),
        ("2", "50", "none"),
        ("2", "50", fake.as_str()),
        ("2", "off", "none"),
        ("2", "off", fake.as_str()),
    ]
    .iter()
    .map(|(t, gogc, preload)| format!("run {t} {t} {gogc} size=7 {preload} from stdin"))
    .collect();
    let mut expected: Vec<&str> = expected.iter().map(String::as_str).collect();
    expected.sort();
    assert_eq!(runs, expected);
    let report = std::fs::read_to_string(run_dir.join("report.md")).unwrap();
    assert!(
        report.contains(&format!("`jemalloc` preloaded `{fake}`")),
        "the report says which file was preloaded"
    );
}

#[test]
fn output_that_changes_with_a_knob_is_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let body = |script: &str| {
        format!(
            "[experiment]\nname = \"out\"\n[command]\nargv = [\"sh\", \"-c\", \"{script}\"]\ncheck_output = true\nwarmup = 0\n\
             [matrix.env]\nGOGC = [\"1\", \"2\"]\n[measure]\nprocesses = 1\n"
        )
    };
    let steady = run(dir.path(), "out", &body("echo same"));
    let report = std::fs::read_to_string(steady.join("report.md")).unwrap();
    assert!(
        report.contains("printed the same stdout (by digest)"),
        "{report}"
    );
    std::fs::remove_dir_all(dir.path().join("reports")).unwrap();
    let moving = run(dir.path(), "out", &body("echo $GOGC"));
    let report = std::fs::read_to_string(moving.join("report.md")).unwrap();
    assert!(report.contains("**Output differs**"), "{report}");
}

#[test]
fn the_report_says_where_the_allocator_axis_had_no_effect() {
    let dir = tempfile::tempdir().unwrap();
    let source = "#include <stdlib.h>\nint main(void) { free(malloc(64)); return 0; }\n";
    if cc(dir.path(), "dynamic", source, &[]).is_none()
        || cc(dir.path(), "static", source, &["-static"]).is_none()
    {
        return;
    }
    std::fs::write(dir.path().join("fake.so"), "").unwrap();
    let run_dir = run(
        dir.path(),
        "inert",
        "[experiment]\nname = \"inert\"\n[command.variants]\ndyn = [\"./dynamic\"]\nstat = [\"./static\"]\n\
         [command]\nwarmup = 0\n[command.preload]\nmimalloc = \"fake.so\"\n\
         [matrix]\nallocator = [\"system\", \"mimalloc\"]\n[measure]\nprocesses = 2\n",
    );
    let report = std::fs::read_to_string(run_dir.join("report.md")).unwrap();
    assert!(report.contains(
        "**The allocator axis had no effect** where no preloaded library can reach the program: \
         `./static` (variant stat) is statically linked"
    ), "{report}");
    assert!(
        !report.contains("`./dynamic` (variant dyn) is statically"),
        "{report}"
    );
    // The allocator's finding covers the dynamic variant's setting only.
    let axis = report
        .lines()
        .find(|l| l.starts_with("- **allocator**"))
        .unwrap_or("");
    assert!(
        axis.contains("across 1 setting of the other axes"),
        "{axis}"
    );
}

#[test]
fn program_kinds_are_read_from_the_executable() {
    use tuner::__private::elf::{inspect, ProgramKind};
    let dir = tempfile::tempdir().unwrap();
    let main = "int main(void) { return 0; }\n";
    let (Some(dynamic), Some(stat), Some(go)) = (
        cc(dir.path(), "dyn", main, &[]),
        cc(dir.path(), "stat", main, &["-static"]),
        cc(
            dir.path(),
            "golike",
            "__attribute__((section(\".go.buildinfo\"), used)) static const char info[32] = \"\\xff Go buildinf:\";\nint main(void) { return 0; }\n",
            &[],
        ),
    ) else {
        return;
    };
    assert_eq!(inspect(&dynamic), ProgramKind::Dynamic);
    assert_eq!(inspect(&stat), ProgramKind::Static);
    assert_eq!(inspect(&go), ProgramKind::Go);
    assert_eq!(ProgramKind::Go.preload_reaches(), Some(false));
}

#[test]
fn the_prefixed_jemalloc_reads_its_own_variable_in_each_worker() {
    // tikv-jemallocator prefixes its symbols, and its configuration
    // variable with them: `_RJEM_MALLOC_CONF`, not `MALLOC_CONF`. An
    // invalid pair with abort_conf aborts the worker, so the failure shows
    // the variable reached the allocator at its start.
    let dir = tempfile::tempdir().unwrap();
    let run_dir = run_exiting(
        dir.path(),
        "selfcheck",
        "[experiment]\nworkload = \"selfcheck\"\n[params]\nvariant = \"spin\"\n[matrix]\nallocator = [\"jemalloc\"]\n\
         [matrix.env]\n_RJEM_MALLOC_CONF = [\"abort_conf:true,bogus:1\", \"narenas:1\"]\n\
         MALLOC_CONF = [\"abort_conf:true,bogus:1\"]\n\
         [measure]\nprocesses = 1\nsamples = 2\nwarmup = \"10ms\"\nmin_sample_time = \"1ms\"\n",
        1,
    );
    let outcomes = outcomes(&results(&run_dir));
    for (coords, o) in &outcomes {
        match coord(coords, "_RJEM_MALLOC_CONF") {
            "narenas:1" => assert_eq!(o["status"], "ok", "{o}"),
            _ => {
                assert_eq!(o["kind"], "signal", "{o}");
                assert!(o["stderr_tail"]
                    .as_str()
                    .unwrap()
                    .contains("<jemalloc>: Invalid conf pair: bogus:1"));
            }
        }
    }
}

#[test]
fn a_command_dies_with_its_runner() {
    let dir = tempfile::tempdir().unwrap();
    let tag = format!("cmd-orphan-{}", std::process::id());
    let path = config(
        dir.path(),
        "orphan.toml",
        &format!(
            "[experiment]\nname = \"orphan\"\n[command]\nargv = [\"sh\", \"-c\", \"sleep 30 & sleep 30\"]\nwarmup = 0\n\
             env = {{ CMDTEST_TAG = \"{tag}\" }}\n[measure]\nprocesses = 1\n"
        ),
    );
    let mut runner = std::process::Command::new(env!("CARGO_BIN_EXE_tuner"))
        .arg("run")
        .arg(&path)
        .arg("--quiet")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while common::tagged_processes("CMDTEST_TAG", &tag, None).len() < 2 {
        assert!(Instant::now() < deadline, "the command never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    runner.kill().unwrap();
    runner.wait().unwrap();
    let left = common::survivors("CMDTEST_TAG", &tag);
    assert!(left.is_empty(), "outlived their runner: {left:?}");
}

#[test]
fn the_example_command_configs_are_valid_or_lack_only_their_built_program() {
    let paths = common::committed_configs("configs/commands");
    assert_eq!(paths.len(), 4, "{paths:?}");
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap();
        common::assert_documented(&path, &text, "configs/commands");
        match tuner::__private::config::parse(&path, &text, &tuner_experiments::catalog()) {
            Ok(plan) => assert!(plan.command.is_some()),
            // The examples' programs and libraries come from their own
            // instructions (Go, ripgrep, jemalloc are not test needs).
            Err(e) => assert!(
                (e.key.starts_with("command.")
                    && (e.message.contains("is not an executable file")
                        || e.message.contains("is not on PATH")))
                    || (e.key == "matrix.allocator" && e.message.contains("install it")),
                "{e}"
            ),
        }
    }
}
