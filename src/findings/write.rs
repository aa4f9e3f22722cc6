//! Writes `findings.csv` and `summary.csv` (through polars), and renders large outputs in
//! parallel chunks written in order (`write_ordered`, which findings.json uses too). Where the
//! files land, atomically, is `dest::staged`'s business.

use super::summary::Summary;
use super::{Finding, Row};
use crate::history::record::FindingChange;
use crate::model::Inventory;
use crate::rules::RuleSet;
use polars_core::prelude::*;
use polars_io::prelude::{CsvWriter, SerWriter};
use rayon::prelude::*;
use std::borrow::Cow;
use std::io::Write;

/// Spreadsheet applications run cells that start with these as formulas (CSV injection).
pub(crate) fn neutralise(s: &str) -> Cow<'_, str> {
    match s.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => Cow::Owned(format!("'{s}")),
        _ => Cow::Borrowed(s),
    }
}

pub const FINDING_COLUMNS: [&str; 17] = [
    "rule_id",
    "check",
    "severity",
    "status",
    "account_id",
    "account_name",
    "region",
    "resource_type",
    "resource_arn",
    "resource_name",
    "reason",
    "plan",
    "selection",
    "backup_rule",
    "vault",
    "recovery_point",
    "through",
];

pub(super) fn row_cells<'a>(r: &Row<'a>) -> [&'a str; 17] {
    [
        r.rule_id,
        r.check,
        r.severity,
        r.status,
        r.account_id,
        r.account_name,
        r.region,
        r.resource_type,
        r.resource_arn,
        r.resource_name,
        r.reason,
        r.plan,
        r.selection,
        r.backup_rule,
        r.vault,
        r.recovery_point,
        r.through,
    ]
}

/// Columns of each finding's change since the baseline, written only when there is one
/// (before `run_id` in findings.csv, last in findings.json's rows).
pub const CHANGE_COLUMNS: [&str; 2] = ["change", "failing_since"];

/// A finding's change and the start of its failing streak (none when it is not failing).
pub(super) fn change_cells(c: &FindingChange) -> (&'static str, Option<&str>) {
    (c.change.as_str(), c.failing_since.as_deref())
}

/// Findings per formatting task. Tasks run in parallel while the calling thread writes the
/// finished ones in order, so a few of them bound the memory used for millions of findings.
const CHUNK: usize = 8_192;

/// Renders `tasks` pieces of a file in parallel (rayon) and writes them to `w` in order, on
/// the calling thread, while the next pieces are rendered. Piece buffers are recycled: freeing
/// and allocating megabytes per piece would hand pages back to the kernel and fault them in
/// again.
pub(crate) fn write_ordered(
    w: &mut dyn Write,
    tasks: usize,
    render: impl Fn(usize, &mut Vec<u8>) -> std::io::Result<()> + Sync,
) -> std::io::Result<()> {
    let window = 2 * rayon::current_num_threads().max(1);
    let (tx, rx) = std::sync::mpsc::sync_channel::<std::io::Result<Vec<u8>>>(window);
    let spare = Pool::default();
    let (render, spare) = (&render, &spare);
    std::thread::scope(|s| {
        s.spawn(move || {
            for start in (0..tasks).step_by(window) {
                let end = (start + window).min(tasks);
                let pieces: Vec<_> = (start..end)
                    .into_par_iter()
                    .map(|t| {
                        let mut buf = spare.take();
                        render(t, &mut buf).map(|()| buf)
                    })
                    .collect();
                for p in pieces {
                    if tx.send(p).is_err() {
                        return; // the writer gave up
                    }
                }
            }
        });
        let mut written = || -> std::io::Result<()> {
            for _ in 0..tasks {
                let piece = rx
                    .recv()
                    .map_err(|_| std::io::Error::other("output renderer stopped"))??;
                w.write_all(&piece)?;
                spare.give(piece);
            }
            Ok(())
        };
        let result = written();
        drop(rx); // unblocks the renderer if writing failed
        result
    })
}

