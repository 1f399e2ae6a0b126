//! Runtime knobs as data: each knob beyond the built-in three (threads,
//! allocator, buffering, which the analysis reads by type) is one value of
//! [`Knob`], which owns everything about it — its `[matrix]` key and
//! label, how a config value parses, which experiments feel it, how the
//! worker applies it, and whether it changes the work a point does. The
//! config, the matrix, the worker, the estimate and the report only go
//! through this trait, so a new knob is one file here and a line in
//! [`KNOBS`].

mod stack;

use tuner_api::Knobs;

/// One runtime knob.
pub(crate) trait Knob: Sync {
    /// The `[matrix]` key, the axis name and the report's column.
    fn name(&self) -> &'static str;
    /// One config value, as its canonical label, or why it is not one.
    fn parse(&self, value: &toml::Value) -> Result<String, String>;
    /// Whether a workload with these knobs feels this one (the report
    /// flags an axis nothing feels).
    fn used_by(&self, knobs: &Knobs) -> bool;
    /// Sets a label (one `parse` made) on what the worker builds.
    fn apply(&self, label: &str, pools: &mut PoolSettings) -> Result<(), String>;
}

/// What the worker builds its rayon pool and tokio runtime from.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct PoolSettings {
    pub threads: usize,
    /// Each pool thread's stack, in bytes (`None`: the library's default).
    pub stack_size: Option<usize>,
}

impl PoolSettings {
    /// A pool of `threads`, every runtime knob in `knobs` (`(name, label)`)
    /// applied.
    pub(crate) fn of(threads: usize, knobs: &[(String, String)]) -> Result<PoolSettings, String> {
        let mut pools = PoolSettings {
            threads,
            stack_size: None,
        };
        for (name, label) in knobs {
            let knob = find(name).ok_or_else(|| format!("no runtime knob is called `{name}`"))?;
            knob.apply(label, &mut pools)
                .map_err(|e| format!("{name} = {label}: {e}"))?;
        }
        Ok(pools)
    }
}

impl PoolSettings {
    /// The rayon pool these settings describe (threads named `rayon-<i>`).
    pub(crate) fn rayon(&self) -> Result<rayon::ThreadPool, rayon::ThreadPoolBuildError> {
        let mut builder = rayon::ThreadPoolBuilder::new()
            .num_threads(self.threads)
            .thread_name(|i| format!("rayon-{i}"));
        if let Some(bytes) = self.stack_size {
            builder = builder.stack_size(bytes);
        }
        builder.build()
    }

    /// The tokio runtime these settings describe; `park` runs whenever a
    /// worker goes idle.
    pub(crate) fn tokio(
        &self,
        park: impl Fn() + Send + Sync + 'static,
    ) -> std::io::Result<tokio::runtime::Runtime> {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder
            .worker_threads(self.threads)
            .on_thread_park(park)
            .enable_all();
        if let Some(bytes) = self.stack_size {
            builder.thread_stack_size(bytes);
        }
        builder.build()
    }
}

/// Every runtime knob, in the order their axes follow the built-in ones.
pub(crate) static KNOBS: &[&dyn Knob] = &[&stack::StackSize];

/// The knob whose `[matrix]` key is `name`.
pub(crate) fn find(name: &str) -> Option<&'static dyn Knob> {
    KNOBS.iter().copied().find(|k| k.name() == name)
}
