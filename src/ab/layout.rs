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
//! Pinning (`--pin`) fixes the CPU the workers run on (the runner's
//! affinity, inherited), so a pair's two processes do not land on cores
//! in different states; on a machine shared with other work it can also
//! put every worker on the busy core.

use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::side::Build;

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

/// Which CPU the workers are pinned to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Pin {
    /// Wherever the kernel puts them.
    None,
    /// The last CPU this process may use, when it may use two or more.
    #[default]
    Auto,
    Cpu(usize),
}

impl Pin {
    /// `none`, `auto` or a CPU number.
    pub(crate) fn parse(text: &str) -> Result<Pin, String> {
        match text {
            "none" => Ok(Pin::None),
            "auto" => Ok(Pin::Auto),
            n => n
                .parse()
                .map(Pin::Cpu)
                .map_err(|_| format!("`{n}` is not a CPU number, auto or none")),
        }
    }

    /// The CPU to pin to, if any.
    fn resolve(self) -> io::Result<Option<usize>> {
        match self {
            Pin::None => Ok(None),
            Pin::Cpu(cpu) => Ok(Some(cpu)),
            Pin::Auto => {
                let allowed = allowed_cpus()?;
                Ok((allowed.len() >= 2).then(|| allowed[allowed.len() - 1]))
            }
        }
    }
}

/// The CPUs the calling thread may run on.
fn allowed_cpus() -> io::Result<Vec<usize>> {
    // SAFETY: a zeroed cpu_set_t is a valid empty set for the kernel to fill.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok((0..libc::CPU_SETSIZE as usize)
            .filter(|&c| libc::CPU_ISSET(c, &set))
            .collect())
    }
}

/// The layout a gate's workers ran with, as recorded in `ab.json`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Layout {
    pub mode: LayoutMode,
    /// Whether the kernel accepted turning ASLR off (containers may refuse).
    pub aslr_off: bool,
    /// The CPU every worker was pinned to.
    pub pin: Option<usize>,
}

impl Layout {
    /// Applies `mode` and `pin` to this process, whose workers inherit
    /// them. Pinning to a CPU this process may not use is an error;
    /// a kernel that refuses to turn ASLR off is recorded, not an error.
    pub(crate) fn apply(mode: LayoutMode, pin: Pin) -> io::Result<Layout> {
        let aslr_off = mode.aslr_off() && set_no_randomize();
        let pin = pin.resolve()?;
        if let Some(cpu) = pin {
            pin_to(cpu)?;
        }
        Ok(Layout {
            mode,
            aslr_off,
            pin,
        })
    }
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

/// Pins the calling thread (the runner's, which spawns the workers) to `cpu`.
fn pin_to(cpu: usize) -> io::Result<()> {
    // SAFETY: a zeroed cpu_set_t is a valid empty set; CPU_SET bounds-checks.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if cpu >= libc::CPU_SETSIZE as usize {
            return Err(io::Error::other(format!("no CPU {cpu}")));
        }
        libc::CPU_SET(cpu, &mut set);
        if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
            let e = io::Error::last_os_error();
            return Err(io::Error::new(
                e.kind(),
                format!("cannot pin to CPU {cpu}: {e}"),
            ));
        }
    }
    Ok(())
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
    fn pins_parse_and_auto_takes_the_last_allowed_cpu() {
        assert_eq!(Pin::parse("none"), Ok(Pin::None));
        assert_eq!(Pin::parse("3"), Ok(Pin::Cpu(3)));
        assert!(Pin::parse("-1").is_err());
        let allowed = allowed_cpus().unwrap();
        let auto = Pin::Auto.resolve().unwrap();
        match allowed.len() {
            0 | 1 => assert_eq!(auto, None),
            _ => assert_eq!(auto, allowed.last().copied()),
        }
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
