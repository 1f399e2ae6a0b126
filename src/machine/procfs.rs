//! The kernel's text files this module reads, and their parsers: plain
//! functions on the text, tested on fixed copies of it.
//!
//! Written by hand: each format is a line or two of numbers, and a `/proc`
//! crate (procfs) would read every file into heap strings and maps inside
//! the process being measured, while covering neither the cgroup files
//! (`cpu.stat`, `cpuacct.usage_percpu`) nor a thread's exit. One buffer
//! per snapshot serves every read.

use std::io::Read as _;
use std::path::Path;

/// Reads the file at `path` into `buf` (replacing what it held) and
/// returns it as text; `None` where it cannot be opened or read.
pub(super) fn read(path: impl AsRef<Path>, buf: &mut Vec<u8>) -> Option<&str> {
    buf.clear();
    std::fs::File::open(path).ok()?.read_to_end(buf).ok()?;
    std::str::from_utf8(buf).ok()
}

/// The length of a `/proc` tick (`USER_HZ`), ns.
pub(super) fn tick_ns() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    1_000_000_000 / if hz > 0 { hz as u64 } else { 100 }
}

/// One CPU's line of `/proc/stat`, in `USER_HZ` ticks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct CpuTicks {
    pub id: u32,
    /// user + nice + system + irq + softirq (guest time is inside user).
    pub busy: u64,
    /// Time the hypervisor ran something else while this CPU had work.
    pub steal: u64,
}

/// Calls `each` with every `cpuN` line of `/proc/stat` (not the `cpu`
/// total): `cpuN user nice system idle iowait irq softirq steal …`.
/// The per-CPU lines come first, so it stops at the first other line.
pub(super) fn stat_cpus(text: &str, mut each: impl FnMut(CpuTicks)) {
    for line in text.lines() {
        let mut fields = line.split_ascii_whitespace();
        let Some(name) = fields.next() else { continue };
        let Some(id) = name.strip_prefix("cpu") else {
            break;
        };
        let Ok(id) = id.parse::<u32>() else {
            continue; // the `cpu` total line
        };
        let mut n = [0u64; 8];
        for (slot, field) in n.iter_mut().zip(fields) {
            *slot = field.parse().unwrap_or(0);
        }
        let [user, nice, system, _idle, _iowait, irq, softirq, steal] = n;
        each(CpuTicks {
            id,
            busy: user + nice + system + irq + softirq,
            steal,
        });
    }
}

/// A thread's `schedstat`: nanoseconds on a CPU, nanoseconds waiting on
/// a run queue, and how many times it was put on a CPU.
pub(super) fn schedstat(text: &str) -> Option<(u64, u64, u64)> {
    let mut f = text.split_ascii_whitespace().map(|x| x.parse::<u64>().ok());
    Some((f.next()??, f.next()??, f.next().flatten().unwrap_or(0)))
}

/// The cumulative totals of a PSI file (`/proc/pressure/cpu`), in µs:
/// `some` (at least one task stalled) and `full` (all non-idle tasks
/// stalled; absent for CPU before Linux 5.13).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct PsiTotals {
    pub some_us: u64,
    pub full_us: Option<u64>,
}

pub(super) fn psi(text: &str) -> Option<PsiTotals> {
    let total = |kind: &str| {
        text.lines()
            .find(|l| l.starts_with(kind))?
            .split_ascii_whitespace()
            .find_map(|f| f.strip_prefix("total="))?
            .parse::<u64>()
            .ok()
    };
    Some(PsiTotals {
        some_us: total("some ")?,
        full_us: total("full "),
    })
}

/// A cgroup's CPU throttling counters so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct ThrottleTotals {
    /// Enforcement periods that elapsed with the group runnable.
    pub periods: u64,
    /// Periods in which the group used up its quota.
    pub throttled: u64,
    pub throttled_ns: u64,
}

