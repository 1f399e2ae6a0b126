use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
use std::time::{Duration, Instant};

use super::super::procfs::{self, CpuTicks, PsiTotals, ThrottleTotals};
use super::super::{exits, Snapshot};
use super::*;

const MS: u64 = 1_000_000;

fn thread(tid: i32, cpu_ms: u64, delay_ms: u64, slices: u64) -> ThreadStat {
    ThreadStat {
        tid,
        cpu_ns: cpu_ms * MS,
        delay_ns: delay_ms * MS,
        slices,
    }
}

/// A snapshot of a 2-CPU machine (4 online, CPUs 0-1 allowed) at `at`.
fn snapshot(at: Instant, cpu_ms: u64, threads: Vec<ThreadStat>, busy: [u64; 4]) -> Snapshot {
    let pos = exits::position();
    Snapshot {
        scope: Scope::Process,
        at,
        usage: Usage {
            cpu_ns: cpu_ms * MS,
            voluntary: 10,
            involuntary: 3,
        },
        threads: Some(threads),
        exits: pos,
        allowed: Some(CpuSet::of([0, 1])),
        // Ticks are a tenth of the ns figures below (at USER_HZ = 100:
        // 1 tick = 10 ms; `busy` is in ms).
        stat: (0..4)
            .map(|id| CpuTicks {
                id,
                busy: busy[id as usize] / 10,
                steal: u64::from(id) * 2,
            })
            .collect(),
        usage_percpu: Some(busy.iter().map(|ms| ms * MS).collect()),
        throttle: Some(ThrottleTotals {
            periods: 100,
            throttled: 1,
            throttled_ns: 5 * MS,
        }),
        psi_cpu: Some(PsiTotals {
            some_us: 1_000,
            full_us: Some(0),
        }),
        psi_memory: None,
        freq_khz: None,
        cost_ns: 0,
    }
}

#[test]
fn a_window_counts_busy_threads_delay_and_others_time() {
    let t0 = Instant::now();
    let t1 = t0 + Duration::from_millis(1000);
    let start = snapshot(
        t0,
        100,
        vec![
            thread(1, 100, 5, 10),
            thread(2, 0, 0, 0),
            thread(3, 0, 0, 0),
        ],
        [1000, 1000, 9000, 9000],
    );
    let mut end = snapshot(
        t1,
        // The main thread waited; 2 worked 900 ms; 3 woke for 1 ms; 4 was
        // born and worked 300 ms; 1 ms ended unseen (under the slack).
        100 + 900 + 1 + 300 + 1,
        vec![
            thread(1, 100, 5, 10),
            thread(2, 900, 40, 30),
            thread(3, 1, 2, 1),
            thread(4, 300, 60, 9),
        ],
        // CPUs 0-1 busy 1.6 s in all (own 1.202 s); 2-3 not allowed.
        [1800, 1800, 9900, 9900],
    );
    end.usage.involuntary = 8;
    end.throttle.as_mut().unwrap().throttled_ns = 15 * MS;
    end.psi_cpu.as_mut().unwrap().some_us = 251_000;
    let d = Window::between(&start, &end);
    assert_eq!(d.wall_ns, 1000 * MS);
    assert_eq!(d.cpu_ns, 1202 * MS);
    assert_eq!(d.involuntary_switches, 5);
    assert_eq!(
        d.threads,
        Some(Threads {
            ran: 2,
            seen: 4,
            ended: 0,
            unseen_cpu_ns: MS,
            slices: 40,
            lost: 0,
        })
    );
    assert_eq!(d.run_delay_ns, Some(102 * MS));
    let m = d.machine.unwrap();
    assert_eq!((m.source, m.busy_ns), (BusySource::Cpuacct, 1600 * MS));
    assert_eq!(d.others_cpu_ns(), Some(398 * MS));
    assert!((d.others_share().unwrap() - 0.199).abs() < 1e-9);
    assert!((d.cpus() - 1.202).abs() < 1e-9);
    // Steal on the allowed CPUs only: CPU 1's 2 ticks stayed 2 ticks.
    assert_eq!(d.steal_ns, Some(0));
    assert_eq!(
        d.throttle,
        Some(Throttle {
            periods: 0,
            throttled: 0,
            throttled_ns: 10 * MS
        })
    );
    assert_eq!(d.pressure.unwrap().cpu_some_us, 250_000);
    assert_eq!(d.pressure.unwrap().memory_some_us, None);
    assert_eq!((d.allowed_cpus(), d.online), (2, 4));
    assert!(d.cpus_short_of(4) && d.cpus_short_of(3) && !d.cpus_short_of(2));
}

