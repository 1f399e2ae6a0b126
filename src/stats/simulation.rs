//! Simulation tests of the engine's error rates, with a fixed seed: these are
//! statistical properties checked on synthetic data, not timing tests.
//!
//! Data model: each process has a log-normal process effect with the stated
//! CV (what differs between processes: layout, frequency, ASLR), and takes
//! 10 samples with a further 0.5% log-normal noise within the process; each
//! process is reduced to the median of its samples, as in a real run.

use super::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const PROCESSES: usize = 10;
const SAMPLES: usize = 10;
const WITHIN_CV: f64 = 0.005;

/// A standard normal draw by Box-Muller: two lines here instead of adding
/// `rand_distr` for tests only.
fn std_normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = 1.0 - rng.gen::<f64>(); // (0, 1], so ln is finite
    let u2: f64 = rng.gen();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Log-normal with median `median` and coefficient of variation `cv`.
fn log_normal(rng: &mut ChaCha8Rng, median: f64, cv: f64) -> f64 {
    let sigma = (1.0 + cv * cv).ln().sqrt();
    median * (sigma * std_normal(rng)).exp()
}

/// Per-process values of one point: each process's samples reduced to their median.
fn point(rng: &mut ChaCha8Rng, median: f64, cv: f64) -> Vec<f64> {
    let samples: Vec<Vec<f64>> = (0..PROCESSES)
        .map(|_| {
            let center = log_normal(rng, median, cv);
            (0..SAMPLES)
                .map(|_| log_normal(rng, center, WITHIN_CV))
                .collect()
        })
        .collect();
    per_process_medians(&samples).expect("simulated samples are finite")
}

/// Compares `points` pairs (base, head shifted by `shift`) as one family.
fn family(rng: &mut ChaCha8Rng, cvs: &[f64], shifts: &[f64]) -> Vec<Comparison> {
    let settings = CompareSettings::default();
    let mut comparisons: Vec<Comparison> = cvs
        .iter()
        .zip(shifts)
        .map(|(&cv, &shift)| {
            let base = point(rng, 1000.0, cv);
            let head = point(rng, 1000.0 * (1.0 + shift), cv);
            compare(&base, &head, &settings).expect("simulated values are positive")
        })
        .collect();
    adjust_family(&mut comparisons);
    comparisons
}

fn is_alarm(c: &Comparison) -> bool {
    matches!(c.verdict, Verdict::Faster | Verdict::Slower)
}

/// 4000 A/A families of 8 points, each point's CV drawn from 1–5%: the share
/// of families with any "faster" or "slower" verdict must stay ≤ 5%.
#[test]
fn aa_family_wise_false_alarm_rate_is_at_most_5_percent() {
    let mut rng = ChaCha8Rng::seed_from_u64(20240601);
    let (families, points) = (4000, 8);
    let (mut alarmed, mut any_p, mut raw_hits, mut equivalent) = (0, 0, 0, 0);
    for _ in 0..families {
        let cvs: Vec<f64> = (0..points).map(|_| rng.gen_range(0.01..=0.05)).collect();
        let fam = family(&mut rng, &cvs, &[0.0; 8]);
        alarmed += usize::from(fam.iter().any(is_alarm));
        any_p += usize::from(fam.iter().any(|c| c.p_adjusted.is_some_and(|p| p < 0.05)));
        raw_hits += fam
            .iter()
            .filter(|c| c.p().is_some_and(|p| p < 0.05))
            .count();
        equivalent += fam
            .iter()
            .filter(|c| c.verdict == Verdict::Equivalent)
            .count();
    }
    let rate = alarmed as f64 / families as f64;
    eprintln!(
        "A/A: {families} families × {points} points, 10 processes, CV 1–5%: \
         family-wise false alarms {rate:.4} ({alarmed}), Holm p<0.05 in {:.4}, \
         unadjusted per-comparison p<0.05 {:.4}, equivalent verdicts {:.4}",
        any_p as f64 / families as f64,
        raw_hits as f64 / (families * points) as f64,
        equivalent as f64 / (families * points) as f64,
    );
    assert!(rate <= 0.05, "family-wise false alarm rate {rate:.4} > 5%");
    // The unadjusted test must itself hold its level (≈ 5%, exact test is conservative).
    let raw_rate = raw_hits as f64 / (families * points) as f64;
    assert!(
        (0.03..=0.06).contains(&raw_rate),
        "per-comparison rate {raw_rate:.4}"
    );
}

