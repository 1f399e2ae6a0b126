//! The threads that exited: each one's CPU time and life, recorded as it
//! ends, so a window counts the `std::thread`s a workload spawned and
//! joined inside it (`std::thread::scope` per run), which no listing of
//! `/proc/self/task` taken before and after can see.
//!
//! A record bounds the thread's life, so a window can tell how many ran
//! *at once* (N threads spawned per run, many runs, is N threads' work):
//! its death on `CLOCK_BOOTTIME`, and its birth as [`note_thread_start`]
//! noted it (a const thread-local, no destructor), else only as early as
//! its CPU time requires.
//!
//! [`record_thread_exit`] must run on the ending thread, late: the
//! allocator's per-thread counters are dropped at every thread's exit, so
//! their destructor is the hook (any thread that allocated reaches it).
//! It reads two clocks and writes a fixed ring of slots with atomics: no
//! allocation, no lock, no file. (Reading the thread's own `/proc` files
//! there, for its run delay, made each spawn-and-join ~1 ms slower instead
//! of ~60 µs: `examples/machine_probe.rs costs`.) A window reads the slots
//! written between its two positions; when more threads ended than the
//! ring holds, the oldest are lost and the window says how many.

use std::cell::Cell;
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering::Acquire, Ordering::Relaxed};

/// Slots in the ring: more exits than this in one window lose the oldest.
const SLOTS: usize = 4096;

struct Slot {
    /// The exit's sequence number + 1 once the slot is written; 0 before.
    seq: AtomicU64,
    tid: AtomicI32,
    cpu_ns: AtomicU64,
    birth_ns: AtomicU64,
    death_ns: AtomicU64,
}

#[allow(clippy::declare_interior_mutable_const)] // a template for the array
const EMPTY: Slot = Slot {
    seq: AtomicU64::new(0),
    tid: AtomicI32::new(0),
    cpu_ns: AtomicU64::new(0),
    birth_ns: AtomicU64::new(0),
    death_ns: AtomicU64::new(0),
};

static RING: [Slot; SLOTS] = [EMPTY; SLOTS];
static NEXT: AtomicU64 = AtomicU64::new(0);

/// One thread's end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Exit {
    pub tid: i32,
    pub cpu_ns: u64,
    /// Its start on `CLOCK_BOOTTIME` (0 where not noted).
    pub birth_ns: u64,
    /// Its end on `CLOCK_BOOTTIME`.
    pub death_ns: u64,
}

thread_local! {
    static BORN: Cell<u64> = const { Cell::new(0) };
}

/// Notes the calling thread's start, once (later calls keep the first):
/// call it early on every thread, e.g. on its first allocation, so that
/// [`record_thread_exit`] knows how long it lived.
#[inline]
pub(crate) fn note_thread_start() {
    BORN.with(|born| {
        if born.get() == 0 {
            born.set(clock_ns(libc::CLOCK_BOOTTIME));
        }
    });
}

/// Records the calling thread's CPU time and life as it ends. Call it
/// from the last thread-local destructor a thread runs (the allocator's
/// counters); calling it earlier records the thread as ended.
pub(crate) fn record_thread_exit() {
    // SAFETY: gettid has no preconditions.
    let tid = unsafe { libc::gettid() };
    let cpu_ns = clock_ns(libc::CLOCK_THREAD_CPUTIME_ID);
    let death_ns = clock_ns(libc::CLOCK_BOOTTIME);
    // During teardown a thread-local may be gone: then the birth is unknown.
    let birth_ns = BORN.try_with(Cell::get).unwrap_or(0);
    let seq = NEXT.fetch_add(1, Relaxed);
    let slot = &RING[(seq % SLOTS as u64) as usize];
    slot.seq.store(0, Relaxed);
    slot.tid.store(tid, Relaxed);
    slot.cpu_ns.store(cpu_ns, Relaxed);
    slot.birth_ns.store(birth_ns, Relaxed);
    slot.death_ns.store(death_ns, Relaxed);
    slot.seq
        .store(seq + 1, std::sync::atomic::Ordering::Release);
}

/// The ring's position: exits recorded so far.
pub(super) fn position() -> u64 {
    NEXT.load(Acquire)
}

/// Calls `each` with the exits recorded between positions `from` and
/// `to`; returns how many of them were lost (overwritten, or still being
/// written).
pub(super) fn between(from: u64, to: u64, mut each: impl FnMut(Exit)) -> u64 {
    let mut lost = 0;
    for seq in from..to {
        if to - seq > SLOTS as u64 {
            lost += 1;
            continue;
        }
        let slot = &RING[(seq % SLOTS as u64) as usize];
        if slot.seq.load(Acquire) != seq + 1 {
            lost += 1;
            continue;
        }
        let exit = Exit {
            tid: slot.tid.load(Relaxed),
            cpu_ns: slot.cpu_ns.load(Relaxed),
            birth_ns: slot.birth_ns.load(Relaxed),
            death_ns: slot.death_ns.load(Relaxed),
        };
        // A writer that lapped the ring meanwhile makes the read unsure.
        if slot.seq.load(Acquire) == seq + 1 {
            each(exit);
        } else {
            lost += 1;
        }
    }
    lost
}

pub(super) fn clock_ns(clock: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes the timespec it is given.
    unsafe { libc::clock_gettime(clock, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ending_thread_leaves_its_cpu_time() {
        let from = position();
        let tid = std::thread::spawn(|| {
            note_thread_start();
            let start = clock_ns(libc::CLOCK_THREAD_CPUTIME_ID);
            while clock_ns(libc::CLOCK_THREAD_CPUTIME_ID) - start < 20_000_000 {
                std::hint::spin_loop();
            }
            record_thread_exit();
            // SAFETY: gettid has no preconditions.
            unsafe { libc::gettid() }
        })
        .join()
        .unwrap();
        let mut mine = Vec::new();
        let lost = between(from, position(), |e| {
            if e.tid == tid {
                mine.push(e)
            }
        });
        assert_eq!(lost, 0);
        assert_eq!(mine.len(), 1, "{mine:?}");
        let e = mine[0];
        assert!(e.cpu_ns >= 20_000_000, "{mine:?}");
        // It lived at least its CPU time from its noted start, less the
        // CPU the thread spent starting before it noted it (10 µs seen in
        // a debug build: 20.0029 ms lived, 20.0127 ms of CPU).
        assert!(
            e.birth_ns > 0 && e.death_ns - e.birth_ns + 1_000_000 >= e.cpu_ns,
            "{mine:?}"
        );
        // A thread that noted no start has none.
        let from = position();
        std::thread::spawn(record_thread_exit).join().unwrap();
        let mut births = Vec::new();
        between(from, position(), |e| births.push(e.birth_ns));
        assert!(births.contains(&0), "{births:?}");
    }

    #[test]
    fn a_lapped_window_counts_what_it_lost() {
        let from = position();
        let threads: Vec<_> = (0..4)
            .map(|_| std::thread::spawn(record_thread_exit))
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        let to = position();
        let mut seen = 0;
        assert_eq!(between(from, to, |_| seen += 1), 0);
        assert!(seen >= 4);
        // Positions not written yet, and a window longer than the ring:
        // nothing is read from a slot that does not hold that exit.
        let (ahead, mut read) = (to + 1_000_000, 0);
        let lost = between(ahead, ahead + SLOTS as u64 + 3, |_| read += 1);
        assert_eq!((lost, read), (SLOTS as u64 + 3, 0));
    }
}
