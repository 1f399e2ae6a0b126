//! The worker side of a command run: this process runs the point's
//! command `warmup` times untimed, then once timed (each execution with
//! its `prepare` before and `cleanup` after), and prints a [`ShimReport`]:
//! a [`RunOutput`] built from the timed execution, or why the command
//! failed. The command's stderr is this process's, which the runner
//! keeps the tail of.

use std::io::Write as _;
use std::process::ExitCode;

use super::exec::{self, Capture, Execution};
use super::gobench;
use super::invocation::{self, Invocation, Invocations};
use crate::alloc::Evidence;
use crate::config::{CommandPlan, Metrics};
use crate::protocol::{
    AllocCounts, CommandFacts, CpuUsage, FailureKind, RunOutput, RunSpec, Sample, ShimReport,
    ShimResult, ThreadCheck, PROTOCOL_VERSION,
};

type Failure = (FailureKind, String);

/// Runs `spec`'s command and prints the report; exits 0 whenever it
/// could report, the command's failure included.
pub(crate) fn main(spec: &RunSpec, plan: &CommandPlan) -> ExitCode {
    match super::small::run_in_child(|| report(spec, plan)) {
        true => ExitCode::SUCCESS,
        false => ExitCode::FAILURE,
    }
}

/// Runs the command and prints the report; whether it could print it.
fn report(spec: &RunSpec, plan: &CommandPlan) -> bool {
    let result = match run(spec, plan) {
        Ok(output) => ShimResult::Ok {
            output: Box::new(output),
        },
        Err((kind, reason)) => ShimResult::Failed { kind, reason },
    };
    let report = ShimReport {
        protocol: PROTOCOL_VERSION,
        result,
    };
    let json = serde_json::to_string(&report).unwrap_or_default();
    let mut stdout = std::io::stdout().lock();
    match writeln!(stdout, "{json}").and_then(|()| stdout.flush()) {
        Ok(()) => true,
        Err(e) => {
            crate::console::errln(&format!("tuner worker: error: writing the result: {e}"));
            false
        }
    }
}

fn run(spec: &RunSpec, plan: &CommandPlan) -> Result<RunOutput, Failure> {
    if spec.profile.is_some() {
        return Err((
            FailureKind::Spawn,
            "a command has no profiling passes: they run inside tuner's own worker".into(),
        ));
    }
    let own_scratch;
    let scratch = match &spec.scratch {
        Some(dir) => dir.clone(),
        None => {
            own_scratch = tempfile::tempdir().map_err(|e| spawn_failure("a scratch folder", &e))?;
            own_scratch.path().to_path_buf()
        }
    };
    let inv =
        invocation::build(plan, &spec.point, &scratch).map_err(|m| (FailureKind::Spawn, m))?;
    let mut first_run = None;
    for i in 1..=plan.warmup {
        let e = execute(&inv, Capture::Discard, &format!("warm-up run {i}"))?;
        first_run.get_or_insert(e.wall);
    }
    let capture = match plan.metrics {
        Metrics::Gobench => Capture::Gobench,
        Metrics::Wall if plan.check_output => Capture::Digest,
        Metrics::Wall => Capture::Discard,
    };
    let timed = execute(&inv, capture, "the command")?;
    let first_run = first_run.unwrap_or(timed.wall);
    output(spec, plan, &inv, timed, first_run)
}

/// `prepare`, the execution, `cleanup` (even when the execution failed).
fn execute(inv: &Invocations, capture: Capture, what: &str) -> Result<Execution, Failure> {
    if let Some(prepare) = &inv.prepare {
        let e =
            exec::run(prepare, Capture::Discard).map_err(|e| spawn_failure(&shown(prepare), &e))?;
        succeeded(&e, &format!("prepare `{}` (before {what})", shown(prepare)))?;
    }
    let result = exec::run(&inv.main, capture)
        .map_err(|e| spawn_failure(&shown(&inv.main), &e))
        .and_then(|e| succeeded(&e, what).map(|()| e));
    if let Some(cleanup) = &inv.cleanup {
        let e =
            exec::run(cleanup, Capture::Discard).map_err(|e| spawn_failure(&shown(cleanup), &e))?;
        if result.is_ok() {
            succeeded(&e, &format!("cleanup `{}` (after {what})", shown(cleanup)))?;
        }
    }
    result
}

