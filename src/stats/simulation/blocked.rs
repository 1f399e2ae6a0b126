//! Blocked comparisons (issue 13): two points whose processes ran on two
//! machines, the second 10% slower, with no point effect. Pooling the
//! processes reads the machine offset as a change whenever the points'
//! processes are spread unevenly over the machines; comparing within
//! machines (van Elteren) does not.

use super::super::*;
use super::{point, rate, rng, Noise, Shape};
use rand_chacha::ChaCha8Rng;

/// Per-process values of one point on machines with the given speed
/// factors, `counts[i]` processes on machine `i`.
fn machines(rng: &mut ChaCha8Rng, shift: f64, speeds: &[f64], counts: &[usize]) -> Vec<Vec<f64>> {
    speeds
        .iter()
        .zip(counts)
        .map(|(&speed, &processes)| {
            let shape = Shape {
                processes,
                samples: 5,
            };
            point(
                rng,
                1000.0 * speed * (1.0 + shift),
                Noise::between(0.02),
                shape,
            )
        })
        .collect()
}

struct Rates {
    pooled_significant: f64,
    pooled_alarms: f64,
    blocked_alarms: f64,
    blocked_significant: f64,
    covered: f64,
}

/// `trials` comparisons of head (shifted by `shift`) against base, with
/// base's and head's processes spread over the machines as given.
fn run(seed: u64, trials: usize, shift: f64, base_on: &[usize], head_on: &[usize]) -> Rates {
    let mut rng = rng(seed);
    let speeds = [1.0, 1.10, 0.95];
    let settings = CompareSettings::default();
    let alarm = |v: Verdict| usize::from(matches!(v, Verdict::Faster | Verdict::Slower));
    let (mut pooled, mut pooled_p, mut blocked, mut significant, mut covered) = (0, 0, 0, 0, 0);
    for _ in 0..trials {
        let base = machines(&mut rng, 0.0, &speeds, base_on);
        let head = machines(&mut rng, shift, &speeds, head_on);
        let p = compare(&base.concat(), &head.concat(), &settings).unwrap();
        pooled += alarm(p.verdict);
        pooled_p += usize::from(p.p().is_some_and(|p| p < 0.05));
        let blocks: Vec<(&[f64], &[f64])> = base
            .iter()
            .zip(&head)
            .map(|(b, h)| (b.as_slice(), h.as_slice()))
            .collect();
        let b = compare_blocked(&blocks, &settings).unwrap();
        blocked += alarm(b.verdict);
        significant += usize::from(b.p.is_some_and(|p| p < 0.05));
        covered += usize::from(b.change.ci.is_some_and(|ci| ci.contains(shift * 100.0)));
    }
    Rates {
        pooled_significant: rate(pooled_p, trials),
        pooled_alarms: rate(pooled, trials),
        blocked_alarms: rate(blocked, trials),
        blocked_significant: rate(significant, trials),
        covered: rate(covered, trials),
    }
}

/// 10 processes a side merged from two machines, base 8 + 2 and head
/// 2 + 8 (shards of different speed finishing different rounds, or a shard
/// that failed): pooled Mann-Whitney calls the offset a change most of the
/// time; the blocked test stays at 5%: it is exact here, with size
/// 2·P(U₁ + U₂ ≤ 10) = 4.94% for U₁ ~ U(8, 2), U₂ ~ U(2, 8) (counted by
/// enumeration while writing this test); the bound allows 2 sd of
/// simulation error, 0.6 points at 5000 runs.
#[test]
fn blocked_test_ignores_a_machine_offset_that_fools_the_pooled_one() {
    let trials = 5000;
    let r = run(131, trials, 0.0, &[8, 2], &[2, 8]);
    let bound = 0.05 + 2.0 * (0.05f64 * 0.95 / trials as f64).sqrt();
    eprintln!(
        "machine offset 10%, base 8+2, head 2+8, no change: pooled p<0.05 {:.4}, pooled \
         faster/slower {:.4}; blocked p<0.05 {:.4}, faster/slower {:.4}, interval covers 0 {:.4}",
        r.pooled_significant, r.pooled_alarms, r.blocked_significant, r.blocked_alarms, r.covered
    );
    assert!(
        r.pooled_significant > 0.5,
        "pooled {:.4}",
        r.pooled_significant
    );
    assert!(r.pooled_alarms > 0.5, "pooled {:.4}", r.pooled_alarms);
    assert!(
        r.blocked_significant <= bound,
        "blocked p {:.4}",
        r.blocked_significant
    );
    assert!(r.blocked_alarms <= bound, "blocked {:.4}", r.blocked_alarms);
    assert!(r.covered >= 0.93, "coverage {:.4}", r.covered);
}

/// Three machines, 3 + 2 + 2 processes per side, a true 3% change at CV
/// 2%: the blocked interval covers it and the test finds it more often
/// than the pooled one, whose machine spread hides it; with no change the
/// blocked test holds its level (5% plus 2 sd of simulation error).
#[test]
fn blocked_interval_covers_a_true_change_across_three_machines() {
    let r = run(132, 1500, 0.03, &[3, 2, 2], &[3, 2, 2]);
    let null = run(133, 1500, 0.0, &[3, 2, 2], &[3, 2, 2]);
    eprintln!(
        "three machines 3+2+2, +3% at CV 2%: blocked interval coverage {:.4}, blocked p<0.05 \
         {:.4}, pooled p<0.05 {:.4}; no change: blocked p<0.05 {:.4}",
        r.covered, r.blocked_significant, r.pooled_significant, null.blocked_significant
    );
    assert!(r.covered >= 0.93, "coverage {:.4}", r.covered);
    assert!(
        r.blocked_significant >= 0.5,
        "power {:.4}",
        r.blocked_significant
    );
    assert!(r.pooled_significant < r.blocked_significant - 0.2);
    assert!(
        null.blocked_significant <= 0.05 + 0.011,
        "{:.4}",
        null.blocked_significant
    );
}
