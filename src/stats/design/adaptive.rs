//! Adaptive runs: look every few rounds, stop a point once every question
//! it is in is decided, and race out points shown slower than the best —
//! as a pure state machine whose state the runner journals, so a resumed
//! run replays every look exactly.
//!
//! Validity, in the order it is built:
//! 1. **α split before the run** (Bonferroni): with racing, a share
//!    `race_share` of α goes to racing and the rest to the comparisons;
//!    each comparison gets `α_c = (1 − race_share)·α/m`, each pair of
//!    points in the race `α_r = race_share·α/(k(k−1)/2)`. Bonferroni holds
//!    under any dependence, so the family-wise error of every claim the run
//!    makes is at most α.
//! 2. **Spending over looks**: each comparison spends its `α_c` over the
//!    planned looks with a Lan-DeMets function (`sequential::Spending`,
//!    Lan & DeMets 1983) of the information fraction `t = rounds/max_rounds`;
//!    the critical normal scores come from the same recursive integration
//!    as the paired gate's (`sequential::boundaries`, Armitage, McPherson
//!    & Rowe 1969). A look's statistic is the block-design contrast
//!    (`model::CHOSEN`) turned into a normal score (`family::z_of_t`).
//! 3. **Decisions from repeated confidence intervals** (Jennison &
//!    Turnbull 1989, JRSS B 51): at each look a comparison's interval at
//!    the look's critical value covers the true change at every look at
//!    once with probability ≥ 1 − α_c, so stopping on it is safe. The
//!    verdict is the engine's one rule (`verdict::decide_parts`):
//!    *faster/slower* when the look's test crosses and the estimate is
//!    beyond the band, *equivalent* when the interval is within the band.
//!    A decision is never revisited.
//! 4. **Futility** (stochastic curtailment; Lachin 2005, "A review of
//!    methods for futility stopping based on conditional power", Stat.
//!    Med. 24): a comparison stops undecided when, if the current estimate
//!    were the truth, the chance of either call by `max_rounds` is below
//!    10%. It makes no claim, so it cannot raise the error rate.
//! 5. **Racing** (F-race, Birattari et al. 2002; successive halving): a
//!    point is dropped when it is called slower than the current best
//!    (lowest estimate among the points still in the race) at the racing
//!    level, and leaves the race *tied* when its interval against the best
//!    is within the band. Dropping is a "slower" claim, covered by the
//!    racing share of α; the simulations report how often a true best is
//!    dropped.
//!
//! A point keeps running while any comparison it is in is open, or while
//! it is in the race, unless it was dropped: a dropped point stops, and
//! its open comparisons go on being judged on the values it has. A race
//! is futile, like a comparison, when neither a drop nor a tie is
//! reachable by the budget. At the last look (`max_rounds`) everything
//! still open closes as not shown: the budget.

use super::super::effect::to_pct;
use super::super::sequential::boundaries;
use super::super::verdict::decide_parts;
use super::super::{Better, Change, Interval, Spending, StatsError, Verdict, VerdictRule};
use super::family::{t_of_z, z_of_t, Design};
use super::table::BlockTable;
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};

/// Conditional power below which an open comparison is futile.
const FUTILITY: f64 = 0.1;

/// How an adaptive run looks, spends and races.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct AdaptiveSettings {
    /// Rounds before the first look (`processes`, the minimum).
    pub min_rounds: usize,
    /// Rounds between looks.
    pub every: usize,
    /// The budget (`max_processes`): the last look.
    pub max_rounds: usize,
    pub racing: bool,
    /// Share of α given to racing when racing.
    pub race_share: f64,
    pub spending: Spending,
    pub race_spending: Spending,
}

impl Default for AdaptiveSettings {
    fn default() -> Self {
        AdaptiveSettings {
            min_rounds: 5,
            every: 2,
            max_rounds: 15,
            racing: false,
            race_share: 0.5,
            spending: Spending::OBrienFleming,
            race_spending: Spending::Pocock,
        }
    }
}

