//! Mergesort, the seed's GOMAXPROCS exercise: a top-down merge sort that
//! allocates a helper buffer per merge, and three ways to parallelise it,
//! beside std's and rayon's sorts.
//!
//! The seed's goroutines become rayon tasks: `v1` spawns a task for both
//! halves at every split; `v2` does so only above `threshold` elements;
//! `v3` spawns one half and recurses into the other on the current thread.
//! `join` is the idiomatic Rust form of `v3` (`rayon::join`, whose second
//! closure is only stolen if a thread is idle, without a heap-allocated task).
//!
//! Sections for profiles: every call on at least `span_threshold` elements
//! opens a `split` span around sorting its two halves and a `merge` span
//! around the merge (tracing spans; without a subscriber each costs a few
//! nanoseconds, and only ~2 × size / span_threshold of them open per sort).
//! A span on every call would cost ~4 µs each and swamp the work. Work that
//! rayon may run on another thread names its parent span explicitly (else a
//! stolen half would start a new root) and runs inside a root `task` span,
//! which restarts tracing-flame's per-thread clock so a worker's idle time
//! before the steal is not charged to the parent section.

use std::hash::Hasher;
use std::io;

use rand::{Rng, SeedableRng};
use rayon::slice::ParallelSliceMut;
use tracing::Span;

use tuner_api::{Bench, Context, Digest, Expect, Lesson, Params, Workload};

/// The largest `size` accepted: 24 bytes per element stay under ~4 GiB.
const MAX_SIZE: usize = 1 << 27;

const NOTES: &str =
    "The Rust variants keep the seed's shape, including a helper buffer allocated per \
merge (n - 1 allocations per sort); std and rayon are the library sorts.\n\n\
The Rust twist: a goroutine becomes a rayon task. `rayon::scope`'s `spawn` boxes each task \
on the heap (v1's two extra allocations per split) and queues it where any idle thread may \
steal it, so v1 pays at every one of its ~n splits for a heap job, a wake-up and, on more \
than one thread, a steal and a free on another core: the task storm a timeline shows. \
`rayon::join` (the `join` variant) runs its first closure on the calling thread and lets \
the second be stolen only if a thread is idle, without a heap allocation. A pool larger \
than the machine's cores (threads 4 and 8 on a 2-core machine) only adds threads for the \
OS to time-slice. A hypothesis, not measured by a run: rayon's idle threads sleep, so work \
split above a threshold should lose little there; the report's thread table says what \
this run's numbers show.";

/// The variants, in the order `list` shows them, with their sorts.
const VARIANTS: &[(&str, &str, SortFn)] = &[
    (
        "sequential",
        "top-down merge sort, a helper buffer allocated per merge (the seed's)",
        |s, c| sequential(s, c, &Span::current()),
    ),
    (
        "v1",
        "spawn a rayon task for both halves at every split",
        |s, c| v1(s, c, &Span::current()),
    ),
    (
        "v2",
        "spawn tasks for both halves above `threshold`, sequential below",
        |s, c| v2(s, c, &Span::current()),
    ),
    (
        "v3",
        "spawn one half above `threshold`, recurse into the other on this thread",
        |s, c| v3(s, c, &Span::current()),
    ),
    (
        "join",
        "rayon::join above `threshold` (v3 without a heap-allocated task)",
        |s, c| join(s, c, &Span::current()),
    ),
    ("std", "std's stable sort (slice::sort)", |s, _| s.sort()),
    (
        "rayon",
        "rayon's parallel stable sort (par_sort)",
        |s, _| s.par_sort(),
    ),
];

