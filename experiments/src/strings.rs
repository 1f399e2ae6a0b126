//! String building, the seed's "string vs buffer" tip: join `pieces`
//! strings of `piece_size` bytes into one.
//!
//! `format` is the Go habit `s += piece` taken literally: every step makes
//! a new string holding a copy of everything so far (`format!("{s}{p}")`),
//! quadratic in the output. `plus` is what Rust's `s + piece` really does;
//! `with_capacity` sizes the String once and `push_str`es; `concat` is the
//! one-call idiom (`[String]::concat`, which sums the lengths first);
//! `write_reused` `push_str`es into a String kept across operations, Go's
//! reused `bytes.Buffer`.

use std::hash::Hasher;
use std::io;

use tuner_api::{Bench, Context, Digest, Expect, Lesson, Params, Workload};

const NOTES: &str = "The Rust twist: in Go, `s += piece` builds a new string and copies \
everything so far at every step. Rust's `s + piece` does not: `Add for String` takes the \
left-hand String by value and appends to its buffer in place, which grows by doubling, so \
`+` already is the buffer version (about log2 of the output's size in reallocations, not \
one copy per step). Only spelling out the copy, as `format!(\"{s}{piece}\")` does, brings the \
quadratic cost back. `write!` into a String goes through the formatting machinery \
(`fmt::Arguments`, a `dyn Write` call per piece), so appending plain strings is `push_str`'s \
job.";

/// The `strings` experiment. `write_reused` keeps its output buffer from
/// one run to the next, so every variant is a [`Joiner`], which keeps the
/// last output and digests its bytes.
pub fn bench() -> Bench {
    let mut bench = Bench::new("strings")
        .about("join many strings: copy per step vs + vs with_capacity vs concat vs write! into a reused buffer")
        .notes(NOTES)
        .lesson(Lesson::new(
            "concatenating copies everything so far at every step: build the string in a buffer",
            &[("variant", "format")],
            &[("variant", "with_capacity")],
            Expect::Faster,
        ))
        .lesson(
            Lesson::new(
                "string + string is the slow way; a buffer is faster",
                &[("variant", "plus")],
                &[("variant", "concat")],
                Expect::Faster,
            )
            .rust_note(
                "Rust's `String + &str` appends in place to the left operand's buffer, growing \
by doubling: it is already a buffer, and only its few reallocations separate it from concat",
            ),
        )
        .lesson(
            Lesson::new(
                "a buffer reused across operations saves its allocation every time",
                &[("variant", "concat")],
                &[("variant", "write_reused")],
                Expect::Faster,
            )
            .rust_note(
                "one allocation of the final size is cheap next to copying the pieces; \
reuse saves the allocation, which shows most when the output is short",
            ),
        );
    let pieces = bench.param_in(
        "pieces",
        1000usize,
        1..=1_000_000,
        "strings joined per operation (at most 10^6; with `piece_size` at most 1 GiB of output)",
    );
    let piece_size = bench.param_in(
        "piece_size",
        16usize,
        1..=1024,
        "bytes per piece (at most 1 KiB: the pieces, the output and `format`'s copy \
of it stay under 3 GiB)",
    );
    let joiner = move |join: fn(&[String], &mut String)| {
        move |p: &Params, _: &Context| Joiner {
            pieces: make_pieces(p.get(pieces), p.get(piece_size)),
            out: String::new(),
            join,
        }
    };
    bench
        .variant_workload("format", joiner(|p, out| *out = by_format(p)))
        .help("s = format!(\"{s}{piece}\"): a new string per step, like Go's s += piece")
        .variant_workload("plus", joiner(|p, out| *out = by_plus(p)))
        .help("s = s + piece: Rust's + appends in place, growing by doubling")
        .variant_workload("with_capacity", joiner(|p, out| *out = by_with_capacity(p)))
        .help("String::with_capacity(total) then push_str each piece")
        .variant_workload("concat", joiner(|p, out| *out = p.concat()))
        .help("pieces.concat(): one allocation of the summed length")
        .variant_workload("write_reused", joiner(write_reused))
        .help("push_str each piece into a String kept (cleared) across operations")
}

/// `count` pieces of `size` lowercase letters, each a different run.
pub fn make_pieces(count: usize, size: usize) -> Vec<String> {
    (0..count)
        .map(|i| {
            (0..size)
                .map(|j| char::from(b'a' + ((i * 7 + j) % 26) as u8))
                .collect()
        })
        .collect()
}

struct Joiner {
    pieces: Vec<String>,
    out: String,
    join: fn(&[String], &mut String),
}

impl Workload for Joiner {
    fn run(&mut self) -> io::Result<()> {
        (self.join)(&self.pieces, &mut self.out);
        Ok(())
    }

    fn output_digest(&mut self) -> io::Result<u64> {
        let mut d = Digest::default();
        d.write(self.out.as_bytes());
        Ok(d.finish())
    }
}

/// Go's `s += piece`: each step builds a new string from a copy of the old.
pub fn by_format(pieces: &[String]) -> String {
    let mut s = String::new();
    for p in pieces {
        s = format!("{s}{p}");
    }
    s
}

/// `s = s + piece`, which moves `s` and appends to its buffer.
#[allow(clippy::assign_op_pattern)] // The spelled-out `+` is the point.
pub fn by_plus(pieces: &[String]) -> String {
    let mut s = String::new();
    for p in pieces {
        s = s + p;
    }
    s
}

/// One allocation of the final size, then appends.
pub fn by_with_capacity(pieces: &[String]) -> String {
    let mut s = String::with_capacity(pieces.iter().map(String::len).sum());
    for p in pieces {
        s.push_str(p);
    }
    s
}

/// Appends into a buffer that keeps its capacity between operations.
pub fn write_reused(pieces: &[String], out: &mut String) {
    out.clear();
    for p in pieces {
        out.push_str(p);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;
    use tuner_api::ParamValue;

    fn params(pieces: i64, piece_size: i64) -> Params {
        testing::params(
            testing::experiment("strings"),
            &[
                ("pieces", ParamValue::Int(pieces)),
                ("piece_size", ParamValue::Int(piece_size)),
            ],
        )
    }

    fn digest(p: &Params) -> u64 {
        testing::common_digest(testing::experiment("strings"), p)
    }

    #[test]
    fn every_variant_builds_the_same_string() {
        let all = digest(&params(300, 7));
        assert_ne!(all, digest(&params(300, 8)));
        assert_ne!(all, digest(&params(301, 7)));
    }

    #[test]
    fn pieces_are_joined_in_order() {
        let pieces = make_pieces(3, 4);
        assert_eq!(pieces, ["abcd", "hijk", "opqr"]);
        assert_eq!(by_format(&pieces), "abcdhijkopqr");
        assert_eq!(by_plus(&pieces), "abcdhijkopqr");
        let mut out = "stale".to_string();
        write_reused(&pieces, &mut out);
        assert_eq!(out, "abcdhijkopqr");
    }

    #[test]
    fn allocations_show_copy_growth_and_reuse() {
        let pieces = make_pieces(1000, 16);
        let count = |f: fn(&[String]) -> String| testing::allocations(|| drop(f(&pieces)));
        assert!(count(by_format) >= 1000);
        // Doubling from 16 to 16,000 bytes: about ten reallocations.
        assert!((8..=14).contains(&count(by_plus)), "{}", count(by_plus));
        assert_eq!(count(by_with_capacity), 1);
        assert_eq!(count(|p| p.concat()), 1);
        let mut out = String::new();
        write_reused(&pieces, &mut out);
        assert_eq!(testing::allocations(|| write_reused(&pieces, &mut out)), 0);
    }
}
