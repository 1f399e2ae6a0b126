//! `tuner history` end to end: a history of results files with a known
//! step is added, checked (the step found at its run, with its commit
//! range and size), shown and drawn; adding twice changes nothing; a
//! damaged file is refused by name with nothing written; `tuner run
//! --history` adds as it finishes; and the site, driven by a real headless
//! Chromium, renders every chart without console errors, follows a run's
//! link to its report and shows markup from the database as text.
//! Without chromium the browser test is skipped with a notice, except
//! under `CI=true`, where it fails (`.ci/run` installs it).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{config, fake_results, stdout, tuner};
use predicates::str::contains;

const CONFIG: &str = r#"
[experiment]
name = "hist"
workload = "selfcheck"
[params]
variant = "spin"
steps = [5, 10]
[matrix]
threads = [1]
allocator = ["system"]
[matrix.env]
HIST_LABEL = ["<i>plain</i>"]
[measure]
processes = 5
"#;

const MARKUP: &str = "<script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\"><b>bold</b>";

/// Run `i` (1-based) of a synthetic history: the reference point at
/// 100 ns/op times a drift of the day (±5%, which the ratio cancels), the
/// other at 200 ns/op, 3% slower from run `change_at` on.
fn synthetic_run(dir: &Path, i: usize, change_at: usize) -> PathBuf {
    let drift = 1.0 + 0.05 * ((i * 7 % 11) as f64 / 5.0 - 1.0);
    let step = if i >= change_at { 1.03 } else { 1.0 };
    // Small spread between processes, different every run.
    let spread = |k: usize| 1.0 + 0.002 * (((i * 3 + k * 5) % 7) as f64 - 3.0);
    let reference: Vec<f64> = (0..5).map(|k| 100.0 * drift * spread(k)).collect();
    let changed: Vec<f64> = (0..5)
        .map(|k| 200.0 * drift * step * spread(k + 1))
        .collect();
    let mut results = fake_results(CONFIG, &[reference, changed], 1);
    results.run_id = format!("2026-01-{i:02}T00-00-00Z");
    results.environment.date = format!("2026-01-{i:02}T00:00:00Z");
    let run = dir.join(format!("run-{i:02}"));
    std::fs::create_dir_all(&run).unwrap();
    results.save(&run.join("results.json")).unwrap();
    std::fs::write(run.join("report.md"), format!("# report of run {i}\n")).unwrap();
    run
}

fn commit(i: usize) -> String {
    format!("v{i:03}")
}

/// Adds `runs` synthetic runs to `db`, run `i` at commit `c<i>`.
fn history(dir: &Path, db: &Path, runs: usize, change_at: usize) {
    for i in 1..=runs {
        let run = synthetic_run(dir, i, change_at);
        let message = if i == change_at {
            MARKUP.to_string()
        } else {
            format!("commit {i}")
        };
        tuner()
            .args(["history", "add"])
            .arg(&run)
            .arg("--db")
            .arg(db)
            .args(["--commit", &commit(i), "--parent", &commit(i - 1)])
            .args(["--message", &message])
            .assert()
            .success();
    }
}

