//! One supervised child process, from spawn to reap, such that nothing
//! escapes and nothing is misjudged:
//!
//! - The child leads a process group of its own, and asks the kernel to
//!   SIGKILL it when the runner dies (`PR_SET_PDEATHSIG`, set before exec
//!   and checked against a runner that died before it was set). Its own
//!   deadline is the worker's business too (`crate::worker`).
//! - The runner watches it through a pidfd: `poll` says when it ends or
//!   the timeout passes, while the child stays unreaped, so its pid (and
//!   the group id, the same number) cannot be reused. The runner SIGKILLs
//!   the group only in that state, then reaps with `wait4` for the
//!   child's rusage. Whether it timed out is read from how it ended, not
//!   from when a timer fired: a child that exits on its own just as the
//!   timeout passes is a finished child.
//! - Spawn from a thread that outlives the child (the runner's main
//!   thread): `PR_SET_PDEATHSIG` fires when the *thread* that forked ends.
//! - Its output is drained on threads into bounded buffers
//!   ([`super::capture`]); the spec is written on a thread too, so a child
//!   that never reads it cannot stall the runner.

use std::io::Write;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::capture::{Head, StderrLog, STDOUT_HEAD};
use super::interrupt::{wait_readable, Interrupt};

/// How a supervised child ended.
pub(crate) struct Ended {
    /// The raw wait status.
    pub status: libc::c_int,
    pub rusage: libc::rusage,
    /// Killed by the runner because the timeout passed.
    pub timed_out: bool,
    /// Killed by the runner because the run was asked to stop.
    pub interrupted: bool,
    pub wall: Duration,
    pub stdout: Head,
    pub stderr: StderrLog,
}

/// Limits set on the child before it runs.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Limits {
    pub timeout: Duration,
    /// RLIMIT_AS in bytes.
    pub memory: Option<u64>,
}

/// How long to wait for the output pipes to close after the child is
/// gone: only a process that left the group (setsid) can hold them open.
const PIPES_GRACE: Duration = Duration::from_secs(2);

/// Runs `cmd` with `input` on its stdin under `limits`; see the module docs.
pub(crate) fn run(
    mut cmd: Command,
    input: Vec<u8>,
    limits: Limits,
    interrupt: &Interrupt,
) -> std::io::Result<Ended> {
    prepare(&mut cmd, limits.memory);
    let started = Instant::now();
    let (mut child, pidfd) = start(&mut cmd)?;
    let pid = child.id() as libc::pid_t;
    let stdout = collect(child.stdout.take(), |r| Head::read(r, STDOUT_HEAD));
    let stderr = collect(child.stderr.take(), StderrLog::read);
    if let Some(mut stdin) = child.stdin.take() {
        // A worker that dies before reading its spec is reported by its exit.
        std::thread::spawn(move || stdin.write_all(&input));
    }
    let (deadline_passed, stopped) = supervise(pid, &pidfd, limits.timeout, interrupt);
    let (status, rusage) = crate::sys::wait4(pid)?;
    let wall = started.elapsed();
    let killed = libc::WIFSIGNALED(status) && libc::WTERMSIG(status) == libc::SIGKILL;
    let pipes_deadline = Instant::now() + PIPES_GRACE;
    Ok(Ended {
        status,
        rusage,
        timed_out: deadline_passed && killed && !stopped,
        interrupted: stopped && killed,
        wall,
        stdout: stdout(pipes_deadline),
        stderr: stderr(pipes_deadline),
    })
}

/// Spawns `cmd` and opens a pidfd on it.
fn start(cmd: &mut Command) -> std::io::Result<(std::process::Child, OwnedFd)> {
    let mut child = cmd.spawn()?;
    match pidfd_open(child.id() as libc::pid_t) {
        Ok(fd) => Ok((child, fd)),
        Err(e) => {
            // Still unreaped: kill and reap it so it does not linger.
            let _ = child.kill();
            let _ = child.wait();
            Err(e)
        }
    }
}

/// Waits until the unreaped child `pid` ends or `timeout` passes, then
/// SIGKILLs its process group: the child if it still runs, and whatever
/// it started in every case. Returns whether the timeout passed and
/// whether a stop signal killed it; the child is left to reap.
fn supervise(
    pid: libc::pid_t,
    pidfd: &OwnedFd,
    timeout: Duration,
    interrupt: &Interrupt,
) -> (bool, bool) {
    let watch = interrupt.watch(pid, pidfd.as_raw_fd());
    let deadline_passed = !wait_readable(pidfd.as_raw_fd(), timeout);
    // SAFETY: the child is unreaped, so the group id is still its own.
    unsafe { libc::kill(-pid, libc::SIGKILL) };
    wait_readable(pidfd.as_raw_fd(), Duration::MAX);
    (deadline_passed, watch.killed())
}

