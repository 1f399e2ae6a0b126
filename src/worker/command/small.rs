//! The process commands are spawned from, kept small so the peak RSS
//! `wait4` reports is the command's own.
//!
//! Linux starts a new program's peak RSS (`ru_maxrss`) at the size of the
//! process that executed it: `exec` carries the old address space's
//! high-water mark over. Measured here with a C program that does
//! nothing (own peak ~1 MiB under GNU time): forked from a 50 MiB process
//! it reads 61 MiB; spawned from the runner it would read the runner's
//! size; spawned (vfork) from the worker, the worker's ~6 MiB of mapped
//! tuner binary. So the worker forks once, before anything is timed, and
//! the child does the work: a fork copies only the worker's private
//! pages (~0.5 MiB), not its mapped binary, and the child maps in only
//! the code it runs. Commands spawned from it read ~2.9 MiB for a
//! program that does nothing (release build; the runner peaks at ~8 MiB)
//! and 65.3 MiB for one that touches 64 MiB (`tests/commands.rs`).
//!
//! The alternatives, weighed: a cgroup v2 `memory.peak` needs a writable
//! cgroup v2 hierarchy (this machine has v1); ptrace's exit stop reads
//! `VmHWM` exactly but stops the program at every signal it receives (Go
//! preempts goroutines with signals), perturbing the timing; forking
//! each command (a `pre_exec` hook makes std fork) works for RSS, but
//! copying and tearing down page tables per execution measured +4.3% and
//! +4.5% against hyperfine on a 6 ms command, where `posix_spawn`, which
//! hyperfine uses, measured +0.1% and +1.1% in the same runs.
//!
//! The child dies with the worker: when the worker leads its own process
//! group (as the runner starts it), the child's parent-death signal is
//! SIGTERM, whose handler SIGKILLs the whole group, the command and what
//! it started included; spawned commands need no hook of their own.

use std::io::Write as _;

/// Runs `work` in a child forked from this process when it can (a single
/// thread, and fork succeeds), here otherwise; whether `work` succeeded.
pub(super) fn run_in_child(work: impl FnOnce() -> bool) -> bool {
    if !single_threaded() {
        return work();
    }
    // SAFETY: getpid has no preconditions.
    let parent = unsafe { libc::getpid() };
    // SAFETY: this process has one thread, so the child may run any code.
    match unsafe { libc::fork() } {
        -1 => work(),
        0 => {
            die_with_group(parent);
            let ok = work();
            let _ = std::io::stdout().flush();
            // SAFETY: ends the child; its output is flushed above.
            unsafe { libc::_exit(if ok { 0 } else { 1 }) }
        }
        child => wait(child),
    }
}

fn single_threaded() -> bool {
    std::fs::read_dir("/proc/self/task").is_ok_and(|tasks| tasks.count() == 1)
}

extern "C" fn kill_group(_: libc::c_int) {
    // SAFETY: kill is async-signal-safe; 0 names this process's group.
    unsafe { libc::kill(0, libc::SIGKILL) };
}

/// Arranges for the child to die, and its group with it when it is the
/// worker's own, once the worker (`parent`) dies.
fn die_with_group(parent: libc::pid_t) {
    // SAFETY: plain syscalls; the handler only calls kill.
    unsafe {
        let own_group = libc::getpgrp() == parent;
        let signal = if own_group {
            libc::signal(libc::SIGTERM, kill_group as *const () as libc::sighandler_t);
            libc::SIGTERM
        } else {
            libc::SIGKILL
        };
        libc::prctl(libc::PR_SET_PDEATHSIG, signal);
        if libc::getppid() != parent {
            // The worker died before the line above.
            libc::raise(signal);
        }
    }
}

/// Waits for the child; whether it exited 0.
fn wait(child: libc::pid_t) -> bool {
    let mut status = 0;
    loop {
        // SAFETY: our child; a valid pointer.
        let r = unsafe { libc::waitpid(child, &mut status, 0) };
        if r == child {
            break;
        }
        if std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            return false;
        }
    }
    if libc::WIFSIGNALED(status) {
        crate::console::errln(&format!(
            "tuner worker: error: the process running the command was killed by signal {}",
            libc::WTERMSIG(status)
        ));
    }
    libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0
}
