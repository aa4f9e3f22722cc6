//! The history of scheduled scans: every scan's findings, kept where query engines read them
//! (a Hive-partitioned Parquet dataset), one record per scan, and what changed between scans.
//!
//! Layout of a history `DIR` (a directory, or an S3 prefix `s3://bucket/prefix`):
//!
//! ```text
//! DIR/findings/scan_date=2026-12-06/part-20261206T095000Z-1a2b3c4d.parquet   the scan's findings
//! DIR/scans/20261206T095000Z-1a2b3c4d.json                                   its ScanRecord
//! ```
//!
//! DuckDB, Athena, Spark and polars read `DIR/findings` as one table with a `scan_date`
//! column. The record is written last: it is the scan's commit point. A part without its
//! record is an interrupted append's, ignored by readers and removed by the next append.

pub mod baseline;
pub mod diff;
mod read;
pub mod record;
mod s3;
pub mod storage;

use crate::error::{Diagnostic, Error, Result};
use chrono::{DateTime, Utc};
use record::{ScanRecord, SCAN_FORMAT};
use std::io::{self, Write};
use storage::{LocalDir, Storage, TEMP_SUFFIX};

pub use read::{PartScopes, PAST_FINDING_COLUMNS};

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
    /// The history at `location`: `s3://bucket/prefix`, or a local directory (created by the
    /// first append).
    pub fn open(location: &str) -> Result<History> {
        if location.starts_with("s3://") {
            return Ok(History::with_storage(Box::new(s3::S3::open(location)?)));
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

    /// Where `key` is, as a user finds it: a path, or an `s3://` URL.
    pub fn locate(&self, key: &str) -> std::path::PathBuf {
        self.store.locate(key)
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
            let Some(bytes) = self.get(&key)? else {
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

    /// The findings of a committed scan, walked from its Parquet part an account-region at a
    /// time.
    pub fn findings(&self, scan: &ScanRecord) -> Result<PartScopes> {
        let path = self.store.locate(&scan.findings_path);
        let bytes = self.get(&scan.findings_path)?.ok_or_else(|| {
            Error::Invalid(vec![Diagnostic::file(
                &path,
                format!(
                    "missing: the findings of scan {} are not in the history",
                    scan.scan_id
                ),
            )])
        })?;
        PartScopes::open(&path, bytes)
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
        let _lock = self.store.lock(&record.run_id)?;
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
        let _lock = self.store.lock("pruning")?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::path::Path;

    fn record(scan_time: &str, run_id: &str) -> ScanRecord {
        let time = parse_time(scan_time).unwrap();
        let id = scan_id(time, run_id);
        ScanRecord {
            format: SCAN_FORMAT.into(),
            findings_path: part_path(&id, time),
            scan_id: id,
            scan_time: scan_time.into(),
            run_id: run_id.into(),
            tool_version: "0".into(),
            snapshot: "snap".into(),
            snapshot_collected_at: scan_time.into(),
            as_of: scan_time.into(),
            rules_digest: String::new(),
            rule_digests: BTreeMap::new(),
            waivers_digest: String::new(),
            scopes: Vec::new(),
            by_status: BTreeMap::new(),
            failures_by_severity: BTreeMap::new(),
            coverage: Default::default(),
            coverage_by_account: BTreeMap::new(),
            findings_rows: 0,
            shard: None,
        }
    }

    /// Every file and directory under `dir`, relative, sorted.
    fn tree(dir: &Path) -> Vec<String> {
        let mut out = Vec::new();
        fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
            for e in std::fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                out.push(p.strip_prefix(root).unwrap().display().to_string());
                if p.is_dir() {
                    walk(root, &p, out);
                }
            }
        }
        walk(dir, dir, &mut out);
        out.sort();
        out
    }

    fn append(h: &History, r: &ScanRecord) {
        h.append(r, |w| w.write_all(b"PAR1")).unwrap();
    }

    fn open(dir: &Path) -> History {
        History::open(dir.to_str().unwrap()).unwrap()
    }

    fn ids(h: &History) -> Vec<String> {
        h.scans().unwrap().into_iter().map(|s| s.scan_id).collect()
    }

    #[test]
    fn scans_are_listed_oldest_first_whatever_the_order_they_were_appended_in() {
        let dir = tempfile::tempdir().unwrap();
        let h = open(dir.path());
        assert!(h.scans().unwrap().is_empty(), "a new history has no scan");
        append(&h, &record("2026-12-06T09:00:00Z", "bbbbbbbb"));
        append(&h, &record("2026-11-29T09:00:00Z", "cccccccc"));
        append(&h, &record("2026-12-06T09:00:00Z", "aaaaaaaa"));
        assert_eq!(
            ids(&h),
            [
                "20261129T090000Z-cccccccc",
                "20261206T090000Z-aaaaaaaa",
                "20261206T090000Z-bbbbbbbb"
            ]
        );
        assert!(dir
            .path()
            .join("findings/scan_date=2026-11-29/part-20261129T090000Z-cccccccc.parquet")
            .is_file());
        let twice = h.append(&record("2026-12-06T09:00:00Z", "aaaaaaaa"), |_| Ok(()));
        assert!(twice
            .unwrap_err()
            .to_string()
            .contains("already in the history"));
    }

    #[test]
    fn a_writer_that_fails_midway_leaves_the_history_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let h = open(dir.path());
        append(&h, &record("2026-12-06T09:00:00Z", "aaaaaaaa"));
        let before = tree(dir.path());
        let err = h
            .append(&record("2026-12-13T09:00:00Z", "bbbbbbbb"), |w| {
                w.write_all(&[0; 100_000])?;
                Err(io::Error::other("disk full"))
            })
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("part-20261213T090000Z-bbbbbbbb.parquet") && err.contains("disk full"),
            "{err}"
        );
        assert_eq!(tree(dir.path()), before);
        assert_eq!(ids(&h), ["20261206T090000Z-aaaaaaaa"]);
    }

    /// A storage whose puts under `scans/` fail: the record, the commit point, is not written.
    struct NoRecords(LocalDir);

    impl Storage for NoRecords {
        fn locate(&self, key: &str) -> std::path::PathBuf {
            self.0.locate(key)
        }
        fn list(&self, prefix: &str) -> io::Result<Vec<String>> {
            self.0.list(prefix)
        }
        fn get(&self, key: &str) -> io::Result<Option<Vec<u8>>> {
            self.0.get(key)
        }
        fn put(&self, key: &str, body: storage::Body) -> io::Result<()> {
            if key.starts_with(SCANS) {
                return Err(io::Error::other("no space left"));
            }
            self.0.put(key, body)
        }
        fn delete(&self, key: &str) -> io::Result<()> {
            self.0.delete(key)
        }
        fn lock(&self, holder: &str) -> Result<Box<dyn Send>> {
            self.0.lock(holder)
        }
    }

    #[test]
    fn a_record_that_cannot_be_written_takes_its_part_with_it() {
        let dir = tempfile::tempdir().unwrap();
        append(
            &open(dir.path()),
            &record("2026-12-06T09:00:00Z", "aaaaaaaa"),
        );
        let before = tree(dir.path());
        let h = History::with_storage(Box::new(NoRecords(LocalDir::new(dir.path()))));
        let err = h
            .append(&record("2026-12-13T09:00:00Z", "bbbbbbbb"), |w| {
                w.write_all(b"PAR1")
            })
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("20261213T090000Z-bbbbbbbb.json") && err.contains("no space left"),
            "{err}"
        );
        assert_eq!(tree(dir.path()), before);
    }

    #[test]
    fn a_part_without_its_record_is_ignored_then_removed_by_the_next_append() {
        let dir = tempfile::tempdir().unwrap();
        let h = open(dir.path());
        append(&h, &record("2026-12-06T09:00:00Z", "aaaaaaaa"));
        // What a run killed between its part and its record leaves, and a killed write.
        let orphan = record("2026-12-07T09:00:00Z", "dddddddd");
        let part = dir.path().join(&orphan.findings_path);
        std::fs::create_dir_all(part.parent().unwrap()).unwrap();
        std::fs::write(&part, b"PAR1").unwrap();
        let temp = dir.path().join("scans/.x.json.123.tmp");
        std::fs::write(&temp, b"{").unwrap();
        assert_eq!(ids(&h), ["20261206T090000Z-aaaaaaaa"]);
        let err = h
            .findings(&orphan)
            .err()
            .expect("the part is gone")
            .to_string();
        assert!(
            err.contains("is not") || err.contains("not a findings part"),
            "{err}"
        );
        append(&h, &record("2026-12-13T09:00:00Z", "bbbbbbbb"));
        assert!(
            !part.exists() && !part.parent().unwrap().exists(),
            "orphan removed"
        );
        assert!(!temp.exists(), "temporary file removed");
        assert_eq!(ids(&h).len(), 2);
    }

    #[test]
    fn a_broken_record_is_named_with_its_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let h = open(dir.path());
        append(&h, &record("2026-12-06T09:00:00Z", "aaaaaaaa"));
        let path = dir.path().join("scans/20261206T090000Z-aaaaaaaa.json");
        std::fs::write(
            &path,
            "{\n  \"format\": \"backup-auditor-scan/v1\",\n  oops\n}",
        )
        .unwrap();
        let err = h.scans().unwrap_err();
        assert_eq!(err.diagnostics().len(), 1);
        let text = err.to_string();
        assert!(
            text.starts_with(&format!("{}:3:3: ", path.display())),
            "{text}"
        );
        // A record under another scan's name is refused, not trusted.
        let other = record("2026-12-13T09:00:00Z", "bbbbbbbb");
        std::fs::write(&path, serde_json::to_string(&other).unwrap()).unwrap();
        let text = h.scans().unwrap_err().to_string();
        assert!(text.contains("stored under another name"), "{text}");
    }

    #[test]
    fn pruning_keeps_the_newest_and_every_scan_it_is_told_to_keep() {
        let dir = tempfile::tempdir().unwrap();
        let h = open(dir.path());
        let days = [
            "2026-11-01",
            "2026-11-08",
            "2026-11-15",
            "2026-11-22",
            "2026-11-29",
        ];
        for d in days {
            append(&h, &record(&format!("{d}T06:00:00Z"), "aaaaaaaa"));
        }
        let id = |d: &str| format!("{}T060000Z-aaaaaaaa", d.replace('-', ""));
        let now = parse_time("2026-12-30T00:00:00Z").unwrap();
        // Two newest kept, and the baseline of a diff (the oldest) too.
        let baseline = id(days[0]);
        let removed = h.prune_at(now, Some(2), None, &[&baseline]).unwrap();
        assert_eq!(removed, [id(days[1]), id(days[2])]);
        assert_eq!(ids(&h), [id(days[0]), id(days[3]), id(days[4])]);
        assert!(!dir.path().join("findings/scan_date=2026-11-08").exists());
        // Everything is older than 10 days: all but the newest and the baseline go.
        let removed = h.prune_at(now, None, Some(10), &[&baseline]).unwrap();
        assert_eq!(removed, [id(days[3])]);
        assert_eq!(ids(&h), [id(days[0]), id(days[4])]);
        // Nothing asked, nothing removed; the newest survives any limit.
        assert!(h.prune_at(now, None, None, &[]).unwrap().is_empty());
        assert_eq!(
            h.prune_at(now, Some(1), Some(0), &[]).unwrap(),
            [id(days[0])]
        );
        assert_eq!(ids(&h), [id(days[4])]);
    }

    #[test]
    fn a_second_writer_is_refused_while_one_holds_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let h = open(dir.path());
        let held = LocalDir::new(dir.path()).lock("0badf00d").unwrap();
        let err = h
            .append(&record("2026-12-06T09:00:00Z", "aaaaaaaa"), |w| {
                w.write_all(b"x")
            })
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("being written by another backup-auditor run (pid"),
            "{err}"
        );
        assert!(err.contains("run 0badf00d"), "{err}");
        drop(held);
        assert!(h.scans().unwrap().is_empty());
    }
}
