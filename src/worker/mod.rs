//! The worker process, `<binary> worker` (hidden): reads one [`RunSpec`] as
//! JSON on stdin, runs it and prints one [`crate::protocol::RunOutput`] as
//! JSON on stdout. The runner re-executes its own binary as the worker, so
//! a user's harness built with `tuner::main!` measures the user's
//! workloads the same way.
//!
//! Order matters: the allocator was fixed by the environment before the
//! first allocation; then the worker arms its own deadline (the kernel
//! kills it a little after the spec's timeout, should the runner not have
//! done so), proves which allocator serves it, builds a rayon pool (and a
//! tokio runtime) of exactly the point's thread count (`setup`), builds
//! the workload inside the pool and measures it (`timed`), with what the
//! machine delivered over the samples (`crate::machine`). A spec that
//! carries a profile request runs a profiling pass instead (`profiled`),
//! with the same set-up.

mod command;
mod profiled;
mod setup;
mod timed;

use std::io::{Read, Write};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use tuner_api::Catalog;

use crate::protocol::{RunSpec, PROTOCOL_VERSION};

/// How long after the spec's timeout a worker kills itself: the runner
/// kills it at the timeout, so this only acts when the runner cannot.
const DEADLINE_GRACE: Duration = Duration::from_secs(2);

pub(crate) fn main(catalog: &Catalog) -> ExitCode {
    // Before any thread starts: every thread's start and end is noted, so
    // a window counts the threads a workload spawns and joins inside it.
    crate::alloc::set_thread_hooks(
        crate::machine::note_thread_start,
        crate::machine::record_thread_exit,
    );
    let spec = match read_spec() {
        Ok(spec) => spec,
        Err(Refusal::Protocol(e)) => {
            return fail(&e, crate::protocol::EXIT_PROTOCOL_MISMATCH as u8)
        }
        Err(Refusal::Other(e)) => return fail(&e, 1),
    };
    arm_deadline(spec.measure.timeout + DEADLINE_GRACE);
    if let Some(command) = &spec.command {
        return command::shim_main(&spec, command);
    }
    let json = match &spec.profile {
        None => timed::run(&spec, catalog).and_then(|o| Ok(serde_json::to_string(&o)?)),
        Some(request) => {
            profiled::run(&spec, request, catalog).and_then(|o| Ok(serde_json::to_string(&o)?))
        }
    };
    match json {
        Ok(json) => {
            let mut stdout = std::io::stdout().lock();
            match writeln!(stdout, "{json}").and_then(|()| stdout.flush()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(&anyhow::Error::from(e).context("writing the result"), 1),
            }
        }
        Err(e) => fail(&e, 1),
    }
}

fn fail(e: &anyhow::Error, code: u8) -> ExitCode {
    crate::console::errln(&format!("tuner worker: error: {e:#}"));
    ExitCode::from(code)
}

enum Refusal {
    Protocol(anyhow::Error),
    Other(anyhow::Error),
}

fn read_spec() -> Result<RunSpec, Refusal> {
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .context("reading the run spec")
        .map_err(Refusal::Other)?;
    #[derive(serde::Deserialize)]
    struct Version {
        protocol: u32,
    }
    let version: Version = serde_json::from_str(&input)
        .context("parsing the run spec")
        .map_err(Refusal::Other)?;
    if version.protocol != PROTOCOL_VERSION {
        return Err(Refusal::Protocol(anyhow::anyhow!(
            "the runner speaks worker protocol {}, this worker {PROTOCOL_VERSION}: build both from one tuner version",
            version.protocol
        )));
    }
    serde_json::from_str(&input)
        .context("parsing the run spec")
        .map_err(Refusal::Other)
}

/// Has the kernel SIGKILL this worker once `after` has passed: a POSIX
/// timer whose signal is SIGKILL, so no thread, handler or allocation is
/// involved (a thread starting beside the allocator probe would disturb
/// it), and no workload can catch it.
fn arm_deadline(after: Duration) {
    // SAFETY: plain data, then plain syscalls with valid pointers.
    let armed = unsafe {
        let mut event: libc::sigevent = std::mem::zeroed();
        event.sigev_notify = libc::SIGEV_SIGNAL;
        event.sigev_signo = libc::SIGKILL;
        let mut timer: libc::timer_t = std::mem::zeroed();
        let spec = libc::itimerspec {
            it_interval: libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            },
            it_value: libc::timespec {
                tv_sec: after.as_secs().min(i64::MAX as u64 / 2) as libc::time_t,
                tv_nsec: after.subsec_nanos() as libc::c_long,
            },
        };
        libc::timer_create(libc::CLOCK_MONOTONIC, &mut event, &mut timer) == 0
            && libc::timer_settime(timer, 0, &spec, std::ptr::null_mut()) == 0
    };
    if !armed {
        let e = std::io::Error::last_os_error();
        crate::console::errln(&format!("tuner worker: no deadline timer: {e}"));
    }
}
