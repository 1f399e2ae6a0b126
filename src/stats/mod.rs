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
//! - The block design (issue 18): `design` — rounds as blocks on log time
//!   (Huber, each point's own spread), many-to-one / could-be-best /
//!   declared families, the smallest detectable change, and adaptive
//!   looks with racing.

mod compare;
mod design;
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

pub use compare::CompareSettings;
pub(crate) use compare::{compare, Comparison};
// Issue 18's block-design engine: wired into the analysis, runner and
// report by the lead; until then only its tests call it.
#[allow(unused_imports)]
pub(crate) use design::{
    look, AdaptivePlan, AdaptiveSettings, AdaptiveState, BlockTable, Call, ComparisonState, Design,
    DesignComparison, DesignPower, Event, Family, FamilyAnalysis, FamilyKind, Method, PointState,
    Race, Spread, Status, CHOSEN,
};
pub(crate) use diagnostics::{diagnose, DiagnosticSettings, Footnote};
pub(crate) use effect::{to_pct as log_ratio_pct, Change};
pub(crate) use error::StatsError;
pub(crate) use exact::{compare_exact, ExactComparison, ExactValue};
pub(crate) use geomean::{geomean_change, geomean_of, GeoMean, GeoMeanSettings};
pub(crate) use guard::Guard;
pub(crate) use interval::{format_change, signed_1dp, Interval};
pub(crate) use mann_whitney::MannWhitney;
#[cfg(test)]
pub(crate) use multiple::adjust_family;
pub(crate) use multiple::adjust_within;
pub(crate) use paired::{compare_paired, PairedComparison};
pub(crate) use sample::{median, robust_sd};
pub(crate) use sequential::{SequentialLook, SequentialPlan, Spending};
pub(crate) use summary::Summary;
pub(crate) use verdict::{Better, Decision, Verdict, VerdictRule};

// Shared between the engine's modules, not used outside it.
#[cfg(test)]
use sample::per_process_medians;
use sample::Sorted;
