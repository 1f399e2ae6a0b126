//! The [`Delivered`] record: what the machine gave a process over one
//! window, from two [`Snapshot`]s. Raw totals only (ns, counts); the
//! shares the classifier and the report read are methods, derived here
//! once.
//!
//! Others' CPU is the busy time of every task on the allowed CPUs minus
//! this process's own (and, for a child, minus its supervisor's). Busy
//! time comes from the cpuacct root's per-CPU nanoseconds where the
//! machine has cgroup v1 cpuacct, else from `/proc/stat`'s ticks (10 ms
//! apiece, so coarse on short windows: the record carries the
//! resolution). The own threads are idle at both edges of a timed window,
//! so the scheduler's lag in charging a running task (up to a tick) does
//! not fall on them. Whether cpuacct sees every task is checked against
//! `/proc/stat` (a container with its own cgroup namespace shows its own
//! group as the root).

use serde::{Deserialize, Serialize};

use super::cpuset::CpuSet;
use super::exits;
use super::procfs;
use super::snapshot::{Scope, Snapshot, ThreadStat, Usage};

/// The version of [`Delivered`]'s layout in results.
pub(crate) const DELIVERED_VERSION: u32 = 1;

/// A thread ran work in a window when its CPU time there reached this
/// share of the window's wall time, or of the process's CPU time when
/// that is less (on a contended machine 8 threads may get 0.3 CPUs
/// between them): a pool thread woken for a flush spends microseconds, a
/// thread sharing the work a large part of it, and a sleep-heavy thread
/// (1 ms of work per 10 ms asleep) about a tenth
/// (`docs/interference-calibration.md`).
pub(crate) const BUSY_SHARE: f64 = 0.05;

/// CPU time the rusage total may hold beyond the threads' schedstat sum
/// without an unseen thread: the kernel charges a running task at ticks,
/// up to 10 ms late (HZ=100).
const UNSEEN_SLACK_NS: u64 = 10_000_000;

/// Whose window a record covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Of {
    /// The process itself (a worker timing work in-process).
    Process,
    /// A child a supervisor spawned and waited for (a command).
    Child,
}

/// What the machine delivered over a window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Delivered {
    pub version: u32,
    pub of: Of,
    pub wall_ns: u64,
    /// The process's CPU time (user + system, every thread).
    pub cpu_ns: u64,
    pub voluntary_switches: u64,
    pub involuntary_switches: u64,
    /// The CPUs it was allowed to run on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed: Option<CpuSet>,
    /// CPUs online on the machine.
    pub online: u32,
    /// Its threads (in-process only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threads: Option<Threads>,
    /// Time its threads spent runnable but waiting for a CPU (in-process).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_delay_ns: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine: Option<MachineCpu>,
    /// Hypervisor steal on the allowed CPUs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steal_ns: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throttle: Option<Throttle>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pressure: Option<Pressure>,
    /// Mean CPU frequency of the allowed CPUs at the start and the end, kHz.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub freq_khz: Option<[u64; 2]>,
}

/// The process's threads over the window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Threads {
    /// Threads that ran work: CPU time in the window ≥ [`BUSY_SHARE`] of
    /// the wall time, whether alive at an edge or recorded as they ended;
    /// CPU no thread accounts for adds the fewest threads that could have
    /// spent it (⌈unseen / wall⌉).
    pub ran: u32,
    /// Threads seen at all (alive at an edge, or recorded ending).
    pub seen: u32,
    /// Threads that ended inside the window, as recorded.
    pub ended: u32,
    /// Own CPU time that no seen thread accounts for.
    pub unseen_cpu_ns: u64,
    /// Times its threads were put on a CPU.
    pub slices: u64,
    /// Ended threads the ring lost (more ended than it holds).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub lost: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Where the machine's busy time came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BusySource {
    /// The cgroup v1 cpuacct root's `usage_percpu` (ns).
    Cpuacct,
    /// `/proc/stat` (USER_HZ ticks).
    ProcStat,
}

