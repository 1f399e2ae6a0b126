//! Which analysis of the block design to use: today's Mann-Whitney +
//! Holm against the two-way model on log time (least squares or Huber,
//! pooled or moderated spread) and the process-as-random-effect model,
//! on the many-to-one family (every point against the baseline, α = 5%),
//! at 8 × 5, 24 × 7 and 200 × 10 (points × rounds).
//!
//! Level: the share of A/A runs (no point differs) with any comparison
//! significant (adjusted p < 5%, i.e. the family interval excludes 0).
//! Power: every second point is 5% slower; the share of those called
//! significant in the right direction. The same simulated runs feed every
//! candidate.
//!
//! The process-as-random-effect model (`y_irs = μ + α_i + β_r + u_ir +
//! e_irs`, samples `s` within processes) is, for balanced samples, the
//! two-way model on each process's mean of log samples: its REML
//! estimates of `α` are those means' least-squares fit and its tests use
//! their residual variance (Searle, Casella & McCulloch 1992, "Variance
//! Components", §4.8), so it is simulated as that (moderated).

use super::super::model::Spread;
use super::super::{Design, Family, Method};
use super::{rate, reps, seeded, simulate, Scenario, SCENARIOS};
use crate::stats::{adjust_family, compare, CompareSettings, VerdictRule};

/// A candidate analysis.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Candidate {
    MannWhitneyHolm,
    Model(Method),
    RandomEffect,
}

const CANDIDATES: [Candidate; 8] = [
    Candidate::MannWhitneyHolm,
    Candidate::Model(Method {
        robust: false,
        spread: Spread::Pooled,
    }),
    Candidate::Model(Method {
        robust: true,
        spread: Spread::Pooled,
    }),
    Candidate::Model(Method {
        robust: false,
        spread: Spread::Moderated,
    }),
    Candidate::Model(Method {
        robust: true,
        spread: Spread::Moderated,
    }),
    Candidate::Model(Method {
        robust: false,
        spread: Spread::Own,
    }),
    Candidate::Model(Method {
        robust: true,
        spread: Spread::Own,
    }),
    Candidate::RandomEffect,
];

impl Candidate {
    fn name(&self) -> &'static str {
        match self {
            Candidate::MannWhitneyHolm => "MW + Holm (today)",
            Candidate::Model(m) => m.name(),
            Candidate::RandomEffect => "process random effect",
        }
    }

    /// Per comparison against point 0: significant, and in which direction.
    fn calls(&self, run: &super::Run) -> Vec<Option<f64>> {
        let rule = VerdictRule::default();
        match self {
            Candidate::MannWhitneyHolm => {
                let values: Vec<Vec<f64>> = run
                    .medians
                    .values
                    .iter()
                    .map(|r| r.iter().flatten().copied().collect())
                    .collect();
                let settings = CompareSettings::default();
                let mut family: Vec<_> = values[1..]
                    .iter()
                    .map(|h| compare(&values[0], h, &settings).expect("positive values"))
                    .collect();
                adjust_family(&mut family);
                family
                    .iter()
                    .map(|c| {
                        c.p_adjusted
                            .filter(|p| *p < rule.alpha)
                            .map(|_| c.change.pct)
                    })
                    .collect()
            }
            Candidate::Model(_) | Candidate::RandomEffect => {
                let (table, method) = match self {
                    Candidate::Model(m) => (&run.medians, *m),
                    _ => (
                        &run.log_means,
                        Method {
                            robust: false,
                            spread: Spread::Moderated,
                        },
                    ),
                };
                let design = Design::with_method(table, method).expect("a complete design");
                let f = design
                    .family(&Family::ManyToOne { baseline: 0 }, &rule)
                    .expect("baseline has values");
                f.comparisons
                    .iter()
                    .map(|c| {
                        let ci = c.change.ci.expect("family interval");
                        (ci.lo > 0.0 || ci.hi < 0.0).then_some(c.change.pct)
                    })
                    .collect()
            }
        }
    }
}

/// Level and power of every candidate in one scenario and size.
struct Cell {
    level: Vec<f64>,
    power: Vec<f64>,
}

