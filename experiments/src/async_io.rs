//! Parallel I/O, the seed's "parallelize" lesson on tokio: `tasks`
//! simulated requests, each waiting `latency_us` and then parsing its
//! response (`work` rounds of hashing).
//!
//! `sequential` awaits one request after another; `join_all` polls them
//! all concurrently inside one future (`futures_util::future::join_all`),
//! so their waits overlap but their parsing shares one thread; `join_set`
//! spawns each as a tokio task (`tokio::task::JoinSet`), so the parsing
//! also spreads over the runtime's workers (the threads knob); `os_threads`
//! is the synchronous alternative, a scoped thread per request.
//!
//! Where the wait comes from is the `device` parameter. By default a timer:
//! `tokio::time::sleep` for the async variants, `std::thread::sleep` for
//! `os_threads`. With `device = true`, a simulated device answers instead:
//! one thread that completes each request `latency_us` after it was sent
//! (sleeping with `std::thread::sleep` until the oldest one is due) through
//! a `tokio::sync::oneshot` channel, which a task awaits and a thread
//! blocks on; every variant then waits exactly as long.

use std::hash::Hasher;
use std::io;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use tokio::sync::oneshot;
use tokio::task::JoinSet;

use tuner_api::{Bench, Context, Digest, Expect, Lesson, Params, Workload};

const NOTES: &str = "The Rust twist: tokio's timer wheel has a resolution of one \
millisecond and rounds a deadline up to the next tick, so a 1 ms `tokio::time::sleep` \
waits between 1 and 2 ms, while `std::thread::sleep` overshoots only by the kernel's \
timer slack (~50 µs). With timer waits (`device = false`) that, not the cost of a task \
against a thread, decides whether tasks or threads win at sub-millisecond and \
millisecond latencies. With `device = true` every variant waits on the same µs-precise \
device thread, and what is left is what the lesson is about: spawning a tokio task \
costs an allocation and a queue push, an OS thread a `clone` syscall, a stack mapping \
and a join.";

/// The `async-io` experiment: each variant is a [`Requests`], which keeps
/// the runtime, the device thread (when `device` is on) and the last
/// operation's responses, and fails a run whose device hung up.
pub fn bench() -> Bench {
    let mut bench = Bench::new("async-io")
        .about("many simulated requests: sequential awaits vs join_all vs tokio tasks vs a thread each")
        .uses_threads()
        .uses_tokio()
        .notes(NOTES)
        .lesson(
            Lesson::new(
                "goroutines are far cheaper than threads: a task per request beats a thread per request",
                &[("variant", "os_threads")],
                &[("variant", "join_set")],
                Expect::Faster,
            )
            .workshop(
                "GOMAXPROCS",
                "Threads typically take up more resources than goroutines - a minimum thread stack typically is upwards of 1MB.",
            )
            .rust_note(
                "with timer waits, tokio's 1 ms timer wheel rounds each 1 ms wait up to 1-2 ms \
while std::thread::sleep overshoots by ~50 µs, so with few requests the timer decides, \
not the task; with device = true both sides wait equally long, and the more requests, \
the more the threads' start-up cost shows",
            ),
        )
        .lesson(Lesson::new(
            "overlap independent waits instead of waiting for each in turn",
            &[("variant", "sequential")],
            &[("variant", "join_all")],
            Expect::Faster,
        ));
    let tasks = bench.param_in(
        "tasks",
        8u64,
        1..=10_000,
        "simulated requests per operation (os_threads starts a thread for each)",
    );
    let latency_us = bench.param_in(
        "latency_us",
        1000u64,
        0..=10_000_000,
        "each request's wait, in µs (tokio timers round up to whole milliseconds)",
    );
    let device = bench.param(
        "device",
        false,
        "wait for a simulated device thread (µs-precise) instead of a timer",
    );
    let work = bench.param_in(
        "work",
        20_000u64,
        0..=1_000_000_000,
        "hash rounds spent parsing each response (about 1–2 ns each)",
    );
    let requests = move |strategy| {
        move |p: &Params, ctx: &Context| {
            let (device, line) = p.get(device).then(Device::start).unzip();
            Requests {
                strategy,
                request: Request {
                    latency: Duration::from_micros(p.get(latency_us)),
                    work: p.get(work),
                    device: line,
                },
                tasks: p.get(tasks),
                runtime: ctx.tokio(),
                responses: Vec::new(),
                _device: device,
            }
        }
    };
    bench
        .variant_workload("sequential", requests(Strategy::Sequential))
        .help("await each request in turn")
        .variant_workload("join_all", requests(Strategy::JoinAll))
        .help("futures_util::future::join_all: waits overlap, parsing shares one thread")
        .variant_workload("join_set", requests(Strategy::JoinSet))
        .help("a tokio task per request in a JoinSet: parsing spreads over the workers")
        .variant_workload("os_threads", requests(Strategy::OsThreads))
        .help("a scoped OS thread per request, std::thread::sleep for the wait")
}

