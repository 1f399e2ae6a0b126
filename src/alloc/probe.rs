//! Evidence of which allocator really serves this process, read from the
//! allocators' own statistics rather than from tuner's label: glibc's
//! `mallinfo2`, jemalloc's `stats.allocated` and mimalloc's
//! `mi_is_in_heap_region`, each checked around one fresh 4 MiB block.

use std::alloc::{GlobalAlloc, Layout};

use serde::{Deserialize, Serialize};

use super::AllocatorName;

/// Which allocators' statistics moved for one 4 MiB allocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// glibc's bytes in use grew by at least the block.
    pub glibc: bool,
    /// jemalloc's `stats.allocated` grew by at least the block.
    pub jemalloc: bool,
    /// mimalloc claims the block's address.
    pub mimalloc: bool,
}

impl Evidence {
    /// The one allocator whose statistics moved, if exactly one did.
    pub fn served_by(&self) -> Option<AllocatorName> {
        match (self.glibc, self.mimalloc, self.jemalloc) {
            (true, false, false) => Some(AllocatorName::System),
            (false, true, false) => Some(AllocatorName::Mimalloc),
            (false, false, true) => Some(AllocatorName::Jemalloc),
            _ => None,
        }
    }
}

const BLOCK: usize = 4 << 20;

/// Allocates one block through the global allocator and reports whose
/// statistics saw it.
pub(crate) fn probe() -> Evidence {
    probe_with(&Global)
}

/// Attempts before the probe gives up on a reading in which no allocator's
/// statistics moved. Statistics are process-wide: another thread freeing
/// memory between the two readings (a test harness's threads; a worker's
/// runtime starting) can hide the block. Retrying never hides a mismatch:
/// that is another allocator's statistics moving, not none.
const ATTEMPTS: usize = 3;

/// The process's global allocator, whichever it is.
struct Global;

// SAFETY: forwards to the global allocator.
unsafe impl GlobalAlloc for Global {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        std::alloc::alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        std::alloc::dealloc(ptr, layout)
    }
}

/// Allocates one block through `allocator` and reports whose statistics
/// saw it: the statistics decide, never the label the worker was given.
fn probe_with(allocator: &dyn GlobalAlloc) -> Evidence {
    let mut evidence = probe_once(allocator);
    for _ in 1..ATTEMPTS {
        if evidence.served_by().is_some() {
            break;
        }
        evidence = probe_once(allocator);
    }
    evidence
}

fn probe_once(allocator: &dyn GlobalAlloc) -> Evidence {
    let layout = Layout::from_size_align(BLOCK, 16).expect("a valid layout");
    let glibc_before = glibc_in_use();
    let jemalloc_before = jemalloc_allocated();
    // SAFETY: the layout has a non-zero size; the block is freed below
    // with the same layout by the same allocator.
    let block = std::hint::black_box(unsafe { allocator.alloc(layout) });
    let glibc_after = glibc_in_use();
    let jemalloc_after = jemalloc_allocated();
    // SAFETY: mi_is_in_heap_region only inspects the address.
    let mimalloc =
        !block.is_null() && unsafe { libmimalloc_sys::mi_is_in_heap_region(block.cast()) };
    if !block.is_null() {
        // SAFETY: allocated above by `allocator` with `layout`.
        unsafe { allocator.dealloc(block, layout) };
    }
    Evidence {
        glibc: glibc_after.saturating_sub(glibc_before) >= BLOCK,
        jemalloc: jemalloc_after.saturating_sub(jemalloc_before) >= BLOCK,
        mimalloc,
    }
}

/// glibc's bytes in use: small blocks (`uordblks`) plus mmapped ones (`hblkhd`).
fn glibc_in_use() -> usize {
    // SAFETY: mallinfo2 has no preconditions.
    let info = unsafe { libc::mallinfo2() };
    info.uordblks + info.hblkhd
}

/// jemalloc's bytes allocated, refreshed by advancing its epoch.
fn jemalloc_allocated() -> usize {
    let _ = tikv_jemalloc_ctl::epoch::advance();
    tikv_jemalloc_ctl::stats::allocated::read().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The harness runs other tests on other threads of this process, and
    /// the statistics are process-wide, so one reading may see their
    /// allocations too (then it names no allocator); a reading that names
    /// one must name the right one, and some reading must name it.
    fn served_by(allocator: &dyn GlobalAlloc) -> AllocatorName {
        let readings: Vec<Evidence> = (0..20).map(|_| probe_with(allocator)).collect();
        let named: Vec<AllocatorName> = readings.iter().filter_map(Evidence::served_by).collect();
        assert!(
            !named.is_empty() && named.iter().all(|&n| n == named[0]),
            "{readings:?}"
        );
        named[0]
    }

    #[test]
    fn each_allocator_is_told_apart_by_its_own_statistics() {
        assert_eq!(served_by(&std::alloc::System), AllocatorName::System);
        assert_eq!(served_by(&mimalloc::MiMalloc), AllocatorName::Mimalloc);
        assert_eq!(
            served_by(&tikv_jemallocator::Jemalloc),
            AllocatorName::Jemalloc
        );
    }

    /// The runner fails a process whose evidence does not name the point's
    /// allocator: a process labelled `system` but served by jemalloc is caught.
    #[test]
    fn a_process_served_by_another_allocator_than_its_label_is_caught() {
        let expected = AllocatorName::System;
        let evidence = probe_with(&tikv_jemallocator::Jemalloc);
        assert_ne!(evidence.served_by(), Some(expected), "{evidence:?}");
        // This test binary's own global allocator is the system one.
        assert_eq!(probe().served_by(), Some(expected));
    }

    #[test]
    fn evidence_naming_none_or_several_allocators_serves_none() {
        let none = Evidence {
            glibc: false,
            jemalloc: false,
            mimalloc: false,
        };
        assert_eq!(none.served_by(), None);
        let two = Evidence {
            glibc: true,
            jemalloc: true,
            mimalloc: false,
        };
        assert_eq!(two.served_by(), None);
    }
}
