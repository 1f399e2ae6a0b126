//! Lock scope, the seed's "heavy work in mutexes" and "don't lock around
//! I/O" tips: `threads` threads (the threads knob) append `records` lines
//! to one shared log file; producing a line costs `work` rounds of hashing
//! plus its formatting.
//!
//! Every variant makes exactly one device write per line, a positioned
//! write (`pwrite`) at the line's own place in the file, so the variants
//! differ only in what a thread holds while it works and while its write
//! happens:
//!
//! - `under_lock`: the log's `Mutex` across producing the line and its write;
//! - `format_outside`: produces the line first, holds the `Mutex` for the write;
//! - `write_outside`: holds the `Mutex` only to take the line's place in
//!   the file (the blog's fix: shared state under the lock, I/O outside);
//! - `no_lock`: takes its place with one atomic add; nothing is locked;
//! - `channel`: sends each line to one writer thread that owns the file:
//!   no lock, but only one write in flight.
//!
//! The device is slow on purpose when `io_latency_us` > 0: every write
//! first sleeps that long, so a thread holding the lock across its write
//! makes every other thread wait for the device too. The file is created
//! once per process and every run overwrites it in place (each run writes
//! the same bytes, in an order that depends on scheduling): creating and
//! deleting a file per run made ext4's journal stall a run for a few
//! milliseconds now and then, noise that has nothing to do with locks.
//! The digest is of the set of lines, not their order.

use std::fs::File;
use std::hash::Hasher;
use std::io;
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tuner_api::{Bench, Context, Digest, Expect, Lesson, Params, Workload};

/// The variants, in the order `list` shows them, with their strategies.
const VARIANTS: &[(&str, &str, Strategy)] = &[
    (
        "under_lock",
        "produce and write each line while holding the log's Mutex",
        Strategy::Producers(under_lock),
    ),
    (
        "format_outside",
        "produce the line outside the lock, hold it for the write",
        Strategy::Producers(format_outside),
    ),
    (
        "write_outside",
        "hold the Mutex only to take the line's place in the file; write outside it",
        Strategy::Producers(write_outside),
    ),
    (
        "no_lock",
        "take the line's place with an atomic add; no lock at all",
        Strategy::Producers(no_lock),
    ),
    (
        "channel",
        "send each line over an mpsc channel to one writer thread that owns the file",
        Strategy::Channel,
    ),
];

const NOTES: &str = "Every variant makes the same number of device writes (one per line, \
counted in the tests), so the table compares only what is held while the work and the I/O \
happen. With one thread nothing waits for a lock and the variants tie; the threads axis \
shows the contention. The simulated latency is a sleep, which overshoots by the kernel's \
timer slack, so a 20 µs device takes longer per write than 20 µs (how much depends on the \
kernel: a hypothesis this run's times per write can check). At `io_latency_us = 0` the \
writes still serialize inside the kernel (ext4 takes the file's inode lock for a write), so \
moving the write out of the Mutex buys little there; the heavy work is what then decides.\n\n\
The Rust twist: the borrow checker makes \"what does the lock protect\" explicit (here a \
`Mutex<u64>`, the log's end), and a `MutexGuard`'s scope is the lock's extent, so holding \
it across I/O is visible in the code. A positioned write (`FileExt::write_all_at`) needs \
only `&File`, so once a thread owns its place in the file no lock is needed to write there.";