fn count(db: &Path, table: &str) -> i64 {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

#[test]
fn a_three_percent_step_is_found_at_its_run_and_commit() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h/history.sqlite");
    history(dir.path(), &db, 20, 12);
    assert_eq!(count(&db, "runs"), 20);
    assert_eq!(count(&db, "processes"), 200);
    let out = stdout(
        tuner()
            .args(["history", "check", "--db"])
            .arg(&db)
            .args(["--fail-on", "slower"])
            .assert()
            .code(1)
            .stderr(contains("hist")),
    );
    assert!(out.contains("1 change"), "{out}");
    // Run 12 is the first after the change; the commits v011..v012 bound it.
    assert!(out.contains("at run 12 of 20 (commits v011..v012"), "{out}");
    let line = out.lines().find(|l| l.contains("at run 12")).unwrap();
    let pct: f64 = line.trim().split('%').next().unwrap().parse().unwrap();
    assert!((pct - 3.0).abs() < 0.3, "{line}");
    assert!(
        out.contains("before: runs 1–11 (11), after: runs 12–20 (9)"),
        "{out}"
    );
    // The same history without the step: nothing, and --fail-on passes.
    let calm = dir.path().join("calm.sqlite");
    let calm_dir = dir.path().join("calm");
    std::fs::create_dir_all(&calm_dir).unwrap();
    history(&calm_dir, &calm, 20, usize::MAX);
    let out = stdout(
        tuner()
            .args(["history", "check", "--fail-on", "change", "--db"])
            .arg(&calm)
            .assert()
            .success(),
    );
    assert!(out.contains("no change"), "{out}");
    // The drift cancels only through the reference: on absolute values
    // the ±5% of the days hides the step.
    let show = stdout(
        tuner()
            .args(["history", "show", "steps=10", "--db"])
            .arg(&db)
            .assert()
            .success(),
    );
    assert!(show.contains("ratio to steps=5"), "{show}");
    assert!(show.contains("---- change +"), "{show}");
    assert_eq!(
        show.lines().filter(|l| l.contains("  v0")).count(),
        20,
        "{show}"
    );
    tuner()
        .args(["history", "show", "steps=99", "--db"])
        .arg(&db)
        .assert()
        .code(2)
        .stderr(contains("no point matches `steps=99`"));
}

#[test]
fn a_new_machine_starts_a_segment_and_raises_no_alert() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.sqlite");
    // Absolute values (no reference), 10% slower on the second machine.
    for i in 1..=20 {
        let machine_b = i > 10;
        let scale = if machine_b { 1.1 } else { 1.0 };
        let ns = |base: f64| {
            (0..5)
                .map(|k| base * scale * (1.0 + 0.001 * k as f64))
                .collect()
        };
        let mut results = fake_results(CONFIG, &[ns(100.0), ns(200.0)], 1);
        results.run_id = format!("2026-02-{i:02}T00-00-00Z");
        if machine_b {
            results.environment.cpu_model = "Another CPU".into();
        }
        let file = common::save(dir.path(), &format!("r{i}.json"), &results);
        tuner()
            .args(["history", "add", "--reference", "none", "--db"])
            .arg(&db)
            .arg(&file)
            .args(["--commit", &commit(i), "--parent", &commit(i - 1)])
            .assert()
            .success();
    }
    let out = stdout(
        tuner()
            .args(["history", "check", "--fail-on", "change", "--db"])
            .arg(&db)
            .assert()
            .success(),
    );
    assert!(
        out.contains("hist steps=10 (ns/op; 20 runs, 2 segments): no change"),
        "{out}"
    );
    let show = stdout(
        tuner()
            .args(["history", "show", "steps=5", "--db"])
            .arg(&db)
            .assert()
            .success(),
    );
    assert!(
        show.contains("segment 1 (Test CPU,") && show.contains("segment 2 (Another CPU,"),
        "{show}"
    );
}

#[test]
fn fail_on_looks_at_the_recent_runs_only() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.sqlite");
    history(dir.path(), &db, 20, 12);
    // Run 12 of 20 is among the last 10 runs, not among the last 5.
    for (recent, code) in [("10", 1), ("5", 0)] {
        tuner()
            .args([
                "history",
                "check",
                "--fail-on",
                "change",
                "--recent",
                recent,
                "--db",
            ])
            .arg(&db)
            .assert()
            .code(code);
    }
}

#[test]
fn the_step_summary_gets_the_markdown() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.sqlite");
    history(dir.path(), &db, 16, 9);
    let summary = dir.path().join("summary.md");
    tuner()
        .args(["history", "check", "--db"])
        .arg(&db)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .assert()
        .success();
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(md.contains("## tuner history check"), "{md}");
    assert!(
        md.contains("| hist steps=10 | ns/op ratio to steps=5 | +2.99%"),
        "{md}"
    );
    assert!(md.contains("| 9 of 16 | `v008..v009` | 8 / 8 |"), "{md}");
}

