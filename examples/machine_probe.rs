//! Calibrates `src/machine` on this machine: runs real workloads
//! in processes of their own and prints, per process, what the machine
//! delivered over its window and how the contention classifier read it.
//!
//! Workloads (`<threads>` = N):
//! - `sort`: rayon's `par_sort` of 1M u64 in an N-thread pool, repeated;
//! - `std`: N `std::thread`s spawned and joined per run (scoped), each
//!   sorting a slice, as a `std::thread` workload does;
//! - `sleep`: N threads that each burn 1 ms of CPU and sleep 9 ms;
//! - `spin`: N busy threads.
//!
//! ```text
//! machine_probe run process|child <workload> <threads> <ms>   one window, one JSON line
//! machine_probe calibrate [--reps R] [--ms M] [--set full|sort] [--out F]
//!                         [--neighbour none|one|all --on-after S --for S]
//! machine_probe summarize F...                                  markdown tables
//! machine_probe costs                      what a snapshot and the exit hook cost
//! ```
//!
//! `process` measures the window inside the process (a catalog worker);
//! `child` runs the workload as a child and measures it from outside, as
//! the command supervisor does. `calibrate` runs every (mode, workload,
//! threads) `reps` times in a shuffled order, each in a fresh process,
//! with `scripts/neighbour.sh` running from `--on-after` seconds for
//! `--for` seconds (on its own clock, so it starts and stops inside some
//! windows), and
//! labels each window from the CPU time of every process on the machine
//! (`/proc/<pid>/stat`), read independently of the module: `neighbour`
//! (the script's loops ran in it), `quiet` (no other user process took
//! more than one 10 ms tick), `busy` (others did: this machine is shared).
//!
//! The module is `pub(crate)` and uses nothing else of tuner, so this
//! probe compiles its source directly.

// The module allows its own dead code until tuner calls it.
#[path = "../src/machine/mod.rs"]
#[allow(dead_code, unused_imports)] // the probe uses part of the module
mod machine;

use std::collections::BTreeMap;
use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use machine::{classify, Figures, Scope, Snapshot, Window};
use rayon::slice::ParallelSliceMut as _;
use serde_json::{json, Value};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["run", mode, workload, threads, ms] => {
            let record = run(mode, workload, num(threads), num(ms));
            println!("{record}");
        }
        ["work", workload, threads, ms] => {
            work(workload, num(threads), num(ms));
        }
        ["calibrate", rest @ ..] => calibrate(rest),
        ["costs"] => costs(),
        ["summarize", files @ ..] => summarize(files),
        _ => {
            eprintln!("usage: see the module docs of examples/machine_probe.rs");
            std::process::exit(2);
        }
    }
}

fn num<T: std::str::FromStr>(text: &str) -> T {
    text.parse().unwrap_or_else(|_| {
        eprintln!("not a number: {text}");
        std::process::exit(2)
    })
}

fn unix_ns() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
}

/// One window, measured in-process or as a supervised child.
fn run(mode: &str, workload: &str, threads: u32, ms: u64) -> Value {
    let procs_before;
    let (start, end, delivered, ops, t0, t1, procs_after) = match mode {
        "process" => {
            let mut w = Work::new(workload, threads);
            w.once(); // pools and threads up, data in cache
            procs_before = Procs::read();
            let t0 = unix_ns();
            let start = Snapshot::take(Scope::Process);
            let ops = w.for_ms(ms);
            let end = Snapshot::take(Scope::Process);
            let t1 = unix_ns();
            let after = Procs::read();
            let d = Window::between(&start, &end);
            (start, end, d, ops, t0, t1, after)
        }
        "child" => {
            let exe = std::env::current_exe().unwrap();
            procs_before = Procs::read();
            let t0 = unix_ns();
            let start = Snapshot::take(Scope::Supervisor);
            let child = Command::new(exe)
                .args(["work", workload, &threads.to_string(), &ms.to_string()])
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            let (ru, out) = wait4(child);
            let end = Snapshot::take(Scope::Supervisor);
            let t1 = unix_ns();
            let after = Procs::read();
            let d = Window::child(&start, &end, &ru);
            let ops = out.trim().parse().unwrap_or(0);
            (start, end, d, ops, t0, t1, after)
        }
        other => panic!("mode {other}: process or child"),
    };
    // Who else ran, from every process's own accounting: this process
    // (and the child it reaped) and its parent, the driver, left out.
    let cap_ms = delivered.wall_ns / 1_000_000 * u64::from(delivered.allowed_cpus());
    // SAFETY: getppid has no preconditions.
    let skip = [std::process::id() as i32, unsafe { libc::getppid() }];
    let who = attribute(&procs_before, &procs_after, &skip, cap_ms);
    json!({
        "neighbour_ms": who.neighbour_ms,
        "foreign_user_ms": who.user_ms,
        "kernel_ms": who.kernel_ms,
        "top": who.top,
        "mode": mode,
        "workload": workload,
        "threads": threads,
        "ms": ms,
        "t0": t0,
        "t1": t1,
        "ops": ops,
        "snapshot_us": [start.cost_ns() / 1000, end.cost_ns() / 1000],
        "figures": Figures::of(&delivered, threads),
        "contention": classify(&delivered, threads),
        "delivered": delivered,
    })
}