/// The `lock-scope` experiment: each variant is a [`SharedLog`], whose
/// file is the output and whose digest is of its set of lines.
pub fn bench() -> Bench {
    let mut bench = Bench::new("lock-scope")
        .about("threads append lines to one file, one write each: work and I/O under the lock vs I/O under it vs neither vs a writer thread")
        .uses_threads()
        .notes(NOTES)
        .lesson(Lesson::new(
            "heavy work inside a mutex makes every other thread wait for it: do it outside",
            &[("variant", "under_lock"), ("threads", "2"), ("io_latency_us", "0")],
            &[("variant", "format_outside")],
            Expect::Faster,
        ))
        .lesson(Lesson::new(
            "don't lock around I/O: hold the lock for the shared state, write outside it",
            &[("variant", "format_outside"), ("threads", "4"), ("io_latency_us", "20")],
            &[("variant", "write_outside")],
            Expect::Faster,
        ))
        .lesson(Lesson::new(
            "once the I/O is outside it, the lock itself is cheap: a Mutex held to take a place ties with an atomic add",
            &[("variant", "write_outside"), ("threads", "4"), ("io_latency_us", "20")],
            &[("variant", "no_lock")],
            Expect::Tie,
        ));
    let records = bench.param_in(
        "records",
        1000usize,
        1..=10_000_000,
        "lines written per operation, split across the threads (at most 10^7: about 500 MB of file)",
    );
    let work = bench.param_in(
        "work",
        1000u64,
        0..=1_000_000,
        "hash rounds spent producing each line: the heavy work (about 1 ns each)",
    );
    let latency = bench.param_in(
        "io_latency_us",
        0u64,
        0..=1_000_000,
        "simulated device latency: sleep this many µs before each write",
    );
    for &(name, help, strategy) in VARIANTS {
        bench = bench
            .variant_workload(name, move |p: &Params, ctx: &Context| {
                let latency = Duration::from_micros(p.get(latency));
                SharedLog::new(strategy, p.get(records), p.get(work), latency, ctx)
            })
            .help(help);
    }
    bench
}

/// One producer thread's loop over its records, sharing the log; returns
/// the device writes it made (counted per thread: a shared counter would
/// itself be contended).
type Producer = fn(Range<usize>, u64, &Log) -> io::Result<u64>;

#[derive(Clone, Copy)]
enum Strategy {
    Producers(Producer),
    Channel,
}

/// A file whose every write first waits `latency`: a slow device. Writes
/// are positioned, so they need no `&mut` and no lock of their own.
struct Device {
    file: File,
    latency: Duration,
}

impl Device {
    /// One device write of `line` at `offset`.
    fn write_at(&self, line: &[u8], offset: u64) -> io::Result<()> {
        if !self.latency.is_zero() {
            std::thread::sleep(self.latency);
        }
        self.file.write_all_at(line, offset)
    }
}

/// What the threads share during one run: the device, and the log's end
/// (where the next line goes) behind a `Mutex` for the locking variants
/// or in an atomic for `no_lock`.
struct Log<'d> {
    device: &'d Device,
    end: Mutex<u64>,
    end_atomic: AtomicU64,
    /// How many writes were in flight at once, at most (tests only: a
    /// shared counter would contend in the measured code).
    #[cfg(test)]
    flight: tests::Flight,
}

impl Log<'_> {
    /// One device write of `line` at `offset`.
    fn write_at(&self, line: &[u8], offset: u64) -> io::Result<()> {
        #[cfg(test)]
        let _in_flight = self.flight.enter();
        self.device.write_at(line, offset)
    }
}

struct SharedLog {
    strategy: Strategy,
    records: usize,
    work: u64,
    threads: usize,
    device: Device,
    path: PathBuf,
    /// Device writes the last run made.
    writes: u64,
    /// The most device writes the last run had in flight at once.
    #[cfg(test)]
    most_in_flight: usize,
}

impl SharedLog {
    fn new(
        strategy: Strategy,
        records: usize,
        work: u64,
        latency: Duration,
        ctx: &Context,
    ) -> io::Result<SharedLog> {
        Ok(SharedLog {
            strategy,
            records,
            work,
            threads: ctx.threads.max(1),
            device: Device {
                file: tuner_api::create_fresh(&ctx.sink_path())?,
                latency,
            },
            path: ctx.sink_path(),
            writes: 0,
            #[cfg(test)]
            most_in_flight: 0,
        })
    }
}

impl Workload for SharedLog {
    fn run(&mut self) -> io::Result<()> {
        let log = Log {
            device: &self.device,
            end: Mutex::new(0),
            end_atomic: AtomicU64::new(0),
            #[cfg(test)]
            flight: tests::Flight::default(),
        };
        let ranges = split(self.records, self.threads);
        self.writes = match self.strategy {
            Strategy::Producers(producer) => run_producers(producer, ranges, self.work, &log)?,
            Strategy::Channel => run_channel(ranges, self.work, &log)?,
        };
        #[cfg(test)]
        {
            self.most_in_flight = log.flight.most();
        }
        Ok(())
    }

