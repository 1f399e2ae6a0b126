//! The could-be-best family (Hsu's MCB) and the declared family on
//! simulated runs. MCB's guarantee is Hsu's: *the* true best (point 0,
//! with the others equal to it or slower) is shown "not the best"
//! (verdict slower) in at most 5% of runs. With exact ties every tied
//! point is a best and the claim "slower" for one of them is false; that
//! rate (any tied best shown slower) is printed, not bounded: the
//! constrained interval `[0, U]` beside such a verdict still covers
//! `θ = 0`. The declared family (Bonferroni over 3 tests) false-alarms in
//! at most 5% of A/A runs.

use super::super::{Design, Family};
use super::{rate, reps, seeded, simulate, SCENARIOS};
use crate::stats::{Verdict, VerdictRule};

#[test]
fn a_true_best_stays_a_possible_best() {
    let trials = reps(100);
    let rule = VerdictRule::default();
    let bound = 0.05 + 2.0 * (0.05f64 * 0.95 / trials as f64).sqrt();
    let equal = vec![0.0; 8];
    let two: Vec<f64> = (0..8)
        .map(|i| if i < 2 { 0.0 } else { 1.05f64.ln() })
        .collect();
    for (name, shifts, seed) in [
        ("8 equal points", equal, 1),
        ("2 equal bests, 6 at +5%", two, 2),
    ] {
        let mut rng = seeded(18_400 + seed);
        let (mut lost, mut any, mut slow_excluded, mut slow) = (0, 0, 0, 0);
        for _ in 0..trials {
            let run = simulate(&mut rng, &SCENARIOS[0], 7, &shifts);
            let f = Design::fit(&run.medians)
                .and_then(|d| d.family(&Family::Best, &rule))
                .expect("a complete design");
            lost += usize::from(
                f.comparisons
                    .iter()
                    .any(|c| c.head == 0 && c.verdict == Verdict::Slower),
            );
            any += usize::from(
                f.comparisons
                    .iter()
                    .any(|c| shifts[c.head] == 0.0 && c.verdict == Verdict::Slower),
            );
            for c in f.comparisons.iter().filter(|c| shifts[c.head] > 0.0) {
                slow += 1;
                slow_excluded += usize::from(c.verdict == Verdict::Slower);
            }
        }
        let (lost, any) = (rate(lost, trials), rate(any, trials));
        let slow = if slow > 0 {
            rate(slow_excluded, slow)
        } else {
            f64::NAN
        };
        eprintln!(
            "MCB, {name}, 8 × 7, CV 2%: the true best (point 0) shown slower than the best \
             {lost:.3}, any tied best {any:.3}; +5% points shown slower {slow:.2}"
        );
        assert!(lost <= bound, "{name}: {lost:.3}");
    }
}

#[test]
fn declared_family_holds_its_level() {
    let trials = reps(150);
    let rule = VerdictRule::default();
    let mut rng = seeded(18_500);
    let mut alarms = 0;
    for _ in 0..trials {
        let run = simulate(&mut rng, &SCENARIOS[1], 7, &[0.0; 6]);
        let f = Design::fit(&run.medians)
            .and_then(|d| d.family(&Family::Declared(vec![(1, 0), (3, 2), (5, 4)]), &rule))
            .expect("a complete design");
        alarms += usize::from(
            f.comparisons
                .iter()
                .any(|c| matches!(c.verdict, Verdict::Faster | Verdict::Slower)),
        );
    }
    let fw = rate(alarms, trials);
    eprintln!("declared family of 3, 6 × 7, CV 1–5% by point: family-wise false alarms {fw:.3}");
    assert!(
        fw <= 0.05 + 2.0 * (0.05f64 * 0.95 / trials as f64).sqrt(),
        "{fw:.3}"
    );
}
