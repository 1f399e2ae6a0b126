//! Was a window contended: did other tasks take CPU the point could have
//! had? Only *others'* demand counts. A point's own threads beyond the
//! cores (8 rayon threads on 2 CPUs), rayon's spinning idle workers and
//! tuner's own runner cause context switches, run-queue delay and CPU
//! pressure with no neighbour at all, so those are not the test.
//!
//! The rule, checked in this order (the first that holds is the reason):
//!
//! 1. **Throttled**: the cgroup was throttled for more than
//!    [`Thresholds::throttled_share`] of the window.
//! 2. **Steal**: the hypervisor took more than [`Thresholds::steal_share`]
//!    of the allowed CPUs' time.
//! 3. **Others' CPU**: every task's busy time on the allowed CPUs, less
//!    the point's own and less the busy-time source's quantization, is
//!    more than [`Thresholds::others_share`] of those CPUs' capacity.
//! 4. **Run delay**: the point's threads waited for a CPU longer than its
//!    own threads explain. With `R` own runnable threads on `C` CPUs and
//!    nobody else, a thread waits only while all `C` CPUs run its
//!    siblings, and at most `R − C` wait at once, so the delay is at most
//!    `own CPU × max(R − C, 0) / C`. `R` is the larger of the threads that
//!    ran work and the threads asked for. The excess per runnable thread
//!    (ns of delay per ns of wall, over `R`) is the share of its threads'
//!    time they spent waiting for others, and must stay under
//!    [`Thresholds::unexplained_delay`]. Per thread, because while another
//!    task runs on a CPU every own thread queued there waits: 8 threads on
//!    2 CPUs wait 4× what one thread would for the same others' time.
//!
//! PSI is recorded but not used: it is the machine's, and a point with 8
//! threads on 2 CPUs stalls its own threads (see the calibration table).
//! The thresholds come from `examples/machine_probe.rs` runs on this
//! project's 2-CPU VM, in `docs/interference-calibration.md`.

use serde::{Deserialize, Serialize};

use super::delivered::Delivered;

/// The limits a quiet window stays under.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Thresholds {
    /// Others' CPU time over the allowed CPUs' capacity.
    pub others_share: f64,
    /// Run delay beyond what the own threads explain, per runnable thread.
    pub unexplained_delay: f64,
    /// Hypervisor steal over the allowed CPUs' capacity.
    pub steal_share: f64,
    /// Throttled time over the wall time.
    pub throttled_share: f64,
}

/// The thresholds in force, measured in `docs/interference-calibration.md`:
/// others' CPU and run delay 3× the largest seen on light windows.
pub(crate) const THRESHOLDS: Thresholds = Thresholds {
    others_share: 0.10,
    unexplained_delay: 0.10,
    steal_share: 0.05,
    throttled_share: 0.01,
};

/// Why a window was contended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Reason {
    Throttled,
    Steal,
    OthersCpu,
    RunDelay,
}

impl Reason {
    /// A few words for a report.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Reason::Throttled => "cgroup CPU throttling",
            Reason::Steal => "hypervisor steal",
            Reason::OthersCpu => "other processes' CPU time",
            Reason::RunDelay => "run-queue delay its own threads do not explain",
        }
    }
}

/// The figures the rule compares, for any window (`None` where the
/// machine did not show the source).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Figures {
    /// Others' CPU time (less quantization) over the allowed capacity.
    pub others_cpu_share: Option<f64>,
    /// Run delay beyond the own threads' explanation, per runnable
    /// thread: the share of their time they waited for others.
    pub unexplained_delay: Option<f64>,
    pub steal_share: Option<f64>,
    pub throttled_share: Option<f64>,
}

impl Figures {
    /// The figures of `d` for a point that asked for `asked` threads.
    pub(crate) fn of(d: &Delivered, asked: u32) -> Figures {
        let capacity = d.wall_ns as f64 * f64::from(d.allowed_cpus());
        let others_cpu_share = d
            .machine
            .zip(d.others_cpu_ns())
            .map(|(m, others)| others.saturating_sub(m.resolution_ns) as f64 / capacity.max(1.0));
        let unexplained_delay = d.run_delay_ns.map(|delay| {
            let runnable = d.threads.map_or(0, |t| t.ran).max(asked).max(1);
            let cpus = d.allowed_cpus();
            let explained =
                d.cpu_ns as f64 * f64::from(runnable.saturating_sub(cpus)) / f64::from(cpus);
            (delay as f64 - explained).max(0.0) / (d.wall_ns as f64).max(1.0) / f64::from(runnable)
        });
        Figures {
            others_cpu_share,
            unexplained_delay,
            steal_share: d.steal_share(),
            throttled_share: d.throttled_share(),
        }
    }

    /// The first rule this window breaks, if any.
    pub(crate) fn reason(&self, limits: &Thresholds) -> Option<Reason> {
        let over = |figure: Option<f64>, limit: f64| figure.is_some_and(|f| f > limit);
        if over(self.throttled_share, limits.throttled_share) {
            Some(Reason::Throttled)
        } else if over(self.steal_share, limits.steal_share) {
            Some(Reason::Steal)
        } else if over(self.others_cpu_share, limits.others_share) {
            Some(Reason::OthersCpu)
        } else if over(self.unexplained_delay, limits.unexplained_delay) {
            Some(Reason::RunDelay)
        } else {
            None
        }
    }
}

