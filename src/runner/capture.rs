//! What the runner keeps of a worker's output, in bounded memory whatever
//! the worker writes: the head of stdout (the protocol: one JSON result)
//! with a count of everything else, and of stderr the lines that say why
//! a process failed — the panic line and its message, "memory allocation
//! of N bytes failed", the worker's own error — wherever they are, plus
//! the last lines. The rest is read and dropped, so a child flooding
//! gigabytes never blocks on a full pipe nor grows the runner.

use std::io::{ErrorKind, Read};

/// The most stdout kept: far more than any result.
pub(crate) const STDOUT_HEAD: usize = 1 << 20;
/// A line longer than this is cut.
const LINE_MAX: usize = 512;
/// Tail of stderr kept: at most this many lines and bytes.
const TAIL_LINES: usize = 20;
const TAIL_BYTES: usize = 8 << 10;
/// At most this many notable lines, and message lines after a panic line.
const NOTABLE_LINES: usize = 16;
const PANIC_MESSAGE_LINES: usize = 8;

/// The first bytes of a stream and how many it had in all.
#[derive(Debug, Default)]
pub(crate) struct Head {
    pub bytes: Vec<u8>,
    pub total: u64,
}

impl Head {
    /// Reads `r` to its end, keeping the first `cap` bytes.
    pub(super) fn read(r: impl Read, cap: usize) -> Head {
        let mut head = Head::default();
        drain(r, |chunk| {
            let room = cap.saturating_sub(head.bytes.len());
            head.bytes
                .extend_from_slice(&chunk[..room.min(chunk.len())]);
            head.total += chunk.len() as u64;
        });
        head
    }

    /// Whether bytes beyond the head were dropped.
    pub(super) fn overflowed(&self) -> bool {
        self.total > self.bytes.len() as u64
    }
}

/// What is kept of stderr: see the module docs.
#[derive(Debug, Default)]
pub(crate) struct StderrLog {
    notable: Vec<String>,
    /// The last `TAIL_BYTES` bytes of the stream, raw; split into `tail`
    /// at the end (splitting every line of a flood costs too much).
    ring: Vec<u8>,
    tail: Vec<String>,
    /// The start of the current line (at most `LINE_MAX` bytes of it).
    partial: Vec<u8>,
    cut: bool,
    /// Message lines still to take after a panic line.
    panic_lines_left: usize,
    panic_message: Vec<String>,
    seen_panic: bool,
    pub total: u64,
}

impl StderrLog {
    /// Reads `r` to its end.
    pub(super) fn read(r: impl Read) -> StderrLog {
        let mut log = StderrLog::default();
        drain(r, |chunk| log.push(chunk));
        log.finish();
        log
    }

    fn push(&mut self, chunk: &[u8]) {
        self.total += chunk.len() as u64;
        let keep = &chunk[chunk.len().saturating_sub(TAIL_BYTES)..];
        self.ring.extend_from_slice(keep);
        let excess = self.ring.len().saturating_sub(TAIL_BYTES);
        self.ring.drain(..excess);
        let mut rest = chunk;
        while !rest.is_empty() {
            let (text, ends) = match memchr::memchr(b'\n', rest) {
                Some(i) => (&rest[..i], true),
                None => (rest, false),
            };
            rest = &rest[(text.len() + 1).min(rest.len())..];
            let room = LINE_MAX.saturating_sub(self.partial.len());
            self.partial
                .extend_from_slice(&text[..room.min(text.len())]);
            self.cut |= text.len() > room;
            if ends {
                self.end_line();
            }
        }
    }

    fn finish(&mut self) {
        if !self.partial.is_empty() {
            self.end_line();
        }
        let ring = std::mem::take(&mut self.ring);
        let mut lines: Vec<&[u8]> = ring.split(|&b| b == b'\n').collect();
        if self.total > ring.len() as u64 && lines.len() > 1 {
            lines.remove(0); // it began before the ring did
        }
        if lines.last().is_some_and(|l| l.is_empty()) {
            lines.pop();
        }
        let from = lines.len().saturating_sub(TAIL_LINES);
        self.tail = lines[from..].iter().map(|l| cut_line(l)).collect();
    }

    fn end_line(&mut self) {
        let partial = std::mem::take(&mut self.partial);
        let mut line = String::from_utf8_lossy(&partial);
        if std::mem::take(&mut self.cut) {
            line.to_mut().push('…');
        }
        self.note(&line);
        self.partial = partial;
        self.partial.clear();
    }

    /// Keeps `line` if it says why the process failed.
    fn note(&mut self, line: &str) {
        if self.panic_lines_left > 0 {
            if line.starts_with("stack backtrace:") || line.starts_with("note: ") {
                self.panic_lines_left = 0;
            } else {
                self.panic_lines_left -= 1;
                self.panic_message.push(line.to_string());
                self.keep(line);
                return;
            }
        }
        if !self.seen_panic && line.starts_with("thread '") && line.contains(" panicked at ") {
            self.seen_panic = true;
            self.panic_lines_left = PANIC_MESSAGE_LINES;
            self.keep(line);
        } else if line.starts_with("memory allocation of ") || line.starts_with(WORKER_ERROR) {
            self.keep(line);
        }
    }

    fn keep(&mut self, line: &str) {
        if self.notable.len() < NOTABLE_LINES {
            self.notable.push(line.to_string());
        }
    }

