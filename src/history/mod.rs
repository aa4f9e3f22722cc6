//! The history of scheduled scans: every scan's findings, kept where query engines read them
//! (a Hive-partitioned Parquet dataset), one record per scan, and what changed between scans.
//!
//! Layout of a history `DIR` (a directory, or an S3 prefix):
//!
//! ```text
//! DIR/findings/scan_date=2026-12-06/part-20261206T095000Z-1a2b3c4d.parquet   the scan's findings
//! DIR/scans/20261206T095000Z-1a2b3c4d.json                                   its ScanRecord
//! ```
//!
//! DuckDB, Athena, Spark and polars read `DIR/findings` as one table with a `scan_date`
//! column. The record is written last: it is the scan's commit point. A part without its
//! record is an interrupted append's, ignored by readers and removed by the next append.

mod read;
pub mod record;
pub mod storage;

use crate::dest::Run;
use crate::error::{Diagnostic, Error, Result};
use chrono::{DateTime, Utc};
use record::{PastFinding, ScanRecord, SCAN_FORMAT};
use std::io::{self, Write};
use storage::{LocalDir, Storage, TEMP_SUFFIX};

pub use read::PAST_FINDING_COLUMNS;

/// Columns a history's parts add after findings.csv's, one value per scan.
pub const SCAN_COLUMNS: [&str; 4] = [
    "scan_id",
    "scan_time",
    "snapshot_collected_at",
    "rules_digest",
];
/// Columns of each finding's change since the scan's baseline (null without one).
pub const CHANGE_COLUMNS: [&str; 2] = ["change", "failing_since"];

const SCANS: &str = "scans/";
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

fn record_key(scan_id: &str) -> String {
    format!("{SCANS}{scan_id}.json")
}

/// The scan a part belongs to, from its key (`…/part-<scan_id>.parquet`).
fn part_scan_id(key: &str) -> Option<&str> {
    let name = key.rsplit('/').next()?;
    name.strip_prefix("part-")?.strip_suffix(".parquet")
}

pub struct History {
    store: Box<dyn Storage>,
}

impl History {
    /// The history at `location`: a local directory (created by the first append).
    pub fn open(location: &str) -> Result<History> {
        if location.starts_with("s3://") {
            return Err(Error::Usage(format!(
                "--history {location}: S3 histories are not supported yet; give a local directory"
            )));
        }
        let path = std::path::Path::new(location);
        if path.exists() && !path.is_dir() {
            return Err(Error::Usage(format!(
                "{location} is not a directory: a history is a directory (findings/ and scans/ in it)"
            )));
        }
        Ok(History::with_storage(Box::new(LocalDir::new(path))))
    }

    pub fn with_storage(store: Box<dyn Storage>) -> History {
        History { store }
    }

    /// Every committed scan, oldest first. A record that cannot be read or is not one is an
    /// input error naming its file (and line and column for broken JSON); all are reported.
    pub fn scans(&self) -> Result<Vec<ScanRecord>> {
        let mut keys = self.list(SCANS)?;
        keys.retain(|k| k.ends_with(".json") && !is_hidden(k));
        let mut scans = Vec::with_capacity(keys.len());
        let mut problems = Vec::new();
        for key in keys {
            let path = self.store.locate(&key);
            let Some(bytes) = self
                .store
                .get(&key)
                .map_err(|e| Error::io("read", &path, e))?
            else {
                continue; // pruned meanwhile
            };
            match crate::snapshot::parse_json::<ScanRecord>(&path, &bytes) {
                Ok(r) => match check_record(&r, &key) {
                    Ok(()) => scans.push(r),
                    Err(why) => problems.push(Diagnostic::file(&path, why)),
                },
                Err(d) => problems.push(d),
            }
        }
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
        scans.sort_by(|a, b| a.scan_id.cmp(&b.scan_id));
        Ok(scans)
    }

    /// The findings of a committed scan, read from its Parquet part.
    pub fn findings(&self, scan: &ScanRecord) -> Result<Vec<PastFinding>> {
        let path = self.store.locate(&scan.findings_path);
        let bytes = self
            .store
            .get(&scan.findings_path)
            .map_err(|e| Error::io("read", &path, e))?
            .ok_or_else(|| {
                Error::Invalid(vec![Diagnostic::file(
                    &path,
                    format!(
                        "missing: the findings of scan {} are not in the history",
                        scan.scan_id
                    ),
                )])
            })?;
        read::past_findings(&path, bytes)
    }

