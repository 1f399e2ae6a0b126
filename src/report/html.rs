//! The report as one self-contained HTML page, `report.html` beside
//! `report.md`: the same markdown rendered as GitHub-flavoured markdown by
//! comrak, every chart and flame graph inlined as a `data:` image, a small
//! stylesheet (tables scroll inside a page at most 1200 px wide), the
//! `<details>` folds kept, and no script. It opens offline, from any folder.
//!
//! Safety, in three layers, each enough alone for what it covers:
//! - strings from a config or results file are escaped in the markdown
//!   (`super::escape`);
//! - comrak runs with raw HTML off; the raw HTML the report itself writes
//!   (`<details>`, `<summary>`, `<br>`) is rebuilt from an allowlist with
//!   its text escaped, and any other raw HTML is shown as text; SVGs go in
//!   as `<img src="data:image/svg+xml;base64,…">`, so a browser runs none
//!   of their scripts and loads nothing they name (SVG as an image is
//!   static: HTML §4.8.4.1, "SVG Integration" §2.2);
//! - a Content-Security-Policy allows no script, no fetch and no image but
//!   `data:`, so markup that slipped through both would still do nothing.

use std::fmt::Write as _;
use std::path::{Component, Path};

use anyhow::Context as _;
use base64::Engine as _;
use comrak::nodes::{AstNode, NodeValue};
use comrak::{Arena, Options};

use super::Rendered;
use crate::results::Results;

/// The page's name in the run directory.
pub(crate) const FILE: &str = "report.html";

/// The policy the page declares: nothing runs or loads but inline styles
/// and `data:` images.
pub const CSP: &str = "default-src 'none'; img-src data:; style-src 'unsafe-inline'";

/// Largest SVG read from the run directory to inline (a flame graph of a
/// deep profile is a few MB).
const MAX_SVG_BYTES: u64 = 32 << 20;

