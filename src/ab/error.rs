//! What stops a paired A/B before it judges anything, and the exit code
//! each maps to: bad builds or settings are usage errors (2), builds that
//! cannot run the same config are incomparable (3).

use std::path::PathBuf;

use thiserror::Error;

use super::side::Build;
use crate::compare::CompareError;
use crate::exit::Failure;

#[derive(Debug, Error)]
pub(crate) enum AbError {
    /// `--base`/`--head` names no executable file.
    #[error("--{build} {}: {reason}", .path.display())]
    NoBuild {
        build: Build,
        path: PathBuf,
        reason: String,
    },
    /// A `--base-set`/`--head-set` setting the config cannot take.
    #[error("--{build}-set {setting}: {reason}")]
    BadSetting {
        build: Build,
        setting: String,
        reason: String,
    },
    /// The sides' settings made their matrices differ.
    #[error(
        "the settings give base {base} points and head {head}: both sides must run the same points"
    )]
    PointsDiffer { base: usize, head: usize },
    /// A build cannot run the config as this runner asks (another worker
    /// protocol, or a catalog without the workload).
    #[error("build {build} ({}) cannot run this config: {reason}", .path.display())]
    Incompatible {
        build: Build,
        path: PathBuf,
        reason: String,
    },
}

impl From<AbError> for Failure {
    fn from(e: AbError) -> Failure {
        match e {
            AbError::Incompatible { .. } => {
                Failure::Incomparable(CompareError::Builds(e.to_string()))
            }
            other => Failure::Usage(other.into()),
        }
    }
}
