//! The catalog of workloads tuner ships, ported from the Go performance
//! workshop. Each experiment knows nothing about processes, statistics or
//! reports: it is a [`tuner_api::Bench`] with typed parameters, written
//! against the same workload interface a user's crate uses, and tuner's
//! binary registers [`catalog`] through the same entry point a user's
//! harness calls. Each module's `bench()` defines its experiment.

pub mod alloc_pressure;
pub mod async_io;
pub mod book;
pub mod buffering;
pub mod lazy_init;
pub mod lock_scope;
pub mod map_keys;
pub mod mergesort;
pub mod pool;
pub mod selfcheck;
pub mod strings;
pub mod vec_growth;

use std::sync::OnceLock;

use tuner_api::Catalog;

/// Every experiment tuner ships, in the order `tuner list` shows them.
/// Defined once per process (a [`tuner_api::Bench`] becomes an experiment
/// for the program's lifetime), then shared.
pub fn catalog() -> Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG
        .get_or_init(|| {
            Catalog::new()
                .bench(mergesort::bench())
                .bench(buffering::bench())
                .bench(pool::bench())
                .bench(book::bench())
                .bench(lazy_init::bench())
                .bench(strings::bench())
                .bench(lock_scope::bench())
                .bench(map_keys::bench())
                .bench(vec_growth::bench())
                .bench(alloc_pressure::bench())
                .bench(async_io::bench())
                .bench(selfcheck::bench())
        })
        .clone()
}

#[cfg(test)]
pub(crate) mod testing {
    //! Helpers for the experiments' own tests.
    use tuner_api::{self as api, Context, Experiment, ParamValue, Params};

