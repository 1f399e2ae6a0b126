//! The workload interface of tuner: the contract between the instrument and
//! the workloads it studies. `tuner` re-exports all of it; a user's crate
//! writes its workloads against it and hands them to `tuner::main!` in a
//! [`Catalog`].
//!
//! An [`Experiment`] names its variants and typed parameters and builds a
//! [`Workload`] for one matrix point. The instrument owns everything else:
//! processes, the allocator, the thread pool, timing and statistics. A
//! workload only sees a [`Context`] carrying the knobs it may need (thread
//! count, a tokio runtime handle, an output sink built from the buffering
//! knob, a scratch directory).
//!
//! Two ways to write one: [`Bench`] assembles an experiment from typed
//! parameters ([`Param`], read with [`Params::get`]) and a set-up closure
//! per variant, which covers most workloads in a few lines, and takes a
//! [`Workload`] of the user's own for state that must be reset between
//! runs, several operations per run or a digest of output files
//! ([`Bench::variant_workload`]); implementing [`Experiment`] whole is the
//! rest, reading parameters by name ([`Params::int`] and its siblings).
//!
//! The structs a user builds are `#[non_exhaustive]` with constructors
//! (`const` where a `static` needs them), so a field added to them, such
//! as a new knob, breaks no user.

mod builder;
mod param;
pub use builder::{Bench, IntoWorkload};
pub use param::{Integer, Param, ParamType, Scalar};

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// A workload parameter's value as written in a config.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ParamValue {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
}

impl fmt::Display for ParamValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamValue::Bool(b) => write!(f, "{b}"),
            ParamValue::Int(i) => write!(f, "{i}"),
            ParamValue::Float(x) => write!(f, "{x}"),
            ParamValue::Str(s) => f.write_str(s),
        }
    }
}

/// The type a parameter accepts, with its bounds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ParamKind {
    /// An integer in `min..=max`.
    Int {
        min: i64,
        max: i64,
    },
    /// A non-negative float.
    Float,
    Bool,
    /// One of the listed strings.
    Choice(&'static [&'static str]),
}

impl ParamKind {
    /// Checks a value against this kind; the error says what was expected.
    pub fn check(&self, value: &ParamValue) -> Result<(), String> {
        match (self, value) {
            (ParamKind::Int { min, max }, ParamValue::Int(i)) => {
                if (*min..=*max).contains(i) {
                    Ok(())
                } else {
                    Err(format!("{i} is out of range {min}..={max}"))
                }
            }
            (ParamKind::Float, ParamValue::Float(x)) if *x >= 0.0 => Ok(()),
            (ParamKind::Float, ParamValue::Int(i)) if *i >= 0 => Ok(()),
            (ParamKind::Bool, ParamValue::Bool(_)) => Ok(()),
            (ParamKind::Choice(options), ParamValue::Str(s)) => {
                if options.contains(&s.as_str()) {
                    Ok(())
                } else {
                    Err(format!("`{s}` is not one of {}", options.join(", ")))
                }
            }
            (kind, value) => Err(format!("expected {}, found `{value}`", kind.describe())),
        }
    }

    /// A short human description, used in errors and `tuner list`.
    pub fn describe(&self) -> String {
        match self {
            ParamKind::Int { min, max } => format!("an integer in {min}..={max}"),
            ParamKind::Float => "a non-negative number".into(),
            ParamKind::Bool => "true or false".into(),
            ParamKind::Choice(options) => format!("one of {}", options.join(", ")),
        }
    }
}

/// One typed workload parameter.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ParamSpec {
    pub name: &'static str,
    pub kind: ParamKind,
    pub default: ParamValue,
    pub help: &'static str,
}

impl ParamSpec {
    pub const fn new(
        name: &'static str,
        kind: ParamKind,
        default: ParamValue,
        help: &'static str,
    ) -> ParamSpec {
        ParamSpec {
            name,
            kind,
            default,
            help,
        }
    }
}

/// One named way of doing the experiment's work.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct Variant {
    pub name: &'static str,
    pub help: &'static str,
}

impl Variant {
    pub const fn new(name: &'static str, help: &'static str) -> Variant {
        Variant { name, help }
    }
}

