//! The statistics engine: from per-process values to summaries, comparisons,
//! verdicts and stability footnotes. Pure functions, no I/O.
//!
//! The process is the unit of replication: each process's samples are reduced
//! to their median (`sample::per_process_medians`) and every interval and test runs
//! across those values. Each module cites the method it implements.
//!
//! - One point: `summary` (median, order-statistic interval), `diagnostics`
//!   (stability footnotes), `exact` (allocation counts).
//! - Two sets of processes: `compare` (Mann-Whitney + Hodges-Lehmann),
//!   `paired` and `sequential` (builds run in adjacent pairs), `blocked`
//!   (processes spread over machines).
//! - Many comparisons: `multiple` (Holm), `verdict` (the rule and its
//!   sentence), `best` (the best point and its ties), `geomean` (the
//!   typical change across points).
//! - Every interval carries its achieved and nominal level (`interval`).

mod best;
mod blocked;
mod compare;
mod diagnostics;
mod effect;
mod error;
mod exact;
mod geomean;
mod guard;
mod interval;
mod mann_whitney;
mod multiple;
mod paired;
mod sample;
mod sequential;
mod signed_rank;
#[cfg(test)]
mod simulation;
mod summary;
mod verdict;

pub use best::{best_and_ties, BestSet};
pub use blocked::{compare_blocked, BlockedComparison, BlockedMethod};
pub use compare::{compare, CompareSettings, Comparison};
pub use diagnostics::{diagnose, DiagnosticSettings, Extreme, Footnote};
pub use effect::{hodges_lehmann_change, Change};
pub use error::StatsError;
pub use exact::{compare_exact, ExactComparison, ExactValue};
pub use geomean::{geomean_change, GeoMean, GeoMeanSettings};
pub use guard::{Guard, PairNeed};
pub use interval::{
    format_change, format_change_with_level, signed_1dp, signed_pct_against, Interval,
};
pub use mann_whitney::{mann_whitney, MannWhitney, PMethod};
pub use multiple::{adjust_family, holm, Tested};
pub use paired::{compare_paired, PairedComparison};
pub use sample::median;
pub use sequential::{SequentialLook, SequentialPlan, Spending};
pub use signed_rank::{signed_rank, walsh_estimate, SignedRank};
pub use summary::Summary;
pub use verdict::{decide, judge, Better, Decision, Reason, Verdict, VerdictRule};

// Shared between the engine's modules, not used outside it.
#[cfg(test)]
use sample::per_process_medians;
use sample::Sorted;
