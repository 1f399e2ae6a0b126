//! CSV export (RFC 4180): a header, then one row per worker process with
//! its point's coordinates as columns, for spreadsheets and data frames.

use super::rows::{rows, ProcessRow};
use crate::results::Results;

/// The fixed columns after the axes.
const COLUMNS: [&str; 13] = [
    "process",
    "seq",
    "status",
    "samples",
    "ops",
    "ns_per_op",
    "allocs_per_op",
    "bytes_per_op",
    "peak_live_bytes",
    "cpu_ns_per_op",
    "peak_rss_bytes",
    "wall_ms",
    "reason",
];

/// Every process of `results` as CSV.
pub(crate) fn csv(results: &Results) -> String {
    let axes: Vec<&str> = results.plan.axes.iter().map(|a| a.name()).collect();
    let mut header = vec!["run_id", "point"];
    header.extend(&axes);
    header.extend(COLUMNS);
    let mut out = line(header.iter().map(|h| h.to_string()));
    for row in rows(results) {
        out.push_str(&line(cells(&row, &axes)));
    }
    out
}

fn cells(row: &ProcessRow, axes: &[&str]) -> Vec<String> {
    let num = |x: Option<f64>| x.map_or(String::new(), |v| v.to_string());
    let mut c = vec![row.run_id.clone(), row.point.clone()];
    c.extend(axes.iter().map(|a| {
        row.coords
            .iter()
            .find(|(k, _)| k == a)
            .map_or(String::new(), |(_, v)| v.clone())
    }));
    c.extend([
        row.process.to_string(),
        row.seq.to_string(),
        row.status.to_string(),
        row.samples.to_string(),
        row.ops.to_string(),
        num(row.ns_per_op),
        num(row.allocs_per_op),
        num(row.bytes_per_op),
        row.peak_live_bytes.map_or(String::new(), |v| v.to_string()),
        num(row.cpu_ns_per_op),
        num(row.peak_rss_bytes),
        row.wall_ms.to_string(),
        row.reason.clone().unwrap_or_default(),
    ]);
    c
}

fn line(cells: impl IntoIterator<Item = String>) -> String {
    let quoted: Vec<String> = cells.into_iter().map(|c| quote(&c)).collect();
    format!("{}\r\n", quoted.join(","))
}

/// Quotes a field that holds a comma, a quote or a line break, doubling quotes.
fn quote(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_with_separators_are_quoted() {
        assert_eq!(quote("plain"), "plain");
        assert_eq!(quote("a,b"), "\"a,b\"");
        assert_eq!(
            quote("panicked: \"x\"\nline"),
            "\"panicked: \"\"x\"\"\nline\""
        );
        assert_eq!(line(["a".into(), "b,c".into()]), "a,\"b,c\"\r\n");
    }
}
