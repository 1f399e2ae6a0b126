//! A paired A/B's raw results: every worker process with its build, its
//! pair and its place in the pair, in `ab.json`; and the journal they are
//! appended to as they finish (`journal.jsonl`: the header, then one
//! record per line), so a killed gate loses nothing it measured. The
//! analysis is always re-derived from these records.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

use super::layout::Layout;
use super::sequential::Stopping;
use super::side::{Build, Side};
use crate::analysis::ProcessMetrics;
use crate::config::Plan;
use crate::environment::Environment;
use crate::results::RunRecord;

/// The version of `ab.json`'s layout.
pub(crate) const AB_SCHEMA: u32 = 1;
/// The gate's results file in its run folder.
pub(crate) const AB_FILE: &str = "ab.json";

/// How the gate was planned.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Design {
    /// Pairs per point the gate plans to run.
    pub pairs: u32,
    /// No round starts after this much time has passed.
    #[serde(default, with = "humantime_serde")]
    pub max_time: Option<Duration>,
    /// Seeds the order of points, of builds within pairs, and the layout offsets.
    pub seed: u64,
    pub layout: Layout,
    /// The looks of a sequential gate; `None`: every point runs all its pairs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopping: Option<Stopping>,
}

/// Everything but the records: the journal's first line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct AbHeader {
    pub schema: u32,
    /// The worker protocol this runner speaks (both builds must).
    pub protocol: u32,
    pub tuner_version: String,
    pub run_id: String,
    pub config_path: String,
    pub config_text: String,
    /// The config as validated; each side's points carry its settings.
    pub plan: Plan,
    pub base: Side,
    pub head: Side,
    pub design: Design,
    pub environment: Environment,
}

impl AbHeader {
    pub(crate) fn side(&self, build: Build) -> &Side {
        match build {
            Build::Base => &self.base,
            Build::Head => &self.head,
        }
    }
}

/// One worker process of the gate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct PairRecord {
    pub build: Build,
    /// 0: ran first in its pair; 1: second.
    pub position: u8,
    /// The layout offset the pair ran at.
    pub offset: u32,
    /// A start-up run that checks the build and is not judged.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub probe: bool,
    /// `run.point` is the point, `run.process` the pair's index, `run.seq`
    /// the position in the gate's order.
    pub run: RunRecord,
}

/// `ab.json`: the header and every process.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct AbRun {
    #[serde(flatten)]
    pub header: AbHeader,
    pub records: Vec<PairRecord>,
    /// Wall time of the whole gate, probes included, in seconds.
    #[serde(default)]
    pub wall_s: f64,
    /// Why the gate ran fewer pairs than planned: the time budget, or a
    /// signal (Ctrl-C), with how far it got.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    /// Damage found when reading the records back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// One complete pair of a point: both processes succeeded.
pub(crate) struct Pair {
    pub base: ProcessMetrics,
    pub head: ProcessMetrics,
    /// Whether base ran first.
    pub base_first: bool,
}

impl AbRun {
    /// The complete pairs of `point`, by pair index.
    pub(crate) fn pairs(&self, point: usize) -> Vec<Pair> {
        let mut sides: BTreeMap<u32, [Option<&PairRecord>; 2]> = BTreeMap::new();
        for r in self
            .records
            .iter()
            .filter(|r| !r.probe && r.run.point == point)
        {
            sides.entry(r.run.process).or_default()[r.build as usize] = Some(r);
        }
        sides
            .into_values()
            .filter_map(|[base, head]| {
                let (base, head) = (base?, head?);
                Some(Pair {
                    base: ProcessMetrics::of(&base.run)?,
                    head: ProcessMetrics::of(&head.run)?,
                    base_first: base.position == 0,
                })
            })
            .collect()
    }

    /// Processes that failed (probes included).
    pub(crate) fn failures(&self) -> impl Iterator<Item = &PairRecord> {
        self.records.iter().filter(|r| r.run.output().is_none())
    }

    /// Writes `ab.json` atomically.
    pub(crate) fn save(&self, path: &Path) -> std::io::Result<()> {
        let json = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        crate::fsio::write_atomic(path, json)
    }

    /// Reads an `ab.json`, or the `journal.jsonl` of a gate that was
    /// killed (a partial last line is set aside with a warning).
    pub(crate) fn load(path: &Path) -> anyhow::Result<AbRun> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let run = if path.extension().is_some_and(|e| e == "jsonl") {
            from_journal(&text)
                .with_context(|| format!("{} is not a tuner ab journal", path.display()))?
        } else {
            serde_json::from_str::<AbRun>(&text)
                .with_context(|| format!("{} is not a tuner ab.json", path.display()))?
        };
        anyhow::ensure!(
            run.header.schema == AB_SCHEMA,
            "{} has ab schema {}, this tuner reads schema {AB_SCHEMA}",
            path.display(),
            run.header.schema
        );
        Ok(run)
    }
}

fn from_journal(text: &str) -> anyhow::Result<AbRun> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: AbHeader = serde_json::from_str(lines.next().unwrap_or(""))?;
    let mut run = AbRun {
        header,
        records: Vec::new(),
        wall_s: 0.0,
        stopped: Some("read from the journal: the gate did not finish".into()),
        warnings: Vec::new(),
    };
    for (i, line) in lines.enumerate() {
        match serde_json::from_str(line) {
            Ok(record) => run.records.push(record),
            Err(e) => run
                .warnings
                .push(format!("journal line {} set aside: {e}", i + 2)),
        }
    }
    Ok(run)
}
