//! Confirming the pick (`tuner run --confirm`): after the rounds, the
//! main parameter set's fastest point and its baseline run again in fresh
//! processes, one of each in adjacent pairs, each order in one of every
//! two pairs (as `tuner ab` balances a gate's). Early stopping and racing choose the
//! pick on the same processes that then measure it, which flatters it;
//! these pairs took no part in the choice, so their paired change is the
//! figure to trust. Every process is journaled, so `--resume` carries a
//! confirmation on from its last whole pair.

use rand::{Rng as _, SeedableRng as _};
use rand_chacha::ChaCha8Rng;

use super::progress::Progress;
use super::run::{expected_s, run_process, Session};
use super::spawn::Launcher;
use crate::analysis::{Analysis, BaselineState};
use crate::matrix;
use crate::results::{Confirmation, How, Journal, PairedRun, Results, RoundEvent, Rounds};

/// Pairs `--confirm auto` runs when a run stopped points early: enough
/// for the signed-rank test's smallest p (2/2¹⁰ ≈ 0.002) to sit well
/// below 5%, a few seconds for most points.
pub(crate) const AUTO_PAIRS: u32 = 10;

/// `--confirm`: pairs to run, `auto` or `off`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) enum Confirm {
    /// [`AUTO_PAIRS`] when an adaptive run stopped a point before its
    /// most rounds, else none.
    #[default]
    Auto,
    Off,
    Pairs(u32),
}

impl Confirm {
    /// Pairs to run for `results`, before any has run.
    fn pairs(self, results: &Results) -> u32 {
        match self {
            Confirm::Off => 0,
            Confirm::Pairs(n) => n,
            Confirm::Auto if stopped_early(results) => AUTO_PAIRS,
            Confirm::Auto => 0,
        }
    }
}

/// Whether an adaptive run ended some point before its most rounds.
fn stopped_early(results: &Results) -> bool {
    results.adaptive().is_some_and(|a| {
        a.endings.iter().any(|e| {
            matches!(e.how, How::Decided | How::Raced | How::Futile) && e.rounds < a.max_rounds
        })
    })
}

/// Runs the confirmation the session asks for (or carries on the one the
/// journal began); `false` when a signal stopped it.
pub(super) fn run(
    results: &mut Results,
    journal: &mut Journal,
    launcher: &Launcher,
    session: &Session,
) -> anyhow::Result<bool> {
    let confirm = session.batch.confirm;
    if results.shard.is_some() {
        return Ok(true);
    }
    if results.confirmation().is_none() {
        let pairs = confirm.pairs(results);
        if pairs == 0 {
            return Ok(true);
        }
        let Some((pick, baseline)) = pick_and_baseline(results) else {
            if confirm != Confirm::Auto {
                crate::console::errln(
                    "--confirm: nothing to confirm (the pick is the baseline, or either failed)",
                );
            }
            return Ok(true);
        };
        let start = Confirmation {
            pick,
            baseline,
            pairs,
            runs: Vec::new(),
        };
        journal.append(&RoundEvent::Confirm(start.clone()))?;
        results
            .rounds
            .get_or_insert_with(Rounds::fixed)
            .confirmation = Some(start);
    }
    pairs(results, journal, launcher, session)
}

/// The main parameter set's fastest point and its measured baseline,
/// when they differ.
fn pick_and_baseline(results: &Results) -> Option<(usize, usize)> {
    let analysis = Analysis::of(results, &Default::default());
    let g = analysis.main_group()?;
    let (pick, baseline) = (g.fastest?, g.baseline?);
    (g.baseline_state == BaselineState::Measured && pick != baseline).then_some((pick, baseline))
}

/// Runs the pairs the confirmation lacks. A failed process leaves its
/// pair incomplete and another pair is run, up to twice the pairs asked;
/// no pair starts that would end past `--budget` (the report then says
/// how many of the pairs ran).
fn pairs(
    results: &mut Results,
    journal: &mut Journal,
    launcher: &Launcher,
    session: &Session,
) -> anyhow::Result<bool> {
    let Some(c) = results.confirmation().cloned() else {
        return Ok(true);
    };
    let varying = matrix::varying_axes(&results.plan.axes);
    let done = c.complete_pairs().len() as u32;
    let mut next = c.runs.iter().map(|r| r.pair + 1).max().unwrap_or(0);
    let mut progress = Progress::new(session.mode, 2 * (c.pairs.saturating_sub(done)) as usize);
    let mut complete = done;
    while complete < c.pairs && next < 2 * c.pairs {
        let pair_s: f64 = [c.pick, c.baseline]
            .map(|point| {
                expected_s(
                    &session.batch,
                    &results.runs,
                    matrix::Slot { point, process: 0 },
                )
            })
            .iter()
            .sum();
        if !session.batch.fits(pair_s) {
            crate::console::errln(&format!(
                "the confirmation's pairs past {complete} of {} do not fit in the budget: not run",
                c.pairs
            ));
            break;
        }
        let mut whole = true;
        for point in order(results.plan.measure.seed, next, [c.pick, c.baseline]) {
            let p = &results.points[point];
            let label = format!("{} [confirm {}/{}]", p.label(&varying), next + 1, c.pairs);
            let seq = results.runs.len() + results.confirmation().map_or(0, |c| c.runs.len());
            let Some(record) = run_process(
                launcher,
                &results.plan,
                p,
                (next, seq),
                &label,
                &mut progress,
            ) else {
                progress.finish();
                return Ok(false);
            };
            progress.finished(&label, &record);
            whole &= record.output().is_some();
            let run = PairedRun { pair: next, record };
            journal.append(&RoundEvent::Paired(Box::new(run.clone())))?;
            if let Some(c) = results
                .rounds
                .as_mut()
                .and_then(|r| r.confirmation.as_mut())
            {
                c.runs.push(run);
            }
        }
        complete += u32::from(whole);
        next += 1;
    }
    progress.finish();
    Ok(true)
}

/// The order pair `n` runs `[pick, baseline]` in: of pairs 2k and 2k+1
/// one starts with each, which one drawn from `seed` and k, so the pairs
/// are balanced at every even count however the run ends (a second
/// process that runs faster or slower for being second then favours
/// neither side).
fn order(seed: u64, n: u32, [pick, baseline]: [usize; 2]) -> [usize; 2] {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ u64::from(n / 2));
    if rng.gen_bool(0.5) == n.is_multiple_of(2) {
        [pick, baseline]
    } else {
        [baseline, pick]
    }
}

#[cfg(test)]
mod tests {
    use super::order;

    #[test]
    fn each_two_pairs_run_one_in_each_order() {
        for seed in 0..20 {
            let firsts: Vec<usize> = (0..10).map(|n| order(seed, n, [1, 0])[0]).collect();
            for block in firsts.chunks(2) {
                assert_eq!(block.iter().sum::<usize>(), 1, "seed {seed}: {firsts:?}");
            }
        }
        // The draw moves with the seed.
        let first = |seed| order(seed, 0, [1, 0])[0];
        assert!((0..20).any(|s| first(s) != first(0)));
    }
}