/// Which runtime knobs change what an experiment does; the others are
/// accepted but flagged in the report as having no effect.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Knobs {
    /// Runs work on the rayon pool (or spawns `threads` threads).
    pub threads: bool,
    /// Runs futures on the tokio runtime.
    pub tokio: bool,
    /// Writes through the buffering sink.
    pub buffering: bool,
}

impl Knobs {
    /// No knob but the allocator, which every experiment feels.
    pub const NONE: Knobs = Knobs {
        threads: false,
        tokio: false,
        buffering: false,
    };

    /// These knobs and `threads`.
    pub const fn uses_threads(mut self) -> Knobs {
        self.threads = true;
        self
    }

    /// These knobs and `tokio`.
    pub const fn uses_tokio(mut self) -> Knobs {
        self.tokio = true;
        self
    }

    /// These knobs and `buffering`.
    pub const fn uses_buffering(mut self) -> Knobs {
        self.buffering = true;
        self
    }
}

/// Validated parameter values for one matrix point, by name. A [`Bench`]
/// reads them typed, through the [`Param`] handles its declarations
/// returned ([`Params::get`]); a hand-written [`Experiment`] reads them by
/// name ([`Params::int`] and its siblings).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Params(pub BTreeMap<String, ParamValue>);

impl FromIterator<(String, ParamValue)> for Params {
    fn from_iter<I: IntoIterator<Item = (String, ParamValue)>>(pairs: I) -> Params {
        Params(pairs.into_iter().collect())
    }
}

/// Untyped access by name, for hand-written [`Experiment`]s (a [`Bench`]
/// reads through its [`Param`] handles instead).
impl Params {
    /// The integer parameter `name`. Parameters are validated against the
    /// experiment's specs before a workload is built, so a missing or
    /// mistyped one is a bug in the experiment and panics.
    pub fn int(&self, name: &str) -> i64 {
        match self.0.get(name) {
            Some(ParamValue::Int(i)) => *i,
            other => panic!("parameter `{name}` should be an integer, found {other:?}"),
        }
    }

    /// An integer parameter that the spec bounds to be non-negative.
    pub fn usize(&self, name: &str) -> usize {
        usize::try_from(self.int(name)).expect("spec bounds the parameter to be non-negative")
    }

    pub fn float(&self, name: &str) -> f64 {
        match self.0.get(name) {
            Some(ParamValue::Float(x)) => *x,
            Some(ParamValue::Int(i)) => *i as f64,
            other => panic!("parameter `{name}` should be a number, found {other:?}"),
        }
    }

    pub fn bool(&self, name: &str) -> bool {
        match self.0.get(name) {
            Some(ParamValue::Bool(b)) => *b,
            other => panic!("parameter `{name}` should be a bool, found {other:?}"),
        }
    }

    pub fn str(&self, name: &str) -> &str {
        match self.0.get(name) {
            Some(ParamValue::Str(s)) => s,
            other => panic!("parameter `{name}` should be a string, found {other:?}"),
        }
    }
}

/// The buffering knob: how output-producing workloads write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Buffering {
    /// Every `write` call reaches the file (one syscall each).
    Unbuffered,
    /// A `BufWriter` with this capacity in bytes.
    Buffered { capacity: usize },
    /// A `LineWriter`: flushes at each newline.
    Line,
}

impl Buffering {
    /// The default capacity of `Buffered`, the same as `BufWriter::new`.
    pub const DEFAULT_CAPACITY: usize = 8 * 1024;
}

impl fmt::Display for Buffering {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Buffering::Unbuffered => f.write_str("unbuffered"),
            Buffering::Buffered { capacity } if *capacity == Self::DEFAULT_CAPACITY => {
                f.write_str("buffered")
            }
            Buffering::Buffered { capacity } if capacity % 1024 == 0 => {
                write!(f, "buffered:{}KiB", capacity / 1024)
            }
            Buffering::Buffered { capacity } => write!(f, "buffered:{capacity}"),
            Buffering::Line => f.write_str("line"),
        }
    }
}

/// An output sink: a file behind the writer the buffering knob chose.
pub type Sink = Box<dyn Write + Send>;

/// What a workload may use of the run's knobs.
#[non_exhaustive]
pub struct Context {
    /// Size of the rayon pool the workload runs in (and of the tokio runtime).
    pub threads: usize,
    /// The buffering knob for sinks opened through [`Context::open_sink`].
    pub buffering: Buffering,
    /// A tokio runtime with `threads` workers, for async workloads.
    pub tokio: Option<tokio::runtime::Handle>,
    /// A private directory for the workload's files, removed after the run.
    pub scratch_dir: PathBuf,
}

