//! Which threads ran the work: each thread's CPU time, read before and
//! after the samples, so the thread check counts the threads that were
//! busy, not the pool size read back (which cannot disagree with the knob).
//!
//! Per-thread CPU comes from `/proc/self/task/<tid>/schedstat` (its first
//! field: nanoseconds on a CPU; `stat`'s ticks are 10 ms coarse) and the
//! thread's kind from its name in `comm`: the rayon pool's threads are
//! named `rayon-<i>` by the worker's set-up, tokio's workers
//! `tokio-runtime-worker` (cut to 15 bytes by the kernel). The kernel
//! updates a running thread's schedstat only at ticks, so the calling
//! thread reads its own clock instead. A thread that starts and exits
//! between the two readings is not seen: the kernel keeps its CPU time in
//! the process's total only. Two small files per thread with std's reads
//! are simpler than a `/proc` crate.
//!
//! The pool counts here (`ThreadCheck`) are kept for what they name; the
//! threads check reads the machine record's count of every OS thread
//! that ran (`crate::machine`, threads that ended inside the window
//! included) wherever a worker recorded one.

use std::time::Instant;

use super::cpu;

/// A thread counts as busy when its CPU time over the window reaches this
/// share of the window's wall time: an idle pool thread woken for a flush
/// spends microseconds, a thread sharing the work a large part of it.
const BUSY_SHARE: f64 = 0.05;

/// What a thread's name says it belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Rayon,
    Tokio,
    Other,
}

impl Kind {
    fn of(comm: &str) -> Kind {
        if comm.starts_with("rayon-") {
            Kind::Rayon
        } else if comm.starts_with("tokio-") {
            Kind::Tokio
        } else {
            Kind::Other
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct Thread {
    tid: i32,
    kind: Kind,
    cpu_ns: u64,
}

/// Every thread's CPU time at one moment.
#[derive(Clone, Debug)]
pub(crate) struct ThreadTimes {
    at: Instant,
    threads: Vec<Thread>,
}

/// Threads seen between two [`ThreadTimes`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Busy {
    /// Distinct threads alive at either reading.
    pub alive: usize,
    /// Threads busy over the window (any kind).
    pub all: u32,
    pub rayon: u32,
    pub tokio: u32,
}

/// Reads every thread's CPU time; `None` where `/proc/self/task` cannot
/// be listed.
pub(crate) fn snapshot() -> Option<ThreadTimes> {
    // SAFETY: gettid has no preconditions.
    let me = unsafe { libc::gettid() };
    let mut threads = Vec::new();
    for entry in std::fs::read_dir("/proc/self/task").ok()? {
        let Some(tid) = entry
            .ok()
            .and_then(|e| e.file_name().to_str()?.parse::<i32>().ok())
        else {
            continue;
        };
        // A thread that exits between the listing and the reads is skipped.
        if let Some(t) = read_thread(tid, me) {
            threads.push(t);
        }
    }
    Some(ThreadTimes {
        at: Instant::now(),
        threads,
    })
}

fn read_thread(tid: i32, me: i32) -> Option<Thread> {
    let dir = format!("/proc/self/task/{tid}");
    let comm = std::fs::read_to_string(format!("{dir}/comm")).ok()?;
    let cpu_ns = if tid == me {
        cpu::thread_ns()
    } else {
        first_number(&std::fs::read_to_string(format!("{dir}/schedstat")).ok()?)?
    };
    Some(Thread {
        tid,
        kind: Kind::of(comm.trim_end()),
        cpu_ns,
    })
}

fn first_number(text: &str) -> Option<u64> {
    text.split_whitespace().next()?.parse().ok()
}

impl ThreadTimes {
    /// The threads busy between `earlier` and `self`: each one's CPU time
    /// grew by at least [`BUSY_SHARE`] of the wall time between the two.
    pub(crate) fn busy_since(&self, earlier: &ThreadTimes) -> Busy {
        let wall_ns = self.at.duration_since(earlier.at).as_nanos() as f64;
        let threshold = (wall_ns * BUSY_SHARE) as u64;
        let mut busy = Busy {
            alive: earlier.threads.len(),
            ..Busy::default()
        };
        for t in &self.threads {
            let before = earlier.threads.iter().find(|e| e.tid == t.tid);
            if before.is_none() {
                busy.alive += 1;
            }
            // A thread born during the window spent all its CPU time in it.
            let spent = t.cpu_ns.saturating_sub(before.map_or(0, |e| e.cpu_ns));
            if spent >= threshold.max(1) {
                busy.all += 1;
                match t.kind {
                    Kind::Rayon => busy.rayon += 1,
                    Kind::Tokio => busy.tokio += 1,
                    Kind::Other => {}
                }
            }
        }
        busy
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn times(at: Instant, threads: &[(i32, Kind, u64)]) -> ThreadTimes {
        ThreadTimes {
            at,
            threads: threads
                .iter()
                .map(|&(tid, kind, cpu_ns)| Thread { tid, kind, cpu_ns })
                .collect(),
        }
    }

    #[test]
    fn busy_counts_threads_over_the_share_of_the_window() {
        let start = Instant::now();
        let end = start + Duration::from_millis(100);
        let before = times(
            start,
            &[
                (1, Kind::Other, 50_000_000),
                (2, Kind::Rayon, 0),
                (3, Kind::Rayon, 0),
                (4, Kind::Tokio, 1_000),
                (9, Kind::Other, 5),
            ],
        );
        let after = times(
            end,
            &[
                // The main thread waited: no CPU in the window.
                (1, Kind::Other, 50_000_000),
                // One pool thread worked 60 ms, the other was woken briefly.
                (2, Kind::Rayon, 60_000_000),
                (3, Kind::Rayon, 40_000),
                (4, Kind::Tokio, 9_000_000),
                // A thread born during the window, busy for 20 ms.
                (7, Kind::Other, 20_000_000),
            ],
        );
        let busy = after.busy_since(&before);
        assert_eq!(
            busy,
            Busy {
                alive: 6,
                all: 3,
                rayon: 1,
                tokio: 1,
            }
        );
    }

    #[test]
    fn names_give_the_kind() {
        assert_eq!(Kind::of("rayon-0"), Kind::Rayon);
        assert_eq!(Kind::of("tokio-runtime-w"), Kind::Tokio);
        assert_eq!(Kind::of("tuner"), Kind::Other);
    }

    #[test]
    fn a_thread_burning_cpu_reads_busy_and_a_sleeping_one_idle() {
        let stop = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|s| {
            let spinner = std::thread::Builder::new()
                .name("rayon-spin".into())
                .spawn_scoped(s, || {
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        std::hint::spin_loop();
                    }
                })
                .unwrap();
            let sleeper = std::thread::Builder::new()
                .name("rayon-sleep".into())
                .spawn_scoped(s, || std::thread::sleep(Duration::from_millis(600)))
                .unwrap();
            let before = snapshot().expect("Linux lists /proc/self/task");
            // Long enough that the spinner gets its 5% on a loaded machine
            // (at load 8 on 2 CPUs a 100 ms window once gave it less).
            std::thread::sleep(Duration::from_millis(400));
            let after = snapshot().unwrap();
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            spinner.join().unwrap();
            sleeper.join().unwrap();
            let busy = after.busy_since(&before);
            // The spinner is the one busy rayon-named thread; this thread slept.
            assert_eq!(busy.rayon, 1, "{busy:?}");
            assert!(busy.alive >= 3, "{busy:?}");
        });
    }
}