    /// The first panic's message (the lines after `panicked at …:`).
    pub(super) fn panic_message(&self) -> Option<String> {
        self.seen_panic.then(|| self.panic_message.join("\n"))
    }

    /// The first notable line that starts with `prefix`.
    pub(super) fn notable(&self, prefix: &str) -> Option<&str> {
        self.notable
            .iter()
            .map(String::as_str)
            .find(|l| l.starts_with(prefix))
    }

    /// The last line with any text.
    pub(super) fn last_line(&self) -> Option<&str> {
        self.tail
            .iter()
            .rev()
            .map(String::as_str)
            .find(|l| !l.trim().is_empty())
    }

    /// The notable lines, then the tail (without the lines it repeats).
    pub(super) fn excerpt(&self) -> String {
        let tail: Vec<&str> = self.tail.iter().map(String::as_str).collect();

        let repeated = self.notable.iter().all(|n| tail.contains(&n.as_str()));
        if self.notable.is_empty() || repeated {
            return tail.join("\n");
        }
        let mut lines: Vec<&str> = self.notable.iter().map(String::as_str).collect();
        lines.push("…");
        lines.extend(tail);
        lines.join("\n")
    }
}

/// `bytes` as text, cut to `LINE_MAX` bytes.
fn cut_line(bytes: &[u8]) -> String {
    let mut line = String::from_utf8_lossy(&bytes[..bytes.len().min(LINE_MAX)]).into_owned();
    if bytes.len() > LINE_MAX {
        line.push('…');
    }
    line
}

/// How the worker prefixes its own errors on stderr.
pub(crate) const WORKER_ERROR: &str = "tuner worker: error: ";

/// Reads `r` to its end in chunks, handing each to `take`.
fn drain(mut r: impl Read, mut take: impl FnMut(&[u8])) {
    let mut buf = vec![0u8; 64 << 10];
    loop {
        match r.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => take(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_keeps_a_bounded_head_and_counts_the_rest() {
        let flood = std::io::repeat(b'x').take(300 << 20);
        let head = Head::read(flood, STDOUT_HEAD);
        assert_eq!(head.bytes.len(), STDOUT_HEAD);
        assert_eq!(head.total, 300 << 20);
        assert!(head.overflowed());
        let small = Head::read(&b"{\"a\":1}\n"[..], STDOUT_HEAD);
        assert_eq!(small.bytes, b"{\"a\":1}\n");
        assert!(!small.overflowed());
    }

    #[test]
    fn a_stderr_flood_keeps_the_panic_message_and_a_bounded_tail() {
        // 200 MiB of noise in one endless line and in many lines, then a panic.
        let noise = std::io::repeat(b'n').take(100 << 20);
        let lines = std::io::repeat(b'l')
            .take(1 << 20)
            .chain(&b"\n"[..])
            .chain(std::io::repeat(b'.').take(100 << 20));
        let panic = &b"\nthread 'rayon-0' (4115) panicked at src/x.rs:3:5:\nboom at 7\nnote: run with `RUST_BACKTRACE=1`\n"[..];
        let log = StderrLog::read(noise.chain(lines).chain(panic));
        assert_eq!(log.panic_message().as_deref(), Some("boom at 7"));
        assert!(log.tail.len() <= TAIL_LINES);
        assert!(log.excerpt().len() < TAIL_BYTES + 1024);
        assert_eq!(log.last_line(), Some("note: run with `RUST_BACKTRACE=1`"));
    }

    #[test]
    fn with_a_backtrace_the_message_survives_the_frames() {
        let mut text = String::from(
            "thread 'main' panicked at experiments/src/x.rs:3:5:\nboom\nsecond line\nstack backtrace:\n",
        );
        for i in 0..200 {
            text.push_str(&format!(
                "  {i}: core::frame::{i}\n      at src/lib.rs:{i}\n"
            ));
        }
        let log = StderrLog::read(text.as_bytes());
        assert_eq!(log.panic_message().as_deref(), Some("boom\nsecond line"));
        let excerpt = log.excerpt();
        assert!(
            excerpt.starts_with(
                "thread 'main' panicked at experiments/src/x.rs:3:5:\nboom\nsecond line\n…\n"
            ),
            "{excerpt}"
        );
        assert!(excerpt.ends_with("at src/lib.rs:199"), "{excerpt}");
        assert_eq!(excerpt.lines().count(), 3 + 1 + TAIL_LINES);
    }

    #[test]
    fn the_allocation_failure_and_worker_errors_are_notable() {
        let text = "mimalloc: error: unable to allocate OS memory\nmemory allocation of 67108864 bytes failed\n";
        let log = StderrLog::read(text.as_bytes());
        assert_eq!(
            log.notable("memory allocation of"),
            Some("memory allocation of 67108864 bytes failed")
        );
        assert_eq!(log.panic_message(), None);
        let text = format!("{WORKER_ERROR}parsing the run spec\n");
        let log = StderrLog::read(text.as_bytes());
        assert_eq!(
            log.notable(WORKER_ERROR),
            Some("tuner worker: error: parsing the run spec")
        );
        // Short output: the excerpt is just the output, nothing repeated.
        assert_eq!(log.excerpt(), "tuner worker: error: parsing the run spec");
    }
}
