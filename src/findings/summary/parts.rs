//! A shard's summary as `shard.json` keeps it, and the organisation's summary joined from its
//! shards' (`merge`). A shard owns whole accounts, so every count is a sum, every list of
//! account-regions an interleaving in account-region order, a waiver's hits the sum of its
//! hits, and a rule judged nothing only if it judged nothing in every shard.

use super::{
    percent, Coverage, IdleRule, Judged, NotAssessedScope, ScheduleWarning, Summary, Totals,
    WaiverNote,
};
use crate::findings::not_judged::NotJudgedSummary;
use crate::findings::{Finding, Status};
use crate::rules::waiver::Waiver;
use crate::rules::{RuleSet, Severity};
use crate::snapshot::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Unwaived FAIL findings of one rule (the printed summary's "top failing rules").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleFailures {
    pub rule_id: String,
    pub severity: Severity,
    pub count: usize,
}

/// A waiver's note and whether it had expired, in the waiver file's order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WaiverState {
    #[serde(flatten)]
    pub note: WaiverNote,
    pub expired: bool,
}

/// A shard's [`Summary`] but its count rows (summary.csv holds those), with its failures per
/// rule and every waiver in file order, which a merge needs and a summary does not keep.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShardSummary {
    pub scopes: usize,
    pub resources: usize,
    pub findings: usize,
    pub by_status: BTreeMap<String, usize>,
    pub failures_by_severity: BTreeMap<Severity, usize>,
    /// In rule order; rules without a failure left out.
    pub failures_by_rule: Vec<RuleFailures>,
    pub coverage: Coverage,
    pub not_assessed_scopes: Vec<NotAssessedScope>,
    pub not_judged: NotJudgedSummary,
    pub rules: usize,
    pub resource_rules: usize,
    pub judged: Judged,
    pub rules_matching_nothing: Vec<IdleRule>,
    pub schedule_warnings: Vec<ScheduleWarning>,
    pub waivers: Vec<WaiverState>,
}

/// Each waiver's note, in file order.
pub(super) fn waiver_notes(
    waivers: &[Waiver],
    hits: &[usize],
    as_of: Timestamp,
) -> Vec<WaiverState> {
    (waivers.iter().zip(hits))
        .map(|(w, &hits)| WaiverState {
            note: WaiverNote {
                source: w.source.clone(),
                rule: w.rule.clone(),
                resource: w.resource.clone(),
                reason: w.reason.clone(),
                owner: w.owner.clone(),
                expires: w.expires.map(|e| e.format("%Y-%m-%d").to_string()),
                hits,
            },
            expired: w.is_expired(as_of),
        })
        .collect()
}

/// The waivers as a summary lists them: active, expired, and unused (matching no failure).
pub(super) fn split_waivers(
    states: Vec<WaiverState>,
) -> (Vec<WaiverNote>, Vec<WaiverNote>, Vec<WaiverNote>) {
    let (mut active, mut expired, mut unused) = (Vec::new(), Vec::new(), Vec::new());
    for s in states {
        match (s.expired, s.note.hits) {
            (true, _) => expired.push(s.note),
            (false, 0) => unused.push(s.note),
            (false, _) => active.push(s.note),
        }
    }
    (active, expired, unused)
}

/// Unwaived FAIL findings per rule (indexed like the rules).
pub fn failures_by_rule(rules: &RuleSet, findings: &[Finding]) -> Vec<usize> {
    let mut fails = vec![0usize; rules.rules.len()];
    for f in findings.iter().filter(|f| f.status == Status::Fail) {
        fails[f.rule as usize] += 1;
    }
    fails
}

/// What a shard's scan says of itself: for `shard.json`.
pub struct ShardSource<'a> {
    pub summary: &'a Summary,
    pub rules: &'a RuleSet,
    /// Indexed like the rules ([`failures_by_rule`]).
    pub failures_by_rule: &'a [usize],
    pub waivers: &'a [Waiver],
    pub waiver_hits: &'a [usize],
    pub as_of: Timestamp,
}

impl ShardSummary {
    pub fn of(src: &ShardSource) -> ShardSummary {
        let s = src.summary;
        let fails = src.failures_by_rule.iter().copied();
        ShardSummary {
            scopes: s.scopes,
            resources: s.resources,
            findings: s.findings,
            by_status: (s.by_status.iter())
                .map(|(k, n)| ((*k).to_owned(), *n))
                .collect(),
            failures_by_severity: s.failures_by_severity.clone(),
            failures_by_rule: (src.rules.rules.iter().zip(fails))
                .filter(|(_, n)| *n > 0)
                .map(|(r, count)| RuleFailures {
                    rule_id: r.id.clone(),
                    severity: r.severity,
                    count,
                })
                .collect(),
            coverage: s.coverage.clone(),
            not_assessed_scopes: s.not_assessed_scopes.clone(),
            not_judged: s.not_judged.clone(),
            rules: s.rules,
            resource_rules: s.resource_rules,
            judged: s.judged.clone(),
            rules_matching_nothing: s.rules_matching_nothing.clone(),
            schedule_warnings: s.schedule_warnings.clone(),
            waivers: waiver_notes(src.waivers, src.waiver_hits, src.as_of),
        }
    }
}

