//! Folded stacks and flame graphs: tidying folded stacks (one line per
//! distinct stack, `a;b;c count`), rendering them as an SVG flame graph
//! in-process with inferno, and differential flame graphs of a point
//! against the baseline (inferno's diff-folded, normalised so the two
//! totals match: red where the point spends a larger share, blue smaller).

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

/// Folded stacks: stack (frames joined by `;`, root first) → count.
pub(crate) type Folded = BTreeMap<String, u64>;

/// Parses folded lines (`frame; frame;frame count`), trimming frames and
/// summing repeated stacks. Lines without a count are skipped.
pub(crate) fn parse(text: &str) -> Folded {
    let mut folded = Folded::new();
    for line in text.lines() {
        let Some((stack, count)) = line.trim().rsplit_once(' ') else {
            continue;
        };
        let Ok(count) = count.parse::<u64>() else {
            continue;
        };
        let stack = stack
            .split(';')
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .collect::<Vec<_>>()
            .join(";");
        if !stack.is_empty() && count > 0 {
            *folded.entry(stack).or_default() += count;
        }
    }
    folded
}

/// One frame name made safe for a folded line (no `;`, no line breaks).
pub(crate) fn frame_name(name: &str) -> String {
    name.replace(';', ",").replace(['\n', '\r'], " ")
}

/// A function name without generic arguments (`call_once<F, ()>` →
/// `call_once`, `Box<dyn Fn()>` → `Box`), keeping a leading qualified
/// path's brackets (`<Box as FnOnce>::call_once`): the arguments of inlined
/// rayon and std frames run to kilobytes per frame.
pub(crate) fn short_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut depth = 0usize;
    let mut last = None::<char>;
    for c in name.chars() {
        let arrow = last == Some('-');
        last = Some(c);
        if depth > 0 {
            match c {
                '<' => depth += 1,
                '>' if !arrow => depth -= 1,
                _ => {}
            }
            continue;
        }
        let after_ident = out
            .chars()
            .next_back()
            .is_some_and(|p: char| p.is_alphanumeric() || p == '_' || p == '}');
        if c == '<' && after_ident {
            depth = 1;
        } else {
            out.push(c);
        }
    }
    out
}

/// The folded text, one stack per line.
pub(crate) fn to_text(folded: &Folded) -> String {
    let mut out = String::new();
    for (stack, count) in folded {
        out.push_str(stack);
        out.push(' ');
        out.push_str(&count.to_string());
        out.push('\n');
    }
    out
}

/// The same stacks without their first frame (the thread), merged: what
/// a differential graph compares, so that work moving between threads is
/// not shown as a difference.
pub(crate) fn without_root(folded: &Folded) -> Folded {
    let mut out = Folded::new();
    for (stack, count) in folded {
        let rest = stack.split_once(';').map_or("", |(_, r)| r);
        if !rest.is_empty() {
            *out.entry(rest.to_string()).or_default() += count;
        }
    }
    out
}

/// Renders `folded` as an SVG flame graph; `unit` names what the counts
/// are (`samples`, `ns`).
pub(crate) fn svg(folded: &Folded, title: &str, unit: &str) -> io::Result<Vec<u8>> {
    if folded.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "no stacks to draw",
        ));
    }
    let mut options = inferno::flamegraph::Options::default();
    options.title = title.to_string();
    options.count_name = unit.to_string();
    options.deterministic = true;
    let text = to_text(folded);
    let mut out = Vec::new();
    inferno::flamegraph::from_lines(&mut options, text.lines(), &mut out)?;
    Ok(out)
}

