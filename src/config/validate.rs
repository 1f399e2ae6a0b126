//! Checks a parsed config against the catalog and turns it into a [`Plan`].

use std::ops::Range;
use std::path::Path;
use std::time::Duration;

use toml::{Spanned, Value};
use tuner_api::Buffering;
use tuner_api::{Catalog, Experiment, ParamValue};

use super::bounds;
use super::command::CommandPlan;
use super::coverage::{self, Problem};
use super::error::ConfigError;
use super::plan::{
    Axis, LessonInfo, MeasureSettings, Plan, ProfileSettings, ProfiledPoints, ReportSettings,
    WorkloadInfo,
};
use super::raw::{RawConfig, RawMatrix, RawMeasure, RawProfile, RawReport, Table};
use crate::alloc::AllocatorName;
use crate::stats::Spending;

/// Carries the file for error messages.
pub(super) struct Checker<'a> {
    pub path: &'a Path,
    pub text: &'a str,
}

pub(super) type Result<T> = std::result::Result<T, ConfigError>;

/// What does the work: a catalog entry or an external command.
pub(super) struct Source {
    pub name: String,
    pub workload: String,
    pub info: WorkloadInfo,
    pub axes: Vec<Axis>,
    pub command: Option<CommandPlan>,
}

pub(super) fn validate(path: &Path, text: &str, raw: RawConfig, catalog: &Catalog) -> Result<Plan> {
    let c = Checker { path, text };
    let experiment_span = raw.experiment.as_ref().map_or(0..0, Spanned::span);
    let experiment = raw.experiment.map(Spanned::into_inner).unwrap_or_default();
    let mut source = match (experiment.workload, raw.command) {
        (Some(workload), None) => c.catalog_source(workload, &raw.params, &raw.matrix, catalog)?,
        (None, Some(command)) => {
            c.refuse_for_command(&raw.measure, raw.profile.as_ref())?;
            c.command_source(command, &raw.params, &raw.matrix)?
        }
        (Some(workload), Some(_)) => {
            return Err(c.err(
                workload.span(),
                "experiment.workload",
                "a config runs a catalog workload or a [command], not both",
            ))
        }
        (None, None) => {
            return Err(c.err(
                experiment_span,
                "experiment.workload",
                "missing `workload` (a catalog entry, see `tuner list`) or a [command] table",
            ))
        }
    };
    let knob_axes = c.knob_axes(source.command.is_some())?;
    source.axes.extend(knob_axes);
    let env_axes = c.env_axes(&raw.matrix.env, &source.axes, source.command.as_ref())?;
    source.axes.extend(env_axes);
    let name = match experiment.name {
        Some(name) => c.checked(name, "experiment.name", bounds::check_name)?,
        None => {
            bounds::check_name(&source.name).map_err(|m| {
                c.err(
                    experiment_span.clone(),
                    "experiment.name",
                    format!("{m}; set [experiment] name"),
                )
            })?;
            source.name
        }
    };
    let description = match experiment.description {
        Some(d) => c.checked(d, "experiment.description", bounds::check_description)?,
        None => String::new(),
    };
    let axes = source.axes;
    let exclude_spans: Vec<Range<usize>> = raw.matrix.exclude.iter().map(Spanned::span).collect();
    if let Some(extra) = exclude_spans.get(bounds::MAX_EXCLUDES) {
        return Err(c.err(
            extra.clone(),
            "matrix.exclude",
            format!("more than {} exclusions", bounds::MAX_EXCLUDES),
        ));
    }
    let exclude = raw
        .matrix
        .exclude
        .iter()
        .map(|entry| c.selection(&axes, entry.get_ref(), "matrix.exclude"))
        .collect::<Result<Vec<_>>>()?;
    let spans = Spans {
        exclude: exclude_spans,
        baseline: raw.report.baseline.as_ref().map(Spanned::span),
        processes: raw.measure.processes.as_ref().map(Spanned::span),
        budget: raw.measure.budget.as_ref().map(Spanned::span),
        longest_axis: c.longest_axis(&raw.params, &raw.matrix, &axes),
    };
    let report = c.report(&axes, raw.report)?;
    let mut measure = c.measure(raw.measure)?;
    if source.command.is_some() {
        // One timed execution per process: its wall time is the sample.
        measure.samples = 1;
        measure.warmup = Duration::ZERO;
        measure.min_sample_time = Duration::ZERO;
    }
    let plan = Plan {
        name,
        description,
        workload: source.workload,
        info: source.info,
        axes,
        exclude,
        measure,
        report,
        profile: c.profile(raw.profile.map(Spanned::into_inner).unwrap_or_default())?,
        command: source.command,
    };
    coverage::check(&plan).map_err(|problem| c.coverage_error(&problem, &spans))?;
    Ok(plan)
}

