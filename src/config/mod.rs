//! Reading a TOML config into a validated [`Plan`]: serde for the shape,
//! then checks against the experiment catalog, each error naming the file,
//! line and key.

mod error;
mod plan;
mod raw;
mod validate;

pub use error::ConfigError;
pub use plan::{Axis, MeasureSettings, Plan, ProfileKind, ProfileSettings, ReportSettings};

use std::path::Path;

/// Validates config `text`, reporting errors against `path`.
pub fn parse(path: &Path, text: &str) -> Result<Plan, ConfigError> {
    let raw: raw::RawConfig =
        toml::from_str(text).map_err(|e| ConfigError::from_toml(path, text, &e))?;
    validate::validate(path, text, raw)
}
