//! The smallest detectable change against simulation: for the many-to-one
//! family at 24 × 7 and 8 × 5 (CV 2%), the true change called "slower"
//! with 80% power must lie within ±30% of `DesignPower::detectable_pct`:
//! power at 0.7× the prediction is below 80%, at 1.3× above.

use super::super::{Design, DesignPower, Family, FamilyKind};
use super::{rate, reps, seeded, simulate, SCENARIOS};
use crate::stats::{Verdict, VerdictRule};

/// Share of the shifted points (every second one) called slower.
fn power(seed: u64, points: usize, rounds: usize, pct: f64, trials: usize) -> f64 {
    let mut rng = seeded(seed);
    let shift = (pct / 100.0).ln_1p();
    let shifts: Vec<f64> = (0..points)
        .map(|i| if i % 2 == 1 { shift } else { 0.0 })
        .collect();
    let rule = VerdictRule::default();
    let mut hits = 0;
    for _ in 0..trials {
        let run = simulate(&mut rng, &SCENARIOS[0], rounds, &shifts);
        let f = Design::fit(&run.medians)
            .and_then(|d| d.family(&Family::ManyToOne { baseline: 0 }, &rule))
            .expect("a complete design");
        hits += f
            .comparisons
            .iter()
            .filter(|c| c.head % 2 == 1 && c.verdict == Verdict::Slower)
            .count();
    }
    rate(hits, trials * (points / 2))
}

#[test]
fn detectable_change_matches_simulated_power() {
    let trials = reps(60);
    for (points, rounds, seed) in [(24, 7, 1), (8, 5, 2), (24, 12, 3)] {
        let predicted = DesignPower {
            points,
            rounds,
            family: FamilyKind::ManyToOne,
            family_size: points - 1,
            alpha: 0.05,
            power: 0.8,
            spread: 0.02,
            noise_band_pct: 1.0,
        }
        .detectable_pct()
        .unwrap();
        let low = power(18_300 + seed, points, rounds, 0.7 * predicted, trials);
        let at = power(18_310 + seed, points, rounds, predicted, trials);
        let high = power(18_320 + seed, points, rounds, 1.3 * predicted, trials);
        eprintln!(
            "detectable change, many-to-one, {points} × {rounds}, CV 2%: predicted {predicted:.2}% \
             for 80% power; simulated power at 0.7× {low:.2}, 1× {at:.2}, 1.3× {high:.2}"
        );
        assert!(
            low < 0.8 && high > 0.8,
            "{points}×{rounds}: {low:.2} {at:.2} {high:.2}"
        );
    }
}