/// Waits for `child`, returning its rusage and what it printed.
fn wait4(mut child: std::process::Child) -> (libc::rusage, String) {
    let mut out = String::new();
    if let Some(mut stdout) = child.stdout.take() {
        let _ = std::io::Read::read_to_string(&mut stdout, &mut out);
    }
    let mut status = 0;
    // SAFETY: rusage is plain data that wait4 fills.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    // SAFETY: waits for our own child, once.
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
    assert_eq!(r, pid, "wait4: {}", std::io::Error::last_os_error());
    (ru, out)
}

/// The workload in the `child` mode: set up, run for `ms`, print ops.
fn work(workload: &str, threads: u32, ms: u64) {
    let mut w = Work::new(workload, threads);
    let ops = w.for_ms(ms);
    println!("{ops}");
}

/// A workload ready to run.
struct Work {
    kind: String,
    threads: u32,
    pool: Option<rayon::ThreadPool>,
    master: Vec<u64>,
    buf: Vec<u64>,
    loops: Option<Loops>,
}

/// The `sleep` and `spin` threads: started once, before any window, and
/// alive at both of its edges (as a pool's threads are); each works
/// while the shared deadline is ahead and idles (blocked) otherwise.
struct Loops {
    state: std::sync::Arc<LoopState>,
    handles: Vec<std::thread::JoinHandle<()>>,
}

/// The deadline to work to (if any) and whether to stop, and its signal.
type LoopState = (
    std::sync::Mutex<(Option<Instant>, bool)>,
    std::sync::Condvar,
);

impl Loops {
    fn start(threads: u32, sleep: bool) -> Loops {
        let state = std::sync::Arc::new((
            std::sync::Mutex::new((None::<Instant>, false)),
            std::sync::Condvar::new(),
        ));
        let handles = (0..threads)
            .map(|_| {
                let state = state.clone();
                std::thread::spawn(move || loop {
                    let (lock, cv) = &*state;
                    let mut g = lock.lock().unwrap();
                    while g.0.is_none_or(|d| Instant::now() >= d) && !g.1 {
                        g = cv.wait_timeout(g, Duration::from_millis(50)).unwrap().0;
                    }
                    if g.1 {
                        return;
                    }
                    let deadline = g.0.unwrap();
                    drop(g);
                    while Instant::now() < deadline {
                        std::hint::black_box(burn_ms(1));
                        if sleep {
                            std::thread::sleep(Duration::from_millis(9));
                        }
                    }
                })
            })
            .collect();
        Loops { state, handles }
    }

    /// Works every thread until `span` has passed, then waits for them to idle.
    fn run(&self, span: Duration) {
        let (lock, cv) = &*self.state;
        let deadline = Instant::now() + span;
        lock.lock().unwrap().0 = Some(deadline);
        cv.notify_all();
        std::thread::sleep(span + Duration::from_millis(12));
    }
}

impl Drop for Loops {
    fn drop(&mut self) {
        let (lock, cv) = &*self.state;
        lock.lock().unwrap().1 = true;
        cv.notify_all();
        self.handles.drain(..).for_each(|h| h.join().unwrap());
    }
}