/// Whether a window was contended, and by what.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "contention", rename_all = "snake_case")]
pub(crate) enum Contention {
    Quiet,
    Contended {
        reason: Reason,
        #[serde(flatten)]
        figures: Figures,
    },
}

impl Contention {
    pub(crate) fn is_contended(&self) -> bool {
        matches!(self, Contention::Contended { .. })
    }
}

/// Classifies a window of a point that asked for `asked_threads` threads
/// against [`THRESHOLDS`].
pub(crate) fn classify(d: &Delivered, asked_threads: u32) -> Contention {
    let figures = Figures::of(d, asked_threads);
    match figures.reason(&THRESHOLDS) {
        Some(reason) => Contention::Contended { reason, figures },
        None => Contention::Quiet,
    }
}

#[cfg(test)]
mod tests {
    use super::super::delivered::{BusySource, MachineCpu, Throttle};
    use super::*;
    use crate::fixtures::delivered_window;

    #[test]
    fn eight_threads_on_two_cpus_alone_are_quiet() {
        // 8 runnable threads on 2 CPUs: 2 CPUs of work, 6 threads waiting.
        let alone = delivered_window(2000, 2010, 5900, 8);
        let f = Figures::of(&alone, 8);
        assert!((f.others_cpu_share.unwrap() - 0.005).abs() < 1e-9, "{f:?}");
        assert_eq!(f.unexplained_delay, Some(0.0), "6 s of delay explained");
        assert_eq!(classify(&alone, 8), Contention::Quiet);
    }

    #[test]
    fn a_neighbour_taking_cpu_is_flagged_by_others_time() {
        // One neighbour loop among 8 threads: it gets ~0.2 CPU.
        let shared = delivered_window(1790, 2000, 6200, 8);
        match classify(&shared, 8) {
            Contention::Contended { reason, figures } => {
                assert_eq!(reason, Reason::OthersCpu);
                assert!((figures.others_cpu_share.unwrap() - 0.105).abs() < 1e-9);
            }
            q => panic!("{q:?}"),
        }
        // Delay beyond the explanation, with others' time out of sight
        // (the source missing): flagged by run delay.
        let mut unseen = delivered_window(900, 0, 400, 1);
        unseen.machine = None;
        let f = Figures::of(&unseen, 1);
        assert_eq!(f.unexplained_delay, Some(0.4));
        assert_eq!(f.reason(&THRESHOLDS), Some(Reason::RunDelay));
        // 8 threads that waited 0.6 s beyond their own explanation: each
        // waited 7.5% of the time for others, under the limit.
        let mut eight = delivered_window(2000, 0, 6600, 8);
        eight.machine = None;
        let f = Figures::of(&eight, 8);
        assert!((f.unexplained_delay.unwrap() - 0.075).abs() < 1e-9, "{f:?}");
        assert_eq!(f.reason(&THRESHOLDS), None);
    }

    #[test]
    fn asked_threads_explain_delay_the_threads_seen_do_not() {
        // 2 threads seen busy, 4 asked: 1 s of CPU explains 1 s of delay.
        let d = delivered_window(1000, 1000, 1000, 2);
        assert_eq!(Figures::of(&d, 4).unexplained_delay, Some(0.0));
        assert_eq!(Figures::of(&d, 2).unexplained_delay, Some(0.5));
    }

    #[test]
    fn throttling_and_steal_come_first() {
        let mut d = delivered_window(1000, 1900, 0, 1);
        d.throttle = Some(Throttle {
            periods: 10,
            throttled: 5,
            throttled_ns: 50_000_000,
        });
        assert!(matches!(
            classify(&d, 1),
            Contention::Contended {
                reason: Reason::Throttled,
                ..
            }
        ));
        d.throttle = None;
        d.steal_ns = Some(200_000_000);
        let Contention::Contended { reason, figures } = classify(&d, 1) else {
            panic!()
        };
        assert_eq!(reason, Reason::Steal);
        assert_eq!(figures.steal_share, Some(0.1));
    }

    #[test]
    fn quantization_is_taken_off_others_time() {
        let mut d = delivered_window(500, 800, 0, 1);
        d.machine = Some(MachineCpu {
            source: BusySource::ProcStat,
            busy_ns: 800_000_000,
            observer_ns: 0,
            resolution_ns: 40_000_000,
        });
        let share = Figures::of(&d, 1).others_cpu_share.unwrap();
        assert!((share - 0.13).abs() < 1e-9, "{share}");
    }

    #[test]
    fn the_verdict_serializes_flat() {
        let json = serde_json::to_value(classify(&delivered_window(1000, 1900, 0, 1), 1)).unwrap();
        assert_eq!(json["contention"], "contended");
        assert_eq!(json["reason"], "others_cpu");
        assert_eq!(json["others_cpu_share"], 0.45);
        let quiet = serde_json::to_value(Contention::Quiet).unwrap();
        assert_eq!(quiet, serde_json::json!({"contention": "quiet"}));
    }
}
