//! The timeline pass: a tracing-chrome layer installed as the global
//! subscriber, one track per thread (`TraceStyle::Threaded`), written as
//! `timeline.json` in the Chrome trace event format that Perfetto
//! (ui.perfetto.dev) and `chrome://tracing` open. Like the seed's
//! `go tool trace` pictures, it shows which pool threads work and which
//! idle. The pass runs a few iterations only, to keep the file small.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use tracing_chrome::{ChromeLayerBuilder, FlushGuard, TraceStyle};
use tracing_subscriber::prelude::*;

pub(crate) const JSON: &str = "timeline.json";
/// tracing-chrome writes here; [`Timeline::finish`] renames it to [`JSON`],
/// so a killed pass never leaves a half-written `timeline.json`.
const PARTIAL: &str = "timeline.json.partial";

/// Iterations a timeline pass records at most.
pub(crate) const MAX_ITERS: u64 = 3;

pub(crate) struct Timeline {
    guard: FlushGuard,
    dir: PathBuf,
}

/// Installs the chrome layer as the process's global subscriber.
pub(crate) fn start(dir: &Path) -> anyhow::Result<Timeline> {
    let (layer, guard) = ChromeLayerBuilder::new()
        .file(dir.join(PARTIAL))
        .include_args(true)
        .trace_style(TraceStyle::Threaded)
        .build();
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(layer))
        .context("installing the tracing subscriber")?;
    Ok(Timeline {
        guard,
        dir: dir.to_path_buf(),
    })
}

impl Timeline {
    /// Closes the trace (the writer thread finishes the JSON array) and
    /// puts it in place; the files written (none if that failed).
    pub(crate) fn finish(self) -> Vec<String> {
        drop(self.guard);
        let placed = std::fs::rename(self.dir.join(PARTIAL), self.dir.join(JSON))
            .and_then(|()| crate::fsio::sync_dir(&self.dir));
        match placed {
            Ok(()) => vec![JSON.to_string()],
            Err(_) => Vec::new(),
        }
    }
}
