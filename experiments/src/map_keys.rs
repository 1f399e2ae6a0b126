//! Map keys, the seed's "use int keys instead of string keys" tip: build a
//! map of `entries` ids, then look up `lookups` ids (half of them absent).
//!
//! `u64` and `string` key the same ids as integers and as their decimal
//! strings; the `fxhash` parameter picks the map's hasher for both, std's
//! SipHash-1-3 (`false`, DoS-resistant) or rustc-hash's FxHash (`true`,
//! fast and non-cryptographic), so the key type and the hasher are
//! separate axes and a key comparison never changes both at once. String keys cost
//! an allocation per inserted key and a hash over every byte; integer keys
//! hash one word.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, RandomState};

use rustc_hash::FxBuildHasher;

use tuner_api::{Bench, Context, Expect, Lesson, Params};

/// The variants, in the order `list` shows them, with the keys they use.
const VARIANTS: &[(&str, &str, Keys)] = &[
    ("u64", "HashMap<u64, u64>, hashed per `fxhash`", Keys::Ints),
    (
        "string",
        "HashMap<String, u64>, the ids as decimal strings, hashed per `fxhash`",
        Keys::Strings,
    ),
];

const NOTES: &str = "The Rust twist: in Go the win is partly the garbage collector's (a map \
without pointers is not scanned); here there is no scan, so what is left is hashing, \
comparing and allocating. The hasher is a second lever Go does not offer: std's `HashMap` \
defaults to SipHash-1-3, which resists hash-flooding attacks and costs more per byte than \
FxHash; a string key pays that per byte, an integer key once. Each key comparison in the \
table is made with the same hasher on both sides.";

/// The `map-keys` experiment: an operation builds the map and runs the
/// lookups, and returns their [`Tally`] (the output every variant shares).
pub fn bench() -> Bench {
    let mut bench = Bench::new("map-keys")
        .about("build and query a hash map: u64 vs String keys, each with SipHash or FxHash")
        .notes(NOTES)
        .lesson(Lesson::new(
            "use int keys instead of string keys",
            &[("variant", "string")],
            &[("variant", "u64")],
            Expect::Faster,
        ));
    let entries = bench.param_in(
        "entries",
        10_000usize,
        1..=10_000_000,
        "keys inserted per operation (at most 10^7: the keys as integers and strings \
and the map take about 2.5 GiB at the bound)",
    );
    let lookups = bench.param_in(
        "lookups",
        100_000usize,
        0..=100_000_000,
        "lookups per operation, half of them for absent keys (at most 10^8: 400 MB of queries)",
    );
    let fxhash = bench.param(
        "fxhash",
        false,
        "hash with rustc-hash's FxHash instead of std's SipHash-1-3",
    );
    for &(name, help, keys) in VARIANTS {
        bench = bench
            .variant(name, move |p: &Params, _: &Context| {
                let tally = tally_fn(keys, Hashing::of(p.get(fxhash)));
                let entries = p.get(entries);
                let set = KeySet::new(2 * entries);
                let queries = queries(p.get(lookups), 2 * entries);
                move || tally(&set, entries, &queries)
            })
            .help(help);
    }
    bench
}

/// The same ids as integers and as decimal strings; the first `entries`
/// are inserted, the rest are only looked up (misses).
struct KeySet {
    ints: Vec<u64>,
    strings: Vec<String>,
}

impl KeySet {
    fn new(count: usize) -> KeySet {
        let ints: Vec<u64> = (0..count as u64).map(mix).collect();
        let strings = ints.iter().map(u64::to_string).collect();
        KeySet { ints, strings }
    }
}

/// `count` pseudo-random indices below `keys`, the same for every variant.
fn queries(count: usize, keys: usize) -> Vec<u32> {
    (0..count as u64)
        .map(|j| (mix(j ^ 0x5eed) % keys as u64) as u32)
        .collect()
}

/// splitmix64's finalizer: distinct, random-looking ids.
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// What one operation found: map size, hits, misses, and the sum of hit
/// values. Hashed field by field into the output digest.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
struct Tally {
    len: usize,
    hits: u64,
    misses: u64,
    sum: u64,
}

type TallyFn = fn(&KeySet, usize, &[u32]) -> Tally;

/// The keys a variant uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Keys {
    Ints,
    Strings,
}

/// The map's hasher.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hashing {
    Sip,
    Fx,
}

impl Hashing {
    /// The hasher the `fxhash` parameter names.
    fn of(fxhash: bool) -> Hashing {
        if fxhash {
            Hashing::Fx
        } else {
            Hashing::Sip
        }
    }
}

