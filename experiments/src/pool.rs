//! Object pools, the seed's sync.Pool exercise (`f1` vs `f2`): every
//! operation gets a byte buffer, writes `payload` bytes ("dirty") into it
//! and lets it go.
//!
//! `fresh` is `f1`: `Vec::new()` plus one write, exactly one allocation per
//! operation (Go's `&bytes.Buffer{}` escapes to the heap the same way).
//! `mutex_pool` is the textbook free list, a `Mutex<Vec<Vec<u8>>>` shared by
//! every thread; `thread_local_pool` is a per-thread free list, which is what
//! sync.Pool's per-P private slot really is; `reuse` keeps one caller-owned
//! buffer per thread. The three reusing variants make no allocation per
//! operation once warm, and every variant clears the buffer before writing
//! (the seed's `f2` does not), which the digest checks.

use std::cell::RefCell;
use std::hash::Hasher;
use std::hint::black_box;
use std::io;
use std::sync::Mutex;

use rayon::prelude::*;

use tuner_api::{Bench, Context, Digest, Expect, Lesson, Params, Workload};

const NOTES: &str = "Go (seed, measured elsewhere): f1 43.5 ns/op, 64 B/op, 1 allocs/op; \
f2 (sync.Pool) 38.2 ns/op, 14 B/op, 0 allocs/op. \
As in Go, an op here is one buffer taken, written and let go. Go's 64 B/op is \
bytes.Buffer's 64-byte first allocation; Rust's Vec grows to 8 bytes for the 5-byte \
write. Go's 14 B/op for f2 comes from its pooled buffers never being reset.\n\n\
The Rust twist: there is no garbage collector to relieve, so a pool can only win by \
beating the allocator's own per-thread cache, which serves a small malloc and free in a \
few nanoseconds. A `Mutex` free list pays an uncontended lock and unlock (an atomic \
read-modify-write each) twice per operation, and whether that beats the allocator depends \
on what an atomic costs on the CPU (a hypothesis: the run measures the times, not the \
atomics). A thread-local free list pays neither, and that, not a shared list, is the \
shape of sync.Pool's fast path (a private slot per P). With more than one thread the shared \
`Mutex` is contended and every operation bounces its cache line between cores. The \
allocator axis shows how much a fast allocator leaves for a pool to save.";

/// The `pool` experiment: a run is `ops` buffer operations split across
/// the pool's threads, so each variant is a [`PoolWorkload`] that reports
/// them as its operations.
pub fn bench() -> Bench {
    let mut bench = Bench::new("pool")
        .about("get a buffer, write a few bytes, drop it: fresh Vec vs shared pool vs thread-local pool vs reuse")
        .uses_threads()
        .notes(NOTES)
        .lesson(
            Lesson::new(
                "a pooled buffer (thread_local_pool: sync.Pool's per-P private slot) beats a fresh one (f2 vs f1)",
                &[("variant", "fresh"), ("threads", "1")],
                &[("variant", "thread_local_pool")],
                Expect::Faster,
            )
            .workshop(
                "sync.Pools",
                "Opt tip: Use sync.Pool is reduced your memory allocation pressure.",
            )
            .rust_note(
                "there is no collector to relieve: a pool wins only by beating the \
allocator's own per-thread cache",
            ),
        )
        .lesson(
            Lesson::new(
                "a pool shared by concurrent clients (thread_local_pool, sharded as sync.Pool is) scales under load",
                &[("variant", "fresh"), ("threads", "2")],
                &[("variant", "thread_local_pool")],
                Expect::Faster,
            )
            .workshop(
                "sync.Pools",
                "The store scales under load (when many goroutines are actively printing) and shrinks when quiescent.",
            ),
        )
        .lesson(
            Lesson::new(
                "a free list behind one shared Mutex (not sync.Pool's design) does not beat a fresh buffer under load",
                &[("variant", "fresh"), ("threads", "2")],
                &[("variant", "mutex_pool")],
                Expect::NoFaster,
            )
            .rust_note(
                "an uncontended Mutex may cost less than a malloc and free where atomics are cheap",
            ),
        );
    let payload = bench.param_in(
        "payload",
        5usize,
        1..=1 << 20,
        "bytes written into the buffer per operation (5 = the seed's \"dirty\")",
    );
    let ops = bench.param_in(
        "ops",
        100_000usize,
        1..=1_000_000_000,
        "buffer operations per run, split across the threads",
    );
    let workload = move |strategy| {
        move |p: &Params, ctx: &Context| PoolWorkload {
            strategy,
            payload: dirty(p.get(payload)),
            slots: split_ops(p.get(ops), ctx.threads.max(1)),
            pool: Mutex::new(Vec::new()),
        }
    };
    bench
        .variant_workload("fresh", workload(Strategy::Fresh))
        .help("a new Vec per operation (the seed's f1, `&bytes.Buffer{}`)")
        .variant_workload("mutex_pool", workload(Strategy::MutexPool))
        .help("take a buffer from a shared Mutex<Vec<Vec<u8>>> free list and put it back")
        .variant_workload("thread_local_pool", workload(Strategy::ThreadLocalPool))
        .help("take a buffer from a per-thread free list (sync.Pool's private slot)")
        .variant_workload("reuse", workload(Strategy::Reuse))
        .help("one caller-owned buffer per thread, cleared before each write")
}

