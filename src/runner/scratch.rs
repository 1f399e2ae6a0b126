//! Scratch folders: the runner makes one root per run in the temp dir,
//! and in it one folder per worker process, passed in the spec and removed
//! after the process ends however it ends (a killed worker cannot clean
//! up after itself). The root goes when the run ends, Ctrl-C included.
//!
//! A runner killed with SIGKILL cannot remove its root, so each root holds
//! a `.lock` file its runner keeps locked (flock); a new runner removes
//! every root whose lock is free. A lock, not a pid, because a pid may be
//! reused or belong to another pid namespace sharing the temp dir.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

const PREFIX: &str = "tuner-scratch-";
const LOCK: &str = ".lock";

/// The run's scratch root; removed on drop.
pub(crate) struct ScratchRoot {
    dir: tempfile::TempDir,
    _lock: File,
}

impl ScratchRoot {
    /// Removes stale roots, then creates and locks a new one.
    pub(crate) fn create() -> io::Result<ScratchRoot> {
        let tmp = std::env::temp_dir();
        sweep(&tmp);
        let dir = tempfile::Builder::new().prefix(PREFIX).tempdir_in(&tmp)?;
        let lock = File::create(dir.path().join(LOCK))?;
        if !try_lock(&lock) {
            return Err(io::Error::other("cannot lock a new scratch root"));
        }
        Ok(ScratchRoot { dir, _lock: lock })
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A new, empty folder `name` for one worker process.
    pub(crate) fn make(&self, name: &str) -> io::Result<PathBuf> {
        let path = self.dir.path().join(name);
        remove(&path);
        std::fs::create_dir(&path)?;
        Ok(path)
    }
}

/// Removes `path` and everything in it, if it exists.
pub(crate) fn remove(path: &Path) {
    let _ = std::fs::remove_dir_all(path);
}

/// Removes the roots in `tmp` whose runner is gone (their lock is free).
fn sweep(tmp: &Path) {
    let Ok(entries) = std::fs::read_dir(tmp) else {
        return;
    };
    for entry in entries.flatten() {
        let is_root = entry.file_name().to_string_lossy().starts_with(PREFIX);
        let path = entry.path();
        let Ok(lock) = File::open(path.join(LOCK)) else {
            continue;
        };
        if is_root && try_lock(&lock) {
            remove(&path);
        }
    }
}

/// Takes an exclusive lock on `file` without waiting.
fn try_lock(file: &File) -> bool {
    // SAFETY: plain syscall on an open descriptor.
    unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) == 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_roots_go_and_live_ones_stay() {
        let tmp = tempfile::tempdir().unwrap();
        let stale = tmp.path().join(format!("{PREFIX}stale"));
        std::fs::create_dir_all(stale.join("run-3")).unwrap();
        std::fs::write(stale.join("run-3/big.bin"), [0u8; 4096]).unwrap();
        File::create(stale.join(LOCK)).unwrap();
        let live = tmp.path().join(format!("{PREFIX}live"));
        std::fs::create_dir(&live).unwrap();
        let held = File::create(live.join(LOCK)).unwrap();
        assert!(try_lock(&held));
        let unrelated = tmp.path().join("other");
        std::fs::create_dir(&unrelated).unwrap();
        File::create(unrelated.join(LOCK)).unwrap();

        sweep(tmp.path());
        assert!(!stale.exists());
        assert!(live.exists());
        assert!(unrelated.exists());
        drop(held);
        sweep(tmp.path());
        assert!(!live.exists());
    }
}