#[derive(Clone, Copy, Debug)]
enum Strategy {
    Sequential,
    JoinAll,
    JoinSet,
    OsThreads,
}

/// What every simulated request does: wait, then parse.
#[derive(Clone, Debug)]
struct Request {
    latency: Duration,
    work: u64,
    /// The device to wait for, if any; else a timer.
    device: Option<DeviceLine>,
}

impl Request {
    /// Request `id` on tokio: a wait, then the parse.
    async fn fetch(self, id: u64) -> io::Result<u64> {
        match &self.device {
            Some(line) => line.ask(self.latency)?.await.map_err(hung_up)?,
            None if !self.latency.is_zero() => tokio::time::sleep(self.latency).await,
            None => {}
        }
        Ok(parse(id, self.work))
    }

    /// Request `id` on a blocking thread.
    fn fetch_blocking(self, id: u64) -> io::Result<u64> {
        match &self.device {
            Some(line) => line.ask(self.latency)?.blocking_recv().map_err(hung_up)?,
            None if !self.latency.is_zero() => std::thread::sleep(self.latency),
            None => {}
        }
        Ok(parse(id, self.work))
    }
}

fn hung_up<E>(_: E) -> io::Error {
    io::Error::other("the device thread hung up")
}

/// A request to the device: when it is due, and where to say it is done.
type Job = (Instant, oneshot::Sender<()>);

/// The way to the device thread; cheap to clone into every task. A
/// bounded channel, whose slots are allocated once when the device starts:
/// an unbounded one allocates a block every few dozen requests, which
/// would blur the exact allocation counts.
#[derive(Clone, Debug)]
struct DeviceLine(mpsc::SyncSender<Job>);

impl DeviceLine {
    /// Sends a request the device completes `latency` from now.
    fn ask(&self, latency: Duration) -> io::Result<oneshot::Receiver<()>> {
        let (done, answer) = oneshot::channel();
        self.0
            .send((Instant::now() + latency, done))
            .map_err(hung_up)?;
        Ok(answer)
    }
}

/// Requests the device queues before an asker waits for room.
const DEVICE_QUEUE: usize = 1024;

/// A simulated device: one thread that completes each request when it is
/// due. Every request has the same latency, so requests fall due in the
/// order they arrive and a queue in arrival order is a queue by deadline.
/// The thread ends when the last line to it is dropped; dropping the
/// `Device` waits for that.
struct Device {
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Device {
    fn start() -> (Device, DeviceLine) {
        let (tx, rx) = mpsc::sync_channel::<Job>(DEVICE_QUEUE);
        let thread = std::thread::spawn(move || {
            for (due, done) in rx {
                let now = Instant::now();
                if due > now {
                    std::thread::sleep(due - now);
                }
                // The asker may have given up; nothing to do then.
                let _ = done.send(());
            }
        });
        let device = Device {
            thread: Some(thread),
        };
        (device, DeviceLine(tx))
    }
}

impl Drop for Device {
    fn drop(&mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The CPU part of a request: `work` rounds of splitmix64 over its id.
pub fn parse(id: u64, work: u64) -> u64 {
    (0..work).fold(id, |h, _| mix(h))
}

fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

struct Requests {
    strategy: Strategy,
    request: Request,
    tasks: u64,
    runtime: tokio::runtime::Handle,
    /// The last operation's responses, in request order.
    responses: Vec<u64>,
    /// The device thread, when `device` is on. Declared after `request`,
    /// so the line to it is dropped first and its thread can end.
    _device: Option<Device>,
}

async fn sequential(request: Request, tasks: u64) -> io::Result<Vec<u64>> {
    let mut responses = Vec::with_capacity(tasks as usize);
    for id in 0..tasks {
        responses.push(request.clone().fetch(id).await?);
    }
    Ok(responses)
}

async fn concurrent(request: Request, tasks: u64) -> io::Result<Vec<u64>> {
    join_all((0..tasks).map(|id| request.clone().fetch(id)))
        .await
        .into_iter()
        .collect()
}

async fn spawned(request: Request, tasks: u64) -> io::Result<Vec<u64>> {
    let mut set = JoinSet::new();
    for id in 0..tasks {
        let request = request.clone();
        set.spawn(async move { (id, request.fetch(id).await) });
    }
    let mut responses = vec![0; tasks as usize];
    while let Some(done) = set.join_next().await {
        let (id, response) = done.map_err(io::Error::other)?;
        responses[id as usize] = response?;
    }
    Ok(responses)
}

/// A scoped thread per request, each joined (so the instrument's
/// per-thread counters are flushed before the operation ends).
fn threaded(request: &Request, tasks: u64) -> io::Result<Vec<u64>> {
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..tasks)
            .map(|id| {
                let request = request.clone();
                s.spawn(move || request.fetch_blocking(id))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .map_err(|_| io::Error::other("a request thread panicked"))?
            })
            .collect()
    })
}

