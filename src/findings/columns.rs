//! The findings table's columns as every writer names them, and a finding's cells in them.

use super::Row;
use crate::history::record::FindingChange;
use std::borrow::Cow;

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

pub(crate) fn row_cells<'a>(r: &Row<'a>) -> [&'a str; 17] {
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
pub(crate) fn change_cells(c: &FindingChange) -> (&'static str, Option<&str>) {
    (c.change.as_str(), c.since())
}

/// The last column of both CSVs: the run that wrote them (eight characters a row, so that a
/// row copied elsewhere still says which run it came from).
pub(crate) const RUN_ID_COLUMN: &str = "run_id";
