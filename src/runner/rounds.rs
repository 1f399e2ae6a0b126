//! Which round runs next, and which points are in it: the fixed design's
//! `processes` rounds of every point, a contended round run again
//! (bounded), and an adaptive run's looks (`stats::look`, one state
//! machine per parameter group, the groups and families the analysis
//! uses: every point against its group's baseline, α split over the
//! groups; with racing, every point against its group's best).
//!
//! Every decision is a pure function of the journal so far and is
//! journaled ([`RoundEvent`]) before the round it shapes starts, so a
//! resumed run replays recorded decisions and never makes one again.
//! Round `r` runs its points in the order of round `r` of the seeded
//! schedule (`matrix::round_order`), each at its place `r × points + i`.

use std::collections::HashMap;

use anyhow::Context as _;

use crate::config::Plan;
use crate::matrix::{self, Shard, Slot};
use crate::results::{
    AdaptiveGroup, AdaptiveRun, Ending, Evidence, How, Journal, Look, Rerun, Results, RoundEvent,
    Rounds, RunRecord,
};
use crate::stats::{
    look, AdaptivePlan, AdaptiveSettings, AdaptiveState, BlockTable, Call, Race, Status,
    VerdictRule,
};

/// Share of a round's processes contended beyond which `--require-quiet`
/// stops the run.
pub(crate) const BUSY_SHARE: f64 = 0.25;

/// Processes at the start of a run that, all contended, stop a run under
/// `--require-quiet` before its first round is over.
pub(crate) const BUSY_FIRST: usize = 3;

/// The re-runs a run allows by default: a quarter of its most rounds,
/// rounded up.
pub(crate) fn default_rerun_limit(plan: &Plan) -> u32 {
    plan.measure.most_processes().div_ceil(4)
}

/// What a new run records about its rounds before it starts (`None` for
/// a shard, which runs its share of the fixed design, and for a fixed
/// design that runs no round again). Fails on an
/// adaptive plan the state machine refuses.
pub(crate) fn start(
    plan: &Plan,
    points: &[matrix::Point],
    baseline: Option<usize>,
    shard: Option<Shard>,
    rerun_limit: u32,
) -> anyhow::Result<Option<Rounds>> {
    if shard.is_some() {
        return Ok(None);
    }
    let adaptive = match plan.measure.max_processes {
        None => None,
        Some(max) => {
            let m = &plan.measure;
            let groups: Vec<AdaptiveGroup> = matrix::param_groups(plan, points, baseline)
                .into_iter()
                .map(|g| AdaptiveGroup {
                    points: g.points,
                    baseline: g.baseline,
                })
                .collect();
            anyhow::ensure!(
                max >= 3,
                "an adaptive run needs `max_processes` of at least 3 (it has {max}): a look needs 3 rounds"
            );
            let run = AdaptiveRun {
                // A look needs 3 rounds (a budget may have planned fewer).
                min_rounds: m.processes.clamp(3, max),
                look_every: m.look_every,
                max_rounds: max,
                racing: m.racing,
                spending: m.spending,
                groups,
                looks: Vec::new(),
                endings: Vec::new(),
            };
            for g in &run.groups {
                group_plan(&run, g).context("planning the adaptive run")?;
            }
            Some(run)
        }
    };
    if adaptive.is_none() && rerun_limit == 0 {
        // A fixed design that runs nothing again records as it always did.
        return Ok(None);
    }
    Ok(Some(Rounds {
        rerun_limit,
        adaptive,
        ..Rounds::fixed()
    }))
}

/// The settings of an adaptive run's state machines.
fn settings(run: &AdaptiveRun) -> AdaptiveSettings {
    AdaptiveSettings {
        min_rounds: run.min_rounds as usize,
        every: run.look_every as usize,
        max_rounds: run.max_rounds as usize,
        racing: run.racing,
        spending: run.spending,
        ..AdaptiveSettings::default()
    }
}

