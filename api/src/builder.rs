//! The closure-per-variant builder: an [`Experiment`] from a name, typed
//! parameters and one set-up closure per variant, for workloads that need
//! no type of their own.
//!
//! A parameter is declared once ([`Bench::param`], [`Bench::param_in`],
//! [`Bench::choice`]), which returns its typed handle ([`Param`]); a
//! variant's set-up reads the point's value through it. Mistakes only a
//! value shows (a default outside its range, a name used twice or called
//! `variant`) are collected and reported when the bench is defined
//! ([`Bench::leak`]), so they never reach a worker.
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

use crate::param::{Integer, Param, Scalar};
use crate::{
    Catalog, Context, Digest, Experiment, Info, Knobs, Lesson, ParamKind, ParamSpec, ParamValue,
    Params, Variant, Workload,
};

/// Builds one variant's workload for a point's parameters and context.
type Setup = Box<dyn Fn(&Params, &Context) -> Result<Box<dyn Workload>, String> + Sync>;

/// What a [`Bench::variant_workload`] set-up returns: a [`Workload`], or a
/// `Result` of one whose error says why the point cannot be built (the
/// run is then recorded as failed with that message).
pub trait IntoWorkload {
    #[doc(hidden)]
    fn into_workload(self) -> Result<Box<dyn Workload>, String>;
}

impl<W: Workload + 'static> IntoWorkload for W {
    fn into_workload(self) -> Result<Box<dyn Workload>, String> {
        Ok(Box::new(self))
    }
}

impl<W: Workload + 'static, E: std::fmt::Display> IntoWorkload for Result<W, E> {
    fn into_workload(self) -> Result<Box<dyn Workload>, String> {
        self.map(|w| Box::new(w) as Box<dyn Workload>)
            .map_err(|e| e.to_string())
    }
}

