//! CPU time: the process's CPU clock read around each timed span (so CPU
//! per operation covers the timed work alone), and `getrusage` for the
//! sampling window as a whole (user/system split, context switches).

use crate::protocol::CpuUsage;

/// CPU time of every thread of this process so far, in nanoseconds
/// (`CLOCK_PROCESS_CPUTIME_ID`; threads that exited still count).
pub(super) fn process_ns() -> u64 {
    clock_ns(libc::CLOCK_PROCESS_CPUTIME_ID)
}

/// CPU time of the calling thread so far, in nanoseconds.
pub(super) fn thread_ns() -> u64 {
    clock_ns(libc::CLOCK_THREAD_CPUTIME_ID)
}

fn clock_ns(clock: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes the timespec it is given. The CPU
    // clocks exist on every Linux this runs on; on failure `ts` stays 0.
    unsafe { libc::clock_gettime(clock, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// This process's CPU time and context switches so far (getrusage).
pub(crate) fn usage() -> CpuUsage {
    // SAFETY: rusage is plain data, and getrusage fills it.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    from_rusage(&ru)
}

fn from_rusage(ru: &libc::rusage) -> CpuUsage {
    let ns = |tv: libc::timeval| tv.tv_sec as u64 * 1_000_000_000 + tv.tv_usec as u64 * 1_000;
    CpuUsage {
        user_ns: ns(ru.ru_utime),
        system_ns: ns(ru.ru_stime),
        voluntary_switches: ru.ru_nvcsw as u64,
        involuntary_switches: ru.ru_nivcsw as u64,
        timed_ns: None,
    }
}

impl CpuUsage {
    /// The usage between `earlier` and `self` (the window's figures only).
    pub(crate) fn since(&self, earlier: &CpuUsage) -> CpuUsage {
        CpuUsage {
            user_ns: self.user_ns.saturating_sub(earlier.user_ns),
            system_ns: self.system_ns.saturating_sub(earlier.system_ns),
            voluntary_switches: self
                .voluntary_switches
                .saturating_sub(earlier.voluntary_switches),
            involuntary_switches: self
                .involuntary_switches
                .saturating_sub(earlier.involuntary_switches),
            timed_ns: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Burns at least `ns` of this thread's CPU.
    fn burn(ns: u64) {
        let start = thread_ns();
        let mut x = 1u64;
        while thread_ns() - start < ns {
            x = std::hint::black_box(x.wrapping_mul(3));
        }
    }

    #[test]
    fn clocks_advance_with_the_cpu_burnt() {
        let (process, thread) = (process_ns(), thread_ns());
        burn(5_000_000);
        let thread_spent = thread_ns() - thread;
        assert!(thread_spent >= 5_000_000, "{thread_spent}");
        // The process clock covers this thread too.
        assert!(process_ns() - process >= thread_spent);
    }

    #[test]
    fn the_window_subtracts_every_field() {
        let before = CpuUsage {
            user_ns: 10,
            system_ns: 20,
            voluntary_switches: 3,
            involuntary_switches: 4,
            timed_ns: Some(7),
        };
        let after = CpuUsage {
            user_ns: 110,
            system_ns: 25,
            voluntary_switches: 5,
            involuntary_switches: 4,
            timed_ns: Some(9),
        };
        let window = after.since(&before);
        assert_eq!((window.user_ns, window.system_ns), (100, 5), "{window:?}");
        assert_eq!(
            (window.voluntary_switches, window.involuntary_switches),
            (2, 0)
        );
        assert_eq!(window.timed_ns, None, "timed CPU is summed over spans");
    }
}
