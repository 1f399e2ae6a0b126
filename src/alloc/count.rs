//! Exact allocation counting that scales across threads.
//!
//! Each thread counts into its own cells and flushes them into shared
//! atomics every [`FLUSH_EVENTS`] events or when its pending live-byte change
//! passes [`FLUSH_BYTES`]; shared atomics on every allocation would cost
//! ~20 ns uncontended and hundreds contended (see CRATE-NOTES). Totals are
//! exact once every thread has flushed: threads flush when they exit, and
//! the worker flushes pool threads explicitly before reading. The peak of
//! live bytes is assembled from flushed deltas, so it is exact to within
//! threads × `FLUSH_BYTES`.
//!
//! The same per-thread cells carry two thread hooks ([`set_thread_hooks`]):
//! one on a thread's first count after each flush (its start, noted once),
//! one as its cells are dropped at its exit, the last thread-local
//! destructor any thread that allocated runs. A worker installs the
//! machine measurement's (`crate::machine`) there, so a window counts
//! the `std::thread`s a workload spawned and joined inside it; through
//! function pointers, so the allocator (a foundation) calls into no higher
//! layer, and a process that installs none (the runner) pays one relaxed
//! load per flush.

use std::cell::Cell;
use std::sync::atomic::{AtomicI64, AtomicPtr, AtomicU64, Ordering::Relaxed};

use serde::{Deserialize, Serialize};

const FLUSH_EVENTS: u32 = 64;
const FLUSH_BYTES: i64 = 64 * 1024;

static ALLOCS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);
static LIVE: AtomicI64 = AtomicI64::new(0);
static PEAK: AtomicI64 = AtomicI64::new(0);

struct Pending {
    events: Cell<u32>,
    allocs: Cell<u64>,
    bytes: Cell<u64>,
    live: Cell<i64>,
}

impl Pending {
    const fn new() -> Self {
        Pending {
            events: Cell::new(0),
            allocs: Cell::new(0),
            bytes: Cell::new(0),
            live: Cell::new(0),
        }
    }

    fn flush(&self) {
        publish(self.allocs.take(), self.bytes.take(), self.live.take());
        self.events.set(0);
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        self.flush();
        call(&ON_EXIT);
    }
}

/// A hook: a `fn()` as a pointer, null for none.
type Hook = AtomicPtr<()>;

static ON_START: Hook = AtomicPtr::new(std::ptr::null_mut());
static ON_EXIT: Hook = AtomicPtr::new(std::ptr::null_mut());

/// Installs `start`, called on a thread's first count after each flush
/// (so early in its life; it must be cheap and idempotent), and `exit`,
/// called as the thread's counters are dropped at its end. Neither may
/// allocate.
pub(crate) fn set_thread_hooks(start: fn(), exit: fn()) {
    ON_START.store(start as *mut (), Relaxed);
    ON_EXIT.store(exit as *mut (), Relaxed);
}

#[inline]
fn call(hook: &Hook) {
    let f = hook.load(Relaxed);
    if !f.is_null() {
        // SAFETY: only `set_thread_hooks` stores into the hooks, and it
        // stores `fn()` pointers.
        let f: fn() = unsafe { std::mem::transmute::<*mut (), fn()>(f) };
        f();
    }
}

thread_local! {
    static PENDING: Pending = const { Pending::new() };
}

fn publish(allocs: u64, bytes: u64, live: i64) {
    if allocs != 0 {
        ALLOCS.fetch_add(allocs, Relaxed);
        BYTES.fetch_add(bytes, Relaxed);
    }
    if live != 0 {
        let now = LIVE.fetch_add(live, Relaxed) + live;
        PEAK.fetch_max(now, Relaxed);
    }
}

#[inline]
fn record(allocs: u64, bytes: u64, live: i64) {
    let counted = PENDING.try_with(|p| {
        if p.events.get() == 0 {
            call(&ON_START);
        }
        p.allocs.set(p.allocs.get() + allocs);
        p.bytes.set(p.bytes.get() + bytes);
        p.live.set(p.live.get() + live);
        let events = p.events.get() + 1;
        p.events.set(events);
        if events >= FLUSH_EVENTS || p.live.get().abs() >= FLUSH_BYTES {
            p.flush();
        }
    });
    // During thread teardown the cells are gone: count directly.
    if counted.is_err() {
        publish(allocs, bytes, live);
    }
}

#[inline]
pub(super) fn on_alloc(size: usize) {
    record(1, size as u64, size as i64);
}

#[inline]
pub(super) fn on_dealloc(size: usize) {
    record(0, 0, -(size as i64));
}

/// A resize counts as one allocation of the new size, as Go's `append`
/// growth does.
#[inline]
pub(super) fn on_realloc(old: usize, new: usize) {
    record(1, new as u64, new as i64 - old as i64);
}

/// Publishes this thread's pending counts.
pub(crate) fn flush_thread() {
    let _ = PENDING.try_with(Pending::flush);
}

/// The process-wide counters, as of the last flush of every thread.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Snapshot {
    /// Allocations (and resizes) since the process started.
    pub allocs: u64,
    /// Bytes requested by those allocations.
    pub bytes: u64,
    /// Bytes allocated and not yet freed.
    pub live: i64,
    /// The most live bytes since the last [`start_peak_window`].
    pub peak: i64,
}

/// Reads the counters after flushing the calling thread.
pub(crate) fn snapshot() -> Snapshot {
    flush_thread();
    Snapshot {
        allocs: ALLOCS.load(Relaxed),
        bytes: BYTES.load(Relaxed),
        live: LIVE.load(Relaxed),
        peak: PEAK.load(Relaxed),
    }
}

/// Starts a new window for the peak: from now on `peak` is the most live
/// bytes seen since this call.
pub(crate) fn start_peak_window() {
    flush_thread();
    PEAK.store(LIVE.load(Relaxed), Relaxed);
}
