//! The profiling passes of a run. After the timed runs, each point gets
//! one more worker process per enabled pass (spans, cpu, timeline, heap),
//! writing into `points/<point>/` of the run directory; then, if asked,
//! each point's folded stacks are compared with the baseline's in a
//! differential flame graph. A failed pass is recorded, never fatal; a
//! stop signal ends the passes (they all run again on resume).

use std::path::Path;

use super::progress::{Progress, ProgressMode};
use super::spawn::{execute_profile, Launcher};
use crate::config::ProfiledPoints;
use crate::matrix;
use crate::profile::flame;
use crate::protocol::RunSpec;
use crate::protocol::{point_dir, Diff, Pass, ProfileRecord, ProfileRequest, Profiling};
use crate::results::Results;
use crate::units::duration_ns;

/// Runs every pass on every point of `results`, then the diffs; with
/// whether every pass ran (`false`: a stop signal ended them).
pub(crate) fn run(
    results: &Results,
    run_dir: &Path,
    launcher: &Launcher,
    mode: ProgressMode,
) -> (Profiling, bool) {
    let plan = &results.plan;
    let passes = crate::protocol::profile_passes(plan);
    let mut profiling = Profiling::default();
    if passes.is_empty() {
        if plan.profile.diff {
            profiling.notes.push(
                "diff was asked for without cpu or spans: there is nothing to compare.".into(),
            );
        }
        return (profiling, true);
    }
    let run_dir = std::path::absolute(run_dir).unwrap_or_else(|_| run_dir.to_path_buf());
    let varying = matrix::varying_axes(&plan.axes);
    let profiled: Vec<&crate::matrix::Point> = match plan.profile.points {
        ProfiledPoints::All => results.points.iter().collect(),
        ProfiledPoints::Reviewed => {
            let analysis = crate::analysis::Analysis::of(results, &Default::default());
            let ids = analysis.reviewed_points();
            profiling.notes.push(format!(
                "profiled {} of {} points: each parameter set's baseline and fastest point, and each lesson's first pair ([profile] points = \"reviewed\").",
                ids.len(),
                results.points.len()
            ));
            ids.into_iter().map(|id| &results.points[id]).collect()
        }
    };
    let mut progress = Progress::new(mode, profiled.len() * passes.len());
    for point in profiled {
        let dir = point_dir(point, &varying);
        let label = point.label(&varying);
        for &pass in &passes {
            let request = ProfileRequest {
                pass,
                dir: run_dir.join(&dir),
                title: format!("{}: {label} ({})", plan.name, pass.name()),
                duration: plan.profile.duration,
                cpu_frequency: plan.profile.cpu_frequency,
            };
            let spec = RunSpec::new(plan, point, Some(request));
            progress.starting(&format!("{label} [{} profile]", pass.name()));
            let record = match launcher.interrupt.signal() {
                None => execute_profile(launcher, spec, point.id, &dir),
                Some(_) => None,
            };
            let Some(record) = record else {
                progress.finish();
                return (profiling, false);
            };
            let line = match record.output() {
                Some(o) => format!("{} profile, {}/op", pass.name(), duration_ns(o.ns_per_op)),
                None => format!("{} profile FAILED: {}", pass.name(), failure(&record)),
            };
            progress.finished_line(&label, &line, record.output().is_none());
            profiling.records.push(record);
        }
    }
    progress.finish();
    if plan.profile.diff {
        diffs(results, &run_dir, &mut profiling);
    }
    (profiling, true)
}

fn failure(record: &ProfileRecord) -> &str {
    match &record.outcome {
        crate::protocol::ProfileOutcome::Failed { reason, .. } => reason,
        crate::protocol::ProfileOutcome::Ok(_) => "",
    }
}

/// Differential flame graphs of every point against the baseline, for
/// each pass that left folded stacks.
fn diffs(results: &Results, run_dir: &Path, profiling: &mut Profiling) {
    let Some(baseline) = results.baseline else {
        profiling
            .notes
            .push("no baseline point: no differential flame graphs.".into());
        return;
    };
    let kinds = [
        (Pass::Cpu, "cpu.folded", "samples"),
        (Pass::Spans, "spans.folded", "ns"),
    ];
    let mut compared = false;
    for (pass, file, unit) in kinds {
        let Some(base) = folded_of(profiling.record(baseline, pass), file, run_dir) else {
            if profiling.record(baseline, pass).is_some() {
                profiling.notes.push(format!(
                    "the baseline's {} profile left no stacks: no {} diffs.",
                    pass.name(),
                    pass.name()
                ));
            }
            continue;
        };
        compared = true;
        let varying = matrix::varying_axes(&results.plan.axes);
        for point in results.points.iter().filter(|p| p.id != baseline) {
            let record = profiling.record(point.id, pass);
            let Some(stacks) = folded_of(record, file, run_dir) else {
                continue;
            };
            let Some(record) = record else { continue };
            let name = format!("diff-{}.svg", pass.name());
            let title = format!(
                "{}: {} vs baseline {} ({})",
                results.plan.name,
                point.label(&varying),
                results.points[baseline].label(&varying),
                pass.name()
            );
            let rel = record.path(&name);
            match flame::diff_svg(&base, &stacks, &title, unit)
                .and_then(|svg| crate::fsio::write_atomic(&run_dir.join(&rel), svg))
            {
                Ok(()) => profiling.diffs.push(Diff {
                    point: point.id,
                    pass,
                    file: rel,
                }),
                Err(e) => profiling.notes.push(format!(
                    "{} diff of {}: {e}",
                    pass.name(),
                    point.label(&varying)
                )),
            }
        }
    }
    if !compared && profiling.notes.is_empty() {
        profiling
            .notes
            .push("diff needs the cpu or spans profile of the baseline: none was made.".into());
    }
}

/// The folded stacks a successful pass wrote, if any.
fn folded_of(record: Option<&ProfileRecord>, file: &str, run_dir: &Path) -> Option<flame::Folded> {
    let record = record?;
    let output = record.output()?;
    if !output.files.iter().any(|f| f == file) {
        return None;
    }
    flame::read(&run_dir.join(record.path(file)))
        .ok()
        .filter(|f| !f.is_empty())
}