/// The `mergesort` experiment. Sorting changes its input, so each variant
/// is a [`SortWorkload`] that restores it before every run.
pub fn bench() -> Bench {
    let mut bench = Bench::new("mergesort")
        .about(
            "sort random i64s: sequential merge sort vs three parallel versions vs std and rayon",
        )
        .uses_threads()
        .notes(NOTES);
    let size = bench.param_in(
        "size",
        1_000_000usize,
        0..=MAX_SIZE,
        "number of i64 values to sort (at most 2^27: the input, its working copy and \
the largest merge's helper take 24 bytes per element, 3 GiB at the bound)",
    );
    let threshold = bench.param_in(
        "threshold",
        2048usize,
        1..=1 << 31,
        "below this many elements v2, v3 and join sort sequentially",
    );
    let span_threshold = bench.param_in(
        "span_threshold",
        SPAN_THRESHOLD,
        1..=1 << 31,
        "calls on at least this many elements open `split` and `merge` tracing spans",
    );
    let seed = bench.param("seed", 1u64, "seed of the random input");
    let mut bench = bench
        .lesson(Lesson::new(
            "splitting above a threshold (v2) runs faster on two threads than sequential code",
            &[("variant", "sequential"), ("threads", "1")],
            &[("variant", "v2"), ("threads", "2")],
            Expect::Faster,
        ))
        .lesson(
            Lesson::new(
                "spawning at every split (v1) gets slower, not faster, with more threads",
                &[("variant", "v1"), ("threads", "1")],
                &[("threads", "2")],
                Expect::Slower,
            )
            .rust_note(
                "whether a second core pays for v1's overhead per split (a heap job, a \
wake-up, a steal and a free on another core) may depend on the CPU and on how fast an \
idle rayon thread wakes",
            ),
        )
        .lesson(
            Lesson::new(
                "more threads than cores (8 against 2) do not make well-split work (v3) faster",
                &[("variant", "v3"), ("threads", "2")],
                &[("threads", "8")],
                Expect::NoFaster,
            )
            .workshop(
                "GOMAXPROCS",
                "Opt Tip: Do not assume that increasing the number of GOMAXPROCS always improves speed.",
            )
            .rust_note(
                "rayon's idle threads sleep, but 8 threads on fewer cores may still pay for \
time-slicing and steals between them",
            ),
        )
        .lesson(Lesson::new(
            "spawning one half (v3) is as good as spawning both (v2)",
            &[("variant", "v2"), ("threads", "2")],
            &[("variant", "v3")],
            Expect::Tie,
        ));
    for &(name, help, sort) in VARIANTS {
        bench = bench
            .variant_workload(name, move |p: &Params, _: &Context| {
                let input = random_input(p.get(size), p.get(seed));
                SortWorkload {
                    work: input.clone(),
                    input,
                    cfg: Cfg {
                        threshold: p.get(threshold),
                        span_threshold: p.get(span_threshold),
                    },
                    sort,
                }
            })
            .help(help);
    }
    bench
}

/// `len` uniformly random i64s from a seeded ChaCha8 generator.
pub fn random_input(len: usize, seed: u64) -> Vec<i64> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    (0..len).map(|_| rng.gen()).collect()
}

/// The default `span_threshold`: at 64Ki elements the spans' cost is
/// within noise (CRATE-NOTES).
pub const SPAN_THRESHOLD: usize = 64 * 1024;

/// The sorts' settings.
#[derive(Clone, Copy, Debug)]
pub struct Cfg {
    /// Below this many elements v2, v3 and join sort sequentially.
    pub threshold: usize,
    /// Calls on at least this many elements open tracing spans.
    pub span_threshold: usize,
}

/// A variant's sort; spans hang under the caller's current span.
type SortFn = fn(&mut [i64], &Cfg);

/// A variant's sort over its own copy of the input, restored before each run.
struct SortWorkload {
    input: Vec<i64>,
    work: Vec<i64>,
    cfg: Cfg,
    sort: SortFn,
}

impl Workload for SortWorkload {
    fn needs_reset(&self) -> bool {
        true
    }
    fn reset(&mut self) {
        self.work.copy_from_slice(&self.input);
    }
    fn run(&mut self) -> io::Result<()> {
        (self.sort)(&mut self.work, &self.cfg);
        Ok(())
    }
    fn output_digest(&mut self) -> io::Result<u64> {
        let mut d = Digest::default();
        for x in &self.work {
            d.write_i64(*x);
        }
        Ok(d.finish())
    }
}

