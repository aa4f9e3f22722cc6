//! Writes the machine outputs: `findings.csv`, `summary.csv` (through polars) and
//! `findings.json`. Every file is written to a temporary file first and renamed into place
//! only when all of them succeeded, so a failed run never leaves a half-written report.

use super::summary::Summary;
use super::{Finding, Row};
use crate::error::{Error, Result};
use crate::model::Inventory;
use crate::rules::RuleSet;
use polars::prelude::*;
use serde::Serialize;
use std::borrow::Cow;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use tempfile::NamedTempFile;

/// Outputs staged next to their destination, renamed into place together by `commit`.
pub struct Staged {
    dir: PathBuf,
    files: Vec<(NamedTempFile, PathBuf)>,
}

impl Staged {
    pub fn new(dir: &Path) -> Result<Staged> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io("create output directory", dir, e))?;
        Ok(Staged {
            dir: dir.to_path_buf(),
            files: Vec::new(),
        })
    }

    /// Writes `name` through `f` into a temporary file in the output directory.
    pub fn write(
        &mut self,
        name: &str,
        f: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    ) -> Result<()> {
        let dest = self.dir.join(name);
        let tmp = NamedTempFile::with_prefix_in(format!(".{name}."), &self.dir)
            .map_err(|e| Error::io("create temporary file in", &self.dir, e))?;
        let mut w = BufWriter::with_capacity(1 << 20, tmp.as_file());
        f(&mut w)
            .and_then(|_| w.flush())
            .map_err(|e| Error::io("write", &dest, e))?;
        drop(w);
        self.files.push((tmp, dest));
        Ok(())
    }

    /// Renames every staged file into place; returns the final paths.
    pub fn commit(self) -> Result<Vec<PathBuf>> {
        let mut out = Vec::new();
        for (tmp, dest) in self.files {
            tmp.persist(&dest)
                .map_err(|e| Error::io("replace", &dest, e.error))?;
            out.push(dest);
        }
        Ok(out)
    }
}

/// Spreadsheet applications run cells that start with these as formulas (CSV injection).
fn neutralise(s: &str) -> Cow<'_, str> {
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

fn row_cells<'a>(r: &Row<'a>) -> [&'a str; 17] {
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

/// Rows per polars frame: bounds memory for millions of findings.
const CHUNK: usize = 200_000;

pub fn findings_csv(
    w: &mut dyn Write,
    inv: &Inventory,
    rules: &RuleSet,
    findings: &[Finding],
) -> std::io::Result<()> {
    let mut first = true;
    for chunk in findings
        .chunks(CHUNK)
        .chain(findings.is_empty().then_some(&[][..]))
    {
        let rows: Vec<Row> = chunk.iter().map(|f| f.row(inv, rules)).collect();
        let columns: Vec<Column> = FINDING_COLUMNS
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let values: Vec<Cow<str>> =
                    rows.iter().map(|r| neutralise(row_cells(r)[i])).collect();
                let values: Vec<&str> = values.iter().map(|c| c.as_ref()).collect();
                Column::new((*name).into(), values)
            })
            .collect();
        write_frame(w, rows.len(), columns, first)?;
        first = false;
    }
    Ok(())
}

pub fn summary_csv(w: &mut dyn Write, summary: &Summary) -> std::io::Result<()> {
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
    ];
    write_frame(w, c.len(), columns, true)
}

fn write_frame(
    w: &mut dyn Write,
    height: usize,
    columns: Vec<Column>,
    header: bool,
) -> std::io::Result<()> {
    let to_io = |e: PolarsError| std::io::Error::other(e.to_string());
    let mut df = DataFrame::new(height, columns).map_err(to_io)?;
    CsvWriter::new(w)
        .include_header(header)
        .finish(&mut df)
        .map_err(to_io)
}

/// `findings.json`: run metadata, summary and every finding, streamed.
#[derive(Serialize)]
pub struct JsonReport<'a> {
    pub format: &'static str,
    pub tool_version: &'static str,
    /// The only field that changes between two runs on the same inputs.
    pub run_at: String,
    pub snapshot: String,
    pub collected_at: String,
    pub as_of: String,
    pub rule_sources: &'a [String],
    pub waiver_file: Option<String>,
    pub summary: &'a Summary,
    pub findings: FindingsSeq<'a>,
}

pub struct FindingsSeq<'a> {
    pub inv: &'a Inventory,
    pub rules: &'a RuleSet,
    pub findings: &'a [Finding],
}

impl Serialize for FindingsSeq<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_seq(self.findings.iter().map(|f| f.row(self.inv, self.rules)))
    }
}

pub fn findings_json(w: &mut dyn Write, report: &JsonReport) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, report).map_err(std::io::Error::other)?;
    w.write_all(b"\n")
}
