//! Lock scope, the seed's "heavy work in mutexes" and "don't lock around
//! I/O" tips: `threads` threads (the threads knob) write `records`
//! formatted lines to one shared file.
//!
//! `under_lock` formats and writes each record while holding the sink's
//! `Mutex`; `format_outside` formats first and holds the lock only for the
//! write; `copy_under_lock` is the blog's fix — under a lock it only
//! copies the line into a shared batch, and whoever fills the batch swaps
//! it out and does the I/O outside that lock (under the sink's own lock, so
//! other threads keep appending meanwhile); `channel` sends each line to one
//! writer thread over `std::sync::mpsc`, which drains what has arrived into
//! one write.
//!
//! The device is slow on purpose when `io_latency_us` > 0: every write that
//! reaches the file first sleeps that long, *below* the buffering knob, so
//! a `BufWriter` pays the latency once per flush and the variants differ in
//! who waits for it. (A sleep overshoots by the timer slack, ~50 µs on
//! Linux.) Threads interleave lines in any order, so the digest is of the
//! set of lines, not their order.
//!
//! The Rust twist: the borrow checker makes "what does the lock protect"
//! explicit (`Mutex<Sink>`, `Mutex<Vec<u8>>`), and `MutexGuard` scoping
//! makes the lock's extent visible in the code.

use std::hash::Hasher;
use std::io::{self, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tuner_api::{
    Buffering, Context, Digest, Experiment, Info, Knobs, ParamKind, ParamSpec, ParamValue, Params,
    Sink, Variant, Workload,
};

pub struct LockScope;

const VARIANTS: &[Variant] = &[
    Variant {
        name: "under_lock",
        help: "format and write each record while holding the sink's Mutex",
    },
    Variant {
        name: "format_outside",
        help: "format outside the lock, hold it only for the write",
    },
    Variant {
        name: "copy_under_lock",
        help: "copy lines into a shared batch under a lock; swap full batches out and write them outside it",
    },
    Variant {
        name: "channel",
        help: "send each line over an mpsc channel to one writer thread, which batches what has arrived",
    },
];

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "records",
        kind: ParamKind::Int {
            min: 1,
            max: 100_000_000,
        },
        default: ParamValue::Int(10_000),
        help: "lines written per operation, split across the threads",
    },
    ParamSpec {
        name: "io_latency_us",
        kind: ParamKind::Int {
            min: 0,
            max: 1_000_000,
        },
        default: ParamValue::Int(0),
        help: "simulated device latency: sleep this many µs before each write reaching the file",
    },
];

/// A full batch is swapped out and written once it holds this many bytes.
const BATCH: usize = 64 * 1024;

const INFO: Info = Info {
    name: "lock-scope",
    description: "threads log to one file: I/O under the lock vs format outside vs copy under lock vs a writer thread",
    variants: VARIANTS,
    params: PARAMS,
    knobs: Knobs {
        threads: true,
        buffering: true,
        ..Knobs::NONE
    },
    notes: "",
};

impl Experiment for LockScope {
    fn info(&self) -> &'static Info {
        &INFO
    }
    fn build(
        &self,
        variant: &str,
        params: &Params,
        ctx: &Context,
    ) -> Result<Box<dyn Workload>, String> {
        let strategy = match variant {
            "under_lock" => Strategy::Locked(under_lock),
            "format_outside" => Strategy::Locked(format_outside),
            "copy_under_lock" => Strategy::Locked(copy_under_lock),
            "channel" => Strategy::Channel,
            other => return Err(format!("unknown variant `{other}`")),
        };
        Ok(Box::new(SharedLog {
            strategy,
            records: params.usize("records"),
            threads: ctx.threads.max(1),
            latency: Duration::from_micros(params.int("io_latency_us") as u64),
            path: ctx.sink_path(),
            buffering: ctx.buffering,
        }))
    }
}

/// One producer thread's loop over its records, sharing `Shared`.
type Producer = fn(Range<usize>, &Shared) -> io::Result<()>;

#[derive(Clone, Copy)]
enum Strategy {
    Locked(Producer),
    Channel,
}

/// What the producer threads share: the sink, and the batch that
/// `copy_under_lock` fills.
struct Shared {
    sink: Mutex<Sink>,
    batch: Mutex<Vec<u8>>,
}

