//! The history's stages: `scan --history` appends the scan and prunes; `history` lists the
//! scans.

use super::Output;
use crate::cli::{DiffArgs, DiffFormat, HistoryArgs, HistoryFormat, HistoryOpts};
use crate::error::{Error, Result};
use crate::findings::parquet::{findings_parquet, HistoryColumns};
use crate::history::diff::{self, Diff};
use crate::history::record::{CoverageRecord, ScanRecord};
use crate::history::History;
use crate::report::{self, Templates};
use crate::rules::Severity;
use serde::Serialize;

/// What `scan --history` did, for the terminal summary.
#[derive(Debug, Clone, Serialize)]
pub struct Recorded {
    pub location: String,
    pub scan_id: String,
    /// Scans `--keep-scans` / `--keep-days` removed.
    pub pruned: Vec<String>,
}

/// The history `--history` names, opened before anything is evaluated (a wrong location is
/// an input error, exit 2, with no report written).
pub(super) fn open(opts: &HistoryOpts) -> Result<Option<History>> {
    opts.history.as_deref().map(History::open).transpose()
}

/// The scan's findings part: findings with the history's columns and their changes, as
/// Parquet bytes. Made while the reports are written (it needs only the evaluation and the
/// diff), and put into the history only once they are.
pub(super) fn encode_part(
    out: &Output,
    history: &History,
    record: &ScanRecord,
    facts: Facts,
    diff: Option<&Diff>,
) -> Result<Vec<u8>> {
    let columns = part_columns(record, diff);
    let (inv, rules, findings, run_id) = facts;
    let mut part = Vec::new();
    findings_parquet(&mut part, inv, rules, findings, run_id, Some(&columns)).map_err(|e| {
        Error::Output {
            path: history.locate(&record.findings_path),
            message: e.to_string(),
        }
    })?;
    out.stage("encoded the history's findings");
    Ok(part)
}

fn part_columns<'a>(record: &'a ScanRecord, diff: Option<&'a Diff>) -> HistoryColumns<'a> {
    HistoryColumns {
        scan_id: &record.scan_id,
        scan_time: &record.scan_time,
        snapshot_collected_at: &record.snapshot_collected_at,
        rules_digest: &record.rules_digest,
        changes: diff.map(|d| d.changes.as_slice()),
    }
}

/// The scan's findings part when findings.csv is written too: encoded in findings.csv's own
/// pass from the same blocks (each finding resolved and dictionary-encoded once), and left
/// here for the history.
pub(super) struct SharedPart<'a> {
    pub columns: HistoryColumns<'a>,
    bytes: std::sync::Mutex<Option<Vec<u8>>>,
}

impl<'a> SharedPart<'a> {
    pub fn new(record: &'a ScanRecord, diff: Option<&'a Diff>) -> Self {
        SharedPart {
            columns: part_columns(record, diff),
            bytes: std::sync::Mutex::new(None),
        }
    }

    pub fn put(&self, part: Vec<u8>) {
        if let Ok(mut b) = self.bytes.lock() {
            *b = Some(part);
        }
    }

    /// The part findings.csv's pass made (called once the reports are written).
    pub fn take(&self, out: &Output, history: &History, record: &ScanRecord) -> Result<Vec<u8>> {
        let part = self.bytes.lock().ok().and_then(|mut b| b.take());
        let part = part.ok_or_else(|| Error::Output {
            path: history.locate(&record.findings_path),
            message: "findings.csv was written without the history's part".into(),
        })?;
        out.stage("encoded the history's findings (with findings.csv)");
        Ok(part)
    }
}

/// Appends the scan (its record and its findings part), then prunes, keeping the baseline
/// this scan was compared with.
pub(super) fn record(
    out: &Output,
    opts: &HistoryOpts,
    history: &History,
    record: &ScanRecord,
    part: &[u8],
) -> Result<Recorded> {
    let location = opts.history.clone().unwrap_or_default();
    history.append(record, |w| w.write_all(part))?;
    out.stage(&format!("appended scan {} to {location}", record.scan_id));
    let keep_scans = opts
        .keep_scans
        .map(|n| usize::try_from(n).unwrap_or(usize::MAX));
    // The newest scan (this one) is the next diff's baseline: prune never removes it.
    let pruned = history.prune(keep_scans, opts.keep_days, &[&record.scan_id])?;
    Ok(Recorded {
        location,
        scan_id: record.scan_id.clone(),
        pruned,
    })
}

