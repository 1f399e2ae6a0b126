//! The spans pass: a tracing-flame layer installed as the global
//! subscriber (rayon's workers must see it, and a thread-local default
//! would hide their spans), its per-event folded lines tidied into
//! `spans.folded` (nanoseconds per stack, one line per thread and stack)
//! and drawn as `spans.svg`.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use anyhow::Context as _;
use tracing_flame::{FlameLayer, FlushGuard};
use tracing_subscriber::prelude::*;

use super::flame;

const RAW: &str = "spans.raw";
pub(crate) const FOLDED: &str = "spans.folded";
pub(crate) const SVG: &str = "spans.svg";

/// The installed layer, writing until [`Spans::finish`].
pub(crate) struct Spans {
    guard: FlushGuard<BufWriter<File>>,
}

/// Installs the flame layer as the process's global subscriber.
pub(crate) fn start(dir: &Path) -> anyhow::Result<Spans> {
    let (layer, guard) = FlameLayer::with_file(dir.join(RAW))
        .map_err(|e| anyhow::anyhow!("creating {}: {e}", dir.join(RAW).display()))?;
    let layer = layer
        .with_module_path(false)
        .with_file_and_line(false)
        .with_threads_collapsed(false)
        .with_empty_samples(false);
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(layer))
        .context("installing the tracing subscriber")?;
    Ok(Spans { guard })
}

impl Spans {
    /// Flushes the layer and writes the folded stacks and the flame graph;
    /// returns the files written.
    pub(crate) fn finish(self, dir: &Path, title: &str) -> anyhow::Result<Vec<String>> {
        self.guard.flush().context("flushing the flame layer")?;
        let raw = dir.join(RAW);
        let folded = flame::read(&raw).with_context(|| format!("reading {}", raw.display()))?;
        let _ = std::fs::remove_file(&raw);
        crate::fsio::write_atomic(&dir.join(FOLDED), flame::to_text(&folded))
            .context("writing spans.folded")?;
        let mut files = vec![FOLDED.to_string()];
        // A workload without spans (or none above the threshold) leaves no stacks.
        if !folded.is_empty() {
            let svg = flame::svg(&folded, title, "ns").context("drawing the span flame graph")?;
            crate::fsio::write_atomic(&dir.join(SVG), svg).context("writing spans.svg")?;
            files.push(SVG.to_string());
        }
        Ok(files)
    }
}
