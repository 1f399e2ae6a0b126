//! A command as one point runs it: the config's templates filled with the
//! point's values, each placeholder inside the one argument it is written
//! in, and the environment its knobs set.

use std::path::{Path, PathBuf};

use crate::alloc::AllocatorName;
use crate::config::{render, resolve, CommandPlan};
use crate::matrix::Point;

/// One program to execute: what `exec` needs.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Invocation {
    /// The file `argv[0]` resolved to.
    pub program: PathBuf,
    pub argv: Vec<String>,
    pub cwd: PathBuf,
    /// Set on top of the runner's environment (which the command inherits).
    pub env: Vec<(String, String)>,
    /// A file on stdin; `None`: `/dev/null`.
    pub stdin: Option<PathBuf>,
}

/// The point's timed command and its untimed companions.
#[derive(Debug)]
pub(super) struct Invocations {
    pub main: Invocation,
    pub prepare: Option<Invocation>,
    pub cleanup: Option<Invocation>,
    pub preload: Option<PathBuf>,
}

/// Fills `plan`'s templates with `point`'s values; `scratch` is the
/// run's own folder (`{scratch}`).
pub(super) fn build(
    plan: &CommandPlan,
    point: &Point,
    scratch: &Path,
) -> Result<Invocations, String> {
    let variant = plan
        .variant(&point.variant)
        .ok_or_else(|| format!("the command has no variant `{}`", point.variant))?;
    let value = |name: &str| -> Option<String> {
        match name {
            "variant" => Some(point.variant.clone()),
            "threads" => Some(point.threads.to_string()),
            "scratch" => Some(scratch.display().to_string()),
            _ => point.params.0.get(name).map(ToString::to_string),
        }
    };
    let fill = |t: &String| render(t, value);
    let mut env = plan
        .env
        .iter()
        .map(|(k, v)| Ok((k.clone(), fill(v)?)))
        .collect::<Result<Vec<_>, String>>()?;
    env.extend(
        plan.threads_env
            .iter()
            .map(|k| (k.clone(), point.threads.to_string())),
    );
    env.extend(point.env.iter().cloned());
    let companion = |argv: &[String]| -> Result<Option<Invocation>, String> {
        if argv.is_empty() {
            return Ok(None);
        }
        let argv: Vec<String> = argv.iter().map(fill).collect::<Result<_, _>>()?;
        invocation(argv, &plan.cwd, env.clone(), None).map(Some)
    };
    let prepare = companion(&plan.prepare)?;
    let cleanup = companion(&plan.cleanup)?;
    let preload = match point.allocator {
        AllocatorName::System => None,
        other => Some(
            plan.preload_of(other)
                .cloned()
                .ok_or_else(|| format!("the plan names no library to preload for {other}"))?,
        ),
    };
    let mut main_env = env;
    if let Some(lib) = &preload {
        main_env.push(("LD_PRELOAD".into(), lib.display().to_string()));
    }
    let stdin = plan
        .stdin
        .as_ref()
        .map(|s| fill(s).map(|s| plan.cwd.join(s)))
        .transpose()?;
    let argv = variant.argv.iter().map(fill).collect::<Result<_, _>>()?;
    Ok(Invocations {
        main: invocation(argv, &plan.cwd, main_env, stdin)?,
        prepare,
        cleanup,
        preload,
    })
}

fn invocation(
    argv: Vec<String>,
    cwd: &Path,
    env: Vec<(String, String)>,
    stdin: Option<PathBuf>,
) -> Result<Invocation, String> {
    let program = resolve(&argv[0], cwd)?;
    Ok(Invocation {
        program,
        argv,
        cwd: cwd.to_path_buf(),
        env,
        stdin,
    })
}
