//! Ctrl-C (SIGINT) and SIGTERM during `tuner run`. The first stops the
//! worker that is running (its whole process group) and tells the runner
//! to stop, so it saves what it has and the report; the second exits at
//! once, after killing the worker and removing the scratch root. The
//! journal needs nothing: every finished run is on disk already.
//!
//! signal-hook's iterator turns the signals into a plain thread's loop, so
//! nothing here runs in a signal handler. The worker being watched is
//! registered under a lock that the runner also takes before it reaps the
//! worker, so a kill from here can only reach an unreaped child: never a
//! process that reused its pid.

use std::os::fd::RawFd;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use signal_hook::consts::{SIGINT, SIGTERM};

/// The signals the runner reacts to; `0` in [`State::signal`] means none yet.
#[derive(Default)]
struct State {
    signal: AtomicI32,
    current: Mutex<Current>,
}

#[derive(Default)]
struct Current {
    child: Option<Watched>,
    /// The scratch root to remove before a hard exit.
    scratch: Option<PathBuf>,
}

struct Watched {
    pid: libc::pid_t,
    pidfd: RawFd,
    killed: bool,
}

/// Whether, and by which signal, the run was asked to stop.
#[derive(Clone, Default)]
pub(crate) struct Interrupt {
    state: Arc<State>,
}

impl Interrupt {
    /// Starts watching for SIGINT and SIGTERM, for the rest of the process.
    pub(crate) fn install() -> std::io::Result<Interrupt> {
        let interrupt = Interrupt::default();
        let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])?;
        let state = Arc::clone(&interrupt.state);
        std::thread::Builder::new()
            .name("tuner-signals".into())
            .spawn(move || {
                for signal in signals.forever() {
                    if state.signal.load(Ordering::SeqCst) == 0 {
                        state.stop(signal);
                    } else {
                        state.exit_now(signal);
                    }
                }
            })?;
        Ok(interrupt)
    }

    /// The signal that asked the run to stop, if one did.
    pub(crate) fn signal(&self) -> Option<i32> {
        match self.state.signal.load(Ordering::SeqCst) {
            0 => None,
            s => Some(s),
        }
    }

    /// Stops the run as the first signal would (for tests).
    #[cfg(test)]
    pub(crate) fn trigger(&self, signal: i32) {
        self.state.stop(signal);
    }

    /// Watches the unreaped child `pid` until the returned guard drops,
    /// which must happen before the child is reaped. A child started
    /// after the stop signal is killed at once.
    pub(crate) fn watch(&self, pid: libc::pid_t, pidfd: RawFd) -> Watch<'_> {
        let mut current = self.state.lock();
        let mut watched = Watched {
            pid,
            pidfd,
            killed: false,
        };
        if self.signal().is_some() {
            kill_group(&mut watched);
        }
        current.child = Some(watched);
        Watch { state: &self.state }
    }

    /// The folder to remove if a second signal exits at once.
    pub(crate) fn set_scratch(&self, root: Option<PathBuf>) {
        self.state.lock().scratch = root;
    }
}

/// Registration of the child being watched; see [`Interrupt::watch`].
pub(crate) struct Watch<'a> {
    state: &'a State,
}

impl Watch<'_> {
    /// Whether the stop signal killed the child.
    pub(crate) fn killed(&self) -> bool {
        self.state.lock().child.as_ref().is_some_and(|c| c.killed)
    }
}

impl Drop for Watch<'_> {
    fn drop(&mut self) {
        self.state.lock().child = None;
    }
}

impl State {
    fn lock(&self) -> MutexGuard<'_, Current> {
        self.current.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn stop(&self, signal: i32) {
        let mut current = self.lock();
        self.signal.store(signal, Ordering::SeqCst);
        if let Some(child) = &mut current.child {
            kill_group(child);
        }
        drop(current);
        crate::console::errln(&format!(
            "\n{}: stopping; the runs so far are kept (again to exit at once)",
            signal_name(signal)
        ));
    }

    /// The second signal: kill the worker, wait (briefly) for it to die,
    /// remove the scratch root and exit.
    fn exit_now(&self, signal: i32) -> ! {
        let mut current = self.lock();
        if let Some(child) = &mut current.child {
            kill_group(child);
            wait_readable(child.pidfd, Duration::from_secs(2));
        }
        if let Some(root) = &current.scratch {
            let _ = std::fs::remove_dir_all(root);
        }
        crate::console::errln(&format!("{}: exiting at once", signal_name(signal)));
        std::process::exit(128 + signal);
    }
}

/// SIGKILL to the child's process group (its id is the child's pid).
fn kill_group(child: &mut Watched) {
    // SAFETY: plain syscall; the child is unreaped (see the module docs),
    // so its pid and process group id are still its own.
    unsafe { libc::kill(-child.pid, libc::SIGKILL) };
    child.killed = true;
}

/// Waits until `pidfd` is readable (its process ended) or `timeout`
/// passes (never, if it is too long to count); whether it is readable.
pub(crate) fn wait_readable(pidfd: RawFd, timeout: Duration) -> bool {
    let deadline = Instant::now().checked_add(timeout);
    loop {
        let ms = match deadline {
            Some(d) => {
                let left = d.saturating_duration_since(Instant::now());
                // Round up, so the wait never ends before the deadline.
                left.as_nanos().div_ceil(1_000_000).min(i32::MAX as u128) as libc::c_int
            }
            None => -1,
        };
        let mut fds = libc::pollfd {
            fd: pidfd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        match unsafe { libc::poll(&mut fds, 1, ms) } {
            n if n > 0 => return true,
            0 => return false,
            _ if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted => {}
            _ => return false,
        }
    }
}

/// `SIGINT`, `SIGTERM`.
pub(crate) fn signal_name(signal: i32) -> &'static str {
    match signal {
        SIGINT => "SIGINT (Ctrl-C)",
        SIGTERM => "SIGTERM",
        _ => "a signal",
    }
}
