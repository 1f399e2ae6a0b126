//! Two-run comparisons at the default sizes: A/A family-wise false alarms,
//! power for a 2% shift alone and among 8 points (Holm), and the coverage
//! of the change and median intervals.

use super::super::effect::hodges_lehmann_change;
use super::super::*;
use super::{point, rate, rng, Noise, Shape, DEFAULT, SHORT};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Compares one family of points (base, head shifted by `shift`), Holm-adjusted.
fn family(rng: &mut ChaCha8Rng, cvs: &[f64], shifts: &[f64], shape: Shape) -> Vec<Comparison> {
    let settings = CompareSettings::default();
    let mut comparisons: Vec<Comparison> = cvs
        .iter()
        .zip(shifts)
        .map(|(&cv, &shift)| {
            let base = point(rng, 1000.0, Noise::between(cv), shape);
            let head = point(rng, 1000.0 * (1.0 + shift), Noise::between(cv), shape);
            compare(&base, &head, &settings).expect("simulated values are positive")
        })
        .collect();
    adjust_family(&mut comparisons);
    comparisons
}

fn is_alarm(c: &Comparison) -> bool {
    matches!(c.verdict, Verdict::Faster | Verdict::Slower)
}

/// 2000 A/A families of 8 points at 7 × 5 and at 7 × 2, each point's CV
/// drawn from 1–5%: the share of families with any "faster" or "slower"
/// verdict must stay ≤ 5%, and the unadjusted test must hold its level.
#[test]
fn aa_family_wise_false_alarm_rate_is_at_most_5_percent_at_the_defaults() {
    for (shape, seed) in [(DEFAULT, 20240601), (SHORT, 20240602)] {
        let mut rng = rng(seed);
        let (families, points) = (2000, 8);
        let (mut alarmed, mut raw_hits) = (0, 0);
        for _ in 0..families {
            let cvs: Vec<f64> = (0..points).map(|_| rng.gen_range(0.01..=0.05)).collect();
            let fam = family(&mut rng, &cvs, &[0.0; 8], shape);
            alarmed += usize::from(fam.iter().any(is_alarm));
            raw_hits += fam
                .iter()
                .filter(|c| c.p().is_some_and(|p| p < 0.05))
                .count();
        }
        let fw = rate(alarmed, families);
        let raw = rate(raw_hits, families * points);
        eprintln!(
            "A/A {}×{}: {families} families × {points} points, CV 1–5%: family-wise false \
             alarms {fw:.4}, unadjusted per-comparison p<0.05 {raw:.4}",
            shape.processes, shape.samples
        );
        assert!(fw <= 0.05, "family-wise false alarm rate {fw:.4} > 5%");
        // The exact test at 7 + 7 has size 2·P(U ≤ 8) = 0.038 at p < 0.05:
        // a rate far below means a broken p-value, far above a liberal one.
        assert!(
            (0.025..=0.05).contains(&raw),
            "per-comparison rate {raw:.4}"
        );
    }
}

/// Share of shifted comparisons called "slower", over `trials` families.
fn detected(rng: &mut ChaCha8Rng, trials: usize, shifts: &[f64], shape: Shape, cv: f64) -> f64 {
    let cvs = vec![cv; shifts.len()];
    let (mut hits, mut total) = (0usize, 0usize);
    for _ in 0..trials {
        let fam = family(rng, &cvs, shifts, shape);
        for (c, &shift) in fam.iter().zip(shifts) {
            if shift > 0.0 {
                total += 1;
                hits += usize::from(c.verdict == Verdict::Slower);
            }
        }
    }
    rate(hits, total)
}

/// Power to call a true 2% slowdown "slower" at CV 1%: alone, as the one
/// shifted point among 8 (Holm's first step is α/8, the hardest case), and
/// with all 8 shifted. The floors sit a few points under the measured
/// rates (printed), so a loss of power fails the test.
#[test]
fn power_for_a_2_percent_shift_at_the_defaults() {
    let mut one_of_8 = [0.0; 8];
    one_of_8[0] = 0.02;
    let cases = [(DEFAULT, [0.78, 0.40, 0.60]), (SHORT, [0.80, 0.43, 0.53])];
    for (i, (shape, floors)) in cases.into_iter().enumerate() {
        let mut rng = rng(7 + i as u64);
        let alone = detected(&mut rng, 800, &[0.02], shape, 0.01);
        let lone = detected(&mut rng, 800, &one_of_8, shape, 0.01);
        let all = detected(&mut rng, 100, &[0.02; 8], shape, 0.01);
        eprintln!(
            "power {}×{}, 2% shift, CV 1%: alone {alone:.3}, 1 shifted among 8 {lone:.3}, \
             all 8 shifted {all:.3}",
            shape.processes, shape.samples
        );
        assert!(alone >= floors[0], "alone {alone:.3} < {}", floors[0]);
        assert!(lone >= floors[1], "1 of 8 {lone:.3} < {}", floors[1]);
        assert!(all >= floors[2], "all 8 {all:.3} < {}", floors[2]);
    }
}

/// The change interval's stated (achieved) level must hold at 7 + 7: over
/// 3000 trials with a true 3% shift at CV 3%, the share of intervals
/// containing +3% is at least the stated level minus 3 binomial sd.
#[test]
fn change_interval_covers_the_true_shift_at_its_stated_level() {
    for (shape, seed) in [(DEFAULT, 99), (SHORT, 98)] {
        let mut rng = rng(seed);
        let trials = 3000;
        let (mut covered, mut level) = (0, 0.0);
        for _ in 0..trials {
            let base = point(&mut rng, 500.0, Noise::between(0.03), shape);
            let head = point(&mut rng, 500.0 * 1.03, Noise::between(0.03), shape);
            let c = hodges_lehmann_change(&base, &head, 0.95).expect("positive values");
            let ci = c.ci.expect("7 processes give an interval");
            covered += usize::from(ci.contains(3.0));
            level = ci.level;
        }
        let cover = rate(covered, trials);
        let sd = (level * (1.0 - level) / trials as f64).sqrt();
        eprintln!(
            "change interval {}×{}: coverage {cover:.4} at stated level {level:.4}",
            shape.processes, shape.samples
        );
        assert!(
            cover >= level - 3.0 * sd,
            "coverage {cover:.4} < {level:.4}"
        );
    }
}

/// The median interval's achieved level at n = 7 ([min, max], 1 − 2/128 =
/// 98.4%) must hold.
#[test]
fn median_interval_covers_the_true_median_at_its_stated_level() {
    let mut rng = rng(3);
    let trials = 3000;
    let mut covered = 0;
    let mut level = 0.0;
    for _ in 0..trials {
        let values = point(&mut rng, 1000.0, Noise::between(0.05), DEFAULT);
        let ci = Summary::of(&values).ok().and_then(|s| s.ci).expect("n = 7");
        covered += usize::from(ci.contains(1000.0));
        level = ci.level;
    }
    let cover = rate(covered, trials);
    eprintln!("median interval 7×5: coverage {cover:.4} at stated level {level:.4}");
    assert!((level - (1.0 - 2.0 / 128.0)).abs() < 1e-12);
    assert!(cover >= level - 0.01, "coverage {cover:.4}");
}
