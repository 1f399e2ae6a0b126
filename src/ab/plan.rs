//! From the command line to a planned gate: the config validated against
//! the running binary's catalog, both sides' builds and settings checked,
//! the layout applied to this process (its workers inherit it) and each
//! point's CPUs planned, and the header every record of the gate is
//! journaled under.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tuner_api::Catalog;

use super::error::AbError;
use super::layout::{Layout, LayoutMode, Pin};
use super::record::{AbHeader, Design, AB_SCHEMA};
use super::sequential::Stopping;
use super::side::{Build, Executable, Setting, Side};
use crate::config::{self, ConfigError};
use crate::exit::Failure;
use crate::protocol::PROTOCOL_VERSION;

/// What `tuner ab` was asked to run.
pub(crate) struct AbOptions {
    pub config: PathBuf,
    /// The builds; `None`: this binary.
    pub base: Option<PathBuf>,
    pub head: Option<PathBuf>,
    pub base_set: Vec<Setting>,
    pub head_set: Vec<Setting>,
    /// Pairs per point (the most a sequential gate runs).
    pub pairs: u32,
    /// Look at each point every this many pairs; 0: the fixed design.
    pub look_every: u32,
    /// The gate's α (the verdict rule's), split over points by a sequential gate.
    pub alpha: f64,
    pub max_time: Option<Duration>,
    pub layout: LayoutMode,
    pub pin: Pin,
}

/// The gate `opts` asks for, with the layout applied to this process.
pub(crate) fn plan(catalog: &Catalog, opts: &AbOptions) -> Result<AbHeader, Failure> {
    let path = &opts.config;
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::Config(ConfigError::unreadable(path, &e)))?;
    let plan = config::parse(path, &text, catalog).map_err(Failure::Config)?;
    let this = std::env::current_exe().map_err(|e| Failure::Other(e.into()))?;
    // A command workload's builds are its program (default: the config's
    // own), run by this binary's worker; otherwise a build is the worker.
    let side = |build: Build, exe: &Option<PathBuf>, settings: &[Setting]| {
        let exe = match &plan.command {
            Some(command) => {
                let program = match exe {
                    Some(program) => program.clone(),
                    None => command
                        .variants
                        .first()
                        .and_then(|v| v.program.as_ref())
                        .map(|p| p.path.clone())
                        .ok_or_else(|| AbError::NoBuild {
                            build,
                            path: PathBuf::new(),
                            reason:
                                "the config's argv names no program file: give --base and --head"
                                    .into(),
                        })?,
                };
                Executable::program(build, &program, &this)?
            }
            None => Executable::worker(build, exe.as_deref().unwrap_or(&this))?,
        };
        Side::new(build, exe, settings, &plan, catalog)
    };
    let base = side(Build::Base, &opts.base, &opts.base_set)?;
    let head = side(Build::Head, &opts.head, &opts.head_set)?;
    if base.points.len() != head.points.len() || base.points.is_empty() {
        return Err(AbError::PointsDiffer {
            base: base.points.len(),
            head: head.points.len(),
        }
        .into());
    }
    let stopping = match opts.look_every {
        0 => None,
        every => Some(
            Stopping::new(every as usize, opts.pairs as usize, base.points.len(), opts.alpha)
                .ok_or_else(|| {
                    Failure::Usage(anyhow::anyhow!(
                        "--look-every {every} with --pairs {}: the first look needs at least 6 pairs (or --look-every 0 for the fixed design)",
                        opts.pairs
                    ))
                })?,
        ),
    };
    let varying = crate::matrix::varying_axes(&plan.axes);
    let threads: Vec<(String, usize)> = [&base, &head]
        .iter()
        .flat_map(|side| side.points.iter())
        .map(|p| (p.label(&varying), p.threads))
        .collect();
    let layout =
        Layout::apply(opts.layout, &opts.pin, &threads).map_err(|e| Failure::Usage(e.into()))?;
    let environment = crate::environment::capture(path);
    Ok(AbHeader {
        schema: AB_SCHEMA,
        protocol: PROTOCOL_VERSION,
        tuner_version: env!("CARGO_PKG_VERSION").to_string(),
        run_id: String::new(),
        config_path: path.display().to_string(),
        config_text: text,
        design: Design {
            pairs: opts.pairs,
            max_time: opts.max_time,
            seed: plan.measure.seed,
            layout,
            stopping,
        },
        plan,
        base,
        head,
        environment,
    })
}

/// Whether `path` names a saved gate rather than a config.
pub(crate) fn is_saved(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e == "json" || e == "jsonl")
}