/// The plan of one group's state machine (`None`: the group has nothing
/// to decide: one point, or no baseline and no race).
fn group_plan(run: &AdaptiveRun, g: &AdaptiveGroup) -> anyhow::Result<Option<AdaptivePlan>> {
    let local = |id: usize| g.points.iter().position(|&p| p == id);
    let comparisons: Vec<(usize, usize)> = match g.baseline.and_then(local) {
        Some(b) => (0..g.points.len())
            .filter(|&i| i != b)
            .map(|i| (i, b))
            .collect(),
        None => Vec::new(),
    };
    if g.points.len() < 2 || (comparisons.is_empty() && !run.racing) {
        return Ok(None);
    }
    let rule = VerdictRule {
        alpha: VerdictRule::default().alpha / run.groups.len().max(1) as f64,
        ..VerdictRule::default()
    };
    let plan = AdaptivePlan::new(g.points.len(), &comparisons, settings(run), rule)
        .map_err(|e| anyhow::anyhow!("{e} (an adaptive run needs `processes` of at least 3)"))?;
    Ok(Some(plan))
}

/// A round to run: its index and its points in run order, with each
/// one's place in the schedule.
pub(super) struct Round {
    pub index: u32,
    pub slots: Vec<(usize, Slot)>,
}

/// Where the run's rounds stand.
pub(super) struct Control {
    points: usize,
    seed: u64,
    processes: u32,
    shard: Option<Shard>,
    /// Rounds kept (not replaced), in order.
    valid: Vec<u32>,
    /// The first round not yet finished and decided on.
    next: u32,
    /// The points of the next round when it re-runs a contended one.
    rerun: Option<Vec<usize>>,
    /// Each adaptive group's state (`None`: nothing to decide).
    states: Vec<Option<AdaptiveState>>,
}

impl Control {
    /// The control of `results` (a new run, or one read back from its
    /// journal: the finished rounds' recorded decisions are replayed,
    /// and a decision a kill cut off is made now and journaled).
    pub(super) fn new(results: &mut Results, journal: &mut Journal) -> anyhow::Result<Control> {
        let states = match results.adaptive() {
            Some(run) => {
                let mut states = Vec::new();
                for g in &run.groups {
                    states.push(group_plan(run, g)?.map(|p| p.start()));
                }
                states
            }
            None => Vec::new(),
        };
        let mut control = Control {
            points: results.points.len(),
            seed: results.plan.measure.seed,
            processes: results.plan.measure.processes,
            shard: results.shard,
            valid: Vec::new(),
            next: 0,
            rerun: None,
            states,
        };
        // Replays the recorded decisions up to the first unfinished round.
        control.next_round(results, journal)?;
        Ok(control)
    }

    /// The round to run now (its slots not yet in the journal), after
    /// deciding on every round finished since the last call; `None` when
    /// the run is over.
    pub(super) fn next_round(
        &mut self,
        results: &mut Results,
        journal: &mut Journal,
    ) -> anyhow::Result<Option<Round>> {
        loop {
            let Some(members) = self.members(results) else {
                self.end(results, journal)?;
                return Ok(None);
            };
            let r = self.next;
            let done: Vec<usize> = results
                .runs
                .iter()
                .filter(|x| x.process == r)
                .map(|x| x.point)
                .collect();
            let order = matrix::round_order(self.points, r, self.seed);
            let slots: Vec<(usize, Slot)> = order
                .iter()
                .enumerate()
                .filter(|(_, p)| members.contains(p) && !done.contains(p))
                .map(|(i, &point)| (r as usize * self.points + i, Slot { point, process: r }))
                .collect();
            if !slots.is_empty() {
                return Ok(Some(Round { index: r, slots }));
            }
            self.decide(r, &members, results, journal)?;
            self.next += 1;
        }
    }

    /// The points of round `self.next`; `None` when no round is left.
    fn members(&self, results: &Results) -> Option<Vec<usize>> {
        if let Some(points) = &self.rerun {
            return Some(points.clone());
        }
        let kept = self.valid.len() as u32;
        let owned = |points: Vec<usize>| -> Vec<usize> {
            match self.shard {
                None => points,
                Some(s) => points
                    .into_iter()
                    .filter(|&point| {
                        s.owns(
                            Slot {
                                point,
                                process: self.next,
                            },
                            self.points,
                        )
                    })
                    .collect(),
            }
        };
        let Some(run) = results.adaptive() else {
            return (kept < self.processes).then(|| owned((0..self.points).collect()));
        };
        if kept >= run.max_rounds {
            return None;
        }
        let live = self.live(run, kept);
        (!live.is_empty()).then_some(live)
    }

