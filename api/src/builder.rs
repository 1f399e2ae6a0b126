//! The closure-per-variant builder: an [`Experiment`] from a name, typed
//! parameters and one set-up closure per variant, for workloads that need
//! no type of their own.
//!
//! A variant's set-up runs once per worker process, inside the point's
//! thread pool, and returns the operation to time. The operation's return
//! value passes through [`std::hint::black_box`] (so the optimiser cannot
//! drop the work) and is kept until the next run, when it is dropped inside
//! the timing as a caller's result would be; the last one is hashed into
//! the run's output digest, which every variant must agree on. Workloads
//! that must restore their input between runs, or that report several
//! operations per run, implement [`Workload`] and join the same builder
//! through [`Bench::variant_workload`].

use std::hash::{Hash, Hasher};
use std::io;
use std::ops::RangeInclusive;

use crate::{
    Catalog, Context, Digest, Experiment, Info, Knobs, Lesson, ParamKind, ParamSpec, ParamValue,
    Params, Variant, Workload,
};

/// Builds one variant's workload for a point's parameters and context.
type Setup = Box<dyn Fn(&Params, &Context) -> Box<dyn Workload> + Sync>;

/// An experiment assembled from closures: name, parameters, knobs and one
/// set-up closure per variant. Add it to a [`Catalog`] with
/// [`Catalog::bench`].
///
/// ```
/// use tuner_api::{Bench, Catalog};
///
/// let catalog = Catalog::new().bench(
///     Bench::new("sum")
///         .about("add up the first n integers")
///         .param_int("n", 1_000, 1..=1_000_000, "how many integers")
///         .variant("loop", |p, _ctx| {
///             let n = p.int("n");
///             move || {
///                 let mut total = 0i64;
///                 for i in 1..=n {
///                     total += i;
///                 }
///                 total
///             }
///         })
///         .help("a plain loop")
///         .variant("formula", |p, _ctx| {
///             let n = p.int("n");
///             move || n * (n + 1) / 2
///         }),
/// );
/// let sum = catalog.find("sum").unwrap();
/// assert_eq!(sum.variants()[0].help, "a plain loop");
/// assert_eq!(sum.params()[0].name, "n");
/// ```
pub struct Bench {
    name: &'static str,
    description: &'static str,
    notes: &'static str,
    knobs: Knobs,
    params: Vec<ParamSpec>,
    variants: Vec<Variant>,
    setups: Vec<Setup>,
    lessons: Vec<Lesson>,
}

impl Bench {
    /// An experiment called `name`: the `workload` a config names.
    pub fn new(name: &'static str) -> Bench {
        Bench {
            name,
            description: "",
            notes: "",
            knobs: Knobs::NONE,
            params: Vec::new(),
            variants: Vec::new(),
            setups: Vec::new(),
            lessons: Vec::new(),
        }
    }

    /// One line saying what the experiment measures (`list`, the report).
    pub fn about(mut self, description: &'static str) -> Bench {
        self.description = description;
        self
    }

    /// Fixed background the report prints beside the measured numbers.
    pub fn notes(mut self, notes: &'static str) -> Bench {
        self.notes = notes;
        self
    }

    /// A claim the report should check against the run's numbers: its
    /// `base` and `head` points and what `head` should do (see [`Lesson`]).
    pub fn lesson(mut self, lesson: Lesson) -> Bench {
        self.lessons.push(lesson);
        self
    }

    /// Declares that the workload runs on the rayon pool (or spawns
    /// [`Context::threads`] threads), so the `threads` axis matters.
    pub fn uses_threads(mut self) -> Bench {
        self.knobs.threads = true;
        self
    }

    /// Declares that the workload writes through [`Context::open_sink`]
    /// (or [`crate::open_sink`]), so the `buffering` axis matters.
    pub fn uses_buffering(mut self) -> Bench {
        self.knobs.buffering = true;
        self
    }

    /// Declares that the workload runs futures on [`Context::tokio`]; the
    /// worker then builds a tokio runtime of the point's thread count.
    pub fn uses_tokio(mut self) -> Bench {
        self.knobs.tokio = true;
        self
    }

