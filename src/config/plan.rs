//! The validated experiment plan: what to run and how to measure it.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tuner_api::Buffering;
use tuner_api::{Expect, Knobs, Lesson, ParamValue};

use super::command::CommandPlan;
use crate::alloc::AllocatorName;
use crate::stats::Spending;

/// One matrix axis and its values in config order. Each axis is one of the
/// knobs (`variant`, `threads`, `allocator`, `buffering`), a workload
/// parameter, or an environment variable (`[matrix.env]`, named by the
/// variable); an axis with one value still pins that value for every point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "axis", content = "values", rename_all = "snake_case")]
pub enum Axis {
    Variant(Vec<String>),
    Threads(Vec<usize>),
    Allocator(Vec<AllocatorName>),
    Buffering(Vec<Buffering>),
    Param(String, Vec<ParamValue>),
    /// An environment variable set in each process: `GOGC`, `MALLOC_ARENA_MAX`, ….
    Env(String, Vec<String>),
    /// A runtime knob of [`crate::knob::KNOBS`], by name, with its labels.
    Knob(String, Vec<String>),
}

impl Axis {
    pub fn name(&self) -> &str {
        match self {
            Axis::Variant(_) => "variant",
            Axis::Threads(_) => "threads",
            Axis::Allocator(_) => "allocator",
            Axis::Buffering(_) => "buffering",
            Axis::Param(name, _) | Axis::Env(name, _) | Axis::Knob(name, _) => name,
        }
    }