#[derive(Clone, Copy, Debug)]
enum Strategy {
    Fresh,
    MutexPool,
    ThreadLocalPool,
    Reuse,
}

/// One thread's share of a run: its operation count, its caller-owned
/// buffer (for `reuse`) and the bytes its buffers held after each write.
///
/// Aligned to two cache lines so that threads writing their own slot (the
/// buffer's length, every operation) never share a line: without it the
/// slots' placement, which depends on the allocator, decided whether
/// `reuse` on 2 threads ran at 2 ns/op or, with false sharing, 40 ns/op.
#[derive(Default)]
#[repr(align(128))]
struct Slot {
    ops: usize,
    own: Vec<u8>,
    written: u64,
}

/// `len` bytes of "dirtydirty...".
fn dirty(len: usize) -> Vec<u8> {
    b"dirty".iter().copied().cycle().take(len).collect()
}

/// Splits `ops` as evenly as possible into `threads` slots.
fn split_ops(ops: usize, threads: usize) -> Vec<Slot> {
    (0..threads)
        .map(|i| Slot {
            ops: ops / threads + usize::from(i < ops % threads),
            ..Slot::default()
        })
        .collect()
}

struct PoolWorkload {
    strategy: Strategy,
    payload: Vec<u8>,
    slots: Vec<Slot>,
    pool: Mutex<Vec<Vec<u8>>>,
}

impl PoolWorkload {
    /// Runs one slot's operations, recording the bytes its buffers held.
    fn run_slot(strategy: Strategy, payload: &[u8], pool: &Mutex<Vec<Vec<u8>>>, slot: &mut Slot) {
        let own = &mut slot.own;
        slot.written = match strategy {
            Strategy::Fresh => repeat(slot.ops, || fresh(payload)),
            Strategy::MutexPool => repeat(slot.ops, || from_mutex_pool(pool, payload)),
            Strategy::ThreadLocalPool => repeat(slot.ops, || from_thread_local_pool(payload)),
            Strategy::Reuse => repeat(slot.ops, || reuse(own, payload)),
        };
    }
}

impl Workload for PoolWorkload {
    fn run(&mut self) -> io::Result<()> {
        let (strategy, payload, pool) = (self.strategy, &self.payload[..], &self.pool);
        let work = |slot: &mut Slot| Self::run_slot(strategy, payload, pool, slot);
        match self.slots.as_mut_slice() {
            [only] => work(only),
            // One slot per pool thread; rayon's join-based splitting spreads
            // them without a heap allocation of its own.
            slots => slots.par_iter_mut().with_max_len(1).for_each(work),
        }
        Ok(())
    }

    fn ops_per_run(&self) -> u64 {
        self.slots.iter().map(|s| s.ops as u64).sum()
    }

    fn output_digest(&mut self) -> io::Result<u64> {
        let mut d = Digest::default();
        let ops: usize = self.slots.iter().map(|s| s.ops).sum();
        let written: u64 = self.slots.iter().map(|s| s.written).sum();
        d.write_usize(ops);
        d.write_u64(written);
        d.write(&self.payload);
        Ok(d.finish())
    }
}

/// Calls `op` `times` times and sums what it returns.
fn repeat(times: usize, mut op: impl FnMut() -> usize) -> u64 {
    (0..times).map(|_| op() as u64).sum()
}

/// The seed's `f1`: a new buffer, one write, dropped. Returns its length.
pub fn fresh(payload: &[u8]) -> usize {
    let mut buf = Vec::new();
    buf.extend_from_slice(payload);
    // The buffer "escapes": without this the compiler may elide the allocation.
    black_box(&mut buf);
    buf.len()
}

/// The seed's `f2` over a shared free list: get (or make) a buffer, clear
/// it, write, put it back. Returns the length it held.
pub fn from_mutex_pool(pool: &Mutex<Vec<Vec<u8>>>, payload: &[u8]) -> usize {
    // A free list stays valid even if a holder panicked.
    let take = || pool.lock().unwrap_or_else(|e| e.into_inner()).pop();
    let mut buf = take().unwrap_or_default();
    let len = fill(&mut buf, payload);
    pool.lock().unwrap_or_else(|e| e.into_inner()).push(buf);
    len
}