impl Work {
    fn new(kind: &str, threads: u32) -> Work {
        let sorts = matches!(kind, "sort" | "std");
        let master: Vec<u64> = if sorts {
            let mut x = 0x9e37_79b9_7f4a_7c15u64;
            (0..1_000_000)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x
                })
                .collect()
        } else {
            Vec::new()
        };
        let pool = (kind == "sort").then(|| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads as usize)
                .build()
                .unwrap()
        });
        assert!(
            matches!(kind, "sort" | "std" | "sleep" | "spin"),
            "workload {kind}: sort, std, sleep or spin"
        );
        let loops =
            matches!(kind, "sleep" | "spin").then(|| Loops::start(threads, kind == "sleep"));
        Work {
            kind: kind.to_string(),
            threads,
            pool,
            buf: master.clone(),
            master,
            loops,
        }
    }

    /// One run of the work.
    fn once(&mut self) {
        match self.kind.as_str() {
            "sort" => {
                self.buf.copy_from_slice(&self.master);
                let buf = &mut self.buf;
                self.pool.as_ref().unwrap().install(|| buf.par_sort());
            }
            "std" => {
                self.buf.copy_from_slice(&self.master);
                let chunk = self.buf.len().div_ceil(self.threads as usize);
                std::thread::scope(|s| {
                    for part in self.buf.chunks_mut(chunk) {
                        s.spawn(move || {
                            // Where tuner's allocator hook will call them.
                            machine::note_thread_start();
                            part.sort();
                            machine::record_thread_exit();
                        });
                    }
                });
            }
            _ => self.loops.as_ref().unwrap().run(Duration::from_millis(20)),
        }
    }

    /// Runs the work for at least `ms`; returns the runs (sorts) done.
    fn for_ms(&mut self, ms: u64) -> u64 {
        let deadline = Instant::now() + Duration::from_millis(ms);
        if let Some(loops) = &self.loops {
            loops.run(Duration::from_millis(ms));
            return 1;
        }
        let mut ops = 0;
        while Instant::now() < deadline {
            self.once();
            ops += 1;
        }
        ops
    }
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

fn burn_ms(ms: u64) -> u64 {
    let start = thread_cpu_ns();
    let mut x = 1u64;
    while thread_cpu_ns() - start < ms * 1_000_000 {
        for _ in 0..100 {
            x = std::hint::black_box(x.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        }
    }
    x
}

/// The cost of a snapshot, and of the thread-exit hook on a thread that
/// is spawned and joined (medians of rounds, µs).
fn costs() {
    let mut snap = Vec::new();
    for _ in 0..200 {
        let t = Instant::now();
        std::hint::black_box(Snapshot::take(Scope::Process));
        snap.push(t.elapsed().as_secs_f64() * 1e6);
    }
    let mut window = Vec::new();
    let a = Snapshot::take(Scope::Process);
    for _ in 0..200 {
        let b = Snapshot::take(Scope::Process);
        let t = Instant::now();
        std::hint::black_box(Window::between(&a, &b));
        window.push(t.elapsed().as_secs_f64() * 1e6);
    }
    let spawn = |hook: bool| {
        let t = Instant::now();
        for _ in 0..500 {
            std::thread::spawn(move || {
                if hook {
                    machine::note_thread_start();
                    machine::record_thread_exit();
                }
            })
            .join()
            .unwrap();
        }
        t.elapsed().as_secs_f64() * 1e6 / 500.0
    };
    let (mut plain, mut hooked) = (Vec::new(), Vec::new());
    for _ in 0..10 {
        plain.push(spawn(false));
        hooked.push(spawn(true));
    }
    let mut hook_alone = Vec::new();
    for _ in 0..2000 {
        let t = Instant::now();
        machine::record_thread_exit();
        hook_alone.push(t.elapsed().as_secs_f64() * 1e6);
    }
    println!(
        "snapshot {:.0} µs, window {:.1} µs, spawn+join {:.1} µs, with the hook {:.1} µs, hook alone {:.1} µs",
        median(&snap),
        median(&window),
        median(&plain),
        median(&hooked),
        median(&hook_alone)
    );
}

// ---- calibration driver ----------------------------------------------

/// CPU ticks of every process, read from `/proc/<pid>/stat`.
struct Procs(BTreeMap<i32, Proc>);

#[derive(Clone)]
struct Proc {
    comm: String,
    kernel: bool,
    /// utime + stime, and the reaped children's.
    own: u64,
    children: u64,
}

impl Procs {
    fn read() -> Procs {
        let mut map = BTreeMap::new();
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                continue;
            };
            let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
                continue;
            };
            let comm = stat[open + 1..close].to_string();
            let f: Vec<u64> = stat[close + 2..]
                .split(' ')
                .map(|x| x.parse().unwrap_or(0))
                .collect();
            // Fields from `state` (3rd) on: ppid 4th, utime 14th ... cstime 17th.
            let at = |n: usize| f.get(n - 3).copied().unwrap_or(0);
            map.insert(
                pid,
                Proc {
                    comm,
                    kernel: pid == 2 || at(4) == 2,
                    own: at(14) + at(15),
                    children: at(16) + at(17),
                },
            );
        }
        Procs(map)
    }
}

