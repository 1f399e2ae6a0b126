//! The journal: the results header on its first line, then one finished
//! run per line, each on disk (synced) before the next run starts.

use std::io::{self, Write};
use std::path::Path;

use super::{Results, RunRecord};

/// Appends each finished run to disk before the next one starts.
pub struct Journal {
    file: std::fs::File,
}

impl Journal {
    /// Creates the journal with `header` (the results without runs).
    pub fn create(path: &Path, header: &Results) -> io::Result<Journal> {
        let mut file = std::fs::File::create(path)?;
        serde_json::to_writer(&mut file, header).map_err(io::Error::other)?;
        file.write_all(b"\n")?;
        file.sync_data()?;
        Ok(Journal { file })
    }

    pub fn append(&mut self, run: &RunRecord) -> io::Result<()> {
        let mut line = serde_json::to_vec(run).map_err(io::Error::other)?;
        line.push(b'\n');
        self.file.write_all(&line)?;
        self.file.sync_data()
    }
}
