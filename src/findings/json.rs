//! `findings.json`: run metadata, the summary, every finding, and the story of every resource,
//! streamed: rendered in parallel chunks and written in order.

use super::columns::{change_cells, row_cells, CHANGE_COLUMNS, FINDING_COLUMNS};
use super::ordered::{write_ordered, write_ordered_with, Pool};
use super::summary::{CountRow, Summary};
use super::{Finding, Row};
use crate::engine::{story, Evaluation, Judged};
use crate::history::baseline::FINDINGS_JSON;
use crate::history::diff::Diff;
use crate::history::record::{FindingChange, ScanRecord};
use crate::model::Inventory;
use crate::rules::RuleSet;
use crate::snapshot::time::rfc3339;
use serde::Serialize;
use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};

/// Findings per rendering task.
const CHUNK: usize = 8_192;
/// Stories per rendering task: each is a few hundred bytes to a few kilobytes.
const STORY_CHUNK: usize = 512;

/// `findings.json`: run metadata, summary and every finding, streamed.
#[derive(Serialize)]
pub struct JsonReport<'a> {
    pub format: &'static str,
    pub tool_version: &'static str,
    /// With `run_at`, the only fields that change between two runs on the same inputs.
    pub run_id: &'a str,
    pub run_at: String,
    pub snapshot: String,
    pub collected_at: String,
    pub as_of: String,
    pub rule_sources: &'a [String],
    pub waiver_file: Option<String>,
    pub summary: &'a Summary,
    /// The record of this scan: what a later scan's `--baseline` reads back.
    pub scan: ScanRecord,
    /// The scans before this one that its baseline knew of, oldest first (the trend).
    pub earlier_scans: &'a [ScanRecord],
    /// What changed since the baseline, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<&'a Diff>,
    pub findings: FindingsSeq<'a>,
}

impl<'a> JsonReport<'a> {
    /// The report of a scan of `inv` by `rules` with no baseline, whose record is `record`
    /// (counted) and whose findings are `findings`.
    pub fn of(
        (inv, rules): (&'a Inventory, &'a RuleSet),
        (summary, record): (&'a Summary, &ScanRecord),
        findings: &'a [Finding],
        run: (&'a str, String),
        (snapshot, waiver_file): (String, Option<String>),
    ) -> JsonReport<'a> {
        JsonReport {
            format: "backup-auditor-findings/v1",
            tool_version: env!("CARGO_PKG_VERSION"),
            run_id: run.0,
            run_at: run.1,
            snapshot,
            collected_at: rfc3339(inv.collected_at),
            as_of: rfc3339(inv.as_of),
            rule_sources: &rules.sources,
            waiver_file,
            summary,
            // Read back by a later scan's --baseline: the findings it points to are here.
            scan: ScanRecord {
                findings_path: FINDINGS_JSON.into(),
                ..record.clone()
            },
            earlier_scans: &[],
            diff: None,
            findings: FindingsSeq {
                inv,
                rules,
                findings,
            },
        }
    }
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

/// Writes `report` with every finding, then `stories`: the story of every resource of the
/// inventory, in scope and resource order, exactly as `explain --format json` tells it
/// (without the verdicts, which are the findings).
pub fn findings_json(
    w: &mut dyn Write,
    report: &JsonReport,
    eval: &Evaluation,
) -> std::io::Result<()> {
    // Compact JSON with one finding per line: at a million resources the findings are several
    // GB, and indentation alone would add a fifth to what has to be formatted and written.
    let FindingsSeq {
        inv,
        rules,
        findings,
    } = report.findings;
    let changes = report.diff.map(|d| d.changes.as_slice());
    head(w, report)?;
    rows(&Pool::default(), w, (inv, rules), findings, changes, true)?;
    between(w, !findings.is_empty())?;
    let homes = homes(inv, 0..inv.scopes.len());
    stories(w, &homes, true, |si, ri| {
        Some(story::tell(inv, eval, si, ri))
    })?;
    end(w, !homes.is_empty())
}

/// The report with no findings, up to the `[` that opens them: the head holds the summary,
/// so a streamed scan writes it last and its findings and stories after it.
fn head(w: &mut dyn Write, report: &JsonReport) -> std::io::Result<()> {
    // The head is the report with no findings, whose closing `[]}` is left out.
    let head = JsonReport {
        run_at: report.run_at.clone(),
        snapshot: report.snapshot.clone(),
        collected_at: report.collected_at.clone(),
        as_of: report.as_of.clone(),
        waiver_file: report.waiver_file.clone(),
        scan: report.scan.clone(),
        findings: FindingsSeq {
            findings: &[],
            ..report.findings
        },
        ..*report
    };
    let mut hold = HoldBack {
        inner: &mut *w,
        buf: Vec::with_capacity(HoldBack::FLUSH_AT + 4096),
    };
    serde_json::to_writer(&mut hold, &head).map_err(std::io::Error::other)?;
    hold.finish()?;
    w.write_all(b"[")
}

/// `findings` as rows of the findings array, rendered in parallel; `first`: whether they are
/// the array's first.
fn rows(
    spare: &Pool<u8>,
    w: &mut dyn Write,
    (inv, rules): (&Inventory, &RuleSet),
    findings: &[Finding],
    changes: Option<&[FindingChange]>,
    first: bool,
) -> std::io::Result<()> {
    write_ordered_with(spare, w, findings.len().div_ceil(CHUNK), |t, buf| {
        let chunk = &findings[t * CHUNK..((t + 1) * CHUNK).min(findings.len())];
        for (i, f) in chunk.iter().enumerate() {
            buf.extend_from_slice(separator(first && t == 0 && i == 0));
            let change = changes.map(|c| &c[t * CHUNK + i]);
            json_row(buf, &f.row(inv, rules), change)?;
        }
        Ok(())
    })
}

/// What comes before an element of an array written one element a line.
fn separator(first: bool) -> &'static [u8] {
    if first {
        b"\n"
    } else {
        b",\n"
    }
}

/// Closes the findings (`any`: whether there were some) and opens the stories.
fn between(w: &mut dyn Write, any: bool) -> std::io::Result<()> {
    w.write_all(if any { b"\n]" } else { b"]" })?;
    w.write_all(b",\"stories\":[")
}

/// Closes the stories (`any`: whether there were some) and the report.
fn end(w: &mut dyn Write, any: bool) -> std::io::Result<()> {
    w.write_all(if any { b"\n" } else { b"" })?;
    w.write_all(b"]}\n")
}

/// Every resource of the scopes `scopes`, as (scope, resource) indices, in order.
fn homes(inv: &Inventory, scopes: std::ops::Range<usize>) -> Vec<(usize, usize)> {
    scopes
        .flat_map(|si| (0..inv.scopes[si].resources.len()).map(move |ri| (si, ri)))
        .collect()
}

/// The stories of `homes`, told by `tell` (none where the resource was judged without its
/// story), rendered in parallel; `first`: whether they are the array's first.
fn stories<'a>(
    w: &mut dyn Write,
    homes: &[(usize, usize)],
    first: bool,
    tell: impl Fn(usize, usize) -> Option<story::Story<'a>> + Sync,
) -> std::io::Result<()> {
    write_ordered(w, homes.len().div_ceil(STORY_CHUNK), |t, buf| {
        let chunk = &homes[t * STORY_CHUNK..((t + 1) * STORY_CHUNK).min(homes.len())];
        for (i, &(si, ri)) in chunk.iter().enumerate() {
            buf.extend_from_slice(separator(first && t == 0 && i == 0));
            let story = tell(si, ri)
                .ok_or_else(|| std::io::Error::other("account-regions judged without stories"))?;
            serde_json::to_writer(&mut *buf, &story).map_err(std::io::Error::other)?;
        }
        Ok(())
    })
}

