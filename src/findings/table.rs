//! The findings table as its writers read it: blocks of rows, each column a dictionary (each
//! distinct cell once, each row a key). A block is built once and read by every writer that
//! wants it — findings.csv renders it, a Parquet file (findings.parquet, a history's part)
//! encodes it — so a scan that writes both resolves, and dictionary-encodes, each finding once.
//!
//! A finding's cells borrow the inventory's and the rules' strings (and the reasons interned
//! per account-region), so equal cells are mostly the same string in memory and a cell is
//! looked up by its address, never hashed by its bytes. A block of a million-resource
//! organisation holds a few thousand distinct ARNs and a handful of everything else.

pub(crate) mod csv;
mod dictionary;

use super::columns::{change_cells, row_cells, FINDING_COLUMNS};
use super::Finding;
use crate::history::record::FindingChange;
use crate::model::Inventory;
use crate::rules::RuleSet;
pub(super) use dictionary::Dictionary;
use std::ops::Range;

/// Findings per block (and per Parquet row group). Large enough for zstd and the readers'
/// statistics to pay off and for cells to repeat within a block, small enough that the few
/// blocks in flight stay a few tens of megabytes.
pub(super) const BLOCK: usize = 65_536;

/// Some consecutive findings as columns.
pub(super) struct Block<'a> {
    pub rows: usize,
    /// findings.csv's columns, in its order.
    pub cells: [Dictionary<'a>; FINDING_COLUMNS.len()],
    /// `change` and `failing_since`, when there is a baseline.
    pub changes: Option<[Dictionary<'a>; 2]>,
}

impl<'a> Block<'a> {
    /// The findings in `range`, and their changes when given (aligned with the findings).
    pub fn build(
        inv: &'a Inventory,
        rules: &'a RuleSet,
        findings: &'a [Finding],
        changes: Option<&'a [FindingChange]>,
        range: Range<usize>,
    ) -> Block<'a> {
        let part = &findings[range.clone()];
        let rows = part.len();
        // Row by row, every column at once: a pass per column would stream the rows from
        // memory seventeen times.
        let mut cells: [Dictionary; FINDING_COLUMNS.len()] =
            std::array::from_fn(|_| Dictionary::with_capacity(rows));
        for f in part {
            let row = row_cells(&f.row(inv, rules));
            for (column, cell) in cells.iter_mut().zip(row) {
                column.push(Some(cell));
            }
        }
        let changes = changes.map(|c| {
            let c = &c[range];
            [
                Dictionary::of(c.iter().map(|c| Some(change_cells(c).0))),
                Dictionary::of(c.iter().map(|c| change_cells(c).1)),
            ]
        });
        Block {
            rows,
            cells,
            changes,
        }
    }
}

/// The ranges of `len` findings that make blocks; none for no findings.
pub(super) fn blocks(len: usize) -> Vec<Range<usize>> {
    (0..len)
        .step_by(BLOCK)
        .map(|start| start..(start + BLOCK).min(len))
        .collect()
}
