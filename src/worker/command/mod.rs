//! External commands as workloads. The runner starts a worker process as
//! for any workload; given a spec with a command, the worker becomes its
//! supervisor (`shim`): from a small forked process (`small`) it fills
//! the point's values into the argv (`invocation`), runs the warm-up and
//! timed executions (`exec`), reads Go benchmark lines when asked
//! (`gobench`), and reports a [`crate::protocol::RunOutput`] or the
//! command's failure, which the runner turns into a record (`crate::runner`).
//!
//! Through a worker rather than straight from the runner, so that the
//! command's peak RSS is its own: see `small`.

mod exec;
mod gobench;
mod invocation;
mod shim;
mod small;

pub(crate) use shim::main as shim_main;