std::thread_local! {
    static LOCAL_POOL: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

/// `f2` over this thread's own free list: no lock, no sharing.
pub fn from_thread_local_pool(payload: &[u8]) -> usize {
    let mut buf = LOCAL_POOL.with_borrow_mut(Vec::pop).unwrap_or_default();
    let len = fill(&mut buf, payload);
    LOCAL_POOL.with_borrow_mut(|pool| pool.push(buf));
    len
}

/// A caller-owned buffer, cleared and written.
pub fn reuse(buf: &mut Vec<u8>, payload: &[u8]) -> usize {
    fill(buf, payload)
}

/// Clears `buf` (the `Reset` the seed forgot) and writes `payload` into it.
/// A buffer that is kept (pooled or reused) starts with a cache line of
/// its own: two threads' 8-byte buffers can otherwise sit in one line and
/// slow each other's every write (false sharing), by an amount that
/// depends on where the allocator happened to place them.
fn fill(buf: &mut Vec<u8>, payload: &[u8]) -> usize {
    const CACHE_LINE: usize = 64;
    buf.clear();
    if buf.capacity() == 0 {
        buf.reserve(payload.len().max(CACHE_LINE));
    }
    buf.extend_from_slice(payload);
    black_box(&mut *buf);
    buf.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;
    use tuner_api::{Buffering, Experiment, ParamValue};

    fn exp() -> &'static dyn Experiment {
        testing::experiment("pool")
    }

    fn params(payload: i64, ops: i64) -> Params {
        testing::params(
            exp(),
            &[
                ("payload", ParamValue::Int(payload)),
                ("ops", ParamValue::Int(ops)),
            ],
        )
    }

    fn assert_all_equal(digests: &[(&str, u64)]) {
        assert!(
            digests.iter().all(|(_, d)| *d == digests[0].1),
            "{digests:?}"
        );
    }

    #[test]
    fn every_variant_produces_one_digest_on_one_and_many_threads() {
        let dir = tempfile::tempdir().unwrap();
        let params = params(5, 1001);
        let one = testing::digests(
            exp(),
            &params,
            &testing::context(1, Buffering::Unbuffered, dir.path()),
        );
        assert_eq!(one.len(), 4);
        assert_all_equal(&one);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap();
        let ctx = testing::context(3, Buffering::Unbuffered, dir.path());
        let three = pool.install(|| testing::digests(exp(), &params, &ctx));
        assert_all_equal(&three);
        assert_eq!(one[0].1, three[0].1);
    }

    #[test]
    fn digest_changes_with_payload_and_ops() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = testing::context(1, Buffering::Unbuffered, dir.path());
        let digest = |p| testing::digests(exp(), &p, &ctx)[0].1;
        let base = digest(params(5, 100));
        assert_ne!(base, digest(params(6, 100)));
        assert_ne!(base, digest(params(5, 101)));
    }

    #[test]
    fn fresh_makes_exactly_one_allocation_whatever_the_payload() {
        for payload in [1, 5, 64, 100_000] {
            let bytes = dirty(payload);
            assert_eq!(
                testing::allocations(|| assert_eq!(fresh(&bytes), payload)),
                1
            );
        }
    }

    #[test]
    fn allocations_per_run_are_exact_once_warm() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = testing::context(1, Buffering::Unbuffered, dir.path());
        let want = [
            ("fresh", 250),
            ("mutex_pool", 0),
            ("thread_local_pool", 0),
            ("reuse", 0),
        ];
        for (variant, allocs) in want {
            let mut w = exp().build(variant, &params(5, 250), &ctx).unwrap();
            w.run().unwrap();
            let counted = testing::allocations(|| w.run().unwrap());
            assert_eq!(counted, allocs, "variant {variant}");
        }
    }

    #[test]
    fn pooled_buffers_are_cleared_before_reuse() {
        let pool = Mutex::new(vec![b"stale contents".to_vec()]);
        assert_eq!(from_mutex_pool(&pool, b"dirty"), 5);
        assert_eq!(pool.into_inner().unwrap(), vec![b"dirty".to_vec()]);
        let mut own = b"old".to_vec();
        assert_eq!(reuse(&mut own, b"dirty"), 5);
        assert_eq!(own, b"dirty");
    }

    #[test]
    fn a_contended_pool_never_holds_more_buffers_than_threads() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(4)
            .build()
            .unwrap();
        let shared = Mutex::new(Vec::new());
        let mut slots = split_ops(10_000, 4);
        pool.install(|| {
            slots.par_iter_mut().for_each(|slot| {
                PoolWorkload::run_slot(Strategy::MutexPool, b"dirty", &shared, slot)
            })
        });
        assert_eq!(slots.iter().map(|s| s.written).sum::<u64>(), 50_000);
        let held = shared.into_inner().unwrap().len();
        assert!((1..=4).contains(&held), "{held} buffers");
    }

    #[test]
    fn ops_split_evenly_across_threads() {
        let ops: Vec<usize> = split_ops(10, 4).iter().map(|s| s.ops).collect();
        assert_eq!(ops, [3, 3, 2, 2]);
    }

    #[test]
    fn payload_spells_dirty() {
        assert_eq!(dirty(5), b"dirty");
        assert_eq!(dirty(7), b"dirtydi");
    }
}
