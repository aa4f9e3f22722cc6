//! A shard's outputs and their merge: `shard.json`, which `scan` writes beside the reports of a
//! shard (`--shard I/N`, or a snapshot `collect --shard` wrote), and the merge of the shards'
//! `findings.csv` and `summary.csv` into the organisation's.
//!
//! Both CSVs are in account-region order (findings scope by scope, counts sorted by account
//! and region first), and a shard owns whole accounts: the merge interleaves the shards'
//! account-regions in that order and copies each record's bytes as its shard wrote them, but
//! the last cell, `run_id`, which becomes the merge's. So the merged files are, byte for byte,
//! those one scan of the whole organisation writes, but for the run id.

use super::record::rule_digest;
use super::summary::parts::{ShardSource, ShardSummary};
use super::summary::Summary;
use crate::model::Inventory;
use crate::rules::waiver::Waiver;
use crate::rules::RuleSet;
use crate::shard::Shard;
use crate::snapshot::time::rfc3339;
use serde::{Deserialize, Serialize};
use std::io::{self, BufRead, Write};

pub const SHARD_FILE: &str = "shard.json";
pub const FORMAT: &str = "backup-auditor-shard/v2";

/// `shard.json`: which share of the organisation a scan judged, and what the merge checks
/// before it puts the shards together.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShardFile {
    pub format: String,
    pub shard: Shard,
    pub tool_version: String,
    pub run_id: String,
    pub snapshot: String,
    pub collected_at: String,
    pub as_of: String,
    /// The rules judged with, each `id@digest` (a merge refuses shards judged differently).
    pub rules: Vec<String>,
    pub waiver_file: Option<String>,
    /// The waiver file's digest (empty without one): shards must be judged alike.
    pub waivers_digest: String,
    /// Whether the shard's snapshot holds only its accounts (`collect --shard`); otherwise
    /// every shard must have judged the same snapshot as of the same time.
    pub collected_in_shard: bool,
    /// The accounts this shard judged.
    pub accounts: Vec<String>,
    /// Rows of findings.csv and summary.csv (none if the scan wrote no CSV): a merge
    /// counts them again, so a file changed since the scan is refused.
    pub findings: Option<u64>,
    pub summary_rows: Option<u64>,
    /// The shard's summary, which `merge` joins into the organisation's.
    pub summary: ShardSummary,
}

/// What a shard's scan says of itself, beside its reports.
pub struct ShardFacts<'a> {
    pub shard: Shard,
    pub inv: &'a Inventory,
    pub rules: &'a RuleSet,
    pub summary: &'a Summary,
    pub waivers: &'a [Waiver],
    pub waiver_hits: &'a [usize],
    /// Unwaived FAIL findings per rule, indexed like the rules.
    pub failures_by_rule: &'a [usize],
    pub run_id: &'a str,
    pub snapshot: String,
    pub waiver_file: Option<String>,
    pub waivers_digest: String,
    /// With findings.csv and summary.csv written, how many rows summary.csv has (a streamed
    /// scan writes them as it goes: the summary keeps none).
    pub summary_rows: Option<u64>,
}

impl ShardFile {
    /// `shard.json` as `scan` writes it.
    pub fn write(&self, w: &mut dyn Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *w, self)?;
        w.write_all(b"\n")
    }

    pub fn of(f: &ShardFacts) -> ShardFile {
        let mut accounts: Vec<String> = f.inv.scopes.iter().map(|s| s.account_id.clone()).collect();
        accounts.dedup(); // scopes are in account order
        ShardFile {
            format: FORMAT.into(),
            shard: f.shard,
            tool_version: env!("CARGO_PKG_VERSION").into(),
            run_id: f.run_id.into(),
            snapshot: f.snapshot.clone(),
            collected_at: rfc3339(f.inv.collected_at),
            as_of: rfc3339(f.inv.as_of),
            rules: (f.rules.rules.iter())
                .map(|r| format!("{}@{}", r.id, rule_digest(r)))
                .collect(),
            waiver_file: f.waiver_file.clone(),
            waivers_digest: f.waivers_digest.clone(),
            collected_in_shard: f.inv.collected_in_shard,
            accounts,
            findings: f.summary_rows.map(|_| f.summary.findings as u64),
            summary_rows: f.summary_rows,
            summary: ShardSummary::of(&ShardSource {
                summary: f.summary,
                rules: f.rules,
                failures_by_rule: f.failures_by_rule,
                waivers: f.waivers,
                waiver_hits: f.waiver_hits,
                as_of: f.inv.as_of,
            }),
        }
    }
}

/// Why a merge of CSVs stopped: `input` is the index of the shard at fault, when one is.
#[derive(Debug)]
pub struct MergeError {
    pub input: Option<usize>,
    pub message: String,
}