/// Who took CPU between two readings, in ms (10 ms ticks), leaving out
/// `skip` (the measured process, the driver). Reaped children count only
/// when their time fits in the window (`cap_ms`).
struct Attribution {
    neighbour_ms: u64,
    user_ms: u64,
    kernel_ms: u64,
    top: Vec<(String, u64)>,
}

fn attribute(a: &Procs, b: &Procs, skip: &[i32], cap_ms: u64) -> Attribution {
    let tick_ms = 10;
    let mut by: BTreeMap<String, u64> = BTreeMap::new();
    let (mut neighbour_ms, mut user_ms, mut kernel_ms) = (0, 0, 0);
    for (pid, p) in &b.0 {
        if skip.contains(pid) {
            continue;
        }
        let before = a.0.get(pid);
        let own = p.own - before.map_or(0, |x| x.own.min(p.own));
        let kids = p.children - before.map_or(p.children, |x| x.children.min(p.children));
        let mut ms = own * tick_ms;
        if kids * tick_ms <= cap_ms && p.comm != "neighbour.sh" {
            ms += kids * tick_ms;
        }
        if ms == 0 {
            continue;
        }
        if p.comm == "neighbour" {
            neighbour_ms += ms;
        } else if p.kernel {
            kernel_ms += ms;
        } else {
            user_ms += ms;
            *by.entry(p.comm.clone()).or_default() += ms;
        }
    }
    let mut top: Vec<_> = by.into_iter().collect();
    top.sort_by_key(|t| std::cmp::Reverse(t.1));
    top.truncate(3);
    Attribution {
        neighbour_ms,
        user_ms,
        kernel_ms,
        top,
    }
}

fn flag<'a>(args: &[&'a str], name: &str, default: &'a str) -> &'a str {
    args.iter()
        .position(|a| *a == name)
        .and_then(|i| args.get(i + 1).copied())
        .unwrap_or(default)
}

fn load1() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split(' ').next()?.parse().ok())
        .unwrap_or(f64::NAN)
}

/// When the neighbour started and stopped (unix ns).
static NEIGHBOUR: std::sync::Mutex<(Option<u64>, Option<u64>)> =
    std::sync::Mutex::new((None, None));

/// The share of `[t0, t1]` the neighbour was running.
fn overlap(t0: u64, t1: u64) -> f64 {
    let (on, off) = *NEIGHBOUR.lock().unwrap();
    let Some(on) = on else { return 0.0 };
    let off = off.unwrap_or(u64::MAX);
    let both = t1.min(off).saturating_sub(t0.max(on));
    both as f64 / (t1 - t0).max(1) as f64
}

