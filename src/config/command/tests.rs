//! Validation of `[command]` and `[matrix.env]` configs.

use std::path::Path;

use crate::config::{Axis, ConfigError, Metrics, Plan};

/// A folder with an executable `prog` and the config `text` beside it.
fn parse_in(dir: &Path, text: &str) -> Result<Plan, ConfigError> {
    let prog = dir.join("prog");
    std::fs::write(&prog, "#!/bin/sh\n").unwrap();
    std::fs::set_permissions(&prog, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let path = dir.join("c.toml");
    std::fs::write(&path, text).unwrap();
    crate::config::parse(&path, text, &tuner_experiments::catalog())
}

fn parse(text: &str) -> Result<Plan, ConfigError> {
    parse_in(tempfile::tempdir().unwrap().path(), text)
}

fn error(text: &str) -> (usize, String, String) {
    let e = parse(text).expect_err("invalid config");
    (e.line, e.key, e.message)
}

const ARGV: &str = "[command]\nargv = [\"./prog\", \"-n\", \"{size}\"]\n";

#[test]
fn a_command_config_becomes_axes_and_a_plan() {
    let plan = parse(&format!(
        "[experiment]\nname = \"p\"\n{ARGV}env = {{ A = \"{{size}}\" }}\n[params]\nsize = [10, \"1e3\"]\n\
         [matrix]\nthreads = [1, 2]\n[matrix.env]\nGOGC = [\"100\", 50, \"off\"]\nMALLOC_ARENA_MAX = \"2\"\n"
    ))
    .unwrap();
    let names: Vec<&str> = plan.axes.iter().map(Axis::name).collect();
    assert_eq!(
        names,
        [
            "variant",
            "size",
            "threads",
            "allocator",
            "GOGC",
            "MALLOC_ARENA_MAX"
        ]
    );
    assert_eq!(plan.axes[0], Axis::Variant(vec!["prog".into()]));
    assert_eq!(plan.axes[4].labels(), ["100", "50", "off"]);
    assert_eq!(plan.workload, "command:prog");
    assert_eq!(
        (plan.measure.samples, plan.measure.warmup.as_secs()),
        (1, 0)
    );
    let c = plan.command.unwrap();
    assert_eq!(
        c.threads_env,
        crate::config::command::plan::DEFAULT_THREADS_ENV
    );
    assert_eq!(
        (c.metrics, c.warmup, c.check_output),
        (Metrics::Wall, 1, false)
    );
    assert_eq!(c.env, [("A".to_string(), "{size}".to_string())]);
    let program = c.variants[0].program.as_ref().unwrap();
    assert!(program.path.ends_with("prog") && program.path.is_absolute());
    assert_eq!(program.kind.preload_reaches(), None, "a script");
}

#[test]
fn variants_keep_their_config_order_and_params_may_pick_some() {
    let plan = parse(
        "[experiment]\nname = \"p\"\n[command.variants]\nzeta = [\"./prog\", \"z\"]\nalpha = [\"sh\", \"-c\", \"true\"]\nmid = [\"./prog\"]\n",
    )
    .unwrap();
    assert_eq!(plan.axes[0].labels(), ["zeta", "alpha", "mid"]);
    let c = plan.command.unwrap();
    assert_eq!(c.variant("alpha").unwrap().argv, ["sh", "-c", "true"]);
    let plan = parse(
        "[experiment]\nname = \"p\"\n[command.variants]\na = [\"./prog\"]\nb = [\"./prog\", \"x\"]\n[params]\nvariant = [\"b\"]\n",
    )
    .unwrap();
    assert_eq!(plan.axes[0].labels(), ["b"]);
    assert_eq!(plan.command.unwrap().variants.len(), 1);
}

#[test]
fn placeholders_must_name_something_and_params_must_be_used() {
    let (line, key, message) = error("[command]\nargv = [\"./prog\", \"{colour}\"]\n");
    assert_eq!((line, key.as_str()), (2, "command.argv"));
    assert_eq!(
        message,
        "`{colour}` names no parameter; the placeholders are {variant} and {scratch}"
    );
    let (line, key, message) = error(&format!("{ARGV}[params]\nsize = 1\nseed = [1, 2]\n"));
    assert_eq!((line, key.as_str()), (5, "params.seed"));
    assert!(
        message.starts_with("`seed` is never used: put {seed}"),
        "{message}"
    );
    let (_, key, message) = error("[command]\nargv = [\"./prog\", \"-j{threads}\"]\n");
    assert_eq!(key, "command.argv");
    assert_eq!(
        message,
        "{threads} needs a threads axis: set [matrix] threads"
    );
    let (_, key, _) = error("[command]\nargv = [\"./prog\"]\n[params]\nvariant = [\"a\", \"b\"]\n");
    assert_eq!(key, "params.variant", "two variants that run the same argv");
    let (_, key, message) = error("[command]\nargv = [\"./prog\"]\nprepare = [\"x{\"]\n");
    assert_eq!(key, "command.prepare");
    assert!(message.contains("is not closed"), "{message}");
}

#[test]
fn keys_a_command_cannot_use_are_refused_where_written() {
    let cases = [
        ("[experiment]\nworkload = \"pool\"\n[command]\nargv = [\"./prog\"]\n", 2, "experiment.workload", "not both"),
        ("[experiment]\nname = \"x\"\n", 1, "experiment.workload", "or a [command] table"),
        ("[command]\nargv = [\"./prog\"]\n[matrix]\nbuffering = \"line\"\n", 4, "matrix.buffering", "no buffering knob"),
        ("[command]\nargv = [\"./prog\"]\n[measure]\nsamples = 3\n", 4, "measure.samples", "timed whole, once per process"),
        ("[command]\nargv = [\"./prog\"]\n[profile]\ncpu = true\n", 3, "profile", "a [command] has none"),
        ("[command]\nargv = [\"./gone\"]\n", 2, "command.argv", "is not an executable file in"),
        ("[command]\nargv = [\"no-such-program-anywhere\"]\n", 2, "command.argv", "is not on PATH"),
        ("[command]\nargv = []\n", 2, "command.argv", "the argv is empty"),
        ("[command]\nargv = [\"./prog\"]\ncleanup = [\"\"]\n", 3, "command.cleanup", "the program name is empty"),
        ("[command]\nargv = [\"./prog\"]\n[command.variants]\na = [\"./prog\"]\n", 4, "command.variants", "not both"),
        ("[command]\nargv = [\"./prog\"]\nmetrics = \"gobench\"\ncheck_output = true\n", 4, "command.check_output", "digest always differs"),
        ("[command]\nargv = [\"./prog\"]\nmetrics = \"cycles\"\n", 3, "command.metrics", "unknown metrics `cycles`"),
        ("[command]\nargv = [\"./prog\"]\nthreads_env = [\"X\"]\n", 3, "command.threads_env", "without a threads axis"),
        ("[command]\nargv = [\"./prog\"]\ncwd = \"nowhere\"\n", 3, "command.cwd", "is not a folder"),
        ("[command]\nargv = [\"./prog\"]\n[command.preload]\njemalloc = \"none.so\"\n[matrix]\nallocator = [\"system\", \"jemalloc\"]\n", 4, "command.preload.jemalloc", "is not a file"),
        ("[command.variants]\na = [\"./prog\"]\n[params]\nvariant = [\"b\"]\n", 4, "params.variant", "has no `b`; it has a"),
        ("[command]\nargv = [\"./prog\"]\n[params]\nthreads = 2\n", 4, "params.threads", "is tuner's own"),
    ];
    for (text, line, key, fragment) in cases {
        let (l, k, m) = error(text);
        assert_eq!((l, k.as_str()), (line, key), "{text}: {m}");
        assert!(m.contains(fragment), "{text}: {m}");
    }
}

#[test]
fn environment_axes_are_checked_names_that_clash_with_nothing() {
    let cases = [
        (
            "[matrix.env]\n\"1X\" = [\"a\"]\n",
            "matrix.env.1X",
            "is not an environment variable name",
        ),
        (
            "[matrix.env]\nTUNER_ALLOCATOR = [\"a\"]\n",
            "matrix.env.TUNER_ALLOCATOR",
            "tuner's own variable",
        ),
        (
            "[matrix.env]\nGOGC = [\"a\", \"a\"]\n",
            "matrix.env.GOGC",
            "\"a\" is listed twice",
        ),
        (
            "[matrix.env]\nGOGC = [1.5]\n",
            "matrix.env.GOGC",
            "expected a string",
        ),
        (
            "env = { GOGC = \"1\" }\n[matrix.env]\nGOGC = [\"a\"]\n",
            "matrix.env.GOGC",
            "[command] env sets `GOGC` already",
        ),
        (
            "[matrix]\nthreads = [1]\n[matrix.env]\nGOMAXPROCS = [\"1\"]\n",
            "matrix.env.GOMAXPROCS",
            "set to each point's thread count",
        ),
        (
            "[params]\nv = [\"1\"]\n[matrix.env]\nv = [\"a\"]\n",
            "matrix.env.v",
            "already an axis",
        ),
    ];
    for (tail, key, fragment) in cases {
        let text = format!("[command]\nargv = [\"./prog\", \"{{v}}\"]\n{tail}");
        let text = if text.contains("[params]") {
            text
        } else {
            text.replace(", \"{v}\"", "")
        };
        let (_, k, m) = error(&text);
        assert_eq!(k, key, "{text}: {m}");
        assert!(m.contains(fragment), "{text}: {m}");
    }
    // Exclusions and the baseline name environment values like any axis.
    let plan = parse(
        "[command]\nargv = [\"./prog\"]\n[matrix.env]\nGOGC = [\"100\", \"off\"]\nexclude = [{ GOGC = \"off\" }]\n",
    );
    assert!(plan.is_err(), "exclude is a [matrix] key, not a variable");
    assert!(parse(
        "[command]\nargv = [\"./prog\"]\n[matrix]\nexclude = [{ GOGC = \"off\" }]\n[matrix.env]\nGOGC = [\"100\", \"off\", \"50\"]\n[report]\nbaseline = { GOGC = \"50\" }\n",
    )
    .is_ok());
}