/// The plan of an adaptive run, fixed before it starts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct AdaptivePlan {
    pub points: usize,
    /// The comparisons to decide, `(head, base)`.
    pub comparisons: Vec<(usize, usize)>,
    pub settings: AdaptiveSettings,
    pub rule: VerdictRule,
    /// Rounds at each look; the last is `max_rounds`.
    pub looks: Vec<usize>,
    /// Critical normal score of a comparison at each look.
    pub comparison_z: Vec<f64>,
    /// Critical normal score of a racing pair at each look (empty without racing).
    pub race_z: Vec<f64>,
}

/// Where an open question stands.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) enum Status {
    Open,
    /// Called faster, slower or equivalent.
    Decided(Call),
    /// Stopped: no call reachable by the budget (not shown).
    Futile(Call),
    /// Closed at the budget undecided (not shown).
    Budget(Call),
}

impl Status {
    pub(crate) fn is_open(&self) -> bool {
        matches!(self, Status::Open)
    }
}

/// A call with its evidence at the look it was made.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Call {
    pub verdict: Verdict,
    /// 0-based look, and the rounds seen by then.
    pub look: usize,
    pub rounds: usize,
    /// The change with its repeated confidence interval at that look.
    pub change: Change,
    /// The look's statistic and critical value (normal scores).
    pub z: f64,
    pub critical_z: f64,
}

/// A comparison's state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct ComparisonState {
    pub head: usize,
    pub base: usize,
    pub status: Status,
}

/// A point's place in the race.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) enum Race {
    /// Not racing, or still racing.
    Open,
    /// Slower than the then-best point `best`: dropped.
    Dropped { best: usize, call: Call },
    /// Within the band of the then-best point `best`.
    Tied { best: usize, call: Call },
    /// No call against the then-best point `best` reachable by the budget.
    Futile { best: usize, call: Call },
    /// The best when every other point had left the race.
    Best { look: usize, rounds: usize },
    /// Closed at the budget.
    Budget,
}

/// A point's state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct PointState {
    pub race: Race,
    /// The look after which it stopped running (`None`: running).
    pub stopped_at: Option<usize>,
}

/// The state of an adaptive run between looks: serializable, so the
/// runner journals it and a resumed run replays from it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct AdaptiveState {
    pub plan: AdaptivePlan,
    /// Index of the next look (`plan.looks.len()` when finished).
    pub next_look: usize,
    pub comparisons: Vec<ComparisonState>,
    pub points: Vec<PointState>,
}

/// What one look changed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) enum Event {
    /// Comparison `index` closed with this status.
    Closed { index: usize, status: Status },
    /// Point `point` left the race.
    Raced { point: usize, race: Race },
    /// Point `point` stops running.
    Stopped { point: usize },
}

impl AdaptivePlan {
    /// Plans a run of `points` points deciding `comparisons` under `rule`
    /// (`rule.alpha` is the family-wise level of every claim the run makes).
    pub(crate) fn new(
        points: usize,
        comparisons: &[(usize, usize)],
        settings: AdaptiveSettings,
        rule: VerdictRule,
    ) -> Result<AdaptivePlan, StatsError> {
        rule.validate()?;
        let invalid = |name: &str, value: usize, expected: &str| StatsError::InvalidSetting {
            name: name.into(),
            value: value as f64,
            expected: expected.into(),
        };
        if settings.min_rounds < 3 {
            return Err(invalid("min_rounds", settings.min_rounds, "at least 3"));
        }
        if settings.every == 0 {
            return Err(invalid("every", 0, "at least 1 round between looks"));
        }
        if settings.max_rounds < settings.min_rounds {
            return Err(invalid(
                "max_rounds",
                settings.max_rounds,
                "at least min_rounds",
            ));
        }
        if points < 2 {
            return Err(invalid("points", points, "at least 2"));
        }
        for &(h, b) in comparisons {
            if h >= points || b >= points || h == b {
                return Err(invalid(
                    "comparison",
                    h.max(b),
                    "two different points of the matrix",
                ));
            }
        }
        if settings.racing {
            StatsError::check_unit_open("race_share", settings.race_share)?;
        }
        let mut looks: Vec<usize> = (settings.min_rounds..settings.max_rounds)
            .step_by(settings.every)
            .collect();
        looks.push(settings.max_rounds);
        let times: Vec<f64> = looks
            .iter()
            .map(|&r| r as f64 / settings.max_rounds as f64)
            .collect();
        let plan_z = |alpha: f64, spending: Spending| {
            let spend: Vec<f64> = times.iter().map(|&t| spending.spent(alpha, t)).collect();
            boundaries(&times, &spend)
        };
        let race = if settings.racing {
            settings.race_share
        } else {
            0.0
        };
        let m = comparisons.len().max(1) as f64;
        let comparison_z = plan_z(rule.alpha * (1.0 - race) / m, settings.spending);
        let pairs = (points * (points - 1) / 2) as f64;
        let race_z = if settings.racing {
            plan_z(rule.alpha * race / pairs, settings.race_spending)
        } else {
            Vec::new()
        };
        Ok(AdaptivePlan {
            points,
            comparisons: comparisons.to_vec(),
            settings,
            rule,
            looks,
            comparison_z,
            race_z,
        })
    }

