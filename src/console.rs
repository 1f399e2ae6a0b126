//! Printing to stdout and stderr without ever panicking: `tuner run … |
//! head` closes the pipe early, and by then the files are written, so a
//! closed or failing stream is ignored (std's `print!` panics on it).

use std::io::Write;

/// Writes `text` to stdout as it is.
pub(crate) fn out(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
}

/// Writes `line` and a newline to stdout.
pub(crate) fn outln(line: &str) {
    out(&format!("{line}\n"));
}

/// Writes `line` and a newline to stderr.
pub(crate) fn errln(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}
