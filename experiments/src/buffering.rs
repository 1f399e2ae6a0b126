//! Buffered vs unbuffered output, the seed's "specific optimizations"
//! exercise: write `records` formatted lines of `record_size` bytes through
//! the sink the buffering knob chose. The knob is the lesson; the two
//! variants show that `write!` straight into an unbuffered file costs one
//! syscall per formatted piece, not one per record.

use std::hash::Hasher;
use std::io::{self, Write};

use tuner_api::{Bench, Buffering, Context, Digest, Expect, Lesson, Params, Sink, Workload};

const NOTES: &str = "The Rust twist: a `File` in Rust is unbuffered, unlike C's `FILE*`, \
and `write!` into one issues a `write` syscall for every piece the formatter emits: \
each literal, each argument, and each fill character of `{:010}`'s zero padding, about \
ten per record here (strace counted 11,110 writes for records 0 to 999), not one. \
`io::BufWriter` (8 KiB by default) and `io::LineWriter` (a flush per newline) are the \
buffering knob's writers; stdout is line-buffered, stderr unbuffered.";

/// The `buffering` experiment: each variant writes its records into the
/// sink file afresh every run, and the digest is of that file.
pub fn bench() -> Bench {
    let mut bench = Bench::new("buffering")
        .about("write formatted records to a file: unbuffered vs BufWriter vs LineWriter")
        .uses_buffering()
        .notes(NOTES)
        .lesson(Lesson::new(
            "buffer your output: unbuffered, every write is a syscall",
            &[("buffering", "unbuffered")],
            &[("buffering", "buffered")],
            Expect::Faster,
        ));
    let records = bench.param_in(
        "records",
        10_000usize,
        1..=1_000_000,
        "records written per operation (at most 10^6; with `record_size` at most 2 GiB \
of file, read back whole for the digest)",
    );
    let record_size = bench.param_in(
        "record_size",
        64usize,
        16..=2048,
        "bytes per record, newline included (at most 2 KiB)",
    );
    let writer = move |format_first| {
        move |p: &Params, ctx: &Context| {
            let record_size = p.get(record_size);
            RecordWriter {
                records: p.get(records),
                // "{index:010} {payload}\n": 12 bytes of frame around the payload.
                payload: "x".repeat(record_size - 12),
                format_first,
                line: String::with_capacity(record_size),
                open: ctx.sink_path(),
                buffering: ctx.buffering,
            }
        }
    };
    bench
        .variant_workload("write_fmt", writer(false))
        .help("writeln! each record straight into the sink")
        .variant_workload("format_then_write", writer(true))
        .help("format each record into a reused String, then one write_all")
}

struct RecordWriter {
    records: usize,
    payload: String,
    format_first: bool,
    line: String,
    open: std::path::PathBuf,
    buffering: Buffering,
}

impl RecordWriter {
    fn write_records(&mut self, sink: &mut Sink) -> io::Result<()> {
        use std::fmt::Write as _;
        for i in 0..self.records {
            if self.format_first {
                self.line.clear();
                writeln!(self.line, "{i:010} {}", self.payload)
                    .expect("writing to a String cannot fail");
                sink.write_all(self.line.as_bytes())?;
            } else {
                writeln!(sink, "{i:010} {}", self.payload)?;
            }
        }
        sink.flush()
    }
}

impl Workload for RecordWriter {
    fn run(&mut self) -> io::Result<()> {
        let mut sink = tuner_api::open_sink(&self.open, self.buffering)?;
        self.write_records(&mut sink)
    }

    fn output_digest(&mut self) -> io::Result<u64> {
        let mut d = Digest::default();
        d.write(&std::fs::read(&self.open)?);
        Ok(d.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;
    use tuner_api::{Experiment, ParamValue};

    fn exp() -> &'static dyn Experiment {
        testing::experiment("buffering")
    }

    #[test]
    fn every_variant_and_buffering_writes_the_same_file() {
        let dir = tempfile::tempdir().unwrap();
        let params = testing::params(exp(), &[("records", ParamValue::Int(300))]);
        let mut all = Vec::new();
        for buffering in [
            Buffering::Unbuffered,
            Buffering::Buffered { capacity: 100 },
            Buffering::Line,
        ] {
            let ctx = testing::context(1, buffering, dir.path());
            all.extend(testing::digests(exp(), &params, &ctx));
        }
        assert_eq!(all.len(), 6);
        assert!(all.iter().all(|(_, d)| *d == all[0].1), "{all:?}");
    }

    #[test]
    fn records_have_the_requested_size_and_count() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = testing::context(1, Buffering::Line, dir.path());
        let params = testing::params(
            exp(),
            &[
                ("records", ParamValue::Int(50)),
                ("record_size", ParamValue::Int(40)),
            ],
        );
        let mut w = exp().build("write_fmt", &params, &ctx).unwrap();
        w.run().unwrap();
        let text = std::fs::read_to_string(ctx.sink_path()).unwrap();
        assert_eq!(text.len(), 50 * 40);
        assert!(text.lines().all(|l| l.len() == 39));
        assert!(text.lines().last().unwrap().starts_with("0000000049 x"));
    }
}