/// The throttling lines of a `cpu.stat`: cgroup v2 (`nr_periods`,
/// `nr_throttled`, `throttled_usec`) or v1 (`throttled_time`, in ns);
/// `None` when it has none (v2 without the cpu controller).
pub(super) fn throttling(text: &str) -> Option<ThrottleTotals> {
    let mut t = ThrottleTotals::default();
    let mut seen = false;
    for line in text.lines() {
        let Some((key, value)) = line.split_once(' ') else {
            continue;
        };
        let Ok(value) = value.trim().parse::<u64>() else {
            continue;
        };
        match key {
            "nr_periods" => t.periods = value,
            "nr_throttled" => {
                t.throttled = value;
                seen = true;
            }
            "throttled_usec" => t.throttled_ns = value.saturating_mul(1000),
            "throttled_time" => t.throttled_ns = value,
            _ => {}
        }
    }
    seen.then_some(t)
}

/// The numbers of `cpuacct.usage_percpu`: CPU time of every task in the
/// group, in ns, indexed by CPU id.
pub(super) fn numbers(text: &str, out: &mut Vec<u64>) -> Option<()> {
    out.clear();
    for field in text.split_ascii_whitespace() {
        out.push(field.parse().ok()?);
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The top of a real `/proc/stat` (2-CPU VM, Linux 6.18).
    const STAT: &str = "\
cpu  108477 0 22659 18495 6383 0 91 134 0 0
cpu0 53033 5 11191 10766 3050 2 6 64 0 0
cpu1 55444 0 11467 7729 3333 0 85 70 0 0
intr 618632 0 0 0 0
ctxt 671098
";

    #[test]
    fn stat_gives_each_cpus_busy_and_steal_ticks() {
        let mut cpus = Vec::new();
        stat_cpus(STAT, |c| cpus.push(c));
        assert_eq!(
            cpus,
            [
                CpuTicks {
                    id: 0,
                    busy: 53033 + 5 + 11191 + 2 + 6,
                    steal: 64
                },
                CpuTicks {
                    id: 1,
                    busy: 55444 + 11467 + 85,
                    steal: 70
                },
            ]
        );
        // An old kernel's short line (no steal column) reads zero steal.
        let mut old = Vec::new();
        stat_cpus("cpu3 10 0 5 100\n", |c| old.push(c));
        assert_eq!(old[0].busy, 15);
        assert_eq!((old[0].id, old[0].steal), (3, 0));
    }

    #[test]
    fn schedstat_gives_cpu_delay_and_slices() {
        assert_eq!(schedstat("520999 86412 3\n"), Some((520999, 86412, 3)));
        assert_eq!(schedstat("520999 86412\n"), Some((520999, 86412, 0)));
        assert_eq!(schedstat("x 1 2"), None);
        assert_eq!(schedstat(""), None);
    }

    #[test]
    fn psi_gives_the_totals() {
        let cpu = "some avg10=7.47 avg60=21.22 avg300=14.77 total=87322769\n\
                   full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n";
        assert_eq!(
            psi(cpu),
            Some(PsiTotals {
                some_us: 87322769,
                full_us: Some(0)
            })
        );
        let old = "some avg10=0.00 avg60=0.00 avg300=0.00 total=12\n";
        assert_eq!(psi(old).unwrap().full_us, None);
        assert_eq!(psi("garbage\n"), None);
    }

    #[test]
    fn cpu_stat_gives_throttling_in_either_version() {
        let v1 = "nr_periods 40\nnr_throttled 7\nthrottled_time 123456789\nnr_bursts 0\n";
        assert_eq!(
            throttling(v1),
            Some(ThrottleTotals {
                periods: 40,
                throttled: 7,
                throttled_ns: 123456789
            })
        );
        let v2 = "usage_usec 10\nuser_usec 5\nsystem_usec 5\nnr_periods 3\nnr_throttled 2\n\
                  throttled_usec 1500\nnr_bursts 0\nburst_usec 0\n";
        assert_eq!(
            throttling(v2),
            Some(ThrottleTotals {
                periods: 3,
                throttled: 2,
                throttled_ns: 1_500_000
            })
        );
        // v2 without the cpu controller: usage only.
        assert_eq!(throttling("usage_usec 10\nuser_usec 5\n"), None);
    }

    #[test]
    fn numbers_read_a_per_cpu_list() {
        let mut out = vec![9];
        assert_eq!(numbers("727597248843 755667387821 \n", &mut out), Some(()));
        assert_eq!(out, [727597248843, 755667387821]);
        assert_eq!(numbers("1 x", &mut out), None);
    }
}