/// Every task's CPU time on the allowed CPUs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MachineCpu {
    pub source: BusySource,
    /// Busy time of the allowed CPUs, this process's own included.
    pub busy_ns: u64,
    /// The observer's own CPU time (a child's supervisor), not others'.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub observer_ns: u64,
    /// How far `busy_ns` may be off by quantization alone.
    pub resolution_ns: u64,
}

/// cgroup CPU throttling over the window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Throttle {
    pub periods: u64,
    pub throttled: u64,
    pub throttled_ns: u64,
}

/// Pressure stall time over the window (`/proc/pressure`, µs), the
/// whole machine's: a point's own oversubscribed threads raise it too.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pressure {
    pub cpu_some_us: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_full_us: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_some_us: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_full_us: Option<u64>,
}

/// Turns two snapshots into a [`Delivered`].
pub(crate) struct Window;

impl Window {
    /// What this process got between `start` and `end`
    /// ([`Scope::Process`] snapshots; with others the threads are `None`).
    pub(crate) fn between(start: &Snapshot, end: &Snapshot) -> Delivered {
        let own = delta(&start.usage, &end.usage);
        let mut d = machine(start, end, Of::Process, own, 0);
        if start.scope == Scope::Process {
            if let (Some(a), Some(b)) = (&start.threads, &end.threads) {
                let (threads, delay) = threads(a, b, start.exits, end.exits, own.cpu_ns, d.wall_ns);
                d.threads = Some(threads);
                d.run_delay_ns = Some(delay);
            }
        }
        d
    }

    /// What a child got, from its supervisor's snapshots around its
    /// spawn and `wait4`, and the rusage `wait4` returned (which covers
    /// the children it waited for too). The supervisor's own CPU over the
    /// window is kept apart from others'.
    pub(crate) fn child(start: &Snapshot, end: &Snapshot, child: &libc::rusage) -> Delivered {
        let observer = delta(&start.usage, &end.usage).cpu_ns;
        machine(start, end, Of::Child, Usage::of(child), observer)
    }
}

fn delta(a: &Usage, b: &Usage) -> Usage {
    Usage {
        cpu_ns: b.cpu_ns.saturating_sub(a.cpu_ns),
        voluntary: b.voluntary.saturating_sub(a.voluntary),
        involuntary: b.involuntary.saturating_sub(a.involuntary),
    }
}

/// The record without threads: own usage, the machine's figures.
fn machine(start: &Snapshot, end: &Snapshot, of: Of, own: Usage, observer: u64) -> Delivered {
    let allowed = start.allowed.clone().or_else(|| end.allowed.clone());
    let on = |id: u32| allowed.as_ref().is_none_or(|a| a.contains(id));
    let tick_ns = procfs::tick_ns();
    let (mut ticks, mut steal, mut cpus) = (0u64, 0u64, 0u64);
    for b in &end.stat {
        if let Some(a) = start
            .stat
            .iter()
            .find(|a| a.id == b.id)
            .filter(|_| on(b.id))
        {
            ticks += b.busy.saturating_sub(a.busy);
            steal += b.steal.saturating_sub(a.steal);
            cpus += 1;
        }
    }
    let from_stat = (cpus > 0).then(|| MachineCpu {
        source: BusySource::ProcStat,
        busy_ns: ticks * tick_ns,
        observer_ns: observer,
        resolution_ns: 2 * tick_ns * cpus,
    });
    let from_cpuacct = start
        .usage_percpu
        .as_ref()
        .zip(end.usage_percpu.as_ref())
        .map(|(a, b)| MachineCpu {
            source: BusySource::Cpuacct,
            busy_ns: (0..a.len().min(b.len()))
                .filter(|&i| on(i as u32))
                .map(|i| b[i].saturating_sub(a[i]))
                .sum(),
            observer_ns: observer,
            resolution_ns: 0,
        });
    Delivered {
        version: DELIVERED_VERSION,
        of,
        wall_ns: end.at.duration_since(start.at).as_nanos() as u64,
        cpu_ns: own.cpu_ns,
        voluntary_switches: own.voluntary,
        involuntary_switches: own.involuntary,
        online: end.stat.len() as u32,
        allowed,
        threads: None,
        run_delay_ns: None,
        machine: best_busy(from_cpuacct, from_stat),
        steal_ns: (cpus > 0).then_some(steal * tick_ns),
        throttle: start.throttle.zip(end.throttle).map(|(a, b)| Throttle {
            periods: b.periods.saturating_sub(a.periods),
            throttled: b.throttled.saturating_sub(a.throttled),
            throttled_ns: b.throttled_ns.saturating_sub(a.throttled_ns),
        }),
        pressure: start.psi_cpu.zip(end.psi_cpu).map(|(a, b)| {
            let mem = start.psi_memory.zip(end.psi_memory);
            Pressure {
                cpu_some_us: b.some_us.saturating_sub(a.some_us),
                cpu_full_us: a.full_us.zip(b.full_us).map(|(a, b)| b.saturating_sub(a)),
                memory_some_us: mem.map(|(a, b)| b.some_us.saturating_sub(a.some_us)),
                memory_full_us: mem
                    .and_then(|(a, b)| a.full_us.zip(b.full_us))
                    .map(|(a, b)| b.saturating_sub(a)),
            }
        }),
        freq_khz: start.freq_khz.zip(end.freq_khz).map(|(a, b)| [a, b]),
    }
}

