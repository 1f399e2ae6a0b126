//! Simulations of the block-design analysis at the sizes tuner runs,
//! with fixed seeds (run with `--nocapture` to see the tables):
//! `choice` (which analysis holds its level with the most power),
//! `best` (the could-be-best and declared families), `detectable` (the
//! smallest detectable change against simulated power), `adaptive`
//! (sequential looks and racing).
//!
//! Data model ([`Scenario`]): point `i`'s process in round `r` has the
//! value `m_i · e^{b_r} · P_ir`, and takes 5 samples around it with a
//! further 0.5% log-normal noise; its value is the median of its samples,
//! as in a real run. `b_r` is the round's offset (drift), `P_ir` the
//! process effect: log-normal with the point's CV, or t₃-tailed with the
//! same SD; with a share of slow processes 10–30% slower still.

mod adaptive;
mod best;
mod choice;
mod detectable;

use super::BlockTable;
use crate::stats::median;
use crate::stats::simulation::{rng, std_normal};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

pub(super) use crate::stats::simulation::rate;

/// Samples per process and their CV.
const SAMPLES: usize = 5;
const WITHIN_CV: f64 = 0.005;

/// How a run's noise behaves.
#[derive(Clone, Copy, Debug)]
pub(super) struct Scenario {
    pub name: &'static str,
    /// Each point's CV is drawn from this range (equal bounds: one CV).
    pub cv: (f64, f64),
    /// t₃ tails instead of log-normal, at the same SD.
    pub heavy: bool,
    /// Share of processes 10–30% slower.
    pub slow_share: f64,
    /// SD of the rounds' log offsets, and a trend per round.
    pub drift: (f64, f64),
    /// The last point's CV is 5× the others'.
    pub noisy_point: bool,
}

impl Scenario {
    pub(crate) const fn plain(name: &'static str, cv: f64) -> Scenario {
        Scenario {
            name,
            cv: (cv, cv),
            heavy: false,
            slow_share: 0.0,
            drift: (0.0, 0.0),
            noisy_point: false,
        }
    }
}

/// The scenarios of the choice table (issue 18): normal CV 2% and 1–5%,
/// t₃ tails, a slow process in 10, drift between rounds, one point 5×
/// noisier.
pub(super) const SCENARIOS: [Scenario; 6] = [
    Scenario::plain("normal, CV 2%", 0.02),
    Scenario {
        cv: (0.01, 0.05),
        ..Scenario::plain("normal, CV 1–5% by point", 0.02)
    },
    Scenario {
        heavy: true,
        ..Scenario::plain("t₃ tails, SD 2%", 0.02)
    },
    Scenario {
        slow_share: 0.1,
        ..Scenario::plain("1 process in 10 is 10–30% slow", 0.02)
    },
    Scenario {
        drift: (0.03, 0.01),
        ..Scenario::plain("rounds drift (3% SD + 1%/round)", 0.02)
    },
    Scenario {
        noisy_point: true,
        ..Scenario::plain("one point 5× noisier", 0.02)
    },
];

/// One simulated run: per-process values (median of samples) and the
/// same processes reduced to the mean of their log samples.
pub(super) struct Run {
    pub medians: BlockTable,
    pub log_means: BlockTable,
}

fn t3(rng: &mut ChaCha8Rng) -> f64 {
    let chi2: f64 = (0..3).map(|_| std_normal(rng).powi(2)).sum();
    std_normal(rng) / (chi2 / 3.0).sqrt()
}

/// A run of `points × rounds` with true log changes `shifts` (point 0 is
/// the baseline at 0).
pub(super) fn simulate(rng: &mut ChaCha8Rng, s: &Scenario, rounds: usize, shifts: &[f64]) -> Run {
    let points = shifts.len();
    let cvs: Vec<f64> = (0..points)
        .map(|i| {
            let cv = if s.cv.0 < s.cv.1 {
                rng.gen_range(s.cv.0..s.cv.1)
            } else {
                s.cv.0
            };
            if s.noisy_point && i + 1 == points {
                5.0 * cv
            } else {
                cv
            }
        })
        .collect();
    let offsets: Vec<f64> = (0..rounds)
        .map(|r| s.drift.0 * std_normal(rng) + s.drift.1 * r as f64)
        .collect();
    let mut medians = vec![vec![0.0; rounds]; points];
    let mut log_means = vec![vec![0.0; rounds]; points];
    for i in 0..points {
        for r in 0..rounds {
            let z = if s.heavy {
                t3(rng) / 3f64.sqrt()
            } else {
                std_normal(rng)
            };
            let slow = if rng.gen::<f64>() < s.slow_share {
                rng.gen_range(1.1f64..1.3).ln()
            } else {
                0.0
            };
            let center = 1000f64.ln() + shifts[i] + offsets[r] + cvs[i] * z + slow;
            let logs: Vec<f64> = (0..SAMPLES)
                .map(|_| center + WITHIN_CV * std_normal(rng))
                .collect();
            let values: Vec<f64> = logs.iter().map(|l| l.exp()).collect();
            medians[i][r] = median(&values).expect("finite samples");
            log_means[i][r] = (logs.iter().sum::<f64>() / SAMPLES as f64).exp();
        }
    }
    Run {
        medians: BlockTable::complete(&medians).expect("positive values"),
        log_means: BlockTable::complete(&log_means).expect("positive values"),
    }
}

pub(super) fn seeded(seed: u64) -> ChaCha8Rng {
    rng(seed)
}

/// Repetitions per cell: `TUNER_SIM_REPS` when set (the committed tables
/// used more, in release mode, see `docs/statistics-block-design.md`),
/// else `default`.
pub(super) fn reps(default: usize) -> usize {
    std::env::var("TUNER_SIM_REPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
