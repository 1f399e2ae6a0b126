//! Allocation pressure, the seed's stack/heap, escape analysis and GOGC
//! sections: compute `churn` small values (a 64-byte `Particle` each) per
//! operation beside a long-lived heap of `live_heap_mb` MiB of small boxed
//! nodes, built once.
//!
//! `stack` keeps each value on the stack, as Go does when escape analysis
//! proves it does not escape; `boxed` puts each in a `Box` that escapes
//! (through `black_box`), as a Go value returned by pointer does: one
//! allocation and free per item. The next two add the live heap, one
//! effect at a time: `read_live` is `boxed` plus reading a random live
//! node per item (the cache misses a large heap brings, no allocation);
//! `churn` is `boxed` plus replacing that node with a freshly allocated
//! equal one (the same misses, plus two allocations and frees in an aged
//! heap), the way a cache or graph under update mixes short- and
//! long-lived blocks. Replacements keep every node's value, so all
//! variants compute the same.

use std::hash::Hasher;
use std::hint::black_box;
use std::io;

use rand::{Rng, SeedableRng};

use tuner_api::{Bench, Context, Digest, Expect, Lesson, Params, Workload};

const NOTES: &str = "The Rust twist: there is no collector, so a large live heap costs \
nothing until it is touched: no GOGC trade-off between heap size and GC work, and no \
collector scanning the heap while the program allocates. What remains is the allocator's \
per-call cost, the cache misses of touching a heap much larger than the caches \
(`read_live`), and how the allocator copes with frees scattered over a large, aging heap \
(`churn` against `read_live`), which is where the allocator axis matters most. Rust has \
escape analysis of a sort too: without `black_box`, LLVM may delete a `Box` that never \
escapes and keep the value in registers, which is why `boxed` hides its box from the \
optimizer.";

/// The `alloc-pressure` experiment: each variant is a [`Pressure`], whose
/// digest covers the live heap as well as the items' total, so `churn`'s
/// replacements are checked to keep every node's value.
pub fn bench() -> Bench {
    let mut bench = Bench::new("alloc-pressure")
        .about("small values beside a large live heap: on the stack vs boxed vs boxed + reading live nodes vs boxed + replacing them")
        .notes(NOTES)
        .lesson(Lesson::new(
            "a value that does not escape stays on the stack; one that escapes costs a heap allocation",
            &[("variant", "boxed"), ("live_heap_mb", "0")],
            &[("variant", "stack")],
            Expect::Faster,
        ))
        .lesson(
            Lesson::new(
                "a collector's work grows with the live heap (GOGC); without one, a large live heap should not slow allocation",
                &[("variant", "boxed"), ("live_heap_mb", "0")],
                &[("live_heap_mb", "128")],
                Expect::Tie,
            )
            .rust_note(
                "boxed never touches the live heap: a change here comes from the allocator \
(where its free lists and thread cache sit among the live blocks), not from a collector",
            ),
        );
    let live_heap_mb = bench.param_in(
        "live_heap_mb",
        64usize,
        0..=2048,
        "MiB of small long-lived nodes built before timing, in payload bytes (at most \
2048: with the allocator's per-block overhead and the node index, resident memory is \
about 1.5 times the payload, 3 GiB at the bound)",
    );
    let churn = bench.param_in(
        "churn",
        20_000usize,
        1..=100_000_000,
        "small values computed (and, per variant, allocated) per operation (at most \
10^8: 400 MB of precomputed victims)",
    );
    let pressure = move |placement| {
        move |p: &Params, _: &Context| {
            let live = live_heap(p.get(live_heap_mb) << 20, 1);
            let churn = p.get(churn);
            let victims = victims(churn, live.len(), 2);
            Pressure {
                placement,
                churn,
                live,
                victims,
                total: 0,
            }
        }
    };
    bench
        .variant_workload("stack", pressure(Placement::Stack))
        .help("each value on the stack (what Go's escape analysis allows)")
        .variant_workload("boxed", pressure(Placement::Boxed))
        .help("each value in an escaping Box: one allocation and free per item")
        .variant_workload("read_live", pressure(Placement::ReadLive))
        .help("boxed, and each item also reads a random live node (cache misses, no allocation)")
        .variant_workload("churn", pressure(Placement::Churn))
        .help("boxed, and each item also replaces a random live node with a fresh equal one")
}