fn spawn_failure(what: &str, e: &std::io::Error) -> Failure {
    (FailureKind::Spawn, format!("could not start {what}: {e}"))
}

fn shown(inv: &Invocation) -> String {
    inv.argv.join(" ")
}

/// A zero exit, or the failure that says how it ended.
fn succeeded(e: &Execution, what: &str) -> Result<(), Failure> {
    if libc::WIFEXITED(e.status) {
        return match libc::WEXITSTATUS(e.status) {
            0 => Ok(()),
            code => Err((
                FailureKind::ExitCode,
                format!("{what} exited with code {code}"),
            )),
        };
    }
    let signal = libc::WTERMSIG(e.status);
    Err((
        FailureKind::Signal,
        format!(
            "{what} was killed by signal {signal} ({})",
            crate::sys::describe_signal(signal)
        ),
    ))
}

/// The run's output, from its timed execution.
fn output(
    spec: &RunSpec,
    plan: &CommandPlan,
    inv: &Invocations,
    timed: Execution,
    first_run: std::time::Duration,
) -> Result<RunOutput, Failure> {
    let ru = &timed.rusage;
    let user_ns = timeval_ns(ru.ru_utime);
    let system_ns = timeval_ns(ru.ru_stime);
    let mut facts = CommandFacts {
        metrics: plan.metrics,
        argv: inv.main.argv.clone(),
        preload: inv.preload.clone(),
        warmup_runs: plan.warmup,
        ..CommandFacts::default()
    };
    let (samples, alloc) = match plan.metrics {
        Metrics::Wall => (
            vec![Sample {
                iters: 1,
                ns: timed.wall.as_nanos() as u64,
            }],
            AllocCounts {
                iters: 1,
                ..AllocCounts::default()
            },
        ),
        Metrics::Gobench => {
            let m =
                gobench::measured(&timed.stdout.lines).map_err(|m| (FailureKind::Protocol, m))?;
            facts.benchmark = Some(m.benchmark);
            facts.allocs_counted = m.alloc.is_some();
            facts.units = m.units;
            let iters = m.samples.iter().map(|s| s.iters).sum();
            (
                m.samples,
                m.alloc.unwrap_or(AllocCounts {
                    iters,
                    ..AllocCounts::default()
                }),
            )
        }
    };
    Ok(RunOutput {
        protocol: PROTOCOL_VERSION,
        samples,
        ops_per_run: 1,
        build_ns: 0,
        first_run_ns: first_run.as_nanos() as u64,
        warmup_iters: u64::from(plan.warmup),
        alloc,
        cpu: CpuUsage {
            user_ns,
            system_ns,
            voluntary_switches: ru.ru_nvcsw as u64,
            involuntary_switches: ru.ru_nivcsw as u64,
            // The whole execution is the timed span; a Go benchmark's
            // lines are a part of it, so it has no CPU per operation.
            timed_ns: (plan.metrics == Metrics::Wall).then_some(user_ns + system_ns),
        },
        threads: ThreadCheck::default(),
        peak_rss_kib: Some(ru.ru_maxrss as u64),
        allocator: spec.point.allocator,
        evidence: Evidence {
            glibc: false,
            mimalloc: false,
            jemalloc: false,
        },
        digest: timed.stdout.digest,
        command: Some(Box::new(facts)),
        machine: Some(Box::new(timed.delivered)),
    })
}

fn timeval_ns(t: libc::timeval) -> u64 {
    t.tv_sec as u64 * 1_000_000_000 + t.tv_usec as u64 * 1_000
}