/// Where the keys a matrix-wide problem can blame are.
struct Spans {
    exclude: Vec<Range<usize>>,
    baseline: Option<Range<usize>>,
    processes: Option<Range<usize>>,
    budget: Option<Range<usize>>,
    /// The key path and value of the longest axis the config lists.
    longest_axis: Option<(String, Range<usize>)>,
}

impl Checker<'_> {
    pub(super) fn err(
        &self,
        span: Range<usize>,
        key: &str,
        message: impl Into<String>,
    ) -> ConfigError {
        ConfigError::at(self.path, self.text, span, key, message)
    }

    /// The catalog entry `workload` and its axes.
    fn catalog_source(
        &self,
        workload: Spanned<String>,
        params: &Table,
        matrix: &RawMatrix,
        catalog: &Catalog,
    ) -> Result<Source> {
        let experiment = catalog.find(workload.get_ref()).ok_or_else(|| {
            let known: Vec<_> = catalog.iter().map(|e| e.name()).collect();
            self.err(
                workload.span(),
                "experiment.workload",
                format!(
                    "unknown workload `{}`; the catalog has {}",
                    workload.get_ref(),
                    known.join(", ")
                ),
            )
        })?;
        let mut axes = self.params(experiment, params)?;
        axes.extend(self.matrix_axes(matrix)?);
        Ok(Source {
            name: experiment.name().to_string(),
            workload: experiment.name().to_string(),
            info: WorkloadInfo {
                notes: experiment.notes().to_string(),
                knobs: experiment.knobs(),
                lessons: experiment.lessons().iter().map(LessonInfo::from).collect(),
            },
            axes,
            command: None,
        })
    }

    /// The string at `key` if `check` accepts it.
    pub(super) fn checked(
        &self,
        value: Spanned<String>,
        key: &str,
        check: impl Fn(&str) -> std::result::Result<(), String>,
    ) -> Result<String> {
        check(value.get_ref()).map_err(|m| self.err(value.span(), key, m))?;
        Ok(value.into_inner())
    }

    /// Points a matrix-wide problem at the key that can fix it.
    fn coverage_error(&self, problem: &Problem, spans: &Spans) -> ConfigError {
        let at_exclude = |i: usize| {
            let span = spans.exclude.get(i).cloned().unwrap_or(0..0);
            (span, "matrix.exclude".to_string())
        };
        let (span, key) = match problem {
            Problem::TooManyPoints { .. } => spans
                .longest_axis
                .clone()
                .map(|(key, span)| (span, key))
                .unwrap_or((0..0, "matrix".into())),
            Problem::TooManyRuns { .. } => (
                spans.processes.clone().unwrap_or(0..0),
                "measure.processes".into(),
            ),
            Problem::AllExcluded { .. } => at_exclude(0),
            Problem::BudgetBelowOneRound { .. } => (
                spans.budget.clone().unwrap_or(0..0),
                "measure.budget".into(),
            ),
            Problem::BaselineExcluded { entry, .. } => match &spans.baseline {
                Some(span) => (span.clone(), "report.baseline".into()),
                None => at_exclude(*entry),
            },
        };
        self.err(span, &key, problem.message())
    }

    /// The key path and value span of the longest axis the config lists.
    fn longest_axis(
        &self,
        params: &Table,
        m: &RawMatrix,
        axes: &[Axis],
    ) -> Option<(String, Range<usize>)> {
        let longest = axes.iter().max_by_key(|a| a.len())?.name();
        let knob = match longest {
            "threads" => m.threads.as_ref(),
            "allocator" => m.allocator.as_ref(),
            "buffering" => m.buffering.as_ref(),
            _ => None,
        };
        if let Some(v) = knob {
            return Some((format!("matrix.{longest}"), v.span()));
        }
        if let Some((_, v)) = m.env.iter().find(|(k, _)| k.get_ref() == longest) {
            return Some((format!("matrix.env.{longest}"), v.span()));
        }
        params
            .iter()
            .find(|(k, _)| k.get_ref() == longest)
            .map(|(_, v)| (format!("params.{longest}"), v.span()))
    }

    /// The variant axis and one axis per workload parameter, defaults filled in.
    fn params(&self, exp: &dyn Experiment, table: &Table) -> Result<Vec<Axis>> {
        for key in table.keys() {
            let known =
                key.get_ref() == "variant" || exp.params().iter().any(|p| p.name == key.get_ref());
            if !known {
                let names: Vec<_> = exp.params().iter().map(|p| p.name).collect();
                return Err(self.err(
                    key.span(),
                    &format!("params.{}", key.get_ref()),
                    format!(
                        "`{}` has no parameter `{}`; it has variant, {}",
                        exp.name(),
                        key.get_ref(),
                        names.join(", ")
                    ),
                ));
            }
        }
        let lookup = |name: &str| {
            table
                .iter()
                .find(|(k, _)| k.get_ref() == name)
                .map(|(_, v)| v)
        };
        let variants = match lookup("variant") {
            None => exp.variants().iter().map(|v| v.name.to_string()).collect(),
            Some(value) => self.list(value, "params.variant", |v, span| {
                let name = v.as_str().ok_or_else(|| {
                    self.err(
                        span.clone(),
                        "params.variant",
                        "expected a variant name (a string)",
                    )
                })?;
                if exp.variants().iter().any(|known| known.name == name) {
                    Ok(name.to_string())
                } else {
                    let names: Vec<_> = exp.variants().iter().map(|v| v.name).collect();
                    Err(self.err(
                        span,
                        "params.variant",
                        format!(
                            "`{}` has no variant `{name}`; it has {}",
                            exp.name(),
                            names.join(", ")
                        ),
                    ))
                }
            })?,
        };
        let mut axes = vec![Axis::Variant(variants)];
        for spec in exp.params() {
            let key = format!("params.{}", spec.name);
            let values = match lookup(spec.name) {
                None => vec![spec.default.clone()],
                Some(value) => self.list(value, &key, |v, span| {
                    let value = param_value(&v).ok_or_else(|| {
                        self.err(span.clone(), &key, "expected a number, string or bool")
                    })?;
                    if let ParamValue::Float(f) = value {
                        if !f.is_finite() {
                            return Err(self.err(
                                span,
                                &key,
                                format!("{f} is not a finite number"),
                            ));
                        }
                    }
                    spec.kind
                        .check(&value)
                        .map_err(|m| self.err(span, &key, m))?;
                    Ok(value)
                })?,
            };
            axes.push(Axis::Param(spec.name.to_string(), values));
        }
        Ok(axes)
    }

    /// Reads a scalar or an array of scalars, checking each and refusing duplicates.
    pub(super) fn list<T: PartialEq>(
        &self,
        value: &Spanned<Value>,
        key: &str,
        mut item: impl FnMut(Value, Range<usize>) -> Result<T>,
    ) -> Result<Vec<T>> {
        let span = value.span();
        let items = match value.get_ref() {
            Value::Array(a) if a.is_empty() => {
                return Err(self.err(span, key, "the list is empty"))
            }
            Value::Array(a) if a.len() > bounds::MAX_AXIS_VALUES => {
                return Err(self.err(
                    span,
                    key,
                    format!(
                        "lists {} values; at most {}",
                        a.len(),
                        bounds::MAX_AXIS_VALUES
                    ),
                ))
            }
            Value::Array(a) => a.clone(),
            other => vec![other.clone()],
        };
        let mut out: Vec<T> = Vec::with_capacity(items.len());
        for v in items {
            let shown = v.to_string();
            let parsed = item(v, span.clone())?;
            if out.contains(&parsed) {
                return Err(self.err(span, key, format!("{shown} is listed twice")));
            }
            out.push(parsed);
        }
        Ok(out)
    }

    fn matrix_axes(&self, m: &RawMatrix) -> Result<Vec<Axis>> {
        let all = std::thread::available_parallelism().map_or(1, |n| n.get());
        let threads = self.threads_axis(m)?.unwrap_or(Axis::Threads(vec![all]));
        let buffering = match &m.buffering {
            None => vec![Buffering::Buffered { capacity: Buffering::DEFAULT_CAPACITY }],
            Some(v) => self.list(v, "matrix.buffering", |v, span| {
                v.as_str().and_then(parse_buffering).ok_or_else(|| {
                    self.err(span, "matrix.buffering", format!("unknown buffering {v}; expected \"unbuffered\", \"line\", \"buffered\" or \"buffered:<capacity>\" (e.g. \"buffered:64KiB\")"))
                })
            })?,
        };
        Ok(vec![
            threads,
            self.allocator_axis(m)?,
            Axis::Buffering(buffering),
        ])
    }

    /// `[matrix] threads`, if the config sets it.
    pub(super) fn threads_axis(&self, m: &RawMatrix) -> Result<Option<Axis>> {
        let all = std::thread::available_parallelism().map_or(1, |n| n.get());
        let Some(v) = &m.threads else { return Ok(None) };
        let threads = self.list(v, "matrix.threads", |v, span| match v {
            Value::Integer(n) if (1..=1024).contains(&n) => Ok(n as usize),
            Value::String(s) if s == "all" => Ok(all),
            other => Err(self.err(
                span,
                "matrix.threads",
                format!("expected a thread count in 1..=1024 or \"all\", found {other}"),
            )),
        })?;
        Ok(Some(Axis::Threads(threads)))
    }

    /// `[matrix] allocator` (`system` when not set).
    pub(super) fn allocator_axis(&self, m: &RawMatrix) -> Result<Axis> {
        let allocators = match &m.allocator {
            None => vec![AllocatorName::System],
            Some(v) => self.list(v, "matrix.allocator", |v, span| {
                v.as_str().and_then(AllocatorName::parse).ok_or_else(|| {
                    self.err(
                        span,
                        "matrix.allocator",
                        format!("unknown allocator {v}; expected system, mimalloc or jemalloc"),
                    )
                })
            })?,
        };
        Ok(Axis::Allocator(allocators))
    }

    /// Resolves a table of axis values (an exclusion or the baseline) to labels.
    fn selection(&self, axes: &[Axis], table: &Table, what: &str) -> Result<Vec<(String, String)>> {
        table
            .iter()
            .map(|(key, value)| {
                let key_path = format!("{what}.{}", key.get_ref());
                let axis = axes
                    .iter()
                    .find(|a| a.name() == key.get_ref())
                    .ok_or_else(|| {
                        let names: Vec<_> = axes.iter().map(Axis::name).collect();
                        self.err(
                            key.span(),
                            &key_path,
                            format!("no axis `{}`; axes are {}", key.get_ref(), names.join(", ")),
                        )
                    })?;
                let label = axis_label(axis, value.get_ref());
                let labels = axis.labels();
                match label {
                    Some(l) if labels.contains(&l) => Ok((key.get_ref().clone(), l)),
                    _ => Err(self.err(
                        value.span(),
                        &key_path,
                        format!(
                            "{} is not on the {} axis ({})",
                            value.get_ref(),
                            axis.name(),
                            labels.join(", ")
                        ),
                    )),
                }
            })
            .collect()
    }

    fn report(&self, axes: &[Axis], r: RawReport) -> Result<ReportSettings> {
        let baseline = match &r.baseline {
            None => Vec::new(),
            Some(t) => self.selection(axes, t.get_ref(), "report.baseline")?,
        };
        let dir = match r.dir {
            Some(dir) => self.checked(dir, "report.dir", |d| {
                bounds::check_dir(d)?;
                usable_dir(Path::new(d))
            })?,
            None => "reports".into(),
        };
        Ok(ReportSettings {
            dir: dir.into(),
            baseline,
            html: r.html.unwrap_or(false),
        })
    }

    fn measure(&self, m: RawMeasure) -> Result<MeasureSettings> {
        let d = MeasureSettings::default();
        let count = |v: Option<Spanned<u32>>, key: &str, default: u32, max: u32| match v {
            None => Ok(default),
            Some(s) if (1..=max).contains(s.get_ref()) => Ok(*s.get_ref()),
            Some(s) => Err(self.err(s.span(), key, format!("must be from 1 to {max}"))),
        };
        // Keys that shape an adaptive run do nothing without one: a config
        // that sets them without `max_processes` is an error at the key.
        if m.max_processes.is_none() {
            let set = [
                (
                    "measure.look_every",
                    m.look_every.as_ref().map(Spanned::span),
                ),
                (
                    "measure.racing",
                    m.racing
                        .as_ref()
                        .filter(|r| *r.get_ref())
                        .map(Spanned::span),
                ),
                ("measure.spending", m.spending.as_ref().map(Spanned::span)),
            ];
            if let Some((key, span)) = set.into_iter().find_map(|(k, s)| s.map(|s| (k, s))) {
                return Err(self.err(
                    span,
                    key,
                    "applies to an adaptive run only: set `max_processes` (the most processes a point gets; `processes` becomes the least), or remove this key",
                ));
            }
        }
        // A timeout too short for the rest is blamed on the timeout, or on
        // what made the rest long when the timeout is the default.
        let span = |key: &'static str, v: Option<Range<usize>>| v.map(|s| (key, s));
        let blamed = span("measure.timeout", m.timeout.as_ref().map(Spanned::span))
            .or(span(
                "measure.samples",
                m.samples.as_ref().map(Spanned::span),
            ))
            .or(span(
                "measure.min_sample_time",
                m.min_sample_time.as_ref().map(Spanned::span),
            ))
            .or(span("measure.warmup", m.warmup.as_ref().map(Spanned::span)))
            .unwrap_or(("measure.timeout", 0..0));
        let measure = MeasureSettings {
            processes: count(
                m.processes,
                "measure.processes",
                d.processes,
                bounds::MAX_PROCESSES,
            )?,
            samples: count(m.samples, "measure.samples", d.samples, bounds::MAX_SAMPLES)?,
            warmup: self.duration(m.warmup, "measure.warmup", d.warmup, bounds::WARMUP)?,
            min_sample_time: self.duration(
                m.min_sample_time,
                "measure.min_sample_time",
                d.min_sample_time,
                bounds::MIN_SAMPLE_TIME,
            )?,
            timeout: self.duration(m.timeout, "measure.timeout", d.timeout, bounds::TIMEOUT)?,
            seed: m.seed.unwrap_or_else(rand::random),
            memory_limit: m
                .memory_limit
                .map(|s| self.byte_size(s, "measure.memory_limit"))
                .transpose()?,
            budget: m.budget.map(|s| self.budget(s)).transpose()?,
            max_processes: None,
            look_every: count(
                m.look_every,
                "measure.look_every",
                d.look_every,
                bounds::MAX_PROCESSES,
            )?,
            racing: m.racing.is_some_and(|r| *r.get_ref()),
            spending: match m.spending {
                None => d.spending,
                Some(s) => Spending::NAMED
                    .iter()
                    .find(|(name, _)| name == s.get_ref())
                    .map(|(_, spending)| *spending)
                    .ok_or_else(|| {
                        self.err(
                            s.span(),
                            "measure.spending",
                            format!(
                                "unknown spending `{}`: \"obrien-fleming\" (strict at the first looks, the default) or \"pocock\" (even over the looks: big changes stop sooner)",
                                s.get_ref()
                            ),
                        )
                    })?,
            },
        };
        let measure = MeasureSettings {
            max_processes: match m.max_processes {
                None => None,
                Some(s) if *s.get_ref() < measure.processes => {
                    return Err(self.err(
                        s.span(),
                        "measure.max_processes",
                        format!(
                            "{} is below `processes` ({}): processes is the least an adaptive run gives a point, max_processes the most",
                            s.get_ref(),
                            measure.processes
                        ),
                    ))
                }
                Some(s) => Some(count(Some(s), "measure.max_processes", 0, bounds::MAX_PROCESSES)?),
            },
            ..measure
        };
        // Every process warms up and takes its samples before it can end.
        let least = measure.warmup + measure.min_sample_time * measure.samples;
        if least >= measure.timeout {
            return Err(self.err(
                blamed.1,
                blamed.0,
                format!(
                    "the timeout ({}) would kill every run: warmup + samples × min_sample_time is already {}",
                    humantime::format_duration(measure.timeout),
                    humantime::format_duration(least)
                ),
            ));
        }
        Ok(measure)
    }

    /// `[measure] budget`: a duration such as "20m".
    fn budget(&self, s: Spanned<String>) -> Result<Duration> {
        self.duration(Some(s), "measure.budget", Duration::ZERO, bounds::BUDGET)
    }

    /// A size such as "512MiB" or "2GiB", at least 1 MiB.
    fn byte_size(&self, s: Spanned<String>, key: &str) -> Result<u64> {
        match s.get_ref().parse::<bytesize::ByteSize>() {
            Ok(b) if b.as_u64() >= 1 << 20 => Ok(b.as_u64()),
            _ => Err(self.err(
                s.span(),
                key,
                format!(
                    "`{}` is not a size of at least 1MiB like \"512MiB\" or \"2GiB\"",
                    s.get_ref()
                ),
            )),
        }
    }

    fn duration(
        &self,
        v: Option<Spanned<String>>,
        key: &str,
        default: Duration,
        range: bounds::DurationRange,
    ) -> Result<Duration> {
        let Some(s) = v else { return Ok(default) };
        let d = humantime::parse_duration(s.get_ref()).map_err(|e| {
            self.err(
                s.span(),
                key,
                format!(
                    "`{}` is not a duration like \"250ms\" or \"2s\": {e}",
                    s.get_ref()
                ),
            )
        })?;
        range.check(d).map_err(|m| self.err(s.span(), key, m))?;
        Ok(d)
    }

    fn profile(&self, p: RawProfile) -> Result<ProfileSettings> {
        let cpu_frequency = match p.cpu_frequency {
            None => 999,
            Some(f) if (1..=10_000).contains(f.get_ref()) => *f.get_ref(),
            Some(f) => {
                return Err(self.err(f.span(), "profile.cpu_frequency", "must be in 1..=10000 Hz"))
            }
        };
        let d = ProfileSettings::default();
        let duration = self.duration(
            p.duration,
            "profile.duration",
            d.duration,
            bounds::PROFILE_DURATION,
        )?;
        let diff = p.diff.as_ref().is_some_and(|d| *d.get_ref());
        if diff && p.cpu != Some(true) && p.spans != Some(true) {
            // A diff compares cpu or spans stacks; alone it would do nothing.
            return Err(self.err(
                p.diff.as_ref().map_or(0..0, Spanned::span),
                "profile.diff",
                "diff compares the cpu or spans profiles of each point with the baseline's: turn cpu or spans on too",
            ));
        }
        let points = match &p.points {
            None => ProfiledPoints::All,
            Some(s) => match s.get_ref().as_str() {
                "all" => ProfiledPoints::All,
                "reviewed" => ProfiledPoints::Reviewed,
                other => {
                    return Err(self.err(
                        s.span(),
                        "profile.points",
                        format!("`{other}` is not \"all\" or \"reviewed\" (each parameter set's baseline and the fastest point of each variant)"),
                    ))
                }
            },
        };
        Ok(ProfileSettings {
            points,
            duration,
            spans: p.spans.unwrap_or(false),
            cpu: p.cpu.unwrap_or(false),
            cpu_frequency,
            timeline: p.timeline.unwrap_or(false),
            heap: p.heap.unwrap_or(false),
            diff,
        })
    }
}

