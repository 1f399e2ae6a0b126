//! Memory layout and CPU placement of the workers, chosen so that what
//! differs between processes by accident (where the stack, heap and
//! libraries land) either cancels within a pair or averages out over
//! pairs, instead of adding noise to every ratio or biasing one build.
//!
//! Address-space randomisation (ASLR) gives every process its own stack
//! offset (the kernel moves the stack by up to 8 KiB at 16-byte steps),
//! heap and library addresses; code and data that happen to alias in the
//! caches or branch predictors make some processes a few percent slower
//! than others (Mytkowicz et al., "Producing wrong data without doing
//! anything obviously wrong!", ASPLOS 2009: the environment's size alone
//! moved timings by up to 10%; Curtsinger & Berger, "Stabilizer", ASPLOS
//! 2013: randomise layout so it averages out). In a pair, two independent
//! draws add that spread to the ratio twice.
//!
//! [`LayoutMode::Paired`] (the default) turns ASLR off for the workers
//! (`personality(ADDR_NO_RANDOMIZE)` on the runner, inherited through
//! fork and exec) and instead draws one stack offset per *pair*: both
//! processes of a pair start at the same addresses, so layout cancels in
//! their ratio, while the offsets differ from pair to pair, so no single
//! lucky or unlucky layout decides the result. The offset is made by the
//! length of the path the worker is started through — a symlink to the
//! build, `<scratch>/layout/xxxx…/base` or `…/head`, names of equal length:
//! the kernel copies the path onto the new process's stack twice (`argv[0]`
//! and `AT_EXECFN`), so each extra byte of path moves the stack by two.
//! The same symlinks make two builds at paths of different lengths start
//! alike. [`LayoutMode::Random`] keeps the kernel's ASLR (independent
//! layouts); [`LayoutMode::Fixed`] turns it off without offsets (one
//! layout for every process: least noise, but whatever bias that one
//! layout has stays).
//!
//! Pinning (`--pin`) gives every worker fixed CPUs, so a pair's two
//! processes do not land on cores in different states: a point of N
//! threads runs on N CPUs, the last N of those the gate may use (`auto`:
//! every CPU this process may use; or a list, `--pin 2-3`). A 2-thread
//! point pinned to one CPU measures another experiment than the config's
//! (issue 19: merge sort v3 at 2 threads took 12.2 ms pinned to one CPU,
//! as long as sequential; 6.6 ms unpinned), so a point is never pinned to
//! fewer CPUs than its threads while the gate may use more: a list too
//! short for a point is refused before anything runs. A point with more
//! threads than the gate's CPUs runs on all of them. The workers inherit
//! the CPUs from the runner's thread, which takes each process's set just
//! before starting it ([`pin_thread`]).

use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::side::Build;
use crate::machine::CpuSet;

/// How the workers' memory layout is arranged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum LayoutMode {
    /// No ASLR; one random stack offset per pair, shared by both processes.
    #[default]
    Paired,
    /// The kernel's ASLR: an independent layout per process.
    Random,
    /// No ASLR, no offsets: one layout for every process.
    Fixed,
}

impl LayoutMode {
    fn aslr_off(self) -> bool {
        self != LayoutMode::Random
    }

    /// How many distinct offsets pairs draw from.
    pub(crate) fn offsets(self) -> u32 {
        match self {
            LayoutMode::Paired => OFFSETS,
            LayoutMode::Random | LayoutMode::Fixed => 1,
        }
    }
}

/// Offsets a pair draws from: path lengths 0, 8, …, 8·(OFFSETS − 1) bytes,
/// stack shifts of 16-byte steps over 4 KiB (a page: beyond it a shift
/// only repeats alignments already drawn).
const OFFSETS: u32 = 256;
const BYTES_PER_OFFSET: usize = 8;
/// Path components are at most 255 bytes; stay well below.
const COMPONENT: usize = 200;

/// Which CPUs the workers are pinned to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) enum Pin {
    /// Wherever the kernel puts them.
    None,
    /// Each point on the last CPUs this process may use, as many as its
    /// threads.
    #[default]
    Auto,
    /// Each point on the last CPUs of this list, as many as its threads.
    Cpus(CpuSet),
}

