//! How a run's rounds went, as its results record it: the rounds run
//! again because the machine contended for them, and an adaptive run's
//! looks with how each point's run ended. The journal holds one
//! [`RoundEvent`] line per decision, between the run lines, so a resumed
//! run replays every decision instead of making it again.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::RunRecord;
use crate::stats::{AdaptiveState, Spending, Verdict};

/// The version of [`Rounds`]' layout in results.
const ROUNDS_VERSION: u32 = 1;

/// Re-runs and looks of a run (results of tuners before them: `None`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Rounds {
    pub version: u32,
    /// Rounds that may be run again because a process in them was
    /// contended (0: none).
    pub rerun_limit: u32,
    /// The rounds run again, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reruns: Vec<Rerun>,
    /// Set in adaptive runs (`max_processes`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adaptive: Option<AdaptiveRun>,
    /// The pick measured again against the baseline after the rounds
    /// (`tuner run --confirm`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation: Option<Confirmation>,
}

/// The main parameter set's pick run again against its baseline in fresh
/// processes, one of each in adjacent pairs, each first in one of every
/// two pairs:
/// early stopping and racing make the pick look better than it is (the
/// winner's curse), and these processes took no part in choosing it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Confirmation {
    pub pick: usize,
    pub baseline: usize,
    /// Pairs asked for.
    pub pairs: u32,
    /// Each finished process of a pair, in the order run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub runs: Vec<PairedRun>,
}

/// One process of a confirmation pair (`record.point` says which side).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct PairedRun {
    pub pair: u32,
    pub record: RunRecord,
}

impl Confirmation {
    /// The `(baseline, pick)` records of each pair with both processes
    /// finished, in pair order.
    pub(crate) fn complete_pairs(&self) -> Vec<(&RunRecord, &RunRecord)> {
        let mut pairs: BTreeMap<u32, (Option<&RunRecord>, Option<&RunRecord>)> = BTreeMap::new();
        for r in &self.runs {
            let slot = pairs.entry(r.pair).or_default();
            if r.record.point == self.baseline {
                slot.0 = Some(&r.record);
            } else if r.record.point == self.pick {
                slot.1 = Some(&r.record);
            }
        }
        pairs
            .into_values()
            .filter_map(|(b, p)| Some((b?, p?)))
            .collect()
    }
}

/// Round `round` had contended processes and was run again as round `by`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Rerun {
    pub round: u32,
    pub by: u32,
    /// The points of the round (every point in a fixed design).
    pub points: Vec<usize>,
    /// Its processes that were contended.
    pub contended: usize,
}

/// An adaptive run: its settings, every look, and how each point ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct AdaptiveRun {
    /// Rounds before the first look, between looks, and at most.
    pub min_rounds: u32,
    pub look_every: u32,
    pub max_rounds: u32,
    pub racing: bool,
    /// How each comparison's α is spent over the looks (O'Brien-Fleming
    /// type in runs recorded before it could be chosen).
    #[serde(default, skip_serializing_if = "Spending::is_default")]
    pub spending: Spending,
    /// Each parameter group's points (its first is not special) and the
    /// comparisons it decides, `(head, base)` by point id.
    pub groups: Vec<AdaptiveGroup>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub looks: Vec<Look>,
    /// How each point's run ended, by point id (empty until the run ends).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub endings: Vec<Ending>,
}

/// One parameter group of an adaptive run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct AdaptiveGroup {
    pub points: Vec<usize>,
    pub baseline: Option<usize>,
}

/// One look: after which round, on how many complete rounds, and each
/// group's state after it (`None`: the group decides nothing, or looked
/// no more).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Look {
    /// The round (process index) after which it was made.
    pub after_round: u32,
    /// Rounds in the table (re-run rounds replace the rounds they re-run).
    pub rounds: u32,
    /// Points that stopped at this look.
    pub stopped: Vec<usize>,
    pub(crate) states: Vec<Option<AdaptiveState>>,
}

