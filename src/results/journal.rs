//! The journal: the results header on its first line, then one finished
//! run per line, each on disk (synced) before the next run starts. It is
//! the run's source of truth: `results.json` and the report are derived
//! from it, and `tuner run --resume` carries a run on from it.
//!
//! The writer holds an exclusive lock (flock) on the file, so two tuners
//! never append to one journal. A line cut off by a kill or a power cut is
//! cut away when the journal is reopened, before anything is appended.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::fd::AsRawFd;
use std::path::Path;

/// A run folder's journal file name.
pub(crate) const JOURNAL_FILE: &str = "journal.jsonl";

/// Appends each finished run to disk before the next one starts.
pub(crate) struct Journal {
    file: File,
}

impl Journal {
    /// Creates the journal with `header` (the results without runs); the
    /// file must not exist yet.
    pub(crate) fn create(path: &Path, header: &impl serde::Serialize) -> io::Result<Journal> {
        let mut file = File::options().write(true).create_new(true).open(path)?;
        lock(&file, path)?;
        let mut line = serde_json::to_vec(header).map_err(io::Error::other)?;
        line.push(b'\n');
        file.write_all(&line)?;
        file.sync_data()?;
        if let Some(dir) = path.parent() {
            crate::fsio::sync_dir(dir)?;
        }
        Ok(Journal { file })
    }

    /// Opens an existing journal to append to it, cutting away a partial
    /// last line; returns it with the number of bytes cut.
    pub(crate) fn reopen(path: &Path) -> io::Result<(Journal, u64)> {
        let mut file = File::options().read(true).write(true).open(path)?;
        lock(&file, path)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        let whole = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let cut = (bytes.len() - whole) as u64;
        if cut > 0 {
            file.set_len(whole as u64)?;
            file.sync_data()?;
        }
        file.seek(SeekFrom::End(0))?;
        Ok((Journal { file }, cut))
    }

    pub(crate) fn append(&mut self, run: &impl serde::Serialize) -> io::Result<()> {
        let mut line = serde_json::to_vec(run).map_err(io::Error::other)?;
        line.push(b'\n');
        self.file.write_all(&line)?;
        self.file.sync_data()
    }
}

/// Locks `file` for this process, or says who has it.
fn lock(file: &File, path: &Path) -> io::Result<()> {
    // SAFETY: plain syscall on an open descriptor.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
        return Ok(());
    }
    let e = io::Error::last_os_error();
    if e.kind() == io::ErrorKind::WouldBlock {
        return Err(io::Error::new(
            e.kind(),
            format!("another tuner is writing {}", path.display()),
        ));
    }
    Err(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{Outcome, Results, RunRecord};

    fn header() -> Results {
        crate::fixtures::results(
            "[experiment]\nworkload = \"selfcheck\"\n[params]\nvariant = \"spin\"\n",
            &[&[]],
        )
    }

    fn record(seq: usize) -> RunRecord {
        RunRecord {
            point: 0,
            process: seq as u32,
            seq,
            wall_ms: 1.0,
            max_rss_kib: 1,
            outcome: Outcome::Ok(crate::fixtures::output(5.0, 1)),
            machine: None,
            contended: None,
        }
    }

    #[test]
    fn reopening_cuts_a_partial_line_and_appends_after_the_whole_ones() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(JOURNAL_FILE);
        let mut journal = Journal::create(&path, &header()).unwrap();
        journal.append(&record(0)).unwrap();
        drop(journal);
        // A kill in the middle of the second append.
        let whole = std::fs::read(&path).unwrap();
        let second = serde_json::to_string(&record(1)).unwrap();
        let mut f = File::options().append(true).open(&path).unwrap();
        f.write_all(&second.as_bytes()[..40]).unwrap();
        drop(f);

        let (mut journal, cut) = Journal::reopen(&path).unwrap();
        assert_eq!(cut, 40);
        journal.append(&record(1)).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with(std::str::from_utf8(&whole).unwrap()));
        let runs: Vec<RunRecord> = text
            .lines()
            .skip(1)
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(runs, [record(0), record(1)]);
    }

    #[test]
    fn one_journal_has_one_writer_and_is_never_recreated() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(JOURNAL_FILE);
        let journal = Journal::create(&path, &header()).unwrap();
        let err = Journal::reopen(&path).err().unwrap();
        assert!(
            err.to_string().contains("another tuner is writing"),
            "{err}"
        );
        drop(journal);
        assert!(Journal::reopen(&path).is_ok());
        assert_eq!(
            Journal::create(&path, &header()).err().unwrap().kind(),
            io::ErrorKind::AlreadyExists
        );
    }
}
