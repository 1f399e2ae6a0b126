//! The seed's sync.Pool exercise: a new book `{title, author}` gets an
//! ISBN-13 (with a real check digit) and is written as one line of JSON to
//! the sink, `books` books per operation.
//!
//! `fresh` builds an owned `Book` per record (title, author and ISBN
//! `String`s) and serializes it with `serde_json::to_vec` — four
//! allocations per book. `pool` takes a scratch record (a `Book` whose
//! strings are refilled in place plus a JSON buffer) from a shared
//! `Mutex` free list, the sync.Pool shape the exercise asks for; `reuse`
//! keeps one scratch record in the writer. Both reach zero allocations per
//! book once warm, with `serde_json::to_writer` into the reused buffer and
//! one `write_all` per line. (Each run writes a freshly created file: see
//! `api::create_fresh` for why not a truncated one.)

use std::fmt::Write as _;
use std::hash::Hasher;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Mutex;

use serde::Serialize;

use tuner_api::{Bench, Buffering, Context, Digest, Expect, Lesson, Params, Sink, Workload};

/// The titles and authors new books are drawn from, in turn (with a
/// quote and non-ASCII text so JSON escaping does real work).
const SHELF: &[(&str, &str)] = &[
    ("The Go Programming Language", "Alan A. A. Donovan"),
    ("Gödel, Escher, Bach", "Douglas Hofstadter"),
    ("The Mythical Man-Month", "Frederick P. Brooks Jr."),
    ("Programming Rust", "Jim Blandy"),
    (
        "\"Surely You're Joking, Mr. Feynman!\"",
        "Richard P. Feynman",
    ),
    ("Systems Performance", "Brendan Gregg"),
    ("The Art of Computer Programming", "Donald E. Knuth"),
];

const NOTES: &str = "The Rust twist: with no collector to relieve, the four small \
allocations `fresh` makes per book should cost about what serializing one short JSON line \
does, or less (a hypothesis; the table shows the times), so a pool can save only that much; and unbuffered, each line's write syscall \
dwarfs both. The buffering axis decides whether the pool's saving can show at all.";

/// The `book` experiment: each run writes `books` books into the sink file
/// afresh, so each variant is a [`BookWriter`] that reports them as its
/// operations and digests the file.
pub fn bench() -> Bench {
    let mut bench = Bench::new("book")
        .about("give new books an ISBN-13 and write them as JSON lines: fresh allocations vs pooled vs reused buffers")
        .uses_buffering()
        .notes(NOTES)
        .lesson(
            Lesson::new(
                "use sync.Pool to reduce allocations before writing: pooled records beat fresh ones",
                &[("variant", "fresh")],
                &[("variant", "pool")],
                Expect::Faster,
            )
            .workshop(
                "Exercise: sync.Pool",
                "Use sync.Pool to reduce allocations prior to writing.",
            )
            .rust_note(
                "four small allocations per book are cheap next to serializing it, and unbuffered \
next to its write syscall: the saving is real but small",
            ),
        );
    let books = bench.param_in(
        "books",
        1000usize,
        1..=10_000_000,
        "books given an ISBN and written as JSON lines per operation (at most 10^7: \
about 1 GB of file, read back whole for the digest)",
    );
    let writer = move |strategy| {
        move |p: &Params, ctx: &Context| BookWriter {
            strategy,
            books: p.get(books),
            pool: Mutex::new(Vec::new()),
            own: Scratch::default(),
            path: ctx.sink_path(),
            buffering: ctx.buffering,
        }
    };
    bench
        .variant_workload("fresh", writer(Strategy::Fresh))
        .help("an owned Book and a serde_json::to_vec buffer per book")
        .variant_workload("pool", writer(Strategy::Pool))
        .help("a scratch Book + JSON buffer from a shared Mutex free list, returned after writing")
        .variant_workload("reuse", writer(Strategy::Reuse))
        .help("one scratch Book + JSON buffer owned by the writer")
}

/// A book as written to the file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct Book {
    pub title: String,
    pub author: String,
    pub isbn: String,
}

