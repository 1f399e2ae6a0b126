//! The one table renderer every output uses — report, compare, ab,
//! history, export summaries: cells in, aligned text columns or a
//! markdown table out. Cells arrive formatted (and, for markdown, escaped
//! by the caller where they hold config or results strings).

use std::fmt::Write as _;

/// One rendered table: a header row and body rows of cells.
pub(crate) struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub(crate) fn new(header: &[&str]) -> Table {
        Table {
            header: header.iter().map(ToString::to_string).collect(),
            rows: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, row: Vec<String>) {
        self.rows.push(row);
    }

    /// Columns padded to their widest cell, two spaces apart.
    pub(crate) fn text(&self, out: &mut String) {
        let width = |i: usize| {
            std::iter::once(&self.header)
                .chain(&self.rows)
                .map(|r| r.get(i).map_or(0, |c| c.chars().count()))
                .max()
                .unwrap_or(0)
        };
        let widths: Vec<usize> = (0..self.header.len()).map(width).collect();
        for row in std::iter::once(&self.header).chain(&self.rows) {
            let cells: Vec<String> = row
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
                .collect();
            let _ = writeln!(out, "{}", cells.join("  ").trim_end());
        }
    }

    /// A markdown table; `right` marks right-aligned (numeric) columns.
    pub(crate) fn markdown(&self, right: &[bool], out: &mut String) {
        let _ = writeln!(out, "{}", row(&self.header));
        let rule: Vec<&str> = right
            .iter()
            .map(|r| if *r { "--:" } else { "---" })
            .collect();
        let _ = writeln!(out, "|{}|", rule.join("|"));
        for r in &self.rows {
            let _ = writeln!(out, "{}", row(r));
        }
    }
}

/// `| a | b |`; an empty cell is one space wide (`| | b |`).
fn row(cells: &[String]) -> String {
    let mut out = String::from("|");
    for c in cells {
        if c.is_empty() {
            out.push_str(" |");
        } else {
            let _ = write!(out, " {c} |");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_rows_align_their_rule_and_keep_empty_cells_narrow() {
        let mut t = Table::new(&["", "value"]);
        t.push(vec!["CPU".into(), "AMD".into()]);
        let mut out = String::new();
        t.markdown(&[false, true], &mut out);
        assert_eq!(out, "| | value |\n|---|--:|\n| CPU | AMD |\n");
        let mut text = String::new();
        t.text(&mut text);
        assert_eq!(text, "     value\nCPU  AMD\n");
    }
}