/// A `split` span for sorting the halves of `s`, a child of `parent`, when
/// `s` is large enough to be worth a section; otherwise `parent` itself.
fn split_span(s: &[i64], cfg: &Cfg, parent: &Span) -> Option<Span> {
    (s.len() >= cfg.span_threshold)
        .then(|| tracing::info_span!(parent: parent, "split", len = s.len()))
}

/// Merges `s[..mid]` and `s[mid..]`, inside a `merge` span under `parent`
/// when `s` is large enough.
fn merge_in(s: &mut [i64], mid: usize, cfg: &Cfg, parent: &Span) {
    if s.len() >= cfg.span_threshold {
        tracing::info_span!(parent: parent, "merge", len = s.len()).in_scope(|| merge(s, mid));
    } else {
        merge(s, mid);
    }
}

/// Runs `f`, which rayon may have moved to another thread, inside a root
/// `task` span when spans are on at this size (see the module docs).
fn task<R>(len: usize, cfg: &Cfg, f: impl FnOnce() -> R) -> R {
    if len >= cfg.span_threshold {
        tracing::info_span!(parent: None, "task").in_scope(f)
    } else {
        f()
    }
}

/// Merges the sorted halves `s[..mid]` and `s[mid..]` through a helper
/// buffer allocated for this merge, as the seed does (`make` + `copy`).
/// The loop picks each element without a branch (a conditional move), so
/// random input does not pay a mispredicted branch per element. Never
/// inlined, so CPU profiles show it by name.
#[inline(never)]
fn merge(s: &mut [i64], mid: usize) {
    let helper = s.to_vec();
    let (left, right) = helper.split_at(mid);
    let (mut l, mut r, mut k) = (0, 0, 0);
    while l < left.len() && r < right.len() {
        let (a, b) = (left[l], right[r]);
        let take_left = a <= b;
        s[k] = if take_left { a } else { b };
        l += usize::from(take_left);
        r += usize::from(!take_left);
        k += 1;
    }
    // What is left of the right half is already in place.
    s[k..k + left.len() - l].copy_from_slice(&left[l..]);
}

pub fn sequential(s: &mut [i64], cfg: &Cfg, parent: &Span) {
    if s.len() > 1 {
        let mid = s.len() / 2;
        let span = split_span(s, cfg, parent);
        let here = span.as_ref().unwrap_or(parent);
        {
            let _entered = span.as_ref().map(Span::enter);
            let (left, right) = s.split_at_mut(mid);
            sequential(left, cfg, here);
            sequential(right, cfg, here);
        }
        merge_in(s, mid, cfg, parent);
    }
}

pub fn v1(s: &mut [i64], cfg: &Cfg, parent: &Span) {
    if s.len() > 1 {
        let mid = s.len() / 2;
        let span = split_span(s, cfg, parent);
        let here = span.as_ref().unwrap_or(parent);
        {
            let _entered = span.as_ref().map(Span::enter);
            let (left, right) = s.split_at_mut(mid);
            rayon::scope(|scope| {
                scope.spawn(|_| task(mid, cfg, || v1(left, cfg, here)));
                scope.spawn(|_| task(mid, cfg, || v1(right, cfg, here)));
            });
        }
        merge_in(s, mid, cfg, parent);
    }
}

pub fn v2(s: &mut [i64], cfg: &Cfg, parent: &Span) {
    if s.len() <= cfg.threshold {
        return sequential(s, cfg, parent);
    }
    let mid = s.len() / 2;
    let span = split_span(s, cfg, parent);
    let here = span.as_ref().unwrap_or(parent);
    {
        let _entered = span.as_ref().map(Span::enter);
        let (left, right) = s.split_at_mut(mid);
        rayon::scope(|scope| {
            scope.spawn(|_| task(mid, cfg, || v2(left, cfg, here)));
            scope.spawn(|_| task(mid, cfg, || v2(right, cfg, here)));
        });
    }
    merge_in(s, mid, cfg, parent);
}