/// A reusable record: a book whose strings are refilled in place, and the
/// buffer its JSON line is serialized into.
#[derive(Default)]
struct Scratch {
    book: Book,
    json: Vec<u8>,
}

#[derive(Clone, Copy, Debug)]
enum Strategy {
    Fresh,
    Pool,
    Reuse,
}

struct BookWriter {
    strategy: Strategy,
    books: usize,
    pool: Mutex<Vec<Scratch>>,
    own: Scratch,
    path: PathBuf,
    buffering: Buffering,
}

impl BookWriter {
    fn write_books(&mut self, sink: &mut Sink) -> io::Result<()> {
        for i in 0..self.books {
            match self.strategy {
                Strategy::Fresh => write_fresh(i, sink)?,
                Strategy::Pool => write_pooled(&self.pool, i, sink)?,
                Strategy::Reuse => write_reused(&mut self.own, i, sink)?,
            }
        }
        sink.flush()
    }
}

impl Workload for BookWriter {
    fn run(&mut self) -> io::Result<()> {
        let mut sink = tuner_api::open_sink(&self.path, self.buffering)?;
        self.write_books(&mut sink)
    }

    fn ops_per_run(&self) -> u64 {
        self.books as u64
    }

    fn output_digest(&mut self) -> io::Result<u64> {
        let mut d = Digest::default();
        d.write(&std::fs::read(&self.path)?);
        Ok(d.finish())
    }
}

/// Book `i` with everything freshly allocated, written as a JSON line.
fn write_fresh(i: usize, sink: &mut Sink) -> io::Result<()> {
    let (title, author) = SHELF[i % SHELF.len()];
    let book = Book {
        title: title.to_string(),
        author: author.to_string(),
        isbn: isbn(serial(i)),
    };
    let mut line = serde_json::to_vec(&book)?;
    line.push(b'\n');
    sink.write_all(&line)
}

/// Book `i` through a scratch record taken from `pool` and put back.
fn write_pooled(pool: &Mutex<Vec<Scratch>>, i: usize, sink: &mut Sink) -> io::Result<()> {
    let take = || pool.lock().unwrap_or_else(|e| e.into_inner()).pop();
    let mut scratch = take().unwrap_or_default();
    let written = write_reused(&mut scratch, i, sink);
    pool.lock().unwrap_or_else(|e| e.into_inner()).push(scratch);
    written
}

/// Book `i` through a caller-owned scratch record.
fn write_reused(scratch: &mut Scratch, i: usize, sink: &mut Sink) -> io::Result<()> {
    let (title, author) = SHELF[i % SHELF.len()];
    let book = &mut scratch.book;
    refill(&mut book.title, title);
    refill(&mut book.author, author);
    book.isbn.clear();
    write_isbn(&mut book.isbn, serial(i));
    scratch.json.clear();
    serde_json::to_writer(&mut scratch.json, &scratch.book)?;
    scratch.json.push(b'\n');
    sink.write_all(&scratch.json)
}

fn refill(s: &mut String, with: &str) {
    s.clear();
    s.push_str(with);
}

/// The publication number of book `i` under our made-up registrant.
fn serial(i: usize) -> u32 {
    (i % 100_000) as u32
}

/// The first twelve digits of the ISBN for `serial`: prefix 978, group 0,
/// registrant 306, five-digit publication number.
fn first_twelve(serial: u32) -> [u8; 12] {
    let mut digits = [9, 7, 8, 0, 3, 0, 6, 0, 0, 0, 0, 0];
    let mut n = serial;
    for d in digits[7..].iter_mut().rev() {
        *d = (n % 10) as u8;
        n /= 10;
    }
    digits
}

/// The ISBN-13 check digit: weights 1, 3, 1, 3, ... over the first twelve
/// digits; the check digit brings the weighted sum to a multiple of ten.
pub fn check_digit(first12: &[u8; 12]) -> u8 {
    let sum: u32 = first12
        .iter()
        .zip([1, 3].iter().cycle())
        .map(|(d, w)| u32::from(*d) * w)
        .sum();
    ((10 - sum % 10) % 10) as u8
}

