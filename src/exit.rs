//! Errors at the edge and the exit codes they map to, in one place:
//! 0 success; 1 a run failed, a comparison found what `--fail-on` asked to
//! fail on, or another runtime error; 2 usage or config error; 3 the runs
//! cannot be compared.

use crate::compare::CompareError;
use crate::config::ConfigError;

/// An error at the edge, with the exit code it maps to.
pub enum Failure {
    Config(ConfigError),
    /// Bad input named on the command line (exit 2).
    Usage(anyhow::Error),
    /// The runs cannot be compared (exit 3).
    Incomparable(CompareError),
    /// The comparison found what `--fail-on` asked to fail on (exit 1).
    Gate(Vec<String>),
    Other(anyhow::Error),
}

impl Failure {
    pub fn code(&self) -> u8 {
        match self {
            Failure::Gate(_) | Failure::Other(_) => 1,
            Failure::Config(_) | Failure::Usage(_) => 2,
            Failure::Incomparable(_) => 3,
        }
    }

    pub fn report(&self) {
        match self {
            Failure::Config(e) => eprintln!("error: {e}"),
            Failure::Usage(e) | Failure::Other(e) => eprintln!("error: {e:#}"),
            Failure::Incomparable(e) => eprintln!("error: {e}"),
            Failure::Gate(findings) => {
                eprintln!("error: the comparison fails --fail-on:");
                for f in findings {
                    eprintln!("  {f}");
                }
            }
        }
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Other(e)
    }
}

impl From<CompareError> for Failure {
    fn from(e: CompareError) -> Self {
        Failure::Incomparable(e)
    }
}
