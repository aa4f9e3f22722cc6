//! Writes the findings table as Parquet: `findings.parquet`, and each scan's part of a history.
//! The columns are findings.csv's, in its order, then — for a history — the scan's own columns
//! and each finding's change since its baseline.
//!
//! Every column is dictionary-encoded, and the dictionaries are built from what the engine
//! already shares: a finding's cells borrow the inventory's and the rules' strings (and the
//! reasons interned per account-region), so equal cells are mostly the same string in memory
//! and a cell is looked up by its address, never hashed by its bytes. A row group of a
//! million-resource organisation then holds a few thousand distinct ARNs and a handful of
//! everything else, written once each, instead of the 3 GB findings.csv spells out. Row groups
//! are encoded and compressed in parallel and written in order, a few at a time, so memory
//! stays bounded by those few.

mod dictionary;

use super::write::{row_cells, FINDING_COLUMNS, RUN_ID_COLUMN};
use super::Finding;
use crate::history::record::FindingChange;
use crate::history::{CHANGE_COLUMNS, SCAN_COLUMNS};
use crate::model::Inventory;
use crate::parquet::{Encoder, Group, Writer};
use crate::rules::RuleSet;
use dictionary::Dictionary;
use rayon::prelude::*;
use std::io::Write;

/// Findings per row group. Large enough for zstd and the readers' statistics to pay off,
/// small enough that the groups encoded at once stay a few megabytes each.
const ROW_GROUP: usize = 65_536;

/// Row groups encoded at once per worker thread, before they are written in order.
const GROUPS_PER_THREAD: usize = 2;

/// The columns a history adds to every row: the scan's own (one value per scan), and the
/// findings' changes since the scan's baseline.
pub struct HistoryColumns<'a> {
    pub scan_id: &'a str,
    pub scan_time: &'a str,
    pub snapshot_collected_at: &'a str,
    pub rules_digest: &'a str,
    /// Aligned with the findings by index; `None` (no baseline, or not computed) writes
    /// `change` and `failing_since` as nulls.
    pub changes: Option<&'a [FindingChange]>,
}

/// Writes `findings` as one Parquet file: findings.csv's columns (values as they are, since
/// no spreadsheet runs a Parquet cell), `run_id`, and with `history` its columns.
pub fn findings_parquet(
    w: &mut dyn Write,
    inv: &Inventory,
    rules: &RuleSet,
    findings: &[Finding],
    run_id: &str,
    history: Option<&HistoryColumns>,
) -> std::io::Result<()> {
    if let Some(c) = history.and_then(|h| h.changes) {
        if c.len() != findings.len() {
            return Err(std::io::Error::other(format!(
                "{} changes for {} findings: they must be aligned",
                c.len(),
                findings.len()
            )));
        }
    }
    let mut writer = Writer::new(w, &column_names(history.is_some()))?;
    let source = Source {
        inv,
        rules,
        findings,
        run_id,
        history,
    };
    let groups: Vec<_> = (0..findings.len())
        .step_by(ROW_GROUP)
        .map(|start| start..(start + ROW_GROUP).min(findings.len()))
        .collect();
    let at_once = GROUPS_PER_THREAD * rayon::current_num_threads().max(1);
    for window in groups.chunks(at_once) {
        let encoder = writer.encoder();
        let encoded: Vec<std::io::Result<Group>> = window
            .par_iter()
            .map(|range| source.encode(range.clone(), encoder))
            .collect();
        for group in encoded {
            writer.write(&group?)?;
        }
    }
    writer.finish()
}

fn column_names(with_history: bool) -> Vec<&'static str> {
    let mut names = FINDING_COLUMNS.to_vec();
    names.push(RUN_ID_COLUMN);
    if with_history {
        names.extend(SCAN_COLUMNS);
        names.extend(CHANGE_COLUMNS);
    }
    names
}

/// What the rows are made of.
struct Source<'a> {
    inv: &'a Inventory,
    rules: &'a RuleSet,
    findings: &'a [Finding],
    run_id: &'a str,
    history: Option<&'a HistoryColumns<'a>>,
}

impl Source<'_> {
    /// One row group, `range` of the findings, each column a dictionary.
    fn encode(&self, range: std::ops::Range<usize>, encoder: &Encoder) -> std::io::Result<Group> {
        let findings = &self.findings[range.clone()];
        let rows = findings.len();
        // Row by row, every column at once: a pass per column would stream the rows from
        // memory seventeen times.
        let mut cells: [Dictionary; FINDING_COLUMNS.len()] =
            std::array::from_fn(|_| Dictionary::with_capacity(rows));
        for f in findings {
            let row = row_cells(&f.row(self.inv, self.rules));
            for (column, cell) in cells.iter_mut().zip(row) {
                column.push(Some(cell));
            }
        }
        let mut columns = Vec::from(cells);
        columns.push(Dictionary::constant(self.run_id, rows));
        if let Some(h) = self.history {
            let values = [
                h.scan_id,
                h.scan_time,
                h.snapshot_collected_at,
                h.rules_digest,
            ];
            columns.extend(values.map(|v| Dictionary::constant(v, rows)));
            match h.changes.map(|c| &c[range]) {
                Some(c) => {
                    columns.push(Dictionary::of(c.iter().map(|c| Some(c.change.as_str()))));
                    columns.push(Dictionary::of(c.iter().map(|c| c.failing_since.as_deref())));
                }
                None => columns.extend([(); 2].map(|()| Dictionary::nulls(rows))),
            }
        }
        let arrays = columns
            .into_iter()
            .map(Dictionary::into_array)
            .collect::<polars_error::PolarsResult<_>>()
            .map_err(std::io::Error::other)?;
        encoder.encode(rows, arrays)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::PAST_FINDING_COLUMNS;

    #[test]
    fn the_history_reads_only_columns_its_parts_have() {
        for c in PAST_FINDING_COLUMNS {
            assert!(
                FINDING_COLUMNS.contains(&c) || CHANGE_COLUMNS.contains(&c),
                "{c}"
            );
        }
    }
}
