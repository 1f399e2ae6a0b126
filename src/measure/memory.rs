//! The worker's own peak resident set: `VmHWM` from `/proc/self/status`.
//!
//! `ru_maxrss` from the parent's `wait4` is no good for this: Linux carries
//! the parent's high-water RSS into the child across exec, so every small
//! worker read the runner's size. `VmHWM` belongs to the process's own
//! address space, created at exec. It is read at the worker's end into a
//! stack buffer and parsed by hand (a few lines; a `/proc` crate would read
//! the whole file into heap strings and maps, growing what it measures).

use std::io::Read;

/// The file is ~1.5 KiB; the key sits in its first third.
const BUF: usize = 4096;

/// This process's peak resident set so far, in KiB; `None` where
/// `/proc/self/status` cannot be read or has no `VmHWM` line.
pub(crate) fn peak_rss_kib() -> Option<u64> {
    let mut buf = [0u8; BUF];
    let mut file = std::fs::File::open("/proc/self/status").ok()?;
    let mut len = 0;
    while len < buf.len() {
        match file.read(&mut buf[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    vm_hwm_kib(&buf[..len])
}

/// The value of the `VmHWM:` line (`VmHWM:\t   12345 kB`), in KiB.
fn vm_hwm_kib(status: &[u8]) -> Option<u64> {
    let line = status
        .split(|&b| b == b'\n')
        .find_map(|l| l.strip_prefix(b"VmHWM:"))?;
    let text = std::str::from_utf8(line).ok()?.trim();
    let number = text.strip_suffix("kB")?.trim();
    number.parse().ok()
}

#[cfg(test)]
mod tests {
    use std::alloc::GlobalAlloc;

    use super::*;

    #[test]
    fn parses_the_vm_hwm_line() {
        let status =
            b"Name:\ttuner\nVmPeak:\t  200000 kB\nVmHWM:\t    7028 kB\nVmRSS:\t    6000 kB\n";
        assert_eq!(vm_hwm_kib(status), Some(7028));
        assert_eq!(vm_hwm_kib(b"Name:\ttuner\nVmRSS:\t 6000 kB\n"), None);
        assert_eq!(vm_hwm_kib(b"VmHWM:\t lots kB\n"), None);
    }

    #[test]
    fn the_peak_grows_when_this_process_touches_memory() {
        let before = peak_rss_kib().expect("Linux has /proc/self/status");
        // Touch 64 MiB more than the process held at its peak so far,
        // through mimalloc: outside the glibc and jemalloc statistics that
        // the allocator probe's tests read alongside this one.
        let size = (before as usize + 64 * 1024) * 1024;
        let layout = std::alloc::Layout::from_size_align(size, 4096).unwrap();
        // SAFETY: a non-zero layout; the block is written within its size
        // and freed with the same layout by the same allocator.
        unsafe {
            let block = GlobalAlloc::alloc(&mimalloc::MiMalloc, layout);
            assert!(!block.is_null());
            std::ptr::write_bytes(block, 1, size);
            let after = peak_rss_kib().unwrap();
            GlobalAlloc::dealloc(&mimalloc::MiMalloc, block, layout);
            assert!(
                after >= before + 64 * 1024,
                "VmHWM {before} KiB, then {after} KiB"
            );
        }
    }
}
