//! Writes the findings table as Parquet (through polars): `findings.parquet`, and each scan's
//! part of a history. The columns are findings.csv's, in its order, then — for a history — the
//! scan's own columns and each finding's change since its baseline.
//!
//! Memory stays bounded at millions of findings: the table is built and written one row group
//! at a time, each column copied once from the findings' borrowed cells into polars' buffers.

use super::write::{row_cells, FINDING_COLUMNS, RUN_ID_COLUMN};
use super::Finding;
use crate::history::record::FindingChange;
use crate::history::{CHANGE_COLUMNS, SCAN_COLUMNS};
use crate::model::Inventory;
use crate::rules::RuleSet;
use polars::prelude::*;
use std::io::Write;

/// Findings per row group. Large enough for zstd and the readers' statistics to pay off,
/// small enough that one group's columns (about 25 MB at this size) bound the memory.
const ROW_GROUP: usize = 65_536;

/// Zstd, polars' default: on 855,640 findings (`synth --resources 100000`) 10.7 MB against
/// snappy's 16.5 MB (35% less to store and to scan from S3) for about 0.7 s more CPU; DuckDB,
/// Athena, Spark and polars all read it.
const COMPRESSION: ParquetCompression = ParquetCompression::Zstd(None);

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
    let mut writer: Option<polars::io::parquet::write::BatchedWriter<&mut dyn Write>> = None;
    let mut w = Some(w);
    let mut cells: Vec<[&str; 17]> = Vec::with_capacity(ROW_GROUP.min(findings.len()));
    // No findings still writes a file with the schema: an empty first group.
    let groups = findings.len().div_ceil(ROW_GROUP).max(1);
    for g in 0..groups {
        let range = (g * ROW_GROUP).min(findings.len())..((g + 1) * ROW_GROUP).min(findings.len());
        cells.clear();
        cells.extend(
            findings[range.clone()]
                .iter()
                .map(|f| row_cells(&f.row(inv, rules))),
        );
        let df = group_frame(&cells, run_id, history, range).map_err(to_io)?;
        let batched = match &mut writer {
            Some(b) => b,
            None => writer.insert(
                ParquetWriter::new(w.take().expect("the writer is taken once"))
                    .with_compression(COMPRESSION)
                    .batched(df.schema())
                    .map_err(to_io)?,
            ),
        };
        batched.write_batch(&df).map_err(to_io)?;
    }
    if let Some(b) = writer {
        b.finish().map_err(to_io)?;
    }
    Ok(())
}

fn to_io(e: PolarsError) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

/// One row group: the cells' columns, `run_id`, and the history's columns for `range` of
/// the findings.
fn group_frame(
    cells: &[[&str; 17]],
    run_id: &str,
    history: Option<&HistoryColumns>,
    range: std::ops::Range<usize>,
) -> PolarsResult<DataFrame> {
    let height = cells.len();
    let constant =
        |name: &str, value: &str| StringChunked::full(name.into(), value, height).into_column();
    let mut columns: Vec<Column> = FINDING_COLUMNS
        .iter()
        .enumerate()
        .map(|(i, name)| {
            StringChunked::from_iter_values((*name).into(), cells.iter().map(|c| c[i]))
                .into_column()
        })
        .collect();
    columns.push(constant(RUN_ID_COLUMN, run_id));
    if let Some(h) = history {
        let values = [
            h.scan_id,
            h.scan_time,
            h.snapshot_collected_at,
            h.rules_digest,
        ];
        columns.extend(SCAN_COLUMNS.iter().zip(values).map(|(n, v)| constant(n, v)));
        let changes = h.changes.map(|c| &c[range]);
        let [change, since] = CHANGE_COLUMNS;
        columns.push(optional(change, height, changes, |c| {
            Some(c.change.as_str())
        }));
        columns.push(optional(since, height, changes, |c| {
            c.failing_since.as_deref()
        }));
    }
    DataFrame::new(height, columns)
}

/// A nullable column from the changes, all null without them.
fn optional(
    name: &str,
    height: usize,
    changes: Option<&[FindingChange]>,
    value: impl Fn(&FindingChange) -> Option<&str>,
) -> Column {
    match changes {
        Some(c) => StringChunked::from_iter_options(name.into(), c.iter().map(value)),
        None => StringChunked::full_null(name.into(), height),
    }
    .into_column()
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
