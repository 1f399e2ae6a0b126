//! logagg: a worked example of tuning your own code with tuner.
//!
//! The workload reads a JSON-lines access log (generated from a seed when
//! the worker starts), aggregates requests, errors, warnings and latency
//! per route on the rayon pool, and writes a summary through the sink the
//! buffering knob chose. Its four variants parse the lines four ways (see
//! [`parse`]), so the allocator, thread and buffering axes all have
//! something to act on. The harness is one line, `benches/tune.rs`:
//! `tuner::main!(logagg::catalog());`.

pub mod log;
pub mod parse;
pub mod table;

use tuner::{Bench, Catalog, Context, Params};

use crate::parse::{Borrowed, Dynamic, Owned, Split, Strategy};
use crate::table::Totals;

/// What this harness can run: `logagg`, and tuner's own `mergesort` (the
/// same code the tuner binary carries, to compare the two harnesses).
pub fn catalog() -> Catalog {
    Catalog::new()
        .bench(logagg())
        .with(&tuner_experiments::mergesort::Mergesort)
}

/// The `logagg` experiment.
pub fn logagg() -> Bench {
    Bench::new("logagg")
        .about("parse a JSON-lines access log four ways and aggregate it per route")
        .uses_threads()
        .uses_buffering()
        .param_int("lines", 20_000, 1..=10_000_000, "log lines per run")
        .param_int("routes", 500, 1..=1_000_000, "distinct routes in the log")
        .param_int("seed", 1, 0..=i64::MAX, "seed of the generated log")
        .param_int(
            "corrupt_line",
            0,
            0..=i64::MAX,
            "cut this line (1-based) short; 0: none",
        )
        .variant("dynamic", variant::<Dynamic>)
        .help("serde_json::Value per line: a map, a String per key and string value")
        .variant("owned", variant::<Owned>)
        .help("serde_json into a struct of owned Strings: three per line")
        .variant("borrowed", variant::<Borrowed>)
        .help("serde_json into a struct of &str borrowed from the line: none per line")
        .variant("split", variant::<Split>)
        .help("hand-rolled splitter reading only the fields it needs")
}

/// Set-up for one strategy: generate the log once per process; the timed
/// operation aggregates it and writes the summary to a fresh sink file.
fn variant<S: Strategy>(params: &Params, ctx: &Context) -> impl FnMut() -> Totals {
    let chunks = log::generate(log::Shape {
        lines: params.usize("lines"),
        routes: params.usize("routes"),
        seed: params.int("seed") as u64,
        corrupt_line: params.usize("corrupt_line"),
    });
    let (path, buffering) = (ctx.sink_path(), ctx.buffering);
    move || {
        let table = table::aggregate::<S>(&chunks);
        let mut sink = tuner::open_sink(&path, buffering).expect("opening the summary file");
        table::write_summary(&table, &mut sink).expect("writing the summary")
    }
}
