//! Profiling passes: flame graphs of tracing spans, sampling CPU profiles,
//! per-thread timelines and the live heap over time, each collected in a
//! worker process of its own, apart from the timed runs, so the timings
//! never carry a collector's cost.
//!
//! The parent asks for a pass with a [`crate::protocol::ProfileRequest`] in the run spec;
//! the worker (`crate::worker`) sets the point up as a timed run does (same
//! pool, allocator, warm-up), turns one of these collectors on and writes
//! its artifacts into the point's directory. [`flame`] renders folded
//! stacks (and differences between two of them) as SVG with inferno.

pub(crate) mod cpu;
pub(crate) mod flame;
pub(crate) mod heap;
pub(crate) mod spans;
pub(crate) mod timeline;

pub(crate) use heap::read_series as read_heap_series;