    /// An integer parameter in `range`, `default` when a config omits it.
    pub fn param_int(
        self,
        name: &'static str,
        default: i64,
        range: RangeInclusive<i64>,
        help: &'static str,
    ) -> Bench {
        let (min, max) = range.into_inner();
        self.param(
            name,
            ParamKind::Int { min, max },
            ParamValue::Int(default),
            help,
        )
    }

    /// A non-negative number parameter.
    pub fn param_float(self, name: &'static str, default: f64, help: &'static str) -> Bench {
        self.param(name, ParamKind::Float, ParamValue::Float(default), help)
    }

    /// A `true`/`false` parameter.
    pub fn param_bool(self, name: &'static str, default: bool, help: &'static str) -> Bench {
        self.param(name, ParamKind::Bool, ParamValue::Bool(default), help)
    }

    /// A parameter that takes one of `options`.
    pub fn param_choice(
        self,
        name: &'static str,
        default: &'static str,
        options: &'static [&'static str],
        help: &'static str,
    ) -> Bench {
        let kind = ParamKind::Choice(options);
        self.param(name, kind, ParamValue::Str(default.into()), help)
    }

    fn param(
        mut self,
        name: &'static str,
        kind: ParamKind,
        default: ParamValue,
        help: &'static str,
    ) -> Bench {
        self.params.push(ParamSpec {
            name,
            kind,
            default,
            help,
        });
        self
    }

    /// A variant whose `setup` runs once per worker process and returns
    /// the operation to time. The operation's return value is hashed into
    /// the output digest: return the same value (or values that hash
    /// alike, such as a `String` and a `&str`) from every variant. An
    /// operation that cannot go on should panic: the run is recorded as
    /// failed with the panic's message, and the rest of the matrix runs.
    pub fn variant<S, Op, R>(self, name: &'static str, setup: S) -> Bench
    where
        S: Fn(&Params, &Context) -> Op + Sync + 'static,
        Op: FnMut() -> R + 'static,
        R: Hash + 'static,
    {
        self.add(
            name,
            Box::new(move |params, ctx| {
                Box::new(ClosureWorkload {
                    op: setup(params, ctx),
                    last: None,
                })
            }),
        )
    }

    /// A variant built as a full [`Workload`], for state that must be
    /// restored between runs ([`Workload::reset`]), several operations per
    /// run or a digest of the output files.
    pub fn variant_workload<S, W>(self, name: &'static str, setup: S) -> Bench
    where
        S: Fn(&Params, &Context) -> W + Sync + 'static,
        W: Workload + 'static,
    {
        self.add(
            name,
            Box::new(move |params, ctx| Box::new(setup(params, ctx))),
        )
    }

    /// Describes the variant added just before (`list`, the report).
    ///
    /// # Panics
    ///
    /// When no variant was added yet.
    pub fn help(mut self, help: &'static str) -> Bench {
        match self.variants.last_mut() {
            Some(variant) => variant.help = help,
            None => panic!(
                "{}: help() describes the variant added before it",
                self.name
            ),
        }
        self
    }

    fn add(mut self, name: &'static str, setup: Setup) -> Bench {
        self.variants.push(Variant { name, help: "" });
        self.setups.push(setup);
        self
    }

    /// The finished experiment, for [`Catalog::with`]; [`Catalog::bench`]
    /// calls it for you.
    ///
    /// # Panics
    ///
    /// On a mistake in the definition, naming it: no variant, a name used
    /// twice, a parameter called `variant` (the config's key for the
    /// variant axis) or a default its own parameter rejects.
    pub fn leak(self) -> &'static dyn Experiment {
        if let Err(mistake) = self.check() {
            panic!("bench `{}`: {mistake}", self.name);
        }
        // A catalog lives for the whole program and `Experiment::info`
        // hands out `&'static Info`: leaking the few small allocations once
        // is the plain way to get there.
        let info = Box::leak(Box::new(Info {
            name: self.name,
            description: self.description,
            variants: self.variants.leak(),
            params: self.params.leak(),
            knobs: self.knobs,
            notes: self.notes,
            lessons: self.lessons.leak(),
        }));
        Box::leak(Box::new(Built {
            info,
            setups: self.setups,
        }))
    }

    fn check(&self) -> Result<(), String> {
        if self.name.is_empty() {
            return Err("the experiment needs a name".into());
        }
        if self.variants.is_empty() {
            return Err("no variant: add one with .variant(name, setup)".into());
        }
        let variants: Vec<&str> = self.variants.iter().map(|v| v.name).collect();
        let params: Vec<&str> = self.params.iter().map(|p| p.name).collect();
        if let Some(name) = repeated(&variants) {
            return Err(format!("two variants are called `{name}`"));
        }
        if let Some(name) = repeated(&params) {
            return Err(format!("two parameters are called `{name}`"));
        }
        if params.contains(&"variant") {
            return Err(
                "a parameter cannot be called `variant`: configs use that key for the variant axis"
                    .into(),
            );
        }
        for p in &self.params {
            p.kind
                .check(&p.default)
                .map_err(|e| format!("the default of parameter `{}`: {e}", p.name))?;
        }
        Ok(())
    }
}