#[test]
fn adding_a_run_twice_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.sqlite");
    let run = synthetic_run(dir.path(), 1, 99);
    for expected in [
        "1 run added, 0 already there",
        "0 runs added, 1 already there",
    ] {
        tuner()
            .args(["history", "add"])
            .arg(&run)
            .arg("--db")
            .arg(&db)
            .args(["--commit", "abc"])
            .assert()
            .success()
            .stdout(contains(expected));
    }
    assert_eq!(count(&db, "runs"), 1);
    assert_eq!(count(&db, "processes"), 10);
}

#[test]
fn a_damaged_file_is_refused_by_name_and_nothing_is_added() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.sqlite");
    let good = synthetic_run(dir.path(), 1, 99);
    let damaged = synthetic_run(dir.path(), 2, 99).join("results.json");
    let text = std::fs::read_to_string(&damaged).unwrap();
    std::fs::write(&damaged, &text[..text.len() / 2]).unwrap();
    tuner()
        .args(["history", "add"])
        .arg(&good)
        .arg(&damaged)
        .arg("--db")
        .arg(&db)
        .assert()
        .code(2)
        .stderr(contains(damaged.display().to_string()));
    assert!(!db.exists() || count(&db, "runs") == 0);
    // A --reference naming no point is refused too.
    tuner()
        .args(["history", "add"])
        .arg(&good)
        .arg("--db")
        .arg(&db)
        .args(["--reference", "steps=7"])
        .assert()
        .code(2)
        .stderr(contains("no point of the run matches `steps=7`"));
    assert_eq!(count(&db, "runs"), 0);
}

#[test]
fn run_with_history_adds_the_finished_run() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        dir.path(),
        "tiny.toml",
        "[experiment]\nname = \"tiny\"\nworkload = \"selfcheck\"\n[params]\nvariant = \"spin\"\nsteps = [5, 10]\n[matrix]\nthreads = [1]\nallocator = [\"system\"]\n[measure]\nprocesses = 2\nsamples = 2\nwarmup = \"1ms\"\nmin_sample_time = \"1ms\"\n",
    );
    let db = dir.path().join("history.sqlite");
    tuner()
        .arg("run")
        .arg(&cfg)
        .args(["--quiet", "--history"])
        .arg(&db)
        .assert()
        .success()
        .stdout(contains("history: "));
    assert_eq!(count(&db, "runs"), 1);
    assert_eq!(count(&db, "processes"), 4);
    let conn = rusqlite::Connection::open(&db).unwrap();
    let (reference, report): (String, String) = conn
        .query_row("SELECT reference, report FROM runs", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(reference, "steps=5");
    assert!(
        report.starts_with("reports/tiny/") && report.ends_with("/report.md"),
        "{report}"
    );
    let ns: f64 = conn
        .query_row(
            "SELECT MIN(ns_per_op) FROM processes JOIN points ON points.id = processes.point WHERE label = 'steps=10'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(ns > 1.0 && ns < 1000.0, "{ns}");
}

/// Chromium, or `None` (a notice; a failure under `CI=true`).
fn chromium() -> Option<PathBuf> {
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        if Command::new(name)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return Some(PathBuf::from(name));
        }
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("chromium is not installed (Debian: apt-get install chromium), and CI=true");
    }
    eprintln!("SKIPPED the site's browser test: chromium is not installed (Debian: apt-get install chromium)");
    None
}

