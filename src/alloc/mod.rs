//! The process's global allocator: one of system, mimalloc or jemalloc,
//! chosen once per process, with exact allocation counting on top.

mod count;
mod probe;
mod switch;

pub use count::{flush_thread, snapshot, start_peak_window, Snapshot};
pub use probe::{probe, Evidence};
pub use switch::{active, AllocatorName, Switchable, ENV_VAR};
