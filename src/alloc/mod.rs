//! The process's global allocator: one of system, mimalloc or jemalloc,
//! chosen once per process, with exact allocation counting on top.

mod count;
mod probe;
mod switch;

pub(crate) use count::{flush_thread, set_thread_hooks, snapshot, start_peak_window};
pub(crate) use probe::{probe, Evidence};
pub(crate) use switch::{active, AllocatorName};
pub use switch::{Switchable, ENV_VAR};