pub(super) fn param_value(v: &Value) -> Option<ParamValue> {
    match v {
        Value::Integer(i) => Some(ParamValue::Int(*i)),
        Value::Float(f) => Some(ParamValue::Float(*f)),
        Value::String(s) => Some(ParamValue::Str(s.clone())),
        Value::Boolean(b) => Some(ParamValue::Bool(*b)),
        _ => None,
    }
}

/// `unbuffered`, `line`, `buffered` or `buffered:<capacity>` (bytes, or a
/// size such as `64KiB`).
pub(crate) fn parse_buffering(s: &str) -> Option<Buffering> {
    match s {
        "unbuffered" => Some(Buffering::Unbuffered),
        "line" => Some(Buffering::Line),
        "buffered" => Some(Buffering::Buffered {
            capacity: Buffering::DEFAULT_CAPACITY,
        }),
        _ => {
            let size = s.strip_prefix("buffered:")?.trim();
            let capacity = size.parse::<bytesize::ByteSize>().ok()?.as_u64();
            (capacity > 0).then_some(Buffering::Buffered {
                capacity: usize::try_from(capacity).ok()?,
            })
        }
    }
}

/// The label a config value names on `axis`, as [`Axis::labels`] prints it.
fn axis_label(axis: &Axis, v: &Value) -> Option<String> {
    match (axis, v) {
        (Axis::Threads(_), Value::String(s)) if s == "all" => Some(
            std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .to_string(),
        ),
        (Axis::Buffering(_), Value::String(s)) => parse_buffering(s).map(|b| b.to_string()),
        (_, Value::String(s)) => Some(s.clone()),
        (_, Value::Integer(_) | Value::Float(_) | Value::Boolean(_)) => {
            param_value(v).map(|p| p.to_string())
        }
        _ => None,
    }
}