    /// The state before the first look.
    pub(crate) fn start(&self) -> AdaptiveState {
        AdaptiveState {
            plan: self.clone(),
            next_look: 0,
            comparisons: self
                .comparisons
                .iter()
                .map(|&(head, base)| ComparisonState {
                    head,
                    base,
                    status: Status::Open,
                })
                .collect(),
            points: vec![
                PointState {
                    race: Race::Open,
                    stopped_at: None,
                };
                self.points
            ],
        }
    }
}

impl AdaptiveState {
    /// Rounds the next look needs (`None` when the run is finished).
    pub(crate) fn next_rounds(&self) -> Option<usize> {
        self.plan.looks.get(self.next_look).copied()
    }

    /// Points still running.
    pub(crate) fn running(&self) -> Vec<usize> {
        (0..self.points.len())
            .filter(|&i| self.points[i].stopped_at.is_none())
            .collect()
    }

    pub(crate) fn finished(&self) -> bool {
        self.next_look >= self.plan.looks.len()
    }

    /// Processes used so far, by the points' stopping looks.
    pub(crate) fn processes_used(&self) -> usize {
        let last = self.next_look.checked_sub(1).map(|k| self.plan.looks[k]);
        self.points
            .iter()
            .map(|p| {
                p.stopped_at
                    .map_or(last.unwrap_or(0), |k| self.plan.looks[k])
            })
            .sum()
    }
}

/// Runs the next look on `table` (every point × the rounds so far; a
/// stopped point's later rounds are `None`) and returns the new state and
/// what changed. Pure: the same state and table give the same answer.
pub(crate) fn look(
    state: &AdaptiveState,
    table: &BlockTable,
) -> Result<(AdaptiveState, Vec<Event>), StatsError> {
    let plan = &state.plan;
    let k = state.next_look;
    let rounds = *plan
        .looks
        .get(k)
        .ok_or_else(|| StatsError::InvalidSetting {
            name: "look".into(),
            value: k as f64,
            expected: format!("a run with looks left (it had {})", plan.looks.len()),
        })?;
    if table.points() != plan.points || table.blocks() != rounds {
        return Err(StatsError::InvalidSetting {
            name: "table".into(),
            value: table.blocks() as f64,
            expected: format!(
                "{} points × {rounds} rounds for look {}",
                plan.points,
                k + 1
            ),
        });
    }
    let design = Design::fit(table)?;
    let last = k + 1 == plan.looks.len();
    let mut next = state.clone();
    next.next_look = k + 1;
    let mut events = Vec::new();
    let ctx = Look {
        design: &design,
        plan,
        k,
        rounds,
    };
    if plan.settings.racing {
        race(&ctx, &mut next, &mut events, last);
    }
    for (index, c) in next.comparisons.iter_mut().enumerate() {
        if !c.status.is_open() {
            continue;
        }
        if let Some(status) = ctx.judge(c.head, c.base, last) {
            c.status = status.clone();
            events.push(Event::Closed { index, status });
        }
    }
    for p in 0..plan.points {
        if next.points[p].stopped_at.is_some() {
            continue;
        }
        let in_open = next
            .comparisons
            .iter()
            .any(|c| c.status.is_open() && (c.head == p || c.base == p));
        let racing = plan.settings.racing && next.points[p].race == Race::Open;
        let dropped = matches!(next.points[p].race, Race::Dropped { .. });
        if last || dropped || !(in_open || racing) {
            next.points[p].stopped_at = Some(k);
            events.push(Event::Stopped { point: p });
        }
    }
    Ok((next, events))
}