/// The first name that occurs twice in `names`.
fn repeated<'a>(names: &[&'a str]) -> Option<&'a str> {
    names
        .iter()
        .enumerate()
        .find(|(i, n)| names[..*i].contains(n))
        .map(|(_, n)| *n)
}

impl Catalog {
    /// This catalog with the experiment `bench` defines added.
    ///
    /// # Panics
    ///
    /// As [`Bench::leak`] does, on a mistake in the definition.
    pub fn bench(self, bench: Bench) -> Catalog {
        self.with(bench.leak())
    }
}

/// A [`Bench`] made into an experiment.
struct Built {
    info: &'static Info,
    setups: Vec<Setup>,
}

impl Experiment for Built {
    fn info(&self) -> &'static Info {
        self.info
    }

    fn build(
        &self,
        variant: &str,
        params: &Params,
        ctx: &Context,
    ) -> Result<Box<dyn Workload>, String> {
        let index = self
            .info
            .variants
            .iter()
            .position(|v| v.name == variant)
            .ok_or_else(|| format!("unknown variant `{variant}`"))?;
        Ok((self.setups[index])(params, ctx))
    }
}

/// The workload of a [`Bench::variant`]: its operation and the value the
/// last run returned.
struct ClosureWorkload<Op, R> {
    op: Op,
    last: Option<R>,
}

impl<Op: FnMut() -> R, R: Hash> Workload for ClosureWorkload<Op, R> {
    fn run(&mut self) -> io::Result<()> {
        // Drop the previous result first, so two never live at once.
        self.last = None;
        self.last = Some(std::hint::black_box((self.op)()));
        Ok(())
    }