/// How a point's run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum How {
    /// Every comparison it is in was decided (or it left the race tied
    /// with the best and its comparisons were decided).
    Decided,
    /// Shown slower than its group's best by more than the band.
    Raced,
    /// Some comparison could not reach a call by `max_processes`.
    Futile,
    /// It ran to `max_processes` with a comparison still open.
    Budget,
    /// Its group has nothing to decide (one point, no baseline, no race).
    Nothing,
    /// The run stopped (a signal, `--budget`) while it was running.
    Stopped,
}

/// How one point's run ended, with the evidence.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Ending {
    pub point: usize,
    pub how: How,
    /// Rounds it ran (re-run rounds counted once).
    pub rounds: u32,
    /// The comparison that ended it: against which point, the verdict,
    /// the change in percent and its repeated confidence interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Evidence>,
}

/// The call behind an ending.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Evidence {
    pub against: usize,
    pub verdict: Verdict,
    pub pct: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci: Option<(f64, f64)>,
    /// The look's statistic and its critical value (normal scores).
    pub z: f64,
    pub critical_z: f64,
}

/// A decision line of the journal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub(crate) enum RoundEvent {
    Rerun(Rerun),
    Look(Look),
    /// The run's endings, when every point has stopped.
    Ended {
        endings: Vec<Ending>,
    },
    /// A confirmation of the pick begins (no runs yet).
    Confirm(Confirmation),
    /// One process of a confirmation pair finished.
    Paired(Box<PairedRun>),
}

impl Rounds {
    /// The rounds of a fixed design that runs nothing again.
    pub(crate) fn fixed() -> Rounds {
        Rounds {
            version: ROUNDS_VERSION,
            rerun_limit: 0,
            reruns: Vec::new(),
            adaptive: None,
            confirmation: None,
        }
    }

    /// Records `event` (a journal line read back, or a decision made).
    pub(crate) fn apply(&mut self, event: RoundEvent) -> Result<(), String> {
        match event {
            RoundEvent::Rerun(r) => self.reruns.push(r),
            RoundEvent::Look(l) => match &mut self.adaptive {
                Some(a) => a.looks.push(l),
                None => return Err("a look in a run that is not adaptive".into()),
            },
            RoundEvent::Ended { endings } => match &mut self.adaptive {
                Some(a) => a.endings = endings,
                None => return Err("endings in a run that is not adaptive".into()),
            },
            RoundEvent::Confirm(c) => self.confirmation = Some(c),
            RoundEvent::Paired(run) => match &mut self.confirmation {
                Some(c) if [c.pick, c.baseline].contains(&run.record.point) => c.runs.push(*run),
                Some(_) => return Err("a confirmation run of another point".into()),
                None => return Err("a confirmation run before its start".into()),
            },
        }
        Ok(())
    }

    /// Each re-run round and the round that replaced it.
    pub(crate) fn replaced(&self) -> BTreeMap<u32, u32> {
        self.reruns.iter().map(|r| (r.round, r.by)).collect()
    }

    /// Rounds `point` was scheduled in beyond the first `min` in an
    /// adaptive run that ended (re-run rounds replace rounds, so they
    /// add none).
    fn extra_of(&self, point: usize, min: u32) -> u32 {
        self.adaptive
            .as_ref()
            .and_then(|a| a.endings.get(point))
            .filter(|e| e.how != How::Stopped)
            .map_or(0, |e| e.rounds.saturating_sub(min))
    }
}

impl super::Results {
    /// Each replaced round and the round that ran again in its place
    /// (empty without re-runs): the analysis leaves replaced rounds out.
    pub(crate) fn replaced(&self) -> BTreeMap<u32, u32> {
        self.rounds
            .as_ref()
            .map(Rounds::replaced)
            .unwrap_or_default()
    }

    /// The confirmation of the pick, if one was run.
    pub(crate) fn confirmation(&self) -> Option<&Confirmation> {
        self.rounds.as_ref()?.confirmation.as_ref()
    }

    /// The adaptive run's record, if the run was adaptive.
    pub(crate) fn adaptive(&self) -> Option<&AdaptiveRun> {
        self.rounds.as_ref()?.adaptive.as_ref()
    }

    /// Adaptive rounds `point` got beyond `min`.
    pub(super) fn extra_rounds_of(&self, point: usize, min: u32) -> u32 {
        self.rounds.as_ref().map_or(0, |r| r.extra_of(point, min))
    }
}
