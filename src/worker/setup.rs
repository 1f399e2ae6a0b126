//! What every worker process sets up before it builds a workload: the
//! rayon pool (and tokio runtime) of the point's size, the scratch folder
//! (the runner's, which the runner removes however the worker ends) and
//! the context the workload sees.

use std::time::Instant;

use anyhow::{anyhow, Context as _};
use tuner_api::{Catalog, Context, Experiment, Workload};

use crate::alloc;
use crate::knob::PoolSettings;
use crate::protocol::RunSpec;

/// What every worker process sets up before it builds a workload: the
/// rayon pool (and tokio runtime) of the point's size, a scratch directory
/// and the context the workload sees.
pub(super) struct Setup {
    pub experiment: &'static dyn Experiment,
    pub pool: rayon::ThreadPool,
    pub runtime: Option<tokio::runtime::Runtime>,
    pub ctx: Context,
    /// The worker's own scratch folder, when the runner gave none.
    _scratch: Option<tempfile::TempDir>,
}

impl Setup {
    pub(super) fn new(spec: &RunSpec, catalog: &Catalog) -> anyhow::Result<Setup> {
        let experiment = catalog
            .find(&spec.workload)
            .ok_or_else(|| anyhow!("unknown workload `{}`", spec.workload))?;
        let threads = spec.point.threads;
        let pools = PoolSettings::of(threads, &spec.point.runtime).map_err(|e| anyhow!(e))?;
        let pool = pools.rayon().context("building the rayon pool")?;
        let runtime = if experiment.knobs().tokio {
            Some(
                pools
                    .tokio(alloc::flush_thread)
                    .context("building the tokio runtime")?,
            )
        } else {
            None
        };
        let (scratch_dir, scratch) = match &spec.scratch {
            Some(dir) => (dir.clone(), None),
            None => {
                let own = tempfile::Builder::new()
                    .prefix("tuner-run-")
                    .tempdir()
                    .context("creating a scratch directory")?;
                (own.path().to_path_buf(), Some(own))
            }
        };
        let mut ctx = Context::new(threads, spec.point.buffering, scratch_dir);
        if let Some(runtime) = &runtime {
            ctx = ctx.with_tokio(runtime.handle().clone());
        }
        Ok(Setup {
            experiment,
            pool,
            runtime,
            ctx,
            _scratch: scratch,
        })
    }

    /// Publishes every thread's pending allocation counts: rayon's by a
    /// broadcast, tokio's when its workers park, which they do within
    /// microseconds of going idle; the short sleep lets them.
    pub(super) fn flush_all(&self) {
        if self.runtime.is_some() {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        self.pool.broadcast(|_| alloc::flush_thread());
        alloc::flush_thread();
    }

    /// Builds the point's workload (call inside the pool); returns it with
    /// the time building took.
    pub(super) fn build(&self, spec: &RunSpec) -> anyhow::Result<(Box<dyn Workload>, u64)> {
        let built = Instant::now();
        let workload = self
            .experiment
            .build(&spec.point.variant, &spec.point.params, &self.ctx)
            .map_err(|e| {
                anyhow!(
                    "building {} variant {}: {e}",
                    spec.workload,
                    spec.point.variant
                )
            })?;
        Ok((workload, built.elapsed().as_nanos() as u64))
    }
}
