//! `tuner history site -o DIR`: a static dashboard that opens offline.
//! `index.html` lists every point with its latest value and change;
//! `point-N.html` draws each segment of the point's series as an inline
//! SVG chart, change points marked, every run a link to its report, and
//! lists the runs. No script at all (the pages forbid scripts by their
//! content security policy), and every string from the database is
//! escaped, so a name or commit message holding markup shows as text.
//!
//! The chart is a small hand-written SVG rather than plotters: each
//! marker must be a link with a tooltip, which plotters' SVG backend
//! cannot attach.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::check::{commit_range, CheckReport, Finding};
use super::series::{History, Segment, Series};

const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}\
table{border-collapse:collapse}td,th{padding:2px 8px;border-bottom:1px solid #ddd;text-align:left}\
td.n{text-align:right;font-variant-numeric:tabular-nums}.up{color:#b00}.down{color:#070}\
svg{border:1px solid #ccc;background:#fff}code{font-size:90%}";

/// Writes the site for `history` into `dir`; `db_dir` is the folder the
/// database's report paths are relative to. Returns the pages written.
pub(crate) fn write(
    history: &History,
    report: &CheckReport,
    db_dir: &Path,
    dir: &Path,
) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let site = dir
        .canonicalize()
        .with_context(|| format!("reading {}", dir.display()))?;
    let mut pages = Vec::new();
    for (i, series) in history.series.iter().enumerate() {
        let path = dir.join(page_name(i));
        let html = point_page(history, report, i, series, db_dir, &site);
        crate::fsio::write_atomic(&path, html)
            .with_context(|| format!("writing {}", path.display()))?;
        pages.push(path);
    }
    let index = dir.join("index.html");
    crate::fsio::write_atomic(&index, index_page(history, report))
        .with_context(|| format!("writing {}", index.display()))?;
    pages.insert(0, index);
    Ok(pages)
}

fn page_name(series: usize) -> String {
    format!("point-{}.html", series + 1)
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <title>{}</title><style>{STYLE}</style></head>\n<body>\n{body}</body></html>\n",
        esc(title)
    )
}

fn index_page(history: &History, report: &CheckReport) -> String {
    let mut b = String::from("<h1>tuner history</h1>\n");
    let _ = writeln!(
        b,
        "<p>{} runs, {} series. Change points: E-Divisive means on log values, Student t-test p &lt; {}, at least {} runs a side.</p>",
        history.runs.len(),
        history.series.len(),
        report.settings.alpha,
        report.settings.min_size
    );
    b.push_str("<table id=\"points\">\n<tr><th>experiment</th><th>point</th><th>value</th><th>runs</th><th>latest</th><th>latest change</th></tr>\n");
    for (i, s) in history.series.iter().enumerate() {
        let runs: usize = s.segments.iter().map(|g| g.entries.len()).sum();
        let last = s.segments.last().and_then(|g| g.entries.last());
        let latest = last.map_or(String::new(), |e| number(e.value()));
        let change = report
            .findings
            .iter()
            .filter(|f| f.series == i)
            .max_by_key(|f| (f.segment, f.after.0))
            .map_or_else(
                || {
                    if s.is_reference() {
                        "reference (not checked)".into()
                    } else {
                        "none".into()
                    }
                },
                |f| change_text(history, s, f),
            );
        let _ = writeln!(
            b,
            "<tr><td>{}</td><td><a href=\"{}\">{}</a></td><td>{}</td><td class=\"n\">{runs}</td><td class=\"n\">{latest}</td><td>{change}</td></tr>",
            esc(&s.experiment),
            page_name(i),
            esc(&s.label),
            esc(&s.unit()),
        );
    }
    b.push_str("</table>\n");
    page("tuner history", &b)
}

/// `+3.02% [+2.4, +3.6] in abc..def`, escaped, classed by direction.
fn change_text(history: &History, s: &Series, f: &Finding) -> String {
    let (pct, (lo, hi)) = f.percent();
    format!(
        "<span class=\"{}\">{pct:+.2}%</span> [{lo:+.2}, {hi:+.2}] in <code>{}</code>",
        if pct > 0.0 { "up" } else { "down" },
        esc(&commit_range(history, s, f))
    )
}

fn point_page(
    history: &History,
    report: &CheckReport,
    index: usize,
    s: &Series,
    db_dir: &Path,
    site: &Path,
) -> String {
    let mut b = String::new();
    let _ = writeln!(
        b,
        "<p><a href=\"index.html\">all points</a></p>\n<h1>{}</h1>\n<p class=\"axes\">{}</p>\n<p>{}; config <code>{}</code>.</p>",
        esc(&s.name()),
        esc(&s
            .coords
            .iter()
            .map(|(a, v)| format!("{a}={v}"))
            .collect::<Vec<_>>()
            .join(" ")),
        esc(&s.unit()),
        esc(&s.config_digest[..12.min(s.config_digest.len())])
    );
    for (gi, g) in s.segments.iter().enumerate() {
        let first = &history.runs[g.entries[0].run];
        let findings: Vec<&Finding> = report
            .findings
            .iter()
            .filter(|f| f.series == index && f.segment == gi)
            .collect();
        let _ = writeln!(
            b,
            "<h2>Segment {}: {}, {}, {}</h2>",
            gi + 1,
            esc(&first.cpu_model),
            esc(&first.kernel),
            esc(&first.rustc)
        );
        for f in &findings {
            let _ = writeln!(
                b,
                "<p class=\"change\">Change at run {}: {}</p>",
                f.after.0 + 1,
                change_text(history, s, f)
            );
        }
        b.push_str(&chart(history, g, &findings, db_dir, site));
        b.push_str(&runs_table(history, g, db_dir, site));
    }
    page(&s.name(), &b)
}

const W: f64 = 760.0;
const H: f64 = 240.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 10.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 30.0;

/// One segment's values: a line, a linked marker per run, a dashed line
/// at each change point and the mean of each stretch between them.
fn chart(
    history: &History,
    g: &Segment,
    findings: &[&Finding],
    db_dir: &Path,
    site: &Path,
) -> String {
    let values: Vec<f64> = g.entries.iter().map(|e| e.value()).collect();
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let (lo, hi) = finite
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
    let (lo, hi) = if finite.is_empty() {
        (0.0, 1.0)
    } else if hi - lo < 1e-9 * hi.abs().max(1.0) {
        (lo * 0.99, hi * 1.01 + 1e-12)
    } else {
        let pad = (hi - lo) * 0.08;
        (lo - pad, hi + pad)
    };
    let n = values.len();
    let x = |i: f64| LEFT + (W - LEFT - RIGHT) * if n > 1 { i / (n - 1) as f64 } else { 0.5 };
    let y = |v: f64| TOP + (H - TOP - BOTTOM) * (1.0 - (v - lo) / (hi - lo));
    let mut svg = format!(
        "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" role=\"img\">\n"
    );
    for k in 0..=4 {
        let v = lo + (hi - lo) * k as f64 / 4.0;
        let _ = writeln!(
            svg,
            "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#eee\"/><text x=\"{}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\">{}</text>",
            W - RIGHT,
            LEFT - 4.0,
            y(v) + 4.0,
            number(v),
            y = y(v)
        );
    }
    let _ = writeln!(
        svg,
        "<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">run (first-parent order)</text>",
        (LEFT + W - RIGHT) / 2.0,
        H - 8.0
    );
    // The mean of each stretch between change points.
    let mut cuts: Vec<usize> = findings.iter().map(|f| f.after.0).collect();
    cuts.sort_unstable();
    let bounds: Vec<usize> = std::iter::once(0)
        .chain(cuts.iter().copied())
        .chain(std::iter::once(n))
        .collect();
    for w in bounds.windows(2) {
        let part: Vec<f64> = values[w[0]..w[1]]
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .collect();
        if part.is_empty() {
            continue;
        }
        let mean = part.iter().sum::<f64>() / part.len() as f64;
        let _ = writeln!(
            svg,
            "<line class=\"mean\" x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{m:.1}\" y2=\"{m:.1}\" stroke=\"#888\" stroke-width=\"2\"/>",
            x(w[0] as f64),
            x((w[1] - 1) as f64),
            m = y(mean)
        );
    }
    for f in findings {
        let cx = x(f.after.0 as f64 - 0.5);
        let (pct, _) = f.percent();
        let _ = writeln!(
            svg,
            "<line class=\"changepoint\" x1=\"{cx:.1}\" x2=\"{cx:.1}\" y1=\"{TOP}\" y2=\"{}\" stroke=\"#c00\" stroke-dasharray=\"4 3\"/><text x=\"{:.1}\" y=\"{}\" font-size=\"11\" fill=\"#c00\">{pct:+.1}%</text>",
            H - BOTTOM,
            cx + 3.0,
            TOP + 12.0
        );
    }
    let points: Vec<String> = values
        .iter()
        .enumerate()
        .filter(|(_, v)| v.is_finite())
        .map(|(i, v)| format!("{:.1},{:.1}", x(i as f64), y(*v)))
        .collect();
    let _ = writeln!(
        svg,
        "<polyline class=\"series\" fill=\"none\" stroke=\"#36c\" stroke-width=\"1.5\" points=\"{}\"/>",
        points.join(" ")
    );
    for (i, (e, v)) in g.entries.iter().zip(&values).enumerate() {
        if !v.is_finite() {
            continue;
        }
        let run = &history.runs[e.run];
        let tip = format!(
            "run {}: {} {} {}",
            i + 1,
            run.short_commit(),
            number(*v),
            run.message.as_deref().unwrap_or("")
        );
        let marker = format!(
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3.5\" fill=\"#36c\"><title>{}</title></circle>",
            x(i as f64),
            y(*v),
            esc(&tip)
        );
        match report_href(run.report.as_deref(), db_dir, site) {
            Some(href) => {
                let _ = writeln!(svg, "<a class=\"run\" href=\"{}\">{marker}</a>", esc(&href));
            }
            None => {
                let _ = writeln!(svg, "{marker}");
            }
        }
    }
    svg.push_str("</svg>\n");
    svg
}

fn runs_table(history: &History, g: &Segment, db_dir: &Path, site: &Path) -> String {
    let mut t = format!("<table class=\"runs\">\n<tr><th>run</th><th>commit</th><th>date</th><th>{}</th><th>ratio</th><th>processes</th><th>message</th><th>report</th></tr>\n", history.metric.unit());
    for (i, e) in g.entries.iter().enumerate() {
        let run = &history.runs[e.run];
        let link = report_href(run.report.as_deref(), db_dir, site).map_or(String::new(), |h| {
            format!(
                "<a class=\"report\" href=\"{}\">{}</a>",
                esc(&h),
                esc(&run.run_id)
            )
        });
        let _ = writeln!(
            t,
            "<tr><td class=\"n\">{}</td><td><code>{}</code></td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td><td>{link}</td></tr>",
            i + 1,
            esc(run.short_commit()),
            esc(&run.date),
            number(e.ns_per_op),
            e.relative.map_or("–".into(), |r| format!("{r:.4}")),
            e.processes,
            esc(run.message.as_deref().unwrap_or("")),
        );
    }
    t.push_str("</table>\n");
    t
}

/// The link from the site to a report stored relative to `db_dir`:
/// relative, each part percent-encoded; `None` for a path that is not a
/// plain relative path (a scheme, a query) or no report.
fn report_href(report: Option<&str>, db_dir: &Path, site: &Path) -> Option<String> {
    let report = Path::new(report?);
    if report.is_absolute() || report.to_string_lossy().contains(':') {
        return None;
    }
    let target = lexical(&db_dir.join(report));
    let rel = pathdiff::diff_paths(&target, site)?;
    let parts: Vec<String> = rel
        .components()
        .map(|c| percent_encode(&c.as_os_str().to_string_lossy()))
        .collect();
    Some(parts.join("/"))
}

/// `path` with `.` and `..` resolved by its components (the report may
/// be gone; the link is still made).
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes all but RFC 3986's unreserved characters.
fn percent_encode(part: &str) -> String {
    let mut out = String::new();
    for b in part.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Escapes text for HTML content and quoted attributes.
pub(crate) fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A value to 4 significant figures.
fn number(v: f64) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    let digits = if v == 0.0 {
        0
    } else {
        (3 - v.abs().log10().floor() as i32).max(0) as usize
    };
    format!("{v:.digits$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_is_escaped_and_links_are_plain_relative_paths() {
        assert_eq!(
            esc("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        let db = Path::new("/h/reports");
        let site = Path::new("/h/site");
        assert_eq!(
            report_href(Some("selfcheck/run 1/report.md"), db, site).as_deref(),
            Some("../reports/selfcheck/run%201/report.md")
        );
        assert_eq!(
            report_href(Some("../other/./r.md"), db, site).as_deref(),
            Some("../other/r.md")
        );
        assert_eq!(report_href(Some("javascript:alert(1)"), db, site), None);
        assert_eq!(report_href(Some("/etc/passwd"), db, site), None);
        assert_eq!(report_href(None, db, site), None);
    }

    #[test]
    fn numbers_keep_four_significant_figures() {
        assert_eq!(number(1.02345), "1.023");
        assert_eq!(number(2612.37), "2612");
        assert_eq!(number(0.5), "0.5000");
        assert_eq!(number(f64::NAN), "–");
    }
}
