//! Errors of the statistics engine: inputs it refuses rather than guesses about.
//!
//! Every statistic here needs finite values; ratios and log-scale effects also
//! need positive ones. Rather than silently dropping a NaN (which would change
//! the number of processes behind a result) the engine reports the value and
//! its position.

use thiserror::Error;

/// Why a statistic could not be computed at all. Too few values for an
/// interval or a test is not an error: see [`super::Guard`].
#[derive(Clone, Debug, PartialEq, Error)]
pub enum StatsError {
    /// No values were given where at least one is needed.
    #[error("no values for {what}")]
    Empty { what: String },
    /// A value is NaN or infinite.
    #[error("value {value} at index {index} is not finite")]
    NonFinite { index: usize, value: f64 },
    /// A value is zero or negative where a ratio or logarithm is taken.
    #[error("value {value} at index {index} is not positive, but a ratio needs positive values")]
    NonPositive { index: usize, value: f64 },
    /// The same point key appears twice in one run.
    #[error("point {key:?} appears twice in one run")]
    DuplicateKey { key: String },
    /// A setting is outside its valid range.
    #[error("setting {name} = {value} is out of range: expected {expected}")]
    InvalidSetting {
        name: String,
        value: f64,
        expected: String,
    },
}

impl StatsError {
    pub(crate) fn empty(what: &str) -> Self {
        StatsError::Empty {
            what: what.to_string(),
        }
    }

    /// Checks that `value` lies strictly between 0 and 1 (a probability setting).
    pub(crate) fn check_unit_open(name: &str, value: f64) -> Result<(), StatsError> {
        if value > 0.0 && value < 1.0 {
            return Ok(());
        }
        Err(StatsError::InvalidSetting {
            name: name.to_string(),
            value,
            expected: "a number strictly between 0 and 1".to_string(),
        })
    }

    /// Checks that `value` is finite and not negative.
    pub(crate) fn check_non_negative(name: &str, value: f64) -> Result<(), StatsError> {
        if value.is_finite() && value >= 0.0 {
            return Ok(());
        }
        Err(StatsError::InvalidSetting {
            name: name.to_string(),
            value,
            expected: "a finite number ≥ 0".to_string(),
        })
    }
}
