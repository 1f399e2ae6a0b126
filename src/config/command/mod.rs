//! The `[command]` table: an external program as the workload (argv
//! templates, environment knobs, preloaded allocators), validated into a
//! [`CommandPlan`].

mod check;
mod plan;
mod preload;
mod settings;
mod template;
#[cfg(test)]
mod tests;

pub(crate) use plan::{CommandPlan, Metrics, Program};
pub(crate) use settings::resolve;
pub(crate) use template::render;

/// What an environment variable's name may be, for messages.
pub(crate) const ENV_NAME_RULE: &str =
    "a letter or `_`, then letters, digits or `_` (names starting with TUNER_ are tuner's own)";
