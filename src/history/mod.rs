//! The history of scheduled scans: every scan's findings, kept where query engines read them
//! (a Hive-partitioned Parquet dataset), one record per scan, and what changed between scans.

pub mod record;
pub mod diff;