/// cpuacct's nanoseconds, unless `/proc/stat` saw clearly more busy time
/// (beyond its resolution and a tenth): then cpuacct's root is not the
/// machine's (a container's namespace), and the ticks are the truth.
fn best_busy(cpuacct: Option<MachineCpu>, stat: Option<MachineCpu>) -> Option<MachineCpu> {
    match (cpuacct, stat) {
        (Some(c), Some(s)) if s.busy_ns > c.busy_ns + s.resolution_ns + c.busy_ns / 10 => Some(s),
        (Some(c), _) => Some(c),
        (None, s) => s,
    }
}

/// The threads that ran work and their summed run delay, from the
/// threads alive at either edge and those recorded ending in between.
///
/// A thread alive at an edge ran work when its CPU time in the window
/// reached [`BUSY_SHARE`] of the wall time (or of the process's CPU time,
/// if less). Threads that ended inside it are judged over their own lives
/// (a `std::thread` spawned per run lives a fraction of the window), and
/// count by how many of them ran at once:
/// the most whose lives overlap. A life is taken as short as its record
/// allows (born when [`exits::note_thread_start`] noted it, else as late
/// as its CPU time allows), so short threads of successive runs are not
/// counted as concurrent. Their run delay is not known (reading it as they
/// end costs ~1 ms per thread), so the window's is the live threads'.
fn threads(
    start: &[ThreadStat],
    end: &[ThreadStat],
    exits_from: u64,
    exits_to: u64,
    own_cpu_ns: u64,
    wall_ns: u64,
) -> (Threads, u64) {
    let threshold = ((wall_ns.min(own_cpu_ns) as f64 * BUSY_SHARE) as u64).max(1);
    let before = |tid: i32| {
        start
            .iter()
            .find(|t| t.tid == tid)
            .copied()
            .unwrap_or_default()
    };
    let mut t = Threads::default();
    let (mut accounted, mut delay) = (0u64, 0u64);
    for b in end {
        let a = before(b.tid);
        let cpu = b.cpu_ns.saturating_sub(a.cpu_ns);
        t.seen += 1;
        t.ran += u32::from(cpu >= threshold);
        t.slices += b.slices.saturating_sub(a.slices);
        accounted += cpu;
        delay += b.delay_ns.saturating_sub(a.delay_ns);
    }
    let mut recorded = Vec::new();
    t.lost = exits::between(exits_from, exits_to, |e| recorded.push(e));
    let mut lives = Vec::new();
    for e in &recorded {
        // A tid still alive at the end was reused: this exit is older.
        if end.iter().any(|b| b.tid == e.tid) {
            continue;
        }
        let a = before(e.tid);
        let cpu = e.cpu_ns.saturating_sub(a.cpu_ns);
        t.seen += 1;
        t.ended += 1;
        accounted += cpu;
        let latest = e.death_ns.saturating_sub(e.cpu_ns);
        let birth = if e.birth_ns > 0 {
            e.birth_ns.min(latest)
        } else {
            latest
        };
        let life = e.death_ns.saturating_sub(birth);
        if cpu >= threshold || (cpu > 0 && cpu as f64 >= BUSY_SHARE * life as f64) {
            lives.push((birth, e.death_ns));
        }
    }
    t.ran += most_at_once(&mut lives);
    // Threads alive at the start that ended unrecorded: seen, and their
    // CPU is in the unseen remainder.
    t.seen += start
        .iter()
        .filter(|a| !end.iter().any(|b| b.tid == a.tid))
        .filter(|a| !recorded.iter().any(|e| e.tid == a.tid))
        .count() as u32;
    t.unseen_cpu_ns = own_cpu_ns.saturating_sub(accounted);
    let unseen_floor = ((wall_ns as f64 * BUSY_SHARE) as u64).max(UNSEEN_SLACK_NS);
    if t.unseen_cpu_ns >= unseen_floor {
        // Less the slack: a running thread's schedstat lags its rusage
        // share by up to a tick, so one spinner whose readings lagged can
        // leave 1.01 windows unseen (307.8 ms in a 304.3 ms window,
        // measured): that is one thread, not two.
        let spent = t.unseen_cpu_ns.saturating_sub(UNSEEN_SLACK_NS).max(1);
        t.ran += spent.div_ceil(wall_ns.max(1)) as u32;
    }
    (t, delay)
}