    /// The values as the report prints them.
    pub fn labels(&self) -> Vec<String> {
        match self {
            Axis::Variant(v) => v.clone(),
            Axis::Threads(v) => v.iter().map(ToString::to_string).collect(),
            Axis::Allocator(v) => v.iter().map(ToString::to_string).collect(),
            Axis::Buffering(v) => v.iter().map(ToString::to_string).collect(),
            Axis::Param(_, v) => v.iter().map(ToString::to_string).collect(),
            Axis::Env(_, v) | Axis::Knob(_, v) => v.clone(),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Axis::Variant(v) => v.len(),
            Axis::Threads(v) => v.len(),
            Axis::Allocator(v) => v.len(),
            Axis::Buffering(v) => v.len(),
            Axis::Param(_, v) => v.len(),
            Axis::Env(_, v) | Axis::Knob(_, v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How each point is measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MeasureSettings {
    /// Worker processes per point: the unit of replication.
    pub processes: u32,
    /// Timed samples per process.
    pub samples: u32,
    /// Untimed running before calibration (the first run always counts).
    #[serde(with = "humantime_serde")]
    pub warmup: Duration,
    /// Each sample runs enough iterations to last at least this long.
    #[serde(with = "humantime_serde")]
    pub min_sample_time: Duration,
    /// A process still running after this long is killed and recorded as failed.
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
    /// Seeds the shuffled run order; recorded so a run can be replayed.
    pub seed: u64,
    /// Address-space limit of each worker process in bytes (setrlimit
    /// RLIMIT_AS before exec): a run that needs more fails as out of memory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_limit: Option<u64>,
    /// How long the whole run may take: fewer processes per point are
    /// planned to fit it, and no run starts that would end past it.
    #[serde(
        default,
        with = "humantime_serde",
        skip_serializing_if = "Option::is_none"
    )]
    pub budget: Option<Duration>,
    /// Adaptive runs: `processes` rounds at least, then a look every
    /// `look_every` rounds, up to this many; `None` (and in results of
    /// older tuners) a fixed design of `processes` rounds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_processes: Option<u32>,
    /// Rounds between two looks of an adaptive run.
    #[serde(default = "default_look_every")]
    pub look_every: u32,
    /// Whether an adaptive run races out points shown slower than the best.
    #[serde(default)]
    pub racing: bool,
    /// How an adaptive run spends each comparison's α over its looks.
    #[serde(default, skip_serializing_if = "Spending::is_default")]
    pub spending: Spending,
}

fn default_look_every() -> u32 {
    2
}

/// What starting a process costs before it does any work (exec, the
/// allocator's and the pool's set-up), measured at 4–6 ms on a 2-core VM.
pub(crate) const PROCESS_START_S: f64 = 0.005;

impl MeasureSettings {
    /// A process at the least: start, warm-up and `samples` of `min_sample_time`.
    pub(crate) fn floor_s(&self) -> f64 {
        PROCESS_START_S
            + self.warmup.as_secs_f64()
            + f64::from(self.samples) * self.min_sample_time.as_secs_f64()
    }

    /// The most processes a point may get: `max_processes` when the run is
    /// adaptive, `processes` when it is fixed.
    pub(crate) fn most_processes(&self) -> u32 {
        self.max_processes.unwrap_or(self.processes)
    }
}

impl Default for MeasureSettings {
    fn default() -> Self {
        MeasureSettings {
            processes: 7,
            samples: 5,
            warmup: Duration::from_millis(100),
            min_sample_time: Duration::from_millis(10),
            timeout: Duration::from_secs(60),
            seed: 0,
            memory_limit: None,
            budget: None,
            max_processes: None,
            look_every: default_look_every(),
            racing: false,
            spending: Spending::default(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportSettings {
    /// Reports go to `<dir>/<experiment>/<run-id>/`.
    pub dir: PathBuf,
    /// Axis values that pick the baseline point (unnamed axes take their
    /// first value).
    pub baseline: Vec<(String, String)>,
    /// Also write `report.html`, one self-contained page (`[report] html`).
    #[serde(default)]
    pub html: bool,
}

/// Which profiling passes run, in processes apart from the timed ones.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProfileSettings {
    pub spans: bool,
    pub cpu: bool,
    pub cpu_frequency: u32,
    pub timeline: bool,
    pub heap: bool,
    pub diff: bool,
    /// How long each profiling process runs the workload after warm-up.
    #[serde(default = "default_profile_duration", with = "humantime_serde")]
    pub duration: Duration,
    /// Which points get the profiling passes.
    #[serde(default)]
    pub points: ProfiledPoints,
}

/// Which points a run profiles.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProfiledPoints {
    /// Every point of the matrix.
    #[default]
    All,
    /// The points a reviewer reads about: each parameter set's baseline and
    /// the fastest point of each variant in it (from the timed runs).
    Reviewed,
}

fn default_profile_duration() -> Duration {
    Duration::from_secs(1)
}

impl Default for ProfileSettings {
    fn default() -> Self {
        ProfileSettings {
            spans: false,
            cpu: false,
            cpu_frequency: 999,
            timeline: false,
            heap: false,
            diff: false,
            duration: default_profile_duration(),
            points: ProfiledPoints::All,
        }
    }
}

/// A kind of profile `[profile]` and `--profile` turn on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProfileKind {
    Spans,
    Cpu,
    Timeline,
    Heap,
    Diff,
}

impl ProfileKind {
    pub const ALL: [ProfileKind; 5] = [
        ProfileKind::Spans,
        ProfileKind::Cpu,
        ProfileKind::Timeline,
        ProfileKind::Heap,
        ProfileKind::Diff,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ProfileKind::Spans => "spans",
            ProfileKind::Cpu => "cpu",
            ProfileKind::Timeline => "timeline",
            ProfileKind::Heap => "heap",
            ProfileKind::Diff => "diff",
        }
    }

    /// A comma-separated list such as `cpu,spans`, or `all`, or `none`.
    pub fn parse_list(text: &str) -> Result<Vec<ProfileKind>, String> {
        let mut kinds = Vec::new();
        for word in text.split(',').map(str::trim) {
            match word {
                "all" => kinds.extend(ProfileKind::ALL),
                "none" => {}
                _ => {
                    let kind = ProfileKind::ALL
                        .into_iter()
                        .find(|k| k.name() == word)
                        .ok_or_else(|| {
                            format!(
                                "unknown profile kind `{word}`; expected a comma-separated list of spans, cpu, timeline, heap, diff, or all or none"
                            )
                        })?;
                    kinds.push(kind);
                }
            }
        }
        Ok(kinds)
    }
}

impl ProfileSettings {
    /// Turns exactly `kinds` on, the others off.
    pub fn set_kinds(&mut self, kinds: &[ProfileKind]) {
        let on = |k| kinds.contains(&k);
        self.spans = on(ProfileKind::Spans);
        self.cpu = on(ProfileKind::Cpu);
        self.timeline = on(ProfileKind::Timeline);
        self.heap = on(ProfileKind::Heap);
        self.diff = on(ProfileKind::Diff);
    }
}

/// What the report needs to know of the workload, copied from the
/// experiment when the config is validated, so a results file renders
/// the same report in any binary, whatever catalog it carries.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkloadInfo {
    pub notes: String,
    pub knobs: Knobs,
    /// The comparisons the experiment's lesson is about.
    #[serde(default)]
    pub lessons: Vec<LessonInfo>,
}

/// A [`tuner_api::Lesson`] with its sides resolved (each names every axis
/// either side names), owned so a results file carries it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LessonInfo {
    pub claim: String,
    pub base: Vec<(String, String)>,
    pub head: Vec<(String, String)>,
    pub expect: Expect,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rust_note: Option<String>,
    /// Where the claim comes from (unrecorded in results of older tuners).
    #[serde(default, skip_serializing_if = "LessonSource::is_unrecorded")]
    pub source: LessonSource,
}

