//! External commands as workloads. The runner starts a worker process as
//! for any workload; given a spec with a command, the worker becomes a
//! small supervisor (`shim`): it fills the point's values into the argv
//! (`invocation`), runs the warm-up and timed executions as its children
//! (`exec`), reads Go benchmark lines when asked (`gobench`), and reports
//! a [`crate::protocol::RunOutput`] or the command's failure, which the
//! runner turns into a record (`outcome`).
//!
//! Why through a worker rather than straight from the runner: the peak
//! resident set of a child, as `wait4` reports it, cannot be lower than
//! the memory of the process that forked it (Linux carries the parent's
//! high-water mark across `fork` and `exec`), so a command forked by the
//! runner would read at least the runner's size. Forked by a fresh worker
//! it reads at least the worker's (a few MiB, measured in
//! `tests/commands.rs`). The alternatives were worse here: cgroup v2's
//! `memory.peak` needs a writable cgroup v2 hierarchy (this machine has
//! cgroup v1), and ptrace's exit stop stops the program at every signal
//! it receives (Go preempts goroutines with signals), perturbing the
//! timing it is there to keep honest.

mod exec;
mod facts;
mod gobench;
mod invocation;
mod outcome;
mod shim;

pub use facts::CommandFacts;
pub(crate) use outcome::classify;
pub(crate) use shim::main as shim_main;