    fn output_digest(&mut self) -> io::Result<u64> {
        Ok(digest_lines(&std::fs::read(&self.path)?))
    }
}

/// A lock that stays usable after a holder panicked (its panic is
/// reported through `join` anyway).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Splits `0..records` into `threads` contiguous ranges.
fn split(records: usize, threads: usize) -> Vec<Range<usize>> {
    let mut start = 0;
    (0..threads)
        .map(|t| {
            let len = records / threads + usize::from(t < records % threads);
            start += len;
            start - len..start
        })
        .collect()
}

/// Joins a thread the instrument can count: `join` waits for the thread's
/// exit, thread-local destructors included.
fn join<T>(handle: std::thread::ScopedJoinHandle<'_, io::Result<T>>) -> io::Result<T> {
    handle
        .join()
        .map_err(|_| io::Error::other("a writer thread panicked"))?
}

fn run_producers(
    producer: Producer,
    ranges: Vec<Range<usize>>,
    work: u64,
    log: &Log,
) -> io::Result<u64> {
    std::thread::scope(|s| {
        let handles: Vec<_> = ranges
            .into_iter()
            .map(|range| s.spawn(move || producer(range, work, log)))
            .collect();
        handles.into_iter().map(join).sum()
    })
}

/// Lines the writer thread's channel holds before a producer waits for
/// room. A bounded channel allocates its slots once; an unbounded one
/// allocates a block every few dozen lines, racing producers sometimes an
/// extra one, which would blur the exact allocation counts.
const QUEUE: usize = 1024;

fn run_channel(ranges: Vec<Range<usize>>, work: u64, log: &Log) -> io::Result<u64> {
    let (tx, rx) = mpsc::sync_channel(QUEUE);
    std::thread::scope(|s| {
        let writer = s.spawn(move || write_received(rx, log));
        let producers: Vec<_> = ranges
            .into_iter()
            .map(|range| {
                let tx = tx.clone();
                s.spawn(move || send_records(range, work, tx))
            })
            .collect();
        drop(tx);
        let sent: io::Result<u64> = producers.into_iter().map(join).sum();
        sent.and(join(writer))
    })
}

/// Record `i` as one line: `work` rounds of hashing, then some formatting
/// (a float, the hash in hex).
pub fn format_record(i: usize, work: u64, line: &mut String) {
    use std::fmt::Write as _;
    const NAMES: &[&str] = &["alpha", "bravo", "charlie", "delta", "echo"];
    let root = (i as f64).sqrt();
    let name = NAMES[i % NAMES.len()];
    let hash = (0..work).fold(mix(i as u64), |h, _| mix(h));
    writeln!(line, "{i:010} {root:.9} {hash:016x} {name}")
        .expect("writing to a String cannot fail");
}

/// splitmix64's finalizer: a cheap, well-mixed hash of `x`.
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Heavy work and I/O in the mutex: lock, produce, write, unlock.
fn under_lock(range: Range<usize>, work: u64, log: &Log) -> io::Result<u64> {
    let mut line = String::with_capacity(128);
    for i in range.clone() {
        let mut end = lock(&log.end);
        line.clear();
        format_record(i, work, &mut line);
        log.write_at(line.as_bytes(), *end)?;
        *end += line.len() as u64;
    }
    Ok(range.len() as u64)
}

/// Produce first; hold the lock only to write.
fn format_outside(range: Range<usize>, work: u64, log: &Log) -> io::Result<u64> {
    let mut line = String::with_capacity(128);
    for i in range.clone() {
        line.clear();
        format_record(i, work, &mut line);
        let mut end = lock(&log.end);
        log.write_at(line.as_bytes(), *end)?;
        *end += line.len() as u64;
    }
    Ok(range.len() as u64)
}