impl Pin {
    /// `none`, `auto`, or a CPU list (`3`, `2-3`, `0,2`).
    pub(crate) fn parse(text: &str) -> Result<Pin, String> {
        match text {
            "none" => Ok(Pin::None),
            "auto" => Ok(Pin::Auto),
            list => CpuSet::parse(list)
                .filter(|set| !set.is_empty())
                .map(Pin::Cpus)
                .ok_or_else(|| {
                    format!("`{list}` is not a CPU list (such as 3, 2-3 or 0,2), auto or none")
                }),
        }
    }

    /// The CPUs the gate pins within: `None` for no pinning; a list must
    /// be CPUs this process may use.
    fn pool(&self) -> io::Result<Option<CpuSet>> {
        let allowed = CpuSet::allowed()
            .ok_or_else(|| io::Error::other("cannot read the CPUs this process may use"))?;
        match self {
            Pin::None => Ok(None),
            Pin::Auto => Ok((allowed.len() >= 2).then_some(allowed)),
            Pin::Cpus(list) => match list.ids().iter().find(|&&id| !allowed.contains(id)) {
                Some(id) => Err(io::Error::other(format!(
                    "cannot pin to CPU {id}: this process may use CPUs {allowed} only"
                ))),
                None => Ok(Some(list.clone())),
            },
        }
    }
}

/// The layout a gate's workers ran with, as recorded in `ab.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Layout {
    pub mode: LayoutMode,
    /// Whether the kernel accepted turning ASLR off (containers may refuse).
    pub aslr_off: bool,
    /// Gates before per-point pinning: the one CPU every worker ran on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin: Option<usize>,
    /// The CPUs the gate pinned its points within (`None`: not pinned);
    /// a point of N threads took the last N ([`Layout::cpus_for`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pinned_within: Option<CpuSet>,
    /// Every CPU the runner could use when the gate was planned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed: Option<CpuSet>,
}

impl Layout {
    /// Applies `mode` to this process, whose workers inherit it, and
    /// plans `pin` for points of the thread counts `threads` (both
    /// sides', labelled). Pinning to a CPU this process may not use, or a
    /// point to fewer CPUs than its threads while the gate may use more,
    /// is an error; a kernel that refuses to turn ASLR off is recorded,
    /// not an error.
    pub(crate) fn apply(
        mode: LayoutMode,
        pin: &Pin,
        threads: &[(String, usize)],
    ) -> io::Result<Layout> {
        let pool = pin.pool()?;
        let allowed = CpuSet::allowed();
        if let (Some(pool), Some(allowed)) = (&pool, &allowed) {
            for (label, n) in threads {
                if *n > pool.len() && pool.len() < allowed.len() {
                    return Err(io::Error::other(format!(
                        "--pin {pool} gives the point `{label}` {} for its {n} threads, \
                         and a point pinned to fewer CPUs than its threads measures another \
                         experiment than the config's: pin to at least {} CPUs \
                         (this process may use {allowed}), or --pin auto or --pin none",
                        cpus(pool.len()),
                        (*n).min(allowed.len()),
                    )));
                }
            }
        }
        let aslr_off = mode.aslr_off() && set_no_randomize();
        Ok(Layout {
            mode,
            aslr_off,
            pin: None,
            pinned_within: pool,
            allowed,
        })
    }

    /// The CPUs a worker of a point of `threads` threads runs on: the last
    /// `threads` of the gate's pinning CPUs (all of them for more
    /// threads); `None`: not pinned.
    pub(crate) fn cpus_for(&self, threads: usize) -> Option<CpuSet> {
        let pool = self.pinned_within.as_ref()?;
        let ids = pool.ids();
        Some(CpuSet::of(
            ids[ids.len().saturating_sub(threads.max(1))..]
                .iter()
                .copied(),
        ))
    }

    /// The pinning as the report's layout line says it.
    pub(crate) fn describe_pin(&self) -> Option<String> {
        match (&self.pinned_within, self.pin) {
            (Some(pool), _) => Some(format!(
                "each point pinned to as many of CPUs {pool} as its threads"
            )),
            (None, Some(cpu)) => Some(format!("pinned to CPU {cpu}")),
            (None, None) => None,
        }
    }
}

fn cpus(n: usize) -> String {
    match n {
        1 => "1 CPU".into(),
        n => format!("{n} CPUs"),
    }
}