/// The operation over `keys` hashed by `hashing`.
fn tally_fn(keys: Keys, hashing: Hashing) -> TallyFn {
    match (keys, hashing) {
        (Keys::Ints, Hashing::Sip) => |k, n, q| tally::<_, RandomState>(&k.ints, n, q),
        (Keys::Strings, Hashing::Sip) => |k, n, q| tally::<_, RandomState>(&k.strings, n, q),
        (Keys::Ints, Hashing::Fx) => |k, n, q| tally::<_, FxBuildHasher>(&k.ints, n, q),
        (Keys::Strings, Hashing::Fx) => |k, n, q| tally::<_, FxBuildHasher>(&k.strings, n, q),
    }
}

/// Inserts `keys[..entries]` (value = position) into a new map hashed by
/// `S`, then looks up `keys[q]` for every query.
fn tally<K: Hash + Eq + Clone, S: BuildHasher + Default>(
    keys: &[K],
    entries: usize,
    queries: &[u32],
) -> Tally {
    let mut map: HashMap<K, u64, S> = HashMap::default();
    for (value, key) in keys[..entries].iter().enumerate() {
        map.insert(key.clone(), value as u64);
    }
    let mut t = Tally {
        len: map.len(),
        ..Tally::default()
    };
    for q in queries {
        match map.get(&keys[*q as usize]) {
            Some(value) => {
                t.hits += 1;
                t.sum += value;
            }
            None => t.misses += 1,
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;
    use tuner_api::ParamValue;

    fn params(entries: i64, lookups: i64, fxhash: bool) -> Params {
        testing::params(
            testing::experiment("map-keys"),
            &[
                ("entries", ParamValue::Int(entries)),
                ("lookups", ParamValue::Int(lookups)),
                ("fxhash", ParamValue::Bool(fxhash)),
            ],
        )
    }

    fn digest(p: &Params) -> u64 {
        testing::common_digest(testing::experiment("map-keys"), p)
    }

    #[test]
    fn every_key_and_hasher_finds_the_same_values() {
        let all = digest(&params(1000, 5000, false));
        assert_eq!(all, digest(&params(1000, 5000, true)));
        assert_ne!(all, digest(&params(1001, 5000, false)));
        assert_ne!(all, digest(&params(1000, 5001, true)));
    }

    #[test]
    fn the_variant_picks_the_keys_and_the_parameter_the_hasher() {
        let keys: Vec<_> = VARIANTS
            .iter()
            .map(|&(name, _, keys)| (name, keys))
            .collect();
        assert_eq!(keys, [("u64", Keys::Ints), ("string", Keys::Strings)]);
        assert_eq!(
            (Hashing::of(false), Hashing::of(true)),
            (Hashing::Sip, Hashing::Fx)
        );
    }

    #[test]
    fn the_digest_is_the_tally_field_by_field() {
        use std::hash::{Hash, Hasher};
        let t = Tally {
            len: 3,
            hits: 5,
            misses: 7,
            sum: 11,
        };
        let (mut derived, mut by_hand) =
            (tuner_api::Digest::default(), tuner_api::Digest::default());
        t.hash(&mut derived);
        by_hand.write_usize(3);
        [5, 7, 11].iter().for_each(|x| by_hand.write_u64(*x));
        assert_eq!(derived.finish(), by_hand.finish());
    }

    #[test]
    fn about_half_the_lookups_hit_and_hits_match_a_scan() {
        let keys = KeySet::new(2000);
        let qs = queries(10_000, 2000);
        let t = tally::<_, FxBuildHasher>(&keys.strings, 1000, &qs);
        let hits: Vec<u64> = qs
            .iter()
            .map(|q| u64::from(*q))
            .filter(|q| *q < 1000)
            .collect();
        assert_eq!(t.len, 1000);
        assert_eq!(t.hits, hits.len() as u64);
        assert_eq!(t.misses, 10_000 - t.hits);
        assert_eq!(t.sum, hits.iter().sum::<u64>());
        assert!((4500..5500).contains(&t.hits), "{t:?}");
    }

    #[test]
    fn ids_are_distinct_and_strings_spell_them() {
        let keys = KeySet::new(10_000);
        let distinct: std::collections::HashSet<_> = keys.ints.iter().collect();
        assert_eq!(distinct.len(), 10_000);
        assert_eq!(keys.strings[3], keys.ints[3].to_string());
    }

    #[test]
    fn string_keys_allocate_per_entry_and_int_keys_do_not() {
        let keys = KeySet::new(2000);
        let qs = queries(1000, 2000);
        let ints = testing::allocations(|| {
            tally::<_, FxBuildHasher>(&keys.ints, 1000, &qs);
        });
        let strings = testing::allocations(|| {
            tally::<_, FxBuildHasher>(&keys.strings, 1000, &qs);
        });
        // The table grows by doubling: a dozen allocations either way.
        assert!(ints <= 15, "{ints}");
        assert_eq!(strings, ints + 1000);
    }
}