/// Hold the lock only to take the line's place; write with it released.
fn write_outside(range: Range<usize>, work: u64, log: &Log) -> io::Result<u64> {
    let mut line = String::with_capacity(128);
    for i in range.clone() {
        line.clear();
        format_record(i, work, &mut line);
        let place = {
            let mut end = lock(&log.end);
            let place = *end;
            *end += line.len() as u64;
            place
        };
        log.write_at(line.as_bytes(), place)?;
    }
    Ok(range.len() as u64)
}

/// Take the line's place with one atomic add; nothing is locked.
fn no_lock(range: Range<usize>, work: u64, log: &Log) -> io::Result<u64> {
    let mut line = String::with_capacity(128);
    for i in range.clone() {
        line.clear();
        format_record(i, work, &mut line);
        let place = log
            .end_atomic
            .fetch_add(line.len() as u64, Ordering::Relaxed);
        log.write_at(line.as_bytes(), place)?;
    }
    Ok(range.len() as u64)
}

/// Produces each record into its own message for the writer thread.
fn send_records(range: Range<usize>, work: u64, tx: SyncSender<String>) -> io::Result<u64> {
    for i in range {
        let mut line = String::with_capacity(64);
        format_record(i, work, &mut line);
        tx.send(line)
            .map_err(|_| io::Error::other("the writer thread hung up"))?;
    }
    Ok(0)
}

/// The writer thread: writes each line as it arrives, one device write
/// per line, until every sender is gone. Returns the writes it made.
fn write_received(rx: Receiver<String>, log: &Log) -> io::Result<u64> {
    let (mut end, mut writes) = (0, 0);
    for line in rx {
        log.write_at(line.as_bytes(), end)?;
        end += line.len() as u64;
        writes += 1;
    }
    Ok(writes)
}