/// Whether a run could make its folders under `dir` (relative to the
/// working directory, as the run resolves it): it is a folder, or the
/// nearest part of it that exists is one. Only looked at, never created
/// (a dry run makes nothing); a folder made unusable after this check,
/// or one the kernel refuses to create (permissions, `/proc`), is the
/// run's own error when it creates its folder.
fn usable_dir(dir: &Path) -> std::result::Result<(), String> {
    let mut at = dir;
    loop {
        match std::fs::metadata(at) {
            Ok(m) if m.is_dir() => return Ok(()),
            Ok(_) if at == dir => {
                return Err(format!(
                    "{} is a file, not a folder: name a folder for the reports",
                    dir.display()
                ))
            }
            Ok(_) => {
                return Err(format!(
                    "{} cannot be created: {} is a file",
                    dir.display(),
                    at.display()
                ))
            }
            // Missing, or under a file: look further up.
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) => {}
            Err(e) => {
                return Err(format!(
                    "{} cannot be used: {}: {e}",
                    dir.display(),
                    at.display()
                ))
            }
        }
        match at.parent() {
            Some(p) if !p.as_os_str().is_empty() => at = p,
            // Nothing of it exists: it is made in the working directory.
            _ => return Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn parse(text: &str) -> std::result::Result<Plan, ConfigError> {
        crate::config::parse(Path::new("t.toml"), text, &tuner_experiments::catalog())
    }

    fn error(text: &str) -> ConfigError {
        parse(text).expect_err("invalid config")
    }

    const HEAD: &str = "[experiment]\nworkload = \"mergesort\"\n";

    #[test]
    fn defaults_fill_every_axis() {
        let plan = parse(HEAD).unwrap();
        let names: Vec<&str> = plan.axes.iter().map(Axis::name).collect();
        assert_eq!(
            names,
            [
                "variant",
                "size",
                "threshold",
                "span_threshold",
                "seed",
                "threads",
                "allocator",
                "buffering"
            ]
        );
        assert_eq!(plan.axes[0].len(), 7, "every variant by default");
        assert_eq!(plan.axes[6], Axis::Allocator(vec![AllocatorName::System]));
        assert_eq!(plan.measure.processes, 7);
        assert_eq!(plan.report.dir, Path::new("reports"));
    }

    #[test]
    fn spending_names_a_function_or_is_an_error_at_its_key() {
        let adaptive = format!("{HEAD}[measure]\nprocesses = 3\nmax_processes = 7\n");
        assert_eq!(
            parse(&adaptive).unwrap().measure.spending,
            Spending::OBrienFleming
        );
        let pocock = parse(&format!("{adaptive}spending = \"pocock\"\n")).unwrap();
        assert_eq!(pocock.measure.spending, Spending::Pocock);
        let e = error(&format!("{adaptive}spending = \"linear\"\n")).to_string();
        assert!(
            e.starts_with("t.toml:6:12:") && e.contains("measure.spending") && e.contains("pocock"),
            "{e}"
        );
    }

    #[test]
    fn adaptive_keys_without_max_processes_are_errors_at_their_key() {
        for (key, line) in [
            ("look_every", "look_every = 3"),
            ("racing", "racing = true"),
            ("spending", "spending = \"pocock\""),
        ] {
            let e = error(&format!("{HEAD}[measure]\nprocesses = 5\n{line}\n")).to_string();
            assert!(
                e.starts_with("t.toml:5:")
                    && e.contains(&format!("measure.{key}"))
                    && e.contains("max_processes"),
                "{e}"
            );
        }
    }

    #[test]
    fn a_budget_is_a_duration_longer_than_zero() {
        let plan = parse(&format!("{HEAD}[measure]\nbudget = \"20m\"\n")).unwrap();
        assert_eq!(plan.measure.budget, Some(Duration::from_secs(1200)));
        assert_eq!(parse(HEAD).unwrap().measure.budget, None);
        for (bad, says) in [
            ("0s", "must be from 1s to 7days"),
            ("soon", "is not a duration"),
        ] {
            let e = error(&format!("{HEAD}[measure]\nbudget = \"{bad}\"\n")).to_string();
            assert!(
                e.starts_with("t.toml:4:") && e.contains("measure.budget") && e.contains(says),
                "{e}"
            );
        }
    }

    #[test]
    fn errors_name_line_column_and_key_path() {
        let e = error(&format!("{HEAD}[params]\nthreshold = [64, \"big\"]\n"));
        assert_eq!(
            (e.line, e.column, e.key.as_str()),
            (4, 13, "params.threshold")
        );
        assert_eq!(
            e.message,
            "expected an integer in 1..=2147483648, found `big`"
        );
        let e = error(&format!("{HEAD}[params]\nsize = [10, 10]\n"));
        assert_eq!(e.message, "10 is listed twice");
        let e = error(&format!("{HEAD}[params]\ncolour = 1\n"));
        assert_eq!((e.line, e.key.as_str()), (4, "params.colour"));
        assert!(
            e.message.contains(
                "has no parameter `colour`; it has variant, size, threshold, span_threshold, seed"
            ),
            "{}",
            e.message
        );
    }

    #[test]
    fn buffering_values_parse_with_capacities() {
        assert_eq!(
            parse_buffering("buffered:64KiB"),
            Some(Buffering::Buffered { capacity: 65536 })
        );
        assert_eq!(
            parse_buffering("buffered:100"),
            Some(Buffering::Buffered { capacity: 100 })
        );
        assert_eq!(parse_buffering("line"), Some(Buffering::Line));
        assert_eq!(parse_buffering("buffered:0"), None);
        assert_eq!(parse_buffering("bufferd"), None);
    }

    #[test]
    fn threads_all_means_every_cpu_and_baselines_resolve_to_labels() {
        let plan = parse(&format!("{HEAD}[matrix]\nthreads = [1, \"all\"]\n[report]\nbaseline = {{ threads = \"all\" }}\n"));
        let cpus = std::thread::available_parallelism().unwrap().get();
        if cpus == 1 {
            assert!(plan.is_err(), "1 and \"all\" are the same value on one CPU");
            return;
        }
        let plan = plan.unwrap();
        assert_eq!(plan.axes[5], Axis::Threads(vec![1, cpus]));
        assert_eq!(
            plan.report.baseline,
            [("threads".to_string(), cpus.to_string())]
        );
    }

    fn located(text: &str) -> (usize, usize, String, String) {
        let e = error(text);
        (e.line, e.column, e.key, e.message)
    }

    #[test]
    fn names_and_dirs_that_would_escape_are_refused_where_written() {
        let (line, column, key, message) = located(&format!("{HEAD}name = \"../../x\"\n"));
        assert_eq!((line, column, key.as_str()), (3, 8, "experiment.name"));
        assert!(
            message.starts_with("\"../../x\" is not a safe name"),
            "{message}"
        );
        let (line, _, key, message) = located(&format!("{HEAD}[report]\ndir = \"\"\n"));
        assert_eq!((line, key.as_str()), (4, "report.dir"));
        assert!(message.starts_with("is empty"), "{message}");
        let plan = parse(&format!(
            "{HEAD}name = \"run-2.b\"\n[report]\ndir = \"/tmp/x\"\n"
        ))
        .unwrap();
        assert_eq!(
            (plan.name.as_str(), plan.report.dir.to_str()),
            ("run-2.b", Some("/tmp/x"))
        );
    }

    #[test]
    fn a_report_dir_that_is_a_file_or_under_one_is_refused_where_written() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("notes.txt");
        std::fs::write(&file, "x").unwrap();
        let at = |dir: &Path| {
            located(&format!(
                "{HEAD}[report]\ndir = {:?}\n",
                dir.display().to_string()
            ))
        };
        let (line, column, key, message) = at(&file);
        assert_eq!((line, column, key.as_str()), (4, 7, "report.dir"));
        assert!(
            message.ends_with("notes.txt is a file, not a folder: name a folder for the reports"),
            "{message}"
        );
        let (_, _, key, message) = at(&file.join("reports/x"));
        assert_eq!(key, "report.dir");
        assert!(
            message.contains("notes.txt/reports/x cannot be created: "),
            "{message}"
        );
        assert!(message.ends_with("notes.txt is a file"), "{message}");
        // A folder, or one to be made under a folder, is fine; nothing is made.
        for ok in [tmp.path().to_path_buf(), tmp.path().join("new/deeper")] {
            let text = format!("{HEAD}[report]\ndir = {:?}\n", ok.display().to_string());
            assert_eq!(parse(&text).unwrap().report.dir, ok);
        }
        assert!(!tmp.path().join("new").exists());
    }

    #[test]
    fn report_html_is_off_unless_asked_and_must_be_a_boolean() {
        assert!(!parse(HEAD).unwrap().report.html);
        let plan = parse(&format!("{HEAD}[report]\nhtml = true\n")).unwrap();
        assert!(plan.report.html);
        let e = error(&format!("{HEAD}[report]\nhtml = \"yes\"\n")).to_string();
        assert!(e.contains("t.toml:4:8"), "{e}");
        assert!(e.contains("html"), "{e}");
    }

    #[test]
    fn an_excluded_baseline_points_at_the_baseline_or_the_exclusion() {
        let matrix = "[matrix]\nthreads = [1, 2]\nexclude = [{ threads = 2 }]\n";
        let (line, column, key, message) = located(&format!(
            "{HEAD}{matrix}[report]\nbaseline = {{ threads = 2 }}\n"
        ));
        assert_eq!((line, column, key.as_str()), (7, 12, "report.baseline"));
        assert!(message.contains("threads=2"), "{message}");
        assert!(message.contains("is excluded"), "{message}");
        // Without a configured baseline, the first values are the baseline.
        let (line, column, key, _) = located(&format!(
            "{HEAD}[matrix]\nthreads = [1, 2, 4]\nexclude = [{{ threads = 2 }}, {{ threads = 1 }}]\n"
        ));
        assert_eq!((line, column, key.as_str()), (5, 29, "matrix.exclude"));
    }

    #[test]
    fn parameters_must_be_finite() {
        let (_, _, key, message) = located(&format!("{HEAD}[params]\nsize = nan\n"));
        assert_eq!(
            (key.as_str(), message.as_str()),
            ("params.size", "NaN is not a finite number")
        );
        let (_, _, _, message) = located(&format!("{HEAD}[params]\nsize = [1, inf]\n"));
        assert_eq!(message, "inf is not a finite number");
    }

    #[test]
    fn excluding_everything_fails_at_validation() {
        let (line, column, key, message) = located(&format!(
            "{HEAD}[params]\nvariant = \"v3\"\n[matrix]\nexclude = [{{ variant = \"v3\" }}]\n"
        ));
        assert_eq!((line, column, key.as_str()), (6, 12, "matrix.exclude"));
        assert_eq!(
            message,
            "excludes every one of the matrix's 1 points; nothing would run"
        );
    }

    #[test]
    fn durations_counts_and_matrix_size_are_bounded() {
        let (line, _, key, message) = located(&format!("{HEAD}[measure]\ntimeout = \"0s\"\n"));
        assert_eq!((line, key.as_str()), (4, "measure.timeout"));
        assert_eq!(message, "0s is out of range: must be from 100ms to 1day");
        let (_, _, key, message) = located(&format!("{HEAD}[measure]\nwarmup = \"100years\"\n"));
        assert_eq!(key, "measure.warmup");
        assert!(message.ends_with("must be from 0s to 10m"), "{message}");
        let (_, _, key, message) = located(&format!(
            "{HEAD}[measure]\nsamples = 100\nmin_sample_time = \"1s\"\n"
        ));
        assert_eq!(key, "measure.samples", "the timeout is the default");
        assert!(message.contains("is already 1m 40s"), "{message}");
        let (_, _, key, message) = located(&format!("{HEAD}[measure]\nprocesses = 1001\n"));
        assert_eq!(
            (key.as_str(), message.as_str()),
            ("measure.processes", "must be from 1 to 1000")
        );
        let sizes: Vec<String> = (1..=200).map(|i| i.to_string()).collect();
        let (line, _, key, message) = located(&format!(
            "{HEAD}[params]\nsize = [{}]\nthreshold = [1, 2, 3, 4, 5, 6, 7, 8]\n",
            sizes.join(", ")
        ));
        assert_eq!((line, key.as_str()), (4, "params.size"));
        assert_eq!(
            message,
            "the matrix has 11200 points; at most 10000 (the longest axis is size)"
        );
    }
}
