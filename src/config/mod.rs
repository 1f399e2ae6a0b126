//! Reading a TOML config into a validated [`Plan`]: a capped read of a
//! regular file, serde for the shape, then checks against the experiment
//! catalog (or of the `[command]` that replaces it) and sane bounds, each
//! error naming the file, line and key.

mod bounds;
mod command;
mod coverage;
mod env_axis;
mod error;
mod knob_axis;
mod plan;
mod raw;
mod read;
mod validate;

pub(crate) use command::{render, resolve};
pub(crate) use command::{CommandPlan, Metrics, Program};
pub(crate) use error::ConfigError;
pub(crate) use plan::LessonSource;
pub(crate) use plan::{Axis, Plan, ProfileKind, ProfiledPoints, PROCESS_START_S};
pub use plan::{LessonInfo, MeasureSettings};
pub(crate) use read::read;
pub(crate) use read::read_capped;

pub(crate) use validate::parse_buffering;

use std::path::Path;

use tuner_api::Catalog;

/// Validates config `text` against `catalog`, reporting errors against `path`.
pub fn parse(path: &Path, text: &str, catalog: &Catalog) -> Result<Plan, ConfigError> {
    let raw: raw::RawConfig =
        toml::from_str(text).map_err(|e| ConfigError::from_toml(path, text, &e))?;
    validate::validate(path, text, raw, catalog)
}
