//! Writes `findings.csv` (from the table's blocks, with a history's part in the same pass
//! when asked) and `summary.csv` (through polars). Where the files land, atomically, is
//! `dest::staged`'s business.

use super::columns::{neutralise, RUN_ID_COLUMN};
pub(crate) use super::ordered::Pool;
use super::ordered::{ordered, write_ordered_with};
use super::parquet::{HistoryColumns, RowGroups};
use super::summary::Summary;
use super::table::{blocks, csv, Block};
use super::Finding;
use crate::history::record::FindingChange;
use crate::model::Inventory;
use crate::parquet::Group;
use crate::rules::RuleSet;
use polars_core::prelude::*;
use polars_io::prelude::{CsvWriter, SerWriter};
use std::io::Write;

fn run_id_column(run_id: &str, height: usize) -> Column {
    StringChunked::full(RUN_ID_COLUMN.into(), run_id, height).into_column()
}

/// `findings.csv`; with `changes` (one per finding: there is a baseline), the columns
/// `change` and `failing_since` come before `run_id`. With `part`, a history's part is written
/// from the same blocks in the same pass (its changes must be these `changes`), by a thread of
/// its own: the thread writing findings.csv is the pass's bottleneck, and gives none of its
/// time to the part's bytes.
pub fn findings_csv(
    w: &mut dyn Write,
    inv: &Inventory,
    rules: &RuleSet,
    findings: &[Finding],
    changes: Option<&[FindingChange]>,
    run_id: &str,
    part: Option<(&mut (dyn Write + Send), &HistoryColumns)>,
) -> std::io::Result<()> {
    if let Some((_, h)) = &part {
        let theirs = h.changes_of(findings.len())?;
        if theirs.map(<[_]>::as_ptr) != changes.map(<[_]>::as_ptr) {
            return Err(std::io::Error::other(
                "findings.csv and the history's part must show the same changes",
            ));
        }
    }
    let (part, groups) = match part {
        Some((pw, h)) => {
            let (writer, groups) = RowGroups::start(pw, run_id, Some(h))?;
            (Some(writer), Some(groups))
        }
        None => (None, None),
    };
    let ranges = blocks(findings.len());
    let spare = Pool::default();
    findings_csv_header(w, changes.is_some())?;
    std::thread::scope(|s| {
        let (to_part, groups_in) = std::sync::mpsc::sync_channel::<Group>(2);
        let part = part.map(|mut p| {
            s.spawn(move || {
                for g in groups_in {
                    p.write(&g)?;
                }
                p.finish()
            })
        });
        let csv = ordered(
            ranges.len(),
            |t| {
                let block = Block::build(inv, rules, findings, changes, ranges[t].clone());
                let mut text = spare.take();
                csv::rows(&mut text, &block, run_id);
                let group = groups.as_ref().map(|g| g.encode(block)).transpose()?;
                Ok((text, group))
            },
            |(text, group)| {
                w.write_all(&text)?;
                spare.give(text);
                match group {
                    // A part writer that stopped says why when it is joined.
                    Some(g) => to_part.send(g).or(Ok(())),
                    None => Ok(()),
                }
            },
        );
        drop(to_part);
        let part = part.map_or(Ok(()), |h| {
            h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))
        });
        csv.and(part)
    })
}

/// findings.csv's header line (with `change` and `failing_since` when there is a baseline).
pub(crate) fn findings_csv_header(w: &mut dyn Write, changes: bool) -> std::io::Result<()> {
    let mut head = Vec::new();
    csv::header(&mut head, changes);
    w.write_all(&head)
}

/// findings.csv's rows of `findings`, without header, changes or a history's part: a scan
/// that writes the findings batch by batch writes each batch's so, after the header, with
/// one `spare` for all its batches' text.
pub(crate) fn findings_csv_rows(
    spare: &Pool<u8>,
    w: &mut dyn Write,
    (inv, rules): (&Inventory, &RuleSet),
    findings: &[Finding],
    run_id: &str,
) -> std::io::Result<()> {
    let ranges = blocks(findings.len());
    write_ordered_with(spare, w, ranges.len(), |t, text| {
        let block = Block::build(inv, rules, findings, None, ranges[t].clone());
        csv::rows(text, &block, run_id);
        Ok(())
    })
}

pub fn summary_csv(w: &mut dyn Write, summary: &Summary, run_id: &str) -> std::io::Result<()> {
    summary_csv_rows(w, &summary.counts, run_id, true)
}

/// Rows of summary.csv, after its header if `header`: a streamed scan writes them a batch of
/// account-regions at a time.
pub fn summary_csv_rows(
    w: &mut dyn Write,
    c: &[super::summary::CountRow],
    run_id: &str,
    header: bool,
) -> std::io::Result<()> {
    // Cells borrowed from the rows (a copy only for a cell neutralised against formulas).
    let text = |name: &str, f: fn(&super::summary::CountRow) -> &str| -> Column {
        let cells = c.iter().map(|r| neutralise(f(r)));
        StringChunked::from_iter_values(name.into(), cells).into_column()
    };
    let columns = vec![
        text("account_id", |r| &r.account_id),
        text("account_name", |r| &r.account_name),
        text("region", |r| &r.region),
        text("resource_type", |r| r.resource_type),
        text("rule_id", |r| &r.rule_id),
        text("status", |r| r.status),
        Column::new(
            "count".into(),
            c.iter().map(|r| r.count as u64).collect::<Vec<u64>>(),
        ),
        run_id_column(run_id, c.len()),
    ];
    write_frame(w, c.len(), columns, header)
}

pub(crate) fn write_frame(
    w: &mut dyn Write,
    height: usize,
    columns: Vec<Column>,
    header: bool,
) -> std::io::Result<()> {
    let to_io = |e: PolarsError| std::io::Error::other(e.to_string());
    let mut df = DataFrame::new(height, columns).map_err(to_io)?;
    // Findings are rendered one chunk per rayon task already: one thread per frame.
    CsvWriter::new(w)
        .include_header(header)
        .n_threads(1)
        .finish(&mut df)
        .map_err(to_io)
}
