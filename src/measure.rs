//! What a worker measures about itself: the time and CPU of its timed
//! runs (`timing`, `cpu`), its own peak resident set (`memory`) and
//! which of its threads ran the work (`threads`).
//!
//! Every figure covers what it claims to cover: wall and CPU time the
//! timed spans only (never a workload's untimed reset), the peak RSS this
//! process alone (not the runner's, which Linux carries into a child
//! across exec), and the thread check the threads that really ran, not the
//! pool size read back.

mod cpu;
mod memory;
mod threads;
mod timing;

pub(crate) use cpu::usage as cpu_usage;
pub(crate) use memory::peak_rss_kib;
pub(crate) use threads::{snapshot as thread_times, ThreadTimes};
pub(crate) use timing::{run_iters, sample, warm_up};
