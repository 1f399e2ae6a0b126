//! Per-route statistics: one table per chunk (built in parallel), merged in
//! chunk order, written out as a summary sorted by route.

use std::collections::HashMap;
use std::hash::Hash;
use std::io::{self, Write};

use rayon::prelude::*;

use crate::log::Chunk;
use crate::parse::{Request, Strategy};

/// One route's requests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Stats {
    pub requests: u64,
    /// Answered with a 5xx status.
    pub errors: u64,
    /// Logged at WARN level.
    pub warnings: u64,
    pub latency_sum_us: u64,
    pub latency_max_us: u64,
    pub msg_bytes: u64,
    pub last_ts: u64,
}

impl Stats {
    fn add(&mut self, r: &Request) {
        self.merge(&Stats {
            requests: 1,
            errors: u64::from(r.status >= 500),
            warnings: u64::from(r.warning),
            latency_sum_us: r.latency_us,
            latency_max_us: r.latency_us,
            msg_bytes: r.msg_bytes,
            last_ts: r.ts,
        });
    }

    fn merge(&mut self, o: &Stats) {
        self.requests += o.requests;
        self.errors += o.errors;
        self.warnings += o.warnings;
        self.latency_sum_us += o.latency_sum_us;
        self.latency_max_us = self.latency_max_us.max(o.latency_max_us);
        self.msg_bytes += o.msg_bytes;
        self.last_ts = self.last_ts.max(o.last_ts);
    }
}

/// The whole log's figures: what a run returns, and so its output digest.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Totals {
    pub routes: u64,
    /// Every route's statistics merged.
    pub all: Stats,
    pub summary_bytes: u64,
}

/// Every route's statistics over `chunks`, parsed with `S` on the current
/// rayon pool.
///
/// # Panics
///
/// On a line `S` cannot read, naming its number: a log that cannot be
/// read is the run's failure.
pub fn aggregate<S: Strategy>(chunks: &[Chunk]) -> HashMap<S::Key<'_>, Stats> {
    let tables: Vec<_> = chunks.par_iter().map(chunk_table::<S>).collect();
    let mut tables = tables.into_iter();
    let mut all = tables.next().unwrap_or_default();
    for table in tables {
        for (route, stats) in table {
            all.entry(route).or_default().merge(&stats);
        }
    }
    all
}

fn chunk_table<S: Strategy>(chunk: &Chunk) -> HashMap<S::Key<'_>, Stats> {
    let mut table: HashMap<S::Key<'_>, Stats> = HashMap::new();
    for (i, line) in chunk.text.lines().enumerate() {
        let (route, request) =
            S::parse(line).unwrap_or_else(|e| panic!("log line {}: {e}", chunk.first_line + i));
        table.entry(route).or_default().add(&request);
    }
    table
}

/// Writes one line per route, sorted by route, into `out` and flushes it.
pub fn write_summary<K: AsRef<str> + Eq + Hash>(
    table: &HashMap<K, Stats>,
    out: &mut dyn Write,
) -> io::Result<Totals> {
    let mut rows: Vec<(&str, &Stats)> = table.iter().map(|(k, s)| (k.as_ref(), s)).collect();
    // Unstable: the routes are distinct, and the stable sort would allocate.
    rows.sort_unstable_by_key(|(route, _)| *route);
    let mut totals = Totals {
        routes: rows.len() as u64,
        ..Totals::default()
    };
    let mut line = Vec::with_capacity(128);
    for (route, s) in rows {
        line.clear();
        writeln!(
            line,
            "{route} requests={} errors={} warnings={} mean_us={} max_us={} msg_bytes={}",
            s.requests,
            s.errors,
            s.warnings,
            s.latency_sum_us / s.requests,
            s.latency_max_us,
            s.msg_bytes
        )?;
        // One write per route: how much each costs is the buffering knob.
        out.write_all(&line)?;
        totals.all.merge(s);
        totals.summary_bytes += line.len() as u64;
    }
    out.flush()?;
    Ok(totals)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::{generate, Shape};
    use crate::parse::{Borrowed, Dynamic, Owned, Split};

    fn log(lines: usize, corrupt_line: usize) -> Vec<Chunk> {
        generate(Shape {
            lines,
            routes: 40,
            seed: 9,
            corrupt_line,
        })
    }

    fn summary<S: Strategy>(chunks: &[Chunk]) -> (Vec<u8>, Totals) {
        let mut out = Vec::new();
        let totals = write_summary(&aggregate::<S>(chunks), &mut out).unwrap();
        (out, totals)
    }

    #[test]
    fn every_strategy_writes_the_same_summary() {
        let chunks = log(3000, 0);
        let (text, totals) = summary::<Split>(&chunks);
        assert_eq!(summary::<Borrowed>(&chunks), (text.clone(), totals));
        assert_eq!(summary::<Owned>(&chunks), (text.clone(), totals));
        assert_eq!(summary::<Dynamic>(&chunks), (text.clone(), totals));
        assert_eq!(totals.all.requests, 3000);
        assert_eq!(totals.routes, 40);
        assert_eq!(totals.summary_bytes, text.len() as u64);
    }

    #[test]
    fn the_summary_counts_what_the_log_says() {
        let chunks = log(2500, 0);
        let lines = || chunks.iter().flat_map(|c| c.text.lines());
        let count = |needle: &str| lines().filter(|l| l.contains(needle)).count() as u64;
        let (text, totals) = summary::<Split>(&chunks);
        assert_eq!(
            totals.all.errors,
            count(r#""status":500"#) + count(r#""status":503"#)
        );
        assert_eq!(totals.all.warnings, count(r#""level":"WARN""#));
        let text = String::from_utf8(text).unwrap();
        let first = text.lines().next().unwrap();
        let route = first.split(' ').next().unwrap();
        let hits = count(&format!(r#""route":"{route}""#));
        assert!(first.contains(&format!(" requests={hits} ")), "{first}");
        let routes: Vec<&str> = text.lines().map(|l| l.split(' ').next().unwrap()).collect();
        assert!(routes.windows(2).all(|w| w[0] < w[1]), "sorted, distinct");
    }

    #[test]
    fn a_corrupt_line_is_named_in_the_panic() {
        let chunks = log(2000, 1500);
        let caught = std::panic::catch_unwind(|| aggregate::<Borrowed>(&chunks)).unwrap_err();
        let message = caught.downcast_ref::<String>().unwrap();
        assert!(message.starts_with("log line 1500: EOF"), "{message}");
    }
}
