//! Config errors that point at the file, line, column and key at fault,
//! or at the file alone when the fault is the whole file.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub struct ConfigError {
    pub path: PathBuf,
    /// 1-based; 0 when the error is about the whole file (it cannot be
    /// read, it is too large): then `column` is 0 and `key` empty.
    pub line: usize,
    pub column: usize,
    /// The key path at fault, e.g. `matrix.threads`.
    pub key: String,
    pub message: String,
}

/// `file:line:column: `key`: message`, or `file: message` without a location.
impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.path.display())?;
        if self.line > 0 {
            write!(f, "{}:{}:", self.line, self.column)?;
        }
        if !self.key.is_empty() {
            write!(f, " `{}`:", self.key)?;
        }
        write!(f, " {}", self.message)
    }
}

impl ConfigError {
    /// An error at byte range `span` of `text`.
    pub fn at(
        path: &Path,
        text: &str,
        span: Range<usize>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        let (line, column) = line_column(text, span.start);
        ConfigError {
            path: path.to_path_buf(),
            line,
            column,
            key: key.into(),
            message: message.into(),
        }
    }

    /// An error about the whole file, with no line or key.
    pub fn file(path: &Path, message: impl Into<String>) -> Self {
        ConfigError {
            path: path.to_path_buf(),
            line: 0,
            column: 0,
            key: String::new(),
            message: message.into(),
        }
    }

    pub fn unreadable(path: &Path, err: &std::io::Error) -> Self {
        ConfigError::file(path, format!("cannot read: {err}"))
    }

    /// Converts a syntax or shape error from the toml parser, recovering the
    /// key path from the table header and key at the error's position.
    pub fn from_toml(path: &Path, text: &str, err: &toml::de::Error) -> Self {
        let span = err.span().unwrap_or(0..0);
        let message = err.message().trim().to_string();
        ConfigError::at(
            path,
            text,
            span.clone(),
            key_path_at(text, span.start),
            message,
        )
    }
}

/// 1-based line and column of byte `offset`.
pub(super) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = prefix(text, offset);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// The dotted key path at byte `offset`: the last `[table]` header before
/// it, joined with the key that starts the offset's line, if any.
fn key_path_at(text: &str, offset: usize) -> String {
    let before = prefix(text, offset);
    let table = before
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|l| l.trim_matches(|c| c == '[' || c == ']').trim().to_string());
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next().unwrap_or("").trim();
    if line.starts_with('[') {
        return line
            .trim_matches(|c| c == '[' || c == ']')
            .trim()
            .to_string();
    }
    let key = {
        line.split('=')
            .next()
            .map(str::trim)
            .filter(|k| !k.is_empty() && !k.starts_with('#'))
    };
    match (table, key) {
        (Some(t), Some(k)) => format!("{t}.{k}"),
        (Some(t), None) => t,
        (None, Some(k)) => k.to_string(),
        (None, None) => "(top level)".to_string(),
    }
}

/// `text` up to byte `offset`, moved back to a character boundary so an
/// offset inside a multi-byte character cannot panic.
fn prefix(text: &str, offset: usize) -> &str {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based() {
        let text = "a = 1\nbb = 2\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 6), (2, 1));
        assert_eq!(line_column(text, 9), (2, 4));
    }

    #[test]
    fn key_path_joins_table_and_key() {
        let text = "[experiment]\nworkload = 1\n\n[matrix]\nthreds = [1]\n";
        let offset = text.find("threds").unwrap();
        assert_eq!(key_path_at(text, offset), "matrix.threds");
        assert_eq!(key_path_at(text, 0), "experiment");
    }

    #[test]
    fn offsets_inside_a_character_do_not_panic() {
        let text = "é = 1\n";
        assert_eq!(line_column(text, 1), (1, 1));
        assert_eq!(key_path_at(text, 1), "é");
    }

    #[test]
    fn whole_file_errors_print_without_a_location() {
        let e = ConfigError::file(Path::new("/x.toml"), "cannot read: gone");
        assert_eq!(e.to_string(), "/x.toml: cannot read: gone");
        let e = ConfigError::at(Path::new("c.toml"), "a = 1\n", 4..5, "a", "bad");
        assert_eq!(e.to_string(), "c.toml:1:5: `a`: bad");
    }
}
