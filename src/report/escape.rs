//! Escaping for the strings a report prints from a config or a results
//! file (experiment names, descriptions, variant and parameter values,
//! environment values, command lines, stderr tails): in the markdown such a
//! string reads as itself, and can neither break a table nor inject markup.
//!
//! The rules are CommonMark 0.31's: any ASCII punctuation may be
//! backslash-escaped (§2.4); code spans take a backtick string longer than
//! any run inside them (§6.1); fenced code blocks a fence longer than any
//! inside (§4.5); and GFM's tables split rows on unescaped `|`, even inside
//! code spans (GFM §4.10). Line ends and other control characters are shown
//! as their Unicode control pictures (U+2400 + code), so a value stays on
//! its line and in its cell.
//!
//! Written by hand: comrak's CommonMark writer escapes its text nodes, but
//! escapes every character that could ever matter anywhere (`.` after digits,
//! `-` and `_` inside words), which would rewrite every committed report;
//! here a character is escaped only where it can change what renders, so
//! ordinary names (`dirty_decay_ms:-1`, `v1`, `1.5`) print as they are.
//! The HTML page does not rely on this: it escapes again (`super::html`).

use std::borrow::Cow;

/// `s` as inline markdown text that renders as exactly `s` (its control
/// characters as control pictures), wherever inline text may stand: a
/// paragraph, a list item, a heading, emphasis, a link's text, a table cell.
pub(crate) fn md_text(s: &str) -> Cow<'_, str> {
    if !s
        .chars()
        .any(|c| control_picture(c).is_some() || SPECIAL.contains(c))
    {
        return Cow::Borrowed(s);
    }
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        if let Some(picture) = control_picture(c) {
            out.push(picture);
            continue;
        }
        if escaped_at(&chars, i) {
            out.push('\\');
        }
        out.push(c);
    }
    if out == s {
        return Cow::Borrowed(s);
    }
    Cow::Owned(out)
}

/// Characters that may need a backslash somewhere (see `escaped_at`).
const SPECIAL: &str = "\\`*_[]<|~&#>-+=.)";

/// `s` as the text of a table cell: [`md_text`], which already escapes `|`
/// and keeps line ends out of the row. Named apart so a call site says
/// what it writes.
pub(crate) fn md_cell(s: &str) -> Cow<'_, str> {
    md_text(s)
}

