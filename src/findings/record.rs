//! The record of one scan in a history (`scans/<scan_id>.json`): what was judged, by which
//! rules and waivers, with which coverage and counts. Built from the evaluation, then
//! counted from the scan's summary (the diff needs the first part only, so it runs while the
//! summary is made); the history stores it (`history::History::append`).

use super::summary::{self, Coverage, Summary};
use crate::digest::sha256_hex;
use crate::error::{Error, Result};
use crate::history::record::{CoverageRecord, ScanRecord, ScopeRecord, SCAN_FORMAT};
use crate::history::{part_path, scan_id};
use crate::model::Inventory;
use crate::rules::{Rule, RuleSet};
use crate::snapshot::time::rfc3339;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::path::Path;

/// What a scan has, for its record (before its summary).
pub struct ScanFacts<'a> {
    pub inv: &'a Inventory,
    pub rules: &'a RuleSet,
    /// Coverage per account id, and the findings (one row each in the history's part).
    pub coverage_by_account: &'a BTreeMap<String, Coverage>,
    pub findings_rows: usize,
    /// The waiver file given (`--waivers`), if any.
    pub waivers: Option<&'a Path>,
    pub run_id: &'a str,
    pub run_at: DateTime<Utc>,
    /// The snapshot as given on the command line, or `live`.
    pub snapshot: &'a str,
}

pub fn scan_record(f: &ScanFacts) -> Result<ScanRecord> {
    let time = whole_seconds(f.run_at);
    let id = scan_id(time, f.run_id);
    let rule_digests: BTreeMap<String, String> = f
        .rules
        .rules
        .iter()
        .map(|r| (r.id.clone(), rule_digest(r)))
        .collect();
    Ok(ScanRecord {
        format: SCAN_FORMAT.into(),
        findings_path: part_path(&id, time),
        scan_id: id,
        scan_time: rfc3339(time),
        run_id: f.run_id.into(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        snapshot: f.snapshot.into(),
        snapshot_collected_at: rfc3339(f.inv.collected_at),
        as_of: rfc3339(f.inv.as_of),
        rules_digest: rules_digest(&rule_digests),
        rule_digests,
        waivers_digest: match f.waivers {
            Some(p) => file_digest(p)?,
            None => String::new(),
        },
        scopes: scopes(f.inv),
        shard: f.inv.shard,
        by_status: BTreeMap::new(),
        failures_by_severity: BTreeMap::new(),
        coverage: CoverageRecord::default(),
        coverage_by_account: (f.coverage_by_account.iter())
            .map(|(account, c)| (account.clone(), coverage_record(c)))
            .collect(),
        findings_rows: f.findings_rows,
    })
}

/// `record` with the counts and coverage of the scan's summary.
pub fn counted(record: ScanRecord, s: &Summary) -> ScanRecord {
    ScanRecord {
        by_status: s
            .by_status
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect(),
        failures_by_severity: s
            .failures_by_severity
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), *v))
            .collect(),
        coverage: coverage_record(&s.coverage),
        ..record
    }
}

/// The record keeps whole seconds: its id and its time must say the same.
fn whole_seconds(t: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::Timelike;
    t.with_nanosecond(0).unwrap_or(t)
}

/// A rule's digest: SHA-256 of its definition as data, without where it is defined (moving
/// a rule within its file or to another file changes nothing it judges).
pub fn rule_digest(rule: &Rule) -> String {
    let mut value = serde_json::to_value(rule).unwrap_or_default();
    if let Some(map) = value.as_object_mut() {
        map.remove("source");
    }
    sha256_hex(value.to_string().as_bytes())
}

/// The rule set's digest: of every rule's id and digest, in id order (the order rules are
/// loaded in changes no verdict).
fn rules_digest(rule_digests: &BTreeMap<String, String>) -> String {
    let text: String = rule_digests
        .iter()
        .map(|(id, d)| format!("{id}\t{d}\n"))
        .collect();
    sha256_hex(text.as_bytes())
}

pub(crate) fn file_digest(path: &Path) -> Result<String> {
    let bytes = crate::input::read_bounded(path, crate::input::TEXT_LIMIT)
        .map_err(|d| Error::Invalid(vec![d]))?
        .unwrap_or_default();
    Ok(sha256_hex(&bytes))
}

/// Every account-region, with why it was not fully assessed (as the summary says).
fn scopes(inv: &Inventory) -> Vec<ScopeRecord> {
    let not_assessed = summary::not_assessed_scopes(inv);
    inv.scopes
        .iter()
        .map(|scope| {
            let reason = not_assessed
                .iter()
                .find(|n| n.account_id == scope.account_id && n.region == scope.region)
                .map(|n| n.reason.clone())
                .unwrap_or_default();
            ScopeRecord {
                account_id: scope.account_id.clone(),
                region: scope.region.clone(),
                status: serde_json::to_value(scope.status)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                reason,
            }
        })
        .collect()
}

fn coverage_record(c: &Coverage) -> CoverageRecord {
    CoverageRecord {
        protected: c.protected,
        unprotected: c.unprotected,
        not_assessed: c.not_assessed,
        percent: c.percent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Severity;

    #[test]
    fn a_rule_s_digest_ignores_where_it_is_defined_and_follows_what_it_judges() {
        let rules = RuleSet::default_policy().unwrap();
        let mut r = rules.rules[0].clone();
        let d = rule_digest(&r);
        assert_eq!(d.len(), 64);
        r.source = "elsewhere.yaml:9".into();
        assert_eq!(rule_digest(&r), d);
        r.severity = match r.severity {
            Severity::Low => Severity::High,
            _ => Severity::Low,
        };
        assert_ne!(rule_digest(&r), d);
        // The set's digest does not depend on the order the rules were loaded in.
        let digests: BTreeMap<String, String> = rules
            .rules
            .iter()
            .rev()
            .map(|r| (r.id.clone(), rule_digest(r)))
            .collect();
        let forward = rules.rules.iter().map(|r| (r.id.clone(), rule_digest(r)));
        assert_eq!(rules_digest(&digests), rules_digest(&forward.collect()));
    }
}
