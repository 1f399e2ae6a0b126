//! Judging how a worker process ended: a result, or a failure with its
//! kind ([`FailureKind`]) and a reason a person can act on.

use serde::Deserialize;

use super::capture::{StderrLog, WORKER_ERROR};
use super::child::Ended;
use crate::protocol::{RunOutput, RunSpec, PROTOCOL_VERSION};
use crate::results::{FailureKind, Outcome};

/// A failure's kind and reason.
pub(crate) type Failure = (FailureKind, String);

/// The outcome of a timed run.
pub(crate) fn timed(ended: &Ended, spec: &RunSpec) -> Outcome {
    let result = exit_failure(ended, spec)
        .map_or_else(|| parse::<RunOutput>(ended, true), Err)
        .and_then(|out| check_allocator(out, spec));
    match result {
        Ok(out) => Outcome::Ok(out),
        Err((kind, reason)) => Outcome::Failed {
            kind,
            reason,
            stderr_tail: ended.stderr.excerpt(),
        },
    }
}

/// A profiling pass's output (which carries no protocol version), or its
/// failure.
pub(crate) fn profile<T: for<'de> Deserialize<'de>>(
    ended: &Ended,
    spec: &RunSpec,
) -> Result<T, Failure> {
    match exit_failure(ended, spec) {
        Some(failure) => Err(failure),
        None => parse(ended, false),
    }
}

/// Why the process failed, if it timed out, died of a signal or exited
/// non-zero: what it said on stderr first (an allocation failure, a
/// panic), then how it ended.
pub(crate) fn exit_failure(ended: &Ended, spec: &RunSpec) -> Option<Failure> {
    if ended.timed_out {
        let after = humantime::format_duration(spec.measure.timeout);
        return Some((FailureKind::Timeout, format!("timed out after {after}")));
    }
    // A panic on a thread nobody joined does not fail a process that exits 0.
    if libc::WIFEXITED(ended.status) && libc::WEXITSTATUS(ended.status) == 0 {
        return None;
    }
    let stderr = &ended.stderr;
    if let Some(failure) = said_on_stderr(stderr, spec) {
        return Some(failure);
    }
    if libc::WIFSIGNALED(ended.status) {
        return Some(killed_by(libc::WTERMSIG(ended.status)));
    }
    Some(exited_with(libc::WEXITSTATUS(ended.status), stderr))
}

/// A failure the process explained on stderr: an allocation that
/// failed, or a Rust panic.
pub(crate) fn said_on_stderr(stderr: &StderrLog, spec: &RunSpec) -> Option<Failure> {
    if let Some(line) = stderr.notable("memory allocation of") {
        let limit = spec.measure.memory_limit.map_or(String::new(), |b| {
            format!(
                " (memory_limit {})",
                bytesize::ByteSize(b).to_string_as(true)
            )
        });
        return Some((
            FailureKind::OutOfMemory,
            format!("out of memory: {line}{limit}"),
        ));
    }
    let message = stderr.panic_message()?;
    let first = message.lines().next().unwrap_or("").trim();
    Some((FailureKind::Panic, format!("panicked: {first}")))
}

fn killed_by(signal: libc::c_int) -> Failure {
    let hint = if signal == libc::SIGKILL {
        " (out of memory?)"
    } else {
        ""
    };
    let name = crate::sys::describe_signal(signal);
    (
        FailureKind::Signal,
        format!("killed by signal {signal} ({name}){hint}"),
    )
}

fn exited_with(code: libc::c_int, stderr: &StderrLog) -> Failure {
    if let Some(error) = stderr.notable(WORKER_ERROR) {
        let kind = if code == crate::protocol::EXIT_PROTOCOL_MISMATCH {
            FailureKind::ProtocolVersion
        } else {
            FailureKind::ExitCode
        };
        let message = error.strip_prefix(WORKER_ERROR).unwrap_or(error);
        return (kind, format!("the worker stopped: {message}"));
    }
    let last = stderr.last_line().unwrap_or("no message");
    (
        FailureKind::ExitCode,
        format!("exited with code {code}: {last}"),
    )
}

/// The result on stdout: one JSON value (of this protocol version, when
/// `versioned`).
pub(crate) fn parse<T: for<'de> Deserialize<'de>>(
    ended: &Ended,
    versioned: bool,
) -> Result<T, Failure> {
    let out = &ended.stdout;
    let garbage = |why: String| {
        let text = String::from_utf8_lossy(&out.bytes[..out.bytes.len().min(40)]);
        let text = text.trim();
        let more = if out.overflowed() {
            format!(" ({} bytes in all)", out.total)
        } else {
            String::new()
        };
        (
            FailureKind::Protocol,
            format!("the worker's output is not a result: {why}; it began `{text}`{more}"),
        )
    };
    if out.bytes.iter().all(u8::is_ascii_whitespace) {
        return Err((
            FailureKind::Protocol,
            "the worker exited 0 without writing a result".into(),
        ));
    }
    if out.overflowed() {
        return Err(garbage(format!(
            "more than {} bytes",
            super::capture::STDOUT_HEAD
        )));
    }
    #[derive(Deserialize)]
    struct Version {
        #[serde(default)]
        protocol: u32,
    }
    let version: Version =
        serde_json::from_slice(&out.bytes).map_err(|e| garbage(e.to_string()))?;
    if versioned && version.protocol != PROTOCOL_VERSION {
        return Err((
            FailureKind::ProtocolVersion,
            format!(
                "the worker speaks protocol {}, this runner {PROTOCOL_VERSION}: build both from one tuner version",
                version.protocol
            ),
        ));
    }
    serde_json::from_slice(&out.bytes).map_err(|e| garbage(e.to_string()))
}

