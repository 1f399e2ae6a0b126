//! Reading an input file named on the command line: a regular file only
//! (never a device, FIFO or directory), and never more than a cap, so a
//! symlink to `/dev/zero` or a huge file is refused instead of read into
//! memory and copied into every journal, results file and report.

use std::fs::File;
use std::io::{self, Read as _};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;

use super::error::ConfigError;

/// The largest config tuner reads: far above any real config (the largest
/// shipped one is under 4 KiB), far below what would hurt when copied.
pub(crate) const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// Reads the config at `path`: a regular file of at most
/// [`MAX_CONFIG_BYTES`], in UTF-8.
pub(crate) fn read(path: &Path) -> Result<String, ConfigError> {
    let bytes = read_capped(path, MAX_CONFIG_BYTES)
        .map_err(|e| ConfigError::file(path, format!("cannot read: {e}")))?;
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let (line, column) = super::error::line_column(
            // The valid prefix is UTF-8, so this cannot fail.
            std::str::from_utf8(&e.as_bytes()[..at]).unwrap_or(""),
            at,
        );
        ConfigError::file(
            path,
            format!("is not UTF-8 text (an invalid byte at line {line}, column {column})"),
        )
    })
}

/// The bytes of the regular file at `path` if it holds at most `limit`
/// bytes. Errors read as "cannot read: <this>".
pub(crate) fn read_capped(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    // O_NONBLOCK: opening a FIFO must not wait for a writer before the
    // type check below refuses it; reads of a regular file ignore it.
    let file = File::options()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        let kind = if meta.is_dir() {
            "a directory"
        } else {
            "a device, FIFO or socket"
        };
        return Err(io::Error::other(format!(
            "it is {kind}, not a regular file"
        )));
    }
    let mut bytes = Vec::with_capacity(meta.len().min(limit) as usize);
    // `take` bounds the read even if the file grows after the check.
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(io::Error::other(format!(
            "it is larger than {}, the most tuner reads",
            bytesize::ByteSize::b(limit).to_string_as(true)
        )));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_is_refused_before_any_read() {
        let e = read(Path::new("/dev/zero")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "/dev/zero: cannot read: it is a device, FIFO or socket, not a regular file"
        );
    }

    #[test]
    fn a_directory_and_a_missing_file_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let e = read(dir.path()).unwrap_err();
        assert!(
            e.to_string()
                .ends_with("cannot read: it is a directory, not a regular file"),
            "{e}"
        );
        let e = read(Path::new("/nonexistent.toml")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "/nonexistent.toml: cannot read: No such file or directory (os error 2)"
        );
    }

    #[test]
    fn the_cap_is_exact() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, vec![b'#'; 100]).unwrap();
        assert_eq!(read_capped(&path, 100).unwrap().len(), 100);
        let e = read_capped(&path, 99).unwrap_err();
        assert!(e.to_string().contains("larger than 99 B"), "{e}");
    }

    #[test]
    fn invalid_utf8_names_its_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, b"a = 1\nb = \"\xff\"\n").unwrap();
        let e = read(&path).unwrap_err();
        assert!(
            e.to_string()
                .ends_with("is not UTF-8 text (an invalid byte at line 2, column 6)"),
            "{e}"
        );
    }
}
