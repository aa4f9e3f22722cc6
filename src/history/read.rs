//! Reads a scan's findings back from its Parquet part: the columns a diff needs.

use super::record::PastFinding;
use crate::error::{Diagnostic, Error, Result};
use polars::prelude::*;
use std::path::Path;

/// The columns read, in [`PastFinding`]'s order: findings.csv's names, and the history's
/// `failing_since`.
pub const PAST_FINDING_COLUMNS: [&str; 10] = [
    "rule_id",
    "account_id",
    "region",
    "resource_arn",
    "resource_type",
    "check",
    "severity",
    "status",
    "reason",
    "failing_since",
];

pub(super) fn past_findings(path: &Path, bytes: Vec<u8>) -> Result<Vec<PastFinding>> {
    let invalid = |e: PolarsError| {
        Error::Invalid(vec![Diagnostic::file(
            path,
            format!("not a findings part backup-auditor wrote: {e}"),
        )])
    };
    let columns = PAST_FINDING_COLUMNS.map(String::from).to_vec();
    let df = ParquetReader::new(std::io::Cursor::new(bytes))
        .with_columns(Some(columns))
        .finish()
        .map_err(invalid)?;
    let mut cols = Vec::with_capacity(PAST_FINDING_COLUMNS.len());
    for name in PAST_FINDING_COLUMNS {
        cols.push(df.column(name).and_then(|c| c.str()).map_err(invalid)?);
    }
    let mut iters: Vec<_> = cols.iter().map(|c| c.iter()).collect();
    let mut out = Vec::with_capacity(df.height());
    for _ in 0..df.height() {
        let mut row: [Option<&str>; PAST_FINDING_COLUMNS.len()] = Default::default();
        for (v, it) in row.iter_mut().zip(&mut iters) {
            *v = it.next().flatten();
        }
        let text = |i: usize| row[i].unwrap_or("").to_string();
        out.push(PastFinding {
            rule_id: text(0),
            account_id: text(1),
            region: text(2),
            resource_arn: text(3),
            resource_type: text(4),
            check: text(5),
            severity: text(6),
            status: text(7),
            reason: text(8),
            failing_since: row[9].map(str::to_string),
        });
    }
    Ok(out)
}
