//! logagg: a worked example of tuning your own code with tuner.
//!
//! The workload reads a JSON-lines access log (generated from a seed when
//! the worker starts), aggregates requests, errors, warnings and latency
//! per route on the rayon pool, and writes a summary through the sink the
//! buffering knob chose. Its four variants parse the lines four ways (see
//! [`parse`]), so the allocator, thread and buffering axes all have
//! something to act on.
//!
//! The library depends on `tuner-api` only: it declares the experiment
//! ([`logagg`]) and nothing else. tuner itself is a dev-dependency, for
//! the harness, `benches/tune.rs`:
//! `tuner::main!(logagg::catalog().bench(tuner_experiments::mergesort::bench()));`.

pub mod log;
pub mod parse;
pub mod table;

use tuner_api::{Bench, Catalog, Context, Param, Params};

use crate::parse::{Borrowed, Dynamic, Owned, Split, Strategy};
use crate::table::Totals;

/// This crate's experiments: `logagg`.
pub fn catalog() -> Catalog {
    Catalog::new().bench(logagg())
}

/// The `logagg` experiment.
pub fn logagg() -> Bench {
    let mut bench = Bench::new("logagg")
        .about("parse a JSON-lines access log four ways and aggregate it per route")
        .uses_threads()
        .uses_buffering();
    let shape = ShapeParams {
        lines: bench.param_in("lines", 20_000, 1..=10_000_000, "log lines per run"),
        routes: bench.param_in("routes", 500, 1..=1_000_000, "distinct routes in the log"),
        seed: bench.param("seed", 1, "seed of the generated log"),
        corrupt_line: bench.param("corrupt_line", 0, "cut this line (1-based) short; 0: none"),
    };
    bench
        .variant("dynamic", move |p, ctx| {
            variant::<Dynamic>(shape.of(p), ctx)
        })
        .help("serde_json::Value per line: a map, a String per key and string value")
        .variant("owned", move |p, ctx| variant::<Owned>(shape.of(p), ctx))
        .help("serde_json into a struct of owned Strings: three per line")
        .variant("borrowed", move |p, ctx| {
            variant::<Borrowed>(shape.of(p), ctx)
        })
        .help("serde_json into a struct of &str borrowed from the line: none per line")
        .variant("split", move |p, ctx| variant::<Split>(shape.of(p), ctx))
        .help("hand-rolled splitter reading only the fields it needs")
}

/// The parameters that shape the log, as declared on the bench.
#[derive(Clone, Copy)]
struct ShapeParams {
    lines: Param<usize>,
    routes: Param<usize>,
    seed: Param<u64>,
    corrupt_line: Param<usize>,
}

impl ShapeParams {
    /// The log a point asks for.
    fn of(&self, p: &Params) -> log::Shape {
        log::Shape {
            lines: p.get(self.lines),
            routes: p.get(self.routes),
            seed: p.get(self.seed),
            corrupt_line: p.get(self.corrupt_line),
        }
    }
}

/// Set-up for one strategy: generate the log once per process; the timed
/// operation aggregates it and writes the summary to a fresh sink file.
fn variant<S: Strategy>(shape: log::Shape, ctx: &Context) -> impl FnMut() -> Totals {
    let chunks = log::generate(shape);
    let (path, buffering) = (ctx.sink_path(), ctx.buffering);
    move || {
        let table = table::aggregate::<S>(&chunks);
        let mut sink = tuner_api::open_sink(&path, buffering).expect("opening the summary file");
        table::write_summary(&table, &mut sink).expect("writing the summary")
    }
}