/// An order-independent digest of `text`'s lines: their count and the
/// wrapping sum of each line's hash.
fn digest_lines(text: &[u8]) -> u64 {
    let (mut count, mut sum) = (0u64, 0u64);
    for line in text.split_inclusive(|b| *b == b'\n') {
        let mut d = Digest::default();
        d.write(line);
        sum = sum.wrapping_add(d.finish());
        count += 1;
    }
    let mut d = Digest::default();
    d.write_u64(count);
    d.write_u64(sum);
    d.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;
    use std::sync::atomic::AtomicUsize;
    use tuner_api::{Buffering, Experiment, ParamValue};

    /// Counts writes in flight and remembers the most at once.
    #[derive(Default)]
    pub(super) struct Flight {
        now: AtomicUsize,
        most: AtomicUsize,
    }

    /// One write in flight, until dropped.
    pub(super) struct InFlight<'a>(&'a Flight);

    impl Flight {
        pub(super) fn enter(&self) -> InFlight<'_> {
            let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
            self.most.fetch_max(now, Ordering::SeqCst);
            InFlight(self)
        }

        pub(super) fn most(&self) -> usize {
            self.most.load(Ordering::SeqCst)
        }
    }

    impl Drop for InFlight<'_> {
        fn drop(&mut self) {
            self.0.now.fetch_sub(1, Ordering::SeqCst);
        }
    }

    fn exp() -> &'static dyn Experiment {
        testing::experiment("lock-scope")
    }

    fn params(records: i64, work: i64, latency_us: i64) -> Params {
        testing::params(
            exp(),
            &[
                ("records", ParamValue::Int(records)),
                ("work", ParamValue::Int(work)),
                ("io_latency_us", ParamValue::Int(latency_us)),
            ],
        )
    }

    fn expected_lines(records: usize, work: u64) -> Vec<String> {
        (0..records)
            .map(|i| {
                let mut line = String::new();
                format_record(i, work, &mut line);
                line
            })
            .collect()
    }

    /// Runs `variant` once on `threads` threads and returns the workload.
    fn run(variant: &str, params: &Params, threads: usize, dir: &std::path::Path) -> SharedLog {
        let ctx = testing::context(threads, Buffering::Unbuffered, dir);
        let (_, _, strategy) = VARIANTS.iter().find(|v| v.0 == variant).unwrap();
        let latency = Duration::from_micros(params.int("io_latency_us") as u64);
        let (records, work) = (params.usize("records"), params.int("work") as u64);
        let mut w = SharedLog::new(*strategy, records, work, latency, &ctx).unwrap();
        w.run().unwrap();
        w
    }

    #[test]
    fn every_variant_writes_the_same_lines_on_one_and_many_threads() {
        let dir = tempfile::tempdir().unwrap();
        let params = params(5000, 10, 0);
        let mut all = Vec::new();
        for threads in [1, 3, 4] {
            let ctx = testing::context(threads, Buffering::Unbuffered, dir.path());
            all.extend(testing::digests(exp(), &params, &ctx));
        }
        assert_eq!(all.len(), 3 * VARIANTS.len());
        assert!(all.iter().all(|(_, d)| *d == all[0].1), "{all:?}");
        let ctx = testing::context(2, Buffering::Unbuffered, dir.path());
        let fewer = testing::digests(exp(), &super::tests::params(4999, 10, 0), &ctx);
        assert_ne!(fewer[0].1, all[0].1);
        let more_work = testing::digests(exp(), &super::tests::params(5000, 11, 0), &ctx);
        assert_ne!(more_work[0].1, all[0].1);
    }

    #[test]
    fn every_variant_makes_one_device_write_per_line() {
        let dir = tempfile::tempdir().unwrap();
        let records = 3001;
        for &(variant, _, _) in VARIANTS {
            for threads in [1, 4] {
                let w = run(variant, &params(records, 0, 0), threads, dir.path());
                assert_eq!(w.writes, records as u64, "{variant} on {threads} threads");
            }
        }
    }

    #[test]
    fn the_file_holds_every_record_exactly_once_after_every_run() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = testing::context(4, Buffering::Unbuffered, dir.path());
        let records = 6000;
        for &(variant, _, _) in VARIANTS {
            let mut w = exp().build(variant, &params(records, 3, 0), &ctx).unwrap();
            // Twice: the second run overwrites the first in place.
            w.run().unwrap();
            w.run().unwrap();
            let text = std::fs::read_to_string(ctx.sink_path()).unwrap();
            let mut lines: Vec<String> = text.split_inclusive('\n').map(String::from).collect();
            lines.sort();
            let mut want = expected_lines(records as usize, 3);
            want.sort();
            assert_eq!(lines, want, "{variant}");
        }
    }

    #[test]
    fn records_are_formatted_in_full() {
        let mut line = String::new();
        format_record(16, 0, &mut line);
        assert_eq!(
            line,
            format!("0000000016 4.000000000 {:016x} bravo\n", mix(16))
        );
        line.clear();
        format_record(16, 2, &mut line);
        assert!(
            line.contains(&format!("{:016x}", mix(mix(mix(16))))),
            "{line}"
        );
    }

    #[test]
    fn a_write_under_the_lock_makes_the_others_wait_for_the_device() {
        // Four threads, 40 lines, 2 ms per write. Under the lock (or through
        // one writer) one write is in flight at a time and the writes take
        // at least 80 ms in turn; outside it they overlap.
        let dir = tempfile::tempdir().unwrap();
        let params = params(40, 0, 2000);
        for variant in ["under_lock", "format_outside", "channel"] {
            let start = std::time::Instant::now();
            let w = run(variant, &params, 4, dir.path());
            assert_eq!(w.most_in_flight, 1, "{variant}");
            assert!(start.elapsed() >= Duration::from_millis(80), "{variant}");
        }
        for variant in ["write_outside", "no_lock"] {
            let w = run(variant, &params, 4, dir.path());
            assert!(w.most_in_flight > 1, "{variant}: {}", w.most_in_flight);
        }
    }

    #[test]
    fn ranges_cover_every_record_once() {
        assert_eq!(split(10, 4), [0..3, 3..6, 6..8, 8..10]);
        assert_eq!(split(2, 3), [0..1, 1..2, 2..2]);
    }

    #[test]
    fn line_digest_ignores_order_but_not_content() {
        assert_eq!(digest_lines(b"a\nb\n"), digest_lines(b"b\na\n"));
        assert_ne!(digest_lines(b"a\nb\n"), digest_lines(b"a\nc\n"));
        assert_ne!(digest_lines(b"a\n"), digest_lines(b"a\na\n"));
    }
}
