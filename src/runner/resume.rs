//! `tuner run --resume <run-folder>`: carrying on a run that was stopped
//! (Ctrl-C, SIGKILL, a power cut) from its journal. The finished runs are
//! kept; the slots the journal lacks run in the recorded order — the
//! schedule is a pure function of the recorded plan and seed, and every
//! journaled run is checked against it — appending to the same journal,
//! so the results equal those of a run that was never stopped.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::{bail, ensure, Context as _};
use tuner_api::Catalog;

use super::run::{carry_on, Finished, Session};
use crate::matrix::{self, Slot};
use crate::protocol::PROTOCOL_VERSION;
use crate::results::{Journal, Results, JOURNAL_FILE};

/// A run folder checked and ready to carry on.
pub(crate) struct Resumable {
    pub dir: PathBuf,
    pub results: Results,
    journal: Journal,
}

impl Resumable {
    /// Checks that `dir` holds a stopped run this binary can finish, and
    /// opens its journal (cutting a partial last line).
    pub(crate) fn open(dir: &Path, catalog: &Catalog) -> anyhow::Result<Resumable> {
        let journal_path = dir.join(JOURNAL_FILE);
        ensure!(
            journal_path.is_file(),
            "{} is not a run folder: it has no {JOURNAL_FILE}",
            dir.display()
        );
        refuse_finished(dir)?;
        let (journal, _) = Journal::reopen(&journal_path)
            .with_context(|| format!("opening {}", journal_path.display()))?;
        let mut results = Results::load(&journal_path)?;
        ensure!(
            results.protocol == PROTOCOL_VERSION,
            "{} was written by a tuner speaking worker protocol {}, this one speaks {PROTOCOL_VERSION}: resume it with the tuner that started it",
            journal_path.display(),
            results.protocol
        );
        ensure!(
            results.plan.command.is_some() || catalog.find(&results.plan.workload).is_some(),
            "{}: this binary has no workload `{}`",
            journal_path.display(),
            results.plan.workload
        );
        check_schedule(&results).with_context(|| format!("{}", journal_path.display()))?;
        results.interrupted = None;
        Ok(Resumable {
            dir: dir.to_path_buf(),
            results,
            journal,
        })
    }
}

/// Runs what `resumable` lacks and saves the results.
pub(crate) fn resume(resumable: Resumable, session: &Session) -> anyhow::Result<Finished> {
    carry_on(resumable.results, resumable.dir, resumable.journal, session)
}

/// A `results.json` without the stop mark means the run ended.
fn refuse_finished(dir: &Path) -> anyhow::Result<()> {
    let path = dir.join(crate::results::RESULTS_FILE);
    if !path.exists() {
        return Ok(());
    }
    let results = Results::load(&path)?;
    if results.interrupted.is_none() {
        bail!(
            "{} is a finished run ({} is there): there is nothing to resume",
            dir.display(),
            path.display()
        );
    }
    Ok(())
}

/// Every journaled run sits where the plan's schedule puts it, once.
fn check_schedule(results: &Results) -> anyhow::Result<()> {
    let plan = &results.plan;
    ensure!(
        matrix::expand(plan) == results.points,
        "its points are not the matrix of its plan"
    );
    // Re-runs and adaptive rounds go past `processes`: round `r` sits at
    // `r × points ..` of the schedule, whatever the rounds before held.
    let rounds = results
        .runs
        .iter()
        .map(|r| r.process + 1)
        .max()
        .unwrap_or(0)
        .max(plan.measure.processes);
    let order = matrix::schedule(results.points.len(), rounds, plan.measure.seed);
    let mut seen = HashSet::new();
    for run in &results.runs {
        let slot = Slot {
            point: run.point,
            process: run.process,
        };
        ensure!(
            order.get(run.seq) == Some(&slot),
            "run {} is point {} process {}, where the schedule of its plan and seed has {}",
            run.seq,
            run.point,
            run.process,
            order.get(run.seq).map_or("nothing".into(), |s| format!(
                "point {} process {}",
                s.point, s.process
            ))
        );
        ensure!(seen.insert(run.seq), "run {} is in it twice", run.seq);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn results() -> Results {
        crate::fixtures::results(
            "[experiment]\nworkload = \"selfcheck\"\n[params]\nvariant = \"spin\"\nsteps = [10, 20, 30]\n[measure]\nprocesses = 2\nseed = 5\n",
            &[],
        )
    }

    fn record(seq: usize, slot: Slot) -> crate::results::RunRecord {
        crate::results::RunRecord {
            point: slot.point,
            process: slot.process,
            seq,
            wall_ms: 1.0,
            max_rss_kib: 1,
            outcome: crate::results::Outcome::Ok(crate::fixtures::output(1.0, 1)),
            machine: None,
            contended: None,
        }
    }

    #[test]
    fn runs_must_sit_where_the_schedule_puts_them() {
        let mut r = results();
        let order = matrix::schedule(3, 2, 5);
        r.runs = vec![record(0, order[0]), record(1, order[1])];
        check_schedule(&r).unwrap();
        // A run journaled under another seq than its slot's.
        r.runs = vec![record(0, order[1])];
        let e = check_schedule(&r).unwrap_err().to_string();
        assert!(e.starts_with("run 0 is point"), "{e}");
        // The same run twice.
        r.runs = vec![record(2, order[2]), record(2, order[2])];
        assert_eq!(
            check_schedule(&r).unwrap_err().to_string(),
            "run 2 is in it twice"
        );
        // A plan whose matrix no longer gives the recorded points.
        let mut r = results();
        r.points.pop();
        assert!(check_schedule(&r).is_err());
    }
}