impl Workload for Requests {
    fn run(&mut self) -> io::Result<()> {
        let (request, tasks) = (self.request.clone(), self.tasks);
        self.responses = match self.strategy {
            Strategy::Sequential => self.runtime.block_on(sequential(request, tasks))?,
            Strategy::JoinAll => self.runtime.block_on(concurrent(request, tasks))?,
            Strategy::JoinSet => self.runtime.block_on(spawned(request, tasks))?,
            Strategy::OsThreads => threaded(&request, tasks)?,
        };
        Ok(())
    }

    fn output_digest(&mut self) -> io::Result<u64> {
        let mut d = Digest::default();
        self.responses.iter().for_each(|r| d.write_u64(*r));
        Ok(d.finish())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::testing;
    use tuner_api::{Buffering, Experiment, ParamValue};

    fn exp() -> &'static dyn Experiment {
        testing::experiment("async-io")
    }

    fn params(tasks: i64, latency_us: i64, work: i64) -> Params {
        with_device(tasks, latency_us, work, false)
    }

    fn with_device(tasks: i64, latency_us: i64, work: i64, device: bool) -> Params {
        testing::params(
            exp(),
            &[
                ("tasks", ParamValue::Int(tasks)),
                ("latency_us", ParamValue::Int(latency_us)),
                ("work", ParamValue::Int(work)),
                ("device", ParamValue::Bool(device)),
            ],
        )
    }

    /// A two-worker runtime and a context that carries its handle.
    fn runtime_and_context(dir: &std::path::Path) -> (tokio::runtime::Runtime, Context) {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let ctx = testing::context(2, Buffering::Unbuffered, dir).with_tokio(rt.handle().clone());
        (rt, ctx)
    }

    #[test]
    fn every_variant_returns_the_same_responses_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let (_rt, ctx) = runtime_and_context(dir.path());
        let digests = |p| testing::digests(exp(), &p, &ctx);
        let all = digests(params(8, 100, 50));
        assert_eq!(all.len(), 4);
        assert!(all.iter().all(|(_, d)| *d == all[0].1), "{all:?}");
        assert_ne!(all[0].1, digests(params(9, 100, 50))[0].1);
        assert_ne!(all[0].1, digests(params(8, 100, 51))[0].1);
        // Latency and the wait's source change the cost, never the answer.
        assert_eq!(all[0].1, digests(params(8, 0, 50))[0].1);
        let device = digests(with_device(8, 100, 50, true));
        assert!(device.iter().all(|(_, d)| *d == all[0].1), "{device:?}");
    }

    #[test]
    fn responses_are_parses_of_the_request_ids() {
        let dir = tempfile::tempdir().unwrap();
        let (_rt, ctx) = runtime_and_context(dir.path());
        let mut w = Requests {
            strategy: Strategy::JoinSet,
            request: Request {
                latency: Duration::ZERO,
                work: 3,
                device: None,
            },
            tasks: 4,
            runtime: ctx.tokio(),
            responses: Vec::new(),
            _device: None,
        };
        w.run().unwrap();
        assert_eq!(
            w.responses,
            (0..4).map(|id| parse(id, 3)).collect::<Vec<_>>()
        );
        assert_eq!(parse(7, 0), 7);
        assert_eq!(parse(7, 2), mix(mix(7)));
    }

    #[test]
    fn concurrent_variants_overlap_their_waits_on_timers_and_on_the_device() {
        let dir = tempfile::tempdir().unwrap();
        let (_rt, ctx) = runtime_and_context(dir.path());
        for device in [false, true] {
            let time = |variant| {
                let params = with_device(10, 50_000, 0, device);
                let mut w = exp().build(variant, &params, &ctx).unwrap();
                let start = Instant::now();
                w.run().unwrap();
                start.elapsed()
            };
            // Ten 50 ms waits: at least 500 ms in turn, about 50 ms overlapped
            // (long waits, so a loaded machine's scheduling delays stay small).
            let in_turn = time("sequential");
            assert!(in_turn >= Duration::from_millis(500), "{in_turn:?}");
            for variant in ["join_all", "join_set", "os_threads"] {
                let took = time(variant);
                assert!(took >= Duration::from_millis(50), "{variant}: {took:?}");
                assert!(took < in_turn / 2, "{variant}, device {device}: {took:?}");
            }
        }
    }

    #[test]
    fn the_device_answers_each_request_when_it_is_due_and_stops_when_dropped() {
        let (device, line) = Device::start();
        let start = Instant::now();
        let answers: Vec<_> = (0..3)
            .map(|_| line.ask(Duration::from_millis(20)).unwrap())
            .collect();
        for answer in answers {
            answer.blocking_recv().unwrap();
        }
        let took = start.elapsed();
        // All three were due 20 ms after they were sent, not one after another.
        assert!(took >= Duration::from_millis(20), "{took:?}");
        assert!(took < Duration::from_millis(55), "{took:?}");
        drop(line);
        drop(device); // joins the device thread: would hang if it did not stop
    }
}
