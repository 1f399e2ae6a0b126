//! Writing files so that a kill or a full disk never leaves a half-written
//! one in place of a good one, and creating run folders that no other run
//! can share.
//!
//! [`write_atomic`] writes a temporary file in the target's folder,
//! fsyncs it, renames it over the target and fsyncs the folder, so the
//! target holds either the old bytes or the new ones, also after a power
//! cut. `tempfile`'s `NamedTempFile::persist` does the create and the
//! rename (with a random name, removed if anything fails before it).
//!
//! The file ends with the mode a plain write would give it: an existing
//! target's own, else `0666` less the process's umask (a teammate, or an
//! artifact uploader running as another user, reads results and reports
//! as they read any file the user makes), not the temporary file's `0600`.

use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

/// Replaces `path` with `bytes` atomically and durably.
pub(crate) fn write_atomic(path: &Path, bytes: impl AsRef<[u8]>) -> io::Result<()> {
    let dir = parent(path);
    let mut file = tempfile::Builder::new()
        .prefix(".tmp-")
        // Masked by the umask at creation, as `open(O_CREAT, 0666)` is.
        .permissions(std::fs::Permissions::from_mode(0o666))
        .tempfile_in(dir)?;
    if let Some(existing) = std::fs::metadata(path).ok().filter(|m| m.is_file()) {
        file.as_file().set_permissions(existing.permissions())?;
    }
    file.write_all(bytes.as_ref())?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    sync_dir(dir)
}

/// Makes the entries of `dir` (a file just created or renamed) durable.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

/// Creates a new folder `<parent>/<name>` and returns its path and final
/// name, never reusing one that exists: on a clash the name gets a suffix
/// (`name-0002`, `name-0003`, ...), which sorts after `name` and before
/// any later name of the same shape. The parent folders are created as
/// needed.
pub(crate) fn create_unique_dir(parent: &Path, name: &str) -> io::Result<(PathBuf, String)> {
    std::fs::create_dir_all(parent)?;
    for n in 1..10_000u32 {
        let candidate = if n == 1 {
            name.to_string()
        } else {
            format!("{name}-{n:04}")
        };
        let path = parent.join(&candidate);
        match std::fs::create_dir(&path) {
            Ok(()) => {
                sync_dir(parent)?;
                return Ok((path, candidate));
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!(
            "{}: 9999 folders named {name}-* exist already",
            parent.display()
        ),
    ))
}

fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_atomic_replaces_the_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.json");
        std::fs::write(&path, "old").unwrap();
        write_atomic(&path, "new contents").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new contents");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["results.json"]);
    }

    /// The process's umask (read by setting it, so set it back).
    fn umask() -> u32 {
        // SAFETY: umask only swaps this process's mask.
        unsafe {
            let mask = libc::umask(0o022);
            libc::umask(mask);
            mask as u32
        }
    }

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_new_file_has_the_umasks_mode_and_a_replaced_one_keeps_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let new = dir.path().join("results.json");
        write_atomic(&new, "{}").unwrap();
        let plain = dir.path().join("plain.json");
        std::fs::write(&plain, "{}").unwrap();
        assert_eq!(
            mode(&new),
            0o666 & !umask(),
            "as a plain file: 0666 & !umask"
        );
        assert_eq!(mode(&new), mode(&plain));
        // A file the user narrowed stays narrow when rewritten.
        std::fs::set_permissions(&new, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&new, "{\"again\": 1}").unwrap();
        assert_eq!(mode(&new), 0o640);
    }

    #[test]
    fn a_failed_write_keeps_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.md");
        std::fs::write(&path, "good").unwrap();
        // The target is a non-empty folder: the rename fails, the old file
        // of the same folder is untouched and no temporary is left.
        let blocked = dir.path().join("blocked");
        std::fs::create_dir_all(blocked.join("inside")).unwrap();
        assert!(write_atomic(&blocked, "x").is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "good");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn unique_dirs_never_reuse_a_folder_and_sort_in_creation_order() {
        let dir = tempfile::tempdir().unwrap();
        let parent = dir.path().join("reports").join("x");
        let id = "2026-11-27T23-59-01Z";
        let made: Vec<String> = (0..3)
            .map(|_| create_unique_dir(&parent, id).unwrap().1)
            .collect();
        assert_eq!(
            made,
            [id.to_string(), format!("{id}-0002"), format!("{id}-0003")]
        );
        let mut sorted = made.clone();
        sorted.push("2026-11-27T23-59-02Z".into());
        sorted.sort();
        assert_eq!(&sorted[..3], &made[..]);
    }
}