/// A [`tuner_api::Source`], owned so a results file carries it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum LessonSource {
    /// Results of a tuner that did not record where a claim came from.
    #[default]
    Unrecorded,
    /// The experiment's own addition, not the workshop's.
    Own,
    /// A section of the workshop, quoted.
    Workshop { section: String, quote: String },
}

impl LessonSource {
    pub fn is_unrecorded(&self) -> bool {
        *self == LessonSource::Unrecorded
    }
}

impl From<tuner_api::Source> for LessonSource {
    fn from(source: tuner_api::Source) -> LessonSource {
        match source {
            tuner_api::Source::Own => LessonSource::Own,
            tuner_api::Source::Workshop { section, quote } => LessonSource::Workshop {
                section: section.to_string(),
                quote: quote.to_string(),
            },
        }
    }
}

impl From<&Lesson> for LessonInfo {
    fn from(lesson: &Lesson) -> LessonInfo {
        let owned = |side: Vec<(&str, &str)>| -> Vec<(String, String)> {
            side.into_iter()
                .map(|(a, v)| (a.to_string(), v.to_string()))
                .collect()
        };
        let [base, head] = lesson.sides();
        LessonInfo {
            claim: lesson.claim.to_string(),
            base: owned(base),
            head: owned(head),
            expect: lesson.expect,
            rust_note: lesson.rust_note.map(str::to_string),
            source: lesson.source.into(),
        }
    }
}

/// A config, validated against the catalog.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The experiment's name in reports (defaults to the workload's).
    pub name: String,
    pub description: String,
    /// The catalog entry that does the work.
    pub workload: String,
    #[serde(default)]
    pub info: WorkloadInfo,
    /// Every axis, knobs first; the matrix is their product minus `exclude`.
    pub axes: Vec<Axis>,
    /// Combinations to leave out: each entry lists axis values that together exclude a point.
    pub exclude: Vec<Vec<(String, String)>>,
    pub measure: MeasureSettings,
    pub report: ReportSettings,
    pub profile: ProfileSettings,
    /// The external command that does the work, when the config has a
    /// `[command]` instead of a catalog workload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<CommandPlan>,
}

impl Plan {
    /// The baseline point's value on every axis, in axis order: the
    /// configured `[report] baseline`, and the first value of each axis it
    /// leaves out.
    pub fn baseline_selection(&self) -> Vec<(String, String)> {
        self.axes
            .iter()
            .filter_map(|axis| {
                let configured = self.report.baseline.iter().find(|(a, _)| a == axis.name());
                let value = match configured {
                    Some((_, v)) => Some(v.clone()),
                    None => axis.labels().into_iter().next(),
                };
                value.map(|v| (axis.name().to_string(), v))
            })
            .collect()
    }
}
