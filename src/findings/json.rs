//! `findings.json`: run metadata, the summary, every finding, and the story of every resource,
//! streamed: rendered in parallel chunks and written in order.

use super::columns::{change_cells, row_cells, CHANGE_COLUMNS, FINDING_COLUMNS};
use super::ordered::write_ordered;
use super::summary::Summary;
use super::{Finding, Row};
use crate::engine::{story, Evaluation};
use crate::history::diff::Diff;
use crate::history::record::{FindingChange, ScanRecord};
use crate::model::Inventory;
use crate::rules::RuleSet;
use serde::Serialize;
use std::io::Write;

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
    // The head is the report with no findings, whose closing `[]}` is replaced by the array,
    // rendered in parallel.
    let findings = &report.findings;
    let head = JsonReport {
        format: report.format,
        tool_version: report.tool_version,
        run_id: report.run_id,
        run_at: report.run_at.clone(),
        snapshot: report.snapshot.clone(),
        collected_at: report.collected_at.clone(),
        as_of: report.as_of.clone(),
        rule_sources: report.rule_sources,
        waiver_file: report.waiver_file.clone(),
        summary: report.summary,
        scan: report.scan.clone(),
        earlier_scans: report.earlier_scans,
        diff: report.diff,
        findings: FindingsSeq {
            findings: &[],
            ..*findings
        },
    };
    let changes = report.diff.map(|d| d.changes.as_slice());
    let mut hold = HoldBack {
        inner: &mut *w,
        buf: Vec::with_capacity(HoldBack::FLUSH_AT + 4096),
    };
    serde_json::to_writer(&mut hold, &head).map_err(std::io::Error::other)?;
    hold.finish()?;

    let all = findings.findings;
    w.write_all(b"[")?;
    write_ordered(w, all.len().div_ceil(CHUNK), |t, buf| {
        let chunk = &all[t * CHUNK..((t + 1) * CHUNK).min(all.len())];
        for (i, f) in chunk.iter().enumerate() {
            buf.extend_from_slice(if t == 0 && i == 0 { b"\n" } else { b",\n" });
            let change = changes.map(|c| &c[t * CHUNK + i]);
            json_row(buf, &f.row(findings.inv, findings.rules), change)?;
        }
        Ok(())
    })?;
    w.write_all(if all.is_empty() { b"]" } else { b"\n]" })?;
    w.write_all(b",\"stories\":[")?;
    stories_json(w, findings.inv, eval)?;
    w.write_all(b"]}\n")
}

fn stories_json(w: &mut dyn Write, inv: &Inventory, eval: &Evaluation) -> std::io::Result<()> {
    let homes: Vec<(usize, usize)> = inv
        .scopes
        .iter()
        .enumerate()
        .flat_map(|(si, s)| (0..s.resources.len()).map(move |ri| (si, ri)))
        .collect();
    write_ordered(w, homes.len().div_ceil(STORY_CHUNK), |t, buf| {
        let chunk = &homes[t * STORY_CHUNK..((t + 1) * STORY_CHUNK).min(homes.len())];
        for (i, &(si, ri)) in chunk.iter().enumerate() {
            buf.extend_from_slice(if t == 0 && i == 0 { b"\n" } else { b",\n" });
            serde_json::to_writer(&mut *buf, &story::tell(inv, eval, si, ri))
                .map_err(std::io::Error::other)?;
        }
        Ok(())
    })?;
    w.write_all(if homes.is_empty() { b"" } else { b"\n" })
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
