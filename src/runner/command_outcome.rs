//! The runner's side of a command run: how the worker process ended and
//! what it reported become the run's outcome. The worker itself timing
//! out or dying is judged as for any worker; a command that failed comes
//! back in the report, and its stderr (the worker's) gives the detail:
//! a Rust panic or an allocation failure is named as such, otherwise its
//! last line is quoted.

use super::capture::StderrLog;
use super::child::Ended;
use super::classify::{self, Failure};
use crate::protocol::{FailureKind, RunSpec, ShimReport, ShimResult};
use crate::results::Outcome;

/// The outcome of the command run `spec` that ended as `ended`.
pub(crate) fn classify(ended: &Ended, spec: &RunSpec) -> Outcome {
    let result = match classify::exit_failure(ended, spec) {
        Some(failure) => Err(failure),
        None => classify::parse::<ShimReport>(ended, true).and_then(|report| match report.result {
            ShimResult::Ok { output } => Ok(*output),
            ShimResult::Failed { kind, reason } => Err(detail((kind, reason), &ended.stderr, spec)),
        }),
    };
    match result {
        Ok(output) => Outcome::Ok(output),
        Err((kind, reason)) => Outcome::Failed {
            kind,
            reason,
            stderr_tail: ended.stderr.excerpt(),
        },
    }
}

/// A failed exit made more precise by what the command said.
fn detail((kind, reason): Failure, stderr: &StderrLog, spec: &RunSpec) -> Failure {
    if !matches!(kind, FailureKind::ExitCode | FailureKind::Signal) {
        return (kind, reason);
    }
    if let Some((said, why)) = classify::said_on_stderr(stderr, spec) {
        return (said, format!("{reason}: {why}"));
    }
    match stderr.last_line() {
        Some(line) => (kind, format!("{reason}: {line}")),
        None => (kind, reason),
    }
}