/// Pins the calling thread (the runner's, which starts the workers, who
/// inherit it) to `cpus`.
pub(super) fn pin_thread(cpus: &CpuSet) -> io::Result<()> {
    // SAFETY: a zeroed cpu_set_t is a valid empty set; each id is checked
    // against its size before CPU_SET.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        for &cpu in cpus.ids() {
            if cpu as usize >= libc::CPU_SETSIZE as usize {
                return Err(io::Error::other(format!("no CPU {cpu}")));
            }
            libc::CPU_SET(cpu as usize, &mut set);
        }
        if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
            let e = io::Error::last_os_error();
            return Err(io::Error::new(
                e.kind(),
                format!("cannot pin to CPUs {cpus}: {e}"),
            ));
        }
    }
    Ok(())
}

/// Turns address randomisation off for programs this process executes
/// from now on; whether it took.
fn set_no_randomize() -> bool {
    const QUERY: libc::c_ulong = 0xffff_ffff;
    // SAFETY: personality only reads and sets this process's persona flags.
    unsafe {
        let current = libc::personality(QUERY);
        if current == -1 {
            return false;
        }
        let wanted = current as libc::c_ulong | libc::ADDR_NO_RANDOMIZE as libc::c_ulong;
        libc::personality(wanted) != -1
            && libc::personality(QUERY) as libc::c_ulong & libc::ADDR_NO_RANDOMIZE as libc::c_ulong
                != 0
    }
}

/// The symlinks workers start through: one per build and offset, made on
/// first use under `root` (in the run's scratch root, removed with it).
pub(super) struct Paths {
    root: PathBuf,
    exes: [PathBuf; 2],
}

impl Paths {
    pub(super) fn new(root: PathBuf, base: &Path, head: &Path) -> Paths {
        Paths {
            root,
            exes: [base.to_path_buf(), head.to_path_buf()],
        }
    }

    /// The path `build` starts through at `offset`.
    pub(super) fn exe(&self, build: Build, offset: u32) -> io::Result<PathBuf> {
        let mut dir = self.root.clone();
        let mut left = offset as usize * BYTES_PER_OFFSET;
        while left > 0 {
            // Each component adds its length plus a slash.
            let len = left.min(COMPONENT + 1) - 1;
            dir.push(if len == 0 { "." } else { &PADDING[..len] });
            left -= len + 1;
        }
        std::fs::create_dir_all(&dir)?;
        let link = dir.join(build.name());
        if std::fs::symlink_metadata(&link).is_err() {
            std::os::unix::fs::symlink(&self.exes[build as usize], &link)?;
        }
        Ok(link)
    }
}