struct SharedLog {
    strategy: Strategy,
    records: usize,
    threads: usize,
    latency: Duration,
    path: PathBuf,
    buffering: Buffering,
}

impl Workload for SharedLog {
    fn run(&mut self) -> io::Result<()> {
        let shared = Shared {
            sink: Mutex::new(open_slow_sink(&self.path, self.buffering, self.latency)?),
            batch: Mutex::new(Vec::new()),
        };
        let ranges = split(self.records, self.threads);
        match self.strategy {
            Strategy::Locked(producer) => run_locked(producer, ranges, &shared)?,
            Strategy::Channel => run_channel(ranges, &shared)?,
        }
        let mut sink = lock(&shared.sink);
        sink.write_all(&lock(&shared.batch))?;
        sink.flush()
    }

    fn output_digest(&mut self) -> io::Result<u64> {
        Ok(digest_lines(&std::fs::read(&self.path)?))
    }
}

/// A file whose every write first waits `latency`: a slow device.
struct SlowFile {
    file: std::fs::File,
    latency: Duration,
}

impl Write for SlowFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !self.latency.is_zero() {
            std::thread::sleep(self.latency);
        }
        self.file.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// A fresh sink file with the slow device under the buffering knob's writer.
fn open_slow_sink(path: &Path, buffering: Buffering, latency: Duration) -> io::Result<Sink> {
    let file = tuner_api::create_fresh(path)?;
    Ok(tuner_api::wrap_sink(SlowFile { file, latency }, buffering))
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

fn run_locked(producer: Producer, ranges: Vec<Range<usize>>, shared: &Shared) -> io::Result<()> {
    std::thread::scope(|s| {
        let handles: Vec<_> = ranges
            .into_iter()
            .map(|range| s.spawn(move || producer(range, shared)))
            .collect();
        handles.into_iter().try_for_each(join)
    })
}

fn run_channel(ranges: Vec<Range<usize>>, shared: &Shared) -> io::Result<()> {
    let (tx, rx) = mpsc::channel();
    std::thread::scope(|s| {
        let writer = s.spawn(move || write_received(rx, &mut lock(&shared.sink)));
        let producers: Vec<_> = ranges
            .into_iter()
            .map(|range| {
                let tx = tx.clone();
                s.spawn(move || send_records(range, tx))
            })
            .collect();
        drop(tx);
        let sent = producers.into_iter().try_for_each(join);
        join(writer).and(sent)
    })
}

/// Record `i` as one line: some formatting work (a float, a hex hash).
pub fn format_record(i: usize, line: &mut String) {
    use std::fmt::Write as _;
    const NAMES: &[&str] = &["alpha", "bravo", "charlie", "delta", "echo"];
    let root = (i as f64).sqrt();
    let name = NAMES[i % NAMES.len()];
    writeln!(line, "{i:010} {root:.9} {:016x} {name}", mix(i as u64))
        .expect("writing to a String cannot fail");
}

/// splitmix64's finalizer: a cheap, well-mixed hash of `x`.
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Heavy work and I/O in the mutex: lock, format, write, unlock.
fn under_lock(range: Range<usize>, shared: &Shared) -> io::Result<()> {
    let mut line = String::with_capacity(128);
    for i in range {
        let mut sink = lock(&shared.sink);
        line.clear();
        format_record(i, &mut line);
        sink.write_all(line.as_bytes())?;
    }
    Ok(())
}

/// Format first; hold the lock only to write.
fn format_outside(range: Range<usize>, shared: &Shared) -> io::Result<()> {
    let mut line = String::with_capacity(128);
    for i in range {
        line.clear();
        format_record(i, &mut line);
        lock(&shared.sink).write_all(line.as_bytes())?;
    }
    Ok(())
}

/// Copy under the batch lock; the thread that fills the batch swaps it for
/// its empty spare and writes it with the batch lock released.
fn copy_under_lock(range: Range<usize>, shared: &Shared) -> io::Result<()> {
    let mut line = String::with_capacity(128);
    let mut spare = Vec::with_capacity(BATCH);
    for i in range {
        line.clear();
        format_record(i, &mut line);
        {
            let mut batch = lock(&shared.batch);
            batch.extend_from_slice(line.as_bytes());
            if batch.len() < BATCH {
                continue;
            }
            std::mem::swap(&mut *batch, &mut spare);
        }
        lock(&shared.sink).write_all(&spare)?;
        spare.clear();
    }
    Ok(())
}

/// Formats each record into its own message for the writer thread.
fn send_records(range: Range<usize>, tx: Sender<String>) -> io::Result<()> {
    for i in range {
        let mut line = String::with_capacity(64);
        format_record(i, &mut line);
        tx.send(line)
            .map_err(|_| io::Error::other("the writer thread hung up"))?;
    }
    Ok(())
}

/// The writer thread: waits for a line, drains whatever else has arrived
/// (up to a batch), writes it all at once; until every sender is gone.
fn write_received(rx: Receiver<String>, sink: &mut Sink) -> io::Result<()> {
    let mut batch = Vec::with_capacity(BATCH);
    while let Ok(first) = rx.recv() {
        batch.extend_from_slice(first.as_bytes());
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(line) => batch.extend_from_slice(line.as_bytes()),
                Err(_) => break,
            }
        }
        sink.write_all(&batch)?;
        batch.clear();
    }
    Ok(())
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

    fn params(records: i64, latency_us: i64) -> Params {
        testing::params(
            &LockScope,
            &[
                ("records", ParamValue::Int(records)),
                ("io_latency_us", ParamValue::Int(latency_us)),
            ],
        )
    }

    fn expected_lines(records: usize) -> Vec<String> {
        (0..records)
            .map(|i| {
                let mut line = String::new();
                format_record(i, &mut line);
                line
            })
            .collect()
    }

    #[test]
    fn every_variant_writes_the_same_lines_on_one_and_four_threads() {
        let dir = tempfile::tempdir().unwrap();
        let params = params(5000, 0);
        let mut all = Vec::new();
        for (threads, buffering) in [
            (1, Buffering::Unbuffered),
            (4, Buffering::Unbuffered),
            (4, Buffering::Buffered { capacity: 1000 }),
            (3, Buffering::Line),
        ] {
            let ctx = testing::context(threads, buffering, dir.path());
            all.extend(testing::digests(&LockScope, &params, &ctx));
        }
        assert_eq!(all.len(), 4 * VARIANTS.len());
        assert!(all.iter().all(|(_, d)| *d == all[0].1), "{all:?}");
        let ctx = testing::context(2, Buffering::Unbuffered, dir.path());
        let fewer = testing::digests(&LockScope, &super::tests::params(4999, 0), &ctx);
        assert_ne!(fewer[0].1, all[0].1);
    }

    #[test]
    fn the_file_holds_every_record_exactly_once() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = testing::context(4, Buffering::Buffered { capacity: 512 }, dir.path());
        // Enough records to fill several 64 KiB batches.
        let records = 6000;
        for variant in VARIANTS {
            let mut w = LockScope
                .build(variant.name, &params(records, 0), &ctx)
                .unwrap();
            w.run().unwrap();
            let text = std::fs::read_to_string(ctx.sink_path()).unwrap();
            let mut lines: Vec<String> = text.split_inclusive('\n').map(String::from).collect();
            lines.sort();
            assert_eq!(lines, expected_lines(records as usize), "{}", variant.name);
        }
    }

    #[test]
    fn records_are_formatted_in_full() {
        let mut line = String::new();
        format_record(16, &mut line);
        assert_eq!(
            line,
            format!("0000000016 4.000000000 {:016x} bravo\n", mix(16))
        );
    }

    #[test]
    fn latency_is_paid_per_device_write() {
        let dir = tempfile::tempdir().unwrap();
        let time = |buffering, records| {
            let ctx = testing::context(2, buffering, dir.path());
            let mut w = LockScope
                .build("under_lock", &params(records, 2000), &ctx)
                .unwrap();
            let start = std::time::Instant::now();
            w.run().unwrap();
            start.elapsed()
        };
        // Unbuffered: one 2 ms sleep per record; buffered: one per flush.
        assert!(time(Buffering::Unbuffered, 20) >= Duration::from_millis(40));
        assert!(time(Buffering::Buffered { capacity: 1 << 20 }, 20) < Duration::from_millis(20));
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
