//! The timeline pass: a tracing-chrome layer installed as the global
//! subscriber, one track per thread (`TraceStyle::Threaded`), written as
//! `timeline.json` in the Chrome trace event format that Perfetto
//! (ui.perfetto.dev) and `chrome://tracing` open. Like the seed's
//! `go tool trace` pictures, it shows which pool threads work and which
//! idle. The pass runs a few iterations only, to keep the file small.

use std::path::Path;

use anyhow::Context as _;
use tracing_chrome::{ChromeLayerBuilder, FlushGuard, TraceStyle};
use tracing_subscriber::prelude::*;

pub const JSON: &str = "timeline.json";

/// Iterations a timeline pass records at most.
pub const MAX_ITERS: u64 = 3;

pub struct Timeline {
    guard: FlushGuard,
}

/// Installs the chrome layer as the process's global subscriber.
pub fn start(dir: &Path) -> anyhow::Result<Timeline> {
    let (layer, guard) = ChromeLayerBuilder::new()
        .file(dir.join(JSON))
        .include_args(true)
        .trace_style(TraceStyle::Threaded)
        .build();
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(layer))
        .context("installing the tracing subscriber")?;
    Ok(Timeline { guard })
}

impl Timeline {
    /// Closes the trace (the writer thread finishes the JSON array).
    pub fn finish(self) -> Vec<String> {
        drop(self.guard);
        vec![JSON.to_string()]
    }
}