pub fn v3(s: &mut [i64], cfg: &Cfg, parent: &Span) {
    if s.len() <= cfg.threshold {
        return sequential(s, cfg, parent);
    }
    let mid = s.len() / 2;
    let span = split_span(s, cfg, parent);
    let here = span.as_ref().unwrap_or(parent);
    {
        let _entered = span.as_ref().map(Span::enter);
        let (left, right) = s.split_at_mut(mid);
        rayon::scope(|scope| {
            scope.spawn(|_| task(mid, cfg, || v3(left, cfg, here)));
            v3(right, cfg, here);
        });
    }
    merge_in(s, mid, cfg, parent);
}

pub fn join(s: &mut [i64], cfg: &Cfg, parent: &Span) {
    if s.len() <= cfg.threshold {
        return sequential(s, cfg, parent);
    }
    let mid = s.len() / 2;
    let span = split_span(s, cfg, parent);
    let here = span.as_ref().unwrap_or(parent);
    {
        let _entered = span.as_ref().map(Span::enter);
        let (left, right) = s.split_at_mut(mid);
        rayon::join(
            || join(left, cfg, here),
            || task(mid, cfg, || join(right, cfg, here)),
        );
    }
    merge_in(s, mid, cfg, parent);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;
    use proptest::prelude::*;
    use tuner_api::{Buffering, ParamValue};

    fn sorted(mut v: Vec<i64>) -> Vec<i64> {
        v.sort();
        v
    }

    fn all_variants(input: &[i64], threshold: usize) -> Vec<(&'static str, Vec<i64>)> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        // Spans on at a small size too: without a subscriber they are no-ops
        // and must not change the result.
        let cfg = Cfg {
            threshold,
            span_threshold: 8,
        };
        VARIANTS
            .iter()
            .map(|&(name, _, sort)| {
                let mut v = input.to_vec();
                pool.install(|| sort(&mut v, &cfg));
                (name, v)
            })
            .collect()
    }

    #[test]
    fn every_variant_sorts_like_std_on_edge_sizes() {
        for len in [0, 1, 2, 3, 7, 64, 1000, 4097] {
            let input = random_input(len, len as u64);
            let want = sorted(input.clone());
            for (name, got) in all_variants(&input, 16) {
                assert_eq!(got, want, "variant {name} at len {len}");
            }
        }
    }

    #[test]
    fn duplicates_and_extremes_sort_correctly() {
        let input = vec![5, i64::MIN, 5, i64::MAX, 0, -1, 5, i64::MIN, 0];
        let want = sorted(input.clone());
        for (name, got) in all_variants(&input, 2) {
            assert_eq!(got, want, "variant {name}");
        }
    }

    proptest! {
        #[test]
        fn every_variant_matches_std_sort(input in proptest::collection::vec(any::<i64>(), 0..3000), threshold in 1usize..300) {
            let want = sorted(input.clone());
            for (name, got) in all_variants(&input, threshold) {
                prop_assert_eq!(&got, &want, "variant {}", name);
            }
        }
    }

    #[test]
    fn workloads_of_every_variant_produce_one_digest() {
        let dir = std::env::temp_dir();
        let ctx = testing::context(2, Buffering::Unbuffered, &dir);
        let mergesort = testing::experiment("mergesort");
        let params = testing::params(
            mergesort,
            &[
                ("size", ParamValue::Int(5000)),
                ("threshold", ParamValue::Int(100)),
            ],
        );
        let digests = testing::digests(mergesort, &params, &ctx);
        assert_eq!(digests.len(), VARIANTS.len());
        assert!(
            digests.iter().all(|(_, d)| *d == digests[0].1),
            "{digests:?}"
        );
        // And the digest is of sorted output, not of the input.
        let mut w = mergesort.build("std", &params, &ctx).unwrap();
        let unsorted = w.output_digest().unwrap();
        assert_ne!(unsorted, digests[0].1);
    }

    #[test]
    fn random_input_is_reproducible_from_its_seed() {
        assert_eq!(random_input(10, 7), random_input(10, 7));
        assert_ne!(random_input(10, 7), random_input(10, 8));
    }
}
