//! One execution of a command, timed from spawn to exit as hyperfine
//! times it: `posix_spawn` (a `vfork` and an `exec`), then `wait4` for
//! the command's own rusage — CPU, context switches, and the peak RSS of
//! it and the children it waited for. It runs in this process's group,
//! so the runner's group kill at the timeout reaches it; this process is
//! the small one [`super::small`] made, so the peak RSS `wait4` reports
//! starts from that one's size, not from the runner's or the worker's.

use std::fs::File;
use std::hash::Hasher as _;
use std::io::Read;
use std::os::unix::process::CommandExt as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::gobench::{self, Line};
use super::invocation::Invocation;
use crate::alloc::ENV_VAR;
use crate::machine::{Delivered, Scope, Snapshot, Window};
use crate::sys::wait4;

/// What to keep of the command's stdout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Capture {
    /// Nothing: it goes to `/dev/null`, as hyperfine sends it.
    Discard,
    /// A digest of every byte.
    Digest,
    /// The Go benchmark result lines (and a digest).
    Gobench,
}

/// What was kept of stdout.
#[derive(Debug, Default)]
pub(super) struct Captured {
    pub digest: u64,
    pub lines: Vec<Line>,
    /// Benchmark lines past [`MAX_LINES`], dropped.
    pub dropped: u64,
}

/// How one execution went.
pub(super) struct Execution {
    pub wall: Duration,
    /// The raw wait status.
    pub status: libc::c_int,
    pub rusage: libc::rusage,
    pub stdout: Captured,
    /// What the machine delivered from spawn to exit.
    pub delivered: Delivered,
}

/// A longer stdout line is not a benchmark line (and is not kept whole).
const LINE_MAX: usize = 4096;
/// At most this many benchmark lines are kept.
const MAX_LINES: usize = 100_000;

/// Runs `inv` to its end.
pub(super) fn run(inv: &Invocation, capture: Capture) -> std::io::Result<Execution> {
    let mut cmd = Command::new(&inv.program);
    cmd.arg0(&inv.argv[0])
        .args(&inv.argv[1..])
        .current_dir(&inv.cwd)
        .env_remove(ENV_VAR)
        .envs(inv.env.iter().map(|(k, v)| (k, v)))
        .stderr(Stdio::inherit())
        .stdout(match capture {
            Capture::Discard => Stdio::null(),
            _ => Stdio::piped(),
        })
        .stdin(match &inv.stdin {
            Some(path) => File::open(path)
                .map_err(|e| {
                    std::io::Error::new(e.kind(), format!("stdin {}: {e}", path.display()))
                })?
                .into(),
            None => Stdio::null(),
        });
    // No `pre_exec`, so std spawns with posix_spawn, not fork.
    let m0 = Snapshot::take(Scope::Supervisor);
    let started = Instant::now();
    let mut child = cmd.spawn()?;
    let reader = child
        .stdout
        .take()
        .map(|out| std::thread::spawn(move || read(out, capture)));
    let (status, rusage) = wait4(child.id() as libc::pid_t)?;
    let wall = started.elapsed();
    let m1 = Snapshot::take(Scope::Supervisor);
    let delivered = Window::child(&m0, &m1, &rusage);
    let stdout = match reader {
        Some(r) => r.join().unwrap_or_default(),
        None => Captured::default(),
    };
    Ok(Execution {
        wall,
        status,
        rusage,
        stdout,
        delivered,
    })
}

/// Reads stdout to its end: a digest of every byte and, for Go benchmark
/// output, the result lines.
fn read(mut out: impl Read, capture: Capture) -> Captured {
    let mut hasher = std::hash::DefaultHasher::new();
    let mut captured = Captured::default();
    let mut line: Vec<u8> = Vec::new();
    let mut long = false;
    let mut buf = vec![0u8; 64 << 10];
    loop {
        let n = match out.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        hasher.write(&buf[..n]);
        if capture != Capture::Gobench {
            continue;
        }
        for &b in &buf[..n] {
            if b == b'\n' {
                if !long {
                    keep_line(&line, &mut captured);
                }
                line.clear();
                long = false;
            } else if line.len() < LINE_MAX {
                line.push(b);
            } else {
                long = true;
            }
        }
    }
    if capture == Capture::Gobench && !long {
        keep_line(&line, &mut captured);
    }
    captured.digest = hasher.finish();
    captured
}

fn keep_line(line: &[u8], captured: &mut Captured) {
    let Some(parsed) = std::str::from_utf8(line).ok().and_then(gobench::parse_line) else {
        return;
    };
    if captured.lines.len() < MAX_LINES {
        captured.lines.push(parsed);
    } else {
        captured.dropped += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_does_not_depend_on_how_reads_split_the_output() {
        let text = b"BenchmarkA-2 10 5 ns/op\nnoise\nBenchmarkA-2 20 6 ns/op";
        let whole = read(&text[..], Capture::Gobench);
        // A reader that returns a few bytes at a time.
        struct Trickle<'a>(&'a [u8]);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = self.0.len().min(3).min(buf.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let trickled = read(Trickle(text), Capture::Gobench);
        assert_eq!(whole.digest, trickled.digest);
        assert_eq!(whole.lines, trickled.lines);
        assert_eq!(whole.lines.len(), 2, "the last line needs no newline");
        assert_ne!(read(&b"other"[..], Capture::Digest).digest, whole.digest);
        assert!(read(&text[..], Capture::Digest).lines.is_empty());
    }
}