/// A true 2% slowdown at CV 1% with 10 processes per side must be called
/// "slower" in ≥ 90% of trials: alone, and inside a family of 8 points
/// where every point shifted. Also reported: one shifted point among 7 null
/// ones (the hardest case for Holm, first step at α/8).
#[test]
fn power_for_a_2_percent_shift_at_cv_1_percent_is_at_least_90_percent() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let trials = 1000;
    let single = detected(&mut rng, trials, &[0.02]);
    let all_shifted = detected(&mut rng, trials / 4, &[0.02; 8]);
    let mut one_of_8 = [0.0; 8];
    one_of_8[0] = 0.02;
    let lone = detected(&mut rng, trials, &one_of_8);
    eprintln!(
        "power, 2% shift, CV 1%, 10 processes: alone {single:.4}, \
         all 8 points shifted {all_shifted:.4}, 1 shifted among 8 {lone:.4}"
    );
    assert!(single >= 0.90, "power alone {single:.4} < 90%");
    assert!(
        all_shifted >= 0.90,
        "power in a shifted family {all_shifted:.4} < 90%"
    );
    assert!(
        lone >= 0.80,
        "power for one shifted point among 8: {lone:.4}"
    );
}

/// Share of shifted comparisons called "slower", over `trials` families.
fn detected(rng: &mut ChaCha8Rng, trials: usize, shifts: &[f64]) -> f64 {
    let cvs = vec![0.01; shifts.len()];
    let (mut hits, mut total) = (0usize, 0usize);
    for _ in 0..trials {
        let fam = family(rng, &cvs, shifts);
        for (c, &shift) in fam.iter().zip(shifts) {
            if shift > 0.0 {
                total += 1;
                hits += usize::from(c.verdict == Verdict::Slower);
            }
        }
    }
    hits as f64 / total as f64
}

/// The change interval's stated (achieved) level must hold: over 4000
/// trials with a true 3% shift at CV 3%, the share of intervals containing
/// the true change is at least the stated level minus simulation error.
#[test]
fn change_interval_covers_the_true_shift_at_its_stated_level() {
    let mut rng = ChaCha8Rng::seed_from_u64(99);
    let trials = 4000;
    let mut covered = 0;
    let mut level = 0.0;
    for _ in 0..trials {
        let base = point(&mut rng, 500.0, 0.03);
        let head = point(&mut rng, 500.0 * 1.03, 0.03);
        let c = hodges_lehmann_change(&base, &head, 0.95).expect("positive values");
        let ci = c.ci.expect("10 processes give an interval");
        covered += usize::from(ci.contains(3.0));
        level = ci.level;
    }
    let rate = covered as f64 / trials as f64;
    eprintln!("change interval coverage {rate:.4} at stated level {level:.4}");
    // Binomial sd at 2000 trials is ≈ 0.0045; allow 3 sd.
    assert!(
        rate >= level - 0.0135,
        "coverage {rate:.4} < level {level:.4}"
    );
}

/// The median interval's achieved level (97.85% at n = 10) must hold.
#[test]
fn median_interval_covers_the_true_median_at_its_stated_level() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let trials = 2000;
    let mut covered = 0;
    for _ in 0..trials {
        let values: Vec<f64> = (0..PROCESSES)
            .map(|_| log_normal(&mut rng, 1000.0, 0.05))
            .collect();
        let ci = Summary::of(&values)
            .ok()
            .and_then(|s| s.ci)
            .expect("n = 10");
        covered += usize::from(ci.contains(1000.0));
    }
    let rate = covered as f64 / trials as f64;
    eprintln!("median interval coverage {rate:.4} at stated level 0.9785");
    assert!(rate >= 0.9785 - 0.01, "coverage {rate:.4}");
}