/// A long-lived node: two allocations (the node and its 1–8 words).
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    key: u64,
    data: Box<[u64]>,
}

impl Node {
    /// Payload bytes: the node itself and its words.
    fn bytes(&self) -> usize {
        std::mem::size_of::<Node>() + std::mem::size_of_val(&*self.data)
    }
}

/// The long-lived heap: every node is its own small allocation on purpose.
#[allow(clippy::vec_box)]
type LiveHeap = Vec<Box<Node>>;

/// Random nodes, boxed, until their payload reaches `bytes`.
fn live_heap(bytes: usize, seed: u64) -> LiveHeap {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let (mut nodes, mut total) = (Vec::new(), 0);
    while total < bytes {
        let len = rng.gen_range(1..=8);
        let node = Box::new(Node {
            key: rng.gen(),
            data: (0..len).map(|_| rng.gen()).collect(),
        });
        total += node.bytes();
        nodes.push(node);
    }
    nodes
}

/// Which live node each item reads or replaces; none if no heap.
fn victims(churn: usize, nodes: usize, seed: u64) -> Vec<u32> {
    if nodes == 0 {
        return Vec::new();
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    (0..churn).map(|_| rng.gen_range(0..nodes as u32)).collect()
}

/// A small value worth 64 bytes, computed per item.
#[derive(Clone, Copy, Debug)]
pub struct Particle {
    pos: [u64; 3],
    vel: [u64; 3],
    mass: u64,
    id: u64,
}

/// Item `i`'s particle.
pub fn particle(i: u64) -> Particle {
    let h = mix(i);
    Particle {
        pos: [h, h.rotate_left(13), h.rotate_left(29)],
        vel: [h ^ 1, h ^ 2, h ^ 3],
        mass: h | 1,
        id: i,
    }
}

/// What an item contributes: a fold over all of its fields.
pub fn score(p: &Particle) -> u64 {
    p.pos
        .iter()
        .zip(&p.vel)
        .fold(p.mass.wrapping_mul(p.id), |acc, (x, v)| {
            acc.wrapping_add(x.wrapping_mul(*v))
        })
}

/// splitmix64's finalizer.
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

#[derive(Clone, Copy, Debug)]
enum Placement {
    Stack,
    Boxed,
    ReadLive,
    Churn,
}

struct Pressure {
    placement: Placement,
    churn: usize,
    live: LiveHeap,
    victims: Vec<u32>,
    total: u64,
}

/// The sum of item scores with every item on the stack.
fn on_stack(churn: usize) -> u64 {
    (0..churn as u64).fold(0, |acc, i| acc.wrapping_add(score(&particle(i))))
}

/// The same sum with every item boxed; the box escapes.
fn boxed(churn: usize) -> u64 {
    (0..churn as u64).fold(0, |acc, i| {
        let p = black_box(Box::new(particle(i)));
        acc.wrapping_add(score(&p))
    })
}

/// `boxed`, plus reading `live[victims[i]]` (its key and every word).
fn with_reads(churn: usize, live: &[Box<Node>], victims: &[u32]) -> u64 {
    (0..churn).fold(0, |acc, i| {
        let p = black_box(Box::new(particle(i as u64)));
        if let Some(v) = victims.get(i) {
            let node = &live[*v as usize];
            black_box(node.data.iter().fold(node.key, |h, x| h ^ x));
        }
        acc.wrapping_add(score(&p))
    })
}

/// `boxed`, plus replacing `live[victims[i]]` with an equal new node.
#[allow(clippy::replace_box)] // A fresh allocation per replacement is the point.
fn with_churn(churn: usize, live: &mut [Box<Node>], victims: &[u32]) -> u64 {
    (0..churn).fold(0, |acc, i| {
        let p = black_box(Box::new(particle(i as u64)));
        if let Some(v) = victims.get(i) {
            let slot = &mut live[*v as usize];
            *slot = Box::new(Node::clone(slot));
        }
        acc.wrapping_add(score(&p))
    })
}

impl Workload for Pressure {
    fn run(&mut self) -> io::Result<()> {
        self.total = match self.placement {
            Placement::Stack => on_stack(self.churn),
            Placement::Boxed => boxed(self.churn),
            Placement::ReadLive => with_reads(self.churn, &self.live, &self.victims),
            Placement::Churn => with_churn(self.churn, &mut self.live, &self.victims),
        };
        Ok(())
    }

    /// The item total and every live node's value.
    fn output_digest(&mut self) -> io::Result<u64> {
        let mut d = Digest::default();
        d.write_u64(self.total);
        for node in &self.live {
            d.write_u64(node.key);
            node.data.iter().for_each(|x| d.write_u64(*x));
        }
        Ok(d.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;
    use tuner_api::ParamValue;

    fn params(live_heap_mb: i64, churn: i64) -> Params {
        testing::params(
            testing::experiment("alloc-pressure"),
            &[
                ("live_heap_mb", ParamValue::Int(live_heap_mb)),
                ("churn", ParamValue::Int(churn)),
            ],
        )
    }

    fn digest(p: &Params) -> u64 {
        testing::common_digest(testing::experiment("alloc-pressure"), p)
    }

    #[test]
    fn every_variant_computes_the_same_and_keeps_the_heap() {
        // Every variant agrees (`digest` checks), with and without a live heap.
        digest(&params(0, 5000));
        let base = digest(&params(1, 5000));
        assert_ne!(base, digest(&params(2, 5000)));
        assert_ne!(base, digest(&params(1, 5001)));
    }

    #[test]
    fn the_live_heap_has_the_requested_payload_in_small_nodes() {
        let heap = live_heap(1 << 20, 1);
        let bytes: usize = heap.iter().map(|n| n.bytes()).sum();
        assert!((1 << 20..(1 << 20) + 100).contains(&bytes), "{bytes}");
        assert!(heap.iter().all(|n| (1..=8).contains(&n.data.len())));
        assert!(heap.len() > 10_000, "{}", heap.len());
        assert!(live_heap(0, 1).is_empty());
    }

    #[test]
    fn churn_replaces_nodes_with_fresh_equal_ones() {
        let mut heap = live_heap(64 << 10, 1);
        let before: Vec<Node> = heap.iter().map(|n| Node::clone(n)).collect();
        let victims = victims(100, heap.len(), 2);
        let old = &*heap[victims[0] as usize] as *const Node;
        let total = with_churn(100, &mut heap, &victims);
        assert_eq!(total, on_stack(100));
        assert_eq!(total, boxed(100));
        assert_eq!(total, with_reads(100, &heap, &victims));
        assert!(heap.iter().map(|n| &**n).eq(before.iter()));
        assert_ne!(&*heap[victims[0] as usize] as *const Node, old);
    }

    #[test]
    fn allocations_per_item_are_exact() {
        let mut heap = live_heap(64 << 10, 1);
        let victims = victims(1000, heap.len(), 2);
        assert_eq!(
            testing::allocations(|| {
                black_box(on_stack(1000));
            }),
            0
        );
        assert_eq!(
            testing::allocations(|| {
                black_box(boxed(1000));
            }),
            1000
        );
        let read = testing::allocations(|| {
            black_box(with_reads(1000, &heap, &victims));
        });
        assert_eq!(read, 1000);
        let churned = testing::allocations(|| {
            black_box(with_churn(1000, &mut heap, &victims));
        });
        assert_eq!(churned, 3000);
    }
}
