//! A checker for committed markdown (reports, the README, the book): every
//! table row has its header's cell count, and every relative link, image
//! and mdBook `{{#include}}` resolves — to a file that is there and, for a
//! `#fragment` into a markdown file, to a heading of that file.
//!
//! Heading ids follow mdBook's rule (`id_from_content` in mdbook-html
//! 0.5): the heading's text, trimmed and lowercased, alphanumerics, `-` and
//! `_` kept, whitespace turned into `-`, everything else dropped; a repeated
//! id gets `-1`, `-2`, … . GitHub's rule agrees on the headings written here.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use comrak::nodes::{AstNode, NodeValue};
use comrak::{parse_document, Arena, Options};

/// The cells of a raw markdown table row: `|` not escaped and not inside a
/// code span separates them.
pub fn cells(line: &str) -> usize {
    let (mut n, mut code, mut escaped) = (0, false, false);
    for c in line
        .trim()
        .trim_start_matches('|')
        .trim_end_matches('|')
        .chars()
    {
        match c {
            '\\' if !escaped => {
                escaped = true;
                continue;
            }
            '`' => code = !code,
            '|' if !code && !escaped => n += 1,
            _ => {}
        }
        escaped = false;
    }
    n + 1
}

fn options() -> Options<'static> {
    let mut options = Options::default();
    options.extension.table = true;
    options.extension.footnotes = true;
    options.extension.strikethrough = true;
    options
}

/// The text a heading shows: its text and code spans, in order.
fn text_of<'a>(node: &'a AstNode<'a>, out: &mut String) {
    for child in node.children() {
        match &child.data.borrow().value {
            NodeValue::Text(t) => out.push_str(t),
            NodeValue::Code(c) => out.push_str(&c.literal),
            _ => {}
        }
        text_of(child, out);
    }
}

/// mdBook's id for a heading whose text is `text`.
pub fn heading_id(text: &str) -> String {
    text.trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                Some(c)
            } else if c.is_whitespace() {
                Some('-')
            } else {
                None
            }
        })
        .collect()
}

/// The ids of every heading in `text`, repeated ones numbered as mdBook does.
pub fn heading_ids(text: &str) -> HashSet<String> {
    let arena = Arena::new();
    let root = parse_document(&arena, text, &options());
    let mut ids = HashSet::new();
    for node in root.descendants() {
        if matches!(node.data.borrow().value, NodeValue::Heading(_)) {
            let mut text = String::new();
            text_of(node, &mut text);
            let id = heading_id(&text);
            let mut unique = id.clone();
            let mut n = 0;
            while !ids.insert(unique.clone()) {
                n += 1;
                unique = format!("{id}-{n}");
            }
        }
    }
    ids
}

/// The file an mdBook `{{#include path}}` (or `#rustdoc_include`) on
/// `line` names, without its `:anchor` or line range.
fn include_target(line: &str) -> Option<&str> {
    let rest = line.trim().strip_prefix("{{#")?;
    let rest = rest
        .strip_prefix("include ")
        .or_else(|| rest.strip_prefix("rustdoc_include "))?;
    let path = rest.strip_suffix("}}")?.trim();
    Some(path.split(':').next().unwrap_or(path))
}

/// `path`'s text with every `{{#include}}` replaced by the file it names
/// (as mdBook renders the page), and the includes that are not there.
/// Without includes the lines are the file's own, so line numbers hold.
fn expanded(path: &Path) -> (String, Vec<String>) {
    let text = std::fs::read_to_string(path).unwrap();
    let dir = path.parent().unwrap();
    let mut out = String::new();
    let mut missing = Vec::new();
    for (i, line) in text.lines().enumerate() {
        match include_target(line) {
            Some(file) => match std::fs::read_to_string(dir.join(file)) {
                Ok(included) => out.push_str(&included),
                Err(_) => missing.push(format!(
                    "{}:{}: includes {file}, which is not there",
                    path.display(),
                    i + 1
                )),
            },
            None => out.push_str(line),
        }
        out.push('\n');
    }
    (out, missing)
}

/// Why `url`, linked from `path`, does not resolve, if it does not.
fn broken(path: &Path, text: &str, url: &str) -> Option<String> {
    if url.contains("://") || url.starts_with("mailto:") {
        return None;
    }
    let (file, fragment) = match url.split_once('#') {
        Some((file, fragment)) => (file, Some(fragment)),
        None => (url, None),
    };
    let target: PathBuf = if file.is_empty() {
        path.to_path_buf()
    } else {
        path.parent().unwrap().join(file)
    };
    if !target.exists() {
        return Some(format!("link to {url}, which is not there"));
    }
    let fragment = fragment.filter(|f| !f.is_empty())?;
    if target.extension().is_none_or(|e| e != "md") {
        return None;
    }
    let ids = if file.is_empty() {
        heading_ids(text)
    } else {
        heading_ids(&std::fs::read_to_string(&target).unwrap_or_default())
    };
    (!ids.contains(fragment))
        .then(|| format!("link to {url}: no heading there has the id `{fragment}`"))
}

/// Problems with one markdown file: tables whose rows have other cell
/// counts than their header, links, images and includes that do not
/// resolve. A page with includes is checked as mdBook renders it, the
/// included text in place.
pub fn problems(path: &Path) -> Vec<String> {
    let (text, mut found) = expanded(path);
    let lines: Vec<&str> = text.lines().collect();
    let arena = Arena::new();
    let root = parse_document(&arena, &text, &options());
    for node in root.descendants() {
        let data = node.data.borrow();
        match &data.value {
            NodeValue::Table(_) => {
                let (start, end) = (data.sourcepos.start.line, data.sourcepos.end.line);
                let header = cells(lines[start - 1]);
                for (i, line) in lines[start - 1..end].iter().enumerate() {
                    if cells(line) != header {
                        found.push(format!(
                            "{}:{}: {} cells, the header has {header}",
                            path.display(),
                            start + i,
                            cells(line)
                        ));
                    }
                }
            }
            NodeValue::Link(link) | NodeValue::Image(link) => {
                if let Some(why) = broken(path, &text, &link.url) {
                    found.push(format!(
                        "{}:{}: {why}",
                        path.display(),
                        data.sourcepos.start.line
                    ));
                }
            }
            _ => {}
        }
    }
    found
}

/// Every file under `dir` whose name ends with `suffix`, sorted.
pub fn files(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files(&path, suffix));
        } else if path.to_string_lossy().ends_with(suffix) {
            out.push(path);
        }
    }
    out.sort();
    out
}