const STYLE: &str = "\
:root { color-scheme: light; }
body { margin: 0; background: #fff; color: #1f2328; font: 15px/1.5 system-ui, -apple-system, 'Segoe UI', sans-serif; }
main { box-sizing: border-box; max-width: 1200px; margin: 0 auto; padding: 16px 24px 48px; overflow-wrap: break-word; }
h1, h2, h3 { line-height: 1.25; margin: 1.5em 0 0.6em; }
h2 { padding-bottom: 0.3em; border-bottom: 1px solid #d1d9e0; }
table { display: block; max-width: 100%; overflow-x: auto; border-collapse: collapse; margin: 0 0 1em; overflow-wrap: normal; }
th, td { padding: 4px 10px; border: 1px solid #d1d9e0; vertical-align: top; }
thead th { background: #f6f8fa; }
tbody tr:nth-child(even) { background: #fafbfc; }
code { font: 13px/1.4 ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace; background: #eff1f3; padding: 0.1em 0.3em; border-radius: 4px; }
pre { max-width: 100%; overflow-x: auto; background: #f6f8fa; padding: 12px 16px; border-radius: 6px; }
pre code { background: none; padding: 0; }
img { max-width: 100%; height: auto; }
figure { margin: 1em 0; }
figcaption { font-size: 13px; color: #59636e; }
details { margin: 0 0 1em; }
summary { cursor: pointer; font-weight: 600; }
section.footnotes { font-size: 13px; color: #59636e; }
";

/// Writes `report.html` for the report `rendered` from `results` into the
/// run directory `dir` (atomically, as the other report files).
pub(crate) fn write(dir: &Path, results: &Results, rendered: &Rendered) -> anyhow::Result<()> {
    let html = page(dir, results, rendered);
    let path = dir.join(FILE);
    crate::fsio::write_atomic(&path, html.as_bytes())
        .with_context(|| format!("writing {}", path.display()))
}

/// The page of the report `rendered` from `results`, whose run directory
/// `dir` holds the flame graphs it links.
pub(crate) fn page(dir: &Path, results: &Results, rendered: &Rendered) -> String {
    let arena = Arena::new();
    let options = options();
    let root = comrak::parse_document(&arena, &rendered.markdown, &options);
    Inliner {
        dir,
        charts: &rendered.charts,
        arena: &arena,
        figures: Vec::new(),
    }
    .run(root);
    let mut body = String::new();
    comrak::format_html(root, &options, &mut body).expect("writing to a String cannot fail");
    let mut out = String::with_capacity(body.len() + STYLE.len() + 512);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"tuner {}\">\n<title>{}</title>\n<style>\n{STYLE}</style>\n</head>\n\
         <body>\n<main>\n{body}</main>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION"),
        escape(&format!("{}: tuner report", results.plan.name)),
    );
    out
}

fn options() -> Options<'static> {
    let mut o = Options::default();
    o.extension.table = true;
    o.extension.strikethrough = true;
    o.extension.footnotes = true;
    // Raw HTML in the markdown is dropped; the report's own is rebuilt below.
    o.render.r#unsafe = false;
    o
}

/// Rewrites the parsed report for the page: images and links to SVGs of
/// the run become inline images, raw HTML is rebuilt or shown as text.
struct Inliner<'a, 'd> {
    dir: &'d Path,
    charts: &'d [(String, String)],
    arena: &'a Arena<'a>,
    /// SVGs linked (not shown) by the report, by URL, with their anchor.
    figures: Vec<(String, String)>,
}

impl<'a> Inliner<'a, '_> {
    fn run(&mut self, root: &'a AstNode<'a>) {
        for block in root.children().collect::<Vec<_>>() {
            let before = self.figures.len();
            // Collected first: the rewrites detach and replace nodes.
            let nodes: Vec<&'a AstNode<'a>> = block.descendants().collect();
            for node in nodes {
                self.rewrite(node);
            }
            if self.figures.len() > before {
                let fold = self.figures_fold(before);
                block.insert_after(self.node(NodeValue::Raw(fold)));
            }
        }
    }

    fn node(&self, value: NodeValue) -> &'a AstNode<'a> {
        self.arena.alloc(AstNode::from(value))
    }

    fn rewrite(&mut self, node: &'a AstNode<'a>) {
        let value = node.data.borrow().value.clone();
        let replacement = match value {
            NodeValue::Image(link) => {
                let alt = text_of(node);
                Some(match self.svg(&link.url) {
                    Some(svg) => NodeValue::Raw(img(&svg, &alt, None)),
                    None => NodeValue::Text(
                        format!("[{alt}: {} is not an SVG of this run]", link.url).into(),
                    ),
                })
            }
            NodeValue::Link(mut link) => {
                if self.svg(&link.url).is_some() {
                    link.url = format!("#{}", self.figure(&link.url));
                    node.data.borrow_mut().value = NodeValue::Link(link);
                }
                None
            }
            NodeValue::HtmlBlock(block) => Some(NodeValue::Raw(match trusted(&block.literal) {
                Some(html) => html,
                None => format!("<pre>{}</pre>\n", escape(&block.literal)),
            })),
            NodeValue::HtmlInline(literal) => Some(match trusted(&literal) {
                Some(html) => NodeValue::Raw(html),
                None => NodeValue::Text(literal.into()),
            }),
            _ => None,
        };
        if let Some(value) = replacement {
            for child in node.children().collect::<Vec<_>>() {
                child.detach();
            }
            node.data.borrow_mut().value = value;
        }
    }

    /// The anchor of the figure that shows the SVG at `url`.
    fn figure(&mut self, url: &str) -> String {
        if let Some((_, id)) = self.figures.iter().find(|(u, _)| u == url) {
            return id.clone();
        }
        let id = format!("svg-{}", self.figures.len() + 1);
        self.figures.push((url.to_string(), id.clone()));
        id
    }

    /// The figures from `from` on, folded: one per SVG linked in a block.
    fn figures_fold(&self, from: usize) -> String {
        let shown = &self.figures[from..];
        let mut out = format!(
            "<details class=\"figures\"><summary>{} linked above, inline</summary>\n",
            if shown.len() == 1 {
                "The SVG".to_string()
            } else {
                format!("The {} SVGs", shown.len())
            }
        );
        for (url, id) in shown {
            let svg = self.svg(url).unwrap_or_default();
            // The caption links the file itself, which is interactive
            // (zoom, search) where it sits beside the page.
            let _ = writeln!(
                out,
                "<figure>{}<figcaption><a href=\"{}\"><code>{}</code></a></figcaption></figure>",
                img(&svg, url, Some(id)),
                escape(url),
                escape(url)
            );
        }
        out.push_str("</details>\n");
        out
    }

    /// The SVG at `url`: a chart of this report, or a file inside the run
    /// directory (a flame graph); not a URL with a scheme, an absolute path
    /// or one that leaves the directory.
    fn svg(&self, url: &str) -> Option<String> {
        let url = &percent_decoded(url)?;
        if let Some((_, svg)) = self.charts.iter().find(|(file, _)| file == url) {
            return Some(svg.clone());
        }
        let path = Path::new(url);
        let inside = !url.contains(':')
            && !url.contains(['?', '#', '\\'])
            && path.extension().is_some_and(|e| e == "svg")
            && path.components().all(|c| matches!(c, Component::Normal(_)));
        if !inside {
            return None;
        }
        let file = self.dir.join(path);
        let meta = std::fs::metadata(&file).ok()?;
        if !meta.is_file() || meta.len() > MAX_SVG_BYTES {
            return None;
        }
        std::fs::read_to_string(file).ok()
    }
}

/// `url` with its `%XX` escapes decoded (the report writes paths through
/// `escape::md_url`); `None` when that is not UTF-8.
fn percent_decoded(url: &str) -> Option<String> {
    let bytes = url.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// `<img>` of `svg` as a `data:` URL: an SVG shown as an image runs no script.
fn img(svg: &str, alt: &str, id: Option<&str>) -> String {
    let data = base64::engine::general_purpose::STANDARD.encode(svg);
    let id = id
        .map(|id| format!(" id=\"{}\"", escape(id)))
        .unwrap_or_default();
    format!(
        "<img{id} alt=\"{}\" src=\"data:image/svg+xml;base64,{data}\">",
        escape(alt)
    )
}

/// The plain text under `node` (an image's alt text).
fn text_of<'a>(node: &'a AstNode<'a>) -> String {
    let mut out = String::new();
    for n in node.descendants() {
        match &n.data.borrow().value {
            NodeValue::Text(t) => out.push_str(t),
            NodeValue::Code(c) => out.push_str(&c.literal),
            NodeValue::SoftBreak | NodeValue::LineBreak => out.push(' '),
            _ => {}
        }
    }
    out
}

/// `s` with `<`, `>`, `&` and `"` as character references.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    comrak::html::escape(&mut out, s).expect("writing to a String cannot fail");
    out
}

/// The raw HTML the report writes, rebuilt: `literal` made only of the
/// allowed tags (`<details>`, `<details open>`, `<summary>`, `<br>` and
/// their ends) and text without `<`, the text escaped. `None` for anything
/// else.
fn trusted(literal: &str) -> Option<String> {
    const ALLOWED: &[(&str, &str)] = &[
        ("<details>", "<details>"),
        ("<details open>", "<details open>"),
        ("</details>", "</details>"),
        ("<summary>", "<summary>"),
        ("</summary>", "</summary>"),
        ("<br>", "<br>"),
        ("<br/>", "<br>"),
        ("<br />", "<br>"),
    ];
    let mut out = String::new();
    let mut rest = literal;
    while !rest.is_empty() {
        if rest.starts_with('<') {
            let end = rest.find('>')? + 1;
            let tag = rest[..end].to_ascii_lowercase();
            let (_, clean) = ALLOWED.iter().find(|(t, _)| *t == tag)?;
            out.push_str(clean);
            rest = &rest[end..];
        } else {
            let end = rest.find('<').unwrap_or(rest.len());
            out.push_str(&escape(&rest[..end]));
            rest = &rest[end..];
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(markdown: &str) -> Rendered {
        Rendered {
            markdown: markdown.into(),
            charts: vec![(
                "charts/a.svg".into(),
                "<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'/>".into(),
            )],
        }
    }

    fn body(markdown: &str, dir: &Path) -> String {
        let r = crate::fixtures::results(
            "[experiment]\nworkload = \"mergesort\"\n[params]\nvariant = [\"sequential\", \"v3\"]\n",
            &[&[Some(1.0)], &[Some(2.0)]],
        );
        let page = page(dir, &r, &rendered(markdown));
        let start = page.find("<main>").unwrap() + "<main>".len();
        let end = page.find("</main>").unwrap();
        page[start..end].trim().to_string()
    }

    #[test]
    fn raw_html_is_text_unless_it_is_the_reports_own_folds() {
        let dir = tempfile::tempdir().unwrap();
        let b = body(
            "a <script>alert(1)</script> b <img src=x onerror=alert(2)>\n\n\
             <details><summary>More & less</summary>\n\n| x |\n|---|\n| 1 |\n\n</details>\n\n\
             <div onclick=\"x()\">hi</div>\n",
            dir.path(),
        );
        assert!(!b.contains("<script"), "{b}");
        assert!(!b.contains("<img"), "{b}");
        assert!(!b.contains("<div"), "{b}");
        assert!(
            b.contains("a &lt;script&gt;alert(1)&lt;/script&gt; b"),
            "{b}"
        );
        assert!(b.contains("&lt;img src=x onerror=alert(2)&gt;"), "{b}");
        assert!(
            b.contains("<details><summary>More &amp; less</summary>"),
            "{b}"
        );
        assert!(b.contains("</details>"), "{b}");
        assert!(
            b.contains("<pre>&lt;div onclick=&quot;x()&quot;&gt;hi&lt;/div&gt;"),
            "{b}"
        );
    }

    #[test]
    fn svgs_are_inlined_as_data_images_and_nothing_else_loads() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("points/00")).unwrap();
        let flame = "<svg xmlns='http://www.w3.org/2000/svg' width='20' height='5'><script>alert(1)</script></svg>";
        std::fs::write(dir.path().join("points/00/cpu.svg"), flame).unwrap();
        std::fs::write(dir.path().join("secret.svg"), flame).unwrap();
        std::fs::create_dir_all(dir.path().join("points/0 (1)")).unwrap();
        std::fs::write(dir.path().join("points/0 (1)/spans.svg"), flame).unwrap();
        let b = body(
            "![A chart](charts/a.svg)\n\n| p | cpu |\n|---|---|\n| x | [svg](points/00/cpu.svg) · [folded](points/00/cpu.folded) |\n\n\
             [spaced](points/0%20%281%29/spans.svg) [up2](points/%2e%2e/%2e%2e/secret.svg)\n\n\
             ![gone](charts/missing.svg) ![far](http://example.com/x.svg) [up](../secret.svg) [js](javascript:alert(1))\n",
            dir.path(),
        );
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let chart = rendered("").charts[0].1.clone();
        assert!(
            b.contains(&format!(
                "<img alt=\"A chart\" src=\"data:image/svg+xml;base64,{}\">",
                b64(&chart)
            )),
            "{b}"
        );
        // The flame graph: the link jumps to its figure, folded after the table.
        assert!(b.contains("<a href=\"#svg-1\">svg</a>"), "{b}");
        assert!(
            b.contains("<a href=\"points/00/cpu.folded\">folded</a>"),
            "{b}"
        );
        let table_end = b.find("</table>").unwrap();
        let figure = b
            .find(&format!(
                "<img id=\"svg-1\" alt=\"points/00/cpu.svg\" src=\"data:image/svg+xml;base64,{}\">",
                b64(flame)
            ))
            .unwrap();
        assert!(figure > table_end, "{b}");
        // A percent-encoded path (`escape::md_url`) is found; one that
        // climbs out is not.
        assert!(b.contains("<a href=\"#svg-2\">spaced</a>"), "{b}");
        assert!(
            b.contains("<a href=\"points/%2e%2e/%2e%2e/secret.svg\">up2</a>"),
            "{b}"
        );
        // Nothing outside the run's SVGs becomes an image; no other src at all.
        assert_eq!(b.matches(" src=\"").count(), 3, "{b}");
        assert!(
            b.contains("[gone: charts/missing.svg is not an SVG of this run]"),
            "{b}"
        );
        assert!(
            b.contains("[far: http://example.com/x.svg is not an SVG of this run]"),
            "{b}"
        );
        assert!(b.contains("<a href=\"../secret.svg\">up</a>"), "{b}");
        assert!(!b.contains("javascript:"), "{b}");
    }

    #[test]
    fn the_page_declares_its_policy_and_escapes_its_title() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = crate::fixtures::results(
            "[experiment]\nworkload = \"mergesort\"\n[params]\nvariant = [\"sequential\", \"v3\"]\n",
            &[&[Some(1.0)], &[Some(2.0)]],
        );
        r.plan.name = "</title><script>x()</script>".into();
        let p = page(dir.path(), &r, &rendered("# hi\n"));
        assert!(p.contains(&format!(
            "<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">"
        )));
        assert!(
            p.contains(
                "<title>&lt;/title&gt;&lt;script&gt;x()&lt;/script&gt;: tuner report</title>"
            ),
            "{p}"
        );
        assert!(!p.contains("<script"), "{p}");
    }
}