fn cell(seed: u64, s: &Scenario, points: usize, rounds: usize, trials: usize) -> Cell {
    let mut rng = seeded(seed);
    let mut alarms = vec![0usize; CANDIDATES.len()];
    let mut called = vec![0usize; CANDIDATES.len()];
    let shift = 1.05f64.ln();
    let shifted: Vec<f64> = (0..points)
        .map(|i| if i % 2 == 1 { shift } else { 0.0 })
        .collect();
    let targets = (1..points).filter(|i| i % 2 == 1).count();
    for _ in 0..trials {
        let null = simulate(&mut rng, s, rounds, &vec![0.0; points]);
        let power = simulate(&mut rng, s, rounds, &shifted);
        for (k, c) in CANDIDATES.iter().enumerate() {
            alarms[k] += usize::from(c.calls(&null).iter().any(Option::is_some));
            called[k] += c
                .calls(&power)
                .iter()
                .enumerate()
                .filter(|(j, call)| (j + 1) % 2 == 1 && call.is_some_and(|pct| pct > 0.0))
                .count();
        }
    }
    Cell {
        level: alarms.iter().map(|&a| rate(a, trials)).collect(),
        power: called.iter().map(|&c| rate(c, trials * targets)).collect(),
    }
}

const SIZES: [(usize, usize); 3] = [(8, 5), (24, 7), (200, 10)];

/// The table of `docs/statistics-block-design.md`: family-wise false
/// alarms (A/A) and power at +5%, per scenario, size and candidate. The
/// chosen analysis must hold its level (≤ 5% + 2 binomial SD) in every
/// cell and not fall far below today's power anywhere. By default (a
/// debug `cargo test`) 30 runs per cell at 8 × 5 and 24 × 7; with
/// `TUNER_SIM_REPS` set, that many runs at every size (the committed
/// table: 150, in release mode).
#[test]
fn choice_table() {
    let full = std::env::var("TUNER_SIM_REPS").is_ok();
    let trials = reps(30);
    let sizes = if full { &SIZES[..] } else { &SIZES[..2] };
    let header: Vec<String> = CANDIDATES.iter().map(|c| c.name().to_string()).collect();
    eprintln!(
        "\nmany-to-one family, α = 5%, {trials} runs per cell: false alarms (A/A) / power at +5%\n"
    );
    eprintln!("| scenario | points × rounds | {} |", header.join(" | "));
    eprintln!("|---|---|{}", "---|".repeat(CANDIDATES.len()));
    let chosen = CANDIDATES
        .iter()
        .position(|c| *c == Candidate::Model(super::super::CHOSEN))
        .expect("the chosen method is a candidate");
    let bound = 0.05 + 2.0 * (0.05f64 * 0.95 / trials as f64).sqrt();
    let mut failures = Vec::new();
    let only: Option<usize> = std::env::var("TUNER_SIM_SCENARIO")
        .ok()
        .and_then(|v| v.parse().ok());
    for (k, s) in SCENARIOS.iter().enumerate() {
        if only.is_some_and(|o| o != k) {
            continue;
        }
        for (n, &(points, rounds)) in sizes.iter().enumerate() {
            let c = cell(1800 + 10 * k as u64 + n as u64, s, points, rounds, trials);
            let cells: Vec<String> = (0..CANDIDATES.len())
                .map(|j| format!("{:.3} / {:.2}", c.level[j], c.power[j]))
                .collect();
            eprintln!(
                "| {} | {points} × {rounds} | {} |",
                s.name,
                cells.join(" | ")
            );
            if c.level[chosen] > bound {
                failures.push(format!(
                    "{}, {points}×{rounds}: level {:.3}",
                    s.name, c.level[chosen]
                ));
            }
            // Today's rank test is ahead with slow processes at 24 × 7
            // (0.37 against 0.26 in the committed table): allow 0.15.
            if c.power[chosen] < c.power[0] - 0.15 {
                failures.push(format!(
                    "{}, {points}×{rounds}: power {:.3} below today's {:.3}",
                    s.name, c.power[chosen], c.power[0]
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