impl Context {
    /// A context of `threads` threads, the `buffering` knob and the
    /// private directory `scratch_dir`, without a tokio runtime (the
    /// worker builds one for experiments that use [`Knobs::tokio`]; a
    /// test adds its own with [`Context::with_tokio`]).
    pub fn new(threads: usize, buffering: Buffering, scratch_dir: impl Into<PathBuf>) -> Context {
        Context {
            threads,
            buffering,
            tokio: None,
            scratch_dir: scratch_dir.into(),
        }
    }

    /// This context with `handle` as its tokio runtime.
    pub fn with_tokio(mut self, handle: tokio::runtime::Handle) -> Context {
        self.tokio = Some(handle);
        self
    }

    /// Where [`Context::open_sink`] writes.
    pub fn sink_path(&self) -> PathBuf {
        self.scratch_dir.join("sink.out")
    }

    /// Creates the sink file afresh and wraps it per the buffering knob.
    pub fn open_sink(&self) -> io::Result<Sink> {
        open_sink(&self.sink_path(), self.buffering)
    }

    /// The tokio runtime handle; async experiments declare `Knobs::tokio`,
    /// so the instrument always provides one to them.
    pub fn tokio(&self) -> tokio::runtime::Handle {
        self.tokio
            .clone()
            .expect("experiments with Knobs::tokio get a runtime")
    }
}

/// Opens `path` as a new, empty file behind the writer `buffering` names.
pub fn open_sink(path: &Path, buffering: Buffering) -> io::Result<Sink> {
    Ok(wrap_sink(create_fresh(path)?, buffering))
}

/// Creates `path` as a new, empty file, removing any previous one first.
///
/// Truncating instead would cost every run ~4 ms on ext4: with the default
/// `auto_da_alloc`, a file truncated and written again starts writeback
/// when it is closed, so runs would pay for a rename-safety heuristic
/// rather than for their writes.
pub fn create_fresh(path: &Path) -> io::Result<std::fs::File> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    std::fs::File::create(path)
}

/// Wraps `writer` in the writer the buffering knob names.
pub fn wrap_sink<W: Write + Send + 'static>(writer: W, buffering: Buffering) -> Sink {
    match buffering {
        Buffering::Unbuffered => Box::new(writer),
        Buffering::Buffered { capacity } => {
            Box::new(io::BufWriter::with_capacity(capacity, writer))
        }
        Buffering::Line => Box::new(io::LineWriter::new(writer)),
    }
}

/// One matrix point's work, built once per process and run many times.
pub trait Workload {
    /// Whether [`Workload::reset`] must run before each timed iteration
    /// (e.g. to restore unsorted input). Such workloads are timed one
    /// iteration at a time, so their operation should last well over 1 µs.
    fn needs_reset(&self) -> bool {
        false
    }

    /// Untimed preparation before an iteration, when `needs_reset`.
    fn reset(&mut self) {}

    /// One run of the workload: `ops_per_run` operations.
    fn run(&mut self) -> io::Result<()>;

    /// How many logical operations one `run` performs (e.g. buffers taken
    /// from a pool): the unit that ns/op, allocs/op and B/op refer to.
    fn ops_per_run(&self) -> u64 {
        1
    }

    /// A digest of what the last `run` produced. Every variant of an
    /// experiment must produce the same digest for the same parameters:
    /// only the cost may differ.
    fn output_digest(&mut self) -> io::Result<u64>;
}

/// What an experiment is: its name, variants, parameters and the knobs it
/// uses. Plain data, so the catalog can be listed without building anything.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct Info {
    pub name: &'static str,
    pub description: &'static str,
    pub variants: &'static [Variant],
    pub params: &'static [ParamSpec],
    pub knobs: Knobs,
    /// Fixed background the report prints beside the measured numbers
    /// (e.g. the seed's Go figures, labelled as measured elsewhere).
    /// Conclusions are never written here: the report computes them.
    pub notes: &'static str,
    /// The comparisons the experiment's lesson is about (see [`Lesson`]);
    /// empty for an experiment that teaches nothing by itself.
    pub lessons: &'static [Lesson],
}