fn calibrate(args: &[&str]) {
    let reps: usize = num(flag(args, "--reps", "3"));
    let ms: u64 = num(flag(args, "--ms", "300"));
    let neighbour = flag(args, "--neighbour", "none");
    let out_path = flag(args, "--out", "machine-probe.jsonl");
    let set = flag(args, "--set", "full");
    let mut plan: Vec<(&str, &str, u32)> = Vec::new();
    for mode in ["process", "child"] {
        for t in [1, 2, 4, 8] {
            plan.push((mode, "sort", t));
        }
        if set == "full" {
            plan.push((mode, "std", 4));
            plan.push((mode, "sleep", 2));
            plan.push((mode, "spin", 1));
            plan.push((mode, "spin", 2));
        }
    }
    let mut runs: Vec<_> = (0..reps).flat_map(|_| plan.iter().copied()).collect();
    shuffle(&mut runs, unix_ns());
    let n = runs.len();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/neighbour.sh");
    let mut out = std::fs::File::create(out_path).unwrap();
    let exe = std::env::current_exe().unwrap();
    // The neighbour runs on its own clock, from `--on-after` seconds for
    // `--for` seconds, so it starts and stops inside some windows.
    let neighbour_thread = (neighbour != "none").then(|| {
        let on_after: f64 = num(flag(args, "--on-after", "20"));
        let span: f64 = num(flag(args, "--for", "20"));
        let which = neighbour.to_string();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs_f64(on_after));
            let mut p = Command::new(script).arg(which).spawn().unwrap();
            NEIGHBOUR.lock().unwrap().0 = Some(unix_ns());
            eprintln!("neighbour on");
            std::thread::sleep(Duration::from_secs_f64(span));
            // SAFETY: a signal to our own child.
            unsafe { libc::kill(p.id() as i32, libc::SIGTERM) };
            let _ = p.wait();
            NEIGHBOUR.lock().unwrap().1 = Some(unix_ns());
            eprintln!("neighbour off");
        })
    });
    // SAFETY: getpriority has no preconditions.
    let nice = unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) };
    for (i, (mode, workload, threads)) in runs.into_iter().enumerate() {
        let load = load1();
        let child = Command::new(&exe)
            .args(["run", mode, workload, &threads.to_string(), &ms.to_string()])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let output = child.wait_with_output().unwrap();
        let mut record: Value = serde_json::from_slice(&output.stdout).unwrap();
        let neighbour_ms = record["neighbour_ms"].as_u64().unwrap();
        let user_ms = record["foreign_user_ms"].as_u64().unwrap();
        let overlapped = overlap(
            record["t0"].as_u64().unwrap(),
            record["t1"].as_u64().unwrap(),
        );
        let label = if overlapped >= 0.5 {
            "neighbour ≥½"
        } else if overlapped > 0.0 || neighbour_ms > 0 {
            "neighbour <½"
        } else if user_ms <= 10 {
            "quiet"
        } else {
            "busy"
        };
        record["label"] = json!(label);
        record["load1"] = json!(load);
        record["nice"] = json!(nice);
        record["overlap"] = json!(overlapped);
        record["neighbour"] = json!(neighbour);
        writeln!(out, "{record}").unwrap();
        eprintln!(
            "{i:>3}/{n} {mode:7} {workload:5} {threads} {label:9} {} others {:.3} delay {:.3}",
            record["contention"]["contention"],
            record["figures"]["others_cpu_share"]
                .as_f64()
                .unwrap_or(f64::NAN),
            record["figures"]["unexplained_delay"]
                .as_f64()
                .unwrap_or(f64::NAN),
        );
    }
    if let Some(t) = neighbour_thread {
        t.join().unwrap();
    }
}

/// Fisher–Yates with a xorshift generator (the order only needs to mix).
fn shuffle<T>(items: &mut [T], seed: u64) {
    let mut x = seed | 1;
    for i in (1..items.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        items.swap(i, (x % (i as u64 + 1)) as usize);
    }
}

// ---- summary -----------------------------------------------------------