/// `findings.json` written as batches of account-regions are judged: each batch's findings
/// and stories go to two scratch files, and `finish` writes the head (which holds the
/// summary of every batch) and then copies them after it. The bytes are those
/// [`findings_json`] writes.
pub struct JsonStream {
    rows: BufWriter<File>,
    stories: BufWriter<File>,
    /// The summary's count rows (summary.csv's), which the head holds.
    counts: BufWriter<File>,
    any_row: bool,
    any_story: bool,
    any_count: bool,
    spare: Pool<u8>,
}

impl JsonStream {
    /// A stream into three scratch files (unnamed, opened for reading and writing): the
    /// findings, the stories and the summary's count rows.
    pub fn new([rows, stories, counts]: [File; 3]) -> JsonStream {
        let buffered = |f| BufWriter::with_capacity(1 << 20, f);
        JsonStream {
            rows: buffered(rows),
            stories: buffered(stories),
            counts: buffered(counts),
            any_row: false,
            any_story: false,
            any_count: false,
            spare: Pool::default(),
        }
    }

    /// Adds count rows of the summary (those of the batches added since the last call).
    pub fn add_counts(&mut self, rows: &[CountRow]) -> std::io::Result<()> {
        for row in rows {
            if self.any_count {
                self.counts.write_all(b",")?;
            }
            serde_json::to_writer(&mut self.counts, row).map_err(std::io::Error::other)?;
            self.any_count = true;
        }
        Ok(())
    }

    /// The findings and stories of `b` (held whole in `inv`).
    pub fn add(&mut self, (inv, rules): (&Inventory, &RuleSet), b: &Judged) -> std::io::Result<()> {
        let w = &mut self.rows;
        rows(
            &self.spare,
            w,
            (inv, rules),
            b.findings,
            None,
            !self.any_row,
        )?;
        self.any_row |= !b.findings.is_empty();
        let homes = homes(inv, b.scopes());
        let tell = |si: usize, ri: usize| {
            let judged = b.story_of(si, ri);
            judged.map(|judged| story::tell_judged(inv, si, ri, judged))
        };
        stories(&mut self.stories, &homes, !self.any_story, tell)?;
        self.any_story |= !homes.is_empty();
        Ok(())
    }