    /// The points still running after `kept` kept rounds.
    fn live(&self, run: &AdaptiveRun, kept: u32) -> Vec<usize> {
        let mut live: Vec<usize> = Vec::new();
        for (g, state) in run.groups.iter().zip(&self.states) {
            match state {
                Some(s) => live.extend(s.running().into_iter().map(|i| g.points[i])),
                None if kept < run.min_rounds => live.extend(&g.points),
                None => {}
            }
        }
        live.sort_unstable();
        live
    }

    /// Decides on finished round `r` of `members`: run it again if it was
    /// contended (and re-runs are left), else keep it and look if a look
    /// is due. A recorded decision is replayed, never made again.
    fn decide(
        &mut self,
        r: u32,
        members: &[usize],
        results: &mut Results,
        journal: &mut Journal,
    ) -> anyhow::Result<()> {
        let Some(rounds) = results.rounds.as_ref() else {
            self.valid.push(r);
            self.rerun = None;
            return Ok(());
        };
        if let Some(x) = rounds.reruns.iter().find(|x| x.round == r) {
            self.rerun = Some(x.points.clone());
            return Ok(());
        }
        let contended = results
            .runs
            .iter()
            .filter(|x| x.process == r && x.contended.is_some())
            .count();
        let recorded_look = rounds
            .adaptive
            .as_ref()
            .is_some_and(|a| a.looks.iter().any(|l| l.after_round == r));
        if contended > 0 && (rounds.reruns.len() as u32) < rounds.rerun_limit && !recorded_look {
            let rerun = Rerun {
                round: r,
                by: r + 1,
                points: members.to_vec(),
                contended,
            };
            self.rerun = Some(rerun.points.clone());
            record(results, journal, RoundEvent::Rerun(rerun))?;
            return Ok(());
        }
        self.rerun = None;
        self.valid.push(r);
        if results.adaptive().is_some() {
            self.look(r, results, journal)?;
        }
        Ok(())
    }

    /// The look due after round `r`, if one is: replayed from the journal
    /// when it is there, else made on the kept rounds and journaled.
    fn look(&mut self, r: u32, results: &mut Results, journal: &mut Journal) -> anyhow::Result<()> {
        let run = results.adaptive().expect("an adaptive run").clone();
        if let Some(recorded) = run.looks.iter().find(|l| l.after_round == r) {
            anyhow::ensure!(
                recorded.states.len() == self.states.len()
                    && recorded.rounds as usize == self.valid.len(),
                "the look recorded after round {r} does not fit the run's groups and rounds"
            );
            self.states.clone_from(&recorded.states);
            return Ok(());
        }
        let kept = self.valid.len();
        let before = self.live(&run, kept as u32 - 1);
        let values = values(&results.runs);
        let mut looked = false;
        for (g, state) in run.groups.iter().zip(self.states.iter_mut()) {
            let Some(s) = state else { continue };
            if s.next_rounds() != Some(kept) || s.running().is_empty() {
                continue;
            }
            let table = table(&g.points, &self.valid, &values)?;
            match look(s, &table) {
                Ok((next, _)) => {
                    *s = next;
                    looked = true;
                }
                Err(e) => results.warnings.push(format!(
                    "the look after round {} could not judge the group of point {}: {e}; its points run on",
                    r + 1,
                    g.points[0]
                )),
            }
        }
        let after = self.live(&run, kept as u32);
        let stopped: Vec<usize> = before.into_iter().filter(|p| !after.contains(p)).collect();
        if looked || !stopped.is_empty() {
            let event = RoundEvent::Look(Look {
                after_round: r,
                rounds: kept as u32,
                stopped,
                states: self.states.clone(),
            });
            record(results, journal, event)?;
        }
        Ok(())
    }

