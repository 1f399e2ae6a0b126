//! What the machine delivered to a process over a window: the CPU time it
//! got against wall time, the threads that ran work, how long they waited
//! on a run queue, and what else took the CPUs it was allowed to use
//! (others' CPU time, hypervisor steal, cgroup throttling, pressure).
//!
//! [`Snapshot::take`] reads the counters at one moment (Linux `/proc` and
//! `/sys`; each source is `None` where the file is absent, as in some
//! containers and older kernels); [`Window::between`] turns two snapshots
//! into a serializable [`Delivered`] record, and [`Window::child`] does the
//! same for a command a supervisor ran (known by its `wait4` rusage).
//! [`classify`] separates other tasks' demand from the point's own
//! (`classify.rs` states the thresholds and the measurements behind them,
//! `docs/interference-calibration.md` the table).
//!
//! In the spirit of Krun and pyperf, which treat the machine as part of
//! the measurement. The module uses nothing else of the crate, so the
//! calibration probe (`examples/machine_probe.rs`) compiles it as is.

mod cgroup;
mod classify;
mod cpuset;
mod delivered;
mod exits;
mod procfs;
mod snapshot;

pub(crate) use classify::{classify, Contention, Figures, Reason, THRESHOLDS};
pub(crate) use cpuset::CpuSet;
#[cfg(test)]
pub(crate) use delivered::{BusySource, MachineCpu, Of, Threads};
pub(crate) use delivered::{Delivered, Window};
pub(crate) use exits::{note_thread_start, record_thread_exit};
pub(crate) use snapshot::{Scope, Snapshot};
