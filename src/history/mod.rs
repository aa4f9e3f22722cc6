//! The history of scheduled scans: every scan's findings, kept where query engines read them
//! (a Hive-partitioned Parquet dataset), one record per scan, and what changed between scans.

pub mod diff;
pub mod record;

use chrono::{DateTime, Utc};

const FINDINGS: &str = "findings/";

/// A scan's id: its time (sortable) and its run id (unique), `20261206T095000Z-1a2b3c4d`.
pub fn scan_id(scan_time: DateTime<Utc>, run_id: &str) -> String {
    format!("{}-{run_id}", scan_time.format("%Y%m%dT%H%M%SZ"))
}

/// Where a scan's findings go, relative to the history's root: its date's partition.
pub fn part_path(scan_id: &str, scan_time: DateTime<Utc>) -> String {
    format!(
        "{FINDINGS}scan_date={}/part-{scan_id}.parquet",
        scan_time.format("%Y-%m-%d")
    )
}
pub mod baseline;