/// One look's data and plan.
struct Look<'a> {
    design: &'a Design,
    plan: &'a AdaptivePlan,
    k: usize,
    rounds: usize,
}

impl Look<'_> {
    /// The call on head − base at critical score `critical`.
    fn call(&self, head: usize, base: usize, critical: f64) -> Option<(Call, f64, f64)> {
        let c = self.design.contrast(head, base)?;
        let z = z_of_t(c.estimate / c.se, c.df);
        let half = t_of_z(critical, c.df) * c.se;
        let level = 2.0 * Normal::standard().cdf(critical) - 1.0;
        // Finite, so a journaled state reads back (JSON has no infinity).
        let pct = |x: f64| to_pct(x).clamp(-100.0, f64::MAX);
        let change = Change {
            pct: pct(c.estimate),
            ci: Some(Interval {
                lo: pct(c.estimate - half),
                hi: pct(c.estimate + half),
                level,
                nominal: level,
            }),
            guard: None,
        };
        let (verdict, _) = decide_parts(Some(z.abs() >= critical), &change, &self.plan.rule);
        Some((
            Call {
                verdict,
                look: self.k,
                rounds: self.rounds,
                change,
                z,
                critical_z: critical,
            },
            c.estimate,
            c.se,
        ))
    }

    /// The status a comparison closes with at this look, if it closes.
    fn judge(&self, head: usize, base: usize, last: bool) -> Option<Status> {
        let (call, estimate, se) = self.call(head, base, self.plan.comparison_z[self.k])?;
        if call.verdict != Verdict::NotShown {
            return Some(Status::Decided(call));
        }
        if last {
            return Some(Status::Budget(call));
        }
        (self.conditional_power(estimate, se, &self.plan.comparison_z) < FUTILITY)
            .then_some(Status::Futile(call))
    }

    /// The chance of a call at the budget if `estimate` were the truth:
    /// the final estimate is the current one plus the future rounds'
    /// information, `N(estimate, se²·n(N − n)/N²)`.
    fn conditional_power(&self, estimate: f64, se: f64, critical_z: &[f64]) -> f64 {
        let plan = self.plan;
        let (n, big_n) = (self.rounds as f64, plan.settings.max_rounds as f64);
        let se_final = se * (n / big_n).sqrt();
        let spread = se * (n * (big_n - n)).sqrt() / big_n;
        let critical = *critical_z.last().expect("a plan has looks");
        let band = (plan.rule.noise_band_pct / 100.0).ln_1p();
        let normal = Normal::standard();
        let beyond = (critical * se_final).max(band);
        let different =
            normal.sf((beyond - estimate) / spread) + normal.cdf((-beyond - estimate) / spread);
        let within = band - critical * se_final;
        let equivalent = if within > 0.0 {
            normal.cdf((within - estimate) / spread) - normal.cdf((-within - estimate) / spread)
        } else {
            0.0
        };
        different + equivalent
    }
}

