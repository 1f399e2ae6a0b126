//! The config file's shape, as serde reads it. Values that need checking
//! against the catalog stay `Spanned` so errors can point at them.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

pub type Table = BTreeMap<Spanned<String>, Spanned<toml::Value>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub experiment: RawExperiment,
    #[serde(default)]
    pub params: Table,
    #[serde(default)]
    pub matrix: RawMatrix,
    #[serde(default)]
    pub measure: RawMeasure,
    #[serde(default)]
    pub report: RawReport,
    #[serde(default)]
    pub profile: RawProfile,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExperiment {
    pub name: Option<Spanned<String>>,
    pub description: Option<Spanned<String>>,
    pub workload: Spanned<String>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMatrix {
    pub threads: Option<Spanned<toml::Value>>,
    pub allocator: Option<Spanned<toml::Value>>,
    pub buffering: Option<Spanned<toml::Value>>,
    #[serde(default)]
    pub exclude: Vec<Spanned<Table>>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMeasure {
    pub processes: Option<Spanned<u32>>,
    pub samples: Option<Spanned<u32>>,
    pub warmup: Option<Spanned<String>>,
    pub min_sample_time: Option<Spanned<String>>,
    pub timeout: Option<Spanned<String>>,
    pub seed: Option<u64>,
    pub memory_limit: Option<Spanned<String>>,
    pub budget: Option<Spanned<String>>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawReport {
    pub dir: Option<Spanned<String>>,
    pub baseline: Option<Spanned<Table>>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProfile {
    pub spans: Option<bool>,
    pub cpu: Option<bool>,
    pub cpu_frequency: Option<Spanned<u32>>,
    pub timeline: Option<bool>,
    pub heap: Option<bool>,
    pub diff: Option<Spanned<bool>>,
    pub duration: Option<Spanned<String>>,
    pub points: Option<Spanned<String>>,
}