/// An experiment assembled from closures: name, typed parameters, knobs
/// and one set-up closure per variant. Add it to a [`Catalog`] with
/// [`Catalog::bench`].
///
/// ```
/// use tuner_api::{Bench, Catalog};
///
/// fn sum() -> Bench {
///     let mut bench = Bench::new("sum").about("add up the first n integers");
///     let n = bench.param_in("n", 1_000u64, 1..=1_000_000, "how many integers");
///     bench
///         .variant("loop", move |p, _ctx| {
///             let n = p.get(n); // a u64: the type `n` was declared with
///             move || {
///                 let mut total = 0;
///                 for i in 1..=n {
///                     total += i;
///                 }
///                 total
///             }
///         })
///         .help("a plain loop")
///         .variant("formula", move |p, _ctx| {
///             let n = p.get(n);
///             move || n * (n + 1) / 2
///         })
/// }
///
/// let catalog = Catalog::new().bench(sum());
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
    /// Mistakes found while declaring, reported by [`Bench::leak`].
    mistakes: Vec<String>,
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
            mistakes: Vec::new(),
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

    /// Declares a parameter of type `T` (an integer type, `f64` or
    /// `bool`), `default` when a config omits it: a config may give any
    /// value of `T` (integers within `i64`; `f64` non-negative). Read it in
    /// a set-up with [`Params::get`].
    ///
    /// ```
    /// # let mut bench = tuner_api::Bench::new("x");
    /// let check = bench.param("check", true, "verify the result");    // Param<bool>
    /// let seed = bench.param("seed", 1u64, "seed of the input");      // Param<u64>
    /// ```
    pub fn param<T: Scalar>(
        &mut self,
        name: &'static str,
        default: T,
        help: &'static str,
    ) -> Param<T> {
        self.declare(name, T::kind(), default, help)
    }

    /// Declares an integer parameter in `range`, `default` when a config
    /// omits it; a config value outside the range is an error naming its
    /// file, line and key.
    ///
    /// ```
    /// # let mut bench = tuner_api::Bench::new("x");
    /// let words = bench.param_in("words", 1_000usize, 1..=1_000_000, "words to join");
    /// ```
    pub fn param_in<T: Integer>(
        &mut self,
        name: &'static str,
        default: T,
        range: RangeInclusive<T>,
        help: &'static str,
    ) -> Param<T> {
        let (min, max) = range.into_inner();
        let kind = match (min.to_i64(), max.to_i64()) {
            (Some(min), Some(max)) if min <= max => ParamKind::Int { min, max },
            (Some(_), Some(_)) => {
                self.mistake(format!(
                    "parameter `{name}`: the range {min}..={max} is empty"
                ));
                T::kind()
            }
            _ => {
                self.mistake(format!(
                    "parameter `{name}`: the range {min}..={max} goes beyond {}, the largest integer a config holds",
                    i64::MAX
                ));
                T::kind()
            }
        };
        self.declare(name, kind, default, help)
    }

    /// Declares a parameter that takes one of `options`, `default` when a
    /// config omits it; it reads as the `&'static str` option chosen.
    ///
    /// ```
    /// # let mut bench = tuner_api::Bench::new("x");
    /// let mode = bench.choice("mode", "fast", &["fast", "exact"], "how to round");
    /// ```
    pub fn choice(
        &mut self,
        name: &'static str,
        default: &'static str,
        options: &'static [&'static str],
        help: &'static str,
    ) -> Param<&'static str> {
        self.push_param(
            name,
            ParamKind::Choice(options),
            ParamValue::Str(default.into()),
            help,
        );
        Param::new(name, options)
    }

    fn declare<T: Scalar>(
        &mut self,
        name: &'static str,
        kind: ParamKind,
        default: T,
        help: &'static str,
    ) -> Param<T> {
        match default.value() {
            Some(value) => self.push_param(name, kind, value, help),
            None => {
                self.mistake(format!(
                    "the default of parameter `{name}`: {default} is beyond {}, the largest integer a config holds",
                    i64::MAX
                ));
                self.push_param(name, kind, ParamValue::Int(i64::MAX), help);
            }
        }
        Param::new(name, &[])
    }

    fn push_param(
        &mut self,
        name: &'static str,
        kind: ParamKind,
        default: ParamValue,
        help: &'static str,
    ) {
        self.params.push(ParamSpec {
            name,
            kind,
            default,
            help,
        });
    }

    fn mistake(&mut self, mistake: String) {
        self.mistakes.push(mistake);
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
                Ok(Box::new(ClosureWorkload {
                    op: setup(params, ctx),
                    last: None,
                }))
            }),
        )
    }

    /// A variant built as a full [`Workload`], for state that must be
    /// restored between runs ([`Workload::reset`]), several operations per
    /// run or a digest of the output files. `setup` may return a
    /// `Result<W, E>` instead, when a point can be impossible to build (its
    /// error is the failed run's message).
    pub fn variant_workload<S, W>(self, name: &'static str, setup: S) -> Bench
    where
        S: Fn(&Params, &Context) -> W + Sync + 'static,
        W: IntoWorkload,
    {
        self.add(
            name,
            Box::new(move |params, ctx| setup(params, ctx).into_workload()),
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
    /// On a mistake in the definition, naming the bench and the mistake:
    /// no variant, a name used twice, a parameter called `variant` (the
    /// config's key for the variant axis), a default its own parameter
    /// rejects or a range a config cannot hold.
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
        if let Some(mistake) = self.mistakes.first() {
            return Err(mistake.clone());
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
        (self.setups[index])(params, ctx)
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
        Context::new(1, Buffering::Unbuffered, std::env::temp_dir())
    }

    fn two_ways() -> Bench {
        let mut bench = Bench::new("sum").about("sum 1..=n").uses_threads();
        let n = bench.param_in("n", 10i64, 1..=100, "how many");
        let mode = bench.choice("mode", "fast", &["fast", "slow"], "a choice");
        bench
            .variant("loop", move |p, _| {
                let (n, _mode) = (p.get(n), p.get(mode));
                move || (1..=n).sum::<i64>()
            })
            .help("a loop")
            .variant("formula", move |p, _| {
                let n = p.get(n);
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
        assert_eq!(exp.params()[0].default, ParamValue::Int(10));
        assert_eq!(exp.params()[1].kind, ParamKind::Choice(&["fast", "slow"]));
        assert_eq!(exp.params()[1].default, ParamValue::Str("fast".into()));
    }

    #[test]
    fn every_declaration_sets_its_kind_and_default() {
        let mut bench = Bench::new("kinds");
        let small = bench.param("small", 7u8, "");
        let seed = bench.param("seed", 1u64, "");
        let ratio = bench.param("ratio", 0.5, "");
        let check = bench.param("check", true, "");
        let exp = bench
            .variant("it", move |p, _| {
                let read = (p.get(small), p.get(seed), p.get(ratio), p.get(check));
                move || format!("{read:?}")
            })
            .leak();
        let specs: Vec<_> = exp
            .params()
            .iter()
            .map(|s| (s.name, s.kind, s.default.clone()))
            .collect();
        assert_eq!(
            specs,
            [
                (
                    "small",
                    ParamKind::Int { min: 0, max: 255 },
                    ParamValue::Int(7)
                ),
                (
                    "seed",
                    ParamKind::Int {
                        min: 0,
                        max: i64::MAX
                    },
                    ParamValue::Int(1)
                ),
                ("ratio", ParamKind::Float, ParamValue::Float(0.5)),
                ("check", ParamKind::Bool, ParamValue::Bool(true)),
            ]
        );
        // The set-up reads each value as its declared type.
        let mut w = exp.build("it", &exp.default_params(), &context()).unwrap();
        w.run().unwrap();
        let mut d = Digest::default();
        "(7, 1, 0.5, true)".hash(&mut d);
        assert_eq!(w.output_digest().unwrap(), d.finish());
    }

    #[test]
    fn each_variant_runs_its_own_operation_and_digests_the_result() {
        let exp = two_ways().leak();
        let mut params = exp.default_params();
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
        let mut w = exp
            .build("loop", &exp.default_params(), &context())
            .unwrap();
        assert!(w.output_digest().is_err());
        assert_eq!(
            exp.build("nope", &exp.default_params(), &context())
                .err()
                .unwrap(),
            "unknown variant `nope`"
        );
    }

    #[test]
    fn a_full_workload_joins_the_same_builder_and_reads_typed_params() {
        struct Fixed(u64);
        impl Workload for Fixed {
            fn run(&mut self) -> io::Result<()> {
                Ok(())
            }
            fn ops_per_run(&self) -> u64 {
                self.0
            }
            fn output_digest(&mut self) -> io::Result<u64> {
                Ok(42)
            }
        }
        let mut bench = Bench::new("fixed");
        let ops = bench.param_in("ops", 7u64, 1..=10, "operations per run");
        let exp = bench
            .variant_workload("it", move |p, _| Fixed(p.get(ops)))
            .leak();
        let mut w = exp.build("it", &exp.default_params(), &context()).unwrap();
        assert_eq!(w.ops_per_run(), 7);
        assert_eq!(w.output_digest().unwrap(), 42);
    }

    #[test]
    fn a_workload_set_up_may_refuse_a_point_with_its_reason() {
        struct Nothing;
        impl Workload for Nothing {
            fn run(&mut self) -> io::Result<()> {
                Ok(())
            }
            fn output_digest(&mut self) -> io::Result<u64> {
                Ok(0)
            }
        }
        let mut bench = Bench::new("refuses");
        let (used, owned) = (bench.param("used", 1u8, ""), bench.param("owned", 1u8, ""));
        let exp = bench
            .variant_workload("it", move |p, _| {
                let (used, owned) = (p.get(used), p.get(owned));
                if used > owned {
                    return Err(format!("`used` ({used}) cannot exceed `owned` ({owned})"));
                }
                Ok(Nothing)
            })
            .leak();
        let mut params = exp.default_params();
        assert!(exp.build("it", &params, &context()).is_ok());
        params.0.insert("used".into(), ParamValue::Int(3));
        assert_eq!(
            exp.build("it", &params, &context()).err().unwrap(),
            "`used` (3) cannot exceed `owned` (1)"
        );
    }

    /// What `Bench::leak` would say of the bench `declare` builds.
    fn mistake(declare: impl FnOnce(&mut Bench)) -> String {
        let mut bench = Bench::new("x");
        declare(&mut bench);
        bench
            .variant("a", |_, _| || 0u8)
            .check()
            .expect_err("a mistake")
    }

    #[test]
    fn mistakes_in_a_definition_are_named() {
        let noop = |_: &Params, _: &Context| || 0u8;
        assert_eq!(
            Bench::new("x").check().unwrap_err(),
            "no variant: add one with .variant(name, setup)"
        );
        assert_eq!(
            Bench::new("x")
                .variant("a", noop)
                .variant("a", noop)
                .check()
                .unwrap_err(),
            "two variants are called `a`"
        );
        assert_eq!(
            mistake(|b| {
                b.param("p", true, "");
                b.param("p", 1u8, "");
            }),
            "two parameters are called `p`"
        );
        assert!(mistake(|b| {
            b.param("variant", true, "");
        })
        .contains("cannot be called `variant`"));
        assert_eq!(
            mistake(|b| {
                b.param_in("n", 0u32, 1..=9, "");
            }),
            "the default of parameter `n`: 0 is out of range 1..=9"
        );
        assert_eq!(
            mistake(|b| {
                b.param("ratio", -0.5, "");
            }),
            "the default of parameter `ratio`: expected a non-negative number, found `-0.5`"
        );
        assert_eq!(
            mistake(|b| {
                b.choice("mode", "c", &["a", "b"], "");
            }),
            "the default of parameter `mode`: `c` is not one of a, b"
        );
        assert_eq!(
            mistake(|b| {
                #[allow(clippy::reversed_empty_ranges)] // the mistake under test
                b.param_in("n", 5u8, 9..=1, "");
            }),
            "parameter `n`: the range 9..=1 is empty"
        );
        assert_eq!(
            mistake(|b| {
                b.param_in("n", 1u64, 0..=u64::MAX, "");
            }),
            "parameter `n`: the range 0..=18446744073709551615 goes beyond 9223372036854775807, \
             the largest integer a config holds"
        );
        assert_eq!(
            mistake(|b| {
                b.param("seed", u64::MAX, "");
            }),
            "the default of parameter `seed`: 18446744073709551615 is beyond 9223372036854775807, \
             the largest integer a config holds"
        );
        assert!(two_ways().check().is_ok());
    }

    #[test]
    #[should_panic(expected = "bench `x`: no variant")]
    fn leaking_a_mistake_panics_with_the_bench_name() {
        Bench::new("x").leak();
    }

    #[test]
    #[should_panic(expected = "bench `words`: the default of parameter `n`: 0 is out of range")]
    fn adding_a_mistaken_bench_to_a_catalog_panics_naming_bench_and_parameter() {
        let mut bench = Bench::new("words");
        let n = bench.param_in("n", 0usize, 1..=9, "");
        let _ = Catalog::new().bench(bench.variant("a", move |p, _| {
            let n = p.get(n);
            move || n
        }));
    }
}
