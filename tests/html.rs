//! `report.html` in a real browser: Debian's headless Chromium loads each
//! page (`--dump-dom`, console to stderr) with a probe script beside it,
//! allowed by a hash in the page's own Content-Security-Policy, that
//! writes what the page did into the DOM: script errors and failed loads,
//! each image's natural size, the page's scroll width at a 1,280-px window.
//! Every committed report must open with no console message, every chart
//! and flame graph drawn, nothing loaded from outside and nothing wider
//! than the window. A real run whose names, description and stderr hold
//! `<script>` and `<img onerror=…>` must show them as text and run
//! nothing, in the HTML (with and without its policy) and in the markdown.
//!
//! Under `CI=true` a missing Chromium fails these tests (`.ci/run`
//! installs it); elsewhere they say SKIPPED.

mod common;

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use comrak::nodes::NodeValue;
use comrak::{parse_document, Arena, Options};
use sha2::{Digest, Sha256};

/// The window the pages must fit.
const WIDTH: u32 = 1280;

/// Writes what the page did into `<pre id="tuner-probe">` once it loaded.
const PROBE: &str = r#"(function () {
  var errors = [];
  addEventListener('error', function (e) {
    var t = e.target;
    errors.push(t && t.tagName ? 'failed to load ' + t.tagName + ' ' + String(t.src || t.href).slice(0, 80) : String(e.message));
  }, true);
  addEventListener('load', function () {
    var images = Array.prototype.map.call(document.images, function (i) {
      return { w: i.naturalWidth, h: i.naturalHeight, src: i.getAttribute('src').slice(0, 26), alt: i.alt };
    });
    var report = {
      errors: errors,
      images: images,
      scrollWidth: document.documentElement.scrollWidth,
      scripts: document.scripts.length,
      title: document.title,
      pwned: document.documentElement.hasAttribute('data-pwned'),
      text: document.body.textContent
    };
    var pre = document.createElement('pre');
    pre.id = 'tuner-probe';
    pre.textContent = JSON.stringify(report);
    document.body.appendChild(pre);
  });
})();"#;

/// Debian's Chromium (or `$CHROMIUM`); `None` (SKIPPED) when absent,
/// except under CI, where its absence fails the test.
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    let runs = Command::new(&path)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if runs {
        return Some(path);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "{} does not run: install Debian's chromium (apt-get install chromium), as .ci/run does",
            path.display()
        );
    }
    eprintln!(
        "SKIPPED browser test: {} does not run (apt-get install chromium)",
        path.display()
    );
    None
}

/// What a page did in the browser.
struct Loaded {
    /// The DOM after the load event, serialised.
    dom: String,
    /// The console's messages (errors, CSP violations, logs).
    console: Vec<String>,
    /// The probe's report, when the page ran it.
    probe: Option<serde_json::Value>,
}

/// Loads `page` in headless Chromium at a `WIDTH`-px window.
fn load(chromium: &Path, page: &Path) -> Loaded {
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=10000",
            &format!("--window-size={WIDTH},900"),
            &format!("--user-data-dir={}", profile.path().display()),
            "--dump-dom",
        ])
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting chromium");
    // Read both pipes while waiting, with a deadline: a hung browser fails
    // the test instead of hanging it.
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium took over 120 s on {}", page.display());
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let (dom, stderr) = (out.join().unwrap(), err.join().unwrap());
    assert!(
        status.success(),
        "chromium failed on {}: {stderr}",
        page.display()
    );
    let console = stderr
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(String::from)
        .collect();
    let probe = dom.find("<pre id=\"tuner-probe\">").map(|start| {
        let text = &dom[start + "<pre id=\"tuner-probe\">".len()..];
        let text = &text[..text.find("</pre>").expect("the probe's end")];
        let json = text
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&nbsp;", "\u{a0}")
            .replace("&amp;", "&");
        serde_json::from_str(&json).expect("the probe's JSON")
    });
    Loaded {
        dom,
        console,
        probe,
    }
}

