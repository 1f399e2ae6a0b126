//! Spawning one worker process and turning however it ended into a
//! [`RunRecord`]: its output, or a failure with a reason (panic, signal,
//! timeout, bad output). The child is reaped with `wait4` so its own
//! resource usage (peak RSS) is read, not the parent's.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::alloc::ENV_VAR;
use crate::profile::{ProfileOutcome, ProfileOutput, ProfileRecord};
use crate::protocol::{RunOutput, RunSpec};
use crate::results::{Outcome, RunRecord};

/// The binary that runs `worker`: normally tuner itself.
#[derive(Clone, Debug)]
pub struct WorkerExe(pub PathBuf);

impl WorkerExe {
    pub fn current() -> std::io::Result<WorkerExe> {
        std::env::current_exe().map(WorkerExe)
    }
}

/// How a child process ended, as `wait4` saw it.
struct Exit {
    /// Raw wait status.
    status: libc::c_int,
    rusage: libc::rusage,
    timed_out: bool,
    wall: Duration,
    stdout: String,
    stderr: String,
}

/// Runs `spec` in a fresh worker process and records how it went.
pub fn execute(exe: &WorkerExe, spec: &RunSpec, process: u32, seq: usize) -> RunRecord {
    let record = |wall: Duration, max_rss_kib: u64, outcome| RunRecord {
        point: spec.point.id,
        process,
        seq,
        wall_ms: wall.as_secs_f64() * 1e3,
        max_rss_kib,
        outcome,
    };
    match spawn_and_wait(exe, spec) {
        Ok(exit) => {
            let outcome = classify(&exit, spec);
            record(exit.wall, exit.rusage.ru_maxrss as u64, outcome)
        }
        Err(e) => record(
            Duration::ZERO,
            0,
            Outcome::Failed {
                reason: format!("could not start the worker: {e}"),
                stderr_tail: String::new(),
            },
        ),
    }
}

/// Runs the profiling pass in `spec.profile` in a fresh worker process;
/// `dir` is the point's artifact directory relative to the run directory.
pub fn execute_profile(exe: &WorkerExe, spec: &RunSpec, point: usize, dir: &str) -> ProfileRecord {
    let pass = match &spec.profile {
        Some(request) => request.pass,
        None => crate::profile::Pass::Cpu,
    };
    let record = |wall: Duration, outcome| ProfileRecord {
        point,
        pass,
        dir: dir.to_string(),
        wall_ms: wall.as_secs_f64() * 1e3,
        outcome,
    };
    match spawn_and_wait(exe, spec) {
        Ok(exit) => {
            let outcome = match exit_failure(&exit, spec) {
                Some(reason) => ProfileOutcome::Failed {
                    reason,
                    stderr_tail: tail(&exit.stderr, 20),
                },
                None => match serde_json::from_str::<ProfileOutput>(exit.stdout.trim()) {
                    Ok(out) => ProfileOutcome::Ok(out),
                    Err(e) => ProfileOutcome::Failed {
                        reason: format!("the worker's output is not a profile result: {e}"),
                        stderr_tail: tail(&exit.stderr, 20),
                    },
                },
            };
            record(exit.wall, outcome)
        }
        Err(e) => record(
            Duration::ZERO,
            ProfileOutcome::Failed {
                reason: format!("could not start the worker: {e}"),
                stderr_tail: String::new(),
            },
        ),
    }
}

fn spawn_and_wait(exe: &WorkerExe, spec: &RunSpec) -> std::io::Result<Exit> {
    let input = serde_json::to_vec(spec).map_err(std::io::Error::other)?;
    let started = Instant::now();
    let mut child = Command::new(&exe.0)
        .arg("worker")
        .env(ENV_VAR, spec.point.allocator.as_str())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let pid = child.id() as libc::pid_t;
    // Drain both pipes on their own threads so a chatty child never blocks.
    let read_all = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let stdout = read_all(Box::new(child.stdout.take().expect("piped")));
    let stderr = read_all(Box::new(child.stderr.take().expect("piped")));
    if let Some(mut stdin) = child.stdin.take() {
        // A worker that dies before reading its spec is reported by its exit.
        let _ = stdin.write_all(&input);
    }
    let (cancel, watchdog) = watchdog(pid, spec.measure.timeout);
    let (status, rusage) = wait4(pid)?;
    let _ = cancel.send(());
    let timed_out = watchdog.join().unwrap_or(false);
    Ok(Exit {
        status,
        rusage,
        timed_out,
        wall: started.elapsed(),
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    })
}