/// Appends the hyphenated ISBN-13 for `serial`, e.g. `978-0-306-40615-7`.
fn write_isbn(out: &mut String, serial: u32) {
    let check = check_digit(&first_twelve(serial));
    write!(out, "978-0-306-{serial:05}-{check}").expect("writing to a String cannot fail");
}

/// The hyphenated ISBN-13 for `serial`, in a new String.
pub fn isbn(serial: u32) -> String {
    let check = check_digit(&first_twelve(serial));
    format!("978-0-306-{serial:05}-{check}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;
    use tuner_api::{Experiment, ParamValue};

    fn exp() -> &'static dyn Experiment {
        testing::experiment("book")
    }

    fn params(books: i64) -> Params {
        testing::params(exp(), &[("books", ParamValue::Int(books))])
    }

    /// Checks an ISBN-13 string: thirteen digits whose weighted sum is a
    /// multiple of ten.
    fn valid_isbn13(s: &str) -> bool {
        let digits: Vec<u32> = s.chars().filter_map(|c| c.to_digit(10)).collect();
        let sum: u32 = digits
            .iter()
            .zip([1, 3].iter().cycle())
            .map(|(d, w)| d * w)
            .sum();
        digits.len() == 13 && sum.is_multiple_of(10)
    }

    #[test]
    fn check_digits_of_known_isbns() {
        assert_eq!(isbn(40615), "978-0-306-40615-7");
        assert_eq!(check_digit(&[9, 7, 8, 3, 1, 6, 1, 4, 8, 4, 1, 0]), 0);
        assert_eq!(check_digit(&[9, 7, 8, 0, 5, 9, 6, 5, 2, 0, 6, 8]), 7);
        let mut s = String::new();
        write_isbn(&mut s, 40615);
        assert_eq!(s, "978-0-306-40615-7");
    }

    #[test]
    fn every_variant_and_buffering_writes_the_same_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut all = Vec::new();
        for buffering in [
            Buffering::Unbuffered,
            Buffering::Buffered { capacity: 100 },
            Buffering::Line,
        ] {
            let ctx = testing::context(1, buffering, dir.path());
            all.extend(testing::digests(exp(), &params(200), &ctx));
        }
        assert_eq!(all.len(), 9);
        assert!(all.iter().all(|(_, d)| *d == all[0].1), "{all:?}");
        let ctx = testing::context(1, Buffering::Unbuffered, dir.path());
        let fewer = testing::digests(exp(), &params(199), &ctx);
        assert_ne!(fewer[0].1, all[0].1);
    }

    #[test]
    fn the_file_holds_one_valid_json_book_per_line() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = testing::context(1, Buffering::Buffered { capacity: 4096 }, dir.path());
        let mut w = exp().build("reuse", &params(50), &ctx).unwrap();
        w.run().unwrap();
        let text = std::fs::read_to_string(ctx.sink_path()).unwrap();
        let books: Vec<Book> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(books.len(), 50);
        assert!(books.iter().all(|b| valid_isbn13(&b.isbn)), "{books:?}");
        assert_eq!(books[8].title, "Gödel, Escher, Bach");
        assert_eq!(books[4].title, "\"Surely You're Joking, Mr. Feynman!\"");
        assert_eq!(
            text.lines().next().unwrap(),
            r#"{"title":"The Go Programming Language","author":"Alan A. A. Donovan","isbn":"978-0-306-00000-3"}"#
        );
    }

    #[test]
    fn reused_records_allocate_nothing_per_book_once_warm() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = testing::context(1, Buffering::Buffered { capacity: 8192 }, dir.path());
        let count = |variant| {
            let mut w = exp().build(variant, &params(1000), &ctx).unwrap();
            w.run().unwrap();
            testing::allocations(|| w.run().unwrap())
        };
        // Opening the sink allocates a handful; books allocate nothing.
        assert!(count("pool") < 10);
        assert!(count("reuse") < 10);
        assert!(count("fresh") >= 4000);
    }
}
