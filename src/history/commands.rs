//! What `tuner history add|check|show|site` and `tuner run --history` do,
//! once the command line is parsed. Errors come back as [`Failure`]s:
//! bad input (a damaged results file, an unknown point) is a usage error
//! (exit 2); a change `--fail-on` names is exit 1.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::add::{self, AddOptions, Added};
use super::check::{self, CheckReport};
use super::edivisive::Settings;
use super::series::Metric;
use super::{db, series, show, site};
use crate::console::{errln, out, outln};
use crate::exit::Failure;
use crate::results::Results;

/// The history's default place.
pub(crate) const DEFAULT_DB: &str = "reports/history.sqlite";

/// What makes `history check` exit with 1.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum FailOnChange {
    #[default]
    Never,
    /// A change point, either way, among the last `recent` runs.
    Change,
    /// A slowdown among the last `recent` runs.
    Slower,
}

/// `history check`'s options.
#[derive(Clone, Debug)]
pub(crate) struct CheckOptions {
    pub settings: Settings,
    pub metric: Metric,
    pub fail_on: FailOnChange,
    /// `--fail-on` looks at change points whose first run is among the
    /// last this many runs of their segment.
    pub recent: usize,
    /// Also write the markdown here.
    pub output: Option<PathBuf>,
}

/// `tuner history add`: every input is read and checked first; a damaged
/// one is refused by name and nothing is added. Then each run is added
/// in a transaction of its own.
pub(crate) fn add(db_path: &Path, inputs: &[PathBuf], opts: &AddOptions) -> Result<(), Failure> {
    let mut loaded = Vec::with_capacity(inputs.len());
    for input in inputs {
        let (file, results) = add::load(input).map_err(Failure::Usage)?;
        for w in &results.warnings {
            errln(&format!("warning: {}: {w}", file.display()));
        }
        loaded.push((file, results));
    }
    let mut conn = db::open(db_path).map_err(Failure::Usage)?;
    let (mut new, mut already) = (0, 0);
    for (file, results) in &loaded {
        match add::add(&mut conn, db_path, file, results, opts)
            .with_context(|| format!("adding {} to {}", file.display(), db_path.display()))
            .map_err(Failure::Usage)?
        {
            Added::New { processes, .. } => {
                new += 1;
                if loaded.len() <= 10 {
                    outln(&format!(
                        "added {} ({} processes): {}",
                        results.run_id,
                        processes,
                        file.display()
                    ));
                }
            }
            Added::Already => {
                already += 1;
                outln(&format!(
                    "already in the history: {} ({})",
                    results.run_id,
                    file.display()
                ));
            }
        }
    }
    outln(&format!(
        "{}: {new} run{} added, {already} already there",
        db_path.display(),
        if new == 1 { "" } else { "s" }
    ));
    Ok(())
}

/// `tuner run --history DB`: adds a finished run from its folder.
pub(crate) fn add_finished(db_path: &Path, dir: &Path, results: &Results) -> Result<(), Failure> {
    let mut conn = db::open(db_path).map_err(Failure::Other)?;
    let file = dir.join(crate::results::RESULTS_FILE);
    let added = add::add(&mut conn, db_path, &file, results, &AddOptions::default())
        .with_context(|| format!("adding the run to {}", db_path.display()))?;
    if let Added::New { .. } = added {
        outln(&format!("history: {}", db_path.display()));
    }
    Ok(())
}

fn load(db_path: &Path, metric: Metric) -> Result<series::History, Failure> {
    let conn = db::open_existing(db_path).map_err(Failure::Usage)?;
    series::load(&conn, metric)
        .with_context(|| format!("reading {}", db_path.display()))
        .map_err(Failure::Other)
}

/// `tuner history check`: prints every series' change points, writes the
/// markdown (and appends it to `$GITHUB_STEP_SUMMARY`), applies `--fail-on`.
pub(crate) fn check(db_path: &Path, opts: &CheckOptions) -> Result<(), Failure> {
    let history = load(db_path, opts.metric)?;
    let report = check::check(&history, &opts.settings);
    out(&check::text(&history, &report));
    let md = check::markdown(&history, &report);
    if let Some(path) = &opts.output {
        crate::fsio::write_atomic(path, &md)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    step_summary(&md)?;
    gate(&history, &report, opts)
}

fn gate(
    history: &series::History,
    report: &CheckReport,
    opts: &CheckOptions,
) -> Result<(), Failure> {
    let failing: Vec<String> = report
        .findings
        .iter()
        .filter(|f| f.within_last(opts.recent))
        .filter(|f| match opts.fail_on {
            FailOnChange::Never => false,
            FailOnChange::Change => true,
            FailOnChange::Slower => f.cp.step > 0.0,
        })
        .map(|f| {
            let s = &history.series[f.series];
            let (pct, (lo, hi)) = f.percent();
            format!(
                "{}: {pct:+.2}% [{lo:+.2}, {hi:+.2}] in {}",
                s.name(),
                check::commit_range(history, s, f)
            )
        })
        .collect();
    if failing.is_empty() {
        Ok(())
    } else {
        Err(Failure::Gate(failing))
    }
}

/// Appends `md` to `$GITHUB_STEP_SUMMARY` when it is set.
fn step_summary(md: &str) -> Result<(), Failure> {
    if let Some(summary) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|s| !s.is_empty()) {
        let path = PathBuf::from(summary);
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut f| writeln!(f, "{md}"))
            .with_context(|| format!("appending to $GITHUB_STEP_SUMMARY ({})", path.display()))?;
    }
    Ok(())
}

/// `tuner history show <point>`: the series of every config whose point
/// matches.
pub(crate) fn show(
    db_path: &Path,
    selection: &[(String, String)],
    experiment: Option<&str>,
    settings: &Settings,
    metric: Metric,
) -> Result<(), Failure> {
    let history = load(db_path, metric)?;
    let found = show::matching(&history, selection, experiment);
    if found.is_empty() {
        return Err(Failure::Usage(anyhow::anyhow!(
            "{}: no point matches `{}`; the history holds: {}",
            db_path.display(),
            selection
                .iter()
                .map(|(a, v)| format!("{a}={v}"))
                .collect::<Vec<_>>()
                .join(" "),
            show::names(&history)
        )));
    }
    let report = check::check(&history, settings);
    for (i, _) in found {
        out(&show::text(&history, i, &report));
    }
    Ok(())
}

/// `tuner history site -o DIR`.
pub(crate) fn site(
    db_path: &Path,
    dir: &Path,
    settings: &Settings,
    metric: Metric,
) -> Result<(), Failure> {
    let history = load(db_path, metric)?;
    let report = check::check(&history, settings);
    let db_dir = add::absolute_dir(db_path)
        .with_context(|| format!("reading the folder of {}", db_path.display()))?;
    let pages = site::write(&history, &report, &db_dir, dir)?;
    outln(&format!(
        "site: {} ({} pages)",
        dir.join("index.html").display(),
        pages.len()
    ));
    Ok(())
}