impl Info {
    /// An experiment called `name` that uses no knob but the allocator,
    /// with no notes and no lessons.
    pub const fn new(
        name: &'static str,
        description: &'static str,
        variants: &'static [Variant],
        params: &'static [ParamSpec],
    ) -> Info {
        Info {
            name,
            description,
            variants,
            params,
            knobs: Knobs::NONE,
            notes: "",
            lessons: &[],
        }
    }

    /// This experiment, using `knobs`.
    pub const fn knobs(mut self, knobs: Knobs) -> Info {
        self.knobs = knobs;
        self
    }

    /// This experiment, with `notes` as its fixed background.
    pub const fn notes(mut self, notes: &'static str) -> Info {
        self.notes = notes;
        self
    }

    /// This experiment, with `lessons` to judge.
    pub const fn lessons(mut self, lessons: &'static [Lesson]) -> Info {
        self.lessons = lessons;
        self
    }
}

/// An `(axis, value)` pair naming one value of a matrix axis, as a config
/// and the report spell it: `("variant", "v1")`, `("threads", "2")`,
/// `("allocator", "jemalloc")`, `("buffering", "buffered:64KiB")`,
/// `("size", "1000000")` (a parameter's name and its value).
pub type Selection = &'static [(&'static str, &'static str)];

/// One comparison a lesson of the workshop makes, declared by the
/// experiment that ports it, so the report can say whether this run's
/// numbers bear it out.
///
/// A lesson names two sides, `base` and `head`, each a [`Selection`] of
/// axis values; the report compares head's time per operation against
/// base's. The sides resolve as [`Lesson::sides`] says:
///
/// - an axis one side names and the other does not takes, on that other
///   side, the same value (`base: [variant=fresh, threads=1]`,
///   `head: [variant=mutex_pool]` compares the two at `threads=1`);
/// - an axis neither side names is held equal: every point of the run
///   that matches the resolved `base` is paired with the point that
///   matches the resolved `head` and has the same value on every axis
///   neither side names. Each such pair is one judgement (a lesson that
///   leaves `allocator` unnamed is judged once per allocator in the run).
///
/// For each pair the report computes the change of head's time per
/// operation against base's, with its interval and verdict (faster,
/// slower, equivalent, not shown), and judges the lesson by what
/// [`Lesson::expect`] claims, direction-aware:
///
/// | expect | holds | reversed | otherwise |
/// |---|---|---|---|
/// | [`Expect::Faster`] | faster | slower | equivalent: *no gain*; not shown: *not shown* |
/// | [`Expect::Slower`] | slower | faster | equivalent: *no gain*; not shown: *not shown* |
/// | [`Expect::Tie`] ("as fast as") | equivalent | faster or slower | *not shown* |
/// | [`Expect::NoFaster`] ("does not help") | slower or equivalent | faster | *not shown* |
///
/// A lesson says where its claim comes from ([`Lesson::source`]): a
/// section of the workshop it quotes ([`Lesson::workshop`]) or the
/// experiment's own addition (the default), so a report never presents
/// tuner's claim as the workshop's. The report shows
/// [`Lesson::rust_note`] whenever a lesson does not hold, labelled as a
/// hypothesis: it explains, it was not measured by the run.
/// A run whose matrix lacks either side of a pair (a smaller config of the
/// same workload) simply has no judgement for that lesson.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Lesson {
    /// The claim in one line.
    pub claim: &'static str,
    /// The point the claim starts from.
    pub base: Selection,
    /// The point the claim says differs from `base`, and how.
    pub head: Selection,
    /// What the claim expects of head against base.
    pub expect: Expect,
    /// Why a Rust port may not bear the claim out, shown when the result
    /// differs from `expect` (`None`: nothing Rust-specific to say).
    pub rust_note: Option<&'static str>,
    /// Where the claim comes from.
    pub source: Source,
}

/// Where a [`Lesson`]'s claim comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The experiment's own addition: not a claim of the workshop.
    Own,
    /// The workshop: the section it is in and its words, quoted.
    Workshop {
        section: &'static str,
        quote: &'static str,
    },
}