/// The page's Content-Security-Policy `<meta>`, as written.
fn csp_meta() -> String {
    format!(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"{}\">",
        tuner::__private::report::html::CSP
    )
}

/// A copy of `html` beside it with the probe at the end of its head: its
/// policy kept and the probe allowed by its hash, or (`keep_policy`
/// false) the policy removed.
fn probed(page: &Path, html: &str, keep_policy: bool) -> PathBuf {
    let meta = csp_meta();
    assert_eq!(
        html.matches(&meta).count(),
        1,
        "{}: the policy",
        page.display()
    );
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(PROBE));
    let policy = if keep_policy {
        meta.replace(
            "default-src 'none';",
            &format!("default-src 'none'; script-src 'sha256-{hash}';"),
        )
    } else {
        String::new()
    };
    let html = html.replacen(&meta, &policy, 1).replacen(
        "</head>",
        &format!("<script>{PROBE}</script>\n</head>"),
        1,
    );
    let copy = page.with_file_name(if keep_policy {
        "probed.html"
    } else {
        "probed-no-policy.html"
    });
    std::fs::write(&copy, html).unwrap();
    copy
}

/// The committed run folders (tuner's and the logagg example's).
fn committed_runs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut runs = Vec::new();
    for dir in [root.join("reports"), root.join("examples/logagg/reports")] {
        collect_runs(&dir, &mut runs);
    }
    runs.sort();
    runs
}

fn collect_runs(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.join("results.json").is_file() {
            out.push(path);
        } else if path.is_dir() {
            collect_runs(&path, out);
        }
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            copy_dir(&path, &to.join(entry.file_name()));
        } else {
            std::fs::copy(&path, to.join(entry.file_name())).unwrap();
        }
    }
}

/// What is wrong with a page the browser loaded with the probe: console
/// messages, failed loads, images not drawn, a page wider than the window.
fn page_problems(name: &str, html: &str, loaded: &Loaded) -> Vec<String> {
    let mut found: Vec<String> = loaded
        .console
        .iter()
        .map(|l| format!("{name}: console: {l}"))
        .collect();
    let Some(p) = &loaded.probe else {
        found.push(format!("{name}: the probe did not run"));
        return found;
    };
    for e in p["errors"].as_array().unwrap() {
        found.push(format!("{name}: {e}"));
    }
    let images = p["images"].as_array().unwrap();
    let inlined = html.matches("src=\"data:image/svg+xml;base64,").count();
    if images.len() != inlined {
        found.push(format!(
            "{name}: {} images in the DOM, {inlined} inlined SVGs in the file",
            images.len()
        ));
    }
    for img in images {
        if img["w"].as_u64() == Some(0) || img["h"].as_u64() == Some(0) {
            found.push(format!("{name}: image {} was not drawn: {img}", img["alt"]));
        }
        if img["src"] != "data:image/svg+xml;base64," {
            found.push(format!("{name}: image from outside the page: {img}"));
        }
    }
    let width = p["scrollWidth"].as_u64().unwrap();
    if width > u64::from(WIDTH) {
        found.push(format!("{name}: {width} px wide at a {WIDTH}-px window"));
    }
    if p["scripts"] != 1 {
        found.push(format!(
            "{name}: {} scripts, where the probe is the only one",
            p["scripts"]
        ));
    }
    found
}

