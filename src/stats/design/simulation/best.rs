//! The could-be-best family (Hsu's MCB) and the declared family on
//! simulated runs. MCB's guarantee is Hsu's: *the* true best (point 0,
//! with the others equal to it or slower) is shown "not the best"
//! (verdict slower) in at most 5% of runs. With exact ties every tied
//! point is a best and the claim "slower" for one of them is false; that
//! rate (any tied best shown slower) is printed, not bounded: the
//! constrained interval `[0, U]` beside such a verdict still covers
//! `θ = 0`. The declared family (Bonferroni over 3 tests) false-alarms in
//! at most 5% of A/A runs.

use super::super::{Design, Family, Method, Spread};
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

/// Three declared tests in A/A runs: the chosen analysis holds the
/// family's level at 6–24 points, with unequal spreads and with slow
/// processes (least squares with own spreads printed beside it).
#[test]
fn declared_family_holds_its_level() {
    let trials = reps(150);
    let rule = VerdictRule::default();
    let ols = Method {
        robust: false,
        spread: Spread::Own,
    };
    let bound = 0.05 + 2.0 * (0.05f64 * 0.95 / trials as f64).sqrt();
    for (scenario, points, seed) in [(1, 6, 0), (1, 12, 1), (3, 8, 2), (3, 24, 3)] {
        let s = &SCENARIOS[scenario];
        let mut rng = seeded(18_500 + seed);
        let (mut chosen, mut plain) = (0, 0);
        let family = Family::Declared(vec![(1, 0), (3, 2), (5, 4)]);
        let alarm = |f: &crate::stats::FamilyAnalysis| {
            usize::from(
                f.comparisons
                    .iter()
                    .any(|c| matches!(c.verdict, Verdict::Faster | Verdict::Slower)),
            )
        };
        for _ in 0..trials {
            let run = simulate(&mut rng, s, 7, &vec![0.0; points]);
            let fit = |m: Method| {
                Design::with_method(&run.medians, m)
                    .and_then(|d| d.family(&family, &rule))
                    .expect("a complete design")
            };
            chosen += alarm(&fit(super::super::CHOSEN));
            plain += alarm(&fit(ols));
        }
        let (fw, ls) = (rate(chosen, trials), rate(plain, trials));
        eprintln!(
            "declared family of 3, {points} × 7, {}: family-wise false alarms {fw:.3} \
             (least squares, own spread: {ls:.3})",
            s.name
        );
        assert!(fw <= bound, "{}: {fw:.3}", s.name);
    }
}