    /// The catalog's experiment called `name`.
    pub fn experiment(name: &str) -> &'static dyn Experiment {
        crate::catalog()
            .find(name)
            .unwrap_or_else(|| panic!("no experiment `{name}`"))
    }

    /// Params with every default, overridden by `overrides`, each checked
    /// against the parameter's declaration.
    pub fn params(exp: &dyn Experiment, overrides: &[(&str, ParamValue)]) -> Params {
        let mut p = exp.default_params();
        for (name, value) in overrides {
            let spec = exp.params().iter().find(|s| s.name == *name);
            let spec = spec.unwrap_or_else(|| panic!("{} has no parameter `{name}`", exp.name()));
            if let Err(e) = spec.kind.check(value) {
                panic!("{}.{name}: {e}", exp.name());
            }
            p.0.insert(name.to_string(), value.clone());
        }
        p
    }

    /// A context with `threads` and the given buffering, writing into `dir`.
    pub fn context(threads: usize, buffering: api::Buffering, dir: &std::path::Path) -> Context {
        Context::new(threads, buffering, dir)
    }

    /// A test build's global allocator: the system allocator, counting the
    /// allocations (and reallocations) each thread makes, so tests can
    /// assert exact allocation counts the way the instrument reports them.
    struct CountingAlloc;

    std::thread_local! {
        static ALLOCS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    }

    fn count_one() {
        // `try_with`: the counter may already be gone in thread teardown.
        let _ = ALLOCS.try_with(|n| n.set(n.get() + 1));
    }

    // SAFETY: every call is forwarded unchanged to `System`.
    unsafe impl std::alloc::GlobalAlloc for CountingAlloc {
        unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
            count_one();
            std::alloc::System.alloc(layout)
        }
        unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
            count_one();
            std::alloc::System.alloc_zeroed(layout)
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
            std::alloc::System.dealloc(ptr, layout)
        }
        unsafe fn realloc(
            &self,
            ptr: *mut u8,
            layout: std::alloc::Layout,
            new_size: usize,
        ) -> *mut u8 {
            count_one();
            std::alloc::System.realloc(ptr, layout, new_size)
        }
    }

    #[global_allocator]
    static GLOBAL: CountingAlloc = CountingAlloc;

    /// How many allocations and reallocations `f` made on this thread.
    pub fn allocations(f: impl FnOnce()) -> u64 {
        let before = ALLOCS.with(|n| n.get());
        f();
        ALLOCS.with(|n| n.get()) - before
    }

    /// The digest every variant produces for `params` on one thread,
    /// unbuffered, in a fresh temp dir; fails the test if two disagree.
    pub fn common_digest(exp: &dyn Experiment, params: &Params) -> u64 {
        let dir = tempfile::tempdir().expect("a temp dir");
        let all = digests(
            exp,
            params,
            &context(1, api::Buffering::Unbuffered, dir.path()),
        );
        assert_eq!(all.len(), exp.variants().len());
        assert!(
            all.iter().all(|(_, d)| *d == all[0].1),
            "variants disagree: {all:?}"
        );
        all[0].1
    }

    /// Runs every variant once with `params` and returns (variant, digest) pairs.
    pub fn digests(
        exp: &dyn Experiment,
        params: &Params,
        ctx: &Context,
    ) -> Vec<(&'static str, u64)> {
        exp.variants()
            .iter()
            .map(|v| {
                let mut w = exp.build(v.name, params, ctx).expect("builds");
                if w.needs_reset() {
                    w.reset();
                }
                w.run().expect("runs");
                (v.name, w.output_digest().expect("digest"))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tuner_api::{self as api, Experiment};

    #[test]
    fn the_catalog_holds_every_seed_experiment_once() {
        let names: Vec<&str> = catalog().iter().map(|e| e.name()).collect();
        assert_eq!(catalog().duplicate(), None);
        assert_eq!(
            names,
            [
                "mergesort",
                "buffering",
                "pool",
                "book",
                "lazy-init",
                "strings",
                "lock-scope",
                "map-keys",
                "vec-growth",
                "alloc-pressure",
                "async-io",
                "selfcheck",
            ]
        );
        assert_eq!(catalog().find("lock-scope").unwrap().name(), "lock-scope");
        assert!(catalog().find("nope").is_none());
    }

    #[test]
    fn every_default_satisfies_its_own_spec() {
        for exp in catalog().iter() {
            for spec in exp.params() {
                let checked = spec.kind.check(&spec.default);
                assert!(checked.is_ok(), "{}.{}: {checked:?}", exp.name(), spec.name);
            }
        }
    }

    /// Whether `value` is a value the experiment accepts on `axis`, as a
    /// config and the report spell it.
    fn on_axis(exp: &dyn Experiment, axis: &str, value: &str) -> Result<(), String> {
        let ok = match axis {
            "variant" => exp.variants().iter().any(|v| v.name == value),
            "threads" => value.parse::<usize>().is_ok_and(|n| n >= 1),
            "allocator" => ["system", "mimalloc", "jemalloc"].contains(&value),
            "buffering" => {
                ["unbuffered", "line", "buffered"].contains(&value)
                    || value.starts_with("buffered:")
            }
            param => {
                let spec = exp
                    .params()
                    .iter()
                    .find(|s| s.name == param)
                    .ok_or_else(|| format!("no axis `{param}`"))?;
                return spec.kind.check(&param_value(value));
            }
        };
        ok.then_some(())
            .ok_or_else(|| format!("`{value}` is not on the {axis} axis"))
    }

    /// A parameter value as a config label spells it.
    fn param_value(label: &str) -> api::ParamValue {
        use api::ParamValue;
        if let Ok(i) = label.parse() {
            ParamValue::Int(i)
        } else if let Ok(b) = label.parse() {
            ParamValue::Bool(b)
        } else if let Ok(x) = label.parse() {
            ParamValue::Float(x)
        } else {
            ParamValue::Str(label.to_string())
        }
    }

    #[test]
    fn every_experiment_declares_lessons_on_its_own_axes_and_values() {
        for exp in catalog().iter() {
            assert!(!exp.lessons().is_empty(), "{} has no lesson", exp.name());
            for lesson in exp.lessons() {
                let [base, head] = lesson.sides();
                for (axis, value) in base.iter().chain(&head) {
                    let valid = on_axis(exp, axis, value);
                    assert!(valid.is_ok(), "{}: {}: {valid:?}", exp.name(), lesson.claim);
                }
                assert_ne!(
                    base,
                    head,
                    "{}: {} compares a point with itself",
                    exp.name(),
                    lesson.claim
                );
                assert!(!lesson.claim.is_empty() && lesson.rust_note != Some(""));
            }
        }
    }

    #[test]
    fn a_lesson_naming_an_unknown_axis_or_value_is_caught() {
        let exp = catalog().find("mergesort").unwrap();
        assert!(on_axis(exp, "variant", "v1").is_ok());
        assert!(on_axis(exp, "variant", "v9").is_err());
        assert!(on_axis(exp, "size", "1000").is_ok());
        assert!(on_axis(exp, "size", "-1").is_err());
        assert!(on_axis(exp, "colour", "red").is_err());
        assert!(on_axis(exp, "threads", "0").is_err());
        assert!(on_axis(exp, "allocator", "tcmalloc").is_err());
        let keys = catalog().find("map-keys").unwrap();
        assert!(on_axis(keys, "fxhash", "true").is_ok());
        assert!(on_axis(keys, "fxhash", "7").is_err());
    }

    #[test]
    fn every_experiment_rejects_an_unknown_variant() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = testing::context(1, api::Buffering::Unbuffered, dir.path());
        for exp in catalog().iter() {
            // Async experiments get a runtime from the instrument; none is
            // needed to reject a variant before building.
            let params = testing::params(exp, &[]);
            let err = exp.build("no-such-variant", &params, &ctx).err();
            assert_eq!(
                err.as_deref(),
                Some("unknown variant `no-such-variant`"),
                "{}",
                exp.name()
            );
        }
    }
}
