//! Errors at the edge and the exit codes they map to, in one place:
//! 0 success; 1 a run failed, a comparison found what `--fail-on` asked to
//! fail on, or another runtime error; 2 usage or config error; 3 the runs
//! cannot be compared; 4 `--require-quiet` found the machine busy; 128 + the signal (130 for Ctrl-C, 143 for SIGTERM)
//! when a signal stopped the run.

use crate::compare::CompareError;
use crate::config::ConfigError;
use crate::console::errln;

/// An error at the edge, with the exit code it maps to.
pub(crate) enum Failure {
    Config(ConfigError),
    /// Bad input named on the command line (exit 2).
    Usage(anyhow::Error),
    /// The runs cannot be compared (exit 3).
    Incomparable(CompareError),
    /// The comparison found what `--fail-on` asked to fail on (exit 1).
    Gate(Vec<String>),
    /// A signal stopped the run; what it measured is saved (exit 128 +
    /// signal), and `resume` finishes it when it was cut short.
    Stopped {
        signal: i32,
        resume: Option<String>,
    },
    Other(anyhow::Error),
    /// `--require-quiet`: the machine stayed busy (exit 4); what was
    /// measured is saved.
    Busy(String),
}

impl Failure {
    pub(crate) fn code(&self) -> u8 {
        match self {
            Failure::Gate(_) | Failure::Other(_) => 1,
            Failure::Config(_) | Failure::Usage(_) => 2,
            Failure::Incomparable(_) => 3,
            Failure::Busy(_) => 4,
            Failure::Stopped { signal, .. } => (128 + signal).clamp(129, 255) as u8,
        }
    }

    pub(crate) fn report(&self) {
        match self {
            Failure::Config(e) => errln(&format!("error: {e}")),
            Failure::Usage(e) | Failure::Other(e) => errln(&format!("error: {e:#}")),
            Failure::Incomparable(e) => errln(&format!("error: {e}")),
            Failure::Busy(why) => errln(&format!("error: {why}")),
            Failure::Gate(findings) => {
                errln("error: the comparison fails --fail-on:");
                for f in findings {
                    errln(&format!("  {f}"));
                }
            }
            Failure::Stopped {
                resume: Some(resume),
                ..
            } => errln(&format!("stopped: finish the run with `{resume}`")),
            Failure::Stopped { resume: None, .. } => errln("stopped"),
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