/// What a [`Lesson`] expects of its head point against its base.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expect {
    /// Head takes less time per operation than base.
    Faster,
    /// Head takes more time per operation than base.
    Slower,
    /// "As fast as": neither differs from the other beyond the noise band
    /// (holds only when shown equivalent).
    Tie,
    /// "Does not help", "gains nothing": head is not faster than base
    /// (holds when slower or shown equivalent).
    NoFaster,
}

impl Lesson {
    /// The lesson that `claim`s `head` does as `expect` says against `base`.
    pub const fn new(
        claim: &'static str,
        base: Selection,
        head: Selection,
        expect: Expect,
    ) -> Lesson {
        Lesson {
            claim,
            base,
            head,
            expect,
            rust_note: None,
            source: Source::Own,
        }
    }

    /// This lesson, quoting the workshop: the `section` its claim is in
    /// and the workshop's own words.
    pub const fn workshop(mut self, section: &'static str, quote: &'static str) -> Lesson {
        self.source = Source::Workshop { section, quote };
        self
    }

    /// This lesson, with why a Rust port may not bear it out.
    pub const fn rust_note(mut self, note: &'static str) -> Lesson {
        self.rust_note = Some(note);
        self
    }

    /// The two sides fully resolved: `base` with the values only `head`
    /// names added, and `head` with the values only `base` names added, in
    /// the order base names its axes, then head's own. Axes neither names
    /// are held equal between the two (see [`Lesson`]).
    pub fn sides(&self) -> [Vec<(&'static str, &'static str)>; 2] {
        let complete = |own: Selection, other: Selection| {
            let mut side: Vec<_> = own.to_vec();
            for (axis, value) in other {
                if !own.iter().any(|(a, _)| a == axis) {
                    side.push((*axis, *value));
                }
            }
            side
        };
        let base = complete(self.base, self.head);
        let mut head = complete(self.head, self.base);
        // The same axis order on both sides: base's, then head's own.
        head.sort_by_key(|(a, _)| base.iter().position(|(b, _)| b == a));
        [base, head]
    }

    /// The axes either side names: the ones that are not held equal.
    pub fn named_axes(&self) -> Vec<&'static str> {
        let [base, _] = self.sides();
        base.into_iter().map(|(a, _)| a).collect()
    }
}

/// A workload under study: its [`Info`], and how to build its workload.
pub trait Experiment: Sync {
    fn info(&self) -> &'static Info;
    /// Builds the workload for `variant`; `params` hold every spec'd
    /// parameter, validated.
    fn build(
        &self,
        variant: &str,
        params: &Params,
        ctx: &Context,
    ) -> Result<Box<dyn Workload>, String>;
}

/// Shorthands for the [`Info`] fields.
impl dyn Experiment + '_ {
    pub fn name(&self) -> &'static str {
        self.info().name
    }
    pub fn description(&self) -> &'static str {
        self.info().description
    }
    pub fn variants(&self) -> &'static [Variant] {
        self.info().variants
    }
    pub fn params(&self) -> &'static [ParamSpec] {
        self.info().params
    }
    pub fn knobs(&self) -> Knobs {
        self.info().knobs
    }
    pub fn notes(&self) -> &'static str {
        self.info().notes
    }
    pub fn lessons(&self) -> &'static [Lesson] {
        self.info().lessons
    }

    /// Every parameter at its default: the point a config that names no
    /// parameter builds.
    pub fn default_params(&self) -> Params {
        self.params()
            .iter()
            .map(|p| (p.name.to_string(), p.default.clone()))
            .collect()
    }
}

/// The experiments one binary can run: tuner's own catalog, a user's
/// workloads, or both, in the order `list` shows them.
#[derive(Clone, Default)]
pub struct Catalog {
    experiments: Vec<&'static dyn Experiment>,
}

impl Catalog {
    pub fn new() -> Catalog {
        Catalog::default()
    }

    /// This catalog with `experiment` added.
    pub fn with(mut self, experiment: &'static dyn Experiment) -> Catalog {
        self.experiments.push(experiment);
        self
    }

    /// This catalog with every experiment of `other` added.
    pub fn extend(mut self, other: impl IntoIterator<Item = &'static dyn Experiment>) -> Catalog {
        self.experiments.extend(other);
        self
    }

