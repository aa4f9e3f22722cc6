//! What a history holds, as data: one record per scan (its commit point) and, per scan, the
//! findings as rows. The storage (local directory, S3) and the diff both speak these types.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The `format` of a [`ScanRecord`].
pub const SCAN_FORMAT: &str = "backup-auditor-scan/v1";

/// One scan of a history: `HISTORY/scans/<scan_id>.json`. Written last: a scan without its
/// record (an interrupted run) is not part of the history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanRecord {
    pub format: String,
    /// Sortable by time, unique by the run id: `20261206T095000Z-1a2b3c4d`.
    pub scan_id: String,
    /// When the scan ran (RFC 3339, UTC, seconds).
    pub scan_time: String,
    pub run_id: String,
    pub tool_version: String,
    /// The snapshot as given on the command line (a path, or `live`).
    pub snapshot: String,
    pub snapshot_collected_at: String,
    pub as_of: String,
    /// Digest of the whole rule set, and of each rule by id: a diff names the rules that
    /// changed, since they explain changes no resource caused.
    pub rules_digest: String,
    pub rule_digests: BTreeMap<String, String>,
    /// Digest of the waiver file (empty without one).
    pub waivers_digest: String,
    /// Every account-region the scan covered, with its status: two scans are comparable when
    /// they cover the same account-regions.
    pub scopes: Vec<ScopeRecord>,
    /// Findings per status (`FAIL`, `PASS`, …).
    pub by_status: BTreeMap<String, usize>,
    /// Unwaived FAIL findings per severity.
    pub failures_by_severity: BTreeMap<String, usize>,
    pub coverage: CoverageRecord,
    /// The same per account id, for a per-account trend.
    pub coverage_by_account: BTreeMap<String, CoverageRecord>,
    /// The findings' rows, relative to the history's root
    /// (`findings/scan_date=2026-12-06/part-<scan_id>.parquet`).
    pub findings_path: String,
    pub findings_rows: usize,
    /// The share of the organisation's accounts judged (`scan --shard`), if not all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<crate::shard::Shard>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeRecord {
    pub account_id: String,
    pub region: String,
    /// `complete`, `partial` or `failed`, as in the snapshot's manifest.
    pub status: String,
    /// Why it is not complete (empty when it is).
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CoverageRecord {
    pub protected: usize,
    pub unprotected: usize,
    pub not_assessed: usize,
    pub percent: f64,
}

/// One finding of a past scan, as much of it as a diff needs. The key of a finding across
/// scans is `(rule_id, account_id, region, resource_arn)` (the ARN is empty for a finding on
/// a whole account-region).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PastFinding {
    pub rule_id: String,
    pub account_id: String,
    pub region: String,
    pub resource_arn: String,
    pub resource_type: String,
    pub check: String,
    pub severity: String,
    pub status: String,
    pub reason: String,
    /// First scan time of the failing streak this finding was in (RFC 3339), if FAIL.
    pub failing_since: Option<String>,
}

impl PastFinding {
    pub fn key(&self) -> (&str, &str, &str, &str) {
        (
            &self.rule_id,
            &self.account_id,
            &self.region,
            &self.resource_arn,
        )
    }
}

/// What happened to a finding since the scan it is compared with (its baseline).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Change {
    /// FAIL now; PASS, or no such finding, in the baseline.
    New,
    /// FAIL now on a resource the baseline found protected.
    Regressed,
    /// FAIL in both; see `failing_since`.
    StillFailing,
    /// FAIL in the baseline, not now (listed by the diff, not among the current findings).
    Resolved,
    /// NOT_ASSESSED now, judged in the baseline.
    UnassessedNow,
    /// Judged now, NOT_ASSESSED in the baseline.
    AssessedAgain,
    Unchanged,
    /// The account-region was not assessed in one of the two scans: what changed is unknown.
    Unknown,
    /// UNDECIDABLE now: what decides it is known only once a planned change is applied.
    Undecidable,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Change::New => "new",
            Change::Regressed => "regressed",
            Change::StillFailing => "still-failing",
            Change::Resolved => "resolved",
            Change::UnassessedNow => "unassessed-now",
            Change::AssessedAgain => "assessed-again",
            Change::Unchanged => "unchanged",
            Change::Unknown => "unknown",
            Change::Undecidable => "undecidable",
        }
    }
}

/// A current finding's change, aligned with the evaluation's findings by index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingChange {
    pub change: Change,
    /// For a FAIL: the first scan time of its failing streak (this scan's time if it is new);
    /// shared, since millions of findings name a handful of times. A thin pointer: with the
    /// change, 16 bytes a finding rather than 24 (12.5M findings: 100 MB less to fault in).
    pub failing_since: Option<std::sync::Arc<String>>,
}

impl FindingChange {
    /// [`FindingChange::failing_since`] as text.
    pub fn since(&self) -> Option<&str> {
        self.failing_since.as_deref().map(String::as_str)
    }
}
