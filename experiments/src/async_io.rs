//! Parallel I/O, the seed's "parallelize" lesson on tokio: `tasks`
//! simulated requests, each waiting `latency_us` (a `tokio::time::sleep`)
//! and then parsing its response (`work` rounds of hashing).
//!
//! `sequential` awaits one request after another; `join_all` polls them
//! all concurrently inside one future (`futures_util::future::join_all`),
//! so their waits overlap but their parsing shares one thread; `join_set`
//! spawns each as a tokio task (`tokio::task::JoinSet`), so the parsing
//! also spreads over the runtime's workers (the threads knob); `os_threads`
//! is the synchronous alternative, a scoped thread per request with
//! `std::thread::sleep`.
//!
//! The Rust twist: tokio's timer wheel has 1 ms resolution, so a 100 µs
//! "I/O" sleeps one to two milliseconds (so does a 1 ms one), while `std::thread::sleep` overshoots
//! only by the kernel's timer slack; at sub-millisecond latencies that,
//! not async, can decide which variant wins.

use std::hash::Hasher;
use std::io;
use std::time::Duration;

use futures_util::future::join_all;
use tokio::task::JoinSet;

use tuner_api::{
    Context, Digest, Experiment, Info, Knobs, ParamKind, ParamSpec, ParamValue, Params, Variant,
    Workload,
};

pub struct AsyncIo;

const VARIANTS: &[Variant] = &[
    Variant {
        name: "sequential",
        help: "await each request in turn",
    },
    Variant {
        name: "join_all",
        help: "futures_util::future::join_all: waits overlap, parsing shares one thread",
    },
    Variant {
        name: "join_set",
        help: "a tokio task per request in a JoinSet: parsing spreads over the workers",
    },
    Variant {
        name: "os_threads",
        help: "a scoped OS thread per request, std::thread::sleep for the wait",
    },
];

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "tasks",
        kind: ParamKind::Int {
            min: 1,
            max: 10_000,
        },
        default: ParamValue::Int(8),
        help: "simulated requests per operation",
    },
    ParamSpec {
        name: "latency_us",
        kind: ParamKind::Int {
            min: 0,
            max: 10_000_000,
        },
        default: ParamValue::Int(1000),
        help: "each request's wait, in µs (tokio timers round up to whole milliseconds)",
    },
    ParamSpec {
        name: "work",
        kind: ParamKind::Int {
            min: 0,
            max: 1_000_000_000,
        },
        default: ParamValue::Int(20_000),
        help: "hash rounds spent parsing each response (about 1–2 ns each)",
    },
];

const INFO: Info = Info {
    name: "async-io",
    description:
        "many simulated requests: sequential awaits vs join_all vs tokio tasks vs a thread each",
    variants: VARIANTS,
    params: PARAMS,
    knobs: Knobs {
        threads: true,
        tokio: true,
        ..Knobs::NONE
    },
    notes: "",
    lessons: &[],
};

impl Experiment for AsyncIo {
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
            "sequential" => Strategy::Sequential,
            "join_all" => Strategy::JoinAll,
            "join_set" => Strategy::JoinSet,
            "os_threads" => Strategy::OsThreads,
            other => return Err(format!("unknown variant `{other}`")),
        };
        Ok(Box::new(Requests {
            strategy,
            request: Request {
                latency: Duration::from_micros(params.int("latency_us") as u64),
                work: params.int("work") as u64,
            },
            tasks: params.usize("tasks") as u64,
            runtime: ctx.tokio(),
            responses: Vec::new(),
        }))
    }
}

#[derive(Clone, Copy, Debug)]
enum Strategy {
    Sequential,
    JoinAll,
    JoinSet,
    OsThreads,
}

/// What every simulated request does: wait, then parse.
#[derive(Clone, Copy, Debug)]
struct Request {
    latency: Duration,
    work: u64,
}

impl Request {
    /// Request `id` on tokio: a timer wait, then the parse.
    async fn fetch(self, id: u64) -> u64 {
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
        parse(id, self.work)
    }

