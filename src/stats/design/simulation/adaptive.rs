//! Adaptive runs (sequential looks + racing) on a 24-point design at CV
//! 2%: family-wise false alarms of every claim made, power at +2/5/10%,
//! the chance a true best is dropped (alone, and with three equal bests
//! among clearly worse points), and the processes used against the fixed
//! design at the budget. Looks at rounds 5, 7, …, 15 (the defaults of
//! `AdaptiveSettings`). Few runs by default (a debug `cargo test`); the
//! committed numbers used `TUNER_SIM_REPS=400` in release mode.

use super::super::{look, AdaptivePlan, AdaptiveSettings, BlockTable, Race, Status};
use super::{rate, reps, seeded, simulate, Scenario};
use crate::stats::{Spending, Verdict, VerdictRule};
use rand_chacha::ChaCha8Rng;

/// What one simulated adaptive run did.
#[derive(Debug, Default)]
pub(super) struct Outcome {
    /// Any false claim: a faster/slower call against the true direction
    /// (or with no true change), an equivalence beyond the band, a drop
    /// of a point not truly slower than the one it was compared with.
    pub false_claim: bool,
    /// Comparisons called in the true direction, by comparison index.
    pub called: Vec<bool>,
    /// Points dropped by racing.
    pub dropped: Vec<bool>,
    /// Processes run, and at the fixed design (points × max rounds).
    pub used: usize,
    pub fixed: usize,
}

/// Runs one adaptive run on data simulated with true log effects `shifts`.
pub(super) fn run(
    rng: &mut ChaCha8Rng,
    scenario: &Scenario,
    shifts: &[f64],
    comparisons: &[(usize, usize)],
    settings: AdaptiveSettings,
) -> Outcome {
    let rule = VerdictRule::default();
    let band = (rule.noise_band_pct / 100.0).ln_1p();
    let full = simulate(rng, scenario, settings.max_rounds, shifts).medians;
    let plan = AdaptivePlan::new(shifts.len(), comparisons, settings, rule).expect("a valid plan");
    let mut state = plan.start();
    let mut stopped_after: Vec<Option<usize>> = vec![None; shifts.len()];
    while let Some(rounds) = state.next_rounds() {
        let values: Vec<Vec<Option<f64>>> = full
            .values
            .iter()
            .enumerate()
            .map(|(p, row)| {
                row[..rounds]
                    .iter()
                    .enumerate()
                    .map(|(r, v)| match stopped_after[p] {
                        Some(last) if r >= last => None,
                        _ => *v,
                    })
                    .collect()
            })
            .collect();
        let table = BlockTable::new(values).expect("simulated values");
        let (next, _) = look(&state, &table).expect("a look on valid data");
        for (p, s) in next.points.iter().enumerate() {
            if let (Some(k), None) = (s.stopped_at, stopped_after[p]) {
                stopped_after[p] = Some(plan.looks[k]);
            }
        }
        state = next;
    }
    let mut out = Outcome {
        called: vec![false; comparisons.len()],
        dropped: vec![false; shifts.len()],
        used: state.processes_used(),
        fixed: shifts.len() * settings.max_rounds,
        ..Outcome::default()
    };
    for (i, c) in state.comparisons.iter().enumerate() {
        let truth = shifts[c.head] - shifts[c.base];
        if let Status::Decided(call) = &c.status {
            let wrong = match call.verdict {
                Verdict::Slower => truth <= 0.0,
                Verdict::Faster => truth >= 0.0,
                Verdict::Equivalent => truth.abs() > band,
                Verdict::NotShown => false,
            };
            out.false_claim |= wrong;
            out.called[i] = match call.verdict {
                Verdict::Slower => truth > 0.0,
                Verdict::Faster => truth < 0.0,
                _ => false,
            };
        }
    }
    for (p, s) in state.points.iter().enumerate() {
        match &s.race {
            Race::Dropped { best, .. } => {
                out.dropped[p] = true;
                out.false_claim |= shifts[p] <= shifts[*best];
            }
            Race::Tied { best, .. } => {
                out.false_claim |= (shifts[p] - shifts[*best]).abs() > band;
            }
            _ => {}
        }
    }
    out
}

fn settings(racing: bool) -> AdaptiveSettings {
    AdaptiveSettings {
        racing,
        ..AdaptiveSettings::default()
    }
}

fn many_to_one(points: usize) -> Vec<(usize, usize)> {
    (1..points).map(|i| (i, 0)).collect()
}