/// Kills `pid` if not cancelled within `timeout`; returns whether it did.
fn watchdog(
    pid: libc::pid_t,
    timeout: Duration,
) -> (mpsc::Sender<()>, std::thread::JoinHandle<bool>) {
    let (cancel, cancelled) = mpsc::channel::<()>();
    let handle = std::thread::spawn(move || match cancelled.recv_timeout(timeout) {
        Err(mpsc::RecvTimeoutError::Timeout) => {
            // SAFETY: the child is not reaped until wait4 returns, so the
            // pid cannot have been reused yet.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            true
        }
        _ => false,
    });
    (cancel, handle)
}

fn wait4(pid: libc::pid_t) -> std::io::Result<(libc::c_int, libc::rusage)> {
    let mut status = 0;
    // SAFETY: plain data filled in by wait4.
    let mut rusage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: pid is our unreaped child; the pointers are valid.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut rusage) };
        if r == pid {
            return Ok((status, rusage));
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

fn classify(exit: &Exit, spec: &RunSpec) -> Outcome {
    let failed = |reason: String| Outcome::Failed {
        reason,
        stderr_tail: tail(&exit.stderr, 20),
    };
    if let Some(reason) = exit_failure(exit, spec) {
        return failed(reason);
    }
    match serde_json::from_str::<RunOutput>(exit.stdout.trim()) {
        Err(e) => failed(format!("the worker's output is not a result: {e}")),
        Ok(out) if out.evidence.served_by() != Some(spec.point.allocator) => failed(format!(
            "asked for {} but the allocators' statistics show {:?}",
            spec.point.allocator, out.evidence
        )),
        Ok(out) => Outcome::Ok(out),
    }
}

/// Why the process failed, if it timed out, died of a signal or exited
/// non-zero.
fn exit_failure(exit: &Exit, spec: &RunSpec) -> Option<String> {
    if exit.timed_out {
        return Some(format!(
            "timed out after {}",
            humantime::format_duration(spec.measure.timeout)
        ));
    }
    if libc::WIFSIGNALED(exit.status) {
        let signal = libc::WTERMSIG(exit.status);
        let hint = if signal == libc::SIGKILL {
            " (out of memory?)"
        } else {
            ""
        };
        return Some(format!(
            "killed by signal {signal} ({}){hint}",
            signal_name(signal)
        ));
    }
    let code = libc::WEXITSTATUS(exit.status);
    if code != 0 {
        return Some(panic_message(&exit.stderr).unwrap_or_else(|| {
            let last = exit
                .stderr
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("no message");
            format!("exited with code {code}: {last}")
        }));
    }
    None
}

/// `panicked: <message>` from Rust's panic report on stderr.
fn panic_message(stderr: &str) -> Option<String> {
    let mut lines = stderr.lines();
    lines.find(|l| l.contains("panicked at"))?;
    let message = lines.next().unwrap_or("").trim();
    Some(format!("panicked: {message}"))
}

fn signal_name(signal: libc::c_int) -> String {
    // SAFETY: strsignal returns a pointer to a static or thread-local string.
    let name = unsafe { libc::strsignal(signal) };
    if name.is_null() {
        return format!("signal {signal}");
    }
    // SAFETY: a NUL-terminated string from libc.
    unsafe { std::ffi::CStr::from_ptr(name) }
        .to_string_lossy()
        .into_owned()
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panic_message_is_the_line_after_the_location() {
        let stderr = "thread 'main' panicked at experiments/src/x.rs:3:5:\nboom at 7\nnote: run with `RUST_BACKTRACE=1`\n";
        assert_eq!(
            panic_message(stderr).as_deref(),
            Some("panicked: boom at 7")
        );
        assert_eq!(panic_message("error: other"), None);
    }

    #[test]
    fn tail_keeps_the_last_lines() {
        assert_eq!(tail("a\nb\nc\n", 2), "b\nc");
        assert_eq!(tail("a", 5), "a");
    }
}
