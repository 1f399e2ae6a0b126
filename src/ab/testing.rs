//! Gates built in memory for the tests: a config's points on both sides
//! and pairs of processes with chosen values, no workload run.

use std::path::Path;

use super::layout::{Layout, LayoutMode};
use super::record::{AbHeader, AbRun, Design, PairRecord, AB_SCHEMA};
use super::side::{Build, Executable, Setting, Side};
use crate::fixtures::{output, record};
use crate::results::Outcome;

pub(super) const TWO_POINTS: &str =
    "[experiment]\nname = \"gate\"\nworkload = \"selfcheck\"\n[params]\nvariant = \"spin\"\nsteps = [100, 200]\n";

/// The header of a gate of `config` with `head_set` on the head side.
pub(super) fn header(config: &str, head_set: &[&str]) -> AbHeader {
    let catalog = tuner_experiments::catalog();
    let plan = crate::config::parse(Path::new("gate.toml"), config, &catalog).unwrap();
    let side = |build, settings: &[&str]| {
        let settings: Vec<Setting> = settings
            .iter()
            .map(|s| Setting::parse(s).unwrap())
            .collect();
        let exe = Executable::worker(build, Path::new("/bin/sh")).unwrap();
        Side::new(build, exe, &settings, &plan, &catalog).unwrap()
    };
    AbHeader {
        schema: AB_SCHEMA,
        protocol: crate::protocol::PROTOCOL_VERSION,
        tuner_version: "test".into(),
        run_id: "run".into(),
        config_path: "gate.toml".into(),
        config_text: config.into(),
        base: side(Build::Base, &[]),
        head: side(Build::Head, head_set),
        design: Design {
            pairs: 12,
            max_time: None,
            seed: 1,
            layout: Layout {
                mode: LayoutMode::Paired,
                aslr_off: true,
                pin: None,
                pinned_within: None,
                allowed: None,
            },
            stopping: None,
        },
        plan,
        environment: crate::environment::Environment {
            optimized: true,
            ..Default::default()
        },
    }
}

/// A gate whose point `i` has the pairs `(base, head)` ns/op in
/// `pairs[i]`, base first in even pairs; `None`: that process failed.
pub(super) fn gate(header: AbHeader, pairs: &[Vec<(Option<f64>, Option<f64>)>]) -> AbRun {
    let mut records = Vec::new();
    for (point, list) in pairs.iter().enumerate() {
        for (i, (base, head)) in list.iter().enumerate() {
            let base_first = i % 2 == 0;
            for (build, value) in [(Build::Base, base), (Build::Head, head)] {
                let outcome = match value {
                    Some(ns) => Outcome::Ok(output(*ns, 1)),
                    None => Outcome::Failed {
                        kind: crate::results::FailureKind::Panic,
                        reason: "panicked: as asked".into(),
                        stderr_tail: String::new(),
                    },
                };
                let first = (build == Build::Base) == base_first;
                records.push(PairRecord {
                    build,
                    position: u8::from(!first),
                    offset: i as u32,
                    probe: false,
                    run: record(point, i, records.len(), outcome),
                });
            }
        }
    }
    AbRun {
        header,
        records,
        wall_s: 1.5,
        stopped: None,
        warnings: Vec::new(),
    }
}

/// `n` pairs around `ns` with drift shared within each pair and a small
/// per-process wiggle; head is `factor` times base.
pub(super) fn drifting(n: usize, ns: f64, factor: f64) -> Vec<(Option<f64>, Option<f64>)> {
    (0..n)
        .map(|i| {
            let drift = 1.0 + 0.04 * ((i * 7 % 11) as f64 / 11.0);
            let wiggle = 1.0 + 0.001 * ((i * 5 % 7) as f64 - 3.0);
            (Some(ns * drift), Some(ns * drift * factor * wiggle))
        })
        .collect()
}
