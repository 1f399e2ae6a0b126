//! One reading of every counter a window needs, taken at its start and at
//! its end ([`Snapshot::take`]).
//!
//! Read, in this order: this process's rusage (CPU time, context
//! switches), each of its threads' `schedstat` (`/proc/self/task/<tid>/`:
//! CPU ns, run-queue delay ns, slices; more precise than `stat`'s 10 ms
//! ticks), the ring of ended threads (`exits`), then the machine:
//! `/proc/stat` (per CPU busy and steal ticks), the cpuacct root's
//! per-CPU ns, the cgroup's `cpu.stat`, `/proc/pressure/{cpu,memory}` and
//! `scaling_cur_freq`, and the allowed CPUs (`sched_getaffinity`). The
//! process's own figures are read first and the machine's after, both at
//! the start and at the end, so the few hundred µs a snapshot takes shift
//! the two windows alike instead of widening one.
//!
//! A snapshot allocates a few small vectors (one read buffer, one entry
//! per thread and per CPU): take it outside an allocation-counting window.

use std::time::Instant;

use super::cgroup;
use super::cpuset::CpuSet;
use super::exits;
use super::procfs::{self, CpuTicks, PsiTotals, ThrottleTotals};

/// Whose CPU a snapshot follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scope {
    /// This process, thread by thread: a worker timing work in itself.
    Process,
    /// This process as the observer of a child it spawns and waits for:
    /// only its own rusage (to take it off the others' CPU) and the
    /// machine; the child's figures come from its `wait4` rusage.
    Supervisor,
}

/// CPU time and context switches from `getrusage`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Usage {
    pub cpu_ns: u64,
    pub voluntary: u64,
    pub involuntary: u64,
}

impl Usage {
    pub(super) fn of(ru: &libc::rusage) -> Usage {
        let ns = |tv: libc::timeval| tv.tv_sec as u64 * 1_000_000_000 + tv.tv_usec as u64 * 1_000;
        Usage {
            cpu_ns: ns(ru.ru_utime) + ns(ru.ru_stime),
            voluntary: ru.ru_nvcsw as u64,
            involuntary: ru.ru_nivcsw as u64,
        }
    }

    fn own() -> Usage {
        // SAFETY: rusage is plain data, and getrusage fills it.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
        Usage::of(&ru)
    }
}

/// One thread's schedstat.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct ThreadStat {
    pub tid: i32,
    pub cpu_ns: u64,
    pub delay_ns: u64,
    /// Times it was put on a CPU.
    pub slices: u64,
}

/// Every counter at one moment; see the module docs for the sources.
#[derive(Clone, Debug)]
pub(crate) struct Snapshot {
    pub(super) scope: Scope,
    pub(super) at: Instant,
    pub(super) usage: Usage,
    /// This process's threads (empty for [`Scope::Supervisor`]), `None`
    /// where `/proc/self/task` cannot be listed.
    pub(super) threads: Option<Vec<ThreadStat>>,
    /// The ring of ended threads' position.
    pub(super) exits: u64,
    pub(super) allowed: Option<CpuSet>,
    /// Every online CPU's `/proc/stat` line.
    pub(super) stat: Vec<CpuTicks>,
    /// Every task's CPU ns per CPU id, from the cpuacct root.
    pub(super) usage_percpu: Option<Vec<u64>>,
    pub(super) throttle: Option<ThrottleTotals>,
    pub(super) psi_cpu: Option<PsiTotals>,
    pub(super) psi_memory: Option<PsiTotals>,
    /// Mean `scaling_cur_freq` over the allowed CPUs, kHz.
    pub(super) freq_khz: Option<u64>,
    /// How long taking this snapshot took.
    pub(super) cost_ns: u64,
}

impl Snapshot {
    /// Reads every counter now.
    pub(crate) fn take(scope: Scope) -> Snapshot {
        // Located once per process (a few ms the first time), before the
        // window's own figures are read.
        let paths = cgroup::paths();
        let started = Instant::now();
        let mut buf = Vec::with_capacity(8 << 10);
        let usage = Usage::own();
        let at = Instant::now();
        let threads = match scope {
            Scope::Process => read_threads(&mut buf),
            Scope::Supervisor => Some(Vec::new()),
        };
        let exits = exits::position();
        let allowed = CpuSet::allowed();
        let mut stat = Vec::new();
        if let Some(text) = procfs::read("/proc/stat", &mut buf) {
            procfs::stat_cpus(text, |c| stat.push(c));
        }
        let usage_percpu = paths.usage_percpu.as_ref().and_then(|p| {
            let mut out = Vec::new();
            procfs::numbers(procfs::read(p, &mut buf)?, &mut out)?;
            Some(out)
        });
        let throttle = paths
            .cpu_stat
            .iter()
            .find_map(|p| procfs::throttling(procfs::read(p, &mut buf)?));
        let psi_cpu = procfs::read("/proc/pressure/cpu", &mut buf).and_then(procfs::psi);
        let psi_memory = procfs::read("/proc/pressure/memory", &mut buf).and_then(procfs::psi);
        let freq_khz = allowed.as_ref().and_then(|a| mean_freq_khz(a, &mut buf));
        Snapshot {
            scope,
            at,
            usage,
            threads,
            exits,
            allowed,
            stat,
            usage_percpu,
            throttle,
            psi_cpu,
            psi_memory,
            freq_khz,
            cost_ns: started.elapsed().as_nanos() as u64,
        }
    }

    /// How long taking it took, ns (the calibration probe's `costs`).
    #[allow(dead_code)] // examples/machine_probe.rs reads it
    pub(crate) fn cost_ns(&self) -> u64 {
        self.cost_ns
    }
}

/// Every thread's schedstat; a thread that ends between the listing and
/// its read is left out (the exit ring has it).
fn read_threads(buf: &mut Vec<u8>) -> Option<Vec<ThreadStat>> {
    let mut threads = Vec::with_capacity(16);
    for entry in std::fs::read_dir("/proc/self/task").ok()? {
        let Some(tid) = entry
            .ok()
            .and_then(|e| e.file_name().to_str()?.parse::<i32>().ok())
        else {
            continue;
        };
        let path = format!("/proc/self/task/{tid}/schedstat");
        if let Some((cpu_ns, delay_ns, slices)) =
            procfs::read(&path, buf).and_then(procfs::schedstat)
        {
            threads.push(ThreadStat {
                tid,
                cpu_ns,
                delay_ns,
                slices,
            });
        }
    }
    Some(threads)
}

/// The mean current frequency of `cpus`, where cpufreq shows it (not in
/// most VMs, where the first failed read is remembered).
fn mean_freq_khz(cpus: &CpuSet, buf: &mut Vec<u8>) -> Option<u64> {
    static ABSENT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if ABSENT.load(std::sync::atomic::Ordering::Relaxed) {
        return None;
    }
    let (mut sum, mut n) = (0u64, 0u64);
    for id in cpus.ids() {
        let path = format!("/sys/devices/system/cpu/cpu{id}/cpufreq/scaling_cur_freq");
        if let Some(khz) = procfs::read(&path, buf).and_then(|t| t.trim().parse::<u64>().ok()) {
            sum += khz;
            n += 1;
        }
    }
    if n == 0 {
        ABSENT.store(true, std::sync::atomic::Ordering::Relaxed);
        return None;
    }
    Some(sum / n)
}