    /// Adds a scan: its findings part (written by `part`), then its record, which commits it.
    /// Holds the history's lock throughout; first removes what interrupted appends left. If
    /// anything fails, the history is as it was.
    pub fn append(
        &self,
        record: &ScanRecord,
        part: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> Result<()> {
        check_record(record, &record_key(&record.scan_id)).map_err(Error::Usage)?;
        let _lock = self.store.lock(&run_of(record))?;
        let key = record_key(&record.scan_id);
        let path = self.store.locate(&key);
        if self.get(&key)?.is_some() {
            return Err(Error::Usage(format!(
                "{}: scan {} is already in the history",
                path.display(),
                record.scan_id
            )));
        }
        self.remove_leftovers()?;
        let part_file = self.store.locate(&record.findings_path);
        self.store
            .put(&record.findings_path, Box::new(part))
            .map_err(|e| Error::io("write", &part_file, e))?;
        let text = serde_json::to_vec_pretty(record).map_err(io::Error::other);
        let committed = text.and_then(|t| self.store.put(&key, Box::new(move |w| w.write_all(&t))));
        if let Err(e) = committed {
            // Without its record the part is an orphan: removed now, or by the next append.
            let _ = self.store.delete(&record.findings_path);
            return Err(Error::io("write", &path, e));
        }
        Ok(())
    }

    /// Removes the scans beyond the newest `keep_scans`, and those older than `keep_days`
    /// days; never the newest, nor one named in `keep` (the baseline a diff compared against).
    /// Returns the ids of the scans removed, oldest first.
    pub fn prune(
        &self,
        keep_scans: Option<usize>,
        keep_days: Option<u32>,
        keep: &[&str],
    ) -> Result<Vec<String>> {
        self.prune_at(Utc::now(), keep_scans, keep_days, keep)
    }

    fn prune_at(
        &self,
        now: DateTime<Utc>,
        keep_scans: Option<usize>,
        keep_days: Option<u32>,
        keep: &[&str],
    ) -> Result<Vec<String>> {
        if keep_scans.is_none() && keep_days.is_none() {
            return Ok(Vec::new());
        }
        let _lock = self.store.lock(&Run::new())?;
        let scans = self.scans()?;
        let mut removed = Vec::new();
        for scan in doomed(&scans, now, keep_scans, keep_days, keep) {
            // The record first: from then on the scan is gone for every reader.
            let key = record_key(&scan.scan_id);
            self.delete(&key)?;
            self.delete(&scan.findings_path)?;
            removed.push(scan.scan_id.clone());
        }
        Ok(removed)
    }

    /// Parts without a record and temporary files: what interrupted appends left.
    fn remove_leftovers(&self) -> Result<()> {
        let committed: std::collections::HashSet<String> = self
            .list(SCANS)?
            .into_iter()
            .filter(|k| !is_hidden(k))
            .collect();
        let mut doomed: Vec<String> = self.list(SCANS)?;
        doomed.retain(|k| k.ends_with(TEMP_SUFFIX));
        for key in self.list(FINDINGS)? {
            let orphan = part_scan_id(&key).is_some_and(|id| !committed.contains(&record_key(id)));
            if orphan || (is_hidden(&key) && key.ends_with(TEMP_SUFFIX)) {
                doomed.push(key);
            }
        }
        for key in doomed {
            self.delete(&key)?;
        }
        Ok(())
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>> {
        self.store
            .list(prefix)
            .map_err(|e| Error::io("list", &self.store.locate(prefix), e))
    }

    fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        self.store
            .get(key)
            .map_err(|e| Error::io("read", &self.store.locate(key), e))
    }

    fn delete(&self, key: &str) -> Result<()> {
        self.store
            .delete(key)
            .map_err(|e| Error::io("remove", &self.store.locate(key), e))
    }
}

fn is_hidden(key: &str) -> bool {
    key.rsplit('/').next().is_some_and(|n| n.starts_with('.'))
}

/// The run a record names, as the lock records its holder.
fn run_of(record: &ScanRecord) -> Run {
    Run {
        id: record.run_id.clone(),
        started: parse_time(&record.scan_time).unwrap_or_else(Utc::now),
    }
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Why a record (stored at `key`) is not one this history can use, if it is not.
fn check_record(r: &ScanRecord, key: &str) -> std::result::Result<(), String> {
    if r.format != SCAN_FORMAT {
        return Err(format!(
            "format {:?}: this version of backup-auditor reads {SCAN_FORMAT:?}",
            r.format
        ));
    }
    if r.scan_id.is_empty()
        || !r
            .scan_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(format!(
            "scan_id {:?} is not a scan id (letters, digits and -)",
            r.scan_id
        ));
    }
    let Some(time) = parse_time(&r.scan_time) else {
        return Err(format!(
            "scan_time {:?} is not an RFC 3339 time",
            r.scan_time
        ));
    };
    if key != record_key(&r.scan_id) {
        return Err(format!(
            "the record of scan {:?} is stored under another name",
            r.scan_id
        ));
    }
    // The record says where its findings are: only ever where this history puts them.
    let expected = part_path(&r.scan_id, time);
    if r.findings_path != expected {
        return Err(format!(
            "findings_path {:?}: expected {expected:?}",
            r.findings_path
        ));
    }
    Ok(())
}

/// The scans `prune` removes: beyond the newest `keep_scans`, or older than `keep_days` at
/// `now`; never the newest, never one in `keep`.
fn doomed<'a>(
    scans: &'a [ScanRecord],
    now: DateTime<Utc>,
    keep_scans: Option<usize>,
    keep_days: Option<u32>,
    keep: &[&str],
) -> Vec<&'a ScanRecord> {
    let newest = scans.len().saturating_sub(1);
    let cutoff = keep_days.map(|d| now - chrono::Duration::days(d.into()));
    scans
        .iter()
        .enumerate()
        .filter(|(i, s)| {
            let too_many = keep_scans.is_some_and(|n| i + n < scans.len());
            let too_old = cutoff.is_some_and(|c| parse_time(&s.scan_time).is_some_and(|t| t < c));
            (too_many || too_old) && *i != newest && !keep.contains(&s.scan_id.as_str())
        })
        .map(|(_, s)| s)
        .collect()
}