const PADDING: &str = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_parse_and_a_point_of_n_threads_takes_the_last_n_cpus() {
        assert_eq!(Pin::parse("none"), Ok(Pin::None));
        assert_eq!(Pin::parse("3"), Ok(Pin::Cpus(CpuSet::of([3]))));
        assert_eq!(Pin::parse("2-3"), Ok(Pin::Cpus(CpuSet::of([2, 3]))));
        assert!(Pin::parse("-1").unwrap_err().contains("not a CPU list"));
        assert!(Pin::parse("").is_err());
        let layout = |within: &[u32]| Layout {
            mode: LayoutMode::Paired,
            aslr_off: true,
            pin: None,
            pinned_within: Some(CpuSet::of(within.iter().copied())),
            allowed: None,
        };
        let four = layout(&[0, 1, 2, 3]);
        let on = |l: &Layout, n| l.cpus_for(n).unwrap().to_string();
        assert_eq!(
            [on(&four, 1), on(&four, 2), on(&four, 3)],
            ["3", "2-3", "1-3"]
        );
        assert_eq!(on(&four, 8), "0-3", "more threads than CPUs: all of them");
        assert_eq!(on(&layout(&[0, 2, 5]), 2), "2,5");
        let none = Layout {
            pinned_within: None,
            ..four
        };
        assert_eq!(none.cpus_for(2), None);
    }

    #[test]
    fn auto_pins_within_every_allowed_cpu_and_a_short_list_is_refused() {
        let allowed = CpuSet::allowed().unwrap();
        let points = [("threads=1".to_string(), 1), ("threads=2".to_string(), 2)];
        let auto = Layout::apply(LayoutMode::Random, &Pin::Auto, &points).unwrap();
        if allowed.len() < 2 {
            assert_eq!(auto.pinned_within, None);
        } else {
            assert_eq!(auto.pinned_within.as_ref(), Some(&allowed));
            let last = *allowed.ids().last().unwrap();
            assert_eq!(auto.cpus_for(1), Some(CpuSet::of([last])));
            assert_eq!(auto.cpus_for(2).unwrap().len(), 2);
            // One CPU for a 2-thread point, with more to be had: refused.
            let one = Pin::Cpus(CpuSet::of([last]));
            let text = Layout::apply(LayoutMode::Random, &one, &points)
                .unwrap_err()
                .to_string();
            assert!(
                text.starts_with(&format!(
                    "--pin {last} gives the point `threads=2` 1 CPU for its 2 threads"
                )) && text.contains("pin to at least 2 CPUs"),
                "{text}"
            );
            // Enough for every point: fine.
            assert!(Layout::apply(LayoutMode::Random, &one, &points[..1]).is_ok());
        }
        let beyond = Pin::Cpus(CpuSet::of([libc::CPU_SETSIZE as u32 - 1]));
        let e = Layout::apply(LayoutMode::Random, &beyond, &points[..1]).unwrap_err();
        assert!(e.to_string().starts_with("cannot pin to CPU 1023"), "{e}");
    }

    #[test]
    fn the_runners_thread_takes_a_points_cpus_and_its_children_inherit_them() {
        let allowed = CpuSet::allowed().unwrap();
        let last = CpuSet::of([*allowed.ids().last().unwrap()]);
        // On a thread of its own: the test harness's threads keep theirs.
        let (pinned, status) = std::thread::spawn(move || {
            pin_thread(&last).unwrap();
            let out = std::process::Command::new("/bin/grep")
                .args(["Cpus_allowed_list", "/proc/self/status"])
                .output()
                .unwrap();
            (last, String::from_utf8(out.stdout).unwrap())
        })
        .join()
        .unwrap();
        assert_eq!(
            status.split_whitespace().nth(1),
            Some(pinned.to_string().as_str()),
            "{status}"
        );
    }

    #[test]
    fn each_offset_lengthens_the_path_by_its_bytes_and_both_builds_alike() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::new(
            dir.path().to_path_buf(),
            Path::new("/bin/sh"),
            Path::new("/bin/ls"),
        );
        let len = |b, o| paths.exe(b, o).unwrap().as_os_str().len();
        let zero = len(Build::Base, 0);
        for offset in [1, 2, 25, 26, 27, 100, OFFSETS - 1] {
            let extra = offset as usize * BYTES_PER_OFFSET;
            assert_eq!(len(Build::Base, offset), zero + extra, "offset {offset}");
            assert_eq!(len(Build::Head, offset), zero + extra, "offset {offset}");
        }
        // The links lead to the builds, and a second use finds them made.
        let head = paths.exe(Build::Head, 100).unwrap();
        assert_eq!(std::fs::read_link(&head).unwrap(), Path::new("/bin/ls"));
        assert_eq!(paths.exe(Build::Head, 100).unwrap(), head);
        assert!(head.components().all(|c| c.as_os_str().len() <= 255));
        assert!(PADDING.len() >= COMPONENT);
    }

    /// Where `cat`, started from this thread, finds its stack
    /// (`/proc/self/stat` field 28).
    fn child_stack() -> String {
        let out = std::process::Command::new("/bin/cat")
            .arg("/proc/self/stat")
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        let after_name = &text[text.rfind(')').unwrap() + 2..];
        after_name.split(' ').nth(25).unwrap().to_string()
    }

    #[test]
    fn workers_started_without_aslr_see_the_same_stack() {
        let randomizing = std::fs::read_to_string("/proc/sys/kernel/randomize_va_space")
            .is_ok_and(|v| v.trim() != "0");
        if randomizing {
            assert_ne!(child_stack(), child_stack());
        }
        // The persona is this test thread's own, inherited by what it starts.
        if !set_no_randomize() {
            eprintln!("the kernel refuses ADDR_NO_RANDOMIZE here; nothing to check");
            return;
        }
        assert_eq!(child_stack(), child_stack());
    }
}