fn check_allocator(out: RunOutput, spec: &RunSpec) -> Result<RunOutput, Failure> {
    if out.evidence.served_by() == Some(spec.point.allocator) {
        return Ok(out);
    }
    Err((
        FailureKind::AllocatorMismatch,
        format!(
            "asked for {} but the allocators' statistics show {:?}",
            spec.point.allocator, out.evidence
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::capture::Head;

    fn ended(status: libc::c_int, stdout: &str, stderr: &str) -> Ended {
        Ended {
            status,
            // SAFETY: plain data.
            rusage: unsafe { std::mem::zeroed() },
            timed_out: false,
            interrupted: false,
            wall: Default::default(),
            stdout: Head::read(stdout.as_bytes(), 1 << 20),
            stderr: StderrLog::read(stderr.as_bytes()),
        }
    }

    fn spec() -> RunSpec {
        let results = crate::fixtures::results(
            "[experiment]\nworkload = \"selfcheck\"\n[params]\nvariant = \"spin\"\n",
            &[&[Some(1.0)]],
        );
        RunSpec {
            protocol: PROTOCOL_VERSION,
            workload: "selfcheck".into(),
            point: results.points[0].clone(),
            measure: results.plan.measure.clone(),
            profile: None,
            scratch: None,
            command: None,
        }
    }

    fn failure(e: &Ended) -> (FailureKind, String) {
        match timed(e, &spec()) {
            Outcome::Failed { kind, reason, .. } => (kind, reason),
            Outcome::Ok(_) => panic!("not a failure"),
        }
    }

    const EXIT_1: libc::c_int = 1 << 8;
    const SIGABRT: libc::c_int = libc::SIGABRT;

    #[test]
    fn each_way_to_fail_has_its_kind() {
        let panic =
            "thread 'main' panicked at src/x.rs:3:5:\nboom at 7\nstack backtrace:\n  0: x\n";
        assert_eq!(
            failure(&ended(101 << 8, "", panic)),
            (FailureKind::Panic, "panicked: boom at 7".into())
        );
        let oom = "memory allocation of 1048576 bytes failed\n";
        assert_eq!(
            failure(&ended(SIGABRT, "", oom)).0,
            FailureKind::OutOfMemory
        );
        assert_eq!(
            failure(&ended(SIGABRT, "", "")),
            (FailureKind::Signal, "killed by signal 6 (Aborted)".into())
        );
        assert_eq!(
            failure(&ended(EXIT_1, "", "bye\n\n")),
            (FailureKind::ExitCode, "exited with code 1: bye".into())
        );
        assert_eq!(failure(&ended(0, "", "")).0, FailureKind::Protocol);
        let (kind, reason) = failure(&ended(0, "hello world", ""));
        assert_eq!(kind, FailureKind::Protocol);
        assert!(reason.contains("it began `hello world`"), "{reason}");
        assert_eq!(
            failure(&ended(0, "{\"protocol\": 1}", "")),
            (
                FailureKind::ProtocolVersion,
                "the worker speaks protocol 1, this runner 3: build both from one tuner version"
                    .into()
            )
        );
        let refused = format!("{WORKER_ERROR}the runner speaks worker protocol 9\n");
        assert_eq!(
            failure(&ended(
                crate::protocol::EXIT_PROTOCOL_MISMATCH << 8,
                "",
                &refused
            )),
            (
                FailureKind::ProtocolVersion,
                "the worker stopped: the runner speaks worker protocol 9".into()
            )
        );
        let mut late = ended(libc::SIGKILL, "", "");
        late.timed_out = true;
        assert_eq!(
            failure(&late),
            (FailureKind::Timeout, "timed out after 1m".into())
        );
    }

    #[test]
    fn a_profile_output_needs_no_version() {
        let out = crate::protocol::ProfileOutput {
            iters: 3,
            ..Default::default()
        };
        let json = serde_json::to_string(&out).unwrap();
        let parsed: crate::protocol::ProfileOutput =
            profile(&ended(0, &json, ""), &spec()).unwrap();
        assert_eq!(parsed.iters, 3);
        let err = profile::<crate::protocol::ProfileOutput>(&ended(0, "[1]", ""), &spec());
        assert_eq!(err.unwrap_err().0, FailureKind::Protocol);
    }

    #[test]
    fn a_result_from_another_allocator_is_refused() {
        let mut output = crate::fixtures::output(5.0, 1);
        output.protocol = PROTOCOL_VERSION;
        output.evidence = crate::alloc::Evidence {
            glibc: false,
            mimalloc: true,
            jemalloc: false,
        };
        let json = serde_json::to_string(&output).unwrap();
        assert_eq!(
            failure(&ended(0, &json, "")).0,
            FailureKind::AllocatorMismatch
        );
        output.evidence.mimalloc = false;
        output.evidence.glibc = true;
        let json = serde_json::to_string(&output).unwrap();
        assert!(matches!(
            timed(&ended(0, &json, ""), &spec()),
            Outcome::Ok(_)
        ));
    }
}
