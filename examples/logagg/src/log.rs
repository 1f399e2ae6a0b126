//! The input: a JSON-lines access log generated from a seed, one request
//! per line, cut into chunks of whole lines for the thread pool.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Lines per chunk: the unit of parallel work. Fixed, so the tables built
/// (and so the exact allocation counts) do not depend on the thread count.
pub const CHUNK_LINES: usize = 1024;

const RESOURCES: [&str; 10] = [
    "users", "orders", "carts", "items", "search", "reviews", "payments", "stock", "images",
    "sessions",
];

/// What the log holds: `lines` requests over `routes` distinct routes.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub lines: usize,
    pub routes: usize,
    pub seed: u64,
    /// This line (1-based) is cut short, as a crashed writer would leave
    /// it; 0 for none.
    pub corrupt_line: usize,
}

/// Whole lines of the log, `first_line` being the 1-based number of the
/// chunk's first line.
#[derive(Clone, Debug)]
pub struct Chunk {
    pub first_line: usize,
    pub text: String,
}

/// The log, generated afresh for `shape`, in chunks of [`CHUNK_LINES`].
pub fn generate(shape: Shape) -> Vec<Chunk> {
    let mut rng = ChaCha8Rng::seed_from_u64(shape.seed);
    let mut chunks = Vec::new();
    let mut ts = 1_700_000_000_000u64;
    for first in (0..shape.lines).step_by(CHUNK_LINES) {
        let mut text = String::new();
        for n in first + 1..=(first + CHUNK_LINES).min(shape.lines) {
            ts += rng.gen_range(1..50);
            let line = record(&mut rng, ts, shape.routes);
            if n == shape.corrupt_line {
                text.push_str(&line[..line.len() / 2]);
            } else {
                text.push_str(&line);
            }
            text.push('\n');
        }
        chunks.push(Chunk {
            first_line: first + 1,
            text,
        });
    }
    chunks
}

/// One request as a JSON object, fields in the order a logger writes them.
fn record(rng: &mut ChaCha8Rng, ts: u64, routes: usize) -> String {
    let r = rng.gen_range(0..routes);
    let route = format!(
        "/api/{}/{}",
        RESOURCES[r % RESOURCES.len()],
        r / RESOURCES.len()
    );
    let (status, level) = match rng.gen_range(0..100) {
        0..=89 => (200, "INFO"),
        90..=94 => (404, "WARN"),
        95..=97 => (500, "ERROR"),
        _ => (503, "ERROR"),
    };
    // Mostly fast, with a slow tail, as real latencies are.
    let latency_us: u64 = if rng.gen_ratio(1, 20) {
        rng.gen_range(20_000..400_000)
    } else {
        rng.gen_range(200..5_000)
    };
    let msg = match status {
        200 => "request served",
        404 => "no such resource",
        _ => "upstream failed: connection reset by peer",
    };
    format!(
        r#"{{"ts":{ts},"level":"{level}","route":"{route}","status":{status},"latency_us":{latency_us},"msg":"{msg}"}}"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(lines: usize, corrupt_line: usize) -> Shape {
        Shape {
            lines,
            routes: 30,
            seed: 3,
            corrupt_line,
        }
    }

    #[test]
    fn chunks_hold_every_line_once_in_order() {
        let chunks = generate(shape(2 * CHUNK_LINES + 5, 0));
        let sizes: Vec<usize> = chunks.iter().map(|c| c.text.lines().count()).collect();
        assert_eq!(sizes, [CHUNK_LINES, CHUNK_LINES, 5]);
        let firsts: Vec<usize> = chunks.iter().map(|c| c.first_line).collect();
        assert_eq!(firsts, [1, CHUNK_LINES + 1, 2 * CHUNK_LINES + 1]);
    }

    #[test]
    fn the_same_seed_gives_the_same_log() {
        assert_eq!(
            generate(shape(50, 0))[0].text,
            generate(shape(50, 0))[0].text
        );
        let line = generate(shape(1, 0))[0].text.clone();
        assert!(
            line.starts_with(r#"{"ts":"#) && line.ends_with("}\n"),
            "{line}"
        );
    }

    #[test]
    fn only_the_corrupt_line_is_cut() {
        let good = generate(shape(10, 0)).remove(0).text;
        let bad = generate(shape(10, 4)).remove(0).text;
        let differ: Vec<usize> = good
            .lines()
            .zip(bad.lines())
            .enumerate()
            .filter(|(_, (g, b))| g != b)
            .map(|(i, _)| i + 1)
            .collect();
        assert_eq!(differ, [4]);
    }
}
