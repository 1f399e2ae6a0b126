//! The input of the block-design analysis: one value per point and block,
//! with holes.
//!
//! tuner runs a randomized complete block design: round `r` runs one
//! process of every point in a shuffled order (`matrix::schedule`), so a
//! round is a block, and a machine's or a moment's speed is shared by every
//! point in it. A column of the table is one block — one round on one
//! machine (a sharded run splits by rounds, so every round ran on one
//! machine). A cell is one process's value (ns/op, the median of its
//! samples); `None` where the process failed, was not run, or its point had
//! stopped.

use super::super::StatsError;
use serde::{Deserialize, Serialize};

/// Per-process values by point (rows) and block (columns).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct BlockTable {
    /// `values[point][block]`: positive and finite, or `None`.
    pub values: Vec<Vec<Option<f64>>>,
}

impl BlockTable {
    /// A table from rows of equal length; every value must be finite and
    /// positive (they are analysed on the log scale).
    pub(crate) fn new(values: Vec<Vec<Option<f64>>>) -> Result<BlockTable, StatsError> {
        let blocks = values.first().map_or(0, Vec::len);
        for (p, row) in values.iter().enumerate() {
            if row.len() != blocks {
                return Err(StatsError::InvalidSetting {
                    name: format!("blocks of point {p}"),
                    value: row.len() as f64,
                    expected: format!("{blocks}, as every other point"),
                });
            }
            for (b, v) in row.iter().enumerate() {
                if let Some(v) = *v {
                    let index = p * blocks + b;
                    if !v.is_finite() {
                        return Err(StatsError::NonFinite { index, value: v });
                    }
                    if v <= 0.0 {
                        return Err(StatsError::NonPositive { index, value: v });
                    }
                }
            }
        }
        Ok(BlockTable { values })
    }

    /// A complete table: every point has a value in every block.
    pub(crate) fn complete(values: &[Vec<f64>]) -> Result<BlockTable, StatsError> {
        BlockTable::new(
            values
                .iter()
                .map(|row| row.iter().map(|&v| Some(v)).collect())
                .collect(),
        )
    }

    pub(crate) fn points(&self) -> usize {
        self.values.len()
    }

    pub(crate) fn blocks(&self) -> usize {
        self.values.first().map_or(0, Vec::len)
    }

    /// Values present for `point`.
    pub(crate) fn count(&self, point: usize) -> usize {
        self.values[point].iter().flatten().count()
    }

    /// The table on the log scale.
    pub(crate) fn logs(&self) -> Vec<Vec<Option<f64>>> {
        self.values
            .iter()
            .map(|row| row.iter().map(|v| v.map(f64::ln)).collect())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ragged_non_finite_and_non_positive_tables_are_refused() {
        assert!(BlockTable::new(vec![vec![Some(1.0)], vec![]]).is_err());
        let e = BlockTable::new(vec![vec![Some(1.0), Some(f64::NAN)]]).unwrap_err();
        assert!(matches!(e, StatsError::NonFinite { index: 1, .. }), "{e:?}");
        let e = BlockTable::new(vec![vec![Some(1.0)], vec![Some(0.0)]]).unwrap_err();
        assert!(
            matches!(e, StatsError::NonPositive { index: 1, .. }),
            "{e:?}"
        );
        let t = BlockTable::new(vec![vec![Some(2.0), None], vec![None, None]]).unwrap();
        assert_eq!(
            (t.points(), t.blocks(), t.count(0), t.count(1)),
            (2, 2, 1, 0)
        );
    }
}
