//! Sample-size guards: the explicit reason an interval or a test is withheld.
//!
//! Below 6 processes a distribution-free 95% interval for a median does not
//! exist (the widest one, from the smallest to the largest value, covers only
//! 1 − 2/2⁵ = 93.75% at n = 5), and below 4 processes per side no two-sided
//! Mann-Whitney test can reach p < 0.05 (the smallest possible p at 3 + 3 is
//! 2/20 = 0.1). A paired comparison needs 6 pairs for either: the smallest
//! two-sided signed-rank p is 2/2ⁿ, 0.0625 at n = 5. The engine therefore states a reason instead of showing a
//! number that cannot mean what it seems to.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Fewest processes (per side) for any confidence interval.
pub(super) const MIN_FOR_INTERVAL: usize = 6;
/// Fewest processes per side for a significance test.
pub(super) const MIN_FOR_TEST: usize = 4;
/// Fewest (base, head) pairs for a signed-rank test or interval at 95%.
pub(super) const MIN_PAIRS: usize = 6;

/// Why an interval or a significance test was not computed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Guard {
    /// Too few processes for a confidence interval at the requested level.
    NoInterval { have: usize, need: usize },
    /// Too few processes per side for a significance test.
    NoSignificance { have: usize, need: usize },
    /// Too few points in common for an interval across points.
    FewPoints { have: usize, need: usize },
    /// Too few (base, head) pairs for an interval or a test.
    FewPairs {
        have: usize,
        need: usize,
        what: PairNeed,
    },
}

/// What a paired comparison lacked pairs for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PairNeed {
    Interval,
    Test,
}

impl fmt::Display for Guard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Guard::NoInterval { have, need } => {
                write!(f, "needs ≥ {need} processes for an interval, have {have}")
            }
            Guard::NoSignificance { have, need } => write!(
                f,
                "needs ≥ {need} processes per side for a significance test, have {have}"
            ),
            Guard::FewPoints { have, need } => write!(
                f,
                "needs ≥ {need} points in common for an interval across points, have {have}"
            ),
            Guard::FewPairs { have, need, what } => {
                let what = match what {
                    PairNeed::Interval => "an interval",
                    PairNeed::Test => "a significance test",
                };
                write!(f, "needs ≥ {need} pairs for {what}, have {have}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_both_counts() {
        let g = Guard::NoInterval { have: 4, need: 6 };
        assert_eq!(g.to_string(), "needs ≥ 6 processes for an interval, have 4");
        let g = Guard::FewPairs {
            have: 5,
            need: 6,
            what: PairNeed::Test,
        };
        assert_eq!(
            g.to_string(),
            "needs ≥ 6 pairs for a significance test, have 5"
        );
        let g = Guard::NoSignificance { have: 3, need: 4 };
        assert_eq!(
            g.to_string(),
            "needs ≥ 4 processes per side for a significance test, have 3"
        );
    }
}
