//! The order of a paired A/B: round after round, every point gets one
//! pair per round, the points in a shuffled order; within a pair the two
//! builds run back to back, so whatever the machine does at that moment
//! (load from elsewhere, frequency, thermal state) touches both, and
//! cancels in their ratio.
//!
//! Which build runs first alternates in balanced blocks: of each point's
//! pairs 2k and 2k+1 one starts with base and one with head, in a random
//! order. A second process that runs faster or slower for being second
//! (a warm page cache, a cooling core) then biases no build, and the
//! balance holds at every even number of pairs, however early a gate
//! stops. Each pair also draws a layout offset that both its processes
//! share ([`super::layout`]).

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use super::side::Build;

/// One pair to run: the `pair`-th pair of `point`, `first` going first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct PairSlot {
    pub point: usize,
    pub pair: u32,
    pub first: Build,
    /// The layout offset both processes of the pair run with.
    pub offset: u32,
}

impl PairSlot {
    /// The pair's two builds in the order they run.
    pub(super) fn order(&self) -> [Build; 2] {
        [self.first, self.first.other()]
    }
}

/// `rounds` rounds of one pair per point, seeded by `seed`; offsets are
/// drawn in `0..offsets`.
pub(super) fn schedule(points: usize, rounds: u32, offsets: u32, seed: u64) -> Vec<Vec<PairSlot>> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    // Per point, which build starts each block of two pairs.
    let starts: Vec<Vec<Build>> = (0..points)
        .map(|_| {
            (0..rounds.div_ceil(2))
                .flat_map(|_| {
                    let mut block = Build::BOTH;
                    block.shuffle(&mut rng);
                    block
                })
                .collect()
        })
        .collect();
    (0..rounds)
        .map(|pair| {
            let mut round: Vec<usize> = (0..points).collect();
            round.shuffle(&mut rng);
            round
                .into_iter()
                .map(|point| PairSlot {
                    point,
                    pair,
                    first: starts[point][pair as usize],
                    offset: rng.gen_range(0..offsets.max(1)),
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_round_has_every_point_once_and_replays_from_its_seed() {
        let rounds = schedule(4, 6, 100, 7);
        assert_eq!(rounds.len(), 6);
        for (i, round) in rounds.iter().enumerate() {
            let mut points: Vec<usize> = round.iter().map(|s| s.point).collect();
            points.sort();
            assert_eq!(points, [0, 1, 2, 3]);
            assert!(round.iter().all(|s| s.pair == i as u32 && s.offset < 100));
        }
        assert_eq!(rounds, schedule(4, 6, 100, 7));
        assert_ne!(rounds, schedule(4, 6, 100, 8));
    }

    #[test]
    fn each_build_goes_first_in_half_the_pairs_at_every_even_count() {
        let rounds = schedule(3, 40, 1, 11);
        for point in 0..3 {
            let firsts: Vec<Build> = rounds
                .iter()
                .flat_map(|r| r.iter().filter(|s| s.point == point).map(|s| s.first))
                .collect();
            for even in (2..=40).step_by(2) {
                let base = firsts[..even].iter().filter(|b| **b == Build::Base).count();
                assert_eq!(base * 2, even, "point {point} after {even} pairs");
            }
            // Not a fixed alternation: both orders of a block occur.
            assert!(firsts.chunks(2).any(|c| c[0] == Build::Base));
            assert!(firsts.chunks(2).any(|c| c[0] == Build::Head));
        }
    }

    #[test]
    fn offsets_spread_over_their_range() {
        let rounds = schedule(2, 200, 8, 3);
        let mut seen = [0usize; 8];
        for s in rounds.iter().flatten() {
            seen[s.offset as usize] += 1;
        }
        assert!(seen.iter().all(|&n| n > 20), "{seen:?}");
        assert_eq!(
            PairSlot {
                point: 0,
                pair: 0,
                first: Build::Head,
                offset: 0
            }
            .order(),
            [Build::Head, Build::Base]
        );
    }
}