    /// An adaptive run's endings, journaled when every point has stopped.
    fn end(&self, results: &mut Results, journal: &mut Journal) -> anyhow::Result<()> {
        let Some(run) = results.adaptive() else {
            return Ok(());
        };
        if !run.endings.is_empty() {
            return Ok(());
        }
        let endings = self.endings(results, false);
        record(results, journal, RoundEvent::Ended { endings })
    }

    /// Records how each point stood when the run was cut short (a
    /// signal, the budget, `--fail-fast`, `--require-quiet`): the
    /// results show it; a resumed run reads its journal, which has none.
    pub(super) fn stop(&self, results: &mut Results) {
        let endings = self.endings(results, true);
        if let Some(a) = results.rounds.as_mut().and_then(|r| r.adaptive.as_mut()) {
            if a.endings.is_empty() {
                a.endings = endings;
            }
        }
    }

    /// How each point's run ended (`cut`: the run stopped with points
    /// still running).
    pub(super) fn endings(&self, results: &Results, cut: bool) -> Vec<Ending> {
        let Some(run) = results.adaptive() else {
            return Vec::new();
        };
        let replaced = results.replaced();
        let mut rounds = vec![0u32; results.points.len()];
        for x in results
            .runs
            .iter()
            .filter(|x| !replaced.contains_key(&x.process))
        {
            rounds[x.point] += 1;
        }
        let kept = self.valid.len() as u32;
        let mut endings: Vec<Ending> = (0..results.points.len())
            .map(|point| Ending {
                point,
                how: How::Nothing,
                rounds: rounds[point],
                evidence: None,
            })
            .collect();
        for (g, state) in run.groups.iter().zip(&self.states) {
            for (i, &point) in g.points.iter().enumerate() {
                let (how, evidence) = match state {
                    None if cut && kept < run.min_rounds => (How::Stopped, None),
                    None => (How::Nothing, None),
                    Some(s) => ending(s, i, &g.points, kept >= run.max_rounds),
                };
                endings[point].how = how;
                endings[point].evidence = evidence;
            }
        }
        endings
    }
}

/// How point `i` of a group ended by its state machine's `s`.
fn ending(s: &AdaptiveState, i: usize, ids: &[usize], at_most: bool) -> (How, Option<Evidence>) {
    let evidence = |against: usize, call: &Call| Evidence {
        against: ids[against],
        verdict: call.verdict,
        pct: if call.change.pct.is_finite() {
            call.change.pct
        } else {
            0.0
        },
        ci: call
            .change
            .ci
            .filter(|c| c.lo.is_finite() && c.hi.is_finite())
            .map(|c| (c.lo, c.hi)),
        z: call.z,
        critical_z: call.critical_z,
    };
    let p = &s.points[i];
    if p.stopped_at.is_none() {
        return (if at_most { How::Budget } else { How::Stopped }, None);
    }
    if let Race::Dropped { best, call } = &p.race {
        return (How::Raced, Some(evidence(*best, call)));
    }
    let mine: Vec<_> = s
        .comparisons
        .iter()
        .filter(|c| c.head == i || c.base == i)
        .collect();
    let other = |c: &crate::stats::ComparisonState| if c.head == i { c.base } else { c.head };
    if let Some(c) = mine.iter().find(|c| matches!(c.status, Status::Budget(_))) {
        let Status::Budget(call) = &c.status else {
            unreachable!()
        };
        return (How::Budget, Some(evidence(other(c), call)));
    }
    if p.race == Race::Budget {
        return (How::Budget, None);
    }
    if let Some(c) = mine.iter().find(|c| matches!(c.status, Status::Futile(_))) {
        let Status::Futile(call) = &c.status else {
            unreachable!()
        };
        return (How::Futile, Some(evidence(other(c), call)));
    }
    if let Race::Futile { best, call } = &p.race {
        return (How::Futile, Some(evidence(*best, call)));
    }
    // Decided: its own comparison with the baseline, else its race call.
    let own = mine
        .iter()
        .find(|c| c.head == i)
        .and_then(|c| match &c.status {
            Status::Decided(call) => Some(evidence(c.base, call)),
            _ => None,
        });
    let raced = match &p.race {
        Race::Tied { best, call } => Some(evidence(*best, call)),
        _ => None,
    };
    (How::Decided, own.or(raced))
}