/// Sums `n` of every part.
fn sum<T>(parts: &[T], n: impl Fn(&T) -> usize) -> usize {
    parts.iter().map(n).sum()
}

/// Every part's items, stably in account-region order: a shard lists its own account-regions
/// in that order, and no two shards share an account.
fn interleaved<T: Clone>(
    parts: &[ShardSummary],
    items: impl Fn(&ShardSummary) -> &[T],
    key: impl Fn(&T) -> (&str, &str),
) -> Vec<T> {
    let mut all: Vec<T> = parts.iter().flat_map(|p| items(p).to_vec()).collect();
    all.sort_by(|a, b| key(a).cmp(&key(b)));
    all
}

/// The organisation's summary but its count rows (summary.csv's, merged from the shards'
/// files), from every shard's, and its failures per rule (for the printed
/// summary to rank). An error says why the parts cannot be one organisation's.
pub fn merge(parts: &[ShardSummary]) -> Result<(Totals, Vec<RuleFailures>), String> {
    let first = parts.first().ok_or("no shard to merge")?;
    let mut by_status = BTreeMap::new();
    let mut failures_by_severity = BTreeMap::new();
    let mut by_rule: Vec<RuleFailures> = Vec::new();
    for p in parts {
        if (p.rules, p.resource_rules, p.waivers.len())
            != (first.rules, first.resource_rules, first.waivers.len())
        {
            return Err("the shards were judged with different rules or waivers".into());
        }
        for (status, n) in &p.by_status {
            let known = Status::ALL.iter().find(|s| s.as_str() == status);
            let status = known.ok_or_else(|| format!("unknown status {status:?}"))?;
            *by_status.entry(status.as_str()).or_insert(0) += n;
        }
        for (severity, n) in &p.failures_by_severity {
            *failures_by_severity.entry(*severity).or_insert(0) += n;
        }
        for r in &p.failures_by_rule {
            match by_rule.iter_mut().find(|m| m.rule_id == r.rule_id) {
                Some(m) => m.count += r.count,
                None => by_rule.push(r.clone()),
            }
        }
    }
    let (yes, no) = (
        sum(parts, |p| p.coverage.protected),
        sum(parts, |p| p.coverage.unprotected),
    );
    let waivers = (0..first.waivers.len()).map(|i| WaiverState {
        note: WaiverNote {
            hits: sum(parts, |p| p.waivers[i].note.hits),
            ..first.waivers[i].note.clone()
        },
        expired: parts.iter().any(|p| p.waivers[i].expired),
    });
    let (waivers_active, waivers_expired, waivers_unused) = split_waivers(waivers.collect());
    let idle_everywhere = |r: &&IdleRule| {
        (parts.iter()).all(|p| p.rules_matching_nothing.iter().any(|q| q.id == r.id))
    };
    let summary = Totals {
        scopes: sum(parts, |p| p.scopes),
        resources: sum(parts, |p| p.resources),
        findings: sum(parts, |p| p.findings),
        by_status,
        failures_by_severity,
        coverage: Coverage {
            protected: yes,
            unprotected: no,
            not_assessed: sum(parts, |p| p.coverage.not_assessed),
            through_cluster: sum(parts, |p| p.coverage.through_cluster),
            percent: percent(yes, yes + no),
        },
        not_assessed_scopes: interleaved(
            parts,
            |p| &p.not_assessed_scopes,
            |s| (&s.account_id, &s.region),
        ),
        not_judged: not_judged(parts),
        rules: first.rules,
        resource_rules: first.resource_rules,
        judged: Judged {
            resources: sum(parts, |p| p.judged.resources),
            vaults: sum(parts, |p| p.judged.vaults),
            recovery_points: sum(parts, |p| p.judged.recovery_points),
        },
        rules_matching_nothing: (first.rules_matching_nothing.iter())
            .filter(idle_everywhere)
            .cloned()
            .collect(),
        schedule_warnings: interleaved(
            parts,
            |p| &p.schedule_warnings,
            |w| (&w.account_id, &w.region),
        ),
        waivers_active,
        waivers_expired,
        waivers_unused,
    };
    Ok((summary, by_rule))
}