/// The most of the intervals `[from, to)` that overlap at one time.
fn most_at_once(lives: &mut [(u64, u64)]) -> u32 {
    let mut events: Vec<(u64, i32)> = lives
        .iter()
        .flat_map(|&(from, to)| [(from, 1), (to, -1)])
        .collect();
    // Ends before starts at the same instant: touching is not overlapping.
    events.sort_unstable();
    let (mut now, mut most) = (0i32, 0i32);
    for (_, step) in events {
        now += step;
        most = most.max(now);
    }
    most as u32
}

impl Delivered {
    /// CPUs it got: its CPU time over the wall time.
    pub(crate) fn cpus(&self) -> f64 {
        ratio(self.cpu_ns, self.wall_ns)
    }

    /// CPUs it could run on: the allowed set, else every online CPU.
    pub(crate) fn allowed_cpus(&self) -> u32 {
        self.allowed
            .as_ref()
            .map_or(self.online, |a| a.len() as u32)
            .max(1)
    }

    /// Others' CPU time on its allowed CPUs: their busy time less its
    /// own (and its observer's).
    pub(crate) fn others_cpu_ns(&self) -> Option<u64> {
        let m = self.machine?;
        Some(m.busy_ns.saturating_sub(self.cpu_ns + m.observer_ns))
    }

    /// Others' CPU time as a share of the allowed CPUs' capacity over the
    /// window (0 to 1).
    pub(crate) fn others_share(&self) -> Option<f64> {
        let capacity = self.wall_ns.saturating_mul(self.allowed_cpus() as u64);
        Some(ratio(self.others_cpu_ns()?, capacity))
    }

    /// Hypervisor steal as a share of the allowed CPUs' capacity.
    pub(crate) fn steal_share(&self) -> Option<f64> {
        let capacity = self.wall_ns.saturating_mul(self.allowed_cpus() as u64);
        Some(ratio(self.steal_ns?, capacity))
    }

    /// Time the cgroup spent throttled, over the wall time.
    pub(crate) fn throttled_share(&self) -> Option<f64> {
        Some(ratio(self.throttle?.throttled_ns, self.wall_ns))
    }

    /// Whether it was allowed fewer CPUs than the `asked` threads could
    /// use on this machine (pinned narrower than its thread count).
    pub(crate) fn cpus_short_of(&self, asked: u32) -> bool {
        self.allowed_cpus() < asked.min(self.online.max(1))
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

#[cfg(test)]
mod tests;