fn summarize(files: &[&str]) {
    let mut all = Vec::new();
    let mut groups: BTreeMap<(String, String, String), Vec<Value>> = BTreeMap::new();
    for file in files {
        let text = std::fs::read_to_string(file).unwrap();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let r: Value = serde_json::from_str(line).unwrap();
            let key = (
                format!(
                    "{} (nice {})",
                    r["label"].as_str().unwrap_or("?"),
                    r["nice"]
                ),
                r["mode"].as_str().unwrap().to_string(),
                format!("{} ×{}", r["workload"].as_str().unwrap(), r["threads"]),
            );
            groups.entry(key).or_default().push(r.clone());
            all.push(r);
        }
    }
    println!(
        "| label | mode | workload | n | flagged | CPUs med | others share med [max] | \
         unexplained delay med [max] | PSI cpu some med | load1 med |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for ((label, mode, workload), rs) in &groups {
        let flagged = rs
            .iter()
            .filter(|r| r["contention"]["contention"] == "contended")
            .count();
        let f = |r: &Value, key: &str| r["figures"][key].as_f64();
        let cpus: Vec<f64> = rs
            .iter()
            .map(|r| {
                let d = &r["delivered"];
                d["cpu_ns"].as_f64().unwrap() / d["wall_ns"].as_f64().unwrap()
            })
            .collect();
        let others: Vec<f64> = rs.iter().filter_map(|r| f(r, "others_cpu_share")).collect();
        let delay: Vec<f64> = rs
            .iter()
            .filter_map(|r| f(r, "unexplained_delay"))
            .collect();
        let psi: Vec<f64> = rs
            .iter()
            .filter_map(|r| {
                let d = &r["delivered"];
                Some(d["pressure"]["cpu_some_us"].as_f64()? * 1000.0 / d["wall_ns"].as_f64()?)
            })
            .collect();
        let load: Vec<f64> = rs.iter().filter_map(|r| r["load1"].as_f64()).collect();
        println!(
            "| {label} | {mode} | {workload} | {} | {flagged} | {:.2} | {:.3} [{:.3}] | {} | {:.2} | {:.1} |",
            rs.len(),
            median(&cpus),
            median(&others),
            max(&others),
            if delay.is_empty() {
                "—".to_string()
            } else {
                format!("{:.3} [{:.3}]", median(&delay), max(&delay))
            },
            median(&psi),
            median(&load),
        );
    }
    separation(&all);
}

