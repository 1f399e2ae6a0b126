//! Config errors that point at the file, line, column and key at fault.

use std::ops::Range;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
#[error("{}:{line}:{column}: `{key}`: {message}", path.display())]
pub struct ConfigError {
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
    /// The key path at fault, e.g. `matrix.threads`.
    pub key: String,
    pub message: String,
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

    pub fn unreadable(path: &Path, err: &std::io::Error) -> Self {
        ConfigError {
            path: path.to_path_buf(),
            line: 0,
            column: 0,
            key: String::new(),
            message: format!("cannot read: {err}"),
        }
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
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// The dotted key path at byte `offset`: the last `[table]` header before
/// it, joined with the key that starts the offset's line, if any.
fn key_path_at(text: &str, offset: usize) -> String {
    let before = &text[..offset.min(text.len())];
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
}