    fn output_digest(&mut self) -> io::Result<u64> {
        let last = self.last.as_ref().ok_or_else(|| {
            io::Error::other("the operation has not run, so there is no output to digest")
        })?;
        let mut digest = Digest::default();
        last.hash(&mut digest);
        Ok(digest.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Buffering;

    fn context() -> Context {
        Context {
            threads: 1,
            buffering: Buffering::Unbuffered,
            tokio: None,
            scratch_dir: std::env::temp_dir(),
        }
    }

    fn defaults(exp: &dyn Experiment) -> Params {
        let mut params = Params::default();
        for p in exp.params() {
            params.0.insert(p.name.into(), p.default.clone());
        }
        params
    }

    fn two_ways() -> Bench {
        Bench::new("sum")
            .about("sum 1..=n")
            .uses_threads()
            .param_int("n", 10, 1..=100, "how many")
            .param_choice("mode", "fast", &["fast", "slow"], "a choice")
            .variant("loop", |p, _| {
                let n = p.int("n");
                move || (1..=n).sum::<i64>()
            })
            .help("a loop")
            .variant("formula", |p, _| {
                let n = p.int("n");
                move || n * (n + 1) / 2
            })
    }

    #[test]
    fn info_carries_the_definition() {
        let exp = two_ways().leak();
        assert_eq!(exp.name(), "sum");
        assert_eq!(exp.description(), "sum 1..=n");
        assert!(exp.knobs().threads && !exp.knobs().buffering && !exp.knobs().tokio);
        let variants: Vec<_> = exp.variants().iter().map(|v| (v.name, v.help)).collect();
        assert_eq!(variants, [("loop", "a loop"), ("formula", "")]);
        assert_eq!(exp.params()[0].kind, ParamKind::Int { min: 1, max: 100 });
        assert_eq!(exp.params()[1].default, ParamValue::Str("fast".into()));
    }

    #[test]
    fn each_variant_runs_its_own_operation_and_digests_the_result() {
        let exp = two_ways().leak();
        let mut params = defaults(exp);
        params.0.insert("n".into(), ParamValue::Int(100));
        let digest = |variant| {
            let mut w = exp.build(variant, &params, &context()).unwrap();
            w.run().unwrap();
            w.output_digest().unwrap()
        };
        let expected = {
            let mut d = Digest::default();
            5050i64.hash(&mut d);
            d.finish()
        };
        assert_eq!(digest("loop"), expected);
        assert_eq!(digest("formula"), expected);
    }

    #[test]
    fn setup_runs_once_and_the_operation_every_run() {
        use std::sync::atomic::{AtomicU32, Ordering};
        static SETUPS: AtomicU32 = AtomicU32::new(0);
        let exp = Bench::new("count")
            .variant("up", |_, _| {
                SETUPS.fetch_add(1, Ordering::Relaxed);
                let mut calls = 0u32;
                move || {
                    calls += 1;
                    calls
                }
            })
            .leak();
        let mut w = exp.build("up", &Params::default(), &context()).unwrap();
        for _ in 0..3 {
            w.run().unwrap();
        }
        assert_eq!(SETUPS.load(Ordering::Relaxed), 1);
        let mut d = Digest::default();
        3u32.hash(&mut d);
        assert_eq!(w.output_digest().unwrap(), d.finish());
    }

    #[test]
    fn a_digest_before_any_run_is_an_error() {
        let exp = two_ways().leak();
        let mut w = exp.build("loop", &defaults(exp), &context()).unwrap();
        assert!(w.output_digest().is_err());
        assert_eq!(
            exp.build("nope", &defaults(exp), &context()).err().unwrap(),
            "unknown variant `nope`"
        );
    }

    #[test]
    fn a_full_workload_joins_the_same_builder() {
        struct Fixed;
        impl Workload for Fixed {
            fn run(&mut self) -> io::Result<()> {
                Ok(())
            }
            fn ops_per_run(&self) -> u64 {
                7
            }
            fn output_digest(&mut self) -> io::Result<u64> {
                Ok(42)
            }
        }
        let exp = Bench::new("fixed")
            .variant_workload("it", |_, _| Fixed)
            .leak();
        let mut w = exp.build("it", &Params::default(), &context()).unwrap();
        assert_eq!(w.ops_per_run(), 7);
        assert_eq!(w.output_digest().unwrap(), 42);
    }

    #[test]
    fn mistakes_in_a_definition_are_named() {
        let noop = |_: &Params, _: &Context| || 0u8;
        let mistake = |b: Bench| b.check().unwrap_err();
        assert_eq!(
            mistake(Bench::new("x")),
            "no variant: add one with .variant(name, setup)"
        );
        assert_eq!(
            mistake(Bench::new("x").variant("a", noop).variant("a", noop)),
            "two variants are called `a`"
        );
        assert_eq!(
            mistake(
                Bench::new("x")
                    .param_bool("p", true, "")
                    .param_bool("p", false, "")
                    .variant("a", noop)
            ),
            "two parameters are called `p`"
        );
        assert!(mistake(
            Bench::new("x")
                .param_bool("variant", true, "")
                .variant("a", noop)
        )
        .contains("cannot be called `variant`"));
        assert_eq!(
            mistake(
                Bench::new("x")
                    .param_int("n", 0, 1..=9, "")
                    .variant("a", noop)
            ),
            "the default of parameter `n`: 0 is out of range 1..=9"
        );
        assert!(two_ways().check().is_ok());
    }

    #[test]
    #[should_panic(expected = "bench `x`: no variant")]
    fn leaking_a_mistake_panics_with_the_bench_name() {
        Bench::new("x").leak();
    }
}