/// What a history part is written from: the inventory, the rules, the findings, the run id.
pub(super) type Facts<'a> = (
    &'a crate::model::Inventory,
    &'a crate::rules::RuleSet,
    &'a [crate::findings::Finding],
    &'a str,
);

/// One scan as `history` lists it.
#[derive(Serialize)]
struct ScanLine<'a> {
    scan_time: &'a str,
    scan_id: &'a str,
    snapshot: &'a str,
    /// `I/N` for a shard's scan.
    shard: Option<String>,
    coverage: &'a CoverageRecord,
    /// Unwaived failures, most severe first.
    failures: Vec<(&'static str, usize)>,
    not_assessed_scopes: usize,
    scopes: usize,
}

#[derive(Serialize)]
struct HistoryView<'a> {
    location: &'a str,
    scans: Vec<ScanLine<'a>>,
}

pub(super) fn history_cmd(out: &Output, a: HistoryArgs) -> Result<u8> {
    let history = History::open(&a.location)?;
    let scans = history.scans()?;
    let text = match a.format {
        HistoryFormat::Json => {
            let mut t =
                serde_json::to_string_pretty(&scans).map_err(|e| Error::Usage(e.to_string()))?;
            t.push('\n');
            t
        }
        HistoryFormat::Text => {
            let templates = Templates::load(a.templates.templates.as_deref())?;
            let view = HistoryView {
                location: &a.location,
                scans: scans.iter().map(line).collect(),
            };
            templates.render("history.txt.j2", &view)?
        }
    };
    out.print(&text)?;
    Ok(crate::exit::OK)
}

fn line(s: &ScanRecord) -> ScanLine<'_> {
    let failures = Severity::NAMES
        .iter()
        .rev()
        .filter_map(|(name, _)| s.failures_by_severity.get(*name).map(|n| (*name, *n)))
        .filter(|(_, n)| *n > 0)
        .collect();
    ScanLine {
        scan_time: &s.scan_time,
        scan_id: &s.scan_id,
        snapshot: &s.snapshot,
        shard: s.shard.map(|s| s.to_string()),
        coverage: &s.coverage,
        failures,
        not_assessed_scopes: s
            .scopes
            .iter()
            .filter(|x| x.status != "complete" || !x.reason.is_empty())
            .count(),
        scopes: s.scopes.len(),
    }
}

/// `diff DIR [A] [B]`: what changed from scan A (default: the one before B) to scan B
/// (default: the newest).
pub(super) fn diff_cmd(out: &Output, a: DiffArgs) -> Result<u8> {
    let history = History::open(&a.location)?;
    let scans = history.scans()?;
    let find = |id: &str| {
        scans.iter().position(|s| s.scan_id == id).ok_or_else(|| {
            Error::Usage(format!(
                "{} holds no scan {id:?} (`backup-auditor history {}` lists them)",
                a.location, a.location
            ))
        })
    };
    let to = match &a.to {
        Some(id) => find(id)?,
        None => scans
            .len()
            .checked_sub(1)
            .ok_or_else(|| Error::Usage(format!("{} holds no scan yet", a.location)))?,
    };
    let from = match &a.from {
        Some(id) => find(id)?,
        None => to.checked_sub(1).ok_or_else(|| {
            Error::Usage(format!(
                "{} holds only one scan before or at {}: nothing to compare it with",
                a.location, scans[to].scan_id
            ))
        })?,
    };
    let (was, now) = (&scans[from], &scans[to]);
    let (mut past, mut later) = (history.findings(was)?, history.findings(now)?);
    let changes = diff::diff(was, &mut past, now, &mut later)?;
    let format = match a.format {
        DiffFormat::Text => report::diff::DiffFormat::Text,
        DiffFormat::Markdown => report::diff::DiffFormat::Markdown,
        DiffFormat::Json => report::diff::DiffFormat::Json,
        DiffFormat::Csv => report::diff::DiffFormat::Csv,
    };
    let templates = Templates::load(a.templates.templates.as_deref())?;
    out.print(&report::diff::render(&templates, &changes, format)?)?;
    Ok(crate::exit::OK)
}