    /// Writes `report` (whose findings are not read, and whose summary has no count rows)
    /// with every count row, finding and story added, into `file`: the scratch files are
    /// copied in the kernel.
    pub fn finish(self, file: &mut File, report: &JsonReport) -> std::io::Result<()> {
        let mut first = Vec::new();
        head(&mut first, report)?;
        // The summary's count rows are its last field, and the record of the scan follows:
        // no string value holds an unescaped quote, so this is found once, where they go.
        let (opened, rest) = (br#""counts":["#, br#"]},"scan":{"#);
        let mark = [&opened[..], &rest[..]].concat();
        let found: Vec<usize> = (memchr::memmem::find_iter(&first, &mark))
            .map(|at| at + opened.len())
            .collect();
        let [at] = found[..] else {
            return Err(std::io::Error::other(
                "unexpected JSON layout: the summary's count rows are not found once",
            ));
        };
        file.write_all(&first[..at])?;
        append(file, self.counts)?;
        file.write_all(&first[at..])?;
        append(file, self.rows)?;
        between(file, self.any_row)?;
        append(file, self.stories)?;
        end(file, self.any_story)
    }
}

/// Copies what was written to `part` to the end of `file` (in the kernel, where it can).
fn append(file: &mut File, part: BufWriter<File>) -> std::io::Result<()> {
    let mut part = part.into_inner().map_err(|e| e.into_error())?;
    part.seek(SeekFrom::Start(0))?;
    std::io::copy(&mut part, file).map(|_| ())
}

/// One finding exactly as `serde_json::to_writer` prints a [`Row`], without going through
/// serde: most cells need no escaping and are copied as they are. With a baseline, its
/// `change` and `failing_since` (`null` when it is not failing) follow.
fn json_row(buf: &mut Vec<u8>, r: &Row, change: Option<&FindingChange>) -> std::io::Result<()> {
    for (i, (name, value)) in FINDING_COLUMNS.iter().zip(row_cells(r)).enumerate() {
        buf.extend_from_slice(if i == 0 { b"{\"" } else { b",\"" });
        json_cell(buf, name, Some(value))?;
    }
    if let Some(c) = change {
        let (change, since) = change_cells(c);
        for (name, value) in CHANGE_COLUMNS.iter().zip([Some(change), since]) {
            buf.extend_from_slice(b",\"");
            json_cell(buf, name, value)?;
        }
    }
    buf.push(b'}');
    Ok(())
}

/// `name":value` (the opening quote is the caller's).
fn json_cell(buf: &mut Vec<u8>, name: &str, value: Option<&str>) -> std::io::Result<()> {
    buf.extend_from_slice(name.as_bytes());
    buf.extend_from_slice(b"\":");
    let Some(value) = value else {
        buf.extend_from_slice(b"null");
        return Ok(());
    };
    // JSON escapes `"`, `\\` and control characters only.
    let plain = !value.bytes().fold(false, |esc, b| {
        esc | (b < 0x20) | (b == b'"') | (b == b'\\')
    });
    if plain {
        buf.push(b'"');
        buf.extend_from_slice(value.as_bytes());
        buf.push(b'"');
    } else {
        serde_json::to_writer(&mut *buf, value).map_err(std::io::Error::other)?;
    }
    Ok(())
}

/// Passes a compact report with an empty `findings` array through, except its final `[]}`,
/// buffering the many small writes of the serializer.
struct HoldBack<'w> {
    inner: &'w mut dyn Write,
    buf: Vec<u8>,
}

impl HoldBack<'_> {
    const TAIL: &'static [u8] = b"[]}";
    const FLUSH_AT: usize = 1 << 18;

    fn finish(self) -> std::io::Result<()> {
        match self.buf.strip_suffix(Self::TAIL) {
            Some(rest) => self.inner.write_all(rest),
            None => Err(std::io::Error::other(
                "unexpected JSON layout: findings.json does not end with its findings",
            )),
        }
    }
}

impl Write for HoldBack<'_> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= Self::FLUSH_AT {
            let n = self.buf.len() - Self::TAIL.len();
            self.inner.write_all(&self.buf[..n])?;
            self.buf.drain(..n);
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `json_row` must print exactly what serde prints for a `Row`.
    #[test]
    fn json_rows_match_serde() {
        let tricky = "quote \" backslash \\ tab \t newline \n nul \u{0} del \u{7f} é ✓";
        let mut row = Row {
            rule_id: "backup-protected",
            check: "protected",
            severity: "high",
            status: "FAIL",
            account_id: "111111111111",
            account_name: "",
            region: "us-east-1",
            resource_type: "ec2-instance",
            resource_arn: "arn:aws:ec2:us-east-1:111111111111:instance/i-1",
            resource_name: "=cmd|' /C calc'!A0",
            reason: tricky,
            plan: "",
            selection: "",
            backup_rule: "",
            vault: "",
            recovery_point: "",
            through: "",
        };
        for reason in [tricky, "plain", ""] {
            row.reason = reason;
            let mut mine = Vec::new();
            json_row(&mut mine, &row, None).unwrap();
            assert_eq!(
                String::from_utf8(mine).unwrap(),
                serde_json::to_string(&row).unwrap()
            );
        }
    }
}
