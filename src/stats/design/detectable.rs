//! The smallest change a design can call, before it runs, and the rounds
//! a target change needs.
//!
//! A comparison of two points over `R` complete rounds has, on the log
//! scale, standard error `se = σ·√(2g/R)/√e`, with `σ` the per-process
//! spread left after the rounds are removed (from the previous run of the
//! config, or a stated default), `e` the analysis's efficiency at the
//! normal (1 for least squares, 0.95 for Huber's k = 1.345) and `g` the
//! own-spread guard `(P − 1)/(P − 2)` of `model`. The family sets the critical
//! value `c` (`dunnett`: many-to-one two-sided Dunnett with m
//! comparisons; best: one-sided with `points − 1`; declared: Bonferroni
//! over m), on the degrees of freedom the analysis will have, and the
//! verdict rule calls "slower" when the estimate passes both `c·se` and
//! the noise band. So with power `1 − β` (normal approximation, as in
//! Kalibera & Jones 2013, "Rigorous benchmarking in reasonable time", and
//! any sample-size formula) the smallest true change called is
//! `δ* = max(c·se, ln(1 + band)) + z_{1−β}·se`, reported in percent. The
//! inverse is the fewest rounds whose `δ*` reaches a target. The
//! simulation `simulation::detectable` checks `δ*` against simulated
//! power (the true change with 80% power lies within ±30% of it).

use super::super::effect::to_pct;
use super::super::StatsError;
use super::dunnett::{Factors, Sides};
use super::family::t_of_z;
use super::model::{Spread, CHOSEN};
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};

/// The kind of family a detectable change is stated for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum FamilyKind {
    /// Every point against the baseline (Dunnett).
    ManyToOne,
    /// Which points could be the best (Hsu's MCB).
    Best,
    /// Declared tests, Bonferroni across them.
    Declared,
}

/// What the smallest detectable change depends on.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct DesignPower {
    /// Points in the matrix.
    pub points: usize,
    /// Rounds (processes per point); a sharded run's rounds, all machines.
    pub rounds: usize,
    pub family: FamilyKind,
    /// Comparisons in the family.
    pub family_size: usize,
    /// Family-wise level.
    pub alpha: f64,
    /// Chance of calling a change of the detectable size, e.g. 0.8.
    pub power: f64,
    /// Per-process spread on the log scale (≈ the CV), after rounds.
    pub spread: f64,
    pub noise_band_pct: f64,
}

/// Huber's efficiency at the normal for k = 1.345.
const ROBUST_EFFICIENCY: f64 = 0.95;

