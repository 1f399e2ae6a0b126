//! The config file's shape, as serde reads it. Values that need checking
//! against the catalog stay `Spanned` so errors can point at them.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

pub(super) type Table = BTreeMap<Spanned<String>, Spanned<toml::Value>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    /// Required for a catalog workload (`workload`); optional with a `[command]`.
    pub experiment: Option<Spanned<RawExperiment>>,
    #[serde(default)]
    pub params: Table,
    #[serde(default)]
    pub matrix: RawMatrix,
    #[serde(default)]
    pub measure: RawMeasure,
    #[serde(default)]
    pub report: RawReport,
    pub profile: Option<Spanned<RawProfile>>,
    /// An external command to run instead of a catalog workload.
    pub command: Option<RawCommand>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawExperiment {
    pub name: Option<Spanned<String>>,
    pub description: Option<Spanned<String>>,
    /// A catalog entry; a config with a `[command]` names none.
    pub workload: Option<Spanned<String>>,
}

/// Unknown keys pass here: they are runtime knobs, or errors, which
/// `knob_axis` tells apart with their spans.
#[derive(Default, Deserialize)]
pub(super) struct RawMatrix {
    pub threads: Option<Spanned<toml::Value>>,
    pub allocator: Option<Spanned<toml::Value>>,
    pub buffering: Option<Spanned<toml::Value>>,
    #[serde(default)]
    pub exclude: Vec<Spanned<Table>>,
    /// Environment variables as axes: `GOGC = ["50", "100", "off"]`.
    #[serde(default)]
    pub env: Table,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMeasure {
    pub processes: Option<Spanned<u32>>,
    pub samples: Option<Spanned<u32>>,
    pub warmup: Option<Spanned<String>>,
    pub min_sample_time: Option<Spanned<String>>,
    pub timeout: Option<Spanned<String>>,
    pub seed: Option<u64>,
    pub memory_limit: Option<Spanned<String>>,
    pub budget: Option<Spanned<String>>,
    pub max_processes: Option<Spanned<u32>>,
    pub look_every: Option<Spanned<u32>>,
    pub racing: Option<Spanned<bool>>,
    pub spending: Option<Spanned<String>>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawReport {
    pub dir: Option<Spanned<String>>,
    pub baseline: Option<Spanned<Table>>,
    pub html: Option<bool>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawProfile {
    pub spans: Option<bool>,
    pub cpu: Option<bool>,
    pub cpu_frequency: Option<Spanned<u32>>,
    pub timeline: Option<bool>,
    pub heap: Option<bool>,
    pub diff: Option<Spanned<bool>>,
    pub duration: Option<Spanned<String>>,
    pub points: Option<Spanned<String>>,
}

/// A list of strings, each element spanned.
pub(super) type Strings = Spanned<Vec<Spanned<String>>>;
/// A table of strings by name.
pub(super) type StringTable = BTreeMap<Spanned<String>, Spanned<String>>;

/// `[command]`: an external program to run as the workload.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCommand {
    pub argv: Option<Strings>,
    pub variants: Option<BTreeMap<Spanned<String>, Strings>>,
    pub cwd: Option<Spanned<String>>,
    pub stdin: Option<Spanned<String>>,
    pub prepare: Option<Strings>,
    pub cleanup: Option<Strings>,
    #[serde(default)]
    pub env: StringTable,
    pub threads_env: Option<Strings>,
    pub metrics: Option<Spanned<String>>,
    pub warmup: Option<Spanned<u32>>,
    pub check_output: Option<Spanned<bool>>,
    #[serde(default)]
    pub preload: StringTable,
}
