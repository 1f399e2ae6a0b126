//! A validated `[command]` table: what each run of an external command
//! executes, with `{placeholders}` the point's values fill in when it runs.

use std::fmt::Write as _;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::alloc::AllocatorName;
use crate::config::MeasureSettings;
use crate::elf::ProgramKind;

/// Where a command run's samples come from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metrics {
    /// One sample per process: the wall time of the timed execution.
    #[default]
    Wall,
    /// The Go benchmark lines the command prints (`go test -bench`):
    /// each line is a sample of its iterations.
    Gobench,
}

impl Metrics {
    pub fn name(self) -> &'static str {
        match self {
            Metrics::Wall => "wall",
            Metrics::Gobench => "gobench",
        }
    }
}

/// The variables every command run sets to the point's thread count,
/// unless the config names its own.
pub(crate) const DEFAULT_THREADS_ENV: [&str; 4] = [
    "RAYON_NUM_THREADS",
    "TOKIO_WORKER_THREADS",
    "GOMAXPROCS",
    "OMP_NUM_THREADS",
];

/// One variant's argv and the program it starts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CommandVariant {
    pub name: String,
    /// Templates: each element is exactly one argument.
    pub argv: Vec<String>,
    /// The program `argv[0]` resolved to when the config was read, and
    /// what kind it is; `None` when `argv[0]` holds a placeholder.
    pub program: Option<Program>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Program {
    pub path: PathBuf,
    pub kind: ProgramKind,
}

/// The `[command]` table, validated.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CommandPlan {
    /// One per variant, in config order.
    pub variants: Vec<CommandVariant>,
    /// The working folder of every execution (absolute).
    pub cwd: PathBuf,
    /// A file (template, relative to `cwd`) on the command's stdin; none: `/dev/null`.
    pub stdin: Option<String>,
    /// Run before and after every execution, untimed (templates).
    pub prepare: Vec<String>,
    pub cleanup: Vec<String>,
    /// Extra environment (values are templates).
    pub env: Vec<(String, String)>,
    /// Set to the point's thread count (empty without a threads axis).
    pub threads_env: Vec<String>,
    pub metrics: Metrics,
    /// Untimed executions before the timed one, in the same process.
    pub warmup: u32,
    /// Digest stdout, so the report can flag output that changes with a knob.
    pub check_output: bool,
    /// The library each preloading allocator on the axis loads.
    pub preload: Vec<(AllocatorName, PathBuf)>,
}

impl CommandPlan {
    pub fn variant(&self, name: &str) -> Option<&CommandVariant> {
        self.variants.iter().find(|v| v.name == name)
    }

    pub fn preload_of(&self, allocator: AllocatorName) -> Option<&PathBuf> {
        self.preload
            .iter()
            .find(|(a, _)| *a == allocator)
            .map(|(_, p)| p)
    }

    /// `./gomergesort -n {size}`: a variant's argv as a person would type it.
    pub fn shown(&self, variant: &str) -> String {
        self.variant(variant)
            .map(|v| {
                v.argv
                    .iter()
                    .map(|a| shown_arg(a))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default()
    }
}

impl CommandPlan {
    /// What `run --dry-run` prints of the command: each variant's argv
    /// and program, the preloads, the thread variables, and the runs.
    pub fn describe(&self, points: usize, measure: &MeasureSettings) -> String {
        let mut out = format!("command, in {}:\n", self.cwd.display());
        for v in &self.variants {
            let program = match &v.program {
                Some(p) => format!("{}: {}", p.path.display(), p.kind.describe()),
                None => "the program is a placeholder".into(),
            };
            let _ = writeln!(
                out,
                "  {:<12} {}\n  {:<12}   ({program})",
                v.name,
                self.shown(&v.name),
                ""
            );
        }
        for (allocator, file) in &self.preload {
            let _ = writeln!(out, "  {allocator} preloads {}", file.display());
        }
        if !self.threads_env.is_empty() {
            let _ = writeln!(out, "  threads set in {}", self.threads_env.join(", "));
        }
        let warmup = match self.warmup {
            1 => "1 untimed execution".to_string(),
            n => format!("{n} untimed executions"),
        };
        let _ = writeln!(
            out,
            "{} runs ({} processes per point), each timing one execution after {warmup} ({} metrics); a run is killed after {}.",
            points * measure.processes as usize,
            measure.processes,
            self.metrics.name(),
            humantime::format_duration(measure.timeout),
        );
        out
    }
}

/// An argument quoted when it would not read as one word.
fn shown_arg(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+%@{}^$".contains(c));
    if plain {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}