    /// Request `id` on a blocking thread.
    fn fetch_blocking(self, id: u64) -> u64 {
        if !self.latency.is_zero() {
            std::thread::sleep(self.latency);
        }
        parse(id, self.work)
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
}

async fn sequential(request: Request, tasks: u64) -> Vec<u64> {
    let mut responses = Vec::with_capacity(tasks as usize);
    for id in 0..tasks {
        responses.push(request.fetch(id).await);
    }
    responses
}

async fn concurrent(request: Request, tasks: u64) -> Vec<u64> {
    join_all((0..tasks).map(|id| request.fetch(id))).await
}

async fn spawned(request: Request, tasks: u64) -> io::Result<Vec<u64>> {
    let mut set = JoinSet::new();
    for id in 0..tasks {
        set.spawn(async move { (id, request.fetch(id).await) });
    }
    let mut responses = vec![0; tasks as usize];
    while let Some(done) = set.join_next().await {
        let (id, response) = done.map_err(io::Error::other)?;
        responses[id as usize] = response;
    }
    Ok(responses)
}

/// A scoped thread per request, each joined (so the instrument's
/// per-thread counters are flushed before the operation ends).
fn threaded(request: Request, tasks: u64) -> io::Result<Vec<u64>> {
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..tasks)
            .map(|id| s.spawn(move || request.fetch_blocking(id)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .map_err(|_| io::Error::other("a request thread panicked"))
            })
            .collect()
    })
}

impl Workload for Requests {
    fn run(&mut self) -> io::Result<()> {
        let (request, tasks) = (self.request, self.tasks);
        self.responses = match self.strategy {
            Strategy::Sequential => self.runtime.block_on(sequential(request, tasks)),
            Strategy::JoinAll => self.runtime.block_on(concurrent(request, tasks)),
            Strategy::JoinSet => self.runtime.block_on(spawned(request, tasks))?,
            Strategy::OsThreads => threaded(request, tasks)?,
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
    use tuner_api::Buffering;

    fn params(tasks: i64, latency_us: i64, work: i64) -> Params {
        testing::params(
            &AsyncIo,
            &[
                ("tasks", ParamValue::Int(tasks)),
                ("latency_us", ParamValue::Int(latency_us)),
                ("work", ParamValue::Int(work)),
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
        let mut ctx = testing::context(2, Buffering::Unbuffered, dir);
        ctx.tokio = Some(rt.handle().clone());
        (rt, ctx)
    }

    #[test]
    fn every_variant_returns_the_same_responses_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let (_rt, ctx) = runtime_and_context(dir.path());
        let digests = |p| testing::digests(&AsyncIo, &p, &ctx);
        let all = digests(params(8, 100, 50));
        assert_eq!(all.len(), VARIANTS.len());
        assert!(all.iter().all(|(_, d)| *d == all[0].1), "{all:?}");
        assert_ne!(all[0].1, digests(params(9, 100, 50))[0].1);
        assert_ne!(all[0].1, digests(params(8, 100, 51))[0].1);
        // Latency changes the cost, never the answer.
        assert_eq!(all[0].1, digests(params(8, 0, 50))[0].1);
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
            },
            tasks: 4,
            runtime: ctx.tokio(),
            responses: Vec::new(),
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
    fn concurrent_variants_overlap_their_waits() {
        let dir = tempfile::tempdir().unwrap();
        let (_rt, ctx) = runtime_and_context(dir.path());
        let time = |variant| {
            let mut w = AsyncIo.build(variant, &params(10, 5000, 0), &ctx).unwrap();
            let start = Instant::now();
            w.run().unwrap();
            start.elapsed()
        };
        // Ten 5 ms waits: at least 50 ms in turn, about 5 ms overlapped.
        assert!(time("sequential") >= Duration::from_millis(50));
        for variant in ["join_all", "join_set", "os_threads"] {
            let took = time(variant);
            assert!(took < Duration::from_millis(40), "{variant}: {took:?}");
        }
    }
}