fn not_judged(parts: &[ShardSummary]) -> NotJudgedSummary {
    let types = |of: fn(&NotJudgedSummary) -> &Vec<String>| -> Vec<String> {
        let all: BTreeSet<&String> = parts.iter().flat_map(|p| of(&p.not_judged)).collect();
        all.into_iter().cloned().collect()
    };
    NotJudgedSummary {
        items: parts.iter().map(|p| p.not_judged.items).sum(),
        item_types: types(|n| &n.item_types),
        backed_up: parts.iter().map(|p| p.not_judged.backed_up).sum(),
        backed_up_types: types(|n| &n.backed_up_types),
        scopes: interleaved(
            parts,
            |p| &p.not_judged.scopes,
            |s| (&s.account_id, &s.region),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::ScopeStatus;

    /// A shard of one account-region with one failure of `rule`, idle `rules`, and one
    /// waiver with `hits` (expired or not).
    fn part(account: &str, rule: &str, idle: &[&str], hits: usize, expired: bool) -> ShardSummary {
        let region = "eu-west-1".to_owned();
        ShardSummary {
            scopes: 1,
            resources: 2,
            findings: 3,
            by_status: [("FAIL".to_owned(), 1), ("PASS".to_owned(), 2)].into(),
            failures_by_severity: [(Severity::High, 1)].into(),
            failures_by_rule: vec![RuleFailures {
                rule_id: rule.into(),
                severity: Severity::High,
                count: 1,
            }],
            coverage: Coverage {
                protected: 1,
                unprotected: 2,
                not_assessed: 0,
                through_cluster: 1,
                percent: 33.3,
            },
            not_assessed_scopes: vec![NotAssessedScope {
                account_id: account.into(),
                account_name: None,
                region: region.clone(),
                status: ScopeStatus::Partial,
                reason: "throttled".into(),
            }],
            not_judged: NotJudgedSummary::default(),
            rules: 3,
            resource_rules: 3,
            judged: Judged {
                resources: 2,
                vaults: 0,
                recovery_points: 0,
            },
            rules_matching_nothing: (idle.iter())
                .map(|id| IdleRule {
                    id: (*id).into(),
                    source: format!("rules/{id}.yaml:1"),
                })
                .collect(),
            schedule_warnings: vec![],
            waivers: vec![WaiverState {
                note: WaiverNote {
                    source: "waivers.yaml:3".into(),
                    rule: "r".into(),
                    resource: "*".into(),
                    reason: "ticket".into(),
                    owner: None,
                    expires: None,
                    hits,
                },
                expired,
            }],
        }
    }

    #[test]
    fn counts_add_up_and_account_regions_interleave_in_order() {
        let parts = [
            part("333", "a", &[], 0, false),
            part("111", "b", &[], 0, false),
        ];
        let (s, failures) = merge(&parts).unwrap();
        assert_eq!((s.scopes, s.resources, s.findings), (2, 4, 6));
        assert_eq!(s.by_status["PASS"], 4);
        assert_eq!(s.failures_at_least(Severity::High), 2);
        assert_eq!((s.coverage.protected, s.coverage.unprotected), (2, 4));
        assert_eq!(s.coverage.percent, 33.3);
        assert_eq!(s.judged_subjects(), 4);
        let order: Vec<&str> = (s.not_assessed_scopes.iter())
            .map(|n| n.account_id.as_str())
            .collect();
        assert_eq!(order, ["111", "333"]);
        assert_eq!(failures.len(), 2);
    }

    #[test]
    fn a_rule_is_idle_only_where_no_shard_used_it() {
        let parts = [
            part("1", "a", &["x", "y"], 0, false),
            part("2", "a", &["y", "z"], 0, false),
        ];
        let (s, failures) = merge(&parts).unwrap();
        let idle: Vec<&str> = (s.rules_matching_nothing.iter())
            .map(|r| r.id.as_str())
            .collect();
        assert_eq!(idle, ["y"]);
        assert_eq!(failures[0].count, 2);
    }

    #[test]
    fn a_waiver_is_used_if_any_shard_used_it_and_its_hits_add_up() {
        let (s, _) =
            merge(&[part("1", "a", &[], 0, false), part("2", "a", &[], 0, false)]).unwrap();
        assert_eq!((s.waivers_unused.len(), s.waivers_active.len()), (1, 0));
        let (s, _) =
            merge(&[part("1", "a", &[], 2, false), part("2", "a", &[], 3, false)]).unwrap();
        assert_eq!(s.waivers_active[0].hits, 5);
        let (s, _) = merge(&[part("1", "a", &[], 0, true), part("2", "a", &[], 0, false)]).unwrap();
        assert_eq!(s.waivers_expired.len(), 1);
    }

    #[test]
    fn shards_of_other_policies_or_unknown_statuses_are_refused() {
        let mut other = part("2", "a", &[], 0, false);
        other.rules = 4;
        assert!(merge(&[part("1", "a", &[], 0, false), other]).is_err());
        let mut odd = part("2", "a", &[], 0, false);
        odd.by_status.insert("MAYBE".into(), 1);
        assert!(merge(&[odd]).unwrap_err().contains("MAYBE"));
        assert!(merge(&[]).is_err());
    }

    #[test]
    fn a_shard_summary_reads_back_as_written() {
        let p = part("1", "a", &["x"], 2, true);
        let text = serde_json::to_string(&p).unwrap();
        let back: ShardSummary = serde_json::from_str(&text).unwrap();
        assert_eq!(serde_json::to_string(&back).unwrap(), text);
    }
}