#[test]
fn cpu_no_thread_accounts_for_counts_the_fewest_threads_that_spent_it() {
    let t0 = Instant::now();
    let start = snapshot(t0, 0, vec![thread(1, 0, 0, 0)], [0; 4]);
    // 1.5 s of CPU in a 1 s window by threads that came and went unseen.
    let end = snapshot(
        t0 + Duration::from_secs(1),
        1500,
        vec![thread(1, 0, 0, 0)],
        [750, 750, 0, 0],
    );
    let t = Window::between(&start, &end).threads.unwrap();
    assert_eq!((t.ran, t.unseen_cpu_ns, t.seen), (2, 1500 * MS, 1));
    // One thread whose readings lagged its share of the rusage total by
    // under a tick: one thread, not two (the CI failure of 2026-12-07).
    let end = snapshot(
        t0 + Duration::from_millis(304),
        308,
        vec![thread(1, 0, 0, 0)],
        [154, 154, 0, 0],
    );
    let t = Window::between(&start, &end).threads.unwrap();
    assert_eq!((t.ran, t.unseen_cpu_ns), (1, 308 * MS));
}

#[test]
fn proc_stat_serves_when_cpuacct_misses_others() {
    let t0 = Instant::now();
    let start = snapshot(t0, 0, vec![], [0; 4]);
    let mut end = snapshot(t0 + Duration::from_secs(1), 500, vec![], [500, 0, 0, 0]);
    // cpuacct (a container's root) saw the process only; the ticks show
    // both CPUs busy the whole second.
    end.stat[0].busy = 100;
    end.stat[1].busy = 100;
    let m = Window::between(&start, &end).machine.unwrap();
    assert_eq!(m.source, BusySource::ProcStat);
    assert_eq!(m.busy_ns, 2000 * MS);
    assert_eq!(m.resolution_ns, 2 * 2 * procfs::tick_ns());
    // Without cpuacct, the ticks.
    end.usage_percpu = None;
    let m = Window::between(&start, &end).machine.unwrap();
    assert_eq!(m.source, BusySource::ProcStat);
}

#[test]
fn a_child_is_measured_by_its_rusage_and_the_supervisor_kept_apart() {
    let t0 = Instant::now();
    let mut start = snapshot(t0, 50, vec![], [0; 4]);
    start.scope = Scope::Supervisor;
    let mut end = snapshot(t0 + Duration::from_secs(1), 70, vec![], [1000, 900, 0, 0]);
    end.scope = Scope::Supervisor;
    // SAFETY: rusage is plain data.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    ru.ru_utime.tv_sec = 1;
    ru.ru_stime.tv_usec = 500_000;
    ru.ru_nivcsw = 42;
    let d = Window::child(&start, &end, &ru);
    assert_eq!(
        (d.of, d.cpu_ns, d.involuntary_switches),
        (Of::Child, 1500 * MS, 42)
    );
    assert_eq!(d.machine.unwrap().observer_ns, 20 * MS);
    assert_eq!(d.others_cpu_ns(), Some(380 * MS));
    assert_eq!((d.threads, d.run_delay_ns), (None, None));
}

