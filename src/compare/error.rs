//! Why two runs cannot be compared at all (exit code 3).

use thiserror::Error;

/// Two runs that cannot be compared. Anything less (a point present in one
/// run only, a point without results) is a warning in the comparison.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum CompareError {
    /// The runs measured different workloads.
    #[error("cannot compare: base runs workload `{base}`, head runs workload `{head}`")]
    DifferentWorkloads { base: String, head: String },
    /// No point of one run matches a point of the other.
    #[error(
        "cannot compare: no point in common (base has {}; head has {})",
        .base.join(", "),
        .head.join(", ")
    )]
    NoOverlap {
        base: Vec<String>,
        head: Vec<String>,
    },
    /// Points match, but none has successful processes on both sides.
    #[error("cannot compare: no point in common has successful processes in both runs")]
    NoResults,
    /// The two builds of a paired A/B cannot run the same config.
    #[error("cannot compare the builds: {0}")]
    Builds(String),
}
