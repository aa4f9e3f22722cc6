//! Writes the findings table as Parquet: `findings.parquet`, and each scan's part of a history.
//! The columns are findings.csv's, in its order, then `run_id`, then — for a history — the
//! scan's own columns and each finding's change since its baseline.
//!
//! Every column is dictionary-encoded from the table's blocks (`super::table`), one row group
//! per block. Row groups are encoded and compressed in parallel and written in order, a few
//! at a time, so memory stays bounded by those few. findings.csv can be written from the same
//! blocks in the same pass (`write::findings_csv` with a part).

use super::columns::{FINDING_COLUMNS, RUN_ID_COLUMN};
use super::ordered::ordered;
use super::table::{blocks, Block, Dictionary};
use super::Finding;
use crate::history::record::FindingChange;
use crate::history::{CHANGE_COLUMNS, SCAN_COLUMNS};
use crate::model::Inventory;
use crate::parquet::{Codec, Encoder, Group, Writer};
use crate::rules::RuleSet;
use std::io::Write;

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

impl HistoryColumns<'_> {
    /// The changes, checked to be one per finding.
    pub(super) fn changes_of(&self, findings: usize) -> std::io::Result<Option<&[FindingChange]>> {
        match self.changes {
            Some(c) if c.len() != findings => Err(std::io::Error::other(format!(
                "{} changes for {findings} findings: they must be aligned",
                c.len()
            ))),
            c => Ok(c),
        }
    }
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
    let changes = match history {
        Some(h) => h.changes_of(findings.len())?,
        None => None,
    };
    let (mut writer, columns) = RowGroups::start(w, run_id, history)?;
    let ranges = blocks(findings.len());
    ordered(
        ranges.len(),
        |t| {
            let block = Block::build(inv, rules, findings, changes, ranges[t].clone());
            columns.encode(block)
        },
        |group| writer.write(&group),
    )?;
    writer.finish()
}

/// Encodes blocks as row groups of one file: what a row has beyond the block's cells.
pub(super) struct RowGroups<'a> {
    encoder: Encoder,
    run_id: &'a str,
    history: Option<&'a HistoryColumns<'a>>,
}

impl<'a> RowGroups<'a> {
    /// Writes the file's header to `w`; the writer takes the groups in order.
    pub fn start<W: Write>(
        w: W,
        run_id: &'a str,
        history: Option<&'a HistoryColumns<'a>>,
    ) -> std::io::Result<(Writer<W>, Self)> {
        // A history's part is written by every scheduled scan and read by the next.
        let codec = match history {
            Some(_) => Codec::Snappy,
            None => Codec::Zstd,
        };
        let writer = Writer::new(w, &column_names(history.is_some()), codec)?;
        let encoder = writer.encoder().clone();
        Ok((
            writer,
            RowGroups {
                encoder,
                run_id,
                history,
            },
        ))
    }

    /// One row group. A history's changes are the block's (nulls when it has none).
    pub fn encode(&self, block: Block) -> std::io::Result<Group> {
        let rows = block.rows;
        let mut columns = Vec::from(block.cells);
        columns.push(Dictionary::constant(self.run_id, rows));
        if let Some(h) = self.history {
            let values = [
                h.scan_id,
                h.scan_time,
                h.snapshot_collected_at,
                h.rules_digest,
            ];
            columns.extend(values.map(|v| Dictionary::constant(v, rows)));
            match block.changes {
                Some(c) => columns.extend(c),
                None => columns.extend([(); 2].map(|()| Dictionary::nulls(rows))),
            }
        }
        let arrays = columns
            .into_iter()
            .map(Dictionary::into_array)
            .collect::<polars_error::PolarsResult<_>>()
            .map_err(std::io::Error::other)?;
        self.encoder.encode(rows, arrays)
    }
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