const CV2: Scenario = Scenario::plain("normal, CV 2%", 0.02);

/// A/A: 24 equal points, every point against the baseline, with and
/// without racing: the share of runs with any false claim stays ≤ 5%.
#[test]
fn adaptive_family_wise_false_alarms_stay_at_most_5_percent() {
    let trials = reps(60);
    let bound = 0.05 + 2.0 * (0.05f64 * 0.95 / trials as f64).sqrt();
    for (racing, scenario, seed) in [
        (false, CV2, 1),
        (true, CV2, 2),
        (true, super::SCENARIOS[3], 3),
        (true, super::SCENARIOS[1], 4),
    ] {
        let mut rng = seeded(18_000 + seed);
        let (mut alarms, mut used, mut fixed) = (0, 0, 0);
        for _ in 0..trials {
            let o = run(
                &mut rng,
                &scenario,
                &[0.0; 24],
                &many_to_one(24),
                settings(racing),
            );
            alarms += usize::from(o.false_claim);
            used += o.used;
            fixed += o.fixed;
        }
        let fw = rate(alarms, trials);
        eprintln!(
            "adaptive A/A, 24 points, {}, racing {racing}: family-wise false claims {fw:.3} \
             ({trials} runs), processes {:.0}% of the fixed 24 × 15",
            scenario.name,
            100.0 * used as f64 / fixed as f64
        );
        assert!(fw <= bound, "{} racing {racing}: {fw:.3}", scenario.name);
    }
}

/// Power at +2%, +5% and +10% (6 points each) with 5 unchanged points
/// against the baseline, CV 2%; processes used against the fixed design.
#[test]
fn adaptive_power_at_2_5_and_10_percent() {
    let trials = reps(40);
    let shifts: Vec<f64> = (0..24)
        .map(|i| match i {
            1..=6 => 1.02f64.ln(),
            7..=12 => 1.05f64.ln(),
            13..=18 => 1.10f64.ln(),
            _ => 0.0,
        })
        .collect();
    for (racing, spending) in [
        (false, Spending::OBrienFleming),
        (false, Spending::Pocock),
        (true, Spending::OBrienFleming),
    ] {
        let mut rng = seeded(18_100);
        let mut hits = [0usize; 3];
        let (mut used, mut fixed, mut alarms) = (0, 0, 0);
        let s = AdaptiveSettings {
            spending,
            ..settings(racing)
        };
        for _ in 0..trials {
            let o = run(&mut rng, &CV2, &shifts, &many_to_one(24), s);
            for (i, &c) in o.called.iter().enumerate() {
                let class = match i + 1 {
                    1..=6 => 0,
                    7..=12 => 1,
                    13..=18 => 2,
                    _ => continue,
                };
                hits[class] += usize::from(c);
            }
            alarms += usize::from(o.false_claim);
            used += o.used;
            fixed += o.fixed;
        }
        let p = hits.map(|h| rate(h, 6 * trials));
        eprintln!(
            "adaptive power, 24 points, CV 2%, {spending:?}, racing {racing}: +2% {:.2}, +5% {:.2}, \
             +10% {:.2}; false claims {:.3}; processes {:.0}% of the fixed 24 × 15",
            p[0],
            p[1],
            p[2],
            rate(alarms, trials),
            100.0 * used as f64 / fixed as f64
        );
        assert!(
            p[2] >= 0.95 && p[1] >= 0.8,
            "{spending:?} racing {racing}: {p:?}"
        );
    }
}