impl From<io::Error> for MergeError {
    fn from(e: io::Error) -> MergeError {
        MergeError {
            input: None,
            message: e.to_string(),
        }
    }
}

fn fault(input: usize, message: impl Into<String>) -> MergeError {
    MergeError {
        input: Some(input),
        message: message.into(),
    }
}

/// One CSV's records, each as the bytes its writer wrote (a quoted line break stays inside).
struct Records<R> {
    r: R,
    record: Vec<u8>,
    /// The account-region of `record`, as its cells' bytes.
    key: (Vec<u8>, Vec<u8>),
    columns: (usize, usize),
    rows: u64,
}

impl<R: BufRead> Records<R> {
    /// Reads the next record into `self.record`; false at the end.
    fn advance(&mut self) -> io::Result<bool> {
        self.record.clear();
        let mut quoted = false;
        loop {
            let start = self.record.len();
            if self.r.read_until(b'\n', &mut self.record)? == 0 {
                if quoted {
                    return Err(io::Error::other("the file ends inside a quoted cell"));
                }
                return Ok(!self.record.is_empty());
            }
            let quotes = self.record[start..].iter().filter(|&&b| b == b'"').count();
            quoted ^= quotes % 2 == 1;
            if !quoted {
                return Ok(true);
            }
        }
    }

    fn read_key(&mut self) -> Option<(Vec<u8>, Vec<u8>)> {
        let account = cell(&self.record, self.columns.0)?;
        let region = cell(&self.record, self.columns.1)?;
        Some((account, region))
    }
}

/// Cell `index` of a record, unquoted.
fn cell(record: &[u8], index: usize) -> Option<Vec<u8>> {
    let record = record.strip_suffix(b"\n").unwrap_or(record);
    let record = record.strip_suffix(b"\r").unwrap_or(record);
    let (mut quoted, mut start, mut n) = (false, 0, 0);
    for (i, b) in record
        .iter()
        .copied()
        .enumerate()
        .chain([(record.len(), b',')])
    {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => {
                if n == index {
                    let c = &record[start..i];
                    return Some(
                        match c.strip_prefix(b"\"").and_then(|c| c.strip_suffix(b"\"")) {
                            Some(inner) => unquote(inner),
                            None => c.to_vec(),
                        },
                    );
                }
                n += 1;
                start = i + 1;
            }
            _ => {}
        }
    }
    None
}

fn unquote(inner: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(inner.len());
    let mut last_quote = false;
    for &b in inner {
        if b == b'"' && last_quote {
            last_quote = false;
            continue;
        }
        last_quote = b == b'"';
        out.push(b);
    }
    out
}

/// Merges the shards' CSVs (each a header and records in account-region order, `run_id` the
/// last column) into `w`, the run id replaced by `run_id`. Returns the rows of each input.
pub fn merge_csv(
    inputs: Vec<Box<dyn BufRead + '_>>,
    key: (&str, &str),
    run_id: &str,
    w: &mut dyn Write,
) -> Result<Vec<u64>, MergeError> {
    let mut readers = Vec::with_capacity(inputs.len());
    let mut header: Option<Vec<u8>> = None;
    for (i, r) in inputs.into_iter().enumerate() {
        let mut rec = Records {
            r,
            record: Vec::new(),
            key: Default::default(),
            columns: (0, 0),
            rows: 0,
        };
        if !rec.advance().map_err(|e| fault(i, e.to_string()))? {
            return Err(fault(i, "the file is empty: it has no header"));
        }
        let names: Vec<Vec<u8>> = (0..).map_while(|c| cell(&rec.record, c)).collect();
        let at = |name: &str| names.iter().position(|n| n == name.as_bytes());
        let (Some(a), Some(r)) = (at(key.0), at(key.1)) else {
            return Err(fault(
                i,
                format!("its header has no {} and {}", key.0, key.1),
            ));
        };
        if names.last().map(Vec::as_slice) != Some(b"run_id".as_slice()) {
            return Err(fault(i, "its header does not end with run_id"));
        }
        match &header {
            None => {
                w.write_all(&rec.record)?;
                header = Some(rec.record.clone());
            }
            Some(h) if *h != rec.record => {
                return Err(fault(
                    i,
                    "its columns differ from the first shard's (a baseline gives findings.csv \
                     change columns: scan every shard alike)",
                ))
            }
            Some(_) => {}
        }
        rec.columns = (a, r);
        readers.push(rec);
    }
    let mut live: Vec<usize> = Vec::new();
    for (i, rec) in readers.iter_mut().enumerate() {
        if next_record(i, rec)? {
            live.push(i);
        }
    }
    let mut last_key: Option<(Vec<u8>, Vec<u8>)> = None;
    while let Some(&first) = live
        .iter()
        .min_by(|&&a, &&b| readers[a].key.cmp(&readers[b].key))
    {
        let key = readers[first].key.clone();
        if last_key.as_ref() == Some(&key) {
            return Err(fault(
                first,
                format!(
                    "account-region {} {} is in more than one shard: the shards overlap",
                    String::from_utf8_lossy(&key.0),
                    String::from_utf8_lossy(&key.1)
                ),
            ));
        }
        let rec = &mut readers[first];
        while rec.key == key {
            write_with_run_id(w, &rec.record, run_id)?;
            if !next_record(first, rec)? {
                live.retain(|&i| i != first);
                break;
            }
            if rec.key < key {
                return Err(fault(first, "its rows are not in account-region order"));
            }
        }
        last_key = Some(key);
    }
    Ok(readers.iter().map(|r| r.rows).collect())
}