impl DesignPower {
    fn check(&self) -> Result<(), StatsError> {
        StatsError::check_unit_open("alpha", self.alpha)?;
        StatsError::check_unit_open("power", self.power)?;
        StatsError::check_non_negative("noise_band_pct", self.noise_band_pct)?;
        let positive = |name: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(StatsError::InvalidSetting {
                    name: name.into(),
                    value: v,
                    expected: "a finite number > 0".into(),
                })
            }
        };
        positive("spread", self.spread)?;
        for (name, n, least) in [
            ("points", self.points, 2),
            ("rounds", self.rounds, 2),
            ("family_size", self.family_size, 1),
        ] {
            if n < least {
                return Err(StatsError::InvalidSetting {
                    name: name.into(),
                    value: n as f64,
                    expected: format!("at least {least}"),
                });
            }
        }
        Ok(())
    }

    /// Degrees of freedom of one comparison under the chosen analysis.
    fn df(&self) -> f64 {
        let (p, r) = (self.points as f64, self.rounds as f64);
        let per_point = (r - 1.0) * (p - 1.0) / p;
        match CHOSEN.spread {
            Spread::Own => 2.0 * per_point,
            Spread::Pooled | Spread::Moderated => (p - 1.0) * (r - 1.0),
        }
    }

    /// The family's critical value on the normal-score scale.
    fn critical_z(&self) -> f64 {
        let m = self.family_size;
        let half = 0.5f64.sqrt();
        match self.family {
            FamilyKind::ManyToOne => Factors::new(&vec![half; m]).critical(self.alpha, Sides::Two),
            FamilyKind::Best => Factors::new(&vec![half; m]).critical(self.alpha, Sides::One),
            FamilyKind::Declared => {
                Normal::standard().inverse_cdf(1.0 - self.alpha / (2.0 * m as f64))
            }
        }
    }

    /// Standard error of one comparison's log change at `rounds`, with
    /// the chosen analysis's efficiency and, for own spreads, the
    /// `(P − 1)/(P − 2)` guard against unequal spreads (`model`).
    fn se(&self, rounds: usize) -> f64 {
        let efficiency = if CHOSEN.robust {
            ROBUST_EFFICIENCY
        } else {
            1.0
        };
        let p = self.points as f64;
        let guard = match CHOSEN.spread {
            Spread::Own if self.points >= 3 => (p - 1.0) / (p - 2.0),
            _ => 1.0,
        };
        self.spread * (2.0 * guard / rounds as f64).sqrt() / efficiency.sqrt()
    }

    /// The smallest true change (percent, a slowdown) called with the
    /// stated power.
    pub(crate) fn detectable_pct(&self) -> Result<f64, StatsError> {
        self.check()?;
        Ok(self.detectable_at(self.rounds))
    }

    fn detectable_at(&self, rounds: usize) -> f64 {
        let at = DesignPower { rounds, ..*self };
        let df = at.df();
        let se = at.se(rounds);
        let c = t_of_z(at.critical_z(), df);
        let z_power = t_of_z(Normal::standard().inverse_cdf(self.power), df);
        let band = (self.noise_band_pct / 100.0).ln_1p();
        to_pct((c * se).max(band) + z_power * se)
    }

    /// The fewest rounds (≤ `max_rounds`) at which a change of
    /// `target_pct` is called with the stated power; `None` if even
    /// `max_rounds` is not enough.
    pub(crate) fn rounds_for(
        &self,
        target_pct: f64,
        max_rounds: usize,
    ) -> Result<Option<usize>, StatsError> {
        self.check()?;
        Ok((2..=max_rounds).find(|&r| self.detectable_at(r) <= target_pct))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn design(rounds: usize) -> DesignPower {
        DesignPower {
            points: 24,
            rounds,
            family: FamilyKind::ManyToOne,
            family_size: 23,
            alpha: 0.05,
            power: 0.8,
            spread: 0.02,
            noise_band_pct: 1.0,
        }
    }

    #[test]
    fn more_rounds_detect_less_and_the_inverse_agrees() {
        let d7 = design(7).detectable_pct().unwrap();
        let d14 = design(14).detectable_pct().unwrap();
        assert!(d14 < d7 && d7 > 2.0 && d7 < 8.0, "{d7} {d14}");
        let r = design(7).rounds_for(d7, 100).unwrap().unwrap();
        assert!(r <= 7);
        let r14 = design(7).rounds_for(d14, 100).unwrap().unwrap();
        assert!(r14 > 7 && r14 <= 14, "{r14}");
        assert_eq!(design(7).rounds_for(0.5, 10).unwrap(), None);
    }

    #[test]
    fn the_band_floors_the_detectable_change() {
        let wide = DesignPower {
            noise_band_pct: 20.0,
            ..design(50)
        };
        assert!(wide.detectable_pct().unwrap() > 20.0);
    }

    #[test]
    fn bad_inputs_are_errors() {
        assert!(DesignPower {
            rounds: 1,
            ..design(7)
        }
        .detectable_pct()
        .is_err());
        assert!(DesignPower {
            spread: 0.0,
            ..design(7)
        }
        .detectable_pct()
        .is_err());
        assert!(DesignPower {
            power: 1.0,
            ..design(7)
        }
        .detectable_pct()
        .is_err());
    }
}
