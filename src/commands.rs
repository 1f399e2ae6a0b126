//! What each command does, once the command line is parsed: run a plan
//! (and compare it with a baseline), re-render a report, compare two runs,
//! export a run. Errors come back as [`Failure`]s, which carry exit codes.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use tuner_api::Catalog;

use crate::compare::{self, CompareError, ComparisonReport, FailOn, OutputFormat};
use crate::config::{self, ProfileKind};
use crate::exit::Failure;
use crate::export::{self, ExportFormat};
use crate::results::Results;
use crate::runner::{self, ProgressMode, WorkerExe};
use crate::stats::{CompareSettings, VerdictRule};

/// How two runs are judged: the engine's settings and the CI gate.
pub struct Judging {
    pub settings: CompareSettings,
    pub fail_on: FailOn,
}

impl Judging {
    pub fn new(noise_band_pct: f64, fail_on: FailOn) -> Judging {
        Judging {
            settings: CompareSettings {
                rule: VerdictRule {
                    noise_band_pct,
                    ..VerdictRule::default()
                },
                ..CompareSettings::default()
            },
            fail_on,
        }
    }
}

pub fn run(
    catalog: &Catalog,
    path: &Path,
    dry_run: bool,
    quiet: bool,
    baseline: Option<&Path>,
    judging: &Judging,
    profile: Option<&[ProfileKind]>,
) -> Result<(), Failure> {
    let text = config::read(path).map_err(Failure::Config)?;
    let mut plan = config::parse(path, &text, catalog).map_err(Failure::Config)?;
    if let Some(kinds) = profile {
        plan.profile.set_kinds(kinds);
    }
    let base = baseline.map(load).transpose()?;
    if let Some(base) = &base {
        if base.plan.workload != plan.workload {
            return Err(Failure::Incomparable(CompareError::DifferentWorkloads {
                base: base.plan.workload.clone(),
                head: plan.workload.clone(),
            }));
        }
    }
    if dry_run {
        print!("{}", crate::catalog::dry_run(&plan));
        return Ok(());
    }
    let mode = if quiet {
        ProgressMode::Quiet
    } else {
        ProgressMode::detect()
    };
    let exe = WorkerExe::current().map_err(|e| Failure::Other(e.into()))?;
    let finished = runner::run(&plan, path, &text, &exe, mode)?;
    let failed = finished
        .results
        .runs
        .iter()
        .filter(|r| r.output().is_none())
        .count();
    // The gate's verdict waits until the report is written: a failed or
    // impossible comparison must not cost the run its report.
    let gate = match (baseline, base) {
        (Some(base_path), Some(base)) => {
            compare_with_baseline(&base, base_path, &finished, judging)
        }
        _ => Ok(()),
    };
    // After the comparison, so report.md links compare.md when there is one.
    crate::report::write(&finished.dir, &finished.results)?;
    println!("report: {}", finished.dir.join("report.md").display());
    if failed > 0 {
        return Err(Failure::Other(anyhow::anyhow!(
            "{failed} of {} runs failed; see the report",
            finished.results.runs.len()
        )));
    }
    gate
}

/// Compares a finished run with `base`, writes `compare.md` beside it and
/// applies the `--fail-on` gate.
fn compare_with_baseline(
    base: &Results,
    base_path: &Path,
    finished: &runner::Finished,
    judging: &Judging,
) -> Result<(), Failure> {
    let head_path = finished.dir.join("results.json");
    let report = judge(base, base_path, &finished.results, &head_path, judging)?;
    let md = finished.dir.join(crate::report::COMPARISON_FILE);
    std::fs::write(&md, compare::markdown(&report))
        .with_context(|| format!("writing {}", md.display()))?;
    print!("{}", compare::text(&report));
    println!("compare: {}", md.display());
    publish(&report, None)?;
    gate(&report, judging.fail_on)
}

pub fn report(path: &Path) -> Result<(), Failure> {
    let results = load(path)?;
    let dir = path.parent().unwrap_or(Path::new("."));
    crate::report::write(dir, &results)?;
    println!("report: {}", dir.join("report.md").display());
    Ok(())
}

pub fn compare(
    base_path: &Path,
    head_path: &Path,
    judging: &Judging,
    format: OutputFormat,
    output: Option<&Path>,
) -> Result<(), Failure> {
    let base = load(base_path)?;
    let head = load(head_path)?;
    let report = judge(&base, base_path, &head, head_path, judging)?;
    print!("{}", compare::render(&report, format));
    publish(&report, output)?;
    gate(&report, judging.fail_on)
}

pub fn export(path: &Path, format: ExportFormat, output: Option<&Path>) -> Result<(), Failure> {
    let results = load(path)?;
    let text = export::export(&results, format);
    match output {
        Some(out) => std::fs::write(out, text)
            .with_context(|| format!("writing {}", out.display()))
            .map_err(Failure::Other),
        None => {
            print!("{text}");
            Ok(())
        }
    }
}

/// A results file named on the command line; unreadable or invalid is a usage error.
fn load(path: &Path) -> Result<Results, Failure> {
    Results::load(path).map_err(Failure::Usage)
}

fn judge(
    base: &Results,
    base_path: &Path,
    head: &Results,
    head_path: &Path,
    judging: &Judging,
) -> Result<ComparisonReport, Failure> {
    Ok(compare::compare_runs(
        base,
        &base_path.display().to_string(),
        head,
        &head_path.display().to_string(),
        &judging.settings,
    )?)
}

/// Writes the markdown to `output`, and appends it to `$GITHUB_STEP_SUMMARY` when set.
fn publish(report: &ComparisonReport, output: Option<&Path>) -> Result<(), Failure> {
    let md = compare::markdown(report);
    if let Some(out) = output {
        std::fs::write(out, &md).with_context(|| format!("writing {}", out.display()))?;
    }
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

fn gate(report: &ComparisonReport, fail_on: FailOn) -> Result<(), Failure> {
    let findings = fail_on.failures(report);
    if findings.is_empty() {
        Ok(())
    } else {
        Err(Failure::Gate(findings))
    }
}