/// Cleared vectors for reuse.
pub(crate) struct Pool<T>(std::sync::Mutex<Vec<Vec<T>>>);

impl<T> Default for Pool<T> {
    fn default() -> Self {
        Pool(std::sync::Mutex::new(Vec::new()))
    }
}

impl<T> Pool<T> {
    pub(crate) fn take(&self) -> Vec<T> {
        self.0
            .lock()
            .ok()
            .and_then(|mut p| p.pop())
            .unwrap_or_default()
    }

    pub(crate) fn give(&self, mut v: Vec<T>) {
        v.clear();
        if let Ok(mut p) = self.0.lock() {
            p.push(v);
        }
    }
}

/// The last column of both CSVs: the run that wrote them (eight characters a row, so that a
/// row copied elsewhere still says which run it came from).
pub(super) const RUN_ID_COLUMN: &str = "run_id";

fn run_id_column(run_id: &str, height: usize) -> Column {
    StringChunked::full(RUN_ID_COLUMN.into(), run_id, height).into_column()
}

/// `findings.csv`; with `changes` (one per finding: there is a baseline), the columns
/// `change` and `failing_since` come before `run_id`.
pub fn findings_csv(
    w: &mut dyn Write,
    inv: &Inventory,
    rules: &RuleSet,
    findings: &[Finding],
    changes: Option<&[FindingChange]>,
    run_id: &str,
) -> std::io::Result<()> {
    // No findings still writes the header.
    let tasks = findings.len().div_ceil(CHUNK).max(1);
    let spare_cells = Pool::default();
    write_ordered(w, tasks, |t, buf| {
        let range = (t * CHUNK).min(findings.len())..((t + 1) * CHUNK).min(findings.len());
        let chunk = &findings[range.clone()];
        let mut cells: Vec<[&str; 17]> = spare_cells.take();
        cells.extend(chunk.iter().map(|f| row_cells(&f.row(inv, rules))));
        let height = cells.len();
        let changes = changes.map(|c| &c[range]);
        let columns: Vec<Column> = FINDING_COLUMNS
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let values = cells.iter().map(|c| neutralise(c[i]));
                StringChunked::from_iter_values((*name).into(), values).into_column()
            })
            .chain(changes.into_iter().flat_map(change_columns))
            .chain([run_id_column(run_id, height)])
            .collect();
        spare_cells.give(cells);
        write_frame(buf, height, columns, t == 0)
    })
}

/// The `change` and `failing_since` columns of some findings (both written by the tool, so
/// nothing to neutralise).
fn change_columns(changes: &[FindingChange]) -> [Column; 2] {
    let cells: Vec<_> = changes.iter().map(change_cells).collect();
    [
        StringChunked::from_iter_values(CHANGE_COLUMNS[0].into(), cells.iter().map(|(c, _)| *c))
            .into_column(),
        StringChunked::from_iter_values(
            CHANGE_COLUMNS[1].into(),
            cells.iter().map(|(_, s)| s.unwrap_or("")),
        )
        .into_column(),
    ]
}

pub fn summary_csv(w: &mut dyn Write, summary: &Summary, run_id: &str) -> std::io::Result<()> {
    let c = &summary.counts;
    let text = |f: fn(&super::summary::CountRow) -> &str| -> Vec<String> {
        c.iter().map(|r| neutralise(f(r)).into_owned()).collect()
    };
    let columns = vec![
        Column::new("account_id".into(), text(|r| &r.account_id)),
        Column::new("account_name".into(), text(|r| &r.account_name)),
        Column::new("region".into(), text(|r| &r.region)),
        Column::new("resource_type".into(), text(|r| &r.resource_type)),
        Column::new("rule_id".into(), text(|r| &r.rule_id)),
        Column::new("status".into(), text(|r| r.status)),
        Column::new(
            "count".into(),
            c.iter().map(|r| r.count as u64).collect::<Vec<u64>>(),
        ),
        run_id_column(run_id, c.len()),
    ];
    write_frame(w, c.len(), columns, true)
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