/// A differential flame graph: widths from `after` (the point), colours
/// from the change against `before` (the baseline), both without their
/// thread frame and normalised to the same total.
pub(crate) fn diff_svg(
    before: &Folded,
    after: &Folded,
    title: &str,
    unit: &str,
) -> io::Result<Vec<u8>> {
    let (before, after) = (without_root(before), without_root(after));
    if before.is_empty() || after.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "no stacks to compare",
        ));
    }
    let mut diffed = Vec::new();
    let options = inferno::differential::Options {
        normalize: true,
        strip_hex: true,
    };
    inferno::differential::from_readers(
        options,
        to_text(&before).as_bytes(),
        to_text(&after).as_bytes(),
        &mut diffed,
    )?;
    let mut options = inferno::flamegraph::Options::default();
    options.title = title.to_string();
    options.subtitle =
        Some("red: a larger share than at the baseline; blue: a smaller one".to_string());
    options.count_name = unit.to_string();
    options.deterministic = true;
    let text = String::from_utf8_lossy(&diffed);
    let mut out = Vec::new();
    inferno::flamegraph::from_lines(&mut options, text.lines(), &mut out)?;
    Ok(out)
}

/// Reads a folded file.
pub(crate) fn read(path: &Path) -> io::Result<Folded> {
    Ok(parse(&std::fs::read_to_string(path)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Folded {
        parse("rayon-0; split; merge 300\nrayon-0; split 100\nrayon-1; split; merge 200\nrayon-0; split; merge 50\n")
    }

    #[test]
    fn parse_trims_frames_and_sums_repeated_stacks() {
        let f = sample();
        assert_eq!(f.get("rayon-0;split;merge"), Some(&350));
        assert_eq!(f.get("rayon-0;split"), Some(&100));
        assert_eq!(f.len(), 3);
        assert!(parse("garbage\nno count here x\n").is_empty());
    }

    #[test]
    fn short_names_drop_generic_arguments() {
        assert_eq!(short_name("call_once<F, ()>"), "call_once");
        assert_eq!(
            short_name("<alloc::boxed::Box<dyn core::ops::FnOnce<()> -> u32> as core::ops::FnOnce<()>>::call_once"),
            "<alloc::boxed::Box as core::ops::FnOnce>::call_once"
        );
        assert_eq!(
            short_name("{closure#0}<rayon_core::join::{closure_env#0}<()>>"),
            "{closure#0}"
        );
        assert_eq!(
            short_name("tuner_experiments::mergesort::merge"),
            "tuner_experiments::mergesort::merge"
        );
    }

    #[test]
    fn without_root_merges_threads() {
        let f = without_root(&sample());
        assert_eq!(f.get("split;merge"), Some(&550));
        assert_eq!(f.get("split"), Some(&100));
    }

    #[test]
    fn svg_names_the_frames() {
        let svg = String::from_utf8(svg(&sample(), "spans", "ns").unwrap()).unwrap();
        assert!(svg.starts_with("<?xml"), "{}", &svg[..100]);
        assert!(svg.contains("merge"));
        assert!(svg.contains("rayon-1"));
        assert!(super::svg(&Folded::new(), "empty", "ns").is_err());
    }

    #[test]
    fn diff_colours_growth_red_and_shrinkage_blue() {
        let before = parse("t;work;merge 100\nt;work;split 100\n");
        let after = parse("t;work;merge 300\nt;work;split 100\n");
        let svg = String::from_utf8(diff_svg(&before, &after, "diff", "ns").unwrap()).unwrap();
        assert!(svg.contains("merge"));
        // inferno writes the change into each frame's title.
        let merge_title = svg
            .split("<title>")
            .find(|t| t.starts_with("merge"))
            .expect("a merge frame");
        assert!(merge_title.contains("+"), "{merge_title}");
        let split_title = svg
            .split("<title>")
            .find(|t| t.starts_with("split"))
            .expect("a split frame");
        assert!(split_title.contains("-"), "{split_title}");
        // Red (growth) and blue (shrinkage) fills are both present.
        assert!(svg.contains("fill=\"rgb(255,"), "no red frame");
        assert!(svg.contains(",255)\""), "no blue frame");
    }
}