/// Races the points still in the race against the current best.
fn race(ctx: &Look, next: &mut AdaptiveState, events: &mut Vec<Event>, last: bool) {
    let sign = match ctx.plan.rule.better {
        Better::Lower => 1.0,
        Better::Higher => -1.0,
    };
    let fitted = ctx.design.fitted();
    let contenders: Vec<usize> = (0..ctx.plan.points)
        .filter(|&p| fitted.has(p) && !matches!(next.points[p].race, Race::Dropped { .. }))
        .collect();
    let Some(&best) = contenders
        .iter()
        .min_by(|&&a, &&b| (sign * fitted.fit.point[a]).total_cmp(&(sign * fitted.fit.point[b])))
    else {
        return;
    };
    let critical = ctx.plan.race_z[ctx.k];
    for &p in contenders.iter().filter(|&&p| p != best) {
        if next.points[p].race != Race::Open {
            continue;
        }
        let Some((call, estimate, se)) = ctx.call(p, best, critical) else {
            continue;
        };
        let race = match call.verdict {
            Verdict::Slower => Race::Dropped { best, call },
            Verdict::Equivalent => Race::Tied { best, call },
            _ if last => Race::Budget,
            _ if ctx.conditional_power(estimate, se, &ctx.plan.race_z) < FUTILITY => {
                Race::Futile { best, call }
            }
            _ => continue,
        };
        next.points[p].race = race.clone();
        events.push(Event::Raced { point: p, race });
    }
    let others_open = contenders
        .iter()
        .any(|&p| p != best && next.points[p].race == Race::Open);
    if next.points[best].race == Race::Open && (!others_open || last) {
        let race = Race::Best {
            look: ctx.k,
            rounds: ctx.rounds,
        };
        next.points[best].race = race.clone();
        events.push(Event::Raced { point: best, race });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 200 points × 10 rounds, point 1 +20%, the rest equal with a fixed
    /// ±1% wiggle: a look decides the +20% point and is quick (the time
    /// is printed; `docs/statistics-block-design.md` quotes a release run).
    #[test]
    fn a_look_over_200_points_decides_and_replays_from_json() {
        let settings = AdaptiveSettings {
            min_rounds: 10,
            max_rounds: 20,
            racing: true,
            ..AdaptiveSettings::default()
        };
        let comparisons: Vec<(usize, usize)> = (1..200).map(|i| (i, 0)).collect();
        let plan = AdaptivePlan::new(200, &comparisons, settings, VerdictRule::default()).unwrap();
        let rows: Vec<Vec<f64>> = (0..200)
            .map(|i| {
                (0..10)
                    .map(|r| {
                        let wiggle = 0.01 * (((i * 10 + r) as f64) * 0.77).sin();
                        let shift = if i == 1 { 1.2 } else { 1.0 };
                        1000.0 * shift * wiggle.exp()
                    })
                    .collect()
            })
            .collect();
        let table = BlockTable::complete(&rows).unwrap();
        let state = plan.start();
        let json = serde_json::to_string(&state).unwrap();
        let started = std::time::Instant::now();
        let (next, events) = look(&state, &table).unwrap();
        eprintln!(
            "one look, 200 points × 10 rounds, racing: {:.1} ms",
            started.elapsed().as_secs_f64() * 1e3
        );
        match &next.comparisons[0].status {
            Status::Decided(call) => assert_eq!(call.verdict, Verdict::Slower),
            other => panic!("{other:?}"),
        }
        assert!(matches!(next.points[1].race, Race::Dropped { .. }));
        assert!(next.points[1].stopped_at == Some(0));
        assert!(events
            .iter()
            .any(|e| matches!(e, Event::Stopped { point: 1 })));
        // The journaled state replays the same look.
        let back: AdaptiveState = serde_json::from_str(&json).unwrap();
        let (again, _) = look(&back, &table).unwrap();
        assert_eq!(again.points, next.points);
        assert_eq!(again.next_rounds(), Some(12));
    }

    #[test]
    fn bad_plans_and_tables_are_errors() {
        let rule = VerdictRule::default();
        let s = AdaptiveSettings::default();
        let bad = |s: AdaptiveSettings| AdaptivePlan::new(4, &[(1, 0)], s, rule).is_err();
        assert!(bad(AdaptiveSettings { every: 0, ..s }));
        assert!(bad(AdaptiveSettings { max_rounds: 4, ..s }));
        assert!(bad(AdaptiveSettings { min_rounds: 2, ..s }));
        assert!(AdaptivePlan::new(4, &[(1, 4)], s, rule).is_err());
        let plan = AdaptivePlan::new(4, &[(1, 0)], s, rule).unwrap();
        assert_eq!(plan.looks, vec![5, 7, 9, 11, 13, 15]);
        let wrong = BlockTable::complete(&vec![vec![1.0; 4]; 4]).unwrap();
        assert!(look(&plan.start(), &wrong).is_err());
    }
}