#[test]
fn every_committed_report_opens_whole_in_a_browser() {
    let Some(chromium) = chromium() else {
        return;
    };
    let runs = committed_runs();
    assert!(runs.len() >= 10, "committed runs: {runs:?}");
    let tmp = tempfile::tempdir().unwrap();
    let mut problems = Vec::new();
    for (i, run) in runs.iter().enumerate() {
        let name = run
            .strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .unwrap()
            .display()
            .to_string();
        let dir = tmp.path().join(i.to_string());
        copy_dir(run, &dir);
        // The run folder form of `tuner report`, with --html.
        let out = common::stdout(
            common::tuner()
                .args(["report", "--html"])
                .arg(&dir)
                .assert()
                .success(),
        );
        assert!(out.contains("report.html"), "{out}");
        let page = dir.join("report.html");
        let html = std::fs::read_to_string(&page).unwrap();
        for outside in ["<link", "url(", "<iframe", "<object", "<embed"] {
            if html.contains(outside) {
                problems.push(format!("{name}: holds {outside}"));
            }
        }
        let charts = std::fs::read_dir(dir.join("charts"))
            .map(|d| d.count())
            .unwrap_or(0);
        let loaded = load(&chromium, &probed(&page, &html, true));
        let images = loaded
            .probe
            .as_ref()
            .map_or(0, |p| p["images"].as_array().unwrap().len());
        let width = loaded
            .probe
            .as_ref()
            .map_or(0, |p| p["scrollWidth"].as_u64().unwrap());
        println!(
            "{name}: {} KB, {images} images ({charts} charts), {width} px wide, {} console messages",
            html.len() / 1024,
            loaded.console.len()
        );
        if images < charts {
            problems.push(format!("{name}: {images} images for {charts} charts"));
        }
        problems.extend(page_problems(&name, &html, &loaded));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The hostile run's strings, as its config sets them.
const SCRIPT: &str = "<script>document.title='INJECTED'</script>";
const IMG: &str = "<img src=x onerror=document.documentElement.setAttribute('data-pwned',1)>";

/// A real run of a command whose environment values, description and
/// stderr hold markup: `a | b` fails, printing both payloads to stderr.
fn hostile_run(dir: &Path) -> PathBuf {
    let toml_str = |s: &str| toml::Value::String(s.into()).to_string();
    let body = format!(
        "# markup in every string a report prints\n\
         [experiment]\nname = \"hostile\"\ndescription = {}\n\
         [command]\nargv = [\"/bin/sh\", \"-c\", {}]\n\
         [matrix.env]\nLABEL = [{}, {}, \"a | b\", \"two\\nlines\", {}]\n\
         [measure]\nprocesses = 3\n",
        toml_str(&format!("{SCRIPT} a | b\n# not a heading")),
        toml_str(&format!(
            "if [ \"$LABEL\" = 'a | b' ]; then printf '%s | %s\\n' \"{}\" \"{}\" >&2; exit 3; fi",
            SCRIPT, IMG
        )),
        toml_str(SCRIPT),
        toml_str(IMG),
        toml_str("`tick` *em* [x](javascript:alert(1))"),
    );
    let config = common::config(dir, "hostile.toml", &body);
    // One point fails on purpose: exit 1, the report written.
    common::tuner()
        .args(["run", "-q", "--html"])
        .arg(&config)
        .assert()
        .code(1);
    common::run_dir(dir, "hostile")
}

#[test]
fn markup_in_names_and_stderr_is_text_in_the_markdown() {
    let tmp = tempfile::tempdir().unwrap();
    let run = hostile_run(tmp.path());
    let md = std::fs::read_to_string(run.join("report.md")).unwrap();
    let mut options = Options::default();
    options.extension.table = true;
    options.extension.footnotes = true;
    options.extension.strikethrough = true;
    let arena = Arena::new();
    let root = parse_document(&arena, &md, &options);
    let mut text = String::new();
    for node in root.descendants() {
        match &node.data.borrow().value {
            NodeValue::Text(t) => text.push_str(t),
            NodeValue::HtmlInline(h) => panic!("raw HTML in report.md: {h}"),
            NodeValue::HtmlBlock(h) => assert!(
                h.literal.starts_with("<details><summary>") || h.literal.trim() == "</details>",
                "raw HTML in report.md: {}",
                h.literal
            ),
            NodeValue::Link(l) | NodeValue::Image(l) => {
                panic!("a link from a config value in report.md: {}", l.url)
            }
            NodeValue::Table(t) => {
                // Every row has the header's cells: no value split one.
                for row in node.children() {
                    assert_eq!(row.children().count(), t.num_columns, "{md}");
                }
            }
            _ => {}
        }
    }
    for shown in [
        SCRIPT,
        IMG,
        "LABEL=a | b",
        "two␊lines",
        "`tick` *em* [x](javascript:alert(1))",
        "a | b␊# not a heading",
    ] {
        assert!(text.contains(shown), "{shown:?} is not text in:\n{md}");
    }
    // The point named `a | b` is one row with its failure, in the table of all points.
    assert!(
        md.lines()
            .any(|l| l.starts_with("| a \\| b | – |") && l.ends_with("| 0 (3 failed) |")),
        "{md}"
    );
    // Its stderr, in the checks, is text too.
    assert!(
        text.contains(&format!("exited with code 3: {SCRIPT} | {IMG}")),
        "{md}"
    );
}

#[test]
fn markup_in_names_and_stderr_runs_nothing_in_the_browser() {
    let Some(chromium) = chromium() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let run = hostile_run(tmp.path());
    let page = run.join("report.html");
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(!html.contains("<script"), "a script in the page");
    assert!(
        !html.contains("<img src=x"),
        "an injected image in the page"
    );

    // As written (policy on): nothing even tried to run, so no violation.
    let plain = load(&chromium, &page);
    assert!(plain.console.is_empty(), "{:?}", plain.console);
    assert!(plain.probe.is_none());
    assert!(
        !plain.dom.contains("<html lang=\"en\" data-pwned"),
        "{}",
        plain.dom
    );
    assert!(plain.dom.contains("<title>hostile: tuner report</title>"));

    // With the probe, policy on and off: the payloads are text, the page
    // ran no script but the probe and drew no image.
    for keep_policy in [true, false] {
        let loaded = load(&chromium, &probed(&page, &html, keep_policy));
        let problems = page_problems("hostile", &html, &loaded);
        assert!(problems.is_empty(), "policy {keep_policy}: {problems:?}");
        let p = loaded.probe.unwrap();
        assert_eq!(p["title"], "hostile: tuner report", "{p}");
        assert_eq!(p["pwned"], false, "{p}");
        assert_eq!(p["images"].as_array().unwrap().len(), 0, "{p}");
        let text = p["text"].as_str().unwrap();
        for shown in [
            SCRIPT,
            IMG,
            "a | b",
            "two␊lines",
            "[x](javascript:alert(1))",
        ] {
            assert!(text.contains(shown), "{shown:?} not shown as text");
        }
        println!(
            "hostile (policy {}): title {:?}, data-pwned {}, {} console messages, payloads shown as text",
            if keep_policy { "on" } else { "off" },
            p["title"],
            p["pwned"],
            loaded.console.len()
        );
    }
}

/// The checks can fail: a page wider than the window, an image that does
/// not draw, an image from outside and a console error are each reported.
#[test]
fn the_browser_checks_catch_a_wide_page_a_broken_image_and_an_error() {
    let Some(chromium) = chromium() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let page = tmp.path().join("report.html");
    let broken = base64::engine::general_purpose::STANDARD
        .encode("<svg xmlns='http://www.w3.org/2000/svg'><unclosed></svg>");
    let html = format!(
        "<!DOCTYPE html><html><head>{}<title>t</title></head><body>\
         <pre style=\"width: 2000px\">wide</pre>\
         <img alt=\"broken\" src=\"data:image/svg+xml;base64,{broken}\">\
         <img alt=\"outside\" src=\"file:///nonexistent.svg\">\
         </body></html>",
        csp_meta()
    );
    std::fs::write(&page, &html).unwrap();
    let loaded = load(&chromium, &probed(&page, &html, true));
    let problems = page_problems("control", &html, &loaded).join("\n");
    println!("{problems}");
    for expected in [
        " px wide at a 1280-px window",
        "image \"broken\" was not drawn",
        "image from outside the page",
        "2 images in the DOM, 1 inlined SVGs in the file",
        "control: console:",
        "failed to load IMG",
    ] {
        assert!(
            problems.contains(expected),
            "{expected:?} not found in:\n{problems}"
        );
    }
}