#[test]
fn the_record_round_trips_and_stays_small() {
    let t0 = Instant::now();
    let start = snapshot(t0, 0, vec![thread(1, 0, 0, 0)], [0; 4]);
    let end = snapshot(
        t0 + Duration::from_millis(250),
        240,
        vec![thread(1, 240, 1, 3)],
        [250, 0, 0, 0],
    );
    let d = Window::between(&start, &end);
    let json = serde_json::to_string(&d).unwrap();
    assert!(json.len() < 600, "{} bytes: {json}", json.len());
    assert!(json.contains(r#""allowed":"0-1""#), "{json}");
    assert_eq!(serde_json::from_str::<Delivered>(&json).unwrap(), d);
    // Older records without the optional parts still read.
    let bare = r#"{"version":1,"of":"child","wall_ns":5,"cpu_ns":4,
        "voluntary_switches":0,"involuntary_switches":0,"online":2}"#;
    let d: Delivered = serde_json::from_str(bare).unwrap();
    assert_eq!((d.others_cpu_ns(), d.allowed_cpus()), (None, 2));
}

// Real windows on real threads. Each runs in a child process (this test
// binary re-executed on one ignored test) so that no other test's
// threads share the process being measured.

const PROBE_ENV: &str = "TUNER_MACHINE_TEST_PROBE";
const PROBE_TEST: &str = "machine::delivered::tests::probe_in_child";

/// What the child measured, and the spinners' own thread clocks.
#[derive(serde::Serialize, serde::Deserialize, Debug)]
struct Probe {
    delivered: Delivered,
    spinners_cpu_ns: u64,
}

/// Runs the probe in a child with `mode`, returns what it printed.
fn probe(mode: &str) -> Probe {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([PROBE_TEST, "--exact", "--ignored", "--nocapture"])
        .args(["--test-threads", "1"])
        .env(PROBE_ENV, mode)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find_map(|l| Some(&l[l.find("PROBE ")? + 6..]))
        .unwrap_or_else(|| {
            panic!(
                "no probe line: {stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    serde_json::from_str(line).unwrap()
}

fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes the timespec it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// The child side: `spin:N` runs N busy threads and one sleeping thread
/// across a 300 ms window; `end:N` starts N threads inside the window
/// that burn 60 ms each and end (recording their exit) before it closes,
/// `seq:N` the same one after the other.
#[test]
#[ignore = "run by the tests below in a child process"]
fn probe_in_child() {
    let Ok(mode) = std::env::var(PROBE_ENV) else {
        return;
    };
    let (kind, n) = mode.split_once(':').unwrap();
    let n: u32 = n.parse().unwrap();
    // 0 before the window, 1 inside it, 2 after.
    let phase = AtomicU32::new(0);
    let spent = std::sync::atomic::AtomicU64::new(0);
    let reported = AtomicU32::new(0);
    let (start, end) = std::thread::scope(|s| match kind {
        "spin" => {
            for _ in 0..n {
                s.spawn(|| {
                    // Each spinner reads its own clock when it sees the
                    // window open and close: its CPU clock stands still
                    // while it waits, so this is its CPU in the window.
                    let mut from = None;
                    loop {
                        match (phase.load(SeqCst), from) {
                            (1, None) => from = Some(thread_cpu_ns()),
                            (2, from) => {
                                let from = from.unwrap_or_else(thread_cpu_ns);
                                spent.fetch_add(thread_cpu_ns() - from, SeqCst);
                                reported.fetch_add(1, SeqCst);
                                return;
                            }
                            _ => {}
                        }
                        std::hint::spin_loop();
                    }
                });
            }
            s.spawn(|| std::thread::sleep(Duration::from_millis(600)));
            std::thread::sleep(Duration::from_millis(50));
            let start = Snapshot::take(Scope::Process);
            phase.store(1, SeqCst);
            std::thread::sleep(Duration::from_millis(300));
            phase.store(2, SeqCst);
            let end = Snapshot::take(Scope::Process);
            while reported.load(SeqCst) < n {
                std::thread::sleep(Duration::from_millis(1));
            }
            (start, end)
        }
        "end" | "seq" => {
            let start = Snapshot::take(Scope::Process);
            let burn = || {
                exits::note_thread_start();
                let from = thread_cpu_ns();
                while thread_cpu_ns() - from < 60 * MS {
                    std::hint::spin_loop();
                }
                spent.fetch_add(thread_cpu_ns() - from, SeqCst);
                exits::record_thread_exit();
            };
            if kind == "end" {
                let workers: Vec<_> = (0..n).map(|_| s.spawn(burn)).collect();
                workers.into_iter().for_each(|w| w.join().unwrap());
            } else {
                (0..n).for_each(|_| s.spawn(burn).join().unwrap());
            }
            std::thread::sleep(Duration::from_millis(20));
            (start, Snapshot::take(Scope::Process))
        }
        other => panic!("mode {other}"),
    });
    let probe = Probe {
        delivered: Window::between(&start, &end),
        spinners_cpu_ns: spent.load(SeqCst),
    };
    println!("PROBE {}", serde_json::to_string(&probe).unwrap());
}

#[test]
fn busy_threads_get_cpus_up_to_the_cores_and_a_sleeper_is_not_running_work() {
    let cores = CpuSet::allowed().unwrap().len() as u32;
    for n in [1, 2] {
        let p = probe(&format!("spin:{n}"));
        let d = &p.delivered;
        let want = f64::from(n.min(cores));
        let others = d.others_cpu_ns().unwrap() as f64 / d.wall_ns as f64;
        let msg = format!("{n} spinners on {cores} CPUs: {d:?}, others {others:.2} CPUs");
        // The N spinners ran work; the sleeper and the measuring thread did not.
        assert_eq!(d.threads.unwrap().ran, n, "{msg}");
        // The process's CPU time is its spinners' (their own clocks), and
        // little else (the snapshots, the sleeper, the harness).
        let own_ms = d.cpu_ns as f64 / 1e6;
        let spinners_ms = p.spinners_cpu_ns as f64 / 1e6;
        assert!(
            own_ms >= spinners_ms - 5.0 && own_ms <= spinners_ms + 10.0,
            "own {own_ms} ms, spinners {spinners_ms} ms; {msg}"
        );
        // No more CPUs than it had threads or cores; what it did not get,
        // others took (busy time is everyone's).
        assert!(d.cpus() <= want + 0.05, "{msg}");
        assert!(d.cpus() + others >= want - 0.1, "{msg}");
        if others < 0.05 {
            assert!((d.cpus() - want).abs() < 0.1 * want, "{msg}");
        }
    }
}

#[test]
fn threads_that_end_inside_the_window_count_by_how_many_ran_at_once() {
    for (mode, at_once) in [("end:3", 3), ("seq:3", 1)] {
        let p = probe(mode);
        let t = p.delivered.threads.unwrap();
        let msg = format!("{mode}: {:?}", p.delivered);
        assert_eq!(t.ended, 3, "{msg}");
        assert_eq!(t.ran, at_once, "{msg}");
        // Their CPU is accounted for, not left over as unseen.
        assert!(t.unseen_cpu_ns < 10 * MS, "{msg}");
        assert!(p.spinners_cpu_ns >= 180 * MS, "{msg}");
    }
}

#[test]
fn overlapping_lives_are_counted_at_their_most() {
    assert_eq!(most_at_once(&mut []), 0);
    assert_eq!(most_at_once(&mut [(0, 10), (10, 20), (20, 30)]), 1);
    assert_eq!(most_at_once(&mut [(0, 10), (5, 20), (6, 7), (15, 30)]), 3);
}
