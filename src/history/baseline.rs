//! A baseline from an earlier scan's output directory (`scan … --baseline DIR`): its
//! `findings.json` holds the record of that scan (`scan`), the records it was itself compared
//! with (`earlier_scans`, for the trend) and every finding as a row. A row that carries
//! `failing_since` (that scan had a baseline too) keeps its streak.

use super::record::{PastFinding, ScanRecord};
use crate::error::{Diagnostic, Error, Result};
use serde::Deserialize;
use std::path::Path;

/// The file of an output directory a baseline is read from.
pub const FINDINGS_JSON: &str = "findings.json";

/// Earlier scans a findings.json carries for the trend, at most (the oldest are dropped).
pub const MAX_EARLIER_SCANS: usize = 100;

/// An earlier scan to compare with.
pub struct Baseline {
    pub record: ScanRecord,
    pub findings: PastFindings,
    /// The scans before it that it knew of, oldest first.
    pub earlier: Vec<ScanRecord>,
}

impl Baseline {
    /// The scans a trend draws, oldest first: those before the baseline, the baseline, and
    /// `current`, at most [`MAX_EARLIER_SCANS`] before `current`.
    pub fn trend(&self, current: &ScanRecord) -> Vec<ScanRecord> {
        let mut scans = self.earlier_for_next();
        scans.push(current.clone());
        scans
    }

    /// Frees its findings, on a thread of their own: once compared they are not needed, and a
    /// million of them take a noticeable while to free.
    pub fn release_findings(&mut self) {
        let findings = std::mem::replace(&mut self.findings, PastFindings::Rows(Vec::new()));
        let _ = std::thread::Builder::new()
            .name("free-baseline".into())
            .spawn(move || drop(findings));
    }

    /// The scans the next findings.json names as earlier: those before the baseline and the
    /// baseline, the newest [`MAX_EARLIER_SCANS`].
    pub fn earlier_for_next(&self) -> Vec<ScanRecord> {
        let mut scans = self.earlier.clone();
        scans.push(self.record.clone());
        let skip = scans.len().saturating_sub(MAX_EARLIER_SCANS);
        scans.split_off(skip)
    }
}

/// A baseline's findings: rows of a findings.json, or a history's part (read as compared).
pub enum PastFindings {
    Rows(Vec<PastFinding>),
    Part(Box<super::PartScopes>),
}

/// The parts of findings.json a baseline needs; everything else (the summary, the stories)
/// is skipped.
#[derive(Deserialize)]
struct File {
    scan: Option<ScanRecord>,
    #[serde(default)]
    earlier_scans: Vec<ScanRecord>,
    findings: Vec<Row>,
}

#[derive(Deserialize)]
struct Row {
    rule_id: String,
    check: String,
    severity: String,
    status: String,
    account_id: String,
    region: String,
    resource_type: String,
    resource_arn: String,
    reason: String,
    #[serde(default)]
    failing_since: Option<String>,
}

/// Reads the baseline in output directory `dir` (its `findings.json`).
pub fn read_dir(dir: &Path) -> Result<Baseline> {
    let path = dir.join(FINDINGS_JSON);
    let bytes = crate::input::read_data(&path)
        .map_err(|d| Error::Invalid(vec![d]))?
        .ok_or_else(|| {
            Error::Usage(format!(
                "--baseline {}: no {FINDINGS_JSON} there; give the --out directory of an \
                 earlier scan that wrote json (the default --format does)",
                dir.display()
            ))
        })?;
    let file: File =
        crate::snapshot::parse_json(&path, &bytes).map_err(|d| Error::Invalid(vec![d]))?;
    let Some(record) = file.scan else {
        return Err(Error::Invalid(vec![Diagnostic::file(
            &path,
            "has no `scan` record: it was written by a backup-auditor without scan history; \
             scan that snapshot again with this version to use it as a baseline",
        )]));
    };
    let findings = file
        .findings
        .into_iter()
        .map(|r| PastFinding {
            // A streak is kept only where the row still fails.
            failing_since: r
                .failing_since
                .filter(|_| matches!(r.status.as_str(), "FAIL" | "WAIVED")),
            rule_id: r.rule_id,
            account_id: r.account_id,
            region: r.region,
            resource_arn: r.resource_arn,
            resource_type: r.resource_type,
            check: r.check,
            severity: r.severity,
            status: r.status,
            reason: r.reason,
        })
        .collect();
    Ok(Baseline {
        record,
        findings: PastFindings::Rows(findings),
        earlier: file.earlier_scans,
    })
}
