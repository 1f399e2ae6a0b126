//! The geometric-mean interval (issue 8 #7): coverage of the true
//! geometric-mean change at 6–8 points × 7 processes per side, CV 1–5%,
//! log-normal noise, with and without a share of slow outlier processes.

use super::super::*;
use super::{point, rate, rng, Noise, Shape, DEFAULT, SHORT};
use rand::Rng;

/// Coverage over `trials` comparisons of `points` points, each with its
/// own true change in ±5% and CV in 1–5%.
fn coverage(seed: u64, trials: usize, points: usize, shape: Shape, slow_share: f64) -> f64 {
    let mut rng = rng(seed);
    let mut covered = 0;
    for _ in 0..trials {
        let mut base = Vec::new();
        let mut head = Vec::new();
        let mut log_truth = 0.0;
        for i in 0..points {
            let shift: f64 = rng.gen_range(-0.05..0.05);
            let noise = Noise::between(rng.gen_range(0.01..0.05)).with_slow_processes(slow_share);
            base.push((i.to_string(), point(&mut rng, 1000.0, noise, shape)));
            head.push((
                i.to_string(),
                point(&mut rng, 1000.0 * (1.0 + shift), noise, shape),
            ));
            log_truth += shift.ln_1p() / points as f64;
        }
        let g = geomean_change(&base, &head, &GeoMeanSettings::default()).unwrap();
        let ci = g.ci.expect("7 processes a side give an interval");
        covered += usize::from(ci.contains(log_truth.exp_m1() * 100.0));
    }
    rate(covered, trials)
}

/// ≥ 93% coverage at nominal 95% for 6 and 8 points at 7 × 5 and 7 × 2,
/// and with 10% of processes 10% slower (skewed, outliers).
#[test]
fn geomean_interval_covers_the_true_change_at_realistic_sizes() {
    let cases = [
        (6, DEFAULT, 0.0),
        (8, DEFAULT, 0.0),
        (6, SHORT, 0.0),
        (8, SHORT, 0.0),
        (8, DEFAULT, 0.1),
    ];
    for (i, (points, shape, slow)) in cases.into_iter().enumerate() {
        let cover = coverage(70 + i as u64, 1000, points, shape, slow);
        eprintln!(
            "geomean interval, {points} points × {}×{}, CV 1–5%, slow share {slow}: coverage {cover:.3}",
            shape.processes, shape.samples
        );
        assert!(cover >= 0.93, "coverage {cover:.3}");
    }
}