fn next_record<R: BufRead>(i: usize, rec: &mut Records<R>) -> Result<bool, MergeError> {
    if !rec.advance().map_err(|e| fault(i, e.to_string()))? {
        return Ok(false);
    }
    rec.rows += 1;
    rec.key = rec
        .read_key()
        .ok_or_else(|| fault(i, format!("row {} has too few cells", rec.rows)))?;
    Ok(true)
}

/// The record with its last cell (the run id, which holds no comma or quote) replaced.
fn write_with_run_id(w: &mut dyn Write, record: &[u8], run_id: &str) -> io::Result<()> {
    let body = record.strip_suffix(b"\n").unwrap_or(record);
    let body = body.strip_suffix(b"\r").unwrap_or(body);
    let cut = body.iter().rposition(|&b| b == b',').map_or(0, |c| c + 1);
    w.write_all(&body[..cut])?;
    w.write_all(run_id.as_bytes())?;
    w.write_all(&record[body.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merge(inputs: &[&str]) -> Result<(String, Vec<u64>), MergeError> {
        let mut out = Vec::new();
        let readers: Vec<Box<dyn BufRead>> = inputs
            .iter()
            .map(|s| Box::new(s.as_bytes()) as Box<dyn BufRead>)
            .collect();
        let rows = merge_csv(readers, ("account_id", "region"), "merged", &mut out)?;
        Ok((String::from_utf8(out).unwrap(), rows))
    }

    #[test]
    fn interleaves_account_regions_and_keeps_each_record_as_written() {
        let a = "status,account_id,region,reason,run_id\n\
                 FAIL,111,eu-west-1,\"two\nlines, \"\"quoted\"\"\",aaa\n\
                 PASS,111,us-east-1,\"\",aaa\n\
                 PASS,333,us-east-1,x,aaa\n";
        let b = "status,account_id,region,reason,run_id\n\
                 FAIL,222,eu-west-1,y,bbb\n\
                 FAIL,222,eu-west-1,z,bbb\n";
        let (text, rows) = merge(&[a, b]).unwrap();
        assert_eq!(
            text,
            "status,account_id,region,reason,run_id\n\
             FAIL,111,eu-west-1,\"two\nlines, \"\"quoted\"\"\",merged\n\
             PASS,111,us-east-1,\"\",merged\n\
             FAIL,222,eu-west-1,y,merged\n\
             FAIL,222,eu-west-1,z,merged\n\
             PASS,333,us-east-1,x,merged\n"
        );
        assert_eq!(rows, [3, 2]);
    }

    #[test]
    fn refuses_overlapping_unordered_or_different_shards() {
        let h = "account_id,region,run_id\n";
        let overlap = merge(&[&format!("{h}111,r,a\n"), &format!("{h}111,r,b\n")]);
        assert!(overlap.unwrap_err().message.contains("more than one shard"));
        let unordered = merge(&[&format!("{h}222,r,a\n111,r,a\n")]);
        assert!(unordered
            .unwrap_err()
            .message
            .contains("not in account-region order"));
        let other = merge(&[h, "account_id,region,change,run_id\n"]).unwrap_err();
        assert_eq!(other.input, Some(1));
        assert!(merge(&[""]).unwrap_err().message.contains("no header"));
        let open = merge(&[&format!("{h}111,\"r,a\n")]).unwrap_err();
        assert!(open.message.contains("inside a quoted cell"));
    }

    #[test]
    fn cells_are_read_as_csv_reads_them() {
        let r = b"a,\"b,\"\"c\"\"\",,\"\"\r\n";
        let cells: Vec<_> = (0..5).map(|i| cell(r, i)).collect();
        assert_eq!(
            cells,
            [
                Some(b"a".to_vec()),
                Some(b"b,\"c\"".to_vec()),
                Some(Vec::new()),
                Some(Vec::new()),
                None
            ]
        );
    }
}