/// `s` as an inline code span, backticks included: fenced by one more
/// backtick than its longest run, padded when it starts or ends with one;
/// line ends as control pictures. Not for table cells: GFM splits a row
/// on every unescaped `|`, inside code spans too.
pub(crate) fn md_code(s: &str) -> String {
    let body = pictures(s);
    let longest = longest_run(&body, '`');
    let fence = "`".repeat(longest + 1);
    if body.is_empty() {
        return String::new();
    }
    // One space each side is stripped from a span that starts or ends
    // with a backtick, or with a space at both ends (and is not all spaces).
    let spaced = body.starts_with(' ') && body.ends_with(' ') && !body.trim().is_empty();
    let pad = if body.starts_with('`') || body.ends_with('`') || spaced {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{body}{pad}{fence}")
}

/// A relative path as a link destination: every byte but ASCII letters,
/// digits and `-._~/` percent-encoded (RFC 3986 §2.1), so a space, a
/// parenthesis or a `<` in a folder name cannot end the link or start
/// markup. Ordinary paths (`points/05-v1-2/cpu.svg`) are unchanged.
pub(crate) fn md_url(path: &str) -> Cow<'_, str> {
    let plain = |b: u8| b.is_ascii_alphanumeric() || b"-._~/".contains(&b);
    if path.bytes().all(plain) {
        return Cow::Borrowed(path);
    }
    let mut out = String::with_capacity(path.len() + 8);
    for b in path.bytes() {
        if plain(b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Cow::Owned(out)
}

/// `text` as a fenced code block with info string `info` (`toml`): the
/// fence is one backtick longer than any run of backticks in `text`, so no
/// line of it can close the block. Ends with a line end.
pub(crate) fn md_fence(text: &str, info: &str) -> String {
    let fence = "`".repeat(longest_run(text, '`').max(2) + 1);
    let info: String = info.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    let body = text.trim_end_matches(['\n', '\r']);
    format!("{fence}{info}\n{body}\n{fence}\n")
}

/// Whether the character at `i` must be backslash-escaped to read as itself.
fn escaped_at(chars: &[char], i: usize) -> bool {
    let c = chars[i];
    let prev = i.checked_sub(1).map(|j| chars[j]);
    let next = chars.get(i + 1).copied();
    let alnum = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    match c {
        // Escapes, code spans, emphasis, links, raw HTML and autolinks,
        // table cells, strikethrough: anywhere.
        '\\' | '`' | '*' | '[' | ']' | '<' | '|' | '~' => true,
        // `_` inside a word can neither open nor close emphasis (§6.2).
        '_' => !(alnum(prev) && alnum(next)),
        // An entity or numeric character reference (§2.5).
        '&' => next.is_some_and(|n| n == '#' || n.is_alphanumeric()),
        // Block starts matter only at the start of a line, where a value
        // may stand (a description, a cell): headings, block quotes,
        // bullets, setext underlines and thematic breaks.
        '#' | '-' | '+' | '=' if i == 0 => next.is_none_or(|n| n == ' ' || n == '\t' || n == c),
        '>' => i == 0,
        // An ordered list marker: digits then `.` or `)` then a space.
        '.' | ')' => {
            i > 0
                && i <= 9
                && chars[..i].iter().all(char::is_ascii_digit)
                && next.is_none_or(|n| n == ' ' || n == '\t')
        }
        _ => false,
    }
}

/// Control characters (C0, DEL) as their Unicode control pictures: `\n` as ␊.
fn control_picture(c: char) -> Option<char> {
    match c {
        '\0'..='\x1f' => char::from_u32(0x2400 + c as u32),
        '\x7f' => Some('\u{2421}'),
        _ => None,
    }
}

fn pictures(s: &str) -> Cow<'_, str> {
    if s.chars().any(|c| control_picture(c).is_some()) {
        Cow::Owned(s.chars().map(|c| control_picture(c).unwrap_or(c)).collect())
    } else {
        Cow::Borrowed(s)
    }
}

fn longest_run(s: &str, c: char) -> usize {
    let (mut longest, mut run) = (0, 0);
    for x in s.chars() {
        run = if x == c { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    longest
}

#[cfg(test)]
mod tests {
    use super::*;
    use comrak::nodes::NodeValue;
    use comrak::{parse_document, Arena, Options};

    fn options() -> Options<'static> {
        let mut o = Options::default();
        o.extension.table = true;
        o.extension.strikethrough = true;
        o.extension.footnotes = true;
        o
    }

    /// The text a markdown fragment renders to, and the kinds of the nodes
    /// it holds besides the document, paragraphs and text.
    fn rendered(md: &str) -> (String, Vec<String>) {
        let arena = Arena::new();
        let root = parse_document(&arena, md, &options());
        let mut text = String::new();
        let mut kinds = Vec::new();
        for node in root.descendants() {
            match &node.data.borrow().value {
                NodeValue::Text(t) => text.push_str(t),
                NodeValue::Code(c) => {
                    text.push_str(&c.literal);
                    kinds.push("code".into());
                }
                NodeValue::CodeBlock(c) => {
                    text.push_str(&c.literal);
                    kinds.push("code_block".into());
                }
                NodeValue::SoftBreak => text.push('\n'),
                NodeValue::Document | NodeValue::Paragraph => {}
                other => kinds.push(other.xml_node_name().to_string()),
            }
        }
        (text, kinds)
    }

    const HOSTILE: &[&str] = &[
        "<script>document.title='pwned'</script>",
        "<img src=x onerror=alert(1)>",
        "a | b",
        "two\nlines",
        "`tick` and ``two``",
        "*em* __strong__ _under_ ~~gone~~",
        "[link](http://example.com) ![img](x.svg) [^note]",
        "# heading",
        "> quote",
        "- item",
        "+ item",
        "1. first",
        "2) second",
        "---",
        "===",
        "&lt;script&gt; &#60; &amp;",
        "back\\slash\\",
        "<http://example.com>",
        "tab\there\r\nnul\0",
        "`",
    ];

    #[test]
    fn hostile_text_renders_as_itself_and_nothing_else() {
        for s in HOSTILE {
            let (text, kinds) = rendered(&md_text(s));
            let expect: String = s.chars().map(|c| control_picture(c).unwrap_or(c)).collect();
            assert_eq!(text, expect, "{s:?} → {:?}", md_text(s));
            assert!(kinds.is_empty(), "{s:?} → {:?} made {kinds:?}", md_text(s));
        }
    }

    #[test]
    fn hostile_cells_keep_the_table_whole() {
        for s in HOSTILE {
            let md = format!(
                "| a | b |\n|---|---|\n| {} | {} |\n",
                md_cell(s),
                md_cell(s)
            );
            let arena = Arena::new();
            let root = parse_document(&arena, &md, &options());
            let rows: Vec<_> = root
                .descendants()
                .filter(|n| matches!(n.data.borrow().value, NodeValue::TableRow(_)))
                .collect();
            assert_eq!(rows.len(), 2, "{s:?}:\n{md}");
            let cells: Vec<String> = rows[1]
                .children()
                .map(|cell| {
                    let mut t = String::new();
                    for n in cell.descendants() {
                        match &n.data.borrow().value {
                            NodeValue::Text(x) => t.push_str(x),
                            NodeValue::Code(c) => t.push_str(&c.literal),
                            NodeValue::TableCell => {}
                            other => panic!("{s:?}: a cell holds {}", other.xml_node_name()),
                        }
                    }
                    t
                })
                .collect();
            let expect: String = s.chars().map(|c| control_picture(c).unwrap_or(c)).collect();
            assert_eq!(cells, [expect.clone(), expect], "{s:?}:\n{md}");
        }
    }

    #[test]
    fn ordinary_names_print_unchanged() {
        for s in [
            "dirty_decay_ms:-1",
            "variant=v3 threads=2",
            "_RJEM_MALLOC_CONF=dirty_decay_ms:10000",
            "1.5",
            "-1",
            "per_call",
            "A & B",
            "6.1.0-28-amd64 #1 SMP PREEMPT_DYNAMIC",
            "a → b ≥ c",
        ] {
            let expect = if s.starts_with('_') {
                format!("\\{s}")
            } else {
                s.to_string()
            };
            assert_eq!(md_text(s), expect);
        }
        assert!(matches!(md_text("variant=v3"), Cow::Borrowed(_)));
    }

    #[test]
    fn paths_stay_one_link_destination() {
        assert_eq!(
            md_url("points/05-v1-2_x/cpu.svg"),
            "points/05-v1-2_x/cpu.svg"
        );
        for path in [
            "a b/x.svg",
            "a)b/x.svg",
            "x<img src=y onerror=z>/c.svg",
            "é%/[x]\n",
        ] {
            let md = format!("[svg]({})", md_url(path));
            let arena = Arena::new();
            let root = parse_document(&arena, &md, &options());
            let urls: Vec<String> = root
                .descendants()
                .filter_map(|n| match &n.data.borrow().value {
                    NodeValue::Link(l) => Some(l.url.clone()),
                    NodeValue::HtmlInline(h) => panic!("{path:?}: raw HTML {h}"),
                    _ => None,
                })
                .collect();
            assert_eq!(urls, [md_url(path).into_owned()], "{path:?}: {md}");
        }
    }

    #[test]
    fn code_spans_and_fences_hold_any_text() {
        for s in HOSTILE.iter().chain(&[" padded ", "  ", "``x`"]) {
            let (text, kinds) = rendered(&md_code(s));
            let expect: String = s.chars().map(|c| control_picture(c).unwrap_or(c)).collect();
            assert_eq!(text, expect, "{s:?} → {}", md_code(s));
            assert_eq!(kinds, ["code"], "{s:?} → {}", md_code(s));
        }
        let config = "name = \"x\"\ndescription = \"\"\"\n```\n# not a heading\n````\n\"\"\"\n";
        let (text, kinds) = rendered(&md_fence(config, "toml"));
        assert_eq!(text, config);
        assert_eq!(kinds, ["code_block"]);
        assert_eq!(md_fence("a = 1", "toml"), "```toml\na = 1\n```\n");
    }
}
