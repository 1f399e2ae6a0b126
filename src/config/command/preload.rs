//! Which shared library a command's `mimalloc` or `jemalloc` point
//! preloads: the system's own build, found where the distribution puts
//! it, or the file a config names. A missing library is an error that
//! names the package to install.

use std::path::{Path, PathBuf};

use crate::alloc::AllocatorName;

/// The file a distribution installs, and the packages that install it.
struct Library {
    file: &'static str,
    packages: &'static str,
}

fn library(allocator: AllocatorName) -> Option<Library> {
    match allocator {
        AllocatorName::System => None,
        AllocatorName::Jemalloc => Some(Library {
            file: "libjemalloc.so.2",
            packages: "Debian and Ubuntu: `apt-get install libjemalloc2`; Fedora: `dnf install jemalloc`",
        }),
        AllocatorName::Mimalloc => Some(Library {
            file: "libmimalloc.so.2",
            packages: "Debian and Ubuntu: `apt-get install libmimalloc2.0`; Fedora: `dnf install mimalloc`",
        }),
    }
}

/// Folders the system's shared libraries live in, the multiarch one first.
pub(super) fn system_dirs() -> Vec<PathBuf> {
    let triple = format!("{}-linux-gnu", std::env::consts::ARCH);
    [
        format!("/usr/lib/{triple}"),
        format!("/lib/{triple}"),
        "/usr/lib64".into(),
        "/lib64".into(),
        "/usr/lib".into(),
        "/usr/local/lib".into(),
    ]
    .into_iter()
    .map(PathBuf::from)
    .collect()
}

/// The library to preload for `allocator` (`None` for `system`, which
/// preloads nothing), looked for in `dirs`.
pub(super) fn find(allocator: AllocatorName, dirs: &[PathBuf]) -> Result<Option<PathBuf>, String> {
    let Some(lib) = library(allocator) else {
        return Ok(None);
    };
    if let Some(found) = dirs.iter().map(|d| d.join(lib.file)).find(|p| p.is_file()) {
        return Ok(Some(found));
    }
    let looked: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
    Err(format!(
        "{allocator} is preloaded from the system's {}, which is in none of {}: install it ({}), \
         or name the file in [command.preload] {allocator} = \"…\"",
        lib.file,
        looked.join(", "),
        lib.packages
    ))
}

/// A file named in `[command.preload]`: it must exist.
pub(super) fn named(allocator: AllocatorName, file: &Path) -> Result<PathBuf, String> {
    if allocator == AllocatorName::System {
        return Err("`system` preloads nothing: it is the C library's own allocator".into());
    }
    if !file.is_file() {
        return Err(format!("{} is not a file", file.display()));
    }
    std::fs::canonicalize(file).map_err(|e| format!("{}: {e}", file.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_library_names_the_package_to_install() {
        let empty = tempfile::tempdir().unwrap();
        let dirs = [empty.path().to_path_buf()];
        let e = find(AllocatorName::Jemalloc, &dirs).unwrap_err();
        assert!(e.contains("libjemalloc.so.2"), "{e}");
        assert!(e.contains("apt-get install libjemalloc2"), "{e}");
        assert!(e.contains(&empty.path().display().to_string()), "{e}");
        let e = find(AllocatorName::Mimalloc, &dirs).unwrap_err();
        assert!(e.contains("apt-get install libmimalloc2.0"), "{e}");
        assert_eq!(find(AllocatorName::System, &dirs), Ok(None));
    }

    #[test]
    fn the_first_folder_holding_the_library_wins() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        std::fs::write(b.path().join("libmimalloc.so.2"), "").unwrap();
        let dirs = [a.path().to_path_buf(), b.path().to_path_buf()];
        assert_eq!(
            find(AllocatorName::Mimalloc, &dirs).unwrap(),
            Some(b.path().join("libmimalloc.so.2"))
        );
        assert!(named(AllocatorName::Jemalloc, &a.path().join("x.so"))
            .unwrap_err()
            .ends_with("is not a file"));
    }
}