/// Chromium's DOM of `url` after it loaded, and what it logged.
fn browse(chromium: &Path, url: &str) -> (String, String) {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--allow-file-access-from-files",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Loads a site page in a frame and reports what the browser made of it:
/// each chart's drawn size and marks, scripts and injected elements, and
/// the text of the report the first run's link opens.
const HARNESS: &str = r#"<!DOCTYPE html><html><body><pre id="out">pending</pre>
<iframe id="page" src="PAGE"></iframe>
<script>
const say = (lines) => { document.getElementById('out').textContent = lines.join('\n'); };
window.onload = () => {
  const doc = document.getElementById('page').contentDocument;
  const lines = [];
  for (const svg of doc.querySelectorAll('svg.chart')) {
    const box = svg.querySelector('polyline.series').getBBox();
    lines.push('chart ' + Math.round(box.width) + 'x' + Math.round(box.height)
      + ' markers ' + svg.querySelectorAll('a.run circle').length
      + ' changes ' + svg.querySelectorAll('line.changepoint').length);
  }
  lines.push('title ' + doc.title);
  lines.push('scripts ' + doc.querySelectorAll('script').length);
  lines.push('injected ' + doc.querySelectorAll('img, b, i').length);
  const link = doc.querySelector('a.report');
  lines.push('link ' + link.getAttribute('href'));
  const report = document.createElement('iframe');
  report.onload = () => {
    lines.push('report ' + report.contentDocument.body.innerText.split('\n')[0]);
    say(lines);
  };
  report.src = link.href;
  document.body.appendChild(report);
  say(lines);
};
</script></body></html>"#;

#[test]
fn the_site_renders_in_a_browser_links_reports_and_escapes_markup() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db/history.sqlite");
    history(dir.path(), &db, 14, 8);
    let site = dir.path().join("site");
    tuner()
        .args(["history", "site", "-o"])
        .arg(&site)
        .arg("--db")
        .arg(&db)
        .assert()
        .success()
        .stdout(contains("3 pages"));
    let index = std::fs::read_to_string(site.join("index.html")).unwrap();
    // The env axis's value and the commit message hold markup: escaped.
    let page = std::fs::read_to_string(site.join("point-2.html")).unwrap();
    assert!(page.contains("&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;"));
    assert!(
        page.contains("HIST_LABEL=&lt;i&gt;plain&lt;/i&gt;"),
        "{page}"
    );
    assert!(!page.contains("<script") && !index.contains("<script"));
    assert!(page.contains("href=\"../run-01/report.md\""), "{page}");
    let Some(chromium) = chromium() else {
        return;
    };
    for name in ["index.html", "point-1.html", "point-2.html"] {
        let url = format!("file://{}", site.join(name).display());
        let (dom, log) = browse(&chromium, &url);
        assert!(dom.contains("</html>"), "{name}: {dom}");
        let console: Vec<&str> = log.lines().filter(|l| l.contains("CONSOLE")).collect();
        assert!(console.is_empty(), "{name} logged: {console:?}");
    }
    let harness = site.join("harness.html");
    std::fs::write(&harness, HARNESS.replace("PAGE", "point-2.html")).unwrap();
    let (dom, _) = browse(&chromium, &format!("file://{}", harness.display()));
    let out = dom
        .split("<pre id=\"out\">")
        .nth(1)
        .and_then(|s| s.split("</pre>").next())
        .unwrap_or_default()
        .to_string();
    eprintln!("browser:\n{out}");
    let chart = out.lines().find(|l| l.starts_with("chart ")).expect(&out);
    let size: Vec<u32> = chart
        .split_whitespace()
        .nth(1)
        .unwrap()
        .split('x')
        .map(|v| v.parse().unwrap())
        .collect();
    assert!(size[0] > 600 && size[1] > 50, "{chart}");
    assert!(chart.ends_with("markers 14 changes 1"), "{chart}");
    assert!(out.contains("title hist steps=10"), "{out}");
    assert!(out.contains("scripts 0\ninjected 0\n"), "{out}");
    assert!(out.contains("link ../run-01/report.md"), "{out}");
    assert!(out.contains("report # report of run 1"), "{out}");
}
