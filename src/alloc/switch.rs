//! A global allocator that dispatches to system (glibc), mimalloc or
//! jemalloc, chosen from `TUNER_ALLOCATOR` at the process's first
//! allocation and never changed afterwards, so every block is freed by the
//! allocator that made it.
//!
//! The choice is read with `libc::getenv`, which does not allocate (std's
//! `env::var` would, and would recurse into this allocator). jemalloc's
//! symbols stay prefixed and mimalloc does not override `malloc`, so C code
//! and "system" really are glibc.

use std::alloc::{GlobalAlloc, Layout, System};
use std::fmt;
use std::sync::atomic::{AtomicU8, Ordering};

use serde::{Deserialize, Serialize};

use super::count;

/// The environment variable the parent sets for each worker process.
pub const ENV_VAR: &str = "TUNER_ALLOCATOR";
const ENV_VAR_C: &std::ffi::CStr = c"TUNER_ALLOCATOR";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AllocatorName {
    System,
    Mimalloc,
    Jemalloc,
}

impl AllocatorName {
    pub const ALL: [AllocatorName; 3] = [Self::System, Self::Mimalloc, Self::Jemalloc];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::System => "system",
            Self::Mimalloc => "mimalloc",
            Self::Jemalloc => "jemalloc",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

impl fmt::Display for AllocatorName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

const UNSET: u8 = u8::MAX;
static CHOICE: AtomicU8 = AtomicU8::new(UNSET);

/// The allocator serving this process.
pub(crate) fn active() -> AllocatorName {
    AllocatorName::ALL[choice() as usize]
}

#[inline]
fn choice() -> u8 {
    match CHOICE.load(Ordering::Relaxed) {
        UNSET => choose(),
        c => c,
    }
}

#[cold]
fn choose() -> u8 {
    // SAFETY: getenv reads the environment without allocating; the pointer
    // is used before anything could change the environment.
    let value = unsafe { libc::getenv(ENV_VAR_C.as_ptr()) };
    let name = if value.is_null() {
        None
    } else {
        // SAFETY: getenv returns a NUL-terminated string.
        let bytes = unsafe { std::ffi::CStr::from_ptr(value) }.to_bytes();
        std::str::from_utf8(bytes)
            .ok()
            .and_then(AllocatorName::parse)
    };
    let c = name.unwrap_or(AllocatorName::System) as u8;
    // Racing first allocations compute the same value; the first store wins.
    match CHOICE.compare_exchange(UNSET, c, Ordering::Relaxed, Ordering::Relaxed) {
        Ok(_) => c,
        Err(existing) => existing,
    }
}

/// The global allocator installed by tuner's binary.
pub struct Switchable;

static MIMALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;
static JEMALLOC: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

macro_rules! dispatch {
    ($method:ident($($arg:expr),*)) => {
        match choice() {
            1 => MIMALLOC.$method($($arg),*),
            2 => JEMALLOC.$method($($arg),*),
            _ => System.$method($($arg),*),
        }
    };
}

// SAFETY: every method forwards to one allocator fixed for the process's
// lifetime, so a block is always freed or resized by the allocator that
// made it; the counters never allocate.
unsafe impl GlobalAlloc for Switchable {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = dispatch!(alloc(layout));
        if !p.is_null() {
            count::on_alloc(layout.size());
        }
        p
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = dispatch!(alloc_zeroed(layout));
        if !p.is_null() {
            count::on_alloc(layout.size());
        }
        p
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        dispatch!(dealloc(ptr, layout));
        count::on_dealloc(layout.size());
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = dispatch!(realloc(ptr, layout, new_size));
        if !p.is_null() {
            count::on_realloc(layout.size(), new_size);
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for a in AllocatorName::ALL {
            assert_eq!(AllocatorName::parse(a.as_str()), Some(a));
        }
        assert_eq!(AllocatorName::parse("tcmalloc"), None);
    }

    #[test]
    fn enum_order_matches_dispatch_indices() {
        assert_eq!(AllocatorName::System as u8, 0);
        assert_eq!(AllocatorName::Mimalloc as u8, 1);
        assert_eq!(AllocatorName::Jemalloc as u8, 2);
    }
}