/// Each successful process's value (ns/op, as the analysis takes it) by
/// point and round.
fn values(runs: &[RunRecord]) -> HashMap<(usize, u32), f64> {
    runs.iter()
        .filter_map(|x| {
            let m = crate::analysis::ProcessMetrics::of(x)?;
            (m.ns_per_op.is_finite() && m.ns_per_op > 0.0)
                .then_some(((x.point, x.process), m.ns_per_op))
        })
        .collect()
}

/// A group's block table: its points × the kept rounds.
fn table(
    points: &[usize],
    kept: &[u32],
    values: &HashMap<(usize, u32), f64>,
) -> anyhow::Result<BlockTable> {
    let rows = points
        .iter()
        .map(|&p| kept.iter().map(|&r| values.get(&(p, r)).copied()).collect())
        .collect();
    BlockTable::new(rows).map_err(|e| anyhow::anyhow!("{e}"))
}

/// Journals `event` and records it in `results`.
fn record(results: &mut Results, journal: &mut Journal, event: RoundEvent) -> anyhow::Result<()> {
    journal
        .append(&event)
        .context("appending a decision to the journal")?;
    results
        .rounds
        .as_mut()
        .expect("a run that decides records its rounds")
        .apply(event)
        .map_err(|e| anyhow::anyhow!(e))
}

