//! Evidence of which allocator really serves this process, read from the
//! allocators' own statistics rather than from tuner's label: glibc's
//! `mallinfo2`, jemalloc's `stats.allocated` and mimalloc's
//! `mi_is_in_heap_region`, each checked around one fresh 4 MiB block.

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
pub fn probe() -> Evidence {
    let glibc_before = glibc_in_use();
    let jemalloc_before = jemalloc_allocated();
    let block: Vec<u8> = Vec::with_capacity(BLOCK);
    let glibc_after = glibc_in_use();
    let jemalloc_after = jemalloc_allocated();
    // Keep the optimiser from eliding the allocation.
    let block = std::hint::black_box(block);
    // SAFETY: mi_is_in_heap_region only inspects the address.
    let mimalloc = unsafe { libmimalloc_sys::mi_is_in_heap_region(block.as_ptr().cast()) };
    drop(block);
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