/// Racing: how often a true best is dropped — 24 equal points; 3 equal
/// bests among 21 points 10–30% slower; one best 1% ahead of 23 — and
/// how many processes racing saves when most points are clearly worse.
#[test]
fn racing_keeps_a_true_best() {
    let trials = reps(60);
    let equal = vec![0.0; 24];
    let three: Vec<f64> = (0..24)
        .map(|i| {
            if i < 3 {
                0.0
            } else {
                (1.1 + 0.01 * (i - 3) as f64).ln()
            }
        })
        .collect();
    let ahead: Vec<f64> = (0..24)
        .map(|i| if i == 0 { 0.0 } else { 1.01f64.ln() })
        .collect();
    for (name, shifts, seed) in [
        ("24 equal points", equal, 1),
        ("3 equal bests, 21 at +10–30%", three, 2),
        ("best 1% ahead of 23", ahead, 3),
    ] {
        let mut rng = seeded(18_200 + seed);
        let best = shifts.iter().copied().fold(f64::INFINITY, f64::min);
        let (mut any, mut all, mut used, mut fixed) = (0, 0, 0, 0);
        for _ in 0..trials {
            let o = run(&mut rng, &CV2, &shifts, &[], settings(true));
            let bests: Vec<bool> = (0..24)
                .filter(|&p| shifts[p] == best)
                .map(|p| o.dropped[p])
                .collect();
            any += usize::from(bests.iter().any(|&d| d));
            all += usize::from(bests.iter().all(|&d| d));
            used += o.used;
            fixed += o.fixed;
        }
        let (any, all) = (rate(any, trials), rate(all, trials));
        eprintln!(
            "racing, {name}, CV 2%: a true best dropped {any:.3}, every true best dropped \
             {all:.3}; processes {:.0}% of the fixed 24 × 15",
            100.0 * used as f64 / fixed as f64
        );
        assert!(all <= 0.05, "{name}: {all:.3}");
        assert!(
            any <= 0.05 + 2.0 * (0.05f64 * 0.95 / trials as f64).sqrt(),
            "{name}: {any:.3}"
        );
    }
}

/// Short adaptive runs, the shape of `configs/mergesort.toml` made
/// adaptive: 26 points, 3 rounds at least, a look after every round, 7 at
/// most. O'Brien-Fleming-type spending against Pocock-type: family-wise
/// false claims in A/A runs of every scenario (each point's own spread
/// has 2 degrees of freedom at the first look), and, with mergesort's mix
/// of changes (most points 20–100% away from the baseline, a few within
/// 0–7%), the share of changes called and the processes used against the
/// fixed 7-round design.
#[test]
fn short_adaptive_runs_by_spending() {
    let trials = reps(20);
    let bound = 0.05 + 2.0 * (0.05f64 * 0.95 / trials as f64).sqrt();
    let short = |spending| AdaptiveSettings {
        min_rounds: 3,
        every: 1,
        max_rounds: 7,
        spending,
        ..AdaptiveSettings::default()
    };
    // Mergesort's committed changes against its baseline, rounded.
    let changes = [
        0.0, -0.07, 0.01, 0.95, 0.9, 0.85, 0.3, 0.35, 0.2, 0.27, 0.4, -0.01, -0.44, -0.45, -0.43,
        -0.01, -0.47, -0.45, -0.43, 0.0, -0.43, -0.45, -0.42, -0.76, -0.4, -0.7,
    ];
    let shifts: Vec<f64> = changes.iter().map(|c: &f64| c.ln_1p()).collect();
    let mut failures = Vec::new();
    for spending in [Spending::OBrienFleming, Spending::Pocock] {
        for (k, scenario) in super::SCENARIOS.iter().enumerate() {
            let mut rng = seeded(18_300 + k as u64);
            let mut alarms = 0;
            for _ in 0..trials {
                let o = run(
                    &mut rng,
                    scenario,
                    &[0.0; 26],
                    &many_to_one(26),
                    short(spending),
                );
                alarms += usize::from(o.false_claim);
            }
            let fw = rate(alarms, trials);
            eprintln!(
                "short adaptive A/A, 26 points, 3–7 rounds, {spending:?}, {}: family-wise false claims {fw:.3} ({trials} runs)",
                scenario.name
            );
            if fw > bound {
                failures.push(format!("{spending:?} {}: {fw:.3}", scenario.name));
            }
        }
        let mut rng = seeded(18_310);
        let (mut called, mut large, mut used, mut fixed, mut alarms) = (0, 0, 0, 0, 0);
        let cv3 = Scenario::plain("normal, CV 3%", 0.03);
        for _ in 0..trials {
            let o = run(&mut rng, &cv3, &shifts, &many_to_one(26), short(spending));
            called += o.called.iter().filter(|&&c| c).count();
            large += o
                .called
                .iter()
                .enumerate()
                .filter(|&(i, &c)| c && changes[i + 1].abs() >= 0.2)
                .count();
            used += o.used;
            fixed += o.fixed;
            alarms += usize::from(o.false_claim);
        }
        let big = changes.iter().filter(|c| c.abs() >= 0.2).count();
        eprintln!(
            "short adaptive, mergesort's changes, CV 3%, {spending:?}: {:.2} of changes ≥ 20% called, \
             {:.1} calls a run; false claims {:.3}; processes {:.0}% of the fixed 26 × 7",
            rate(large, big * trials),
            called as f64 / trials as f64,
            rate(alarms, trials),
            100.0 * used as f64 / fixed as f64
        );
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
