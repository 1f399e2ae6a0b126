//! Simulation tests of the engine's error rates, power and coverage at the
//! sizes tuner runs by default (7 processes × 5 samples, and the 7 × 2 many
//! committed configs use), with fixed seeds: statistical properties checked
//! on synthetic data, not timing tests. Run with `--nocapture` to see the
//! measured rates.
//!
//! Data model ([`Noise`]): each process has a log-normal process effect
//! with the stated CV (what differs between processes: layout, frequency,
//! ASLR), and takes its samples with a further log-normal noise within the
//! process; each process is reduced to the median of its samples, as in a
//! real run. Log-normal noise is right-skewed, like timings; a share of
//! processes can be made 10% slower still, for a heavier right tail.

mod compare;
mod diagnostics;
mod geomean;
mod paired;

use super::per_process_medians;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The defaults: processes per point, samples per process.
pub(super) const DEFAULT: Shape = Shape {
    processes: 7,
    samples: 5,
};
/// The size many committed configs use.
pub(super) const SHORT: Shape = Shape {
    processes: 7,
    samples: 2,
};

/// How many processes a point has and samples each process takes.
#[derive(Clone, Copy, Debug)]
pub(super) struct Shape {
    pub processes: usize,
    pub samples: usize,
}

/// The noise of one point.
#[derive(Clone, Copy, Debug)]
pub(super) struct Noise {
    /// CV of the per-process effect.
    pub between_cv: f64,
    /// CV of samples within a process.
    pub within_cv: f64,
    /// Share of processes that run a further 10% slower (a right-skewed
    /// process effect: interference, a bad layout).
    pub slow_share: f64,
}

impl Noise {
    pub(super) fn between(cv: f64) -> Noise {
        Noise {
            between_cv: cv,
            within_cv: 0.005,
            slow_share: 0.0,
        }
    }

    pub(super) fn with_slow_processes(self, share: f64) -> Noise {
        Noise {
            slow_share: share,
            ..self
        }
    }
}

pub(super) fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// A standard normal draw by Box-Muller: two lines here instead of adding
/// `rand_distr` for tests only.
pub(super) fn std_normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = 1.0 - rng.gen::<f64>(); // (0, 1], so ln is finite
    let u2: f64 = rng.gen();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Log-normal with median `median` and coefficient of variation `cv`.
pub(super) fn log_normal(rng: &mut ChaCha8Rng, median: f64, cv: f64) -> f64 {
    let sigma = (1.0 + cv * cv).ln().sqrt();
    median * (sigma * std_normal(rng)).exp()
}

/// Every process's samples for one point whose true median is `median`.
pub(super) fn samples(
    rng: &mut ChaCha8Rng,
    median: f64,
    noise: Noise,
    shape: Shape,
) -> Vec<Vec<f64>> {
    (0..shape.processes)
        .map(|_| {
            let slow = if rng.gen::<f64>() < noise.slow_share {
                1.1
            } else {
                1.0
            };
            let center = log_normal(rng, median * slow, noise.between_cv);
            (0..shape.samples)
                .map(|_| log_normal(rng, center, noise.within_cv))
                .collect()
        })
        .collect()
}

/// Per-process values of one point: each process's samples reduced to their median.
pub(super) fn point(rng: &mut ChaCha8Rng, median: f64, noise: Noise, shape: Shape) -> Vec<f64> {
    per_process_medians(&samples(rng, median, noise, shape)).expect("simulated samples are finite")
}

/// Share of `hits` in `total`.
pub(super) fn rate(hits: usize, total: usize) -> f64 {
    hits as f64 / total as f64
}