    /// The experiment called `name`, if the catalog has it.
    pub fn find(&self, name: &str) -> Option<&'static dyn Experiment> {
        self.experiments.iter().copied().find(|e| e.name() == name)
    }

    pub fn iter(&self) -> impl Iterator<Item = &'static dyn Experiment> + '_ {
        self.experiments.iter().copied()
    }

    /// A name two experiments share, if any: a catalog must name each once.
    pub fn duplicate(&self) -> Option<&'static str> {
        let names: Vec<&str> = self.iter().map(|e| e.name()).collect();
        names
            .iter()
            .enumerate()
            .find(|(i, n)| names[..*i].contains(n))
            .map(|(_, n)| *n)
    }
}

/// The hasher for [`Workload::output_digest`]: FNV-1a, whose output is
/// fixed by its specification (std's `DefaultHasher` may change between
/// releases, and digests are saved in results files).
pub type Digest = fnv::FnvHasher;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_kind_checks_bounds_and_type() {
        let kind = ParamKind::Int { min: 1, max: 10 };
        assert!(kind.check(&ParamValue::Int(5)).is_ok());
        assert!(kind
            .check(&ParamValue::Int(11))
            .unwrap_err()
            .contains("out of range"));
        assert!(kind
            .check(&ParamValue::Str("x".into()))
            .unwrap_err()
            .contains("expected an integer"));
    }

    #[test]
    fn lesson_sides_share_the_axes_either_names() {
        let lesson = Lesson::new(
            "a pool beats allocating",
            &[("variant", "fresh"), ("threads", "1")],
            &[("variant", "mutex_pool"), ("allocator", "mimalloc")],
            Expect::Faster,
        );
        let [base, head] = lesson.sides();
        assert_eq!(
            base,
            [
                ("variant", "fresh"),
                ("threads", "1"),
                ("allocator", "mimalloc")
            ]
        );
        assert_eq!(
            head,
            [
                ("variant", "mutex_pool"),
                ("threads", "1"),
                ("allocator", "mimalloc")
            ]
        );
        assert_eq!(lesson.named_axes(), ["variant", "threads", "allocator"]);
    }

    /// The constructors are `const`: hand-written experiments keep their
    /// definitions in `static`s and `const`s.
    const SPEC: ParamSpec = ParamSpec::new(
        "n",
        ParamKind::Int { min: 1, max: 9 },
        ParamValue::Int(3),
        "how many",
    );
    const PARAMS: &[ParamSpec] = &[SPEC];
    static INFO: Info = Info::new(
        "x",
        "an experiment",
        &[Variant::new("a", "one way")],
        PARAMS,
    )
    .knobs(Knobs::NONE.uses_threads().uses_buffering())
    .notes("background")
    .lessons(&[Lesson::new(
        "a is fast",
        &[("variant", "a")],
        &[("threads", "2")],
        Expect::Faster,
    )
    .rust_note("threads help")
    .workshop("GOMAXPROCS", "a is fast")]);

    #[test]
    fn const_constructors_build_what_they_name() {
        assert_eq!(
            (INFO.name, INFO.description, INFO.notes),
            ("x", "an experiment", "background")
        );
        assert_eq!(
            (INFO.variants[0].name, INFO.variants[0].help),
            ("a", "one way")
        );
        assert_eq!(INFO.params[0].default, ParamValue::Int(3));
        assert!(INFO.knobs.threads && INFO.knobs.buffering && !INFO.knobs.tokio);
        assert_eq!(
            Knobs::NONE.uses_tokio(),
            Knobs {
                tokio: true,
                ..Knobs::NONE
            }
        );
        assert_eq!(INFO.lessons[0].rust_note, Some("threads help"));
        assert_eq!(INFO.lessons[0].expect, Expect::Faster);
        assert_eq!(
            INFO.lessons[0].source,
            Source::Workshop {
                section: "GOMAXPROCS",
                quote: "a is fast"
            }
        );
        let ctx = Context::new(2, Buffering::Line, "/tmp/x");
        assert_eq!((ctx.threads, ctx.buffering), (2, Buffering::Line));
        assert!(ctx.tokio.is_none());
        assert_eq!(ctx.sink_path(), Path::new("/tmp/x/sink.out"));
    }

    #[test]
    fn choice_kind_lists_options() {
        let kind = ParamKind::Choice(&["a", "b"]);
        assert_eq!(
            kind.check(&ParamValue::Str("c".into())).unwrap_err(),
            "`c` is not one of a, b"
        );
    }
}
