//! Per-run output files for the workloads that write one each operation.
//!
//! Why not just [`crate::api::open_sink`]: it truncates the previous run's
//! file, and on ext4 (default `auto_da_alloc`) truncating a file that holds
//! data and writing it again starts writeback when the file is closed —
//! about 4 ms per run on the project's VMs, whatever the workload wrote.
//! Removing the old file and creating a new one avoids that, so a run pays
//! for its writes, not for the filesystem's rename-safety heuristic.

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

use crate::api::{Buffering, Sink};

/// Creates `path` as a new, empty file, removing any previous one first.
pub fn create_fresh(path: &Path) -> io::Result<File> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    File::create(path)
}

/// Wraps `writer` in the writer the buffering knob names.
pub fn wrap<W: Write + Send + 'static>(writer: W, buffering: Buffering) -> Sink {
    match buffering {
        Buffering::Unbuffered => Box::new(writer),
        Buffering::Buffered { capacity } => {
            Box::new(io::BufWriter::with_capacity(capacity, writer))
        }
        Buffering::Line => Box::new(io::LineWriter::new(writer)),
    }
}

/// Like [`crate::api::open_sink`], on a freshly created file.
pub fn open_fresh(path: &Path, buffering: Buffering) -> io::Result<Sink> {
    Ok(wrap(create_fresh(path)?, buffering))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fresh_sink_replaces_the_previous_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        std::fs::write(&path, "an older, longer run\n").unwrap();
        let mut sink = open_fresh(&path, Buffering::Buffered { capacity: 16 }).unwrap();
        sink.write_all(b"new\n").unwrap();
        drop(sink);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new\n");
        // And it creates the file when there is none.
        std::fs::remove_file(&path).unwrap();
        open_fresh(&path, Buffering::Unbuffered).unwrap();
        assert!(path.exists());
    }
}