/// The classifier's separation: how often it flagged the windows the
/// neighbour overlapped, how well its others' CPU agrees with every
/// process's own accounting, and what it would have said on a quiet
/// machine: each window's figures less what the other processes it
/// attributes explain (`others − attributed`, and the run delay's excess
/// over others' share), against the thresholds.
fn separation(all: &[Value]) {
    let limits = machine::THRESHOLDS;
    let cap = |r: &Value| {
        let d = &r["delivered"];
        d["wall_ns"].as_f64().unwrap() / 1e6 * 2.0
    };
    let contended = |r: &Value| r["contention"]["contention"] == "contended";
    println!(
        "\n| neighbour | overlap | windows | flagged | reasons | its own CPU over the limit |\n\
         |---|---|---|---|---|---|"
    );
    type Detection = (usize, usize, BTreeMap<String, usize>, usize);
    let mut det: BTreeMap<(String, &str), Detection> = BTreeMap::new();
    for r in all
        .iter()
        .filter(|r| r["overlap"].as_f64().unwrap_or(0.0) > 0.0)
    {
        let o = r["overlap"].as_f64().unwrap();
        let band = if o >= 0.5 {
            "≥ ½ of the window"
        } else {
            "< ½"
        };
        let key = (
            format!(
                "{} (nice {})",
                r["neighbour"].as_str().unwrap_or("?"),
                r["nice"]
            ),
            band,
        );
        let e = det.entry(key).or_default();
        e.0 += 1;
        // Would the neighbour alone have crossed the others' limit?
        let alone = r["neighbour_ms"].as_f64().unwrap() / cap(r);
        e.3 += usize::from(alone > limits.others_share);
        if contended(r) {
            e.1 += 1;
            *e.2.entry(r["contention"]["reason"].as_str().unwrap().to_string())
                .or_default() += 1;
        }
    }
    for ((nb, band), (n, flagged, reasons, alone)) in &det {
        let reasons: Vec<String> = reasons.iter().map(|(k, v)| format!("{k} {v}")).collect();
        println!(
            "| {nb} | {band} | {n} | {flagged} | {} | {alone} |",
            reasons.join(", ")
        );
    }
    let attributed = |r: &Value| {
        (r["foreign_user_ms"].as_f64().unwrap() + r["neighbour_ms"].as_f64().unwrap()) / cap(r)
    };
    let others = |r: &Value| r["figures"]["others_cpu_share"].as_f64().unwrap();
    let ratios: Vec<f64> = all
        .iter()
        .filter(|r| attributed(r) > 0.05)
        .map(|r| others(r) / attributed(r))
        .collect();
    let diffs: Vec<f64> = all
        .iter()
        .map(|r| (others(r) - attributed(r)) * cap(r))
        .collect();
    println!(
        "\nothers' CPU against the processes' own accounting (+ kernel threads): \
         ratio median {:.3} over {} windows; difference p10 {:.0} ms, median {:.0} ms, p90 {:.0} ms",
        median(&ratios),
        ratios.len(),
        quantile(&diffs, 0.1),
        median(&diffs),
        quantile(&diffs, 0.9),
    );
    println!(
        "\n| mode | workload | windows | quiet others p50 [p95, max] | quiet delay excess p95 [max] | \
         would flag |\n|---|---|---|---|---|---|"
    );
    // Per (mode, workload): each window's residual others and delay excess.
    type Residuals = Vec<(f64, Option<f64>)>;
    let mut est: BTreeMap<(String, String), Residuals> = BTreeMap::new();
    for r in all {
        let quiet_others = others(r) - attributed(r);
        let excess = r["figures"]["unexplained_delay"]
            .as_f64()
            .map(|d| (d - others(r)).max(0.0));
        let key = (
            r["mode"].as_str().unwrap().to_string(),
            format!("{} ×{}", r["workload"].as_str().unwrap(), r["threads"]),
        );
        est.entry(key).or_default().push((quiet_others, excess));
    }
    let (mut windows, mut flags) = (0, 0);
    for ((mode, workload), v) in &est {
        let o: Vec<f64> = v.iter().map(|x| x.0).collect();
        let d: Vec<f64> = v.iter().filter_map(|x| x.1).collect();
        let would = v
            .iter()
            .filter(|x| {
                x.0 > limits.others_share || x.1.is_some_and(|d| d > limits.unexplained_delay)
            })
            .count();
        windows += v.len();
        flags += would;
        println!(
            "| {mode} | {workload} | {} | {:.3} [{:.3}, {:.3}] | {} | {would} |",
            v.len(),
            median(&o),
            quantile(&o, 0.95),
            max(&o),
            if d.is_empty() {
                "—".to_string()
            } else {
                format!("{:.3} [{:.3}]", quantile(&d, 0.95), max(&d))
            },
        );
    }
    println!("\nwould flag on a quiet machine (estimate): {flags} of {windows} windows");
    // Where other processes took little, their accounting is complete (the
    // scan misses short-lived processes, which busy builds are made of),
    // so the residual is what a quiet machine shows: kernel threads, the
    // runner, and the classifier's own leakage.
    let light: Vec<&Value> = all.iter().filter(|r| attributed(r) < 0.10).collect();
    let res: Vec<f64> = light.iter().map(|r| others(r) - attributed(r)).collect();
    let excess: Vec<f64> = light
        .iter()
        .filter_map(|r| Some((r["figures"]["unexplained_delay"].as_f64()? - others(r)).max(0.0)))
        .collect();
    let eight: Vec<&&Value> = light
        .iter()
        .filter(|r| r["threads"].as_u64() > Some(2))
        .collect();
    let would = |r: &Value| {
        others(r) - attributed(r) > limits.others_share
            || r["figures"]["unexplained_delay"]
                .as_f64()
                .is_some_and(|d| d - others(r) > limits.unexplained_delay)
    };
    println!(
        "windows where other processes took < 10% of the capacity: {}; residual others p95 {:.3}, \
         max {:.3}; delay excess p95 {:.3}, max {:.3}; would flag {} (of them, more threads than \
         CPUs: {}, would flag {})",
        light.len(),
        quantile(&res, 0.95),
        max(&res),
        quantile(&excess, 0.95),
        max(&excess),
        light.iter().filter(|r| would(r)).count(),
        eight.len(),
        eight.iter().filter(|r| would(r)).count(),
    );
    let quiet: Vec<&Value> = all.iter().filter(|r| r["label"] == "quiet").collect();
    println!(
        "windows labelled quiet (no other user process took more than a 10 ms tick): {}, flagged {}",
        quiet.len(),
        quiet.iter().filter(|r| contended(r)).count()
    );
}

fn quantile(xs: &[f64], q: f64) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * q).round() as usize]
}

fn median(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn max(xs: &[f64]) -> f64 {
    xs.iter().copied().fold(f64::NAN, f64::max)
}
