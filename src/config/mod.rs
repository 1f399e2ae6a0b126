//! Reading a TOML config into a validated [`Plan`]: serde for the shape,
//! then checks against the experiment catalog, each error naming the file,
//! line and key.

mod error;
mod plan;
mod raw;
mod validate;

pub use error::ConfigError;
pub use plan::{
    Axis, MeasureSettings, Plan, ProfileKind, ProfileSettings, ReportSettings, WorkloadInfo,
};

pub(crate) use validate::parse_buffering;

use std::path::Path;

use tuner_api::Catalog;

/// Validates config `text` against `catalog`, reporting errors against `path`.
pub fn parse(path: &Path, text: &str, catalog: &Catalog) -> Result<Plan, ConfigError> {
    let raw: raw::RawConfig =
        toml::from_str(text).map_err(|e| ConfigError::from_toml(path, text, &e))?;
    validate::validate(path, text, raw, catalog)
}