/// Whether `--require-quiet` stops the run: the first processes all
/// contended, or a finished round's contended share above [`BUSY_SHARE`].
pub(super) fn busy(results: &Results, round: Option<u32>) -> Option<String> {
    let first: Vec<&RunRecord> = results.runs.iter().take(BUSY_FIRST).collect();
    if first.len() == BUSY_FIRST && first.iter().all(|x| x.contended.is_some()) {
        return Some(format!(
            "the machine is busy: the first {BUSY_FIRST} processes were all contended ({})",
            first[0].contended.as_deref().unwrap_or_default()
        ));
    }
    let r = round?;
    let of_round: Vec<&RunRecord> = results.runs.iter().filter(|x| x.process == r).collect();
    let contended = of_round.iter().filter(|x| x.contended.is_some()).count();
    let share = contended as f64 / of_round.len().max(1) as f64;
    (share > BUSY_SHARE).then(|| {
        format!(
            "the machine is busy: {contended} of the {} processes of round {} were contended (more than {:.0}%)",
            of_round.len(),
            r + 1,
            BUSY_SHARE * 100.0
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::delivered_window;
    use crate::machine::Delivered;
    use crate::results::{Outcome, JOURNAL_FILE};
    use crate::stats::{Spending, Verdict};

    /// Three variants of one parameter set: `std` 5× faster than the
    /// baseline `sequential`, `v3` 2% slower; processes 3 to 12, a look
    /// every round.
    const SORTS: &str = "[experiment]\nworkload = \"mergesort\"\n[params]\nvariant = [\"sequential\", \"std\", \"v3\"]\nsize = 1000\n[measure]\nprocesses = 3\nmax_processes = 12\nlook_every = 1\nseed = 4\n[report]\nbaseline = { variant = \"sequential\" }\n";

    /// A point's value in a round: a fixed ±3% wiggle around its level.
    fn value(point: usize, round: u32) -> f64 {
        let level = [1000.0, 200.0, 1020.0][point];
        let wiggle = 0.03 * ((point * 31 + round as usize * 7) as f64 * 0.9).sin();
        level * wiggle.exp()
    }

    fn header(config: &str, limit: u32) -> Results {
        let mut r = crate::fixtures::results(config, &[]);
        r.rounds = start(&r.plan, &r.points, r.baseline, None, limit).unwrap();
        r
    }

    /// Runs `results` to its end with fake processes (`contended` marks
    /// some), journaling into `dir`; returns the results.
    fn simulate(
        mut r: Results,
        dir: &std::path::Path,
        contended: impl Fn(usize, u32) -> bool,
    ) -> Results {
        let path = dir.join(JOURNAL_FILE);
        let mut journal = Journal::create(&path, &r).unwrap();
        let mut control = Control::new(&mut r, &mut journal).unwrap();
        while let Some(round) = control.next_round(&mut r, &mut journal).unwrap() {
            for (seq, slot) in round.slots {
                let mut x = crate::fixtures::record(
                    slot.point,
                    slot.process as usize,
                    seq,
                    Outcome::Ok(crate::fixtures::output(value(slot.point, slot.process), 1)),
                );
                x.contended = contended(slot.point, slot.process).then(|| "others".to_string());
                journal.append(&x).unwrap();
                r.runs.push(x);
            }
        }
        r
    }

    /// The config's spending reaches the looks, and the record says which:
    /// Pocock-type boundaries are lower at the first look than
    /// O'Brien-Fleming-type ones.
    #[test]
    fn the_configs_spending_sets_the_looks_boundaries() {
        let pocock = SORTS.replace("seed = 4", "seed = 4\nspending = \"pocock\"");
        let first_z = |config: &str| {
            let r = header(config, 0);
            let run = r.adaptive().unwrap().clone();
            let plan = group_plan(&run, &run.groups[0]).unwrap().unwrap();
            (run.spending, plan.comparison_z[0])
        };
        let (s_obf, z_obf) = first_z(SORTS);
        let (s_pocock, z_pocock) = first_z(&pocock);
        assert_eq!(
            (s_obf, s_pocock),
            (Spending::OBrienFleming, Spending::Pocock)
        );
        assert!(z_pocock < z_obf - 1.0, "{z_pocock} vs {z_obf}");
    }

    #[test]
    fn a_large_difference_stops_early_and_the_journal_replays_it() {
        let dir = tempfile::tempdir().unwrap();
        let r = simulate(header(SORTS, 0), dir.path(), |_, _| false);
        let a = r.adaptive().unwrap();
        assert_eq!(a.endings.len(), 3);
        let std = &a.endings[1];
        assert_eq!(std.how, How::Decided, "{std:?}");
        let e = std.evidence.as_ref().unwrap();
        assert_eq!((e.against, e.verdict), (0, Verdict::Faster));
        assert!((e.pct + 80.0).abs() < 2.0, "{e:?}");
        // Fewer processes than a fixed design at the most.
        assert!(r.runs.len() < 3 * 12, "{}", r.runs.len());
        assert!(std.rounds < 12);
        // Every run at its place in the schedule of its rounds.
        let rounds = r.runs.iter().map(|x| x.process).max().unwrap() + 1;
        let order = matrix::schedule(3, rounds, 4);
        for x in &r.runs {
            assert_eq!(
                order[x.seq],
                Slot {
                    point: x.point,
                    process: x.process
                }
            );
        }
        // The journal read back holds the same decisions, and a control
        // made from it replays them without adding any.
        let path = dir.path().join(JOURNAL_FILE);
        let mut back = Results::load(&path).unwrap();
        assert!(back.warnings.is_empty(), "{:?}", back.warnings);
        assert_eq!(decisions(&back), decisions(&r));
        let lines = std::fs::read_to_string(&path).unwrap().lines().count();
        let (mut journal, _) = Journal::reopen(&path).unwrap();
        let mut control = Control::new(&mut back, &mut journal).unwrap();
        assert!(control
            .next_round(&mut back, &mut journal)
            .unwrap()
            .is_none());
        assert_eq!(
            std::fs::read_to_string(&path).unwrap().lines().count(),
            lines
        );
        assert_eq!(decisions(&back), decisions(&r));
        // Made again from the runs alone, the looks decide the same.
        let mut bare = back.clone();
        let run = bare.rounds.as_mut().unwrap().adaptive.as_mut().unwrap();
        run.looks.clear();
        run.endings.clear();
        let other = tempfile::tempdir().unwrap();
        let mut journal = Journal::create(&other.path().join(JOURNAL_FILE), &bare).unwrap();
        let mut control = Control::new(&mut bare, &mut journal).unwrap();
        assert!(control
            .next_round(&mut bare, &mut journal)
            .unwrap()
            .is_none());
        assert_eq!(decisions(&bare), decisions(&r));
    }

    type Decisions = (Vec<(u32, Vec<usize>)>, Vec<(How, u32, Option<Verdict>)>);

    /// Every decision of a run: each look's round and stopped points,
    /// each point's ending and the verdict behind it (the figures read
    /// back from JSON may differ in the last bit).
    fn decisions(r: &Results) -> Decisions {
        let a = r.adaptive().unwrap();
        (
            a.looks
                .iter()
                .map(|l| (l.after_round, l.stopped.clone()))
                .collect(),
            a.endings
                .iter()
                .map(|e| (e.how, e.rounds, e.evidence.as_ref().map(|x| x.verdict)))
                .collect(),
        )
    }

    #[test]
    fn a_contended_round_runs_again_within_the_limit() {
        let fixed = SORTS.replace("max_processes = 12\nlook_every = 1\n", "");
        let dir = tempfile::tempdir().unwrap();
        // Rounds 1 and 2 (0-based) contended; one re-run allowed.
        let r = simulate(header(&fixed, 1), dir.path(), |p, r| {
            p == 2 && (r == 1 || r == 2)
        });
        let rounds = r.rounds.as_ref().unwrap();
        assert_eq!(
            rounds.reruns,
            vec![Rerun {
                round: 1,
                by: 2,
                points: vec![0, 1, 2],
                contended: 1
            }]
        );
        // Round 2 re-ran round 1 and was contended too, but no re-run was left.
        assert_eq!(r.runs.len(), 3 * 4);
        assert_eq!(r.replaced(), [(1, 2)].into_iter().collect());
        // The analysis keeps 3 rounds a point: 0, 2 and 3.
        let a = crate::analysis::Analysis::of(&r, &Default::default());
        let kept: Vec<u32> = a.points[2].processes.iter().map(|m| m.process).collect();
        assert_eq!(kept, [0, 2, 3]);
        assert_eq!(a.points[2].missing, 0);
        // Off: no re-run.
        let dir = tempfile::tempdir().unwrap();
        let r = simulate(header(&fixed, 0), dir.path(), |p, r| p == 2 && r == 1);
        assert_eq!(r.runs.len(), 9);
        assert!(r.replaced().is_empty());
    }

    #[test]
    fn a_process_is_contended_by_others_not_by_its_own_threads() {
        let with = |d: Delivered| {
            let mut out = crate::fixtures::output(100.0, 1);
            out.machine = Some(Box::new(d));
            crate::fixtures::record(0, 0, 0, Outcome::Ok(out))
        };
        // 8 threads on 2 CPUs, alone: their own waiting is not contention.
        assert_eq!(
            super::super::run::contended(&with(delivered_window(2000, 2010, 5900, 8)), 8),
            None
        );
        // One thread, and others took 0.9 of the 2 CPUs' second.
        assert_eq!(
            super::super::run::contended(&with(delivered_window(1000, 1900, 0, 1)), 1).as_deref(),
            Some("other processes' CPU time (45%)")
        );
        // No record (an older worker, a failed process): not contended.
        let bare = crate::fixtures::record(0, 0, 0, Outcome::Ok(crate::fixtures::output(1.0, 1)));
        assert_eq!(super::super::run::contended(&bare, 1), None);
    }

    #[test]
    fn require_quiet_stops_on_a_busy_start_or_round() {
        let mut r = header(
            &SORTS.replace("max_processes = 12\nlook_every = 1\n", ""),
            0,
        );
        let run = |point: usize, process: u32, busy: bool| {
            let mut x = crate::fixtures::record(
                point,
                process as usize,
                0,
                Outcome::Ok(crate::fixtures::output(1.0, 1)),
            );
            x.contended = busy.then(|| "others".to_string());
            x
        };
        r.runs = vec![run(0, 0, true), run(1, 0, true)];
        assert_eq!(busy(&r, None), None);
        r.runs.push(run(2, 0, true));
        assert!(busy(&r, None).unwrap().contains("first 3 processes"));
        // One of 3 in a round is over a quarter.
        r.runs = vec![run(0, 0, false), run(1, 0, true), run(2, 0, false)];
        assert!(busy(&r, Some(0))
            .unwrap()
            .contains("1 of the 3 processes of round 1"));
        r.runs[1].contended = None;
        assert_eq!(busy(&r, Some(0)), None);
    }
}