/// Pipes, its own process group, death with the runner, the memory limit.
fn prepare(cmd: &mut Command, memory: Option<u64>) {
    // SAFETY: getpid has no preconditions.
    let runner = unsafe { libc::getpid() };
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let pre_exec = move || {
        die_with(runner)?;
        // SAFETY: async-signal-safe syscalls only, between fork and exec.
        unsafe {
            if let Some(bytes) = memory {
                let limit = libc::rlimit {
                    rlim_cur: bytes,
                    rlim_max: bytes,
                };
                if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
        }
        Ok(())
    };
    // SAFETY: the closure only makes async-signal-safe calls.
    unsafe { cmd.pre_exec(pre_exec) };
}

/// Between fork and exec: has the kernel SIGKILL this child when
/// `parent` dies, and exits at once if it already has (it may have died
/// before the request was made). Async-signal-safe.
pub(super) fn die_with(parent: libc::pid_t) -> std::io::Result<()> {
    // SAFETY: async-signal-safe syscalls only.
    unsafe {
        if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        if libc::getppid() != parent {
            libc::_exit(1);
        }
    }
    Ok(())
}

fn pidfd_open(pid: libc::pid_t) -> std::io::Result<OwnedFd> {
    // SAFETY: plain syscall; on success it returns a new descriptor we own.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        let e = std::io::Error::last_os_error();
        return Err(std::io::Error::new(
            e.kind(),
            format!("pidfd_open (Linux 5.3 or later): {e}"),
        ));
    }
    // SAFETY: a fresh descriptor returned by the kernel.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as libc::c_int) })
}

/// Reads `pipe` on a thread with `read`; the returned function waits for
/// the result until a deadline, then gives up on it (empty).
fn collect<P, T>(pipe: Option<P>, read: fn(P) -> T) -> impl FnOnce(Instant) -> T
where
    P: Send + 'static,
    T: Send + Default + 'static,
{
    let (tx, rx) = mpsc::channel();
    if let Some(pipe) = pipe {
        std::thread::spawn(move || tx.send(read(pipe)));
    }
    move |deadline: Instant| {
        rx.recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str, timeout: Duration) -> Ended {
        let mut cmd = Command::new("/bin/sh");
        cmd.args(["-c", script]);
        let limits = Limits {
            timeout,
            memory: None,
        };
        run(cmd, b"spec".to_vec(), limits, &Interrupt::default()).unwrap()
    }

    #[test]
    fn output_status_and_input_come_back() {
        let e = sh(
            "read x; echo \"got $x\"; echo oops >&2; exit 3",
            Duration::from_secs(10),
        );
        assert_eq!(String::from_utf8_lossy(&e.stdout.bytes), "got spec\n");
        assert_eq!(e.stderr.last_line(), Some("oops"));
        assert!(libc::WIFEXITED(e.status));
        assert_eq!(libc::WEXITSTATUS(e.status), 3);
        assert!(!e.timed_out && !e.interrupted);
    }

    #[test]
    fn a_timeout_kills_the_whole_group_and_frees_the_pipes() {
        // The grandchild holds stdout open; the group kill takes it too,
        // so this returns promptly instead of waiting for `sleep`.
        let started = Instant::now();
        let e = sh("sleep 30 & sleep 30", Duration::from_millis(200));
        assert!(e.timed_out);
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn a_child_that_finishes_is_never_called_timed_out() {
        // Exits on its own, right at the timeout, many times: however the
        // timer and the exit interleave, a clean exit is a finished run
        // (the old watchdog could fire after the reap and call it a timeout).
        for _ in 0..20 {
            let e = sh("exit 0", Duration::ZERO);
            assert!(
                !(libc::WIFEXITED(e.status) && e.timed_out),
                "exited on its own but called timed out"
            );
        }
    }

    #[test]
    fn a_stop_request_kills_the_child_and_says_so() {
        let interrupt = Interrupt::default();
        interrupt.trigger(libc::SIGINT);
        let mut cmd = Command::new("/bin/sh");
        cmd.args(["-c", "sleep 30"]);
        let limits = Limits {
            timeout: Duration::from_secs(30),
            memory: None,
        };
        let e = run(cmd, Vec::new(), limits, &interrupt).unwrap();
        assert!(e.interrupted && !e.timed_out);
    }

    #[test]
    fn the_memory_limit_applies_to_the_child() {
        let mut cmd = Command::new("/bin/sh");
        cmd.args(["-c", "ulimit -v"]);
        let limits = Limits {
            timeout: Duration::from_secs(10),
            memory: Some(256 << 20),
        };
        let e = run(cmd, Vec::new(), limits, &Interrupt::default()).unwrap();
        assert_eq!(String::from_utf8_lossy(&e.stdout.bytes).trim(), "262144");
    }
}
